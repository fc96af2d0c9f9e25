import RNNCodegen
import RNNModel
import RNNReference

/// Between the interpreter's tensors and a kernel's flat float buffers: the
/// one place that knows how states are laid out per item and how a kernel's
/// outputs become `ModelOutputs`.
public enum KernelIO {
    /// Items and steps of `x` in the model's layout.
    public static func batchAndSteps(_ model: Model, _ x: Tensor) -> (batch: Int, steps: Int) {
        model.layout == .timeMajor ? (x.shape[1], x.shape[0]) : (x.shape[0], x.shape[1])
    }

    /// The states as the kernel holds them: `[batch][stateFloats]`, each
    /// vector at its slot's offset, zeros where a state is not given.
    public static func flatStates(_ plan: KernelPlan, _ states: [StateName: Tensor], batch B: Int) throws -> [Double] {
        var flat = [Double](repeating: 0, count: B * plan.stateFloats)
        for slot in plan.states {
            guard let t = states[slot.name] else { continue }
            guard t.shape == [B, slot.size] else {
                throw RNNError(at: slot.name.initialName, "expected shape \(Tensor.describe([B, slot.size])), found \(t.shapeDescription)")
            }
            for b in 0..<B { for k in 0..<slot.size { flat[b * plan.stateFloats + slot.offset + k] = t.values[b * slot.size + k] } }
        }
        return flat
    }

    /// A kernel's flat outputs as the interpreter gives them.
    public static func outputs(_ plan: KernelPlan, batch B: Int, steps T: Int, y: [Double], finalState: [Double], head: [Double]?) -> ModelOutputs {
        let O = plan.outputSize
        let yTensor = Tensor(shape: plan.model.layout == .timeMajor ? [T, B, O] : [B, T, O], values: y)
        var finals: [StateName: Tensor] = [:]
        for slot in plan.states {
            var values: [Double] = []
            values.reserveCapacity(B * slot.size)
            for b in 0..<B { values += finalState[(b * plan.stateFloats + slot.offset)..<(b * plan.stateFloats + slot.offset + slot.size)] }
            finals[slot.name] = Tensor(shape: [B, slot.size], values: values)
        }
        let headTensor = plan.head.flatMap { h in head.map { Tensor(shape: [B, h.outputs], values: $0) } }
        return ModelOutputs(y: yTensor, head: headTensor, finalStates: finals)
    }
}

extension KernelCase {
    /// The case that runs `inputs` through `plan`'s kernel.
    public init(_ name: String, streaming: Bool, inputs: ModelInputs, plan: KernelPlan) throws {
        let (B, T) = KernelIO.batchAndSteps(plan.model, inputs.x)
        self.init(name: name, streaming: streaming, batch: B, steps: T, x: inputs.x.values.map { Float($0) },
                  sequenceLengths: inputs.sequenceLengths.map { $0.map { Int32($0) } },
                  initialState: inputs.initialStates.isEmpty ? nil : try KernelIO.flatStates(plan, inputs.initialStates, batch: B).map { Float($0) })
    }
}
