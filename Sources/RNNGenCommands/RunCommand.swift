import Foundation
import RNNModel
import RNNCodegen
import RNNKernelRunner
import RNNReference

enum RunCommand {
    static let help = """
    USAGE: rnngen run MODEL --input NAME=FILE.npy … --output-dir DIR
                     [--engine reference|c|swift] [--vector-width auto|4|8|16] [--fma auto|on|off] [--weight-type \(WeightType.choices)] [--batch-tile N] [--weights baked|runtime] [--libm]
                     [--sample-rate-delay D] [--quantized]

    Runs MODEL on the given .npy inputs and writes every output as DIR/NAME.npy
    (float32). Nothing is written unless the whole run succeeds. Every engine
    takes the same inputs and writes the same files.

    For a description (*.rnn.json) the inputs are:
      x                     [B, T, I] (batch_major) or [T, B, I] (time_major), required
      seq_lens              [B] integers, each item's length (default: T for all)
      initial_h_s0_l0_fw …  [B, size] initial states, one per stack s, layer l,
                            direction fw/bw (and initial_c_… for LSTMs); default 0
    and the outputs are:
      y.npy                 the last sequence stage's output, in the model's layout,
                            zero past each item's length
      head.npy              [B, O] when the model has a head
      h_s0_l0_fw.npy …      [B, size] final states (c_… for LSTMs): the state at each
                            item's last valid step
    For "framework": "pytorch" the states also go as nn.LSTM/GRU/RNN has them:
      h0, c0                [num_layers · directions, B, H] initial states, layer by
                            layer, forward before reverse (instead of initial_…)
      h_n.npy, c_n.npy      the final states in the same shape, beside h_s0_l0_fw …
    (with several recurrent stacks, stack s's are h0_s{s}, h_n_s{s}, …).
    'rnngen inspect MODEL' lists the exact names and sizes.

    For an ONNX model (*.onnx) NAME is a graph input (X, sequence_lens,
    initial_h, initial_c, and W, R, B, P when the weights are graph inputs;
    x, h0, c0 for PyTorch exports) and every graph output is written with
    ONNX's shapes (Y, Y_h, Y_c; or output, h_n, c_n).

    OPTIONS:
      --input NAME=FILE.npy An input tensor; repeat for each input.
      --output-dir DIR      Folder for the outputs (created if missing).
      --engine ENGINE       reference (default): the double-precision interpreter;
                            c: the generated C kernel, compiled with cc;
                            swift: the generated Swift kernel, compiled with swiftc.
                            Compiled kernels are cached by content hash in
                            $RNNGEN_CACHE (default ~/.cache/rnngen).
      --vector-width N      c/swift engines: auto (default), 4, 8 or 16 (see rnngen generate --help).
      --weights baked|runtime
                            c/swift engines: how the kernel gets its weights.
      --libm                c engine: use the C library's expf/tanhf/log1pf.
      --sample-rate-delay D Sample-rate correction on every recurrent layer, for
                            JSON models (see rnngen generate --help); the state
                            tensors then hold the last ⌈D⌉ states, newest first.
      --fma auto|on|off     c/swift engines: fused multiply-adds (see rnngen generate --help).
      --weight-type \(WeightType.choices)
                            c/swift engines: how the kernel stores its weight matrices
                            (see rnngen generate --help); the outputs then include the
                            rounding's effect.
      --batch-tile auto|1|2|4|8
                            c/swift engines: items run together through each cell
                            (see rnngen generate --help).
      --quantized           reference engine: run a quantized model (a quantized
                            description or an int8 .tflite) in integers, as TFLite
                            Micro does (docs/kernels.md, "Integer kernels"). A
                            float x is quantized on the way in and every output
                            dequantized; an int8 x (.npy of dtype int8) is taken as
                            the quantized input itself, and y and h_… are then
                            written as int8, c_… as int16: the values to compare
                            with TFLite Micro's to the bit. Without --quantized a
                            quantized model runs its real (dequantized) weights in
                            double precision.
      -h, --help            Show this help.
    """

    static func readInputs(_ specs: [String]) throws -> [String: Tensor] {
        var inputs: [String: Tensor] = [:]
        for spec in specs {
            guard let eq = spec.firstIndex(of: "="), eq != spec.startIndex, spec.index(after: eq) != spec.endIndex else {
                throw RNNError(at: "--input \(spec)", "expected NAME=FILE.npy")
            }
            let name = String(spec[..<eq]), file = String(spec[spec.index(after: eq)...])
            guard inputs[name] == nil else { throw RNNError(at: "--input \(name)", "given twice") }
            inputs[name] = try NPY.read(contentsOf: file)
        }
        return inputs
    }

