import RNNModel

/// A training kernel as a small scalar program: float locals, loads and
/// stores at addresses, loops over constant counts (forward and backward in
/// time), comparisons, and the activations with their derivatives.
/// `TrainingLowering` decides every formula once — the forward pass and what
/// it keeps, the backward pass through time, the loss, the optimizer steps;
/// `TrainingCPrinter` and `TrainingSwiftPrinter` only spell it. Inference
/// kernels are vector programs (`KernelProgram`); a training step is
/// dominated by outer products and transposed products over rows whose
/// lengths are the model's sizes, written here as plain loops with the
/// contiguous index innermost, which compilers vectorise.
public struct TrainingProgram {
    public var functions: [TrainingFunction]
}

public struct TrainingFunction {
    public enum ParameterKind: Equatable {
        /// Floats read (`const float *`, `UnsafePointer<Float>`).
        case floats
        /// Floats read and written.
        case mutableFloats
        /// Class labels (`const int32_t *`, `UnsafePointer<Int32>`).
        case labels
        /// One float passed by value.
        case scalar
    }

    public struct Parameter: Equatable {
        public var name: String
        public var kind: ParameterKind
        /// What the caller passes, for the comment above the function.
        public var doc: String
    }

    /// `gradients`, `adagrad`, …; printers add the kernel's prefix.
    public var name: String
    public var doc: [String]
    public var parameters: [Parameter]
    /// Whether the function returns a float (its last statement a `returns`).
    public var returnsFloat: Bool
    public var body: [TrainingStatement]

    /// A named part of a parameter (`w_s0_l0 = params + 0`): the body
    /// addresses the parts, so a compiler sees arrays that cannot overlap.
    public struct View: Equatable {
        public var name: String
        public var parameter: String
        public var offset: Int
        public var mutable: Bool
    }

    public var views: [View] = []
}

/// A float comparison, or an integer one (`j == label`).
public indirect enum TrainingCondition: Equatable {
    case less(TrainingExpression, TrainingExpression)
    case lessOrEqual(TrainingExpression, TrainingExpression)
    case greater(TrainingExpression, TrainingExpression)
    case greaterOrEqual(TrainingExpression, TrainingExpression)
    /// An integer local equal to an integer expression (text).
    case integerEqual(String, String)
    case and(TrainingCondition, TrainingCondition)
}

/// A float-valued expression.
public indirect enum TrainingExpression: Equatable {
    case literal(Float)
    /// A float local or a scalar parameter.
    case local(String)
    case load(Address)
    case add(TrainingExpression, TrainingExpression)
    case subtract(TrainingExpression, TrainingExpression)
    case multiply(TrainingExpression, TrainingExpression)
    case divide(TrainingExpression, TrainingExpression)
    case negate(TrainingExpression)
    /// The activation, spelled as the inference kernels spell it.
    case activation(Activation, TrainingExpression)
    case exp(TrainingExpression)
    /// log(1 + u).
    case logOnePlus(TrainingExpression)
    case squareRoot(TrainingExpression)
    /// `condition ? a : b`.
    case select(TrainingCondition, TrainingExpression, TrainingExpression)

    static let zero = TrainingExpression.literal(0)
    static let one = TrainingExpression.literal(1)

    static func + (a: TrainingExpression, b: TrainingExpression) -> TrainingExpression { .add(a, b) }
    static func - (a: TrainingExpression, b: TrainingExpression) -> TrainingExpression { .subtract(a, b) }
    static func * (a: TrainingExpression, b: TrainingExpression) -> TrainingExpression { .multiply(a, b) }
    static func / (a: TrainingExpression, b: TrainingExpression) -> TrainingExpression { .divide(a, b) }
}

public indirect enum TrainingStatement {
    case comment(String)
    /// `for index in 0..<count`.
    case loop(String, count: Int, [TrainingStatement])
    /// `for index in (0..<count).reversed()`.
    case loopDown(String, count: Int, [TrainingStatement])
    /// A float constant local.
    case constant(String, TrainingExpression)
    /// A float variable local.
    case variable(String, TrainingExpression)
    /// A float variable set.
    case assign(String, TrainingExpression)
    /// A float variable increased: `name += value`.
    case increase(String, TrainingExpression)
    case store(Address, TrainingExpression)
    /// `address += value`.
    case accumulate(Address, TrainingExpression)
    /// An integer local read from a `labels` parameter.
    case label(String, Address)
    case when(TrainingCondition, [TrainingStatement], otherwise: [TrainingStatement])
    case returns(TrainingExpression)
    /// Row sums (`rg_rows`): for j < count,
    /// `to[j] = (add ? to[j] : 0) + Σ_{i < over} scalars[i·scalarStride] · vectors[i·vectorStride + j]`.
    case rows(to: Address, count: Int, scalars: Address, scalarStride: Int, vectors: Address, vectorStride: Int, over: Int, add: Bool)
    /// Four row sums reading the same vectors (`rg_rows4`): sum q < 4 writes
    /// `to + q·toStride` from `scalars + q·scalarGroupStride`.
    case rows4(to: Address, toStride: Int, count: Int, scalars: Address, scalarGroupStride: Int, scalarStride: Int,
               vectors: Address, vectorStride: Int, over: Int, add: Bool)
}

