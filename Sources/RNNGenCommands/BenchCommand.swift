import Foundation
import RNNCodegen
import RNNKernelRunner
import RNNModel
import RNNReference

enum BenchCommand {
    static let help = """
    USAGE: rnngen bench MODEL [--steps N] [--batch B] [--vector-width auto|4|8|16] [--fma auto|on|off]
                       [--weight-type T] [--batch-tile auto|1|2|4|8] [--lang c|all] [--cflags "…"]
                       [--swiftflags "…"] [--json]
           rnngen bench MODEL --target T [--opt -O2,-Os,-O3] [--steps N] [generate options] [--json]

    Times one time step at batch 1 — the real-time path — side by side on
    this machine: the generated C kernel's step function, its process
    function on blocks of 64 frames (an audio callback's buffer; per frame),
    a naive C loop of the same model (row-major matrix-vector products, libm
    activations; a forward RNN/LSTM/GRU stack without options, then dense
    layers and skip connections), all compiled with the same flags in one
    program and interleaved, best of five rounds; and the reference
    interpreter. Prints ns/step, GFLOP/s (FLOPs as
    'rnngen inspect' counts them) and the ratios. The machine may be shared
    and noisy: compare ratios from one run, not absolute times across runs.
    With --lang all (the default) the Swift kernel's step is timed too.

    With --batch B (B > 1) it times whole sequences instead: the kernel's run
    on B items of 64 steps at once, beside the same B items passed to run one
    at a time, in ns per time step of the whole batch and GFLOP/s over all B
    items (no naive loop or interpreter then).

    With --target T (cortex-m4, cortex-m7, cortex-m55, cortex-m3, rv32) it
    counts instructions instead: the kernel generated for T (its defaults, see
    rnngen generate --help) and the naive C step, compiled with the same flags
    into one program, run under QEMU with -icount shift=0 (one nanosecond of
    virtual time per executed instruction), timed by a board timer that the
    program calibrates against loops of known length. Prints instructions per
    step — not cycles: QEMU models no pipeline — and the ratio, at each --opt
    level. Counts are exact and repeatable. Needs the target's toolchain and
    QEMU (see docs/EMBEDDED.md); the model must be one forward stack without
    options or dense layers (the naive step's scope).

    OPTIONS:
      --target T            Count instructions on an emulated core (see above).
      --opt LEVELS          With --target: optimisation flags to build both steps
                            with, separated by commas (default -O2,-Os,-O3).
      --lowering L          auto, vector or scalar (see rnngen generate --help).
      --steps N             Time steps per round (default 200000; with --target
                            2000, counted once).
      --batch B             Items per run call; 1 (default) times step instead.
      --batch-tile N        Items run moves through a cell together (auto, 1, 2,
                            4 or 8; see rnngen generate --help).
      --vector-width N      auto (default), 4, 8 or 16 (see rnngen generate --help).
      --lang c|all          Time the C kernel only, or the Swift kernel as well (default all).
      --cflags "…"          C compiler flags (default "-O3 -march=native").
      --swiftflags "…"      Swift compiler flags (default "-O -wmo -target-cpu native").
      --fma auto|on|off     Fused multiply-adds (see rnngen generate --help).
      --weight-type T       \(WeightType.listed) (f32 by default): how the kernels store
                            their weight matrices (see rnngen generate --help); the
                            naive loop and the interpreter stay f32.
      --json                Print a JSON array instead of the table: one object per
                            implementation with "implementation" (kernel, process
                            (blocks of 64 frames, per frame), naive,
                            interpreter; with --batch: kernel, and kernel_items for
                            the items one at a time), "lang", "vector_width",
                            "fma", "weight_type", "batch", "ns_per_step" and
                            "gflops" (over the whole batch). With --target: one
                            object per level with "target", "optimization",
                            "lowering", "vector_width", "fma", "weight_type",
                            "steps", "kernel_instructions_per_step",
                            "naive_instructions_per_step", "ratio",
                            "instructions_per_tick" and "max_abs_difference".
      --input NAME=FILE.npy ONNX weights given as graph inputs.
      -h, --help            Show this help.
    """

