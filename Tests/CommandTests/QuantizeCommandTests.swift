import Foundation
import XCTest
import RNNModel
import RNNReference
import RNNTestSupport

/// `rnngen quantize`: scales from calibration data, the description it
/// writes, and a TFLite file written as a description that still runs to
/// the bit as TFLite Micro does.
final class QuantizeCommandTests: XCTestCase {
    var scratch: Scratch!
    let lstm = Repository.url("models/embedded/lstm_i2_h20/model.rnn.json").path

    override func setUpWithError() throws { scratch = try Scratch() }

    /// Seeded inputs `[B, T, I]` uniform in ±amplitude.
    func inputs(_ shape: [Int], amplitude: Double, seed: UInt64) -> Tensor {
        var rng = SplitMix64(seed: seed)
        return Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in rng.uniform(-amplitude, amplitude) })
    }

    func testCalibratedLSTMRunsCloseToTheFloatModel() throws {
        let calibration = try scratch.write("cal.npy", inputs([4, 50, 2], amplitude: 1, seed: 1))
        let result = scratch.rnngen(["quantize", lstm, "--calibrate", calibration, "--out", scratch.path("q")])
        XCTAssertEqual(result.code, 0, result.err)
        XCTAssertTrue(result.out.contains("layer 0: input ["), result.out)
        let description = scratch.path("q/mcu_lstm_i2_h20.rnn.json")
        let quantized = try ModelDescription.load(contentsOf: description)
        let original = try ModelDescription.load(contentsOf: lstm)
        XCTAssertTrue(quantized.isQuantized)
        let (cell, q) = quantized.quantizedCells[0]
        let originalCell = original.quantizedCellsOrCells[0]
        // The real weights are kept exactly; the scales are the documented ones.
        for (got, want) in [(cell.weights.input, originalCell.weights.input), (cell.weights.recurrent, originalCell.weights.recurrent),
                            (cell.weights.inputBias, originalCell.weights.inputBias), (cell.weights.recurrentBias, originalCell.weights.recurrentBias)] {
            XCTAssertEqual(got.shape, want.shape)
            XCTAssertTrue(got.values == want.values, "the real weights are written exactly")
        }
        XCTAssertEqual(q.inputWeightScales, Quantizer.rowScales(originalCell.weights.input))
        for (r, scale) in q.inputWeightScales.enumerated() {
            let row = originalCell.weights.input.values[(2 * r)..<(2 * r + 2)].map(abs).max()!
            XCTAssertLessThanOrEqual(row / scale, 127, "row \(r)")
            XCTAssertGreaterThan(row / scale, 126.99, "row \(r): the scale is the row's max / 127")
        }
        XCTAssertEqual(q.cellExponent, Quantizer.cellExponent(try cellMagnitude(original, calibration: [inputs([4, 50, 2], amplitude: 1, seed: 1)])))
        // On fresh inputs within the calibrated range, the integer run stays
        // within a few steps of the hidden scale of the float model.
        let x = inputs([2, 30, 2], amplitude: 0.9, seed: 2)
        let integer = try IntegerInterpreter(model: quantized).run(ModelInputs(x: x)).y
        let float = try ReferenceInterpreter(model: original).run(ModelInputs(x: x)).y
        let worst = zip(integer.values, float.values).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(worst, 4 * q.hidden.scale, "integer vs float: \(worst), h scale \(q.hidden.scale)")
        XCTAssertGreaterThan(worst, 0)
    }

    func cellMagnitude(_ model: Model, calibration: [Tensor]) throws -> Double {
        try Quantizer.quantize(model, calibration: calibration).ranges[0].cellMagnitude
    }

    func testOutputIsDeterministic() throws {
        let calibration = try scratch.write("cal.npy", inputs([2, 20, 2], amplitude: 1, seed: 3))
        var contents: [[String: Data]] = []
        for out in ["a", "b"] {
            XCTAssertEqual(scratch.rnngen(["quantize", lstm, "--calibrate", calibration, "--out", scratch.path(out)]).code, 0)
            contents.append(Dictionary(uniqueKeysWithValues: try scratch.files(in: out).map { ($0, try Data(contentsOf: URL(fileURLWithPath: scratch.path(out + "/" + $0)))) }))
        }
        XCTAssertEqual(contents[0], contents[1])
        XCTAssertEqual(contents[0].keys.sorted(), ["mcu_lstm_i2_h20.rnn.json", "s0_l0_B.npy", "s0_l0_R.npy", "s0_l0_W.npy"])
    }

    /// A quantized .tflite written as a description keeps its integers and
    /// scales: run in integers it still equals TFLite Micro on every output.
    func testTFLiteWrittenAsADescriptionStillMatchesTFLiteMicro() throws {
        for name in ["lstm_i8_stacked_batch3", "lstm_i8_narrow_cell", "lstm_i8_time_major"] {
            let folder = Recorded.root.appendingPathComponent("tflite/\(name)")
            let result = scratch.rnngen(["quantize", folder.appendingPathComponent("model.tflite").path, "--out", scratch.path(name)])
            XCTAssertEqual(result.code, 0, result.err)
            let run = scratch.rnngen(["run", scratch.path("\(name)/model.rnn.json"), "--quantized", "--input", "x=" + folder.appendingPathComponent("x.npy").path,
                                      "--output-dir", scratch.path(name + "_out")])
            XCTAssertEqual(run.code, 0, run.err)
            let y = try NPY.read(contentsOf: scratch.path(name + "_out/y.npy"))
            let expected = try NPY.read(contentsOf: folder.appendingPathComponent("expected_tflm.npy").path)
            XCTAssertEqual(y.elementType, .int8)
            XCTAssertEqual(y.shape, expected.shape)
            XCTAssertEqual(zip(y.values, expected.values).filter { $0 != $1 }.count, 0, name)
        }
    }

    func testRefusals() throws {
        let calibration = try scratch.write("cal.npy", inputs([1, 5, 2], amplitude: 1, seed: 4))
        func refused(_ args: [String], _ fragments: [String], line: UInt = #line) {
            let r = scratch.rnngen(["quantize"] + args)
            XCTAssertEqual(r.code, 1, "expected a refusal: \(r.out)", line: line)
            for f in fragments { XCTAssertTrue(r.err.contains(f), "'\(f)' not in: \(r.err)", line: line) }
            XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path("never")), "nothing written", line: line)
        }
        refused([lstm, "--out", scratch.path("never")], ["--calibrate", "missing: the model is float"])
        refused([lstm, "--calibrate", calibration], ["--out", "missing"])
        let wrong = try scratch.write("wrong.npy", inputs([1, 5, 3], amplitude: 1, seed: 5))
        refused([lstm, "--calibrate", wrong, "--out", scratch.path("never")], ["--calibrate #1", "expected [B, T, 2]"])
        refused([Repository.url("models/torch_lstm_proj/model.rnn.json").path, "--calibrate", try scratch.write("four.npy", inputs([1, 5, 4], amplitude: 1, seed: 9)),
                 "--out", scratch.path("never")], ["quantization", "plain cells", "projection"])
        refused([Repository.url("models/audio_lstm/model.rnn.json").path, "--calibrate", try scratch.write("one.npy", inputs([1, 5, 1], amplitude: 1, seed: 6)),
                 "--out", scratch.path("never")], ["stage 1", "a dense layer"])
    }

    /// The description's quantization block: each mistake named by its path.
    func testQuantizationBlockErrors() throws {
        let calibration = try scratch.write("cal.npy", inputs([1, 10, 2], amplitude: 1, seed: 7))
        XCTAssertEqual(scratch.rnngen(["quantize", lstm, "--calibrate", calibration, "--out", scratch.path("q")]).code, 0)
        let path = scratch.path("q/mcu_lstm_i2_h20.rnn.json")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let x = try scratch.write("x.npy", inputs([1, 3, 2], amplitude: 1, seed: 8))
        for (edit, fragments) in [
            ({ (t: String) in t.replacingOccurrences(of: "\"cell_exponent\": -15", with: "\"cell_exponent\": 3") }, ["quantization[0].cellExponent", "expected -24…0, found 3"]),
            ({ (t: String) in t.replacingOccurrences(of: "\"zero_point\"", with: "\"zeroPoint\"") }, ["quantization[0].input", "zeroPoint"]),
            ({ (t: String) in t.replacingOccurrences(of: "\"input_weight_scales\": [", with: "\"input_weight_scales\": [0.5, ") }, ["input_weight_scales", "expected 80 scales", "found 81"]),
            ({ (t: String) in t.replacingOccurrences(of: "\"input_weight_scales\": [", with: "\"input_weight_scales\": [-1, ").replacingOccurrences(of: "\"recurrent_weight_scales\"", with: "\"recurrent_weight_scales\"") }, ["positive float32 scale, found -1"]),
        ] as [((String) -> String, [String])] {
            let edited = edit(text)
            XCTAssertNotEqual(edited, text)
            try edited.write(toFile: path, atomically: true, encoding: .utf8)
            let r = scratch.rnngen(["run", path, "--quantized", "--input", "x=" + x, "--output-dir", scratch.path("out")])
            XCTAssertEqual(r.code, 1, r.out)
            for f in fragments { XCTAssertTrue(r.err.contains(f), "'\(f)' not in: \(r.err)") }
        }
    }
}

extension Model {
    /// Every cell, in the order the integer interpreter runs them.
    var quantizedCellsOrCells: [Cell] { stacks.flatMap { $0.layers.flatMap(\.cells) } }
}
