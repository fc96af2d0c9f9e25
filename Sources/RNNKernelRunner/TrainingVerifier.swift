import Foundation
import RNNCodegen
import RNNModel
import RNNReference

/// `rnngen verify --training`: builds a model's training kernel with a
/// harness, runs one window of random inputs through it from a random
/// carried state, and compares with the interpreter in float64: the loss,
/// every parameter's gradient, the final state, the initial parameter
/// table, and one step of each optimizer applied to the kernel's own
/// gradients.
///
/// Tolerances (docs/TRAINING.md, "How training kernels are checked"): the
/// kernel computes in float32 (unit roundoff u = 2⁻²⁴). A gradient entry is
/// a sum over the tile's B items and K steps of products that went through
/// up to K·L chained steps of dot products of at most n = max fan-in
/// terms; each adds relative errors of at most about n·u. So each
/// parameter tensor's gradient is compared normwise:
/// max |kernel − reference| ≤ 4·u·(n + K·L + B·K)·m, m the largest
/// reference gradient of the tensor's layer and of the layers after it
/// (whose gradients it is computed from: where its own sums cancel, their
/// rounding remains); where all of those are below 1e-30, below 1e-30. The
/// loss and the final state use u·(n + K·L)·8 relative to their largest
/// magnitude (at least 1). The optimizer step: |Δw| ≤ 8u·(|w| + |lr·step|).
public struct TrainingVerifier {
    public var toolchain: Toolchain

    public init(toolchain: Toolchain = Toolchain()) { self.toolchain = toolchain }

    public struct Check: Sendable {
        public var what: String
        public var worst: Double
        public var bound: Double
        public var passed: Bool { worst <= bound }
    }

    public struct Report: Sendable {
        public var checks: [Check]
        /// The window had an activation input within float32 rounding of a
        /// kink (`TrainingPlan.closestKink`): its gradients are not compared.
        public var atKink = false
        public var passed: Bool { checks.allSatisfy(\.passed) }
        /// The largest ratio of error to bound.
        public var worstRatio: Double { checks.map { $0.bound > 0 ? $0.worst / $0.bound : ($0.worst > 0 ? .infinity : 0) }.max() ?? 0 }
    }

    /// Optimizer settings the harness uses (the reference runs the same).
    static let learningRate = 0.05, momentum = 0.9, clipNorm = 0.5, adagradStart = 0.1
    static let beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8

    /// One model to check: its training options and the seed of its random window.
    public struct Case {
        public var model: Model
        public var options: TrainingOptions
        public var seed: UInt64
        public init(model: Model, options: TrainingOptions, seed: UInt64) { (self.model, self.options, self.seed) = (model, options, seed) }
    }

    public func verify(_ model: Model, options: TrainingOptions, seed: UInt64) throws -> Report {
        try verify([Case(model: model, options: options, seed: seed)])[0]
    }

    /// Checks several models (all of one language) built into one program,
    /// run on `target` (C on any; Swift on the host).
    public func verify(_ cases: [Case], target: Target? = nil) throws -> [Report] {
        guard let language = cases.first?.options.language else { return [] }
        guard cases.allSatisfy({ $0.options.language == language }) else { throw RNNError(at: "verify --training", "one language per batch of kernels") }
        guard Set(cases.map(\.options.name)).count == cases.count else { throw RNNError(at: "verify --training", "kernel names must differ within a batch") }
        let target = try target ?? Target.named("host")
        if target.name != .host && language == .swift {
            throw RNNError(at: "--target \(target.name.rawValue)", "training kernels are checked on microcontrollers in C; check the Swift kernel on the host")
        }
        let plans = try cases.map { try TrainingPlan(model: $0.model, options: $0.options) }
        let windows = zip(cases, plans).map { Window($0.0, plan: $0.1) }
        let outputs = try run(plans, windows: windows, target: target)
        return try zip(zip(cases, plans), zip(windows, outputs)).map { try compare($0.0.0, plan: $0.0.1, window: $0.1.0, out: $0.1.1) }
    }

    /// One random window: the inputs, labels or targets, carried state and the
    /// harness's input words (float bits, int32 labels).
    struct Window {
        var x: [Double], state: [Double], labels: [Int], targets: [Double], scale: Double
        var words: [UInt32]