    static func run(_ args: [String], stdout: (String) -> Void) throws {
        let parsed = try Arguments(args, valued: ["steps", "batch", "vector-width", "cflags", "swiftflags", "lang", "input", "fma", "weight-type", "batch-tile", "sample-rate-delay",
                                                  "target", "lowering", "opt"], booleans: ["json"], command: "bench")
        guard parsed.positionals.count == 1 else {
            throw RNNError(at: "bench", "expected one MODEL argument, found \(parsed.positionals.count) (see rnngen bench --help)")
        }
        let path = parsed.positionals[0]
        let model = try ModelFile.loadModel(path, provided: try RunCommand.readInputs(parsed.options["input"] ?? []))
        if let target = try parsed.single("target"), target != "host" {
            return try targetReport(parsed, model: model, path: path, target: try Target.named(target), stdout: stdout)
        }
        for name in ["opt"] where parsed.options[name] != nil {
            throw RNNError(at: "--\(name)", "applies to bench --target only (instruction counts on an emulated core)")
        }
        let stepsText = try parsed.single("steps") ?? "200000"
        guard let steps = Int(stepsText), steps > 0 else { throw RNNError(at: "--steps \(stepsText)", "expected a positive whole number") }
        let batchText = try parsed.single("batch") ?? "1"
        guard let batch = Int(batchText), batch > 0, batch <= 4096 else { throw RNNError(at: "--batch \(batchText)", "expected a whole number from 1 to 4096") }
        var withLanguage = parsed
        withLanguage.options["lang"] = ["c"]
        withLanguage.options["cflags"] = nil
        withLanguage.options["swiftflags"] = nil
        withLanguage.options["steps"] = nil
        withLanguage.options["batch"] = nil
        withLanguage.switches.remove("json")
        let langText = try parsed.single("lang") ?? "all"
        guard langText == "c" || langText == "all" else { throw RNNError(at: "--lang \(langText)", "expected c or all") }
        let options = try GenerateCommand.options(withLanguage, defaultName: "bench_kernel")
        if model.isQuantized {
            guard batch == 1 else { throw RNNError(at: "--batch", "a quantized model's integer kernel is timed at batch 1 (its step)") }
            return try integerHostReport(model, path: path, options: options, steps: steps,
                                         flags: (try parsed.single("cflags") ?? "-O3 -march=native").split(separator: " ").map(String.init),
                                         json: parsed.switches.contains("json"), stdout: stdout)
        }
        let plan = try KernelPlan(model: model, options: options)
        guard plan.supportsStep || batch > 1 else {
            throw RNNError(at: path, "the model runs a direction in reverse and has no step function to time (--batch 2 or more times its run)")
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
        let result = try Subprocess.run(folder.appendingPathComponent("bench").path, [String(steps), String(batch)])
        guard result.status == 0 else { throw RNNError("the benchmark failed: \(result.stderr)") }
        var values: [String: Double] = [:]
        for line in result.stdout.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let v = Double(parts[1]) { values[String(parts[0])] = v }
        }
        if batch > 1 {
            stdout(try batchReport(plan: plan, model: model, path: path, batch: batch, steps: steps, values: values, flags: flags, compiler: compiler,
                                   swift: langText == "all" ? { try swiftTimings(model: model, options: options, parsed: parsed, folder: folder, steps: steps, batch: batch) } : nil,
                                   json: parsed.switches.contains("json")))
            return
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
            results.append(BenchResult(implementation: implementation, lang: lang, vectorWidth: width, batch: 1,
                                       fma: width == nil ? nil : options.fusedMultiplyAdd.rawValue,
                                       weightType: ["kernel", "process"].contains(implementation) ? options.weightType.rawValue : "f32", nsPerStep: ns, gflops: flops / ns))
        }
        func line(_ label: String, _ ns: Double) -> String {
            let padded = label.padding(toLength: 32, withPad: " ", startingAt: 0)
            return "  \(padded) \(String(format: "%10.1f", ns)) ns/step  \(String(format: "%7.2f", flops / ns)) GFLOP/s"
        }
        var out = ["bench \(model.name) (\(path)): \(Int(flops)) FLOPs/step, batch 1, \(compiler) \(flags.joined(separator: " ")), vector width \(plan.vectorWidth), \(options.weightType.rawValue) weights"]
        guard let kernel = values["kernel_ns_per_step"] else { throw RNNError("the benchmark printed no timing: \(result.stdout)") }
        out.append(line("generated C kernel", kernel))
        record("kernel", "c", kernel, width: plan.vectorWidth)
        if let process = values["kernel_process_ns_per_step"] {
            out.append(line("generated C kernel, process", process) + "  (per frame, blocks of 64)")
            record("process", "c", process, width: plan.vectorWidth)
        }
        if let naive = values["naive_ns_per_step"] {
            out.append(line("naive C loop", naive))
            record("naive", "c", naive, width: nil)
            out.append("  naive loop agrees with the kernel within \(values["naive_max_abs_difference"].map { String(format: "%.2g", $0) } ?? "?")")
        } else {
            out.append("  naive C loop: not available for this model (forward RNN/LSTM/GRU stacks without options only)")
        }
        var swiftKernel: Double?
        if langText == "all" {
            let (width, timings) = try swiftTimings(model: model, options: options, parsed: parsed, folder: folder, steps: steps, batch: 1)
            guard let timing = timings["swift_kernel_ns_per_step"] else { throw RNNError("the Swift benchmark printed no timing") }
            swiftKernel = timing
            out.append(line("generated Swift kernel", timing))
            record("kernel", "swift", timing, width: width)
            if let process = timings["swift_kernel_process_ns_per_step"] {
                out.append(line("generated Swift kernel, process", process) + "  (per frame, blocks of 64)")
                record("process", "swift", process, width: width)
            }
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

extension BenchCommand {
    /// `bench --target T`: instructions per step of the kernel and the naive
    /// step on the emulated core, at each optimisation level.
    static func targetReport(_ parsed: Arguments, model: Model, path: String, target: Target, stdout: (String) -> Void) throws {
        for name in ["batch", "cflags", "swiftflags"] where parsed.options[name] != nil {
            throw RNNError(at: "--\(name)", "does not apply to bench --target (it counts one step's instructions; --opt sets the level)")
        }
        if let lang = try parsed.single("lang"), lang != "c" {
            throw RNNError(at: "--lang \(Quote.text(lang))", "bench --target measures C kernels only")
        }
        let stepsText = try parsed.single("steps") ?? "2000"
        guard let steps = Int(stepsText), steps > 0, steps <= 1_000_000 else {
            throw RNNError(at: "--steps \(stepsText)", "expected a whole number from 1 to 1000000")
        }
        let levels = (try parsed.single("opt") ?? TargetBench.optimizations.joined(separator: ","))
            .split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        for level in levels where !["-O0", "-O1", "-O2", "-O3", "-Os", "-Oz", "-Ofast"].contains(level) {
            throw RNNError(at: "--opt \(Quote.text(level))", "expected optimisation flags separated by commas, e.g. -O2,-Os,-O3")
        }
        var withLanguage = parsed
        withLanguage.options["lang"] = ["c"]
        for name in ["steps", "opt"] { withLanguage.options[name] = nil }
        withLanguage.switches.remove("json")
        let options = try GenerateCommand.options(withLanguage, defaultName: "bench_kernel")
        if model.isQuantized {
            return try integerTargetReport(model, path: path, target: target, options: options, levels: levels, steps: steps,
                                           json: parsed.switches.contains("json"), stdout: stdout)
        }
        let plan = try KernelPlan(model: model, options: options)
        let bench = TargetBench(target: target)
        let results = try levels.map { try bench.run(plan, optimization: $0, steps: steps) }
        if parsed.switches.contains("json") {
            let rows = results.map { r in
                "  {\"target\": \"\(target.name.rawValue)\", \"optimization\": \"\(r.optimization)\", \"lowering\": \"\(plan.lowering.rawValue)\", "
                    + "\"vector_width\": \(plan.vectorWidth), \"fma\": \"\(options.fusedMultiplyAdd.rawValue)\", \"weight_type\": \"\(plan.weightType.rawValue)\", "
                    + "\"steps\": \(r.steps), \"kernel_instructions_per_step\": \(String(format: "%.1f", r.kernelPerStep)), "
                    + "\"naive_instructions_per_step\": \(String(format: "%.1f", r.naivePerStep)), \"ratio\": \(String(format: "%.4f", r.ratio)), "
                    + "\"instructions_per_tick\": \(String(format: "%.4f", r.instructionsPerTick)), \"max_abs_difference\": \(String(format: "%.3g", r.agreement))}"
            }
            stdout("[\n" + rows.joined(separator: ",\n") + "\n]")
            return
        }
        var out = ["bench \(model.name) (\(path)) on \(target.name.rawValue) (\(target.summary)):",
                   "  \(plan.lowering.rawValue) lowering, \(plan.lowering == .scalar ? "\(plan.vectorWidth) units per block" : "vector width \(plan.vectorWidth)"), "
                   + "multiply-adds \(options.fusedMultiplyAdd.rawValue), \(plan.weightType.rawValue) weights; \(steps) steps after a warm-up",
                   "  instructions per time step (QEMU -icount shift=0: instructions, not cycles; timer calibrated at "
                   + "\(String(format: "%.2f", results[0].instructionsPerTick)) instructions per tick, loop overhead "
                   + "\(String(format: "%.1f", results[0].overheadPerStep)) subtracted):",
                   "  level   kernel      naive C   kernel/naive   max |kernel − naive|"]
        for r in results {
            out.append("  " + r.optimization.padding(toLength: 6, withPad: " ", startingAt: 0)
                       + String(format: "%8.1f   %10.1f   %9.3f×      %.2g", r.kernelPerStep, r.naivePerStep, r.ratio, r.agreement))
        }
        stdout(out.joined(separator: "\n"))
    }

    /// A quantized model on this machine: the integer C kernel's step
    /// beside the float C kernel of its real weights, ns per step.
    static func integerHostReport(_ model: Model, path: String, options: KernelOptions, steps: Int, flags: [String], json: Bool,
                                  stdout: (String) -> Void) throws {
        let quantized = try IntegerKernelPlan(model: model, options: KernelOptions(language: .c, name: options.name + "_q"))
        var floatOptions = options
        floatOptions.name = options.name + "_f"
        let float = try KernelPlan(model: model, options: floatOptions)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnngen-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for file in try KernelGenerator.generate(quantized) + KernelGenerator.generate(float) {
            try Data(file.contents).write(to: folder.appendingPathComponent(file.name))
        }
        try BenchmarkRenderer.render(quantized, float: float).write(to: folder.appendingPathComponent("bench.c"), atomically: true, encoding: .utf8)
        let compiler = Toolchain().cCompiler
        let build = try Subprocess.run(compiler, ["-std=c99"] + flags + ["\(quantized.name).c", "\(float.name).c", "bench.c", "-o", "bench", "-lm"], in: folder)
        guard build.status == 0 else { throw RNNError(file: folder.path, "\(compiler) failed building the benchmark:\n\(build.stderr)") }
        let result = try Subprocess.run(folder.appendingPathComponent("bench").path, [String(steps)])
        guard result.status == 0 else { throw RNNError("the benchmark failed: \(result.stderr)") }
        var values: [String: Double] = [:]
        for line in result.stdout.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let v = Double(parts[1]) { values[String(parts[0])] = v }
        }
        guard let integer = values["integer"], let floatNs = values["float"] else { throw RNNError("the benchmark printed no timings: \(result.stdout)") }
        if json {
            stdout("{\"kernel\": \"int8\", \"integer_ns_per_step\": \(String(format: "%.2f", integer)), \"float_ns_per_step\": \(String(format: "%.2f", floatNs)), "
                   + "\"float_over_integer\": \(String(format: "%.3f", floatNs / integer)), \"cflags\": \"\(flags.joined(separator: " "))\"}")
            return
        }
        stdout(["bench \(model.name) (\(path)), batch 1, best of 5 rounds of \(steps) steps, \(compiler) \(flags.joined(separator: " ")):",
                "  int8 kernel  (\(quantized.packingSummary))  \(String(format: "%9.1f", integer)) ns/step",
                "  float kernel (vector width \(float.vectorWidth))  \(String(format: "%9.1f", floatNs)) ns/step",
                "  float/int8   \(String(format: "%.2f", floatNs / integer))×"].joined(separator: "\n"))
    }

    /// A quantized model on a core: the integer kernel's step against the
    /// float kernel of the same model (its real weights; the generate
    /// options shape that one), instructions per step at each level.
    static func integerTargetReport(_ model: Model, path: String, target: Target, options: KernelOptions, levels: [String], steps: Int,
                                    json: Bool, stdout: (String) -> Void) throws {
        let quantized = try IntegerKernelPlan(model: model, options: KernelOptions(language: .c, name: options.name + "_q", target: target.name))
        var floatOptions = options
        floatOptions.name = options.name + "_f"
        let float = try KernelPlan(model: model, options: floatOptions)
        let bench = TargetBench(target: target)
        let results = try levels.map { try bench.run(quantized, float: float, optimization: $0, steps: steps) }
        if json {
            let rows = results.map { r in
                "  {\"target\": \"\(target.name.rawValue)\", \"optimization\": \"\(r.optimization)\", \"kernel\": \"int8\", \"steps\": \(r.steps), "
                    + "\"integer_instructions_per_step\": \(String(format: "%.1f", r.kernelPerStep)), "
                    + "\"float_instructions_per_step\": \(String(format: "%.1f", r.naivePerStep)), \"float_over_integer\": \(String(format: "%.4f", 1 / r.ratio)), "
                    + "\"instructions_per_tick\": \(String(format: "%.4f", r.instructionsPerTick)), \"max_abs_difference\": \(String(format: "%.3g", r.agreement))}"
            }
            stdout("[\n" + rows.joined(separator: ",\n") + "\n]")
            return
        }
        var out = ["bench \(model.name) (\(path)) on \(target.name.rawValue) (\(target.summary)):",
                   "  int8 kernel (\(quantized.packingSummary)) against rnngen's float kernel "
                   + "(\(float.lowering.rawValue) lowering) of the same model; \(steps) steps after a warm-up",
                   "  instructions per time step (QEMU -icount shift=0: instructions, not cycles; timer calibrated at "
                   + "\(String(format: "%.2f", results[0].instructionsPerTick)) instructions per tick, loop overhead "
                   + "\(String(format: "%.1f", results[0].overheadPerStep)) subtracted):",
                   "  level   int8        float      float/int8   max |int8 − float| (dequantized)"]
        for r in results {
            out.append("  " + r.optimization.padding(toLength: 6, withPad: " ", startingAt: 0)
                       + String(format: "%8.1f   %9.1f   %8.2f×      %.2g", r.kernelPerStep, r.naivePerStep, 1 / r.ratio, r.agreement))
        }
        stdout(out.joined(separator: "\n"))
    }

    /// Builds the Swift kernel and its benchmark in `folder/swift` and runs it:
    /// the kernel's vector width and the timings it printed, by name.
    static func swiftTimings(model: Model, options: KernelOptions, parsed: Arguments, folder: URL, steps: Int, batch: Int) throws -> (Int, [String: Double]) {
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
        let step = swiftPlan.supportsStep ? ["-D", "RNNGEN_BENCH_STEP"] : []
        let swiftBuild = try Subprocess.run(swiftc, swiftFlags + step + ["main.swift", "\(swiftPlan.name).swift", "-o", "bench"], in: swiftFolder)
        guard swiftBuild.status == 0 else {
            throw RNNError(file: swiftFolder.path, "\(swiftc) failed building the Swift benchmark:\n\(swiftBuild.stderr)")
        }
        let swiftRun = try Subprocess.run(swiftFolder.appendingPathComponent("bench").path, [String(steps), String(batch)])
        guard swiftRun.status == 0 else { throw RNNError("the Swift benchmark failed: \(swiftRun.stderr)") }
        var values: [String: Double] = [:]
        for line in swiftRun.stdout.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let v = Double(parts[1]) { values[String(parts[0])] = v }
        }
        return (swiftPlan.vectorWidth, values)
    }

    /// `bench --batch B`: run on B items at once beside the items one at a time.
    static func batchReport(plan: KernelPlan, model: Model, path: String, batch: Int, steps: Int, values: [String: Double], flags: [String], compiler: String,
                            swift: (() throws -> (Int, [String: Double]))?, json: Bool) throws -> String {
        let flops = Double(batch) * Double(ModelSummary(model).flopsPerStep)
        var results: [BenchResult] = []
        var out = ["bench \(model.name) (\(path)): run on batch \(batch) (\(Int(flops)) FLOPs per time step of the batch), \(compiler) \(flags.joined(separator: " ")), "
                   + "vector width \(plan.vectorWidth), \(plan.weightType.rawValue) weights, batch tile \(plan.batchTile)"]
        func add(_ lang: String, width: Int, _ batched: Double?, _ items: Double?) throws {
            guard let batched, let items else { throw RNNError("the \(lang) benchmark printed no run timing") }
            for (implementation, ns) in [("kernel", batched), ("kernel_items", items)] {
                results.append(BenchResult(implementation: implementation, lang: lang, vectorWidth: width, batch: batch, fma: plan.options.fusedMultiplyAdd.rawValue,
                                           weightType: plan.weightType.rawValue, nsPerStep: ns, gflops: flops / ns))
            }
            let name = lang == "c" ? "C" : "Swift"
            for (label, ns) in [("\(name) run, batch \(batch)", batched), ("\(name) run, items one by one", items)] {
                out.append("  \(label.padding(toLength: 32, withPad: " ", startingAt: 0)) \(String(format: "%10.1f", ns)) ns/step  \(String(format: "%7.2f", flops / ns)) GFLOP/s")
            }
            out.append("  \(name): the batch is \(String(format: "%.2f", items / batched))× faster than its items one by one")
        }
        try add("c", width: plan.vectorWidth, values["kernel_batch_ns_per_step"], values["kernel_items_ns_per_step"])
        if let swift {
            let (width, timings) = try swift()
            try add("swift", width: width, timings["swift_kernel_batch_ns_per_step"], timings["swift_kernel_items_ns_per_step"])
        }
        if json { return "[\n" + results.map { "  " + $0.json }.joined(separator: ",\n") + "\n]" }
        return out.joined(separator: "\n")
    }
}

/// One timed implementation, as `rnngen bench --json` prints it.
struct BenchResult {
    var implementation: String
    var lang: String
    var vectorWidth: Int?
    var batch: Int
    var fma: String?
    var weightType: String
    var nsPerStep: Double
    var gflops: Double

    var json: String {
        func text(_ s: String?) -> String { s.map { "\"\($0)\"" } ?? "null" }
        return "{\"implementation\": \(text(implementation)), \"lang\": \(text(lang)), \"vector_width\": \(vectorWidth.map(String.init) ?? "null"), "
            + "\"fma\": \(text(fma)), \"weight_type\": \(text(weightType)), \"batch\": \(batch), \"ns_per_step\": \(String(format: "%.2f", nsPerStep)), "
            + "\"gflops\": \(String(format: "%.3f", gflops))}"
    }
}
