import Foundation
import RNNModel

/// The inputs of one run of a model. `x` is in the model's layout; states are
/// `[B, size]`, keyed by state name; missing states start at zero.
public struct ModelInputs {
    public var x: Tensor
    public var sequenceLengths: [Int]?
    public var initialStates: [StateName: Tensor]

    public init(x: Tensor, sequenceLengths: [Int]? = nil, initialStates: [StateName: Tensor] = [:]) {
        self.x = x
        self.sequenceLengths = sequenceLengths
        self.initialStates = initialStates
    }
}

extension ModelInputs {
    /// Refuses a batch whose outputs or states would not fit in 2³¹ values:
    /// an `x` with no elements can still declare a batch of 2³¹ − 1 items.
    public static func checkSize(_ model: Model, batch B: Int, steps T: Int) throws {
        let widest = max(model.sequenceOutputSize, model.stateNames.reduce(0) { $0 + $1.size }, model.inputSize, 1)
        guard Tensor.checkedCount([B, max(T, 1), widest]) != nil else {
            throw RNNError(at: "x", "a batch of \(B) × \(T) steps × \(widest) features is more than one run holds (2³¹ values)")
        }
    }
}

extension ModelInputs {
    /// Checks the inputs against the model (x's shape, the lengths, the
    /// initial states' names and shapes); returns the steps, the batch and
    /// every item's length.
    public func checked(for model: Model) throws -> (steps: Int, batch: Int, lengths: [Int]) {
        guard x.rank == 3 else {
            throw RNNError(at: "x", "expected a rank-3 tensor (\(model.layout == .timeMajor ? "[T, B, I]" : "[B, T, I]")), found shape \(x.shapeDescription)")
        }
        let (T, B) = model.layout == .timeMajor ? (x.shape[0], x.shape[1]) : (x.shape[1], x.shape[0])
        guard x.shape[2] == model.inputSize else {
            throw RNNError(at: "x", "expected \(model.inputSize) input features in the last axis, found shape \(x.shapeDescription)")
        }
        try ModelInputs.checkSize(model, batch: B, steps: T)
        let lengths = sequenceLengths ?? Array(repeating: T, count: B)
        guard lengths.count == B else {
            throw RNNError(at: "seq_lens", "expected \(B) sequence lengths (one per batch item), found \(lengths.count)")
        }
        for (b, length) in lengths.enumerated() where length < 0 || length > T {
            throw RNNError(at: "seq_lens", "item \(b) has length \(length), expected 0…\(T)")
        }
        let sizes = Dictionary(uniqueKeysWithValues: model.stateNames.map { ($0.name, $0.size) })
        for (name, tensor) in initialStates {
            guard let size = sizes[name] else {
                throw RNNError(at: name.initialName, "the model has no such state (it has: \(model.stateNames.map { $0.name.initialName }.joined(separator: ", ")))")
            }
            guard tensor.shape == [B, size] else {
                throw RNNError(at: name.initialName, "expected shape \(Tensor.describe([B, size])), found \(tensor.shapeDescription)")
            }
        }
        return (T, B, lengths)
    }
}

/// The outputs of one run: `y` is the last sequence stage's output in the
/// model's layout (zero past each item's length); `head` is `[B, O]`; states
/// are `[B, size]`.
public struct ModelOutputs {
    public var y: Tensor
    public var head: Tensor?
    public var finalStates: [StateName: Tensor]

    public init(y: Tensor, head: Tensor?, finalStates: [StateName: Tensor]) {
        self.y = y
        self.head = head
        self.finalStates = finalStates
    }
}

/// Runs any valid model with run-time sizes, in Double, one obvious loop at a
/// time. It is the definition of "correct" that generated kernels are checked
/// against, so it favours clarity over speed.
public struct ReferenceInterpreter {
    public let model: Model

    public init(model: Model) { self.model = model }

    /// A batch of sequences: `[b][t]` → features.
    typealias Sequences = [[[Double]]]

