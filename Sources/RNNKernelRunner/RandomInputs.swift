import RNNModel
import RNNReference

/// Seeded random model inputs, rounded to float as a kernel sees them:
/// input sequences in the model's layout and initial states. Shared by
/// `verify`'s trials and the golden vectors.
struct RandomInputs {
    let model: Model
    var rng: SplitMix64

    init(model: Model, seed: UInt64) {
        self.model = model
        rng = SplitMix64(seed: seed)
    }

    /// A `B`-item, `T`-step input whose values come from `value`.
    mutating func sequence(_ B: Int, _ T: Int, _ value: (inout SplitMix64) -> Double) -> Tensor {
        let shape = model.layout == .timeMajor ? [T, B, model.inputSize] : [B, T, model.inputSize]
        var values = [Double](repeating: 0, count: B * T * model.inputSize)
        for i in values.indices { values[i] = Double(Float(value(&rng))) }
        return Tensor(shape: shape, values: values)
    }

    /// Uniform values in ±`scale`.
    mutating func sequence(_ B: Int, _ T: Int, scale: Double) -> Tensor {
        sequence(B, T) { $0.uniform(-scale, scale) }
    }

    /// Every state of the model, uniform in ±`scale`.
    mutating func states(_ B: Int, scale: Double) -> [StateName: Tensor] {
        var out: [StateName: Tensor] = [:]
        for (name, size) in model.stateNames {
            out[name] = Tensor(shape: [B, size], values: (0..<(B * size)).map { _ in Double(Float(rng.uniform(-scale, scale))) })
        }
        return out
    }
}
