import Foundation
import RNNCodegen
import RNNKernelRunner
import RNNModel
import RNNReference

enum BenchCommand {
    static let help = """
    USAGE: rnngen bench MODEL [--steps N] [--vector-width auto|4|8|16] [--fma auto|on|off] [--weight-type T]
                       [--lang c|all] [--cflags "…"] [--swiftflags "…"] [--json]

    Times one time step at batch 1 — the real-time path — three ways, side by
    side on this machine: the generated C kernel's step function, a naive C
    loop of the same model (row-major matrix-vector products, libm
    activations; forward RNN/LSTM/GRU stacks without options only), both
    compiled with the same flags in one program and interleaved, best of five
    rounds; and the reference interpreter. Prints ns/step, GFLOP/s (FLOPs as
    'rnngen inspect' counts them) and the ratios. The machine may be shared
    and noisy: compare ratios from one run, not absolute times across runs.
    With --lang all (the default) the Swift kernel's step is timed too.

    OPTIONS:
      --steps N             Time steps per round (default 200000).
      --vector-width N      auto (default), 4, 8 or 16 (see rnngen generate --help).
      --lang c|all          Time the C kernel only, or the Swift kernel as well (default all).
      --cflags "…"          C compiler flags (default "-O3 -march=native").
      --swiftflags "…"      Swift compiler flags (default "-O -wmo -target-cpu native").
      --fma auto|on|off     Fused multiply-adds (see rnngen generate --help).
      --weight-type T       f32 (default), f16, bf16 or i8: how the kernels store
                            their weight matrices (see rnngen generate --help); the
                            naive loop and the interpreter stay f32.
      --json                Print a JSON array instead of the table: one object per
                            implementation with "implementation" (kernel, naive,
                            interpreter), "lang", "vector_width", "fma",
                            "weight_type", "ns_per_step" and "gflops".
      --input NAME=FILE.npy ONNX weights given as graph inputs.
      -h, --help            Show this help.
    """