    public func run(_ inputs: ModelInputs) throws -> ModelOutputs {
        try run(inputs, record: nil)
    }

    /// The run, keeping in `record` (when given) what the backward pass
    /// reads: each stage's input and every cell step's state before it.
    func run(_ inputs: ModelInputs, record: ForwardRecord?) throws -> ModelOutputs {
        try model.validate()
        let x = inputs.x
        let (T, B, lengths) = try inputs.checked(for: model)

        var sequence: Sequences = (0..<B).map { b in
            (0..<T).map { t in
                let base = model.layout == .timeMajor ? (t * B + b) * model.inputSize : (b * T + t) * model.inputSize
                return Array(x.values[base..<(base + model.inputSize)])
            }
        }
        let modelInput = sequence
        var finals: [StateName: Tensor] = [:]
        var lastHidden: [[Double]] = Array(repeating: [], count: B)
        var headOutput: Tensor?
        var stackIndex = 0
        record?.lengths = lengths

        for stage in model.stages {
            record?.stageInputs.append(sequence)
            record?.lastHidden.append(lastHidden)
            record?.firstStack.append(stackIndex)
            switch stage {
            case .dense(let dense):
                sequence = sequence.map { $0.map { apply(dense, to: $0) } }
            case .recurrent(let stack):
                let result = runStack(stack, index: stackIndex, sequence, lengths: lengths, inputs: inputs, finals: &finals, record: record)
                sequence = result.output
                lastHidden = result.lastHidden
                stackIndex += 1
            case .parallel(let stacks):
                var outputs: [Sequences] = []
                var hiddens: [[[Double]]] = []
                for stack in stacks {
                    let result = runStack(stack, index: stackIndex, sequence, lengths: lengths, inputs: inputs, finals: &finals, record: record)
                    outputs.append(result.output)
                    hiddens.append(result.lastHidden)
                    stackIndex += 1
                }
                sequence = (0..<B).map { b in (0..<T).map { t in outputs.flatMap { $0[b][t] } } }
                lastHidden = (0..<B).map { b in hiddens.flatMap { $0[b] } }
            case .head(let dense):
                let rows = lastHidden.map { apply(dense, to: $0) }
                headOutput = Tensor(shape: [B, dense.outputSize], values: rows.flatMap { $0 })
            case .activation(let activation):
                sequence = sequence.map { $0.map { apply(activation, to: $0) } }
            case .residual(let residual):
                sequence = (0..<B).map { b in
                    (0..<T).map { t in
                        sequence[b][t].enumerated().map { j, v in v + modelInput[b][t][residual.feature(for: j)] }
                    }
                }
            }
        }

        record?.output = sequence
        let F = model.sequenceOutputSize
        var y = Tensor(zeros: model.layout == .timeMajor ? [T, B, F] : [B, T, F])
        for b in 0..<B {
            for t in 0..<T {
                let base = model.layout == .timeMajor ? (t * B + b) * F : (b * T + t) * F
                y.values.replaceSubrange(base..<(base + F), with: sequence[b][t])
            }
        }
        return ModelOutputs(y: y, head: headOutput, finalStates: finals)
    }

    func apply(_ dense: DenseLayer, to x: [Double]) -> [Double] {
        apply(dense.activation, to: preActivation(dense, x))
    }

    /// `W x + b`, before the layer's activation.
    func preActivation(_ dense: DenseLayer, _ x: [Double]) -> [Double] {
        let n = dense.inputSize
        return (0..<dense.outputSize).map { row -> Double in
            var sum = dense.bias?.values[row] ?? 0
            for j in 0..<n { sum += dense.weight.values[row * n + j] * x[j] }
            return sum
        }
    }

    func apply(_ activation: DenseActivation, to x: [Double]) -> [Double] {
        switch activation {
        case .none: return x
        case .elementwise(let f): return x.map { f($0) }
        case .prelu(let slopes): return x.enumerated().map { k, v in v < 0 ? slopes.values[k] * v : v }
        case .softmax:
            let top = x.max() ?? 0
            let exps = x.map { Foundation.exp($0 - top) }
            let total = exps.reduce(0, +)
            return exps.map { $0 / total }
        }
    }

