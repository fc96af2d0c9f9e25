import RNNModel

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
        if f.takesWeights && plan.options.weights == .runtime { parameters.insert("weights: UnsafePointer<Float>", at: 0) }
        switch f.role {
        case .setState: return wrapped("public init", ["flattened " + parameters[0]], " {")
        case .getState: return wrapped("public func flatten", ["into " + parameters[0]], " {")
        case .reset, .step, .process: return wrapped("public mutating func \(f.name)", parameters, " {")
        case .head: return wrapped("public func head", parameters, " {")
        case .run, .helper: return wrapped("public static func run", parameters, " {")
        }
    }

    /// Tables up to this many values are an `InlineArray` literal, bound
    /// through its span; larger ones are decoded text (SwiftRenderer).
    var literalTable: Bool { SwiftRenderer(plan: plan).literalTable }
    var literalMatrices: Bool { SwiftRenderer(plan: plan).literalMatrices }

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
        case .process: break  // it calls step, which binds the state itself
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
    func floatLiteral(_ value: Float) -> String { Literal.float(value) }

    func line(_ s: KernelStatement, mutable: Set<String>) -> String {
        if let simple = simpleLine(s) { return simple }
        switch s {
        case .comment(let text): return "// \(text)"
        case .declare(let name, let e): return "\(mutable.contains(name) ? "var" : "let") \(variable(name)) = \(expression(e))"
        case .share(let name, let e): return "let \(variable(name)) = \(expression(e))"
        case .clip(let name, let limit): return "\(variable(name)) = clip(\(variable(name)), \(Literal.float(limit)))"
        case .activate(let name, let a): return "\(variable(name)) = \(activation(a, variable(name)))"
        case .unused(let name): return "_ = \(base(name))"
        case .callStep(let x, let y): return "step(\(plan.options.weights == .runtime ? "weights: weights, " : "")x: \(pointer(x)), y: \(pointer(y)))"
        case .prelu(let name, let slopes): return "\(variable(name)) = prelu(\(variable(name)), \(expression(slopes)))"
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
