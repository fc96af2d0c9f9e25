import RNNModel

/// A whole kernel — its API (state reset, get and set, `step`, `head`,
/// `run` with its tile loop) and its hot part (dense layers, cell steps, the
/// time loop of a cell over one sequence) — as a small language-neutral
/// program: vector declarations, loads at constant offsets, broadcast
/// multiply-adds, activations, stores, integer locals, loops. `KernelLowering`
/// decides every technique and every rule once (packing order, unrolled
/// blocks, split accumulators, buffer schedule, sequence lengths);
/// `CPrinter` and `SwiftPrinter` only spell the result, line by line.
public struct KernelProgram {
    public var functions: [KernelFunction]
}

/// One generated function.
public struct KernelFunction {
    /// What a function is to the kernel's user. Helpers are internal
    /// (`static` in C, `fileprivate` in Swift); the others are the API, whose
    /// signature and wrapper each language spells its own way (a C function
    /// taking the state struct, a member of the Swift value type).
    public enum Role: Equatable {
        case helper
        /// Zeroes the caller's state.
        case reset
        /// Copies a flattened state (`flat`) into the caller's state.
        case setState
        /// Copies the caller's state out to a flattened one (`flat`).
        case getState
        /// One time step at batch 1.
        case step
        /// Steps over a buffer of interleaved frames.
        case process
        /// The head on the current state.
        case head
        /// Whole sequences.
        case run
    }

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
        /// The caller's state (the API's; its slots are addressed from the
        /// base `state` at their padded offsets).
        case state(mutable: Bool)
        /// A count the caller passes (`int` in C, `Int` in Swift).
        case count
        /// Optional per-item lengths (`const int32_t *`, `UnsafePointer<Int32>?`).
        case lengths
        /// Optional floats read.
        case optionalInput
        /// Optional floats written.
        case optionalOutput
    }

    public struct Parameter {
        public var name: String
        public var kind: ParameterKind
        /// Swift's argument label where it is not the name in camel case.
        public var label: String? = nil
    }

    public var role: Role = .helper

    /// `cell_s0_l0_fw`, `dense_d0`, `sequence_s0_l0_fw`; printers add their prefix.
    public var name: String
    /// Lines of the comment above the function.
    public var doc: [String]
    public var parameters: [Parameter]
    /// Local float arrays (name, floats), aligned to the vector size.
    public var scratch: [(name: String, floats: Int)]
    public var body: [KernelStatement]
    /// API functions that read the weight tables; the printers bind `wt`
    /// (and `wm`) to the baked tables or the caller's weights.
    public var readsWeights = false
    /// API functions that take the caller's weights (`--weights runtime`):
    /// those that read them, and `process`, which may pass them on to `step`.
    public var takesWeights: Bool { readsWeights || role == .process }
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

    /// The same address `count` floats further on.
    public func plus(_ count: Int) -> Address {
        var copy = self
        copy.offset += count
        return copy
    }

    /// The same address plus `index·stride`.
    public func adding(_ index: String, stride: Int) -> Address {
        var copy = self
        copy.terms.append(Term(index: index, stride: stride))
        return copy
    }

    /// The element offset as text, the constant first (`123 + b * 1024 + j * 32`)
    /// or the indices first (`j + 1`); nil for none.
    func offsetText(indexFirst: Bool) -> String? {
        let indices = terms.map { term -> String in
            guard term.stride != 1 else { return term.index }
            return term.index.contains(" ") ? "(\(term.index)) * \(term.stride)" : "\(term.index) * \(term.stride)"
        }
        let constant = offset != 0 ? [String(offset)] : []
        let all = indexFirst ? indices + constant : constant + indices
        return all.isEmpty ? nil : all.joined(separator: " + ")
    }

    /// `wt + 123 + j * 32`: the address itself, the base spelled `base`.
    func pointerText(base spelled: String) -> String { offsetText(indexFirst: false).map { "\(spelled) + \($0)" } ?? spelled }
    /// `x[j + 1]`: the float stored there.
    func elementText(base spelled: String) -> String { "\(spelled)[\(offsetText(indexFirst: true) ?? "0")]" }
}

