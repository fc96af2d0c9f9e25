import Foundation
import XCTest
import RNNModel
import RNNReference
import RNNTestSupport

/// The binary-sequence ("echo") tutorial's experiment through the
/// interpreter's gradients and optimizer: x is a fair coin; y is 1 with
/// probability 0.5, plus 0.5 if x three steps back was 1, minus 0.25 if x
/// eight steps back was 1. One long sequence is cut into `batch` rows,
/// trained in windows of `steps` with the final state carried into the next
/// window, a tanh RNN of `state` units and a two-class softmax at every
/// step, Adagrad (learning rate 0.1, accumulator from 0.1), glorot-uniform
/// weights and zero biases as TensorFlow 1 initialises them.
/// Cross-entropy from the data's construction: 0.66 learning nothing, 0.52
/// once the t−3 dependency is learnt, 0.454 with t−8 as well.
final class EchoTaskTests: XCTestCase {
    struct Echo {
        var x: [Int], y: [Int]

        init(size: Int, rng: inout SplitMix64) {
            x = (0..<size).map { _ in Int(rng.next() % 2) }
            var y: [Int] = []
            y.reserveCapacity(size)
            for i in 0..<size {
                var threshold = 0.5
                if i >= 3 && x[i - 3] == 1 { threshold += 0.5 }
                if i >= 8 && x[i - 8] == 1 { threshold -= 0.25 }
                y.append(rng.uniform(0, 1) > threshold ? 0 : 1)
            }
            self.y = y
        }
    }

    static func model(state H: Int, rng: inout SplitMix64) -> Model {
        func glorot(_ shape: [Int], fanIn: Int, fanOut: Int) -> Tensor {
            let limit = (6.0 / Double(fanIn + fanOut)).squareRoot()
            return Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in rng.uniform(-limit, limit) })
        }
        // TF1's BasicRNNCell has one kernel [2 + H, H] over [x, h]: its glorot limit counts both.
        let cell = Cell(kind: .rnn, inputSize: 2, hiddenSize: H, options: CellOptions(activations: [.tanh]),
                        weights: CellWeights(input: glorot([H, 2], fanIn: 2 + H, fanOut: H), recurrent: glorot([H, H], fanIn: 2 + H, fanOut: H),
                                             inputBias: Tensor(zeros: [H]), recurrentBias: Tensor(zeros: [H])))
        let output = DenseLayer(weight: glorot([2, H], fanIn: H, fanOut: 2), bias: Tensor(zeros: [2]), activation: .none)
        return Model(name: "echo", inputSize: 2, layout: .batchMajor,
                     stages: [.recurrent(RecurrentStack(direction: .forward, layers: [RecurrentLayer(cells: [cell])])), .dense(output)])
    }

    /// Trains one epoch; returns the mean loss of each 100 windows.
    static func train(state: Int, steps: Int, batch: Int, size: Int, seed: UInt64) throws -> [Double] {
        var rng = SplitMix64(seed: seed)
        let data = Echo(size: size, rng: &rng)
        var model = Self.model(state: state, rng: &rng)
        var optimizer = Optimizer(rule: .adagrad, learningRate: 0.1, for: model)
        let rowLength = size / batch, windows = rowLength / steps
        var carried: [StateName: Tensor] = [:]
        var curve: [Double] = [], sum = 0.0
        for w in 0..<windows {
            var x = [Double](repeating: 0, count: batch * steps * 2)
            var labels: [[Int]] = []
            for b in 0..<batch {
                let start = b * rowLength + w * steps
                for t in 0..<steps { x[(b * steps + t) * 2 + data.x[start + t]] = 1 }
                labels.append(Array(data.y[start..<(start + steps)]))
            }
            let inputs = ModelInputs(x: Tensor(shape: [batch, steps, 2], values: x), initialStates: carried)
            let g = try ReferenceGradients(model: model).gradients(inputs, loss: .crossEntropy(labels: labels))
            model = try optimizer.step(model, gradients: g.parameters.map(\.gradient))
            carried = g.outputs.finalStates
            sum += g.loss
            if (w + 1) % 100 == 0 {
                curve.append(sum / 100)
                sum = 0
            }
        }
        return curve
    }

    static func report(_ label: String, _ curve: [Double]) -> Double {
        let last = curve.suffix(max(1, curve.count / 4))
        let final = last.reduce(0, +) / Double(last.count)
        print("echo task, \(label): curve \(curve.map { String(format: "%.3f", $0) }.joined(separator: " ")); last quarter \(String(format: "%.4f", final)) (expected from the data: 0.66 nothing learnt, 0.52 t−3, 0.454 t−3 and t−8)")
        return final
    }

    /// State 4, five steps, one epoch of 1,000,000 samples: the t−3
    /// dependency is learnt, t−8 is out of reach of five steps; the last
    /// quarter of the curve at 0.52 ± 0.01.
    func testStateFourWithFiveStepsLearnsTheThreeStepEcho() throws {
        let curve = try Self.train(state: 4, steps: 5, batch: 200, size: 1_000_000, seed: 1)
        XCTAssertEqual(Self.report("state 4, 5 steps", curve), 0.52, accuracy: 0.01)
        XCTAssertGreaterThan(curve.first!, 0.6, "it starts near 0.66, knowing nothing")
    }

    /// State 16, ten steps, one epoch: t−8 is learnt as well, the last
    /// quarter at 0.475 or below (RNNGEN_FULL_TESTS: a minute in a debug build).
    func testStateSixteenWithTenStepsLearnsBothEchoes() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["RNNGEN_FULL_TESTS"] != nil, "the long sweep: RNNGEN_FULL_TESTS=1")
        let curve = try Self.train(state: 16, steps: 10, batch: 200, size: 1_000_000, seed: 1)
        XCTAssertLessThanOrEqual(Self.report("state 16, 10 steps", curve), 0.475)
    }
}
