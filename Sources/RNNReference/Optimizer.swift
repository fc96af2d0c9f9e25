import Foundation
import RNNModel

/// How an optimizer turns gradients into a parameter update.
public enum OptimizerRule: Equatable, Sendable {
    /// v ← μ·v + g; w ← w − lr·v (μ = 0: plain SGD).
    case sgd(momentum: Double)
    /// a ← a + g²; w ← w − lr·g / √a, the accumulator starting at
    /// `initialAccumulator` (TensorFlow's Adagrad, 0.1 by default; no ε).
    case adagrad(initialAccumulator: Double)
    /// m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²;
    /// w ← w − lr·(m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε).
    case adam(beta1: Double, beta2: Double, epsilon: Double)

    public static let adagrad = OptimizerRule.adagrad(initialAccumulator: 0.1)
    public static let adam = OptimizerRule.adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8)
}

/// An optimizer over a model's parameters (`Model.parameters`' order), in
/// float64: the definition the training kernels' optimizer steps are
/// checked against. Before the rule, the gradients may be clipped by their
/// global norm: g ← g · c / max(‖g‖, c), ‖g‖ over every parameter at once.
public struct Optimizer: Sendable {
    public var rule: OptimizerRule
    public var learningRate: Double
    public var clipNorm: Double?
    /// Per parameter: the momentum, the accumulator or Adam's first moment;
    /// and Adam's second moment.
    public private(set) var first: [[Double]]
    public private(set) var second: [[Double]]
    /// Steps taken (Adam's bias correction counts them).
    public private(set) var steps = 0

    public init(rule: OptimizerRule, learningRate: Double, clipNorm: Double? = nil, for model: Model) {
        self.rule = rule
        self.learningRate = learningRate
        self.clipNorm = clipNorm
        let sizes = model.parameters.map(\.value.count)
        let start: Double
        if case .adagrad(let initial) = rule { start = initial } else { start = 0 }
        first = sizes.map { Array(repeating: start, count: $0) }
        second = sizes.map { Array(repeating: 0, count: $0) }
    }

    /// The global norm of a set of gradients.
    public static func norm(_ gradients: [[Double]]) -> Double {
        gradients.reduce(0) { $0 + $1.reduce(0) { $0 + $1 * $1 } }.squareRoot()
    }

    /// Applies one step to `model`'s parameters with `gradients` (one list
    /// per parameter, in `Model.parameters`' order); returns the new model.
    public mutating func step(_ model: Model, gradients: [[Double]]) throws -> Model {
        let parameters = model.parameters
        guard gradients.count == parameters.count, zip(gradients, parameters).allSatisfy({ $0.count == $1.value.count }),
              first.count == parameters.count else {
            throw RNNError(at: "gradients", "expected one gradient per parameter of the model (\(parameters.count)), shaped as the parameters")
        }
        var scale = 1.0
        if let clip = clipNorm {
            let norm = Optimizer.norm(gradients)
            scale = clip / max(norm, clip)
        }
        steps += 1
        var updated = model
        for (k, parameter) in parameters.enumerated() {
            var w = parameter.value.values
            for i in w.indices {
                let g = gradients[k][i] * scale
                switch rule {
                case .sgd(let momentum):
                    first[k][i] = momentum * first[k][i] + g
                    w[i] -= learningRate * first[k][i]
                case .adagrad:
                    first[k][i] += g * g
                    w[i] -= learningRate * g / first[k][i].squareRoot()
                case .adam(let beta1, let beta2, let epsilon):
                    first[k][i] = beta1 * first[k][i] + (1 - beta1) * g
                    second[k][i] = beta2 * second[k][i] + (1 - beta2) * g * g
                    let m = first[k][i] / (1 - Foundation.pow(beta1, Double(steps)))
                    let v = second[k][i] / (1 - Foundation.pow(beta2, Double(steps)))
                    w[i] -= learningRate * m / (v.squareRoot() + epsilon)
                }
            }
            guard let next = updated.replacing(parameter.name, with: w) else {
                throw RNNError(at: "\(parameter.name)", "the parameter could not be updated")
            }
            updated = next
        }
        return updated
    }
}
