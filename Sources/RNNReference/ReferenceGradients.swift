import RNNModel

/// A loss and its gradient with respect to every parameter of a model
/// (`Model.parameters`' order and shapes) and every initial state.
public struct ModelGradients {
    public var loss: Double
    public var parameters: [(name: ParameterName, gradient: [Double])]
    public var initialStates: [StateName: Tensor]
    /// The run's outputs (truncated backpropagation carries `finalStates`
    /// into the next window).
    public var outputs: ModelOutputs

    /// The gradient of one parameter.
    public subscript(name: ParameterName) -> [Double]? { parameters.first { $0.name == name }?.gradient }
}

/// Reverse-mode gradients of the reference interpreter's float64 math:
/// one forward run that keeps what the backward pass reads, then the
/// backward pass stage by stage, each cell back through time
/// (`CellMath.backward`), every item over its own length.
public struct ReferenceGradients {
    public let model: Model

    public init(model: Model) { self.model = model }

    /// Why the model's gradients are not defined here, or nil.
    public static func refusal(_ model: Model) -> String? {
        if model.isQuantized { return "the model is quantized: integer kernels run, they do not train; train the float model and quantize it after" }
        if model.hasSampleRateDelay {
            return "a layer has a sample-rate delay (sample_rate_delay): train at the rate the model was made for, and set the delay when generating the kernel"
        }
        return nil
    }

    public func gradients(_ inputs: ModelInputs, loss: Loss) throws -> ModelGradients {
        if let why = Self.refusal(model) { throw RNNError(at: "model", "no gradients: \(why)") }
        let (record, outputs, evaluated) = try forward(inputs, loss: loss)
        var backward = Backward(model: model, record: record)
        backward.run(dSequence: evaluated.dSequence, dHead: evaluated.dHead)
        let parameters = model.parameters.map { ($0.name, backward.gradients[$0.name] ?? Array(repeating: 0, count: $0.value.count)) }
        return ModelGradients(loss: evaluated.value, parameters: parameters, initialStates: backward.initialStates, outputs: outputs)
    }

    /// The loss of one run, without its gradients.
    public func loss(_ inputs: ModelInputs, loss: Loss) throws -> Double {
        try forward(inputs, loss: loss).evaluated.value
    }

    /// The recorded run and its loss, with the loss's gradient with respect to the outputs.
    func forward(_ inputs: ModelInputs, loss: Loss) throws
        -> (record: ForwardRecord, outputs: ModelOutputs, evaluated: (value: Double, dSequence: [[[Double]]], dHead: [[Double]]?)) {
        let record = ForwardRecord()
        let outputs = try ReferenceInterpreter(model: model).run(inputs, record: record)
        let head = outputs.head.map { h in (0..<h.shape[0]).map { Array(h.values[($0 * h.shape[1])..<(($0 + 1) * h.shape[1])]) } }
        return (record, outputs, try loss.evaluate(sequence: record.output, head: head, lengths: record.lengths, layout: model.layout))
    }
}

/// The backward pass over one recorded run.
private struct Backward {
    typealias Sequences = ReferenceInterpreter.Sequences
    let model: Model
    let record: ForwardRecord
    let interpreter: ReferenceInterpreter
    var gradients: [ParameterName: [Double]] = [:]
    var initialStates: [StateName: Tensor] = [:]

    init(model: Model, record: ForwardRecord) {
        self.model = model
        self.record = record
        interpreter = ReferenceInterpreter(model: model)
        for (name, value) in model.parameters { gradients[name] = Array(repeating: 0, count: value.count) }
    }

    mutating func add(_ name: ParameterName, _ values: [Double]) {
        gradients[name] = zip(gradients[name]!, values).map(+)
    }

