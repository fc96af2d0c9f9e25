import Foundation
import XCTest
import RNNModel
import RNNReference
import RNNTestSupport

/// The shipped examples and docs stay runnable.
final class ExampleModelTests: XCTestCase {
    static let repository = Repository.root

    func descriptions() -> [URL] {
        let models = Self.repository.appendingPathComponent("models")
        let enumerator = FileManager.default.enumerator(atPath: models.path)
        var found: [URL] = []
        while let path = enumerator?.nextObject() as? String {
            if path.hasSuffix(ModelDescription.fileSuffix) { found.append(models.appendingPathComponent(path)) }
        }
        return found.sorted { $0.path < $1.path }
    }

    func testEveryExampleDescriptionLoadsAndRuns() throws {
        let all = descriptions()
        XCTAssertGreaterThanOrEqual(all.count, 7)
        for url in all {
            let model = try ModelDescription.load(contentsOf: url.path)
            let xFile = url.deletingLastPathComponent().appendingPathComponent("x.npy")
            let x = FileManager.default.fileExists(atPath: xFile.path)
                ? try NPY.read(contentsOf: xFile.path)
                : Tensor(shape: [2, 5, model.inputSize], values: (0..<(10 * model.inputSize)).map { sin(Double($0)) })
            let out = try ReferenceInterpreter(model: model).run(ModelInputs(x: x))
            XCTAssertTrue(out.y.values.allSatisfy(\.isFinite), url.lastPathComponent)
            XCTAssertEqual(out.finalStates.count, model.stateNames.count)
        }
    }

    /// The README's first command, end to end through files, against the recorded TF1 outputs.
    func testReadmeCommandReproducesTheRecordedOutputs() throws {
        let scratch = try Scratch()
        let folder = Self.repository.appendingPathComponent("models/binary_seq_rnn")
        let result = scratch.rnngen(["run", folder.appendingPathComponent("model.rnn.json").path,
                                     "--input", "x=" + folder.appendingPathComponent("x.npy").path, "--output-dir", scratch.path("out")])
        XCTAssertEqual(result.code, 0, result.err)
        let recorded = Fixtures.root.appendingPathComponent("tf1/binary_seq_rnn_4")
        let y = try NPY.read(contentsOf: scratch.path("out/y.npy"))
        XCTAssertEqual(y.elementType, .float32)
        XCTAssertLessThanOrEqual(y.maxAbsDifference(to: try Fixtures.npy(recorded.appendingPathComponent("expected_outputs.npy"))), fixtureTolerance)
        let h = try NPY.read(contentsOf: scratch.path("out/h_s0_l0_fw.npy"))
        XCTAssertLessThanOrEqual(h.maxAbsDifference(to: try Fixtures.npy(recorded.appendingPathComponent("expected_state_h.npy"))), fixtureTolerance)
    }

    /// An amp model file as the audio tools save it, through `run` (the
    /// interpreter and the C engine) and `inspect`, as docs/AUDIO.md shows.
    func testAudioModelFilesRunAsTheyAre() throws {
        let scratch = try Scratch()
        for name in ["agam_gru8_knob", "rtn_torch_lstm12_prelu"] {
            let folder = Recorded.cases("audio").first { $0.lastPathComponent == name }!
            let model = folder.appendingPathComponent("model.json").path
            for engine in ["reference", "c"] {
                let out = scratch.path("\(name)-\(engine)")
                let result = scratch.rnngen(["run", model, "--input", "x=" + folder.appendingPathComponent("x.npy").path, "--output-dir", out, "--engine", engine])
                XCTAssertEqual(result.code, 0, result.err)
                let y = try NPY.read(contentsOf: out + "/y.npy")
                XCTAssertLessThanOrEqual(y.maxAbsDifference(to: try Fixtures.npy(folder.appendingPathComponent("expected_y.npy"))), fixtureTolerance, "\(name) \(engine)")
            }
            let inspect = scratch.rnngen(["inspect", model])
            XCTAssertEqual(inspect.code, 0, inspect.err)
            XCTAssertTrue(inspect.out.contains(name.hasPrefix("agam") ? "Automated-GuitarAmpModelling JSON" : "RTNeural model JSON"), inspect.out)
        }
        // Sample-rate correction through run: the state is the history.
        let folder = Recorded.cases("audio").first { $0.lastPathComponent == "agam_gru8_knob" }!
        let delayed = scratch.rnngen(["run", folder.appendingPathComponent("model.json").path, "--input", "x=" + folder.appendingPathComponent("x.npy").path,
                                      "--output-dir", scratch.path("delayed"), "--sample-rate-delay", "2.5"])
        XCTAssertEqual(delayed.code, 0, delayed.err)
        XCTAssertEqual(try NPY.read(contentsOf: scratch.path("delayed/h_s0_l0_fw.npy")).shape, [2, 24], "3 states of 8")
        let below = scratch.rnngen(["run", folder.appendingPathComponent("model.json").path, "--input", "x=" + folder.appendingPathComponent("x.npy").path,
                                    "--output-dir", scratch.path("below"), "--sample-rate-delay", "0.9"])
        XCTAssertEqual(below.code, 1)
        XCTAssertTrue(below.err.contains("--sample-rate-delay 0.9"), below.err)
    }

