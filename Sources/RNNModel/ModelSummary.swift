/// Sizes and costs of a model, as `rnngen inspect` reports them.
public struct ModelSummary {
    public struct Line {
        public var label: String
        public var detail: String
        public var parameters: Int
        public var flopsPerStep: Int
    }

    public var lines: [Line] = []
    public var parameters: Int { lines.reduce(0) { $0 + $1.parameters } }
    /// Bytes of the weights stored as float32.
    public var weightBytes: Int { parameters * 4 }
    /// 2 × multiply-adds of every matrix product, plus bias adds, per time step
    /// at batch 1 (activations and other element-wise work are not counted).
    public var flopsPerStep: Int { lines.reduce(0) { $0 + $1.flopsPerStep } }

    public init(_ model: Model) {
        var stackIndex = 0
        for (index, stage) in model.stages.enumerated() {
            switch stage {
            case .dense(let d): lines.append(Self.dense(d, label: "stage \(index) dense", everyStep: true))
            case .head(let d): lines.append(Self.dense(d, label: "stage \(index) head", everyStep: false))
            case .recurrent(let stack):
                lines += Self.stack(stack, label: "stage \(index) stack s\(stackIndex)")
                stackIndex += 1
            case .parallel(let stacks):
                for stack in stacks {
                    lines += Self.stack(stack, label: "stage \(index) parallel stack s\(stackIndex)")
                    stackIndex += 1
                }
            case .activation(let a):
                lines.append(Line(label: "stage \(index) activation", detail: "\(a), every step", parameters: a.slopes?.count ?? 0, flopsPerStep: 0))
            case .residual(let r):
                let added = r.features.count == 1 ? "x[\(r.features[0])] added to every output" : "x[\(r.features.map(String.init).joined(separator: ", "))] added to the outputs"
                lines.append(Line(label: "stage \(index) residual", detail: added + ", every step", parameters: 0, flopsPerStep: 0))
            }
        }
    }

    static func dense(_ d: DenseLayer, label: String, everyStep: Bool) -> Line {
        let params = d.weight.count + (d.bias?.count ?? 0) + (d.activation.slopes?.count ?? 0)
        let detail = "\(d.inputSize) → \(d.outputSize), activation \(d.activation)\(everyStep ? ", every step" : ", on the final state")"
        return Line(label: label, detail: detail, parameters: params,
                    flopsPerStep: everyStep ? 2 * d.weight.count + (d.bias?.count ?? 0) : 0)
    }

    static func stack(_ stack: RecurrentStack, label: String) -> [Line] {
        var lines: [Line] = []
        for (k, layer) in stack.layers.enumerated() {
            for (d, cell) in layer.cells.enumerated() {
                let w = cell.weights
                let params = w.input.count + w.recurrent.count + w.inputBias.count + w.recurrentBias.count
                    + (w.peephole?.count ?? 0) + (w.projection?.count ?? 0)
                let flops = 2 * (w.input.count + w.recurrent.count + (w.projection?.count ?? 0)) + 2 * w.inputBias.count
                var options: [String] = ["activations " + cell.options.activations.map(\.description).joined(separator: ", ")]
                if let clip = cell.options.clip { options.append("clip \(Float(clip))") }
                if let clip = cell.options.cellClip { options.append("cell_clip \(Float(clip))") }
                if cell.options.inputForget { options.append("input_forget") }
                if cell.options.forgetBias != 0 { options.append("forget_bias \(cell.options.forgetBias)") }
                if cell.kind == .gru { options.append("linear_before_reset \(cell.options.linearBeforeReset ? 1 : 0)") }
                if w.peephole != nil { options.append("peepholes") }
                if let d = cell.options.sampleRateDelay { options.append("sample_rate_delay \(d) (keeps \(cell.stateHistory) states)") }
                if let p = w.projection { options.append("projection \(p.shape[0])") }
                let direction = stack.isReverse(direction: d) ? "bw" : "fw"
                let detail = "\(cell.kind.rawValue.uppercased()) \(direction) I=\(cell.inputSize) H=\(cell.hiddenSize); " + options.joined(separator: "; ")
                lines.append(Line(label: "\(label) layer \(k) \(direction)", detail: detail, parameters: params, flopsPerStep: flops))
            }
        }
        return lines
    }
}
