import RNNModel

/// What a training kernel minimises at every step of a window.
public enum TrainingLoss: String, CaseIterable, Sendable {
    /// Softmax cross-entropy of the output taken as logits against an int32
    /// label per item and step.
    case crossEntropy = "cross-entropy"
    /// The squared error against a float target per item, step and output:
    /// mean squared error and the error-to-signal ratio are this sum times
    /// the scale the caller passes (`TrainingPlan` header comment).
    case squaredError = "squared-error"
}

/// What the user asked `rnngen generate --training` for.
public struct TrainingOptions: Equatable, Sendable {
    public var language: KernelOptions.Language
    public var name: String
    /// Truncation steps K: the window the kernel runs forward and back through.
    public var steps: Int
    /// Items per call (the batch tile); a batch is several calls, their gradients added.
    public var batchTile: Int
    public var loss: TrainingLoss

    public init(language: KernelOptions.Language, name: String, steps: Int, batchTile: Int, loss: TrainingLoss) {
        (self.language, self.name, self.steps, self.batchTile, self.loss) = (language, name, steps, batchTile, loss)
    }

    public static let maximumSteps = 4096
    public static let maximumBatchTile = 4096
}

/// A run of floats in one of the kernel's arrays, `[K][B][width]` per step
/// and item (or `[B][K][width]` for the caller's inputs and targets).
struct TrainingSequence {
    var base: String
    var offset: Int
    var stepStride: Int
    var itemStride: Int
    var width: Int

    /// Step `t`'s first float (item 0, feature 0).
    func step(_ t: String) -> Address { Address(base, offset).adding(t, stride: stepStride) }

    /// The float of step `t`, item `b`, feature `j` plus `plus`.
    func at(_ t: String, _ b: String, _ j: String?, plus: Int = 0) -> Address {
        var address = Address(base, offset + plus).adding(t, stride: stepStride).adding(b, stride: itemStride)
        if let j { address = address.adding(j, stride: 1) }
        return address
    }
}

/// One recurrent layer of a training kernel, with where its parameters,
/// carried state and saved values live.
struct TrainingLayer {
    var cell: Cell
    var id: String
    var I: Int, H: Int
    var gates: Int { cell.kind.gateCount }
    /// Parameter offsets of W, R, Wb, Rb.
    var W: Int, R: Int, Wb: Int, Rb: Int
    /// The carried state's h and (LSTM) c, `[B][H]` each.
    var stateH: Int, stateC: Int?
    /// Workspace: h and c for steps 0…K (`[K+1][B][H]`, step 0 the carried
    /// state), gate pre-activations and activations (`[K][B][G·H]`), the
    /// LSTM's h-activation of c, the reset-after GRU's recurrent candidate.
    var h: Int, c: Int?, z: Int, a: Int, hc: Int?, n: Int?
    /// Backward: the gradient reaching h from the next step (`[B][H]`), and c;
    /// gate gradients on the input side and (GRU) the recurrent side
    /// (`[B][G·H]`); the reset-before GRU's gradient of r⊙h (`[B][H]`).
    var dNext: Int, dcNext: Int?, dgW: Int, dgR: Int, dRead: Int?
    /// The reset-before GRU's r ⊙ h for one step (`[B][H]`): what its candidate rows read.
    var resetH: Int?
    /// Workspace: W and R transposed (`[I][G·H]`, `[H][G·H]`), so the
    /// forward sums run along contiguous rows for every item.
    var Wt: Int, Rt: Int
    /// Workspace: the window's gradients of W and R, transposed like Wt and Rt,
    /// so each step adds long rows (every gate row at once); added to the
    /// caller's gradients after the window.
    var dWt: Int, dRt: Int
}

/// One dense layer of a training kernel.
struct TrainingDense {
    var id: String
    var inputs: Int, outputs: Int
    var weight: Int, bias: Int?
    var activation: Activation?
    /// Workspace: the pre-activations `[K][B][O]` where there is an activation.
    var pre: Int?
    /// Workspace: the weight transposed, `[in][out]`.
    var weightT: Int
}

enum TrainingStageKind {
    case layer(TrainingLayer)
    case dense(TrainingDense)
    case activation(Activation)
    case residual(Residual)
}

/// A stage with the sequences it reads and writes and their gradients.
struct TrainingStage {
    var kind: TrainingStageKind
    var input: TrainingSequence
    /// nil where the stage reads the model's input (no gradient wanted).
    var inputGradient: TrainingSequence?
    var output: TrainingSequence
    var outputGradient: TrainingSequence
}

