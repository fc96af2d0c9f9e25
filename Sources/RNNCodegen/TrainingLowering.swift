import RNNModel

/// Builds a training kernel's program from its plan: every formula of the
/// forward pass, the loss, the backward pass through the window and the
/// optimizer steps is written here once, as the interpreter's gradients
/// (`CellMath.backward`) define them; the printers only spell it.
struct TrainingLowering {
    let plan: TrainingPlan
    var K: Int { plan.steps }
    var B: Int { plan.batchTile }
    var P: Int { plan.parameterCount }

    typealias E = TrainingExpression
    typealias S = TrainingStatement

    static func program(_ plan: TrainingPlan) -> TrainingProgram {
        let lowering = TrainingLowering(plan: plan)
        return TrainingProgram(functions: [
            lowering.initialParameters(), lowering.resetState(), lowering.withViews(lowering.gradients()),
            lowering.sgd(), lowering.adagrad(), lowering.adam(),
        ])
    }

    /// A parameter tensor's short name: `w_s0_l0`, `rb_s0_l1`, `b_s2`.
    static func shortName(_ p: ParameterName) -> String {
        let tensor: String
        switch p.tensor {
        case .input, .weight: tensor = "w"
        case .recurrent: tensor = "r"
        case .inputBias: tensor = "wb"
        case .recurrentBias: tensor = "rb"
        case .peephole: tensor = "p"
        case .projection: tensor = "proj"
        case .bias: tensor = "b"
        case .slopes: tensor = "slopes"
        }
        var place = "s\(p.stage)"
        if let k = p.stack, k > 0 { place += "_k\(k)" }
        if let l = p.layer { place += "_l\(l)" }
        if let d = p.direction, d > 0 { place += "_d\(d)" }
        return tensor + "_" + place
    }

    /// The function with its workspace, parameter and gradient addresses
    /// rewritten to named parts (`z_s0_l0[…]` for `work[… + 266240]`).
    func withViews(_ f: TrainingFunction) -> TrainingFunction {
        var regions: [String: [(name: String, offset: Int, end: Int)]] = [
            "work": plan.buffers.map { ($0.name, $0.offset, $0.offset + $0.floats) },
            "params": plan.parameterLayout.map { (TrainingLowering.shortName($0.name), $0.offset, $0.offset + $0.count) },
            "grads": plan.parameterLayout.map { ("d" + TrainingLowering.shortName($0.name), $0.offset, $0.offset + $0.count) },
        ]
        for key in regions.keys { regions[key]!.sort { $0.offset < $1.offset } }
        var used: [String: TrainingFunction.View] = [:]
        func rename(_ a: Address) -> Address {
            guard let list = regions[a.base], let region = list.last(where: { $0.offset <= a.offset }), a.offset < max(region.end, region.offset + 1) else { return a }
            used[region.name] = TrainingFunction.View(name: region.name, parameter: a.base, offset: region.offset, mutable: a.base != "params")
            var renamed = a
            renamed.base = region.name
            renamed.offset = a.offset - region.offset
            return renamed
        }
        var copy = f
        copy.body = f.body.map { $0.mappingAddresses(rename) }
        copy.views = used.values.sorted { ($0.parameter, $0.offset) < ($1.parameter, $1.offset) }
        return copy
    }

    // MARK: - Addresses

    func params(_ offset: Int) -> Address { Address("params", offset) }
    func grads(_ offset: Int) -> Address { Address("grads", offset) }
    func work(_ offset: Int) -> Address { Address("work", offset) }
    /// `[t][b][width]` in the workspace at `offset`, step `t` plus `stepShift`.
    func perStep(_ offset: Int, width: Int, stepShift: Int = 0) -> Address {
        Address("work", offset + stepShift * B * width).adding("t", stride: B * width).adding("b", stride: width)
    }
    /// `[b][width]` in the workspace at `offset`.
    func perItem(_ offset: Int, width: Int) -> Address { Address("work", offset).adding("b", stride: width) }

    func load(_ a: Address) -> E { .load(a) }

    /// `for index in 0..<count { rows(...) }`, four values of `index` at a
    /// time (`rows4`: each vector loaded feeds four sums), the rest one by one.
    func groupedRows(_ index: String, _ count: Int, to: Address, n: Int, scalars: Address, scalarStride: Int,
                     vectors: Address, vectorStride: Int, over m: Int, add: Bool) -> [S] {
        func stride(_ a: Address) -> Int { a.terms.filter { $0.index == index }.reduce(0) { $0 + $1.stride } }
        func substituted(_ a: Address, _ text: String) -> Address {
            var copy = a
            copy.terms = a.terms.map { $0.index == index ? Address.Term(index: text, stride: $0.stride) : $0 }
            return copy
        }
        var out: [S] = []
        let groups = count / 4
        if groups > 0 {
            let group = "\(index)4 * 4"
            out.append(loop("\(index)4", groups, [.rows4(to: substituted(to, group), toStride: stride(to), count: n,
                                                          scalars: substituted(scalars, group), scalarGroupStride: stride(scalars), scalarStride: scalarStride,
                                                          vectors: substituted(vectors, group), vectorStride: vectorStride, over: m, add: add)]))
        }
        if count % 4 > 0 {
            let rest = groups == 0 ? index : "\(index) + \(groups * 4)"
            out.append(loop(index, count % 4, [.rows(to: substituted(to, rest), count: n, scalars: substituted(scalars, rest), scalarStride: scalarStride,
                                                     vectors: substituted(vectors, rest), vectorStride: vectorStride, over: m, add: add)]))
        }
        return out
    }
    func loop(_ index: String, _ count: Int, _ body: [S]) -> S { .loop(index, count: count, body) }

