import Foundation
import XCTest
import RNNTestSupport
@testable import RNNModel

/// Pins each importer's gate order and bias handling with synthetic weights:
/// gate block k of the source holds the value k+1 (biases) or a
/// position-coded value (kernels), so any permutation or transpose mistake
/// shows up as a wrong number.
final class GateOrderTests: XCTestCase {
    let H = 2, I = 3

    /// `[count · H]` where block k is filled with `k + 1 + offset`.
    func blocks(_ count: Int, offset: Double = 0) -> Tensor {
        Tensor(shape: [count * H], values: (0..<(count * H)).map { Double($0 / H + 1) + offset })
    }

    /// The value of each canonical gate block of a bias, one number per block.
    func blockValues(_ t: Tensor, _ count: Int) -> [Double] {
        (0..<count).map { k in
            let block = Array(t.values[(k * H)..<((k + 1) * H)])
            XCTAssertEqual(Set(block).count, 1, "block \(k) is not uniform: \(block)")
            return block[0]
        }
    }

    func cell(_ framework: Framework, _ kind: CellKind, _ tensors: [String: Tensor], linearBeforeReset: Bool = false, hidden: Int? = nil) throws -> Cell {
        try CellImporter.cell(framework, kind: kind, inputSize: I, hiddenSize: hidden ?? H,
                              options: CellOptions(activations: kind.defaultActivations, linearBeforeReset: linearBeforeReset),
                              tensors: NamedTensors(tensors, location: "test"))
    }

    func testPyTorchLSTMGatesIFGOBecomeIOFC() throws {
        let c = try cell(.pytorch, .lstm, [
            "weight_ih": Tensor(zeros: [4 * H, I]), "weight_hh": Tensor(zeros: [4 * H, H]),
            "bias_ih": blocks(4), "bias_hh": blocks(4, offset: 10),
        ])
        // source i=1 f=2 g=3 o=4 → canonical i o f c
        XCTAssertEqual(blockValues(c.weights.inputBias, 4), [1, 4, 2, 3])
        XCTAssertEqual(blockValues(c.weights.recurrentBias, 4), [11, 14, 12, 13])
    }

    func testPyTorchGRUGatesRZNBecomeZRH() throws {
        let c = try cell(.pytorch, .gru, [
            "weight_ih": Tensor(zeros: [3 * H, I]), "weight_hh": Tensor(zeros: [3 * H, H]),
            "bias_ih": blocks(3), "bias_hh": blocks(3, offset: 10),
        ], linearBeforeReset: true)
        XCTAssertEqual(blockValues(c.weights.inputBias, 3), [2, 1, 3])
        XCTAssertEqual(blockValues(c.weights.recurrentBias, 3), [12, 11, 13])
    }

    func testPyTorchWithoutBiasHasZeroBiases() throws {
        let c = try cell(.pytorch, .lstm, ["weight_ih": Tensor(zeros: [4 * H, I]), "weight_hh": Tensor(zeros: [4 * H, H])])
        XCTAssertEqual(c.weights.inputBias.values, Array(repeating: 0, count: 4 * H))
        XCTAssertEqual(c.weights.recurrentBias.values, Array(repeating: 0, count: 4 * H))
    }

    func testKerasLSTMGatesIFCOBecomeIOFCAndKernelsAreTransposed() throws {
        // kernel[j, col] = 100·j + col, so W[row, j] must equal 100·j + sourceColumn(row).
        let kernel = Tensor(shape: [I, 4 * H], values: (0..<(I * 4 * H)).map { Double(($0 / (4 * H)) * 100 + $0 % (4 * H)) })
        let c = try cell(.keras, .lstm, ["kernel": kernel, "recurrent_kernel": Tensor(zeros: [H, 4 * H]), "bias": blocks(4)])
        XCTAssertEqual(blockValues(c.weights.inputBias, 4), [1, 4, 2, 3])
        XCTAssertEqual(c.weights.recurrentBias.values, Array(repeating: 0, count: 4 * H))
        let sourceBlock = [0, 3, 1, 2]
        for row in 0..<(4 * H) {
            let sourceColumn = sourceBlock[row / H] * H + row % H
            for j in 0..<I { XCTAssertEqual(c.weights.input[[row, j]], Double(100 * j + sourceColumn)) }
        }
    }

    func testKerasGRUResetAfterSplitsInputAndRecurrentBias() throws {
        let bias = Tensor(shape: [2, 3 * H], values: blocks(3).values + blocks(3, offset: 10).values)
        let c = try cell(.keras, .gru, ["kernel": Tensor(zeros: [I, 3 * H]), "recurrent_kernel": Tensor(zeros: [H, 3 * H]), "bias": bias],
                         linearBeforeReset: true)
        XCTAssertEqual(blockValues(c.weights.inputBias, 3), [1, 2, 3])  // z r h kept
        XCTAssertEqual(blockValues(c.weights.recurrentBias, 3), [11, 12, 13])
    }

