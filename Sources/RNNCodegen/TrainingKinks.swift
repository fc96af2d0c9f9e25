import RNNModel

extension TrainingPlan {
    /// How close the window came to a kink: the smallest distance, over every
    /// activation input the kernel kept in `workspace` after `gradients` (and
    /// the window's inputs `x` where a stage reads them), between the input
    /// and a point where its function's derivative jumps — relu's 0, a
    /// thresholded relu's alpha, a hard sigmoid's ends, elu's 0 (alpha ≠ 1), a
    /// clip's limits — each distance divided by max(1, |input|). Where it is
    /// below the float32 rounding of the input, the kernel and a float64
    /// reference may take different sides of the kink, and their derivatives
    /// differ by a whole jump: such a window has no gradient to compare.
    public func closestKink(workspace w: [Double], x: [Double]) -> Double {
        var closest = Double.infinity
        func check(_ v: Double, _ kinks: [Double]) {
            for k in kinks { closest = min(closest, abs(v - k) / max(1, abs(v))) }
        }
        func kinks(_ f: Activation) -> [Double] {
            switch f.kind {
            case .relu, .leakyRelu: return [0]
            case .thresholdedRelu: return [f.alpha]
            case .hardSigmoid: return f.alpha == 0 ? [] : [-f.beta / f.alpha, (1 - f.beta) / f.alpha]
            case .elu: return f.alpha == 1 ? [] : [0]
            default: return []
            }
        }
        /// An activation input: its clip's limits on the raw value, the function's kinks on the clipped one.
        func input(_ raw: Double, _ f: Activation, clip: Double?) {
            var v = raw
            if let limit = clip {
                check(raw, [-limit, limit])
                v = min(max(raw, -limit), limit)
            }
            check(v, kinks(f))
        }
        let K = steps, B = batchTile
        for stage in stages {
            switch stage.kind {
            case .layer(let l):
                let H = l.H, GH = l.gates * H, o = l.cell.options, acts = o.activations
                for t in 0..<K {
                    for b in 0..<B {
                        for r in 0..<GH {
                            let raw = w[l.z + (t * B + b) * GH + r], gate = r / H
                            switch l.cell.kind {
                            case .rnn: input(raw, acts[0], clip: o.clip)
                            case .gru: input(raw, gate < 2 ? acts[0] : acts[1], clip: o.clip)
                            case .lstm:
                                if gate == 2 {
                                    if !o.inputForget { input(raw + o.forgetBias, acts[0], clip: o.clip) }
                                } else {
                                    input(raw, gate == 3 ? acts[1] : acts[0], clip: o.clip)
                                }
                            }
                        }
                        if let c = l.c {
                            for j in 0..<H { input(w[c + ((t + 1) * B + b) * H + j], acts[2], clip: nil) }
                        }
                    }
                }
            case .dense(let d):
                guard let f = d.activation, let pre = d.pre else { continue }
                for k in 0..<(K * B * d.outputs) { input(w[pre + k], f, clip: nil) }
            case .activation(let f):
                let source = stage.input.base == "x" ? x : w
                for t in 0..<K {
                    for b in 0..<B {
                        for j in 0..<stage.input.width {
                            input(source[stage.input.offset + t * stage.input.stepStride + b * stage.input.itemStride + j], f, clip: nil)
                        }
                    }
                }
            case .residual:
                continue
            }
        }
        return closest
    }
}
