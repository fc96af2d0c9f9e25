import Dispatch
import Foundation
import XCTest
import RNNCodegen
@testable import RNNKernelRunner
import RNNModel
import RNNReference
import RNNTestSupport

/// `rnngen verify --target`: kernels cross-compiled, run under QEMU, compared
/// with the interpreter on the host.
final class TargetVerifyTests: XCTestCase {
    struct Job {
        var target: Target
        var plan: KernelPlan
        var label: String
    }

    /// Runs jobs two at a time (the machine has two cores; each is a compile
    /// and an emulator run) and fails for every output beyond the tolerance.
    func verify(_ jobs: [Job], trials count: Int) throws {
        let failures = concurrentFailures(jobs.count) { index -> [String] in
            let job = jobs[index]
            do {
                let trials = Verifier.trials(for: job.plan.model, supportsStep: job.plan.supportsStep, count: count, seed: 7)
                let reports = try Verifier.verify(plan: job.plan, on: TargetRunner(target: job.target), trials: trials)
                let failed = reports.filter { !$0.passed }.map { "\($0.output): err/tolerance \($0.worstRatio) in \($0.worstTrial) \($0.nanMismatch ?? "")" }
                return failed.isEmpty && !reports.isEmpty ? [] : ["\(job.label): " + (reports.isEmpty ? "no outputs compared" : failed.joined(separator: "; "))]
            } catch {
                return ["\(job.label): \(error)"]
            }
        }
        for message in failures { XCTFail(message) }
    }

    /// Every example model on every emulated target, C everywhere and
    /// Embedded Swift on the Cortex-M4F, M7 and rv32 (the host runs them in
    /// ExampleVerifyTests), generated for the target: the scalar lowering on
    /// the cores without float SIMD.
    /// The quick run takes the first three models.
    func testExampleModelsVerifyOnEveryTarget() throws {
        var examples = try Repository.exampleModels()
        XCTAssertGreaterThanOrEqual(examples.count, 9)
        if !fullTests { examples = Array(examples.prefix(3)) }
        var jobs: [Job] = []
        for target in Target.all where target.name != .host {
            for language in target.languages {
                try requireTarget(target, language)
                for example in examples {
                    let model = try ModelDescription.load(contentsOf: example.url.path)
                    let plan = try KernelPlan(model: model, options: KernelOptions(language: language, name: example.name, target: target.name))
                    jobs.append(Job(target: target, plan: plan, label: "\(example.name) \(language.rawValue) on \(target.name.rawValue)"))
                }
            }
        }
        XCTAssertEqual(Set(jobs.map(\.target.name)).count, Target.Name.allCases.count - 1)
        try verify(jobs, trials: 4)
    }

    /// Integer kernels on every emulated target: random quantized stacks
    /// (LSTM, GRU, RNN) and the recorded TFLite models, generated for the
    /// target (DSP pair packing on the Cortex-M4 and M7, Helium on the M55),
    /// every value equal to the integer interpreter's. One program per target
    /// and language holds every kernel.
    func testIntegerKernelsAreExactOnEveryTarget() throws {
        let recorded = try FixtureCatalog.tfliteCases().filter(\.quantized).map { folder, _ in
            (folder.lastPathComponent, try TFLiteImport.read(contentsOf: folder.appendingPathComponent("model.tflite").path, name: folder.lastPathComponent))
        }
        let random = (0..<UInt64(fullTests ? 12 : 4)).map { seed in ("q\(seed + 300)", RandomQuantizedModels.model(seed: seed + 300).model) }
        // C on every emulated target; Embedded Swift where the target builds
        // it (the Cortex-M4, M7 and rv32), on the recorded models and two random ones.
        var jobs: [(target: Target, language: KernelOptions.Language)] = []
        for target in Target.all where target.name != .host {
            for language in target.languages {
                try requireTarget(target, language)
                jobs.append((target, language))
            }
        }
        XCTAssertTrue(jobs.contains { $0.language == .swift })
        let failures = concurrentFailures(jobs.count) { index -> [String] in
            let (target, language) = jobs[index]
            let models = language == .c ? recorded + random : recorded + random.prefix(2)
            do {
                let runs = try models.map { name, model in
                    let plan = try IntegerKernelPlan(model: model, options: KernelOptions(language: language, name: name, target: target.name))
                    return (plan: plan, cases: IntegerVerifier.cases(for: plan))
                }
                let reports = try IntegerVerifier.verify(runs, language: language, target: target)
                guard reports.count == 4 * runs.count else { return ["\(target.name.rawValue) \(language.rawValue): \(reports.count) reports for \(runs.count) kernels"] }
                return reports.filter { !$0.passed }.map { "\($0.kernel) \($0.name) in \(language.rawValue) on \(target.name.rawValue): \($0.mismatches) of \($0.values) differ; first \($0.first ?? "")" }
            } catch {
                return ["\(target.name.rawValue) \(language.rawValue): \(error)"]
            }
        }
        for message in failures { XCTFail(message) }
    }

