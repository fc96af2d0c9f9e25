import Foundation
import XCTest
import RNNModel
import RNNReference
import RNNTestSupport

/// The semantics the interpreter reproduces (docs/description-format.md), checked on tiny models whose
/// outputs can be worked out by hand. Cells use the identity (Affine 1, 0)
/// with W = R = 1, so `h` is the running sum of the inputs it has seen.
final class InterpreterSemanticsTests: XCTestCase {
    func model(_ json: String) throws -> Model {
        try ModelDescription.parse(Data(json.utf8), baseDirectory: URL(fileURLWithPath: "/"))
    }

    /// A one-layer, one-feature RNN whose `h` sums the inputs it has seen.
    func summingRNN(direction: String = "forward", extra: String = "", zeroLength: String = "initial") throws -> Model {
        try model("""
        {"rnngen": 1, "input_size": 1, "zero_length_state": "\(zeroLength)", "pipeline": [{"recurrent": {
          "cell": "rnn", "hidden_sizes": [1], "direction": "\(direction)",
          "activation": {"name": "Affine", "alpha": 1, "beta": 0} \(extra),
          "weights": [{"W": [[1]], "R": [[1]]}]}}]}
        """)
    }

    /// `[B, T, 1]` sequences from rows.
    func x(_ rows: [[Double]]) -> Tensor { Tensor(shape: [rows.count, rows[0].count, 1], values: rows.flatMap { $0 }) }

    func column(_ t: Tensor, _ b: Int) -> [Double] {
        let T = t.shape[1], F = t.shape[2]
        return (0..<T).map { t.values[(b * T + $0) * F] }
    }

    let h0 = StateName(stack: 0, layer: 0, reverse: false, isCell: false)
    let h0bw = StateName(stack: 0, layer: 0, reverse: true, isCell: false)

    func testForwardStopsAtEachItemsLengthAndCarriesTheState() throws {
        let out = try ReferenceInterpreter(model: summingRNN()).run(ModelInputs(x: x([[1, 2, 3, 4], [1, 2, 3, 4]]), sequenceLengths: [4, 2]))
        XCTAssertEqual(column(out.y, 0), [1, 3, 6, 10])
        XCTAssertEqual(column(out.y, 1), [1, 3, 0, 0], "zero output past the length")
        XCTAssertEqual(out.finalStates[h0]?.values, [10, 3], "final state at the last valid step")
    }

    func testReverseStartsAtEachItemsLastValidStep() throws {
        let out = try ReferenceInterpreter(model: summingRNN(direction: "reverse")).run(ModelInputs(x: x([[1, 2, 3, 4], [1, 2, 3, 4]]), sequenceLengths: [4, 2]))
        XCTAssertEqual(column(out.y, 0), [10, 9, 7, 4])
        XCTAssertEqual(column(out.y, 1), [3, 2, 0, 0])
        XCTAssertEqual(out.finalStates[h0bw]?.values, [10, 3])
    }