    static func run(_ args: [String], stdout: (String) -> Void) throws {
        let parsed = try Arguments(args, valued: ["input", "output-dir", "engine", "vector-width", "weights", "fma", "weight-type", "batch-tile", "sample-rate-delay"], booleans: ["libm", "quantized"], command: "run")
        guard parsed.positionals.count == 1 else {
            throw RNNError(at: "run", "expected one MODEL argument, found \(parsed.positionals.count) (see rnngen run --help)")
        }
        let executor = try engine(parsed)
        guard let outputDir = try parsed.single("output-dir") else {
            throw RNNError(at: "--output-dir", "missing: say where to write the outputs")
        }
        let path = parsed.positionals[0]
        let model = try ModelFile.load(path)
        let inputs = try readInputs(parsed.options["input"] ?? [])
        if parsed.switches.contains("quantized"), case let loaded = try ModelFile.loadModel(path), !loaded.isQuantized {
            throw RNNError(file: path, at: "--quantized", "the model has no quantization: quantize it with 'rnngen quantize', or give an int8 .tflite")
        }
        let outputs: [String: Tensor]
        switch model {
        case .description(let m, _):
            let delayed = try GenerateCommand.sampleRateDelay(parsed).map { m.withSampleRateDelay($0) } ?? m
            try delayed.validate()
            outputs = try runDescription(delayed, inputs: inputs, executor: executor)
        case .tflite(let m):
            if parsed.options["sample-rate-delay"] != nil { throw RNNError(at: "--sample-rate-delay", "run takes it for JSON models") }
            outputs = try runDescription(m, inputs: inputs, executor: executor)
        case .onnx(let graph, let path):
            if parsed.options["sample-rate-delay"] != nil {
                throw RNNError(at: "--sample-rate-delay", "run takes it for JSON models (descriptions, RTNeural's, the amp models'); an ONNX graph runs as exported")
            }
            do {
                outputs = try ONNXGraphRunner(graph: graph, executor: executor).run(inputs: inputs).mapValues { var t = $0; t.elementType = .float32; return t }
            } catch let error as RNNError {
                throw error.inFile(path)
            }
        }
        try FileManager.default.createDirectory(atPath: outputDir, withIntermediateDirectories: true)
        for name in outputs.keys.sorted() {
            try NPY.write(outputs[name]!, to: URL(fileURLWithPath: outputDir).appendingPathComponent(name + ".npy").path)
        }
        stdout("wrote " + outputs.keys.sorted().map { "\($0).npy \(outputs[$0]!.shapeDescription)" }.joined(separator: ", ") + " to \(outputDir)")
    }

    /// A quantized model on int8 inputs: the integer interpreter's own
    /// values in and out (int8 y and h, int16 c), for comparing with TFLite
    /// Micro's bit for bit. States start at zero; seq_lens is taken.
    static func runIntegers(_ model: Model, inputs: [String: Tensor]) throws -> [String: Tensor] {
        let interpreter = try IntegerInterpreter(model: model)
        let x = inputs["x"]!
        for name in inputs.keys where name != "x" && name != "seq_lens" {
            throw RNNError(at: "--input \(Quote.text(name))", "with an int8 x the states start at zero; give float inputs to set initial states")
        }
        var modelInputs = ModelInputs(x: x)
        if let lens = inputs["seq_lens"] { modelInputs.sequenceLengths = try lens.integers("--input seq_lens") }
        let (_, B, lengths) = try modelInputs.checked(for: model)
        let (yTensor, final) = interpreter.runIntegers(x, lengths: lengths)
        var outputs = ["y": yTensor]
        let names = model.stateNames.map(\.name).filter { !$0.isCell }
        for (l, name) in names.enumerated() {
            let H = final.h[l].first?.count ?? 0
            outputs[name.description] = Tensor(shape: [B, H], elementType: .int8, values: final.h[l].flatMap { $0.map(Double.init) })
            guard final.c[l].first?.isEmpty == false else { continue }  // an LSTM's cell only
            let c = StateName(stack: name.stack, layer: name.layer, reverse: name.reverse, isCell: true)
            outputs[c.description] = Tensor(shape: [B, H], elementType: .int16, values: final.c[l].flatMap { $0.map(Double.init) })
        }
        return outputs
    }

