import RNNModel

/// Lowers the kernel's API — state reset, set and get, `step`, `head` and
/// `run` — to functions of the same `KernelProgram` as the hot code, so
/// every rule (which buffer a stage reads, how sequence lengths are clamped,
/// what a length-0 item's state is, how a tile of items goes through `run`)
/// is decided here once for both languages.
///
/// The caller's state is addressed from the base `state` at each slot's
/// padded offset (`KernelPlan.StateSlot.paddedOffset`); `run` keeps a tile
/// of items' states the same way in its scratch `states`, one padded state
/// (`P` floats) apart.
extension KernelLowering {
    var apiFunctions: [KernelFunction] {
        var functions = [resetState, setState, getState]
        if plan.supportsStep {
            functions += [step, process]
            if plan.head != nil { functions.append(headOnState) }
        }
        functions.append(run)
        return functions
    }

    /// `count` floats copied, or zeroed where `from` is nil.
    func copy(_ count: Int, to: Address, from: Address?) -> KernelStatement {
        .loop(index: "k", count: count, step: 1, [.copyFloat(to: to.lane("k"), from: from?.lane("k"))])
    }

    func stateSlot(_ slot: Int, in base: String = "state", plus extra: Int = 0) -> Address {
        Address(base, plan.states[slot].paddedOffset + extra)
    }

    var stateParameter: KernelFunction.Parameter { .init(name: "state", kind: .state(mutable: true)) }

    /// A model without recurrent stages has no state: its state functions
    /// take the state (and flat state) all the same and touch nothing.
    var stateless: Bool { plan.states.isEmpty }

    var resetState: KernelFunction {
        KernelFunction(role: .reset, name: "reset", doc: ["Zeroes every state."], parameters: [stateParameter], scratch: [],
                       body: stateless ? [.unused("state")] : plan.states.indices.map { copy(plan.states[$0].paddedSize, to: stateSlot($0), from: nil) })
    }

    var setState: KernelFunction {
        var body = plan.states.indices.map { copy(plan.states[$0].paddedSize, to: stateSlot($0), from: nil) }
        body += plan.states.indices.map { copy(plan.states[$0].size, to: stateSlot($0), from: Address("flat", plan.states[$0].offset)) }
        return KernelFunction(role: .setState, name: "set_state", doc: ["Copies a flattened state into the state; padding is zeroed."],
                              parameters: [stateParameter, .init(name: "flat", kind: .input(restrict: false))], scratch: [],
                              body: stateless ? [.unused("state"), .unused("flat")] : body)
    }

    var getState: KernelFunction {
        KernelFunction(role: .getState, name: "get_state", doc: ["Copies the state out to a flattened one."],
                       parameters: [.init(name: "state", kind: .state(mutable: false)), .init(name: "flat", kind: .output(restrict: false))], scratch: [],
                       body: stateless ? [.unused("state"), .unused("flat")]
                           : plan.states.indices.map { copy(plan.states[$0].size, to: Address("flat", plan.states[$0].offset), from: stateSlot($0)) })
    }

    // MARK: step and head

    /// One step at batch 1: each stage reads the previous one's output
    /// from `x` or one of two rows of `buffers`. A single stack as the last
    /// stage copies its top h straight into y once it has read its input,
    /// so y may still be x; parallel stacks all read the input first, and a
    /// dense stage writes whole vectors: those go through a buffer, copied
    /// into y at the end.
    var step: KernelFunction {
        let x = Address("x"), y = Address("y")
        let rowFloats = KernelPlan.roundUp(plan.maxWidth, width)
        let last = plan.stages.lastIndex { if case .head = $0 { return false } else { return true } }
        var body: [KernelStatement] = []
        var input = x, next = 0, usesBuffers = false, output = y
        for (index, stage) in plan.stages.enumerated() {
            let buffer = Address("buffers", next * rowFloats)
            switch stage {
            case .dense(let d):
                body.append(.call("dense_\(d.id)", weightArguments + [.address(input), .address(buffer)]))
                output = buffer
            case .activation(let a):
                body.append(.call("activation_\(a.id)", (a.slopes != nil ? [.address(Address("wt"))] : []) + [.address(input), .address(buffer)]))
                output = buffer
            case .recurrent(let s) where index == last:
                body += stepStack(s, input: input, into: y)
                output = y
            case .recurrent(let s):
                body += stepStack(s, input: input, into: buffer)
                output = buffer
            case .parallel(let list):
                var offset = 0
                for s in list {
                    body += stepStack(s, input: input, into: Address("buffers", next * rowFloats + offset))
                    offset += s.outputSize
                }
                output = buffer
            case .residual(let r):
                // In place on a buffer; the caller's x (this stage first) is copied into one.
                if input.base == "buffers" {
                    body += addResidual(r, to: input, from: x)
                    usesBuffers = true
                    continue
                }
                body.append(copy(r.features.count, to: buffer, from: input))
                body += addResidual(r, to: buffer, from: x)
                output = buffer
            case .head:
                continue
            }
            if output.base == "buffers" { usesBuffers = true }
            input = output
            next = 1 - next
        }
        if output != y { body.append(copy(plan.outputSize, to: y, from: output)) }
        if stateless { body.insert(.unused("state"), at: 0) }
        return KernelFunction(
            role: .step, name: "step", doc: ["One time step at batch 1, the real-time path."],
            parameters: [stateParameter, .init(name: "x", kind: .input(restrict: false)), .init(name: "y", kind: .output(restrict: false))],
            scratch: (usesBuffers ? [("buffers", 2 * rowFloats)] : []) + delayScratch, body: body, readsWeights: true)
    }

