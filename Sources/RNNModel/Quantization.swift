import Foundation

/// An affine int8 quantization: real = scale · (q − zeroPoint). Scales are
/// float32 values (held in a Double), as in a .tflite file, because the
/// integer multipliers are derived from their float32 products.
public struct AffineQuantization: Equatable, Sendable {
    public var scale: Double
    public var zeroPoint: Int

    public init(scale: Double, zeroPoint: Int) {
        self.scale = scale
        self.zeroPoint = zeroPoint
    }

    /// `round(x / scale) + zeroPoint` in float32 (TFLite's QUANTIZE: the
    /// quotient rounded to float, then ties away from zero), clamped to int8.
    public func quantize(_ x: Double) -> Int {
        guard x.isFinite else { return x.isNaN ? zeroPoint : (x > 0 ? 127 : -128) }
        let q = Double((Float(x) / Float(scale)).rounded(.toNearestOrAwayFromZero))
        guard q.isFinite else { return q > 0 ? 127 : -128 }
        return FixedPoint.clamp(Int(max(-1e9, min(1e9, q))) + zeroPoint, FixedPoint.int8Range)
    }

    /// `(q − zeroPoint) · scale` in float32, as TFLite's DEQUANTIZE.
    public func dequantize(_ q: Int) -> Double { Double(Float(q - zeroPoint) * Float(scale)) }
}

/// How one recurrent cell runs in integers (docs/kernels.md, "Integer
/// kernels"): its int8 input and hidden state, its int16 cell state's scale
/// (a power of two) and the scale of each row of its weight matrices.
/// The weights themselves stay real numbers in `CellWeights`; the integer
/// weights are `round(w / rowScale)`, the int32 biases
/// `round(b / (inputScale · rowScale))`.
public struct CellQuantization: Equatable, Sendable {
    public var input: AffineQuantization
    public var hidden: AffineQuantization
    /// The cell state's scale is 2^cellExponent (LSTM only).
    public var cellExponent: Int
    /// One scale per row of W, `[G·H]`.
    public var inputWeightScales: [Double]
    /// One scale per row of R, `[G·H]`.
    public var recurrentWeightScales: [Double]

    public init(input: AffineQuantization, hidden: AffineQuantization, cellExponent: Int,
                inputWeightScales: [Double], recurrentWeightScales: [Double]) {
        self.input = input
        self.hidden = hidden
        self.cellExponent = cellExponent
        self.inputWeightScales = inputWeightScales
        self.recurrentWeightScales = recurrentWeightScales
    }

    /// The cell exponents rnngen takes: the tanh input scaling stays within
    /// 32 bits and the cell keeps at least its fraction bits.
    public static let cellExponents = -24...0

    /// Checks the quantization against its cell; `at` names it in errors.
    public func validate(for cell: Cell, at location: String) throws {
        let rows = cell.kind.gateCount * cell.hiddenSize
        for (name, q) in [("input", input), ("hidden", hidden)] {
            guard q.scale.isFinite, q.scale > 0, Double(Float(q.scale)) == q.scale else {
                throw RNNError(at: "\(location).\(name).scale", "expected a positive float32 scale, found \(q.scale)")
            }
            guard FixedPoint.int8Range.contains(q.zeroPoint) else {
                throw RNNError(at: "\(location).\(name).zeroPoint", "expected an int8 zero point (-128…127), found \(q.zeroPoint)")
            }
        }
        guard Self.cellExponents.contains(cellExponent) else {
            throw RNNError(at: "\(location).cellExponent", "expected \(Self.cellExponents.lowerBound)…\(Self.cellExponents.upperBound), found \(cellExponent)")
        }
        for (name, scales) in [("inputWeightScales", inputWeightScales), ("recurrentWeightScales", recurrentWeightScales)] {
            guard scales.count == rows else {
                throw RNNError(at: "\(location).\(name)", "expected \(rows) scales (one per row, \(cell.kind.gateCount)·\(cell.hiddenSize)), found \(scales.count)")
            }
            if let bad = scales.firstIndex(where: { !($0.isFinite && $0 > 0 && Double(Float($0)) == $0) }) {
                throw RNNError(at: "\(location).\(name)[\(bad)]", "expected a positive float32 scale, found \(scales[bad])")
            }
        }
        guard cell.weights.projection == nil, cell.weights.peephole == nil, !cell.options.inputForget,
              cell.options.clip == nil, cell.options.forgetBias == 0,
              cell.options.sampleRateDelay == nil, cell.options.activations == cell.kind.defaultActivations else {
            throw RNNError(at: location, "integer kernels take the plain cells: LSTM (sigmoid, tanh, tanh; no peepholes, projection, activation clip, forget bias, coupled gates or sample-rate delay; a cell clip is taken), GRU (sigmoid, tanh; either reset) and RNN (tanh)")
        }
        guard cell.hiddenSize == cell.outputSize else { throw RNNError(at: location, "integer kernels take no projection") }
    }
}

