import Foundation
import XCTest
import RNNModel
@testable import RNNReference
import RNNTestSupport

/// The interpreter's gradients of whole models (stacks, directions,
/// bidirectional forms, processing order, sequence lengths, initial states,
/// dense, activation, residual and head stages, parallel stacks; every loss)
/// against central finite differences of the interpreter's own run, float64:
/// eps 1e-6, |analytic − numeric| ≤ 1e-5 + 1e-3·|numeric|.
final class ModelGradientTests: XCTestCase {
    static let seed = UInt64(ProcessInfo.processInfo.environment["RNNGEN_PROPERTY_SEED"] ?? "") ?? 20261207
    static let count = Int(ProcessInfo.processInfo.environment["RNNGEN_GRADIENT_COUNT"] ?? "") ?? 200

    struct Case {
        var model: Model
        var inputs: ModelInputs
        var loss: Loss
    }

    /// A random valid model with random inputs and a loss it can take.
    static func randomCase(_ random: inout RandomModels) -> Case {
        func size(_ top: Int) -> Int { Int(random.rng.next() % UInt64(top)) + 1 }
        func chance(_ p: Double) -> Bool { random.rng.uniform(0, 1) < p }
        func pick<T>(_ choices: [T]) -> T { choices[Int(random.rng.next() % UInt64(choices.count))] }
        while true {
            let I = size(3)
            var stages: [Stage] = []
            var width = I
            func denseActivation(_ n: Int) -> DenseActivation {
                pick([.none, .tanh, .relu, .sigmoid, .elementwise(Activation(.elu, alpha: 0.8)), .softmax,
                      .prelu(random.tensor([n], scale: 0.5))])
            }
            if chance(0.3) {
                let n = size(4)
                stages.append(.dense(random.dense(width, n, denseActivation(n))))
                width = n
            }
            func stack() -> RecurrentStack {
                let cell = CellGradientTests.randomCell(&random)
                var spec = RandomModels.CellSpec(kind: cell.kind, activations: cell.options.activations, clip: cell.options.clip,
                                                 cellClip: cell.options.cellClip, inputForget: cell.options.inputForget,
                                                 forgetBias: cell.options.forgetBias, linearBeforeReset: cell.options.linearBeforeReset,
                                                 peepholes: cell.weights.peephole != nil, projection: cell.weights.projection?.shape[0])
                if spec.projection != nil && chance(0.5) { spec.projection = nil }
                let direction = pick([Direction.forward, .forward, .reverse, .bidirectional])
                return random.stack(spec, inputSize: width, hiddenSizes: (0..<size(2)).map { _ in size(4) }, direction: direction,
                                    form: direction == .bidirectional && chance(0.5) ? .separateStacks : .stacked,
                                    processingOrder: direction == .reverse && chance(0.5))
            }
            if chance(0.25) {
                let stacks = [stack(), stack()]
                stages.append(.parallel(stacks))
                width = stacks.reduce(0) { $0 + $1.outputSize }
            } else {
                let one = stack()
                stages.append(.recurrent(one))
                width = one.outputSize
            }
            if chance(0.3) { stages.append(.activation(pick([.tanh, .softmax, .prelu(random.tensor([width], scale: 0.5))]))) }
            if chance(0.4) {
                let n = size(3)
                stages.append(.dense(random.dense(width, n, denseActivation(n))))
                width = n
            }
            if chance(0.3) { stages.append(.residual(Residual(features: chance(0.5) ? [Int(random.rng.next() % UInt64(I))] : (0..<width).map { _ in Int(random.rng.next() % UInt64(I)) }))) }
            let hasHead = chance(0.45)
            if hasHead {
                let lastStack = stages.last { if case .recurrent = $0 { return true }; if case .parallel = $0 { return true }; return false }!
                let hidden: Int
                switch lastStack {
                case .recurrent(let s): hidden = s.layers.last!.cells.reduce(0) { $0 + $1.outputSize }
                case .parallel(let list): hidden = list.reduce(0) { $0 + $1.layers.last!.cells.reduce(0) { $0 + $1.outputSize } }
                default: hidden = 0
                }
                let n = size(3)
                stages.append(.head(random.dense(hidden, n, denseActivation(n))))
            }
            var model = Model(name: "g", inputSize: I, layout: chance(0.3) ? .timeMajor : .batchMajor,
                              zeroLengthState: chance(0.5) ? .zero : .initial, stages: stages)
            guard (try? model.validate()) != nil else { continue }
            model.name = "g"
            let B = size(3), T = size(4)
            let lengths = (0..<B).map { _ in chance(0.2) ? 0 : size(T) }
            let x = random.tensor(model.layout == .timeMajor ? [T, B, I] : [B, T, I], scale: 1.5)
            var states: [StateName: Tensor] = [:]
            for (name, size) in model.stateNames where chance(0.5) { states[name] = random.tensor([B, size], scale: 0.8) }
            let F = model.sequenceOutputSize
            var losses: [Loss] = [
                .crossEntropy(labels: (0..<B).map { _ in (0..<T).map { _ in Int(random.rng.next() % UInt64(F)) } }),
                .crossEntropyLastStep(labels: (0..<B).map { _ in Int(random.rng.next() % UInt64(F)) }),
                .meanSquaredError(target: random.tensor(model.layout == .timeMajor ? [T, B, F] : [B, T, F], scale: 1)),
                .errorToSignal(target: random.tensor(model.layout == .timeMajor ? [T, B, F] : [B, T, F], scale: 1)),
            ]
            if hasHead, case .head(let layer) = stages.last! {
                losses += [.crossEntropyHead(labels: (0..<B).map { _ in Int(random.rng.next() % UInt64(layer.outputSize)) }),
                           .meanSquaredErrorHead(target: random.tensor([B, layer.outputSize], scale: 1))]
            }
            let loss = hasHead && chance(0.5) ? losses[4 + Int(random.rng.next() % 2)] : pick(Array(losses.prefix(4)))
            return Case(model: model, inputs: ModelInputs(x: x, sequenceLengths: lengths, initialStates: states), loss: loss)
        }
    }

