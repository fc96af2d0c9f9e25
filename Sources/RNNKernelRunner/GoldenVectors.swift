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
            let B = model.layout == .timeMajor ? inputs.x.shape[1] : inputs.x.shape[0]
            let T = model.layout == .timeMajor ? inputs.x.shape[0] : inputs.x.shape[1]
            func flat(_ states: [StateName: Tensor]) -> [Float] {
                var values = [Float](repeating: 0, count: B * plan.stateFloats)
                for slot in plan.states {
                    guard let t = states[slot.name] else { continue }
                    for b in 0..<B { for k in 0..<slot.size { values[b * plan.stateFloats + slot.offset + k] = Float(t.values[b * slot.size + k]) } }
                }
                return values
            }
            return GoldenCase(name: name, streaming: streaming, batch: B, steps: T, x: inputs.x.values.map { Float($0) },
                              sequenceLengths: inputs.sequenceLengths.map { $0.map { Int32($0) } },
                              initialState: inputs.initialStates.isEmpty ? nil : flat(inputs.initialStates),
                              y: out.y.values.map { Float($0) }, finalState: flat(out.finalStates), head: out.head.map { $0.values.map { Float($0) } })
        }
    }
}