        init(_ c: Case, plan: TrainingPlan) {
            var rng = SplitMix64(seed: c.seed)
            let K = plan.steps, B = plan.batchTile, I = plan.inputSize, F = plan.outputSize
            x = (0..<(B * K * I)).map { _ in Double(Float(rng.uniform(-1.5, 1.5))) }
            state = (0..<plan.stateFloats).map { _ in Double(Float(rng.uniform(-0.8, 0.8))) }
            labels = (0..<(B * K)).map { _ in Int(rng.next() % UInt64(F)) }
            targets = (0..<(B * K * F)).map { _ in Double(Float(rng.uniform(-1, 1))) }
            scale = c.options.loss == .crossEntropy ? 1 / Double(B * K) : 1 / Double(B * K * F)
            var words: [UInt32] = []
            func append(_ values: [Double]) { words += values.map { Float($0).bitPattern } }
            append(c.model.parameters.flatMap { $0.value.values })
            append(state)
            append(x)
            if c.options.loss == .crossEntropy { words += labels.map { UInt32(bitPattern: Int32($0)) } } else { append(targets) }
            append([scale, TrainingVerifier.learningRate, TrainingVerifier.momentum, TrainingVerifier.clipNorm, TrainingVerifier.adagradStart,
                    TrainingVerifier.beta1, TrainingVerifier.beta2, TrainingVerifier.epsilon])
            self.words = words
        }
    }

    /// The floats the harness writes for one kernel.
    static func outputCount(_ plan: TrainingPlan) -> Int { 5 * plan.parameterCount + plan.stateFloats + plan.workspaceFloats + 4 }

    func compare(_ c: Case, plan: TrainingPlan, window: Window, out: [Double]) throws -> Report {
        let (model, options) = (c.model, c.options)
        let K = plan.steps, B = plan.batchTile, I = plan.inputSize, F = plan.outputSize, P = plan.parameterCount
        let params = model.parameters.flatMap { $0.value.values }
        let (xValues, stateValues, labels, targets) = (window.x, window.state, window.labels, window.targets)

        // The interpreter: the model's own layout, the carried state as initial states.
        let batchMajor = Tensor(shape: [B, K, I], values: xValues)
        let x = model.layout.arranging(batchMajor: batchMajor)
        var states: [StateName: Tensor] = [:]
        var offset = 0
        for (name, size) in model.stateNames {
            states[name] = Tensor(shape: [B, size], values: Array(stateValues[offset..<(offset + B * size)]))
            offset += B * size
        }
        let loss: Loss
        switch options.loss {
        case .crossEntropy:
            loss = .crossEntropy(labels: (0..<B).map { b in Array(labels[(b * K)..<((b + 1) * K)]) })
        case .squaredError:
            let target = Tensor(shape: [B, K, F], values: targets)
            loss = .meanSquaredError(target: model.layout.arranging(batchMajor: target))
        }
        let reference = try ReferenceGradients(model: model).gradients(ModelInputs(x: x, initialStates: states), loss: loss)

        // The kernel's outputs.
        guard out.count == TrainingVerifier.outputCount(plan) else {
            throw RNNError(at: "training kernel \(options.name)", "the harness wrote \(out.count) floats, expected \(TrainingVerifier.outputCount(plan))")
        }
        var cursor = 0
        func take(_ n: Int) -> [Double] {
            defer { cursor += n }
            return Array(out[cursor..<(cursor + n)])
        }
        let initial = take(P), kernelLoss = take(1)[0], grads = take(P), finalState = take(plan.stateFloats), workspace = take(plan.workspaceFloats)
        let stepped = [take(P), take(P), take(P)]
        let leftover = take(3)

        let u = pow(2.0, -24.0)
        let fanIn = plan.stagesFanIn
        let depth = plan.layerCount
        var checks: [Check] = []
        let exactInitial = zip(initial, params).map { abs($0 - Double(Float($1))) }.max() ?? 0
        checks.append(Check(what: "initial parameter table", worst: exactInitial, bound: 0))
        let valueBound = 8 * u * Double(fanIn + K * depth)
        checks.append(Check(what: "loss", worst: abs(kernelLoss - reference.loss), bound: valueBound * max(1, abs(reference.loss))))
        var finalExpected: [Double] = []
        for (name, _) in model.stateNames { finalExpected += reference.outputs.finalStates[name]?.values ?? [] }
        let stateWorst = zip(finalState, finalExpected).map { abs($0 - $1) }.max() ?? 0
        checks.append(Check(what: "final state", worst: stateWorst, bound: valueBound * max(1, finalExpected.map(abs).max() ?? 0)))
        let gradientFactor = 4 * u * Double(fanIn + K * depth + B * K)
        let atKink = plan.closestKink(workspace: workspace, x: xValues) < valueBound
        // A layer's gradients are sums of its gate (or output) gradients times
        // inputs, states and ones of magnitude about 1, and those come from the
        // gradients of the layers after it: their rounding has the size of the
        // largest of these, even where the layer's own sums cancel to almost
        // nothing. So each tensor is compared against the largest reference
        // gradient of its layer and of every layer after it.
        func position(_ name: ParameterName) -> (Int, Int) { (name.stage, name.layer ?? 0) }
        let magnitudes = plan.parameterLayout.indices.map { k in reference.parameters[k].gradient.map(abs).max() ?? 0 }
        func downstream(_ name: ParameterName) -> Double {
            zip(plan.parameterLayout, magnitudes).filter { position($0.0.name) >= position(name) }.map(\.1).max() ?? 0
        }
        for (k, entry) in plan.parameterLayout.enumerated() where !atKink {
            let r = reference.parameters[k].gradient
            let g = Array(grads[entry.offset..<(entry.offset + entry.count)])
            let worst = zip(g, r).map { abs($0 - $1) }.max() ?? 0
            let magnitude = downstream(entry.name)
            checks.append(Check(what: "gradient of \(entry.name)", worst: worst, bound: magnitude < 1e-30 ? 1e-30 : gradientFactor * magnitude))
        }

        // One step of each optimizer on the kernel's own gradients, in float64.
        let gradientLists = plan.parameterLayout.map { entry in Array(grads[entry.offset..<(entry.offset + entry.count)]) }
        let floatModel = try model.replacingAll(params.map { Double(Float($0)) }, layout: plan.parameterLayout)
        let rules: [(String, OptimizerRule)] = [("SGD with momentum", .sgd(momentum: TrainingVerifier.momentum)),
                                                ("Adagrad", .adagrad(initialAccumulator: TrainingVerifier.adagradStart)),
                                                ("Adam", .adam(beta1: TrainingVerifier.beta1, beta2: TrainingVerifier.beta2, epsilon: TrainingVerifier.epsilon))]
        for (k, (what, rule)) in rules.enumerated() {
            var optimizer = Optimizer(rule: rule, learningRate: TrainingVerifier.learningRate, clipNorm: TrainingVerifier.clipNorm, for: model)
            let next = try optimizer.step(floatModel, gradients: gradientLists).parameters.flatMap { $0.value.values }
            var worst = 0.0, bound = 0.0, ratio = -1.0
            for i in 0..<P {
                let error = abs(stepped[k][i] - next[i])
                let allowed = 8 * u * (abs(next[i]) + abs(next[i] - Double(Float(params[i])))) + 1e-30
                if error / allowed > ratio { (worst, bound, ratio) = (error, allowed, error / allowed) }
            }
            checks.append(Check(what: "one \(what) step", worst: worst, bound: bound))
        }
        checks.append(Check(what: "gradients zeroed by the optimizer steps", worst: leftover.map(abs).max() ?? 0, bound: 0))
        return Report(checks: checks, atKink: atKink)
    }

