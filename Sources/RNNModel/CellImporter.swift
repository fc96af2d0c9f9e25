/// The named tensors of one cell as a description gives them, with the JSON
/// path each came from so errors can point at it.
public struct NamedTensors {
    public var tensors: [String: Tensor]
    /// Where the tensors were given (JSON path of the weights object).
    public var location: String

    public init(_ tensors: [String: Tensor], location: String) {
        self.tensors = tensors
        self.location = location
    }

    func error(_ name: String, _ message: String) -> RNNError {
        RNNError(at: "\(location).\(name)", message)
    }

    func required(_ name: String) throws -> Tensor {
        guard let t = tensors[name] else {
            throw RNNError(at: location, "missing weight '\(name)' (given: \(tensors.keys.sorted().joined(separator: ", ")))")
        }
        return t
    }

    func checkNames(_ allowed: [String], framework: Framework, kind: CellKind) throws {
        let given = Set(tensors.keys)
        for name in tensors.keys.sorted() where !allowed.contains(name) {
            // Names that are another framework's say which framework the weights are from.
            let others = Framework.allCases.filter { $0 != framework && given.isSubset(of: CellImporter.weightNames($0, kind)) }
            let hint = others.isEmpty ? "" : "; these are \(others.map(\.displayName).joined(separator: " or ")) names: set \"framework\": \"\(others[0].rawValue)\""
            throw error(Quote.text(name), "unknown weight for a \(framework.displayName) \(kind.rawValue) cell (expected: \(allowed.joined(separator: ", ")))\(hint)")
        }
    }

    /// Checks a tensor against the shape the framework stores it in. `formula`
    /// spells each dimension (`4·H`, `I`); a mismatch names the layout, the
    /// sizes, and a likely cause.
    func check(_ name: String, _ tensor: Tensor, _ formula: [String], _ shape: [Int], _ sizes: ShapeSizes) throws {
        guard tensor.shape == shape else {
            let layout = "[" + formula.joined(separator: ", ") + "]"
            var message = "\(sizes.framework.displayName) stores \(name) as \(layout) = \(Tensor.describe(shape)) (\(sizes.legend)); found \(tensor.shapeDescription)"
            if let hint = sizes.hint(found: tensor.shape, expected: shape, formula: formula) { message += " — " + hint }
            throw error(name, message)
        }
        guard tensor.elementType.isFloatingPoint else {
            throw error(name, "expected floating-point values, found \(tensor.elementType.rawValue)")
        }
    }
}

/// The sizes a cell's tensor shapes are made of, to explain a mismatch.
struct ShapeSizes {
    var framework: Framework
    var kind: CellKind
    var inputSize: Int
    var hiddenSize: Int

    var legend: String { "\(kind.rawValue) with G = \(kind.gateCount) gate\(kind.gateCount == 1 ? "" : "s"), H = \(hiddenSize), I = \(inputSize)" }

    func hint(found: [Int], expected: [Int], formula: [String]) -> String? {
        if found.count == 2, expected.count == 2, found == expected.reversed() {
            switch framework {
            case .onnx, .pytorch:
                return "the transpose: is this a Keras or TF kernel ([in, out])? Then set \"framework\": \"keras\" (or \"tf1\")"
            case .keras, .tf1:
                return "the transpose: is this a PyTorch or ONNX weight ([out, in])? Then set \"framework\": \"pytorch\" (or \"onnx\")"
            }
        }
        guard found.count == expected.count else {
            return "rank \(found.count) where \(expected.count) was expected"
        }
        for (axis, part) in formula.enumerated() where found[axis] != expected[axis] {
            let H = hiddenSize, G = kind.gateCount, n = found[axis]
            if part.hasSuffix("\(G)·H") && n % H == 0 {
                let gates = n / H / (part.hasPrefix("2·") ? 2 : 1)
                if let other = CellKind.allCases.first(where: { $0.gateCount == gates && $0 != kind }) {
                    return "that is \(gates)·H: the weights of \(other == .lstm ? "an" : "a") \(other.rawValue) cell? This stack's cell is \(kind.rawValue)"
                }
            }
            if part.hasSuffix("\(G)·H") && n % G == 0 {
                return "that is \(G)·\(n / G): is the hidden size \(n / G), not \(H) (hidden_sizes)?"
            }
            if part == "H" { return "is the hidden size \(n), not \(H) (hidden_sizes)?" }
            if part == "I" || part.hasPrefix("I ") {
                return "this layer reads \(inputSize) features (input_size, or the previous stage's output); the tensor has \(n)"
            }
        }
        return nil
    }
}

