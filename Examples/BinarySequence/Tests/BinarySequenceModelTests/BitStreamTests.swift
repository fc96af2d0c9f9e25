import XCTest
@testable import BinarySequenceModel

final class BitStreamTests: XCTestCase {
    /// Streaming one bit per step gives what the whole-sequence run gives.
    func testStreamingMatchesTheWholeSequence() {
        let bits: [Bool] = [false, true, true, false, true, false, false, true, true, true]
        var stream = BitStream()
        var streamed: [Float] = []
        for bit in bits {
            let y = stream.push(bit)
            for k in 0..<4 { streamed.append(y[k]) }
        }
        let x: [Float] = bits.flatMap { bit -> [Float] in bit ? [0, 1] : [1, 0] }
        var y = [Float](repeating: 0, count: bits.count * 4)
        var finalState = [Float](repeating: 0, count: BinarySeqRNN.stateFloats)
        var head = [Float](repeating: 0, count: 2)
        var workspace = [Float](repeating: 0, count: BinarySeqRNN.workspaceFloats(steps: bits.count))
        x.withUnsafeBufferPointer { xp in
            BinarySeqRNN.run(x: xp.baseAddress!, batch: 1, steps: bits.count, sequenceLengths: nil, initialState: nil,
                               y: &y, finalState: &finalState, head: &head, workspace: &workspace)
        }
        XCTAssertEqual(streamed, y)
        let (p0, p1) = stream.probabilities
        XCTAssertEqual([p0, p1], head)
        XCTAssertEqual(p0 + p1, 1, accuracy: 1e-6)
    }

    func testResetForgetsThePast() {
        var a = BitStream(), b = BitStream()
        a.push(true); a.push(true)
        a.reset()
        XCTAssertEqual(a.count, 0)
        for bit in [false, true] { XCTAssertEqual(a.push(bit)[0], b.push(bit)[0]) }
    }
}
