/// Element types a tensor file can hold. Values are kept as `Double` in memory
/// whatever the stored type; the type is remembered for writing back.
public enum ElementType: String, Sendable, CaseIterable {
    case float16, bfloat16, float32, float64, int8, int16, int32, int64, uint8, bool

    public var isFloatingPoint: Bool {
        self == .float16 || self == .bfloat16 || self == .float32 || self == .float64
    }
}

/// A dense, row-major n-dimensional array. Simple on purpose: the reference
/// interpreter and the importers favour obviousness over speed.
public struct Tensor: Equatable, Sendable {
    public var shape: [Int]
    public var elementType: ElementType
    public var values: [Double]

    public init(shape: [Int], elementType: ElementType = .float32, values: [Double]) {
        precondition(shape.reduce(1, *) == values.count, "tensor shape \(shape) does not match \(values.count) values")
        self.shape = shape
        self.elementType = elementType
        self.values = values
    }

    public init(zeros shape: [Int], elementType: ElementType = .float32) {
        self.init(shape: shape, elementType: elementType, values: Array(repeating: 0, count: shape.reduce(1, *)))
    }

    public var count: Int { values.count }

    /// The number of elements of `shape`, or nil when a dimension is negative
    /// or the product overflows or exceeds what a file could sensibly hold
    /// (2³¹ elements): used on shapes read from files before allocating.
    public static func checkedCount(_ shape: [Int]) -> Int? {
        var total = 1
        for dim in shape {
            guard dim >= 0 else { return nil }
            let (product, overflow) = total.multipliedReportingOverflow(by: dim)
            guard !overflow, product <= 1 << 31 else { return nil }
            total = product
        }
        return total
    }
    public var rank: Int { shape.count }

    /// The values as whole numbers, for lengths and counts: a value that is
    /// not an integer in Int's range (NaN, ±inf, 1e30, 2⁶³) is an error at
    /// `what`, never a trap.
    public func integers(_ what: String) throws -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(values.count)
        for (i, v) in values.enumerated() {
            guard let n = Int(exactly: v) else { throw RNNError(at: what, "element \(i) is \(v), not a whole number in range") }
            out.append(n)
        }
        return out
    }

    /// Row-major strides of `shape`.
    public static func strides(of shape: [Int]) -> [Int] {
        var strides = Array(repeating: 1, count: shape.count)
        var step = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = step
            step *= shape[axis]
        }
        return strides
    }

    public var shapeDescription: String { Tensor.describe(shape) }

    public static func describe(_ shape: [Int]) -> String {
        "[" + shape.map(String.init).joined(separator: ", ") + "]"
    }

    /// The same values with a new shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, elementType: elementType, values: values)
    }

    /// Axes permuted: result axis `i` is input axis `perm[i]`.
    public func transposed(_ perm: [Int]) -> Tensor {
        let newShape = perm.map { shape[$0] }
        let inStrides = Tensor.strides(of: shape)
        var out = [Double](repeating: 0, count: values.count)
        var index = [Int](repeating: 0, count: newShape.count)
        for flat in 0..<values.count {
            var source = 0
            for axis in 0..<newShape.count { source += index[axis] * inStrides[perm[axis]] }
            out[flat] = values[source]
            var axis = newShape.count - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < newShape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        return Tensor(shape: newShape, elementType: elementType, values: out)
    }

    /// The 2-D transpose of a matrix.
    public func transposed() -> Tensor {
        precondition(rank == 2)
        return transposed([1, 0])
    }

    /// A contiguous block of rows along axis 0.
    public func rows(_ range: Range<Int>) -> Tensor {
        let rowSize = shape.dropFirst().reduce(1, *)
        var newShape = shape
        newShape[0] = range.count
        return Tensor(shape: newShape, elementType: elementType,
                      values: Array(values[(range.lowerBound * rowSize)..<(range.upperBound * rowSize)]))
    }

    /// Slices of equal size along axis 0 (`[D, ...]` → D tensors of `[...]`).
    public func unstacked() -> [Tensor] {
        (0..<shape[0]).map { rows($0..<($0 + 1)).reshaped(Array(shape.dropFirst())) }
    }

    /// Concatenation along axis 0.
    public static func stacked(_ parts: [Tensor], shape: [Int]) -> Tensor {
        Tensor(shape: shape, elementType: parts.first?.elementType ?? .float32, values: parts.flatMap(\.values))
    }

    /// Element at a multi-index.
    public subscript(_ index: [Int]) -> Double {
        get {
            var flat = 0
            for (axis, i) in index.enumerated() { flat = flat * shape[axis] + i }
            return values[flat]
        }
        set {
            var flat = 0
            for (axis, i) in index.enumerated() { flat = flat * shape[axis] + i }
            values[flat] = newValue
        }
    }

    /// Largest absolute difference to `other`; NaN in the same place counts as equal,
    /// NaN against a number as infinite.
    public func maxAbsDifference(to other: Tensor) -> Double {
        var worst = 0.0
        for (a, b) in zip(values, other.values) {
            if a.isNaN && b.isNaN { continue }
            if a.isNaN || b.isNaN { return .infinity }
            if a == b { continue }
            worst = max(worst, abs(a - b))
        }
        return worst
    }
}
