import RNNModel

/// The gradient of a loss with respect to one cell's weights, laid out as
/// the cell's `CellWeights` (canonical gate orders, row after row).
public struct CellWeightGradients: Equatable, Sendable {
    public var input: [Double]
    public var recurrent: [Double]
    public var inputBias: [Double]
    public var recurrentBias: [Double]
    public var peephole: [Double]?
    public var projection: [Double]?

    /// Zero gradients shaped like `cell`'s weights.
    public init(zeroFor cell: Cell) {
        let w = cell.weights
        input = Array(repeating: 0, count: w.input.count)
        recurrent = Array(repeating: 0, count: w.recurrent.count)
        inputBias = Array(repeating: 0, count: w.inputBias.count)
        recurrentBias = Array(repeating: 0, count: w.recurrentBias.count)
        peephole = w.peephole.map { Array(repeating: 0, count: $0.count) }
        projection = w.projection.map { Array(repeating: 0, count: $0.count) }
    }
}

/// One step's gradients with respect to what the step read.
struct CellInputGradients {
    var x: [Double]
    var h: [Double]
    var c: [Double]
}

extension CellMath {
    /// d clip(v) / dv: 1 inside the limits, 0 where the clip holds v.
    @inline(__always) func clipSlope(_ v: Double) -> Double {
        guard let limit = cell.options.clip else { return 1 }
        return abs(v) <= limit ? 1 : 0
    }

