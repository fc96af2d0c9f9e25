import Foundation
import RNNCodegen
import RNNModel

/// `rnngen bench --target`: instructions per time step of a kernel's `step`
/// and of the naive C step, on an emulated core. QEMU runs with
/// `-icount shift=0,align=off,sleep=off`, so virtual time advances one
/// nanosecond per executed instruction; the program reads a board timer on
/// virtual time and calibrates it against loops of known length. These are
/// instruction counts, not cycles: QEMU models no pipeline or memory timing.
public struct TargetBench {
    public let target: Target
    public var toolchain: Toolchain
    public var timeout: Double = 600

    public init(target: Target, toolchain: Toolchain = Toolchain()) {
        self.target = target
        self.toolchain = toolchain
    }

    /// One build's counts.
    public struct Result: Equatable, Sendable {
        /// The optimisation flag both steps were compiled with (`-O2`).
        public var optimization: String
        public var steps: Int
        /// Instructions per timer tick, from the calibration loops.
        public var instructionsPerTick: Double
        /// Instructions per step of the loop around the steps (subtracted below).
        public var overheadPerStep: Double
        public var kernelPerStep: Double
        public var naivePerStep: Double
        /// Largest |kernel − naive| over 100 steps.
        public var agreement: Double
        public var ratio: Double { kernelPerStep / naivePerStep }
    }

    public static let optimizations = ["-O2", "-Os", "-O3"]

    /// Builds and runs the bench program for `plan` at `optimization`.
    public func run(_ plan: KernelPlan, optimization: String, steps: Int) throws -> Result {
        guard let timer = target.benchTimer else {
            throw RNNError(at: "--target \(target.name.rawValue)", "bench counts instructions on emulated microcontrollers only (cortex-m4, cortex-m7, cortex-m55, cortex-m3, rv32); without --target it times the host")
        }
        guard plan.options.language == .c else { throw RNNError(at: "--lang \(plan.options.language.rawValue)", "bench --target measures C kernels") }
        guard plan.supportsStep, BenchmarkRenderer.supportsNaiveLoop(plan.model) else {
            throw RNNError(at: "bench --target", "needs a model with a step function and a naive loop: one forward stack of RNN, LSTM or GRU cells with default activations and no options, no dense layers")
        }
        try target.requireTools(.c, run: true, swiftCompiler: toolchain.swiftCompiler)
        let sources = try target.programSources(plan) + [("bench.c", Array(TargetBenchRenderer.render(plan, timer: timer, steps: steps).utf8))]
        return try build(sources, kind: "bench", optimization: optimization, baseline: "naive")
    }

    /// Builds a bench program from `sources` at `optimization` (cached), runs
    /// it under the emulator with -icount, and reads its lines.
    func build(_ sources: [(String, [UInt8])], kind: String, optimization: String, baseline: String) throws -> Result {
        let cFiles = sources.map(\.0).filter { $0.hasSuffix(".c") }
        let directory = try BuildCache(toolchain.cacheDirectory).build(
            kind: "\(target.name.rawValue)-\(kind)", sources: sources,
            steps: [(target.cCompiler, target.cFlags(optimization) + cFiles + target.linkFlags + ["-o", "bench.elf"])],
            what: "the \(kind == "bench" ? "bench" : "integer bench") program for \(target.name.rawValue)")
        let run = try target.emulate(directory.appendingPathComponent("bench.elf"), extraFlags: ["-icount", "shift=0,align=off,sleep=off"],
                                     marker: "rnngen-bench", timeout: timeout)
        return try TargetBench.parse(run.printed, optimization: optimization, place: run.place, status: run.status, baseline: baseline)
    }

    /// The integer kernel of a quantized model against the float kernel of
    /// its real weights, on the same core: `kernelPerStep` is the integer
    /// step, `naivePerStep` the float kernel's step, `agreement` how far the
    /// dequantized output is from the float one.
    public func run(_ quantized: IntegerKernelPlan, float: KernelPlan, optimization: String, steps: Int) throws -> Result {
        guard let timer = target.benchTimer else {
            throw RNNError(at: "--target \(target.name.rawValue)", "bench counts instructions on emulated microcontrollers only (cortex-m4, cortex-m7, cortex-m55, cortex-m3, rv32)")
        }
        try target.requireTools(.c, run: true, swiftCompiler: toolchain.swiftCompiler)
        let sources = try KernelGenerator.generate(quantized).map { ($0.name, $0.contents) } + target.programSources(float)
            + [("bench.c", Array(TargetBenchRenderer.render(quantized, float: float, timer: timer, steps: steps).utf8))]
        return try build(sources, kind: "bench-integer", optimization: optimization, baseline: "float")
    }

    /// Reads the bench program's lines; anything missing is an error quoting the output.
    public static func parse(_ text: String, optimization: String, place: String, status: Int32, baseline: String = "naive") throws -> Result {
        var values: [String: [UInt64]] = [:]
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let words = line.split(separator: " ")
            guard words.count >= 3, words[0] == "rnngen-bench" else { continue }
            let radix = words[1] == "agreement" ? 16 : 10
            values[String(words[1])] = words.dropFirst(2).compactMap { UInt64($0, radix: radix) }
        }
        func field(_ name: String, _ count: Int) throws -> [UInt64] {
            guard let v = values[name], v.count == count else {
                let tail = text.split(separator: "\n").suffix(3).joined(separator: " | ")
                throw RNNError(file: place, "no '\(name)' line with \(count) numbers in the bench output (exit status \(status)); last output: \(Quote.text(tail, limit: 300))")
            }
            return v
        }
        let calibration = try field("calibration", 4)
        guard calibration[3] > calibration[1], calibration[2] > calibration[0] else {
            throw RNNError(file: place, "the board timer did not advance during calibration (ticks \(calibration[1]), \(calibration[3])); is QEMU running with -icount?")
        }
        let perTick = Double(calibration[2] - calibration[0]) / Double(calibration[3] - calibration[1])
        let overhead = try field("overhead", 2), kernel = try field("kernel", 2), naive = try field(baseline, 2)
        let steps = Double(kernel[0])
        let overheadPerStep = Double(overhead[1]) * perTick / steps
        guard values["agreement"] != nil, text.contains("rnngen-end") else { throw RNNError(file: place, "the bench program stopped before its end (exit status \(status))") }
        let agreement = Double(Float(bitPattern: UInt32(truncatingIfNeeded: try field("agreement", 1)[0])))
        return Result(optimization: optimization, steps: Int(kernel[0]), instructionsPerTick: perTick, overheadPerStep: overheadPerStep,
                      kernelPerStep: Double(kernel[1]) * perTick / steps - overheadPerStep,
                      naivePerStep: Double(naive[1]) * perTick / steps - overheadPerStep, agreement: agreement)
    }
}
