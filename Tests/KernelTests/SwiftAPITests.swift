import Foundation
import XCTest
import RNNCodegen
import RNNModel
import RNNReference
import RNNTestSupport

/// The generated Swift API: a value type named by `SwiftTypeName` that owns
/// its state, steps with InlineArrays or pointers, saves and restores state,
/// and agrees with the reference interpreter.
final class SwiftAPITests: XCTestCase {
    func testTypeNamesFollowTheDocumentedRule() {
        let cases: [(String, String)] = [
            ("seed_gru", "SeedGRU"), ("binary_seq_rnn", "BinarySeqRNN"), ("audio_lstm", "AudioLSTM"),
            ("seed_multi_lstm", "SeedMultiLSTM"), ("torch_lstm_proj", "TorchLSTMProj"), ("row_classifier", "RowClassifier"),
            ("SeedGRU", "SeedGRU"), ("lstm2_encoder", "LSTM2Encoder"), ("my__net_", "MyNet"), ("seqModel", "SeqModel"),
            ("_2layer_gru", "Model2layerGRU"), ("float", "FloatModel"), ("state", "StateModel"), ("_", "Model"),
            ("gruesome", "Gruesome"), ("onnx_model", "ONNXModel"),
        ]
        for (name, expected) in cases { XCTAssertEqual(SwiftTypeName.derive(name), expected, name) }
    }

    func testNameOptionNamesTheTypeAndTheFile() throws {
        let model = try ModelDescription.load(contentsOf: Repository.url("models/seed_gru/model.rnn.json").path)
        let files = try KernelGenerator.generate(model, options: KernelOptions(language: .swift, name: "MyNet"))
        XCTAssertEqual(files.map(\.name), ["MyNet.swift"])
        let text = String(decoding: files[0].contents, as: UTF8.self)
        XCTAssertTrue(text.contains("public struct MyNet: Sendable {"))
        XCTAssertTrue(text.contains("    public struct State: Sendable {"))
        XCTAssertFalse(text.contains("public enum"), "the kernel is one struct, not an enum of static functions")
        // Every public declaration has a doc comment right above it (or above its attribute).
        let lines = text.components(separatedBy: "\n")
        for (index, line) in lines.enumerated() where line.trimmingCharacters(in: .whitespaces).hasPrefix("public ") {
            var above = index - 1
            while above >= 0 && lines[above].trimmingCharacters(in: .whitespaces).hasPrefix("@") { above -= 1 }
            XCTAssertTrue(above >= 0 && lines[above].trimmingCharacters(in: .whitespaces).hasPrefix("///"), "no doc comment: \(line)")
        }
    }

