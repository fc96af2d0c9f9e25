import RNNModel

/// Lowers a plan's dense layers and cells to one `KernelProgram`: where the
/// loops are unrolled, how accumulators are split, in which order gates are
/// activated. Every speed technique lives here, once, for both languages.
struct KernelLowering {
    let plan: KernelPlan
    var width: Int { plan.vectorWidth }

    static func program(_ plan: KernelPlan) -> KernelProgram {
        let lowering = KernelLowering(plan: plan)
        var functions = plan.denses.map(lowering.dense) + plan.activations.map(lowering.activation) + plan.cells.map { lowering.cellStep($0) } + plan.cells.map(lowering.cellSequence)
        if plan.batchTile > 1 {
            functions += plan.cells.flatMap { [lowering.cellStep($0, items: plan.batchTile), lowering.tileSequence($0)] }
        }
        let program = KernelProgram(functions: functions + lowering.apiFunctions)
        return plan.lowering == .scalar ? ScalarLowering.program(program, lanes: plan.vectorWidth) : program
    }

    // MARK: Matrix-vector products

    /// One operand of a matrix-vector product: `count` floats at `scalars`,
    /// float j broadcast against `targets.count` weight vectors at
    /// `weights + j·targets.count·width + g·width` (the packed order).
    struct Operand {
        var scalars: String
        var count: Int
        /// The block's first weight vector.
        var weights: Address
        var targets: [String]
        /// i8 weights: the block's first row-scale vector (target g's at
        /// `+ g·width`); the operand's products are scaled once, at the end.
        var scales: Address? = nil
    }

    /// Where weight matrices are: the float table, or the narrow one.
    var matrixTable: String { KernelLowering.tables(plan).last! }

    /// One vector of weight-matrix entries as floats: for words of several
    /// columns, column `part` of each lane's word.
    func weightVector(_ at: Address, part: Int) -> VectorExpression {
        plan.weightType == .f32 ? .load(at) : .widen(at, plan.weightType, part: part)
    }

    /// Elements of a packed matrix per block: `cols` columns of `gates` vectors.
    func matrixBlock(_ cols: Int, gates: Int) -> Int { plan.matrixGroups(cols) * gates * width }

    /// The scale vectors of an i8 matrix for one block, laid out like its biases.
    func scales(_ table: KernelPlan.Table?, _ b: Block, gates: Int) -> Address? {
        table.map { b.at("wt", $0.offset, stride: gates * width) }
    }

    /// The parameters every function reading weights starts with.
    var weightParameters: [KernelFunction.Parameter] {
        zip(KernelLowering.tables(plan), [KernelFunction.ParameterKind.weights, .matrices(plan.weightType)]).map { .init(name: $0, kind: $1) }
    }

    /// The weight tables as the arguments of a call.
    var weightArguments: [Argument] { KernelLowering.tables(plan).map { .address(Address($0)) } }

    /// The tables every function reading weights takes, as the API passes
    /// them: the float one, and the narrow matrices.
    static func tables(_ plan: KernelPlan) -> [String] { plan.weightType == .f32 ? ["wt"] : ["wt", "wm"] }