    // MARK: - The harness

    /// Builds the kernels with their harness and runs it: C with the windows
    /// compiled in, printing every output as hex words (the same program on
    /// the host and under a microcontroller's emulator); Swift on the host,
    /// reading the windows from files.
    func run(_ plans: [TrainingPlan], windows: [Window], target: Target) throws -> [[Double]] {
        var sources = plans.flatMap { TrainingRenderer(plan: $0).render().map { ($0.file, Array($0.text.utf8)) } }
        let cache = BuildCache(toolchain.cacheDirectory)
        switch plans[0].options.language {
        case .c:
            try target.requireTools(.c, run: true)
            sources.append(("harness.c", Array(TrainingHarness.c(plans, inputs: windows.map(\.words)).utf8)))
            let host = target.name == .host
            let compiler = host ? toolchain.cCompiler : target.cCompiler
            let flags = host ? ["-std=c99", "-O2", "-Wall", "-Wextra"] + toolchain.cFlags : target.cFlags("-O2")
            sources += target.supportSources
            let command = flags + ["-Werror"] + sources.map(\.0).filter { $0.hasSuffix(".c") } + target.linkFlags + ["-o", "harness"]
            let directory = try cache.build(kind: "train-\(target.name.rawValue)-c", sources: sources, steps: [(compiler, command)],
                                            what: "the generated training kernels")
            let program = directory.appendingPathComponent("harness")
            let printed: String
            if host {
                let result = try Subprocess.run(program.path, [], timeout: 600)
                guard result.status == 0 else { throw RNNError(at: "training kernels", "the harness failed (status \(result.status)): \(result.stderr.prefix(400))") }
                printed = result.stdout
            } else {
                let run = try target.emulate(program, marker: TrainingHarness.marker, timeout: 1800)
                guard run.status == 0 else { throw RNNError(file: run.place, "the harness failed (status \(run.status)): \(run.other.prefix(400))") }
                printed = run.printed
            }
            return try TrainingHarness.parse(printed, names: plans.map(\.options.name))
        case .swift:
            sources.append(("main.swift", Array(TrainingHarness.swift(plans).utf8)))
            let command = ["-O", "-wmo", "-warnings-as-errors"] + toolchain.swiftFlags + sources.map(\.0).filter { $0.hasSuffix(".swift") } + ["-o", "harness"]
            let directory = try cache.build(kind: "train-swift", sources: sources, steps: [(toolchain.swiftCompiler, command)],
                                            what: "the generated training kernels")
            return try zip(plans, windows).map { plan, window in
                try TrainingHarness.runFiles(directory.appendingPathComponent("harness"), name: plan.options.name, words: window.words,
                                             floats: TrainingVerifier.outputCount(plan))
            }
        }
    }
}

