import Foundation
import RNNCodegen
import RNNKernelRunner
import RNNModel

enum GenerateCommand {
    static let help = """
    USAGE: rnngen generate MODEL --lang c|swift --out DIR [--name NAME]
                          [--target T] [--lowering auto|vector|scalar]
                          [--vector-width auto|4|8|16] [--fma auto|on|off]
                          [--weight-type \(WeightType.choices)] [--batch-tile auto|1|2|4|8]
                          [--weights baked|runtime] [--libm] [--sample-rate-delay D]
                          [--golden | --golden-only [--module M] [--xctest]]
           rnngen generate MODEL --training --lang c|swift --out DIR [--name NAME]
                          --steps K --batch-tile B --loss cross-entropy|mse|esr

    Writes fixed-size inference kernels for every part of MODEL's pipeline:
      --lang c      NAME.h and NAME.c: C99 with GCC/Clang vector extensions;
                    builds warning-free with gcc and clang (-Wall -Wextra) and
                    with arm-none-eabi-gcc for Cortex-M.
      --lang swift  NAME.swift: SIMD4/8/16<Float>, no Foundation; also builds
                    as Embedded Swift.
    Every size is a compile-time constant; weights are constant tables packed
    in the order the loops read them; the state is a caller-owned struct; the
    kernels never allocate. The header comments say how to call them.

    The API of both: reset, set and get the state, step (one frame), process
    (a buffer of interleaved frames, for audio callbacks), head, run (whole
    sequences).

    A quantized model (an int8 .tflite, or a description rnngen quantize wrote)
    gets an int8 kernel instead: TensorFlow Lite Micro's integer LSTM, equal to
    it and to 'rnngen run --quantized' to the bit, with reset, step (int8),
    step_float (real numbers in and out) and run; --target picks how the sums
    are computed (the DSP's dual multiply-adds on Cortex-M4/M7, Helium on the
    M55). Only --lang, --name and --target apply (docs/kernels.md, "Integer
    kernels").

    With --training it writes a training kernel instead (docs/TRAINING.md):
    truncated backpropagation through time over windows of K steps for B items
    per call, the loss and its gradient at every step, gradients added into a
    table the caller owns, and optimizer steps (SGD with momentum, Adagrad,
    Adam; learning rate and clipping by global norm at run time). The weights
    are a mutable table of floats in the order of the model's parameters (the
    header lists it); the state carried from window to window is the caller's.
      --lang c      NAME_train.h and NAME_train.c: C99, with GCC/Clang vector
                    types and the compiler's FMA intrinsics where the target
                    has them (x86, Arm64), plain loops elsewhere (Cortex-M,
                    RISC-V); link with -lm for sqrtf.
      --lang swift  NAMETraining.swift: an enum of static functions on
                    pointers; no Foundation.
      --steps K     Truncation steps per window (1…\(TrainingOptions.maximumSteps)).
      --batch-tile B
                    Items per call (1…\(TrainingOptions.maximumBatchTile)); a batch is several
                    calls whose gradients add up before one optimizer step.
      --loss L      cross-entropy: softmax cross-entropy of the output as
                    logits against an int32 label per item and step.
                    mse, esr: the squared error against a float target (one
                    kernel; the scale passed at run time makes it the mean
                    squared error or the error-to-signal ratio).
    Training kernels take forward stacks of RNN, GRU (both resets) and LSTM
    cells (clip, forget bias, coupled input-forget), dense layers with an
    elementwise activation, activation and residual stages. Peepholes,
    projections, cell_clip, reverse and bidirectional stacks and heads are
    refused by name: rnngen train --engine reference trains those.

    ARGUMENTS:
      MODEL                 A description (*.rnn.json), an ONNX model (*.onnx),
                            a TensorFlow Lite model (*.tflite), RTNeural's model
                            JSON or an amp model's Automated-GuitarAmpModelling
                            JSON (*.json; told apart by content; docs/AUDIO.md).

    OPTIONS:
      --lang c|swift        Output language (required).
      --out DIR             Folder to write into (created if missing). Files are
                            written whole or not at all.
      --name NAME           The kernel's name (default: the model's name); an
                            identifier. C: the prefix of every symbol. Swift: the
                            type is NAME in UpperCamelCase (seed_gru -> SeedGRU;
                            rule in docs/kernels.md). Files are NAME.c/.h/.swift.
      --target T            The core the kernel is for; it sets the defaults of
                            the options below (each given option overrides its
                            part). host (default): any desktop or server CPU.
                            cortex-m4, cortex-m7, rv32 (FPU, no SIMD) and
                            cortex-m3 (no FPU): scalar lowering, 4 units per
                            block, batch tile 1. cortex-m55 (Helium): vectors of
                            4, batch tile 1. aarch64 (NEON): the host's
                            defaults. See docs/EMBEDDED.md.
      --lowering auto|vector|scalar
                            How the kernel's vectors become code. vector: C
                            vector extensions / SIMDn<Float>, for cores with
                            float SIMD. scalar (C only): each lane of a block its
                            own float variable, so accumulators stay in float
                            registers on cores without SIMD, where compilers
                            lower vector types through the stack. auto (default):
                            the target's.
      --vector-width auto|4|8|16
                            Floats per SIMD vector (scalar lowering: hidden units
                            per block). auto (default): 4 on a microcontroller
                            target; on the host and aarch64 the widest of 16, 8
                            and 4 that pads the model's hidden units and dense
                            outputs, weighted by each unit's work, by at most a
                            quarter; if none does, the one with the fewest
                            vector operations (a 16-float vector counting as
                            1¼). On the host, 4 only when every size is 4 or
                            less. Any width runs on any target; the compiler
                            splits vectors wider than its registers.
      --weight-type \(WeightType.choices)
                            How weight matrices (W, R, projections, dense layers)
                            are stored; biases and peepholes stay float, and every
                            product is accumulated in float. f32 (default): as
                            trained. f16: half precision, half the bytes (about 3
                            significant digits; |w| < 65520; |w| < 6.1e-5 becomes
                            0 or ±6.1e-5). bf16: float's range, 8 significant bits.
                            i8: a quarter of the bytes; symmetric 8-bit integers
                            with one float scale per row of each matrix
                            (max|row| / 127). Weights are rounded to nearest;
                            rnngen verify measures the error that adds. Needs
                            --weights baked. See docs/kernels.md.
      --batch-tile auto|1|2|4|8
                            Items the run function moves through each cell together.
                            auto (default): 1 on microcontroller targets and at
                            vector width 4 (flash counts more there), else 4. Every
                            weight is read once per time step
                            for the whole tile, a matrix-matrix product, so a batch
                            runs several times faster than its items one by one
                            where weights stream from cache. A tile of one item
                            runs alone on the batch-1 path; an item's result never
                            depends on the others (it may differ from a run of the
                            item alone by rounding: its sums are taken in another
                            order). 1: items one after another and the smallest
                            code (the tiled functions add about the size of one
                            cell step per item). step is not affected.
      --weights baked|runtime
                            baked (default): weights compiled in as constant tables.
                            runtime: every function takes the packed weights as a
                            parameter, written to NAME.weights.bin, so weights can be
                            updated without regenerating for the same architecture.
      --libm                C only: use expf/tanhf/log1pf from the C library instead
                            of rnngen's approximations (link with -lm).
      --sample-rate-delay D Sample-rate correction on every recurrent layer: run a
                            model trained at one rate at another, D = the rate it
                            runs at / the rate it was trained at (96000/48000 = 2;
                            1…64). Each step reads the state D steps back,
                            interpolated linearly for a fractional D, and the state
                            holds the last ⌈D⌉ states. Forward models without a
                            head. The description field sample_rate_delay sets it
                            per layer. See docs/AUDIO.md.
      --fma auto|on|off     Fused multiply-adds. auto (default): C fuses wherever the
                            compile target has FMA instructions (x86 FMA3, Armv8,
                            Cortex-M4F/M7, RISC-V F), decided by the preprocessor
                            whatever the -std flag, and never calls fmaf; define
                            RG_NO_FMA to turn them off. Swift fuses on arm64 only,
                            since Swift code cannot ask whether an x86 target has
                            FMA. on: always fused — for Swift on x86-64-v3 or later
                            (-target-cpu native); a target without FMA then calls
                            fmaf per lane. off: a multiply and an add.
      --golden              Also write a golden-vector self-check: inputs and the
                            reference interpreter's outputs for them, and code that
                            runs the kernel on them and compares with the verify
                            tolerance. C: NAME_golden.h/.c with
                            int NAME_golden_failures(float *worst). Swift:
                            NAMEGolden.swift with TypeGolden.check() (SeedGRUGolden).
      --golden-only         Write only the golden-vector check, not the kernel.
      --module M            Swift golden check: import M, the module holding the
                            kernel (for a test target).
      --xctest              Swift golden check: also an XCTestCase asserting it.
      --input NAME=FILE.npy For ONNX models whose weights are graph inputs (W, R,
                            B, P): their values. Repeat for each.
      -h, --help            Show this help.
    """

