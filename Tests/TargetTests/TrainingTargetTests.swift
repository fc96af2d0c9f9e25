import RNNCodegen
import RNNKernelRunner
import RNNModel
import RNNTestSupport
import XCTest

/// Training kernels on the emulated Cortex-M4F: the same random models and
/// windows as on the host, compiled with arm-none-eabi-gcc and run under
/// QEMU, against the interpreter's float64 gradients.
final class TrainingTargetTests: XCTestCase {
    func testTrainingKernelsMatchTheInterpreterOnTheCortexM4() throws {
        let target = try Target.named("cortex-m4")
        try requireTarget(target)
        let base = ProcessInfo.processInfo.environment["RNNGEN_PROPERTY_SEED"].flatMap { UInt64($0) } ?? 1
        let cases = (0..<UInt64(30)).map { k -> TrainingVerifier.Case in
            let (model, options) = RandomModels.trainable(seed: base &+ k, language: .c)
            return TrainingVerifier.Case(model: model, options: options, seed: (base &+ k) &* 31 &+ 7)
        }
        let reports = try TrainingVerifier().verify(cases, target: target)
        for (c, report) in zip(cases, reports) {
            for check in report.checks where !check.passed {
                XCTFail("\(c.options.name) on the Cortex-M4: \(check.what): \(check.worst) > \(check.bound)")
            }
        }
        XCTAssertEqual(reports.count, 30)
    }
}
