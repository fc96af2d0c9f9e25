import Foundation
import RNNModel

/// The `rnngen` command line. Thin: parses arguments, calls the libraries,
/// writes files, and turns every error into one line on stderr and a
/// non-zero exit.
public enum Commands {
    public static let usage = """
    rnngen — turn a trained recurrent model (RNN, LSTM, GRU) into fixed-size
    C and Swift kernels, and run it exactly as the framework it came from.

    USAGE: rnngen <command> [arguments] [options]

    COMMANDS:
      inspect MODEL         Layers, sizes, parameters, weight bytes, FLOPs per step.
      run MODEL --input NAME=FILE.npy … --output-dir DIR [--engine reference|c|swift]
                            Run a model on .npy inputs; write every output as .npy.
      generate MODEL --lang c|swift --out DIR
                            Write fixed-size C or Swift SIMD kernels for the model.
      verify MODEL [--target T] [--lang c|swift|all]
                            Check the generated kernels against the interpreter, on
                            this machine or an emulated one (Cortex-M4/M55/M3,
                            RISC-V rv32, AArch64).
      bench MODEL           Time the kernel's step against a naive C loop and the
                            interpreter.
      quantize MODEL --calibrate X.npy --out DIR
                            Pick int8 scales from your data; write the quantized
                            model as a description (run it with run --quantized).
      train MODEL --input x=X.npy --labels|--target Y.npy --loss L --steps K --out DIR
                            Train the model on your data (truncated backpropagation
                            through time) with its generated training kernel or the
                            interpreter; write the trained description.
      size MODEL [--target T|all] [--json]
                            Flash and RAM (stack included) of the C kernel on a
                            target.

    MODEL is a description (*.rnn.json, see docs/description-format.md),
    RTNeural's or an amp model's JSON (docs/AUDIO.md), an ONNX file (*.onnx)
    or a TensorFlow Lite file (*.tflite: LSTMs, float or int8; see
    docs/kernels.md, "Integer kernels"). Run 'rnngen <command> --help' for a
    command's options.

    EXAMPLES:
      rnngen inspect models/binary_seq_rnn/model.rnn.json
      rnngen run models/binary_seq_rnn/model.rnn.json \\
          --input x=models/binary_seq_rnn/x.npy --output-dir out/
    """

    /// Runs one command line (without the program name); returns the exit code.
    public static func main(_ args: [String], stdout: (String) -> Void = { print($0) },
                            stderr: (String) -> Void = { FileHandle.standardError.write(($0 + "\n").data(using: .utf8)!) }) -> Int32 {
        guard let command = args.first else {
            // No command at all is a usage error: the usage goes to stderr.
            stderr(usage)
            return 64
        }
        if command == "--help" || command == "-h" || command == "help" {
            stdout(usage)
            return 0
        }
        let rest = Array(args.dropFirst())
        do {
            switch command {
            case "inspect":
                if rest.contains("--help") || rest.contains("-h") { stdout(InspectCommand.help); return 0 }
                try InspectCommand.run(rest, stdout: stdout)
            case "run":
                if rest.contains("--help") || rest.contains("-h") { stdout(RunCommand.help); return 0 }
                try RunCommand.run(rest, stdout: stdout)
            case "generate":
                if rest.contains("--help") || rest.contains("-h") { stdout(GenerateCommand.help); return 0 }
                try GenerateCommand.run(rest, stdout: stdout)
            case "verify":
                if rest.contains("--help") || rest.contains("-h") { stdout(VerifyCommand.help); return 0 }
                if try !VerifyCommand.run(rest, stdout: stdout) { return 1 }
            case "bench":
                if rest.contains("--help") || rest.contains("-h") { stdout(BenchCommand.help); return 0 }
                try BenchCommand.run(rest, stdout: stdout)
            case "quantize":
                if rest.contains("--help") || rest.contains("-h") { stdout(QuantizeCommand.help); return 0 }
                try QuantizeCommand.run(rest, stdout: stdout)
            case "train":
                if rest.contains("--help") || rest.contains("-h") { stdout(TrainCommand.help); return 0 }
                try TrainCommand.run(rest, stdout: stdout)
            case "size":
                if rest.contains("--help") || rest.contains("-h") { stdout(SizeCommand.help); return 0 }
                try SizeCommand.run(rest, stdout: stdout)
            case "--version":
                stdout("rnngen 0.1.0")
            default:
                throw RNNError(at: command, "unknown command (commands: inspect, run, generate, verify, bench, size, quantize, train; see rnngen --help)")
            }
            return 0
        } catch {
            // One short line whatever the file held: parts quoted from files are
            // escaped and cut where they are read; this is the net under them.
            stderr("rnngen: error: " + Quote.text("\(error)", limit: 1000))
            return 1
        }
    }
}

/// Loads a MODEL argument: a description or an ONNX file.
enum ModelFile {
    /// A JSON model file: a description, RTNeural's JSON or an amp model's.
    case description(Model, format: JSONModelFormat)
    case onnx(ONNXGraph, path: String)
    /// A TensorFlow Lite model: a chain of LSTMs, float or int8.
    case tflite(Model)

    static func load(_ path: String) throws -> ModelFile {
        if path.hasSuffix(".onnx") { return .onnx(try ONNXReader.read(contentsOf: path), path: path) }
        if path.hasSuffix(".tflite") { return .tflite(try TFLiteImport.read(contentsOf: path, name: name(of: path))) }
        if path.hasSuffix(".json") {
            let (model, format) = try JSONModelFile.load(contentsOf: path, name: name(of: path))
            return .description(model, format: format)
        }
        throw RNNError(file: path, "unknown model file type (expected a description *.rnn.json, RTNeural's or the amp models' *.json, an ONNX model *.onnx or a TensorFlow Lite model *.tflite)")
    }

    /// A canonical model from either kind of file (ONNX: its recognised stack).
    /// `provided`: ONNX graph inputs given ahead (weights that are graph inputs).
    static func loadModel(_ path: String, provided: [String: Tensor] = [:]) throws -> Model {
        switch try load(path) {
        case .tflite(let model):
            guard provided.isEmpty else { throw RNNError(at: "--input", "only ONNX models take weights as inputs") }
            return model
        case .description(let model, _):
            guard provided.isEmpty else {
                throw RNNError(at: "--input", "only ONNX models take weights as inputs; a description names its weight files")
            }
            return model
        case .onnx(let graph, _):
            do {
                return try ONNXImport.recognize(graph, name: name(of: path), provided: provided).model
            } catch let error as RNNError {
                throw error.inFile(path)
            }
        }
    }

    static func name(of path: String) -> String {
        var base = URL(fileURLWithPath: path).lastPathComponent
        for suffix in [".rnn.json", ".json", ".onnx", ".tflite"] where base.hasSuffix(suffix) { base = String(base.dropLast(suffix.count)) }
        let cleaned = String(base.map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
        // A kernel's name is an identifier: never empty, never a leading digit.
        return cleaned.first.map { $0.isLetter || $0 == "_" } == true ? cleaned : "model_" + cleaned
    }
}