extension TrainingPlan {
    /// The widest dot product a step takes: the largest input plus hidden size of a layer, or a dense layer's inputs.
    var stagesFanIn: Int {
        model.stages.map { stage -> Int in
            switch stage {
            case .recurrent(let s): return s.layers.map { $0.cells[0].inputSize + $0.cells[0].hiddenSize }.max() ?? 0
            case .dense(let d), .head(let d): return d.inputSize
            default: return 1
            }
        }.max() ?? 1
    }

    /// Recurrent layers plus dense layers: the depth a gradient passes through.
    var layerCount: Int {
        model.stages.reduce(0) { total, stage in
            switch stage {
            case .recurrent(let s): return total + s.layers.count
            case .dense: return total + 1
            default: return total
            }
        }
    }
}

extension Model {
    /// The model with every parameter taken from a flat table laid out as `layout`.
    func replacingAll(_ table: [Double], layout: [(name: ParameterName, offset: Int, count: Int)]) throws -> Model {
        var model = self
        for entry in layout {
            guard let next = model.replacing(entry.name, with: Array(table[entry.offset..<(entry.offset + entry.count)])) else {
                throw RNNError(at: "\(entry.name)", "could not be set")
            }
            model = next
        }
        return model
    }
}

/// The programs that run a training kernel once for `TrainingVerifier`:
/// read the inputs, take the initial table, one window's gradients, and one
/// step of each optimizer from the same start; write everything out.
enum TrainingHarness {
    static let marker = "rnngen-training"

    /// The C harness: every kernel's window compiled in as words, every
    /// output printed as a hex word, one kernel after another between markers.
    static func c(_ plans: [TrainingPlan], inputs: [[UInt32]]) -> String {
        let includes = plans.map { "#include \"\($0.options.name)_train.h\"" }.joined(separator: "\n")
        let calls = plans.map { "    printf(\"\(marker) \($0.options.name)\\n\");\n    run_\($0.options.name)();" }.joined(separator: "\n")
        return """
        #include <stdio.h>
        #include <stdint.h>
        #include <string.h>
        \(includes)

        static const uint32_t *input;
        static void take(void *to, size_t words) { memcpy(to, input, words * 4); input += words; }
        static void put(const float *from, size_t count)
        {
            for (size_t i = 0; i < count; ++i) {
                uint32_t bits;
                memcpy(&bits, from + i, 4);
                printf("%08lx\\n", (unsigned long)bits);
            }
        }

        \(zip(plans, inputs).map { c($0.0, input: $0.1) }.joined(separator: "\n"))
        int main(void)
        {
        \(calls)
            printf("\(marker) end\\n");
            return 0;
        }

        """
    }

