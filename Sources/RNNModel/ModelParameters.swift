/// Where a trainable tensor lives in a model: the stage, and for recurrent
/// stages the stack (of a parallel stage), layer and direction, and which
/// tensor. Gradients, optimizers and the training kernels' weight table all
/// list a model's parameters in the order `Model.parameters` gives.
public struct ParameterName: Hashable, Sendable, CustomStringConvertible {
    public enum Tensor: String, Sendable {
        case input, recurrent, inputBias = "input_bias", recurrentBias = "recurrent_bias", peephole, projection
        case weight, bias, slopes
    }

    public var stage: Int
    /// The stack within a parallel stage (0 for a plain recurrent stage),
    /// the layer and the direction; nil for dense, head and activation stages.
    public var stack: Int?
    public var layer: Int?
    public var direction: Int?
    public var tensor: Tensor

    public init(stage: Int, stack: Int? = nil, layer: Int? = nil, direction: Int? = nil, tensor: Tensor) {
        (self.stage, self.stack, self.layer, self.direction, self.tensor) = (stage, stack, layer, direction, tensor)
    }

    /// `stages[2].layers[0].cells[1].recurrent`, `stages[3].weight`, …
    public var description: String {
        var text = "stages[\(stage)]"
        if let stack { text += ".stacks[\(stack)]" }
        if let layer { text += ".layers[\(layer)]" }
        if let direction { text += ".cells[\(direction)]" }
        return text + "." + tensor.rawValue
    }
}

extension Model {
    /// Every trainable tensor, stage by stage; within a cell W, R, the two
    /// biases, then peepholes and projection where the cell has them; a dense
    /// layer's weight, bias, then PReLU slopes.
    public var parameters: [(name: ParameterName, value: RNNModel.Tensor)] {
        var list: [(ParameterName, RNNModel.Tensor)] = []
        func dense(_ stage: Int, _ layer: DenseLayer) {
            list.append((ParameterName(stage: stage, tensor: .weight), layer.weight))
            if let bias = layer.bias { list.append((ParameterName(stage: stage, tensor: .bias), bias)) }
            if let slopes = layer.activation.slopes { list.append((ParameterName(stage: stage, tensor: .slopes), slopes)) }
        }
        func stack(_ stage: Int, _ index: Int, _ stack: RecurrentStack) {
            for (k, layer) in stack.layers.enumerated() {
                for (d, cell) in layer.cells.enumerated() {
                    func name(_ tensor: ParameterName.Tensor) -> ParameterName {
                        ParameterName(stage: stage, stack: index, layer: k, direction: d, tensor: tensor)
                    }
                    let w = cell.weights
                    list += [(name(.input), w.input), (name(.recurrent), w.recurrent), (name(.inputBias), w.inputBias), (name(.recurrentBias), w.recurrentBias)]
                    if let p = w.peephole { list.append((name(.peephole), p)) }
                    if let p = w.projection { list.append((name(.projection), p)) }
                }
            }
        }
        for (s, stage) in stages.enumerated() {
            switch stage {
            case .dense(let layer), .head(let layer): dense(s, layer)
            case .recurrent(let one): stack(s, 0, one)
            case .parallel(let stacks): for (k, one) in stacks.enumerated() { stack(s, k, one) }
            case .activation(let activation):
                if let slopes = activation.slopes { list.append((ParameterName(stage: s, tensor: .slopes), slopes)) }
            case .residual: break
            }
        }
        return list
    }

