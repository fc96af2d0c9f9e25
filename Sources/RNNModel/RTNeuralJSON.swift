import Foundation

/// Reads the model JSON that RTNeural's Python export helpers write — for
/// Keras models (`save_model` over `model.layers`) and for PyTorch modules
/// (the `torch` helper over `named_children()`) — into a canonical `Model`.
///
/// The file is `{"in_shape": [null, …, I], "layers": [{"type", "activation",
/// "shape": [null, …, units], "weights": [...]}, …]}`, plus `"in_skip"` where
/// an amp plug-in adds the input to the output. Weights are Keras's: a dense
/// kernel `[in][out]`, a GRU `[kernel [I][3H] (z, r, h), recurrent [H][3H],
/// bias [2][3H]]`, an LSTM `[kernel [I][4H] (i, f, c, o), recurrent
/// [H][4H], bias [4H]]`, PReLU `[[slopes]]`. The PyTorch helper writes two
/// layouts of its own, told apart by shape: a dense weight as `[out·in][1]`
/// (PyTorch's `[out, in]` flattened) and an LSTM kernel as `[1][4H·I]`
/// (`weight_ih` flattened); both are the Keras layout when `out` or `I` is 1.
///
/// What the file does not say, rnngen assumes as RTNeural does, and
/// `Model.assumptions` lists it for `inspect`: a recurrent layer's gates
/// use the logistic sigmoid (Keras's and PyTorch's default; the file has no
/// `recurrent_activation`), and an empty `activation` means none (the Keras
/// helper writes "" for linear and for any function it does not know).
public enum RTNeuralJSON {
    /// Layer types rnngen reads.
    public static let layerTypes = ["dense", "time-distributed-dense", "gru", "lstm", "prelu", "activation"]
    /// Activation names the export helpers write.
    public static let activationNames = ["", "tanh", "relu", "sigmoid", "softmax", "elu"]

    /// Whether a parsed JSON document has RTNeural's shape.
    static func matches(_ root: [String: Any]) -> Bool { root["layers"] != nil && root["in_shape"] != nil }

    static func model(_ root: JSONNode, name: String) throws -> Model {
        try root.checkKeys(["in_shape", "layers", "in_skip"])
        let inputSize = try lastDimension(try root.required("in_shape"), what: "the input size")
        var stages: [Stage] = []
        var width = inputSize
        var assumptions: [String] = []
        let layers = try root.required("layers").array()
        guard !layers.isEmpty else { throw RNNError(at: "$.layers", "expected at least one layer, found none") }

        for (index, layer) in layers.enumerated() {
            let type = try layer.required("type").string()
            guard layerTypes.contains(type) else {
                throw layer.error("layer \(index) is RTNeural's '\(Quote.text(type))', which rnngen does not generate (it reads: \(layerTypes.joined(separator: ", ")))")
            }
            try layer.checkKeys(["type", "activation", "shape", "weights", "name"])
            let weights = try layer.member("weights")?.array() ?? []
            let activationNode = try layer.member("activation")
            let activationName = try activationNode?.string() ?? ""
            switch type {
            case "dense", "time-distributed-dense":
                let units = try lastDimension(try layer.required("shape"), what: "the layer's units")
                guard !weights.isEmpty else { throw layer.error("a dense layer's weights are [kernel, bias], found none") }
                let weight = try denseWeight(weights[0], inputs: width, outputs: units)
                var bias: Tensor?
                if weights.count > 1 {
                    let b = try numbers(weights[1])
                    guard b.values.count == units, b.rank == 1 else { throw weights[1].error("expected a bias of \(units) numbers, found \(b.shapeDescription)") }
                    bias = b
                }
                guard weights.count <= 2 else { throw layer.error("a dense layer's weights are [kernel, bias], found \(weights.count) entries") }
                let activation = try self.activation(activationName, at: activationNode)
                stages.append(.dense(DenseLayer(weight: weight, bias: bias, activation: activation)))
                width = units
            case "gru", "lstm":
                let kind: CellKind = type == "gru" ? .gru : .lstm
                let H = try lastDimension(try layer.required("shape"), what: "the hidden size")
                let G = kind.gateCount
                guard weights.count == 3 else {
                    throw layer.error("a \(type) layer's weights are [kernel, recurrent kernel, bias], found \(weights.count) entries")
                }
                var kernel = try numbers(weights[0])
                if kind == .lstm && width > 1 && kernel.shape == [1, G * H * width] {
                    // The PyTorch helper's weight_ih, [4H, I] flattened row by row.
                    kernel = Tensor(shape: [G * H, width], values: kernel.values).transposed()
                }
                let bias = try numbers(weights[2])
                var options = CellOptions(activations: kind.defaultActivations)
                options.linearBeforeReset = kind == .gru && bias.rank == 2
                let candidate = activationName.isEmpty ? Activation.tanh : try cellActivation(activationName, at: activationNode!)
                for k in 1..<options.activations.count { options.activations[k] = candidate }
                let tensors = NamedTensors(["kernel": kernel, "recurrent_kernel": try numbers(weights[1]), "bias": bias], location: "\(layer.path).weights")
                let cell = try CellImporter.cell(.keras, kind: kind, inputSize: width, hiddenSize: H, options: options, tensors: tensors)
                stages.append(.recurrent(RecurrentStack(direction: .forward, layers: [RecurrentLayer(cells: [cell])])))
                width = H
                let note = "layer \(index) (\(type)): gates use the logistic sigmoid (RTNeural's and the frameworks' default; the file has no recurrent activation)"
                    + (activationName.isEmpty ? "; candidate activation tanh (the file's is empty)" : "")
                assumptions.append(note)
            case "prelu":
                guard let first = weights.first, let row = try first.array().first else {
                    throw layer.error("a prelu layer's weights are [[slopes]], found none")
                }
                let slopes = try numbers(row)
                guard slopes.values.count == width || slopes.values.count == 1 else {
                    throw row.error("expected \(width) slopes (one per feature) or 1, found \(slopes.values.count)")
                }
                let values = slopes.values.count == 1 ? Array(repeating: slopes.values[0], count: width) : slopes.values
                stages.append(.activation(.prelu(Tensor(shape: [width], values: values))))
            default: // "activation"
                let activation = try self.activation(activationName, at: activationNode)
                guard activation != .none else { continue }
                // A function right after a linear dense layer is that layer's activation.
                if case .dense(var d)? = stages.last, d.activation == .none {
                    d.activation = activation
                    stages[stages.count - 1] = .dense(d)
                } else {
                    stages.append(.activation(activation))
                }
            }
        }
        if let skip = try root.member("in_skip") {
            let n = try skip.int()
            guard n >= 0 && n <= inputSize else { throw skip.error("expected 0…\(inputSize) input features to add to the output, found \(n)") }
            if n > 0 {
                guard n == width || n == 1 else {
                    throw skip.error("adds the first \(n) input features to an output of \(width); expected 1 or \(width)")
                }
                stages.append(.residual(Residual(features: Array(0..<n))))
            }
        }
        var model = Model(name: name, inputSize: inputSize, layout: .batchMajor, zeroLengthState: .initial, stages: stages)
        model.framework = .keras
        model.assumptions = assumptions
        try model.validate()
        return model
    }

