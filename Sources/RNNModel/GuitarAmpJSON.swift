import Foundation

/// Reads the JSON that the "Automated-GuitarAmpModelling" training code
/// (and the plug-ins built on it) saves: `{"model_data": {…}, "state_dict":
/// {name: nested lists}}`.
///
/// - `SimpleRNN`: one PyTorch `LSTM`, `GRU` or `RNN` module `rec`
///   (`unit_type`, `input_size`, `hidden_size`, `num_layers`), a `Linear`
///   `lin` (`output_size`, with a bias when `bias_fl`), and `skip`: the first
///   `skip` input features added to the output, `y = lin(rec(x)) + x[…, :skip]`.
/// - `RecNet`: `blocks` `"0"`, `"1"`, … each a recurrent module and a linear
///   layer (`lin_bias`, default false) with its own `skip` (default 1),
///   under `layers.block_K.` in the state dict; the model's `skip` adds the
///   input to the last block's output.
///
/// Sizes come from the tensors and are checked against `model_data`.
public enum GuitarAmpJSON {
    public static let models = ["SimpleRNN", "RecNet"]
    static let unitTypes: [String: CellKind] = ["LSTM": .lstm, "GRU": .gru, "RNN": .rnn]

    static func matches(_ root: [String: Any]) -> Bool { root["model_data"] != nil }

    static func model(_ root: JSONNode, name: String) throws -> Model {
        try root.checkKeys(["model_data", "state_dict", "blocks", "training_info"])
        let data = try root.required("model_data")
        let model = try data.required("model").string()
        guard let stateNode = try root.member("state_dict") else {
            throw root.error("missing 'state_dict': the file holds no weights (the model was saved with save_state off)")
        }
        let state = try StateDict(stateNode)
        var stages: [Stage]
        var inputSize: Int
        switch model {
        case "SimpleRNN":
            let unit = try data.member("unit_type")?.string() ?? "LSTM"
            let block = try self.block(state, prefix: "", unit: unit, at: data, hasBias: try data.member("bias_fl")?.bool() ?? true)
            inputSize = block.inputSize
            stages = block.stages
            try expect(data, "input_size", inputSize)
            try expect(data, "hidden_size", block.hiddenSize)
            try expect(data, "num_layers", block.layers)
            try expect(data, "output_size", block.outputSize)
            try skip(try data.member("skip")?.int() ?? 1, at: data, inputSize: inputSize, width: block.outputSize, into: &stages)
        case "RecNet":
            let blocksNode = try root.required("blocks")
            let keys = try blocksNode.object().keys.sorted { (Int($0) ?? .max, $0) < (Int($1) ?? .max, $1) }
            guard !keys.isEmpty else { throw blocksNode.error("expected at least one block, found none") }
            stages = []
            inputSize = 0
            var width = 0
            for (k, key) in keys.enumerated() {
                let params = try blocksNode.required(key)
                guard key == String(k) else { throw params.error("blocks are numbered 0, 1, …; found '\(Quote.text(key))'") }
                let unit = try params.required("block_type").string()
                let block = try self.block(state, prefix: "layers.block_\(k + 1).", unit: unit, at: params,
                                           hasBias: try params.member("lin_bias")?.bool() ?? false)
                if k == 0 { inputSize = block.inputSize } else if block.inputSize != width {
                    throw params.error("reads \(block.inputSize) features, but the block before outputs \(width)")
                }
                try expect(params, "input_size", block.inputSize)
                try expect(params, "hidden_size", block.hiddenSize)
                try expect(params, "output_size", block.outputSize)
                try expect(params, "num_layers", block.layers)
                stages += block.stages
                width = block.outputSize
                let blockSkip = try params.member("skip")?.int() ?? 1
                if blockSkip != 0 && k > 0 {
                    throw params.error("a skip connection from block \(k)'s own input is not supported (rnngen adds the model's input only); only block 0 may skip")
                }
                try skip(blockSkip, at: params, inputSize: inputSize, width: width, into: &stages)
            }
            try skip(try data.member("skip")?.int() ?? 0, at: data, inputSize: inputSize, width: width, into: &stages)
        default:
            throw data.error("model '\(Quote.text(model))' is not a recurrent model rnngen reads (expected one of: \(models.joined(separator: ", ")))")
        }
        if let unused = state.unused.first {
            throw RNNError(at: "$.state_dict.\(Quote.text(unused))", "a tensor this \(model) does not have (it has: \(Quote.list(state.used.sorted())))")
        }
        var result = Model(name: name, inputSize: inputSize, layout: .batchMajor, zeroLengthState: .initial, stages: stages)
        result.framework = .pytorch
        try result.validate()
        return result
    }

