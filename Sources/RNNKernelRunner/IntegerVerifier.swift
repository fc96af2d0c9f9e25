import Foundation
import KernelTemplates
import RNNCodegen
import RNNModel
import RNNReference

/// Proves integer kernels equal to the integer interpreter: builds one
/// program for the kernels and their cases (`IntegerProgramRenderer`) for a
/// target, runs it (natively or under the target's emulator), and compares
/// every printed value with the interpreter's. Equality, not a tolerance.
public enum IntegerVerifier {
    /// One case of one kernel: how many values it printed and how many differ.
    public struct Report: Equatable {
        public var kernel: String
        public var name: String
        public var values: Int
        public var mismatches: Int
        /// The first difference, for the error: `y[12]: kernel 5, interpreter 6`.
        public var first: String?
        public var passed: Bool { mismatches == 0 }
    }

    /// The cases `rnngen verify` runs: a batch with a long, an empty and a
    /// short item; extreme inputs (saturation); a long sequence; and real
    /// inputs through the float step (beyond the input's range too).
    public static func cases(for plan: IntegerKernelPlan, seed: UInt64 = 0x1ab5) -> [IntegerCase] {
        var rng = SplitMix64(seed: seed)
        let I = plan.inputSize
        func int8s(_ n: Int, _ pick: (inout SplitMix64) -> Int8) -> [Int8] { (0..<n).map { _ in pick(&rng) } }
        let uniform: (inout SplitMix64) -> Int8 = { Int8(truncatingIfNeeded: Int($0.next() % 256) - 128) }
        let extreme: (inout SplitMix64) -> Int8 = { $0.next() % 2 == 0 ? -128 : 127 }
        var cases = [
            IntegerCase(name: "batch 3, lengths 6, 0, 4", batch: 3, steps: 6, x: int8s(3 * 6 * I, uniform), lengths: [6, 0, 4]),
            IntegerCase(name: "extreme inputs (saturating the gates)", batch: 2, steps: 5, x: int8s(2 * 5 * I, extreme), lengths: [5, 5]),
            IntegerCase(name: "one sequence of 40 steps", batch: 1, steps: 40, x: int8s(40 * I, uniform), lengths: [40]),
        ]
        let q = plan.input
        let low = q.dequantize(-128), high = q.dequantize(127), span = high - low
        cases.append(IntegerCase(name: "real inputs through the float step", steps: 12,
                                 real: (0..<(12 * I)).map { _ in Float(low - 0.25 * span + rng.uniform(0, 1.5 * span)) }))
        return cases
    }

    /// The lines the program prints for `c`, as the interpreter computes them.
    static func expected(_ interpreter: IntegerInterpreter, _ plan: IntegerKernelPlan, _ c: IntegerCase) throws -> [(label: String, values: [Int64])] {
        let model = plan.model, I = plan.inputSize
        if c.isReal {
            let shape = model.layout == .timeMajor ? [c.steps, 1, I] : [1, c.steps, I]
            let y = try interpreter.run(ModelInputs(x: Tensor(shape: shape, values: c.real.map(Double.init)))).y
            return [("yf", y.values.map { Int64(Float($0).bitPattern) })]
        }
        let B = c.batch, T = c.steps
        let x = Tensor(shape: model.layout == .timeMajor ? [T, B, I] : [B, T, I], elementType: .int8, values: c.x.map(Double.init))
        let (y, final) = interpreter.runIntegers(x, lengths: c.lengths)
        let flat = y.values.map { Int64($0) }
        var lines: [(String, [Int64])] = [("y", flat)]
        for b in 0..<B {
            for (k, layer) in plan.layers.enumerated() {
                lines.append(("h\(k)", final.h[k][b].map(Int64.init)))
                if layer.kind == .lstm { lines.append(("c\(k)", final.c[k][b].map(Int64.init))) }
            }
        }
        return lines
    }

