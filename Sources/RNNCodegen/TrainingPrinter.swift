import RNNModel

/// Spells a `TrainingProgram` in one language. The walk over statements and
/// the precedence of operators are shared; each printer says only how a
/// statement, a call and a literal are written.
protocol TrainingPrinter {
    func signature(_ f: TrainingFunction) -> String
    /// A named part of a parameter, declared at the top of the body.
    func view(_ v: TrainingFunction.View) -> String
    func literal(_ value: Float) -> String
    func local(_ name: String) -> String
    func base(_ name: String) -> String
    /// A function of one argument: an activation with its parameters, exp, log1p, a square root.
    func call(_ function: String, _ argument: String, parameters: [Double]) -> String
    func squareRoot(_ argument: String) -> String
    func declare(_ name: String, mutable: Bool, _ value: String) -> String
    func label(_ name: String, _ element: String) -> String
    func loop(_ index: String, count: Int, down: Bool) -> String
    /// A pointer to an address (`z + t * 8 + b`).
    func pointer(_ at: Address) -> String
    func rows(to: String, count: Int, scalars: String, scalarStride: Int, vectors: String, vectorStride: Int, over: Int, add: Bool) -> String
    func rows4(to: String, toStride: Int, count: Int, scalars: String, scalarGroupStride: Int, scalarStride: Int, vectors: String, vectorStride: Int, over: Int, add: Bool) -> String
    var terminator: String { get }
    var conditionOpen: (String) -> String { get }
}

extension TrainingPrinter {
    func print(_ f: TrainingFunction) -> String {
        var lines = [signature(f)] + f.views.map { "    " + view($0) }
        var assigned: Set<String> = []
        for s in f.body { s.assigned(into: &assigned) }
        for s in f.body { lines += statement(s, indent: "    ", assigned: assigned) }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    func element(_ at: Address) -> String { at.elementText(base: base(at.base)) }

    func statement(_ s: TrainingStatement, indent: String, assigned: Set<String>) -> [String] {
        func body(_ list: [TrainingStatement]) -> [String] {
            list.flatMap { statement($0, indent: indent + "    ", assigned: assigned) }
        }
        let end = terminator
        switch s {
        case .comment(let text): return [indent + "// " + text]
        case .loop(let index, let count, let list), .loopDown(let index, let count, let list):
            var down = false
            if case .loopDown = s { down = true }
            let head = loop(index, count: count, down: down)
            // A loop of one plain statement is one line.
            if list.count == 1, let only = list.first, only.isSimple {
                return [indent + head + " " + statement(only, indent: "", assigned: assigned)[0] + " }"]
            }
            return [indent + head] + body(list) + [indent + "}"]
        case .constant(let name, let e): return [indent + declare(local(name), mutable: false, expression(e)) + end]
        case .variable(let name, let e): return [indent + declare(local(name), mutable: assigned.contains(name), expression(e)) + end]
        case .assign(let name, let e): return [indent + "\(local(name)) = \(expression(e))" + end]
        case .increase(let name, let e): return [indent + "\(local(name)) += \(expression(e))" + end]
        case .store(let at, let e): return [indent + "\(element(at)) = \(expression(e))" + end]
        case .accumulate(let at, let e): return [indent + "\(element(at)) += \(expression(e))" + end]
        case .label(let name, let at): return [indent + label(local(name), element(at)) + end]
        case .when(let c, let list, let otherwise):
            var lines = [indent + conditionOpen(condition(c))] + body(list)
            if !otherwise.isEmpty { lines += [indent + "} else {"] + body(otherwise) }
            return lines + [indent + "}"]
        case .returns(let e): return [indent + "return \(expression(e))" + end]
        case .rows(let to, let n, let a, let aStride, let x, let xStride, let m, let add):
            return [indent + rows(to: pointer(to), count: n, scalars: pointer(a), scalarStride: aStride, vectors: pointer(x), vectorStride: xStride, over: m, add: add) + end]
        case .rows4(let to, let ys, let n, let a, let aq, let aStride, let x, let xStride, let m, let add):
            return [indent + rows4(to: pointer(to), toStride: ys, count: n, scalars: pointer(a), scalarGroupStride: aq, scalarStride: aStride,
                                   vectors: pointer(x), vectorStride: xStride, over: m, add: add) + end]
        }
    }

    // MARK: Expressions, with as few parentheses as precedence allows

    /// 0: conditional, 1: additive, 2: multiplicative, 3: unary, 4: primary.
    func precedence(_ e: TrainingExpression) -> Int {
        switch e {
        case .select: return 0
        case .add, .subtract: return 1
        case .multiply, .divide: return 2
        case .negate: return 3
        case .literal(let v): return v < 0 ? 3 : 4
        default: return 4
        }
    }

    func operand(_ e: TrainingExpression, atLeast level: Int) -> String {
        precedence(e) >= level ? expression(e) : "(\(expression(e)))"
    }

    func expression(_ e: TrainingExpression) -> String {
        switch e {
        case .literal(let v): return literal(v)
        case .local(let name): return local(name)
        case .load(let at): return element(at)
        case .add(let a, let b): return "\(operand(a, atLeast: 1)) + \(operand(b, atLeast: 2))"
        case .subtract(let a, let b): return "\(operand(a, atLeast: 1)) - \(operand(b, atLeast: 2))"
        case .multiply(let a, let b): return "\(operand(a, atLeast: 2)) * \(operand(b, atLeast: 3))"
        case .divide(let a, let b): return "\(operand(a, atLeast: 2)) / \(operand(b, atLeast: 3))"
        case .negate(let a): return "-\(operand(a, atLeast: 4))"
        case .activation(let f, let x):
            let (function, parameters) = ActivationSpelling.call(f)
            return call(function, expression(x), parameters: parameters)
        case .exp(let x): return call("exp", expression(x), parameters: [])
        case .logOnePlus(let x): return call("log1p", expression(x), parameters: [])
        case .squareRoot(let x): return squareRoot(expression(x))
        case .select(let c, let a, let b): return "\(condition(c)) ? \(operand(a, atLeast: 1)) : \(operand(b, atLeast: 1))"
        }
    }

    func condition(_ c: TrainingCondition) -> String {
        switch c {
        case .less(let a, let b): return "\(operand(a, atLeast: 1)) < \(operand(b, atLeast: 1))"
        case .lessOrEqual(let a, let b): return "\(operand(a, atLeast: 1)) <= \(operand(b, atLeast: 1))"
        case .greater(let a, let b): return "\(operand(a, atLeast: 1)) > \(operand(b, atLeast: 1))"
        case .greaterOrEqual(let a, let b): return "\(operand(a, atLeast: 1)) >= \(operand(b, atLeast: 1))"
        case .integerEqual(let a, let b): return "\(a) == \(b)"
        case .and(let a, let b): return "\(condition(a)) && \(condition(b))"
        }
    }
}

extension TrainingStatement {
    /// One line with no nested scope.
    var isSimple: Bool {
        switch self {
        case .loop, .loopDown, .when, .comment: return false
        default: return true
        }
    }
}

/// C99: `for (int t = 0; t < K; ++t)`, `const float`, `rg_` functions of
/// the scalar prelude, `sqrtf`.
struct TrainingCPrinter: TrainingPrinter {
    let prefix: String