/// An integer-valued expression of a function's locals and parameters.
/// Text is written the same in C and Swift (names, literals, `+`, `-`, `*`,
/// `/`, `[ ]`); the other cases are spelled by each printer.
public indirect enum IntegerExpression: Equatable, ExpressibleByStringLiteral, ExpressibleByStringInterpolation {
    case text(String)
    case minimum(IntegerExpression, IntegerExpression)
    case maximum(IntegerExpression, IntegerExpression)
    /// `value` clamped to `low…high`.
    case clamp(IntegerExpression, low: IntegerExpression, high: IntegerExpression)
    /// Element `index` of an optional `lengths` parameter, or `otherwise` where it is absent.
    case element(of: String, at: String, otherwise: IntegerExpression)
    /// A C `int` parameter, widened before arithmetic that may exceed it.
    case widened(String)
    /// `value · factor`.
    case product(IntegerExpression, Int)

    public init(stringLiteral value: String) { self = .text(value) }
}

/// An argument of a call: an address, or an integer.
public enum Argument: Equatable {
    case address(Address)
    case integer(IntegerExpression)
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
    /// PReLU in place: the variable's lanes below zero multiplied by the
    /// matching lanes of `slopes`.
    case prelu(String, VectorExpression)
    case store(Address, VectorExpression)
    /// The first `count` lanes of a vector variable stored to floats that
    /// need not be aligned or padded.
    case storeLanes(Address, String, count: Int)
    /// One block of hidden units, unrolled: its own scope, constant offsets.
    case block(index: Int, firstUnit: Int, lastUnit: Int, [KernelStatement])
    /// `for index in 0..<count` by `step` (a constant count).
    case loop(index: String, count: Int, step: Int, [KernelStatement])
    /// `for index in from..<to` by `by`, over integer expressions known only at run time.
    case range(index: String, from: String, to: String, [KernelStatement], by: Int = 1)
    /// The body only where an integer comparison (`k < len0`, written the
    /// same in C and Swift) holds; `otherwise` where it does not.
    case when(String, [KernelStatement], otherwise: [KernelStatement] = [])
    /// The body only where the optional parameter was given.
    case whenPresent(String, [KernelStatement])
    /// An integer constant.
    case integer(String, IntegerExpression)
    /// An integer variable.
    case variableInteger(String, IntegerExpression)
    /// An array of `count` integer variables, zeroed.
    case integers(String, count: Int)
    /// An integer variable or element (`len[i]`) set.
    case setInteger(String, IntegerExpression)
    /// A pointer to floats, constant.
    case pointer(String, Address)
    /// A float copied (or zero written when `from` is nil).
    case copyFloat(to: Address, from: Address?)
    /// A float added to another: `to += from`.
    case addFloat(to: Address, from: Address)
    /// `to = fraction·older + (1 − fraction)·newer`: linear interpolation
    /// between two floats (sample-rate correction).
    case blend(to: Address, newer: Address, older: Address, fraction: Float)
    /// Two floats exchanged.
    case swap(Address, Address)
    /// A call of another function of the program with integer/pointer arguments.
    case call(String, [Argument])
    /// Softmax in place over `count` floats.
    case softmax(Address, count: Int)
    /// The kernel's own step on the caller's state, from `x` into `y`.
    case callStep(x: Address, y: Address)
    /// A parameter the function takes but does not read (a stateless
    /// model's state), said so where a compiler would warn.
    case unused(String)
}

extension KernelStatement {
    /// The statements nested in this one (both branches of a `when`).
    var children: [KernelStatement] {
        switch self {
        case .block(_, _, _, let body), .loop(_, _, _, let body), .range(_, _, _, let body, _), .whenPresent(_, let body): return body
        case .when(_, let body, let otherwise): return body + otherwise
        default: return []
        }
    }

    /// Whether the statement opens a scope or is a comment (never printed inside a one-line loop).
    var isScopeOrComment: Bool {
        switch self {
        case .block, .loop, .range, .when, .whenPresent, .comment, .softmax: return true
        default: return false
        }
    }

    /// The same statement with each nested list of statements transformed.
    func mappingBodies(_ transform: ([KernelStatement]) -> [KernelStatement]) -> KernelStatement {
        switch self {
        case .block(let index, let first, let last, let body): return .block(index: index, firstUnit: first, lastUnit: last, transform(body))
        case .loop(let index, let count, let step, let body): return .loop(index: index, count: count, step: step, transform(body))
        case .range(let index, let from, let to, let body, let by): return .range(index: index, from: from, to: to, transform(body), by: by)
        case .when(let condition, let body, let otherwise): return .when(condition, transform(body), otherwise: transform(otherwise))
        case .whenPresent(let name, let body): return .whenPresent(name, transform(body))
        default: return self
        }
    }

    /// Vector variables this statement (and any nested one) changes after declaring.
    func mutated(into set: inout Set<String>) {
        switch self {
        case .assign(let name, _), .clip(let name, _), .activate(let name, _), .prelu(let name, _): set.insert(name)
        default: for s in children { s.mutated(into: &set) }
        }
    }
}
