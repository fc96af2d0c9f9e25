import RNNCodegen
import RNNModel
import RNNReference

/// Golden cases for generated self-checks: a few inputs and what the
/// reference interpreter gives for them, for `rnngen generate --golden`.
public enum GoldenVectors {
    public static func cases(for plan: KernelPlan, seed: UInt64 = 1) throws -> [GoldenCase] {
        let model = plan.model
        var random = RandomInputs(model: model, seed: seed)
        func sequence(_ B: Int, _ T: Int, _ scale: Double) -> Tensor { random.sequence(B, T, scale: scale) }
        func states(_ B: Int) -> [StateName: Tensor] { random.states(B, scale: 0.5) }
        var specs: [(String, Bool, ModelInputs)] = [
            ("zeros", false, ModelInputs(x: sequence(1, 3, 0))),
            ("random inputs, lengths 6 and 3, initial states", false, ModelInputs(x: sequence(2, 6, 1), sequenceLengths: [6, 3], initialStates: states(2))),
            ("large inputs ±20", false, ModelInputs(x: sequence(1, 4, 20))),
        ]
        if plan.supportsStep {
            specs.append(("streaming step from initial states", true, ModelInputs(x: sequence(1, 8, 1), initialStates: states(1))))
        }
        let interpreter = ReferenceInterpreter(model: model)
        return try specs.map { name, streaming, inputs in
            let out = try interpreter.run(inputs)
            let B = KernelIO.batchAndSteps(model, inputs.x).batch
            let flat = { (states: [StateName: Tensor]) in try KernelIO.flatStates(plan, states, batch: B).map { Float($0) } }
            return GoldenCase(inputs: try KernelCase(name, streaming: streaming, inputs: inputs, plan: plan),
                              y: out.y.values.map { Float($0) }, finalState: try flat(out.finalStates), head: out.head.map { $0.values.map { Float($0) } })
        }
    }
}
