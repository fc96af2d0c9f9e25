import Foundation
import XCTest
import RNNModel
import RNNReference

/// Every ONNX fixture through the graph runner (and so the interpreter).
final class ONNXFixtureTests: XCTestCase {
    func check(model: URL, inputs: [String: Tensor], expected: [String: Tensor], file: StaticString = #filePath, line: UInt = #line) throws {
        let graph = try ONNXReader.read(contentsOf: model.path)
        let outputs = try ONNXGraphRunner(graph: graph).run(inputs: inputs)
        XCTAssertFalse(expected.isEmpty, "\(model.path): no expected outputs", file: file, line: line)
        for (name, want) in expected {
            guard let got = outputs[name] else { XCTFail("\(model.path): no output \(name)", file: file, line: line); continue }
            XCTAssertEqual(got.shape, want.shape, "\(model.path): \(name) shape", file: file, line: line)
            let error = got.maxAbsDifference(to: want)
            if ProcessInfo.processInfo.environment["RNNGEN_PRINT_ERRORS"] != nil { print("\(model.deletingLastPathComponent().lastPathComponent) \(name) \(error)") }
            XCTAssertLessThanOrEqual(error, fixtureTolerance, "\(model.deletingLastPathComponent().lastPathComponent): \(name) max |error| \(error)", file: file, line: line)
        }
    }

    func testONNXBackendNodeCases() throws {
        let cases = Fixtures.cases("onnx-node")
        XCTAssertEqual(cases.count, 18)
        for folder in cases {
            let model = folder.appendingPathComponent("model.onnx")
            let graph = try ONNXReader.read(contentsOf: model.path)
            let data = folder.appendingPathComponent("test_data_set_0")
            var inputs: [String: Tensor] = [:], expected: [String: Tensor] = [:]
            for info in graph.requiredInputs {
                inputs[info.name] = try Fixtures.npy(data.appendingPathComponent(info.name + ".npy"))
            }
            for info in graph.outputs {
                let file = data.appendingPathComponent(info.name + ".npy")
                if FileManager.default.fileExists(atPath: file.path) { expected[info.name] = try Fixtures.npy(file) }
            }
            try check(model: model, inputs: inputs, expected: expected)
        }
    }

    func testONNXCases() throws {
        let cases = Fixtures.cases("onnx")
        XCTAssertEqual(cases.count, 18)
        for folder in cases {
            let model = folder.appendingPathComponent("model.onnx")
            let graph = try ONNXReader.read(contentsOf: model.path)
            var inputs: [String: Tensor] = [:], expected: [String: Tensor] = [:]
            for info in graph.requiredInputs {
                inputs[info.name] = try Fixtures.npy(folder.appendingPathComponent(info.name + ".npy"))
            }
            for info in graph.outputs {
                let file = folder.appendingPathComponent("expected_" + info.name + ".npy")
                if FileManager.default.fileExists(atPath: file.path) { expected[info.name] = try Fixtures.npy(file) }
            }
            try check(model: model, inputs: inputs, expected: expected)
        }
    }

    func testTorchExports() throws {
        var count = 0
        for folder in Fixtures.cases("torch") {
            let model = folder.appendingPathComponent("model.onnx")
            guard FileManager.default.fileExists(atPath: model.path) else { continue }
            count += 1
            var inputs: [String: Tensor] = ["x": try Fixtures.npy(folder.appendingPathComponent("x.npy"))]
            for name in ["h0", "c0"] {
                let file = folder.appendingPathComponent(name + ".npy")
                if FileManager.default.fileExists(atPath: file.path) { inputs[name] = try Fixtures.npy(file) }
            }
            var expected: [String: Tensor] = [:]
            for name in ["output", "h_n", "c_n"] {
                let file = folder.appendingPathComponent("expected_" + name + ".npy")
                if FileManager.default.fileExists(atPath: file.path) { expected[name] = try Fixtures.npy(file) }
            }
            try check(model: model, inputs: inputs, expected: expected)
        }
        XCTAssertEqual(count, 6)
    }
}