    func signature(_ f: TrainingFunction) -> String {
        let parameters = f.parameters.map { p -> String in
            switch p.kind {
            case .floats: return "const float *restrict \(p.name)"
            case .mutableFloats: return "float *restrict \(p.name)"
            case .labels: return "const int32_t *restrict \(p.name)"
            case .scalar: return "float \(p.name)"
            }
        }
        return "\(f.returnsFloat ? "float" : "void") \(prefix)_\(f.name)(\(parameters.joined(separator: ", ")))\n{"
    }

    func view(_ v: TrainingFunction.View) -> String {
        let at = v.offset == 0 ? v.parameter : "\(v.parameter) + \(v.offset)"
        return v.mutable ? "float *restrict const \(v.name) = \(at);" : "const float *restrict const \(v.name) = \(at);"
    }
    func literal(_ value: Float) -> String { Literal.cFloat(value) }
    func local(_ name: String) -> String { name }
    func base(_ name: String) -> String { name == "initial" ? "\(prefix)_initial" : name }
    func call(_ function: String, _ argument: String, parameters: [Double]) -> String {
        "rg_\(function)(\(([argument] + parameters.map { Literal.cFloat(Float($0)) }).joined(separator: ", ")))"
    }
    func squareRoot(_ argument: String) -> String { "sqrtf(\(argument))" }
    func pointer(_ at: Address) -> String { at.pointerText(base: base(at.base)) }
    func rows(to: String, count: Int, scalars: String, scalarStride: Int, vectors: String, vectorStride: Int, over: Int, add: Bool) -> String {
        "rg_rows(\(to), \(count), \(scalars), \(scalarStride), \(vectors), \(vectorStride), \(over), \(add ? 1 : 0))"
    }
    func rows4(to: String, toStride: Int, count: Int, scalars: String, scalarGroupStride: Int, scalarStride: Int, vectors: String, vectorStride: Int, over: Int, add: Bool) -> String {
        "rg_rows4(\(to), \(toStride), \(count), \(scalars), \(scalarGroupStride), \(scalarStride), \(vectors), \(vectorStride), \(over), \(add ? 1 : 0))"
    }
    func declare(_ name: String, mutable: Bool, _ value: String) -> String { "\(mutable ? "" : "const ")float \(name) = \(value)" }
    func label(_ name: String, _ element: String) -> String { "const int \(name) = (int)\(element)" }
    func loop(_ index: String, count: Int, down: Bool) -> String {
        down ? "for (int \(index) = \(count - 1); \(index) >= 0; --\(index)) {" : "for (int \(index) = 0; \(index) < \(count); ++\(index)) {"
    }
    var terminator: String { ";" }
    var conditionOpen: (String) -> String { { "if (\($0)) {" } }
}

/// Swift: `for t in 0..<K`, `let x: Float`, the scalar prelude's functions (its own square root).
struct TrainingSwiftPrinter: TrainingPrinter {
    func signature(_ f: TrainingFunction) -> String {
        let parameters = f.parameters.map { p -> String in
            let name = Literal.camelCase(p.name)
            switch p.kind {
            case .floats: return "\(name): UnsafePointer<Float>"
            case .mutableFloats: return "\(name): UnsafeMutablePointer<Float>"
            case .labels: return "\(name): UnsafePointer<Int32>"
            case .scalar: return "\(name): Float"
            }
        }
        let result = f.returnsFloat ? " -> Float" : ""
        let discardable = f.returnsFloat ? "@discardableResult\n" : ""
        return "\(discardable)public static func \(Literal.camelCase(f.name))(\(parameters.joined(separator: ", ")))\(result) {"
    }

