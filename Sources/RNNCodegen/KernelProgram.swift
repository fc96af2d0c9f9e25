import RNNModel

/// The hot part of a kernel — dense layers, cell steps, the time loop of a
/// cell over one sequence — as a small language-neutral program: vector
/// declarations, loads at constant offsets, broadcast multiply-adds,
/// activations, stores, loops. `KernelLowering` decides every technique once
/// (packing order, unrolled blocks, split accumulators); `CPrinter` and
/// `SwiftPrinter` only spell the result, line by line.
public struct KernelProgram {
    public var functions: [KernelFunction]
}

/// One generated function.
public struct KernelFunction {
    public enum ParameterKind: Equatable {
        /// The packed weight table (read only, never aliased).
        case weights
        /// The packed weight matrices stored narrower than floats (read only).
        case matrices(WeightType)
        /// Floats read only.
        case input(restrict: Bool)
        /// Floats read and written.
        case output(restrict: Bool)
        /// A signed index or count.
        case integer
    }

    public struct Parameter {
        public var name: String
        public var kind: ParameterKind
    }

    /// `cell_s0_l0_fw`, `dense_d0`, `sequence_s0_l0_fw`; printers add their prefix.
    public var name: String
    /// Lines of the comment above the function.
    public var doc: [String]
    public var parameters: [Parameter]
    /// Local float arrays (name, floats), aligned to the vector size.
    public var scratch: [(name: String, floats: Int)]
    public var body: [KernelStatement]
}

/// A float location: `base + offset + Σ index·stride`. `base` is a
/// parameter or scratch array; each index is an integer expression written
/// the same way in C and Swift (names, literals, `+`, `-`, `*`).
public struct Address: Equatable {
    public struct Term: Equatable {
        public var index: String
        public var stride: Int
    }

    public var base: String
    public var offset: Int
    public var terms: [Term]

    public init(_ base: String, _ offset: Int = 0, index: String? = nil, stride: Int = 1) {
        self.base = base
        self.offset = offset
        self.terms = index.map { [Term(index: $0, stride: stride)] } ?? []
    }

    /// Lane `index` of the vector at this address: the address, its loop
    /// terms kept, plus `index`.
    public func lane(_ index: String) -> Address { adding(index, stride: 1) }

    /// The same address plus `index·stride`.
    public func adding(_ index: String, stride: Int) -> Address {
        var copy = self
        copy.terms.append(Term(index: index, stride: stride))
        return copy
    }

    /// The element offset as text, the constant first (`123 + b * 1024 + j * 32`)
    /// or the indices first (`j + 1`); nil for none.
    func offsetText(indexFirst: Bool) -> String? {
        let indices = terms.map { $0.stride == 1 ? $0.index : "\($0.index) * \($0.stride)" }
        let constant = offset != 0 ? [String(offset)] : []
        let all = indexFirst ? indices + constant : constant + indices
        return all.isEmpty ? nil : all.joined(separator: " + ")
    }

    /// `wt + 123 + j * 32`: the address itself.
    var pointerText: String { offsetText(indexFirst: false).map { "\(base) + \($0)" } ?? base }
    /// `x[j + 1]`: the float stored there.
    var elementText: String { "\(base)[\(offsetText(indexFirst: true) ?? "0")]" }
}

/// A vector-valued expression.
public indirect enum VectorExpression: Equatable {
    case variable(String)
    /// One vector read from memory: aligned where `base` is a weight table,
    /// scratch or state, unaligned otherwise.
    case load(Address)
    /// One vector's worth of weights stored as a narrower type, widened to
    /// floats: where each lane's element holds several columns
    /// (`KernelPlan.columnsPerWord`), the column `part`.
    case widen(Address, WeightType, part: Int)
    /// One float in every lane.
    case broadcast(Address)
    case constant(Float)
    case add(VectorExpression, VectorExpression)
    case subtract(VectorExpression, VectorExpression)
    case multiply(VectorExpression, VectorExpression)
    /// a·b + c, fused where the target has FMA instructions.
    case multiplyAdd(VectorExpression, VectorExpression, VectorExpression)
}

public indirect enum KernelStatement {
    case comment(String)
    /// A new vector variable.
    case declare(String, VectorExpression)
    /// A new vector variable that several multiply-adds read (a tile's
    /// weight vector): kept in a register, where a compiler would otherwise
    /// fold its load into each of them.
    case share(String, VectorExpression)
    case assign(String, VectorExpression)
    /// ONNX `clip`: the variable clamped to [-limit, limit] in place.
    case clip(String, Float)
    /// The activation applied to the variable in place.
    case activate(String, Activation)
    case store(Address, VectorExpression)
    /// The first `count` lanes of a vector variable stored to floats that
    /// need not be aligned or padded.
    case storeLanes(Address, String, count: Int)
    /// One block of hidden units, unrolled: its own scope, constant offsets.
    case block(index: Int, firstUnit: Int, lastUnit: Int, [KernelStatement])
    /// `for index in 0..<count` by `step` (a constant count).
    case loop(index: String, count: Int, step: Int, [KernelStatement])
    /// `for index in from..<to` over integer expressions known only at run time.
    case range(index: String, from: String, to: String, [KernelStatement])
    /// The body only where an integer comparison (`k < len0`, written the
    /// same in C and Swift) holds.
    case when(String, [KernelStatement])
    /// An integer constant.
    case integer(String, String)
    /// A float copied (or zero written when `from` is nil).
    case copyFloat(to: Address, from: Address?)
    /// A call of another function of the program with integer/pointer arguments.
    case call(String, [String])
    /// Softmax in place over `count` floats.
    case softmax(Address, count: Int)
}

extension KernelStatement {
    /// Vector variables this statement (and any nested one) changes after declaring.
    func mutated(into set: inout Set<String>) {
        switch self {
        case .assign(let name, _), .clip(let name, _), .activate(let name, _): set.insert(name)
        case .block(_, _, _, let body), .loop(_, _, _, let body), .range(_, _, _, let body), .when(_, let body):
            for s in body { s.mutated(into: &set) }
        default: break
        }
    }
}