    mutating func run(dSequence: Sequences, dHead: [[Double]]?) {
        var dSequence = dSequence
        // The head reads the final h of the last recurrent stage before it;
        // its gradient waits here until the backward pass reaches that stage.
        var dLastHidden: [[Double]]?
        let firstStack = record.firstStack
        for s in model.stages.indices.reversed() {
            let input = record.stageInputs[s]
            switch model.stages[s] {
            case .head(let layer):
                guard let dHead else { continue }
                let lastHidden = record.lastHidden[s]
                dLastHidden = (0..<lastHidden.count).map { b in dense(layer, stage: s, x: lastHidden[b], dy: dHead[b]) }
            case .dense(let layer):
                dSequence = (0..<input.count).map { b in (0..<input[b].count).map { t in dense(layer, stage: s, x: input[b][t], dy: dSequence[b][t]) } }
            case .activation(let activation):
                dSequence = (0..<input.count).map { b in
                    (0..<input[b].count).map { t in self.activation(activation, stage: s, pre: input[b][t], dy: dSequence[b][t]) }
                }
            case .residual:
                break  // y = v + x[k]: v's gradient is y's; the model's input takes no gradient
            case .recurrent(let stack):
                dSequence = self.stack(stack, stage: s, index: 0, stateIndex: firstStack[s], input: input, dOutput: dSequence, dLastHidden: dLastHidden)
                dLastHidden = nil
            case .parallel(let list):
                var dInput = input.map { $0.map { [Double](repeating: 0, count: $0.count) } }
                var column = 0, hiddenColumn = 0
                for (k, one) in list.enumerated() {
                    let width = one.outputSize, hidden = one.layers.last!.cells.reduce(0) { $0 + $1.outputSize }
                    let dPart = dSequence.map { $0.map { Array($0[column..<(column + width)]) } }
                    let dHidden = dLastHidden.map { $0.map { Array($0[hiddenColumn..<(hiddenColumn + hidden)]) } }
                    let d = self.stack(one, stage: s, index: k, stateIndex: firstStack[s] + k, input: input, dOutput: dPart, dLastHidden: dHidden)
                    Backward.accumulate(&dInput, d)
                    column += width
                    hiddenColumn += hidden
                }
                dSequence = dInput
                dLastHidden = nil
            }
        }
    }

    static func accumulate(_ total: inout Sequences, _ part: Sequences) {
        for b in total.indices { for t in total[b].indices { for j in total[b][t].indices { total[b][t][j] += part[b][t][j] } } }
    }

    /// y = act(W x + b): adds the layer's gradients, returns dL/dx.
    mutating func dense(_ layer: DenseLayer, stage: Int, x: [Double], dy: [Double]) -> [Double] {
        let n = layer.inputSize, W = layer.weight.values
        let pre = interpreter.preActivation(layer, x)
        let dPre = activation(layer.activation, stage: stage, pre: pre, dy: dy)
        var dW = [Double](repeating: 0, count: W.count), dx = [Double](repeating: 0, count: n)
        for row in 0..<layer.outputSize {
            for j in 0..<n {
                dW[row * n + j] = dPre[row] * x[j]
                dx[j] += W[row * n + j] * dPre[row]
            }
        }
        add(ParameterName(stage: stage, tensor: .weight), dW)
        if layer.bias != nil { add(ParameterName(stage: stage, tensor: .bias), dPre) }
        return dx
    }

    /// The gradient through a dense activation at pre-activation `pre`
    /// (PReLU's slopes take theirs).
    mutating func activation(_ activation: DenseActivation, stage: Int, pre: [Double], dy: [Double]) -> [Double] {
        switch activation {
        case .none: return dy
        case .elementwise(let f): return (0..<pre.count).map { dy[$0] * f.derivative(pre[$0]) }
        case .prelu(let slopes):
            add(ParameterName(stage: stage, tensor: .slopes), (0..<pre.count).map { pre[$0] < 0 ? pre[$0] * dy[$0] : 0 })
            return (0..<pre.count).map { pre[$0] < 0 ? slopes.values[$0] * dy[$0] : dy[$0] }
        case .softmax:
            let p = interpreter.apply(.softmax, to: pre)
            let dot = zip(p, dy).reduce(0) { $0 + $1.0 * $1.1 }
            return (0..<pre.count).map { p[$0] * (dy[$0] - dot) }
        }
    }

