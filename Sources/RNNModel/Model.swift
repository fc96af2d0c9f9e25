/// The canonical model: what every description and importer produces and what
/// the reference interpreter (and later the kernel planner) consumes.
///
/// Canonical conventions follow the ONNX operator spec:
/// - gate order LSTM `i, o, f, c`; GRU `z, r, h`; RNN one gate;
/// - `W` is `[G·H, I]`, `R` is `[G·H, Hr]` (Hr = projection size or H),
///   biases `Wb`, `Rb` are `[G·H]` each, peepholes `[3·H]` in order `i, o, f`,
///   projection `[P, H]`.

public enum CellKind: String, CaseIterable, Sendable {
    case rnn, lstm, gru

    public var gateCount: Int {
        switch self {
        case .rnn: return 1
        case .lstm: return 4
        case .gru: return 3
        }
    }

    /// Activations the cell uses: RNN `f`; LSTM `f, g, h`; GRU `f, g`.
    public var activationCount: Int {
        switch self {
        case .rnn: return 1
        case .lstm: return 3
        case .gru: return 2
        }
    }

    public var defaultActivations: [Activation] {
        switch self {
        case .rnn: return [.tanh]
        case .lstm: return [.sigmoid, .tanh, .tanh]
        case .gru: return [.sigmoid, .tanh]
        }
    }
}

/// The weights of one cell (one layer, one direction), in canonical layout.
public struct CellWeights: Equatable, Sendable {
    public var input: Tensor            // W  [G·H, I]
    public var recurrent: Tensor        // R  [G·H, Hr]
    public var inputBias: Tensor        // Wb [G·H]
    public var recurrentBias: Tensor    // Rb [G·H]
    public var peephole: Tensor?        // P  [3·H], order i, o, f
    public var projection: Tensor?      // [P, H]

    public init(input: Tensor, recurrent: Tensor, inputBias: Tensor, recurrentBias: Tensor,
                peephole: Tensor? = nil, projection: Tensor? = nil) {
        self.input = input
        self.recurrent = recurrent
        self.inputBias = inputBias
        self.recurrentBias = recurrentBias
        self.peephole = peephole
        self.projection = projection
    }
}

/// Options of a cell that change its math (docs/description-format.md, "Recurrent fields").
public struct CellOptions: Equatable, Sendable {
    /// RNN `[f]`, LSTM `[f, g, h]`, GRU `[f, g]`.
    public var activations: [Activation]
    /// ONNX `clip`: clips the input of every activation to ±clip.
    public var clip: Double?
    /// TF1 `cell_clip`: clips the new cell state itself to ±cellClip.
    public var cellClip: Double?
    /// LSTM coupled input-forget gate: f = 1 − i.
    public var inputForget: Bool
    /// TF1 `forget_bias`, added to the forget gate's pre-activation.
    public var forgetBias: Double
    /// GRU: apply the reset gate after the recurrent matmul (PyTorch, Keras
    /// reset_after=True, ONNX linear_before_reset=1).
    public var linearBeforeReset: Bool
    /// Sample-rate correction (docs/AUDIO.md): each step reads the state `d`
    /// steps back, `d` = the rate the model runs at / the rate it was
    /// trained at, ≥ 1; a fractional `d` interpolates linearly between the
    /// two states around it. nil: the usual recurrence (d = 1).
    public var sampleRateDelay: Double?

    public init(activations: [Activation], clip: Double? = nil, cellClip: Double? = nil,
                inputForget: Bool = false, forgetBias: Double = 0, linearBeforeReset: Bool = false, sampleRateDelay: Double? = nil) {
        self.activations = activations
        self.clip = clip
        self.cellClip = cellClip
        self.inputForget = inputForget
        self.forgetBias = forgetBias
        self.linearBeforeReset = linearBeforeReset
        self.sampleRateDelay = sampleRateDelay
    }

    /// The largest sample-rate delay rnngen takes (a model trained at 12 kHz run at 768 kHz).
    public static let maxSampleRateDelay = 64.0

    /// Whether `d` is a sample-rate delay rnngen takes: finite, 1…64.
    public static func isSampleRateDelay(_ d: Double) -> Bool { d.isFinite && d >= 1 && d <= maxSampleRateDelay }
}