    /// `frames` steps over interleaved frames: `input` holds `frames` rows of
    /// `inputSize` floats, `output` gets as many rows of `outputSize`; one
    /// call for a whole audio buffer, which calls the step per frame. (Its
    /// body written into the loop would double a C kernel's compile time —
    /// compilers inline the static cell functions into each caller — for a
    /// call that costs a few instructions against the step's hundreds.)
    /// Frame f is read before it is written, as the step does, so with as
    /// many outputs as inputs the two may be one buffer.
    var process: KernelFunction {
        let x = Address("input", index: "f", stride: plan.inputSize), y = Address("output", index: "f", stride: plan.outputSize)
        return KernelFunction(
            role: .process, name: "process", doc: ["Steps over a buffer of interleaved frames."],
            parameters: [stateParameter, .init(name: "input", kind: .input(restrict: false), label: "_"),
                         .init(name: "output", kind: .output(restrict: false), label: "into"), .init(name: "frames", kind: .count)],
            scratch: [], body: [.range(index: "f", from: "0", to: "frames", [.callStep(x: x, y: y)])])
    }

    /// `to[j] += from[features[j]]` for every output j: one loop where the
    /// features are one for all or consecutive, a line each otherwise.
    func addResidual(_ r: KernelPlan.ResidualPlan, to: Address, from: Address) -> [KernelStatement] {
        let n = r.features.count, first = r.features[0]
        if r.features.allSatisfy({ $0 == first }) {
            return [.loop(index: "k", count: n, step: 1, [.addFloat(to: to.lane("k"), from: from.plus(first))])]
        }
        if r.features == Array(first..<(first + n)) {
            return [.loop(index: "k", count: n, step: 1, [.addFloat(to: to.lane("k"), from: from.plus(first).lane("k"))])]
        }
        return r.features.enumerated().map { j, f in .addFloat(to: to.plus(j), from: from.plus(f)) }
    }

    /// One step of a forward stack from `input`; its top h is copied to `into`.
    func stepStack(_ s: KernelPlan.StackPlan, input: Address, into: Address) -> [KernelStatement] {
        var body: [KernelStatement] = []
        var input = input
        for layer in s.cells {
            let c = plan.cells[layer[0]]
            if c.cell.delay != nil {
                // The output, the state the next step reads, goes through `ho`.
                body += delayedStep(c, input: input, hHistory: stateSlot(c.hSlot), cHistory: c.cSlot.map { stateSlot($0) }, output: Address("ho"))
                input = Address("ho")
                continue
            }
            var args = weightArguments + [.address(input), .address(stateSlot(c.hSlot))]
            if let slot = c.cSlot { args.append(.address(stateSlot(slot))) }
            body.append(.call("cell_\(c.id)", args))
            input = stateSlot(c.hSlot)
        }
        let top = plan.cells[s.cells.last![0]]
        return body + [copy(top.Hr, to: into, from: input)]
    }

    /// Scratch of the steps of cells with sample-rate correction: the state
    /// read (`hr`, `cr`, aligned and padded for the cell step) and the
    /// output (`ho`).
    var delayScratch: [(name: String, floats: Int)] {
        let delayed = plan.cells.filter { $0.cell.delay != nil }
        guard !delayed.isEmpty else { return [] }
        let h = delayed.map(\.Hrp).max()!
        let cells = delayed.filter { $0.cSlot != nil }.map(\.Hp)
        return [("hr", h)] + (cells.isEmpty ? [] : [("cr", cells.max()!)]) + [("ho", h)]
    }

