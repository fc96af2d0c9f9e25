/// How a kernel stores its weight matrices (W, R, projections, dense
/// layers). Biases, peepholes and i8 scales stay `f32`: they are a few
/// floats per unit, and the kernel adds them once per step.
public enum WeightType: String, CaseIterable, Sendable {
    /// IEEE single precision, as trained.
    case f32
    /// IEEE half precision (1-5-10): 11 significant bits, |w| ≤ 65504.
    case f16
    /// bfloat16 (1-8-7): float32's range, 8 significant bits.
    case bf16
    /// Symmetric 8-bit integers, one float32 scale per output row of each
    /// matrix: w ≈ scale · q with q in −127…127 and scale = max|row| / 127.
    case i8

    /// `f32|f16|bf16|i8`: the choices, for usage lines.
    public static var choices: String { allCases.map(\.rawValue).joined(separator: "|") }
    /// `f32, f16, bf16 or i8`: every type, for help and errors.
    public static var listed: String { spoken(allCases) }
    /// The types narrower than f32, which `verify` measures the rounding of.
    public static var narrow: [WeightType] { allCases.filter { $0 != .f32 } }
    /// `f16, bf16 or i8`: the narrow types, for help and errors.
    public static var narrowListed: String { spoken(narrow) }

    static func spoken(_ types: [WeightType]) -> String {
        let names = types.map(\.rawValue)
        return names.count < 2 ? names.joined() : names.dropLast().joined(separator: ", ") + " or " + names.last!
    }

    /// Bytes of one stored weight.
    public var bytes: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .i8: return 1
        }
    }
}

/// One weight matrix as a kernel stores it: the stored codes, the values they
/// mean (what the kernel computes with, exactly), and for i8 the row scales.
public struct StoredMatrix: Equatable, Sendable {
    public var type: WeightType
    public var rows: Int, columns: Int
    /// Row-major codes: f16/bf16 bit patterns (0…65535) or i8 values (−127…127);
    /// empty for f32.
    public var codes: [Int]
    /// One scale per row (i8 only).
    public var scales: [Float]
    /// Row-major values the codes stand for: for i8, `Double(q) · Double(scale)`
    /// exactly; otherwise the stored number itself.
    public var values: [Double]
}

/// Rounding of weights to a `WeightType`: round to nearest, ties to even,
/// the way a framework's `.half()` or `.to(torch.bfloat16)` does. The kernel
/// planner packs `codes`; the reference interpreter runs `values` (through
/// `Model.withStoredWeights`), so a kernel is verified against exactly the
/// weights it holds, and the rounding's own error is measured separately.
public enum WeightRounding {
    /// The half-precision bit pattern nearest to `value`, or nil when it is
    /// beyond half's range (|value| ≥ 65520 rounds to infinity). Values below
    /// the smallest normal half (2⁻¹⁴ ≈ 6.1e-5) become ±0: kernels widen
    /// halves with integer arithmetic that has no subnormal case.
    public static func f16Bits(_ value: Float) -> UInt16? {
        guard value.isFinite else { return nil }
        let bits = value.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let magnitude = abs(value)
        if magnitude < 0x1p-14 {
            // To the nearer of 0 and the smallest normal; the halfway point goes to 0 (even).
            return magnitude > 0x1p-15 ? sign | 0x0400 : sign
        }
        let exponent = Int((bits >> 23) & 0xff) - 127 + 15
        var mantissa = bits & 0x7f_ffff
        // Keep 10 of 23 mantissa bits, rounding the 13 dropped ones to nearest even.
        let dropped = mantissa & 0x1fff
        mantissa >>= 13
        var result = UInt32(exponent) << 10 | mantissa
        if dropped > 0x1000 || (dropped == 0x1000 && mantissa & 1 == 1) { result += 1 }
        guard result < 0x7c00 else { return nil }
        return sign | UInt16(result)
    }

    /// The float a half-precision bit pattern stands for (normal numbers and zeros).
    public static func f16Value(_ bits: UInt16) -> Float {
        let magnitude = UInt32(bits & 0x7fff)
        let value = magnitude == 0 ? 0 : Float(bitPattern: (magnitude << 13) + ((127 - 15) << 23))
        return bits & 0x8000 != 0 ? -value : value
    }

    /// The bfloat16 bit pattern nearest to a finite `value` (the upper half of
    /// its float32 bits, rounded to nearest even); nil where that overflows.
    public static func bf16Bits(_ value: Float) -> UInt16? {
        guard value.isFinite else { return nil }
        let bits = value.bitPattern
        let rounded = bits &+ 0x7fff &+ ((bits >> 16) & 1)
        guard Float(bitPattern: rounded & 0xffff_0000).isFinite else { return nil }
        return UInt16(rounded >> 16)
    }

