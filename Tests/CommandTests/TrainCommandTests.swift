import Foundation
import RNNCodegen
import RNNKernelRunner
import RNNModel
import RNNReference
import RNNTestSupport
import XCTest

/// `rnngen train`: the kernel engine against the interpreter's float64
/// training on the same data, the trained description read back, the same
/// command giving the same bytes, and bad data as one-line errors.
final class TrainCommandTests: XCTestCase {
    /// A small GRU → dense model written as a description.
    func model(_ scratch: Scratch, seed: UInt64 = 3) throws -> (path: String, model: Model) {
        var random = RandomModels(seed: seed)
        let stack = random.stack(RandomModels.CellSpec(kind: .gru, linearBeforeReset: true), inputSize: 3, hiddenSizes: [5])
        let model = Model(name: "small", inputSize: 3, layout: .batchMajor, stages: [.recurrent(stack), .dense(random.dense(5, 2, .none))])
        for (name, bytes) in try DescriptionWriter.files(for: model) { _ = try scratch.write(name, bytes: bytes) }
        return (scratch.path("small.rnn.json"), model)
    }

    func data(_ scratch: Scratch, items N: Int = 6, steps T: Int = 12) throws -> (x: String, labels: String, target: String) {
        var rng = SplitMix64(seed: 9)
        let x = Tensor(shape: [N, T, 3], values: (0..<(N * T * 3)).map { _ in Double(Float(rng.uniform(-1, 1))) })
        let labels = Tensor(shape: [N, T], elementType: .int32, values: (0..<(N * T)).map { _ in Double(rng.next() % 2) })
        let target = Tensor(shape: [N, T, 2], values: (0..<(N * T * 2)).map { _ in Double(Float(rng.uniform(-1, 1))) })
        return (try scratch.write("x.npy", x), try scratch.write("labels.npy", labels), try scratch.write("target.npy", target))
    }

    func trained(_ folder: String) throws -> Model {
        try JSONModelFile.load(contentsOf: folder + "/small.rnn.json", name: "small").0
    }

    /// Both engines, SGD with momentum, 2 epochs of 3 windows: the kernel's
    /// float32 weights within 1e-5·(1 + |w|) of the interpreter's float64
    /// ones after 6 steps; and they moved (by far more than that).
    func testKernelEngineTrainsLikeTheInterpreter() throws {
        let scratch = try Scratch()
        let (path, start) = try model(scratch)
        let files = try data(scratch)
        for (loss, data) in [("cross-entropy", ["--labels", files.labels]), ("esr", ["--target", files.target])] {
            var outputs: [Model] = []
            for engine in ["kernel", "reference"] {
                let out = scratch.path("\(engine)-\(loss)")
                var arguments = ["train", path, "--input", "x=\(files.x)"] + data
                arguments += ["--loss", loss, "--steps", "4", "--epochs", "2", "--optimizer", "sgd", "--learning-rate", "0.5", "--momentum", "0.9",
                              "--progress", "2", "--engine", engine, "--out", out]
                if engine == "kernel" { arguments += ["--batch-tile", "3"] }
                let r = scratch.rnngen(arguments)
                XCTAssertEqual(r.code, 0, r.err)
                XCTAssertTrue(r.out.contains("epoch 2 batch 3/3"), r.out)
                outputs.append(try trained(out))
            }
            var moved = 0.0, worst = 0.0
            for ((_, k), ((_, f), (_, s))) in zip(outputs[0].parameters, zip(outputs[1].parameters, start.parameters)) {
                for i in k.values.indices {
                    worst = max(worst, abs(k.values[i] - f.values[i]) / (1 + abs(f.values[i])))
                    moved = max(moved, abs(f.values[i] - s.values[i]))
                }
            }
            XCTAssertLessThan(worst, 1e-5, "\(loss): kernel against interpreter")
            XCTAssertGreaterThan(moved, 1e-2, "\(loss): training moved the weights")
        }
    }

    func testTheSameCommandWritesTheSameBytes() throws {
        let scratch = try Scratch()
        let (path, _) = try model(scratch)
        let files = try data(scratch)
        var written: [[UInt8]] = []
        for k in 0..<2 {
            let out = scratch.path("run\(k)")
            let r = scratch.rnngen(["train", path, "--input", "x=\(files.x)", "--labels", files.labels, "--loss", "cross-entropy", "--steps", "3",
                                    "--init", "glorot-uniform", "--seed", "5", "--optimizer", "adam", "--out", out])
            XCTAssertEqual(r.code, 0, r.err)
            written.append(Array(try Data(contentsOf: URL(fileURLWithPath: out + "/small.rnn.json")))
                           + Array(try Data(contentsOf: URL(fileURLWithPath: out + "/small.safetensors"))))
        }
        XCTAssertEqual(written[0], written[1])
    }

