import Foundation
import XCTest
import RNNCodegen
import RNNKernelRunner
import RNNModel
import RNNReference
import RNNTestSupport

/// `rnngen generate`, `verify` and the compiled engines through the CLI.
final class GenerateCommandTests: XCTestCase {
    static let repository = Repository.root
    let model = GenerateCommandTests.repository.appendingPathComponent("models/examples/tiny_lstm.rnn.json").path

    func testGenerateWritesBothLanguages() throws {
        let scratch = try Scratch()
        let c = scratch.rnngen(["generate", model, "--lang", "c", "--out", scratch.path("c"), "--name", "my_lstm", "--vector-width", "4"])
        XCTAssertEqual(c.code, 0, c.err)
        XCTAssertEqual(scratch.files(in: "c"), ["my_lstm.c", "my_lstm.h"])
        let header = try String(contentsOfFile: scratch.path("c/my_lstm.h"), encoding: .utf8)
        XCTAssertTrue(header.contains("void my_lstm_step(my_lstm_state *state, const float *x, float *y);"), header)
        XCTAssertTrue(header.contains("#define my_lstm_VECTOR_WIDTH 4"))
        let swift = scratch.rnngen(["generate", model, "--lang", "swift", "--out", scratch.path("s"), "--weights", "runtime"])
        XCTAssertEqual(swift.code, 0, swift.err)
        XCTAssertEqual(scratch.files(in: "s"), ["tiny_lstm.swift", "tiny_lstm.weights.bin"])
        let source = try String(contentsOfFile: scratch.path("s/tiny_lstm.swift"), encoding: .utf8)
        XCTAssertTrue(source.contains("public struct TinyLSTM: Sendable {"), source)
        XCTAssertTrue(source.contains("public mutating func step(weights: UnsafePointer<Float>, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>)"), source)
    }

    func testAKernelRegeneratesFromItsOwnBanner() throws {
        // The banner's command names every option that shaped the kernel:
        // run as written (MODEL replaced), it writes the same bytes.
        let scratch = try Scratch()
        let variants: [[String]] = [
            ["--lang", "c", "--batch-tile", "8", "--vector-width", "8", "--fma", "off"],
            ["--lang", "c", "--target", "cortex-m4", "--weight-type", "bf16", "--libm"],
            ["--lang", "c", "--lowering", "scalar", "--batch-tile", "2", "--weights", "runtime"],
            ["--lang", "swift", "--batch-tile", "2", "--weight-type", "i8", "--fma", "on"],
        ]
        for (k, options) in variants.enumerated() {
            let first = scratch.rnngen(["generate", model, "--out", scratch.path("a\(k)")] + options)
            XCTAssertEqual(first.code, 0, first.err)
            let name = scratch.files(in: "a\(k)").first { $0.hasSuffix(".c") || $0.hasSuffix(".swift") }!
            let text = try String(contentsOfFile: scratch.path("a\(k)/\(name)"), encoding: .utf8)
            let line = try XCTUnwrap(text.components(separatedBy: "\n").first { $0.contains("Regenerate with: ") })
            let command = line.components(separatedBy: "Regenerate with: rnngen ")[1].split(separator: " ").map(String.init)
            let again = scratch.rnngen(command.map { $0 == "MODEL" ? model : $0 } + ["--out", scratch.path("b\(k)")])
            XCTAssertEqual(again.code, 0, again.err)
            XCTAssertEqual(scratch.files(in: "a\(k)"), scratch.files(in: "b\(k)"), options.joined(separator: " "))
            for file in scratch.files(in: "a\(k)") {
                XCTAssertEqual(FileManager.default.contents(atPath: scratch.path("a\(k)/\(file)")),
                               FileManager.default.contents(atPath: scratch.path("b\(k)/\(file)")), "\(options.joined(separator: " ")): \(file)")
            }
        }
    }

    func testGenerateRefusesBadOptionsWithoutWritingAnything() throws {
        let scratch = try Scratch()
        let cases: [([String], String)] = [
            (["--out", scratch.path("o")], "--lang: missing"),
            (["--lang", "rust", "--out", scratch.path("o")], "--lang rust: unknown language (expected c or swift)"),
            (["--lang", "c", "--out", scratch.path("o"), "--vector-width", "6"], "--vector-width 6: expected auto, 4, 8 or 16"),
            (["--lang", "c", "--out", scratch.path("o"), "--name", "9lives"], "--name: '9lives' is not an identifier"),
            (["--lang", "c", "--out", scratch.path("o"), "--weights", "flash"], "--weights flash: expected baked or runtime"),
            (["--lang", "swift", "--out", scratch.path("o"), "--libm"], "--libm: applies to C kernels only"),
            (["--lang", "c"], "--out: missing"),
            (["--lang", "c", "--out", scratch.path("o"), "--fma"], "--fma: expects a value"),
            (["--lang", "c", "--out", scratch.path("o"), "--fma", "always"], "--fma always: expected auto, on or off"),
        ]
        for (args, message) in cases {
            let result = scratch.rnngen(["generate", model] + args)
            XCTAssertEqual(result.code, 1, "\(args)")
            XCTAssertTrue(result.err.contains(message), "\(args): \(result.err)")
            XCTAssertEqual(scratch.files(in: "o"), [], "\(args): wrote files")
        }
    }

