import Foundation
import XCTest
import RNNCodegen
import RNNKernelRunner
import RNNModel
import RNNTestSupport

/// `rnngen verify --target` and `rnngen size` as a user types them.
final class TargetCommandTests: XCTestCase {
    static let repository = Repository.root
    let tinyGRU = TargetCommandTests.repository.appendingPathComponent("models/examples/tiny_gru.rnn.json").path
    let audioLSTM = TargetCommandTests.repository.appendingPathComponent("models/audio_lstm/model.rnn.json").path

    /// Skips (or, with RNNGEN_REQUIRE_TOOLCHAINS=1, fails) when the target's tools are missing.
    func require(_ name: Target.Name) throws {
        do {
            try Target.named(name.rawValue).requireTools(.c, run: true)
        } catch let error as RNNError {
            if ProcessInfo.processInfo.environment["RNNGEN_REQUIRE_TOOLCHAINS"] == "1" { throw error }
            throw XCTSkip("\(error); skipped (set RNNGEN_REQUIRE_TOOLCHAINS=1 to fail instead)")
        }
    }

    func testVerifyOnATargetReportsEveryOutput() throws {
        try require(.cortexM55)
        let scratch = try Scratch()
        let run = scratch.rnngen(["verify", tinyGRU, "--target", "cortex-m55", "--trials", "3"])
        XCTAssertEqual(run.code, 0, run.out + run.err)
        XCTAssertTrue(run.out.contains("on cortex-m55 (Cortex-M55"), run.out)
        XCTAssertTrue(run.out.contains("c kernel, vector width"), run.out)
        XCTAssertTrue(run.out.contains("h_s0_l0_fw"), run.out)
        XCTAssertFalse(run.out.contains("swift kernel"), "Swift is built for the host, the Cortex-M4F and rv32 only: \(run.out)")
        XCTAssertTrue(run.out.hasSuffix("verify: passed\n"), run.out)
    }

    func testWhatATargetCannotBuildIsRefused() throws {
        let scratch = try Scratch()
        let swiftOnRV = scratch.rnngen(["verify", tinyGRU, "--target", "aarch64", "--lang", "swift"])
        XCTAssertEqual(swiftOnRV.code, 1)
        XCTAssertEqual(swiftOnRV.err, "rnngen: error: --lang swift: --target aarch64 builds c kernels only\n")
        let unknown = scratch.rnngen(["verify", tinyGRU, "--target", "cortex-m0"])
        XCTAssertEqual(unknown.code, 1)
        XCTAssertEqual(unknown.err, "rnngen: error: --target cortex-m0: unknown target (expected host, cortex-m4, cortex-m7, cortex-m55, cortex-m3, rv32, aarch64)\n")
        let swiftSize = scratch.rnngen(["size", tinyGRU, "--lang", "swift"])
        XCTAssertEqual(swiftSize.code, 1)
        XCTAssertTrue(swiftSize.err.contains("rnngen size measures C kernels only"), swiftSize.err)
    }

    /// With no cross compiler on PATH, the error names the Debian packages.
    func testMissingToolchainNamesThePackages() throws {
        let saved = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let empty = try Scratch()
        setenv("PATH", empty.url.path, 1)
        defer { setenv("PATH", saved, 1) }
        for (target, packages) in [("cortex-m4", "gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm"),
                                   ("rv32", "gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf qemu-system-misc"),
                                   ("aarch64", "gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user")] {
            for command in [["verify", tinyGRU, "--target", target, "--lang", "c"], ["size", tinyGRU, "--target", target]] {
                let run = empty.rnngen(command)
                XCTAssertEqual(run.code, 1, run.err)
                XCTAssertTrue(run.err.hasPrefix("rnngen: error: --target \(target): needs "), run.err)
                XCTAssertTrue(run.err.contains("install the Debian packages \(packages)"), run.err)
            }
        }
    }