    /// The audio tools' model files (Tests/Recorded/audio) generated for the
    /// Cortex-M4F, C and Embedded Swift, run under QEMU on the recorded
    /// input: within 1e-5 of the framework's recorded output, and verified
    /// against the interpreter. The quick run takes every third file.
    func testAudioModelFilesMatchTheFrameworksOnTheCortexM4() throws {
        let target = try Target.named("cortex-m4")
        var folders = Recorded.cases("audio")
        XCTAssertEqual(folders.count, 16)
        if !fullTests { folders = folders.enumerated().filter { $0.offset % 3 == 0 }.map(\.element) }
        var jobs: [(plan: KernelPlan, folder: URL)] = []
        for language in target.languages {
            try requireTarget(target, language)
            for folder in folders {
                let (model, _) = try JSONModelFile.load(contentsOf: folder.appendingPathComponent("model.json").path, name: folder.lastPathComponent)
                jobs.append((try KernelPlan(model: model, options: KernelOptions(language: language, name: "amp", target: target.name)), folder))
            }
        }
        let failures = concurrentFailures(jobs.count) { index -> [String] in
            let (plan, folder) = jobs[index]
            let label = "\(folder.lastPathComponent) \(plan.options.language.rawValue)"
            do {
                let x = try Fixtures.npy(folder.appendingPathComponent("x.npy"))
                let expected = try Fixtures.npy(folder.appendingPathComponent("expected_y.npy"))
                let recorded = Verifier.Trial(name: "recorded", inputs: ModelInputs(x: x), streaming: false)
                let trials = [recorded] + Verifier.trials(for: plan.model, supportsStep: plan.supportsStep, count: 2, seed: 7)
                let cases = try trials.map { try KernelCase($0.name, streaming: $0.streaming, inputs: $0.inputs, plan: plan) }
                let outputs = try TargetRunner(target: target).run(plan, cases: cases)
                let y = KernelIO.outputs(plan, batch: cases[0].batch, steps: cases[0].steps, y: outputs[0].y, finalState: outputs[0].finalState, head: outputs[0].head).y
                var messages: [String] = []
                let error = y.maxAbsDifference(to: expected)
                if !(error <= fixtureTolerance) { messages.append("\(label): max |error| \(error) against the framework") }
                let reports = try Verifier.verify(plan: plan, trials: trials) { index, _ in
                    KernelIO.outputs(plan, batch: cases[index].batch, steps: cases[index].steps, y: outputs[index].y,
                                     finalState: outputs[index].finalState, head: outputs[index].head)
                }
                messages += reports.filter { !$0.passed }.map { "\(label): \($0.output) err/tolerance \($0.worstRatio) in \($0.worstTrial)" }
                return messages
            } catch {
                return ["\(label): \(error)"]
            }
        }
        for message in failures { XCTFail(message) }
    }

