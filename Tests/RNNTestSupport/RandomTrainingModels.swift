import RNNCodegen
import RNNModel

extension RandomModels {
    /// A random model the training kernels take, and its options.
    public static func trainable(seed: UInt64, language: KernelOptions.Language) -> (Model, TrainingOptions) {
        var random = RandomModels(seed: seed)
        func size(_ top: Int) -> Int { Int(random.rng.next() % UInt64(top)) + 1 }
        func chance(_ p: Double) -> Bool { random.rng.uniform(0, 1) < p }
        let activations: [Activation] = [.sigmoid, .tanh, .relu, Activation(.leakyRelu, alpha: 0.1), Activation(.elu, alpha: 0.7),
                                          Activation(.softsign), Activation(.softplus), Activation(.hardSigmoid), Activation(.scaledTanh, alpha: 1.2, beta: 0.8),
                                          Activation(.affine, alpha: 0.5, beta: 0.1), Activation(.thresholdedRelu, alpha: 0.2)]
        func pick<T>(_ list: [T]) -> T { list[Int(random.rng.next() % UInt64(list.count))] }
        let I = size(5)
        var stages: [Stage] = []
        var width = I
        if chance(0.2) {
            let d = random.dense(width, size(6), chance(0.5) ? .none : .elementwise(pick(activations)))
            stages.append(.dense(d))
            width = d.outputSize
        }
        for _ in 0..<(chance(0.3) ? 2 : 1) {
            let kind = pick([CellKind.rnn, .gru, .lstm])
            var spec = RandomModels.CellSpec(kind: kind)
            if chance(0.4) {
                spec.activations = (0..<kind.activationCount).map { k in k == 0 && kind != .rnn ? pick([.sigmoid, Activation(.hardSigmoid)]) : pick(activations) }
            }
            if chance(0.25) { spec.clip = random.rng.uniform(0.5, 3) }
            if kind == .lstm {
                if chance(0.3) { spec.forgetBias = 1 }
                if chance(0.2) { spec.inputForget = true }
            }
            if kind == .gru { spec.linearBeforeReset = chance(0.5) }
            let stack = random.stack(spec, inputSize: width, hiddenSizes: (0..<(chance(0.3) ? 2 : 1)).map { _ in size(7) })
            stages.append(.recurrent(stack))
            width = stack.outputSize
            if chance(0.3) { stages.append(.activation(.elementwise(pick(activations)))) }
        }
        if chance(0.7) {
            let d = random.dense(width, size(5), chance(0.5) ? .none : .elementwise(pick(activations)))
            stages.append(.dense(d))
            width = d.outputSize
        }
        if chance(0.2) { stages.append(.residual(Residual(features: [Int(random.rng.next() % UInt64(I))]))) }
        let model = Model(name: "t\(seed)", inputSize: I, layout: chance(0.5) ? .batchMajor : .timeMajor, stages: stages)
        let loss: TrainingLoss = chance(0.5) ? .crossEntropy : .squaredError
        return (model, TrainingOptions(language: language, name: "t\(seed)", steps: size(7), batchTile: size(5), loss: loss))
    }

}
