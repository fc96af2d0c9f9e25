import Foundation
import XCTest
import RNNCodegen
import RNNKernelRunner
import RNNModel
import RNNReference
import RNNTestSupport

/// Every recorded framework case through the generated C and Swift kernels
/// (compiled in one batch per language), within 1e-5 on every output, like
/// the interpreter.
final class EngineFixtureTests: XCTestCase {
    func runAll(_ language: KernelOptions.Language, vectorWidth: Int = 8) throws {
        let all = try FixtureCatalog.all()
        XCTAssertEqual(all.count, 97)
        // The quick run (without RNNGEN_FULL_TESTS=1) sends one case in three
        // through the Swift kernels, whose compiles are the slow part.
        let full = ProcessInfo.processInfo.environment["RNNGEN_FULL_TESTS"] == "1" || language == .c
        let cases = full ? all : all.enumerated().filter { $0.offset % 3 == 0 }.map(\.element)
        // Swift kernels in tiles of 2: run's tile path is covered, and the
        // batch compiles in half the time of the default tiles of 4.
        let options = KernelOptions(language: language, name: "rnnkernel", vectorWidth: vectorWidth, batchTile: language == .swift ? 2 : nil)
        let batch = KernelBatch(engine: KernelEngine(options))
        for c in cases { _ = try c.run(batch.collector) }
        try batch.compile()
        var worst = 0.0
        for c in cases { worst = max(worst, try c.check(batch.replayer)) }
        print("\(language.rawValue) engine: \(cases.count) fixtures, \(batch.models.count) kernels, worst max |error| \(worst)")
    }

    func testEveryFixtureThroughTheCKernels() throws { try runAll(.c) }
    func testEveryFixtureThroughTheSwiftKernels() throws { try runAll(.swift) }
}