    // MARK: - Activations

    /// The activation after the cell's clip, if it has one.
    func activate(_ f: Activation, _ x: E, clip: Double?) -> E {
        .activation(f, clipped(x, clip))
    }

    func clipped(_ x: E, _ clip: Double?) -> E {
        guard let limit = clip else { return x }
        let l = E.literal(Float(limit))
        return .select(.greater(x, l), l, .select(.less(x, .negate(l)), .negate(l), x))
    }

    /// d f / d x at the clipped input `x` whose value was `y`, times the
    /// clip's slope (0 where the clip held the raw input `raw`).
    func derivative(_ f: Activation, raw: E, y: E, clip: Double?) -> E {
        let d = derivative(f, x: clipped(raw, clip), y: y)
        guard let limit = clip else { return d }
        let l = E.literal(Float(limit))
        return .select(.and(.greaterOrEqual(raw, .negate(l)), .lessOrEqual(raw, l)), d, .zero)
    }

    /// d f / d x from the input and the output, each function's derivative
    /// written from whichever is cheaper; the side the forward pass takes at a
    /// kink, as `Activation.derivative`.
    func derivative(_ f: Activation, x: E, y: E) -> E {
        let alpha = E.literal(Float(f.alpha)), beta = E.literal(Float(f.beta))
        switch f.kind {
        case .sigmoid: return y * (.one - y)
        case .tanh: return .one - y * y
        case .relu: return .select(.greater(x, .zero), .one, .zero)
        case .affine: return alpha
        case .leakyRelu: return .select(.greaterOrEqual(x, .zero), .one, alpha)
        case .thresholdedRelu: return .select(.greater(x, alpha), .one, .zero)
        case .scaledTanh:
            let t = E.activation(.tanh, beta * x)
            return alpha * beta * (.one - t * t)
        case .hardSigmoid:
            let v = alpha * x + beta
            return .select(.and(.greater(v, .zero), .less(v, .one)), alpha, .zero)
        case .elu: return .select(.greaterOrEqual(x, .zero), .one, y + alpha)
        case .softsign:
            let d = E.one + E.select(.less(x, .zero), .negate(x), x)
            return .one / (d * d)
        case .softplus: return .select(.greater(x, .literal(30)), .one, .activation(.sigmoid, x))
        }
    }

    // MARK: - Small functions

    func initialParameters() -> TrainingFunction {
        TrainingFunction(name: "initial_parameters",
                         doc: ["Writes the description's weights into `params` (\(P) floats), the table every other function reads."],
                         parameters: [.init(name: "params", kind: .mutableFloats, doc: "\(P) floats")],
                         returnsFloat: false,
                         body: [loop("i", P, [.store(params(0).adding("i", stride: 1), .load(Address("initial", 0, index: "i")))])])
    }

    func resetState() -> TrainingFunction {
        TrainingFunction(name: "reset_state",
                         doc: ["Zeroes the state carried from window to window (\(plan.stateFloats) floats for the tile's \(B) items)."],
                         parameters: [.init(name: "state", kind: .mutableFloats, doc: "\(plan.stateFloats) floats")],
                         returnsFloat: false,
                         body: [loop("i", plan.stateFloats, [.store(Address("state", 0, index: "i"), .zero)])])
    }

    // MARK: - Gradients

