import Foundation
import XCTest
import RNNModel
import RNNReference
import RNNTestSupport

/// Sample-rate correction in the interpreter against its definition,
/// written here independently in float64 as a delay line: a buffer of
/// `w + 1` past states, the new state written at index `w`, the state read
/// by the next step taken from the buffer's front (`buffer[0]`, or
/// `φ·buffer[0] + (1 − φ)·buffer[1]` for a fractional delay), the buffer
/// shifted by one — with `w = d − 1` for a whole `d` and `w = ⌊d⌋` for a
/// fractional one. Each cell step is the interpreter's undelayed model on
/// one step from the state read, so only the delay is under test.
final class SampleRateCorrectionTests: XCTestCase {
    func delayLine(_ cell: Cell, _ d: Double, x: [[Double]]) throws -> [[Double]] {
        let whole = Int(d.rounded(.down)), fraction = d - Double(whole)
        let w = fraction > 0 ? whole : whole - 1
        var undelayed = cell
        undelayed.options.sampleRateDelay = nil
        let model = Model(name: "one", inputSize: cell.inputSize, layout: .batchMajor,
                          stages: [.recurrent(RecurrentStack(direction: .forward, layers: [RecurrentLayer(cells: [undelayed])]))])
        let interpreter = ReferenceInterpreter(model: model)
        let H = cell.outputSize
        var hBuffer = Array(repeating: [Double](repeating: 0, count: H), count: w + 1)
        var cBuffer = Array(repeating: [Double](repeating: 0, count: cell.hiddenSize), count: w + 1)
        var h = [Double](repeating: 0, count: H), c = [Double](repeating: 0, count: cell.hiddenSize)
        var outputs: [[Double]] = []
        let hName = StateName(stack: 0, layer: 0, reverse: false, isCell: false), cName = StateName(stack: 0, layer: 0, reverse: false, isCell: true)
        for step in x {
            var initial = [hName: Tensor(shape: [1, H], values: h)]
            if cell.hasCellState { initial[cName] = Tensor(shape: [1, cell.hiddenSize], values: c) }
            let out = try interpreter.run(ModelInputs(x: Tensor(shape: [1, 1, cell.inputSize], values: step), initialStates: initial))
            hBuffer[w] = out.finalStates[hName]!.values
            if cell.hasCellState { cBuffer[w] = out.finalStates[cName]!.values }
            func front(_ buffer: [[Double]]) -> [Double] {
                fraction > 0 ? zip(buffer[0], buffer[1]).map { fraction * $0 + (1 - fraction) * $1 } : buffer[0]
            }
            h = front(hBuffer)
            c = front(cBuffer)
            for j in 0..<w {
                hBuffer[j] = hBuffer[j + 1]
                cBuffer[j] = cBuffer[j + 1]
            }
            outputs.append(h)
        }
        return outputs
    }

    func testInterpreterMatchesTheDelayLine() throws {
        var models = RandomModels(seed: 18)
        for kind in CellKind.allCases {
            var spec = RandomModels.CellSpec(kind: kind)
            spec.linearBeforeReset = kind == .gru
            for d in [1.0, 2.0, 3.0, 1.5, 2.25, 1.999] {
                var cell = models.cell(spec, inputSize: 2, hiddenSize: 5)
                cell.options.sampleRateDelay = d
                let model = Model(name: "delayed", inputSize: 2, layout: .batchMajor,
                                  stages: [.recurrent(RecurrentStack(direction: .forward, layers: [RecurrentLayer(cells: [cell])]))])
                try model.validate()
                let T = 11
                let x = models.tensor([1, T, 2], scale: 1.5)
                let got = try ReferenceInterpreter(model: model).run(ModelInputs(x: x)).y
                let steps = (0..<T).map { Array(x.values[($0 * 2)..<($0 * 2 + 2)]) }
                let want = try delayLine(cell, d, x: steps).flatMap { $0 }
                XCTAssertEqual(got.values.count, want.count)
                let worst = zip(got.values, want).map { abs($0 - $1) }.max()!
                XCTAssertLessThanOrEqual(worst, 1e-12, "\(kind) d=\(d)")
                if d > 1 {
                    // The delay changes the output: the test can tell them apart.
                    var plain = model
                    plain = plain.withSampleRateDelay(nil)
                    XCTAssertGreaterThan(try ReferenceInterpreter(model: plain).run(ModelInputs(x: x)).y.maxAbsDifference(to: got), 1e-3, "\(kind) d=\(d)")
                }
            }
        }
    }

    /// The state is the whole history: a sequence run in two pieces, the
    /// first piece's final state given as the second's initial state, is the
    /// sequence run at once.
    func testHistoryCarriesAcrossCalls() throws {
        var models = RandomModels(seed: 19)
        let stack = models.stack(RandomModels.CellSpec(kind: .lstm), inputSize: 3, hiddenSizes: [4, 6])
        let model = Model(name: "two", inputSize: 3, layout: .batchMajor, stages: [.recurrent(stack)]).withSampleRateDelay(2.5)
        try model.validate()
        XCTAssertEqual(model.stateNames.map(\.size), [12, 12, 18, 18], "3 states kept for d = 2.5")
        let x = models.tensor([2, 9, 3], scale: 1)
        let interpreter = ReferenceInterpreter(model: model)
        let whole = try interpreter.run(ModelInputs(x: x))
        /// Steps `range` of every item of a [2, 9, F] tensor.
        func steps(_ t: Tensor, _ range: Range<Int>, features: Int) -> Tensor {
            var values: [Double] = []
            for b in 0..<2 {
                for step in range {
                    let start = (b * 9 + step) * features
                    values += t.values[start..<(start + features)]
                }
            }
            return Tensor(shape: [2, range.count, features], values: values)
        }
        let first = try interpreter.run(ModelInputs(x: steps(x, 0..<4, features: 3)))
        let second = try interpreter.run(ModelInputs(x: steps(x, 4..<9, features: 3), initialStates: first.finalStates))
        for (name, tensor) in whole.finalStates { XCTAssertEqual(second.finalStates[name]!.maxAbsDifference(to: tensor), 0, "\(name)") }
        let tail = steps(whole.y, 4..<9, features: 6)
        XCTAssertEqual(second.y.maxAbsDifference(to: tail), 0)
    }

    func testRefusals() throws {
        var models = RandomModels(seed: 20)
        let reverse = models.stack(RandomModels.CellSpec(kind: .gru), inputSize: 2, hiddenSizes: [3], direction: .reverse)
        XCTAssertThrowsError(try Model(name: "r", inputSize: 2, layout: .batchMajor, stages: [.recurrent(reverse)]).withSampleRateDelay(2).validate())
        let forward = models.stack(RandomModels.CellSpec(kind: .gru), inputSize: 2, hiddenSizes: [3])
        XCTAssertThrowsError(try Model(name: "f", inputSize: 2, layout: .batchMajor, stages: [.recurrent(forward)]).withSampleRateDelay(0.5).validate())
        let headed = Model(name: "h", inputSize: 2, layout: .batchMajor, stages: [.recurrent(forward), .head(models.dense(3, 2, .none))])
        XCTAssertThrowsError(try headed.withSampleRateDelay(2).validate())
        XCTAssertNoThrow(try headed.validate())
    }
}
