import Foundation
import XCTest
import RNNCodegen
import RNNKernelRunner
import RNNModel
import RNNTestSupport

/// `rnngen verify`'s check on every example model in `models/`, in both
/// languages (one compiled program per language).
final class ExampleVerifyTests: XCTestCase {
    func verifyExamples(_ language: KernelOptions.Language, lowering: KernelOptions.Lowering? = nil, weightTypes: [WeightType] = [.f32]) throws {
        let examples = try Repository.exampleModels()
        XCTAssertGreaterThanOrEqual(examples.count, 9)
        let plans = try examples.enumerated().map { index, example in
            try KernelPlan(model: try ModelDescription.load(contentsOf: example.url.path),
                           options: KernelOptions(language: language, name: "e\(index)", weightType: weightTypes[index % weightTypes.count], lowering: lowering))
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
    /// The scalar lowering of the cores without float SIMD is plain C and
    /// runs here too, with every weight type's scalar loader.
    func testEveryExampleModelVerifiesInScalarC() throws { try verifyExamples(.c, lowering: .scalar, weightTypes: [.f32, .i8, .f16, .bf16]) }

    /// A scalar kernel has no vector type and no per-lane loop: each lane is a
    /// float variable, each weight an array element.
    func testScalarKernelsSpellNoVectors() throws {
        let model = try ModelDescription.load(contentsOf: Repository.url("models/embedded/lstm_i2_h20/model.rnn.json").path)
        let plan = try KernelPlan(model: model, options: KernelOptions(language: .c, name: "scalar_lstm", target: .cortexM4))
        XCTAssertEqual(plan.lowering, .scalar)
        XCTAssertEqual(plan.vectorWidth, 4)
        XCTAssertEqual(plan.batchTile, 1)
        let source = CRenderer(plan: plan).render()[1].text
        for absent in ["rg_vec", "RG_LOAD(", "RG_SPLAT", "RG_STORE("] {
            XCTAssertFalse(source.contains(absent), "the scalar kernel contains \(absent)")
        }
        for present in ["i_3 = RG_FMA(wt[", "i_0 = rg_sigmoid(i_0);", "--target cortex-m4 --lowering scalar"] {
            XCTAssertTrue(source.contains(present), "the scalar kernel lacks \(present)")
        }
        // Swift kernels stay vector code; asking for scalar Swift is an error.
        let swift = try KernelPlan(model: model, options: KernelOptions(language: .swift, name: "ScalarLSTM", target: .cortexM4))
        XCTAssertEqual(swift.lowering, .vector)
        XCTAssertThrowsError(try KernelPlan(model: model, options: KernelOptions(language: .swift, name: "ScalarLSTM", lowering: .scalar)))
    }
}