    static func options(_ parsed: Arguments, defaultName: String, language required: Bool = true) throws -> KernelOptions {
        guard let langText = try parsed.single("lang") else {
            throw RNNError(at: "--lang", "missing: say which language to generate (c or swift)")
        }
        guard let language = KernelOptions.Language(rawValue: langText) else {
            throw RNNError(at: "--lang \(langText)", "unknown language (expected c or swift)")
        }
        var width: Int?
        if let text = try parsed.single("vector-width"), text != "auto" {
            guard let w = Int(text), KernelOptions.vectorWidths.contains(w) else {
                throw RNNError(at: "--vector-width \(text)", "expected auto, 4, 8 or 16")
            }
            width = w
        }
        var fma = KernelOptions.FusedMultiplyAdd.auto
        if let text = try parsed.single("fma") {
            guard let mode = KernelOptions.FusedMultiplyAdd(rawValue: text) else {
                throw RNNError(at: "--fma \(text)", "expected auto, on or off")
            }
            fma = mode
        }
        var weights = KernelOptions.WeightsMode.baked
        if let text = try parsed.single("weights") {
            guard let mode = KernelOptions.WeightsMode(rawValue: text) else {
                throw RNNError(at: "--weights \(text)", "expected baked or runtime")
            }
            weights = mode
        }
        var tile: Int?
        if let text = try parsed.single("batch-tile"), text != "auto" {
            guard let n = Int(text), KernelOptions.batchTiles.contains(n) else { throw RNNError(at: "--batch-tile \(text)", "expected auto, 1, 2, 4 or 8") }
            tile = n
        }
        var target = KernelTarget.host
        if let text = try parsed.single("target") {
            guard let named = KernelTarget(rawValue: text) else {
                throw RNNError(at: "--target \(Quote.text(text))", "unknown target (expected \(KernelTarget.names))")
            }
            target = named
        }
        var lowering: KernelOptions.Lowering?
        if let text = try parsed.single("lowering"), text != "auto" {
            guard let named = KernelOptions.Lowering(rawValue: text) else {
                throw RNNError(at: "--lowering \(Quote.text(text))", "expected auto, vector or scalar")
            }
            lowering = named
        }
        var options = KernelOptions(language: language, name: try parsed.single("name") ?? defaultName, vectorWidth: width,
                                    weights: weights, useLibm: parsed.switches.contains("libm"), fusedMultiplyAdd: fma, weightType: try weightType(parsed),
                                    batchTile: tile, target: target, lowering: lowering)
        options.sampleRateDelay = try sampleRateDelay(parsed)
        return options
    }

