import RNNModel

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
        if f.takesWeights && plan.options.weights == .runtime { parameters.insert("const float *weights", at: 0) }
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
    func floatLiteral(_ value: Float) -> String { Literal.cFloat(value) }

    func line(_ s: KernelStatement, mutable: Set<String>) -> String {
        if let simple = simpleLine(s) { return simple }
        switch s {
        case .comment(let text): return "/* \(text) */"
        case .declare(let name, let e): return "\(mutable.contains(name) ? "" : "const ")\(valueType) \(name) = \(expression(e));"
        case .share(let name, let e): return "rg_vec \(name) = \(expression(e)); RG_SHARED(\(name));"
        case .clip(let name, let limit):
            return scalar ? "\(name) = rg_clip(\(name), \(Literal.cFloat(limit)));" : "rg_clip(&\(name), \(Literal.cFloat(limit)));"
        case .activate(let name, let a): return activation(a, name)
        case .prelu(let name, let slopes):
            return scalar ? "\(name) = rg_prelu(\(name), \(expression(slopes)));" : "rg_prelu(&\(name), \(expression(slopes)));"
        case .store(let at, let e): return scalar ? "\(element(at)) = \(expression(e));" : "RG_STORE(\(pointer(at)), \(expression(e)));"
        case .storeLanes(let at, let name, let count):
            return "for (int k = 0; k < \(count); ++k) \(element(at.lane("k"))) = \(name)[k];"
        case .integers(let name, let count): return "ptrdiff_t \(name)[\(count)] = {0};"
        case .unused(let name): return "(void)\(name);"
        case .callStep(let x, let y): return "\(name)_step(\(plan.options.weights == .runtime ? "weights, " : "")state, \(pointer(x)), \(pointer(y)));"
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
