import RNNModel

/// Everything code generation knows of one cell kind (and GRU variant), in
/// one table: its state vectors, how its gates are packed, which of them the
/// first pass over h reads, and the scratch arrays its step keeps. The
/// planner and the lowering read this table; the math of a kind's step is
/// `KernelLowering.cellStep`. Adding a kind adds a case to `CellKind`, a row
/// here, its step and its reference math (see docs/kernels.md, "Adding a
/// cell kind").
struct CellTraits {
    /// Gates in packed order, one vector each per block (`i o f g` for an LSTM).
    let gates: [String]
    /// Gates read from h in the first pass: all, except a GRU that resets
    /// before the matmul, whose candidate reads r⊙h in a second pass.
    let recurrentGates: Int
    /// Whether the cell keeps a cell state c beside h.
    let hasCellState: Bool
    /// Scratch arrays of one step, each Hp floats per item: `next` (the new
    /// h while blocks still read the old one) and the kind's own.
    let scratch: [String]

    /// The state vectors a step updates in place: `h`, and `c` where the cell keeps one.
    var stateVectors: [String] { hasCellState ? ["h", "c"] : ["h"] }

    init(_ cell: Cell) {
        hasCellState = cell.hasCellState
        switch cell.kind {
        case .rnn:
            (gates, recurrentGates, scratch) = (["a"], 1, ["next"])
        case .lstm:
            // ONNX's i, o, f, c with the candidate called g.
            (gates, recurrentGates, scratch) = (["i", "o", "f", "g"], 4, ["next"])
        case .gru where cell.options.linearBeforeReset:
            (gates, recurrentGates, scratch) = (["z", "r", "n"], 3, ["next"])
        case .gru:
            // r⊙h, z and the candidate's input part wait in scratch for the second pass.
            (gates, recurrentGates, scratch) = (["z", "r", "n"], 2, ["next", "rh", "zs", "partial"])
        }
    }
}
