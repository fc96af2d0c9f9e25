/// The frameworks whose native weight layouts rnngen imports.
public enum Framework: String, CaseIterable, Sendable {
    case onnx, pytorch, keras, tf1
}

/// The gate order each framework stores gate blocks in, and how to reach the
/// canonical (ONNX) order: canonical block `k` is source block `order[k]`.
public enum GateOrder {
    /// Canonical LSTM `i, o, f, c` from PyTorch `i, f, g, o` and Keras `i, f, c, o`.
    public static let lstmFromIFGO = [0, 3, 1, 2]
    /// Canonical LSTM `i, o, f, c` from TF1 `i, j, f, o` (j is the candidate).
    public static let lstmFromIJFO = [0, 3, 2, 1]
    /// Canonical GRU `z, r, h` from PyTorch `r, z, n`.
    public static let gruFromRZN = [1, 0, 2]

    public static func canonical(_ framework: Framework, _ kind: CellKind) -> [Int] {
        switch (framework, kind) {
        case (_, .rnn), (.onnx, _): return Array(0..<kind.gateCount)
        case (.pytorch, .lstm), (.keras, .lstm): return lstmFromIFGO
        case (.tf1, .lstm): return lstmFromIJFO
        case (.pytorch, .gru): return gruFromRZN
        case (.keras, .gru), (.tf1, .gru): return [0, 1, 2]
        }
    }

    /// Reorders the gate blocks along axis 0 of `tensor` (`[G·H, …]` or `[G·H]`).
    public static func permute(_ tensor: Tensor, blocks order: [Int]) -> Tensor {
        let blockRows = tensor.shape[0] / order.count
        let parts = order.map { tensor.rows(($0 * blockRows)..<(($0 + 1) * blockRows)) }
        return Tensor.stacked(parts, shape: tensor.shape)
    }
}