    /// `rnngen run` on ONNX files writes every graph output under its own name.
    func testRunWritesEveryONNXGraphOutput() throws {
        let scratch = try Scratch()
        let folder = Fixtures.root.appendingPathComponent("onnx/lstm_h7_i3_bidir_seqlens_init")
        var args = ["run", folder.appendingPathComponent("model.onnx").path, "--output-dir", scratch.path("out")]
        for name in ["X", "sequence_lens", "initial_h", "initial_c"] {
            args += ["--input", "\(name)=" + folder.appendingPathComponent(name + ".npy").path]
        }
        let result = scratch.rnngen(args)
        XCTAssertEqual(result.code, 0, result.err)
        XCTAssertEqual(scratch.files(in: "out"), ["Y.npy", "Y_c.npy", "Y_h.npy"])
        for name in ["Y", "Y_h", "Y_c"] {
            let got = try NPY.read(contentsOf: scratch.path("out/\(name).npy"))
            XCTAssertLessThanOrEqual(got.maxAbsDifference(to: try Fixtures.npy(folder.appendingPathComponent("expected_\(name).npy"))), fixtureTolerance)
        }
    }

    func testDocumentationExamplesAreValidJSON() throws {
        for doc in ["README.md", "docs/description-format.md"] {
            let text = try String(contentsOf: Self.repository.appendingPathComponent(doc), encoding: .utf8)
            let blocks = text.components(separatedBy: "```json\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
            XCTAssertFalse(blocks.isEmpty, doc)
            for block in blocks {
                XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(block.utf8)), "\(doc): \(block.prefix(80))")
            }
        }
    }

    func testInspectReportsSizesAndNames() throws {
        let scratch = try Scratch()
        let result = scratch.rnngen(["inspect", Self.repository.appendingPathComponent("models/examples/tiny_lstm.rnn.json").path])
        XCTAssertEqual(result.code, 0, result.err)
        // LSTM I=1 H=2: W 8, R 16, biases 16 → 40; head 2 + 1 → 43 parameters.
        XCTAssertTrue(result.out.contains("parameters: 43"), result.out)
        XCTAssertTrue(result.out.contains("weight bytes (float32): 172"), result.out)
        // Matrices W 8 + R 16 + head 2 = 26 weights in 17 rows; 17 biases stay float.
        // f16: 2·26 + 4·17 = 120; i8: 26 + 4·17 scales + 4·17 = 162.
        XCTAssertTrue(result.out.contains("weight bytes with --weight-type f16 or bf16: 120, i8: 162"), result.out)
        // 2·(8 + 16) + 2·8 = 64 FLOPs per step; the head runs once, not per step.
        XCTAssertTrue(result.out.contains("FLOPs per step (batch 1): 64"), result.out)
        XCTAssertTrue(result.out.contains("head [B, 1]"), result.out)
        XCTAssertTrue(result.out.contains("initial_c_s0_l0_fw ([B, 2], optional)"), result.out)
    }
}
