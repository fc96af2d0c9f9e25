import Foundation

/// Writes a quantized model as a description (`NAME.rnn.json`) with its
/// weights beside it as float64 `.npy` files, so a quantized model is a file
/// to read, diff and regenerate: the real weights exactly as the model holds
/// them and, per layer, the `quantization` block (docs/description-format.md,
/// "Quantization"). Output is deterministic, byte for byte.
public enum QuantizedDescription {
    /// The files to write, by name: the description first, then the weights.
    public static func files(for model: Model) throws -> [(name: String, bytes: [UInt8])] {
        try model.validate()
        guard model.isQuantized else { throw RNNError(at: "model \(Quote.text(model.name))", "has no quantization to write") }
        var files: [(String, [UInt8])] = []
        var stages: [String] = []
        for (s, stage) in model.stages.enumerated() {
            guard case .recurrent(let stack) = stage else { throw RNNError(at: "stage \(s)", "only recurrent stacks are written") }
            var weights: [String] = [], quantizations: [String] = []
            for (l, layer) in stack.layers.enumerated() {
                let cell = layer.cells[0]
                guard let q = cell.quantization else { throw RNNError(at: "stage \(s) layer \(l)", "has no quantization") }
                let prefix = "s\(s)_l\(l)_"
                let B = Tensor(shape: [2 * cell.weights.inputBias.count], elementType: .float64,
                               values: cell.weights.inputBias.values + cell.weights.recurrentBias.values)
                for (name, tensor) in [("W", cell.weights.input), ("R", cell.weights.recurrent), ("B", B)] {
                    var t = tensor
                    t.elementType = .float64
                    files.append((prefix + name + ".npy", NPY.encode(t)))
                }
                weights.append("{\"W\": \"\(prefix)W.npy\", \"R\": \"\(prefix)R.npy\", \"B\": \"\(prefix)B.npy\"}")
                quantizations.append("""
                {"input": \(affine(q.input)), "hidden": \(affine(q.hidden)), "cell_exponent": \(q.cellExponent),
                          "input_weight_scales": \(list(q.inputWeightScales)),
                          "recurrent_weight_scales": \(list(q.recurrentWeightScales))}
                """)
            }
            let cell = stack.layers[0].cells[0]
            var fields = ["\"cell\": \"\(cell.kind.rawValue)\"", "\"direction\": \"\(stack.direction.rawValue)\"",
                          "\"hidden_sizes\": [\(stack.layers.map { String($0.cells[0].hiddenSize) }.joined(separator: ", "))]"]
            if let clip = cell.options.cellClip { fields.append("\"cell_clip\": \(number(clip))") }
            if cell.kind == .gru { fields.append("\"linear_before_reset\": \(cell.options.linearBeforeReset)") }
            fields.append("\"weights\": [\n        " + weights.joined(separator: ",\n        ") + "\n      ]")
            fields.append("\"quantization\": [\n        " + quantizations.joined(separator: ",\n        ") + "\n      ]")
            stages.append("    {\"recurrent\": {\n      " + fields.joined(separator: ",\n      ") + "\n    }}")
        }
        let text = """
        {
          "rnngen": 1,
          "name": "\(model.name)",
          "input_size": \(model.inputSize),
          "layout": "\(model.layout.rawValue)",
          "zero_length_state": "\(model.zeroLengthState.rawValue)",
          "pipeline": [
        \(stages.joined(separator: ",\n"))
          ]
        }

        """
        return [(model.name + ModelDescription.fileSuffix, Array(text.utf8))] + files
    }

    static func affine(_ q: AffineQuantization) -> String { "{\"scale\": \(Float(q.scale)), \"zero_point\": \(q.zeroPoint)}" }
    /// Float32 scales as the shortest text that reads back to the same float32.
    static func list(_ values: [Double]) -> String { "[" + values.map { "\(Float($0))" }.joined(separator: ", ") + "]" }
    /// The shortest text that reads back as the same Double.
    static func number(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : "\(v)" }
}
