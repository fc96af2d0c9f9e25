import Foundation

/// The integer arithmetic of rnngen's int8 kernels, the scheme TensorFlow Lite
/// Micro's integer LSTM uses (8-bit activations and weights, 16-bit cell and
/// gates): a real multiplier held as a 31-bit fraction and a power of two,
/// rounding right shifts, and sigmoid and tanh read from one 256-entry table
/// with linear interpolation. Every function here is exact integer arithmetic
/// on values that fit the C types the kernels use; docs/kernels.md states each
/// one, and the generated C and Swift spell the same steps.
public enum FixedPoint {
    public static let int16Range: ClosedRange<Int> = -32768...32767
    public static let int8Range: ClosedRange<Int> = -128...127

    /// A positive real multiplier `m` as `fraction · 2^shift / 2^31` with
    /// `fraction` in [2^30, 2^31): the fraction rounded half away from zero,
    /// a fraction that rounds up to 2^31 halved with the shift raised, and a
    /// multiplier below 2^-31 (shift < -31) taken as zero.
    public static func quantizeMultiplier(_ m: Double) -> (multiplier: Int32, shift: Int) {
        guard m != 0, m.isFinite else { return (0, 0) }
        let (fraction, exponent) = frexp(m)
        var shift = exponent
        var q = Int64((fraction * 2_147_483_648).rounded(.toNearestOrAwayFromZero))
        if q == 2_147_483_648 { q /= 2; shift += 1 }
        if shift < -31 { return (0, 0) }
        return (Int32(q), shift)
    }

    /// `round(a · b / 2^31)`, ties away from zero, saturating the one
    /// overflowing product (-2^31 · -2^31).
    public static func saturatingRoundingDoublingHighMul(_ a: Int32, _ b: Int32) -> Int32 {
        if a == .min && b == .min { return .max }
        let product = Int64(a) * Int64(b)
        let nudge: Int64 = product >= 0 ? 1 << 30 : 1 - (1 << 30)
        // Division truncating toward zero, as C's.
        return Int32(truncatingIfNeeded: (product + nudge) / (1 << 31))
    }

    /// `x / 2^exponent` rounded to nearest, ties away from zero.
    public static func roundingDivideByPowerOfTwo(_ x: Int32, _ exponent: Int) -> Int32 {
        let mask = Int32((Int64(1) << exponent) - 1)
        let remainder = x & mask
        let threshold = (mask >> 1) + (x < 0 ? 1 : 0)
        return (x >> Int32(exponent)) + (remainder > threshold ? 1 : 0)
    }

    /// `x · m` for a multiplier from `quantizeMultiplier`: a left shift for a
    /// positive shift, the rounding high multiply, then a rounding right shift.
    public static func multiplyByQuantizedMultiplier(_ x: Int32, _ multiplier: Int32, _ shift: Int) -> Int32 {
        let left = max(shift, 0), right = max(-shift, 0)
        return roundingDivideByPowerOfTwo(saturatingRoundingDoublingHighMul(x &* (1 << Int32(left)), multiplier), right)
    }

    public static func clamp(_ x: Int, _ range: ClosedRange<Int>) -> Int { min(max(x, range.lowerBound), range.upperBound) }

    /// sigmoid(i/24) in unsigned 0.16 fixed point for i = 0…255 (the last
    /// entry saturated to 65535): the values TFLite Micro and CMSIS-NN read,
    /// so that the table activations agree with theirs to the bit.
    public static let sigmoidTable: [UInt16] = [
        32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149, 40794, 41432, 42064, 42688,
        43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369, 47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409,
        51865, 52311, 52745, 53169, 53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
        57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370, 60565, 60753, 60935, 61110,
        61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302, 62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186,
        63279, 63368, 63454, 63536, 63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
        64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786, 64816, 64845, 64873, 64900,
        64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079, 65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208,
        65221, 65234, 65246, 65258, 65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
        65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433, 65438, 65442, 65445, 65449,
        65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474, 65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491,
        65493, 65495, 65497, 65498, 65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
        65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524,
        65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530,
        65530, 65530, 65531, 65531, 65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
        65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65535,
    ]

    /// sigmoid of a Q3.12 value, in Q0.15. The input times 3 indexes the
    /// table in steps of 1/24 with 9 fraction bits to interpolate; the
    /// negative half is 1 − sigmoid(|x|).
    public static func sigmoid(_ x: Int16) -> Int16 {
        let v = Int32(x) * 3
        let a = UInt32(abs(v))
        let index = a >> 9
        var r: UInt32
        if index >= 255 {
            r = 0x7FFF << 10
        } else {
            let lo = UInt32(sigmoidTable[Int(index)]), hi = UInt32(sigmoidTable[Int(index) + 1])
            // hi ≥ lo: the table rises, so the difference is unsigned.
            r = (lo << 9) &+ (a & 0x1FF) &* (hi &- lo)
        }
        r = v >= 0 ? r &+ (1 << 9) : (1 << 25) &- r &+ (1 << 9) &- 1
        return Int16(truncatingIfNeeded: r >> 10)
    }

    /// The input multiplier and right shift that bring a value in units of
    /// 2^exponent to the table's scale for tanh: 3 · 2^(exponent + 12) when
    /// that is whole, else 3 and a rounding right shift.
    public static func tanhInputScaling(exponent: Int) -> (multiplier: Int32, shift: Int) {
        let left = exponent + 15 - 3
        return left >= 0 ? (3 << Int32(left), 0) : (3, -left)
    }

    /// tanh of a value in units of 2^exponent (−12: a Q3.12 gate; the cell
    /// scale for the cell), in Q0.15, through tanh(x) = 2·sigmoid(2x) − 1 on
    /// the same table with 8 fraction bits.
    public static func tanh(_ x: Int16, exponent: Int) -> Int16 {
        let (multiplier, shift) = tanhInputScaling(exponent: exponent)
        let round: Int32 = shift > 0 ? 1 << Int32(shift - 1) : 0
        let v = (Int32(x) * multiplier + round) >> Int32(shift)
        let a = UInt32(abs(v))
        let index = a >> 8
        var r: Int32
        if index >= 255 {
            r = 0xFFFF << 8
        } else {
            let lo = UInt32(sigmoidTable[Int(index)]), hi = UInt32(sigmoidTable[Int(index) + 1])
            r = Int32(bitPattern: (lo << 8) &+ (a & 0xFF) &* (hi &- lo))
        }
        r = v >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1
        return Int16(truncatingIfNeeded: r >> 8)
    }
}