    /// Multiply-adds accumulating every operand into its target vectors.
    /// With two chains, odd floats go to `<target>_odd` (zeroed first, added
    /// in last), so each accumulator waits on half as many multiply-adds: at
    /// small sizes the step is one chain of them, and its length is the time.
    /// Three floats or fewer are unrolled outright (the I = 1 path).
    func accumulate(_ operands: [Operand], _ copies: ItemCopies = .single) -> [KernelStatement] {
        if copies.count > 1 { return accumulateTile(operands, copies) }
        if operands.contains(where: { $0.scales != nil }) { return accumulateScaled(operands) }
        let split = plan.accumulatorChains == 2 && operands.reduce(0) { $0 + $1.count } >= 4
        var odd: [String] = []
        if split {
            for operand in operands where operand.count >= 2 {
                for t in operand.targets where !odd.contains(t) { odd.append(t) }
            }
        }
        var out: [KernelStatement] = odd.map { .declare("\($0)_odd", .constant(0)) }
        let n = plan.columnsPerWord
        for operand in operands {
            // Column j's vector for gate g: word group j / n, part j % n.
            let group = operand.targets.count * width
            func terms(_ j: Int, index: String?, chain: Int) -> [KernelStatement] {
                operand.targets.enumerated().map { g, target in
                    let name = chain == 1 ? "\(target)_odd" : target
                    var w = operand.weights
                    w.offset += j / n * group + g * width
                    if let index { w = w.adding(index, stride: group / n) }
                    let x = Address(operand.scalars, j, index: index)
                    return .assign(name, .multiplyAdd(weightVector(w, part: j % n), .broadcast(x), .variable(name)))
                }
            }
            let chains = split && operand.count >= 2 ? 2 : 1
            if operand.count <= 3 {
                for j in 0..<operand.count { out += terms(j, index: nil, chain: j % chains) }
                continue
            }
            // One iteration covers whole words and every chain.
            let step = max(chains, n)
            let looped = operand.count / step * step
            var body: [KernelStatement] = []
            for j in 0..<step { body += terms(j, index: "j", chain: j % chains) }
            out.append(.loop(index: "j", count: looped, step: step, body))
            for j in looped..<operand.count { out += terms(j, index: nil, chain: j % chains) }
        }
        out += odd.map { .assign($0, .add(.variable($0), .variable("\($0)_odd"))) }
        return out
    }

    /// i8: each operand sums its integer-valued products into accumulators
    /// of its own (`i_x`, `i_h`: separate chains), which are then scaled by
    /// their rows' scales into the targets — one multiply-add per operand
    /// and target, not one per weight.
    func accumulateScaled(_ operands: [Operand]) -> [KernelStatement] {
        var out: [KernelStatement] = []
        for operand in operands {
            var own = operand
            own.scales = nil
            own.targets = operand.targets.map { "\($0)_\(operand.scalars)" }
            out += own.targets.map { .declare($0, .constant(0)) }
            out += accumulate([own])
        }
        for operand in operands {
            for (g, target) in operand.targets.enumerated() {
                var scale = operand.scales!
                scale.offset += g * width
                out.append(.assign(target, .multiplyAdd(.load(scale), .variable("\(target)_\(operand.scalars)"), .variable(target))))
            }
        }
        return out
    }

    /// Several items' products at once: each weight vector is loaded (and
    /// widened) once into `<target>_w` and feeds one multiply-add per item,
    /// so a step's weights are read once per tile rather than once per item
    /// — a matrix-matrix product. The items' accumulators are the
    /// independent chains here, so there is no odd/even split. For i8 each
    /// operand's integer-valued sums get accumulators of their own, scaled
    /// into the targets at the end as in `accumulateScaled`.
    func accumulateTile(_ operands: [Operand], _ copies: ItemCopies) -> [KernelStatement] {
        let scaled = operands.contains { $0.scales != nil }
        let n = plan.columnsPerWord
        var out: [KernelStatement] = []
        for operand in operands {
            let stride = copies.strides[operand.scalars]!
            func sum(_ target: String, _ item: Int) -> String { tileSum(target, operand, scaled: scaled, item: item) }
            if scaled {
                for target in operand.targets { out += (0..<copies.count).map { .declare(sum(target, $0), .constant(0)) } }
            }
            let group = operand.targets.count * width
            func terms(_ j: Int, index: String?) -> [KernelStatement] {
                operand.targets.enumerated().flatMap { g, target -> [KernelStatement] in
                    var w = operand.weights
                    w.offset += j / n * group + g * width
                    if let index { w = w.adding(index, stride: group / n) }
                    let weight = index == nil ? "\(target)_w\(operand.scalars)\(j)" : "\(target)_w\(j % n == 0 ? "" : String(j % n))"
                    return [.share(weight, weightVector(w, part: j % n))] + (0..<copies.count).map { item in
                        let x = Address(operand.scalars, j + item * stride, index: index)
                        return .assign(sum(target, item), .multiplyAdd(.variable(weight), .broadcast(x), .variable(sum(target, item))))
                    }
                }
            }
            let looped = operand.count <= 3 ? 0 : operand.count / n * n
            if looped > 0 {
                out.append(.loop(index: "j", count: looped, step: n, (0..<n).flatMap { terms($0, index: "j") }))
            }
            for j in looped..<operand.count { out += terms(j, index: nil) }
        }
        guard scaled else { return out }
        for operand in operands {
            for (g, target) in operand.targets.enumerated() {
                var scale = operand.scales!
                scale.offset += g * width
                for item in 0..<copies.count {
                    let name = ItemCopies.name(target, item: item)
                    out.append(.assign(name, .multiplyAdd(.load(scale), .variable(tileSum(target, operand, scaled: true, item: item)), .variable(name))))
                }
            }
        }
        return out
    }