/// How a layer with sample-rate delay `d` reads its past states: `n = ⌊d⌋`
/// steps back with weight `1 − φ` and `n + 1` back with weight `φ = d − n`.
public struct StateDelay: Equatable, Sendable {
    public var delay: Double
    public init(_ delay: Double) { self.delay = delay }

    public var whole: Int { Int(delay.rounded(.down)) }
    public var fraction: Double { delay - Double(whole) }
    /// States kept: the last `n`, or `n + 1` where `d` has a fraction.
    public var history: Int { fraction > 0 ? whole + 1 : whole }

    /// The state read from a history kept newest first (`history[k]` is
    /// `k + 1` steps back): `(1 − φ)·history[n − 1] + φ·history[n]`.
    public func read(_ history: [[Double]]) -> [Double] {
        let newer = history[whole - 1]
        guard fraction > 0 else { return newer }
        let older = history[whole]
        return zip(newer, older).map { fraction * $1 + (1 - fraction) * $0 }
    }
}

/// One cell: one layer in one direction.
public struct Cell: Equatable, Sendable {
    public var kind: CellKind
    public var inputSize: Int
    public var hiddenSize: Int
    public var options: CellOptions
    public var weights: CellWeights
    /// How the cell runs in integers, when it is quantized (docs/kernels.md,
    /// "Integer kernels"); the real weights above stay its float model.
    public var quantization: CellQuantization?

    public init(kind: CellKind, inputSize: Int, hiddenSize: Int, options: CellOptions, weights: CellWeights,
                quantization: CellQuantization? = nil) {
        self.kind = kind
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.options = options
        self.weights = weights
        self.quantization = quantization
    }

    /// The size of `h` as the next layer and the recurrence see it.
    public var outputSize: Int { weights.projection?.shape[0] ?? hiddenSize }
    public var hasCellState: Bool { kind == .lstm }
    /// Sample-rate correction, when the cell has it.
    public var delay: StateDelay? { options.sampleRateDelay.map(StateDelay.init) }
    /// Past states the cell keeps: its state tensors hold this many h (and
    /// c) vectors, newest first.
    public var stateHistory: Int { delay?.history ?? 1 }
}

public enum Direction: String, CaseIterable, Sendable {
    case forward, reverse, bidirectional
}

/// How a bidirectional stack is wired.
public enum BidirectionalForm: String, CaseIterable, Sendable {
    /// Each layer is bidirectional and layer k+1 reads both directions
    /// concatenated (PyTorch, ONNX, Keras).
    case stacked
    /// Two independent stacks, one per direction, concatenated at the end
    /// (TF1 `bidirectional_dynamic_rnn` over `MultiRNNCell`).
    case separateStacks = "separate_stacks"
}

/// One layer of a stack: one cell per direction (forward first).
public struct RecurrentLayer: Equatable, Sendable {
    public var cells: [Cell]
    public init(cells: [Cell]) { self.cells = cells }
}

/// What a length-0 sequence returns as final state; frameworks disagree.
public enum ZeroLengthState: String, CaseIterable, Sendable {
    /// The initial state is copied through (TF1 `dynamic_rnn`).
    case initial
    /// Zeros (onnxruntime).
    case zero
}

/// A stack of recurrent layers of one cell kind.
public struct RecurrentStack: Equatable, Sendable {
    public var direction: Direction
    public var bidirectionalForm: BidirectionalForm
    public var layers: [RecurrentLayer]
    /// Keras `go_backwards`: a reverse stack whose output sequence is returned
    /// in processing order (last time step first) rather than time order.
    public var outputInProcessingOrder: Bool

    public init(direction: Direction, bidirectionalForm: BidirectionalForm = .stacked,
                layers: [RecurrentLayer], outputInProcessingOrder: Bool = false) {
        self.direction = direction
        self.bidirectionalForm = bidirectionalForm
        self.layers = layers
        self.outputInProcessingOrder = outputInProcessingOrder
    }

