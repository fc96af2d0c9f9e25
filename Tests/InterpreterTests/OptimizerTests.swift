import Foundation
import XCTest
import RNNModel
import RNNReference
import RNNTestSupport

/// The optimizers' steps against their formulas, written out here by hand
/// for two steps of a one-layer model.
final class OptimizerTests: XCTestCase {
    /// A dense-only model with three weights and one bias.
    func model() -> Model {
        let layer = DenseLayer(weight: Tensor(shape: [1, 3], values: [0.5, -1, 2]), bias: Tensor(shape: [1], values: [0.25]), activation: .none)
        return Model(name: "d", inputSize: 3, layout: .batchMajor, stages: [.dense(layer)])
    }

    func values(_ model: Model) -> [Double] { model.parameters.flatMap(\.value.values) }

    let g1: [[Double]] = [[0.1, -0.2, 0.3], [0.4]]
    let g2: [[Double]] = [[-0.3, 0.1, 0.0], [0.2]]

    func testSGDWithMomentum() throws {
        var optimizer = Optimizer(rule: .sgd(momentum: 0.9), learningRate: 0.5, for: model())
        let after = try optimizer.step(try optimizer.step(model(), gradients: g1), gradients: g2)
        let w0 = values(model()), flat1 = g1.flatMap { $0 }, flat2 = g2.flatMap { $0 }
        let expected = (0..<4).map { i -> Double in
            let v1 = flat1[i], v2 = 0.9 * v1 + flat2[i]
            return w0[i] - 0.5 * v1 - 0.5 * v2
        }
        for (a, b) in zip(values(after), expected) { XCTAssertEqual(a, b, accuracy: 1e-15) }
    }

    func testAdagradStartsItsAccumulatorAtTheGivenValue() throws {
        var optimizer = Optimizer(rule: .adagrad, learningRate: 0.1, for: model())
        let after = try optimizer.step(try optimizer.step(model(), gradients: g1), gradients: g2)
        let w0 = values(model()), flat1 = g1.flatMap { $0 }, flat2 = g2.flatMap { $0 }
        let expected = (0..<4).map { i -> Double in
            let a1 = 0.1 + flat1[i] * flat1[i], a2 = a1 + flat2[i] * flat2[i]
            return w0[i] - 0.1 * flat1[i] / a1.squareRoot() - 0.1 * flat2[i] / a2.squareRoot()
        }
        for (a, b) in zip(values(after), expected) { XCTAssertEqual(a, b, accuracy: 1e-15) }
    }

    func testAdamCorrectsItsBias() throws {
        var optimizer = Optimizer(rule: .adam, learningRate: 0.01, for: model())
        let after = try optimizer.step(try optimizer.step(model(), gradients: g1), gradients: g2)
        let w0 = values(model()), flat1 = g1.flatMap { $0 }, flat2 = g2.flatMap { $0 }
        let expected = (0..<4).map { i -> Double in
            var w = w0[i], m = 0.0, v = 0.0
            for (t, g) in [flat1[i], flat2[i]].enumerated() {
                m = 0.9 * m + 0.1 * g
                v = 0.999 * v + 0.001 * g * g
                let mHat = m / (1 - pow(0.9, Double(t + 1))), vHat = v / (1 - pow(0.999, Double(t + 1)))
                w -= 0.01 * mHat / (vHat.squareRoot() + 1e-8)
            }
            return w
        }
        for (a, b) in zip(values(after), expected) { XCTAssertEqual(a, b, accuracy: 1e-15) }
    }

    func testClippingByTheGlobalNorm() throws {
        // ‖g1‖ = √0.3 ≈ 0.548: clipped to 0.2 every gradient scales by 0.2 / 0.548.
        var optimizer = Optimizer(rule: .sgd(momentum: 0), learningRate: 1, clipNorm: 0.2, for: model())
        let after = try optimizer.step(model(), gradients: g1)
        let norm = Optimizer.norm(g1)
        XCTAssertEqual(norm, 0.3.squareRoot(), accuracy: 1e-15)
        for (a, (w, g)) in zip(values(after), zip(values(model()), g1.flatMap { $0 })) { XCTAssertEqual(a, w - g * 0.2 / norm, accuracy: 1e-15) }
        // Below the limit nothing changes.
        var loose = Optimizer(rule: .sgd(momentum: 0), learningRate: 1, clipNorm: 10, for: model())
        for (a, (w, g)) in zip(values(try loose.step(model(), gradients: g1)), zip(values(model()), g1.flatMap { $0 })) { XCTAssertEqual(a, w - g, accuracy: 1e-15) }
    }

    func testGradientsOfTheWrongShapeAreRefused() {
        var optimizer = Optimizer(rule: .adagrad, learningRate: 0.1, for: model())
        XCTAssertThrowsError(try optimizer.step(model(), gradients: [[0.1, 0.2]])) { error in
            XCTAssertTrue("\(error)".contains("one gradient per parameter"), "\(error)")
        }
    }
}