    /// `--sample-rate-delay D`: the rate the model runs at over the rate it was trained at.
    static func sampleRateDelay(_ parsed: Arguments) throws -> Double? {
        guard let text = try parsed.single("sample-rate-delay") else { return nil }
        guard let d = Double(text), CellOptions.isSampleRateDelay(d) else {
            throw RNNError(at: "--sample-rate-delay \(Quote.text(text))",
                           "expected a number of steps from 1 to \(CellOptions.maxSampleRateDelay): the rate the model runs at / the rate it was trained at (96000/48000 = 2)")
        }
        return d
    }

    /// `--weight-type`, f32 when absent.
    static func weightType(_ parsed: Arguments) throws -> WeightType {
        guard let text = try parsed.single("weight-type") else { return .f32 }
        guard let type = WeightType(rawValue: text) else { throw RNNError(at: "--weight-type \(text)", "expected \(WeightType.listed)") }
        return type
    }

    static func run(_ args: [String], stdout: (String) -> Void) throws {
        let parsed = try Arguments(args, valued: ["input", "lang", "out", "name", "vector-width", "weights", "module", "fma", "weight-type", "batch-tile", "sample-rate-delay",
                                                      "target", "lowering", "steps", "loss"],
                                   booleans: ["libm", "golden", "golden-only", "xctest", "training"], command: "generate")
        guard parsed.positionals.count == 1 else {
            throw RNNError(at: "generate", "expected one MODEL argument, found \(parsed.positionals.count) (see rnngen generate --help)")
        }
        guard let out = try parsed.single("out") else { throw RNNError(at: "--out", "missing: say which folder to write into") }
        let path = parsed.positionals[0]
        let model = try ModelFile.loadModel(path, provided: try RunCommand.readInputs(parsed.options["input"] ?? []))
        if parsed.switches.contains("training") {
            let files = try KernelGenerator.generateTraining(model, options: try trainingOptions(parsed, defaultName: model.name))
            try write(files, to: out, stdout: stdout)
            return
        }
        let options = try options(parsed, defaultName: model.name)
        let goldenOnly = parsed.switches.contains("golden-only")
        var files = goldenOnly ? [] : try KernelGenerator.generate(model, options: options)
        if goldenOnly || parsed.switches.contains("golden") {
            let plan = try KernelPlan(model: model, options: options)
            let cases = try GoldenVectors.cases(for: plan)
            let rendered = options.language == .c
                ? GoldenRenderer.c(plan, cases: cases)
                : GoldenRenderer.swift(plan, cases: cases, module: try parsed.single("module"), xctest: parsed.switches.contains("xctest"))
            files += rendered.map { KernelGenerator.File(name: $0.file, contents: Array($0.text.utf8)) }
        } else if parsed.options["module"] != nil || parsed.switches.contains("xctest") {
            throw RNNError(at: parsed.options["module"] != nil ? "--module" : "--xctest", "applies to the golden check only; add --golden")
        }
        try write(files, to: out, stdout: stdout)
    }