    /// The accumulator item `item`'s products of `operand` go to: the
    /// target itself, or for i8 the operand's own sum (`i_x_2`).
    func tileSum(_ target: String, _ operand: Operand, scaled: Bool, item: Int) -> String {
        ItemCopies.name(scaled ? "\(target)_\(operand.scalars)" : target, item: item)
    }

    /// Which block of hidden units a statement works on: a constant when the
    /// blocks are unrolled, the loop variable `b` when they are a loop.
    struct Block {
        var constant: Int?

        /// `base + offset + block·stride`.
        func at(_ base: String, _ offset: Int, stride: Int) -> Address {
            if let k = constant { return Address(base, offset + k * stride) }
            return Address(base, offset).adding("b", stride: stride)
        }
    }

    /// Blocks up to this many are unrolled — each its own scope with constant
    /// offsets, so the compiler schedules across them and small steps need no
    /// loop — and more are a loop over `b`, so code does not grow with H.
    static let unrolledBlocks = 4
    /// Blocks unrolled in a single step: in scalar code a block is already
    /// `width` lanes of independent work written out, so more than one block
    /// is a loop, which keeps flash small.
    var unrolledBlocks: Int { plan.lowering == .scalar ? 1 : KernelLowering.unrolledBlocks }

    /// The statements of every block, unrolled or as a loop.
    /// A tile's step unrolls none (`unrolled: 1`): its items already give the
    /// compiler independent work, and unrolled blocks times items would make
    /// functions the Swift compiler takes minutes over.
    func blocks(_ count: Int, units: Int, unrolled: Int? = nil, _ body: (Block) -> [KernelStatement]) -> [KernelStatement] {
        let limit = unrolled ?? unrolledBlocks
        func written(_ b: Int) -> KernelStatement {
            .block(index: b, firstUnit: b * width, lastUnit: min(units, (b + 1) * width) - 1, body(Block(constant: b)))
        }
        guard count > limit else { return (0..<count).map(written) }
        // Scalar code pays for a padded lane as for a real one: the loop
        // covers the full blocks and the last, partial one is written out,
        // where ScalarLowering leaves its padding out.
        if plan.lowering == .scalar && count * width > units {
            let full = count - 1
            return (full > limit ? [.loop(index: "b", count: full, step: 1, body(Block(constant: nil)))] : (0..<full).map(written)) + [written(full)]
        }
        return [.loop(index: "b", count: count, step: 1, body(Block(constant: nil)))]
    }

    /// The vector at `table + (block·perBlock + index)·width`.
    func vectorAt(_ table: KernelPlan.Table, _ block: Block, perBlock: Int = 1, _ index: Int = 0) -> VectorExpression {
        .load(block.at("wt", table.offset + index * width, stride: perBlock * width))
    }

    // MARK: Dense