    /// The last entry of a shape (`[null, null, 8]` → 8).
    static func lastDimension(_ node: JSONNode, what: String) throws -> Int {
        guard let last = try node.array().last else { throw node.error("expected a shape ending in \(what), found an empty array") }
        let n = try last.positiveInt()
        guard n <= ModelDescription.maxHiddenSize else { throw last.error("\(n) is more than rnngen supports (\(ModelDescription.maxHiddenSize))") }
        return n
    }

    /// Nested arrays of numbers as a tensor (never a file name).
    static func numbers(_ node: JSONNode) throws -> Tensor {
        guard node.value is [Any] else { throw node.error("expected nested arrays of numbers, found \(node.typeName)") }
        return try TensorSource(baseDirectory: URL(fileURLWithPath: "/")).tensor(node)
    }

    /// A dense weight `[out, in]` from the Keras kernel `[in][out]` or the
    /// PyTorch helper's `[out·in][1]`.
    static func denseWeight(_ node: JSONNode, inputs: Int, outputs: Int) throws -> Tensor {
        let t = try numbers(node)
        if t.shape == [inputs, outputs] { return t.transposed() }
        if outputs > 1 && t.shape == [outputs * inputs, 1] { return Tensor(shape: [outputs, inputs], values: t.values) }
        throw node.error("expected a kernel of shape [\(inputs), \(outputs)] (inputs, units), found \(t.shapeDescription)")
    }

    /// A dense or activation layer's function, by the helpers' names.
    static func activation(_ name: String, at node: JSONNode?) throws -> DenseActivation {
        switch name {
        case "": return .none
        case "softmax": return .softmax
        case "tanh": return .tanh
        case "relu": return .relu
        case "sigmoid": return .sigmoid
        case "elu": return .elementwise(Activation(.elu, alpha: 1))
        default:
            throw (node ?? JSONNode(value: name, path: "$")).error(
                "unknown activation '\(Quote.text(name))' (RTNeural's: \(activationNames.map { $0.isEmpty ? "\"\" (none)" : $0 }.joined(separator: ", ")))")
        }
    }

    /// A recurrent layer's candidate activation, as the framework computed it.
    static func cellActivation(_ name: String, at node: JSONNode) throws -> Activation {
        guard case .elementwise(let f) = try activation(name, at: node) else {
            throw node.error("'\(Quote.text(name))' cannot be a recurrent layer's activation (expected tanh, relu, sigmoid or elu)")
        }
        return f
    }
}
