import Foundation

/// Writes any float model as a description (`NAME.rnn.json`) whose tensors
/// are entries of one `NAME.safetensors` beside it (float32, the ONNX
/// convention: W, R, B = Wb then Rb, P, projection; dense `weight [out, in]`).
/// `rnngen train` writes the trained model this way, so every other command
/// reads it back. Output is deterministic, byte for byte.
public enum DescriptionWriter {
    /// The description first, then the weights file.
    public static func files(for model: Model) throws -> [(name: String, bytes: [UInt8])] {
        guard !model.isQuantized else { throw RNNError(at: "model \(Quote.text(model.name))", "is quantized; write it with rnngen quantize") }
        var tensors: [(String, Tensor)] = []
        func entry(_ name: String, _ tensor: Tensor) -> String {
            tensors.append((name, tensor))
            return "\"\(name)\""
        }
        func activationText(_ f: Activation) -> String {
            var fields = ["\"name\": \"\(f.kind.rawValue)\""]
            if f.kind.defaultAlpha != nil { fields.append("\"alpha\": \(number(f.alpha))") }
            if f.kind.defaultBeta != nil { fields.append("\"beta\": \(number(f.beta))") }
            return "{" + fields.joined(separator: ", ") + "}"
        }
        func denseActivation(_ a: DenseActivation, _ place: String) -> String {
            switch a {
            case .none: return "\"none\""
            case .softmax: return "\"softmax\""
            case .elementwise(let f): return activationText(f)
            case .prelu(let slopes): return "{\"name\": \"prelu\", \"slopes\": \(entry(place + "_slopes", slopes))}"
            }
        }
        func dense(_ layer: DenseLayer, _ place: String) -> String {
            var fields = ["\"weight\": \(entry(place + "_weight", layer.weight))"]
            if let bias = layer.bias { fields.append("\"bias\": \(entry(place + "_bias", bias))") }
            fields.append("\"activation\": \(denseActivation(layer.activation, place))")
            return "{" + fields.joined(separator: ", ") + "}"
        }
        func stack(_ stack: RecurrentStack, _ place: String) -> String {
            let first = stack.layers[0].cells[0]
            var fields = ["\"cell\": \"\(first.kind.rawValue)\"", "\"direction\": \"\(stack.direction.rawValue)\""]
            if stack.direction == .bidirectional { fields.append("\"bidirectional_form\": \"\(stack.bidirectionalForm.rawValue)\"") }
            if stack.outputInProcessingOrder { fields.append("\"output_order\": \"processing\"") }
            fields.append("\"hidden_sizes\": [\(stack.layers.map { String($0.cells[0].hiddenSize) }.joined(separator: ", "))]")
            let directions = stack.layers[0].cells
            fields.append("\"activations\": [" + directions.flatMap { $0.options.activations.map(activationText) }.joined(separator: ", ") + "]")
            if let clip = first.options.clip { fields.append("\"clip\": \(number(clip))") }
            if let clip = first.options.cellClip { fields.append("\"cell_clip\": \(number(clip))") }
            if first.kind == .lstm {
                fields.append("\"input_forget\": \(first.options.inputForget)")
                fields.append("\"forget_bias\": \(number(first.options.forgetBias))")
            }
            if first.kind == .gru { fields.append("\"linear_before_reset\": \(first.options.linearBeforeReset)") }
            let delays = stack.layers.map { $0.cells[0].options.sampleRateDelay }
            if delays.contains(where: { $0 != nil }) {
                fields.append("\"sample_rate_delay\": [" + delays.map { $0.map(number) ?? "null" }.joined(separator: ", ") + "]")
            }
            var layers: [String] = []
            for (l, layer) in stack.layers.enumerated() {
                let cells = layer.cells.enumerated().map { d, cell -> String in
                    let prefix = "\(place)_l\(l)_\(d == 0 ? "fw" : "bw")_"
                    let w = cell.weights
                    let biases = Tensor(shape: [w.inputBias.count + w.recurrentBias.count], values: w.inputBias.values + w.recurrentBias.values)
                    var named = ["\"W\": \(entry(prefix + "W", w.input))", "\"R\": \(entry(prefix + "R", w.recurrent))", "\"B\": \(entry(prefix + "B", biases))"]
                    if let p = w.peephole { named.append("\"P\": \(entry(prefix + "P", p))") }
                    if let p = w.projection { named.append("\"projection\": \(entry(prefix + "projection", p))") }
                    return "{" + named.joined(separator: ", ") + "}"
                }
                layers.append(cells.count == 1 ? cells[0] : "{\"forward\": \(cells[0]), \"backward\": \(cells[1])}")
            }
            fields.append("\"weights\": [\n        " + layers.joined(separator: ",\n        ") + "\n      ]")
            return "{\n      " + fields.joined(separator: ",\n      ") + "\n    }"
        }
        var stages: [String] = []
        for (s, stage) in model.stages.enumerated() {
            let place = "s\(s)"
            switch stage {
            case .dense(let layer): stages.append("    {\"dense\": \(dense(layer, place))}")
            case .head(let layer): stages.append("    {\"head\": \(dense(layer, place))}")
            case .recurrent(let one): stages.append("    {\"recurrent\": \(stack(one, place))}")
            case .parallel(let list):
                stages.append("    {\"parallel\": [\n" + list.enumerated().map { k, one in "    {\"recurrent\": \(stack(one, "\(place)_k\(k)"))}" }.joined(separator: ",\n") + "\n    ]}")
            case .activation(let a): stages.append("    {\"activation\": \(denseActivation(a, place))}")
            case .residual(let r): stages.append("    {\"residual\": {\"features\": [\(r.features.map(String.init).joined(separator: ", "))]}}")
            }
        }
        let weightsName = model.name + ".safetensors"
        let text = """
        {
          "rnngen": 1,
          "name": "\(model.name)",
          "framework": "onnx",
          "input_size": \(model.inputSize),
          "layout": "\(model.layout.rawValue)",
          "zero_length_state": "\(model.zeroLengthState.rawValue)",
          "weights_file": "\(weightsName)",
          "pipeline": [
        \(stages.joined(separator: ",\n"))
          ]
        }

        """
        return [(model.name + ModelDescription.fileSuffix, Array(text.utf8)), (weightsName, safetensors(tensors))]
    }

    /// A safetensors file of float32 tensors, in the order given: an 8-byte
    /// little-endian header length, the JSON header, the data.
    public static func safetensors(_ tensors: [(String, Tensor)]) -> [UInt8] {
        var entries: [String] = []
        var data: [UInt8] = []
        for (name, tensor) in tensors {
            let start = data.count
            for v in tensor.values {
                let bits = Float(v).bitPattern
                data += [UInt8(bits & 0xff), UInt8((bits >> 8) & 0xff), UInt8((bits >> 16) & 0xff), UInt8(bits >> 24)]
            }
            entries.append("\"\(name)\":{\"dtype\":\"F32\",\"shape\":[\(tensor.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(start),\(data.count)]}")
        }
        var header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
        // Padded with spaces to a multiple of 8, as the format allows, so the data is aligned.
        while header.count % 8 != 0 { header.append(0x20) }
        var out: [UInt8] = []
        var length = UInt64(header.count)
        for _ in 0..<8 {
            out.append(UInt8(length & 0xff))
            length >>= 8
        }
        return out + header + data
    }

    /// The shortest text that reads back as the same Double.
    static func number(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : "\(v)" }
}