    /// Runs one stack; returns its output sequence and, per item, the top
    /// layer's final `h` of every direction concatenated.
    func runStack(_ stack: RecurrentStack, index: Int, _ input: Sequences, lengths: [Int],
                  inputs: ModelInputs, finals: inout [StateName: Tensor], record: ForwardRecord? = nil) -> (output: Sequences, lastHidden: [[Double]]) {
        let B = input.count
        var topFinals: [[[Double]]] = []  // per direction: [b] → h

        func runCell(_ cell: Cell, layer: Int, direction: Int, _ sequence: Sequences) -> Sequences {
            let reverse = stack.isReverse(direction: direction)
            let hName = StateName(stack: index, layer: layer, reverse: reverse, isCell: false)
            let cName = StateName(stack: index, layer: layer, reverse: reverse, isCell: true)
            let result = runCellOverTime(cell, sequence, lengths: lengths, reverse: reverse,
                                         initialH: inputs.initialStates[hName], initialC: inputs.initialStates[cName],
                                         record: record.map { record in { record.cells[hName, default: []].append(($0, $1)) } })
            record?.cellInputs[hName] = sequence
            finals[hName] = Tensor(shape: [B, cell.stateHistory * cell.outputSize], values: result.h.flatMap { $0 })
            if cell.hasCellState {
                finals[cName] = Tensor(shape: [B, cell.stateHistory * cell.hiddenSize], values: result.c.flatMap { $0 })
            }
            if layer == stack.layers.count - 1 { topFinals.append(result.h) }
            return result.output
        }

        func concatenate(_ parts: [Sequences]) -> Sequences {
            (0..<B).map { b in (0..<input[b].count).map { t in parts.flatMap { $0[b][t] } } }
        }

        var output: Sequences
        if stack.direction == .bidirectional && stack.bidirectionalForm == .separateStacks {
            var perDirection: [Sequences] = []
            for d in 0..<2 {
                var sequence = input
                for (k, layer) in stack.layers.enumerated() {
                    sequence = runCell(layer.cells[d], layer: k, direction: d, sequence)
                }
                perDirection.append(sequence)
            }
            output = concatenate(perDirection)
        } else {
            output = input
            for (k, layer) in stack.layers.enumerated() {
                let layerInput = output
                output = concatenate(layer.cells.enumerated().map { d, cell in runCell(cell, layer: k, direction: d, layerInput) })
            }
        }

        if stack.outputInProcessingOrder {
            output = output.enumerated().map { b, steps in
                let length = lengths[b]
                return (0..<steps.count).map { k in
                    k < length ? steps[length - 1 - k] : steps[k]
                }
            }
        }
        let lastHidden = (0..<B).map { b in topFinals.flatMap { $0[b] } }
        return (output, lastHidden)
    }