    func dense(_ d: KernelPlan.DensePlan) -> KernelFunction {
        func statements(_ b: Block, lanes: Int) -> [KernelStatement] {
            var s: [KernelStatement] = [.declare("a", vectorAt(d.bias, b))]
            s += accumulate([Operand(scalars: "x", count: d.inputs, weights: b.at(matrixTable, d.weights.offset, stride: matrixBlock(d.inputs, gates: 1)),
                                     targets: ["a"], scales: scales(d.scales, b, gates: 1))])
            s += elementwise(d.layer.activation, slopes: d.slopes, b)
            s.append(.storeLanes(b.at("y", 0, stride: width), "a", count: lanes))
            return s
        }
        var body = storedBlocks(d.blocks, units: d.outputs, statements)
        if d.layer.activation == .softmax {
            body.append(.softmax(Address("y"), count: d.outputs))
        }
        return KernelFunction(
            name: "dense_\(d.id)",
            doc: ["Dense \(d.id): \(d.inputs) → \(d.outputs), activation \(d.layer.activation)."],
            parameters: weightParameters + [.init(name: "x", kind: .input(restrict: true)), .init(name: "y", kind: .output(restrict: true))],
            scratch: [], body: body)
    }

    /// What follows a product in place on `a`: the element-wise function,
    /// or PReLU with the block's slopes.
    func elementwise(_ activation: DenseActivation, slopes: KernelPlan.Table?, _ b: Block) -> [KernelStatement] {
        if let f = activation.elementwise { return [.activate("a", f)] }
        if let slopes { return [.prelu("a", vectorAt(slopes, b))] }
        return []
    }

    /// Blocks over `units` outputs that each store their vector `a` into
    /// `y`, which has exactly `units` floats: the last block stores only its
    /// used lanes.
    func storedBlocks(_ count: Int, units: Int, _ statements: (Block, Int) -> [KernelStatement]) -> [KernelStatement] {
        let last = units - (count - 1) * width
        if count <= unrolledBlocks || last == width {
            return blocks(count, units: units) { b in statements(b, b.constant == count - 1 ? last : width) }
        }
        var body = blocks(count - 1, units: units) { b in statements(b, width) }
        let b = count - 1
        body.append(.block(index: b, firstUnit: b * width, lastUnit: units - 1, statements(Block(constant: b), last)))
        return body
    }

    /// A stand-alone activation stage, `y = f(x)` over `features` floats.
    /// `x` may be the caller's, neither aligned nor padded: its floats are
    /// copied into a zero-padded vector scratch first.
    func activation(_ a: KernelPlan.ActivationPlan) -> KernelFunction {
        let padded = a.blocks * width
        var body: [KernelStatement]
        if a.activation == .softmax {
            body = [.loop(index: "k", count: a.features, step: 1, [.copyFloat(to: Address("y", index: "k"), from: Address("x", index: "k"))]),
                    .softmax(Address("y"), count: a.features)]
        } else {
            body = [.loop(index: "k", count: a.features, step: 1, [.copyFloat(to: Address("v", index: "k"), from: Address("x", index: "k"))])]
            if padded > a.features {
                body.append(.loop(index: "k", count: padded - a.features, step: 1, [.copyFloat(to: Address("v", a.features, index: "k"), from: nil)]))
            }
            body += storedBlocks(a.blocks, units: a.features) { b, lanes in
                [.declare("a", .load(b.at("v", 0, stride: width)))] + elementwise(a.activation, slopes: a.slopes, b)
                    + [.storeLanes(b.at("y", 0, stride: width), "a", count: lanes)]
            }
        }
        return KernelFunction(
            name: "activation_\(a.id)",
            doc: ["Activation \(a.id): \(a.activation) over \(a.features) features."],
            parameters: (a.slopes != nil ? [.init(name: "wt", kind: .weights)] : [])
                + [.init(name: "x", kind: .input(restrict: true)), .init(name: "y", kind: .output(restrict: true))],
            scratch: a.activation == .softmax ? [] : [("v", padded)], body: body)
    }

    // MARK: Cells

    /// The ONNX clip (if any), then the activation, in place.
    func gate(_ c: KernelPlan.CellPlan, _ name: String, _ activation: Activation) -> [KernelStatement] {
        (c.cell.options.clip.map { [KernelStatement.clip(name, Float($0))] } ?? []) + [.activate(name, activation)]
    }

