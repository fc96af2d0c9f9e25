import Foundation
import XCTest
import RNNModel
import RNNReference
import RNNCodegen
import RNNKernelRunner
import RNNTestSupport

/// Integer kernels against the integer interpreter, value for value: random
/// quantized LSTM, GRU (both resets) and RNN stacks (`RandomQuantizedModels`) compiled together into
/// one C and one Swift program, and the recorded TFLite models. A single
/// differing value fails. `RNNGEN_INTEGER_SEED` picks the first seed
/// (printed), `RNNGEN_INTEGER_COUNT` the number of models (default 40; a
/// quarter of them in Swift, built at -Onone: Swift compiles the tables'
/// literals slowly, and the arithmetic, not the optimizer, is on test).
final class IntegerKernelTests: XCTestCase {
    static let environment = ProcessInfo.processInfo.environment
    static let seed = UInt64(environment["RNNGEN_INTEGER_SEED"] ?? "") ?? 20_261_207
    static let count = Int(environment["RNNGEN_INTEGER_COUNT"] ?? "") ?? 40

    func runs(_ language: KernelOptions.Language, seeds: [UInt64], target: KernelTarget = .host) throws -> [(plan: IntegerKernelPlan, cases: [IntegerCase])] {
        try seeds.map { seed in
            let (model, _) = RandomQuantizedModels.model(seed: seed)
            let plan = try IntegerKernelPlan(model: model, options: KernelOptions(language: language, name: "q\(seed)", target: target))
            return (plan, IntegerVerifier.cases(for: plan, seed: seed))
        }
    }

    func check(_ language: KernelOptions.Language) throws {
        let count = language == .c ? Self.count : max(1, Self.count / 4)
        let seeds = (0..<UInt64(count)).map { Self.seed &+ $0 }
        print("integer kernels (\(language.rawValue)): \(seeds.count) random quantized models from seed \(Self.seed) (RNNGEN_INTEGER_SEED)")
        let toolchain = language == .swift ? Toolchain(swiftFlags: ["-Onone"]) : Toolchain()
        let reports = try IntegerVerifier.verify(try runs(language, seeds: seeds), language: language, target: try Target.named("host"), toolchain: toolchain)
        XCTAssertEqual(reports.count, 4 * seeds.count)
        var values = 0
        for r in reports {
            values += r.values
            if !r.passed {
                let seed = UInt64(r.kernel.dropFirst())!
                XCTFail("\(r.kernel) \(r.name): \(r.mismatches) of \(r.values) differ; first \(r.first ?? "")\n  \(RandomQuantizedModels.model(seed: seed).description)\n  reproduce: RNNGEN_INTEGER_SEED=\(seed) RNNGEN_INTEGER_COUNT=1 swift test --filter IntegerKernelTests")
            }
        }
        print("integer kernels (\(language.rawValue)): \(values) values compared, \(reports.filter { !$0.passed }.count) cases differ")
    }

    func testRandomQuantizedModelsInC() throws { try check(.c) }

    /// The same built for this machine (-O3 -march=native): the intrinsic
    /// paths the host's CPU has (AVX-512 VNNI on x86 where present) against
    /// the interpreter.
    func testRandomQuantizedModelsInCForThisMachine() throws {
        let seeds = (0..<UInt64(12)).map { Self.seed &+ 500 &+ $0 }
        let reports = try IntegerVerifier.verify(try runs(.c, seeds: seeds), language: .c, target: try Target.named("host"),
                                                 toolchain: Toolchain(cFlags: ["-O3", "-march=native"]))
        XCTAssertEqual(reports.count, 4 * seeds.count)
        for r in reports { XCTAssertTrue(r.passed, "\(r.kernel) \(r.name): \(r.first ?? "")") }
    }
    func testRandomQuantizedModelsInSwift() throws { try check(.swift) }

    /// The generator covers what it must: both quantizations, stacks,
    /// time-major models, clips, sizes that are no multiple of 4 or 8.
    func testTheRandomModelsCoverTheCases() {
        let all = (0..<UInt64(Self.count)).map { RandomQuantizedModels.model(seed: Self.seed &+ $0) }
        XCTAssertTrue(all.contains { $0.description.contains("calibrated") })
        XCTAssertTrue(all.contains { $0.description.contains("random quantization") })
        XCTAssertTrue(all.contains { $0.model.quantizedCells.count > 1 })
        XCTAssertTrue(all.contains { $0.model.layout == .timeMajor })
        XCTAssertTrue(all.contains { $0.model.quantizedCells.contains { $0.cell.options.cellClip != nil } })
        XCTAssertTrue(all.contains { $0.model.quantizedCells.contains { $0.cell.hiddenSize % 4 != 0 } })
        XCTAssertTrue(all.contains { $0.model.quantizedCells.contains { $0.cell.hiddenSize > 32 } })
        for kind in CellKind.allCases { XCTAssertTrue(all.contains { $0.model.quantizedCells[0].cell.kind == kind }, "\(kind)") }
        for reset in [true, false] {
            XCTAssertTrue(all.contains { $0.model.quantizedCells[0].cell.kind == .gru && $0.model.quantizedCells[0].cell.options.linearBeforeReset == reset })
        }
    }