    static func c(_ plan: TrainingPlan, input: [UInt32]) -> String {
        let n = plan.options.name, p = "\(n)_train", P = plan.parameterCount
        let K = plan.steps, B = plan.batchTile
        let labels = plan.options.loss == .crossEntropy
        let targetCount = labels ? B * K : B * K * plan.outputSize
        let words = stride(from: 0, to: input.count, by: 8).map { start in
            "    " + input[start..<min(start + 8, input.count)].map { String(format: "0x%08x", $0) }.joined(separator: ", ") + ","
        }
        return """
        static const uint32_t input_\(n)[\(input.count)] = {
        \(words.joined(separator: "\n"))
        };

        static void run_\(n)(void)
        {
            static float params[\(P)], start[\(P)], grads[\(P)], copy[\(P)], state[\(max(plan.stateFloats, 1))], work[\(max(plan.workspaceFloats, 1))];
            static float x[\(B * K * plan.inputSize)], opt[\(2 * P + 2)];
            static \(labels ? "int32_t" : "float") target[\(targetCount)];
            float settings[8], left[3];
            input = input_\(n);
            take(start, \(P)); take(state, \(plan.stateFloats)); take(x, \(B * K * plan.inputSize)); take(target, \(targetCount)); take(settings, 8);
            \(p)_initial_parameters(params);
            put(params, \(P));
            memset(grads, 0, sizeof grads);
            const float loss = \(p)_gradients(start, state, x, target, settings[0], grads, work);
            put(&loss, 1);
            put(grads, \(P));
            put(state, \(plan.stateFloats));
            put(work, \(plan.workspaceFloats));
            /* SGD with momentum */
            memcpy(params, start, sizeof params); memcpy(copy, grads, sizeof copy); memset(opt, 0, sizeof opt);
            \(p)_sgd(params, copy, opt, settings[1], settings[2], settings[3]);
            put(params, \(P));
            left[0] = 0.0f; for (int i = 0; i < \(P); ++i) left[0] += copy[i] < 0 ? -copy[i] : copy[i];
            /* Adagrad */
            memcpy(params, start, sizeof params); memcpy(copy, grads, sizeof copy);
            for (int i = 0; i < \(P); ++i) opt[i] = settings[4];
            \(p)_adagrad(params, copy, opt, settings[1], settings[3]);
            put(params, \(P));
            left[1] = 0.0f; for (int i = 0; i < \(P); ++i) left[1] += copy[i] < 0 ? -copy[i] : copy[i];
            /* Adam */
            memcpy(params, start, sizeof params); memcpy(copy, grads, sizeof copy); memset(opt, 0, sizeof opt);
            opt[\(2 * P)] = 1.0f; opt[\(2 * P + 1)] = 1.0f;
            \(p)_adam(params, copy, opt, settings[1], settings[5], settings[6], settings[7], settings[3]);
            put(params, \(P));
            left[2] = 0.0f; for (int i = 0; i < \(P); ++i) left[2] += copy[i] < 0 ? -copy[i] : copy[i];
            put(left, 3);
        }

        """
    }

    /// Each kernel's printed floats, by the markers.
    static func parse(_ printed: String, names: [String]) throws -> [[Double]] {
        var sections: [String: [Double]] = [:]
        var current: String? = nil
        var ended = false
        for line in printed.split(whereSeparator: \.isNewline) {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.hasPrefix(marker + " ") {
                let name = String(text.dropFirst(marker.count + 1))
                if name == "end" { ended = true; current = nil } else { current = name; sections[name] = [] }
                continue
            }
            guard let name = current else { continue }
            guard let bits = UInt32(text, radix: 16) else { throw RNNError(at: "training harness", "unexpected output line \(Quote.text(text))") }
            sections[name]!.append(Double(Float(bitPattern: bits)))
        }
        guard ended else { throw RNNError(at: "training harness", "the program stopped before the end (\(printed.suffix(300)))") }
        return try names.map { name in
            guard let values = sections[name] else { throw RNNError(at: "training harness", "printed nothing for \(name)") }
            return values
        }
    }

    /// Runs the Swift harness on one kernel's window through files.
    static func runFiles(_ executable: URL, name: String, words: [UInt32], floats: Int) throws -> [Double] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rnngen-train-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let inPath = directory.appendingPathComponent("in.bin"), outPath = directory.appendingPathComponent("out.bin")
        var input = Data()
        for w in words { withUnsafeBytes(of: w.littleEndian) { input.append(contentsOf: $0) } }
        try input.write(to: inPath)
        let result = try Subprocess.run(executable.path, [inPath.path, outPath.path, name], timeout: 600)
        guard result.status == 0 else {
            throw RNNError(at: "training kernel \(name)", "the harness failed (status \(result.status)): \(result.stderr.prefix(400))")
        }
        let data = try Data(contentsOf: outPath)
        guard data.count == floats * 4 else { throw RNNError(at: "training kernel \(name)", "the harness wrote \(data.count) bytes, expected \(floats * 4)") }
        return data.withUnsafeBytes { raw in (0..<floats).map { Double(Float(bitPattern: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) } }
    }

