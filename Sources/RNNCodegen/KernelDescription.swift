import RNNModel

/// Human-readable one-liners shared by the renderers' comments.
enum KernelDescription {
    /// What run's documentation says of its tiles (nothing without them).
    static func tileNote(_ plan: KernelPlan) -> [String] {
        guard plan.batchTile > 1 else { return [] }
        return ["Items go through each cell \(plan.batchTile) at a time, each weight read once per step for all",
                "of them. An item's result never depends on the others; it may differ from a run of the",
                "item alone by rounding, as its sums are then taken in another order."]
    }

    /// The command that generates this kernel again, every option spelled out.
    static func command(_ plan: KernelPlan) -> String {
        let o = plan.options
        var words = ["rnngen generate MODEL --lang \(o.language.rawValue) --name \(plan.name)"]
        if o.target != .host { words.append("--target \(o.target.rawValue)") }
        if o.language == .c { words.append("--lowering \(plan.lowering.rawValue)") }
        words += ["--vector-width \(plan.vectorWidth)", "--batch-tile \(plan.batchTile)", "--weights \(o.weights.rawValue)",
                  "--fma \(o.fusedMultiplyAdd.rawValue)"]
        if o.useLibm && o.language == .c { words.append("--libm") }
        if plan.weightType != .f32 { words.append("--weight-type \(plan.weightType.rawValue)") }
        if let d = o.sampleRateDelay { words.append("--sample-rate-delay \(d)") }
        return words.joined(separator: " ")
    }

    /// Literals of a table, `perRow` to a line (`    1.0f, 2.0f,`).
    static func rows(_ literals: [String], perRow: Int) -> [String] {
        stride(from: 0, to: literals.count, by: perRow).map { start in
            "    " + literals[start..<min(start + perRow, literals.count)].joined(separator: ", ") + ","
        }
    }

    /// The matrix table's codes as literal lines (`    0x3c00, …,`), the
    /// same in C and Swift: i8 in decimal, 16- and 32-bit codes in hex.
    static func matrixCodeLines(_ plan: KernelPlan) -> [String] {
        let digits = plan.matrixElementBytes * 2
        return rows(plan.matrixCodes.map { code in
            let hex = String(code, radix: 16)
            return plan.weightType.storage.decimalCodes ? String(code) : "0x" + String(repeating: "0", count: digits - hex.count) + hex
        }, perRow: max(plan.vectorWidth, 8))
    }

    /// How the matrix table stores weights, for its comment.
    static func storage(_ plan: KernelPlan, newline: String) -> String { plan.weightType.storage.describe(newline) }

    static func summary(_ plan: KernelPlan) -> String {
        var parts: [String] = ["input \(plan.inputSize)"]
        for stage in plan.stages {
            switch stage {
            case .dense(let d): parts.append("dense \(d.outputs) \(d.layer.activation)")
            case .head(let d): parts.append("head \(d.outputs) \(d.layer.activation)")
            case .activation(let a): parts.append("activation \(a.activation)")
            case .residual(let r): parts.append("residual + x[\(Array(Set(r.features)).sorted().map(String.init).joined(separator: ","))]")
            case .recurrent(let s): parts.append(stack(s))
            case .parallel(let list): parts.append("parallel(" + list.map(stack).joined(separator: " | ") + ")")
            }
        }
        return "Pipeline: " + parts.joined(separator: " → ") + "; layout \(plan.model.layout.rawValue)."
    }

    static func stack(_ s: KernelPlan.StackPlan) -> String {
        let sizes = s.stack.layers.map { String($0.cells[0].hiddenSize) }.joined(separator: ",")
        var text = "\(s.stack.kind.rawValue.uppercased())[\(sizes)] \(s.stack.direction.rawValue)"
        if s.stack.direction == .bidirectional { text += " (\(s.stack.bidirectionalForm.rawValue))" }
        return text
    }

    static func cell(_ c: KernelPlan.CellPlan) -> String {
        var text = "\(c.cell.kind.rawValue.uppercased()) \(c.id), I=\(c.I), H=\(c.H)"
        if c.Hr != c.H { text += ", projected to \(c.Hr)" }
        text += ", activations " + c.cell.options.activations.map(\.description).joined(separator: ", ")
        return text
    }

    /// What `run` writes into y past an item's length.
    static func pastLength(_ plan: KernelPlan) -> String {
        let recurrent = plan.stages.lastIndex { if case .recurrent = $0 { return true }; if case .parallel = $0 { return true }; return false }
        guard let recurrent else { return "Past an item's length y is still computed (the model has no recurrent stage)" }
        let trailing = plan.stages[(recurrent + 1)...].contains { if case .head = $0 { return false }; return true }
        return "Past an item's length y is zero\(trailing ? " (then the trailing stages run on it)" : "") and the state is carried"
    }
}