    func gradients() -> TrainingFunction {
        let lossParameter: TrainingFunction.Parameter = plan.options.loss == .crossEntropy
            ? .init(name: "labels", kind: .labels, doc: "\(B * K) class labels, [item][step], each 0…\(plan.outputSize - 1)")
            : .init(name: "target", kind: .floats, doc: "\(B * K * plan.outputSize) floats, [item][step][output]")
        var body: [S] = [.comment("The weight matrices transposed, so every item's forward sums run along contiguous rows.")]
        for stage in plan.stages { body += transposed(stage) }
        body.append(.comment("Forward through the window, keeping what the backward pass reads."))
        for stage in plan.stages { body += forward(stage) }
        body += [.comment("The loss at every step, and its gradient with respect to the output.")]
        body += loss()
        body += [.comment("Backward through the stages and the window.")]
        for stage in plan.stages.reversed() { body += backward(stage) }
        body.append(.returns(.local("loss")))
        return TrainingFunction(
            name: "gradients",
            doc: ["Runs the tile's \(B) items forward through the window's \(K) steps from `state`, leaves the",
                  "final state in `state` for the next window, and adds to `grads` the gradient of",
                  "scale · Σ loss over the items, steps\(plan.options.loss == .squaredError ? " and outputs" : ""); returns that scaled loss."],
            parameters: [
                .init(name: "params", kind: .floats, doc: "\(P) floats"),
                .init(name: "state", kind: .mutableFloats, doc: "\(plan.stateFloats) floats, carried"),
                .init(name: "x", kind: .floats, doc: "\(B * K * plan.inputSize) floats, [item][step][input]"),
                lossParameter,
                .init(name: "scale", kind: .scalar, doc: "the loss's weight (1 / the batch's count for a mean)"),
                .init(name: "grads", kind: .mutableFloats, doc: "\(P) floats, added to"),
                .init(name: "work", kind: .mutableFloats, doc: "\(plan.workspaceFloats) floats of workspace"),
            ],
            returnsFloat: true, body: body)
    }

    func forward(_ stage: TrainingStage) -> [S] {
        let x = stage.input, y = stage.output
        switch stage.kind {
        case .layer(let layer): return forward(layer, input: x)
        case .dense(let d):
            // y[b] = bias + Σ_k x[b][k]·Wᵀ[k], for every item.
            let yAt = y.at("t", "b", "r")
            var step: [S] = [loop("b", B, [loop("r", d.outputs, [.store(yAt, d.bias.map { load(params($0).adding("r", stride: 1)) } ?? .zero)])]),
                            ] + groupedRows("b", B, to: y.at("t", "b", nil), n: d.outputs, scalars: x.at("t", "b", nil), scalarStride: 1,
                                            vectors: work(d.weightT), vectorStride: d.outputs, over: d.inputs, add: true)
            if let f = d.activation, let pre = d.pre {
                let preAt = perStep(pre, width: d.outputs).adding("r", stride: 1)
                step.append(loop("b", B, [loop("r", d.outputs, [.store(preAt, load(yAt)), .store(yAt, .activation(f, load(preAt)))])]))
            }
            return [.comment("Dense layer \(d.id): \(d.inputs) → \(d.outputs)."), loop("t", K, step)]
        case .activation(let f):
            return [.comment("\(f) at every step."),
                    loop("t", K, [loop("b", B, [loop("j", y.width, [.store(y.at("t", "b", "j"), .activation(f, load(x.at("t", "b", "j"))))])])])]
        case .residual(let r):
            let input = TrainingSequence(base: "x", offset: 0, stepStride: plan.inputSize, itemStride: K * plan.inputSize, width: plan.inputSize)
            let body: [S] = (0..<y.width).map { j in
                .store(y.at("t", "b", nil, plus: j), load(x.at("t", "b", nil, plus: j)) + load(input.at("t", "b", nil, plus: r.feature(for: j))))
            }
            return [.comment("The model's input added back."), loop("t", K, [loop("b", B, body)])]
        }
    }

    /// `Wᵀ[k][r] = W[r][k]` into the workspace for a layer's matrices.
    func transposed(_ stage: TrainingStage) -> [S] {
        func copy(_ from: Int, rows: Int, columns: Int, to: Int) -> S {
            loop("r", rows, [loop("k", columns, [.store(work(to).adding("k", stride: rows).adding("r", stride: 1),
                                                        load(params(from).adding("r", stride: columns).adding("k", stride: 1)))])])
        }
        switch stage.kind {
        case .layer(let l): return [copy(l.W, rows: l.gates * l.H, columns: l.I, to: l.Wt), copy(l.R, rows: l.gates * l.H, columns: l.H, to: l.Rt)]
        case .dense(let d): return [copy(d.weight, rows: d.outputs, columns: d.inputs, to: d.weightT)]
        case .activation, .residual: return []
        }
    }

