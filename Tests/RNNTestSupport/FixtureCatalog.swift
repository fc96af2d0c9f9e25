import Foundation
import XCTest
import RNNModel
import RNNReference


/// One recorded framework case, runnable with any executor (the interpreter
/// or a compiled kernel), with the outputs to compare.
public struct FixtureCase {
    public typealias Comparison = (label: String, got: Tensor?, want: Tensor)
    public var name: String
    public var run: (ModelExecutor) throws -> [Comparison]

    /// Runs the case and asserts every output within `tolerance`; returns the worst error.
    @discardableResult
    public func check(_ executor: ModelExecutor, tolerance: Double = fixtureTolerance, file: StaticString = #filePath, line: UInt = #line) throws -> Double {
        let comparisons = try run(executor)
        XCTAssertFalse(comparisons.isEmpty, "\(name): nothing to compare", file: file, line: line)
        var worst = 0.0
        for (label, got, want) in comparisons {
            guard let got else { XCTFail("\(name): no output \(label)", file: file, line: line); continue }
            XCTAssertEqual(got.shape, want.shape, "\(name): \(label) shape", file: file, line: line)
            let error = got.maxAbsDifference(to: want)
            worst = max(worst, error)
            XCTAssertLessThanOrEqual(error, tolerance, "\(name): \(label) max |error| \(error)", file: file, line: line)
        }
        if ProcessInfo.processInfo.environment["RNNGEN_PRINT_ERRORS"] != nil { print("\(name) max |error| \(worst)") }
        return worst
    }
}

