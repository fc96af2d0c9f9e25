import Foundation

/// Reads a PyTorch `state_dict` dumped as JSON (`json.dump` of the tensors as
/// nested lists), the file RTNeural's C++ `torch_helpers` load weights from.
/// Such a file names tensors, not layers: rnngen reads the modules in the
/// order the file lists them (the order PyTorch registered them) and runs
/// them one after another, each feeding the next —
///
/// - `NAME.weight_ih_lK`, `NAME.weight_hh_lK`, `NAME.bias_ih_lK`,
///   `NAME.bias_hh_lK`: an `nn.RNN`, `nn.GRU` or `nn.LSTM` of as many layers
///   as there are `K`s, told apart by `weight_hh`'s rows per unit (1, 3, 4);
/// - `NAME.weight` `[out, in]` and `NAME.bias`: an `nn.Linear`;
/// - `NAME.weight` `[n]` alone: an `nn.PReLU`.
///
/// — and `Model.assumptions` says so, for `inspect`. Anything else (a
/// convolution's 3-D weight, a batch norm's running statistics, a reverse
/// direction) is an error naming the tensor.
public enum StateDictJSON {
    /// Whether a parsed object looks like a dumped state dict: every key a
    /// dotted tensor name, every value an array, and a weight among them.
    static func matches(_ root: [String: Any]) -> Bool {
        !root.isEmpty && root.allSatisfy { $0.key.contains(".") && $0.value is [Any] }
            && root.keys.contains { $0.hasSuffix(".weight") || $0.hasSuffix(".weight_ih_l0") }
    }

    static func model(_ root: JSONNode, data: Data, name: String) throws -> Model {
        let order = try JSONKeyOrder.topLevelKeys(data)
        var modules: [(name: String, tensors: [String: (node: JSONNode, key: String)])] = []
        for key in order {
            let cut = key.lastIndex(of: ".")!
            let module = String(key[..<cut]), parameter = String(key[key.index(after: cut)...])
            if modules.last?.name != module {
                guard !modules.contains(where: { $0.name == module }) else {
                    throw RNNError(at: "$.\(Quote.text(key))", "module '\(Quote.text(module))' is listed in two places; its tensors must be together")
                }
                modules.append((module, [:]))
            }
            modules[modules.count - 1].tensors[parameter] = (try root.required(key), key)
        }
        var stages: [Stage] = []
        var width: Int?
        var assumptions = ["the modules run in the order the file lists them (\(modules.map { Quote.text($0.name) }.joined(separator: " → "))), each feeding the next; a state dict has no architecture, and no skip connection is assumed"]
        for (module, tensors) in modules {
            func tensor(_ parameter: String) throws -> Tensor? {
                guard let entry = tensors[parameter] else { return nil }
                return try RTNeuralJSON.numbers(entry.node)
            }
            let at = "$.\(Quote.text(module))"
            if tensors["weight_ih_l0"] != nil {
                if let reverse = tensors.keys.sorted().first(where: { $0.hasSuffix("_reverse") }) {
                    throw RNNError(at: "\(at).\(Quote.text(reverse))", "a bidirectional module cannot stream; rnngen reads forward modules from a state dict")
                }
                let cells = try PyTorchRecurrentModule.cells(kind: nil, location: at, tensor: tensor)
                let known = Set((0..<cells.count).flatMap { k in ["weight_ih", "weight_hh", "bias_ih", "bias_hh"].map { "\($0)_l\(k)" } })
                if let extra = tensors.keys.sorted().first(where: { !known.contains($0) }) {
                    throw RNNError(at: "\(at).\(Quote.text(extra))", "not a tensor of a \(cells.count)-layer recurrent module")
                }
                try check(cells[0].inputSize, against: &width, at: "\(at).weight_ih_l0")
                stages.append(.recurrent(RecurrentStack(direction: .forward, layers: cells.map { RecurrentLayer(cells: [$0]) })))
                width = cells.last!.outputSize
                assumptions.append("\(Quote.text(module)): nn.\(cells[0].kind == .lstm ? "LSTM" : cells[0].kind == .gru ? "GRU" : "RNN") of \(cells.count) layer(s), H = \(cells.last!.hiddenSize)")
            } else if let weight = try tensor("weight") {
                if let extra = tensors.keys.sorted().first(where: { $0 != "weight" && $0 != "bias" }) {
                    throw RNNError(at: "\(at).\(Quote.text(extra))", "module '\(Quote.text(module))' is not a Linear, PReLU or recurrent module rnngen reads (a batch norm or a convolution?)")
                }
                if weight.rank == 1 && tensors["bias"] == nil {
                    guard let w = width else { throw RNNError(at: "\(at).weight", "a PReLU cannot be the first module: its width comes from the module before") }
                    guard weight.values.count == w || weight.values.count == 1 else {
                        throw RNNError(at: "\(at).weight", "expected \(w) slopes (one per feature) or 1, found \(weight.values.count)")
                    }
                    stages.append(.activation(.prelu(Tensor(shape: [w], values: weight.values.count == 1 ? Array(repeating: weight.values[0], count: w) : weight.values))))
                    continue
                }
                guard weight.rank == 2 else {
                    throw RNNError(at: "\(at).weight", "a \(weight.rank)-D weight is not a Linear layer's [out, in] (a convolution?); rnngen reads Linear, PReLU and recurrent modules")
                }
                let bias = try tensor("bias")
                if let bias, bias.shape != [weight.shape[0]] {
                    throw RNNError(at: "\(at).bias", "expected [\(weight.shape[0])], found \(bias.shapeDescription)")
                }
                try check(weight.shape[1], against: &width, at: "\(at).weight")
                stages.append(.dense(DenseLayer(weight: weight, bias: bias, activation: .none)))
                width = weight.shape[0]
            } else {
                throw RNNError(at: at, "module '\(Quote.text(module))' has no weight, weight_ih_l0 or anything rnngen reads (it has: \(Quote.list(tensors.keys.sorted())))")
            }
        }
        guard let inputSize = stages.first.flatMap({ stage -> Int? in
            switch stage {
            case .recurrent(let s): return s.inputSize
            case .dense(let d): return d.inputSize
            default: return nil
            }
        }) else { throw RNNError(at: "$", "the state dict has no module rnngen reads") }
        var model = Model(name: name, inputSize: inputSize, layout: .batchMajor, zeroLengthState: .initial, stages: stages)
        model.framework = .pytorch
        model.assumptions = assumptions
        try model.validate()
        return model
    }

