import Foundation
import RNNCodegen
import RNNKernelRunner
import RNNModel
import RNNReference

enum TrainCommand {
    static let help = """
    USAGE: rnngen train MODEL --input x=X.npy (--labels Y.npy | --target Y.npy) --loss L --steps K --out DIR
                       [--engine kernel|reference] [--batch-tile B] [--epochs E] [--optimizer adagrad|sgd|adam]
                       [--learning-rate LR] [--momentum M] [--clip-norm C] [--adagrad-start A]
                       [--beta1 B1] [--beta2 B2] [--epsilon EPS] [--init description|glorot-uniform]
                       [--seed S] [--progress N] [--lengths LENGTHS.npy] [--name NAME]

    Trains MODEL's weights on your data with truncated backpropagation through
    time and writes the trained model: DIR/NAME.rnn.json (a description) and
    DIR/NAME.safetensors (its weights, float32), which every rnngen command
    reads — generate an inference kernel from it as from any description.

    The data are N sequences of T steps (the model's layout: [N, T, I] batch
    major, [T, N, I] time major). Every epoch cuts them into windows of K
    steps, in time order (a last window shorter than K is left out); the N
    items' window is one batch: its loss and gradients, then one optimizer
    step. The state each item ends a window with starts its next window
    (zero at each epoch's start); no gradient flows across windows. Nothing
    is random but --init glorot-uniform's draw: the same command gives the
    same weights.

    A progress line every N batches (--progress, default 100): the epoch, the
    batch, the mean loss of those batches and steps (batches) per second.

    ARGUMENTS:
      MODEL                 A description, ONNX, RTNeural or amp model file (as
                            for every command); its weights are the start unless
                            --init says otherwise.

    OPTIONS:
      --input x=X.npy       The inputs, [N, T, I] (or [T, N, I] time major).
      --labels Y.npy        Cross-entropy: one class per item and step, [N, T],
                            integers 0…F−1 (F the model's outputs).
      --target Y.npy        mse, esr: the wanted output, shaped like y.
      --lengths L.npy       Per-item lengths [N] (reference engine): steps past an
                            item's length give no loss, as in rnngen run.
      --loss L              cross-entropy (softmax over the outputs at every step),
                            mse (mean squared error) or esr (error-to-signal ratio:
                            mean((y−t)²) / (mean(t²) + 1e-5) over each batch).
      --steps K             Truncation: steps per window.
      --out DIR             Folder for the trained description and weights.
      --name NAME           The trained model's name (default: MODEL's).
      --engine kernel|reference
                            kernel (default): the generated C training kernel
                            (rnngen generate --training), compiled with the C
                            compiler (cached), float32. reference: the interpreter's
                            float64 gradients — slower, and covers every model
                            (reverse and bidirectional stacks, heads, peepholes,
                            projections, per-item lengths), which the kernels refuse.
      --batch-tile B        Kernel engine: items per kernel call; must divide N
                            (default: the largest divisor of N up to 256).
      --epochs E            Passes over the data (default 1).
      --optimizer O         adagrad (default; TensorFlow's: the accumulator starts
                            at --adagrad-start, 0.1, no epsilon), sgd (with
                            --momentum, default 0) or adam (--beta1 0.9, --beta2
                            0.999, --epsilon 1e-8, bias-corrected).
      --learning-rate LR    Default 0.1 (adagrad), 0.01 (sgd), 0.001 (adam).
      --clip-norm C         Clip each batch's gradients to global norm C first.
      --init I              description (default): start from MODEL's weights.
                            glorot-uniform: TensorFlow 1's initialisation, matrices
                            glorot-uniform (a cell's W and R together), biases
                            zero, drawn from --seed (default 1).
      --progress N          A progress line every N batches (default 100).
      -h, --help            Show this help.

    Bad data is a one-line error naming the file: shapes that do not match the
    model, NaN or infinite values, labels outside 0…F−1, lengths outside 0…T.
    See docs/TRAINING.md.
    """