    /// One step of a cell with sample-rate correction, on its history of
    /// states kept newest first at `hHistory` (and `cHistory`): the state
    /// `d` steps back read into `hr` (`cr`) — interpolated where `d` has a
    /// fraction —, the cell stepped on it, the new state shifted into the
    /// history, and the state the next step will read written to `output`.
    func delayedStep(_ c: KernelPlan.CellPlan, input: Address, hHistory: Address, cHistory: Address?, output: Address) -> [KernelStatement] {
        let delay = c.cell.delay!
        let n = delay.whole, m = delay.history, fraction = Float(delay.fraction)
        func entry(_ history: Address, _ k: Int, _ size: Int) -> Address { history.plus(k * size) }
        func read(_ history: Address, _ size: Int, into: Address) -> KernelStatement {
            let newer = entry(history, n - 1, size), older = entry(history, n, size)
            return .loop(index: "k", count: size, step: 1, [
                fraction == 0 ? .copyFloat(to: into.lane("k"), from: newer.lane("k"))
                    : .blend(to: into.lane("k"), newer: newer.lane("k"), older: older.lane("k"), fraction: fraction),
            ])
        }
        func padding(_ name: String, used: Int, padded: Int) -> [KernelStatement] {
            padded > used ? [copy(padded - used, to: Address(name, used), from: nil)] : []
        }
        func shift(_ history: Address, _ size: Int, newest: Address) -> [KernelStatement] {
            (1..<max(m, 1)).reversed().map { k in copy(size, to: entry(history, k, size), from: entry(history, k - 1, size)) }
                + [copy(size, to: history, from: newest)]
        }
        var body = [read(hHistory, c.Hr, into: Address("hr"))] + padding("hr", used: c.Hr, padded: c.Hrp)
        var args = weightArguments + [.address(input), .address(Address("hr"))]
        if let cHistory {
            body += [read(cHistory, c.H, into: Address("cr"))] + padding("cr", used: c.H, padded: c.Hp)
            args.append(.address(Address("cr")))
        }
        body.append(.call("cell_\(c.id)", args))
        body += shift(hHistory, c.Hr, newest: Address("hr"))
        if let cHistory { body += shift(cHistory, c.H, newest: Address("cr")) }
        body.append(read(hHistory, c.Hr, into: output))
        return body
    }

    /// The head's input gathered from the states at `base` (its last layers' h).
    func gatherHead(from base: String) -> [KernelStatement] {
        plan.headGather.map { copy($0.count, to: Address("gathered", $0.offset), from: stateSlot($0.slot, in: base)) }
    }

    var headScratch: (name: String, floats: Int) { ("gathered", KernelPlan.roundUp(plan.head!.inputs, width)) }

    var headOnState: KernelFunction {
        KernelFunction(
            role: .head, name: "head", doc: ["The head on the current state (the last step's h)."],
            parameters: [.init(name: "state", kind: .state(mutable: false)), .init(name: "out", kind: .output(restrict: false), label: "into")],
            scratch: [headScratch],
            body: gatherHead(from: "state") + [.call("dense_head", weightArguments + [.address(Address("gathered")), .address(Address("out"))])],
            readsWeights: true)
    }

    // MARK: run

