import Foundation
import RNNModel

/// Runs a quantized model in integers, the way TFLite Micro's int8 LSTM does
/// (and GRU and RNN cells built from the same pieces)
/// (docs/kernels.md, "Integer kernels"): int8 input and hidden state, int16
/// cell, every product and rescale as `IntegerLSTMParameters.step` defines
/// it. The integer kernels are proved against it to the bit.
///
/// `run` takes and gives real numbers, quantizing the input and initial
/// states on the way in and dequantizing on the way out; `runIntegers`
/// takes and gives the int8 values themselves.
public struct IntegerInterpreter {
    public let model: Model
    let layers: [IntegerLSTMParameters]

    public init(model: Model) throws {
        guard model.isQuantized else {
            throw RNNError(at: "model \(Quote.text(model.name))", "has no quantization: run 'rnngen quantize' on it first, or read a quantized .tflite")
        }
        try model.validate()
        self.model = model
        layers = try model.quantizedCells.enumerated().map { k, pair in
            do { return try IntegerLSTMParameters(cell: pair.cell, quantization: pair.quantization) } catch let error as RNNError {
                throw RNNError(at: "model \(Quote.text(model.name)): layer \(k) \(error.location ?? "")", error.message)
            }
        }
    }

    /// The int8 quantization of the model's input and of its output.
    public var inputQuantization: AffineQuantization { layers[0].quantization.input }
    public var outputQuantization: AffineQuantization { layers[layers.count - 1].quantization.hidden }

    /// The integer state of every layer, per batch item.
    public struct States: Equatable {
        public var h: [[[Int]]]  // [layer][b] → int8 values
        public var c: [[[Int]]]  // [layer][b] → int16 values
    }

    /// `x[b][t]` → int8 input features; returns `y[b][t]` (the zero point past
    /// an item's length) and the final states. Steps run forward, or
    /// backward for a reverse stack, over each item's valid steps.
    public func runIntegers(_ x: [[[Int]]], lengths: [Int], initial: States? = nil) -> (y: [[[Int]]], final: States) {
        let B = x.count
        var sequence = x
        var finals = States(h: [], c: [])
        for (l, p) in layers.enumerated() {
            let reverse = stateNames[l].h.reverse
            let H = p.hiddenSize, hz = p.quantization.hidden.zeroPoint
            var out: [[[Int]]] = []
            var hs: [[Int]] = [], cs: [[Int]] = []
            for b in 0..<B {
                let C = p.kind == .lstm ? H : 0
                var h = initial?.h[l][b] ?? Array(repeating: hz, count: H)
                var c = initial?.c[l][b] ?? Array(repeating: 0, count: C)
                if lengths[b] == 0 && model.zeroLengthState == .zero {
                    h = Array(repeating: hz, count: H)
                    c = Array(repeating: 0, count: C)
                }
                var y = Array(repeating: Array(repeating: hz, count: H), count: sequence[b].count)
                let order = reverse ? Array((0..<lengths[b]).reversed()) : Array(0..<lengths[b])
                for t in order {
                    p.step(x: sequence[b][t], h: &h, c: &c)
                    y[t] = h
                }
                out.append(y)
                hs.append(h)
                cs.append(c)
            }
            sequence = out
            finals.h.append(hs)
            finals.c.append(cs)
        }
        return (sequence, finals)
    }

    /// An int8 `x` in the model's layout (`[B, T, I]` or `[T, B, I]`) in,
    /// the int8 `y` in the same layout and the final states out.
    public func runIntegers(_ x: Tensor, lengths: [Int]) -> (y: Tensor, final: States) {
        let (B, T) = model.layout == .timeMajor ? (x.shape[1], x.shape[0]) : (x.shape[0], x.shape[1])
        let xs = model.layout.sequences(x, batch: B, steps: T, width: model.inputSize).map { $0.map { $0.map { Int($0) } } }
        let (y, final) = runIntegers(xs, lengths: lengths)
        let yTensor = model.layout.tensor(y.map { $0.map { $0.map(Double.init) } }, steps: T, width: outputSize, elementType: .int8)
        return (yTensor, final)
    }

    var outputSize: Int { layers[layers.count - 1].hiddenSize }

    /// Real inputs in, real outputs out: x and the initial states quantized
    /// (h at the hidden scale, c at 2^cellExponent, both saturated), the
    /// integer run, and its results dequantized.
    public func run(_ inputs: ModelInputs) throws -> ModelOutputs {
        let (T, B, lengths) = try inputs.checked(for: model)
        let xq = inputQuantization
        let x = model.layout.sequences(inputs.x, batch: B, steps: T, width: model.inputSize).map { $0.map { $0.map(xq.quantize) } }
        let names = stateNames
        var initial = States(h: [], c: [])
        for (l, p) in layers.enumerated() {
            let H = p.hiddenSize, q = p.quantization
            let h0 = inputs.initialStates[names[l].h], c0 = inputs.initialStates[names[l].c]
            initial.h.append((0..<B).map { b in (0..<H).map { j in h0.map { q.hidden.quantize($0.values[b * H + j]) } ?? q.hidden.zeroPoint } })
            let C = p.kind == .lstm ? H : 0
            initial.c.append((0..<B).map { b in (0..<C).map { j in c0.map { Self.quantizeCell($0.values[b * H + j], exponent: q.cellExponent) } ?? 0 } })
        }
        let (y, final) = runIntegers(x, lengths: lengths, initial: initial)
        let out = outputQuantization
        let real = y.enumerated().map { b, steps in steps.enumerated().map { t, v in t < lengths[b] ? v.map(out.dequantize) : v.map { _ in 0.0 } } }
        let yTensor = model.layout.tensor(real, steps: T, width: outputSize)
        var finals: [StateName: Tensor] = [:]
        for (l, p) in layers.enumerated() {
            let H = p.hiddenSize, q = p.quantization, cellScale = Foundation.pow(2.0, Double(q.cellExponent))
            finals[names[l].h] = Tensor(shape: [B, H], values: final.h[l].flatMap { $0.map(q.hidden.dequantize) })
            if p.kind == .lstm { finals[names[l].c] = Tensor(shape: [B, H], values: final.c[l].flatMap { $0.map { Double($0) * cellScale } }) }
        }
        return ModelOutputs(y: yTensor, head: nil, finalStates: finals)
    }

    /// A real cell state in units of 2^exponent, rounded half away from zero, saturated to int16.
    public static func quantizeCell(_ c: Double, exponent: Int) -> Int {
        guard c.isFinite else { return c.isNaN ? 0 : (c > 0 ? 32767 : -32768) }
        let v = (c / Foundation.pow(2.0, Double(exponent))).rounded(.toNearestOrAwayFromZero)
        return FixedPoint.clamp(Int(max(-1e9, min(1e9, v))), FixedPoint.int16Range)
    }

    /// Each layer's h and c state names, in layer order.
    var stateNames: [(h: StateName, c: StateName)] {
        var names: [(StateName, StateName)] = []
        for (s, stack) in model.stacks.enumerated() {
            for l in stack.layers.indices {
                let reverse = stack.direction == .reverse
                names.append((StateName(stack: s, layer: l, reverse: reverse, isCell: false), StateName(stack: s, layer: l, reverse: reverse, isCell: true)))
            }
        }
        return names
    }
}