    /// The program's sources and build steps for `language` on `target`.
    public static func build(_ runs: [(plan: IntegerKernelPlan, cases: [IntegerCase])], language: KernelOptions.Language,
                      target: Target, toolchain: Toolchain) throws -> (directory: URL, program: String) {
        var sources = try runs.flatMap { try KernelGenerator.generate($0.plan).map { ($0.name, $0.contents) } }
        let steps: [(String, [String])]
        let program: String
        switch (language, target.name) {
        case (.c, .host):
            sources.append(("program.c", Array(IntegerProgramRenderer.c(runs).utf8)))
            program = "program"
            steps = [(toolchain.cCompiler, ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror"] + toolchain.cFlags + sources.map(\.0).filter { $0.hasSuffix(".c") } + ["-o", program])]
        case (.swift, .host):
            sources.append(("program.swift", Array(IntegerProgramRenderer.swift(runs).utf8)))
            program = "program"
            steps = [(toolchain.swiftCompiler, ["-O", "-wmo", "-parse-as-library"] + toolchain.swiftFlags + sources.map(\.0).filter { $0.hasSuffix(".swift") } + ["-o", program])]
        case (.c, _):
            sources.append(("program.c", Array(IntegerProgramRenderer.c(runs).utf8)))
            sources += target.supportSources
            program = "program.elf"
            steps = [(target.cCompiler, target.cFlags("-O2") + ["-Werror"] + sources.map(\.0).filter { $0.hasSuffix(".c") } + target.linkFlags + ["-o", program])]
        case (.swift, _):
            // Embedded Swift, linked with the board's start-up code and C library.
            sources.append(("program.swift", Array(IntegerProgramRenderer.swift(runs).utf8)))
            sources.append(("swift_support.c", Array(KernelTemplates.c["embedded_swift_support.c"]!.utf8)))
            sources += target.supportSources
            program = "program.elf"
            let startup = target.supportSources.map(\.0).filter { $0.hasSuffix(".c") }
            steps = [(toolchain.swiftCompiler, target.swiftFlags + Target.embeddedSwiftFlags + ["-c"] + sources.map(\.0).filter { $0.hasSuffix(".swift") } + ["-o", "program.o"]),
                     (target.cCompiler, target.cFlags("-O2") + ["program.o"] + startup + ["swift_support.c"] + target.linkFlags + target.swiftLinkFlags + ["-o", program])]
        }
        let directory = try BuildCache(toolchain.cacheDirectory).build(kind: "integer-\(target.name.rawValue)-\(language.rawValue)", sources: sources, steps: steps,
                                                                       what: "the integer \(language.rawValue) kernels for \(target.name.rawValue)")
        return (directory, program)
    }

    /// Builds, runs and compares; one report per case of every kernel.
    public static func verify(_ runs: [(plan: IntegerKernelPlan, cases: [IntegerCase])], language: KernelOptions.Language,
                              target: Target, toolchain: Toolchain = Toolchain(), timeout: Double = 600) throws -> [Report] {
        guard !runs.isEmpty else { return [] }
        if target.name != .host {
            guard target.languages.contains(language) else {
                throw RNNError(at: "--target \(target.name.rawValue)", "builds \(target.languages.map(\.rawValue).joined(separator: " and ")) kernels, not \(language.rawValue)")
            }
            try target.requireTools(language, run: true, swiftCompiler: toolchain.swiftCompiler)
        }
        let (directory, program) = try build(runs, language: language, target: target, toolchain: toolchain)
        let executable = directory.appendingPathComponent(program)
        let printed: String, place: String
        if target.name == .host {
            let result = try Subprocess.run(executable.path, [], timeout: timeout)
            guard result.status == 0, !result.timedOut else {
                throw RNNError(file: executable.path, "the integer check program failed (status \(result.status)): \(Quote.text(result.stderr, limit: 300))")
            }
            printed = result.stdout
            place = executable.path
        } else {
            let run = try target.emulate(executable, marker: IntegerProgramRenderer.endMarker, timeout: timeout)
            printed = run.printed
            place = run.place
        }
        return try compare(printed, runs, place: place)
    }

    /// Reads the program's output and compares every value.
    public static func compare(_ text: String, _ runs: [(plan: IntegerKernelPlan, cases: [IntegerCase])], place: String) throws -> [Report] {
        let lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        func fail(_ message: String) -> RNNError {
            RNNError(file: place, "\(message); last output: \(lines.suffix(2).map { Quote.text($0, limit: 100) }.joined(separator: " | "))")
        }
        var cursor = lines.firstIndex { $0.hasPrefix(IntegerProgramRenderer.caseMarker) } ?? 0
        var reports: [Report] = []
        for (plan, cases) in runs {
            let interpreter = try IntegerInterpreter(model: plan.model)
            for (index, c) in cases.enumerated() {
                guard cursor < lines.count, lines[cursor] == "\(IntegerProgramRenderer.caseMarker) \(plan.name) \(index)" else {
                    throw fail("the program stopped before case \(index) (\(c.name)) of \(plan.name)")
                }
                cursor += 1
                var report = Report(kernel: plan.name, name: c.name, values: 0, mismatches: 0, first: nil)
                for (label, want) in try expected(interpreter, plan, c) {
                    guard cursor < lines.count else { throw fail("output ends inside case \(index) of \(plan.name)") }
                    let words = lines[cursor].split(separator: " ")
                    cursor += 1
                    guard words.first.map(String.init) == label, words.count == want.count + 1 else {
                        throw fail("case \(index) of \(plan.name): expected \(label) with \(want.count) values, found \(Quote.text(String(words.first ?? ""), limit: 20)) with \(max(words.count - 1, 0))")
                    }
                    for (k, word) in words.dropFirst().enumerated() {
                        guard let got = label == "yf" ? UInt32(word, radix: 16).map(Int64.init) : Int64(word) else {
                            throw fail("case \(index) of \(plan.name): \(label) holds \(Quote.text(String(word), limit: 20))")
                        }
                        report.values += 1
                        if got != want[k] {
                            report.mismatches += 1
                            if report.first == nil {
                                let show = { (v: Int64) in label == "yf" ? "\(Float(bitPattern: UInt32(v)))" : "\(v)" }
                                report.first = "\(label)[\(k)]: kernel \(show(got)), interpreter \(show(want[k]))"
                            }
                        }
                    }
                }
                reports.append(report)
            }
        }
        guard cursor < lines.count, lines[cursor] == IntegerProgramRenderer.endMarker else { throw fail("no \(IntegerProgramRenderer.endMarker) after the last case") }
        return reports
    }
}