    /// Maps named input tensors onto a description model's inputs and runs it.
    /// The executor `--engine` asks for; kernel engines take the generate options.
    static func engine(_ parsed: Arguments) throws -> ModelExecutor {
        let name = try parsed.single("engine") ?? "reference"
        if parsed.switches.contains("quantized") {
            guard name == "reference" else { throw RNNError(at: "--quantized", "runs the integer interpreter: give it with --engine reference (integer kernels are not generated yet)") }
            return IntegerExecutor()
        }
        if name == "reference" {
            for flag in ["vector-width", "weights", "fma", "weight-type"] where parsed.options[flag] != nil {
                throw RNNError(at: "--\(flag)", "applies to the c and swift engines only")
            }
            if parsed.switches.contains("libm") { throw RNNError(at: "--libm", "applies to the c engine only") }
            return InterpreterExecutor()
        }
        guard let language = KernelOptions.Language(rawValue: name) else {
            throw RNNError(at: "--engine \(name)", "unknown engine (engines: reference, c, swift)")
        }
        var withLanguage = parsed
        withLanguage.options["lang"] = [language.rawValue]
        let options = try GenerateCommand.options(withLanguage, defaultName: "rnnkernel")
        return KernelEngine(options)
    }

    static func runDescription(_ model: Model, inputs: [String: Tensor], executor: ModelExecutor = InterpreterExecutor()) throws -> [String: Tensor] {
        let stateNames = Dictionary(uniqueKeysWithValues: model.stateNames.map { ($0.name.initialName, $0.name) })
        guard let x = inputs["x"] else { throw RNNError(at: "--input x", "missing: the model needs its input sequence x") }
        if x.elementType == .int8, executor is IntegerExecutor { return try runIntegers(model, inputs: inputs) }
        guard x.elementType.isFloatingPoint else {
            throw RNNError(at: "--input x", "expected floating-point values, found \(x.elementType.rawValue)\(x.elementType == .int8 ? " (int8 inputs are for --quantized)" : "")")
        }
        var modelInputs = ModelInputs(x: x)
        var pytorchInputs: Set<String> = []
        if model.framework == .pytorch {
            let batch = x.rank == 3 ? x.shape[model.layout == .batchMajor ? 0 : 1] : 0
            let sizes = Dictionary(uniqueKeysWithValues: model.stateNames.map { ($0.name, $0.size) })
            let split = try PyTorchStates.initialStates(model, inputs: inputs, batch: batch, sizes: sizes)
            for (state, tensor) in split.states {
                guard inputs[state.initialName] == nil else {
                    throw RNNError(at: "--input \(state.initialName)", "given twice: also as part of a PyTorch-shaped h0/c0; give one or the other")
                }
                modelInputs.initialStates[state] = tensor
            }
            pytorchInputs = split.used
        }
        for (name, tensor) in inputs where name != "x" && !pytorchInputs.contains(name) {
            if name == "seq_lens" {
                guard !tensor.elementType.isFloatingPoint, tensor.rank == 1 else {
                    throw RNNError(at: "--input seq_lens", "expected a rank-1 integer tensor [B], found \(tensor.elementType.rawValue) \(tensor.shapeDescription)")
                }
                modelInputs.sequenceLengths = try tensor.integers("--input seq_lens")
            } else if let state = stateNames[name] {
                guard tensor.elementType.isFloatingPoint else { throw RNNError(at: "--input \(name)", "expected floating-point values, found \(tensor.elementType.rawValue)") }
                modelInputs.initialStates[state] = tensor
            } else {
                let pytorch = model.framework == .pytorch ? PyTorchStates.groups(model).flatMap { [$0.inputH] + ($0.cell.isEmpty ? [] : [$0.inputC]) } : []
                throw RNNError(at: "--input \(Quote.text(name))", "the model has no such input (inputs: x, seq_lens, \((pytorch + stateNames.keys.sorted()).joined(separator: ", ")))")
            }
        }
        let result: ModelOutputs
        do {
            result = try executor.run(model, modelInputs)
        } catch let error as RNNError {
            // The interpreter names the tensor; say it is an input.
            throw RNNError(file: error.file, at: error.location.map { "--input \($0)" }, error.message)
        }
        var outputs: [String: Tensor] = ["y": result.y]
        if let head = result.head { outputs["head"] = head }
        for (name, tensor) in result.finalStates { outputs[name.description] = tensor }
        if model.framework == .pytorch {
            outputs.merge(PyTorchStates.outputs(model, finalStates: result.finalStates)) { first, _ in first }
        }
        return outputs
    }
}