    static func write(_ files: [KernelGenerator.File], to out: String, stdout: (String) -> Void) throws {
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        for file in files {
            try AtomicFile.write(Data(file.contents), to: URL(fileURLWithPath: out).appendingPathComponent(file.name).path)
        }
        stdout("wrote " + files.map { "\($0.name) (\($0.contents.count) bytes)" }.joined(separator: ", ") + " to \(out)")
    }

    /// `--training`'s options; the inference kernel's options are refused by name.
    static func trainingOptions(_ parsed: Arguments, defaultName: String) throws -> TrainingOptions {
        guard let langText = try parsed.single("lang") else {
            throw RNNError(at: "--lang", "missing: say which language to generate (c or swift)")
        }
        guard let language = KernelOptions.Language(rawValue: langText) else {
            throw RNNError(at: "--lang \(langText)", "unknown language (expected c or swift)")
        }
        for option in ["vector-width", "weights", "fma", "weight-type", "sample-rate-delay", "target", "lowering", "module", "input"] where parsed.options[option] != nil {
            throw RNNError(at: "--\(option)", "applies to inference kernels, not to --training")
        }
        for flag in ["libm", "golden", "golden-only", "xctest"] where parsed.switches.contains(flag) {
            throw RNNError(at: "--\(flag)", "applies to inference kernels, not to --training")
        }
        func count(_ option: String, _ range: ClosedRange<Int>, _ what: String) throws -> Int {
            guard let text = try parsed.single(option) else { throw RNNError(at: "--\(option)", "missing: say \(what) (\(range.lowerBound)…\(range.upperBound))") }
            guard let n = Int(text), range.contains(n) else { throw RNNError(at: "--\(option) \(Quote.text(text))", "expected \(what), \(range.lowerBound)…\(range.upperBound)") }
            return n
        }
        let steps = try count("steps", 1...TrainingOptions.maximumSteps, "the truncation steps per window")
        let tile = try count("batch-tile", 1...TrainingOptions.maximumBatchTile, "the items per call")
        guard let lossText = try parsed.single("loss") else { throw RNNError(at: "--loss", "missing: say cross-entropy, mse or esr") }
        let loss: TrainingLoss
        switch lossText {
        case "cross-entropy": loss = .crossEntropy
        case "mse", "esr", "squared-error": loss = .squaredError
        default: throw RNNError(at: "--loss \(Quote.text(lossText))", "expected cross-entropy, mse or esr")
        }
        return TrainingOptions(language: language, name: try parsed.single("name") ?? defaultName, steps: steps, batchTile: tile, loss: loss)
    }
}