    func backward(_ stage: TrainingStage) -> [S] {
        let x = stage.input, y = stage.output, dy = stage.outputGradient
        switch stage.kind {
        case .layer(let layer): return backward(layer, input: x, inputGradient: stage.inputGradient, outputGradient: dy)
        case .dense(let d):
            var step: [S] = []
            let dyAt = dy.at("t", "b", "r")
            if let f = d.activation, let pre = d.pre {
                // The output gradient becomes the pre-activation's, in place.
                step.append(loop("b", B, [loop("r", d.outputs, [
                    .store(dyAt, load(dyAt) * derivative(f, x: load(perStep(pre, width: d.outputs).adding("r", stride: 1)), y: load(y.at("t", "b", "r")))),
                ])]))
            }
            if let bias = d.bias { step.append(loop("b", B, [loop("r", d.outputs, [.accumulate(grads(bias).adding("r", stride: 1), load(dyAt))])])) }
            // Each weight row: the items' output gradients times their inputs.
            step += groupedRows("r", d.outputs, to: grads(d.weight).adding("r", stride: d.inputs), n: d.inputs,
                                scalars: dy.step("t").adding("r", stride: 1), scalarStride: d.outputs,
                                vectors: x.step("t"), vectorStride: x.itemStride, over: B, add: true)
            if let dx = stage.inputGradient {
                step += groupedRows("b", B, to: dx.at("t", "b", nil), n: d.inputs, scalars: dy.at("t", "b", nil), scalarStride: 1,
                                    vectors: params(d.weight), vectorStride: d.inputs, over: d.outputs, add: false)
            }
            return [.comment("Dense layer \(d.id), backward."), loop("t", K, step)]
        case .activation(let f):
            guard let dx = stage.inputGradient else { return [] }
            return [.comment("\(f), backward."),
                    loop("t", K, [loop("b", B, [loop("j", y.width, [
                        .store(dx.at("t", "b", "j"), load(dy.at("t", "b", "j")) * derivative(f, x: load(x.at("t", "b", "j")), y: load(y.at("t", "b", "j")))),
                    ])])])]
        case .residual:
            guard let dx = stage.inputGradient else { return [] }
            return [.comment("The input added back, backward."),
                    loop("t", K, [loop("b", B, [loop("j", y.width, [.store(dx.at("t", "b", "j"), load(dy.at("t", "b", "j")))])])])]
        }
    }

    func loss() -> [S] {
        let y = plan.output, dy = plan.outputGradient, F = y.width
        var body: [S] = [.variable("loss", .zero)]
        switch plan.options.loss {
        case .crossEntropy:
            // log Σ e^(y − top) with Σ ≥ 1 is log(1 + (Σ − 1)).
            body.append(loop("t", K, [loop("b", B, [
                .variable("top", load(y.at("t", "b", nil))),
                loop("j", F, [.assign("top", .select(.greater(load(y.at("t", "b", "j")), .local("top")), load(y.at("t", "b", "j")), .local("top")))]),
                .variable("total", .zero),
                loop("j", F, [.constant("e", .exp(load(y.at("t", "b", "j")) - .local("top"))),
                              .store(dy.at("t", "b", "j"), .local("e")),
                              .increase("total", .local("e"))]),
                .label("label", Address("labels", 0).adding("b", stride: K).adding("t", stride: 1)),
                .increase("loss", .logOnePlus(.local("total") - .one) + .local("top") - load(y.at("t", "b", "label"))),
                loop("j", F, [.store(dy.at("t", "b", "j"),
                                     (load(dy.at("t", "b", "j")) / .local("total") - .select(.integerEqual("j", "label"), .one, .zero)) * .local("scale"))]),
            ])]))
        case .squaredError:
            let target = Address("target", 0).adding("b", stride: K * F).adding("t", stride: F).adding("j", stride: 1)
            body.append(loop("t", K, [loop("b", B, [loop("j", F, [
                .constant("e", load(y.at("t", "b", "j")) - load(target)),
                .increase("loss", .local("e") * .local("e")),
                .store(dy.at("t", "b", "j"), .literal(2) * .local("e") * .local("scale")),
            ])])]))
        }
        body.append(.assign("loss", .local("loss") * .local("scale")))
        return body
    }

    // MARK: - Recurrent layers

    /// Row `r` (a loop index) of a `[rows][columns]` parameter from row `first`.
    func row(_ table: (Int) -> Address, _ offset: Int, first: Int, columns: Int) -> Address {
        table(offset + first * columns).adding("r", stride: columns).adding("k", stride: 1)
    }

    /// For every item of step t, rows `first ..< first + count` of the gate
    /// sums: biases + Σ_k x[k]·Wᵀ[k] + Σ_k h[k]·Rᵀ[k] (h, or `read` for
    /// the reset-before GRU's candidate), into `target` (`[K][B][width]`
    /// at `offset`; the layer's z from row `first` by default).
    func gateSums(_ l: TrainingLayer, input x: TrainingSequence, first: Int, count: Int,
                  usesInput useInput: Bool = true, usesRecurrent useRecurrent: Bool = true, into target: (offset: Int, width: Int)? = nil,
                  read: Address? = nil) -> [S] {
        let GH = l.gates * l.H
        let (offset, width) = target ?? (l.z + first, GH)
        let item = perStep(offset, width: width)
        var start: E = .zero
        if useInput { start = load(params(l.Wb + first).adding("r", stride: 1)) }
        if useRecurrent { start = useInput ? start + load(params(l.Rb + first).adding("r", stride: 1)) : load(params(l.Rb + first).adding("r", stride: 1)) }
        var body: [S] = [loop("b", B, [loop("r", count, [.store(item.adding("r", stride: 1), start)])])]
        if useInput {
            body += groupedRows("b", B, to: item, n: count, scalars: x.at("t", "b", nil), scalarStride: 1,
                                vectors: work(l.Wt + first), vectorStride: GH, over: l.I, add: true)
        }
        if useRecurrent {
            body += groupedRows("b", B, to: item, n: count, scalars: read ?? perStep(l.h, width: l.H), scalarStride: 1,
                                vectors: work(l.Rt + first), vectorStride: GH, over: l.H, add: true)
        }
        return body
    }

