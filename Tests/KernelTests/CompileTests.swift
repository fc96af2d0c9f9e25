import Foundation
import XCTest
import RNNCodegen
import RNNModel
import RNNKernelRunner
import RNNTestSupport

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
        for source in sources { try compileWarningFree(compiler, flags, source, into: out) }
    }

    /// One C file compiled with every warning an error; the compiler must print nothing.
    func compileWarningFree(_ compiler: String, _ flags: [String], _ source: String, into out: URL) throws {
        let object = out.appendingPathComponent(URL(fileURLWithPath: source).lastPathComponent + ".o").path
        let result = try shell([compiler, "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror"] + flags + ["-c", source, "-o", object])
        XCTAssertEqual(result.status, 0, "\(compiler) \(flags) \(source):\n\(result.output)")
        XCTAssertEqual(result.output.trimmingCharacters(in: .whitespacesAndNewlines), "", "\(compiler) \(flags) printed diagnostics for \(source)")
    }

    func testGeneratedCBuildsWarningFreeWithGCC() throws {
        try require("gcc", package: "gcc")
        try compileC("gcc", [])
    }
    func testGeneratedCBuildsWarningFreeWithClang() throws { try compileC("clang", []) }
    func testGeneratedCBuildsWithAVX2() throws {
        try require("gcc", package: "gcc")
        try compileC("gcc", ["-mavx2", "-mfma"])
    }

    func testGeneratedCCrossCompilesForCortexM4F() throws {
        try require("arm-none-eabi-gcc", package: "gcc-arm-none-eabi")
        try compileC("arm-none-eabi-gcc", ["-mcpu=cortex-m4", "-mthumb", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard"])
    }

    /// Swift kernels built together as Embedded Swift for a Cortex-M4F, with
    /// allocation an error; the compiler must not warn.
    func buildAsEmbeddedSwift(_ sources: [String], into out: URL) throws {
        let result = try shell(["swiftc", "-target", "armv7em-none-none-eabi", "-enable-experimental-feature", "Embedded",
                                "-wmo", "-O", "-parse-as-library", "-no-allocations", "-module-name", "Kernels", "-c"]
                               + sources + ["-o", out.appendingPathComponent("kernels.o").path])
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertFalse(result.output.contains("warning"), result.output)
    }

    func testGeneratedSwiftBuildsAsEmbeddedSwiftWithoutAllocations() throws {
        let sources = try generated("swift", ".swift")
        XCTAssertGreaterThanOrEqual(sources.count, 8)
        let out = try temporaryFolder("embedded")
        try buildAsEmbeddedSwift(sources, into: out)
    }

    /// Kernels of the example models with f16, bf16 and i8 matrices at every
    /// width, generated into a temporary folder (Generated/ holds f32 only).
    func narrowKernels(_ language: KernelOptions.Language, models: Int) throws -> [String] {
        let out = try temporaryFolder("narrow-\(language.rawValue)")
        var paths: [String] = []
        for example in try Repository.exampleModels().prefix(models) {
            let model = try ModelDescription.load(contentsOf: example.url.path)
            for type in WeightType.narrow {
                for width in KernelOptions.vectorWidths {
                    let name = "\(example.name)_\(type.rawValue)_w\(width)"
                    let options = KernelOptions(language: language, name: name, vectorWidth: width, weightType: type)
                    for file in try KernelGenerator.generate(model, options: options) {
                        let url = out.appendingPathComponent(file.name)
                        try Data(file.contents).write(to: url)
                        if file.name.hasSuffix(language == .c ? ".c" : ".swift") { paths.append(url.path) }
                    }
                }
            }
        }
        return paths
    }

    /// Narrow-weight C kernels: warning-free with gcc and clang on the
    /// baseline and with the x86 conversion paths, and for Cortex-M4F.
    func testNarrowWeightCBuildsWarningFreeEverywhere() throws {
        let sources = try narrowKernels(.c, models: 3)
        XCTAssertEqual(sources.count, 27)
        var targets: [(String, [String])] = [("clang", []), ("clang", ["-march=native"])]
        if try available("gcc", package: "gcc") {
            targets += [("gcc", []), ("gcc", ["-march=native"])]
            #if arch(x86_64)
            targets.append(("gcc", ["-march=x86-64-v3"]))
            #endif
        }
        if try available("arm-none-eabi-gcc", package: "gcc-arm-none-eabi") {
            targets.append(("arm-none-eabi-gcc", ["-mcpu=cortex-m4", "-mthumb", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard"]))
        }
        let out = try temporaryFolder("narrow-objects")
        for (compiler, flags) in targets {
            for source in sources { try compileWarningFree(compiler, flags, source, into: out) }
        }
    }

    func testNarrowWeightSwiftBuildsAsEmbeddedSwift() throws {
        // One model's nine kernels: an Embedded Swift build of all is minutes.
        let sources = try narrowKernels(.swift, models: 1)
        let out = try temporaryFolder("narrow-embedded")
        try buildAsEmbeddedSwift(sources, into: out)
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