    static func run(_ args: [String], stdout: (String) -> Void) throws {
        let parsed = try Arguments(args, valued: ["steps", "vector-width", "cflags", "swiftflags", "lang", "input", "fma", "weight-type"], booleans: ["json"], command: "bench")
        guard parsed.positionals.count == 1 else {
            throw RNNError(at: "bench", "expected one MODEL argument, found \(parsed.positionals.count) (see rnngen bench --help)")
        }
        let path = parsed.positionals[0]
        let model = try ModelFile.loadModel(path, provided: try RunCommand.readInputs(parsed.options["input"] ?? []))
        let stepsText = try parsed.single("steps") ?? "200000"
        guard let steps = Int(stepsText), steps > 0 else { throw RNNError(at: "--steps \(stepsText)", "expected a positive whole number") }
        var withLanguage = parsed
        withLanguage.options["lang"] = ["c"]
        withLanguage.options["cflags"] = nil
        withLanguage.options["swiftflags"] = nil
        withLanguage.options["steps"] = nil
        withLanguage.switches.remove("json")
        let langText = try parsed.single("lang") ?? "all"
        guard langText == "c" || langText == "all" else { throw RNNError(at: "--lang \(langText)", "expected c or all") }
        let options = try GenerateCommand.options(withLanguage, defaultName: "bench_kernel")
        let plan = try KernelPlan(model: model, options: options)
        guard plan.supportsStep else {
            throw RNNError(at: path, "the model runs a direction in reverse and has no step function to time")
        }
        let flags = (try parsed.single("cflags") ?? "-O3 -march=native").split(separator: " ").map(String.init)

        // Build the kernel and the benchmark program in a private folder.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnngen-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for file in try KernelGenerator.generate(model, options: options) {
            try Data(file.contents).write(to: folder.appendingPathComponent(file.name))
        }
        try BenchmarkRenderer.render(plan).write(to: folder.appendingPathComponent("bench.c"), atomically: true, encoding: .utf8)
        let compiler = Toolchain().cCompiler
        let build = try Subprocess.run(compiler, ["-std=c99"] + flags + ["\(plan.name).c", "bench.c", "-o", "bench", "-lm"], in: folder)
        guard build.status == 0 else {
            throw RNNError(file: folder.path, "\(compiler) failed building the benchmark:\n\(build.stderr)")
        }
        let result = try Subprocess.run(folder.appendingPathComponent("bench").path, [String(steps)])
        guard result.status == 0 else { throw RNNError("the benchmark failed: \(result.stderr)") }
        var values: [String: Double] = [:]
        for line in result.stdout.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let v = Double(parts[1]) { values[String(parts[0])] = v }
        }

        // The interpreter, on one long batch-1 sequence.
        // At most 2000 steps and about 2·10^8 FLOPs (a second or two): it is slow.
        let flops = Double(ModelSummary(model).flopsPerStep)
        let interpreterSteps = max(1, min(steps, 2000, Int(2e8 / max(1, flops))))
        let shape = model.layout == .timeMajor ? [interpreterSteps, 1, model.inputSize] : [1, interpreterSteps, model.inputSize]
        let x = Tensor(shape: shape, values: (0..<(interpreterSteps * model.inputSize)).map { sin(0.01 * Double($0)) })
        let interpreter = ReferenceInterpreter(model: model)
        var bestInterpreter = Double.infinity
        for _ in 0..<3 {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try interpreter.run(ModelInputs(x: x))
            bestInterpreter = min(bestInterpreter, Double(DispatchTime.now().uptimeNanoseconds - start) / Double(interpreterSteps))
        }

        var results: [BenchResult] = []
        func record(_ implementation: String, _ lang: String, _ ns: Double, width: Int?) {
            results.append(BenchResult(implementation: implementation, lang: lang, vectorWidth: width,
                                       fma: width == nil ? nil : options.fusedMultiplyAdd.rawValue,
                                       weightType: implementation == "kernel" ? options.weightType.rawValue : "f32", nsPerStep: ns, gflops: flops / ns))
        }
        func line(_ label: String, _ ns: Double) -> String {
            let padded = label.padding(toLength: 28, withPad: " ", startingAt: 0)
            return "  \(padded) \(String(format: "%10.1f", ns)) ns/step  \(String(format: "%7.2f", flops / ns)) GFLOP/s"
        }
        var out = ["bench \(model.name) (\(path)): \(Int(flops)) FLOPs/step, batch 1, \(compiler) \(flags.joined(separator: " ")), vector width \(plan.vectorWidth), \(options.weightType.rawValue) weights"]
        guard let kernel = values["kernel_ns_per_step"] else { throw RNNError("the benchmark printed no timing: \(result.stdout)") }
        out.append(line("generated C kernel", kernel))
        record("kernel", "c", kernel, width: plan.vectorWidth)
        if let naive = values["naive_ns_per_step"] {
            out.append(line("naive C loop", naive))
            record("naive", "c", naive, width: nil)
            out.append("  naive loop agrees with the kernel within \(values["naive_max_abs_difference"].map { String(format: "%.2g", $0) } ?? "?")")
        } else {
            out.append("  naive C loop: not available for this model (forward RNN/LSTM/GRU stacks without options only)")
        }
        var swiftKernel: Double?
        if langText == "all" {
            var swiftOptions = options
            swiftOptions.language = .swift
            let swiftPlan = try KernelPlan(model: model, options: swiftOptions)
            let swiftFolder = folder.appendingPathComponent("swift")
            try FileManager.default.createDirectory(at: swiftFolder, withIntermediateDirectories: true)
            for file in try KernelGenerator.generate(model, options: swiftOptions) {
                try Data(file.contents).write(to: swiftFolder.appendingPathComponent(file.name))
            }
            try BenchmarkRenderer.renderSwift(swiftPlan).write(to: swiftFolder.appendingPathComponent("main.swift"), atomically: true, encoding: .utf8)
            let swiftFlags = (try parsed.single("swiftflags") ?? "-O -wmo -target-cpu native").split(separator: " ").map(String.init)
            let swiftc = Toolchain().swiftCompiler
            let swiftBuild = try Subprocess.run(swiftc, swiftFlags + ["main.swift", "\(swiftPlan.name).swift", "-o", "bench"], in: swiftFolder)
            guard swiftBuild.status == 0 else {
                throw RNNError(file: swiftFolder.path, "\(swiftc) failed building the Swift benchmark:\n\(swiftBuild.stderr)")
            }
            let swiftRun = try Subprocess.run(swiftFolder.appendingPathComponent("bench").path, [String(steps)])
            for line in swiftRun.stdout.split(separator: "\n") {
                let parts = line.split(separator: " ")
                if parts.count == 2, parts[0] == "swift_kernel_ns_per_step" { swiftKernel = Double(parts[1]) }
            }
            guard let swiftKernel else { throw RNNError("the Swift benchmark printed no timing: \(swiftRun.stdout)\(swiftRun.stderr)") }
            out.append(line("generated Swift kernel", swiftKernel))
            record("kernel", "swift", swiftKernel, width: swiftPlan.vectorWidth)
        }
        out.append(line("reference interpreter", bestInterpreter))
        record("interpreter", "swift", bestInterpreter, width: nil)
        if parsed.switches.contains("json") {
            stdout("[\n" + results.map { "  " + $0.json }.joined(separator: ",\n") + "\n]")
            return
        }
        if let naive = values["naive_ns_per_step"] { out.append("  kernel is \(String(format: "%.1f", naive / kernel))× faster than the naive loop") }
        out.append("  kernel is \(String(format: "%.0f", bestInterpreter / kernel))× faster than the interpreter")
        if let swiftKernel { out.append("  Swift kernel: \(String(format: "%.2f", swiftKernel / kernel))× the C kernel's time") }
        stdout(out.joined(separator: "\n"))
    }
}

/// One timed implementation, as `rnngen bench --json` prints it.
struct BenchResult {
    var implementation: String
    var lang: String
    var vectorWidth: Int?
    var fma: String?
    var weightType: String
    var nsPerStep: Double
    var gflops: Double

    var json: String {
        func text(_ s: String?) -> String { s.map { "\"\($0)\"" } ?? "null" }
        return "{\"implementation\": \(text(implementation)), \"lang\": \(text(lang)), \"vector_width\": \(vectorWidth.map(String.init) ?? "null"), "
            + "\"fma\": \(text(fma)), \"weight_type\": \(text(weightType)), \"ns_per_step\": \(String(format: "%.2f", nsPerStep)), "
            + "\"gflops\": \(String(format: "%.3f", gflops))}"
    }
}