    /// The Cortex-M55's kernels spell every activation in Helium intrinsics:
    /// the ONNX fixtures that use them (clip, relu, affine, thresholded relu,
    /// softplus, hard sigmoid, leaky relu, scaled tanh) and vanilla RNNs
    /// with softsign and elu, generated for the target and verified on the
    /// emulated core.
    func testHeliumActivationsVerifyOnTheCortexM55() throws {
        let target = try Target.named("cortex-m55")
        try requireTarget(target)
        var models: [Model] = []
        for fixture in ["lstm_h6_acts", "rnn_h11_softplus_init", "rnn_h3_affine", "rnn_h5_thresholded", "lstm_h9_peep_clip", "rnn_h8_relu_bidir_seqlens"] {
            let graph = try ONNXReader.read(contentsOf: Repository.url("Tests/Fixtures/onnx/\(fixture)/model.onnx").path)
            models.append(try ONNXImport.recognize(graph, name: fixture, provided: [:]).model)
        }
        // A GRU gated by softsign (the ONNX fixture's) is too ill-conditioned
        // at ±1e4 inputs for verify's tolerance on any target; a vanilla RNN
        // puts the same activation on the output.
        var random = RandomModels(seed: 55)
        for (name, activation, H) in [("rnn_softsign", Activation(.softsign), 6), ("rnn_elu", Activation(.elu, alpha: 0.7), 7)] {
            let stack = random.stack(.init(kind: .rnn, activations: [activation]), inputSize: 3, hiddenSizes: [H])
            models.append(Model(name: name, inputSize: 3, layout: .batchMajor, stages: [.recurrent(stack)]))
        }
        var jobs: [Job] = []
        for model in models {
            let plan = try KernelPlan(model: model, options: KernelOptions(language: .c, name: model.name, target: .cortexM55))
            XCTAssertTrue(plan.heliumActivations, model.name)
            jobs.append(Job(target: target, plan: plan, label: "\(model.name) on cortex-m55"))
        }
        try verify(jobs, trials: 3)
    }

    /// A kernel generated for the M55 needs a Helium compiler: built for
    /// this machine, its first error says why (the missing arm_mve.h then
    /// stops the compiler before any error about MVE types).
    func testHeliumKernelStopsOnAnotherCompiler() throws {
        let model = try ModelDescription.load(contentsOf: Repository.url("models/embedded/gru_i1_h8/model.rnn.json").path)
        let folder = try temporaryFolder("helium-on-host")
        for file in try KernelGenerator.generate(model, options: KernelOptions(language: .c, name: "helium", target: .cortexM55)) {
            try Data(file.contents).write(to: folder.appendingPathComponent(file.name))
        }
        let build = try shell([Toolchain().cCompiler, "-std=c99", "-O2", "-c", "helium.c", "-o", "helium.o"], in: folder)
        XCTAssertNotEqual(build.status, 0, "the M55 kernel built for this machine")
        let errors = build.output.split(separator: "\n").filter { $0.contains("error") && $0.hasPrefix("helium.c:") }
        XCTAssertTrue(errors.first?.contains("generated for --target cortex-m55") == true, build.output)
        XCTAssertLessThanOrEqual(errors.count, 2, build.output)
    }