    /// The reset-before GRU's r ⊙ h for every item of step t, into its buffer.
    func resetTimesH(_ l: TrainingLayer) -> S {
        let GH = l.gates * l.H
        return loop("b", B, [loop("k", l.H, [.store(perItem(l.resetH!, width: l.H).adding("k", stride: 1),
                                                    load(perStep(l.a + l.H, width: GH).adding("k", stride: 1)) * load(perStep(l.h, width: l.H).adding("k", stride: 1)))])])
    }

    func forward(_ l: TrainingLayer, input x: TrainingSequence) -> [S] {
        let H = l.H, GH = l.gates * H, o = l.cell.options, clip = o.clip
        let acts = o.activations
        let z = { (gate: Int) in self.load(self.perStep(l.z + gate * H, width: GH).adding("j", stride: 1)) }
        let a = { (gate: Int) in self.perStep(l.a + gate * H, width: GH).adding("j", stride: 1) }
        let hPrev = perStep(l.h, width: H).adding("j", stride: 1)
        let hNew = perStep(l.h, width: H, stepShift: 1).adding("j", stride: 1)
        var body: [S] = []
        let items = { (units: [S]) -> S in self.loop("b", self.B, [self.loop("j", H, units)]) }
        switch l.cell.kind {
        case .rnn:
            body = gateSums(l, input: x, first: 0, count: H)
                + [items([.constant("v", activate(acts[0], z(0), clip: clip)), .store(a(0), .local("v")), .store(hNew, .local("v"))])]
        case .lstm:
            let cPrev = perStep(l.c!, width: H).adding("j", stride: 1)
            let cNew = perStep(l.c!, width: H, stepShift: 1).adding("j", stride: 1)
            let forgetBias = Float(o.forgetBias)
            let forget: S = o.inputForget ? .constant("gf", .one - .local("gi"))
                : .constant("gf", activate(acts[0], forgetBias == 0 ? z(2) : z(2) + .literal(forgetBias), clip: clip))
            body = gateSums(l, input: x, first: 0, count: 4 * H) + [items([
                .constant("gi", activate(acts[0], z(0), clip: clip)),
                forget,
                .constant("gc", activate(acts[1], z(3), clip: clip)),
                .constant("go", activate(acts[0], z(1), clip: clip)),
                .constant("c", .local("gf") * load(cPrev) + .local("gi") * .local("gc")),
                .constant("hc", .activation(acts[2], .local("c"))),
                .store(a(0), .local("gi")), .store(a(1), .local("go")), .store(a(2), .local("gf")), .store(a(3), .local("gc")),
                .store(cNew, .local("c")),
                .store(perStep(l.hc!, width: H).adding("j", stride: 1), .local("hc")),
                .store(hNew, .local("go") * .local("hc")),
            ])]
        case .gru:
            let u = activate(acts[0], z(0), clip: clip), r = activate(acts[0], z(1), clip: clip)
            let mix: (E) -> S = { candidate in
                .store(hNew, (E.one - self.load(a(0))) * candidate + self.load(a(0)) * self.load(hPrev))
            }
            if o.linearBeforeReset {
                let n = perStep(l.n!, width: H).adding("j", stride: 1)
                body = gateSums(l, input: x, first: 0, count: 2 * H)
                    + gateSums(l, input: x, first: 2 * H, count: H, usesRecurrent: false)
                    + gateSums(l, input: x, first: 2 * H, count: H, usesInput: false, into: (l.n!, H))
                    + [items([
                        .store(a(0), u), .constant("gr", r), .store(a(1), .local("gr")),
                        // The candidate's pre-activation, kept whole for the backward pass.
                        .constant("zh", z(2) + .local("gr") * load(n)),
                        .store(perStep(l.z + 2 * H, width: GH).adding("j", stride: 1), .local("zh")),
                        .constant("gh", activate(acts[1], .local("zh"), clip: clip)),
                        .store(a(2), .local("gh")),
                        mix(.local("gh")),
                    ])]
            } else {
                // The candidate's recurrent sum reads r ⊙ h, so r comes first.
                body = gateSums(l, input: x, first: 0, count: 2 * H)
                    + [items([.store(a(0), u), .store(a(1), r)]), resetTimesH(l)]
                    + gateSums(l, input: x, first: 2 * H, count: H, read: perItem(l.resetH!, width: H))
                    + [items([.constant("gh", activate(acts[1], z(2), clip: clip)), .store(a(2), .local("gh")), mix(.local("gh"))])]
            }
        }
        let state = Address("state", l.stateH).adding("b", stride: H).adding("j", stride: 1)
        let first = { (offset: Int) in self.perItem(offset, width: H).adding("j", stride: 1) }
        let last = { (offset: Int) in self.perItem(offset + self.K * self.B * H, width: H).adding("j", stride: 1) }
        var start: [S] = [.store(first(l.h), load(state))]
        var end: [S] = [.store(state, load(last(l.h)))]
        if let c = l.c, let sc = l.stateC {
            let stateC = Address("state", sc).adding("b", stride: H).adding("j", stride: 1)
            start.append(.store(first(c), load(stateC)))
            end.append(.store(stateC, load(last(c))))
        }
        return [.comment("\(l.cell.kind.rawValue.uppercased()) layer \(l.id): \(l.I) → \(H); step 0 of h\(l.c == nil ? "" : " and c") is the carried state."),
                loop("b", B, [loop("j", H, start)]),
                loop("t", K, body),
                loop("b", B, [loop("j", H, end)])]
    }