    public static func bf16Value(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

    /// A weight tensor `[rows, …]` stored as `type`, each row flattened.
    public static func store(_ t: Tensor, as type: WeightType, what: String) throws -> StoredMatrix {
        try store(t.values.map { Float($0) }, rows: t.shape[0], columns: t.count / max(t.shape[0], 1), as: type, what: what)
    }

    /// A row-major `[rows, columns]` float matrix stored as `type`. `what`
    /// names the matrix in errors (`s0_l0_fw W`).
    public static func store(_ matrix: [Float], rows: Int, columns: Int, as type: WeightType, what: String) throws -> StoredMatrix {
        precondition(matrix.count == rows * columns, "matrix of \(matrix.count) values is not \(rows)×\(columns)")
        var stored = StoredMatrix(type: type, rows: rows, columns: columns, codes: [], scales: [], values: [])
        switch type {
        case .f32:
            stored.values = matrix.map(Double.init)
        case .f16, .bf16:
            let (bits, value, range) = type == .f16 ? (f16Bits, f16Value, "beyond f16's range (|w| < 65520); use --weight-type bf16 or f32")
                : (bf16Bits, bf16Value, "which rounds beyond bf16's range; use --weight-type f32")
            stored.codes.reserveCapacity(matrix.count)
            for (k, w) in matrix.enumerated() {
                guard let code = bits(w) else { throw RNNError(at: what, "weight \(k) is \(w), \(range)") }
                stored.codes.append(Int(code))
            }
            stored.values = stored.codes.map { Double(value(UInt16($0))) }
        case .i8:
            for r in 0..<rows {
                let row = matrix[(r * columns)..<((r + 1) * columns)]
                let largest = row.reduce(Float(0)) { max($0, abs($1)) }
                let scale = largest / 127
                stored.scales.append(scale)
                for w in row {
                    // In double: w / scale in float can land on the wrong side of a tie.
                    let q = scale > 0 ? Int((Double(w) / Double(scale)).rounded(.toNearestOrEven)) : 0
                    let code = min(127, max(-127, q))
                    stored.codes.append(code)
                    stored.values.append(Double(code) * Double(scale))
                }
            }
        }
        return stored
    }
}

extension Model {
    /// The same model with every weight matrix replaced by the values a
    /// kernel storing it as `type` computes with: what `verify` runs the
    /// reference interpreter on, so it checks the kernel's arithmetic, not
    /// the rounding. Throws where a weight does not fit the type.
    public func withStoredWeights(_ type: WeightType) throws -> Model {
        guard type != .f32 else { return self }
        return try mappingMatrices { what, t in
            Tensor(shape: t.shape, elementType: t.elementType, values: try WeightRounding.store(t, as: type, what: what).values)
        }
    }

    /// Every weight matrix (cells' W, R and projections, dense layers'
    /// weights) with the name errors give it (`s0_l1_bw R`, `d0 weight`).
    public var weightMatrices: [(name: String, tensor: Tensor)] {
        var list: [(name: String, tensor: Tensor)] = []
        _ = mappingMatrices { name, t in list.append((name, t)); return t }
        return list
    }

    /// The model with `transform` applied to every weight matrix, in pipeline order.
    public func mappingMatrices(_ transform: (String, Tensor) throws -> Tensor) rethrows -> Model {
        func cell(_ c: Cell, _ id: String) throws -> Cell {
            var copy = c
            copy.weights.input = try transform("\(id) W", c.weights.input)
            copy.weights.recurrent = try transform("\(id) R", c.weights.recurrent)
            if let p = c.weights.projection { copy.weights.projection = try transform("\(id) projection", p) }
            return copy
        }
        func stack(_ s: RecurrentStack, _ index: Int) throws -> RecurrentStack {
            var copy = s
            for k in copy.layers.indices {
                for d in copy.layers[k].cells.indices {
                    copy.layers[k].cells[d] = try cell(s.layers[k].cells[d], "s\(index)_l\(k)_\(s.isReverse(direction: d) ? "bw" : "fw")")
                }
            }
            return copy
        }
        var copy = self
        var stackIndex = 0, denseIndex = 0
        for (k, stage) in stages.enumerated() {
            switch stage {
            case .dense(var d):
                d.weight = try transform("d\(denseIndex) weight", d.weight)
                denseIndex += 1
                copy.stages[k] = .dense(d)
            case .head(var d):
                d.weight = try transform("head weight", d.weight)
                copy.stages[k] = .head(d)
            case .recurrent(let s):
                copy.stages[k] = .recurrent(try stack(s, stackIndex))
                stackIndex += 1
            case .parallel(let list):
                var stacks: [RecurrentStack] = []
                for s in list {
                    stacks.append(try stack(s, stackIndex))
                    stackIndex += 1
                }
                copy.stages[k] = .parallel(stacks)
            case .activation, .residual:
                break
            }
        }
        return copy
    }
}

/// What rounding the weights to a type changed, matrix by matrix.
public struct WeightRoundingReport: Sendable {
    public struct Matrix: Sendable {
        public var name: String
        /// Largest |w − stored w|.
        public var largestChange: Double
        /// Largest over rows of Σ_j |w_rj − stored w_rj|: one step's
        /// pre-activations move by at most this times the largest |input|
        /// (or |h|) the matrix multiplies.
        public var largestRowChange: Double
    }

    public var type: WeightType
    public var matrices: [Matrix]

    /// Compares a model with itself stored as `type` (`stored`, from
    /// `model.withStoredWeights(type)`).
    public init(_ model: Model, stored: Model, as type: WeightType) {
        self.type = type
        matrices = zip(model.weightMatrices, stored.weightMatrices).map { source, rounded in
            let rows = source.tensor.shape[0], columns = source.tensor.count / max(rows, 1)
            var largest = 0.0, largestRow = 0.0
            for r in 0..<rows {
                var sum = 0.0
                for j in 0..<columns {
                    let change = abs(source.tensor.values[r * columns + j] - rounded.tensor.values[r * columns + j])
                    largest = max(largest, change)
                    sum += change
                }
                largestRow = max(largestRow, sum)
            }
            return Matrix(name: source.name, largestChange: largest, largestRowChange: largestRow)
        }
    }
}