    public var directionCount: Int { direction == .bidirectional ? 2 : 1 }
    public var inputSize: Int { layers[0].cells[0].inputSize }
    public var kind: CellKind { layers[0].cells[0].kind }

    /// Features per step of the stack's output: the top layer's directions concatenated.
    public var outputSize: Int { layers.last!.cells.reduce(0) { $0 + $1.outputSize } }

    /// Whether the cell at `layer` runs in reverse time order.
    public func isReverse(direction index: Int) -> Bool {
        direction == .reverse || (direction == .bidirectional && index == 1)
    }
}

/// What follows a dense layer's matrix-vector product (or what a stand-alone
/// activation stage computes): nothing, one of the ONNX activations element
/// by element, PReLU with one learned slope per feature, or a softmax over
/// the features.
public enum DenseActivation: Equatable, Sendable, CustomStringConvertible {
    case none
    /// One function element by element, with its parameters (`elu` with
    /// alpha, `leaky_relu`, `softsign`, …): the same math as a cell's.
    case elementwise(Activation)
    /// `x ≥ 0 ? x : slope[k]·x`, one slope per feature `k` (a `[features]` tensor).
    case prelu(Tensor)
    case softmax

    public static let relu = DenseActivation.elementwise(.relu)
    public static let tanh = DenseActivation.elementwise(.tanh)
    public static let sigmoid = DenseActivation.elementwise(.sigmoid)

    /// The element-wise function, whose math (reference and kernels) is
    /// `Activation`'s; nil for none, PReLU and softmax.
    public var elementwise: Activation? {
        if case .elementwise(let f) = self { return f }
        return nil
    }

    /// PReLU's slopes, one per feature.
    public var slopes: Tensor? {
        if case .prelu(let t) = self { return t }
        return nil
    }

    /// `none`, `softmax`, `prelu`, or the function with its parameters (`Elu(alpha=1.0)`).
    public var description: String {
        switch self {
        case .none: return "none"
        case .softmax: return "softmax"
        case .prelu: return "prelu"
        case .elementwise(let f):
            switch f.kind {
            case .relu: return "relu"
            case .tanh: return "tanh"
            case .sigmoid: return "sigmoid"
            default: return f.description
            }
        }
    }
}

/// A fully connected layer, `y = act(W x + b)`, with W `[out, in]`.
public struct DenseLayer: Equatable, Sendable {
    public var weight: Tensor   // [out, in]
    public var bias: Tensor?    // [out]
    public var activation: DenseActivation

    public init(weight: Tensor, bias: Tensor?, activation: DenseActivation) {
        self.weight = weight
        self.bias = bias
        self.activation = activation
    }

    public var inputSize: Int { weight.shape[1] }
    public var outputSize: Int { weight.shape[0] }
}

/// One stage of a model's pipeline.
public enum Stage: Equatable, Sendable {
    /// Dense layer applied at every time step.
    case dense(DenseLayer)
    /// A recurrent stack.
    case recurrent(RecurrentStack)
    /// Several stacks reading the same input; their outputs are concatenated
    /// per step, and their states listed stack by stack.
    case parallel([RecurrentStack])
    /// Dense head on the last step: the final `h` of the top layer of the
    /// previous recurrent stage (every direction, every parallel stack),
    /// concatenated. Ends the pipeline.
    case head(DenseLayer)
    /// An activation applied at every time step, feature by feature (a
    /// stand-alone activation or PReLU layer); softmax over the features.
    case activation(DenseActivation)
    /// A skip connection: features of the model's input `x` added to this
    /// point's output at every time step.
    case residual(Residual)
}

extension Stage {
    /// Features per step after this stage, given `width` before it (a head
    /// leaves the sequence as it is).
    public func outputSize(after width: Int) -> Int {
        switch self {
        case .dense(let d): return d.outputSize
        case .recurrent(let s): return s.outputSize
        case .parallel(let list): return list.reduce(0) { $0 + $1.outputSize }
        case .head, .activation, .residual: return width
        }
    }
}

/// `y[j] += x[features[j]]` at every step, where `x` is the model's input;
/// one feature is added to every output (as a broadcast adds it). The amp
/// models' `y = linear(h) + x[0]`.
public struct Residual: Equatable, Sendable {
    public var features: [Int]
    public init(features: [Int]) { self.features = features }