    /// The model with the parameter `name` holding `values` (as many as it
    /// has); nil if the model has no such parameter or the count differs.
    public func replacing(_ name: ParameterName, with values: [Double]) -> Model? {
        var model = self
        guard name.stage < stages.count else { return nil }
        func set(_ tensor: inout RNNModel.Tensor) -> Bool {
            guard tensor.count == values.count else { return false }
            tensor.values = values
            return true
        }
        func setDense(_ layer: inout DenseLayer) -> Bool {
            switch name.tensor {
            case .weight: return set(&layer.weight)
            case .bias: return layer.bias != nil && set(&layer.bias!)
            case .slopes:
                guard var slopes = layer.activation.slopes, set(&slopes) else { return false }
                layer.activation = .prelu(slopes)
                return true
            default: return false
            }
        }
        func setStack(_ stack: inout RecurrentStack) -> Bool {
            guard let k = name.layer, let d = name.direction, k < stack.layers.count, d < stack.layers[k].cells.count else { return false }
            var w = stack.layers[k].cells[d].weights
            let done: Bool
            switch name.tensor {
            case .input: done = set(&w.input)
            case .recurrent: done = set(&w.recurrent)
            case .inputBias: done = set(&w.inputBias)
            case .recurrentBias: done = set(&w.recurrentBias)
            case .peephole: done = w.peephole != nil && set(&w.peephole!)
            case .projection: done = w.projection != nil && set(&w.projection!)
            default: done = false
            }
            stack.layers[k].cells[d].weights = w
            return done
        }
        let done: Bool
        switch model.stages[name.stage] {
        case .dense(var layer):
            done = setDense(&layer)
            model.stages[name.stage] = .dense(layer)
        case .head(var layer):
            done = setDense(&layer)
            model.stages[name.stage] = .head(layer)
        case .recurrent(var stack):
            done = name.stack == 0 && setStack(&stack)
            model.stages[name.stage] = .recurrent(stack)
        case .parallel(var stacks):
            guard let index = name.stack, index < stacks.count else { return nil }
            done = setStack(&stacks[index])
            model.stages[name.stage] = .parallel(stacks)
        case .activation(let activation):
            guard name.tensor == .slopes, var slopes = activation.slopes, set(&slopes) else { return nil }
            model.stages[name.stage] = .activation(.prelu(slopes))
            done = true
        case .residual:
            done = false
        }
        return done ? model : nil
    }
}

extension Model {
    /// The model with fresh weights as TensorFlow 1 initialises them:
    /// glorot-uniform matrices (a cell's W and R together, as TF1's one
    /// kernel over [x, h]: limit √(6 / (I + H + G·H)); a dense layer's
    /// √(6 / (in + out)); projections √(6 / (H + P))), zero biases,
    /// peepholes and PReLU slopes; drawn in `parameters`' order from `seed`.
    public func glorotInitialized(seed: UInt64) -> Model {
        var rng = SplitMix64(seed: seed)
        var model = self
        func uniform(_ count: Int, limit: Double) -> [Double] { (0..<count).map { _ in Double(Float(rng.uniform(-limit, limit))) } }
        for (name, value) in parameters {
            let values: [Double]
            switch name.tensor {
            case .input, .recurrent, .weight, .projection:
                let (fanIn, fanOut) = Model.fans(of: name, shape: value.shape, in: self)
                values = uniform(value.count, limit: (6.0 / Double(fanIn + fanOut)).squareRoot())
            case .inputBias, .recurrentBias, .bias, .peephole, .slopes:
                values = Array(repeating: 0, count: value.count)
            }
            model = model.replacing(name, with: values) ?? model
        }
        return model
    }

    /// A matrix's fan-in and fan-out for glorot's limit.
    static func fans(of name: ParameterName, shape: [Int], in model: Model) -> (Int, Int) {
        switch name.tensor {
        case .input, .recurrent:
            // One TF1 kernel over [x, h]: rows of W and R together.
            guard let s = name.layer, let d = name.direction, let stack = model.stackOf(name),
                  s < stack.layers.count, d < stack.layers[s].cells.count else { return (shape.last ?? 1, shape.first ?? 1) }
            let cell = stack.layers[s].cells[d]
            return (cell.inputSize + cell.outputSize, cell.kind.gateCount * cell.hiddenSize)
        default:
            return (shape.count > 1 ? shape[1] : 1, shape.first ?? 1)
        }
    }

    func stackOf(_ name: ParameterName) -> RecurrentStack? {
        guard name.stage < stages.count else { return nil }
        switch stages[name.stage] {
        case .recurrent(let stack): return stack
        case .parallel(let list): return name.stack.flatMap { $0 < list.count ? list[$0] : nil }
        default: return nil
        }
    }
}