    func backward(_ l: TrainingLayer, input x: TrainingSequence, inputGradient dx: TrainingSequence?, outputGradient dy: TrainingSequence) -> [S] {
        let H = l.H, GH = l.gates * H, o = l.cell.options, clip = o.clip
        let acts = o.activations
        let zAt = { (gate: Int) in self.load(self.perStep(l.z + gate * H, width: GH).adding("j", stride: 1)) }
        let aAt = { (gate: Int) in self.load(self.perStep(l.a + gate * H, width: GH).adding("j", stride: 1)) }
        let dgW = { (gate: Int) in self.perItem(l.dgW + gate * H, width: GH).adding("j", stride: 1) }
        let dgR = { (gate: Int) in self.perItem(l.dgR + gate * H, width: GH).adding("j", stride: 1) }
        let dNext = perItem(l.dNext, width: H).adding("j", stride: 1)
        let hPrev = perStep(l.h, width: H).adding("j", stride: 1)
        // The gradient reaching this step's h: from the stage above and from step t + 1.
        var units: [S] = [.constant("dh", load(dy.at("t", "b", "j")) + load(dNext))]
        var afterUnits: [S] = []
        /// The rows whose recurrent inputs are h itself (all but the reset-before GRU's candidate).
        var plainRows = GH
        switch l.cell.kind {
        case .rnn:
            units += [.store(dgW(0), .local("dh") * derivative(acts[0], raw: zAt(0), y: aAt(0), clip: clip)),
                      .store(dNext, .zero)]
        case .lstm:
            let dcNext = perItem(l.dcNext!, width: H).adding("j", stride: 1)
            let forgetBias = Float(o.forgetBias)
            let zf = forgetBias == 0 ? zAt(2) : zAt(2) + .literal(forgetBias)
            units += [
                .constant("gi", aAt(0)), .constant("go", aAt(1)), .constant("gf", aAt(2)), .constant("gc", aAt(3)),
                .constant("hc", load(perStep(l.hc!, width: H).adding("j", stride: 1))),
                .constant("dc", load(dcNext) + .local("dh") * .local("go")
                    * derivative(acts[2], x: load(perStep(l.c! + B * H, width: H).adding("j", stride: 1)), y: .local("hc"))),
                .store(dgW(1), .local("dh") * .local("hc") * derivative(acts[0], raw: zAt(1), y: .local("go"), clip: clip)),
                .constant("df", .local("dc") * load(perStep(l.c!, width: H).adding("j", stride: 1))),
                .store(dgW(3), .local("dc") * .local("gi") * derivative(acts[1], raw: zAt(3), y: .local("gc"), clip: clip)),
                .store(dcNext, .local("dc") * .local("gf")),
                .store(dNext, .zero),
            ]
            if o.inputForget {
                // f = 1 − i: the forget rows are unused and get no gradient.
                units += [.store(dgW(0), (.local("dc") * .local("gc") - .local("df")) * derivative(acts[0], raw: zAt(0), y: .local("gi"), clip: clip)),
                          .store(dgW(2), .zero)]
            } else {
                units += [.store(dgW(0), .local("dc") * .local("gc") * derivative(acts[0], raw: zAt(0), y: .local("gi"), clip: clip)),
                          .store(dgW(2), .local("df") * derivative(acts[0], raw: zf, y: .local("gf"), clip: clip))]
            }
        case .gru:
            units += [
                .constant("gu", aAt(0)), .constant("gh", aAt(2)),
                .constant("dzu", .local("dh") * (load(hPrev) - .local("gh")) * derivative(acts[0], raw: zAt(0), y: .local("gu"), clip: clip)),
                .constant("dzh", .local("dh") * (.one - .local("gu")) * derivative(acts[1], raw: zAt(2), y: .local("gh"), clip: clip)),
                .store(dgW(0), .local("dzu")), .store(dgR(0), .local("dzu")), .store(dgW(2), .local("dzh")),
                .store(dNext, .local("dh") * .local("gu")),
            ]
            let reset = { (dr: E) -> E in dr * self.derivative(acts[0], raw: zAt(1), y: aAt(1), clip: clip) }
            if o.linearBeforeReset {
                let n = load(perStep(l.n!, width: H).adding("j", stride: 1))
                units += [.store(dgR(2), .local("dzh") * aAt(1)),
                          .constant("dzr", reset(.local("dzh") * n)),
                          .store(dgW(1), .local("dzr")), .store(dgR(1), .local("dzr"))]
            } else {
                plainRows = 2 * H
                let dRead = perItem(l.dRead!, width: H)
                units.append(.store(dgR(2), .local("dzh")))
                // d(r ⊙ h) = R_hᵀ dzh; r and h each get their share.
                afterUnits = [
                    .rows(to: dRead, count: H, scalars: perItem(l.dgW + 2 * H, width: GH), scalarStride: 1,
                          vectors: params(l.R + 2 * H * H), vectorStride: H, over: H, add: false),
                    loop("j", H, [.constant("dzr", reset(load(dRead.adding("j", stride: 1)) * load(hPrev))),
                                  .store(dgW(1), .local("dzr")), .store(dgR(1), .local("dzr")),
                                  .accumulate(dNext, load(dRead.adding("j", stride: 1)) * aAt(1))]),
                ]
            }
        }

        // Every row's gradient reaches its biases, its weights (the items'
        // gate gradients times their inputs), h and x.
        let rowW = perItem(l.dgW, width: GH).adding("r", stride: 1)
        let rowR = perItem(l.dgR, width: GH).adding("r", stride: 1)
        var rows: [S] = [loop("b", B, [loop("r", GH, [.accumulate(grads(l.Wb).adding("r", stride: 1), load(rowW)),
                                                     .accumulate(grads(l.Rb).adding("r", stride: 1), load(rowR))])])]
        // The weight gradients, transposed: row k of dWᵀ gains Σ_b x[b][k]·dg[b].
        rows += groupedRows("k", l.I, to: work(l.dWt).adding("k", stride: GH), n: GH, scalars: x.step("t").adding("k", stride: 1), scalarStride: x.itemStride,
                            vectors: work(l.dgW), vectorStride: GH, over: B, add: true)
        rows += groupedRows("k", H, to: work(l.dRt).adding("k", stride: GH), n: plainRows, scalars: work(l.h).adding("t", stride: B * H).adding("k", stride: 1),
                            scalarStride: H, vectors: work(l.dgR), vectorStride: GH, over: B, add: true)
        if plainRows < GH {
            rows.append(resetTimesH(l))
            rows += groupedRows("k", H, to: work(l.dRt + plainRows).adding("k", stride: GH), n: GH - plainRows, scalars: work(l.resetH!).adding("k", stride: 1),
                                scalarStride: H, vectors: work(l.dgR + plainRows), vectorStride: GH, over: B, add: true)
        }
        rows += groupedRows("b", B, to: perItem(l.dNext, width: H), n: H, scalars: perItem(l.dgR, width: GH), scalarStride: 1,
                            vectors: params(l.R), vectorStride: H, over: plainRows, add: true)
        if let dx {
            rows += groupedRows("b", B, to: dx.at("t", "b", nil), n: l.I, scalars: perItem(l.dgW, width: GH), scalarStride: 1,
                                vectors: params(l.W), vectorStride: l.I, over: GH, add: false)
        }
        var reset: [S] = [loop("b", B, [loop("j", H, [.store(dNext, .zero)])])]
        if let dc = l.dcNext { reset.append(loop("b", B, [loop("j", H, [.store(perItem(dc, width: H).adding("j", stride: 1), .zero)])])) }
        reset.append(loop("i", l.I * GH, [.store(work(l.dWt).adding("i", stride: 1), .zero)]))
        reset.append(loop("i", H * GH, [.store(work(l.dRt).adding("i", stride: 1), .zero)]))
        let addBack: [S] = [
            .comment("The window's weight gradients, transposed back onto the caller's."),
            loop("r", GH, [loop("k", l.I, [.accumulate(row(grads, l.W, first: 0, columns: l.I), load(work(l.dWt).adding("k", stride: GH).adding("r", stride: 1)))])]),
            loop("r", GH, [loop("k", H, [.accumulate(row(grads, l.R, first: 0, columns: H), load(work(l.dRt).adding("k", stride: GH).adding("r", stride: 1)))])]),
        ]
        return [.comment("\(l.cell.kind.rawValue.uppercased()) layer \(l.id), backward from the window's last step (no gradient from past it).")]
            + reset
            + [.loopDown("t", count: K, [loop("b", B, [loop("j", H, units)] + afterUnits)] + rows)]
            + addBack
    }

