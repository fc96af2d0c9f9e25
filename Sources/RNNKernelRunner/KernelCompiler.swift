import Foundation
import RNNCodegen
import RNNModel
import RNNReference

/// Builds generated kernels together with the test harness into one
/// program, cached by content hash, and runs them on model inputs.
public struct KernelCompiler {
    public var toolchain: Toolchain

    public init(toolchain: Toolchain = Toolchain()) { self.toolchain = toolchain }

    /// A harness program holding one or more kernels.
    public struct Program {
        public let executable: URL
        public let plans: [String: KernelPlan]
        /// Where the sources are (kept for inspection when something fails).
        public let sourceDirectory: URL
    }

    /// Compiles `plans` (all of one language) into one harness program.
    public func compile(_ plans: [KernelPlan]) throws -> Program {
        guard let language = plans.first?.options.language else { throw RNNError("nothing to compile") }
        var sources = try plans.flatMap(KernelGenerator.buildSources)
        let command: [String]
        let compiler: String
        switch language {
        case .c:
            sources.append(("harness.c", Array(HarnessRenderer.c(plans).utf8)))
            compiler = toolchain.cCompiler
            command = ["-std=c99", "-O2", "-Wall", "-Wextra"] + toolchain.cFlags
                + sources.map(\.0).filter { $0.hasSuffix(".c") } + ["-o", "harness", "-lm"]
        case .swift:
            sources.append(("main.swift", Array(HarnessRenderer.swift(plans).utf8)))
            compiler = toolchain.swiftCompiler
            command = ["-O", "-wmo"] + toolchain.swiftFlags + sources.map(\.0).filter { $0.hasSuffix(".swift") } + ["-o", "harness"]
        }
        let directory = try BuildCache(toolchain.cacheDirectory).build(kind: language.rawValue, sources: sources, steps: [(compiler, command)],
                                                                       what: "the generated kernel")
        let executable = directory.appendingPathComponent("harness")
        let byName = Dictionary(uniqueKeysWithValues: plans.map { ($0.name, $0) })
        return Program(executable: executable, plans: byName, sourceDirectory: directory)
    }
}

extension KernelCompiler.Program {
    /// Runs kernel `name` on `inputs` through `run` (whole sequences) or
    /// `step` (streaming: every step of every item, no padding).
    public func run(_ name: String, _ inputs: ModelInputs, step: Bool = false) throws -> ModelOutputs {
        guard let plan = plans[name] else { throw RNNError("no kernel named \(name) in this program") }
        let model = plan.model
        let x = inputs.x
        guard x.rank == 3, x.shape[2] == model.inputSize else {
            throw RNNError(at: "x", "expected [\(model.layout == .timeMajor ? "T, B" : "B, T"), \(model.inputSize)], found \(x.shapeDescription)")
        }
        let (B, T) = KernelIO.batchAndSteps(model, x)
        try ModelInputs.checkSize(model, batch: B, steps: T)
        if let lengths = inputs.sequenceLengths {
            guard lengths.count == B else { throw RNNError(at: "seq_lens", "expected \(B) sequence lengths (one per batch item), found \(lengths.count)") }
            for (b, length) in lengths.enumerated() where length < 0 || length > T {
                throw RNNError(at: "seq_lens", "item \(b) has length \(length), expected 0…\(T)")
            }
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rnngen-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        func floats(_ values: [Double]) -> Data {
            var data = Data(capacity: values.count * 4)
            for v in values { withUnsafeBytes(of: Float(v).bitPattern.littleEndian) { data.append(contentsOf: $0) } }
            return data
        }
        try floats(x.values).write(to: directory.appendingPathComponent("x.bin"))
        if let lengths = inputs.sequenceLengths {
            var data = Data()
            for l in lengths { withUnsafeBytes(of: Int32(l).littleEndian) { data.append(contentsOf: $0) } }
            try data.write(to: directory.appendingPathComponent("lens.bin"))
        }
        let hasInitial = !inputs.initialStates.isEmpty
        if hasInitial {
            try floats(try KernelIO.flatStates(plan, inputs.initialStates, batch: B)).write(to: directory.appendingPathComponent("initial.bin"))
        }
        if plan.options.weights == .runtime {
            try Data(KernelGenerator.packedWeightBytes(plan)).write(to: directory.appendingPathComponent("weights.bin"))
        }
        let meta = "\(B) \(T) \(inputs.sequenceLengths == nil ? 0 : 1) \(hasInitial ? 1 : 0)\n"
        try meta.write(to: directory.appendingPathComponent("meta.txt"), atomically: true, encoding: .utf8)

        let result = try Subprocess.run(executable.path, [name, step ? "step" : "run", directory.path, directory.path])
        guard result.status == 0 else {
            throw RNNError(file: executable.path, "the compiled kernel failed (status \(result.status)): \(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        func read(_ file: String, _ count: Int) throws -> [Double] {
            let data = try Data(contentsOf: directory.appendingPathComponent(file))
            guard data.count == count * 4 else { throw RNNError(file: file, "expected \(count * 4) bytes from the kernel, found \(data.count)") }
            return data.withUnsafeBytes { raw in
                (0..<count).map { Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))) }
            }
        }
        let y = try read("y.bin", T * B * plan.outputSize), finalState = try read("final.bin", B * plan.stateFloats)
        let head = try plan.head.map { try read("head.bin", B * $0.outputs) }
        return KernelIO.outputs(plan, batch: B, steps: T, y: y, finalState: finalState, head: head)
    }
}

/// A compiled kernel as a model executor: generates, compiles (cached) and
/// runs the kernel for whatever model it is given.
public struct KernelEngine: ModelExecutor {
    /// How to generate the kernel; its name is chosen per compile.
    public var options: KernelOptions
    public var compiler: KernelCompiler

    public init(_ options: KernelOptions, compiler: KernelCompiler = KernelCompiler()) {
        self.options = options
        self.compiler = compiler
    }

    public init(language: KernelOptions.Language, vectorWidth: Int? = nil, compiler: KernelCompiler = KernelCompiler()) {
        self.init(KernelOptions(language: language, name: "rnnkernel", vectorWidth: vectorWidth), compiler: compiler)
    }

    /// The engine's options under another symbol prefix.
    public func options(name: String) -> KernelOptions {
        var named = options
        named.name = name
        return named
    }

    public func run(_ model: Model, _ inputs: ModelInputs) throws -> ModelOutputs {
        let plan = try KernelPlan(model: model, options: options)
        return try compiler.compile([plan]).run(plan.name, inputs)
    }
}
