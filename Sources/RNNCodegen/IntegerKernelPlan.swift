import RNNModel

/// An int8 kernel for a quantized model (docs/kernels.md, "Integer
/// kernels"): every table it bakes and the one step program both languages
/// print. Each layer's integers come from `IntegerLSTMParameters`, the same
/// values the integer interpreter runs, so the kernel equals it to the bit.
public struct IntegerKernelPlan {
    /// How a weight matrix's bytes are laid out.
    public enum Packing: String, Sendable {
        /// Row after row, columns in order.
        case rows
        /// Row after row, each group of four columns stored k, k+2, k+1, k+3:
        /// what the DSP extension's unpack and dual multiply-add read
        /// (Cortex-M4/M7).
        case pairs
    }

    public struct Layer {
        public var parameters: IntegerLSTMParameters
        /// The input and hidden sizes padded to `columnMultiple`.
        public var inputColumns: Int
        public var hiddenColumns: Int
        /// The weights as stored: `[4H × inputColumns]` and `[4H × hiddenColumns]`, zero-padded and packed.
        public var inputWeights: [Int8]
        public var recurrentWeights: [Int8]
        public var hiddenSize: Int { parameters.hiddenSize }
        public var inputSize: Int { parameters.inputSize }
        public var rows: Int { 4 * parameters.hiddenSize }
    }

    public let model: Model
    public let options: KernelOptions
    public let layers: [Layer]
    public let packing: Packing
    /// Rows of weights are padded to a multiple of this many columns: 4 for
    /// the DSP's words of four bytes, 8 for Helium's eight 16-bit lanes.
    public let columnMultiple: Int
    public var name: String { options.name }
    public var inputSize: Int { layers[0].inputSize }
    public var outputSize: Int { layers[layers.count - 1].hiddenSize }
    public var input: AffineQuantization { layers[0].parameters.quantization.input }
    public var output: AffineQuantization { layers[layers.count - 1].parameters.quantization.hidden }

    public init(model: Model, options: KernelOptions) throws {
        guard model.isQuantized else { throw RNNError(at: "model \(Quote.text(model.name))", "has no quantization (see rnngen quantize)") }
        try model.validate()
        if let stack = model.stacks.first(where: { $0.direction != .forward }) {
            throw RNNError(at: "model \(Quote.text(model.name))", "integer kernels run forward stacks; this one has a \(stack.direction.rawValue) stack")
        }
        if options.vectorWidth != nil || options.weights != .baked || options.useLibm || options.fusedMultiplyAdd != .auto
            || options.weightType != .f32 || options.batchTile != nil || options.lowering != nil || options.sampleRateDelay != nil {
            throw RNNError(at: "options", "a quantized model's integer kernel takes --lang, --name and --target only (--vector-width, --weights, --libm, --fma, --weight-type, --batch-tile, --lowering and --sample-rate-delay are for float kernels)")
        }
        self.model = model
        self.options = options
        packing = Self.packing(for: options.target)
        columnMultiple = options.target == .cortexM55 ? 8 : 4
        let multiple = columnMultiple, packing = packing
        layers = try model.quantizedCells.enumerated().map { k, pair in
            let p: IntegerLSTMParameters
            do { p = try IntegerLSTMParameters(cell: pair.cell, quantization: pair.quantization) } catch let error as RNNError {
                throw RNNError(at: "model \(Quote.text(model.name)): layer \(k) \(error.location ?? "")", error.message)
            }
            let inputColumns = Self.padded(p.inputSize, to: multiple), hiddenColumns = Self.padded(p.hiddenSize, to: multiple)
            return Layer(parameters: p, inputColumns: inputColumns, hiddenColumns: hiddenColumns,
                         inputWeights: Self.pack(p.inputWeights, rows: 4 * p.hiddenSize, columns: p.inputSize, padded: inputColumns, packing),
                         recurrentWeights: Self.pack(p.recurrentWeights, rows: 4 * p.hiddenSize, columns: p.hiddenSize, padded: hiddenColumns, packing))
        }
    }