    /// Compiles a program against the seed_multi_lstm (three LSTM layers) and
    /// binary_seq_rnn (a head) kernels that uses every part of the API, and
    /// compares what it prints with the interpreter.
    func testValueTypeAPIAgreesWithTheInterpreter() throws {
        let lstm = try ModelDescription.load(contentsOf: Repository.url("models/seed_multi_lstm/model.rnn.json").path)
        let rnn = try ModelDescription.load(contentsOf: Repository.url("models/binary_seq_rnn/model.rnn.json").path)
        let folder = try temporaryFolder("swift-api")
        for (model, name) in [(lstm, "seed_multi_lstm"), (rnn, "binary_seq_rnn")] {
            for file in try KernelGenerator.generate(model, options: KernelOptions(language: .swift, name: name)) {
                try Data(file.contents).write(to: folder.appendingPathComponent(file.name))
            }
        }
        let steps = 7
        let xs: [Float] = (0..<(steps * 3)).map { Float(sin(Double($0) * 0.9)) * 1.5 }
        let bits: [Float] = [0, 1, 1, 0, 0, 1, 1, 0, 1, 0]
        let program = """
        func show(_ label: String, _ values: [Float]) { print(label + " " + values.map { "\\($0)" }.joined(separator: " ")) }
        func array<let n: Int>(_ v: InlineArray<n, Float>) -> [Float] { (0..<n).map { v[$0] } }
        let xs: [Float] = [\(xs.map { "\($0)" }.joined(separator: ", "))]
        func input(_ t: Int) -> SeedMultiLSTM.Input {
            var x = SeedMultiLSTM.Input(repeating: 0)
            for k in 0..<3 { x[k] = xs[t * 3 + k] }
            return x
        }
        var model = SeedMultiLSTM()
        var ys: [Float] = []
        for t in 0..<\(steps) { ys += array(model.step(input(t))) }
        show("y", ys)
        show("final", array(model.state.flattened))
        let sendable: any Sendable = model
        _ = sendable

        // Save, step on, restore, step again: the same outputs, bit for bit.
        let saved = model.state
        let first = (0..<3).flatMap { array(model.step(input($0))) }
        model.state = saved
        let again = (0..<3).flatMap { array(model.step(input($0))) }
        print("resume", first == again)

        // The pointer step on caller-held buffers is the same step.
        var viaPointers = SeedMultiLSTM(state: saved)
        var out = [Float](repeating: 0, count: 3 * SeedMultiLSTM.outputSize)
        xs.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { y in
                for t in 0..<3 { viaPointers.step(x: x.baseAddress! + t * 3, y: y.baseAddress! + t * SeedMultiLSTM.outputSize) }
            }
        }
        print("pointers", out == first)

        // reset is a fresh model.
        model.reset()
        var fresh = SeedMultiLSTM()
        print("reset", array(model.step(input(0))) == array(fresh.step(input(0))))

        // Flattened state round trip, named vectors at their offsets, setters.
        let flat = saved.flattened
        print("flattened", array(SeedMultiLSTM.State(flattened: flat).flattened) == array(flat))
        var buffer = [Float](repeating: -1, count: SeedMultiLSTM.stateFloats)
        buffer.withUnsafeMutableBufferPointer { saved.flatten(into: $0.baseAddress!) }
        let fromPointer = buffer.withUnsafeBufferPointer { SeedMultiLSTM.State(flattened: $0.baseAddress!) }
        print("pointer state", buffer == array(flat), array(fromPointer.flattened) == buffer)
        print("named", array(saved.hS0L2Fw) == Array(array(flat)[SeedMultiLSTM.hS0L2FwOffset..<(SeedMultiLSTM.hS0L2FwOffset + 5)]),
              array(saved.cS0L0Fw) == Array(array(flat)[SeedMultiLSTM.cS0L0FwOffset..<(SeedMultiLSTM.cS0L0FwOffset + 5)]))
        var edited = SeedMultiLSTM.State()
        edited.cS0L1Fw = [1, 2, 3, 4, 5]
        print("set", array(edited.flattened)[SeedMultiLSTM.cS0L1FwOffset + 4] == 5, array(edited.flattened).reduce(0, +) == 15)

        // A head, streamed bit by bit.
        var bitsModel = BinarySeqRNN()
        let bits: [Float] = [\(bits.map { "\($0)" }.joined(separator: ", "))]
        for bit in bits { bitsModel.step(bit == 1 ? [0, 1] : [1, 0]) }
        show("head", array(bitsModel.head()))
        """
        try program.write(to: folder.appendingPathComponent("main.swift"), atomically: true, encoding: .utf8)
        let build = try shell(["swiftc", "-O", "main.swift", "seed_multi_lstm.swift", "binary_seq_rnn.swift", "-o", "api"], in: folder)
        XCTAssertEqual(build.status, 0, build.output)
        let run = try shell(["./api"], in: folder)
        XCTAssertEqual(run.status, 0, run.output)
        var printed: [String: [String]] = [:]
        for line in run.output.split(separator: "\n") {
            let words = line.split(separator: " ").map(String.init)
            printed[words[0]] = Array(words.dropFirst())
        }
        for check in ["resume", "pointers", "reset", "flattened", "pointer state", "named", "set"] {
            let key = check.components(separatedBy: " ")[0]
            let values = check == "pointer state" ? printed["pointer"].map { Array($0.dropFirst()) } : printed[key]
            XCTAssertEqual(values?.allSatisfy { $0 == "true" }, true, "\(check): \(values ?? [])")
        }

        func floats(_ key: String) -> [Double] { (printed[key] ?? []).compactMap(Double.init) }
        func assertClose(_ got: [Double], _ want: [Double], _ label: String) {
            XCTAssertEqual(got.count, want.count, label)
            for (g, r) in zip(got, want) { XCTAssertLessThanOrEqual(abs(g - r), 1e-5 + 1e-5 * abs(r), label) }
        }
        let reference = try ReferenceInterpreter(model: lstm).run(ModelInputs(x: Tensor(shape: [1, steps, 3], values: xs.map(Double.init))))
        assertClose(floats("y"), reference.y.values, "y")
        let plan = try KernelPlan(model: lstm, options: KernelOptions(language: .swift, name: "seed_multi_lstm"))
        var final = [Double](repeating: 0, count: plan.stateFloats)
        for slot in plan.states { for k in 0..<slot.size { final[slot.offset + k] = reference.finalStates[slot.name]!.values[k] } }
        assertClose(floats("final"), final, "final state")

        let oneHot = bits.flatMap { $0 == 1 ? [0.0, 1.0] : [1.0, 0.0] }
        let head = try ReferenceInterpreter(model: rnn).run(ModelInputs(x: Tensor(shape: [1, bits.count, 2], values: oneHot)))
        assertClose(floats("head"), head.head!.values, "head")
    }
}