extension TrainingExpression {
    /// The expression with every address transformed.
    func mappingAddresses(_ f: (Address) -> Address) -> TrainingExpression {
        switch self {
        case .literal, .local: return self
        case .load(let a): return .load(f(a))
        case .add(let a, let b): return .add(a.mappingAddresses(f), b.mappingAddresses(f))
        case .subtract(let a, let b): return .subtract(a.mappingAddresses(f), b.mappingAddresses(f))
        case .multiply(let a, let b): return .multiply(a.mappingAddresses(f), b.mappingAddresses(f))
        case .divide(let a, let b): return .divide(a.mappingAddresses(f), b.mappingAddresses(f))
        case .negate(let a): return .negate(a.mappingAddresses(f))
        case .activation(let g, let a): return .activation(g, a.mappingAddresses(f))
        case .exp(let a): return .exp(a.mappingAddresses(f))
        case .logOnePlus(let a): return .logOnePlus(a.mappingAddresses(f))
        case .squareRoot(let a): return .squareRoot(a.mappingAddresses(f))
        case .select(let c, let a, let b): return .select(c.mappingAddresses(f), a.mappingAddresses(f), b.mappingAddresses(f))
        }
    }
}

extension TrainingCondition {
    func mappingAddresses(_ f: (Address) -> Address) -> TrainingCondition {
        switch self {
        case .less(let a, let b): return .less(a.mappingAddresses(f), b.mappingAddresses(f))
        case .lessOrEqual(let a, let b): return .lessOrEqual(a.mappingAddresses(f), b.mappingAddresses(f))
        case .greater(let a, let b): return .greater(a.mappingAddresses(f), b.mappingAddresses(f))
        case .greaterOrEqual(let a, let b): return .greaterOrEqual(a.mappingAddresses(f), b.mappingAddresses(f))
        case .integerEqual: return self
        case .and(let a, let b): return .and(a.mappingAddresses(f), b.mappingAddresses(f))
        }
    }
}

extension TrainingStatement {
    /// The statement with every address transformed.
    func mappingAddresses(_ f: (Address) -> Address) -> TrainingStatement {
        switch self {
        case .comment: return self
        case .loop(let i, let n, let body): return .loop(i, count: n, body.map { $0.mappingAddresses(f) })
        case .loopDown(let i, let n, let body): return .loopDown(i, count: n, body.map { $0.mappingAddresses(f) })
        case .constant(let n, let e): return .constant(n, e.mappingAddresses(f))
        case .variable(let n, let e): return .variable(n, e.mappingAddresses(f))
        case .assign(let n, let e): return .assign(n, e.mappingAddresses(f))
        case .increase(let n, let e): return .increase(n, e.mappingAddresses(f))
        case .store(let a, let e): return .store(f(a), e.mappingAddresses(f))
        case .accumulate(let a, let e): return .accumulate(f(a), e.mappingAddresses(f))
        case .label(let n, let a): return .label(n, f(a))
        case .when(let c, let body, let otherwise):
            return .when(c.mappingAddresses(f), body.map { $0.mappingAddresses(f) }, otherwise: otherwise.map { $0.mappingAddresses(f) })
        case .returns(let e): return .returns(e.mappingAddresses(f))
        case .rows(let to, let n, let a, let aStride, let x, let xStride, let m, let add):
            return .rows(to: f(to), count: n, scalars: f(a), scalarStride: aStride, vectors: f(x), vectorStride: xStride, over: m, add: add)
        case .rows4(let to, let ys, let n, let a, let aq, let aStride, let x, let xStride, let m, let add):
            return .rows4(to: f(to), toStride: ys, count: n, scalars: f(a), scalarGroupStride: aq, scalarStride: aStride, vectors: f(x), vectorStride: xStride, over: m, add: add)
        }
    }

    /// Variables this statement (and any nested one) assigns after declaring.
    func assigned(into set: inout Set<String>) {
        switch self {
        case .assign(let name, _), .increase(let name, _): set.insert(name)
        case .loop(_, _, let body), .loopDown(_, _, let body): for s in body { s.assigned(into: &set) }
        case .when(_, let body, let otherwise): for s in body + otherwise { s.assigned(into: &set) }
        default: break
        }
    }
}
