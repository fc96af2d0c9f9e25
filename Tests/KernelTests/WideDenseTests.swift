import Dispatch
import Foundation
import XCTest
import RNNCodegen
@testable import RNNKernelRunner
import RNNModel
import RNNReference
import RNNTestSupport

/// Dense layers and heads of more than four vector blocks run as a loop over
/// blocks; its lane stores once dropped the block index (found by
/// PropertyTests), writing every block over the first.
final class WideDenseTests: XCTestCase {
    func testDenseLayersOfManyBlocksStoreEveryBlock() throws {
        var r = RandomModels(seed: 4)
        var plans: [KernelPlan] = []
        for (index, outputs) in [17, 24, 33, 40, 57, 68, 70].enumerated() {
            for width in KernelOptions.vectorWidths {
                let stages: [Stage] = [.recurrent(r.stack(.init(kind: .gru), inputSize: 3, hiddenSizes: [5])),
                                       index % 2 == 0 ? .dense(r.dense(5, outputs, .tanh)) : .head(r.dense(5, outputs, .none))]
                let model = Model(name: "wide", inputSize: 3, layout: .batchMajor, stages: stages)
                // Swift on a few (its compiles are slow): one dense and one head past four blocks at widths 4 and 8.
                let languages: [KernelOptions.Language] = [24, 33].contains(outputs) && width < 16 ? [.c, .swift] : [.c]
                for language in languages {
                    plans.append(try KernelPlan(model: model, options: KernelOptions(language: language, name: "w\(plans.count)", vectorWidth: width)))
                }
            }
        }
        for language in [KernelOptions.Language.c, .swift] {
            let group = plans.filter { $0.options.language == language }
            let program = try KernelCompiler().compile(group)
            for plan in group {
                let trials = Verifier.trials(for: plan.model, supportsStep: plan.supportsStep, count: 1, seed: 3)
                for report in try Verifier.verify(plan: plan, program: program, trials: trials) {
                    XCTAssertTrue(report.passed, "\(language.rawValue) width \(plan.vectorWidth), \(plan.denses.map { "\($0.outputs)" }) outputs: \(report.output) err/tolerance \(report.worstRatio)")
                }
            }
        }
    }
}
