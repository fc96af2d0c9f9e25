import RNNModel

/// Executes an ONNX graph node by node: the recurrent nodes through the
/// reference interpreter, and the shape plumbing `torch.onnx.export` writes
/// around them (Shape, Gather, Unsqueeze, Concat, Expand, Squeeze, Transpose,
/// Reshape, Slice, Constant, Identity, Cast) with plain tensor code.
public struct ONNXGraphRunner {
    public let graph: ONNXGraph
    /// Runs each recurrent node (as a one-layer model).
    public let executor: ModelExecutor

    public static let supportedOps: Set<String> = ONNXOps.supported.union(["LSTM", "GRU", "RNN"])

    public init(graph: ONNXGraph, executor: ModelExecutor = InterpreterExecutor()) throws {
        self.graph = graph
        self.executor = executor
        for node in graph.nodes where !ONNXGraphRunner.supportedOps.contains(node.opType) || !(node.domain.isEmpty || node.domain == "ai.onnx") {
            throw RNNError(at: node.label, "rnngen cannot import op '\(node.domain.isEmpty ? "" : node.domain + ".")\(node.opType)' (it imports \(ONNXGraphRunner.supportedOps.sorted().joined(separator: ", ")))")
        }
    }

    /// Runs the graph. `inputs` holds every required graph input (including
    /// weights given as graph inputs); returns every graph output by name.
    public func run(inputs: [String: Tensor]) throws -> [String: Tensor] {
        var values = graph.initializers
        for info in graph.requiredInputs {
            guard let tensor = inputs[info.name] else {
                throw RNNError(at: "input '\(info.name)'", "the graph needs this input; give it with --input \(info.name)=FILE.npy")
            }
            if let shape = info.shape {
                let fits = shape.count == tensor.rank && zip(shape, tensor.shape).allSatisfy { $0 == nil || $0 == $1 }
                if !fits {
                    let declared = "[" + shape.map { $0.map(String.init) ?? "?" }.joined(separator: ", ") + "]"
                    throw RNNError(at: "input '\(info.name)'", "expected shape \(declared), found \(tensor.shapeDescription)")
                }
            }
            values[info.name] = tensor
        }
        for name in inputs.keys where !graph.inputs.contains(where: { $0.name == name }) {
            throw RNNError(at: "input '\(name)'", "the graph has no such input (it has: \(graph.requiredInputs.map(\.name).joined(separator: ", ")))")
        }
        var budget = ONNXOps.ElementBudget(values.values)
        for node in graph.nodes {
            let results = try evaluate(node, values, budget: &budget)
            for (name, tensor) in zip(node.outputs, results) where !name.isEmpty {
                values[name] = tensor
            }
        }
        var outputs: [String: Tensor] = [:]
        for info in graph.outputs {
            guard let tensor = values[info.name] else {
                throw RNNError(at: "output '\(info.name)'", "no node produces this graph output")
            }
            outputs[info.name] = tensor
        }
        return outputs
    }

    func evaluate(_ node: ONNXNode, _ values: [String: Tensor], budget: inout ONNXOps.ElementBudget) throws -> [Tensor] {
        guard ONNXRecurrentNode.cellKind(ofOp: node.opType) != nil else {
            return try ONNXOps.evaluate(node, values, budget: &budget)
        }
        func input(_ i: Int) throws -> Tensor { try ONNXOps.input(node, i, values) }
        func optional(_ i: Int) throws -> Tensor? { node.input(i) == nil ? nil : try input(i) }
        return try runRecurrent(node, input: input, optional: optional)
    }

    func runRecurrent(_ node: ONNXNode, input: (Int) throws -> Tensor, optional: (Int) throws -> Tensor?) throws -> [Tensor] {
        func fail(_ message: String) -> RNNError { RNNError(at: node.label, message) }
        let x = try input(0)
        let onnx = try ONNXRecurrentNode(node: node, W: try input(1), R: try input(2), B: try optional(3),
                                         P: node.opType == "LSTM" ? try optional(7) : nil)
        let stack = onnx.stack
        let D = stack.directionCount, H = onnx.hiddenSize
        let batchMajor = onnx.layout == 1
        guard x.rank == 3, x.shape[2] == stack.inputSize else {
            throw fail("input X: expected shape [\(batchMajor ? "batch, seq" : "seq, batch"), \(stack.inputSize)], found \(x.shapeDescription)")
        }
        let (T, B) = batchMajor ? (x.shape[1], x.shape[0]) : (x.shape[0], x.shape[1])
        let lengths = try optional(4).map { t -> [Int] in
            guard t.shape == [B] else { throw fail("input sequence_lens: expected shape [\(B)], found \(t.shapeDescription)") }
            guard !t.elementType.isFloatingPoint else { throw fail("input sequence_lens: expected integers (int32), found \(t.elementType.rawValue)") }
            return try t.integers("sequence_lens")
        }
        var states: [StateName: Tensor] = [:]
        for (slot, isCell) in [(5, false), (6, true)] where !(isCell && onnx.kind != .lstm) {
            guard let given = try optional(slot) else { continue }
            let label = isCell ? "initial_c" : "initial_h"
            let expected = batchMajor ? [B, D, H] : [D, B, H]
            guard given.shape == expected else { throw fail("input \(label): expected shape \(Tensor.describe(expected)), found \(given.shapeDescription)") }
            let perDirection = (batchMajor ? given.transposed([1, 0, 2]) : given).unstacked()
            for d in 0..<D {
                states[StateName(stack: 0, layer: 0, reverse: stack.isReverse(direction: d), isCell: isCell)] = perDirection[d]
            }
        }
        let model = Model(name: node.name, inputSize: stack.inputSize, layout: batchMajor ? .batchMajor : .timeMajor,
                          zeroLengthState: .zero, stages: [.recurrent(stack)])
        let result = try executor.run(model, ModelInputs(x: x, sequenceLengths: lengths, initialStates: states))

        // The interpreter concatenates directions per step; ONNX keeps a direction axis.
        let y = batchMajor
            ? result.y.reshaped([B, T, D, H])
            : result.y.reshaped([T, B, D, H]).transposed([0, 2, 1, 3])
        func finals(_ isCell: Bool) -> Tensor {
            let parts = (0..<D).map { result.finalStates[StateName(stack: 0, layer: 0, reverse: stack.isReverse(direction: $0), isCell: isCell)]! }
            let stacked = Tensor.stacked(parts, shape: [D, B, H])
            return batchMajor ? stacked.transposed([1, 0, 2]) : stacked
        }
        var outputs = [y, finals(false)]
        if onnx.kind == .lstm { outputs.append(finals(true)) }
        return outputs
    }
}