    struct Block {
        var stages: [Stage]
        var inputSize: Int, hiddenSize: Int, layers: Int, outputSize: Int
    }

    /// A recurrent module `prefix + "rec."` and its linear layer `prefix + "lin."`.
    static func block(_ state: StateDict, prefix: String, unit: String, at node: JSONNode, hasBias: Bool) throws -> Block {
        guard let kind = unitTypes[unit] else {
            throw node.error("unit type '\(Quote.text(unit))' is not a recurrent cell (expected one of: LSTM, GRU, RNN)")
        }
        if try node.member("bidirectional")?.bool() == true { throw node.error("bidirectional amp models are not supported (they cannot stream)") }
        let cells = try PyTorchRecurrentModule.cells(kind: kind, location: "$.state_dict.\(prefix)rec") { try state.take("\(prefix)rec." + $0) }
        guard let first = cells.first, let width = cells.last?.outputSize else {
            throw RNNError(at: "$.state_dict", "missing '\(prefix)rec.weight_ih_l0', the recurrent module's weights")
        }
        let weight = try state.required("\(prefix)lin.weight")
        guard weight.rank == 2, weight.shape[1] == width else {
            throw RNNError(at: "$.state_dict.\(prefix)lin.weight", "expected [output_size, \(width)], found \(weight.shapeDescription)")
        }
        let bias = try state.take("\(prefix)lin.bias")
        if bias == nil && hasBias { throw RNNError(at: "$.state_dict", "missing '\(prefix)lin.bias' (the model data says the linear layer has a bias)") }
        let stack = RecurrentStack(direction: .forward, layers: cells.map { RecurrentLayer(cells: [$0]) })
        return Block(stages: [.recurrent(stack), .dense(DenseLayer(weight: weight, bias: bias, activation: .none))],
                     inputSize: first.inputSize, hiddenSize: width, layers: cells.count, outputSize: weight.shape[0])
    }

    /// `y += x[…, :count]`, as PyTorch adds it: feature by feature, or one feature to every output.
    static func skip(_ count: Int, at node: JSONNode, inputSize: Int, width: Int, into stages: inout [Stage]) throws {
        guard count != 0 else { return }
        guard count > 0 && count <= inputSize else { throw node.error("skip \(count): expected 0…\(inputSize) (the input features added to the output)") }
        guard count == width || count == 1 else {
            throw node.error("skip \(count) adds \(count) input features to an output of \(width) features; expected 1 or \(width)")
        }
        stages.append(.residual(Residual(features: Array(0..<count))))
    }

    /// Checks a size `model_data` states against the one the tensors give.
    static func expect(_ node: JSONNode, _ key: String, _ found: Int) throws {
        guard let m = try node.member(key) else { return }
        let stated = try m.int()
        guard stated == found else { throw m.error("says \(stated), but the state dict's tensors give \(found)") }
    }

    /// The state dict's tensors, each taken once.
    final class StateDict {
        let node: JSONNode
        var tensors: [String: Tensor] = [:]
        var used: Set<String> = []

        init(_ node: JSONNode) throws {
            self.node = node
            for key in try node.object().keys.sorted() {
                tensors[key] = try RTNeuralJSON.numbers(try node.required(key))
            }
        }

        func take(_ name: String) throws -> Tensor? {
            guard let t = tensors[name] else { return nil }
            used.insert(name)
            return t
        }

        func required(_ name: String) throws -> Tensor {
            guard let t = try take(name) else { throw node.error("missing '\(Quote.text(name))'") }
            return t
        }

        var unused: [String] { tensors.keys.filter { !used.contains($0) }.sorted() }
    }
}
