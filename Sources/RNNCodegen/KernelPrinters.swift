import RNNModel

/// Spells a `KernelProgram` in one language. The walk over statements is
/// shared; a printer says only how each statement and expression is written.
protocol KernelPrinter {
    var vectorWidth: Int { get }
    func signature(_ f: KernelFunction) -> [String]
    /// Lines wrapping the body in the function's scratch, their closing lines, and the body's indentation.
    func scratch(_ f: KernelFunction) -> (open: [String], close: [String], indent: String)
    func line(_ s: KernelStatement, mutable: Set<String>) -> String
    func open(_ s: KernelStatement) -> String
    func softmax(_ at: Address, count: Int) -> [String]

    func variable(_ name: String) -> String
    func load(_ at: Address) -> String
    func widen(_ at: Address, _ type: WeightType, part: Int) -> String
    func broadcast(_ at: Address) -> String
    func constant(_ value: Float) -> String
    func multiplyAdd(_ a: String, _ b: String, _ c: String) -> String
}

extension KernelPrinter {
    func print(_ f: KernelFunction) -> String {
        var mutable: Set<String> = []
        for s in f.body { s.mutated(into: &mutable) }
        let (open, close, indent) = scratch(f)
        var lines = signature(f) + open
        for s in f.body { lines += statement(s, indent: indent, mutable: mutable) }
        lines += close
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    func statement(_ s: KernelStatement, indent: String, mutable: Set<String>) -> [String] {
        switch s {
        case .block(_, _, _, let body), .loop(_, _, _, let body), .range(_, _, _, let body), .when(_, let body):
            // A scope of its own: what it declares is changed, if at all, inside it,
            // and says nothing of same-named variables of other scopes.
            var inner: Set<String> = []
            for s in body { s.mutated(into: &inner) }
            return [indent + open(s)] + body.flatMap { statement($0, indent: indent + "    ", mutable: inner) } + [indent + "}"]
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

    func blockComment(_ index: Int, _ first: Int, _ last: Int) -> String {
        "block \(index): unit\(first == last ? " \(first)" : "s \(first)…\(last)")"
    }
}

/// C99 with GCC/Clang vector extensions: `rg_vec`, the `RG_` macros and the
/// `rg_` activations of Templates/c/activations.c.tmpl. A scalar program
/// (`ScalarLowering`) is spelled with floats, array elements and the
/// by-value functions of Templates/c/activations_scalar.c.tmpl.
struct CPrinter: KernelPrinter {
    let vectorWidth: Int
    var scalar = false
    /// The type of a program variable.
    var valueType: String { scalar ? "float" : "rg_vec" }

    func signature(_ f: KernelFunction) -> [String] {
        let parameters = f.parameters.map { p -> String in
            switch p.kind {
            case .weights: return "const float *restrict \(p.name)"
            case .matrices(let type): return "const \(CPrinter.storageType(type)) *restrict \(p.name)"
            case .input(let restrict): return "const float *\(restrict ? "restrict " : "")\(p.name)"
            case .output(let restrict): return "float *\(restrict ? "restrict " : "")\(p.name)"
            case .integer: return "ptrdiff_t \(p.name)"
            }
        }
        return comment(f.doc) + ["static void rg_\(f.name)(\(parameters.joined(separator: ", ")))", "{"]
    }

    func comment(_ lines: [String]) -> [String] {
        lines.enumerated().map { k, text in (k == 0 ? "/* " : " * ") + text + (k == lines.count - 1 ? " */" : "") }
    }

    func scratch(_ f: KernelFunction) -> (open: [String], close: [String], indent: String) {
        (f.scratch.map { "    float \($0.name)[\($0.floats)] __attribute__((aligned(\(vectorWidth * 4))));" }, [], "    ")
    }

    func variable(_ name: String) -> String { name }
    func load(_ at: Address) -> String { scalar ? at.elementText : "RG_LOAD(\(at.pointerText))" }
    func widen(_ at: Address, _ type: WeightType, part: Int) -> String {
        KernelPlan.columnsPerWord(type) == 1 ? "RG_LOAD_\(type.rawValue.uppercased())(\(at.pointerText))"
            : "RG_LOAD_\(type.rawValue.uppercased())(\(at.pointerText), \(part))"
    }

    /// The C type of one stored weight.
    static func storageType(_ type: WeightType) -> String {
        switch type {
        case .f32: return "float"
        case .f16: return "uint16_t"
        case .bf16: return "uint32_t"
        case .i8: return "int8_t"
        }
    }
    func broadcast(_ at: Address) -> String { scalar ? at.elementText : "RG_SPLAT(\(at.elementText))" }
    func constant(_ value: Float) -> String { scalar ? Literal.cFloat(value) : "RG_SPLAT(\(Literal.cFloat(value)))" }
    func multiplyAdd(_ a: String, _ b: String, _ c: String) -> String { "RG_FMA(\(a), \(b), \(c))" }

    func open(_ s: KernelStatement) -> String {
        switch s {
        case .block(let index, let first, let last, _): return "{ /* \(blockComment(index, first, last)) */"
        case .loop(let j, let count, let step, _): return "for (int \(j) = 0; \(j) < \(count); \(step == 1 ? "++\(j)" : "\(j) += \(step)")) {"
        case .range(let k, let from, let to, _): return "for (ptrdiff_t \(k) = \(from); \(k) < \(to); ++\(k)) {"
        case .when(let condition, _): return "if (\(condition)) {"
        default: preconditionFailure("not a scope")
        }
    }

    func line(_ s: KernelStatement, mutable: Set<String>) -> String {
        switch s {
        case .comment(let text): return "/* \(text) */"
        case .declare(let name, let e): return "\(mutable.contains(name) ? "" : "const ")\(valueType) \(name) = \(expression(e));"
        case .share(let name, let e): return "rg_vec \(name) = \(expression(e)); RG_SHARED(\(name));"
        case .assign(let name, let e): return "\(name) = \(expression(e));"
        case .clip(let name, let limit):
            return scalar ? "\(name) = rg_clip(\(name), \(Literal.cFloat(limit)));" : "rg_clip(&\(name), \(Literal.cFloat(limit)));"
        case .activate(let name, let a): return activation(a, name)
        case .store(let at, let e): return scalar ? "\(at.elementText) = \(expression(e));" : "RG_STORE(\(at.pointerText), \(expression(e)));"
        case .storeLanes(let at, let name, let count):
            return "for (int k = 0; k < \(count); ++k) \(at.lane("k").elementText) = \(name)[k];"
        case .integer(let name, let value): return "const ptrdiff_t \(name) = \(value);"
        case .copyFloat(let to, let from): return "\(to.elementText) = \(from?.elementText ?? "0.0f");"
        case .call(let name, let args): return "rg_\(name)(\(args.joined(separator: ", ")));"
        case .block, .loop, .range, .when, .softmax: preconditionFailure("handled by the walker")
        }
    }

    /// The activation applied in place to variable `v`: a vector by
    /// pointer, a scalar program's float by value.
    func activation(_ a: Activation, _ v: String) -> String {
        func f(_ x: Double) -> String { Literal.cFloat(Float(x)) }
        let (function, parameters): (String, [Double])
        switch a.kind {
        case .sigmoid: (function, parameters) = ("sigmoid", [])
        case .tanh: (function, parameters) = ("tanh", [])
        case .relu: (function, parameters) = ("relu", [])
        case .affine: (function, parameters) = ("affine", [a.alpha, a.beta])
        case .leakyRelu: (function, parameters) = ("leaky_relu", [a.alpha])
        case .thresholdedRelu: (function, parameters) = ("thresholded_relu", [a.alpha])
        case .scaledTanh: (function, parameters) = ("scaled_tanh", [a.alpha, a.beta])
        case .hardSigmoid: (function, parameters) = ("hard_sigmoid", [a.alpha, a.beta])
        case .elu: (function, parameters) = ("elu", [a.alpha])
        case .softsign: (function, parameters) = ("softsign", [])
        case .softplus: (function, parameters) = ("softplus", [])
        }
        let arguments = ([scalar ? v : "&\(v)"] + parameters.map(f)).joined(separator: ", ")
        return scalar ? "\(v) = rg_\(function)(\(arguments));" : "rg_\(function)(\(arguments));"
    }

    func softmax(_ at: Address, count: Int) -> [String] {
        let y = at.base
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

/// Swift: `SIMDn<Float>` as `V`, the helpers of Templates/swift/activations.swift.tmpl.
struct SwiftPrinter: KernelPrinter {
    let vectorWidth: Int

    func signature(_ f: KernelFunction) -> [String] {
        let parameters = f.parameters.map { p -> String in
            switch p.kind {
            case .weights, .input: return "_ \(p.name): UnsafePointer<Float>"
            case .matrices(let type): return "_ \(p.name): UnsafePointer<\(SwiftPrinter.storageType(type))>"
            case .output: return "_ \(p.name): UnsafeMutablePointer<Float>"
            case .integer: return "_ \(p.name): Int"
            }
        }
        return f.doc.map { "/// " + $0 } + ["fileprivate func \(f.name)(\(parameters.joined(separator: ", "))) {"]
    }

    /// One `withScratch` (stack memory from an InlineArray) holding every scratch array.
    func scratch(_ f: KernelFunction) -> (open: [String], close: [String], indent: String) {
        guard !f.scratch.isEmpty else { return ([], [], "    ") }
        let total = f.scratch.reduce(0) { $0 + $1.floats }
        if f.scratch.count == 1 {
            return (["    withScratch(InlineArray<\(total), Float>.self) { \(f.scratch[0].name) in"], ["    }"], "        ")
        }
        var offset = 0
        var parts: [String] = []
        for s in f.scratch {
            parts.append(offset == 0 ? "\(s.name) = scratch" : "\(s.name) = scratch + \(offset)")
            offset += s.floats
        }
        return (["    withScratch(InlineArray<\(total), Float>.self) { scratch in", "        let " + parts.joined(separator: ", ")], ["    }"], "        ")
    }

    /// Local vectors in Swift's camel case: `h_new` → `hNew`.
    func variable(_ name: String) -> String { Literal.camelCase(name) }

    func load(_ at: Address) -> String { "load(\(at.pointerText))" }
    func widen(_ at: Address, _ type: WeightType, part: Int) -> String {
        let name = "load\(type == .i8 ? "I8" : type == .f16 ? "F16" : "BF16")"
        return KernelPlan.columnsPerWord(type) == 1 ? "\(name)(\(at.pointerText))" : "\(name)(\(at.pointerText), \(part))"
    }

    /// The Swift type of one stored weight.
    static func storageType(_ type: WeightType) -> String {
        switch type {
        case .f32: return "Float"
        case .f16: return "UInt16"
        case .bf16: return "UInt32"
        case .i8: return "Int8"
        }
    }
    func broadcast(_ at: Address) -> String { "V(repeating: \(at.elementText))" }
    func constant(_ value: Float) -> String { "V(repeating: \(Literal.float(value)))" }
    func multiplyAdd(_ a: String, _ b: String, _ c: String) -> String { "multiplyAdd(\(a), \(b), \(c))" }

    func open(_ s: KernelStatement) -> String {
        switch s {
        case .block(let index, let first, let last, _): return "do { // \(blockComment(index, first, last))"
        case .loop(let j, let count, let step, _):
            return step == 1 ? "for \(j) in 0..<\(count) {" : "for \(j) in stride(from: 0, to: \(count), by: \(step)) {"
        case .range(let k, let from, let to, _): return "for \(k) in \(from)..<\(to) {"
        case .when(let condition, _): return "if \(condition) {"
        default: preconditionFailure("not a scope")
        }
    }

    func line(_ s: KernelStatement, mutable: Set<String>) -> String {
        switch s {
        case .comment(let text): return "// \(text)"
        case .declare(let name, let e): return "\(mutable.contains(name) ? "var" : "let") \(variable(name)) = \(expression(e))"
        case .share(let name, let e): return "let \(variable(name)) = \(expression(e))"
        case .assign(let name, let e): return "\(variable(name)) = \(expression(e))"
        case .clip(let name, let limit): return "\(variable(name)) = clip(\(variable(name)), \(Literal.float(limit)))"
        case .activate(let name, let a): return "\(variable(name)) = \(activation(a, variable(name)))"
        case .store(let at, let e): return "store(\(at.pointerText), \(expression(e)))"
        case .storeLanes(let at, let name, let count):
            return "for k in 0..<\(count) { \(at.lane("k").elementText) = \(variable(name))[k] }"
        case .integer(let name, let value): return "let \(name) = \(value)"
        case .copyFloat(let to, let from): return "\(to.elementText) = \(from?.elementText ?? "0")"
        case .call(let name, let args): return "\(name)(\(args.joined(separator: ", ")))"
        case .block, .loop, .range, .when, .softmax: preconditionFailure("handled by the walker")
        }
    }

    func activation(_ a: Activation, _ v: String) -> String {
        func f(_ x: Double) -> String { Literal.float(Float(x)) }
        switch a.kind {
        case .sigmoid: return "sigmoid(\(v))"
        case .tanh: return "tanh(\(v))"
        case .relu: return "relu(\(v))"
        case .affine: return "affine(\(v), \(f(a.alpha)), \(f(a.beta)))"
        case .leakyRelu: return "leakyRelu(\(v), \(f(a.alpha)))"
        case .thresholdedRelu: return "thresholdedRelu(\(v), \(f(a.alpha)))"
        case .scaledTanh: return "scaledTanh(\(v), \(f(a.alpha)), \(f(a.beta)))"
        case .hardSigmoid: return "hardSigmoid(\(v), \(f(a.alpha)), \(f(a.beta)))"
        case .elu: return "elu(\(v), \(f(a.alpha)))"
        case .softsign: return "softsign(\(v))"
        case .softplus: return "softplus(\(v))"
        }
    }

    func softmax(_ at: Address, count: Int) -> [String] {
        let y = at.base
        return [
            "// softmax over the \(count) outputs",
            "var top = \(y)[0], total: Float = 0",
            "for k in 1..<\(max(count, 1)) where \(y)[k] > top { top = \(y)[k] }",
            "for k in 0..<\(count) { \(y)[k] = exp(V(repeating: \(y)[k] - top))[0]; total += \(y)[k] }",
            "for k in 0..<\(count) { \(y)[k] /= total }",
        ]
    }
}
