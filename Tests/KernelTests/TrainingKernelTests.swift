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
    /// Random models per run: `RNNGEN_TRAINING_COUNT` (default 40 in C, 12 in Swift), seeds from `RNNGEN_PROPERTY_SEED`.
    func check(_ language: KernelOptions.Language, count defaultCount: Int) throws {
        let env = ProcessInfo.processInfo.environment
        let count = env["RNNGEN_TRAINING_COUNT"].flatMap { Int($0) } ?? defaultCount
        let base = env["RNNGEN_PROPERTY_SEED"].flatMap { UInt64($0) } ?? 1
        let cases = (0..<UInt64(count)).map { k -> TrainingVerifier.Case in
            let (model, options) = RandomModels.trainable(seed: base &+ k, language: language)
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
        let kinks = reports.filter(\.atKink).count
        print("training kernels (\(language.rawValue)): \(count) models from seed \(base), worst error / bound \(worst.ratio) (\(worst.what)); \(kinks) windows at a kink, gradients not compared")
        // A window within rounding of a kink is rare; many would mean the check is skipping what it should compare.
        XCTAssertLessThanOrEqual(kinks * 10, max(count, 10), "more than one window in ten at a kink")
    }

    func testCKernelsMatchTheInterpretersGradients() throws {
        try check(.c, count: 40)
    }

    func testSwiftKernelsMatchTheInterpretersGradients() throws {
        try check(.swift, count: 12)
    }
}