    /// --target composes with every generate option: vector widths, narrow
    /// weight types, runtime weights, libm, multiply-adds, batch tiles.
    func testTargetsComposeWithGenerateOptions() throws {
        let model = try ModelDescription.load(contentsOf: Repository.url("models/seed_multi_lstm/model.rnn.json").path)
        let bidirectional = try ModelDescription.load(contentsOf: Repository.url("models/torch_lstm_proj/model.rnn.json").path)
        var jobs: [Job] = []
        let variants: [(String, KernelOptions.Language, (inout KernelOptions) -> Void)] = [
            ("width 4, i8", .c, { $0.vectorWidth = 4; $0.weightType = .i8 }),
            ("width 16, f16", .c, { $0.vectorWidth = 16; $0.weightType = .f16 }),
            ("width 8, runtime weights", .c, { $0.vectorWidth = 8; $0.weights = .runtime }),
            ("libm, bf16, fma off, tile 8", .c, { $0.useLibm = true; $0.weightType = .bf16; $0.fusedMultiplyAdd = .off; $0.batchTile = 8 }),
            ("width 4, i8", .swift, { $0.vectorWidth = 4; $0.weightType = .i8 }),
            ("width 8, runtime weights", .swift, { $0.vectorWidth = 8; $0.weights = .runtime }),
            ("scalar, width 8, f16, tile 2", .c, { $0.lowering = .scalar; $0.vectorWidth = 8; $0.weightType = .f16; $0.batchTile = 2 }),
            ("scalar, bf16, libm", .c, { $0.lowering = .scalar; $0.weightType = .bf16; $0.useLibm = true }),
            ("scalar, i8, fma off", .c, { $0.lowering = .scalar; $0.weightType = .i8; $0.fusedMultiplyAdd = .off }),
        ]
        // Each variant on each target, on the two models in turn (three
        // stacked layers; a bidirectional layer with a projection).
        let models = [(model, "seed_multi_lstm"), (bidirectional, "torch_lstm_proj")]
        for (t, name) in [Target.Name.cortexM4, .cortexM7, .cortexM55, .cortexM3, .rv32, .aarch64].enumerated() {
            let target = try Target.named(name.rawValue)
            for (v, (label, language, change)) in variants.enumerated() where target.languages.contains(language) {
                try requireTarget(target, language)
                let (m, which) = models[(t + v) % 2]
                var options = KernelOptions(language: language, name: "composed")
                change(&options)
                jobs.append(Job(target: target, plan: try KernelPlan(model: m, options: options), label: "\(which) \(language.rawValue) \(label) on \(name.rawValue)"))
            }
        }
        try verify(jobs, trials: 2)
    }

    /// A program that stops early, prints garbage or too little is an error
    /// saying which case, never a pass.
    func testTruncatedOrGarbledOutputIsAnError() throws {
        let model = try ModelDescription.load(contentsOf: Repository.url("models/examples/tiny_rnn.rnn.json").path)
        let plan = try KernelPlan(model: model, options: KernelOptions(language: .c, name: "parsed"))
        let cases = [KernelCase(name: "one", streaming: false, batch: 1, steps: 2, x: Array(repeating: 0.5, count: 2 * plan.inputSize),
                                sequenceLengths: nil, initialState: nil)]
        let sizes = cases[0].outputFloats(plan)
        func line(_ label: String, _ n: Int) -> String { ([label] + Array(repeating: "3f800000", count: n)).joined(separator: " ") }
        let good = ["QEMU banner", "rnngen-case 0", line("y", sizes.y), line("final", sizes.finalState), "rnngen-end"].joined(separator: "\n")
        let parsed = try TargetRunner.parse(good, plan: plan, cases: cases, place: "test", stderr: "", status: 0)
        XCTAssertEqual(parsed.first?.y, Array(repeating: 1.0, count: sizes.y))
        let broken = [
            ("", "stopped before case 0"),
            (good.replacingOccurrences(of: "\nrnngen-end", with: ""), "no rnngen-end"),
            (good.replacingOccurrences(of: line("y", sizes.y), with: line("y", sizes.y - 1)), "expected y with \(sizes.y) values"),
            (good.replacingOccurrences(of: line("final", sizes.finalState), with: line("final", sizes.finalState).replacingOccurrences(of: "3f800000", with: "zz")), "not hex float bits"),
        ]
        for (text, expected) in broken {
            XCTAssertThrowsError(try TargetRunner.parse(text, plan: plan, cases: cases, place: "test", stderr: "", status: 0)) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(error)")
            }
        }
    }
}
