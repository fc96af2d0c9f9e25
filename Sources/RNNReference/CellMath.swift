import RNNModel

/// One time step of one cell, written straight from the ONNX operator spec
/// (canonical gate orders LSTM `i o f c`, GRU `z r h`), in Double.
struct CellMath {
    let cell: Cell
    let W: [Double], R: [Double], Wb: [Double], Rb: [Double]
    let P: [Double]?, projection: [Double]?
    let I: Int, H: Int, Hr: Int

    init(_ cell: Cell) {
        self.cell = cell
        W = cell.weights.input.values
        R = cell.weights.recurrent.values
        Wb = cell.weights.inputBias.values
        Rb = cell.weights.recurrentBias.values
        P = cell.weights.peephole?.values
        projection = cell.weights.projection?.values
        I = cell.inputSize
        H = cell.hiddenSize
        Hr = cell.outputSize
    }

    /// `W[row] · x + Wb[row]`.
    @inline(__always) func inputDot(_ row: Int, _ x: [Double]) -> Double {
        var sum = Wb[row]
        let base = row * I
        for j in 0..<I { sum += W[base + j] * x[j] }
        return sum
    }

    /// `R[row] · h + Rb[row]`.
    @inline(__always) func recurrentDot(_ row: Int, _ h: [Double]) -> Double {
        var sum = Rb[row]
        let base = row * Hr
        for j in 0..<Hr { sum += R[base + j] * h[j] }
        return sum
    }

    @inline(__always) func clipped(_ v: Double) -> Double {
        guard let limit = cell.options.clip, !v.isNaN else { return v }
        return min(max(v, -limit), limit)
    }

    /// Returns the new `h` (projected if the cell projects) and the new `c`
    /// (empty for RNN and GRU).
    func step(x: [Double], h: [Double], c: [Double]) -> (h: [Double], c: [Double]) {
        let acts = cell.options.activations
        switch cell.kind {
        case .rnn:
            let f = acts[0]
            return ((0..<H).map { f(clipped(inputDot($0, x) + recurrentDot($0, h))) }, [])

        case .gru:
            let f = acts[0], g = acts[1]
            var out = [Double](repeating: 0, count: H)
            let r = (0..<H).map { f(clipped(inputDot(H + $0, x) + recurrentDot(H + $0, h))) }
            var rh = [Double](repeating: 0, count: H)
            if !cell.options.linearBeforeReset {
                for j in 0..<H { rh[j] = r[j] * h[j] }
            }
            for j in 0..<H {
                let z = f(clipped(inputDot(j, x) + recurrentDot(j, h)))
                let candidateRow = 2 * H + j
                let recurrentPart = cell.options.linearBeforeReset
                    ? r[j] * recurrentDot(candidateRow, h)
                    : recurrentDot(candidateRow, rh)
                let candidate = g(clipped(inputDot(candidateRow, x) + recurrentPart))
                out[j] = (1 - z) * candidate + z * h[j]
            }
            return (out, [])

        case .lstm:
            let f = acts[0], g = acts[1], hAct = acts[2]
            var newC = [Double](repeating: 0, count: H)
            var gated = [Double](repeating: 0, count: H)
            for j in 0..<H {
                let pi = P.map { $0[j] * c[j] } ?? 0
                let po = P.map { $0[H + j] } ?? 0
                let pf = P.map { $0[2 * H + j] * c[j] } ?? 0
                let i = f(clipped(inputDot(j, x) + recurrentDot(j, h) + pi))
                let forget = cell.options.inputForget
                    ? 1 - i
                    : f(clipped(inputDot(2 * H + j, x) + recurrentDot(2 * H + j, h) + pf + cell.options.forgetBias))
                let candidate = g(clipped(inputDot(3 * H + j, x) + recurrentDot(3 * H + j, h)))
                var cj = forget * c[j] + i * candidate
                if let limit = cell.options.cellClip, !cj.isNaN { cj = min(max(cj, -limit), limit) }
                newC[j] = cj
                let o = f(clipped(inputDot(H + j, x) + recurrentDot(H + j, h) + po * cj))
                gated[j] = o * hAct(cj)
            }
            guard let projection else { return (gated, newC) }
            let newH = (0..<Hr).map { row -> Double in
                var sum = 0.0
                for j in 0..<H { sum += projection[row * H + j] * gated[j] }
                return sum
            }
            return (newH, newC)
        }
    }
}
