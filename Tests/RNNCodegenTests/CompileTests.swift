import Foundation
import XCTest
import RNNCodegen
import RNNModel

/// The checked-in kernels build cleanly everywhere they are meant to.
final class CompileTests: XCTestCase {
    func generated(_ language: String, _ suffix: String) throws -> [String] {
        try Repository.exampleModels().flatMap { model -> [String] in
            let folder = Repository.url("Generated/\(model.name)/\(language)")
            return try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(suffix) }.sorted()
                .map { folder.appendingPathComponent($0).path }
        }
    }

    func compileC(_ compiler: String, _ flags: [String]) throws {
        let sources = try generated("c", ".c")
        XCTAssertGreaterThanOrEqual(sources.count, 8)
        let out = try temporaryFolder("cc")
        for source in sources {
            let object = out.appendingPathComponent(URL(fileURLWithPath: source).lastPathComponent + ".o").path
            let result = try shell([compiler, "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror"] + flags + ["-c", source, "-o", object])
            XCTAssertEqual(result.status, 0, "\(compiler) \(source):\n\(result.output)")
            XCTAssertEqual(result.output.trimmingCharacters(in: .whitespacesAndNewlines), "", "\(compiler) printed diagnostics for \(source)")
        }
    }

    func testGeneratedCBuildsWarningFreeWithGCC() throws { try compileC("gcc", []) }
    func testGeneratedCBuildsWarningFreeWithClang() throws { try compileC("clang", []) }
    func testGeneratedCBuildsWithAVX2() throws { try compileC("gcc", ["-mavx2", "-mfma"]) }

    func testGeneratedCCrossCompilesForCortexM4F() throws {
        guard commandExists("arm-none-eabi-gcc") else {
            return XCTFail("arm-none-eabi-gcc is not installed (apt-get install gcc-arm-none-eabi); .ci/run installs it")
        }
        try compileC("arm-none-eabi-gcc", ["-mcpu=cortex-m4", "-mthumb", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard"])
    }

    func testGeneratedSwiftBuildsAsEmbeddedSwiftWithoutAllocations() throws {
        let sources = try generated("swift", ".swift")
        XCTAssertGreaterThanOrEqual(sources.count, 8)
        let out = try temporaryFolder("embedded")
        let result = try shell(["swiftc", "-target", "armv7em-none-none-eabi", "-enable-experimental-feature", "Embedded",
                                "-wmo", "-O", "-parse-as-library", "-no-allocations", "-module-name", "Kernels", "-c"]
                               + sources + ["-o", out.appendingPathComponent("kernels.o").path])
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertFalse(result.output.contains("warning"), result.output)
    }

    func testGeneratedSwiftBuildsForTheHostWithoutWarnings() throws {
        let sources = try generated("swift", ".swift")
        let out = try temporaryFolder("swiftc")
        let result = try shell(["swiftc", "-O", "-wmo", "-parse-as-library", "-module-name", "Kernels", "-emit-library", "-static"]
                               + sources + ["-o", out.appendingPathComponent("libKernels.a").path])
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertFalse(result.output.contains("warning"), result.output)
    }
}