    /// The input feature added to output `j` of `width`.
    public func feature(for j: Int) -> Int { features.count == 1 ? features[0] : features[j] }
}

public enum Layout: String, CaseIterable, Sendable {
    /// `[T, B, F]`
    case timeMajor = "time_major"
    /// `[B, T, F]`
    case batchMajor = "batch_major"
}

extension Layout {
    /// The row of item `b`'s step `t` in a tensor of `batch` items and `steps` steps.
    public func row(item b: Int, step t: Int, batch B: Int, steps T: Int) -> Int { self == .timeMajor ? t * B + b : b * T + t }

    /// A batch-major tensor `[B, T, F]` in this layout (itself when batch major).
    public func arranging(batchMajor t: Tensor) -> Tensor {
        guard self == .timeMajor else { return t }
        let (B, T, F) = (t.shape[0], t.shape[1], t.shape[2])
        var out = Tensor(shape: [T, B, F], values: Array(repeating: 0, count: t.count))
        for b in 0..<B { for s in 0..<T { for j in 0..<F { out.values[(s * B + b) * F + j] = t.values[(b * T + s) * F + j] } } }
        return out
    }

    /// A tensor's rows as `[b][t]` → `width` values.
    public func sequences(_ x: Tensor, batch B: Int, steps T: Int, width: Int) -> [[[Double]]] {
        (0..<B).map { b in
            (0..<T).map { t in
                let base = row(item: b, step: t, batch: B, steps: T) * width
                return Array(x.values[base..<(base + width)])
            }
        }
    }

    /// `[b][t]` → `width` values as a tensor in this layout.
    public func tensor(_ sequences: [[[Double]]], steps T: Int, width: Int, elementType: ElementType = .float32) -> Tensor {
        let B = sequences.count
        var out = Tensor(zeros: self == .timeMajor ? [T, B, width] : [B, T, width], elementType: elementType)
        for b in 0..<B {
            for t in 0..<T {
                let base = row(item: b, step: t, batch: B, steps: T) * width
                out.values.replaceSubrange(base..<(base + width), with: sequences[b][t])
            }
        }
        return out
    }
}

/// A validated model: a small pipeline of dense layers and recurrent stacks.
public struct Model: Equatable, Sendable {
    public var name: String
    public var inputSize: Int
    public var layout: Layout
    public var zeroLengthState: ZeroLengthState
    public var stages: [Stage]
    /// The framework a description says its weights come from (its
    /// `framework`); nil for models read from ONNX files. It decides how
    /// `rnngen run` also names the states (PyTorch's h_n and c_n).
    public var framework: Framework?
    /// What a reader assumed where the file was silent (RTNeural's JSON has
    /// no recurrent activation), for `inspect` to say.
    public var assumptions: [String] = []

    public init(name: String, inputSize: Int, layout: Layout, zeroLengthState: ZeroLengthState = .initial, stages: [Stage]) {
        self.name = name
        self.inputSize = inputSize
        self.layout = layout
        self.zeroLengthState = zeroLengthState
        self.stages = stages
    }

    /// Every recurrent stack in pipeline order (parallel stacks flattened);
    /// its index is the `s` in state names `h_s{s}_l{k}_{fw|bw}`.
    public var stacks: [RecurrentStack] {
        stages.flatMap { stage -> [RecurrentStack] in
            switch stage {
            case .recurrent(let stack): return [stack]
            case .parallel(let stacks): return stacks
            default: return []
            }
        }
    }

    /// Size of the `y` output per step.
    public var sequenceOutputSize: Int { stages.reduce(inputSize) { $1.outputSize(after: $0) } }

    /// Whether any layer reads its state from further back (sample-rate correction).
    public var hasSampleRateDelay: Bool { stacks.contains { $0.layers.contains { $0.cells.contains { $0.delay != nil } } } }

    public var head: DenseLayer? {
        if case .head(let d)? = stages.last { return d }
        return nil
    }
}