    // MARK: - Optimizers

    /// The factor clipping by global norm: clip / ‖g‖ where ‖g‖ > clip > 0, else 1.
    func clipFactor() -> [S] {
        [.variable("sum", .zero),
         loop("i", P, [.increase("sum", load(grads(0).adding("i", stride: 1)) * load(grads(0).adding("i", stride: 1)))]),
         .constant("norm", .squareRoot(.local("sum"))),
         .constant("factor", .select(.and(.greater(.local("clip_norm"), .zero), .greater(.local("norm"), .local("clip_norm"))),
                                     .local("clip_norm") / .local("norm"), .one))]
    }

    func optimizer(_ name: String, doc: [String], state: [TrainingFunction.Parameter], scalars: [(String, String)], update: [S], prelude: [S] = []) -> TrainingFunction {
        var parameters: [TrainingFunction.Parameter] = [
            .init(name: "params", kind: .mutableFloats, doc: "\(P) floats, updated"),
            .init(name: "grads", kind: .mutableFloats, doc: "\(P) floats, zeroed after"),
        ]
        parameters += state
        parameters += scalars.map { .init(name: $0.0, kind: .scalar, doc: $0.1) }
        parameters.append(.init(name: "clip_norm", kind: .scalar, doc: "clip the gradients to this global norm first; 0 or less: no clipping"))
        let each: [S] = [.constant("g", load(grads(0).adding("i", stride: 1)) * .local("factor"))] + update
            + [.store(grads(0).adding("i", stride: 1), .zero)]
        return TrainingFunction(name: name, doc: doc + ["Then zeroes `grads` for the next batch."], parameters: parameters, returnsFloat: false,
                                body: clipFactor() + prelude + [loop("i", P, each)])
    }