public enum FixtureCatalog {
    public static func exists(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.path) }

    /// An ONNX file run as a graph, with named inputs and expected outputs.
    public static func graphCase(_ name: String, model: URL, inputs: [String: Tensor], expected: [String: Tensor]) -> FixtureCase {
        FixtureCase(name: name) { executor in
            let graph = try ONNXReader.read(contentsOf: model.path)
            let outputs = try ONNXGraphRunner(graph: graph, executor: executor).run(inputs: inputs)
            return expected.keys.sorted().map { ($0, outputs[$0], expected[$0]!) }
        }
    }

    public static func onnxNode() throws -> [FixtureCase] {
        try Fixtures.cases("onnx-node").map { folder in
            let model = folder.appendingPathComponent("model.onnx")
            let graph = try ONNXReader.read(contentsOf: model.path)
            let data = folder.appendingPathComponent("test_data_set_0")
            var inputs: [String: Tensor] = [:], expected: [String: Tensor] = [:]
            for info in graph.requiredInputs { inputs[info.name] = try Fixtures.npy(data.appendingPathComponent(info.name + ".npy")) }
            for info in graph.outputs where exists(data.appendingPathComponent(info.name + ".npy")) {
                expected[info.name] = try Fixtures.npy(data.appendingPathComponent(info.name + ".npy"))
            }
            return graphCase("onnx-node/" + folder.lastPathComponent, model: model, inputs: inputs, expected: expected)
        }
    }

    public static func onnx() throws -> [FixtureCase] {
        try Fixtures.cases("onnx").map { folder in
            let model = folder.appendingPathComponent("model.onnx")
            let graph = try ONNXReader.read(contentsOf: model.path)
            var inputs: [String: Tensor] = [:], expected: [String: Tensor] = [:]
            for info in graph.requiredInputs { inputs[info.name] = try Fixtures.npy(folder.appendingPathComponent(info.name + ".npy")) }
            for info in graph.outputs where exists(folder.appendingPathComponent("expected_" + info.name + ".npy")) {
                expected[info.name] = try Fixtures.npy(folder.appendingPathComponent("expected_" + info.name + ".npy"))
            }
            return graphCase("onnx/" + folder.lastPathComponent, model: model, inputs: inputs, expected: expected)
        }
    }

    public static func torchExports() throws -> [FixtureCase] {
        try Fixtures.cases("torch").compactMap { folder in
            let model = folder.appendingPathComponent("model.onnx")
            guard exists(model) else { return nil }
            var inputs: [String: Tensor] = ["x": try Fixtures.npy(folder.appendingPathComponent("x.npy"))]
            for name in ["h0", "c0"] where exists(folder.appendingPathComponent(name + ".npy")) {
                inputs[name] = try Fixtures.npy(folder.appendingPathComponent(name + ".npy"))
            }
            var expected: [String: Tensor] = [:]
            for name in ["output", "h_n", "c_n"] where exists(folder.appendingPathComponent("expected_" + name + ".npy")) {
                expected[name] = try Fixtures.npy(folder.appendingPathComponent("expected_" + name + ".npy"))
            }
            return graphCase("torch-onnx/" + folder.lastPathComponent, model: model, inputs: inputs, expected: expected)
        }
    }

    /// A framework case as a description, parsed and run.
    public static func descriptionCase(_ c: FrameworkCases.Case, folder: URL) -> FixtureCase {
        FixtureCase(name: c.name) { executor in
            let data = try JSONSerialization.data(withJSONObject: c.description, options: [.prettyPrinted, .sortedKeys])
            let model = try ModelDescription.parse(data, baseDirectory: folder)
            let outputs = try executor.run(model, c.inputs)
            return c.expected.map { ($0.label, $0.pick(outputs), $0.tensor) }
        }
    }

    public static func tf1() throws -> [FixtureCase] {
        try Fixtures.cases("tf1").map { descriptionCase(try FrameworkCases.tf1Case($0), folder: $0) }
    }

    public static func keras() throws -> [FixtureCase] {
        try Fixtures.cases("keras").map { descriptionCase(try FrameworkCases.kerasCase($0), folder: $0) }
    }

    public static func torchStateDicts() throws -> [FixtureCase] {
        try Fixtures.cases("torch").map { descriptionCase(try FrameworkCases.torchCase($0), folder: $0) }
    }

    /// The PyTorch cases with their state_dict as `.safetensors`
    /// (Tests/Recorded/safetensors/, written by its script from the recorded
    /// state_dicts), named by absolute path: the recorded outputs must hold.
    public static func torchSafetensors() throws -> [FixtureCase] {
        try Fixtures.cases("torch").map { folder in
            var c = try FrameworkCases.torchCase(folder, stateDict: Recorded.safetensors(folder))
            c.name = "safetensors/" + folder.lastPathComponent
            return descriptionCase(c, folder: folder)
        }
    }

    /// Keras 3 cases with `hard_sigmoid` and `linear` (Tests/Recorded/keras3/,
    /// recorded by its script with Keras 3), read with the default keras_version.
    public static func keras3Descriptions() throws -> [FrameworkCases.Case] {
        try Recorded.cases("keras3").map { folder in
            var c = try FrameworkCases.kerasCase(folder)
            c.name = "keras3/" + folder.lastPathComponent
            return c
        }
    }

    public static func keras3() throws -> [FixtureCase] {
        try zip(keras3Descriptions(), Recorded.cases("keras3")).map { descriptionCase($0, folder: $1) }
    }

    /// The audio tools' model files (Tests/Recorded/audio/, recorded by
    /// scripts/record_audio_torch.py and record_audio_keras.py): each
    /// `model.json` read as it is, run on `x.npy`, against the framework's `y`.
    public static func audio() throws -> [FixtureCase] {
        Recorded.cases("audio").map { folder in
            FixtureCase(name: "audio/" + folder.lastPathComponent) { executor in
                let (model, _) = try JSONModelFile.load(contentsOf: folder.appendingPathComponent("model.json").path, name: folder.lastPathComponent)
                let outputs = try executor.run(model, ModelInputs(x: try Fixtures.npy(folder.appendingPathComponent("x.npy"))))
                return [("y", outputs.y, try Fixtures.npy(folder.appendingPathComponent("expected_y.npy")))]
            }
        }
    }

    /// The TensorFlow Lite cases (Tests/Recorded/tflite/, recorded by
    /// scripts/record_tflite.py), each with its folder and whether the file
    /// is quantized (its case.json says).
    public static func tfliteCases() throws -> [(folder: URL, quantized: Bool)] {
        try Recorded.cases("tflite").map { folder in
            let info = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("case.json"))) as? [String: Any]
            return (folder, info?["quantized"] as? Bool ?? true)
        }
    }

    /// The float32 .tflite models, read as they are, against TFLite Micro's
    /// float outputs (the quantized ones are checked to the bit by
    /// TFLiteFixtureTests).
    public static func tfliteFloat() throws -> [FixtureCase] {
        try tfliteCases().filter { !$0.quantized }.map { folder, _ in
            FixtureCase(name: "tflite/" + folder.lastPathComponent) { executor in
                let model = try TFLiteImport.read(contentsOf: folder.appendingPathComponent("model.tflite").path, name: folder.lastPathComponent)
                let outputs = try executor.run(model, ModelInputs(x: try Fixtures.npy(folder.appendingPathComponent("x.npy"))))
                return [("y", outputs.y, try Fixtures.npy(folder.appendingPathComponent("expected_tflm.npy")))]
            }
        }
    }

    public static func all() throws -> [FixtureCase] {
        try onnxNode() + onnx() + torchExports() + tf1() + keras() + torchStateDicts() + torchSafetensors() + keras3() + audio() + tfliteFloat()
    }
}
