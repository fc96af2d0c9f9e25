import XCTest
import RNNTestSupport
@testable import RNNModel

/// Rounding of weights to f16, bf16 and i8: the codes kernels store and the
/// values the reference interpreter runs on instead of the f32 weights.
final class WeightRoundingTests: XCTestCase {
    /// A spread of floats: every binade f16 represents as a normal number,
    /// both signs, and mantissas with every low bit pattern (ties included).
    func samples() -> [Float] {
        var g = SplitMix64(seed: 7)
        var values: [Float] = [0, -0, 1, -1, 65504, -65504, 0x1p-14, -0x1p-14, 1 + 0x1p-11, 1 + 3 * 0x1p-11, 2049, 2051]
        for _ in 0..<200_000 {
            let exponent = Int(g.next() % 30) - 14   // 2^-14 … 2^15
            let mantissa = Float(g.next() % (1 << 23)) / Float(1 << 23)
            values.append((g.next() % 2 == 0 ? 1 : -1) * (1 + mantissa) * Float(sign: .plus, exponent: exponent, significand: 1))
        }
        return values.filter { abs($0) <= 65504 }
    }

    #if !(os(macOS) && arch(x86_64))
    func testF16RoundsToNearestEvenLikeTheStandardLibrary() {
        for value in samples() {
            let bits = WeightRounding.f16Bits(value)
            XCTAssertEqual(bits, Float16(value).bitPattern, "\(value)")
            if let bits { XCTAssertEqual(WeightRounding.f16Value(bits), Float(Float16(bitPattern: bits)), "\(value)") }
        }
    }
    #endif

    func testF16ErrorIsHalfAnUnitInTheLastPlace() {
        for value in samples() where abs(value) >= 0x1p-14 {
            let stored = WeightRounding.f16Value(WeightRounding.f16Bits(value)!)
            XCTAssertLessThanOrEqual(abs(stored - value), abs(value) * 0x1p-11, "\(value)")
        }
    }

    func testF16RangeAndSubnormals() {
        XCTAssertNil(WeightRounding.f16Bits(65520), "65520 rounds to infinity")
        XCTAssertEqual(WeightRounding.f16Bits(65519), 0x7bff)
        XCTAssertNil(WeightRounding.f16Bits(.nan))
        XCTAssertNil(WeightRounding.f16Bits(-.infinity))
        // Below the smallest normal half: to the nearer of ±0 and ±2^-14, no subnormals.
        XCTAssertEqual(WeightRounding.f16Bits(0x1p-16), 0)
        XCTAssertEqual(WeightRounding.f16Bits(0x1p-15), 0, "the halfway point goes to 0")
        XCTAssertEqual(WeightRounding.f16Bits(0x1.8p-15), 0x0400)
        XCTAssertEqual(WeightRounding.f16Bits(-0x1.8p-15), 0x8400)
        XCTAssertEqual(WeightRounding.f16Value(0x8000), 0)
    }

    func testBF16KeepsTheUpperHalfRoundedToNearestEven() {
        XCTAssertEqual(WeightRounding.bf16Bits(1), 0x3f80)
        XCTAssertEqual(WeightRounding.bf16Bits(Float(bitPattern: 0x3f80_8000)), 0x3f80, "tie to even (down)")
        XCTAssertEqual(WeightRounding.bf16Bits(Float(bitPattern: 0x3f81_8000)), 0x3f82, "tie to even (up)")
        XCTAssertEqual(WeightRounding.bf16Bits(Float(bitPattern: 0x3f80_8001)), 0x3f81)
        XCTAssertNil(WeightRounding.bf16Bits(.greatestFiniteMagnitude), "rounds up to infinity")
        for value in samples() {
            let stored = WeightRounding.bf16Value(WeightRounding.bf16Bits(value)!)
            XCTAssertLessThanOrEqual(abs(stored - value), abs(value) * 0x1p-8, "\(value)")
        }
    }

    func testI8HasOneScalePerRowAndHalfAStepOfError() throws {
        let rows = 5, columns = 7
        var g = SplitMix64(seed: 3)
        var matrix = (0..<(rows * columns)).map { _ in Float(Int(g.next() % 2001) - 1000) / 300 }
        for j in 0..<columns { matrix[2 * columns + j] = 0 }          // an all-zero row
        matrix[4 * columns] = 1e-3                                     // a row of tiny weights
        for j in 1..<columns { matrix[4 * columns + j] = -2e-4 * Float(j) }
        let stored = try WeightRounding.store(matrix, rows: rows, columns: columns, as: .i8, what: "W")
        XCTAssertEqual(stored.scales.count, rows)
        XCTAssertEqual(stored.scales[2], 0)
        for r in 0..<rows {
            let row = matrix[(r * columns)..<((r + 1) * columns)]
            let largest = row.map(abs).max()!
            XCTAssertEqual(stored.scales[r], largest / 127)
            for j in 0..<columns {
                let k = r * columns + j
                XCTAssertTrue((-127...127).contains(stored.codes[k]))
                XCTAssertEqual(stored.values[k], Double(stored.codes[k]) * Double(stored.scales[r]))
                XCTAssertLessThanOrEqual(abs(stored.values[k] - Double(matrix[k])), Double(stored.scales[r]) / 2 * (1 + 1e-12), "row \(r) column \(j)")
            }
            if largest > 0 { XCTAssertEqual(stored.codes[(r * columns)..<((r + 1) * columns)].map(abs).max(), 127) }
        }
    }

    func testTooLargeForF16NamesTheMatrixAndTheWayOut() {
        XCTAssertThrowsError(try WeightRounding.store([1, 70000], rows: 1, columns: 2, as: .f16, what: "s0_l0_fw R")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("s0_l0_fw R") && text.contains("weight 1") && text.contains("bf16"), text)
        }
    }
}
