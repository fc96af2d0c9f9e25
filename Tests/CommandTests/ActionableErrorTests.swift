import Foundation
import XCTest
import RNNModel
import RNNTestSupport

/// Errors that say what to do: the file, the field, the layout rnngen
/// expected in the framework's own terms, and the likely fix.
final class ActionableErrorTests: XCTestCase {
    var scratch: Scratch!

    override func setUpWithError() throws { scratch = try Scratch() }

    /// Inline zeros of `shape`, as a description may give a tensor.
    func zeros(_ shape: [Int]) -> Any {
        shape.count == 1 ? Array(repeating: 0.0, count: shape[0]) : Array(repeating: zeros(Array(shape.dropFirst())), count: shape[0])
    }

    /// A one-stack description (input 3, one layer of 8 units) with these weights.
    func describe(_ framework: String, cell: String, weights: [String: [Int]], extra: [String: Any] = [:], stackExtra: [String: Any] = [:]) throws -> String {
        var stack: [String: Any] = ["cell": cell, "hidden_sizes": [8], "weights": [weights.mapValues { zeros($0) }]]
        stack.merge(stackExtra) { $1 }
        var root: [String: Any] = ["rnngen": 1, "framework": framework, "input_size": 3, "pipeline": [["recurrent": stack]]]
        root.merge(extra) { $1 }
        let data = try JSONSerialization.data(withJSONObject: root, options: [.sortedKeys])
        return try scratch.write("model.rnn.json", String(decoding: data, as: UTF8.self))
    }

    func expectError(_ model: String, _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        let result = scratch.rnngen(["inspect", model])
        XCTAssertEqual(result.code, 1, result.out, file: file, line: line)
        let message = result.err.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertFalse(message.contains("\n"), message, file: file, line: line)
        for fragment in [model] + fragments {
            XCTAssertTrue(message.contains(fragment), "'\(fragment)' not in: \(message)", file: file, line: line)
        }
    }

    let pytorchLSTM: [String: [Int]] = ["weight_ih": [32, 3], "weight_hh": [32, 8]]

    func testATransposedPyTorchWeightAsksWhetherItIsAKerasKernel() throws {
        var weights = pytorchLSTM
        weights["weight_ih"] = [3, 32]
        expectError(try describe("pytorch", cell: "lstm", weights: weights),
                    ["$.pipeline[0].recurrent.weights[0].weight_ih", "PyTorch stores weight_ih as [4·H, I] = [32, 3] (lstm with G = 4 gates, H = 8, I = 3); found [3, 32]",
                     "the transpose: is this a Keras or TF kernel ([in, out])? Then set \"framework\": \"keras\""])
    }

    func testATransposedKerasKernelAsksWhetherItIsAPyTorchWeight() throws {
        expectError(try describe("keras", cell: "gru", weights: ["kernel": [24, 3], "recurrent_kernel": [8, 24]]),
                    ["weights[0].kernel", "Keras stores kernel as [I, 3·H] = [3, 24]", "found [24, 3]",
                     "the transpose: is this a PyTorch or ONNX weight ([out, in])? Then set \"framework\": \"pytorch\""])
    }

    func testWeightsOfAnotherCellKindAreNamed() throws {
        expectError(try describe("pytorch", cell: "lstm", weights: ["weight_ih": [24, 3], "weight_hh": [24, 8]]),
                    ["found [24, 3]", "that is 3·H: the weights of a gru cell? This stack's cell is lstm"])
    }

    func testAWrongHiddenSizeIsSuggested() throws {
        expectError(try describe("onnx", cell: "gru", weights: ["W": [48, 3], "R": [48, 16]]),
                    ["ONNX stores W as [3·H, I] = [24, 3]", "that is 3·16: is the hidden size 16, not 8 (hidden_sizes)?"])
    }

    func testAWrongInputSizeSaysWhatTheLayerReads() throws {
        expectError(try describe("pytorch", cell: "rnn", weights: ["weight_ih": [8, 5], "weight_hh": [8, 8]]),
                    ["this layer reads 3 features (input_size, or the previous stage's output); the tensor has 5"])
    }

    func testAnotherFrameworksWeightNamesSuggestThatFramework() throws {
        expectError(try describe("pytorch", cell: "lstm", weights: ["kernel": [3, 32], "recurrent_kernel": [8, 32]]),
                    ["unknown weight for a PyTorch lstm cell (expected: weight_ih, weight_hh, bias_ih, bias_hh, weight_hr)",
                     "these are Keras names: set \"framework\": \"keras\""])
        expectError(try describe("keras", cell: "lstm", weights: ["W": [32, 3], "R": [32, 8]]),
                    ["these are ONNX names: set \"framework\": \"onnx\""])
    }

