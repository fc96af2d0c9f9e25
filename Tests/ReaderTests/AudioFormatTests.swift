import Foundation
import XCTest
@testable import RNNModel
import RNNTestSupport

/// The audio tools' JSON formats and the description's new stages: what
/// each reads, and the one-line error for what it does not.
final class AudioFormatTests: XCTestCase {
    let folder = FileManager.default.temporaryDirectory

    func parse(_ text: String) throws -> (model: Model, format: JSONModelFormat) {
        try JSONModelFile.parse(Data(text.utf8), baseDirectory: folder, name: "amp")
    }

    func error(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try parse(text)
            XCTFail("read without an error", file: file, line: line)
            return ""
        } catch {
            return "\(error)"
        }
    }

    static let gru = """
    {"type": "gru", "activation": "tanh", "shape": [null, null, 2], "weights": [[[0.1, 0.2, 0.3, 0.4, 0.5, 0.6]],
      [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]], [[0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]]]}
    """

    func testRTNeuralLayersItDoesNotGenerateAreOneLineErrors() {
        let conv = """
        {"in_shape": [null, null, 1], "layers": [\(Self.gru), {"type": "conv1d", "activation": "", "shape": [null, null, 2],
          "kernel_size": [3], "dilation": [1], "weights": []}]}
        """
        let message = error(conv)
        XCTAssertTrue(message.contains("$.layers[1]") && message.contains("layer 1 is RTNeural's 'conv1d'"), message)
        XCTAssertFalse(message.contains("\n"))
        let batchnorm = error("{\"in_shape\": [null, 1], \"layers\": [{\"type\": \"batchnorm\", \"shape\": [null, 1], \"weights\": []}]}")
        XCTAssertTrue(batchnorm.contains("layer 0 is RTNeural's 'batchnorm'"), batchnorm)
    }

    func testRTNeuralShapesAndNames() throws {
        let (model, format) = try parse("{\"in_shape\": [null, null, 1], \"layers\": [\(Self.gru)]}")
        XCTAssertEqual(format, .rtneural)
        XCTAssertEqual(model.stateNames.map(\.size), [2])
        XCTAssertFalse(model.assumptions.isEmpty, "the recurrent activation it assumed is said")
        let wrongKernel = error("""
        {"in_shape": [null, null, 2], "layers": [{"type": "dense", "activation": "", "shape": [null, null, 3], "weights": [[[1, 2]], [0, 0, 0]]}]}
        """)
        XCTAssertTrue(wrongKernel.contains("$.layers[0].weights[0]") && wrongKernel.contains("expected a kernel of shape [2, 3]"), wrongKernel)
        let unknownActivation = error("""
        {"in_shape": [null, 1], "layers": [{"type": "dense", "activation": "swish", "shape": [null, 1], "weights": [[[1]], [0]]}]}
        """)
        XCTAssertTrue(unknownActivation.contains("unknown activation 'swish'"), unknownActivation)
        let stringWeights = error("{\"in_shape\": [null, 1], \"layers\": [{\"type\": \"dense\", \"shape\": [null, 1], \"weights\": [\"/etc/passwd\", [0]]}]}")
        XCTAssertTrue(stringWeights.contains("expected nested arrays of numbers, found a string"), stringWeights)
    }

    static func amp(_ data: String, state: String) -> String { "{\"model_data\": {\(data)}, \"state_dict\": {\(state)}}" }
    static let lstmState = """
    "rec.weight_ih_l0": [[0.1], [0.2], [0.3], [0.4]], "rec.weight_hh_l0": [[0.1], [0.2], [0.3], [0.4]],
    "rec.bias_ih_l0": [0, 0, 0, 0], "rec.bias_hh_l0": [0, 0, 0, 0], "lin.weight": [[0.7]], "lin.bias": [0.01]
    """

    func testGuitarAmpFields() throws {
        let (model, format) = try parse(Self.amp("\"model\": \"SimpleRNN\", \"unit_type\": \"LSTM\", \"skip\": 1", state: Self.lstmState))
        XCTAssertEqual(format, .guitarAmp)
        XCTAssertEqual(model.stages.count, 3, "recurrent, linear, skip")
        if case .residual(let r) = model.stages[2] { XCTAssertEqual(r.features, [0]) } else { XCTFail("no skip stage") }
        let noSkip = try parse(Self.amp("\"model\": \"SimpleRNN\", \"skip\": 0", state: Self.lstmState)).model
        XCTAssertEqual(noSkip.stages.count, 2)

        let mismatch = error(Self.amp("\"model\": \"SimpleRNN\", \"hidden_size\": 20", state: Self.lstmState))
        XCTAssertTrue(mismatch.contains("$.model_data.hidden_size") && mismatch.contains("says 20, but the state dict's tensors give 1"), mismatch)
        let unit = error(Self.amp("\"model\": \"SimpleRNN\", \"unit_type\": \"Transformer\"", state: Self.lstmState))
        XCTAssertTrue(unit.contains("unit type 'Transformer'"), unit)
        let wavenet = error(Self.amp("\"model\": \"GatedConvNet\"", state: Self.lstmState))
        XCTAssertTrue(wavenet.contains("model 'GatedConvNet' is not a recurrent model"), wavenet)
        let extra = error(Self.amp("\"model\": \"SimpleRNN\"", state: Self.lstmState + ", \"rec.weight_ih_l7\": [[1]], \"extra.weight\": [[1]]"))
        XCTAssertTrue(extra.contains("extra.weight") || extra.contains("weight_ih_l7"), extra)
        let skip = error(Self.amp("\"model\": \"SimpleRNN\", \"skip\": 3", state: Self.lstmState))
        XCTAssertTrue(skip.contains("skip 3"), skip)
        let empty = error("{\"model_data\": {\"model\": \"SimpleRNN\"}}")
        XCTAssertTrue(empty.contains("missing 'state_dict'"), empty)
    }

    func testStateDictJSON() throws {
        // Keys out of alphabetical order: the file's order decides the pipeline.
        let text = """
        {"rnn.weight_ih_l0": [[0.5], [0.25]], "rnn.weight_hh_l0": [[0.1, 0.2], [0.3, 0.4]], "rnn.bias_ih_l0": [0, 0.1],
         "act.weight": [0.2, 0.3], "b_out.weight": [[1.0, -1.0]], "b_out.bias": [0.5]}
        """
        let (model, format) = try parse(text)
        XCTAssertEqual(format, .stateDict)
        XCTAssertEqual(model.stages.count, 3)
        if case .recurrent(let s) = model.stages[0] { XCTAssertEqual(s.kind, .rnn) } else { XCTFail("the RNN first") }
        if case .activation(.prelu) = model.stages[1] {} else { XCTFail("the PReLU second") }
        if case .dense = model.stages[2] {} else { XCTFail("the Linear last") }
        XCTAssertTrue(model.assumptions[0].contains("rnn → act → b_out"), model.assumptions[0])
        XCTAssertEqual(try JSONKeyOrder.topLevelKeys(Data(#"{"z": {"a": [1, "}"]}, "b\"c": 2, "a": "x,y"}"#.utf8)), ["z", "b\"c", "a"])

        let conv = error("{\"conv.weight\": [[[1, 2]]], \"conv.bias\": [0]}")
        XCTAssertTrue(conv.contains("$.conv.weight") && conv.contains("3-D weight"), conv)
        let norm = error("{\"norm.weight\": [1], \"norm.bias\": [0], \"norm.running_mean\": [0]}")
        XCTAssertTrue(norm.contains("running_mean") && norm.contains("not a Linear, PReLU or recurrent module"), norm)
        let mismatch = error("{\"a.weight\": [[1, 2]], \"b.weight\": [[1, 2]]}")
        XCTAssertTrue(mismatch.contains("$.b.weight") && mismatch.contains("reads 2 features, but the module before outputs 1"), mismatch)
        let reverse = error("{\"g.weight_ih_l0\": [[1]], \"g.weight_hh_l0\": [[1]], \"g.weight_ih_l0_reverse\": [[1]], \"g.weight_hh_l0_reverse\": [[1]]}")
        XCTAssertTrue(reverse.contains("bidirectional"), reverse)
    }

    func testUnknownJSONSaysWhatItReads() {
        let message = error("{\"weights\": [1, 2]}")
        XCTAssertTrue(message.contains("not a model file rnngen reads") && message.contains("'in_shape'") && message.contains("'model_data'"), message)
    }

    func testDescriptionStagesAndActivations() throws {
        func description(_ stages: String) -> String {
            "{\"rnngen\": 1, \"input_size\": 2, \"pipeline\": [\(stages)]}"
        }
        let dense = "{\"dense\": {\"weight\": [[1, 0], [0, 1], [1, 1]], \"activation\": {\"name\": \"elu\", \"alpha\": 0.5}}}"
        let model = try parse(description(dense + ", {\"activation\": {\"name\": \"prelu\", \"slopes\": [0.25]}}, {\"residual\": {\"features\": [1]}}")).model
        XCTAssertEqual(model.stateNames.count, 0, "dense layers only: no state")
        if case .dense(let d) = model.stages[0] { XCTAssertEqual(d.activation, .elementwise(Activation(.elu, alpha: 0.5))) } else { XCTFail() }
        if case .activation(.prelu(let slopes)) = model.stages[1] { XCTAssertEqual(slopes.values, [0.25, 0.25, 0.25]) } else { XCTFail() }

        let feature = error(description(dense + ", {\"residual\": {\"features\": [2]}}"))
        XCTAssertTrue(feature.contains("$.pipeline[1].residual.features[0]") && feature.contains("expected an input feature 0…1, found 2"), feature)
        let count = error(description(dense + ", {\"residual\": {\"features\": [0, 1]}}"))
        XCTAssertTrue(count.contains("expected one feature (added to every output) or 3"), count)
        let prelu = error(description("{\"activation\": \"prelu\"}"))
        XCTAssertTrue(prelu.contains("prelu needs its learned slopes"), prelu)
        let none = error(description("{\"activation\": \"none\"}"))
        XCTAssertTrue(none.contains("an activation stage needs a function"), none)
        let unknown = error(description("{\"dense\": {\"weight\": [[1, 0]], \"activation\": \"swish\"}}"))
        XCTAssertTrue(unknown.contains("unknown activation 'swish'"), unknown)
        let delay = error("{\"rnngen\": 1, \"input_size\": 1, \"pipeline\": [{\"recurrent\": {\"cell\": \"rnn\", \"hidden_size\": 1, \"sample_rate_delay\": 0.5, \"weights\": [{\"W\": [[1]], \"R\": [[1]]}]}}]}")
        XCTAssertTrue(delay.contains("sample_rate_delay") && delay.contains("expected a delay of 1…64"), delay)
    }
}