    /// Bias-initialised accumulators, one per named gate, in packed order.
    func biases(_ c: KernelPlan.CellPlan, _ b: Block, _ names: [String]) -> [KernelStatement] {
        names.enumerated().map { .declare($1, vectorAt(c.bias, b, perBlock: c.gates, $0)) }
    }

    func inputOperand(_ c: KernelPlan.CellPlan, _ b: Block, _ targets: [String]) -> Operand {
        Operand(scalars: "x", count: c.I, weights: b.at(matrixTable, c.inputWeights.offset, stride: matrixBlock(c.I, gates: c.gates)), targets: targets,
                scales: scales(c.inputScales, b, gates: c.gates))
    }

    func recurrentOperand(_ c: KernelPlan.CellPlan, _ b: Block, _ targets: [String]) -> Operand {
        Operand(scalars: "h", count: c.Hr, weights: b.at(matrixTable, c.recurrentWeights.offset, stride: matrixBlock(c.Hr, gates: c.recurrentGates)),
                targets: targets, scales: scales(c.recurrentScales, b, gates: c.recurrentGates))
    }

    /// Floats between two items' copies of each array a tiled cell step
    /// reads: x rows gathered `I` apart, states one padded state apart (as
    /// `run` keeps them), the step's scratch one padded layer apart.
    func itemCopies(_ c: KernelPlan.CellPlan, items: Int) -> ItemCopies {
        guard items > 1 else { return .single }
        var strides = ["x": c.I]
        for state in CellTraits(c.cell).stateVectors { strides[state] = plan.paddedStateFloats }
        for scratch in CellTraits(c.cell).scratch { strides[scratch] = c.Hp }
        return ItemCopies(count: items, strides: strides)
    }