    func testAStateDictPrefixIsSuggested() throws {
        let archive = try NPZArchive(contentsOf: Fixtures.root.appendingPathComponent("torch/torch_lstm_h0c0/state_dict.npz").path)
        var entries: [(String, [UInt8])] = []
        for name in archive.names { entries.append(("lstm." + name + ".npy", NPY.encode(try archive.tensor(named: name)))) }
        try scratch.write("sd.npz", bytes: TestEncoding.zip(entries: entries))
        let root: [String: Any] = ["rnngen": 1, "framework": "pytorch", "input_size": 4,
                                   "pipeline": [["recurrent": ["cell": "lstm", "hidden_size": 9, "state_dict": "sd.npz"]]]]
        let model = try scratch.write("model.rnn.json", String(decoding: try JSONSerialization.data(withJSONObject: root), as: UTF8.self))
        expectError(model, ["state_dict", "no tensor 'weight_ih_l0'; the file has 'lstm.weight_ih_l0': set \"prefix\": \"lstm.\""])
        // With the prefix it loads.
        let fixed = root.merging(["pipeline": [["recurrent": ["cell": "lstm", "hidden_size": 9, "state_dict": "sd.npz", "prefix": "lstm."]]]]) { $1 }
        let good = try scratch.write("good.rnn.json", String(decoding: try JSONSerialization.data(withJSONObject: fixed), as: UTF8.self))
        XCTAssertEqual(scratch.rnngen(["inspect", good]).code, 0)
        // Too many layers: the missing layer is named, with the file's tensors.
        let deeper = root.merging(["pipeline": [["recurrent": ["cell": "lstm", "hidden_sizes": [9, 9], "state_dict": "sd.npz", "prefix": "lstm."]]]]) { $1 }
        let twoLayers = try scratch.write("deep.rnn.json", String(decoding: try JSONSerialization.data(withJSONObject: deeper), as: UTF8.self))
        expectError(twoLayers, ["no tensor 'lstm.weight_ih_l1' for layer 1, as nn.LSTM names it", "lstm.weight_ih_l0", "is hidden_sizes' layer count or 'direction' right?"])
    }

    func testUnknownActivationsListTheAcceptedNames() throws {
        expectError(try describe("keras", cell: "lstm", weights: ["kernel": [3, 32], "recurrent_kernel": [8, 32]], stackExtra: ["activation": "selu"]),
                    ["$.pipeline[0].recurrent.activation", "Keras 3 activation 'selu' has no rnngen equivalent",
                     "sigmoid, tanh, relu, softsign, softplus, elu, linear, hard_sigmoid, leaky_relu"])
        expectError(try describe("onnx", cell: "rnn", weights: ["W": [8, 3], "R": [8, 8]], stackExtra: ["activation": "swish"]),
                    ["unknown activation 'swish' (expected one of: Sigmoid, Tanh, Relu"])
        expectError(try describe("keras", cell: "rnn", weights: ["kernel": [3, 8], "recurrent_kernel": [8, 8]], extra: ["keras_version": 2], stackExtra: ["activation": "leaky_relu"]),
                    ["Keras 2 activation 'leaky_relu'"])
    }

    func testKerasVersionIsCheckedAndOnlyForKeras() throws {
        expectError(try describe("pytorch", cell: "rnn", weights: ["weight_ih": [8, 3], "weight_hh": [8, 8]], extra: ["keras_version": 3]),
                    ["$.keras_version", "applies to \"framework\": \"keras\" only (this description's framework is pytorch)"])
        expectError(try describe("keras", cell: "rnn", weights: ["kernel": [3, 8], "recurrent_kernel": [8, 8]], extra: ["keras_version": 1]),
                    ["$.keras_version", "expected 2 (Keras 2, tf.keras) or 3 (Keras 3), found 1"])
    }

    /// The same name means what each Keras version computes.
    func testKerasVersionDecidesWhatHardSigmoidMeans() throws {
        for (version, alpha) in [(2, 0.2), (3, 1.0 / 6)] {
            let model = try ModelDescription.load(contentsOf: try describe("keras", cell: "gru", weights: ["kernel": [3, 24], "recurrent_kernel": [8, 24]],
                                                                           extra: ["keras_version": version], stackExtra: ["recurrent_activation": "hard_sigmoid", "activation": "linear"]))
            let cell = model.stacks[0].layers[0].cells[0]
            XCTAssertEqual(cell.options.activations[0], Activation(.hardSigmoid, alpha: alpha, beta: 0.5), "Keras \(version)")
            XCTAssertEqual(cell.options.activations[1], Activation(.affine, alpha: 1, beta: 0), "linear is the identity")
        }
    }
}
