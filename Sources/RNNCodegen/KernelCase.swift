import RNNModel

/// The inputs of one call of a kernel, written into a program as constants.
/// Golden checks compare what the kernel makes of them with outputs recorded
/// beside them; target programs (`rnngen verify --target`) print it instead.
public struct KernelCase {
    public var name: String
    /// Through `step` (streaming, every step of every item, no padding)
    /// instead of `run`.
    public var streaming: Bool
    public var batch: Int
    public var steps: Int
    /// In the model's layout: `[steps][batch][inputs]` time-major, else `[batch][steps][inputs]`.
    public var x: [Float]
    public var sequenceLengths: [Int32]?
    /// Flattened `[batch][stateFloats]`, or nil for zeros.
    public var initialState: [Float]?

    public init(name: String, streaming: Bool, batch: Int, steps: Int, x: [Float], sequenceLengths: [Int32]?, initialState: [Float]?) {
        self.name = name
        self.streaming = streaming
        self.batch = batch
        self.steps = steps
        self.x = x
        self.sequenceLengths = sequenceLengths
        self.initialState = initialState
    }

    /// Floats the case's outputs take: `y`, the final state, the head's output (0 without a head).
    public func outputFloats(_ plan: KernelPlan) -> (y: Int, finalState: Int, head: Int) {
        (batch * steps * plan.outputSize, batch * plan.stateFloats, batch * (plan.head?.outputs ?? 0))
    }
}

/// How a program spells running a `KernelCase`, shared by the golden checks
/// and the target programs so that both call the kernel the same way.
enum KernelCaseRenderer {
    static func cArray(_ name: String, _ values: [Float], attributes: String = "") -> String {
        "static const float \(attributes)\(name)[\(max(values.count, 1))] = {" + (values.isEmpty ? "0.0f" : values.map(Literal.cFloat).joined(separator: ", ")) + "};"
    }

    static func swiftArray(_ name: String, _ values: [Float]) -> String {
        "fileprivate let \(name): InlineArray<\(max(values.count, 1)), Float> = [" + (values.isEmpty ? "0" : values.map(Literal.float).joined(separator: ", ")) + "]"
    }

    /// C buffers every case writes its outputs into, sized for the largest:
    /// `out_y`, `out_final`, `out_head` (with a head), `out_workspace` (when a case calls `run`).
    static func cBuffers(_ plan: KernelPlan, _ cases: [KernelCase]) -> [String] {
        let sizes = cases.map { $0.outputFloats(plan) }
        var lines = ["static float out_y[\(max(1, sizes.map(\.y).max() ?? 1))], out_final[\(max(1, sizes.map(\.finalState).max() ?? 1))];"]
        if plan.head != nil { lines.append("static float out_head[\(max(1, sizes.map(\.head).max() ?? 1))];") }
        if let steps = cases.filter({ !$0.streaming }).map(\.steps).max() {
            lines.append("static float out_workspace[\(plan.name)_WORKSPACE_FLOATS(\(max(steps, 1)))];")
        }
        return lines
    }

    /// C constants holding the case's inputs, named `PREFIX_x`, `PREFIX_lengths`, `PREFIX_initial`.
    static func cInputs(_ c: KernelCase, prefix p: String) -> [String] {
        var lines = [cArray("\(p)_x", c.x)]
        if let initial = c.initialState { lines.append(cArray("\(p)_initial", initial)) }
        if let lengths = c.sequenceLengths {
            lines.append("static const int32_t \(p)_lengths[\(lengths.count)] = {" + lengths.map(String.init).joined(separator: ", ") + "};")
        }
        return lines
    }

    /// C statements that run the case into `out_y`, `out_final` and (with a
    /// head) `out_head`; `run` works in `out_workspace`.
    static func cRun(_ plan: KernelPlan, _ c: KernelCase, prefix p: String, weights: String) -> [String] {
        let name = plan.name, headArg = plan.head != nil ? "out_head, " : ""
        guard c.streaming else {
            return ["        \(name)_run(\(weights)\(p)_x, \(c.batch), \(c.steps), \(c.sequenceLengths != nil ? "\(p)_lengths" : "0"), "
                    + "\(c.initialState != nil ? "\(p)_initial" : "0"), out_y, out_final, \(headArg)out_workspace);"]
        }
        let row = plan.model.layout == .timeMajor ? "(t * \(c.batch) + b)" : "(b * \(c.steps) + t)"
        var lines = [
            "        for (int b = 0; b < \(c.batch); ++b) {",
            "            \(name)_state state;",
            c.initialState != nil ? "            \(name)_set_state(&state, \(p)_initial + b * \(plan.stateFloats));" : "            \(name)_reset(&state);",
            "            for (int t = 0; t < \(c.steps); ++t) \(name)_step(\(weights)&state, \(p)_x + \(row) * \(plan.inputSize), out_y + \(row) * \(plan.outputSize));",
            "            \(name)_get_state(&state, out_final + b * \(plan.stateFloats));",
        ]
        if let head = plan.head { lines.append("            \(name)_head(\(weights)&state, out_head + b * \(head.outputs));") }
        lines.append("        }")
        return lines
    }