    /// size: the weight table is the model's parameters as stored, flash
    /// and RAM add up, narrow weights shrink only the weights, JSON for tools.
    /// A quantized model's size is its int8 kernel's: its tables are the
    /// plan's (int8 matrices padded, int32 biases; per-tensor scales need no
    /// per-row tables), its state int8 h and int16 c.
    func testSizeOfAnIntegerKernel() throws {
        try require(.cortexM4)
        let scratch = try Scratch()
        let model = Recorded.root.appendingPathComponent("tflite/lstm_i8_h33/model.tflite").path
        let run = scratch.rnngen(["size", model, "--json"])
        XCTAssertEqual(run.code, 0, run.err)
        let rows = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [[String: Any]])
        XCTAssertEqual(rows.count, 1)
        let row = rows[0]
        XCTAssertEqual(row["weight_type"] as? String, "int8")
        let plan = try IntegerKernelPlan(model: try TFLiteImport.read(contentsOf: model, name: "model"), options: KernelOptions(language: .c, name: "model", target: .cortexM4))
        XCTAssertEqual(row["weights"] as? Int, plan.weightBytes)
        XCTAssertEqual(plan.weightBytes, 132 * (8 + 36) + 4 * 132, "W 132×8 and R 132×36 bytes, 132 int32 biases")
        XCTAssertLessThan(plan.weightBytes, 4 * 132 * (5 + 33 + 1) / 3, "a third of the float tables at most")
        XCTAssertEqual(row["state"] as? Int, 33 + 2 * 33)
        let stack = try XCTUnwrap(row["stack"] as? [String: Int])
        XCTAssertGreaterThan(stack["model_step"] ?? 0, 0)
    }

    func testSizeMeasuresTheKernel() throws {
        try require(.cortexM4)
        let scratch = try Scratch()
        let run = scratch.rnngen(["size", audioLSTM, "--json", "--vector-width", "4", "--weight-type", "f32,i8"])
        XCTAssertEqual(run.code, 0, run.err)
        let rows = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [[String: Any]])
        XCTAssertEqual(rows.count, 2)
        let f32 = rows[0], i8 = rows[1]
        XCTAssertEqual(f32["weight_type"] as? String, "f32")
        XCTAssertEqual(i8["weight_type"] as? String, "i8")
        XCTAssertEqual(f32["vector_width"] as? Int, 4)
        XCTAssertEqual(f32["target"] as? String, "cortex-m4")
        // audio_lstm: LSTM I=1, H=16 and a dense 16→1; the table is the plan's, padded.
        let plan = try KernelPlan(model: try ModelDescription.load(contentsOf: audioLSTM),
                                  options: KernelOptions(language: .c, name: "audio_lstm", vectorWidth: 4))
        let weights = try XCTUnwrap(f32["weights"] as? Int)
        XCTAssertEqual(weights, 4 * plan.weights.count)
        XCTAssertGreaterThanOrEqual(weights, 4 * (4 * 16 * (1 + 16 + 1) + 16 + 1))
        let i8Weights = try XCTUnwrap(i8["weights"] as? Int)
        XCTAssertLessThan(i8Weights, weights / 2, "int8 matrices take a quarter of the bytes")
        for r in [f32, i8] {
            let code = r["code"] as! Int, constants = r["constants"] as! Int, w = r["weights"] as! Int
            XCTAssertGreaterThan(code, 1000)
            XCTAssertEqual(r["flash"] as? Int, code + constants + w)
            XCTAssertEqual(r["state"] as? Int, 2 * 16 * 4, "h and c of 16 floats")
            let stack = try XCTUnwrap(r["stack"] as? [String: Int])
            XCTAssertNotNil(stack["audio_lstm_step"])
            XCTAssertNotNil(stack["audio_lstm_run"])
            XCTAssertGreaterThan(stack["audio_lstm_step"]!, 0)
            XCTAssertEqual(r["ram"] as? Int, (r["static_data"] as! Int) + (r["state"] as! Int) + stack.values.max()!)
        }

        // Several models, widths and targets: one row each, auto resolving
        // to a width also named counts once (on the Cortex-M4 auto is the
        // target's 4 for every model: two rows, not four).
        let tiny = TargetCommandTests.repository.appendingPathComponent("models/examples/tiny_rnn.rnn.json").path
        let table = scratch.rnngen(["size", audioLSTM, tiny, "--vector-width", "4,auto", "--target", "cortex-m4"])
        XCTAssertEqual(table.code, 0, table.err)
        let lines = table.out.split(separator: "\n").filter { $0.contains(" cortex-m4 ") }
        XCTAssertEqual(lines.count, 2, table.out)
        XCTAssertTrue(table.out.contains("stack step"), table.out)
        if ProcessInfo.processInfo.environment["RNNGEN_REQUIRE_TOOLCHAINS"] == "1" {
            let all = scratch.rnngen(["size", tiny, "--target", "all"])
            XCTAssertEqual(all.code, 0, all.err)
            for target in Target.Name.allCases { XCTAssertTrue(all.out.contains(" \(target.rawValue) "), all.out) }
        }
    }
}