    func view(_ v: TrainingFunction.View) -> String {
        let parameter = Literal.camelCase(v.parameter)
        return "let \(base(v.name)) = \(v.offset == 0 ? parameter : "\(parameter) + \(v.offset)")"
    }
    // `as Float` keeps the type checker from trying every literal type.
    func literal(_ value: Float) -> String { "(\(Literal.float(value)) as Float)" }
    func local(_ name: String) -> String { Literal.camelCase(name) }
    func base(_ name: String) -> String { name == "initial" ? "initialParameterTable" : Literal.camelCase(name) }
    func call(_ function: String, _ argument: String, parameters: [Double]) -> String {
        "\(Literal.camelCase(function))(\(([argument] + parameters.map { Literal.float(Float($0)) }).joined(separator: ", ")))"
    }
    func squareRoot(_ argument: String) -> String { "squareRoot(\(argument))" }
    func pointer(_ at: Address) -> String {
        let base = self.base(at.base)
        return at.offsetText(indexFirst: false).map { "\(base) + (\($0))" } ?? base
    }
    func rows(to: String, count: Int, scalars: String, scalarStride: Int, vectors: String, vectorStride: Int, over: Int, add: Bool) -> String {
        "rows(\(to), \(count), \(scalars), \(scalarStride), \(vectors), \(vectorStride), \(over), \(add))"
    }
    func rows4(to: String, toStride: Int, count: Int, scalars: String, scalarGroupStride: Int, scalarStride: Int, vectors: String, vectorStride: Int, over: Int, add: Bool) -> String {
        "rows4(\(to), \(toStride), \(count), \(scalars), \(scalarGroupStride), \(scalarStride), \(vectors), \(vectorStride), \(over), \(add))"
    }
    func declare(_ name: String, mutable: Bool, _ value: String) -> String { "\(mutable ? "var" : "let") \(name): Float = \(value)" }
    func label(_ name: String, _ element: String) -> String { "let \(name) = Int(\(element))" }
    func loop(_ index: String, count: Int, down: Bool) -> String {
        down ? "for \(index) in stride(from: \(count - 1), through: 0, by: -1) {" : "for \(index) in 0..<\(count) {"
    }
    var terminator: String { "" }
    var conditionOpen: (String) -> String { { "if \($0) {" } }
}
