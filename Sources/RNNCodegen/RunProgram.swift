/// How a whole-sequence `run` moves one batch item through the pipeline:
/// a list of operations on four sequence buffers (`[steps][maxWidth]` each,
/// in the caller's workspace). Computed once from the plan so the C and
/// Swift renderers emit the same schedule.
public enum RunOp: Equatable {
    /// Copy the item's input sequence into buffer `to`.
    case loadInput(to: Int)
    /// Dense layer `dense` (index into plan.denses) at every step.
    case dense(Int, from: Int, to: Int)
    /// Cell `cell` (index into plan.cells) over the item's valid steps,
    /// writing its h at column `offset` of buffer `to`, zeros past the length.
    case cell(Int, from: Int, to: Int, offset: Int)
    /// Reverse the item's valid rows of columns `offset..<offset+width` (Keras go_backwards).
    case reverseRows(buffer: Int, offset: Int, width: Int)
    /// Copy buffer `from` to the item's output sequence.
    case storeOutput(from: Int)
}

extension RunOp {
    public func uses(buffer index: Int) -> Bool {
        switch self {
        case .loadInput(let to): return to == index
        case .dense(_, let from, let to), .cell(_, let from, let to, _): return from == index || to == index
        case .reverseRows(let buffer, _, _): return buffer == index
        case .storeOutput(let from): return from == index
        }
    }
}

extension KernelPlan {
    public static let sequenceBuffers = 4

    /// Floats of `run`'s workspace per time step of the sequences: the
    /// sequence buffers of one tile of items.
    public var workspaceFloatsPerStep: Int { KernelPlan.sequenceBuffers * batchTile * maxWidth }

    public var runProgram: [RunOp] {
        var ops: [RunOp] = [.loadInput(to: 0)]
        var current = 0

        func free(excluding used: [Int]) -> Int {
            (0..<KernelPlan.sequenceBuffers).first { !used.contains($0) }!
        }

        /// Layers of cells (each layer's cells write side by side) from `input` into `output` at `offset`.
        func chain(_ layers: [[Int]], input: Int, output: Int, offset: Int) {
            var source = input
            for (k, layer) in layers.enumerated() {
                let last = k == layers.count - 1
                let destination = last ? output : free(excluding: [input, output, source])
                var column = last ? offset : 0
                for cell in layer {
                    ops.append(.cell(cell, from: source, to: destination, offset: column))
                    column += cells[cell].Hr
                }
                source = destination
            }
        }

        func stack(_ s: StackPlan, input: Int, output: Int, offset: Int) {
            if s.stack.direction == .bidirectional && s.stack.bidirectionalForm == .separateStacks {
                chain(s.cells.map { [$0[0]] }, input: input, output: output, offset: offset)
                chain(s.cells.map { [$0[1]] }, input: input, output: output, offset: offset + cells[s.cells.last![0]].Hr)
            } else {
                chain(s.cells, input: input, output: output, offset: offset)
            }
            if s.stack.outputInProcessingOrder {
                ops.append(.reverseRows(buffer: output, offset: offset, width: s.outputSize))
            }
        }

        for stage in stages {
            switch stage {
            case .dense(let d):
                let out = free(excluding: [current])
                ops.append(.dense(denses.firstIndex { $0.id == d.id }!, from: current, to: out))
                current = out
            case .recurrent(let s):
                let out = free(excluding: [current])
                stack(s, input: current, output: out, offset: 0)
                current = out
            case .parallel(let list):
                let out = free(excluding: [current])
                var offset = 0
                for s in list {
                    stack(s, input: current, output: out, offset: offset)
                    offset += s.outputSize
                }
                current = out
            case .head:
                break
            }
        }
        ops.append(.storeOutput(from: current))
        return ops
    }
}
