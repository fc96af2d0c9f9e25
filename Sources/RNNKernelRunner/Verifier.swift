import RNNCodegen
import RNNModel
import RNNReference

/// The differential test behind `rnngen verify`: a compiled kernel against
/// the reference interpreter on random and edge inputs.
///
/// Tolerance, one rule for every model and output:
///   |kernel − reference| ≤ absoluteTolerance + relativeTolerance · |reference|,
/// and NaN (or an infinity) exactly where the reference has it.
public struct Verifier {
    public static let absoluteTolerance = 1e-4
    public static let relativeTolerance = 1e-4

    public struct Trial {
        public var name: String
        public var inputs: ModelInputs
        /// Run through `step` (streaming) instead of `run`.
        public var streaming: Bool

        public init(name: String, inputs: ModelInputs, streaming: Bool = false) {
            (self.name, self.inputs, self.streaming) = (name, inputs, streaming)
        }
    }

    /// Errors of one output over all trials.
    public struct OutputReport {
        public var output: String
        public var maxAbsoluteError = 0.0
        public var maxRelativeError = 0.0
        /// Largest error / allowed error; ≤ 1 passes.
        public var worstRatio = 0.0
        public var worstTrial = ""
        /// The first NaN or infinity that the kernel and the reference disagree on.
        public var nanMismatch: String?
        /// Batch items not compared because the reference left Float's range.
        public var itemsBeyondFloat = 0
        public var passed: Bool { worstRatio <= 1 && nanMismatch == nil }

        public init(output: String) { self.output = output }
    }

    public static func allowed(_ reference: Double) -> Double { absoluteTolerance + relativeTolerance * abs(reference) }

    /// Random and edge trials: zeros, ±1e4, tiny values, NaN, every sequence
    /// length 1…T in one batch, given initial states, then `count` random ones.
    public static func trials(for model: Model, supportsStep: Bool,
                              count: Int, seed: UInt64) -> [Trial] {
        var random = RandomInputs(model: model, seed: seed)
        func sequence(_ B: Int, _ T: Int, _ value: (inout SplitMix64) -> Double) -> Tensor { random.sequence(B, T, value) }
        func states(_ B: Int) -> [StateName: Tensor] { random.states(B, scale: 1) }
        var trials: [Trial] = []
        trials.append(Trial(name: "zeros", inputs: ModelInputs(x: sequence(2, 4) { _ in 0 }), streaming: false))
        trials.append(Trial(name: "large ±1e4", inputs: ModelInputs(x: sequence(2, 5) { $0.uniform(0, 1) < 0.5 ? -1e4 : 1e4 }), streaming: false))
        trials.append(Trial(name: "tiny ±1e-30", inputs: ModelInputs(x: sequence(2, 5) { $0.uniform(-1, 1) * 1e-30 }), streaming: false))
        var nan = sequence(3, 5) { $0.uniform(-1, 1) }
        nan.values[model.inputSize] = .nan  // one feature of one step of one item
        trials.append(Trial(name: "NaN in one step", inputs: ModelInputs(x: nan), streaming: false))
        let T = 7
        trials.append(Trial(name: "every length 1…\(T)", inputs: ModelInputs(x: sequence(T, T) { $0.uniform(-2, 2) }, sequenceLengths: Array(1...T)), streaming: false))
        trials.append(Trial(name: "initial states, lengths 0…3", inputs: ModelInputs(x: sequence(4, 3) { $0.uniform(-1, 1) },
                                                                                sequenceLengths: [0, 1, 2, 3], initialStates: states(4)), streaming: false))
        // Two full tiles of four and one item alone, with lengths that end
        // at different steps inside a tile and one that is empty.
        trials.append(Trial(name: "batch 9, lengths 0…6, initial states", inputs: ModelInputs(x: sequence(9, 6) { $0.uniform(-1, 1) },
                                                                                          sequenceLengths: [6, 1, 0, 5, 3, 6, 2, 4, 5], initialStates: states(9)), streaming: false))
        if supportsStep {
            trials.append(Trial(name: "streaming step, initial states", inputs: ModelInputs(x: sequence(3, 6) { $0.uniform(-1, 1) }, initialStates: states(3)), streaming: true))
        }
        for index in 0..<count {
            let B = Int(random.rng.next() % 4) + 1, steps = Int(random.rng.next() % 9) + 1
            let scale = [0.1, 1, 3][Int(random.rng.next() % 3)]
            var inputs = ModelInputs(x: sequence(B, steps) { $0.uniform(-scale, scale) })
            if random.rng.next() % 2 == 0 { inputs.sequenceLengths = (0..<B).map { _ in Int(random.rng.next() % UInt64(steps + 1)) } }
            if random.rng.next() % 2 == 0 { inputs.initialStates = states(B) }
            trials.append(Trial(name: "random \(index + 1) (B=\(B), T=\(steps), scale \(scale))", inputs: inputs, streaming: false))
        }
        return trials
    }

    /// Compares one output tensor into `report`.
    /// Whether a reference value is, rounded to Float, an infinity: beyond
    /// ±3.4e38 (or infinite already).
    static func overflowsFloat(_ v: Double) -> Bool { !v.isNaN && Float(v).isInfinite }

