import Foundation
import XCTest
@testable import RNNModel
import RNNReference
import RNNGenCommands
import RNNTestSupport

/// Byte-level fuzzing of every reader, in-process and seeded: mutated
/// `.npy`, `.npz`, `.safetensors`, `.onnx` and description files must give
/// rnngen's error (`RNNError`) or a value — never a crash or a trap, which
/// would end this test process. `RNNGEN_FUZZ_SEED` picks the seed (printed),
/// `RNNGEN_FUZZ_COUNT` the inputs per reader (default 2,000).
final class FuzzTests: XCTestCase {
    typealias Generator = SplitMix64

    static let seed: UInt64 = UInt64(ProcessInfo.processInfo.environment["RNNGEN_FUZZ_SEED"] ?? "") ?? 20261127
    static let count = Int(ProcessInfo.processInfo.environment["RNNGEN_FUZZ_COUNT"] ?? "") ?? 2000

    /// Values that make lengths, sizes and offsets lie.
    static let interesting: [UInt64] = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0xffff, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff,
                                        1 << 40, 0x7fff_ffff_ffff_ffff, 0x8000_0000_0000_0000, .max]

    /// One mutation of `input`: flips, interesting values (1–8 bytes, either
    /// endianness), inserted, deleted, duplicated or truncated chunks.
    static func mutate(_ input: [UInt8], _ g: inout Generator) -> [UInt8] {
        var bytes = input
        for _ in 0...g.below(3) {
            guard !bytes.isEmpty else { bytes = [UInt8(g.below(256))]; continue }
            let at = g.below(bytes.count)
            switch g.below(7) {
            case 0: bytes[at] ^= UInt8(1 << g.below(8))
            case 1: bytes[at] = UInt8(g.below(256))
            case 2:
                let value = interesting[g.below(interesting.count)], width = [1, 2, 4, 8][g.below(4)], big = g.below(2) == 0
                for k in 0..<width where at + k < bytes.count {
                    let shift = UInt64(8 * (big ? width - 1 - k : k))
                    bytes[at + k] = UInt8(truncatingIfNeeded: value >> shift)
                }
            case 3: bytes.insert(contentsOf: (0..<g.below(16)).map { _ in UInt8(g.below(256)) }, at: at)
            case 4: bytes.removeSubrange(at..<min(bytes.count, at + 1 + g.below(32)))
            case 5:
                let end = min(bytes.count, at + 1 + g.below(64))
                bytes.insert(contentsOf: Array(bytes[at..<end]), at: g.below(bytes.count))
            default: bytes.removeSubrange(at..<bytes.count)
            }
        }
        return bytes
    }

    /// Feeds `count` mutations of `seedFile` to `read`; every throw must be
    /// an RNNError, and no input may take longer than a second.
    func fuzz(_ label: String, _ seedFile: [UInt8], salt: UInt64, count: Int = FuzzTests.count,
              mutation: ([UInt8], inout Generator) -> [UInt8] = FuzzTests.mutate, _ read: ([UInt8]) throws -> Void) {
        var g = Generator(seed: Self.seed ^ salt)
        var rejected = 0, accepted = 0, slowest = 0.0
        for index in 0..<count {
            let input = mutation(seedFile, &g)
            let start = Date()
            defer {
                let seconds = Date().timeIntervalSince(start)
                slowest = max(slowest, seconds)
                if seconds > 1 { XCTFail("\(label) #\(index) (seed \(Self.seed)): took \(seconds) s, more than a second") }
            }
            do {
                try read(input)
                accepted += 1
            } catch let error as RNNError {
                rejected += 1
                let line = error.description
                if index < 50 || line.count > 2000 {
                    XCTAssertLessThan(Quote.text(line, limit: 1000).count, 1100, "\(label) #\(index): \(line.prefix(200))")
                }
            } catch {
                XCTFail("\(label) #\(index) (seed \(Self.seed)): not an RNNError: \(error)")
            }
        }
        print("fuzz \(label): \(count) inputs, seed \(Self.seed): \(rejected) rejected, \(accepted) read, slowest \(String(format: "%.3f", slowest)) s")
    }

    func file(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: Repository.url("Tests").appendingPathComponent(path))) }

    func testNPY() throws {
        fuzz("npy", try file("Fixtures/torch/torch_lstm_h0c0/x.npy"), salt: 1) { _ = try NPY.decode($0) }
    }

    func testNPZ() throws {
        fuzz("npz", try file("Fixtures/torch/torch_lstm_h0c0/state_dict.npz"), salt: 2) { bytes in
            let archive = try NPZArchive(path: "fuzz.npz", bytes: bytes)
            for name in archive.names { _ = try archive.tensor(named: name) }
        }
    }

    func testSafetensors() throws {
        fuzz("safetensors", try file("Recorded/safetensors/torch_lstm_h0c0/model.safetensors"), salt: 3) { bytes in
            let archive = try SafetensorsFile(path: "fuzz.safetensors", bytes: bytes)
            for name in archive.names { _ = try archive.tensor(named: name) }
        }
    }

    func testONNX() throws {
        fuzz("onnx", try file("Fixtures/onnx/gru_h7_lbr0_bidir_seqlens/model.onnx"), salt: 4) { bytes in
            let graph = try ONNXReader.decode(bytes)
            _ = try? ONNXImport.recognize(graph, name: "fuzz", provided: [:])
        }
    }

    /// Mutated .tflite files (a quantized stack and a float LSTM): the
    /// FlatBuffer offsets, vtables, vectors, tensor types, shapes and
    /// quantization parameters lie. What reads runs a step in integers (or
    /// in double for the float file) on a small input.
    func testTFLite() throws {
        for (index, name) in ["lstm_i8_stacked_batch3", "lstm_i8_float_io", "lstm_float_h8"].enumerated() {
            fuzz("tflite \(name)", try file("Recorded/tflite/\(name)/model.tflite"), salt: 40 + UInt64(index), count: Self.count / 2) { bytes in
                let model = try TFLiteImport.read(bytes: bytes, file: "fuzz.tflite", name: "fuzz")
                guard model.inputSize <= 64, model.stacks.allSatisfy({ $0.layers.allSatisfy { $0.cells.allSatisfy { $0.hiddenSize <= 64 } } }) else { return }
                let x = Tensor(shape: model.layout == .timeMajor ? [2, 1, model.inputSize] : [1, 2, model.inputSize],
                               values: (0..<(2 * model.inputSize)).map { Double($0 % 5) - 2 })
                if model.isQuantized { _ = try IntegerInterpreter(model: model).run(ModelInputs(x: x)) }
                else { _ = try ReferenceInterpreter(model: model).run(ModelInputs(x: x)) }
            }
        }
    }

    /// Mutated ONNX graphs run end to end on their recorded inputs: the graph
    /// runner's ops (Transpose, Squeeze, Slice, Concat, …) with lying
    /// attributes, shapes and initializers. A tenth of the readers' count, as
    /// every accepted graph also runs.
    func testONNXGraphsRun() throws {
        for (index, folder) in ["Fixtures/torch/torch_lstm_h0c0", "Fixtures/torch/torch_gru_bidir_h0", "Fixtures/onnx/gru_h7_lbr0_bidir_seqlens"].enumerated() {
            var inputs: [String: Tensor] = [:]
            let url = Repository.url("Tests").appendingPathComponent(folder)
            for name in try FileManager.default.contentsOfDirectory(atPath: url.path) where name.hasSuffix(".npy") && !name.hasPrefix("expected") {
                inputs[String(name.dropLast(4))] = try NPY.read(contentsOf: url.appendingPathComponent(name).path)
            }
            fuzz("onnx graph \(URL(fileURLWithPath: folder).lastPathComponent)", try file(folder + "/model.onnx"), salt: 6 + UInt64(index),
                 count: max(Self.count / 10, 200)) { bytes in
                let graph = try ONNXReader.decode(bytes)
                let runner = try ONNXGraphRunner(graph: graph)
                _ = try runner.run(inputs: inputs)
            }
        }
    }

    /// Runs an rnngen command line in-process; its error (which must be one
    /// line) comes back as the RNNError it was.
    func rnngen(_ args: [String]) throws {
        let run = RNNGen.run(args)
        guard run.code != 0 else { return }
        let err = String(run.err.dropLast())
        XCTAssertTrue(err.hasPrefix("rnngen: error: ") && !err.contains("\n"), "not one line: \(err.prefix(300))")
        throw RNNError(err)
    }

    /// A fresh folder for mutated files, removed after `body`.
    func withScratchFolder(_ label: String, _ body: (URL) throws -> Void) throws {
        let folder = try temporaryFolder("fuzz-\(label)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try body(folder)
    }

    /// `rnngen run` on mutated inputs: x, seq_lens and a PyTorch h0 with
    /// lying dtypes, shapes and values, in-process. A fiftieth of the
    /// readers' count, as every accepted input also runs the model and
    /// writes its outputs.
    func testRunInputs() throws {
        let cases: [(model: String, input: String, file: String, others: [String])] = [
            ("../models/seed_gru/model.rnn.json", "x", "../models/seed_gru/x.npy", ["seq_lens=../models/seed_gru/seq_lens.npy"]),
            ("../models/seed_gru/model.rnn.json", "seq_lens", "../models/seed_gru/seq_lens.npy", ["x=../models/seed_gru/x.npy"]),
            ("Fixtures/torch/torch_lstm_h0c0/model.onnx", "h0", "Fixtures/torch/torch_lstm_h0c0/h0.npy",
             ["x=Fixtures/torch/torch_lstm_h0c0/x.npy", "c0=Fixtures/torch/torch_lstm_h0c0/c0.npy"]),
        ]
        try withScratchFolder("run") { folder in
            for (index, c) in cases.enumerated() {
                let mutated = folder.appendingPathComponent("\(c.input).npy").path, out = folder.appendingPathComponent("out").path
                let fixed = c.others.flatMap { ["--input", $0.replacingOccurrences(of: "=", with: "=" + Repository.path("Tests") + "/")] }
                fuzz("run --input \(c.input) (\(URL(fileURLWithPath: c.model).deletingLastPathComponent().lastPathComponent))", try file(c.file),
                     salt: 20 + UInt64(index), count: max(Self.count / 50, 200)) { bytes in
                    try Data(bytes).write(to: URL(fileURLWithPath: mutated))
                    try rnngen(["run", Repository.url("Tests").appendingPathComponent(c.model).path, "--input", "\(c.input)=\(mutated)"] + fixed + ["--output-dir", out])
                }
            }
        }
    }

    /// `rnngen inspect` on mutated models, in-process: the summary's sizes,
    /// parameter and FLOP counts, and weights given as graph inputs (which
    /// inspect stands in for with zeros of their declared shapes).
    func testInspect() throws {
        try withScratchFolder("inspect") { folder in
            let mutated = folder.appendingPathComponent("model.onnx")
            for (index, source) in ["Fixtures/onnx/lstm_h12_weights_as_inputs/model.onnx", "Fixtures/torch/torch_lstm_2layer_bidir/model.onnx"].enumerated() {
                fuzz("inspect \(URL(fileURLWithPath: source).deletingLastPathComponent().lastPathComponent)", try file(source), salt: 30 + UInt64(index),
                     count: max(Self.count / 20, 200)) { bytes in
                    try Data(bytes).write(to: mutated)
                    try rnngen(["inspect", mutated.path])
                }
            }
        }
    }

    func testDescription() throws {
        let text = """
        {"rnngen": 1, "name": "fuzz", "framework": "keras", "input_size": 2, "layout": "batch_major", "pipeline": [
          {"dense": {"units": 3, "activation": "relu", "kernel": [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], "bias": [0, 0, 0]}},
          {"recurrent": {"cell": "gru", "hidden_sizes": [2], "activation": "hard_sigmoid",
            "weights": [{"kernel": [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]],
                         "recurrent_kernel": [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]]}]}},
          {"head": {"activation": "softmax", "kernel": [[1, 0], [0, 1]]}}
        ]}
        """
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnngen-fuzz-\(UUID().uuidString)")
        fuzz("description", Array(text.utf8), salt: 5) { bytes in
            _ = try ModelDescription.parse(Data(bytes), baseDirectory: folder)
        }
    }

    /// RTNeural's model JSON, the amp models' JSON and a state_dict's JSON, read by content.
    func testAudioModelFiles() throws {
        let rtneural = """
        {"in_shape": [null, null, 2], "in_skip": 1, "layers": [
          {"type": "gru", "activation": "tanh", "shape": [null, null, 2], "weights": [[[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]],
            [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]], [[0, 0, 0, 0, 0, 0], [0.1, 0, 0, 0, 0, 0]]]},
          {"type": "prelu", "activation": "", "shape": [null, null, 2], "weights": [[[0.25, -0.5]]]},
          {"type": "activation", "activation": "elu", "shape": [null, null, 2], "weights": []},
          {"type": "dense", "activation": "", "shape": [null, null, 1], "weights": [[[0.5], [-0.5]], [0.1]]}
        ]}
        """
        let amp = """
        {"model_data": {"model": "SimpleRNN", "input_size": 1, "skip": 1, "output_size": 1, "unit_type": "LSTM", "num_layers": 1,
          "hidden_size": 1, "bias_fl": true}, "state_dict": {"rec.weight_ih_l0": [[0.1], [0.2], [0.3], [0.4]],
          "rec.weight_hh_l0": [[0.1], [0.2], [0.3], [0.4]], "rec.bias_ih_l0": [0, 0, 0, 0], "rec.bias_hh_l0": [0, 0, 0, 0.5],
          "lin.weight": [[0.7]], "lin.bias": [0.01]}}
        """
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnngen-fuzz-\(UUID().uuidString)")
        XCTAssertNoThrow(try JSONModelFile.parse(Data(rtneural.utf8), baseDirectory: folder, name: "fuzz"))
        XCTAssertNoThrow(try JSONModelFile.parse(Data(amp.utf8), baseDirectory: folder, name: "fuzz"))
        let stateDict = """
        {"rnn.weight_ih_l0": [[0.5], [0.25]], "rnn.weight_hh_l0": [[0.1, 0.2], [0.3, 0.4]], "rnn.bias_ih_l0": [0, 0.1],
         "act.weight": [0.2, 0.3], "out.weight": [[1.0, -1.0]], "out.bias": [0.5]}
        """
        XCTAssertNoThrow(try JSONModelFile.parse(Data(stateDict.utf8), baseDirectory: folder, name: "fuzz"))
        for (label, text, salt) in [("RTNeural JSON", rtneural, UInt64(21)), ("amp model JSON", amp, UInt64(22)), ("state_dict JSON", stateDict, UInt64(23))] {
            fuzz(label, Array(text.utf8), salt: salt) { bytes in
                _ = try JSONModelFile.parse(Data(bytes), baseDirectory: folder, name: "fuzz")
            }
        }
    }

    /// Structure-aware: the description parsed, then its values replaced by
    /// lying ones (huge, negative, fractional and tiny numbers; empty, long,
    /// NUL and path strings reaching outside the folder or into /dev),
    /// elements dropped, duplicated or nested hundreds deep, keys removed or
    /// added; written back as JSON and read.
    func testDescriptionStructure() throws {
        let seedText = try file("../models/keras_classifier/model.rnn.json")
        let base = try JSONSerialization.jsonObject(with: Data(seedText))
        let folder = Repository.url("Tests").appendingPathComponent("../models/keras_classifier")
        let numbers: [Any] = [0, -1, 1e300, -1e300, 2_147_483_648, 9.3e18, 0.5, -0.0, 1e-320, 65536, 1 << 40]
        let strings: [Any] = ["", "/dev/zero", "/dev/stdin", "../../../../../../etc/passwd", "/", String(repeating: "a", count: 100_000),
                              "nan", "\u{0}", "lstm", "gru", "time_major", "dense_kernel.npy", "../keras_classifier/x.npy"]
        func mutate(_ value: Any, _ g: inout Generator, depth: Int) -> Any {
            // Walk down to a random node, then change it.
            if depth < 12, g.below(3) != 0 {
                if var dict = value as? [String: Any], !dict.isEmpty {
                    let key = dict.keys.sorted()[g.below(dict.count)]
                    dict[key] = mutate(dict[key]!, &g, depth: depth + 1)
                    return dict
                }
                if var array = value as? [Any], !array.isEmpty {
                    let at = g.below(array.count)
                    array[at] = mutate(array[at], &g, depth: depth + 1)
                    return array
                }
            }
            switch g.below(8) {
            case 0: return numbers[g.below(numbers.count)]
            case 1: return strings[g.below(strings.count)]
            case 2: return NSNull()
            case 3:
                var nested: Any = value
                for _ in 0..<(1 + g.below(400)) { nested = [nested] }
                return nested
            case 4:
                guard var array = value as? [Any], !array.isEmpty else { return [value, value] }
                if g.below(2) == 0 { array.remove(at: g.below(array.count)) } else { array.insert(array[g.below(array.count)], at: g.below(array.count)) }
                return array
            case 5:
                guard var dict = value as? [String: Any], !dict.isEmpty else { return ["unknown": value] }
                if g.below(2) == 0 { dict.removeValue(forKey: dict.keys.sorted()[g.below(dict.count)]) } else { dict["extra\(g.below(9))"] = value }
                return dict
            case 6: return [String: Any]()
            default: return [Any]()
            }
        }
        // A quarter of the count: each input is a JSON round trip and reads the weight files.
        fuzz("description structure", [], salt: 11, count: max(Self.count / 4, 500), mutation: { _, g in
            var value: Any = base
            for _ in 0...g.below(3) { value = mutate(value, &g, depth: 0) }
            return [UInt8]((try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed])) ?? Data())
        }) { bytes in
            _ = try ModelDescription.parse(Data(bytes), baseDirectory: folder)
        }
    }
}