/// Everything a training kernel is: the model's layers in order with their
/// parameter offsets (`Model.parameters`' order, each tensor row-major), the
/// carried state's layout, the workspace the forward pass keeps for the
/// backward pass, and the sizes the caller allocates.
public struct TrainingPlan {
    public let model: Model
    public let options: TrainingOptions
    public let parameterCount: Int
    /// Each parameter's name, offset and count, in table order.
    public let parameterLayout: [(name: ParameterName, offset: Int, count: Int)]
    /// Floats of carried state for the whole tile.
    public let stateFloats: Int
    public let workspaceFloats: Int
    /// The workspace's parts: each buffer's name, offset and floats.
    public let buffers: [(name: String, offset: Int, floats: Int)]
    public let inputSize: Int
    public let outputSize: Int
    let stages: [TrainingStage]

    public var steps: Int { options.steps }
    public var batchTile: Int { options.batchTile }

    public init(model: Model, options: TrainingOptions) throws {
        self.model = model
        self.options = options
        let K = options.steps, B = options.batchTile
        guard (1...TrainingOptions.maximumSteps).contains(K) else {
            throw RNNError(at: "--steps \(K)", "expected 1…\(TrainingOptions.maximumSteps) truncation steps")
        }
        guard (1...TrainingOptions.maximumBatchTile).contains(B) else {
            throw RNNError(at: "--batch-tile \(B)", "expected 1…\(TrainingOptions.maximumBatchTile) items per call")
        }
        guard !model.isQuantized else {
            throw RNNError(at: "model", "is quantized; training kernels train the float model (train it, then quantize)")
        }
        var layout: [(ParameterName, Int, Int)] = []
        var offsets: [ParameterName: Int] = [:]
        var total = 0
        for (name, value) in model.parameters {
            layout.append((name, total, value.count))
            offsets[name] = total
            total += value.count
        }
        parameterLayout = layout
        parameterCount = total

        var state = 0, work = 0
        var buffers: [(name: String, offset: Int, floats: Int)] = []
        func allocate(_ name: String, _ floats: Int) -> Int {
            buffers.append((name, work, floats))
            defer { work += floats }
            return work
        }
        func sequence(_ name: String, width: Int) -> TrainingSequence {
            TrainingSequence(base: "work", offset: allocate(name, K * B * width), stepStride: B * width, itemStride: width, width: width)
        }
        let input = TrainingSequence(base: "x", offset: 0, stepStride: model.inputSize, itemStride: K * model.inputSize, width: model.inputSize)
        var current = input
        var currentGradient: TrainingSequence? = nil
        var stages: [TrainingStage] = []
        func append(_ kind: TrainingStageKind, _ id: String, output: TrainingSequence) {
            let gradient = sequence("dy_" + id, width: output.width)
            stages.append(TrainingStage(kind: kind, input: current, inputGradient: currentGradient, output: output, outputGradient: gradient))
            current = output
            currentGradient = gradient
        }

        for (s, stage) in model.stages.enumerated() {
            let place = "stages[\(s)]"
            switch stage {
            case .recurrent(let stack):
                guard stack.direction == .forward else {
                    throw RNNError(at: place, "is a \(stack.direction.rawValue) stack; training kernels carry the state forward from window to window, so they train forward stacks only (train it with rnngen train --engine reference)")
                }
                for (l, layer) in stack.layers.enumerated() {
                    let cell = layer.cells[0]
                    let where_ = "\(place).layers[\(l)]"
                    try TrainingPlan.check(cell, at: where_)
                    func offset(_ tensor: ParameterName.Tensor) -> Int {
                        offsets[ParameterName(stage: s, stack: 0, layer: l, direction: 0, tensor: tensor)]!
                    }
                    let H = cell.hiddenSize, G = cell.kind.gateCount, lstm = cell.kind == .lstm, gru = cell.kind == .gru
                    let stateH = state
                    state += B * H
                    var stateC: Int? = nil
                    if lstm { stateC = state; state += B * H }
                    let id = "s\(s)_l\(l)"
                    let h = allocate("h_" + id, (K + 1) * B * H)
                    let c = lstm ? allocate("c_" + id, (K + 1) * B * H) : nil
                    let z = allocate("z_" + id, K * B * G * H), a = allocate("a_" + id, K * B * G * H)
                    let hc = lstm ? allocate("hc_" + id, K * B * H) : nil
                    let n = gru && cell.options.linearBeforeReset ? allocate("n_" + id, K * B * H) : nil
                    let dNext = allocate("dh_next_" + id, B * H)
                    let dcNext = lstm ? allocate("dc_next_" + id, B * H) : nil
                    let dgW = allocate("dg_" + id, B * G * H)
                    let dgR = gru ? allocate("dg_recurrent_" + id, B * G * H) : dgW
                    let dRead = gru && !cell.options.linearBeforeReset ? allocate("d_reset_h_" + id, B * H) : nil
                    let resetH = gru && !cell.options.linearBeforeReset ? allocate("rh_" + id, B * H) : nil
                    let Wt = allocate("wt_" + id, cell.inputSize * G * H), Rt = allocate("rt_" + id, H * G * H)
                    let dWt = allocate("dwt_" + id, cell.inputSize * G * H), dRt = allocate("drt_" + id, H * G * H)
                    let trained = TrainingLayer(cell: cell, id: "s\(s)_l\(l)", I: cell.inputSize, H: H,
                                                W: offset(.input), R: offset(.recurrent), Wb: offset(.inputBias), Rb: offset(.recurrentBias),
                                                stateH: stateH, stateC: stateC, h: h, c: c, z: z, a: a, hc: hc, n: n,
                                                dNext: dNext, dcNext: dcNext, dgW: dgW, dgR: dgR, dRead: dRead, resetH: resetH, Wt: Wt, Rt: Rt, dWt: dWt, dRt: dRt)
                    // The layer's output sequence is its h from step 1 on.
                    append(.layer(trained), id, output: TrainingSequence(base: "work", offset: h + B * H, stepStride: B * H, itemStride: H, width: H))
                }
            case .dense(let layer):
                var activation: Activation? = nil
                switch layer.activation {
                case .none: break
                case .elementwise(let f): activation = f
                case .softmax, .prelu:
                    throw RNNError(at: place, "is a dense layer with \(layer.activation.description); training kernels take dense layers with no activation or an elementwise one (a softmax belongs in the cross-entropy loss)")
                }
                let weight = offsets[ParameterName(stage: s, tensor: .weight)]!
                let bias = offsets[ParameterName(stage: s, tensor: .bias)]
                let pre = activation == nil ? nil : allocate("pre_s\(s)", K * B * layer.outputSize)
                let dense = TrainingDense(id: "s\(s)", inputs: layer.inputSize, outputs: layer.outputSize, weight: weight, bias: bias, activation: activation,
                                          pre: pre, weightT: allocate("wt_s\(s)", layer.inputSize * layer.outputSize))
                append(.dense(dense), "s\(s)", output: sequence("y_s\(s)", width: layer.outputSize))
            case .activation(let activation):
                guard let f = activation.elementwise else {
                    throw RNNError(at: place, "is a \(activation.description) stage; training kernels take elementwise activation stages (a softmax belongs in the cross-entropy loss)")
                }
                append(.activation(f), "s\(s)", output: sequence("y_s\(s)", width: current.width))
            case .residual(let residual):
                append(.residual(residual), "s\(s)", output: sequence("y_s\(s)", width: current.width))
            case .parallel:
                throw RNNError(at: place, "is a pair of stacks (one per direction); training kernels train forward stacks only (train it with rnngen train --engine reference)")
            case .head:
                throw RNNError(at: place, "is a head; training kernels train sequence models with a loss at every step (train a head with rnngen train --engine reference)")
            }
        }
        guard !stages.isEmpty else { throw RNNError(at: "model", "has no stages to train") }
        self.stages = stages
        self.buffers = buffers
        stateFloats = state
        workspaceFloats = work
        inputSize = model.inputSize
        outputSize = current.width
    }

    /// The cell options a training kernel computes; the others are refused by name.
    static func check(_ cell: Cell, at place: String) throws {
        var refused: [String] = []
        if cell.weights.peephole != nil { refused.append("peepholes") }
        if cell.weights.projection != nil { refused.append("a projection") }
        if cell.options.cellClip != nil { refused.append("cell_clip") }
        if cell.options.sampleRateDelay != nil { refused.append("sample_rate_delay") }
        guard refused.isEmpty else {
            throw RNNError(at: place, "has \(refused.joined(separator: " and ")); training kernels do not compute \(refused.count == 1 ? "it" : "them") yet (train the model with rnngen train --engine reference, whose gradients cover them)")
        }
    }

    /// The last stage's output: the sequence the loss reads.
    var output: TrainingSequence { stages.last!.output }
    var outputGradient: TrainingSequence { stages.last!.outputGradient }
}