/// Names of per-layer, per-direction state tensors, shared by the interpreter,
/// the CLI and the docs: `h_s0_l1_fw`, `c_s0_l1_bw`; inputs are prefixed
/// `initial_`.
public struct StateName: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var stack: Int
    public var layer: Int
    public var reverse: Bool
    public var isCell: Bool

    public init(stack: Int, layer: Int, reverse: Bool, isCell: Bool) {
        self.stack = stack
        self.layer = layer
        self.reverse = reverse
        self.isCell = isCell
    }

    public var description: String { "\(isCell ? "c" : "h")_s\(stack)_l\(layer)_\(reverse ? "bw" : "fw")" }
    public var initialName: String { "initial_" + description }

    public static func < (a: StateName, b: StateName) -> Bool {
        (a.stack, a.layer, a.reverse ? 1 : 0, a.isCell ? 1 : 0) < (b.stack, b.layer, b.reverse ? 1 : 0, b.isCell ? 1 : 0)
    }
}

extension Model {
    /// Every state tensor the model has, in a stable order, with its size.
    public var stateNames: [(name: StateName, size: Int)] {
        var out: [(StateName, Int)] = []
        for (s, stack) in stacks.enumerated() {
            for (k, layer) in stack.layers.enumerated() {
                for (d, cell) in layer.cells.enumerated() {
                    let reverse = stack.isReverse(direction: d)
                    out.append((StateName(stack: s, layer: k, reverse: reverse, isCell: false), cell.stateHistory * cell.outputSize))
                    if cell.hasCellState {
                        out.append((StateName(stack: s, layer: k, reverse: reverse, isCell: true), cell.stateHistory * cell.hiddenSize))
                    }
                }
            }
        }
        return out
    }
}

extension Model {
    /// The model with sample-rate correction `delay` on every recurrent
    /// layer (nil: none); `rnngen generate --sample-rate-delay`.
    public func withSampleRateDelay(_ delay: Double?) -> Model {
        var copy = self
        for (k, stage) in stages.enumerated() {
            func delayed(_ s: RecurrentStack) -> RecurrentStack {
                var s = s
                for l in s.layers.indices { for d in s.layers[l].cells.indices { s.layers[l].cells[d].options.sampleRateDelay = delay } }
                return s
            }
            switch stage {
            case .recurrent(let s): copy.stages[k] = .recurrent(delayed(s))
            case .parallel(let list): copy.stages[k] = .parallel(list.map(delayed))
            default: break
            }
        }
        return copy
    }
}