    static func loss(_ model: Model, _ inputs: ModelInputs, _ loss: Loss) throws -> Double {
        try ReferenceGradients(model: model).loss(inputs, loss: loss)
    }

    func testGradientsMatchFiniteDifferencesOnRandomModels() throws {
        var random = RandomModels(seed: Self.seed ^ 0x6ead)
        CellGradientTests.kinks = 0
        var checked = 0, failures: [String] = []
        var losses: [String: Int] = [:]
        for index in 0..<Self.count {
            let c = Self.randomCase(&random)
            losses[c.loss.name, default: 0] += 1
            let g = try ReferenceGradients(model: c.model).gradients(c.inputs, loss: c.loss)
            XCTAssertEqual(g.loss, try Self.loss(c.model, c.inputs, c.loss), accuracy: 1e-12, "#\(index): the loss of the gradient run")
            func check(_ what: String, _ analytic: [Double], _ values: [Double], _ perturbed: ([Double]) throws -> Double) throws {
                XCTAssertEqual(analytic.count, values.count, "#\(index) \(what): gradient count")
                for k in 0..<min(analytic.count, values.count) {
                    var error: Error?
                    let (ok, numeric) = CellGradientTests.agrees(analytic[k], { v in
                        var p = values
                        p[k] = v
                        do { return try perturbed(p) } catch let e { error = e; return .nan }
                    }, at: values[k])
                    if let error { throw error }
                    checked += 1
                    if !ok { failures.append("#\(index) \(what)[\(k)]: analytic \(analytic[k]), numeric \(numeric) — \(c.loss.name), stages \(c.model.stages.map(Self.describe))") }
                }
            }
            for (name, gradient) in g.parameters {
                let value = c.model.parameters.first { $0.name == name }!.value.values
                try check("\(name)", gradient, value) { try Self.loss(c.model.replacing(name, with: $0)!, c.inputs, c.loss) }
            }
            for (name, size) in c.model.stateNames {
                let B = c.inputs.sequenceLengths!.count
                let start = c.inputs.initialStates[name]?.values ?? Array(repeating: 0, count: B * size)
                let analytic = g.initialStates[name]?.values ?? []
                try check("initial \(name)", analytic, start) { values in
                    var inputs = c.inputs
                    inputs.initialStates[name] = Tensor(shape: [B, size], values: values)
                    return try Self.loss(c.model, inputs, c.loss)
                }
            }
        }
        print("model gradients: \(Self.count) random models (seed \(Self.seed); losses \(losses)), \(checked) partial derivatives (\(CellGradientTests.kinks) on a kink, not compared), \(failures.count) off")
        XCTAssertLessThanOrEqual(CellGradientTests.kinks, checked / 1000, "points on a kink should be rare")
        XCTAssert(failures.isEmpty, failures.prefix(8).joined(separator: "\n"))
        XCTAssertEqual(losses.count, 6, "every loss drawn")
    }

    static func describe(_ stage: Stage) -> String {
        switch stage {
        case .dense(let d): return "dense(\(d.activation))"
        case .recurrent(let s): return "\(s.kind)×\(s.layers.count) \(s.direction)\(s.outputInProcessingOrder ? " processing-order" : "")"
        case .parallel(let list): return "parallel(\(list.map { "\($0.kind) \($0.direction)" }))"
        case .head(let d): return "head(\(d.activation))"
        case .activation(let a): return "activation(\(a))"
        case .residual: return "residual"
        }
    }

    func testRefusalsAndBadTargetsAreOneLineErrors() throws {
        var random = RandomModels(seed: 7)
        let stack = random.stack(RandomModels.CellSpec(kind: .gru), inputSize: 2, hiddenSizes: [3])
        let model = Model(name: "m", inputSize: 2, layout: .batchMajor, stages: [.recurrent(stack)])
        let inputs = ModelInputs(x: random.tensor([2, 3, 2], scale: 1))
        let gradients = ReferenceGradients(model: model)
        func expect(_ loss: Loss, _ text: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try gradients.gradients(inputs, loss: loss), file: file, line: line) { error in
                XCTAssertTrue("\(error)".contains(text), "\(error)", file: file, line: line)
                XCTAssertFalse("\(error)".contains("\n"), "\(error)", file: file, line: line)
            }
        }
        expect(.crossEntropyLastStep(labels: [0, 3]), "label 3 is outside 0…2")
        expect(.crossEntropyLastStep(labels: [0]), "expected 2 labels")
        expect(.crossEntropyHead(labels: [0, 1]), "the model has no head")
        expect(.meanSquaredError(target: Tensor(zeros: [2, 3, 2])), "expected shape [2, 3, 3]")

        var delayed = stack
        delayed.layers[0].cells[0].options.sampleRateDelay = 2
        XCTAssertThrowsError(try ReferenceGradients(model: Model(name: "d", inputSize: 2, layout: .batchMajor, stages: [.recurrent(delayed)]))
            .gradients(inputs, loss: .crossEntropyLastStep(labels: [0, 1]))) { error in
            XCTAssertTrue("\(error)".contains("sample-rate delay"), "\(error)")
        }
    }
}
