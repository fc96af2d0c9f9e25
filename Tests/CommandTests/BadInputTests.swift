import Foundation
import XCTest
import RNNModel
import RNNTestSupport

/// Every kind of bad input gets a one-line error naming the file and the
/// field, tensor or node; a non-zero exit; and no output file.
final class BadInputTests: XCTestCase {
    var scratch: Scratch!

    override func setUpWithError() throws {
        scratch = try Scratch()
        try scratch.write("x.npy", Tensor(shape: [1, 3, 2], values: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]))
        try scratch.write("W.npy", Tensor(shape: [2, 2], values: [0.1, -0.2, 0.3, 0.4]))
        try scratch.write("R.npy", Tensor(shape: [2, 2], values: [0.5, 0.1, -0.1, 0.2]))
    }

    /// A valid one-layer RNN description; `edit` changes its JSON text.
    func description(_ edit: (String) -> String = { $0 }) throws -> String {
        let text = """
        {"rnngen": 1, "name": "tiny", "input_size": 2, "pipeline": [
          {"recurrent": {"cell": "rnn", "hidden_sizes": [2], "weights": [{"W": "W.npy", "R": "R.npy"}]}}
        ]}
        """
        return try scratch.write("model.rnn.json", edit(text))
    }

    /// Runs `rnngen run MODEL --input x=… --output-dir out` and checks the failure.
    func expectRunFailure(_ model: String, inputs: [String] = ["x=x.npy"], contains fragments: [String], extra: [String] = [],
                          file: StaticString = #filePath, line: UInt = #line) {
        let args = ["run", model] + inputs.flatMap { ["--input", $0.contains("/") ? $0 : $0.replacingOccurrences(of: "=", with: "=" + scratch.url.path + "/")] }
            + ["--output-dir", scratch.path("out")] + extra
        let result = scratch.rnngen(args)
        XCTAssertNotEqual(result.code, 0, "expected failure, got success: \(result.out)", file: file, line: line)
        let message = result.err.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertFalse(message.contains("\n"), "error is not one line: \(message)", file: file, line: line)
        XCTAssertTrue(message.hasPrefix("rnngen: error: "), message, file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(message.contains(fragment), "'\(fragment)' not in: \(message)", file: file, line: line)
        }
        XCTAssertEqual(scratch.files(in: "out"), [], "output written despite the error", file: file, line: line)
    }

    func testValidDescriptionRuns() throws {
        let result = scratch.rnngen(["run", try description(), "--input", "x=" + scratch.path("x.npy"), "--output-dir", scratch.path("out")])
        XCTAssertEqual(result.code, 0, result.err)
        XCTAssertEqual(scratch.files(in: "out"), ["h_s0_l0_fw.npy", "y.npy"])
    }

    /// TensorFlow Lite files rnngen cannot read, as TensorFlow's converter
    /// writes them, and files that are no TFLite at all.
    func testUnsupportedTFLiteModels() throws {
        let folder = Recorded.root.appendingPathComponent("tflite-unsupported").path
        expectRunFailure(folder + "/lstm_dense.tflite", contains: ["lstm_dense.tflite", "operators[1]", "FULLY_CONNECTED is not an operator rnngen reads"])
        expectRunFailure(folder + "/gru.tflite", contains: ["gru.tflite", "WHILE loop", "GRU"])
        let junk = try scratch.write("junk.tflite", "this is not a flatbuffer at all")
        expectRunFailure(junk, contains: ["junk.tflite", "not a TensorFlow Lite model: expected the identifier TFL3 at byte 4"])
        var bytes = [UInt8](try Data(contentsOf: Recorded.root.appendingPathComponent("tflite/lstm_i8_h7/model.tflite")))
        bytes.removeLast(bytes.count / 2)
        let cut = try scratch.write("cut.tflite", bytes: bytes)
        expectRunFailure(cut, contains: ["cut.tflite", "outside the file"])
        // A float model has no integers to run.
        let float = Recorded.root.appendingPathComponent("tflite/lstm_float_h8/model.tflite").path
        let x = Recorded.root.appendingPathComponent("tflite/lstm_float_h8/x.npy").path
        expectRunFailure(float, inputs: ["x=" + x], contains: ["--quantized", "has no quantization"], extra: ["--quantized"])
    }

    func testMalformedJSON() throws {
        expectRunFailure(try description { $0.replacingOccurrences(of: "\"pipeline\": [", with: "\"pipeline\" [") },
                         contains: ["model.rnn.json", "malformed JSON"])
    }

    func testUnknownCell() throws {
        expectRunFailure(try description { $0.replacingOccurrences(of: "\"rnn\"", with: "\"lstmx\"") },
                         contains: ["model.rnn.json", "$.pipeline[0].recurrent.cell", "unknown cell 'lstmx'", "rnn, lstm, gru"])
    }

    func testUnknownOption() throws {
        expectRunFailure(try description { $0.replacingOccurrences(of: "\"hidden_sizes\"", with: "\"peephole\": true, \"hidden_sizes\"") },
                         contains: ["$.pipeline[0].recurrent.peephole", "unknown field"])
    }

    func testOptionOnTheWrongCell() throws {
        expectRunFailure(try description { $0.replacingOccurrences(of: "\"hidden_sizes\"", with: "\"cell_clip\": 2, \"hidden_sizes\"") },
                         contains: ["$.pipeline[0].recurrent.cell_clip", "applies to lstm cells, not rnn"])
    }

    func testUnknownActivation() throws {
        expectRunFailure(try description { $0.replacingOccurrences(of: "\"hidden_sizes\"", with: "\"activation\": \"swish\", \"hidden_sizes\"") },
                         contains: ["$.pipeline[0].recurrent.activation", "unknown activation 'swish'", "LeakyRelu"])
    }

    func testAbsurdSizesGetAnErrorNotAnAllocation() throws {
        expectRunFailure(try description { $0.replacingOccurrences(of: "\"hidden_sizes\": [2]", with: "\"hidden_size\": 2, \"num_layers\": 1000000000") },
                         contains: ["$.pipeline[0].recurrent.num_layers", "1000000000 layers is more than rnngen supports (1024)"])
        expectRunFailure(try description { $0.replacingOccurrences(of: "\"hidden_sizes\": [2]", with: "\"hidden_sizes\": [100000000000]") },
                         contains: ["$.pipeline[0].recurrent", "hidden size 100000000000 is more than rnngen supports"])
    }

    func testMissingWeight() throws {
        expectRunFailure(try description { $0.replacingOccurrences(of: ", \"R\": \"R.npy\"", with: "") },
                         contains: ["$.pipeline[0].recurrent.weights[0]", "missing weight 'R'"])
    }

    func testMissingWeightFile() throws {
        expectRunFailure(try description { $0.replacingOccurrences(of: "R.npy", with: "nothere.npy") },
                         contains: ["nothere.npy", "$.pipeline[0].recurrent.weights[0].R", "cannot read file"])
    }

    func testWrongShapeWeight() throws {
        try scratch.write("R.npy", Tensor(zeros: [2, 3]))
        expectRunFailure(try description(), contains: ["$.pipeline[0].recurrent.weights[0].R", "ONNX stores R as [1·H, H] = [2, 2] (rnn with G = 1 gate, H = 2, I = 2); found [2, 3]", "is the hidden size 3, not 2"])
    }

    func testWrongDtypeWeight() throws {
        try scratch.write("R.npy", Tensor(shape: [2, 2], elementType: .int64, values: [1, 2, 3, 4]))
        expectRunFailure(try description(), contains: ["weights[0].R", "expected floating-point values, found int64"])
    }

    func testTruncatedNPY() throws {
        var bytes = NPY.encode(Tensor(shape: [2, 2], values: [1, 2, 3, 4]))
        bytes.removeLast(5)
        try scratch.write("R.npy", bytes: bytes)
        expectRunFailure(try description(), contains: ["R.npy", "truncated", "needs 16 bytes, found 11"])
    }

    func testCorruptNPY() throws {
        try scratch.write("R.npy", bytes: Array("not numpy at all".utf8))
        expectRunFailure(try description(), contains: ["R.npy", "not a .npy file"])
    }

    func testCompressedNPZEntry() throws {
        let npy = NPY.encode(Tensor(shape: [2, 2], values: [1, 2, 3, 4]))
        try scratch.write("w.npz", bytes: TestEncoding.zip(name: "R.npy", payload: npy, method: 8))
        try scratch.write("good.npz", bytes: TestEncoding.zip(name: "R.npy", payload: npy))
        let good = try description { $0.replacingOccurrences(of: "\"input_size\"", with: "\"weights_file\": \"good.npz\", \"input_size\"")
            .replacingOccurrences(of: "\"W\": \"W.npy\"", with: "\"W\": [[0.1, 0.2], [0.3, 0.4]]").replacingOccurrences(of: "R.npy", with: "R") }
        XCTAssertEqual(scratch.rnngen(["run", good, "--input", "x=" + scratch.path("x.npy"), "--output-dir", scratch.path("ok")]).code, 0)
        expectRunFailure(try description { $0.replacingOccurrences(of: "\"input_size\"", with: "\"weights_file\": \"w.npz\", \"input_size\"")
            .replacingOccurrences(of: "\"W\": \"W.npy\"", with: "\"W\": [[0.1, 0.2], [0.3, 0.4]]").replacingOccurrences(of: "R.npy", with: "R") },
            contains: ["w.npz", "compressed", "np.savez_compressed"])
    }

    func testTruncatedNPZ() throws {
        let npy = NPY.encode(Tensor(shape: [2, 2], values: [1, 2, 3, 4]))
        try scratch.write("w.npz", bytes: Array(TestEncoding.zip(name: "R.npy", payload: npy).prefix(60)))
        expectRunFailure(try description { $0.replacingOccurrences(of: "\"input_size\"", with: "\"weights_file\": \"w.npz\", \"input_size\"") },
                         contains: ["w.npz", "not a .npz (ZIP) file"])
    }

    func testTruncatedONNX() throws {
        let source = Fixtures.root.appendingPathComponent("onnx/lstm_h33_i8/model.onnx")
        let bytes = [UInt8](try Data(contentsOf: source))
        let model = try scratch.write("cut.onnx", bytes: Array(bytes.prefix(bytes.count / 2)))
        expectRunFailure(model, inputs: [], contains: ["cut.onnx", "truncated"])
    }

    func testGarbageONNX() throws {
        let model = try scratch.write("junk.onnx", bytes: Array("hello, this is not protobuf".utf8))
        expectRunFailure(model, inputs: [], contains: ["junk.onnx"])
    }

    func testUnsupportedONNXOpNamesNodeAndOp() throws {
        let bytes = TestEncoding.onnx(nodes: [("Softmax", ["X"], ["Y"])], inputs: ["X"], outputs: ["Y"])
        let model = try scratch.write("softmax.onnx", bytes: bytes)
        expectRunFailure(model, inputs: [], contains: ["softmax.onnx", "node 'node0' (Softmax)", "cannot import op 'Softmax'"])
        let inspect = scratch.rnngen(["inspect", model])
        XCTAssertEqual(inspect.code, 1)
        XCTAssertTrue(inspect.err.contains("node 'node0' (Softmax)"), inspect.err)
    }

    func testInputShapeThatDoesNotFitTheModel() throws {
        try scratch.write("x3.npy", Tensor(zeros: [1, 3, 3]))
        expectRunFailure(try description(), inputs: ["x=x3.npy"], contains: ["--input x", "expected 2 input features", "[1, 3, 3]"])
        try scratch.write("x2d.npy", Tensor(zeros: [3, 2]))
        expectRunFailure(try description(), inputs: ["x=x2d.npy"], contains: ["--input x", "rank-3"])
    }

    func testInitialStateOfWrongShape() throws {
        try scratch.write("h.npy", Tensor(zeros: [2, 2]))
        expectRunFailure(try description(), inputs: ["x=x.npy", "initial_h_s0_l0_fw=h.npy"],
                         contains: ["initial_h_s0_l0_fw", "expected shape [1, 2], found [2, 2]"])
    }

    func testSequenceLengthsOutOfRange() throws {
        try scratch.write("len.npy", Tensor(shape: [1], elementType: .int32, values: [4]))
        expectRunFailure(try description(), inputs: ["x=x.npy", "seq_lens=len.npy"], contains: ["seq_lens", "item 0 has length 4, expected 0…3"])
        try scratch.write("flen.npy", Tensor(shape: [1], values: [2]))
        expectRunFailure(try description(), inputs: ["x=x.npy", "seq_lens=flen.npy"], contains: ["seq_lens", "integer"])
    }

    func testUnknownInputName() throws {
        expectRunFailure(try description(), inputs: ["x=x.npy", "h0=x.npy"], contains: ["--input h0", "no such input", "initial_h_s0_l0_fw"])
    }

    func testONNXInputOfWrongShape() throws {
        let model = Fixtures.root.appendingPathComponent("onnx/lstm_h33_i8/model.onnx").path
        try scratch.write("X.npy", Tensor(zeros: [2, 2, 2]))
        expectRunFailure(model, inputs: ["X=X.npy"], contains: ["input 'X'", "expected shape", "found [2, 2, 2]"])
    }

    func testONNXMissingWeightInput() throws {
        let folder = Fixtures.root.appendingPathComponent("onnx-node/test_lstm_defaults")
        let x = folder.appendingPathComponent("test_data_set_0/X.npy").path
        expectRunFailure(folder.appendingPathComponent("model.onnx").path, inputs: ["X=" + x],
                         contains: ["input 'W'", "--input W=FILE.npy"])
    }

    func testUnknownCommandAndOption() throws {
        let unknown = scratch.rnngen(["frobnicate"])
        XCTAssertEqual(unknown.code, 1)
        XCTAssertTrue(unknown.err.contains("unknown command"), unknown.err)
        let option = scratch.rnngen(["run", try description(), "--inptu", "x=x.npy"])
        XCTAssertEqual(option.code, 1)
        XCTAssertTrue(option.err.contains("--inptu: unknown option for 'run'"), option.err)
        let model = scratch.rnngen(["inspect", scratch.path("model.txt")])
        XCTAssertTrue(model.err.contains("unknown model file type"), model.err)
    }

    func testHelpOnEveryCommand() {
        for command in ["inspect", "run"] {
            let result = scratch.rnngen([command, "--help"])
            XCTAssertEqual(result.code, 0)
            XCTAssertTrue(result.out.contains("USAGE: rnngen \(command)"), result.out)
        }
        XCTAssertTrue(scratch.rnngen(["--help"]).out.contains("COMMANDS:"))
    }
}