    func testNonFiniteWeightsAreRefusedAtGeneration() throws {
        let scratch = try Scratch()
        let description = """
        {"rnngen": 1, "name": "bad", "input_size": 1, "pipeline": [{"recurrent": {"cell": "rnn", "hidden_sizes": [1],
          "weights": [{"W": "W.npy", "R": [[0.5]]}]}}]}
        """
        try scratch.write("W.npy", Tensor(shape: [1, 1], values: [.infinity]))
        let path = try scratch.write("bad.rnn.json", description)
        let result = scratch.rnngen(["generate", path, "--lang", "c", "--out", scratch.path("o")])
        XCTAssertEqual(result.code, 1)
        XCTAssertTrue(result.err.contains("s0_l0_fw W: weight 0 is inf; kernels need finite weights"), result.err)
        XCTAssertEqual(scratch.files(in: "o"), [])
    }

    func testCompilerFailureShowsTheCompilersMessageAndTheFile() throws {
        let model = try ModelDescription.load(contentsOf: self.model)
        let plan = try KernelPlan(model: model, options: KernelOptions(language: .c, name: "k"))
        let cache = try Scratch()
        let compiler = KernelCompiler(toolchain: Toolchain(cFlags: ["-DRNNGEN_BROKEN=1", "-include", "/nonexistent/broken.h"], cacheDirectory: cache.url))
        XCTAssertThrowsError(try compiler.compile([plan])) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("failed (status"), text)
            XCTAssertTrue(text.contains("broken.h"), text)  // the compiler's own message
            XCTAssertTrue(text.contains(cache.url.path), text)  // where the sources were kept
        }
    }

    func testVerifyPassesAndPrintsATable() throws {
        let scratch = try Scratch()
        let result = scratch.rnngen(["verify", model, "--lang", "c", "--trials", "3", "--seed", "7"])
        XCTAssertEqual(result.code, 0, result.out + result.err)
        XCTAssertTrue(result.out.contains("tolerance |kernel − reference| ≤ 0.0001 + 0.0001·|reference|"), result.out)
        for output in ["y ", "head ", "h_s0_l0_fw ", "c_s0_l0_fw "] { XCTAssertTrue(result.out.contains("  " + output), result.out) }
        XCTAssertTrue(result.out.hasSuffix("verify: passed\n"), result.out)
    }

    /// With a narrow weight type, verify checks the kernel against the stored
    /// weights, then reports what the rounding adds; --max-added-error makes
    /// that a verdict, and fails when the limit is below what was measured.
    func testVerifyWithNarrowWeightsReportsTheRoundingAndCanFailOnIt() throws {
        let scratch = try Scratch()
        let loose = scratch.rnngen(["verify", model, "--lang", "c", "--trials", "2", "--weight-type", "i8", "--max-added-error", "10"])
        XCTAssertEqual(loose.code, 0, loose.out + loose.err)
        XCTAssertTrue(loose.out.contains("weights stored as i8: what rounding adds"), loose.out)
        XCTAssertTrue(loose.out.contains("s0_l0_fw W"), loose.out)
        XCTAssertTrue(loose.out.hasSuffix("verify: passed\n"), loose.out)
        let tight = scratch.rnngen(["verify", model, "--lang", "c", "--trials", "2", "--weight-type", "i8", "--max-added-error", "1e-9"])
        XCTAssertEqual(tight.code, 1, tight.out + tight.err)
        XCTAssertTrue(tight.out.contains("FAIL (over --max-added-error 1e-09)"), tight.out)
        let alone = scratch.rnngen(["verify", model, "--max-added-error", "1e-3"])
        XCTAssertEqual(alone.code, 1)
        XCTAssertTrue(alone.err.contains("--max-added-error: only means something with --weight-type"), alone.err)
        XCTAssertFalse(alone.out.contains("kernel"), "refused before building anything: \(alone.out)")
    }

    /// A kernel that disagrees with the interpreter must make verify fail: the
    /// comparison is checked on a deliberately perturbed result.
    func testVerifierFlagsErrorsBeyondTheTolerance() {
        var report = Verifier.OutputReport(output: "y")
        let reference = Tensor(shape: [3], values: [0, 1, 100])
        Verifier.compare(Tensor(shape: [3], values: [0.00005, 1.0001, 100.01]), reference, trial: "t", into: &report)
        XCTAssertTrue(report.passed, "within 1e-4 + 1e-4·|r|")
        Verifier.compare(Tensor(shape: [3], values: [0, 1, 100.03]), reference, trial: "bad", into: &report)
        XCTAssertFalse(report.passed)
        XCTAssertEqual(report.worstTrial, "bad")
        var nan = Verifier.OutputReport(output: "y")
        Verifier.compare(Tensor(shape: [1], values: [0]), Tensor(shape: [1], values: [.nan]), trial: "n", into: &nan)
        XCTAssertFalse(nan.passed, "a number where the reference has NaN fails")
        // The Double reference beyond Float's range is that Float infinity.
        var overflow = Verifier.OutputReport(output: "y")
        Verifier.compare(Tensor(shape: [2], values: [-.infinity, .infinity]), Tensor(shape: [2], values: [-1.3e50, 4e38]), trial: "o", into: &overflow)
        XCTAssertTrue(overflow.passed, overflow.nanMismatch ?? "")
        var wrongSign = Verifier.OutputReport(output: "y")
        Verifier.compare(Tensor(shape: [1], values: [.infinity]), Tensor(shape: [1], values: [-1.3e50]), trial: "s", into: &wrongSign)
        XCTAssertFalse(wrongSign.passed, "the wrong infinity fails")
        var finite = Verifier.OutputReport(output: "y")
        Verifier.compare(Tensor(shape: [1], values: [.infinity]), Tensor(shape: [1], values: [3e38]), trial: "f", into: &finite)
        XCTAssertFalse(finite.passed, "an infinity where the reference fits in a Float fails")
    }

    /// An item whose float64 reference leaves Float's range is not compared
    /// (a float kernel cannot follow it: 0·∞ is NaN); the other items are.
    func testItemsBeyondFloatAreLeftOutAndCounted() throws {
        // h = 1e30 · (x + h): x = 1e10 reaches 1e40 at the first step.
        let cell = Cell(kind: .rnn, inputSize: 1, hiddenSize: 1, options: CellOptions(activations: [Activation(.affine, alpha: 1e30, beta: 0)]),
                        weights: CellWeights(input: Tensor(shape: [1, 1], values: [1]), recurrent: Tensor(shape: [1, 1], values: [1]),
                                             inputBias: Tensor(zeros: [1]), recurrentBias: Tensor(zeros: [1])))
        let model = Model(name: "big", inputSize: 1, layout: .batchMajor,
                          stages: [.recurrent(RecurrentStack(direction: .forward, layers: [RecurrentLayer(cells: [cell])]))])
        let plan = try KernelPlan(model: model, options: KernelOptions(language: .c, name: "big"))
        let trial = Verifier.Trial(name: "t", inputs: ModelInputs(x: Tensor(shape: [2, 1, 1], values: [1e10, 1e-31])))
        func run(_ second: Double) throws -> [Verifier.OutputReport] {
            try Verifier.verify(plan: plan, trials: [trial]) { _, _ in
                ModelOutputs(y: Tensor(shape: [2, 1, 1], values: [.nan, second]), head: nil,
                             finalStates: [model.stateNames[0].name: Tensor(shape: [2, 1], values: [.nan, second])])
            }
        }
        let right = try run(0.1)
        XCTAssertTrue(right.allSatisfy(\.passed), "\(right)")
        XCTAssertEqual(right.first?.itemsBeyondFloat, 1)
        let wrong = try run(0.2)
        XCTAssertFalse(wrong.contains { $0.passed }, "the item within range is still compared")
    }

    func testRunWithEveryEngineWritesTheSameFiles() throws {
        let scratch = try Scratch()
        let x = scratch.url.appendingPathComponent("x.npy").path
        try NPY.write(Tensor(shape: [2, 5, 1], values: [0.1, 0.2, -0.3, 0.4, 0.5, 1, -1, 0.5, 0.25, 0]), to: x)
        var outputs: [String: [String: Tensor]] = [:]
        for engine in ["reference", "c", "swift"] {
            let result = scratch.rnngen(["run", model, "--input", "x=" + x, "--output-dir", scratch.path(engine), "--engine", engine])
            XCTAssertEqual(result.code, 0, result.err)
            XCTAssertEqual(scratch.files(in: engine), ["c_n.npy", "c_s0_l0_fw.npy", "h_n.npy", "h_s0_l0_fw.npy", "head.npy", "y.npy"])
            outputs[engine] = try Dictionary(uniqueKeysWithValues: scratch.files(in: engine).map { ($0, try NPY.read(contentsOf: scratch.path("\(engine)/\($0)"))) })
        }
        for engine in ["c", "swift"] {
            for (name, tensor) in outputs["reference"]! {
                XCTAssertLessThanOrEqual(outputs[engine]![name]!.maxAbsDifference(to: tensor), 1e-6, "\(engine) \(name)")
            }
        }
        let fused = scratch.rnngen(["run", model, "--input", "x=" + x, "--output-dir", scratch.path("fma"), "--engine", "swift", "--fma", "on"])
        XCTAssertEqual(fused.code, 0, fused.err)
        XCTAssertLessThanOrEqual(try NPY.read(contentsOf: scratch.path("fma/y.npy")).maxAbsDifference(to: outputs["reference"]!["y.npy"]!), 1e-6)
        let bad = scratch.rnngen(["run", model, "--input", "x=" + x, "--output-dir", scratch.path("o"), "--engine", "fortran"])
        XCTAssertTrue(bad.err.contains("--engine fortran: unknown engine (engines: reference, c, swift)"), bad.err)
    }
}
