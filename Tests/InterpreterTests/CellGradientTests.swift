import Foundation
import XCTest
import RNNModel
@testable import RNNReference
import RNNTestSupport

/// The backward pass of one cell step against central finite differences of
/// the interpreter's forward step, in float64, on random cells of every kind
/// and option: eps 1e-6, |analytic − numeric| ≤ 1e-5 + 1e-3·|numeric|.
final class CellGradientTests: XCTestCase {
    static let seed = UInt64(ProcessInfo.processInfo.environment["RNNGEN_PROPERTY_SEED"] ?? "") ?? 20261207
    static let count = Int(ProcessInfo.processInfo.environment["RNNGEN_GRADIENT_COUNT"] ?? "") ?? 200

    /// A random cell: kind, sizes, activations and the options each kind has.
    static func randomCell(_ random: inout RandomModels) -> Cell {
        func pick<T>(_ choices: [T]) -> T { choices[Int(random.rng.next() % UInt64(choices.count))] }
        func chance(_ p: Double) -> Bool { random.rng.uniform(0, 1) < p }
        let kind = pick([CellKind.rnn, .gru, .gru, .lstm, .lstm, .lstm])
        let smooth = [Activation.sigmoid, .tanh, Activation(.softsign), Activation(.softplus), Activation(.scaledTanh, alpha: 1.3, beta: 0.7),
                      Activation(.affine, alpha: 0.8, beta: 0.1), Activation(.elu, alpha: 0.9)]
        let kinked = [Activation.relu, Activation(.leakyRelu, alpha: 0.1), Activation(.hardSigmoid, alpha: 0.2, beta: 0.5),
                      Activation(.thresholdedRelu, alpha: 0.3)]
        var activations = kind.defaultActivations
        if chance(0.5) { activations = activations.map { _ in chance(0.7) ? pick(smooth) : pick(kinked) } }
        let lstm = kind == .lstm
        let spec = RandomModels.CellSpec(
            kind: kind, activations: activations, clip: chance(0.25) ? random.rng.uniform(0.5, 2) : nil,
            cellClip: lstm && chance(0.25) ? random.rng.uniform(0.3, 1.5) : nil,
            inputForget: lstm && chance(0.2), forgetBias: lstm && chance(0.3) ? 1 : 0,
            linearBeforeReset: kind == .gru && chance(0.5), peepholes: lstm && chance(0.3),
            projection: lstm && chance(0.25) ? Int(random.rng.next() % 3) + 1 : nil)
        return random.cell(spec, inputSize: Int(random.rng.next() % 4) + 1, hiddenSize: Int(random.rng.next() % 5) + 1)
    }

    /// The loss a·h' + b·c' of one step, for fixed random a and b.
    struct StepLoss {
        let x: [Double], h: [Double], c: [Double], a: [Double], b: [Double]

        func callAsFunction(_ cell: Cell, x: [Double]? = nil, h: [Double]? = nil, c: [Double]? = nil) -> Double {
            let out = CellMath(cell).step(x: x ?? self.x, h: h ?? self.h, c: c ?? self.c)
            return zip(out.h, a).reduce(0) { $0 + $1.0 * $1.1 } + zip(out.c, b).reduce(0) { $0 + $1.0 * $1.1 }
        }
    }

