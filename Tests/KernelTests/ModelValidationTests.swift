import Dispatch
import Foundation
import XCTest
import RNNCodegen
import RNNModel
import RNNReference
import RNNTestSupport

/// Models built in code are checked like files: stages that do not fit are
/// an error from the interpreter and the planner, never a trap.
final class ModelValidationTests: XCTestCase {
    func testMisfitModelsAreErrors() throws {
        var r = RandomModels(seed: 3)
        let stack = r.stack(.init(kind: .gru), inputSize: 3, hiddenSizes: [4])
        var wrongInput = r.stack(.init(kind: .lstm), inputSize: 3, hiddenSizes: [5, 2])
        wrongInput.layers[1].cells[0].weights.input = Tensor(zeros: [8, 4])
        var reverseDelayed = r.stack(.init(kind: .gru), inputSize: 3, hiddenSizes: [2], direction: .reverse)
        reverseDelayed.layers[0].cells[0].options.sampleRateDelay = 2
        let misfits: [(String, [Stage], String)] = [
            // Found by PropertyTests: a head after a dense layer read past the final state.
            ("head after a dense layer", [.recurrent(stack), .dense(r.dense(4, 6, .tanh)), .head(r.dense(6, 2, .softmax))], "the head reads the final state"),
            ("head of the wrong width", [.recurrent(stack), .head(r.dense(5, 2, .none))], "expected shape [2, 4]"),
            ("dense of the wrong width", [.dense(r.dense(2, 3, .relu)), .recurrent(stack)], "stage 0 weight: expected shape [3, 3], found [3, 2]"),
            ("a layer's weights of the wrong shape", [.recurrent(wrongInput)], "layer 1 cell 0 input weights: expected shape [8, 5]"),
            ("no stage", [], "at least one stage"),
            ("a skip from an input feature that is not there", [.dense(r.dense(3, 2, .relu)), .residual(Residual(features: [0, 5]))], "input feature 5 does not exist"),
            ("PReLU slopes of the wrong count", [.dense(r.dense(3, 4, .prelu(Tensor(zeros: [3]))))], "PReLU slopes: expected shape [4]"),
            ("sample-rate delay on a reverse stack", [.recurrent(reverseDelayed)], "sample-rate correction streams forward"),
        ]
        for (label, stages, expected) in misfits {
            let model = Model(name: "misfit", inputSize: 3, layout: .batchMajor, stages: stages)
            let x = Tensor(shape: [1, 2, 3], values: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
            XCTAssertThrowsError(try ReferenceInterpreter(model: model).run(ModelInputs(x: x)), label) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(label): \(error)")
            }
            XCTAssertThrowsError(try KernelPlan(model: model, options: KernelOptions(language: .c, name: "misfit")), label)
        }
    }
}