/// The integer form of one quantized cell, derived once from the real
/// weights and the quantization: what the integer interpreter executes and
/// the integer kernels bake. Gates in canonical order: LSTM i, o, f, c;
/// GRU z, r, n; RNN one block.
public typealias IntegerLSTMParameters = IntegerCellParameters

public struct IntegerCellParameters: Equatable, Sendable {
    /// A multiplier and shift from `FixedPoint.quantizeMultiplier`.
    public struct Rescale: Equatable, Sendable {
        public var multiplier: Int32
        public var shift: Int
        public init(_ real: Double) { (multiplier, shift) = FixedPoint.quantizeMultiplier(real) }
        public func apply(_ x: Int32) -> Int32 { FixedPoint.multiplyByQuantizedMultiplier(x, multiplier, shift) }
    }

    public var kind: CellKind
    /// GRU: the reset gate multiplies the recurrent product (PyTorch's GRU).
    public var linearBeforeReset: Bool
    public var inputSize: Int
    public var hiddenSize: Int
    public var quantization: CellQuantization
    /// int8 W `[G·H × I]` and R `[G·H × H]`, row-major.
    public var inputWeights: [Int8]
    public var recurrentWeights: [Int8]
    /// int32 bias per row at the input product's scale: W's bias and R's
    /// together, except a GRU's candidate rows with the reset after the
    /// product, whose R bias is `recurrentBias`.
    public var bias: [Int32]
    /// int32 bias per row at the recurrent product's scale (zero but for a
    /// GRU's candidate rows with the reset after the product).
    public var recurrentBias: [Int32]
    /// Per row: accumulator → Q3.12 gate pre-activation.
    public var inputRescale: [Rescale]
    public var recurrentRescale: [Rescale]
    /// LSTM: f (Q0.15) · c (2^e) → c; i (Q0.15) · g (Q0.15) → c.
    public var forgetTimesCell: Rescale
    public var inputTimesCandidate: Rescale
    /// Q0.30 → h: LSTM o · tanh(c); GRU (1 − z) · n. RNN: Q0.15 tanh → h.
    public var outputTimesTanh: Rescale
    /// LSTM: the cell clip in cell units, truncated toward zero and saturated
    /// to int16 (TFLite Micro's quantized_cell_clip); nil: no clip.
    public var cellClip: Int?

    /// The Q3.12 scale of the gate pre-activations.
    public static let gateExponent = -12

    public var rows: Int { kind.gateCount * hiddenSize }

    public init(cell: Cell, quantization q: CellQuantization) throws {
        try q.validate(for: cell, at: "quantization")
        kind = cell.kind
        linearBeforeReset = cell.options.linearBeforeReset
        inputSize = cell.inputSize
        hiddenSize = cell.hiddenSize
        quantization = q
        let rows = cell.kind.gateCount * hiddenSize, H = hiddenSize
        func int8(_ w: Tensor, _ scales: [Double], _ name: String) throws -> [Int8] {
            let columns = w.shape[1]
            return try (0..<w.count).map { k in
                let v = (w.values[k] / scales[k / columns]).rounded(.toNearestOrAwayFromZero)
                guard v.isFinite, abs(v) <= 127 else {
                    throw RNNError(at: "\(name)[\(k / columns)][\(k % columns)]", "weight \(w.values[k]) is beyond ±127 steps of its row's scale \(scales[k / columns])")
                }
                return Int8(v)
            }
        }
        func int32(_ value: Double, _ scale: Double, _ row: Int) throws -> Int32 {
            let v = (value / scale).rounded(.toNearestOrAwayFromZero)
            guard v.isFinite, abs(v) < 2_147_483_647 else { throw RNNError(at: "bias[\(row)]", "bias \(value) overflows int32 at its scale") }
            return Int32(v)
        }
        inputWeights = try int8(cell.weights.input, q.inputWeightScales, "W")
        recurrentWeights = try int8(cell.weights.recurrent, q.recurrentWeightScales, "R")
        // A GRU's candidate with the reset after the product keeps R's bias inside it.
        let separate = { (r: Int) in cell.kind == .gru && cell.options.linearBeforeReset && r >= 2 * H }
        bias = try (0..<rows).map { r in
            let b = cell.weights.inputBias.values[r] + (separate(r) ? 0 : cell.weights.recurrentBias.values[r])
            return try int32(b, q.input.scale * q.inputWeightScales[r], r)
        }
        recurrentBias = try (0..<rows).map { r in
            separate(r) ? try int32(cell.weights.recurrentBias.values[r], q.hidden.scale * q.recurrentWeightScales[r], r) : 0
        }
        // TFLite Micro's fully connected multiplier: the float32 product of the
        // two scales, over the output's scale (2^-12) in double.
        let gateScale = Foundation.pow(2.0, Double(Self.gateExponent))
        inputRescale = q.inputWeightScales.map { Rescale(Double(Float(q.input.scale) * Float($0)) / gateScale) }
        recurrentRescale = q.recurrentWeightScales.map { Rescale(Double(Float(q.hidden.scale) * Float($0)) / gateScale) }
        // The element-wise products: double products of the scales.
        let q15 = Foundation.pow(2.0, -15.0), cellScale = Foundation.pow(2.0, Double(q.cellExponent))
        forgetTimesCell = Rescale(q15 * cellScale / cellScale)
        inputTimesCandidate = Rescale(q15 * q15 / cellScale)
        outputTimesTanh = Rescale((cell.kind == .rnn ? q15 : q15 * q15) / Double(Float(q.hidden.scale)))
        cellClip = cell.kind == .lstm ? cell.options.cellClip.map { Int(min(max($0 / cellScale, -32768), 32767).rounded(.towardZero)) } : nil
    }