    func testProcessingOrderOutputIsReversedWithinEachLength() throws {
        let m = try summingRNN(direction: "reverse", extra: #", "output_order": "processing""#)
        let out = try ReferenceInterpreter(model: m).run(ModelInputs(x: x([[1, 2, 3, 4], [1, 2, 3, 4]]), sequenceLengths: [4, 2]))
        XCTAssertEqual(column(out.y, 0), [4, 7, 9, 10])
        XCTAssertEqual(column(out.y, 1), [2, 3, 0, 0])
    }

    func testZeroLengthSequenceFollowsTheChosenRule() throws {
        let initial = Tensor(shape: [1, 1], values: [5])
        let copy = try ReferenceInterpreter(model: summingRNN(zeroLength: "initial"))
            .run(ModelInputs(x: x([[1, 2]]), sequenceLengths: [0], initialStates: [h0: initial]))
        XCTAssertEqual(copy.finalStates[h0]?.values, [5], "TF1 rule: the initial state is copied through")
        XCTAssertEqual(column(copy.y, 0), [0, 0])
        let zero = try ReferenceInterpreter(model: summingRNN(zeroLength: "zero"))
            .run(ModelInputs(x: x([[1, 2]]), sequenceLengths: [0], initialStates: [h0: initial]))
        XCTAssertEqual(zero.finalStates[h0]?.values, [0], "onnxruntime rule: zeros")
    }

    func testInitialStateIsUsed() throws {
        let out = try ReferenceInterpreter(model: summingRNN())
            .run(ModelInputs(x: x([[1, 2]]), initialStates: [h0: Tensor(shape: [1, 1], values: [100])]))
        XCTAssertEqual(column(out.y, 0), [101, 103])
    }

    func testStackedBidirectionalLayerReadsBothDirections() throws {
        // Layer 1 (stacked form) reads [fw, bw] concatenated: W is [1, 2].
        let m = try model("""
        {"rnngen": 1, "input_size": 1, "pipeline": [{"recurrent": {"cell": "rnn", "hidden_sizes": [1, 1], "direction": "bidirectional",
          "bidirectional_form": "stacked", "activation": {"name": "Affine", "alpha": 1, "beta": 0},
          "weights": [{"forward": {"W": [[1]], "R": [[0]]}, "backward": {"W": [[1]], "R": [[0]]}},
                      {"forward": {"W": [[1, 10]], "R": [[0]]}, "backward": {"W": [[1, 10]], "R": [[0]]}}]}}]}
        """)
        let out = try ReferenceInterpreter(model: m).run(ModelInputs(x: x([[1, 2]])))
        // layer 0: fw = x, bw = x → layer 1: 1·x + 10·x = 11x in both directions.
        XCTAssertEqual(out.y.values, [11, 11, 22, 22])
    }

    func testSeparateStacksKeepDirectionsApart() throws {
        let m = try model("""
        {"rnngen": 1, "input_size": 1, "pipeline": [{"recurrent": {"cell": "rnn", "hidden_sizes": [1, 1], "direction": "bidirectional",
          "bidirectional_form": "separate_stacks", "activation": {"name": "Affine", "alpha": 1, "beta": 0},
          "weights": [{"forward": {"W": [[1]], "R": [[1]]}, "backward": {"W": [[1]], "R": [[1]]}},
                      {"forward": {"W": [[2]], "R": [[0]]}, "backward": {"W": [[3]], "R": [[0]]}}]}}]}
        """)
        let out = try ReferenceInterpreter(model: m).run(ModelInputs(x: x([[1, 2]])))
        // fw layer 0 sums forward [1, 3] → ×2; bw layer 0 sums backward [3, 2] → ×3.
        XCTAssertEqual(out.y.values, [2, 9, 6, 6])
    }

    func testParallelStacksAndHeadOnTheFinalState() throws {
        let m = try model("""
        {"rnngen": 1, "input_size": 1, "pipeline": [
          {"dense": {"weight": [[2]], "bias": [0]}},
          {"parallel": [
            {"recurrent": {"cell": "rnn", "hidden_sizes": [1], "activation": "Relu", "weights": [{"W": [[1]], "R": [[1]]}]}},
            {"recurrent": {"cell": "rnn", "hidden_sizes": [1], "activation": "Relu", "weights": [{"W": [[-1]], "R": [[1]]}]}}]},
          {"head": {"weight": [[1, 1], [1, -1]], "bias": [0.5, 0], "activation": "none"}}]}
        """)
        let out = try ReferenceInterpreter(model: m).run(ModelInputs(x: x([[1, 2]]), sequenceLengths: [1]))
        // dense doubles x; stack 0 sees 2 (then stops at length 1); stack 1 relu(-2) = 0.
        XCTAssertEqual(out.y.values, [2, 0, 0, 0])
        XCTAssertEqual(out.head?.values, [2.5, 2])
        XCTAssertEqual(out.finalStates[StateName(stack: 1, layer: 0, reverse: false, isCell: false)]?.values, [0])
    }

    func testCellClipClipsTheCellStateWhileClipClipsActivationInputs() throws {
        // LSTM with every gate pre-activation 0 except a large candidate: c grows by 0.5·tanh(big) per step.
        func lstm(_ option: String) throws -> Model {
            try model("""
            {"rnngen": 1, "input_size": 1, "pipeline": [{"recurrent": {"cell": "lstm", "hidden_sizes": [1], \(option)
              "weights": [{"W": [[0], [0], [0], [100]], "R": [[0], [0], [0], [0]]}]}}]}
            """)
        }
        let c = StateName(stack: 0, layer: 0, reverse: false, isCell: true)
        let input = x([[1, 1, 1]])
        let plain = try ReferenceInterpreter(model: lstm("")).run(ModelInputs(x: input))
        // i = f = o = 0.5, g = tanh(100) = 1: c = 0.5, 0.75, 0.875
        XCTAssertEqual(plain.finalStates[c]!.values[0], 0.875, accuracy: 1e-12)
        let cellClip = try ReferenceInterpreter(model: lstm(#""cell_clip": 0.6,"#)).run(ModelInputs(x: input))
        XCTAssertEqual(cellClip.finalStates[c]!.values[0], 0.6, accuracy: 1e-12)
        let clip = try ReferenceInterpreter(model: lstm(#""clip": 0.5,"#)).run(ModelInputs(x: input))
        // g = tanh(clip(100)) = tanh(0.5): c = 0.5·c + 0.5·tanh(0.5)
        var expected = 0.0
        for _ in 0..<3 { expected = 0.5 * expected + 0.5 * tanh(0.5) }
        XCTAssertEqual(clip.finalStates[c]!.values[0], expected, accuracy: 1e-12)
    }

    func testForgetBiasAndCoupledGate() throws {
        func lstm(_ option: String) throws -> Model {
            try model("""
            {"rnngen": 1, "input_size": 1, "pipeline": [{"recurrent": {"cell": "lstm", "hidden_sizes": [1], \(option)
              "weights": [{"W": [[0], [0], [0], [100]], "R": [[0], [0], [0], [0]]}]}}]}
            """)
        }
        let c = StateName(stack: 0, layer: 0, reverse: false, isCell: true)
        let input = x([[1, 1]])
        let sigmoid1 = 1 / (1 + exp(-1.0))
        let biased = try ReferenceInterpreter(model: lstm(#""forget_bias": 1.0,"#)).run(ModelInputs(x: input))
        XCTAssertEqual(biased.finalStates[c]!.values[0], sigmoid1 * 0.5 + 0.5, accuracy: 1e-12)
        // input_forget: f = 1 − i = 0.5, same as the plain cell here; with an input-gate bias it differs.
        let coupled = try model("""
        {"rnngen": 1, "input_size": 1, "pipeline": [{"recurrent": {"cell": "lstm", "hidden_sizes": [1], "input_forget": true,
          "weights": [{"W": [[0], [0], [0], [100]], "R": [[0], [0], [0], [0]], "B": [1, 0, 5, 0, 0, 0, 0, 0]}]}}]}
        """)
        let out = try ReferenceInterpreter(model: coupled).run(ModelInputs(x: input))
        let i = sigmoid1
        XCTAssertEqual(out.finalStates[c]!.values[0], (1 - i) * i + i, accuracy: 1e-12, "the forget gate's own bias (5) is ignored")
    }

    func testDenseEveryStepRunsOnPaddedStepsLikeFrameworks() throws {
        let m = try model("""
        {"rnngen": 1, "input_size": 1, "pipeline": [
          {"recurrent": {"cell": "rnn", "hidden_sizes": [1], "activation": "Relu", "weights": [{"W": [[1]], "R": [[0]]}]}},
          {"dense": {"kernel": [[1]], "bias": [0.25], "activation": "none"}}]}
        """)
        let out = try ReferenceInterpreter(model: m).run(ModelInputs(x: x([[3, 3]]), sequenceLengths: [1]))
        XCTAssertEqual(out.y.values, [3.25, 0.25])
    }

    func testActivationFormulas() {
        XCTAssertEqual(Activation(.affine, alpha: 2, beta: 1)(3), 7)
        XCTAssertEqual(Activation(.leakyRelu, alpha: 0.1)(-2), -0.2, accuracy: 1e-15)
        XCTAssertEqual(Activation(.leakyRelu)(-1), -0.01, accuracy: 1e-15)
        XCTAssertEqual(Activation(.thresholdedRelu, alpha: 1)(0.5), 0)
        XCTAssertEqual(Activation(.thresholdedRelu, alpha: 1)(1.5), 1.5)
        XCTAssertEqual(Activation(.scaledTanh, alpha: 2, beta: 0.5)(1), 2 * tanh(0.5), accuracy: 1e-15)
        XCTAssertEqual(Activation(.hardSigmoid)(10), 1)
        XCTAssertEqual(Activation(.hardSigmoid)(0), 0.5)
        XCTAssertEqual(Activation(.hardSigmoid)(-10), 0)
        XCTAssertEqual(Activation(.elu)(-1), exp(-1) - 1, accuracy: 1e-15)
        XCTAssertEqual(Activation(.softsign)(1), 0.5)
        XCTAssertEqual(Activation(.softplus)(0), log(2), accuracy: 1e-15)
        XCTAssertEqual(Activation(.softplus)(1000), 1000)
        XCTAssertEqual(Activation(.sigmoid)(-1000), 0)
        XCTAssertEqual(Activation(.sigmoid)(1000), 1)
        for kind in ActivationKind.allCases {
            XCTAssertTrue(Activation(kind)(.nan).isNaN, "\(kind) must propagate NaN")
        }
    }
}
