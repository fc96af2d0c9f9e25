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
    func activationCall(_ a: Activation) -> (function: String, parameters: [Double]) {
        switch a.kind {
        case .sigmoid: return ("sigmoid", [])
        case .tanh: return ("tanh", [])
        case .relu: return ("relu", [])
        case .affine: return ("affine", [a.alpha, a.beta])
        case .leakyRelu: return ("leaky_relu", [a.alpha])
        case .thresholdedRelu: return ("thresholded_relu", [a.alpha])
        case .scaledTanh: return ("scaled_tanh", [a.alpha, a.beta])
        case .hardSigmoid: return ("hard_sigmoid", [a.alpha, a.beta])
        case .elu: return ("elu", [a.alpha])
        case .softsign: return ("softsign", [])
        case .softplus: return ("softplus", [])
        }
    }

    /// The statements spelled the same way in both languages but for their
    /// keywords: integer and pointer locals, assignments, copies, calls.
    func simpleLine(_ s: KernelStatement) -> String? {
        switch s {
        case .integer(let name, let value): return "\(keyword(.integerConstant)) \(name) = \(integer(value))\(terminator)"
        case .variableInteger(let name, let value): return "\(keyword(.integerVariable)) \(name) = \(integer(value))\(terminator)"
        case .setInteger(let name, let value): return "\(name) = \(integer(value))\(terminator)"
        case .pointer(let name, let at): return "\(keyword(.pointer)) \(base(name)) = \(pointer(at))\(terminator)"
        case .copyFloat(let to, let from): return "\(element(to)) = \(from.map(element) ?? zero)\(terminator)"
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

/// C99 with GCC/Clang vector extensions: `rg_vec`, the `RG_` macros and the
/// `rg_` activations of Templates/c/prelude.c.tmpl. A scalar program
/// (`ScalarLowering`) is spelled with floats, array elements and the
/// by-value functions of Templates/c/prelude_scalar.c.tmpl.
struct CPrinter: KernelPrinter {
    let plan: KernelPlan
    var scalar: Bool { plan.lowering == .scalar }
    var name: String { plan.name }
    /// The type of a program variable.
    var valueType: String { scalar ? "float" : "rg_vec" }

    /// The state struct's field of a slot: `s0_l0_fw_h`.
    static func field(_ slot: KernelPlan.StateSlot) -> String {
        "\(slot.name.description.dropFirst(2))_\(slot.name.isCell ? "c" : "h")"
    }

    func parameter(_ p: KernelFunction.Parameter) -> String {
        switch p.kind {
        case .weights: return "const float *restrict \(p.name)"
        case .matrices(let type): return "const \(type.storage.cType) *restrict \(p.name)"
        case .input(let restrict): return "const float *\(restrict ? "restrict " : "")\(p.name)"
        case .output(let restrict): return "float *\(restrict ? "restrict " : "")\(p.name)"
        case .integer: return "ptrdiff_t \(p.name)"
        case .state(let mutable): return "\(mutable ? "" : "const ")\(name)_state *\(p.name)"
        case .count: return "int \(p.name)"
        case .lengths: return "const int32_t *\(p.name)"
        case .optionalInput: return "const float *\(p.name)"
        case .optionalOutput: return "float *\(p.name)"
        }
    }

    /// The function's declaration, without `;` or body.
    func declaration(_ f: KernelFunction) -> [String] {
        var parameters = f.parameters.map(parameter)
        if f.role == .helper { return wrapped("static void rg_\(f.name)", parameters, "") }
        if f.readsWeights && plan.options.weights == .runtime { parameters.insert("const float *weights", at: 0) }
        return wrapped("void \(name)_\(f.name)", parameters, "")
    }

    func signature(_ f: KernelFunction) -> [String] {
        (f.role == .helper ? comment(f.doc) : []) + declaration(f) + ["{"]
    }

    func comment(_ lines: [String]) -> [String] {
        lines.enumerated().map { k, text in (k == 0 ? "/* " : " * ") + text + (k == lines.count - 1 ? " */" : "") }
    }

    func frame(_ f: KernelFunction) -> (open: [String], close: [String], indent: String) {
        var open: [String] = []
        if f.readsWeights {
            open.append("    const float *wt = \(plan.options.weights == .baked ? "\(name)_weights" : "weights");")
            if plan.weightType != .f32 { open.append("    const \(plan.weightType.storage.cType) *wm = \(name)_matrices;") }
        }
        open += f.scratch.map { "    float \($0.name)[\($0.floats)] __attribute__((aligned(\(vectorWidth * 4))));" }
        return (open, [], "    ")
    }

    /// The caller's state is a struct of one array per slot: `state + 20`
    /// is spelled in the field that holds it (`state->s0_l0_fw_c + 4`).
    func spelled(_ at: Address) -> (base: String, at: Address) {
        guard at.base == "state", let slot = plan.states.last(where: { $0.paddedOffset <= at.offset }) else { return (at.base, at) }
        var rest = at
        rest.offset -= slot.paddedOffset
        return ("state->\(CPrinter.field(slot))", rest)
    }

    func base(_ name: String) -> String { name }
    func pointer(_ at: Address) -> String { let (b, a) = spelled(at); return a.pointerText(base: b) }
    func element(_ at: Address) -> String { let (b, a) = spelled(at); return a.elementText(base: b) }

    func variable(_ name: String) -> String { name }
    func load(_ at: Address) -> String { scalar ? element(at) : "RG_LOAD(\(pointer(at)))" }
    func widen(_ at: Address, _ type: WeightType, part: Int) -> String {
        let storage = type.storage
        return storage.columnsPerWord == 1 ? "\(storage.cLoader!)(\(pointer(at)))" : "\(storage.cLoader!)(\(pointer(at)), \(part))"
    }
    func broadcast(_ at: Address) -> String { scalar ? element(at) : "RG_SPLAT(\(element(at)))" }
    func constant(_ value: Float) -> String { scalar ? Literal.cFloat(value) : "RG_SPLAT(\(Literal.cFloat(value)))" }
    func multiplyAdd(_ a: String, _ b: String, _ c: String) -> String { "RG_FMA(\(a), \(b), \(c))" }

    func integer(_ e: IntegerExpression) -> String {
        switch e {
        case .text(let text): return text
        case .minimum(let a, let b): return "(\(integer(a)) < \(integer(b)) ? \(integer(a)) : \(integer(b)))"
        case .maximum(let a, let b): return "(\(integer(a)) > \(integer(b)) ? \(integer(a)) : \(integer(b)))"
        case .clamp(let v, let low, let high):
            let (x, l, h) = (integer(v), integer(low), integer(high))
            return "(\(x) < \(l) ? \(l) : \(x) > \(h) ? \(h) : \(x))"
        case .element(let array, let index, let otherwise): return "(\(array) ? \(array)[\(index)] : \(integer(otherwise)))"
        case .widened(let name): return "(ptrdiff_t)\(name)"
        case .product(let a, let k): return "\(factor(a)) * \(k)"
        }
    }

    func open(_ s: KernelStatement) -> String {
        switch s {
        case .block(let index, let first, let last, _): return "{ /* \(blockComment(index, first, last)) */"
        case .loop(let j, let count, let step, _): return "for (int \(j) = 0; \(j) < \(count); \(step == 1 ? "++\(j)" : "\(j) += \(step)")) {"
        case .range(let k, let from, let to, _, let by): return "for (ptrdiff_t \(k) = \(from); \(k) < \(to); \(by == 1 ? "++\(k)" : "\(k) += \(by)")) {"
        case .when(let condition, _, _): return "if (\(condition)) {"
        case .whenPresent(let name, _): return "if (\(name)) {"
        default: preconditionFailure("not a scope")
        }
    }

    func keyword(_ local: LocalKind) -> String {
        switch local {
        case .integerConstant: return "const ptrdiff_t"
        case .integerVariable: return "ptrdiff_t"
        case .pointer: return "float *const"
        }
    }
    var terminator: String { ";" }
    func callee(_ name: String) -> String { "rg_" + name }
    var zero: String { "0.0f" }

    func line(_ s: KernelStatement, mutable: Set<String>) -> String {
        if let simple = simpleLine(s) { return simple }
        switch s {
        case .comment(let text): return "/* \(text) */"
        case .declare(let name, let e): return "\(mutable.contains(name) ? "" : "const ")\(valueType) \(name) = \(expression(e));"
        case .share(let name, let e): return "rg_vec \(name) = \(expression(e)); RG_SHARED(\(name));"
        case .clip(let name, let limit):
            return scalar ? "\(name) = rg_clip(\(name), \(Literal.cFloat(limit)));" : "rg_clip(&\(name), \(Literal.cFloat(limit)));"
        case .activate(let name, let a): return activation(a, name)
        case .store(let at, let e): return scalar ? "\(element(at)) = \(expression(e));" : "RG_STORE(\(pointer(at)), \(expression(e)));"
        case .storeLanes(let at, let name, let count):
            return "for (int k = 0; k < \(count); ++k) \(element(at.lane("k"))) = \(name)[k];"
        case .integers(let name, let count): return "ptrdiff_t \(name)[\(count)] = {0};"
        case .swap(let a, let b): return "{ const float swapped = \(element(a)); \(element(a)) = \(element(b)); \(element(b)) = swapped; }"
        default: preconditionFailure("handled by the walker or simpleLine")
        }
    }

    /// The activation applied in place to variable `v`: a vector by
    /// pointer, a scalar program's float by value.
    func activation(_ a: Activation, _ v: String) -> String {
        let (function, parameters) = activationCall(a)
        let arguments = ([scalar ? v : "&\(v)"] + parameters.map { Literal.cFloat(Float($0)) }).joined(separator: ", ")
        return scalar ? "\(v) = rg_\(function)(\(arguments));" : "rg_\(function)(\(arguments));"
    }

    func softmax(_ at: Address, count: Int) -> [String] {
        let y = base(at.base)
        let exp = scalar ? "\(y)[k] = rg_exp(\(y)[k] - top);" : "rg_vec e = RG_SPLAT(\(y)[k] - top); rg_exp(&e); \(y)[k] = e[0];"
        return [
            "/* softmax over the \(count) outputs */",
            "float top = \(y)[0], total = 0.0f;",
            "for (int k = 1; k < \(count); ++k) top = \(y)[k] > top ? \(y)[k] : top;",
            "for (int k = 0; k < \(count); ++k) { \(exp) total += \(y)[k]; }",
            "for (int k = 0; k < \(count); ++k) \(y)[k] /= total;",
        ]
    }
}

/// Swift: `SIMDn<Float>` as `V`, the helpers of Templates/swift/prelude.swift.tmpl.
struct SwiftPrinter: KernelPrinter {
    let plan: KernelPlan
    var name: String { plan.name }

    func parameter(_ p: KernelFunction.Parameter) -> String? {
        let type: String
        switch p.kind {
        case .weights, .input: type = "UnsafePointer<Float>"
        case .matrices(let t): type = "UnsafePointer<\(t.storage.swiftType)>"
        case .output: type = "UnsafeMutablePointer<Float>"
        case .integer, .count: type = "Int"
        case .state: return nil
        case .lengths: type = "UnsafePointer<Int32>?"
        case .optionalInput: type = "UnsafePointer<Float>?"
        case .optionalOutput: type = "UnsafeMutablePointer<Float>?"
        }
        let local = Literal.camelCase(p.name)
        return "\(p.label.map { $0 + " " } ?? "")\(local): \(type)"
    }

    func signature(_ f: KernelFunction) -> [String] {
        if f.role == .helper {
            let parameters = f.parameters.map { "_ " + parameter($0)! }
            return f.doc.map { "/// " + $0 } + wrapped("fileprivate func \(f.name)", parameters, " {")
        }
        var parameters = f.parameters.compactMap(parameter)
        if f.readsWeights && plan.options.weights == .runtime { parameters.insert("weights: UnsafePointer<Float>", at: 0) }
        switch f.role {
        case .setState: return wrapped("public init", ["flattened " + parameters[0]], " {")
        case .getState: return wrapped("public func flatten", ["into " + parameters[0]], " {")
        case .reset, .step: return wrapped("public mutating func \(f.name)", parameters, " {")
        case .head: return wrapped("public func head", parameters, " {")
        case .run, .helper: return wrapped("public static func run", parameters, " {")
        }
    }

    /// Tables up to this many values are an `InlineArray` literal, bound
    /// through its span; larger ones are decoded text (SwiftRenderer).
    var literalTable: Bool { plan.weights.count <= SwiftRenderer.literalTableLimit }
    var literalMatrices: Bool { plan.matrixCodes.count <= SwiftRenderer.literalTableLimit }

    /// Closures and bindings around an API body: the weight tables as `wt`
    /// (and `wm`), the state as floats (`state`), one `withScratch` for the
    /// scratch arrays.
    func frame(_ f: KernelFunction) -> (open: [String], close: [String], indent: String) {
        var open: [String] = [], close: [String] = []
        var indent = "    "
        func closure(_ line: String) {
            open.append(indent + line)
            close.insert(indent + "}", at: 0)
            indent += "    "
        }
        if f.readsWeights {
            if plan.options.weights == .runtime {
                open.append(indent + "let wt = weights")
            } else if literalTable {
                closure("\(name)Weights.span.withUnsafeBufferPointer { table in")
                open.append(indent + "let wt = table.baseAddress!")
            } else {
                open.append(indent + "let wt = \(name)WeightTable")
            }
            if plan.weightType != .f32 {
                if literalMatrices {
                    closure("\(name)Matrices.span.withUnsafeBufferPointer { matrices in")
                    open.append(indent + "let wm = matrices.baseAddress!")
                } else {
                    open.append(indent + "let wm = \(name)MatrixTable")
                }
            }
        }
        switch f.role {
        case .reset, .step: closure("state.withFloats { state in")
        case .setState:
            open.append(indent + "self.init()")
            closure("withFloats { state in")
        case .getState:
            open.append(indent + "var copy = self")
            closure("copy.withFloats { state in")
        case .head:
            open.append(indent + "var copy = state")
            closure("copy.withFloats { state in")
        case .run, .helper: break
        }
        if !f.scratch.isEmpty {
            let total = f.scratch.reduce(0) { $0 + $1.floats }
            if f.scratch.count == 1 {
                closure("withScratch(InlineArray<\(total), Float>.self) { \(base(f.scratch[0].name)) in")
            } else {
                closure("withScratch(InlineArray<\(total), Float>.self) { scratch in")
                var offset = 0
                var parts: [String] = []
                for s in f.scratch {
                    parts.append(offset == 0 ? "\(base(s.name)) = scratch" : "\(base(s.name)) = scratch + \(offset)")
                    offset += s.floats
                }
                open.append(indent + "let " + parts.joined(separator: ", "))
            }
        }
        return (open, close, indent)
    }

    /// Swift's camel case: `kept_h` → `keptH`, `final_state` → `finalState`.
    func base(_ name: String) -> String { Literal.camelCase(name) }
    /// Local vectors in Swift's camel case: `h_new` → `hNew`.
    func variable(_ name: String) -> String { Literal.camelCase(name) }

    func load(_ at: Address) -> String { "load(\(pointer(at)))" }
    func widen(_ at: Address, _ type: WeightType, part: Int) -> String {
        let storage = type.storage
        return storage.columnsPerWord == 1 ? "\(storage.swiftLoader!)(\(pointer(at)))" : "\(storage.swiftLoader!)(\(pointer(at)), \(part))"
    }
    func broadcast(_ at: Address) -> String { "V(repeating: \(element(at)))" }
    func constant(_ value: Float) -> String { "V(repeating: \(Literal.float(value)))" }
    func multiplyAdd(_ a: String, _ b: String, _ c: String) -> String { "multiplyAdd(\(a), \(b), \(c))" }

    func integer(_ e: IntegerExpression) -> String {
        switch e {
        case .text(let text): return text
        case .minimum(let a, let b): return "min(\(integer(a)), \(integer(b)))"
        case .maximum(let a, let b): return "max(\(integer(a)), \(integer(b)))"
        case .clamp(let v, let low, let high): return "min(max(\(integer(v)), \(integer(low))), \(integer(high)))"
        case .element(let array, let index, let otherwise): return "\(base(array)).map { Int($0[\(index)]) } ?? \(integer(otherwise))"
        case .widened(let name): return name
        case .product(let a, let k): return "\(factor(a)) * \(k)"
        }
    }

    func open(_ s: KernelStatement) -> String {
        switch s {
        case .block(let index, let first, let last, _): return "do { // \(blockComment(index, first, last))"
        case .loop(let j, let count, let step, _):
            return step == 1 ? "for \(j) in 0..<\(count) {" : "for \(j) in stride(from: 0, to: \(count), by: \(step)) {"
        case .range(let k, let from, let to, _, let by):
            return by == 1 ? "for \(k) in \(from)..<\(to) {" : "for \(k) in stride(from: \(from), to: \(to), by: \(by)) {"
        case .when(let condition, _, _): return "if \(condition) {"
        case .whenPresent(let name, _): return "if let \(base(name)) {"
        default: preconditionFailure("not a scope")
        }
    }

    func keyword(_ local: LocalKind) -> String {
        switch local {
        case .integerConstant, .pointer: return "let"
        case .integerVariable: return "var"
        }
    }
    var terminator: String { "" }
    func callee(_ name: String) -> String { name }
    var zero: String { "0" }

    func line(_ s: KernelStatement, mutable: Set<String>) -> String {
        if let simple = simpleLine(s) { return simple }
        switch s {
        case .comment(let text): return "// \(text)"
        case .declare(let name, let e): return "\(mutable.contains(name) ? "var" : "let") \(variable(name)) = \(expression(e))"
        case .share(let name, let e): return "let \(variable(name)) = \(expression(e))"
        case .clip(let name, let limit): return "\(variable(name)) = clip(\(variable(name)), \(Literal.float(limit)))"
        case .activate(let name, let a): return "\(variable(name)) = \(activation(a, variable(name)))"
        case .store(let at, let e): return "store(\(pointer(at)), \(expression(e)))"
        case .storeLanes(let at, let name, let count):
            return "for k in 0..<\(count) { \(element(at.lane("k"))) = \(variable(name))[k] }"
        case .integers(let name, let count): return "var \(name) = InlineArray<\(count), Int>(repeating: 0)"
        case .swap(let a, let b): return "(\(element(a)), \(element(b))) = (\(element(b)), \(element(a)))"
        default: preconditionFailure("handled by the walker or simpleLine")
        }
    }

    func activation(_ a: Activation, _ v: String) -> String {
        let (function, parameters) = activationCall(a)
        return "\(Literal.camelCase(function))(\(([v] + parameters.map { Literal.float(Float($0)) }).joined(separator: ", ")))"
    }

    func softmax(_ at: Address, count: Int) -> [String] {
        let y = base(at.base)
        return [
            "// softmax over the \(count) outputs",
            "var top = \(y)[0], total: Float = 0",
            "for k in 1..<\(max(count, 1)) where \(y)[k] > top { top = \(y)[k] }",
            "for k in 0..<\(count) { \(y)[k] = exp(V(repeating: \(y)[k] - top))[0]; total += \(y)[k] }",
            "for k in 0..<\(count) { \(y)[k] /= total }",
        ]
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
