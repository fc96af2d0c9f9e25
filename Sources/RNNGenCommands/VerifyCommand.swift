import Foundation
import RNNCodegen
import RNNKernelRunner
import RNNModel
import RNNReference

enum VerifyCommand {
    static let help = """
    USAGE: rnngen verify MODEL [--target T] [--lang c|swift|all] [--trials N] [--seed S]
                        [--vector-width auto|4|8|16] [--fma auto|on|off] [--weight-type \(WeightType.choices)] [--batch-tile N]
                        [--weights baked|runtime] [--libm] [--sample-rate-delay D]
           rnngen verify MODEL --training --steps K --batch-tile B --loss cross-entropy|mse|esr
                        [--target T] [--lang c|swift|all] [--trials N] [--seed S]

    The differential test: generates and compiles MODEL's kernel, runs it and
    the reference interpreter on the same inputs, and prints, per output, the
    largest absolute and relative error and how close it came to the tolerance.
    Exits 1 if any output is beyond it.

    Inputs: zeros; ±1e4 (saturation); ±1e-30 (tiny values); a NaN in one step
    (NaN must appear exactly where the interpreter has it); a batch with every
    sequence length 1…7; given initial states with lengths 0…3; 9 items with
    lengths 0…6 (run's tiles, full, partial and alone); for forward models,
    the streaming step function from given initial states; then N
    random trials (batch 1…4, 1…9 steps, random lengths and initial states).

    Tolerance, one rule for every model and output:
      |kernel − reference| ≤ 1e-4 + 1e-4 · |reference|

    With --weight-type \(WeightType.narrowListed) the reference runs on the weights as the
    kernel stores them (rounded), under the same tolerance: that checks the
    kernel. The rounding's own effect is then measured apart: the interpreter
    on the rounded weights against the interpreter on the f32 weights, same
    trials, largest |difference| per output; and per matrix, the largest row
    sum of |w − rounded w|, which bounds how far one step moves a
    pre-activation per unit of input magnitude.

    Quantized models (an int8 .tflite, a description rnngen quantize wrote):
    the int8 kernels against the integer interpreter, which must agree on every
    value (no tolerance): a batch with an empty item, saturating inputs, a long
    sequence, real inputs through step_float; then what quantization adds, the
    integer run dequantized against the real weights in double, per output,
    on random sequences within the input's range (--max-added-error E gates
    it). On a target both kernels it builds are checked (Embedded Swift on the
    Cortex-M4, M7 and rv32).

    Training kernels (--training; see rnngen generate --help): each trial is
    one window of K steps for B items, random inputs, labels or targets and a
    random carried state; the kernel's loss, every parameter's gradient, the
    final state, its initial parameter table (exactly), and one step of SGD
    with momentum, Adagrad and Adam (clipping by global norm on) applied to
    the kernel's own gradients, all against the interpreter in float64. The
    tolerances follow from float32's rounding u = 2^-24, n the widest dot
    product, L the layers:
      gradient of a tensor  ≤ 4u·(n + K·L + B·K) · the largest reference
                              gradient of its layer and the layers after it
      loss, final state     ≤ 8u·(n + K·L) · max(1, largest reference value)
      an optimizer step     ≤ 8u·(|w| + |step|) per parameter
    A window with an activation input within float32 rounding of a kink
    (relu's 0, a clip's limit) has no gradient to compare; it is counted.
    (docs/TRAINING.md). Swift on the host; C on the host and every target.

    Targets: with --target, the kernel is cross-compiled with a program that
    holds the same trials as constants, run under emulation, and its outputs
    (printed as float bits) compared on this machine by the same rule:
    \(targetTable)
    A missing cross compiler, C library or emulator is an error naming the
    Debian packages to install.

    OPTIONS:
      --target T            Where the kernel runs (default host): \(Target.Name.allCases.map(\.rawValue).joined(separator: ", ")).
      --lang c|swift|all    Kernels to check (default: all the target builds).
      --trials N            Random trials after the edge cases (default 20).
      --seed S              Seed of the random inputs (default 1); the same seed
                            gives the same inputs.
      --vector-width N      auto (default), 4, 8 or 16 (see rnngen generate --help).
      --weights baked|runtime
                            How the kernel gets its weights (default baked).
      --libm                C only: use the C library's expf/tanhf/log1pf.
      --sample-rate-delay D Sample-rate correction (see rnngen generate --help): the
                            kernel and the interpreter both read states D back.
      --fma auto|on|off     Fused multiply-adds (see rnngen generate --help).
      --weight-type \(WeightType.choices)
                            How the kernel stores weight matrices (default f32; see
                            rnngen generate --help).
      --batch-tile auto|1|2|4|8
                            Items run moves through each cell together (see
                            rnngen generate --help). The trials' batches of 3,
                            4, 7 and 9 items cover full tiles, partial tiles and a
                            lone item.
      --max-added-error E   With a narrow --weight-type, or on a quantized model:
                            also fail if rounding the weights (quantizing) changes
                            any output by more than E.
      --training            Check the training kernel (with --steps, --batch-tile,
                            --loss as rnngen generate takes them; --trials windows).
      --input NAME=FILE.npy For ONNX models whose weights are graph inputs (W, R,
                            B, P): their values. Repeat for each.
      -h, --help            Show this help.
    """

