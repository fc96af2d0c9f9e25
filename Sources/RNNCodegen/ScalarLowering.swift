/// The scalar lowering of a kernel program, for cores without float SIMD
/// (Cortex-M4/M7/M3, RISC-V F). Compilers lower C's vector types on such
/// cores one lane at a time through the stack; here every vector variable of
/// a block becomes one scalar variable per lane (`i` → `i_0 … i_3`), every
/// vector statement one statement per lane, so the block's accumulators live
/// in float registers and each weight is one load and one multiply-add.
/// The weights stay packed as for vectors of `lanes` floats: lane k of a
/// block's vector is the float k after the vector's address. Lanes past a
/// block's last hidden unit (padding) are left out where the block is
/// unrolled; a loop over blocks computes them, as vector code does.
enum ScalarLowering {
    static func program(_ program: KernelProgram, lanes: Int) -> KernelProgram {
        KernelProgram(functions: program.functions.map { f in
            var copy = f
            copy.body = statements(f.body, lanes: lanes)
            return copy
        })
    }

    static func lane(_ name: String, _ k: Int) -> String { "\(name)_\(k)" }

    static func statements(_ body: [KernelStatement], lanes: Int) -> [KernelStatement] {
        body.flatMap { statement($0, lanes: lanes) }
    }

    static func statement(_ s: KernelStatement, lanes: Int) -> [KernelStatement] {
        let all = 0..<lanes
        switch s {
        case .declare(let name, let e), .share(let name, let e):
            return all.map { .declare(lane(name, $0), expression(e, $0)) }
        case .assign(let name, let e):
            return all.map { .assign(lane(name, $0), expression(e, $0)) }
        case .clip(let name, let limit):
            return all.map { .clip(lane(name, $0), limit) }
        case .activate(let name, let a):
            return all.map { .activate(lane(name, $0), a) }
        case .prelu(let name, let slopes):
            return all.map { .prelu(lane(name, $0), expression(slopes, $0)) }
        case .store(let at, let e):
            return all.map { .store(at.plus($0), expression(e, $0)) }
        case .storeLanes(let at, let name, let count):
            return (0..<min(count, lanes)).map { .store(at.plus($0), .variable(lane(name, $0))) }
        case .block(let index, let first, let last, let body):
            return [.block(index: index, firstUnit: first, lastUnit: last, statements(body, lanes: min(lanes, last - first + 1)))]
        case .loop, .range, .when, .whenPresent:
            return [s.mappingBodies { statements($0, lanes: lanes) }]
        case .comment, .integer, .variableInteger, .integers, .setInteger, .pointer, .copyFloat, .addFloat, .blend, .swap, .call, .softmax, .unused, .callStep:
            return [s]
        }
    }

    /// Lane `k` of a vector expression.
    static func expression(_ e: VectorExpression, _ k: Int) -> VectorExpression {
        switch e {
        case .variable(let name): return .variable(lane(name, k))
        case .load(let at): return .load(at.plus(k))
        case .widen(let at, let type, let part): return .widen(at.plus(k), type, part: part)
        case .broadcast, .constant: return e
        case .add(let a, let b): return .add(expression(a, k), expression(b, k))
        case .subtract(let a, let b): return .subtract(expression(a, k), expression(b, k))
        case .multiply(let a, let b): return .multiply(expression(a, k), expression(b, k))
        case .multiplyAdd(let a, let b, let c): return .multiplyAdd(expression(a, k), expression(b, k), expression(c, k))
        }
    }
}
