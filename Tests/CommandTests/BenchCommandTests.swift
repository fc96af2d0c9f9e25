import Foundation
import XCTest
import RNNCodegen
import RNNKernelRunner
import RNNModel
import RNNTestSupport

/// `rnngen bench` runs end to end; timings are reported, never asserted.
final class BenchCommandTests: XCTestCase {
    func testBenchReportsTheKernelTheNaiveLoopAndTheInterpreter() throws {
        let scratch = try Scratch()
        let model = GenerateCommandTests.repository.appendingPathComponent("models/bench_lstm_i16_h64/model.rnn.json").path
        let result = scratch.rnngen(["bench", model, "--steps", "2000", "--lang", "all", "--cflags", "-O2"])
        XCTAssertEqual(result.code, 0, result.err)
        for line in ["generated C kernel", "generated C kernel, process", "naive C loop", "generated Swift kernel", "generated Swift kernel, process", "reference interpreter", "naive loop agrees with the kernel within"] {
            XCTAssertTrue(result.out.contains(line), result.out)
        }
        let unsupported = scratch.rnngen(["bench", GenerateCommandTests.repository.appendingPathComponent("models/examples/tiny_lstm.rnn.json").path,
                                          "--steps", "100", "--lang", "c"])
        XCTAssertEqual(unsupported.code, 0, unsupported.err)
        XCTAssertTrue(unsupported.out.contains("naive C loop: not available for this model"), unsupported.out)
        let json = scratch.rnngen(["bench", model, "--steps", "500", "--cflags", "-O2", "--json", "--vector-width", "8"])
        XCTAssertEqual(json.code, 0, json.err)
        let objects = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [[String: Any]], json.out)
        XCTAssertEqual(objects.map { "\($0["implementation"]!) \($0["lang"]!)" }, ["kernel c", "process c", "naive c", "kernel swift", "process swift", "interpreter swift"])
        for o in objects {
            XCTAssertEqual(o["weight_type"] as? String, "f32")
            XCTAssertGreaterThan(try XCTUnwrap(o["ns_per_step"] as? Double), 0)
            XCTAssertGreaterThan(try XCTUnwrap(o["gflops"] as? Double), 0)
        }
        XCTAssertEqual(objects[0]["vector_width"] as? Int, 8)
        XCTAssertEqual(objects[0]["fma"] as? String, "auto")
        let reverse = scratch.rnngen(["bench", Fixtures.root.appendingPathComponent("onnx/lstm_h4_layout1_bidir/model.onnx").path])
        XCTAssertEqual(reverse.code, 1)
        XCTAssertTrue(reverse.err.contains("has no step function to time"), reverse.err)
    }

    /// `--batch B` times run on B items beside the items one by one; models
    /// without a step function can be timed that way.
    func testBenchTimesRunOnABatch() throws {
        let scratch = try Scratch()
        let model = GenerateCommandTests.repository.appendingPathComponent("models/seed_gru/model.rnn.json").path
        let json = scratch.rnngen(["bench", model, "--steps", "640", "--cflags", "-O2", "--json", "--batch", "5", "--batch-tile", "2"])
        XCTAssertEqual(json.code, 0, json.err)
        let objects = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [[String: Any]], json.out)
        XCTAssertEqual(objects.map { "\($0["implementation"]!) \($0["lang"]!)" }, ["kernel c", "kernel_items c", "kernel swift", "kernel_items swift"])
        for o in objects {
            XCTAssertEqual(o["batch"] as? Int, 5)
            XCTAssertGreaterThan(try XCTUnwrap(o["ns_per_step"] as? Double), 0)
            XCTAssertGreaterThan(try XCTUnwrap(o["gflops"] as? Double), 0)
        }
        let reverse = scratch.rnngen(["bench", Fixtures.root.appendingPathComponent("onnx/lstm_h4_layout1_bidir/model.onnx").path,
                                      "--batch", "3", "--lang", "c", "--steps", "640"])
        XCTAssertEqual(reverse.code, 0, reverse.err)
        XCTAssertTrue(reverse.out.contains("C run, batch 3"), reverse.out)
        for bad in ["0", "x", "5000"] {
            let refused = scratch.rnngen(["bench", model, "--batch", bad])
            XCTAssertEqual(refused.code, 1)
            XCTAssertTrue(refused.err.contains("--batch \(bad): expected a whole number from 1 to 4096"), refused.err)
        }
        let tile = scratch.rnngen(["generate", model, "--lang", "c", "--out", scratch.path("t"), "--batch-tile", "3"])
        XCTAssertEqual(tile.code, 1)
        XCTAssertTrue(tile.err.contains("--batch-tile 3: expected auto, 1, 2, 4 or 8"), tile.err)
    }
}