    static func swift(_ plans: [TrainingPlan]) -> String {
        let dispatch = plans.map { "case \"\($0.options.name)\": run_\($0.options.name)(arguments[1], arguments[2])" }.joined(separator: "\n")
        return """
        import Foundation

        let arguments = CommandLine.arguments
        guard arguments.count == 4 else { exit(2) }

        /// Floats read from `input` at `cursor`, into memory of their own.
        func floats(_ input: Data, _ cursor: inout Int, _ count: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
            p.initialize(repeating: 0, count: max(count, 1))
            let at = cursor
            input.withUnsafeBytes { raw in for i in 0..<count { p[i] = Float(bitPattern: raw.loadUnaligned(fromByteOffset: at + 4 * i, as: UInt32.self)) } }
            cursor += 4 * count
            return p
        }

        \(plans.map(swift).joined(separator: "\n"))
        switch arguments[3] {
        \(dispatch)
        default: exit(7)
        }

        """
    }

    static func swift(_ plan: TrainingPlan) -> String {
        let type = "\(SwiftTypeName.derive(plan.options.name))Training", P = plan.parameterCount
        let labels = plan.options.loss == .crossEntropy
        let K = plan.steps, B = plan.batchTile
        let targetCount = labels ? B * K : B * K * plan.outputSize
        return """
        func run_\(plan.options.name)(_ inPath: String, _ outPath: String) {
        guard let input = FileManager.default.contents(atPath: inPath) else { exit(3) }
        var cursor = 0
        let start = floats(input, &cursor, \(P)), state = floats(input, &cursor, \(plan.stateFloats)), x = floats(input, &cursor, \(B * K * plan.inputSize))
        let targetFloats = floats(input, &cursor, \(targetCount))
        let settings = floats(input, &cursor, 8)
        let params = UnsafeMutablePointer<Float>.allocate(capacity: \(P)), grads = UnsafeMutablePointer<Float>.allocate(capacity: \(P))
        let copy = UnsafeMutablePointer<Float>.allocate(capacity: \(P)), opt = UnsafeMutablePointer<Float>.allocate(capacity: \(2 * P + 2))
        let work = UnsafeMutablePointer<Float>.allocate(capacity: \(max(plan.workspaceFloats, 1)))
        var out: [Float] = []
        func put(_ p: UnsafePointer<Float>, _ count: Int) { for i in 0..<count { out.append(p[i]) } }
        \(type).initialParameters(params: params)
        put(params, \(P))
        grads.initialize(repeating: 0, count: \(P))
        \(labels ? "let loss = targetFloats.withMemoryRebound(to: Int32.self, capacity: \(targetCount)) { \(type).gradients(params: start, state: state, x: x, labels: $0, scale: settings[0], grads: grads, work: work) }" : "let loss = \(type).gradients(params: start, state: state, x: x, target: targetFloats, scale: settings[0], grads: grads, work: work)")
        out.append(loss)
        put(grads, \(P))
        put(state, \(plan.stateFloats))
        put(work, \(plan.workspaceFloats))
        var left: [Float] = []
        func restart() {
            params.update(from: start, count: \(P))
            copy.update(from: grads, count: \(P))
            opt.update(repeating: 0, count: \(2 * P + 2))
        }
        func leftover() { left.append((0..<\(P)).reduce(Float(0)) { $0 + copy[$1].magnitude }) }
        restart()
        \(type).sgd(params: params, grads: copy, velocity: opt, learningRate: settings[1], momentum: settings[2], clipNorm: settings[3])
        put(params, \(P)); leftover()
        restart()
        opt.update(repeating: settings[4], count: \(P))
        \(type).adagrad(params: params, grads: copy, accumulator: opt, learningRate: settings[1], clipNorm: settings[3])
        put(params, \(P)); leftover()
        restart()
        opt[\(2 * P)] = 1; opt[\(2 * P + 1)] = 1
        \(type).adam(params: params, grads: copy, moments: opt, learningRate: settings[1], beta1: settings[5], beta2: settings[6], epsilon: settings[7], clipNorm: settings[3])
        put(params, \(P)); leftover()
        out += left
        let data = out.withUnsafeBufferPointer { Data(buffer: $0) }
        guard FileManager.default.createFile(atPath: outPath, contents: data) else { exit(5) }
        }

        """
    }
}
