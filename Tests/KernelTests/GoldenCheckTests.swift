import Foundation
import XCTest
import RNNCodegen
import RNNKernelRunner
import RNNModel
import RNNTestSupport

/// The golden-vector self-checks `rnngen generate --golden` writes (used by the
/// build plugin's tests and the embedded examples) pass on the kernel they
/// were made for, and fail on a kernel that computes something else.
final class GoldenCheckTests: XCTestCase {
    func files(_ model: Model, _ options: KernelOptions, goldenFrom goldenModel: Model? = nil) throws -> [(String, String)] {
        let plan = try KernelPlan(model: model, options: options)
        let goldenPlan = try KernelPlan(model: goldenModel ?? model, options: options)
        let cases = try GoldenVectors.cases(for: goldenPlan)
        let kernel = try KernelGenerator.generate(model, options: options).filter { !$0.name.hasSuffix(".bin") }
            .map { ($0.name, String(decoding: $0.contents, as: UTF8.self)) }
        let golden = options.language == .c ? GoldenRenderer.c(plan, cases: cases) : GoldenRenderer.swift(plan, cases: cases, module: nil, xctest: false)
        return kernel + golden.map { ($0.file, $0.text) }
    }

    /// Builds and runs the C check; returns the failure count it prints.
    func runC(_ sources: [(String, String)], name: String) throws -> Int {
        let folder = try temporaryFolder("golden-c")
        for (file, text) in sources { try text.write(to: folder.appendingPathComponent(file), atomically: true, encoding: .utf8) }
        let main = "#include <stdio.h>\n#include \"\(name)_golden.h\"\nint main(void) { float worst; printf(\"%d\\n\", \(name)_golden_failures(&worst)); return 0; }\n"
        try main.write(to: folder.appendingPathComponent("main.c"), atomically: true, encoding: .utf8)
        let build = try shell(["sh", "-c", "\(Toolchain().cCompiler) -std=c99 -O2 -Wall -Wextra -Werror *.c -o check"], in: folder)
        XCTAssertEqual(build.status, 0, build.output)
        let run = try shell(["./check"], in: folder)
        return Int(run.output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    func example(_ name: String) throws -> Model {
        try ModelDescription.load(contentsOf: Repository.url("models/\(name)/model.rnn.json").path)
    }

    func testCChecksPassForExamples() throws {
        for (name, weights) in [("seed_two_gru_encoders", KernelOptions.WeightsMode.baked), ("keras_classifier", .runtime), ("torch_lstm_proj", .baked)] {
            let model = try example(name)
            XCTAssertEqual(try runC(try files(model, KernelOptions(language: .c, name: name, vectorWidth: 4, weights: weights)), name: name), 0, name)
        }
    }

    func testCCheckFailsForAKernelThatDiffers() throws {
        let model = try example("audio_lstm")
        var altered = model
        guard case .recurrent(var stack) = altered.stages[0] else { return XCTFail("unexpected model") }
        stack.layers[0].cells[0].weights.inputBias.values[0] += 0.5
        altered.stages[0] = .recurrent(stack)
        let failures = try runC(try files(altered, KernelOptions(language: .c, name: "audio_lstm"), goldenFrom: model), name: "audio_lstm")
        XCTAssertGreaterThan(failures, 0, "the golden check must notice a different kernel")
    }

    func testSwiftCheckPassesOnTheHostAndBuildsForEmbedded() throws {
        let model = try example("keras_classifier")
        let folder = try temporaryFolder("golden-swift")
        for (file, text) in try files(model, KernelOptions(language: .swift, name: "keras_classifier")) {
            try text.write(to: folder.appendingPathComponent(file), atomically: true, encoding: .utf8)
        }
        try "let result = KerasClassifierGolden.check()\nprint(result.failures)\n".write(to: folder.appendingPathComponent("main.swift"), atomically: true, encoding: .utf8)
        let build = try shell(["swiftc", "-O", "main.swift", "keras_classifier.swift", "keras_classifierGolden.swift", "-o", "check"], in: folder)
        XCTAssertEqual(build.status, 0, build.output)
        XCTAssertEqual(try shell(["./check"], in: folder).output.trimmingCharacters(in: .whitespacesAndNewlines), "0")
        let embedded = try shell(["swiftc", "-target", "armv7em-none-none-eabi", "-enable-experimental-feature", "Embedded", "-wmo", "-O",
                                  "-parse-as-library", "-no-allocations", "-c", "keras_classifier.swift", "keras_classifierGolden.swift", "-o", "e.o"], in: folder)
        XCTAssertEqual(embedded.status, 0, embedded.output)
    }
}
