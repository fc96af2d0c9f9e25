import Foundation
import XCTest
import RNNModel
import RNNReference
import RNNTestSupport

/// Every recorded framework case through the reference interpreter, within
/// 1e-5 on every output.
final class ReferenceFixtureTests: XCTestCase {
    let interpreter = InterpreterExecutor()

    func testONNXBackendNodeCases() throws {
        let cases = try FixtureCatalog.onnxNode()
        XCTAssertEqual(cases.count, 18)
        for c in cases { try c.check(interpreter) }
    }

    func testONNXCases() throws {
        let cases = try FixtureCatalog.onnx()
        XCTAssertEqual(cases.count, 18)
        for c in cases { try c.check(interpreter) }
    }

    func testTorchExports() throws {
        let cases = try FixtureCatalog.torchExports()
        XCTAssertEqual(cases.count, 6)
        for c in cases { try c.check(interpreter) }
    }

    func testTF1Cases() throws {
        let cases = try FixtureCatalog.tf1()
        XCTAssertEqual(cases.count, 14)
        for c in cases { try c.check(interpreter) }
    }

    func testKerasCases() throws {
        let cases = try FixtureCatalog.keras()
        XCTAssertEqual(cases.count, 7)
        for c in cases { try c.check(interpreter) }
    }

    func testTorchStateDictCases() throws {
        let cases = try FixtureCatalog.torchStateDicts()
        XCTAssertEqual(cases.count, 7)
        for c in cases { try c.check(interpreter) }
    }

    func testTorchSafetensorsCases() throws {
        let cases = try FixtureCatalog.torchSafetensors()
        XCTAssertEqual(cases.count, 7)
        for c in cases { try c.check(interpreter) }
    }

    /// RTNeural's JSON and the amp models' JSON, read as the files are.
    func testAudioModelFiles() throws {
        let cases = try FixtureCatalog.audio()
        XCTAssertEqual(cases.count, 16)
        for c in cases { try c.check(interpreter) }
    }

    /// A float32 .tflite LSTM, read as the file is, against TFLite Micro.
    func testTFLiteFloatModels() throws {
        let cases = try FixtureCatalog.tfliteFloat()
        XCTAssertEqual(cases.count, 1)
        for c in cases { try c.check(interpreter) }
    }

    func testKeras3Cases() throws {
        let cases = try FixtureCatalog.keras3()
        XCTAssertEqual(cases.count, 3)
        for c in cases { try c.check(interpreter) }
    }

    /// Read as Keras 2 (hard_sigmoid = clip(0.2·x + 0.5)), the Keras 3 cases
    /// that use hard_sigmoid come out wrong: the version matters.
    func testKeras3HardSigmoidCasesDifferWhenReadAsKeras2() throws {
        for (c, folder) in zip(try FixtureCatalog.keras3Descriptions(), Recorded.cases("keras3")) where c.name.contains("hard_sigmoid") {
            var description = c.description
            description["keras_version"] = 2
            let data = try JSONSerialization.data(withJSONObject: description, options: [.sortedKeys])
            let outputs = try ReferenceInterpreter(model: ModelDescription.parse(data, baseDirectory: folder)).run(c.inputs)
            let (label, want, pick) = c.expected[0]
            let error = try XCTUnwrap(pick(outputs)).maxAbsDifference(to: want)
            XCTAssertGreaterThan(error, 1e-2, "\(c.name) \(label): Keras 2's hard_sigmoid should not reproduce Keras 3")
        }
    }
}
