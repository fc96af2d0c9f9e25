import Foundation
import XCTest
import RNNCodegen
import RNNKernelRunner
import RNNModel

/// `rnngen verify`'s check on every example model in `models/`, in both
/// languages (one compiled program per language).
final class ExampleVerifyTests: XCTestCase {
    func verifyExamples(_ language: KernelOptions.Language) throws {
        let examples = try Repository.exampleModels()
        XCTAssertGreaterThanOrEqual(examples.count, 9)
        let plans = try examples.enumerated().map { index, example in
            try KernelPlan(model: try ModelDescription.load(contentsOf: example.url.path),
                           options: KernelOptions(language: language, name: "e\(index)"))
        }
        let program = try KernelCompiler().compile(plans)
        for (index, plan) in plans.enumerated() {
            let trials = Verifier.trials(for: plan.model, supportsStep: plan.supportsStep, count: 5, seed: 1)
            for report in try Verifier.verify(plan: plan, program: program, trials: trials) {
                XCTAssertTrue(report.passed, "\(language.rawValue) \(examples[index].name) \(report.output): err/tolerance \(report.worstRatio) in \(report.worstTrial) \(report.nanMismatch ?? "")")
            }
        }
    }

    func testEveryExampleModelVerifiesInC() throws { try verifyExamples(.c) }
    func testEveryExampleModelVerifiesInSwift() throws { try verifyExamples(.swift) }
}
