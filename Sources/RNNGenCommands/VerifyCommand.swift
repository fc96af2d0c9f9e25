import Foundation
import RNNCodegen
import RNNKernelRunner
import RNNModel

enum VerifyCommand {
    static let help = """
    USAGE: rnngen verify MODEL [--lang c|swift|all] [--trials N] [--seed S]
                        [--vector-width auto|4|8|16] [--fma auto|on|off] [--weight-type f32|f16|bf16|i8] [--weights baked|runtime] [--libm]

    The differential test: generates and compiles MODEL's kernel, runs it and
    the reference interpreter on the same inputs, and prints, per output, the
    largest absolute and relative error and how close it came to the tolerance.
    Exits 1 if any output is beyond it.

    Inputs: zeros; ±1e4 (saturation); ±1e-30 (tiny values); a NaN in one step
    (NaN must appear exactly where the interpreter has it); a batch with every
    sequence length 1…7; given initial states with lengths 0…3; for forward
    models, the streaming step function from given initial states; then N
    random trials (batch 1…4, 1…9 steps, random lengths and initial states).

    Tolerance, one rule for every model and output:
      |kernel − reference| ≤ 1e-4 + 1e-4 · |reference|

    OPTIONS:
      --lang c|swift|all    Kernels to check (default: all).
      --trials N            Random trials after the edge cases (default 20).
      --seed S              Seed of the random inputs (default 1); the same seed
                            gives the same inputs.
      --vector-width N      auto (default), 4, 8 or 16 (see rnngen generate --help).
      --weights baked|runtime
                            How the kernel gets its weights (default baked).
      --libm                C only: use the C library's expf/tanhf/log1pf.
      --fma auto|on|off     Fused multiply-adds (see rnngen generate --help).
      --input NAME=FILE.npy For ONNX models whose weights are graph inputs (W, R,
                            B, P): their values. Repeat for each.
      -h, --help            Show this help.
    """

    static func run(_ args: [String], stdout: (String) -> Void) throws -> Bool {
        let parsed = try Arguments(args, valued: ["input", "lang", "trials", "seed", "vector-width", "weights", "fma", "weight-type"], booleans: ["libm"], command: "verify")
        guard parsed.positionals.count == 1 else {
            throw RNNError(at: "verify", "expected one MODEL argument, found \(parsed.positionals.count) (see rnngen verify --help)")
        }
        let path = parsed.positionals[0]
        let model = try ModelFile.loadModel(path, provided: try RunCommand.readInputs(parsed.options["input"] ?? []))
        let langText = try parsed.single("lang") ?? "all"
        let languages: [KernelOptions.Language]
        switch langText {
        case "all": languages = parsed.switches.contains("libm") ? [.c] : [.c, .swift]
        default:
            guard let language = KernelOptions.Language(rawValue: langText) else {
                throw RNNError(at: "--lang \(langText)", "unknown language (expected c, swift or all)")
            }
            languages = [language]
        }
        let trialsText = try parsed.single("trials") ?? "20"
        guard let trialCount = Int(trialsText), trialCount >= 0, trialCount <= 10_000 else {
            throw RNNError(at: "--trials \(trialsText)", "expected a whole number 0…10000")
        }
        let seedText = try parsed.single("seed") ?? "1"
        guard let seed = UInt64(seedText) else { throw RNNError(at: "--seed \(seedText)", "expected a non-negative whole number") }

        var allPassed = true
        stdout("verify \(model.name) (\(path)): tolerance |kernel − reference| ≤ \(Verifier.absoluteTolerance) + \(Verifier.relativeTolerance)·|reference|, seed \(seed)")
        for language in languages {
            var withLanguage = parsed
            withLanguage.options["lang"] = [language.rawValue]
            let options = try GenerateCommand.options(withLanguage, defaultName: "verified")
            let plan = try KernelPlan(model: model, options: options)
            let program = try KernelCompiler().compile([plan])
            let trials = Verifier.trials(for: model, supportsStep: plan.supportsStep, count: trialCount, seed: seed)
            let reports = try Verifier.verify(plan: plan, program: program, trials: trials)
            stdout("\(language.rawValue) kernel, vector width \(plan.vectorWidth)\(options.vectorWidth == nil ? " (auto)" : ""), multiply-adds \(options.fusedMultiplyAdd.rawValue), \(trials.count) trials:")
            let width = max(6, reports.map(\.output.count).max() ?? 0)
            stdout("  " + "output".padding(toLength: width, withPad: " ", startingAt: 0) + "  max abs err   max rel err   err/tolerance  result")
            for r in reports {
                let verdict = r.passed ? "ok" : "FAIL (\(r.nanMismatch ?? "worst in trial \(r.worstTrial)"))"
                stdout("  " + r.output.padding(toLength: width, withPad: " ", startingAt: 0)
                       + "  " + sci(r.maxAbsoluteError) + "   " + sci(r.maxRelativeError) + "   " + sci(r.worstRatio) + "      " + verdict)
                allPassed = allPassed && r.passed
            }
        }
        stdout(allPassed ? "verify: passed" : "verify: FAILED")
        return allPassed
    }

    static func sci(_ v: Double) -> String {
        let text = String(format: "%.2e", v)
        return text.padding(toLength: 10, withPad: " ", startingAt: 0)
    }
}