    func sgd() -> TrainingFunction {
        let v = Address("velocity", 0, index: "i"), w = params(0).adding("i", stride: 1)
        return optimizer("sgd", doc: ["One step of SGD with momentum: v ← μ·v + g; w ← w − lr·v (μ = 0: plain SGD)."],
                         state: [.init(name: "velocity", kind: .mutableFloats, doc: "\(P) floats, zero at the start")],
                         scalars: [("learning_rate", "lr"), ("momentum", "μ")],
                         update: [.constant("v", .local("momentum") * load(v) + .local("g")), .store(v, .local("v")),
                                  .store(w, load(w) - .local("learning_rate") * .local("v"))])
    }

    func adagrad() -> TrainingFunction {
        let s = Address("accumulator", 0, index: "i"), w = params(0).adding("i", stride: 1)
        return optimizer("adagrad", doc: ["One step of Adagrad: a ← a + g²; w ← w − lr·g / √a (no ε, as TensorFlow's; start a at 0.1)."],
                         state: [.init(name: "accumulator", kind: .mutableFloats, doc: "\(P) floats, each 0.1 (TensorFlow's) at the start")],
                         scalars: [("learning_rate", "lr")],
                         update: [.constant("s", load(s) + .local("g") * .local("g")), .store(s, .local("s")),
                                  .store(w, load(w) - .local("learning_rate") * .local("g") / .squareRoot(.local("s")))])
    }

    func adam() -> TrainingFunction {
        let m = Address("moments", 0, index: "i"), v = Address("moments", P, index: "i"), w = params(0).adding("i", stride: 1)
        let powers = [Address("moments", 2 * P), Address("moments", 2 * P + 1)]
        let prelude: [S] = [
            .store(powers[0], load(powers[0]) * .local("beta1")), .store(powers[1], load(powers[1]) * .local("beta2")),
            .constant("correct1", .one - load(powers[0])), .constant("correct2", .one - load(powers[1])),
        ]
        return optimizer("adam", doc: ["One step of Adam: m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²;",
                                       "w ← w − lr·(m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)."],
                         state: [.init(name: "moments", kind: .mutableFloats, doc: "\(2 * P + 2) floats: m, v (zero at the start), then β₁ᵗ and β₂ᵗ (1 at the start)")],
                         scalars: [("learning_rate", "lr"), ("beta1", "β₁ (0.9)"), ("beta2", "β₂ (0.999)"), ("epsilon", "ε (1e-8)")],
                         update: [.constant("m", .local("beta1") * load(m) + (.one - .local("beta1")) * .local("g")),
                                  .constant("v", .local("beta2") * load(v) + (.one - .local("beta2")) * .local("g") * .local("g")),
                                  .store(m, .local("m")), .store(v, .local("v")),
                                  .store(w, load(w) - .local("learning_rate") * (.local("m") / .local("correct1"))
                                      / (.squareRoot(.local("v") / .local("correct2")) + .local("epsilon")))],
                         prelude: prelude)
    }
}
