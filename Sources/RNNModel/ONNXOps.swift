import Foundation

/// The tensor plumbing ops that `torch.onnx.export` writes around recurrent
/// nodes, evaluated with plain tensor code. Used to run a graph and to fold
/// its constant parts (weights that reach a recurrent node through ops).
public enum ONNXOps {
    public static let supported: Set<String> = [
        "Constant", "Shape", "Gather", "Unsqueeze", "Squeeze", "Concat",
        "Expand", "Transpose", "Reshape", "Slice", "Identity", "Cast",
    ]

    /// Input `i` of `node` from the values computed so far.
    public static func input(_ node: ONNXNode, _ i: Int, _ values: [String: Tensor]) throws -> Tensor {
        guard let name = node.input(i) else { throw RNNError(at: node.label, "input \(i) is missing") }
        guard let value = values[name] else { throw RNNError(at: node.label, "input '\(name)' is not produced by any earlier node or graph input") }
        return value
    }

    /// Evaluates every node whose inputs are all known from `values`
    /// (initializers, constants), skipping recurrent nodes. Returns the
    /// extended value table.
    public static func foldConstants(_ graph: ONNXGraph, into values: [String: Tensor]) -> [String: Tensor] {
        var known = values
        var budget = ElementBudget(values.values)
        for node in graph.nodes where supported.contains(node.opType) {
            let inputs = node.inputs.filter { !$0.isEmpty }
            guard inputs.allSatisfy({ known[$0] != nil }), let results = try? evaluate(node, known, budget: &budget) else { continue }
            for (name, tensor) in zip(node.outputs, results) where !name.isEmpty { known[name] = tensor }
        }
        return known
    }

    /// How many values a graph's ops may produce in all: 2^24 plus 16 times
    /// the values given (initializers and inputs). Expand, Gather and Concat
    /// can make a few bytes of a file into gigabytes; with the budget spent,
    /// evaluation stops with an error before allocating.
    public struct ElementBudget {
        public private(set) var remaining: Int

        public init<S: Sequence>(_ given: S) where S.Element == Tensor {
            remaining = (1 << 24) + 16 * given.reduce(0) { min($0 + $1.count, 1 << 40) }
        }

        /// Takes `count` values from the budget, or refuses.
        public mutating func spend(_ count: Int, _ node: ONNXNode) throws {
            guard count <= remaining else {
                throw RNNError(at: node.label, "would make \(count) values, more than the graph's inputs justify (\(remaining) left of its budget); is the file damaged?")
            }
            remaining -= count
        }
    }

    public static func evaluate(_ node: ONNXNode, _ values: [String: Tensor], budget: inout ElementBudget) throws -> [Tensor] {
        let before = budget.remaining
        let results = try compute(node, values, budget: &budget)
        // Ops that can amplify charge before allocating; the rest (Reshape,
        // Transpose, …) are charged here for what they made.
        let charged = before - budget.remaining
        try budget.spend(max(0, results.reduce(0) { $0 + $1.count } - charged), node)
        return results
    }

