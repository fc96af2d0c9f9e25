import Foundation
import XCTest
import RNNModel
import RNNReference
import RNNTestSupport

/// The integer interpreter against TensorFlow Lite Micro, to the bit: each
/// quantized case of Tests/Recorded/tflite/ (converted from Keras by
/// TensorFlow's TFLiteConverter, run by the tflite-micro interpreter;
/// scripts/record_tflite.py) read from its .tflite and run on the recorded
/// input. int8 inputs give int8 outputs that must be equal; a model with
/// float input and output (QUANTIZE … DEQUANTIZE) must give TFLite Micro's
/// float32 values exactly.
final class TFLiteFixtureTests: XCTestCase {
    func load(_ folder: URL) throws -> (Model, Tensor, Tensor) {
        let model = try TFLiteImport.read(contentsOf: folder.appendingPathComponent("model.tflite").path, name: folder.lastPathComponent)
        return (model, try NPY.read(contentsOf: folder.appendingPathComponent("x.npy").path),
                try NPY.read(contentsOf: folder.appendingPathComponent("expected_tflm.npy").path))
    }

    func testQuantizedCasesMatchTFLiteMicroBitForBit() throws {
        let cases = try FixtureCatalog.tfliteCases().filter(\.quantized)
        XCTAssertEqual(cases.count, 7)
        var outputs = 0
        for (folder, _) in cases {
            let name = folder.lastPathComponent
            let (model, x, expected) = try load(folder)
            XCTAssertTrue(model.isQuantized, name)
            let interpreter = try IntegerInterpreter(model: model)
            let got: [Double]
            if x.elementType == .int8 {
                let B = model.layout == .timeMajor ? x.shape[1] : x.shape[0], T = model.layout == .timeMajor ? x.shape[0] : x.shape[1]
                got = interpreter.runIntegers(x, lengths: Array(repeating: T, count: B)).y.values
                XCTAssertEqual(expected.elementType, .int8, name)
            } else {
                got = try interpreter.run(ModelInputs(x: x)).y.values
                XCTAssertEqual(expected.elementType, .float32, name)
            }
            XCTAssertEqual(got.count, expected.count, name)
            let differing = zip(got, expected.values).filter { $0 != $1 }.count
            XCTAssertEqual(differing, 0, "\(name): \(differing) of \(expected.count) outputs differ from TFLite Micro's")
            outputs += expected.count
        }
        print("TFLite Micro cases: \(cases.count), \(outputs) outputs, all equal")
    }

    /// The recorded cases cover what the reader has to get right: stacked
    /// layers, a time-major LSTM, a batch, cell scales other than 2^-15,
    /// float input and output, and a size that is no multiple of a vector.
    func testTheCasesCoverTheReader() throws {
        var exponents: Set<Int> = [], layouts: Set<Layout> = [], layers: Set<Int> = [], hidden: Set<Int> = []
        for (folder, quantized) in try FixtureCatalog.tfliteCases() where quantized {
            let (model, _, _) = try load(folder)
            for (cell, q) in model.quantizedCells { exponents.insert(q.cellExponent); hidden.insert(cell.hiddenSize) }
            layouts.insert(model.layout)
            layers.insert(model.quantizedCells.count)
        }
        XCTAssertGreaterThanOrEqual(exponents.count, 3, "cell exponents \(exponents)")
        XCTAssertEqual(layouts, [.batchMajor, .timeMajor])
        XCTAssertTrue(layers.contains(2))
        XCTAssertTrue(hidden.contains(33))
    }

    /// A quantized file's real weights are its integers times their scales,
    /// so the float path runs the same model: within a few int8 steps of
    /// the integer run on every output.
    func testTheDequantizedModelIsCloseToTheIntegerRun() throws {
        for (folder, quantized) in try FixtureCatalog.tfliteCases() where quantized {
            let (model, x, _) = try load(folder)
            guard x.elementType == .int8 else { continue }
            let interpreter = try IntegerInterpreter(model: model)
            let real = Tensor(shape: x.shape, values: x.values.map { interpreter.inputQuantization.dequantize(Int($0)) })
            let integer = try interpreter.run(ModelInputs(x: real)).y
            let float = try ReferenceInterpreter(model: model).run(ModelInputs(x: real)).y
            let steps = zip(integer.values, float.values).map { abs($0 - $1) / interpreter.outputQuantization.scale }.max() ?? 0
            XCTAssertLessThan(steps, 8, "\(folder.lastPathComponent): the integer run is \(steps) output steps from the float model")
            XCTAssertGreaterThan(steps, 0, "\(folder.lastPathComponent): integers and doubles should not agree exactly")
        }
    }
}
