/// Recognises the recurrent stack in an ONNX graph: one recurrent node
/// (ONNX's own tests) or a chain of them joined by shape plumbing (what
/// `torch.onnx.export` writes for `num_layers > 1` and bidirectional models).
public enum ONNXImport {
    public struct Recognized {
        /// The chained recurrent nodes, first to last, with their weights.
        public var nodes: [ONNXRecurrentNode]
        /// The nodes as one canonical model (a single stack).
        public var model: Model
    }

    /// - Parameter provided: graph inputs known ahead (weights given as graph inputs).
    public static func recognize(_ graph: ONNXGraph, name: String, provided: [String: Tensor] = [:]) throws -> Recognized {
        for node in graph.nodes where !(ONNXOps.supported.contains(node.opType) || ONNXRecurrentNode.cellKind(ofOp: node.opType) != nil) {
            throw RNNError(at: node.label, "rnngen cannot import op '\(Quote.text(node.opType, limit: 40))' (it imports LSTM, GRU, RNN and \(ONNXOps.supported.sorted().joined(separator: ", ")))")
        }
        let known = ONNXOps.foldConstants(graph, into: graph.initializers.merging(provided) { a, _ in a })
        var producers: [String: ONNXNode] = [:]
        for node in graph.nodes { for output in node.outputs { producers[output] = node } }

        /// Every node `name` depends on, transitively.
        func ancestors(_ name: String) -> Set<String> {
            var seen: Set<String> = []
            var stack = [name]
            while let next = stack.popLast() {
                guard let node = producers[next] else { continue }
                let key = node.outputs.joined(separator: ",")
                if seen.insert(key).inserted { stack += node.inputs.filter { !$0.isEmpty } }
            }
            return seen
        }

        var recurrent: [ONNXRecurrentNode] = []
        for node in graph.nodes where ONNXRecurrentNode.cellKind(ofOp: node.opType) != nil {
            func constant(_ i: Int, _ label: String) throws -> Tensor? {
                guard let input = node.input(i) else { return nil }
                guard let value = known[input] else {
                    throw RNNError(at: node.label, "weight input \(label) ('\(input)') is not a constant; give it as an initializer or with --input \(input)=FILE.npy")
                }
                return value
            }
            guard let W = try constant(1, "W"), let R = try constant(2, "R") else {
                throw RNNError(at: node.label, "inputs W and R are required")
            }
            let imported = try ONNXRecurrentNode(node: node, W: W, R: R, B: try constant(3, "B"),
                                                 P: node.opType == "LSTM" ? try constant(7, "P") : nil)
            if let previous = recurrent.last {
                let x = node.input(0) ?? ""
                let readsPrevious = ancestors(x).contains(previous.node.outputs.joined(separator: ",")) || previous.node.outputs.contains(x)
                guard readsPrevious else {
                    throw RNNError(at: node.label, "does not read the output of \(previous.node.label); rnngen imports a single chain of recurrent nodes")
                }
                guard imported.kind == previous.kind, imported.stack.direction == previous.stack.direction else {
                    throw RNNError(at: node.label, "is a \(imported.stack.direction.rawValue) \(node.opType) after a \(previous.stack.direction.rawValue) \(previous.node.opType); a stack has one cell kind and direction")
                }
            }
            recurrent.append(imported)
        }
        guard let first = recurrent.first else {
            throw RNNError("the graph has no LSTM, GRU or RNN node")
        }
        // torch.onnx.export with batch_first transposes the graph input to time-major.
        var layout: Layout = first.layout == 1 ? .batchMajor : .timeMajor
        if let x = first.node.input(0), let producer = producers[x], producer.opType == "Transpose",
           producer.ints("perm") == [1, 0, 2], graph.inputs.contains(where: { $0.name == producer.inputs.first }) {
            layout = .batchMajor
        }
        let stack = RecurrentStack(direction: first.stack.direction, layers: recurrent.flatMap(\.stack.layers))
        let model = Model(name: name, inputSize: first.stack.inputSize, layout: layout, zeroLengthState: .zero,
                          stages: [.recurrent(stack)])
        return Recognized(nodes: recurrent, model: model)
    }
}