    func testKerasGRUResetBeforeTakesOneBias() throws {
        let c = try cell(.keras, .gru, ["kernel": Tensor(zeros: [I, 3 * H]), "recurrent_kernel": Tensor(zeros: [H, 3 * H]), "bias": blocks(3)])
        XCTAssertEqual(blockValues(c.weights.inputBias, 3), [1, 2, 3])
        XCTAssertThrowsError(try cell(.keras, .gru, ["kernel": Tensor(zeros: [I, 3 * H]), "recurrent_kernel": Tensor(zeros: [H, 3 * H]),
                                                      "bias": Tensor(zeros: [2, 3 * H])]))
    }

    func testTF1LSTMGatesIJFOBecomeIOFCAndKernelSplitsIntoInputAndRecurrent() throws {
        // kernel over concat([x, h]): rows 0..<I read x, rows I..<I+H read h.
        let kernel = Tensor(shape: [I + H, 4 * H], values: (0..<((I + H) * 4 * H)).map { Double(($0 / (4 * H)) * 100 + $0 % (4 * H)) })
        let c = try cell(.tf1, .lstm, ["kernel": kernel, "bias": blocks(4)])
        XCTAssertEqual(blockValues(c.weights.inputBias, 4), [1, 4, 3, 2])
        let sourceBlock = [0, 3, 2, 1]
        for row in 0..<(4 * H) {
            let column = sourceBlock[row / H] * H + row % H
            for j in 0..<I { XCTAssertEqual(c.weights.input[[row, j]], Double(100 * j + column)) }
            for j in 0..<H { XCTAssertEqual(c.weights.recurrent[[row, j]], Double(100 * (I + j) + column)) }
        }
    }

    func testTF1GRUGatesRUBecomeZRWithCandidateLast() throws {
        let c = try cell(.tf1, .gru, [
            "gates_kernel": Tensor(zeros: [I + H, 2 * H]), "gates_bias": blocks(2),
            "candidate_kernel": Tensor(zeros: [I + H, H]), "candidate_bias": Tensor(shape: [H], values: [7, 7]),
        ])
        // gates r=1 u=2; canonical z(=u) r h
        XCTAssertEqual(blockValues(c.weights.inputBias, 3), [2, 1, 7])
        XCTAssertFalse(c.options.linearBeforeReset)
    }

    func testTF1PeepholeDiagonalsBecomeIOF() throws {
        let c = try cell(.tf1, .lstm, [
            "kernel": Tensor(zeros: [I + H, 4 * H]), "bias": Tensor(zeros: [4 * H]),
            "w_i_diag": Tensor(shape: [H], values: [1, 1]), "w_f_diag": Tensor(shape: [H], values: [2, 2]),
            "w_o_diag": Tensor(shape: [H], values: [3, 3]),
        ])
        XCTAssertEqual(c.weights.peephole?.values, [1, 1, 3, 3, 2, 2])
    }

    func testProjectionShapesPerFramework() throws {
        let P = 1
        let torch = try cell(.pytorch, .lstm, ["weight_ih": Tensor(zeros: [4 * H, I]), "weight_hh": Tensor(zeros: [4 * H, P]),
                                               "weight_hr": Tensor(shape: [P, H], values: [5, 6])])
        XCTAssertEqual(torch.outputSize, P)
        XCTAssertEqual(torch.weights.projection?.values, [5, 6])
        let tf1 = try cell(.tf1, .lstm, ["kernel": Tensor(zeros: [I + P, 4 * H]), "projection": Tensor(shape: [H, P], values: [5, 6])])
        XCTAssertEqual(tf1.weights.projection?.shape, [P, H])
        XCTAssertEqual(tf1.weights.projection?.values, [5, 6])
    }

    func testWrongShapeNamesTensorExpectedAndFound() {
        XCTAssertThrowsError(try cell(.pytorch, .lstm, ["weight_ih": Tensor(zeros: [4 * H, I + 1]), "weight_hh": Tensor(zeros: [4 * H, H])])) { error in
            XCTAssertEqual("\(error)", "test.weight_ih: PyTorch stores weight_ih as [4·H, I] = [8, 3] (lstm with G = 4 gates, H = 2, I = 3); found [8, 4] — this layer reads 3 features (input_size, or the previous stage's output); the tensor has 4")
        }
    }

    func testMissingAndUnknownWeights() {
        XCTAssertThrowsError(try cell(.keras, .lstm, ["kernel": Tensor(zeros: [I, 4 * H])])) { error in
            XCTAssertTrue("\(error)".contains("missing weight 'recurrent_kernel'"), "\(error)")
        }
        XCTAssertThrowsError(try cell(.keras, .lstm, ["kernel": Tensor(zeros: [I, 4 * H]), "recurrent_kernel": Tensor(zeros: [H, 4 * H]),
                                                       "weight_hh": Tensor(zeros: [1])])) { error in
            XCTAssertTrue("\(error)".contains("test.weight_hh: unknown weight for a Keras lstm cell (expected: kernel, recurrent_kernel, bias)"), "\(error)")
        }
    }

    func testIntegerWeightsAreRefused() {
        let ints = Tensor(shape: [4 * H, I], elementType: .int32, values: Array(repeating: 1, count: 4 * H * I))
        XCTAssertThrowsError(try cell(.pytorch, .lstm, ["weight_ih": ints, "weight_hh": Tensor(zeros: [4 * H, H])])) { error in
            XCTAssertTrue("\(error)".contains("expected floating-point values, found int32"), "\(error)")
        }
    }
}