    func testBadDataIsAOneLineError() throws {
        let scratch = try Scratch()
        let (path, _) = try model(scratch)
        let files = try data(scratch)
        let nan = try scratch.write("nan.npy", Tensor(shape: [2, 4, 3], values: (0..<24).map { $0 == 13 ? .nan : 0.5 }))
        let wrongWidth = try scratch.write("wide.npy", Tensor(shape: [6, 12, 4], values: Array(repeating: 0, count: 288)))
        let badLabel = try scratch.write("badlabel.npy", Tensor(shape: [6, 12], elementType: .int32, values: (0..<72).map { $0 == 40 ? 2 : 0 }))
        let shortLabels = try scratch.write("short.npy", Tensor(shape: [6, 11], elementType: .int32, values: Array(repeating: 0, count: 66)))
        let common = ["train", path, "--steps", "4", "--out", scratch.path("out")]
        let cases: [([String], String)] = [
            (["--input", "x=\(nan)", "--labels", files.labels, "--loss", "cross-entropy"], "nan.npy: value 13 ([1, 0, 1]) is nan; inputs must be finite"),
            (["--input", "x=\(wrongWidth)", "--labels", files.labels, "--loss", "cross-entropy"], "wide.npy: expected inputs shaped [N, T, 3]"),
            (["--input", "x=\(files.x)", "--labels", badLabel, "--loss", "cross-entropy"], "badlabel.npy: label 40 ([3, 4]) is 2.0; expected a class 0…1"),
            (["--input", "x=\(files.x)", "--labels", shortLabels, "--loss", "cross-entropy"], "short.npy: expected labels shaped [6, 12]"),
            (["--input", "x=\(files.x)", "--loss", "mse"], "--target: missing"),
            (["--input", "x=\(files.x)", "--labels", files.labels, "--loss", "hinge"], "--loss hinge: expected cross-entropy, mse or esr"),
            (["--input", "x=\(files.x)", "--labels", files.labels, "--loss", "cross-entropy", "--batch-tile", "4"], "--batch-tile 4: must divide the data's 6 items"),
            (["--input", "x=\(files.x)", "--labels", files.labels, "--loss", "cross-entropy", "--optimizer", "rmsprop"], "expected adagrad, sgd or adam"),
            (["--input", "x=\(files.x)", "--labels", files.labels, "--loss", "cross-entropy", "--momentum", "0.9"], "--momentum: belongs to --optimizer sgd"),
        ]
        for (arguments, expected) in cases {
            let r = scratch.rnngen(common + arguments)
            XCTAssertEqual(r.code, 1, "\(arguments)")
            XCTAssertTrue(r.err.contains(expected), "\(arguments): \(r.err)")
            XCTAssertEqual(r.err.split(separator: "\n").count, 1, r.err)
            XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path("out/small.rnn.json")), "nothing written on an error")
        }
        let long = scratch.rnngen(["train", path, "--steps", "13", "--out", scratch.path("out"), "--input", "x=\(files.x)", "--labels", files.labels, "--loss", "cross-entropy"])
        XCTAssertTrue(long.err.contains("--steps 13: is longer than the data's 12 steps"), long.err)
    }

    /// A model the kernels refuse trains with the interpreter, and the kernel engine names what it refuses.
    func testModelsTheKernelsRefuseTrainWithTheInterpreter() throws {
        let scratch = try Scratch()
        var random = RandomModels(seed: 4)
        let stack = random.stack(RandomModels.CellSpec(kind: .lstm, peepholes: true), inputSize: 3, hiddenSizes: [4], direction: .bidirectional)
        let model = Model(name: "small", inputSize: 3, layout: .batchMajor, stages: [.recurrent(stack), .dense(random.dense(8, 2, .none))])
        for (name, bytes) in try DescriptionWriter.files(for: model) { _ = try scratch.write(name, bytes: bytes) }
        let files = try data(scratch)
        let args = ["train", scratch.path("small.rnn.json"), "--input", "x=\(files.x)", "--labels", files.labels, "--loss", "cross-entropy", "--steps", "4"]
        let refused = scratch.rnngen(args + ["--out", scratch.path("k")])
        XCTAssertEqual(refused.code, 1)
        XCTAssertTrue(refused.err.contains("stages[0]: is a bidirectional stack"), refused.err)
        let r = scratch.rnngen(args + ["--engine", "reference", "--out", scratch.path("r")])
        XCTAssertEqual(r.code, 0, r.err)
        let back = try JSONModelFile.load(contentsOf: scratch.path("r/small.rnn.json"), name: "small").0
        XCTAssertEqual(back.parameters.map(\.name), model.parameters.map(\.name))
    }
}
