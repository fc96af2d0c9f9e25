/// How a cell step is written for several batch items at once (`run`'s
/// tiles): every per-item statement repeated once per item, its vector
/// variables renamed (`i` → `i_2`) and its arrays shifted to that item's
/// copy (`h + 2·stride`). Only the matrix products are written differently
/// (`KernelLowering.accumulateTile`): there each weight vector is loaded
/// once and feeds one multiply-add per item.
struct ItemCopies {
    /// Items in the tile; 1 leaves every statement as it is.
    let count: Int
    /// Floats between two items' copies of each per-item array, by base name.
    /// Bases not listed (the weight tables) are shared by every item.
    let strides: [String: Int]

    static let single = ItemCopies(count: 1, strides: [:])

    /// The statements once per item, item after item.
    func each(_ statements: [KernelStatement]) -> [KernelStatement] {
        guard count > 1 else { return statements }
        return (0..<count).flatMap { item in statements.map { $0.copy(forItem: item, strides) } }
    }

    /// Vector variable `name` of item `item`.
    static func name(_ name: String, item: Int) -> String { "\(name)_\(item)" }
}

extension Address {
    func copy(forItem item: Int, _ strides: [String: Int]) -> Address {
        guard let stride = strides[base] else { return self }
        var copy = self
        copy.offset += item * stride
        return copy
    }
}

extension VectorExpression {
    func copy(forItem item: Int, _ strides: [String: Int]) -> VectorExpression {
        func c(_ e: VectorExpression) -> VectorExpression { e.copy(forItem: item, strides) }
        switch self {
        case .variable(let name): return .variable(ItemCopies.name(name, item: item))
        case .load(let at): return .load(at.copy(forItem: item, strides))
        case .widen(let at, let type, let part): return .widen(at.copy(forItem: item, strides), type, part: part)
        case .broadcast(let at): return .broadcast(at.copy(forItem: item, strides))
        case .constant: return self
        case .add(let a, let b): return .add(c(a), c(b))
        case .subtract(let a, let b): return .subtract(c(a), c(b))
        case .multiply(let a, let b): return .multiply(c(a), c(b))
        case .multiplyAdd(let a, let b, let d): return .multiplyAdd(c(a), c(b), c(d))
        }
    }
}

extension KernelStatement {
    func copy(forItem item: Int, _ strides: [String: Int]) -> KernelStatement {
        func name(_ n: String) -> String { ItemCopies.name(n, item: item) }
        func at(_ a: Address) -> Address { a.copy(forItem: item, strides) }
        func e(_ x: VectorExpression) -> VectorExpression { x.copy(forItem: item, strides) }
        func body(_ list: [KernelStatement]) -> [KernelStatement] { list.map { $0.copy(forItem: item, strides) } }
        switch self {
        case .comment: return self
        case .declare(let n, let x): return .declare(name(n), e(x))
        case .share(let n, let x): return .share(name(n), e(x))
        case .assign(let n, let x): return .assign(name(n), e(x))
        case .clip(let n, let limit): return .clip(name(n), limit)
        case .activate(let n, let a): return .activate(name(n), a)
        case .prelu(let n, let slopes): return .prelu(name(n), e(slopes))
        case .store(let a, let x): return .store(at(a), e(x))
        case .storeLanes(let a, let n, let count): return .storeLanes(at(a), name(n), count: count)
        case .block, .loop, .range, .when, .whenPresent: return mappingBodies(body)
        case .integer, .variableInteger, .integers, .setInteger, .call, .unused, .callStep: return self
        case .pointer(let n, let a): return .pointer(n, at(a))
        case .copyFloat(let to, let from): return .copyFloat(to: at(to), from: from.map(at))
        case .addFloat(let to, let from): return .addFloat(to: at(to), from: at(from))
        case .blend(let to, let newer, let older, let fraction): return .blend(to: at(to), newer: at(newer), older: at(older), fraction: fraction)
        case .swap(let a, let b): return .swap(at(a), at(b))
        case .softmax(let a, let count): return .softmax(at(a), count: count)
        }
    }
}
