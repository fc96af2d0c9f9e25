import Foundation
import XCTest
import RNNModel
import RNNReference


/// The TF1, Keras and PyTorch (state_dict) fixtures, each turned into a model
/// description the way a user would write it (then loaded through the
/// description parser and the framework importers).
public enum FrameworkCases {
    public struct Case {
        public var name: String
        public var description: [String: Any]
        public var inputs: ModelInputs
        /// Expected tensors, each with a function picking the matching output.
        public var expected: [(label: String, tensor: Tensor, pick: (ModelOutputs) -> Tensor?)]
    }

    public static func exists(_ url: URL) -> Bool { FileManager.default.fileExists(atPath: url.path) }

    /// Splits the last axis of `t` into `[start, start + count)`.
    public static func features(_ t: Tensor, _ start: Int, _ count: Int) -> Tensor {
        let F = t.shape.last!
        var values: [Double] = []
        for row in 0..<(t.count / F) { values += t.values[(row * F + start)..<(row * F + start + count)] }
        return Tensor(shape: Array(t.shape.dropLast()) + [count], values: values)
    }

    // MARK: TensorFlow 1

    public static func tf1Case(_ folder: URL) throws -> Case {
        let config = try Fixtures.json(folder.appendingPathComponent("case.json"))
        let cellName = config["cell"] as! String
        let kind = cellName.contains("GRU") ? "gru" : cellName.contains("LSTM") ? "lstm" : "rnn"
        let sizes = config["units_per_layer"] as! [Int]
        let bidirectional = config["bidirectional"] as! Bool
        let timeMajor = config["time_major"] as! Bool
        let D = bidirectional ? 2 : 1
        var layers = Array(repeating: Array(repeating: [String: Any](), count: D), count: sizes.count)
        let suffixes: [(String, String)] = [
            ("gates/kernel:0", "gates_kernel"), ("gates/bias:0", "gates_bias"),
            ("candidate/kernel:0", "candidate_kernel"), ("candidate/bias:0", "candidate_bias"),
            ("w_i_diag:0", "w_i_diag"), ("w_f_diag:0", "w_f_diag"), ("w_o_diag:0", "w_o_diag"),
            ("projection/kernel:0", "projection"), ("/kernel:0", "kernel"), ("/bias:0", "bias"),
        ]
        for (path, entry) in config["variables"] as! [String: Any] {
            let file = (entry as! [Any])[0] as! String
            let d = path.contains("/bw/") ? 1 : 0
            var k = 0
            if let range = path.range(of: #"cell_(\d+)/"#, options: .regularExpression) {
                k = Int(path[range].dropFirst(5).dropLast())!
            }
            let name = suffixes.first { path.hasSuffix($0.0) }!.1
            layers[k][d][name] = file
        }
        var stack: [String: Any] = [
            "cell": kind, "hidden_sizes": sizes, "direction": bidirectional ? "bidirectional" : "forward",
            "activation": config["activation"] as! String,
            "weights": layers.map { bidirectional ? ["forward": $0[0], "backward": $0[1]] : $0[0] },
        ]
        if let forgetBias = config["forget_bias"] as? Double { stack["forget_bias"] = forgetBias }
        if let range = cellName.range(of: #"cell_clip=[0-9.]+"#, options: .regularExpression) {
            stack["cell_clip"] = Double(cellName[range].dropFirst("cell_clip=".count))!
        }
        let x = try Fixtures.npy(folder.appendingPathComponent("x.npy"))
        let description: [String: Any] = [
            "rnngen": 1, "name": folder.lastPathComponent, "framework": "tf1", "input_size": x.shape[2],
            "layout": timeMajor ? "time_major" : "batch_major", "pipeline": [["recurrent": stack]],
        ]
        var inputs = ModelInputs(x: x)
        if exists(folder.appendingPathComponent("seq_len.npy")) {
            inputs.sequenceLengths = try Fixtures.npy(folder.appendingPathComponent("seq_len.npy")).values.map { Int($0) }
        }
        for k in sizes.indices {
            for part in ["h", "c"] {
                let names = sizes.count == 1 ? ["initial_\(part).npy", "initial_0_\(part).npy"] : ["initial_\(k)_\(part).npy"]
                for name in names where exists(folder.appendingPathComponent(name)) {
                    inputs.initialStates[StateName(stack: 0, layer: k, reverse: false, isCell: part == "c")] =
                        try Fixtures.npy(folder.appendingPathComponent(name))
                }
            }
        }
        var expected: [(String, Tensor, (ModelOutputs) -> Tensor?)] = []
        let top = sizes.last!
        if bidirectional {
            expected.append(("outputs_fw", try Fixtures.npy(folder.appendingPathComponent("expected_outputs_fw.npy")), { features($0.y, 0, top) }))
            expected.append(("outputs_bw", try Fixtures.npy(folder.appendingPathComponent("expected_outputs_bw.npy")), { features($0.y, top, top) }))
        } else {
            expected.append(("outputs", try Fixtures.npy(folder.appendingPathComponent("expected_outputs.npy")), { $0.y }))
        }
        for d in 0..<D {
            for k in sizes.indices {
                for part in ["h", "c"] {
                    let direction = bidirectional ? (d == 0 ? "fw_" : "bw_") : ""
                    let candidates = ["expected_state_\(direction)\(k)_\(part).npy"] + (sizes.count == 1 ? ["expected_state_\(direction)\(part).npy"] : [])
                    for name in candidates where exists(folder.appendingPathComponent(name)) {
                        let state = StateName(stack: 0, layer: k, reverse: d == 1, isCell: part == "c")
                        expected.append((name, try Fixtures.npy(folder.appendingPathComponent(name)), { $0.finalStates[state] }))
                    }
                }
            }
        }
        // Every expected file of the case must be compared.
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("expected_") }
        XCTAssertEqual(expected.count, files.count, "\(folder.lastPathComponent): every expected file is checked")
        return Case(name: "tf1/" + folder.lastPathComponent, description: description, inputs: inputs, expected: expected)
    }


    // MARK: Keras

    public static func kerasCase(_ folder: URL) throws -> Case {
        let config = try Fixtures.json(folder.appendingPathComponent("case.json"))
        let weights = config["weights"] as! [String: Any]
        func file(_ path: String) -> String { (weights[path] as! [Any])[0] as! String }
        func cellWeights(_ prefix: String) -> [String: Any] {
            var out: [String: Any] = [:]
            for name in ["kernel", "recurrent_kernel", "bias"] {
                if let key = weights.keys.first(where: { $0.hasPrefix(prefix + "/") && $0.hasSuffix("/" + name) }) { out[name] = file(key) }
            }
            return out
        }
        func kindOf(_ prefix: String) -> String {
            let key = weights.keys.first { $0.hasPrefix(prefix + "/") }!
            return key.contains("lstm_cell") ? "lstm" : key.contains("gru_cell") ? "gru" : "rnn"
        }
        func recurrent(_ layer: [String: Any], prefix: String) -> [String: Any] {
            var stack: [String: Any] = ["cell": kindOf(prefix), "hidden_sizes": [layer["units"] as! Int]]
            stack["activation"] = layer["activation"] as! String
            if let r = layer["recurrent_activation"] as? String { stack["recurrent_activation"] = r }
            if let resetAfter = layer["reset_after"] as? Bool { stack["linear_before_reset"] = resetAfter }
            return stack
        }
        let x = try Fixtures.npy(folder.appendingPathComponent("x.npy"))
        var pipeline: [[String: Any]] = []
        var returnState = false
        var lastReturnsSequences = true
        for layer in config["layers"] as! [[String: Any]] {
            let name = layer["name"] as! String
            if layer["merge_mode"] != nil {
                let inner = (layer["layer"] as! [String: Any])["config"] as! [String: Any]
                let backward = (layer["backward_layer"] as! [String: Any])["config"] as! [String: Any]
                XCTAssertEqual(layer["merge_mode"] as? String, "concat")
                var stack = recurrent(inner, prefix: name + "/" + (inner["name"] as! String))
                stack["direction"] = "bidirectional"
                stack["weights"] = [[
                    "forward": cellWeights(name + "/" + (inner["name"] as! String)),
                    "backward": cellWeights(name + "/" + (backward["name"] as! String)),
                ]]
                pipeline.append(["recurrent": stack])
            } else if layer["return_sequences"] == nil {
                // Dense: on the last state when the previous layer returned no sequence.
                let dense: [String: Any] = ["activation": layer["activation"] as! String,
                                            "kernel": file(name + "/kernel"), "bias": file(name + "/bias")]
                pipeline.append([lastReturnsSequences ? "dense" : "head": dense])
            } else {
                var stack = recurrent(layer, prefix: name)
                if layer["go_backwards"] as! Bool {
                    stack["direction"] = "reverse"
                    stack["output_order"] = "processing"
                }
                stack["weights"] = [cellWeights(name)]
                pipeline.append(["recurrent": stack])
                returnState = layer["return_state"] as! Bool
                lastReturnsSequences = layer["return_sequences"] as! Bool
            }
        }
        let description: [String: Any] = ["rnngen": 1, "name": "k", "framework": "keras", "input_size": x.shape[2],
                                          "layout": "batch_major", "pipeline": pipeline]
        var expected: [(String, Tensor, (ModelOutputs) -> Tensor?)] = []
        let outputs = config["outputs"] as! [[Any]]
        for (index, entry) in outputs.enumerated() {
            let tensor = try Fixtures.npy(folder.appendingPathComponent(entry[0] as! String))
            let pick: (ModelOutputs) -> Tensor?
            switch index {
            case 0 where pipeline.last?["head"] != nil: pick = { $0.head }
            case 0: pick = { $0.y }
            default:
                XCTAssertTrue(returnState)
                let state = StateName(stack: 0, layer: 0, reverse: false, isCell: index == 2)
                pick = { $0.finalStates[state] }
            }
            expected.append((entry[0] as! String, tensor, pick))
        }
        return Case(name: "keras/" + folder.lastPathComponent, description: description, inputs: ModelInputs(x: x), expected: expected)
    }


    // MARK: PyTorch state_dict

    /// `file`: the state_dict file to name (default: the case's own `state_dict.npz`).
    public static func torchCase(_ folder: URL, stateDict file: URL? = nil) throws -> Case {
        let config = try Fixtures.json(folder.appendingPathComponent("case.json"))
        let stateDict = config["state_dict"] as! [String: [Int]]
        let module = config["description"] as! String
        let kind = module.hasPrefix("nn.LSTM") ? "lstm" : module.hasPrefix("nn.GRU") ? "gru" : "rnn"
        let G = kind == "lstm" ? 4 : kind == "gru" ? 3 : 1
        let layers = stateDict.keys.filter { $0.hasPrefix("weight_ih_l") && !$0.hasSuffix("_reverse") }.count
        let bidirectional = stateDict.keys.contains { $0.hasSuffix("_reverse") }
        let hidden = stateDict["weight_ih_l0"]![0] / G
        let batchFirst = config["batch_first"] as! Bool
        var stack: [String: Any] = ["cell": kind, "hidden_size": hidden, "num_layers": layers,
                                    "direction": bidirectional ? "bidirectional" : "forward", "state_dict": file?.path ?? "state_dict.npz"]
        if module.contains("nonlinearity='relu'") { stack["activation"] = "relu" }
        let x = try Fixtures.npy(folder.appendingPathComponent("x.npy"))
        let description: [String: Any] = ["rnngen": 1, "name": "t", "framework": "pytorch", "input_size": x.shape[2],
                                          "layout": batchFirst ? "batch_major" : "time_major", "pipeline": [["recurrent": stack]]]
        let D = bidirectional ? 2 : 1
        var inputs = ModelInputs(x: x)
        for (part, isCell) in [("h0", false), ("c0", true)] where exists(folder.appendingPathComponent(part + ".npy")) {
            let all = try Fixtures.npy(folder.appendingPathComponent(part + ".npy")).unstacked()
            for (index, t) in all.enumerated() {
                inputs.initialStates[StateName(stack: 0, layer: index / D, reverse: index % D == 1, isCell: isCell)] = t
            }
        }
        var expected: [(String, Tensor, (ModelOutputs) -> Tensor?)] = [
            ("output", try Fixtures.npy(folder.appendingPathComponent("expected_output.npy")), { $0.y }),
        ]
        for (part, isCell) in [("h_n", false), ("c_n", true)] where exists(folder.appendingPathComponent("expected_\(part).npy")) {
            let want = try Fixtures.npy(folder.appendingPathComponent("expected_\(part).npy"))
            expected.append((part, want, { outputs in
                let parts = (0..<(layers * D)).compactMap { outputs.finalStates[StateName(stack: 0, layer: $0 / D, reverse: $0 % D == 1, isCell: isCell)] }
                guard parts.count == layers * D else { return nil }
                return Tensor.stacked(parts, shape: [layers * D] + parts[0].shape)
            }))
        }
        return Case(name: "torch/" + folder.lastPathComponent, description: description, inputs: inputs, expected: expected)
    }

}