    /// The recorded TFLite models' kernels, C and Swift: equal to the
    /// interpreter, which equals TFLite Micro on the recorded outputs.
    func testRecordedTFLiteModels() throws {
        for language in KernelOptions.Language.allCases {
            let runs = try FixtureCatalog.tfliteCases().filter(\.quantized).map { folder, _ in
                let model = try TFLiteImport.read(contentsOf: folder.appendingPathComponent("model.tflite").path, name: folder.lastPathComponent)
                let plan = try IntegerKernelPlan(model: model, options: KernelOptions(language: language, name: folder.lastPathComponent))
                return (plan: plan, cases: IntegerVerifier.cases(for: plan))
            }
            XCTAssertEqual(runs.count, 7)
            let reports = try IntegerVerifier.verify(runs, language: language, target: try Target.named("host"))
            for r in reports { XCTAssertTrue(r.passed, "\(language.rawValue) \(r.kernel) \(r.name): \(r.first ?? "")") }
        }
    }

    /// The targets' packings keep the sums: plans for the Cortex-M4 (DSP
    /// pairs) and the M55 (raw bytes, zero points in the biases) built and
    /// run on the host, C and Swift (the portable reading of the same
    /// layouts), equal the interpreter.
    func testTargetPackingsOnTheHost() throws {
        let seeds = (0..<UInt64(8)).map { Self.seed &+ 1000 &+ $0 }
        for (target, packing) in [(KernelTarget.cortexM4, IntegerKernelPlan.Packing.pairs), (.cortexM55, .bytes)] {
            for language in KernelOptions.Language.allCases {
                let runs = try runs(language, seeds: language == .c ? seeds : Array(seeds.prefix(2)), target: target)
                // GRU and RNN layers take the plain layout there.
                XCTAssertTrue(runs.allSatisfy { $0.plan.packing == ($0.plan.layers.allSatisfy { $0.kind == .lstm } ? packing : .rows) })
                XCTAssertTrue(runs.contains { $0.plan.packing == packing })
                let toolchain = language == .swift ? Toolchain(swiftFlags: ["-Onone"]) : Toolchain()
                for r in try IntegerVerifier.verify(runs, language: language, target: try Target.named("host"), toolchain: toolchain) {
                    XCTAssertTrue(r.passed, "\(target.rawValue) \(language.rawValue) \(r.kernel) \(r.name): \(r.first ?? "")")
                }
            }
        }
        // And the layout is what the DSP reads: blocks of four rows, column
        // group by column group, each row's bytes k, k+2, k+1, k+3.
        let w = (0..<24).map { Int8($0) }  // 4 rows of 6 columns: row r, column k holds 6r + k
        XCTAssertEqual(IntegerKernelPlan.pack(w, rows: 4, columns: 6, padded: 8, .pairs),
                       [0, 2, 1, 3, 6, 8, 7, 9, 12, 14, 13, 15, 18, 20, 19, 21,
                        4, 0, 5, 0, 10, 0, 11, 0, 16, 0, 17, 0, 22, 0, 23, 0])
    }

    /// A kernel that differs from the interpreter is caught: the comparison
    /// is checked on a deliberately wrong printout.
    func testAWrongValueIsCaught() throws {
        let (model, _) = RandomQuantizedModels.model(seed: 7)
        let plan = try IntegerKernelPlan(model: model, options: KernelOptions(language: .c, name: "q7"))
        let cases = Array(IntegerVerifier.cases(for: plan).prefix(1))
        let program = try IntegerVerifier.build([(plan, cases)], language: .c, target: try Target.named("host"), toolchain: Toolchain())
        var printed = try Subprocess.run(program.directory.appendingPathComponent(program.program).path, []).stdout
        XCTAssertTrue(try IntegerVerifier.compare(printed, [(plan, cases)], place: "test").allSatisfy(\.passed))
        // Change the first value of y by one.
        let lines = printed.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let y = lines.firstIndex { $0.hasPrefix("y ") }!
        var words = lines[y].split(separator: " ").map(String.init)
        words[1] = String(Int(words[1])! == 127 ? 126 : Int(words[1])! + 1)
        printed = (lines[..<y] + [words.joined(separator: " ")] + lines[(y + 1)...]).joined(separator: "\n")
        let reports = try IntegerVerifier.compare(printed, [(plan, cases)], place: "test")
        XCTAssertEqual(reports[0].mismatches, 1)
        XCTAssertTrue(reports[0].first?.hasPrefix("y[0]: kernel") ?? false, reports[0].first ?? "")
    }
}