    /// One time step of cell `c`; with several items (`run`'s tiles) the
    /// items' steps side by side, sharing every weight load.
    func cellStep(_ c: KernelPlan.CellPlan, items: Int = 1) -> KernelFunction {
        let acts = c.cell.options.activations
        let copies = itemCopies(c, items: items)
        let unrolled = items == 1 ? unrolledBlocks : 1
        func each(_ s: [KernelStatement]) -> [KernelStatement] { copies.each(s) }
        func products(_ operands: [Operand]) -> [KernelStatement] { accumulate(operands, copies) }
        var body: [KernelStatement] = []
        // Every block reads all of the old h, so new h waits in `next` until
        // the last block is done — unless there is one block, whose reads all
        // come before its store: then it goes straight to h (no copy on the
        // step's dependency chain). A projection reads `next` either way.
        let direct = c.blocks == 1 && c.projection == nil
        let next = direct ? "h" : "next"
        let traits = CellTraits(c.cell), gates = traits.gates
        let scratch = traits.scratch.filter { !direct || $0 != "next" }
        switch c.cell.kind {
        case .rnn:
            body += blocks(c.blocks, units: c.H, unrolled: unrolled) { b in
                var s = each(biases(c, b, gates))
                s += products([inputOperand(c, b, gates), recurrentOperand(c, b, gates)])
                var rest = gate(c, "a", acts[0])
                rest.append(.store(b.at(next, 0, stride: width), .variable("a")))
                return s + each(rest)
            }
        case .lstm:
            body += blocks(c.blocks, units: c.H, unrolled: unrolled) { b in
                var s = each(biases(c, b, gates))
                s += products([inputOperand(c, b, gates), recurrentOperand(c, b, gates)])
                var rest: [KernelStatement] = [.declare("c_old", .load(b.at("c", 0, stride: width)))]
                if let p = c.peephole {
                    rest.append(.assign("i", .multiplyAdd(vectorAt(p, b, perBlock: 3, 0), .variable("c_old"), .variable("i"))))
                    rest.append(.assign("f", .multiplyAdd(vectorAt(p, b, perBlock: 3, 2), .variable("c_old"), .variable("f"))))
                }
                // The gates that do not wait on c' are activated together, so
                // their independent chains overlap.
                rest += gate(c, "i", acts[0])
                if c.cell.options.inputForget {
                    rest.append(.assign("f", .subtract(.constant(1), .variable("i"))))
                } else {
                    rest += gate(c, "f", acts[0])
                }
                rest += gate(c, "g", acts[1])
                if c.peephole == nil { rest += gate(c, "o", acts[0]) }
                rest.append(.declare("c_new", .multiplyAdd(.variable("f"), .variable("c_old"), .multiply(.variable("i"), .variable("g")))))
                if let limit = c.cell.options.cellClip { rest.append(.clip("c_new", Float(limit))) }
                rest.append(.store(b.at("c", 0, stride: width), .variable("c_new")))
                if let p = c.peephole {
                    rest.append(.assign("o", .multiplyAdd(vectorAt(p, b, perBlock: 3, 1), .variable("c_new"), .variable("o"))))
                    rest += gate(c, "o", acts[0])
                }
                rest.append(.declare("h_new", .variable("c_new")))
                rest.append(.activate("h_new", acts[2]))
                rest.append(.store(b.at(next, 0, stride: width), .multiply(.variable("o"), .variable("h_new"))))
                return s + each(rest)
            }
        case .gru where c.cell.options.linearBeforeReset:
            // Packed gate order z, r, n; the candidate's recurrent part (hn)
            // keeps its own bias because the reset gate scales it.
            body += blocks(c.blocks, units: c.H, unrolled: unrolled) { b in
                var s = each(biases(c, b, gates) + [.declare("hn", vectorAt(c.candidateBias!, b))])
                s += products([inputOperand(c, b, gates), recurrentOperand(c, b, ["z", "r", "hn"])])
                var rest = gate(c, "z", acts[0])
                rest += gate(c, "r", acts[0])
                rest.append(.assign("n", .multiplyAdd(.variable("r"), .variable("hn"), .variable("n"))))
                rest += gate(c, "n", acts[1])
                rest += interpolate(b, into: next)
                return s + each(rest)
            }
        case .gru:
            body += blocks(c.blocks, units: c.H, unrolled: unrolled) { b in
                var s = each(biases(c, b, gates))
                s += products([inputOperand(c, b, gates), recurrentOperand(c, b, Array(gates.prefix(traits.recurrentGates)))])
                var rest = gate(c, "z", acts[0])
                rest += gate(c, "r", acts[0])
                rest.append(.store(b.at("zs", 0, stride: width), .variable("z")))
                rest.append(.store(b.at("rh", 0, stride: width), .multiply(.variable("r"), .load(b.at("h", 0, stride: width)))))
                rest.append(.store(b.at("partial", 0, stride: width), .variable("n")))
                return s + each(rest)
            }
            body.append(.comment("The candidate reads r⊙h, so it waits until every block's r is known."))
            body += blocks(c.blocks, units: c.H, unrolled: unrolled) { b in
                var s = each([.declare("n", .load(b.at("partial", 0, stride: width)))])
                s += products([Operand(scalars: "rh", count: c.Hr, weights: b.at(matrixTable, c.candidateWeights!.offset, stride: matrixBlock(c.Hr, gates: 1)),
                                       targets: ["n"], scales: scales(c.candidateScales, b, gates: 1))])
                var rest = gate(c, "n", acts[1])
                rest.append(.declare("z", .load(b.at("zs", 0, stride: width))))
                rest += interpolate(b, into: next)
                return s + each(rest)
            }
        }
        if let p = c.projection {
            body.append(.comment("Projection: h = W_hr · (o ⊙ h(c))."))
            body += blocks(c.outBlocks, units: c.Hr, unrolled: unrolled) { b in
                var s = each([.declare("a", .constant(0))])
                s += products([Operand(scalars: "next", count: c.H, weights: b.at(matrixTable, p.offset, stride: matrixBlock(c.H, gates: 1)), targets: ["a"],
                                       scales: scales(c.projectionScales, b, gates: 1))])
                return s + each([.store(b.at("h", 0, stride: width), .variable("a"))])
            }
        } else if !direct {
            body.append(.comment("Every block has read the old h; now it is replaced."))
            body += blocks(c.blocks, units: c.H, unrolled: unrolled) { b in each([.store(b.at("h", 0, stride: width), .load(b.at("next", 0, stride: width)))]) }
        }
        let parameters = weightParameters + [.init(name: "x", kind: .input(restrict: true))]
            + traits.stateVectors.map { KernelFunction.Parameter(name: $0, kind: .output(restrict: true)) }
        let stateText = "h[\(c.Hrp)]\(traits.hasCellState ? " and c[\(c.Hp)]" : "")"
        let doc = items == 1
            ? ["\(KernelDescription.cell(c)): one time step.", "x[\(c.I)] in; \(stateText) updated in place."]
            : ["\(KernelDescription.cell(c)): one time step of \(items) items together, each weight loaded once.",
               "Item k: x[\(c.I)] at x + \(c.I)·k; \(stateText) at h\(traits.hasCellState ? " and c" : "") + \(plan.paddedStateFloats)·k, updated in place."]
        return KernelFunction(name: items == 1 ? "cell_\(c.id)" : "tile_\(c.id)", doc: doc, parameters: parameters,
                              scratch: scratch.map { ($0, c.Hp * items) }, body: body)
    }