    /// Swift constants holding the case's inputs, named `PREFIXX`, `PREFIXLengths`, `PREFIXInitial`.
    static func swiftInputs(_ c: KernelCase, prefix p: String) -> [String] {
        var lines = [swiftArray("\(p)X", c.x)]
        if let initial = c.initialState { lines.append(swiftArray("\(p)Initial", initial)) }
        if let lengths = c.sequenceLengths {
            lines.append("fileprivate let \(p)Lengths: InlineArray<\(lengths.count), Int32> = [" + lengths.map(String.init).joined(separator: ", ") + "]")
        }
        return lines
    }

    /// Opens a scope (closed by the caller with `        }`) holding stack
    /// scratch for the case: pointers `y`, `finalState`, `head` and `workspace`.
    /// Needs `withScratch` (`swiftScratchFunction`) in the file.
    static func swiftScratchScope(_ plan: KernelPlan, _ c: KernelCase) -> [String] {
        let sizes = c.outputFloats(plan)
        let scratch = sizes.y + sizes.finalState + sizes.head + (c.streaming ? 0 : c.steps * plan.workspaceFloatsPerStep)
        return ["        withScratch(InlineArray<\(max(scratch, 1)), Float>.self) { scratch in",
                "            let y = scratch, finalState = y + \(sizes.y), head = finalState + \(sizes.finalState), workspace = head + \(sizes.head)",
                "            _ = head; _ = workspace"]
    }

    /// The stack scratch `swiftScratchScope` uses: an InlineArray, never the heap.
    static let swiftScratchFunction = """
        /// Stack scratch of `count` floats: an InlineArray, never the heap.
        @inline(__always) fileprivate func withScratch<let count: Int, R>(_ type: InlineArray<count, Float>.Type, _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
            var storage = InlineArray<count, Float>(repeating: 0)
            return withUnsafeMutablePointer(to: &storage) { raw in
                UnsafeMutableRawPointer(raw).withMemoryRebound(to: Float.self, capacity: count) { body($0) }
            }
        }
        """

    /// Swift statements, inside a scope holding pointers `y`, `finalState`,
    /// `head` and `workspace`, that run the case into them.
    static func swiftRun(_ plan: KernelPlan, _ c: KernelCase, prefix p: String, weights: String) -> [String] {
        let type = plan.swiftTypeName
        var lines = ["            \(p)X.span.withUnsafeBufferPointer { x in"]
        var close = ["            }"]
        if c.initialState != nil {
            lines.append("            \(p)Initial.span.withUnsafeBufferPointer { initial in")
            close.insert("            }", at: 0)
        }
        if c.sequenceLengths != nil {
            lines.append("            \(p)Lengths.span.withUnsafeBufferPointer { lengths in")
            close.insert("            }", at: 0)
        }
        if c.streaming {
            let row = plan.model.layout == .timeMajor ? "(t * \(c.batch) + b)" : "(b * \(c.steps) + t)"
            lines.append("                for b in 0..<\(c.batch) {")
            lines.append("                    var model = \(type)(\(c.initialState != nil ? "state: \(type).State(flattened: initial.baseAddress! + b * \(plan.stateFloats))" : ""))")
            lines.append("                    for t in 0..<\(c.steps) { model.step(\(weights)x: x.baseAddress! + \(row) * \(plan.inputSize), y: y + \(row) * \(plan.outputSize)) }")
            lines.append("                    model.state.flatten(into: finalState + b * \(plan.stateFloats))")
            if let head = plan.head { lines.append("                    model.head(\(weights)into: head + b * \(head.outputs))") }
            lines.append("                }")
        } else {
            let headArg = plan.head != nil ? "head: head, " : ""
            lines.append("                \(type).run(\(weights)x: x.baseAddress!, batch: \(c.batch), steps: \(c.steps), sequenceLengths: \(c.sequenceLengths != nil ? "lengths.baseAddress!" : "nil"), "
                         + "initialState: \(c.initialState != nil ? "initial.baseAddress!" : "nil"), y: y, finalState: finalState, \(headArg)workspace: workspace)")
        }
        return lines + close
    }
}
