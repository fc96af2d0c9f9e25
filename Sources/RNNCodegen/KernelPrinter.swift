import RNNModel

/// Spells a `KernelProgram` in one language. The walk over statements is
/// shared; a printer says only how each statement and expression is written,
/// and how an API function's signature and wrapper look in its language.
protocol KernelPrinter {
    var plan: KernelPlan { get }
    func signature(_ f: KernelFunction) -> [String]
    /// Lines opening the body (weights, state and scratch bound), their closing lines, and the body's indentation.
    func frame(_ f: KernelFunction) -> (open: [String], close: [String], indent: String)
    func line(_ s: KernelStatement, mutable: Set<String>) -> String
    func open(_ s: KernelStatement) -> String
    func softmax(_ at: Address, count: Int) -> [String]

    /// The spelling of an address's base (a parameter, scratch array or local pointer).
    func base(_ name: String) -> String
    /// `base + offset`: an address.
    func pointer(_ at: Address) -> String
    /// `base[offset]`: the float at an address.
    func element(_ at: Address) -> String
    func variable(_ name: String) -> String
    func load(_ at: Address) -> String
    func widen(_ at: Address, _ type: WeightType, part: Int) -> String
    func broadcast(_ at: Address) -> String
    func constant(_ value: Float) -> String
    func multiplyAdd(_ a: String, _ b: String, _ c: String) -> String
    func integer(_ e: IntegerExpression) -> String
    /// How a local is introduced: `const ptrdiff_t`, `let`, `float *const`, ….
    func keyword(_ local: LocalKind) -> String
    /// What ends a statement: `;` in C, nothing in Swift.
    var terminator: String { get }
    /// A call of a helper by its program name (`rg_` + name in C).
    func callee(_ name: String) -> String
    /// The float zero.
    /// A float constant (`0.5f` in C, `0.5` in Swift).
    func floatLiteral(_ value: Float) -> String
    var zero: String { get }
}

/// The kinds of local a statement introduces.
enum LocalKind {
    case integerConstant, integerVariable, pointer
}

extension KernelPrinter {
    var vectorWidth: Int { plan.vectorWidth }