extension Framework {
    /// The framework's name as its users write it.
    public var displayName: String {
        switch self {
        case .onnx: return "ONNX"
        case .pytorch: return "PyTorch"
        case .keras: return "Keras"
        case .tf1: return "TF1"
        }
    }
}

/// Converts one framework's tensors for one cell into canonical weights,
/// checking every shape. Gate orders and bias conventions live here.
public enum CellImporter {
    /// Names each framework uses for one cell's tensors.
    public static func weightNames(_ framework: Framework, _ kind: CellKind) -> [String] {
        switch framework {
        case .onnx: return ["W", "R", "B", "P", "projection"]
        case .pytorch: return ["weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"]
        case .keras: return ["kernel", "recurrent_kernel", "bias"]
        case .tf1:
            switch kind {
            case .gru: return ["gates_kernel", "gates_bias", "candidate_kernel", "candidate_bias"]
            default: return ["kernel", "bias", "w_i_diag", "w_f_diag", "w_o_diag", "projection"]
            }
        }
    }

    public static func cell(_ framework: Framework, kind: CellKind, inputSize I: Int, hiddenSize H: Int,
                            options: CellOptions, tensors: NamedTensors) throws -> Cell {
        try tensors.checkNames(weightNames(framework, kind), framework: framework, kind: kind)
        let G = kind.gateCount
        let sizes = ShapeSizes(framework: framework, kind: kind, inputSize: I, hiddenSize: H)
        func check(_ name: String, _ tensor: Tensor, _ formula: [String], _ shape: [Int]) throws {
            try tensors.check(name, tensor, formula, shape, sizes)
        }
        let gh = "\(G)·H"
        let order = GateOrder.canonical(framework, kind)
        func gates(_ t: Tensor) -> Tensor { GateOrder.permute(t, blocks: order) }
        var weights: CellWeights

        switch framework {
        case .onnx, .pytorch:
            let (wName, rName) = framework == .onnx ? ("W", "R") : ("weight_ih", "weight_hh")
            let projectionName = framework == .onnx ? "projection" : "weight_hr"
            let projection = tensors.tensors[projectionName]
            let Hr = projection?.shape.first ?? H
            if let projection { try check(projectionName, projection, ["P", "H"], [Hr, H]) }
            let W = try tensors.required(wName), R = try tensors.required(rName)
            try check(wName, W, [gh, "I"], [G * H, I])
            try check(rName, R, [gh, projection == nil ? "H" : "P"], [G * H, Hr])
            var inputBias = Tensor(zeros: [G * H]), recurrentBias = Tensor(zeros: [G * H])
            if framework == .onnx, let B = tensors.tensors["B"] {
                try check("B", B, ["2·\(gh)"], [2 * G * H])
                inputBias = Tensor(shape: [G * H], values: Array(B.values[0..<(G * H)]))
                recurrentBias = Tensor(shape: [G * H], values: Array(B.values[(G * H)...]))
            }
            if framework == .pytorch {
                if let b = tensors.tensors["bias_ih"] { try check("bias_ih", b, [gh], [G * H]); inputBias = b }
                if let b = tensors.tensors["bias_hh"] { try check("bias_hh", b, [gh], [G * H]); recurrentBias = b }
            }
            var peephole: Tensor?
            if let P = tensors.tensors["P"] {
                guard kind == .lstm else { throw tensors.error("P", "peepholes are only for LSTM cells") }
                try check("P", P, ["3·H"], [3 * H])
                peephole = P
            }
            weights = CellWeights(input: gates(W), recurrent: gates(R), inputBias: gates(inputBias),
                                  recurrentBias: gates(recurrentBias), peephole: peephole, projection: projection)

        case .keras:
            let kernel = try tensors.required("kernel"), recurrentKernel = try tensors.required("recurrent_kernel")
            try check("kernel", kernel, ["I", gh], [I, G * H])
            try check("recurrent_kernel", recurrentKernel, ["H", gh], [H, G * H])
            var inputBias = Tensor(zeros: [G * H]), recurrentBias = Tensor(zeros: [G * H])
            if let bias = tensors.tensors["bias"] {
                if kind == .gru && options.linearBeforeReset {
                    // reset_after=True keeps separate input and recurrent biases.
                    try check("bias", bias, ["2", gh], [2, G * H])
                    inputBias = bias.rows(0..<1).reshaped([G * H])
                    recurrentBias = bias.rows(1..<2).reshaped([G * H])
                } else {
                    try check("bias", bias, [gh], [G * H])
                    inputBias = bias
                }
            }
            weights = CellWeights(input: gates(kernel.transposed()), recurrent: gates(recurrentKernel.transposed()),
                                  inputBias: gates(inputBias), recurrentBias: gates(recurrentBias))

        case .tf1:
            if kind == .gru {
                // GRUCell: gates kernel over concat([x, h]) split r, u; the
                // candidate kernel reads concat([x, r⊙h]) — reset before the matmul.
                let gatesKernel = try tensors.required("gates_kernel"), candidateKernel = try tensors.required("candidate_kernel")
                try check("gates_kernel", gatesKernel, ["I + H", "2·H"], [I + H, 2 * H])
                try check("candidate_kernel", candidateKernel, ["I + H", "H"], [I + H, H])
                let gatesBias = tensors.tensors["gates_bias"] ?? Tensor(zeros: [2 * H])
                let candidateBias = tensors.tensors["candidate_bias"] ?? Tensor(zeros: [H])
                try check("gates_bias", gatesBias, ["2·H"], [2 * H])
                try check("candidate_bias", candidateBias, ["H"], [H])
                let g = gatesKernel.transposed(), c = candidateKernel.transposed()  // [2H, I+H], [H, I+H]
                func split(_ m: Tensor, _ rows: Range<Int>, _ cols: Range<Int>) -> Tensor {
                    let n = m.shape[1]
                    var out: [Double] = []
                    for r in rows { out += m.values[(r * n + cols.lowerBound)..<(r * n + cols.upperBound)] }
                    return Tensor(shape: [rows.count, cols.count], values: out)
                }
                let r = 0..<H, u = H..<(2 * H), x = 0..<I, h = I..<(I + H)
                let W = Tensor.stacked([split(g, u, x), split(g, r, x), split(c, 0..<H, x)], shape: [3 * H, I])
                let R = Tensor.stacked([split(g, u, h), split(g, r, h), split(c, 0..<H, h)], shape: [3 * H, H])
                let bias = Tensor(shape: [3 * H], values: Array(gatesBias.values[H...]) + Array(gatesBias.values[..<H]) + candidateBias.values)
                weights = CellWeights(input: W, recurrent: R, inputBias: bias, recurrentBias: Tensor(zeros: [3 * H]))
            } else {
                let projection = tensors.tensors["projection"]  // TF1 num_proj: [H, P]
                let Hr = projection?.shape.last ?? H
                if let projection { try check("projection", projection, ["H", "P"], [H, Hr]) }
                let kernel = try tensors.required("kernel")
                try check("kernel", kernel, [projection == nil ? "I + H" : "I + P", gh], [I + Hr, G * H])
                let bias = tensors.tensors["bias"] ?? Tensor(zeros: [G * H])
                try check("bias", bias, [gh], [G * H])
                let k = kernel.transposed()  // [G·H, I+Hr]
                var wValues: [Double] = [], rValues: [Double] = []
                for row in 0..<(G * H) {
                    wValues += k.values[(row * (I + Hr))..<(row * (I + Hr) + I)]
                    rValues += k.values[(row * (I + Hr) + I)..<((row + 1) * (I + Hr))]
                }
                var peephole: Tensor?
                let diagonals = ["w_i_diag", "w_o_diag", "w_f_diag"].map { tensors.tensors[$0] }
                if diagonals.contains(where: { $0 != nil }) {
                    guard kind == .lstm else { throw tensors.error("w_i_diag", "peepholes are only for LSTM cells") }
                    for (name, d) in zip(["w_i_diag", "w_o_diag", "w_f_diag"], diagonals) {
                        guard let d else { throw RNNError(at: tensors.location, "missing weight '\(name)' (peepholes need all three diagonals)") }
                        try check(name, d, ["H"], [H])
                    }
                    peephole = Tensor(shape: [3 * H], values: diagonals.flatMap { $0!.values })
                }
                weights = CellWeights(input: gates(Tensor(shape: [G * H, I], values: wValues)),
                                      recurrent: gates(Tensor(shape: [G * H, Hr], values: rValues)),
                                      inputBias: gates(bias), recurrentBias: Tensor(zeros: [G * H]),
                                      peephole: peephole, projection: projection?.transposed())
            }
        }
        if weights.projection != nil && kind != .lstm {
            throw RNNError(at: tensors.location, "a projection is only for LSTM cells")
        }
        return Cell(kind: kind, inputSize: I, hiddenSize: H, options: options, weights: weights)
    }

    /// The size of `h` these tensors imply (the projection size if there is one).
    public static func outputSize(_ framework: Framework, hiddenSize H: Int, tensors: NamedTensors) -> Int {
        switch framework {
        case .onnx: return tensors.tensors["projection"]?.shape.first ?? H
        case .pytorch: return tensors.tensors["weight_hr"]?.shape.first ?? H
        case .tf1: return tensors.tensors["projection"]?.shape.last ?? H
        case .keras: return H
        }
    }
}