extension Model {
    /// Checks that the stages fit together and every tensor has the shape its
    /// layer says: what the description and ONNX readers guarantee, checked
    /// again for models built in code, so the interpreter and the planner
    /// give an error instead of reading past an array.
    public func validate() throws {
        func fail(_ at: String, _ message: String) -> RNNError { RNNError(at: "model \(Quote.text(name)): \(at)", message) }
        func expect(_ t: Tensor?, _ shape: [Int], _ what: String) throws {
            guard let t else { return }
            guard t.shape == shape, t.values.count == shape.reduce(1, *) else {
                throw fail(what, "expected shape \(Tensor.describe(shape)), found \(t.shapeDescription)")
            }
        }
        func check(_ activation: DenseActivation, width: Int, _ what: String) throws {
            try expect(activation.slopes, [width], "\(what) PReLU slopes")
        }
        func check(_ dense: DenseLayer, input: Int, _ what: String) throws {
            guard dense.weight.rank == 2, dense.outputSize >= 1 else { throw fail(what, "a dense weight is [out, in], found \(dense.weight.shapeDescription)") }
            try expect(dense.weight, [dense.outputSize, input], "\(what) weight")
            try expect(dense.bias, [dense.outputSize], "\(what) bias")
            try check(dense.activation, width: dense.outputSize, what)
        }
        func check(_ stack: RecurrentStack, input: Int, _ what: String) throws {
            guard !stack.layers.isEmpty else { throw fail(what, "a recurrent stack needs a layer") }
            var inputs = Array(repeating: input, count: stack.directionCount)
            for (l, layer) in stack.layers.enumerated() {
                guard layer.cells.count == stack.directionCount else {
                    throw fail("\(what) layer \(l)", "expected \(stack.directionCount) cells (one per direction), found \(layer.cells.count)")
                }
                for (d, cell) in layer.cells.enumerated() {
                    let at = "\(what) layer \(l) cell \(d)", G = cell.kind.gateCount, H = cell.hiddenSize
                    let I = inputs[d]
                    guard H >= 1, cell.inputSize == I else { throw fail(at, "expected input size \(I) and H ≥ 1, found \(cell.inputSize) and \(H)") }
                    guard cell.options.activations.count == cell.kind.defaultActivations.count else {
                        throw fail(at, "\(cell.kind.rawValue) takes \(cell.kind.defaultActivations.count) activations, found \(cell.options.activations.count)")
                    }
                    if let p = cell.weights.projection, p.rank != 2 || p.shape[0] < 1 { throw fail(at, "a projection is [P, H], found \(p.shapeDescription)") }
                    try expect(cell.weights.input, [G * H, I], "\(at) input weights")
                    try expect(cell.weights.recurrent, [G * H, cell.outputSize], "\(at) recurrent weights")
                    try expect(cell.weights.inputBias, [G * H], "\(at) input bias")
                    try expect(cell.weights.recurrentBias, [G * H], "\(at) recurrent bias")
                    try expect(cell.weights.peephole, [3 * H], "\(at) peepholes")
                    try expect(cell.weights.projection, [cell.outputSize, H], "\(at) projection")
                    if let d = cell.options.sampleRateDelay {
                        guard CellOptions.isSampleRateDelay(d) else {
                            throw fail(at, "sample-rate delay \(d): expected 1…\(CellOptions.maxSampleRateDelay) (the rate the model runs at over the rate it was trained at)")
                        }
                        guard stack.direction == .forward else {
                            throw fail(at, "sample-rate correction streams forward; a \(stack.direction.rawValue) stack cannot have it")
                        }
                    }
                }
                // The next layer reads both directions' outputs (stacked) or its own direction's (separate stacks).
                let outputs = layer.cells.map(\.outputSize)
                inputs = stack.bidirectionalForm == .separateStacks ? outputs : Array(repeating: outputs.reduce(0, +), count: stack.directionCount)
            }
        }
        guard inputSize >= 1 else { throw fail("input_size", "expected a positive size, found \(inputSize)") }
        var width = inputSize
        var lastHidden: Int?
        for (index, stage) in stages.enumerated() {
            let what = "stage \(index)"
            switch stage {
            case .dense(let dense):
                try check(dense, input: width, what)
                width = dense.outputSize
                lastHidden = nil
            case .recurrent(let stack):
                try check(stack, input: width, what)
                width = stack.outputSize
                lastHidden = stack.layers.last!.cells.reduce(0) { $0 + $1.outputSize }
            case .parallel(let stacks):
                guard !stacks.isEmpty else { throw fail(what, "parallel stacks need at least one stack") }
                for (s, stack) in stacks.enumerated() { try check(stack, input: width, "\(what) stack \(s)") }
                width = stacks.reduce(0) { $0 + $1.outputSize }
                lastHidden = width
            case .head(let dense):
                if hasSampleRateDelay {
                    throw fail(what, "a head reads the final state, which with sample-rate correction is a history of states; a model with a head cannot have it")
                }
                guard index == stages.count - 1, let hidden = lastHidden else {
                    throw fail(what, "the head reads the final state of a recurrent stage: it must be the last stage, right after a recurrent or parallel one")
                }
                try check(dense, input: hidden, what)
            case .activation(let activation):
                try check(activation, width: width, what)
                lastHidden = nil
            case .residual(let residual):
                guard residual.features.count == width || residual.features.count == 1 else {
                    throw fail(what, "a residual adds one input feature to every output or one per output (\(width)), found \(residual.features.count) features")
                }
                if let bad = residual.features.first(where: { $0 < 0 || $0 >= inputSize }) {
                    throw fail(what, "input feature \(bad) does not exist (the model has \(inputSize) input features)")
                }
                lastHidden = nil
            }
        }
        guard !stages.isEmpty else { throw fail("stages", "a model needs at least one stage") }
        if isQuantized { try validateQuantization() }
    }
}