    /// GRU: h' = (1 − z)⊙n + z⊙h, written n + z⊙(h − n): one multiply-add.
    func interpolate(_ b: Block, into next: String) -> [KernelStatement] {
        [.store(b.at(next, 0, stride: width),
                .multiplyAdd(.variable("z"), .subtract(.load(b.at("h", 0, stride: width)), .variable("n")), .variable("n")))]
    }

    /// The cell over one item's sequence, for `run`.
    func cellSequence(_ c: KernelPlan.CellPlan) -> KernelFunction {
        let M = plan.maxWidth
        let states = CellTraits(c.cell).stateVectors
        let args = weightArguments + [.address(Address("input", index: "t", stride: M))] + states.map { Argument.address(Address($0)) }
        let parameters = weightParameters + [
            .init(name: "input", kind: .input(restrict: false)),
            .init(name: "output", kind: .output(restrict: false)), .init(name: "offset", kind: .integer),
            .init(name: "steps", kind: .integer), .init(name: "len", kind: .integer),
        ] + states.map { KernelFunction.Parameter(name: $0, kind: .output(restrict: true)) }
        var step: [KernelStatement] = [.integer("t", c.reverse ? "len - 1 - k" : "k")]
        if c.cell.delay != nil {
            step += delayedStep(c, input: Address("input", index: "t", stride: M), hHistory: Address("h"),
                                cHistory: c.cSlot != nil ? Address("c") : nil, output: Address("output", index: "t * \(M) + offset"))
        } else {
            step += [.call("cell_\(c.id)", args),
                     .loop(index: "u", count: c.Hr, step: 1, [.copyFloat(to: Address("output", index: "t * \(M) + offset + u"), from: Address("h", index: "u"))])]
        }
        return KernelFunction(
            name: "sequence_\(c.id)",
            doc: ["\(c.id) over one item: rows of `input` and `output` are \(M) floats apart; h goes to",
                  "columns \(c.Hr) wide at `offset`. Steps past `len` give zeros; the state is kept."]
                + (c.cell.delay != nil ? ["h (and c) hold the last \(c.cell.stateHistory) states, newest first (sample-rate correction)."] : []),
            parameters: parameters, scratch: c.cell.delay == nil ? [] : [("hr", c.Hrp)] + (c.cSlot != nil ? [("cr", c.Hp)] : []),
            body: [
                .range(index: "k", from: "0", to: "len", step),
                .range(index: "t", from: "len", to: "steps", [
                    .loop(index: "u", count: c.Hr, step: 1, [.copyFloat(to: Address("output", index: "t * \(M) + offset + u"), from: nil)]),
                ]),
            ])
    }

