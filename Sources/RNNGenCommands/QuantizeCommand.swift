import Foundation
import RNNModel
import RNNReference

enum QuantizeCommand {
    static let help = """
    USAGE: rnngen quantize MODEL --calibrate X.npy [--calibrate X2.npy …] --out DIR
           rnngen quantize MODEL.tflite --out DIR

    Writes MODEL quantized for integer kernels as a description, DIR/NAME.rnn.json,
    with its weights as float64 .npy files beside it. The description holds the
    real weights exactly and, per layer, a "quantization" block: the int8 scale
    and zero point of the layer's input and hidden state, the cell state's scale
    (a power of two) and one scale per weight row (docs/description-format.md,
    "Quantization"; the arithmetic: docs/kernels.md, "Integer kernels"). Run it
    in integers with 'rnngen run NAME.rnn.json --quantized', see the added error
    with 'rnngen verify'.

    The scales come from your data: MODEL runs in double precision on every
    --calibrate input ([B, T, I] or [T, B, I] as the model's layout, float), and
    the ranges it sees pick them:
      input and hidden state  asymmetric int8 over the range seen, widened to hold 0
      cell state              2^e, the smallest with 32768 · 2^e ≥ the largest |c|
                              seen (2^-15 at least)
      weights                 symmetric int8 per row: max |w| of the row / 127
    Give inputs like the ones the model will meet: a value beyond the calibrated
    range saturates.

    An int8 .tflite is already quantized: without --calibrate, quantize writes its
    integers and scales as a description (with --calibrate, its dequantized
    weights are quantized again from your data).

    Integer kernels take stacks of one-direction LSTM (no peepholes, projection,
    activation clip or coupled gates), GRU (either reset) and RNN (tanh)
    layers; other models get an error naming the stage.

    OPTIONS:
      --calibrate FILE.npy  Calibration input; repeat for several.
      --out DIR             Folder for the description and its weights (created if
                            missing). Nothing is written unless all of it succeeds.
      -h, --help            Show this help.

    EXAMPLE:
      rnngen quantize model.rnn.json --calibrate speech.npy --out quantized/
      rnngen run quantized/model.rnn.json --quantized --input x=speech.npy --output-dir out/
    """

    static func run(_ args: [String], stdout: (String) -> Void) throws {
        let parsed = try Arguments(args, valued: ["calibrate", "out"], booleans: [], command: "quantize")
        guard parsed.positionals.count == 1 else {
            throw RNNError(at: "quantize", "expected one MODEL argument, found \(parsed.positionals.count) (see rnngen quantize --help)")
        }
        guard let out = try parsed.single("out") else { throw RNNError(at: "--out", "missing: say which folder to write the quantized description to") }
        let path = parsed.positionals[0]
        let model = try ModelFile.loadModel(path)
        let calibration = try (parsed.options["calibrate"] ?? []).map { file -> Tensor in
            let t = try NPY.read(contentsOf: file)
            guard t.elementType.isFloatingPoint else { throw RNNError(file: file, at: "--calibrate", "expected floating-point values, found \(t.elementType.rawValue)") }
            return t
        }
        let quantized: Model
        if calibration.isEmpty {
            guard model.isQuantized else {
                throw RNNError(at: "--calibrate", "missing: the model is float; give inputs like the ones it will meet (--calibrate x.npy) to pick its scales")
            }
            quantized = model
        } else {
            let result = try Quantizer.quantize(model, calibration: calibration)
            quantized = result.model
            for (k, r) in result.ranges.enumerated() {
                stdout("layer \(k): input \(format(r.input)), h \(format(r.hidden)), |c| ≤ \(String(format: "%.4g", r.cellMagnitude))")
            }
        }
        let files = try QuantizedDescription.files(for: quantized)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        for (name, bytes) in files.reversed() {
            // The description last: a reader never sees it before its weights.
            try AtomicFile.write(Data(bytes), to: URL(fileURLWithPath: out).appendingPathComponent(name).path)
        }
        for (k, (_, q)) in quantized.quantizedCells.enumerated() {
            stdout("layer \(k): x scale \(q.input.scale) zero point \(q.input.zeroPoint); h scale \(q.hidden.scale) zero point \(q.hidden.zeroPoint); c scale 2^\(q.cellExponent)")
        }
        stdout("wrote \(files[0].name) and \(files.count - 1) weight files to \(out)")
    }

    static func format(_ r: ClosedRange<Double>) -> String { String(format: "[%.4g, %.4g]", r.lowerBound, r.upperBound) }
}
