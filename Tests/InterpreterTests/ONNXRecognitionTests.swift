import Foundation
import XCTest
import RNNModel
import RNNReference
import RNNTestSupport

/// The stack recognised in each ONNX graph, run as a canonical model by the
/// interpreter, must give the graph's outputs: this is the route kernels
/// take from an `.onnx` file.
final class ONNXRecognitionTests: XCTestCase {
    func testTorchExportsBecomeOneStack() throws {
        var checked = 0
        for folder in Fixtures.cases("torch") {
            let file = folder.appendingPathComponent("model.onnx")
            guard FileManager.default.fileExists(atPath: file.path) else { continue }
            let config = try Fixtures.json(folder.appendingPathComponent("case.json"))
            let recognized = try ONNXImport.recognize(try ONNXReader.read(contentsOf: file.path), name: "m")
            let model = recognized.model
            XCTAssertEqual(model.layout, (config["batch_first"] as! Bool) ? .batchMajor : .timeMajor, folder.lastPathComponent)
            let stack = model.stacks[0]
            let D = stack.directionCount, L = stack.layers.count
            XCTAssertEqual(L, (config["state_dict"] as! [String: Any]).keys.filter { $0.hasPrefix("weight_ih_l") && !$0.hasSuffix("reverse") }.count)

            var inputs = ModelInputs(x: try Fixtures.npy(folder.appendingPathComponent("x.npy")))
            for (name, isCell) in [("h0", false), ("c0", true)] {
                let url = folder.appendingPathComponent(name + ".npy")
                guard FileManager.default.fileExists(atPath: url.path) else { continue }
                for (i, t) in try Fixtures.npy(url).unstacked().enumerated() {
                    inputs.initialStates[StateName(stack: 0, layer: i / D, reverse: i % D == 1, isCell: isCell)] = t
                }
            }
            let out = try ReferenceInterpreter(model: model).run(inputs)
            let expected = try Fixtures.npy(folder.appendingPathComponent("expected_output.npy"))
            XCTAssertLessThanOrEqual(out.y.maxAbsDifference(to: expected), fixtureTolerance, folder.lastPathComponent)
            let hn = try Fixtures.npy(folder.appendingPathComponent("expected_h_n.npy")).unstacked()
            for (i, want) in hn.enumerated() {
                let got = out.finalStates[StateName(stack: 0, layer: i / D, reverse: i % D == 1, isCell: false)]!
                XCTAssertLessThanOrEqual(got.maxAbsDifference(to: want), fixtureTolerance, "\(folder.lastPathComponent) h_n[\(i)]")
            }
            checked += 1
        }
        XCTAssertEqual(checked, 6)
    }

    func testSingleNodeCasesMatchThroughTheCanonicalModel() throws {
        for folder in Fixtures.cases("onnx") {
            let graph = try ONNXReader.read(contentsOf: folder.appendingPathComponent("model.onnx").path)
            var provided: [String: Tensor] = [:]
            for name in ["W", "R", "B", "P"] where graph.requiredInputs.contains(where: { $0.name == name }) {
                provided[name] = try Fixtures.npy(folder.appendingPathComponent(name + ".npy"))
            }
            let model = try ONNXImport.recognize(graph, name: "m", provided: provided).model
            let stack = model.stacks[0]
            let D = stack.directionCount, H = stack.layers[0].cells[0].hiddenSize
            func load(_ name: String) throws -> Tensor? {
                let url = folder.appendingPathComponent(name + ".npy")
                return FileManager.default.fileExists(atPath: url.path) ? try Fixtures.npy(url) : nil
            }
            var inputs = ModelInputs(x: try load("X")!, sequenceLengths: try load("sequence_lens")?.values.map { Int($0) })
            for (name, isCell) in [("initial_h", false), ("initial_c", true)] {
                guard var t = try load(name) else { continue }
                if model.layout == .batchMajor { t = t.transposed([1, 0, 2]) }
                for (d, part) in t.unstacked().enumerated() {
                    inputs.initialStates[StateName(stack: 0, layer: 0, reverse: stack.isReverse(direction: d), isCell: isCell)] = part
                }
            }
            let out = try ReferenceInterpreter(model: model).run(inputs)
            // ONNX Y is [T, D, B, H] (layout 0) or [B, T, D, H] (layout 1).
            var want = try load("expected_Y")!
            if model.layout == .timeMajor { want = want.transposed([0, 2, 1, 3]) }
            want = want.reshaped(out.y.shape)
            XCTAssertLessThanOrEqual(out.y.maxAbsDifference(to: want), fixtureTolerance, folder.lastPathComponent)
            XCTAssertEqual(out.y.shape.last, D * H)
        }
    }

    func testTwoUnchainedRecurrentNodesAreRefused() throws {
        // Two LSTMs that both read the graph input are not a stack.
        let folder = Fixtures.root.appendingPathComponent("torch/torch_lstm_h0c0")
        var graph = try ONNXReader.read(contentsOf: folder.appendingPathComponent("model.onnx").path)
        guard let index = graph.nodes.firstIndex(where: { $0.opType == "LSTM" }) else { return XCTFail("no LSTM") }
        var copy = graph.nodes[index]
        copy.name = "second"
        copy.outputs = copy.outputs.map { $0.isEmpty ? $0 : $0 + "_2" }
        graph.nodes.append(copy)
        XCTAssertThrowsError(try ONNXImport.recognize(graph, name: "m")) { error in
            XCTAssertTrue("\(error)".contains("node 'second' (LSTM): does not read the output of"), "\(error)")
        }
    }
}
