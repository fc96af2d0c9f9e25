import Foundation
import RNNModel
import RNNTestSupport
import XCTest

/// `DescriptionWriter` (what `rnngen train` writes): every stage kind, cell
/// option and direction written as a description and a safetensors file,
/// read back as the same model.
final class DescriptionWriterTests: XCTestCase {
    func roundTrip(_ model: Model, file: StaticString = #filePath, line: UInt = #line) throws {
        let scratch = try Scratch()
        for (name, bytes) in try DescriptionWriter.files(for: model) { _ = try scratch.write(name, bytes: bytes) }
        let (back, _) = try JSONModelFile.load(contentsOf: scratch.path(model.name + ".rnn.json"), name: model.name)
        // Everything but the framework the reader records (onnx: the writer's convention).
        XCTAssertEqual(back.framework, .onnx, file: file, line: line)
        var written = back
        written.framework = model.framework
        XCTAssertEqual(written, model, file: file, line: line)
        // Deterministic, byte for byte.
        XCTAssertEqual(try DescriptionWriter.files(for: model).map(\.bytes), try DescriptionWriter.files(for: back).map(\.bytes), file: file, line: line)
    }

    func testEveryStageKindReadsBackAsTheSameModel() throws {
        var random = RandomModels(seed: 11)
        let gru = random.stack(RandomModels.CellSpec(kind: .gru, activations: [Activation(.hardSigmoid, alpha: 0.3, beta: 0.4), .tanh], clip: 2.5),
                               inputSize: 3, hiddenSizes: [4, 2], direction: .bidirectional, form: .separateStacks)
        let head = DenseLayer(weight: random.tensor([3, 4], scale: 1), bias: random.tensor([3], scale: 1), activation: .softmax)
        try roundTrip(Model(name: "tf1_pair", inputSize: 3, layout: .timeMajor, stages: [.recurrent(gru), .head(head)]))

        let lstm = random.stack(RandomModels.CellSpec(kind: .lstm, cellClip: 3, inputForget: true, forgetBias: 1, peepholes: true, projection: 2),
                                inputSize: 2, hiddenSizes: [5], direction: .reverse, processingOrder: true)
        let rnn = random.stack(RandomModels.CellSpec(kind: .rnn, activations: [Activation(.leakyRelu, alpha: 0.2)]), inputSize: 2, hiddenSizes: [3])
        let prelu = DenseLayer(weight: random.tensor([4, 5], scale: 1), bias: nil, activation: .prelu(random.tensor([4], scale: 0.5)))
        try roundTrip(Model(name: "mixed", inputSize: 2, layout: .batchMajor, zeroLengthState: .zero,
                            stages: [.parallel([lstm, rnn]), .dense(random.dense(5, 5, .elementwise(Activation(.elu, alpha: 0.7)))), .dense(prelu),
                                     .activation(.elementwise(.sigmoid)), .residual(Residual(features: [1, 0, 1, 0]))]))
    }

    func testAQuantizedModelIsRefused() throws {
        XCTAssertThrowsError(try DescriptionWriter.files(for: RandomQuantizedModels.model(seed: 1).model)) { error in
            XCTAssertTrue("\(error)".contains("is quantized"), "\(error)")
        }
    }
}
