import Foundation
import RNNModel

/// Picks a model's integer quantization from the user's data: runs the float
/// model on calibration sequences, records the range of every layer's input,
/// hidden state and cell state, and sets (docs/kernels.md, "Quantizing"):
/// - activations (the model input and each layer's h): asymmetric int8 over
///   the observed range widened to contain 0, scale = (max − min) / 255;
/// - the cell state: the smallest power of two 2^e with 32768 · 2^e ≥ the
///   largest |c| seen (at least 2^-15: a cell holding only small values keeps
///   TFLite Micro's usual scale, never a finer one than its Q0.15 gates);
/// - weights: symmetric int8 per row, scale = max |w| of the row / 127.
/// Every scale is rounded to float32, the type the arithmetic reads.
public enum Quantizer {
    public struct Ranges: Equatable {
        public var input: ClosedRange<Double>
        public var hidden: ClosedRange<Double>
        public var cellMagnitude: Double
    }

    public static func quantize(_ model: Model, calibration: [Tensor]) throws -> (model: Model, ranges: [Ranges]) {
        try model.validate()
        guard !calibration.isEmpty else { throw RNNError(at: "--calibrate", "give at least one calibration input") }
        for (s, stage) in model.stages.enumerated() {
            guard case .recurrent(let stack) = stage, stack.direction != .bidirectional else {
                throw RNNError(at: "model \(Quote.text(model.name)): stage \(s)",
                               "integer kernels take stacks of one-direction LSTM, GRU or RNN layers so far; this stage is \(describe(stage))")
            }
        }
        var ranges: [Ranges] = []
        var sequences: [[[[Double]]]] = []  // per calibration tensor: [b][t] → features
        for (k, x) in calibration.enumerated() {
            guard x.rank == 3, x.shape[2] == model.inputSize else {
                throw RNNError(at: "--calibrate #\(k + 1)", "expected [\(model.layout == .timeMajor ? "T, B" : "B, T"), \(model.inputSize)], found \(x.shapeDescription)")
            }
            guard x.values.allSatisfy(\.isFinite) else { throw RNNError(at: "--calibrate #\(k + 1)", "holds NaN or infinity") }
            let (T, B) = model.layout == .timeMajor ? (x.shape[0], x.shape[1]) : (x.shape[1], x.shape[0])
            sequences.append(model.layout.sequences(x, batch: B, steps: T, width: model.inputSize))
        }
        var stages = model.stages
        for (s, stage) in model.stages.enumerated() {
            guard case .recurrent(var stack) = stage else { continue }
            for l in stack.layers.indices {
                let cell = stack.layers[l].cells[0]
                let math = CellMath(cell)
                var xLow = 0.0, xHigh = 0.0, hLow = 0.0, hHigh = 0.0, cMax = 0.0
                for k in sequences.indices {
                    sequences[k] = sequences[k].map { steps in
                        for x in steps { for v in x { xLow = min(xLow, v); xHigh = max(xHigh, v) } }
                        var h = [Double](repeating: 0, count: cell.hiddenSize), c = h
                        var out = Array(repeating: h, count: steps.count)
                        let order = stack.direction == .reverse ? Array(steps.indices.reversed()) : Array(steps.indices)
                        for t in order {
                            (h, c) = math.step(x: steps[t], h: h, c: c)
                            out[t] = h
                            for v in h { hLow = min(hLow, v); hHigh = max(hHigh, v) }
                            for v in c { cMax = max(cMax, abs(v)) }
                        }
                        return out
                    }
                }
                ranges.append(Ranges(input: xLow...xHigh, hidden: hLow...hHigh, cellMagnitude: cMax))
                // A layer reads what the layer before writes; the first, the model's input.
                let input = l > 0 ? stack.layers[l - 1].cells[0].quantization!.hidden : previousHidden(stages, before: s) ?? affine(xLow...xHigh)
                stack.layers[l].cells[0].quantization = CellQuantization(
                    input: input,
                    hidden: affine(hLow...hHigh), cellExponent: cellExponent(cMax),
                    inputWeightScales: rowScales(cell.weights.input), recurrentWeightScales: rowScales(cell.weights.recurrent))
            }
            stages[s] = .recurrent(stack)
        }
        var quantized = model
        quantized.stages = stages
        try quantized.validate()
        // Every weight and bias must fit its integer type at these scales.
        for (k, pair) in quantized.quantizedCells.enumerated() {
            do { _ = try IntegerLSTMParameters(cell: pair.cell, quantization: pair.quantization) } catch let error as RNNError {
                throw RNNError(at: "layer \(k) \(error.location ?? "")", error.message)
            }
        }
        return (quantized, ranges)
    }

    static func describe(_ stage: Stage) -> String {
        switch stage {
        case .dense: return "a dense layer"
        case .recurrent(let s): return "a \(s.direction.rawValue) \(s.kind.rawValue.uppercased()) stack"
        case .parallel: return "parallel stacks"
        case .head: return "a head"
        case .activation: return "an activation"
        case .residual: return "a residual"
        }
    }

    /// The hidden quantization of the last layer of the stage before `s`.
    static func previousHidden(_ stages: [Stage], before s: Int) -> AffineQuantization? {
        guard s > 0, case .recurrent(let stack) = stages[s - 1] else { return nil }
        return stack.layers.last?.cells[0].quantization?.hidden
    }

    /// Asymmetric int8 over `range` widened to hold 0 (and at least 1e-8 wide).
    public static func affine(_ range: ClosedRange<Double>) -> AffineQuantization {
        let low = min(range.lowerBound, 0), high = max(range.upperBound, 0)
        let scale = Double(Float(max(high - low, 1e-8) / 255))
        let zeroPoint = FixedPoint.clamp(Int((-128 - low / scale).rounded(.toNearestOrAwayFromZero)), FixedPoint.int8Range)
        return AffineQuantization(scale: scale, zeroPoint: zeroPoint)
    }

    /// The cell exponent for cell values up to `magnitude`.
    public static func cellExponent(_ magnitude: Double) -> Int {
        guard magnitude > 1 else { return -15 }
        let e = Int(Foundation.log2(magnitude).rounded(.up)) - 15
        return min(max(e, CellQuantization.cellExponents.lowerBound), CellQuantization.cellExponents.upperBound)
    }

    /// Symmetric per-row scales: max |w| / 127 as float32 (1 for an all-zero row).
    public static func rowScales(_ w: Tensor) -> [Double] {
        let columns = w.shape[1]
        return (0..<w.shape[0]).map { r in
            let top = w.values[(r * columns)..<((r + 1) * columns)].reduce(0) { max($0, abs($1)) }
            guard top > 0 else { return 1 }
            // Rounded up to float32, so that max |w| / scale stays within 127.
            var scale = Float(top / 127)
            if Double(scale) * 127 < top { scale = scale.nextUp }
            return Double(scale)
        }
    }
}