    /// Central differences of `loss` in one coordinate, trying a smaller
    /// step where the first straddles a kink near the point (a relu near 0,
    /// a clip's limit). Where the point sits exactly on a kink (a relu gate
    /// exactly 0 times a zero initial state), the one-sided derivatives
    /// differ even at a step of 1e-8, the derivative is not defined and the
    /// backward pass's value is a convention: such points are counted in
    /// `kinks` and not compared; the tests require them to be rare.
    static func agrees(_ analytic: Double, _ loss: (Double) -> Double, at value: Double) -> (Bool, Double) {
        var numeric = 0.0
        func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-5 + 1e-3 * abs(b) }
        for eps in [1e-6, 1e-7] {
            numeric = (loss(value + eps) - loss(value - eps)) / (2 * eps)
            if close(analytic, numeric) { return (true, numeric) }
        }
        let centre = loss(value), eps = 1e-8
        let right = (loss(value + eps) - centre) / eps, left = (centre - loss(value - eps)) / eps
        if !close(right, left) {
            kinks += 1
            return (true, numeric)
        }
        return (false, numeric)
    }
    nonisolated(unsafe) static var kinks = 0

    func testOneStepMatchesFiniteDifferencesOnRandomCells() throws {
        var random = RandomModels(seed: Self.seed)
        Self.kinks = 0
        var checked = 0, failures: [String] = []
        var kinds: [String: Int] = [:]
        for index in 0..<Self.count {
            let cell = Self.randomCell(&random)
            kinds[cell.kind.rawValue, default: 0] += 1
            let hasC = cell.kind == .lstm
            let loss = StepLoss(x: (0..<cell.inputSize).map { _ in random.rng.uniform(-2, 2) },
                                h: (0..<cell.outputSize).map { _ in random.rng.uniform(-1, 1) },
                                c: hasC ? (0..<cell.hiddenSize).map { _ in random.rng.uniform(-2, 2) } : [],
                                a: (0..<cell.outputSize).map { _ in random.rng.uniform(-1, 1) },
                                b: hasC ? (0..<cell.hiddenSize).map { _ in random.rng.uniform(-1, 1) } : [])
            var gradients = CellWeightGradients(zeroFor: cell)
            let inputs = CellMath(cell).backward(x: loss.x, h: loss.h, c: loss.c, dNewH: loss.a, dNewC: loss.b, into: &gradients)

            func check(_ what: String, _ analytic: [Double], _ values: [Double], _ perturbed: ([Double]) -> Double) {
                XCTAssertEqual(analytic.count, values.count, "\(what): gradient count")
                for k in 0..<min(analytic.count, values.count) {
                    let (ok, numeric) = Self.agrees(analytic[k], { v in var p = values; p[k] = v; return perturbed(p) }, at: values[k])
                    checked += 1
                    if !ok { failures.append("config #\(index) \(cell.kind) \(cell.options.activations) \(what)[\(k)]: analytic \(analytic[k]), numeric \(numeric)") }
                }
            }
            func weights(_ edit: @escaping (inout CellWeights, [Double]) -> Void) -> ([Double]) -> Double {
                { values in var changed = cell; edit(&changed.weights, values); return loss(changed) }
            }
            let w = cell.weights
            check("W", gradients.input, w.input.values, weights { $0.input.values = $1 })
            check("R", gradients.recurrent, w.recurrent.values, weights { $0.recurrent.values = $1 })
            check("Wb", gradients.inputBias, w.inputBias.values, weights { $0.inputBias.values = $1 })
            check("Rb", gradients.recurrentBias, w.recurrentBias.values, weights { $0.recurrentBias.values = $1 })
            if let p = w.peephole { check("P", gradients.peephole ?? [], p.values, weights { $0.peephole!.values = $1 }) }
            if let p = w.projection { check("projection", gradients.projection ?? [], p.values, weights { $0.projection!.values = $1 }) }
            check("x", inputs.x, loss.x) { loss(cell, x: $0) }
            check("h", inputs.h, loss.h) { loss(cell, h: $0) }
            check("c", inputs.c, loss.c) { loss(cell, c: $0) }
        }
        print("cell gradients: \(Self.count) random cells (seed \(Self.seed); \(kinds)), \(checked) partial derivatives (\(Self.kinks) on a kink, not compared), \(failures.count) off")
        XCTAssertLessThanOrEqual(Self.kinks, checked / 1000, "points on a kink should be rare")
        XCTAssert(failures.isEmpty, failures.prefix(10).joined(separator: "\n"))
        XCTAssertEqual(Set(kinds.keys).count, 3, "every cell kind drawn")
    }

    /// A wrong derivative is caught: the check fails on a gradient that is
    /// off by a little.
    func testTheCheckCanFail() {
        let (ok, _) = Self.agrees(2.01, { $0 * $0 }, at: 1)
        XCTAssertFalse(ok)
        XCTAssertTrue(Self.agrees(2, { $0 * $0 }, at: 1).0)
    }

    /// Each activation's derivative against finite differences away from its kinks.
    func testActivationDerivatives() {
        let all: [Activation] = ActivationKind.allCases.map { Activation($0) } +
            [Activation(.leakyRelu, alpha: 0.2), Activation(.hardSigmoid, alpha: 1.0 / 6, beta: 0.5), Activation(.elu, alpha: 0.5)]
        for f in all {
            for x in stride(from: -4.05, through: 4.05, by: 0.1) {
                let (ok, numeric) = Self.agrees(f.derivative(x), { f($0) }, at: x)
                XCTAssertTrue(ok, "\(f)'(\(x)) = \(f.derivative(x)), numeric \(numeric)")
            }
        }
    }
}
