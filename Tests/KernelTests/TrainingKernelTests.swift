import Foundation
import RNNCodegen
import RNNKernelRunner
import RNNModel
import RNNTestSupport
import XCTest

/// Training kernels against the interpreter's float64 gradients
/// (`TrainingVerifier`): random forward stacks of every cell kind and
/// option the kernels take, dense layers, activation and residual stages,
/// both losses, window lengths and tiles that are not multiples of
/// anything; and models the kernels refuse, by name.
final class TrainingKernelTests: XCTestCase {
    /// A random model the training kernels take, and its options.
    static func trainable(seed: UInt64, language: KernelOptions.Language) -> (Model, TrainingOptions) {
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

    /// Random models per run: `RNNGEN_TRAINING_COUNT` (default 40 in C, 12 in Swift), seeds from `RNNGEN_PROPERTY_SEED`.
    func check(_ language: KernelOptions.Language, count defaultCount: Int) throws {
        let env = ProcessInfo.processInfo.environment
        let count = env["RNNGEN_TRAINING_COUNT"].flatMap { Int($0) } ?? defaultCount
        let base = env["RNNGEN_PROPERTY_SEED"].flatMap { UInt64($0) } ?? 1
        let cases = (0..<UInt64(count)).map { k -> TrainingVerifier.Case in
            let (model, options) = TrainingKernelTests.trainable(seed: base &+ k, language: language)
            return TrainingVerifier.Case(model: model, options: options, seed: (base &+ k) &* 31 &+ 7)
        }
        let reports = try TrainingVerifier().verify(cases)
        for (c, report) in zip(cases, reports) {
            for check in report.checks where !check.passed {
                let summary = ModelSummary(c.model).lines.map { $0.label + " " + $0.detail }.joined(separator: "; ")
                XCTFail("\(c.options.name) (\(summary)), K \(c.options.steps), B \(c.options.batchTile), \(c.options.loss.rawValue): \(check.what): \(check.worst) > \(check.bound)")
            }
        }
        var worst = (what: "-", ratio: 0.0)
        for (c, report) in zip(cases, reports) {
            for check in report.checks where check.bound > 0 && check.worst / check.bound > worst.ratio {
                worst = (c.options.name + " " + check.what, check.worst / check.bound)
            }
        }
        print("training kernels (\(language.rawValue)): \(count) models from seed \(base), worst error / bound \(worst.ratio) (\(worst.what))")
    }

    func testCKernelsMatchTheInterpretersGradients() throws {
        try check(.c, count: 40)
    }

    func testSwiftKernelsMatchTheInterpretersGradients() throws {
        try check(.swift, count: 12)
    }
}