    /// The backward pass of `step(x:h:c:)`: given the loss's gradients with
    /// respect to the step's new h and new c (`dNewC` empty for RNN and
    /// GRU), adds the weights' gradients to `gradients` and returns the
    /// gradients with respect to x, h and c. It recomputes the step's
    /// intermediate values from x, h and c, the same expressions in the same
    /// order as `step`, so the two cannot drift apart unnoticed (the tests
    /// check one against finite differences of the other).
    func backward(x: [Double], h: [Double], c: [Double], dNewH: [Double], dNewC: [Double],
                  into gradients: inout CellWeightGradients) -> CellInputGradients {
        var dx = [Double](repeating: 0, count: I)
        var dh = [Double](repeating: 0, count: Hr)
        var dc = [Double](repeating: 0, count: c.count)

        /// A gate row's pre-activation gradient `da` reaches the row's input
        /// weights, its bias and x; and its recurrent weights, bias and the
        /// vector the row read (h, or a GRU candidate's reset-scaled h).
        func inputRow(_ row: Int, _ da: Double) {
            gradients.inputBias[row] += da
            let base = row * I
            for j in 0..<I {
                gradients.input[base + j] += da * x[j]
                dx[j] += W[base + j] * da
            }
        }
        func recurrentRow(_ row: Int, _ da: Double, reading hRead: [Double], into dRead: inout [Double]) {
            gradients.recurrentBias[row] += da
            let base = row * Hr
            for j in 0..<Hr {
                gradients.recurrent[base + j] += da * hRead[j]
                dRead[j] += R[base + j] * da
            }
        }
        func bothRows(_ row: Int, _ da: Double) {
            inputRow(row, da)
            recurrentRow(row, da, reading: h, into: &dh)
        }

        let acts = cell.options.activations
        switch cell.kind {
        case .rnn:
            let f = acts[0]
            for j in 0..<H {
                let a = inputDot(j, x) + recurrentDot(j, h)
                bothRows(j, dNewH[j] * f.derivative(clipped(a)) * clipSlope(a))
            }

        case .gru:
            let f = acts[0], g = acts[1]
            let lbr = cell.options.linearBeforeReset
            let aR = (0..<H).map { inputDot(H + $0, x) + recurrentDot(H + $0, h) }
            let r = aR.map { f(clipped($0)) }
            let rh = lbr ? h : (0..<H).map { r[$0] * h[$0] }
            var dr = [Double](repeating: 0, count: H)
            var drh = [Double](repeating: 0, count: H)
            for j in 0..<H {
                let aZ = inputDot(j, x) + recurrentDot(j, h)
                let z = f(clipped(aZ))
                let candidateRow = 2 * H + j
                let recurrentProduct = recurrentDot(candidateRow, lbr ? h : rh)
                let aN = inputDot(candidateRow, x) + (lbr ? r[j] * recurrentProduct : recurrentProduct)
                let n = g(clipped(aN))
                // out = (1 - z)·n + z·h
                let dOut = dNewH[j]
                dh[j] += dOut * z
                let daZ = dOut * (h[j] - n) * f.derivative(clipped(aZ)) * clipSlope(aZ)
                let daN = dOut * (1 - z) * g.derivative(clipped(aN)) * clipSlope(aN)
                bothRows(j, daZ)
                inputRow(candidateRow, daN)
                if lbr {
                    dr[j] += daN * recurrentProduct
                    recurrentRow(candidateRow, daN * r[j], reading: h, into: &dh)
                } else {
                    recurrentRow(candidateRow, daN, reading: rh, into: &drh)
                }
            }
            if !lbr {
                for k in 0..<H {
                    dr[k] += drh[k] * h[k]
                    dh[k] += drh[k] * r[k]
                }
            }
            for j in 0..<H { bothRows(H + j, dr[j] * f.derivative(clipped(aR[j])) * clipSlope(aR[j])) }

        case .lstm:
            let f = acts[0], g = acts[1], hAct = acts[2]
            // Through the projection first: h' = P·gated.
            var dGated = dNewH
            var gatedValues = [Double](repeating: 0, count: H)
            if projection != nil { dGated = [Double](repeating: 0, count: H) }
            var rows: [(row: Int, da: Double)] = []
            rows.reserveCapacity(4 * H)
            var forward: [(aI: Double, aO: Double, aF: Double, aG: Double, i: Double, o: Double, forget: Double, g: Double, cRaw: Double, cNew: Double)] = []
            forward.reserveCapacity(H)
            for j in 0..<H {
                let pi = P.map { $0[j] * c[j] } ?? 0
                let po = P.map { $0[H + j] } ?? 0
                let pf = P.map { $0[2 * H + j] * c[j] } ?? 0
                let aI = inputDot(j, x) + recurrentDot(j, h) + pi
                let i = f(clipped(aI))
                let aF = inputDot(2 * H + j, x) + recurrentDot(2 * H + j, h) + pf + cell.options.forgetBias
                let forget = cell.options.inputForget ? 1 - i : f(clipped(aF))
                let aG = inputDot(3 * H + j, x) + recurrentDot(3 * H + j, h)
                let candidate = g(clipped(aG))
                let cRaw = forget * c[j] + i * candidate
                var cNew = cRaw
                if let limit = cell.options.cellClip, !cNew.isNaN { cNew = min(max(cNew, -limit), limit) }
                let aO = inputDot(H + j, x) + recurrentDot(H + j, h) + po * cNew
                let o = f(clipped(aO))
                gatedValues[j] = o * hAct(cNew)
                forward.append((aI, aO, aF, aG, i, o, forget, candidate, cRaw, cNew))
            }
            if let projection {
                for row in 0..<Hr {
                    for j in 0..<H {
                        gradients.projection![row * H + j] += dNewH[row] * gatedValues[j]
                        dGated[j] += projection[row * H + j] * dNewH[row]
                    }
                }
            }
            for j in 0..<H {
                let v = forward[j]
                let daO = dGated[j] * hAct(v.cNew) * f.derivative(clipped(v.aO)) * clipSlope(v.aO)
                var dcNew = (dNewC.isEmpty ? 0 : dNewC[j]) + dGated[j] * v.o * hAct.derivative(v.cNew)
                if P != nil {
                    dcNew += daO * P![H + j]
                    gradients.peephole![H + j] += daO * v.cNew
                }
                var dcRaw = dcNew
                if let limit = cell.options.cellClip, abs(v.cRaw) > limit { dcRaw = 0 }
                dc[j] += dcRaw * v.forget
                var dI = dcRaw * v.g
                let dForget = dcRaw * c[j]
                let daG = dcRaw * v.i * g.derivative(clipped(v.aG)) * clipSlope(v.aG)
                var daF = 0.0
                if cell.options.inputForget {
                    dI -= dForget
                } else {
                    daF = dForget * f.derivative(clipped(v.aF)) * clipSlope(v.aF)
                }
                let daI = dI * f.derivative(clipped(v.aI)) * clipSlope(v.aI)
                if let peephole = P {
                    dc[j] += daI * peephole[j] + daF * peephole[2 * H + j]
                    gradients.peephole![j] += daI * c[j]
                    gradients.peephole![2 * H + j] += daF * c[j]
                }
                rows.append((j, daI))
                rows.append((H + j, daO))
                if !cell.options.inputForget { rows.append((2 * H + j, daF)) }
                rows.append((3 * H + j, daG))
            }
            for (row, da) in rows { bothRows(row, da) }
        }
        return CellInputGradients(x: dx, h: dh, c: dc)
    }
}