    /// One stack back through its layers: returns the gradient of its input.
    mutating func stack(_ stack: RecurrentStack, stage: Int, index: Int, stateIndex: Int, input: Sequences,
                        dOutput: Sequences, dLastHidden: [[Double]]?) -> Sequences {
        var dOut = dOutput
        if stack.outputInProcessingOrder {
            // The output was steps[length − 1 − k] at k < length.
            dOut = dOutput.enumerated().map { b, steps in
                let length = record.lengths[b]
                var d = steps
                for k in 0..<length { d[length - 1 - k] = steps[k] }
                return d
            }
        }
        let top = stack.layers.count - 1
        let topCells = stack.layers[top].cells
        // Columns of the top layer's output (and of the head's final h) per direction.
        let offsets = topCells.indices.map { d in topCells[..<d].reduce(0) { $0 + $1.outputSize } }
        func finalGradient(_ d: Int) -> [[Double]]? {
            dLastHidden.map { $0.map { Array($0[offsets[d]..<(offsets[d] + topCells[d].outputSize)]) } }
        }
        func columns(_ sequence: Sequences, from start: Int, count: Int) -> Sequences {
            sequence.map { $0.map { Array($0[start..<(start + count)]) } }
        }

        if stack.direction == .bidirectional && stack.bidirectionalForm == .separateStacks {
            var dInput = input.map { $0.map { [Double](repeating: 0, count: $0.count) } }
            for d in 0..<2 {
                var dSequence = columns(dOut, from: offsets[d], count: topCells[d].outputSize)
                for k in stack.layers.indices.reversed() {
                    dSequence = cell(stack.layers[k].cells[d], stage: stage, stack: index, stateIndex: stateIndex, layer: k, direction: d,
                                     reverse: stack.isReverse(direction: d), dOutput: dSequence, dFinalH: k == top ? finalGradient(d) : nil)
                }
                Backward.accumulate(&dInput, dSequence)
            }
            return dInput
        }
        var dLayerOutput = dOut
        for k in stack.layers.indices.reversed() {
            let cells = stack.layers[k].cells
            var dLayerInput: Sequences?
            var column = 0
            for (d, one) in cells.enumerated() {
                let dIn = cell(one, stage: stage, stack: index, stateIndex: stateIndex, layer: k, direction: d, reverse: stack.isReverse(direction: d),
                               dOutput: columns(dLayerOutput, from: column, count: one.outputSize), dFinalH: k == top ? finalGradient(d) : nil)
                column += one.outputSize
                if dLayerInput == nil { dLayerInput = dIn } else { Backward.accumulate(&dLayerInput!, dIn) }
            }
            dLayerOutput = dLayerInput!
        }
        return dLayerOutput
    }

    /// One cell back through time, item by item: adds its weights'
    /// gradients and its initial states', returns the gradient of its input.
    mutating func cell(_ cell: Cell, stage: Int, stack: Int, stateIndex: Int, layer: Int, direction: Int, reverse: Bool,
                       dOutput: Sequences, dFinalH: [[Double]]?) -> Sequences {
        let hName = StateName(stack: stateIndex, layer: layer, reverse: reverse, isCell: false)
        let cName = StateName(stack: stateIndex, layer: layer, reverse: reverse, isCell: true)
        let input = record.cellInputs[hName]!, runs = record.cells[hName]!
        let math = CellMath(cell)
        var weights = CellWeightGradients(zeroFor: cell)
        var dInput = input.map { $0.map { [Double](repeating: 0, count: $0.count) } }
        let hSize = cell.outputSize, cSize = cell.hiddenSize
        var dInitialH: [Double] = [], dInitialC: [Double] = []
        for b in input.indices {
            var dh = dFinalH?[b] ?? [Double](repeating: 0, count: hSize)
            var dc = [Double](repeating: 0, count: cell.hasCellState ? cSize : 0)
            for step in runs[b].steps.reversed() {
                for j in 0..<hSize { dh[j] += dOutput[b][step.t][j] }
                let d = math.backward(x: input[b][step.t], h: step.h, c: step.c, dNewH: dh, dNewC: dc, into: &weights)
                for j in d.x.indices { dInput[b][step.t][j] += d.x[j] }
                dh = d.h
                if cell.hasCellState { dc = d.c }
            }
            if runs[b].zeroed {
                dh = dh.map { _ in 0 }
                dc = dc.map { _ in 0 }
            }
            dInitialH += dh
            dInitialC += dc
        }
        initialStates[hName] = Tensor(shape: [input.count, hSize], values: dInitialH)
        if cell.hasCellState { initialStates[cName] = Tensor(shape: [input.count, cSize], values: dInitialC) }
        func name(_ tensor: ParameterName.Tensor) -> ParameterName {
            ParameterName(stage: stage, stack: stack, layer: layer, direction: direction, tensor: tensor)
        }
        add(name(.input), weights.input)
        add(name(.recurrent), weights.recurrent)
        add(name(.inputBias), weights.inputBias)
        add(name(.recurrentBias), weights.recurrentBias)
        if let p = weights.peephole { add(name(.peephole), p) }
        if let p = weights.projection { add(name(.projection), p) }
        return dInput
    }
}