    static func compute(_ node: ONNXNode, _ values: [String: Tensor], budget: inout ElementBudget) throws -> [Tensor] {
        func fail(_ message: String) -> RNNError { RNNError(at: node.label, message) }
        func input(_ i: Int) throws -> Tensor { try ONNXOps.input(node, i, values) }
        func optional(_ i: Int) throws -> Tensor? { node.input(i) == nil ? nil : try input(i) }
        // Integer tensors travel as doubles: INT64_MAX (a Slice's "to the
        // end") rounds up to 2^63, beyond Int, so magnitudes clamp to 2^62,
        // still past any axis; a fraction or a NaN is an error.
        func ints(_ t: Tensor) throws -> [Int] {
            try t.values.map { v in
                guard v == v.rounded() else { throw fail("expected integers, found \(v)") }
                return Int(max(min(v, 0x1p62), -0x1p62))
            }
        }
        func normalize(_ axis: Int, rank: Int) throws -> Int {
            let a = axis < 0 ? axis + rank : axis
            guard a >= 0 && a < rank else { throw fail("axis \(axis) is out of range for rank \(rank)") }
            return a
        }

        switch node.opType {
        case "Identity":
            return [try input(0)]

        case "Constant":
            if case .tensor(let t)? = node.attributes["value"] { return [t] }
            if let f = node.float("value_float") { return [Tensor(shape: [], values: [f])] }
            if let fs = node.floats("value_floats") { return [Tensor(shape: [fs.count], values: fs)] }
            if let i = node.int("value_int") { return [Tensor(shape: [], elementType: .int64, values: [Double(i)])] }
            if let is_ = node.ints("value_ints") { return [Tensor(shape: [is_.count], elementType: .int64, values: is_.map(Double.init))] }
            throw fail("has no value attribute rnngen reads (value, value_float(s), value_int(s))")

        case "Cast":
            var t = try input(0)
            let codes: [Int64: ElementType] = [1: .float32, 2: .uint8, 3: .int8, 5: .int16, 6: .int32, 7: .int64, 9: .bool, 10: .float16, 11: .float64]
            guard let to = node.int("to"), let type = codes[to] else { throw fail("attribute 'to' names an unsupported type") }
            if !type.isFloatingPoint { t.values = t.values.map { type == .bool ? ($0 != 0 ? 1 : 0) : $0.rounded(.towardZero) } }
            if type == .float32 { t.values = t.values.map { Double(Float($0)) } }
            t.elementType = type
            return [t]

        case "Shape":
            let t = try input(0)
            let rank = t.rank
            var start = Int(node.int("start") ?? 0), end = Int(node.int("end") ?? Int64(rank))
            if start < 0 { start += rank }
            if end < 0 { end += rank }
            start = min(max(start, 0), rank)
            end = min(max(end, start), rank)
            let dims = t.shape[start..<end].map(Double.init)
            return [Tensor(shape: [dims.count], elementType: .int64, values: dims)]

        case "Gather":
            let data = try input(0), indices = try input(1)
            let axis = try normalize(Int(node.int("axis") ?? 0), rank: data.rank)
            let outer = data.shape[..<axis].reduce(1, *)
            let inner = data.shape[(axis + 1)...].reduce(1, *)
            let n = data.shape[axis]
            let (count, overflow) = (outer * inner).multipliedReportingOverflow(by: indices.count)
            try budget.spend(overflow ? .max : count, node)
            var out: [Double] = []
            out.reserveCapacity(count)
            for o in 0..<outer {
                for index in indices.values {
                    var k = Int(index)
                    if k < 0 { k += n }
                    guard k >= 0 && k < n else { throw fail("index \(Int(index)) is out of range for axis of size \(n)") }
                    let base = (o * n + k) * inner
                    out += data.values[base..<(base + inner)]
                }
            }
            let shape = Array(data.shape[..<axis]) + indices.shape + Array(data.shape[(axis + 1)...])
            return [Tensor(shape: shape, elementType: data.elementType, values: out)]

        case "Unsqueeze":
            let data = try input(0)
            let axes = try optional(1).map(ints) ?? node.ints("axes")?.map { Int($0) } ?? []
            let rank = data.rank + axes.count
            let normalized = try axes.map { try normalize($0, rank: rank) }.sorted()
            var shape = data.shape
            for axis in normalized { shape.insert(1, at: axis) }
            return [data.reshaped(shape)]

        case "Squeeze":
            let data = try input(0)
            let axes = try optional(1).map(ints) ?? node.ints("axes")?.map { Int($0) }
            var shape: [Int] = []
            if let axes {
                let normalized = Set(try axes.map { try normalize($0, rank: data.rank) })
                for (axis, size) in data.shape.enumerated() {
                    if normalized.contains(axis) {
                        guard size == 1 else { throw fail("cannot squeeze axis \(axis) of size \(size)") }
                    } else {
                        shape.append(size)
                    }
                }
            } else {
                shape = data.shape.filter { $0 != 1 }
            }
            return [data.reshaped(shape)]

        case "Concat":
            let parts = try (0..<node.inputs.count).compactMap { try optional($0) }
            guard let first = parts.first else { throw fail("has no inputs") }
            let axis = try normalize(Int(node.int("axis") ?? 0), rank: first.rank)
            for p in parts where p.rank != first.rank || p.shape.enumerated().contains(where: { $0.offset != axis && $0.element != first.shape[$0.offset] }) {
                throw fail("inputs of shapes \(parts.map(\.shapeDescription).joined(separator: ", ")) cannot be joined on axis \(axis)")
            }
            let outer = first.shape[..<axis].reduce(1, *)
            try budget.spend(parts.reduce(0) { min($0 + $1.count, Int.max / 2) }, node)
            var out: [Double] = []
            for o in 0..<outer {
                for p in parts {
                    let chunk = p.shape[axis...].reduce(1, *)
                    out += p.values[(o * chunk)..<((o + 1) * chunk)]
                }
            }
            var shape = first.shape
            shape[axis] = parts.reduce(0) { $0 + $1.shape[axis] }
            return [Tensor(shape: shape, elementType: first.elementType, values: out)]

        case "Expand":
            let data = try input(0), target = try ints(try input(1))
            let rank = max(data.rank, target.count)
            let a = Array(repeating: 1, count: rank - data.rank) + data.shape
            let b = Array(repeating: 1, count: rank - target.count) + target
            var shape: [Int] = []
            for (x, y) in zip(a, b) {
                guard x == y || x == 1 || y == 1 else { throw fail("cannot broadcast shape \(data.shapeDescription) to \(Tensor.describe(target))") }
                shape.append(x == 1 ? y : x)
            }
            let sourceStrides = Tensor.strides(of: a)
            guard let total = Tensor.checkedCount(shape) else { throw fail("cannot expand to shape \(Tensor.describe(shape))") }
            try budget.spend(total, node)
            var out = [Double](repeating: 0, count: total)
            var index = [Int](repeating: 0, count: rank)
            for flat in 0..<out.count {
                var source = 0
                for axis in 0..<rank where a[axis] != 1 { source += index[axis] * sourceStrides[axis] }
                out[flat] = data.values[source]
                var axis = rank - 1
                while axis >= 0 {
                    index[axis] += 1
                    if index[axis] < shape[axis] { break }
                    index[axis] = 0
                    axis -= 1
                }
            }
            return [Tensor(shape: shape, elementType: data.elementType, values: out)]

        case "Transpose":
            let data = try input(0)
            let perm = node.ints("perm")?.map { Int($0) } ?? Array((0..<data.rank).reversed())
            guard perm.sorted() == Array(0..<data.rank) else { throw fail("perm \(perm) is not a permutation of 0..<\(data.rank)") }
            return [data.transposed(perm)]

        case "Reshape":
            let data = try input(0)
            var shape = try ints(try input(1))
            let allowZero = (node.int("allowzero") ?? 0) != 0
            for (axis, size) in shape.enumerated() where size == 0 && !allowZero {
                guard axis < data.rank else { throw fail("shape \(shape) copies axis \(axis) the input does not have") }
                shape[axis] = data.shape[axis]
            }
            if let inferred = shape.firstIndex(of: -1) {
                let others = shape.enumerated().filter { $0.offset != inferred }.map(\.element)
                guard let known = Tensor.checkedCount(others), known > 0, data.count % known == 0 else { throw fail("cannot reshape \(data.shapeDescription) to \(shape)") }
                shape[inferred] = data.count / known
            }
            guard Tensor.checkedCount(shape) == data.count else {
                throw fail("cannot reshape \(data.shapeDescription) (\(data.count) values) to \(Tensor.describe(shape))")
            }
            return [data.reshaped(shape)]

        case "Slice":
            let data = try input(0)
            let starts = try ints(try input(1)), ends = try ints(try input(2))
            let axes = try optional(3).map(ints) ?? Array(0..<starts.count)
            let steps = try optional(4).map(ints) ?? Array(repeating: 1, count: starts.count)
            guard ends.count == starts.count, axes.count == starts.count, steps.count == starts.count else {
                throw fail("starts, ends, axes and steps should have one entry each per sliced axis, found \(starts.count), \(ends.count), \(axes.count) and \(steps.count)")
            }
            var ranges = data.shape.map { (start: 0, end: $0, step: 1) }
            for k in 0..<starts.count {
                let axis = try normalize(axes[k], rank: data.rank)
                let n = data.shape[axis], step = steps[k]
                guard step != 0 else { throw fail("slice step 0") }
                func clamp(_ v: Int, _ low: Int, _ high: Int) -> Int { min(max(v, low), high) }
                var s = starts[k] < 0 ? starts[k] + n : starts[k]
                var e = ends[k] < 0 ? ends[k] + n : ends[k]
                if step > 0 { s = clamp(s, 0, n); e = clamp(e, 0, n) } else { s = clamp(s, -1, n - 1); e = clamp(e, -1, n - 1) }
                ranges[axis] = (s, e, step)
            }
            let picks = ranges.map { r in Array(stride(from: r.start, to: r.end, by: r.step)) }
            let shape = picks.map(\.count)
            let strides = Tensor.strides(of: data.shape)
            var out: [Double] = []
            out.reserveCapacity(shape.reduce(1, *))
            func walk(_ axis: Int, _ base: Int) {
                if axis == data.rank { out.append(data.values[base]); return }
                for i in picks[axis] { walk(axis + 1, base + i * strides[axis]) }
            }
            if !shape.contains(0) { walk(0, 0) }
            return [Tensor(shape: shape, elementType: data.elementType, values: out)]

        default:
            throw fail("rnngen cannot evaluate op '\(Quote.text(node.opType, limit: 40))'")
        }
    }

}