    static func run(_ args: [String], stdout: (String) -> Void) throws {
        let parsed = try Arguments(args, valued: ["input", "labels", "target", "lengths", "loss", "steps", "out", "name", "engine", "batch-tile", "epochs",
                                                  "optimizer", "learning-rate", "momentum", "clip-norm", "adagrad-start", "beta1", "beta2", "epsilon",
                                                  "init", "seed", "progress"],
                                   booleans: [], command: "train")
        guard parsed.positionals.count == 1 else {
            throw RNNError(at: "train", "expected one MODEL argument, found \(parsed.positionals.count) (see rnngen train --help)")
        }
        guard let out = try parsed.single("out") else { throw RNNError(at: "--out", "missing: say which folder to write the trained model into") }
        var model = try ModelFile.loadModel(parsed.positionals[0])
        if let name = try parsed.single("name") {
            guard name.range(of: "^[A-Za-z_][A-Za-z0-9_]*$", options: .regularExpression) != nil else {
                throw RNNError(at: "--name \(Quote.text(name))", "expected an identifier ([A-Za-z_][A-Za-z0-9_]*)")
            }
            model.name = name
        }
        guard let lossText = try parsed.single("loss") else { throw RNNError(at: "--loss", "missing: say cross-entropy, mse or esr") }
        guard let objective = TrainingObjective(rawValue: lossText) else {
            throw RNNError(at: "--loss \(Quote.text(lossText))", "expected cross-entropy, mse or esr")
        }
        func integer(_ option: String, default value: Int?, _ range: ClosedRange<Int>) throws -> Int {
            guard let text = try parsed.single(option) else {
                guard let value else { throw RNNError(at: "--\(option)", "missing (\(range.lowerBound)…\(range.upperBound))") }
                return value
            }
            guard let n = Int(text), range.contains(n) else { throw RNNError(at: "--\(option) \(Quote.text(text))", "expected a whole number \(range.lowerBound)…\(range.upperBound)") }
            return n
        }
        func number(_ option: String, default value: Double?, positive: Bool = false, below one: Bool = false) throws -> Double? {
            guard let text = try parsed.single(option) else { return value }
            guard let v = Double(text), v.isFinite, positive ? v > 0 : v >= 0, !one || v < 1 else {
                throw RNNError(at: "--\(option) \(Quote.text(text))", "expected a \(positive ? "positive" : "non-negative") number\(one ? " below 1" : "")")
            }
            return v
        }
        let steps = try integer("steps", default: nil, 1...TrainingOptions.maximumSteps)
        let epochs = try integer("epochs", default: 1, 1...100_000)
        let every = try integer("progress", default: 100, 1...1_000_000_000)
        let optimizerName = try parsed.single("optimizer") ?? "adagrad"
        let rule: OptimizerRule, defaultRate: Double
        switch optimizerName {
        case "adagrad": (rule, defaultRate) = (.adagrad(initialAccumulator: try number("adagrad-start", default: 0.1, positive: true)!), 0.1)
        case "sgd": (rule, defaultRate) = (.sgd(momentum: try number("momentum", default: 0, below: true)!), 0.01)
        case "adam":
            rule = .adam(beta1: try number("beta1", default: 0.9, below: true)!, beta2: try number("beta2", default: 0.999, below: true)!,
                         epsilon: try number("epsilon", default: 1e-8, positive: true)!)
            defaultRate = 0.001
        default: throw RNNError(at: "--optimizer \(Quote.text(optimizerName))", "expected adagrad, sgd or adam")
        }
        for (option, belongs) in [("momentum", "sgd"), ("adagrad-start", "adagrad"), ("beta1", "adam"), ("beta2", "adam"), ("epsilon", "adam")]
            where parsed.options[option] != nil && optimizerName != belongs {
            throw RNNError(at: "--\(option)", "belongs to --optimizer \(belongs), not \(optimizerName)")
        }
        let learningRate = try number("learning-rate", default: defaultRate, positive: true)!
        let clip = try number("clip-norm", default: nil, positive: true)
        let seedText = try parsed.single("seed") ?? "1"
        guard let seed = UInt64(seedText) else { throw RNNError(at: "--seed \(Quote.text(seedText))", "expected a non-negative whole number") }
        switch try parsed.single("init") ?? "description" {
        case "description": break
        case "glorot-uniform": model = model.glorotInitialized(seed: seed)
        case let other: throw RNNError(at: "--init \(Quote.text(other))", "expected description or glorot-uniform")
        }
        let engine = try parsed.single("engine") ?? "kernel"
        guard engine == "kernel" || engine == "reference" else { throw RNNError(at: "--engine \(Quote.text(engine))", "expected kernel or reference") }

        // The data.
        let inputs = try RunCommand.readInputs(parsed.options["input"] ?? [])
        guard let x = inputs["x"] else { throw RNNError(at: "--input", "missing: give the inputs as --input x=FILE.npy") }
        guard inputs.count == 1 else {
            throw RNNError(at: "--input \(inputs.keys.filter { $0 != "x" }.sorted().joined(separator: ", "))", "train takes x only (labels, targets and lengths have options of their own)")
        }
        let xFile = (parsed.options["input"] ?? []).first { $0.hasPrefix("x=") }.map { String($0.dropFirst(2)) } ?? "x"
        func read(_ option: String) throws -> (Tensor, String)? {
            guard let file = try parsed.single(option) else { return nil }
            return (try NPY.read(contentsOf: file), file)
        }
        let labels = try read("labels"), target = try read("target"), lengths = try read("lengths")
        let data = try TrainingData(model: model, objective: objective, x: x, xFile: xFile, labels: labels?.0, labelsFile: labels?.1,
                                    target: target?.0, targetFile: target?.1, lengths: lengths?.0, lengthsFile: lengths?.1)
        let schedule = TrainingSchedule(steps: steps, epochs: epochs, rule: rule, learningRate: learningRate, clipNorm: clip, progressEvery: every)
        guard schedule.windows(data) > 0 else { throw RNNError(at: "--steps \(steps)", "is longer than the data's \(data.steps) steps") }

        let trained: Model
        if engine == "kernel" {
            guard parsed.options["lengths"] == nil else {
                throw RNNError(at: "--lengths", "the kernel engine trains full windows; use --engine reference for sequences of different lengths")
            }
            let tile = try KernelTrainer.tile(items: data.items, requested: try parsed.single("batch-tile").map { text in
                guard let n = Int(text) else { throw RNNError(at: "--batch-tile \(Quote.text(text))", "expected a whole number") }
                return n
            })
            // The plan first: a model the kernels refuse is named before anything is built.
            _ = try TrainingPlan(model: model, options: TrainingOptions(language: .c, name: "trained", steps: steps, batchTile: tile,
                                                                        loss: objective == .crossEntropy ? .crossEntropy : .squaredError))
            stdout("train \(model.name): C training kernel, \(data.items) items × \(data.steps) steps, windows of \(steps), tile \(tile), \(optimizerName) lr \(learningRate)")
            trained = try KernelTrainer().train(model, data: data, objective: objective, schedule: schedule, tile: tile) { stdout($0.line) }
        } else {
            guard parsed.options["batch-tile"] == nil else { throw RNNError(at: "--batch-tile", "applies to the kernel engine") }
            stdout("train \(model.name): interpreter (float64), \(data.items) items × \(data.steps) steps, windows of \(steps), \(optimizerName) lr \(learningRate)")
            trained = try ReferenceTrainer().train(model, data: data, objective: objective, schedule: schedule) { stdout($0.line) }
        }
        let files = try DescriptionWriter.files(for: trained)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        for (name, bytes) in files.reversed() {
            // The description last: a reader never sees it before its weights.
            try AtomicFile.write(Data(bytes), to: URL(fileURLWithPath: out).appendingPathComponent(name).path)
        }
        stdout("wrote " + files.map(\.name).joined(separator: " and ") + " to \(out)")
    }
}