    static var targetTable: String {
        Target.all.map { target in
            "  " + target.name.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0) + target.summary + "; "
                + target.languages.map { $0 == .swift && target.name != .host ? "Embedded Swift" : $0.rawValue == "c" ? "C" : "Swift" }.joined(separator: " and ")
                + (target.emulator.isEmpty ? "" : "; runs under \(target.emulator[0])" + (target.emulator.count > 2 && target.emulator[1] == "-M" ? " -M \(target.emulator[2])" : ""))
        }.joined(separator: "\n")
    }

    static func run(_ args: [String], stdout: (String) -> Void) throws -> Bool {
        let parsed = try Arguments(args, valued: ["target", "input", "lang", "trials", "seed", "vector-width", "weights", "fma", "weight-type", "batch-tile", "sample-rate-delay", "max-added-error", "lowering", "steps", "loss"], booleans: ["libm", "training"], command: "verify")
        guard parsed.positionals.count == 1 else {
            throw RNNError(at: "verify", "expected one MODEL argument, found \(parsed.positionals.count) (see rnngen verify --help)")
        }
        let path = parsed.positionals[0]
        let model = try ModelFile.loadModel(path, provided: try RunCommand.readInputs(parsed.options["input"] ?? []))
        let target = try Target.named(try parsed.single("target") ?? "host")
        let langText = try parsed.single("lang") ?? "all"
        let languages: [KernelOptions.Language]
        switch langText {
        case "all": languages = parsed.switches.contains("libm") ? [.c] : target.languages
        default:
            guard let language = KernelOptions.Language(rawValue: langText) else {
                throw RNNError(at: "--lang \(Quote.text(langText))", "unknown language (expected c, swift or all)")
            }
            guard target.languages.contains(language) else {
                throw RNNError(at: "--lang \(langText)", "--target \(target.name.rawValue) builds \(target.languages.map(\.rawValue).joined(separator: " and ")) kernels only")
            }
            languages = [language]
        }
        // Before any kernel is built: a missing toolchain is the first thing to say.
        for language in languages { try target.requireTools(language, run: true) }
        let trialsText = try parsed.single("trials") ?? "20"
        guard let trialCount = Int(trialsText), trialCount >= 0, trialCount <= 10_000 else {
            throw RNNError(at: "--trials \(trialsText)", "expected a whole number 0…10000")
        }
        let seedText = try parsed.single("seed") ?? "1"
        guard let seed = UInt64(seedText) else { throw RNNError(at: "--seed \(seedText)", "expected a non-negative whole number") }

        // Checked before any kernel is built.
        var maxAdded: Double?
        if let text = try parsed.single("max-added-error") {
            guard let value = Double(text), value >= 0, value.isFinite else {
                throw RNNError(at: "--max-added-error \(text)", "expected a non-negative number, e.g. 1e-3")
            }
            maxAdded = value
        }
        let weightType = try GenerateCommand.weightType(parsed)
        let narrowType = weightType == .f32 ? nil : weightType
        if maxAdded != nil && narrowType == nil && !model.isQuantized {
            throw RNNError(at: "--max-added-error", "only means something with --weight-type \(WeightType.narrowListed)")
        }
        if parsed.switches.contains("training") {
            return try verifyTraining(model, path: path, parsed: parsed, target: target, languages: languages,
                                      seed: seed, trials: parsed.options["trials"] == nil ? 3 : trialCount, stdout: stdout)
        }
        if model.isQuantized {
            return try verifyInteger(model, path: path, parsed: parsed, target: target, languages: languages,
                                     seed: seed, trialCount: trialCount, limit: maxAdded, stdout: stdout)
        }
        var allPassed = true
        let on = target.name == .host ? "" : " on \(target.name.rawValue) (\(target.summary))"
        stdout("verify \(model.name) (\(path))\(on): tolerance |kernel − reference| ≤ \(Verifier.absoluteTolerance) + \(Verifier.relativeTolerance)·|reference|, seed \(seed)")
        for language in languages {
            var withLanguage = parsed
            withLanguage.options["lang"] = [language.rawValue]
            let options = try GenerateCommand.options(withLanguage, defaultName: "verified")
            let plan = try KernelPlan(model: model, options: options)
            let trials = Verifier.trials(for: plan.model, supportsStep: plan.supportsStep, count: trialCount, seed: seed)
            let reports = target.name == .host
                ? try Verifier.verify(plan: plan, program: try KernelCompiler().compile([plan]), trials: trials)
                : try Verifier.verify(plan: plan, on: TargetRunner(target: target), trials: trials)
            stdout("\(language.rawValue) kernel, \(plan.lowering == .scalar ? "scalar lowering, \(plan.vectorWidth) units per block" : "vector width \(plan.vectorWidth)")\(options.vectorWidth == nil ? " (auto)" : ""), multiply-adds \(options.fusedMultiplyAdd.rawValue), \(trials.count) trials:")
            let width = max(6, reports.map(\.output.count).max() ?? 0)
            stdout("  " + "output".padding(toLength: width, withPad: " ", startingAt: 0) + "  max abs err   max rel err   err/tolerance  result")
            for r in reports {
                let verdict = r.passed ? "ok" : "FAIL (\(r.nanMismatch ?? "worst in trial \(r.worstTrial)"))"
                stdout("  " + r.output.padding(toLength: width, withPad: " ", startingAt: 0)
                       + "  " + sci(r.maxAbsoluteError) + "   " + sci(r.maxRelativeError) + "   " + sci(r.worstRatio) + "      " + verdict)
                allPassed = allPassed && r.passed
            }
            if let skipped = reports.first(where: { $0.itemsBeyondFloat > 0 })?.itemsBeyondFloat {
                stdout("  \(skipped) batch item\(skipped == 1 ? "" : "s") over the trials not compared: the float64 reference left float32's range (±3.4e38) there, where no float32 kernel can follow")
            }
        }
        if let type = narrowType {
            let delayed = try GenerateCommand.sampleRateDelay(parsed).map { model.withSampleRateDelay($0) } ?? model
            let passed = try reportRounding(delayed, type, trialCount: trialCount, seed: seed, limit: maxAdded, stdout: stdout)
            allPassed = allPassed && passed
        }
        stdout(allPassed ? "verify: passed" : "verify: FAILED")
        return allPassed
    }

    /// A training kernel against the interpreter's float64 gradients, `trials` windows per language.
    static func verifyTraining(_ model: Model, path: String, parsed: Arguments, target: Target, languages: [KernelOptions.Language],
                               seed: UInt64, trials: Int, stdout: (String) -> Void) throws -> Bool {
        var parsed = parsed
        parsed.options["target"] = nil
        parsed.options["trials"] = nil
        parsed.options["seed"] = nil
        let checked = target.name == .host ? languages : languages.filter { $0 == .c }
        let on = target.name == .host ? "" : " on \(target.name.rawValue) (\(target.summary))"
        stdout("verify \(model.name) (\(path))\(on): training kernels against the interpreter's float64 gradients, \(trials) window\(trials == 1 ? "" : "s"), seed \(seed)")
        if checked.count < languages.count { stdout("  (Swift training kernels are checked on the host; C here)") }
        var allPassed = true
        for language in checked {
            var withLanguage = parsed
            withLanguage.options["lang"] = [language.rawValue]
            var options = try GenerateCommand.trainingOptions(withLanguage, defaultName: "verified")
            let cases = (0..<trials).map { k -> TrainingVerifier.Case in
                options.name = "verified_\(k)"
                return TrainingVerifier.Case(model: model, options: options, seed: seed &+ UInt64(k))
            }
            let reports = try TrainingVerifier().verify(cases, target: target)
            stdout("\(language.rawValue) training kernel, \(options.steps) steps, batch tile \(options.batchTile), \(options.loss.rawValue):")
            // Per check, the worst window (a window at a kink has no gradient checks).
            var names: [String] = []
            for report in reports { for c in report.checks where !names.contains(c.what) { names.append(c.what) } }
            let width = max(5, names.map(\.count).max() ?? 0)
            stdout("  " + "check".padding(toLength: width, withPad: " ", startingAt: 0) + "  max abs err   bound         err/bound  result")
            for name in names {
                let worst = reports.flatMap { $0.checks.filter { $0.what == name } }.max { a, b in ratio(a) < ratio(b) }!
                stdout("  " + name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + sci(worst.worst) + "   " + sci(worst.bound)
                       + "   " + sci(ratio(worst)) + "  " + (worst.passed ? "ok" : "FAIL"))
                allPassed = allPassed && worst.passed
            }
            let kinks = reports.filter(\.atKink).count
            if kinks > 0 {
                stdout("  \(kinks) of \(reports.count) windows had an activation input within float32 rounding of a kink (relu's 0, a clip's limit, …), where float32 and float64 may take different sides: their gradients are not compared")
            }
        }
        stdout(allPassed ? "verify: passed" : "verify: FAILED")
        return allPassed
    }

    static func ratio(_ c: TrainingVerifier.Check) -> Double { c.bound > 0 ? c.worst / c.bound : (c.worst > 0 ? .infinity : 0) }

    /// A quantized model: its integer kernels against the integer
    /// interpreter, value for value; then what quantization adds: the
    /// integer run, dequantized, against the model's real weights in double.
    static func verifyInteger(_ model: Model, path: String, parsed: Arguments, target: Target, languages: [KernelOptions.Language],
                              seed: UInt64, trialCount: Int, limit: Double?, stdout: (String) -> Void) throws -> Bool {
        let on = target.name == .host ? "" : " on \(target.name.rawValue) (\(target.summary))"
        stdout("verify \(model.name) (\(path))\(on): integer kernels, equal to the integer interpreter value for value (TFLite Micro's arithmetic), seed \(seed)")
        var allPassed = true
        for language in languages {
            var withLanguage = parsed
            withLanguage.options["lang"] = [language.rawValue]
            let options = try GenerateCommand.options(withLanguage, defaultName: "verified")
            let plan = try IntegerKernelPlan(model: model, options: options)
            let reports = try IntegerVerifier.verify([(plan, IntegerVerifier.cases(for: plan, seed: seed))], language: language, target: target)
            stdout("\(language.rawValue) integer kernel (\(plan.packingSummary)):")
            let width = max(4, reports.map(\.name.count).max() ?? 0)
            for r in reports {
                stdout("  " + r.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  \(r.values) values, \(r.mismatches) differ  "
                       + (r.passed ? "ok" : "FAIL (first: \(r.first ?? ""))"))
                allPassed = allPassed && r.passed
            }
        }
        let passed = try reportQuantization(model, trialCount: trialCount, seed: seed, limit: limit, stdout: stdout)
        allPassed = allPassed && passed
        stdout(allPassed ? "verify: passed" : "verify: FAILED")
        return allPassed
    }

    /// What quantization adds, per output: the integer interpreter (real
    /// inputs quantized, outputs dequantized) against the double-precision
    /// interpreter on the model's real weights, on random sequences within
    /// the input's quantized range. False if over `limit`.
    static func reportQuantization(_ model: Model, trialCount: Int, seed: UInt64, limit: Double?, stdout: (String) -> Void) throws -> Bool {
        let integer = try IntegerInterpreter(model: model), exact = ReferenceInterpreter(model: model)
        let q = integer.inputQuantization
        let low = q.dequantize(-128), high = q.dequantize(127)
        var rng = SplitMix64(seed: seed)
        var added: [String: Double] = [:], order: [String] = []
        for _ in 0..<max(trialCount, 1) {
            let B = Int(rng.next() % 4) + 1, T = Int(rng.next() % 24) + 1
            let shape = model.layout == .timeMajor ? [T, B, model.inputSize] : [B, T, model.inputSize]
            let x = Tensor(shape: shape, values: (0..<(B * T * model.inputSize)).map { _ in rng.uniform(low, high) })
            let got = try integer.run(ModelInputs(x: x)), want = try exact.run(ModelInputs(x: x))
            var pairs = [("y", got.y, want.y)]
            for (name, tensor) in want.finalStates.sorted(by: { $0.key < $1.key }) { if let other = got.finalStates[name] { pairs.append((name.description, other, tensor)) } }
            for (name, a, b) in pairs {
                if added[name] == nil { order.append(name) }
                added[name] = zip(a.values, b.values).reduce(added[name] ?? 0) { max($0, abs($1.0 - $1.1)) }
            }
        }
        let outputScale = integer.outputQuantization.scale
        stdout("what quantization adds (integer run, dequantized, vs the real weights in double; \(max(trialCount, 1)) random sequences within the input's range [\(Float(low)), \(Float(high))]):")
        return printAdded(order, added, limit: limit, stdout: stdout) { name, value in name == "y" ? String(format: " (%.1f output steps)", value / outputScale) : "" }
    }

    /// One line per output: its largest |Δ| (and `note`), checked against `limit`. False if any is over.
    static func printAdded(_ order: [String], _ added: [String: Double], limit: Double?, stdout: (String) -> Void,
                           note: (String, Double) -> String = { _, _ in "" }) -> Bool {
        var passed = true
        for name in order {
            let value = added[name]!
            let over = limit.map { value > $0 } ?? false
            passed = passed && !over
            stdout("  " + name.padding(toLength: 12, withPad: " ", startingAt: 0) + "  max |Δ| " + String(format: "%.2e", value) + note(name, value)
                   + (limit.map { over ? "  FAIL (over --max-added-error \($0))" : "  ok (≤ \($0))" } ?? ""))
        }
        return passed
    }

    /// The rounding's own effect: the interpreter on the stored weights
    /// against the interpreter on the given ones. False if it exceeds `limit`.
    static func reportRounding(_ model: Model, _ type: WeightType, trialCount: Int, seed: UInt64, limit: Double?,
                               stdout: (String) -> Void) throws -> Bool {
        let stored = try model.withStoredWeights(type)
        let supportsStep = !model.stacks.contains { $0.direction != .forward }
        let trials = Verifier.trials(for: model, supportsStep: supportsStep, count: trialCount, seed: seed)
        var added: [String: Double] = [:]
        var order: [String] = []
        func add(_ name: String, _ a: Tensor, _ b: Tensor) {
            if added[name] == nil { order.append(name) }
            var largest = added[name] ?? 0
            for (x, y) in zip(a.values, b.values) where x.isFinite && y.isFinite { largest = max(largest, abs(x - y)) }
            added[name] = largest
        }
        let exact = ReferenceInterpreter(model: model), rounded = ReferenceInterpreter(model: stored)
        for trial in trials where !trial.streaming {
            let want = try exact.run(trial.inputs), got = try rounded.run(trial.inputs)
            add("y", got.y, want.y)
            if let head = want.head, let other = got.head { add("head", other, head) }
            for (name, tensor) in want.finalStates.sorted(by: { $0.key < $1.key }) {
                if let other = got.finalStates[name] { add(name.description, other, tensor) }
            }
        }
        stdout("weights stored as \(type.rawValue): what rounding adds (interpreter on rounded weights vs on f32 weights, same trials):")
        let passed = printAdded(order, added, limit: limit, stdout: stdout)
        let report = WeightRoundingReport(model, stored: stored, as: type)
        stdout("  per matrix, largest |Δw| and largest row sum Σ_j |Δw_rj| (one step moves a pre-activation by at most")
        stdout("  that sum × the largest |input| of the matrix):")
        for m in report.matrices {
            stdout("    " + m.name.padding(toLength: 18, withPad: " ", startingAt: 0) + sci(m.largestChange) + "  " + String(format: "%.2e", m.largestRowChange))
        }
        return passed
    }

    static func sci(_ v: Double) -> String {
        let text = String(format: "%.2e", v)
        return text.padding(toLength: 10, withPad: " ", startingAt: 0)
    }
}