    /// The int32 sums of rows `range` over `v` (less `zeroPoint`), `weights` `[rows × columns]`.
    func sums(_ weights: [Int8], columns: Int, _ v: [Int], zeroPoint: Int, rows range: Range<Int>, bias: [Int32]) -> [Int32] {
        range.map { r in
            var acc = bias[r]
            for k in 0..<columns { acc = acc &+ Int32(weights[r * columns + k]) &* Int32(v[k] - zeroPoint) }
            return acc
        }
    }

    /// A gate pre-activation from its two sums: each rescaled to Q3.12 and
    /// saturated on its own, then added with saturation.
    func preActivation(_ ax: Int32, _ ah: Int32, row r: Int) -> Int16 {
        let a = FixedPoint.clamp(Int(inputRescale[r].apply(ax)), FixedPoint.int16Range)
        let b = FixedPoint.clamp(Int(recurrentRescale[r].apply(ah)), FixedPoint.int16Range)
        return Int16(FixedPoint.clamp(a + b, FixedPoint.int16Range))
    }

    /// One step for one sequence: `x` int8 input, `h` int8 hidden, `c` int16
    /// cell (LSTM; empty otherwise), updated in place.
    public func step(x: [Int], h: inout [Int], c: inout [Int]) {
        let H = hiddenSize, I = inputSize
        let xz = quantization.input.zeroPoint, hz = quantization.hidden.zeroPoint
        let ax = sums(inputWeights, columns: I, x, zeroPoint: xz, rows: 0..<rows, bias: bias)
        switch kind {
        case .lstm:
            let ah = sums(recurrentWeights, columns: H, h, zeroPoint: hz, rows: 0..<rows, bias: recurrentBias)
            var gates = [Int](repeating: 0, count: rows)
            for r in 0..<rows {
                let pre = preActivation(ax[r], ah[r], row: r)
                // Canonical blocks i, o, f, c: the last is the candidate.
                gates[r] = Int(r / H == 3 ? FixedPoint.tanh(pre, exponent: Self.gateExponent) : FixedPoint.sigmoid(pre))
            }
            for j in 0..<H {
                let i = gates[j], o = gates[H + j], f = gates[2 * H + j], g = gates[3 * H + j]
                let kept = FixedPoint.clamp(Int(forgetTimesCell.apply(Int32(f * c[j]))), FixedPoint.int16Range)
                let added = FixedPoint.clamp(Int(inputTimesCandidate.apply(Int32(i * g))), FixedPoint.int16Range)
                c[j] = FixedPoint.clamp(kept + added, FixedPoint.int16Range)
                if let clip = cellClip { c[j] = min(max(c[j], -clip), clip) }
                let t = Int(FixedPoint.tanh(Int16(c[j]), exponent: quantization.cellExponent))
                h[j] = FixedPoint.clamp(hz + Int(outputTimesTanh.apply(Int32(o * t))), FixedPoint.int8Range)
            }
        case .rnn:
            let ah = sums(recurrentWeights, columns: H, h, zeroPoint: hz, rows: 0..<rows, bias: recurrentBias)
            for j in 0..<H {
                let t = Int(FixedPoint.tanh(preActivation(ax[j], ah[j], row: j), exponent: Self.gateExponent))
                h[j] = FixedPoint.clamp(hz + Int(outputTimesTanh.apply(Int32(t))), FixedPoint.int8Range)
            }
        case .gru:
            // z and r as gates; then the candidate n, by the reset's place.
            let ahZR = sums(recurrentWeights, columns: H, h, zeroPoint: hz, rows: 0..<(2 * H), bias: recurrentBias)
            let z = (0..<H).map { Int(FixedPoint.sigmoid(preActivation(ax[$0], ahZR[$0], row: $0))) }
            let reset = (0..<H).map { Int(FixedPoint.sigmoid(preActivation(ax[H + $0], ahZR[H + $0], row: H + $0))) }
            var n = [Int](repeating: 0, count: H)
            if linearBeforeReset {
                // n = tanh(Wx + bW + r ⊙ (Rh + bR)): r (Q0.15) times the
                // recurrent part (Q3.12) back to Q3.12, rounded and saturated.
                let ahN = sums(recurrentWeights, columns: H, h, zeroPoint: hz, rows: (2 * H)..<(3 * H), bias: recurrentBias)
                for j in 0..<H {
                    let r = 2 * H + j
                    let a = FixedPoint.clamp(Int(inputRescale[r].apply(ax[r])), FixedPoint.int16Range)
                    let b = FixedPoint.clamp(Int(recurrentRescale[r].apply(ahN[j])), FixedPoint.int16Range)
                    let rb = FixedPoint.clamp(Int(FixedPoint.roundingDivideByPowerOfTwo(Int32(reset[j] * b), 15)), FixedPoint.int16Range)
                    n[j] = Int(FixedPoint.tanh(Int16(FixedPoint.clamp(a + rb, FixedPoint.int16Range)), exponent: Self.gateExponent))
                }
            } else {
                // n = tanh(Wx + R(r ⊙ h) + b): r ⊙ h requantized at h's scale.
                let rh = (0..<H).map { j in
                    FixedPoint.clamp(hz + Int(FixedPoint.roundingDivideByPowerOfTwo(Int32(reset[j] * (h[j] - hz)), 15)), FixedPoint.int8Range)
                }
                let ahN = sums(recurrentWeights, columns: H, rh, zeroPoint: hz, rows: (2 * H)..<(3 * H), bias: recurrentBias)
                for j in 0..<H {
                    n[j] = Int(FixedPoint.tanh(preActivation(ax[2 * H + j], ahN[j], row: 2 * H + j), exponent: Self.gateExponent))
                }
            }
            // h = (1 − z) · n + z · h: the first at Q0.30 rescaled to h's scale,
            // the second z (Q0.15) times h less its zero point, back by 2^15.
            for j in 0..<H {
                let kept = Int(FixedPoint.roundingDivideByPowerOfTwo(Int32(z[j] * (h[j] - hz)), 15))
                let fresh = Int(outputTimesTanh.apply(Int32((32768 - z[j]) * n[j])))
                h[j] = FixedPoint.clamp(hz + fresh + kept, FixedPoint.int8Range)
            }
        }
    }
}