    /// The cell over a tile of `plan.batchTile` items' sequences, for `run`:
    /// each step gathers the items' input rows and runs their steps together
    /// (`tile_…`). An item past its length still runs (on a stale row), but
    /// its state was set aside at its last valid step and is put back at the
    /// end, and its output rows past the length are zeros. Items of a tile
    /// that do not exist have length 0.
    func tileSequence(_ c: KernelPlan.CellPlan) -> KernelFunction {
        let M = plan.maxWidth, T = plan.batchTile, P = plan.paddedStateFloats
        let states = CellTraits(c.cell).stateVectors
        /// Floats of each state vector: h the (projected) output, c the cell.
        func size(_ state: String) -> (used: Int, padded: Int) { state == "h" ? (c.Hr, c.Hrp) : (c.H, c.Hp) }
        /// `stride * k + ` for item k's rows of the sequence buffers.
        func item(_ k: Int) -> String { k == 0 ? "" : k == 1 ? "stride + " : "stride * \(k) + " }
        func copy(_ count: Int, to: (String) -> Address, from: (String) -> Address?) -> KernelStatement {
            .loop(index: "u", count: count, step: 1, [.copyFloat(to: to("u"), from: from("u"))])
        }
        /// Item k's h and c copied (into the kept state, or back).
        func state(_ k: Int, keep: Bool) -> [KernelStatement] {
            states.map { (Address("kept_\($0)", k * size($0).padded), Address($0, k * P), size($0).used) }.map { kept, live, count in
                let (to, from) = keep ? (kept, live) : (live, kept)
                return copy(count, to: { to.adding($0, stride: 1) }, from: { from.adding($0, stride: 1) })
            }
        }
        func time(_ k: Int) -> KernelStatement { .integer("t", c.reverse ? "len\(k) - 1 - s" : "s") }
        let args = weightArguments + [.address(Address("xs"))] + states.map { Argument.address(Address($0)) }
        var body: [KernelStatement] = [copy(T * c.I, to: { Address("xs", index: $0) }, from: { _ in nil })]
        body += (0..<T).flatMap { state($0, keep: true) }
        var step: [KernelStatement] = (0..<T).map { k in
            .when("s < len\(k)", [time(k), copy(c.I, to: { Address("xs", k * c.I, index: $0) }, from: { Address("input", index: "\(item(k))t * \(M) + \($0)") })])
        }
        step.append(.call("tile_\(c.id)", args))
        for k in 0..<T {
            step.append(.when("s < len\(k)", [time(k), copy(c.Hr, to: { Address("output", index: "\(item(k))t * \(M) + offset + \($0)") },
                                                              from: { Address("h", k * P, index: $0) })]))
            step.append(.when("s + 1 == len\(k)", state(k, keep: true)))
        }
        body.append(.range(index: "s", from: "0", to: "longest", step))
        body += (0..<T).flatMap { state($0, keep: false) }
        body += (0..<T).map { k in
            .range(index: "t", from: "len\(k)", to: "steps", [copy(c.Hr, to: { Address("output", index: "\(item(k))t * \(M) + offset + \($0)") }, from: { _ in nil })])
        }
        var parameters = weightParameters + [
            .init(name: "input", kind: .input(restrict: false)),
            .init(name: "output", kind: .output(restrict: false)), .init(name: "offset", kind: .integer),
            .init(name: "steps", kind: .integer), .init(name: "stride", kind: .integer),
        ]
        parameters += (0..<T).map { .init(name: "len\($0)", kind: .integer) }
        parameters.append(.init(name: "longest", kind: .integer))
        parameters += states.map { .init(name: $0, kind: .output(restrict: true)) }
        return KernelFunction(
            name: "sequence_tile_\(c.id)",
            doc: ["\(c.id) over \(T) items' sequences together: item k's rows of `input` and `output` start",
                  "`stride`·k floats in and are \(M) floats apart; its h goes to columns \(c.Hr) wide at `offset`;",
                  "its state is at \(states.joined(separator: " and ")) + \(P)·k. Steps past `len`k give zeros; the state is kept. `longest` is the largest `len`k."],
            parameters: parameters,
            scratch: [("xs", T * c.I)] + states.map { ("kept_\($0)", T * size($0).padded) },
            body: body)
    }
}
