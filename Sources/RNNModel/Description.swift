import Foundation

/// Loads a model description (`*.rnn.json`) into a validated `Model`.
///
/// The format is documented in `docs/description-format.md`. Every error
/// names the file, the JSON path and what was expected versus found.
public enum ModelDescription {
    public static let fileSuffix = ".rnn.json"

    public static func load(contentsOf path: String) throws -> Model {
        let data = Data(try InputFile.bytes(path))
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            return try parse(data, baseDirectory: base)
        } catch let error as RNNError {
            throw error.inFile(path)
        }
    }

    /// Parses description bytes; relative tensor paths resolve against `baseDirectory`.
    public static func parse(_ data: Data, baseDirectory: URL) throws -> Model {
        try parse(try JSONNode.parse(data), baseDirectory: baseDirectory)
    }

    static func parse(_ root: JSONNode, baseDirectory: URL) throws -> Model {
        try root.checkKeys(["rnngen", "name", "framework", "keras_version", "input_size", "layout", "zero_length_state", "weights_file", "pipeline", "comment"])
        if let version = try root.member("rnngen") {
            guard try version.int() == 1 else { throw version.error("unsupported format version \(try version.int()) (this rnngen reads version 1)") }
        }
        let framework: Framework = try root.choice("framework", default: .onnx)
        var kerasVersion = KerasActivationNames.defaultVersion
        if let version = try root.member("keras_version") {
            guard framework == .keras else {
                throw version.error("'keras_version' applies to \"framework\": \"keras\" only (this description's framework is \(framework.rawValue))")
            }
            kerasVersion = try version.int()
            guard KerasActivationNames.versions.contains(kerasVersion) else {
                throw version.error("expected 2 (Keras 2, tf.keras) or 3 (Keras 3), found \(kerasVersion)")
            }
        }
        var source = TensorSource(baseDirectory: baseDirectory)
        if let archive = try root.member("weights_file") {
            let path = source.resolve(try archive.string())
            do { source.archive = try TensorArchives.open(path) } catch let error as RNNError {
                throw RNNError(file: error.file, at: error.location ?? archive.path, error.message)
            }
        }
        let inputSize = try root.required("input_size").positiveInt()
        let layout: Layout = try root.choice("layout", default: .batchMajor)
        let zeroLength: ZeroLengthState = try root.choice("zero_length_state", default: framework == .onnx ? .zero : .initial)
        let name = try root.member("name")?.string() ?? "model"
        guard name.range(of: "^[A-Za-z_][A-Za-z0-9_]*$", options: .regularExpression) != nil else {
            throw RNNError(at: "$.name", "'\(Quote.text(name))' is not an identifier (letters, digits and _, not starting with a digit); it names the generated kernel")
        }

        let pipeline = try root.required("pipeline").array()
        guard !pipeline.isEmpty else { throw RNNError(at: "$.pipeline", "expected at least one stage, found none") }
        var stages: [Stage] = []
        var size = inputSize
        var lastWasRecurrent = false
        for (index, stageNode) in pipeline.enumerated() {
            let object = try stageNode.object()
            guard object.count == 1, let key = object.keys.first else {
                throw stageNode.error("a stage is an object with exactly one of: \(stageKinds.joined(separator: ", "))")
            }
            let body = try stageNode.required(key)
            switch key {
            case "dense":
                let dense = try parseDense(body, inputSize: size, source: &source)
                stages.append(.dense(dense))
                size = dense.outputSize
                lastWasRecurrent = false
            case "recurrent":
                let stack = try parseStack(body, inputSize: size, framework: framework, kerasVersion: kerasVersion, source: &source)
                stages.append(.recurrent(stack))
                size = stack.outputSize
                lastWasRecurrent = true
            case "parallel":
                let members = try body.array()
                guard members.count >= 2 else { throw body.error("expected at least two recurrent stacks, found \(members.count)") }
                var stacks: [RecurrentStack] = []
                for member in members {
                    try member.checkKeys(["recurrent"])
                    stacks.append(try parseStack(try member.required("recurrent"), inputSize: size, framework: framework, kerasVersion: kerasVersion, source: &source))
                }
                stages.append(.parallel(stacks))
                size = stacks.reduce(0) { $0 + $1.outputSize }
                lastWasRecurrent = true
            case "activation":
                let activation = try parseDenseActivation(body, features: size, source: source)
                guard activation != .none else { throw body.error("an activation stage needs a function; 'none' and 'linear' change nothing") }
                stages.append(.activation(activation))
                lastWasRecurrent = false
            case "residual":
                stages.append(.residual(try parseResidual(body, width: size, inputSize: inputSize)))
                lastWasRecurrent = false
            case "head":
                guard index == pipeline.count - 1 else { throw body.error("the head must be the last stage of the pipeline") }
                guard lastWasRecurrent else { throw body.error("the head reads the final state of a recurrent stage; put it right after a recurrent or parallel stage") }
                stages.append(.head(try parseDense(body, inputSize: size, source: &source)))
            default:
                throw RNNError(at: "\(stageNode.path).\(key)", "unknown stage (expected one of: \(stageKinds.joined(separator: ", ")))")
            }
        }
        var model = Model(name: name, inputSize: inputSize, layout: layout, zeroLengthState: zeroLength, stages: stages)
        model.framework = framework
        return model
    }

    static let stageKinds = ["dense", "recurrent", "parallel", "activation", "residual", "head"]

    /// `{"features": [0]}`: input features added to the output so far.
    static func parseResidual(_ node: JSONNode, width: Int, inputSize: Int) throws -> Residual {
        try node.checkKeys(["features", "comment"])
        let list = try node.required("features")
        let features = try list.array().map { item -> Int in
            let k = try item.int()
            guard k >= 0 && k < inputSize else { throw item.error("expected an input feature 0…\(inputSize - 1), found \(k)") }
            return k
        }
        guard features.count == width || features.count == 1 else {
            throw list.error("expected one feature (added to every output) or \(width) (one per output), found \(features.count)")
        }
        return Residual(features: features)
    }

    static func parseDense(_ node: JSONNode, inputSize: Int, source: inout TensorSource) throws -> DenseLayer {
        try node.checkKeys(["units", "activation", "kernel", "weight", "bias"])
        let weight: Tensor
        let weightPath: String
        switch (try node.member("kernel"), try node.member("weight")) {
        case (let kernel?, nil):
            let k = try source.tensor(kernel)
            guard k.rank == 2, k.shape[0] == inputSize else {
                throw kernel.error("expected a kernel of shape [\(inputSize), units] (input features first, as Keras/TF store it), found \(k.shapeDescription)")
            }
            weight = k.transposed()
            weightPath = kernel.path
        case (nil, let w?):
            let t = try source.tensor(w)
            guard t.rank == 2, t.shape[1] == inputSize else {
                throw w.error("expected a weight of shape [units, \(inputSize)] (outputs first, as PyTorch stores it), found \(t.shapeDescription)")
            }
            weight = t
            weightPath = w.path
        case (nil, nil): throw node.error("missing weights: give 'kernel' ([in, out]) or 'weight' ([out, in])")
        case (_?, _?): throw node.error("give either 'kernel' ([in, out]) or 'weight' ([out, in]), not both")
        }
        if let units = try node.member("units") {
            let u = try units.positiveInt()
            guard u == weight.shape[0] else { throw RNNError(at: weightPath, "has \(weight.shape[0]) outputs but units is \(u)") }
        }
        var bias: Tensor?
        if let b = try node.member("bias") {
            let t = try source.tensor(b)
            guard t.shape == [weight.shape[0]] else { throw b.error("expected shape [\(weight.shape[0])], found \(t.shapeDescription)") }
            bias = t
        }
        let activation = try node.member("activation").map { try parseDenseActivation($0, features: weight.shape[0], source: source) } ?? .none
        return DenseLayer(weight: weight, bias: bias, activation: activation)
    }

    static let denseActivationNames = ["none", "linear", "softmax", "prelu"]

    /// A dense layer's or an activation stage's function: `none` (or
    /// `linear`), `softmax`, any element-wise activation by name (`elu`,
    /// `leaky_relu`, `Softsign`, …, with ONNX's default parameters) or as
    /// `{"name", "alpha", "beta"}`, or `{"name": "prelu", "slopes": tensor}`
    /// with one slope per feature (or one for all).
    static func parseDenseActivation(_ node: JSONNode, features: Int, source: TensorSource) throws -> DenseActivation {
        let name: String
        if node.value is String {
            name = try node.string()
        } else {
            name = try node.required("name").string()
        }
        switch name.lowercased() {
        case "none", "linear":
            if !(node.value is String) { try node.checkKeys(["name"]) }
            return .none
        case "softmax":
            if !(node.value is String) { try node.checkKeys(["name"]) }
            return .softmax
        case "prelu":
            guard !(node.value is String) else { throw node.error("prelu needs its learned slopes: {\"name\": \"prelu\", \"slopes\": [...]}") }
            try node.checkKeys(["name", "slopes"])
            let slopesNode = try node.required("slopes")
            let t = try source.tensor(slopesNode)
            guard t.values.count == features || t.values.count == 1 else {
                throw slopesNode.error("expected \(features) slopes (one per feature) or 1 (shared), found \(t.shapeDescription)")
            }
            return .prelu(Tensor(shape: [features], values: t.values.count == 1 ? Array(repeating: t.values[0], count: features) : t.values))
        default:
            guard ActivationKind(name: name) != nil else {
                throw (node.value is String ? node : try node.required("name")).error(
                    "unknown activation '\(Quote.text(name))' (expected one of: \((denseActivationNames + ActivationKind.allCases.map(\.rawValue)).joined(separator: ", ")))")
            }
            return .elementwise(try parseActivation(node, kerasVersion: nil))
        }
    }

    /// An activation: a name, or `{"name", "alpha", "beta"}` with ONNX's
    /// names. For Keras models (`kerasVersion` set) a Keras name such as
    /// `hard_sigmoid` means what that Keras version computes; ONNX spellings
    /// (`HardSigmoid`) keep ONNX's meaning everywhere.
    static func parseActivation(_ node: JSONNode, kerasVersion: Int?) throws -> Activation {
        let name: String
        var alpha: Double?, beta: Double?
        if node.value is String {
            name = try node.string()
            if let version = kerasVersion {
                if let activation = KerasActivationNames.activation(name, version: version) { return activation }
                if KerasActivationNames.unsupported.contains(name) {
                    throw node.error("Keras \(version) activation '\(Quote.text(name))' has no rnngen equivalent (Keras \(version) names rnngen reads: \(KerasActivationNames.names(version: version).joined(separator: ", ")); or an ONNX name: \(ActivationKind.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
            }
        } else {
            try node.checkKeys(["name", "alpha", "beta"])
            name = try node.required("name").string()
            alpha = try node.member("alpha")?.number()
            beta = try node.member("beta")?.number()
        }
        guard let kind = ActivationKind(name: name) else {
            let keras = kerasVersion.map { "Keras \($0) names: \(KerasActivationNames.names(version: $0).joined(separator: ", ")); or ONNX names: " } ?? "expected one of: "
            throw node.error("unknown activation '\(Quote.text(name))' (\(keras)\(ActivationKind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return Activation(kind, alpha: alpha, beta: beta)
    }

    /// Sanity limits, far above any real RNN, so absurd numbers get an error
    /// instead of an attempt to allocate them.
    static let maxLayers = 1024
    static let maxHiddenSize = 1 << 20

    static let stackKeys = [
        "cell", "hidden_sizes", "hidden_size", "num_layers", "direction", "bidirectional_form", "framework",
        "activations", "activation", "recurrent_activation", "clip", "cell_clip", "input_forget", "forget_bias",
        "linear_before_reset", "output_order", "weights", "state_dict", "prefix", "sample_rate_delay", "quantization",
    ]

    static func parseStack(_ node: JSONNode, inputSize: Int, framework defaultFramework: Framework, kerasVersion: Int,
                           source: inout TensorSource) throws -> RecurrentStack {
        try node.checkKeys(stackKeys)
        let kind: CellKind = try {
            let cell = try node.required("cell")
            let text = try cell.string()
            guard let kind = CellKind(rawValue: text.lowercased()) else { throw cell.error("unknown cell '\(Quote.text(text))' (expected one of: rnn, lstm, gru)") }
            return kind
        }()
        let framework: Framework = try node.choice("framework", default: defaultFramework)
        let direction: Direction = try node.choice("direction", default: .forward)
        let form: BidirectionalForm = try node.choice("bidirectional_form", default: framework == .tf1 ? .separateStacks : .stacked)
        let D = direction == .bidirectional ? 2 : 1

        var hiddenSizes: [Int]
        if let sizes = try node.member("hidden_sizes") {
            hiddenSizes = try sizes.array().map { try $0.positiveInt() }
            guard !hiddenSizes.isEmpty else { throw sizes.error("expected at least one layer size, found an empty array") }
            if try node.member("hidden_size") != nil { throw node.error("give either 'hidden_sizes' or 'hidden_size' (with 'num_layers'), not both") }
        } else if let size = try node.member("hidden_size") {
            let layers = try node.member("num_layers")?.positiveInt() ?? 1
            guard layers <= maxLayers else { throw RNNError(at: "\(node.path).num_layers", "\(layers) layers is more than rnngen supports (\(maxLayers))") }
            hiddenSizes = Array(repeating: try size.positiveInt(), count: layers)
        } else {
            throw node.error("missing required field 'hidden_sizes' (one size per layer)")
        }

        if let big = hiddenSizes.first(where: { $0 > maxHiddenSize }) {
            throw node.error("hidden size \(big) is more than rnngen supports (\(maxHiddenSize))")
        }

        // Options.
        func only(_ key: String, _ kinds: [CellKind]) throws -> JSONNode? {
            guard let m = try node.member(key) else { return nil }
            guard kinds.contains(kind) else { throw m.error("'\(key)' applies to \(kinds.map(\.rawValue).joined(separator: "/")) cells, not \(kind.rawValue)") }
            return m
        }
        var perDirection: [[Activation]] = Array(repeating: kind.defaultActivations, count: D)
        if let list = try node.member("activations") {
            let keras = framework == .keras ? kerasVersion : nil
            let parsed = try list.array().map { try parseActivation($0, kerasVersion: keras) }
            let n = kind.activationCount
            if parsed.count == n {
                perDirection = Array(repeating: parsed, count: D)
            } else if parsed.count == n * D && D == 2 {
                perDirection = [Array(parsed[0..<n]), Array(parsed[n...])]
            } else {
                throw list.error("expected \(n) activations for \(kind.rawValue) (\(kind == .lstm ? "f, g, h" : kind == .gru ? "f, g" : "f"))\(D == 2 ? " or \(2 * n), one set per direction" : ""), found \(parsed.count)")
            }
            if try node.member("activation") != nil || node.member("recurrent_activation") != nil {
                throw node.error("give either 'activations' or 'activation'/'recurrent_activation', not both")
            }
        } else {
            if let a = try node.member("activation") {
                let act = try parseActivation(a, kerasVersion: framework == .keras ? kerasVersion : nil)
                for d in 0..<D {
                    switch kind {
                    case .rnn: perDirection[d][0] = act
                    case .gru: perDirection[d][1] = act
                    case .lstm: perDirection[d][1] = act; perDirection[d][2] = act
                    }
                }
            }
            if let a = try only("recurrent_activation", [.lstm, .gru]) {
                let act = try parseActivation(a, kerasVersion: framework == .keras ? kerasVersion : nil)
                for d in 0..<D { perDirection[d][0] = act }
            }
        }
        func positive(_ m: JSONNode?) throws -> Double? {
            guard let m else { return nil }
            let v = try m.number()
            guard v > 0 else { throw m.error("expected a positive number, found \(v)") }
            return v
        }
        let clip = try positive(node.member("clip"))
        let cellClip = try positive(only("cell_clip", [.lstm]))
        let inputForget = try only("input_forget", [.lstm])?.bool() ?? false
        let forgetBias = try only("forget_bias", [.lstm])?.number() ?? (framework == .tf1 && kind == .lstm ? 1.0 : 0.0)
        let defaultReset = kind == .gru && (framework == .pytorch || framework == .keras)
        let linearBeforeReset = try only("linear_before_reset", [.gru])?.bool() ?? defaultReset
        if kind == .gru {
            if framework == .pytorch && !linearBeforeReset {
                throw node.error("PyTorch GRUs apply the reset gate after the recurrent matmul; linear_before_reset must be true")
            }
            if framework == .tf1 && linearBeforeReset {
                throw node.error("TF1 GRUCell applies the reset gate before the recurrent matmul; linear_before_reset must be false")
            }
        }
        var outputInProcessingOrder = false
        if let order = try node.member("output_order") {
            switch try order.string() {
            case "time": break
            case "processing":
                guard direction == .reverse else { throw order.error("'processing' order (Keras go_backwards) applies to reverse stacks only") }
                outputInProcessingOrder = true
            default: throw order.error("unknown value '\(Quote.text(try order.string()))' (expected one of: time, processing)")
            }
        }

        // Weights per layer and direction.
        let layerWeights: [[NamedTensors]]
        switch (try node.member("weights"), try node.member("state_dict")) {
        case (let weights?, nil):
            if try node.member("prefix") != nil { throw node.error("'prefix' applies to 'state_dict' only") }
            let layers = try weights.array()
            guard layers.count == hiddenSizes.count else {
                throw weights.error("expected \(hiddenSizes.count) entries (one per layer), found \(layers.count)")
            }
            layerWeights = try layers.map { layer in
                if D == 1 { return [try source.named(layer)] }
                try layer.checkKeys(["forward", "backward"])
                return [try source.named(try layer.required("forward")), try source.named(try layer.required("backward"))]
            }
        case (nil, let stateDict?):
            guard framework == .pytorch else { throw stateDict.error("'state_dict' is for PyTorch weights; set \"framework\": \"pytorch\"") }
            let prefix = try node.member("prefix")?.string() ?? ""
            let archive = try TensorArchives.open(source.resolve(try stateDict.string()))
            layerWeights = try hiddenSizes.indices.map { k in
                try (0..<D).map { d in
                    let suffix = "_l\(k)" + (d == 1 ? "_reverse" : "")
                    var tensors: [String: Tensor] = [:]
                    for name in CellImporter.weightNames(.pytorch, kind) where archive.names.contains(prefix + name + suffix) {
                        tensors[name] = try archive.tensor(named: prefix + name + suffix)
                    }
                    if tensors["weight_ih"] == nil {
                        let wanted = "weight_ih" + suffix
                        let location = stateDict.path + " (" + archive.path + ")"
                        if let found = archive.names.first(where: { $0.hasSuffix("." + wanted) || $0 == wanted }) {
                            let actual = String(found.dropLast(wanted.count))
                            throw RNNError(at: location, "no tensor '\(Quote.text(prefix + wanted))'; the file has '\(Quote.text(found))': set \"prefix\": \"\(Quote.text(actual))\"")
                        }
                        throw RNNError(at: location, "no tensor '\(Quote.text(prefix + wanted))' for layer \(k)\(d == 1 ? " (reverse)" : ""), as nn.\(kind == .lstm ? "LSTM" : kind == .gru ? "GRU" : "RNN") names it (the file has: \(Quote.list(archive.names))); is hidden_sizes' layer count or 'direction' right?")
                    }
                    return NamedTensors(tensors, location: "\(archive.path): \(prefix)*\(suffix)")
                }
            }
        case (nil, nil): throw node.error("missing weights: give 'weights' (one entry per layer) or, for PyTorch, 'state_dict'")
        case (_?, _?): throw node.error("give either 'weights' or 'state_dict', not both")
        }

        // Sample-rate correction: one delay for every layer, or one per layer (null: none).
        var delays: [Double?] = Array(repeating: nil, count: hiddenSizes.count)
        if let m = try node.member("sample_rate_delay") {
            func delay(_ n: JSONNode) throws -> Double? {
                if n.isNull { return nil }
                let d = try n.number()
                guard CellOptions.isSampleRateDelay(d) else {
                    throw n.error("expected a delay of 1…\(CellOptions.maxSampleRateDelay) steps (the rate the model runs at / the rate it was trained at), found \(d)")
                }
                return d
            }
            if m.value is [Any] {
                let list = try m.array()
                guard list.count == hiddenSizes.count else { throw m.error("expected \(hiddenSizes.count) delays (one per layer), found \(list.count)") }
                delays = try list.map(delay)
            } else {
                delays = Array(repeating: try delay(m), count: hiddenSizes.count)
            }
            guard direction == .forward else { throw m.error("sample-rate correction streams forward; a \(direction.rawValue) stack cannot have it") }
        }

        // Integer quantization, one entry per layer (docs/kernels.md, "Integer kernels").
        var quantizations: [CellQuantization?] = Array(repeating: nil, count: hiddenSizes.count)
        if let m = try node.member("quantization") {
            guard D == 1 else { throw m.error("a quantized stack runs one direction; this one is bidirectional") }
            let list = try m.array()
            guard list.count == hiddenSizes.count else { throw m.error("expected \(hiddenSizes.count) entries (one per layer), found \(list.count)") }
            quantizations = try list.enumerated().map { k, entry in
                try parseQuantization(entry, rows: kind.gateCount * hiddenSizes[k])
            }
        }

        var layers: [RecurrentLayer] = []
        var previousOutputs: [Int] = Array(repeating: inputSize, count: D)  // per direction, for separate stacks
        var layerInput = inputSize
        for (k, hidden) in hiddenSizes.enumerated() {
            var cells: [Cell] = []
            for d in 0..<D {
                let I = (direction == .bidirectional && form == .separateStacks) ? previousOutputs[d] : layerInput
                let options = CellOptions(activations: perDirection[d], clip: clip, cellClip: cellClip, inputForget: inputForget,
                                          forgetBias: forgetBias, linearBeforeReset: linearBeforeReset, sampleRateDelay: delays[k])
                var cell = try CellImporter.cell(framework, kind: kind, inputSize: I, hiddenSize: hidden,
                                                 options: options, tensors: layerWeights[k][d])
                if let q = quantizations[k] {
                    try q.validate(for: cell, at: "\(node.path).quantization[\(k)]")
                    cell.quantization = q
                }
                cells.append(cell)
            }
            previousOutputs = cells.map(\.outputSize)
            layerInput = previousOutputs.reduce(0, +)
            layers.append(RecurrentLayer(cells: cells))
        }
        return RecurrentStack(direction: direction, bidirectionalForm: form, layers: layers, outputInProcessingOrder: outputInProcessingOrder)
    }
}

extension ModelDescription {
    static let quantizationKeys = ["input", "hidden", "cell_exponent", "input_weight_scales", "recurrent_weight_scales"]

    /// One layer's `quantization` entry: `{"input": {"scale", "zero_point"},
    /// "hidden": {…}, "cell_exponent": e, "input_weight_scales": [G·H],
    /// "recurrent_weight_scales": [G·H]}`; scales are float32 values.
    static func parseQuantization(_ node: JSONNode, rows: Int) throws -> CellQuantization {
        try node.checkKeys(quantizationKeys)
        func affine(_ key: String) throws -> AffineQuantization {
            let m = try node.required(key)
            try m.checkKeys(["scale", "zero_point"])
            return AffineQuantization(scale: try float32(m.required("scale")), zeroPoint: try m.required("zero_point").int())
        }
        // Scales are float32: a number is read as the nearest float32, so
        // decimal text that names a float32 value reads back to it exactly.
        func float32(_ n: JSONNode) throws -> Double {
            let v = try n.number(), f = Float(v)
            guard f.isFinite, f > 0 else { throw n.error("expected a positive float32 scale, found \(v)") }
            return Double(f)
        }
        func scales(_ key: String) throws -> [Double] {
            let list = try node.required(key)
            let values = try list.array().map(float32)
            guard values.count == rows else { throw list.error("expected \(rows) scales (one per row of the gate matrix), found \(values.count)") }
            return values
        }
        return CellQuantization(input: try affine("input"), hidden: try affine("hidden"), cellExponent: try node.required("cell_exponent").int(),
                                inputWeightScales: try scales("input_weight_scales"), recurrentWeightScales: try scales("recurrent_weight_scales"))
    }
}

/// Resolves the tensor references of a description: a path to a `.npy` file
/// (relative to the description), an entry of the description's `weights_file`
/// archive, or inline numbers (nested arrays).
struct TensorSource {
    let baseDirectory: URL
    var archive: (any TensorArchive)?

    init(baseDirectory: URL) { self.baseDirectory = baseDirectory }

    func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : baseDirectory.appendingPathComponent(path).path
    }

    func tensor(_ node: JSONNode) throws -> Tensor {
        if let text = node.value as? String {
            do {
                if let archive { return try archive.tensor(named: text) }
                return try NPY.read(contentsOf: resolve(text))
            } catch let error as RNNError {
                // Keep the weight file's own message, and say which field named it.
                throw RNNError(file: error.file, at: [node.path, error.location].compactMap { $0 }.joined(separator: ": "), error.message)
            }
        }
        if node.value is [Any] { return try inline(node) }
        throw node.error("expected a tensor: a .npy path, an archive entry name, or nested arrays of numbers; found \(node.typeName)")
    }

    private func inline(_ node: JSONNode) throws -> Tensor {
        var shape: [Int] = []
        var values: [Double] = []
        func walk(_ n: JSONNode, depth: Int) throws {
            if n.value is [Any] {
                let items = try n.array()
                if depth == shape.count { shape.append(items.count) } else if shape[depth] != items.count {
                    throw n.error("ragged nested arrays: expected \(shape[depth]) entries at depth \(depth), found \(items.count)")
                }
                for item in items { try walk(item, depth: depth + 1) }
            } else {
                guard depth == shape.count else { throw n.error("ragged nested arrays: a number where an array was expected") }
                values.append(try n.number())
            }
        }
        try walk(node, depth: 0)
        // A number before a deeper array ([1, [2, 3]]) passes the checks above but fills no shape.
        guard Tensor.checkedCount(shape) == values.count else {
            throw node.error("ragged nested arrays: \(values.count) numbers do not fill a shape of \(Tensor.describe(shape))")
        }
        return Tensor(shape: shape, values: values)
    }

    /// An object of named tensors.
    func named(_ node: JSONNode) throws -> NamedTensors {
        var tensors: [String: Tensor] = [:]
        for key in try node.object().keys.sorted() {
            if let member = try node.member(key) { tensors[key] = try tensor(member) }
        }
        return NamedTensors(tensors, location: node.path)
    }
}
