import Foundation
import XCTest
import RNNModel
import RNNTestSupport

/// `rnngen run` on a PyTorch description takes h0/c0 and writes h_n/c_n as
/// nn.LSTM does, so they diff directly against PyTorch's recorded outputs.
final class PyTorchStatesTests: XCTestCase {
    /// Writes the case's description (state_dict by absolute path, the
    /// .safetensors copy) and its inputs; returns the description's path and the `--input` flags.
    func prepare(_ name: String, in scratch: Scratch) throws -> (model: String, inputs: [String]) {
        let folder = Fixtures.root.appendingPathComponent("torch/\(name)")
        let description = try FrameworkCases.torchCase(folder, stateDict: Recorded.safetensors(folder)).description
        let model = try scratch.write("\(name).rnn.json", String(decoding: try JSONSerialization.data(withJSONObject: description, options: [.sortedKeys]), as: UTF8.self))
        var inputs = ["--input", "x=" + folder.appendingPathComponent("x.npy").path]
        for state in ["h0", "c0"] where FileManager.default.fileExists(atPath: folder.appendingPathComponent("\(state).npy").path) {
            inputs += ["--input", "\(state)=" + folder.appendingPathComponent("\(state).npy").path]
        }
        return (model, inputs)
    }

    func check(_ name: String, engines: [String]) throws {
        let scratch = try Scratch()
        let (model, inputs) = try prepare(name, in: scratch)
        let folder = Fixtures.root.appendingPathComponent("torch/\(name)")
        for engine in engines {
            let out = "out-\(engine)"
            let result = scratch.rnngen(["run", model, "--output-dir", scratch.path(out), "--engine", engine] + inputs)
            XCTAssertEqual(result.code, 0, "\(name) \(engine): \(result.err)")
            var compared = 0
            for (written, expected) in [("y", "expected_output"), ("h_n", "expected_h_n"), ("c_n", "expected_c_n")] {
                let want = folder.appendingPathComponent("\(expected).npy")
                guard FileManager.default.fileExists(atPath: want.path) else {
                    XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path("\(out)/\(written).npy")) && written == "c_n", "\(name): c_n only for LSTMs")
                    continue
                }
                let got = try NPY.read(contentsOf: scratch.path("\(out)/\(written).npy"))
                let reference = try NPY.read(contentsOf: want.path)
                XCTAssertEqual(got.shape, reference.shape, "\(name) \(engine) \(written)")
                XCTAssertLessThanOrEqual(got.maxAbsDifference(to: reference), 1e-5, "\(name) \(engine) \(written)")
                compared += 1
            }
            XCTAssertGreaterThanOrEqual(compared, 2, "\(name): y and h_n at least")
        }
    }

    func testReferenceMatchesPyTorchsHnCnOnEveryStateDictCase() throws {
        for folder in Fixtures.cases("torch") { try check(folder.lastPathComponent, engines: ["reference"]) }
    }

    func testKernelsMatchPyTorchsHnCn() throws {
        try check("torch_lstm_h0c0", engines: ["c", "swift"])
        try check("torch_lstm_2layer_bidir", engines: ["c", "swift"])
    }

    func testBadPyTorchStatesAreRefused() throws {
        let scratch = try Scratch()
        let (model, inputs) = try prepare("torch_lstm_h0c0", in: scratch)
        let x = inputs[1].dropFirst(2)
        // h0 of the wrong shape: PyTorch's layout named with the sizes expected.
        try scratch.write("bad_h0.npy", Tensor(zeros: [2, 3, 9]))
        var result = scratch.rnngen(["run", model, "--output-dir", scratch.path("o"), "--input", "x=\(x)", "--input", "h0=\(scratch.path("bad_h0.npy"))"])
        XCTAssertEqual(result.code, 1)
        XCTAssertTrue(result.err.contains("--input h0: expected PyTorch's [num_layers · directions, B, H (proj_size if set)] = [1,"), result.err)
        // h0 and the same state by its rnngen name.
        let h0 = inputs[3].dropFirst(3)
        try scratch.write("h.npy", try NPY.read(contentsOf: String(h0)).unstacked()[0])
        result = scratch.rnngen(["run", model, "--output-dir", scratch.path("o"), "--input", "x=\(x)", "--input", "h0=\(h0)",
                                 "--input", "initial_h_s0_l0_fw=\(scratch.path("h.npy"))"])
        XCTAssertEqual(result.code, 1)
        XCTAssertTrue(result.err.contains("given twice"), result.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path("o")), "nothing written")
        // Unknown inputs list the PyTorch names too.
        result = scratch.rnngen(["run", model, "--output-dir", scratch.path("o"), "--input", "x=\(x)", "--input", "hx=\(h0)"])
        XCTAssertTrue(result.err.contains("inputs: x, seq_lens, h0, c0, initial_"), result.err)
    }
}