    /// The DSP extension's dual 16-bit multiply-add on Cortex-M4 and M7.
    public static func packing(for target: KernelTarget) -> Packing {
        target == .cortexM4 || target == .cortexM7 ? .pairs : .rows
    }

    static func padded(_ n: Int, to multiple: Int) -> Int { (n + multiple - 1) / multiple * multiple }

    /// `w` (`rows × columns`, row-major) zero-padded to `padded` columns and packed.
    public static func pack(_ w: [Int8], rows: Int, columns: Int, padded: Int, _ packing: Packing) -> [Int8] {
        var out = [Int8](repeating: 0, count: rows * padded)
        for r in 0..<rows {
            for k in 0..<columns {
                var at = k
                if packing == .pairs {
                    // Within each group of four: k, k+2, k+1, k+3.
                    let within = k % 4
                    at = k - within + [0, 2, 1, 3][within]
                }
                out[r * padded + at] = w[r * columns + k]
            }
        }
        return out
    }

    /// One operation of the step; `IntegerCRenderer` and
    /// `IntegerSwiftRenderer` spell each as one call of their prelude.
    public enum Operation: Equatable {
        case comment(String)
        /// `xw = x − zero point` as int16, zero-padded (`layer` nil: the kernel's input `x`; else that layer's h).
        case widen(from: Int?, count: Int, padded: Int, zeroPoint: Int, into: String)
        /// `acc = bias + W·xw` (input) or `R·hw` (recurrent) of a layer.
        case matvec(layer: Int, recurrent: Bool, input: String, into: String)
        /// The gates of a layer from its two sums.
        case gates(layer: Int)
        /// The cell and hidden state of a layer from its gates.
        case cell(layer: Int)
        /// `y = h` of the last layer.
        case output(layer: Int)
    }

    /// The step, decided once: per layer, its input and its previous h
    /// widened, the two products, the gates, the cell.
    public var step: [Operation] {
        var ops: [Operation] = []
        for (k, layer) in layers.enumerated() {
            let q = layer.parameters.quantization
            ops.append(.comment("layer \(k): LSTM \(layer.inputSize) → \(layer.hiddenSize)\(k > 0 ? ", reading layer \(k - 1)'s h" : "")"))
            ops.append(.widen(from: k == 0 ? nil : k - 1, count: layer.inputSize, padded: layer.inputColumns, zeroPoint: q.input.zeroPoint, into: "xw"))
            ops.append(.widen(from: k, count: layer.hiddenSize, padded: layer.hiddenColumns, zeroPoint: q.hidden.zeroPoint, into: "hw"))
            ops.append(.matvec(layer: k, recurrent: false, input: "xw", into: "ax"))
            ops.append(.matvec(layer: k, recurrent: true, input: "hw", into: "ah"))
            ops.append(.gates(layer: k))
            ops.append(.cell(layer: k))
        }
        ops.append(.output(layer: layers.count - 1))
        return ops
    }

    /// The scratch the step needs: the widest widened vector and the most gate rows.
    public var widestColumns: Int { layers.map { max($0.inputColumns, $0.hiddenColumns) }.max()! }
    public var mostRows: Int { layers.map(\.rows).max()! }

    /// The weight bytes the kernel bakes: int8 matrices, int32 biases, per-row multipliers (int32) and shifts (int8).
    public var weightBytes: Int {
        layers.reduce(0) { $0 + $1.inputWeights.count + $1.recurrentWeights.count + 4 * $1.rows + 2 * (5 * $1.rows) }
    }

    /// The name of a layer's table: `w` and `r` weights, `b` bias, `mx`/`sx`
    /// and `mh`/`sh` the input and recurrent multipliers and shifts.
    public func table(_ kind: String, layer: Int) -> String { "\(name)_\(kind)_l\(layer)" }
}