    /// Runs one cell over every item's valid steps, forward or reverse.
    /// Past an item's length the output is zero and the state is carried.
    func runCellOverTime(_ cell: Cell, _ input: Sequences, lengths: [Int], reverse: Bool,
                         initialH: Tensor?, initialC: Tensor?,
                         record: ((_ steps: [(t: Int, h: [Double], c: [Double])], _ zeroed: Bool) -> Void)? = nil) -> (output: Sequences, h: [[Double]], c: [[Double]]) {
        if let delay = cell.delay { return runDelayedCell(cell, delay, input, lengths: lengths, initialH: initialH, initialC: initialC) }
        let math = CellMath(cell)
        let hSize = cell.outputSize, cSize = cell.hiddenSize
        var outputs: Sequences = []
        var finalH: [[Double]] = [], finalC: [[Double]] = []
        for b in 0..<input.count {
            let T = input[b].count
            var h = initialH.map { Array($0.values[(b * hSize)..<((b + 1) * hSize)]) } ?? Array(repeating: 0, count: hSize)
            var c = initialC.map { Array($0.values[(b * cSize)..<((b + 1) * cSize)]) } ?? Array(repeating: 0, count: cSize)
            var out = Array(repeating: [Double](repeating: 0, count: hSize), count: T)
            let length = lengths[b]
            let zeroed = length == 0 && model.zeroLengthState == .zero
            if zeroed {
                h = Array(repeating: 0, count: hSize)
                c = Array(repeating: 0, count: cSize)
            }
            let order = reverse ? Array((0..<length).reversed()) : Array(0..<length)
            var steps: [(t: Int, h: [Double], c: [Double])] = []
            for t in order {
                if record != nil { steps.append((t, h, c)) }
                let next = math.step(x: input[b][t], h: h, c: c)
                h = next.h
                if cell.hasCellState { c = next.c }
                out[t] = h
            }
            record?(steps, zeroed)
            outputs.append(out)
            finalH.append(h)
            finalC.append(cell.hasCellState ? c : [])
        }
        return (outputs, finalH, finalC)
    }

    /// A cell with sample-rate correction (docs/AUDIO.md, "Sample-rate
    /// correction"): it keeps its last `m` states newest first; each step
    /// reads the state `d` back from them (interpolated where `d` has a
    /// fraction), computes the new state and shifts it in; its output is
    /// the state the next step will read. The state tensors are the
    /// histories, `m` vectors each.
    func runDelayedCell(_ cell: Cell, _ delay: StateDelay, _ input: Sequences, lengths: [Int],
                        initialH: Tensor?, initialC: Tensor?) -> (output: Sequences, h: [[Double]], c: [[Double]]) {
        let math = CellMath(cell)
        let m = delay.history, hSize = cell.outputSize, cSize = cell.hiddenSize
        func history(_ t: Tensor?, _ b: Int, _ size: Int) -> [[Double]] {
            (0..<m).map { k in t.map { Array($0.values[((b * m + k) * size)..<((b * m + k + 1) * size)]) } ?? Array(repeating: 0, count: size) }
        }
        var outputs: Sequences = []
        var finalH: [[Double]] = [], finalC: [[Double]] = []
        for b in 0..<input.count {
            var h = history(initialH, b, hSize), c = history(initialC, b, cSize)
            let length = lengths[b]
            if length == 0 && model.zeroLengthState == .zero {
                h = history(nil, b, hSize)
                c = history(nil, b, cSize)
            }
            var out = Array(repeating: [Double](repeating: 0, count: hSize), count: input[b].count)
            for t in 0..<length {
                let next = math.step(x: input[b][t], h: delay.read(h), c: cell.hasCellState ? delay.read(c) : [])
                h = [next.h] + h.dropLast()
                if cell.hasCellState { c = [next.c] + c.dropLast() }
                out[t] = delay.read(h)
            }
            outputs.append(out)
            finalH.append(h.flatMap { $0 })
            finalC.append(cell.hasCellState ? c.flatMap { $0 } : [])
        }
        return (outputs, finalH, finalC)
    }
}

/// What one forward run keeps for the backward pass (`ReferenceGradients`).
final class ForwardRecord {
    typealias Sequences = ReferenceInterpreter.Sequences
    var lengths: [Int] = []
    /// The sequence and the last recurrent stage's final h entering each
    /// stage, and the index (in state names) of its first stack.
    var stageInputs: [Sequences] = []
    var lastHidden: [[[Double]]] = []
    var firstStack: [Int] = []
    /// The model's sequence output.
    var output: Sequences = []
    /// Per cell (named by its h state), item by item: the steps in the order
    /// they ran, each with the state it read, and whether a zero-length item
    /// had its state zeroed; and the sequence the cell read.
    var cells: [StateName: [(steps: [(t: Int, h: [Double], c: [Double])], zeroed: Bool)]] = [:]
    var cellInputs: [StateName: Sequences] = [:]
}