    /// Whole sequences, a tile of `plan.batchTile` items at a time: their
    /// lengths clamped to 0…steps, their states set from `initial_state`
    /// (zeros without it), the pipeline run over the tile through the
    /// sequence buffers, then each item's final state and head.
    var run: KernelFunction {
        let T = plan.batchTile, P = plan.paddedStateFloats, S = plan.stateFloats
        var tile: [KernelStatement] = [.integer("items", .minimum("batch - first", "\(T)")), .integers("len", count: T)]
        if T > 1 { tile.append(.variableInteger("longest", "0")) }
        var setUp: [KernelStatement] = [.integer("b", "first + i")]
        if !stateless { setUp.append(copy(P, to: Address("states", index: "i", stride: P), from: nil)) }
        var given: [KernelStatement] = [.setInteger("len[i]", .element(of: "sequence_lengths", at: "b", otherwise: "steps")),
                                        .setInteger("len[i]", .clamp("len[i]", low: "0", high: "steps"))]
        given.append(.whenPresent("initial_state", plan.states.indices.map { slot in
            copy(plan.states[slot].size, to: stateSlot(slot, in: "states").adding("i", stride: P),
                 from: Address("initial_state", plan.states[slot].offset, index: "b", stride: S))
        }))
        setUp.append(.when("i < items", given))
        if T > 1 { setUp.append(.setInteger("longest", .maximum("longest", "len[i]"))) }
        tile.append(.loop(index: "i", count: T, step: 1, setUp))
        tile += pipeline()
        tile.append(.range(index: "i", from: "0", to: "items", finish))

        let buffers = (0..<KernelPlan.sequenceBuffers).filter { k in tile.contains { $0.mentions("buffer\(k)") } }
        var body: [KernelStatement] = [.comment("One item's rows of a sequence buffer: steps rows of \(plan.maxWidth) floats."),
                                       .integer("span", .product(.widened("steps"), plan.maxWidth))]
        body += buffers.map { .pointer("buffer\($0)", $0 == 0 ? Address("workspace") : Address("workspace", index: "span", stride: $0 * T)) }
        body.append(.range(index: "first", from: "0", to: "batch", tile, by: T))

        var parameters: [KernelFunction.Parameter] = [
            .init(name: "x", kind: .input(restrict: false)), .init(name: "batch", kind: .count), .init(name: "steps", kind: .count),
            .init(name: "sequence_lengths", kind: .lengths), .init(name: "initial_state", kind: .optionalInput),
            .init(name: "y", kind: .output(restrict: false)), .init(name: "final_state", kind: .optionalOutput),
        ]
        if plan.head != nil { parameters.append(.init(name: "head", kind: .optionalOutput)) }
        parameters.append(.init(name: "workspace", kind: .output(restrict: false)))
        var scratch: [(name: String, floats: Int)] = stateless ? [] : [("states", T * P)]
        if plan.head != nil { scratch.append(headScratch) }
        return KernelFunction(role: .run, name: "run", doc: ["Runs whole sequences."], parameters: parameters, scratch: scratch,
                              body: body, readsWeights: true)
    }

    /// After a tile's sequences: each item's final state (zero for a
    /// length-0 item where the model says so) and its head.
    var finish: [KernelStatement] {
        let P = plan.paddedStateFloats, S = plan.stateFloats
        // A stateless model has no head (a head reads a recurrent state) and nothing to hand back.
        guard !stateless else { return [.whenPresent("final_state", [])] }
        var body: [KernelStatement] = [.integer("b", "first + i"), .pointer("item", Address("states", index: "i", stride: P))]
        if plan.model.zeroLengthState == .zero && !stateless { body.append(.when("len[i] == 0", [copy(P, to: Address("item"), from: nil)])) }
        body.append(.whenPresent("final_state", plan.states.indices.map { slot in
            copy(plan.states[slot].size, to: Address("final_state", plan.states[slot].offset, index: "b", stride: S), from: stateSlot(slot, in: "item"))
        }))
        if let head = plan.head {
            body.append(.whenPresent("head", gatherHead(from: "item") + [
                .call("dense_head", weightArguments + [.address(Address("gathered")), .address(Address("head", index: "b", stride: head.outputs))]),
            ]))
        }
        return body
    }