    /// The module before must output what this one reads.
    static func check(_ inputs: Int, against width: inout Int?, at: String) throws {
        if let w = width, w != inputs {
            throw RNNError(at: at, "reads \(inputs) features, but the module before outputs \(w) (the modules run in the order the file lists them)")
        }
    }
}

/// The keys of a JSON document's top-level object in the order the file
/// writes them (Foundation's parser forgets it). Only the structure is
/// scanned: strings with their escapes, and nesting.
enum JSONKeyOrder {
    static func topLevelKeys(_ data: Data) throws -> [String] {
        let bytes = [UInt8](data)
        var i = 0
        func skipSpace() { while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 } }
        func fail() -> RNNError { RNNError(at: "byte \(i)", "malformed JSON") }
        /// The string starting at `i` (a quote), decoded by Foundation.
        func string() throws -> String {
            let start = i
            i += 1
            while i < bytes.count && bytes[i] != 0x22 { i += bytes[i] == 0x5C ? 2 : 1 }
            guard i < bytes.count else { throw fail() }
            i += 1
            guard let text = try? JSONSerialization.jsonObject(with: Data(bytes[start..<i]), options: [.fragmentsAllowed]) as? String else { throw fail() }
            return text
        }
        /// Past one value: a string, a number or literal (up to the next `,`
        /// or `}` at this level), or a whole array or object.
        func skipValue() throws {
            var depth = 0
            while i < bytes.count {
                switch bytes[i] {
                case 0x22:
                    _ = try string()
                    if depth == 0 { return }
                    continue
                case 0x5B, 0x7B: depth += 1
                case 0x5D, 0x7D:
                    if depth == 0 { return }
                    depth -= 1
                    if depth == 0 {
                        i += 1
                        return
                    }
                case 0x2C where depth == 0: return
                default: break
                }
                i += 1
            }
            throw fail()
        }
        skipSpace()
        guard i < bytes.count, bytes[i] == 0x7B else { throw fail() }
        i += 1
        var keys: [String] = []
        while true {
            skipSpace()
            guard i < bytes.count else { throw fail() }
            if bytes[i] == 0x7D { return keys }
            guard bytes[i] == 0x22 else { throw fail() }
            keys.append(try string())
            skipSpace()
            guard i < bytes.count, bytes[i] == 0x3A else { throw fail() }
            i += 1
            skipSpace()
            try skipValue()
            skipSpace()
            guard i < bytes.count else { throw fail() }
            if bytes[i] == 0x2C { i += 1 } else if bytes[i] != 0x7D { throw fail() }
        }
    }
}