    public static func compare(_ got: Tensor, _ want: Tensor, trial: String, into report: inout OutputReport) {
        guard got.shape == want.shape else {
            report.nanMismatch = "\(trial): shape \(got.shapeDescription), expected \(want.shapeDescription)"
            return
        }
        for (k, exact) in zip(got.values, want.values) {
            // The reference computes in Double; a value beyond Float's range
            // is, rounded to the kernel's Float, that infinity: the kernel's
            // overflow is then the right answer, not a mismatch.
            let r = exact.isFinite && overflowsFloat(exact) ? Double(Float(exact)) : exact
            // NaN exactly where the reference has NaN, an infinity exactly
            // where it has the same infinity.
            if r.isNaN || k.isNaN || r.isInfinite || k.isInfinite {
                let same = r.isNaN ? k.isNaN : k == r
                if !same, report.nanMismatch == nil {
                    report.nanMismatch = "\(trial): kernel gave \(k) where the reference gave \(r)"
                }
                continue
            }
            let error = abs(k - r)
            report.maxAbsoluteError = max(report.maxAbsoluteError, error)
            // Relative error is reported where it means something: above the absolute tolerance.
            if abs(r) >= absoluteTolerance { report.maxRelativeError = max(report.maxRelativeError, error / abs(r)) }
            let ratio = error / allowed(r)
            if ratio > report.worstRatio {
                report.worstRatio = ratio
                report.worstTrial = trial
            }
        }
    }

    /// Runs every trial through the kernel and the interpreter.
    public static func verify(plan: KernelPlan, program: KernelCompiler.Program, trials: [Trial]) throws -> [OutputReport] {
        try verify(plan: plan, trials: trials) { _, trial in try program.run(plan.name, trial.inputs, step: trial.streaming) }
    }

    /// Runs every trial through the kernel on `target` (one program, one
    /// emulated run) and the interpreter.
    public static func verify(plan: KernelPlan, on runner: TargetRunner, trials: [Trial]) throws -> [OutputReport] {
        let cases = try trials.map { try KernelCase($0.name, streaming: $0.streaming, inputs: $0.inputs, plan: plan) }
        let outputs = try runner.run(plan, cases: cases)
        return try verify(plan: plan, trials: trials) { index, _ in
            let c = cases[index], raw = outputs[index]
            return KernelIO.outputs(plan, batch: c.batch, steps: c.steps, y: raw.y, finalState: raw.finalState, head: raw.head)
        }
    }

    /// Compares `kernel`'s outputs for each trial (by index) with the interpreter's.
    public static func verify(plan: KernelPlan, trials: [Trial], kernel: (Int, Trial) throws -> ModelOutputs) throws -> [OutputReport] {
        var reports: [String: OutputReport] = [:]
        func add(_ name: String, _ got: Tensor, _ want: Tensor, _ trial: String) {
            var report = reports[name] ?? OutputReport(output: name)
            compare(got, want, trial: trial, into: &report)
            reports[name] = report
        }
        let interpreter = ReferenceInterpreter(model: plan.model)
        for (index, trial) in trials.enumerated() {
            let want = try interpreter.run(trial.inputs)
            let got = try kernel(index, trial)
            // An item whose reference leaves Float's range somewhere (an
            // output or a state beyond ±3.4e38) cannot be followed by a float
            // kernel past that point: 0·∞ is NaN in Float where Double still
            // has 0. Such items are left out of the comparison and counted.
            let timeMajor = plan.model.layout == .timeMajor
            let B = want.y.shape[timeMajor ? 1 : 0], T = want.y.shape[timeMajor ? 0 : 1], F = want.y.shape[2]
            func yItem(_ i: Int) -> Int { timeMajor ? (i / max(F, 1)) % max(B, 1) : i / max(T * F, 1) }
            func rowItem(_ t: Tensor) -> (Int) -> Int { { i in i / max(t.count / max(B, 1), 1) } }
            var outside = Set<Int>()
            func scan(_ t: Tensor, _ item: (Int) -> Int) { for (i, v) in t.values.enumerated() where overflowsFloat(v) { outside.insert(item(i)) } }
            scan(want.y, yItem)
            if let head = want.head { scan(head, rowItem(head)) }
            for tensor in want.finalStates.values { scan(tensor, rowItem(tensor)) }
            func kept(_ t: Tensor, _ item: (Int) -> Int) -> Tensor {
                guard !outside.isEmpty else { return t }
                var copy = t
                for i in copy.values.indices where outside.contains(item(i)) { copy.values[i] = 0 }
                return copy
            }
            func compareKept(_ name: String, _ got: Tensor, _ want: Tensor, _ item: (Int) -> Int) {
                add(name, got.shape == want.shape ? kept(got, item) : got, kept(want, item), trial.name)
                reports[name]!.itemsBeyondFloat += outside.count
            }
            compareKept("y", got.y, want.y, yItem)
            if let head = want.head, let gotHead = got.head { compareKept("head", gotHead, head, rowItem(head)) }
            for (name, tensor) in want.finalStates {
                guard let other = got.finalStates[name] else { continue }
                compareKept(name.description, other, tensor, rowItem(tensor))
            }
        }
        let order = ["y", "head"] + plan.states.map { $0.name.description }
        return order.compactMap { reports[$0] }
    }
}