    func print(_ f: KernelFunction) -> String {
        var mutable: Set<String> = []
        for s in f.body { s.mutated(into: &mutable) }
        let (open, close, indent) = frame(f)
        var lines = signature(f) + open
        for s in f.body { lines += statement(s, indent: indent, mutable: mutable) }
        lines += close
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    func statement(_ s: KernelStatement, indent: String, mutable: Set<String>) -> [String] {
        switch s {
        case .block, .loop, .range, .when, .whenPresent:
            // A scope of its own: what it declares is changed, if at all, inside it,
            // and says nothing of same-named variables of other scopes.
            func scope(_ body: [KernelStatement]) -> [String] {
                var inner: Set<String> = []
                for s in body { s.mutated(into: &inner) }
                return body.flatMap { statement($0, indent: indent + "    ", mutable: inner) }
            }
            // A loop of one plain statement is one line: `for (…) { y[k] = x[k]; }`.
            switch s {
            case .loop(_, _, _, let body), .range(_, _, _, let body, _):
                if body.count == 1, body[0].children.isEmpty, !body[0].isScopeOrComment {
                    return [indent + open(s) + " " + line(body[0], mutable: []) + " }"]
                }
            default: break
            }
            if case .when(_, let body, let otherwise) = s, !otherwise.isEmpty {
                return [indent + open(s)] + scope(body) + [indent + "} else {"] + scope(otherwise) + [indent + "}"]
            }
            return [indent + open(s)] + scope(s.children) + [indent + "}"]
        case .softmax(let at, let count):
            return softmax(at, count: count).map { indent + $0 }
        default:
            return [indent + line(s, mutable: mutable)]
        }
    }

    func expression(_ e: VectorExpression, parent: Int = 0) -> String {
        // Precedence: 1 for + and -, 2 for *; a child binds at least as tightly as its parent or is parenthesised.
        func binary(_ a: VectorExpression, _ op: String, _ b: VectorExpression, _ level: Int) -> String {
            let text = "\(expression(a, parent: level)) \(op) \(expression(b, parent: level + (op == "-" ? 1 : 0)))"
            return parent > level ? "(\(text))" : text
        }
        switch e {
        case .variable(let name): return variable(name)
        case .load(let at): return load(at)
        case .widen(let at, let type, let part): return widen(at, type, part: part)
        case .broadcast(let at): return broadcast(at)
        case .constant(let v): return constant(v)
        case .add(let a, let b): return binary(a, "+", b, 1)
        case .subtract(let a, let b): return binary(a, "-", b, 1)
        case .multiply(let a, let b): return binary(a, "*", b, 2)
        case .multiplyAdd(let a, let b, let c): return multiplyAdd(expression(a), expression(b), expression(c))
        }
    }

    /// `base + offset`: an address.
    func pointer(_ at: Address) -> String { at.pointerText(base: base(at.base)) }
    /// `base[offset]`: the float at an address.
    func element(_ at: Address) -> String { at.elementText(base: base(at.base)) }

    func argument(_ a: Argument) -> String {
        switch a {
        case .address(let at): return pointer(at)
        case .integer(let e): return integer(e)
        }
    }

    /// An integer expression as an operand of `*`: parenthesised unless it is one name or literal.
    func factor(_ e: IntegerExpression) -> String {
        let text = integer(e)
        return text.contains(" ") && !(text.hasPrefix("(") && text.hasSuffix(")")) ? "(\(text))" : text
    }

    /// An activation's function in the kernel's helpers (C's name; Swift's
    /// is its camel case) and the parameters that follow the value.
    func activationCall(_ a: Activation) -> (function: String, parameters: [Double]) { ActivationSpelling.call(a) }

    /// The statements spelled the same way in both languages but for their
    /// keywords: integer and pointer locals, assignments, copies, calls.
    func simpleLine(_ s: KernelStatement) -> String? {
        switch s {
        case .integer(let name, let value): return "\(keyword(.integerConstant)) \(name) = \(integer(value))\(terminator)"
        case .variableInteger(let name, let value): return "\(keyword(.integerVariable)) \(name) = \(integer(value))\(terminator)"
        case .setInteger(let name, let value): return "\(name) = \(integer(value))\(terminator)"
        case .pointer(let name, let at): return "\(keyword(.pointer)) \(base(name)) = \(pointer(at))\(terminator)"
        case .copyFloat(let to, let from): return "\(element(to)) = \(from.map(element) ?? zero)\(terminator)"
        case .addFloat(let to, let from): return "\(element(to)) += \(element(from))\(terminator)"
        case .blend(let to, let newer, let older, let fraction):
            return "\(element(to)) = \(floatLiteral(fraction)) * \(element(older)) + \(floatLiteral(1 - fraction)) * \(element(newer))\(terminator)"
        case .call(let name, let args): return "\(callee(name))(\(args.map(argument).joined(separator: ", ")))\(terminator)"
        case .assign(let name, let e): return "\(variable(name)) = \(expression(e))\(terminator)"
        default: return nil
        }
    }

    func blockComment(_ index: Int, _ first: Int, _ last: Int) -> String {
        "block \(index): unit\(first == last ? " \(first)" : "s \(first)…\(last)")"
    }

    /// `prefix(a, b, …)suffix`, parameters wrapped onto lines under the first
    /// one where the line would pass 120 columns.
    func wrapped(_ prefix: String, _ parameters: [String], _ suffix: String) -> [String] {
        var lines: [String] = []
        var current = prefix + "("
        let indent = String(repeating: " ", count: current.count)
        for (k, p) in parameters.enumerated() {
            let piece = p + (k == parameters.count - 1 ? ")" + suffix : ",")
            if current.count + piece.count + 1 > 120 && !current.hasSuffix("(") {
                lines.append(current)
                current = indent + piece
            } else {
                current += (current.hasSuffix("(") ? "" : " ") + piece
            }
        }
        if parameters.isEmpty { current += ")" + suffix }
        lines.append(current)
        return lines
    }
}

extension KernelProgram {
    /// The program of a plan's kernel: its API and its helpers, every function the generated files hold.
    public static func of(_ plan: KernelPlan) -> KernelProgram { KernelLowering.program(plan) }

    /// Each function's body as a language spells it, statement for
    /// statement (no signature, no wrapper): the twin of the other
    /// language's, line for line.
    public func bodies(_ plan: KernelPlan, language: KernelOptions.Language) -> [(function: String, lines: [String])] {
        functions.map { f in
            var mutable: Set<String> = []
            for s in f.body { s.mutated(into: &mutable) }
            let lines: [String]
            switch language {
            case .c: lines = f.body.flatMap { CPrinter(plan: plan).statement($0, indent: "", mutable: mutable) }
            case .swift: lines = f.body.flatMap { SwiftPrinter(plan: plan).statement($0, indent: "", mutable: mutable) }
            }
            return (f.name, lines)
        }
    }
}