extension Model {
    /// Whether any cell carries a quantization.
    public var isQuantized: Bool { stacks.contains { $0.layers.contains { $0.cells.contains { $0.quantization != nil } } } }

    /// The quantized cells in the order the integer interpreter runs them.
    public var quantizedCells: [(cell: Cell, quantization: CellQuantization)] {
        stacks.flatMap { $0.layers.flatMap { $0.cells.compactMap { c in c.quantization.map { (c, $0) } } } }
    }

    /// What a quantized model must be to run in integers: recurrent stacks of
    /// one direction only, every cell quantized, each layer reading int8 at
    /// the scale and zero point the layer before writes.
    func validateQuantization() throws {
        func fail(_ at: String, _ message: String) -> RNNError { RNNError(at: "model \(Quote.text(name)): \(at)", message) }
        var previous: AffineQuantization?
        for (index, stage) in stages.enumerated() {
            guard case .recurrent(let stack) = stage else {
                throw fail("stage \(index)", "a quantized model holds recurrent stacks only so far (integer dense layers, heads, activations and residuals are not written yet)")
            }
            guard stack.direction != .bidirectional else {
                throw fail("stage \(index)", "a quantized stack runs one direction so far; this one is bidirectional")
            }
            for (l, layer) in stack.layers.enumerated() {
                let cell = layer.cells[0], at = "stage \(index) layer \(l) quantization"
                guard let q = cell.quantization else { throw fail(at, "every cell of a quantized model needs a quantization; this one has none") }
                do { try q.validate(for: cell, at: at) } catch let error as RNNError { throw fail(error.location ?? at, error.message) }
                if let previous, previous != q.input {
                    throw fail("\(at).input", "the layer reads the int8 output of the one before, quantized with scale \(previous.scale) and zero point \(previous.zeroPoint); found scale \(q.input.scale) and zero point \(q.input.zeroPoint)")
                }
                previous = q.hidden
            }
        }
    }
}
