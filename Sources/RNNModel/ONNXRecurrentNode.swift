/// Maps one ONNX LSTM / GRU / RNN node and its weight tensors onto a
/// single-layer canonical stack. ONNX's layout is the canonical one, so no
/// gate is permuted here; what this pins down is the attribute semantics.
public struct ONNXRecurrentNode {
    public var node: ONNXNode
    public var kind: CellKind
    public var stack: RecurrentStack
    /// ONNX `layout`: 0 = `[T, B, ·]`, 1 = `[B, T, ·]`.
    public var layout: Int
    public var hiddenSize: Int

    public static func cellKind(ofOp op: String) -> CellKind? {
        switch op {
        case "LSTM": return .lstm
        case "GRU": return .gru
        case "RNN": return .rnn
        default: return nil
        }
    }

    /// - Parameters: `W`, `R`, `B`, `P` as the node's inputs 1, 2, 3 and 7.
    public init(node: ONNXNode, W: Tensor, R: Tensor, B: Tensor?, P: Tensor?) throws {
        guard let kind = ONNXRecurrentNode.cellKind(ofOp: node.opType) else {
            throw RNNError(at: node.label, "not a recurrent node")
        }
        func fail(_ message: String) -> RNNError { RNNError(at: node.label, message) }
        self.node = node
        self.kind = kind
        let G = kind.gateCount
        let directionName = node.string("direction") ?? "forward"
        guard let direction = Direction(rawValue: directionName) else {
            throw fail("attribute direction is '\(Quote.text(directionName))', expected forward, reverse or bidirectional")
        }
        let D = direction == .bidirectional ? 2 : 1
        layout = Int(node.int("layout") ?? 0)
        guard layout == 0 || layout == 1 else { throw fail("attribute layout is \(layout), expected 0 or 1") }
        guard W.rank == 3, W.shape[0] == D, W.shape[1] % G == 0 else {
            throw fail("input W: expected shape [\(D), \(G)·hidden_size, input_size], found \(W.shapeDescription)")
        }
        let declared = node.int("hidden_size") ?? Int64(W.shape[1] / G)
        guard declared > 0, declared <= Int64(W.shape[1]) else {
            throw fail("attribute hidden_size is \(declared), but W has \(W.shape[1]) rows (\(G) gates × hidden_size)")
        }
        let H = Int(declared)
        hiddenSize = H
        let I = W.shape[2]
        guard W.shape == [D, G * H, I] else {
            throw fail("input W: expected shape \(Tensor.describe([D, G * H, I])), found \(W.shapeDescription)")
        }
        guard R.shape == [D, G * H, H] else {
            throw fail("input R: expected shape \(Tensor.describe([D, G * H, H])), found \(R.shapeDescription)")
        }
        if let B, B.shape != [D, 2 * G * H] {
            throw fail("input B: expected shape \(Tensor.describe([D, 2 * G * H])), found \(B.shapeDescription)")
        }
        if let P {
            guard kind == .lstm else { throw fail("input P (peepholes) is only for LSTM") }
            guard P.shape == [D, 3 * H] else {
                throw fail("input P: expected shape \(Tensor.describe([D, 3 * H])), found \(P.shapeDescription)")
            }
        }

        // Activations: `activations` lists the cell's functions per direction;
        // alpha and beta are consumed in order by the functions that take them.
        let perDirection = kind.activationCount
        var activations: [Activation] = []
        if let names = node.strings("activations") {
            guard names.count == perDirection * D else {
                throw fail("attribute activations has \(names.count) entries, expected \(perDirection * D) (\(perDirection) per direction)")
            }
            var alphas = node.floats("activation_alpha") ?? []
            var betas = node.floats("activation_beta") ?? []
            for name in names {
                guard let activationKind = ActivationKind(name: name) else {
                    throw fail("unknown activation '\(Quote.text(name))' (expected one of \(ActivationKind.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                let alpha = activationKind.defaultAlpha != nil && !alphas.isEmpty ? alphas.removeFirst() : nil
                let beta = activationKind.defaultBeta != nil && !betas.isEmpty ? betas.removeFirst() : nil
                activations.append(Activation(activationKind, alpha: alpha, beta: beta))
            }
        } else {
            for _ in 0..<D { activations += kind.defaultActivations }
        }

        let inputForget = (node.int("input_forget") ?? 0) != 0
        if inputForget && kind != .lstm { throw fail("attribute input_forget is only for LSTM") }
        let linearBeforeReset = (node.int("linear_before_reset") ?? 0) != 0
        let clip = node.float("clip")
        if let clip, !(clip > 0) { throw fail("attribute clip is \(clip), expected a positive number") }

        var cells: [Cell] = []
        for d in 0..<D {
            let bias = B?.unstacked()[d]
            let weights = CellWeights(
                input: W.unstacked()[d],
                recurrent: R.unstacked()[d],
                inputBias: bias.map { Tensor(shape: [G * H], values: Array($0.values[0..<(G * H)])) } ?? Tensor(zeros: [G * H]),
                recurrentBias: bias.map { Tensor(shape: [G * H], values: Array($0.values[(G * H)...])) } ?? Tensor(zeros: [G * H]),
                peephole: P?.unstacked()[d])
            let options = CellOptions(
                activations: Array(activations[(d * perDirection)..<((d + 1) * perDirection)]),
                clip: clip, inputForget: inputForget, linearBeforeReset: linearBeforeReset)
            cells.append(Cell(kind: kind, inputSize: I, hiddenSize: H, options: options, weights: weights))
        }
        stack = RecurrentStack(direction: direction, layers: [RecurrentLayer(cells: cells)])
    }
}