    /// The pipeline over one tile as statements on four sequence buffers
    /// (`buffer0`…, each `[tile][steps][maxWidth]` in the workspace): the
    /// input copied in, each stage reading one buffer and writing a free
    /// one, the output copied out.
    func pipeline() -> [KernelStatement] {
        let M = plan.maxWidth, T = plan.batchTile
        let timeMajor = plan.model.layout == .timeMajor
        /// Where item i's row t of the caller's x or y starts.
        func row(_ base: String, _ features: Int) -> Address { Address(base, index: timeMajor ? "t * batch + b" : "b * steps + t", stride: features) }
        /// Item i's row t of sequence buffer k.
        func rows(_ k: Int, _ time: String = "t") -> Address { Address("buffer\(k)", index: "i * steps + \(time)", stride: M) }
        func eachRow(_ body: [KernelStatement], counting: String = "items") -> KernelStatement {
            .range(index: "i", from: "0", to: counting, [.integer("b", "first + i"), .range(index: "t", from: "0", to: "steps", body)])
        }
        var out: [KernelStatement] = []
        func free(excluding used: [Int]) -> Int { (0..<KernelPlan.sequenceBuffers).first { !used.contains($0) }! }

        func cell(_ index: Int, from: Int, to: Int, offset: Int) {
            let c = plan.cells[index]
            var state: [Argument] = [.address(stateSlot(c.hSlot, in: "states"))]
            if let slot = c.cSlot { state.append(.address(stateSlot(slot, in: "states"))) }
            let buffers: [Argument] = [.address(Address("buffer\(from)")), .address(Address("buffer\(to)")), .integer("\(offset)"), .integer("steps")]
            let single = KernelStatement.call("sequence_\(c.id)", weightArguments + buffers + [.integer("len[0]")] + state)
            guard T > 1 else { return out.append(single) }
            let lens = (0..<T).map { Argument.integer("len[\($0)]") }
            out.append(.when("items == 1", [single], otherwise: [
                .call("sequence_tile_\(c.id)", weightArguments + buffers + [.integer("span")] + lens + [.integer("longest")] + state),
            ]))
        }
        /// Layers of cells (each layer's cells write side by side) from `input` into `output` at `offset`.
        func chain(_ layers: [[Int]], input: Int, output: Int, offset: Int) {
            var source = input
            for (k, layer) in layers.enumerated() {
                let last = k == layers.count - 1
                let destination = last ? output : free(excluding: [input, output, source])
                var column = last ? offset : 0
                for index in layer {
                    cell(index, from: source, to: destination, offset: column)
                    column += plan.cells[index].Hr
                }
                source = destination
            }
        }
        func stack(_ s: KernelPlan.StackPlan, input: Int, output: Int, offset: Int) {
            if s.stack.direction == .bidirectional && s.stack.bidirectionalForm == .separateStacks {
                chain(s.cells.map { [$0[0]] }, input: input, output: output, offset: offset)
                chain(s.cells.map { [$0[1]] }, input: input, output: output, offset: offset + plan.cells[s.cells.last![0]].Hr)
            } else {
                chain(s.cells, input: input, output: output, offset: offset)
            }
            if s.stack.outputInProcessingOrder {
                // Keras go_backwards: the item's valid rows in reverse.
                var first = rows(output), second = rows(output, "len[i] - 1 - t")
                first.offset += offset
                second.offset += offset
                out.append(.range(index: "i", from: "0", to: "items", [
                    .range(index: "t", from: "0", to: "len[i] / 2", [
                        .loop(index: "k", count: s.outputSize, step: 1, [.swap(first.lane("k"), second.lane("k"))]),
                    ]),
                ]))
            }
        }

        out.append(eachRow([copy(plan.inputSize, to: rows(0), from: row("x", plan.inputSize))]))
        var current = 0
        for stage in plan.stages {
            let next = free(excluding: [current])
            switch stage {
            case .dense(let d):
                out.append(.range(index: "i", from: "0", to: "items", [
                    .range(index: "t", from: "0", to: "steps", [.call("dense_\(d.id)", weightArguments + [.address(rows(current)), .address(rows(next))])]),
                ]))
            case .activation(let a):
                let tables: [Argument] = a.slopes != nil ? [.address(Address("wt"))] : []
                out.append(.range(index: "i", from: "0", to: "items", [
                    .range(index: "t", from: "0", to: "steps", [.call("activation_\(a.id)", tables + [.address(rows(current)), .address(rows(next))])]),
                ]))
            case .residual(let r):
                out.append(eachRow(addResidual(r, to: rows(current), from: row("x", plan.inputSize))))
                continue
            case .recurrent(let s):
                stack(s, input: current, output: next, offset: 0)
            case .parallel(let list):
                var offset = 0
                for s in list {
                    stack(s, input: current, output: next, offset: offset)
                    offset += s.outputSize
                }
            case .head:
                continue
            }
            current = next
        }
        out.append(eachRow([copy(plan.outputSize, to: row("y", plan.outputSize), from: rows(current))]))
        return out
    }
}

extension KernelPlan {
    /// The sequence buffers `run` moves a tile through.
    public static let sequenceBuffers = 4

    /// Floats of `run`'s workspace per time step of the sequences: the
    /// sequence buffers of one tile of items.
    public var workspaceFloatsPerStep: Int { KernelPlan.sequenceBuffers * batchTile * maxWidth }
}

extension KernelStatement {
    /// Whether the statement, or one nested in it, names `base` (an address's base or a call's argument).
    func mentions(_ base: String) -> Bool {
        func named(_ a: Address) -> Bool { a.base == base }
        switch self {
        case .copyFloat(let to, let from): return named(to) || from.map(named) == true
        case .swap(let a, let b): return named(a) || named(b)
        case .pointer(_, let a): return named(a)
        case .call(_, let args): return args.contains { if case .address(let a) = $0 { return named(a) } else { return false } }
        default: return children.contains { $0.mentions(base) }
        }
    }
}
