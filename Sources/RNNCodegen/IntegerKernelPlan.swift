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
        /// Blocks of four rows, column group by column group, each row's four
        /// bytes stored k, k+2, k+1, k+3: what the DSP extension's unpack and
        /// dual multiply-add read, four rows per load of the inputs
        /// (Cortex-M4/M7).
        case pairs
        /// Row after row, products of the raw int8 inputs: each zero point
        /// folded into the biases (bias − zero point · row sum, exact in
        /// int32), sixteen int8 products per Helium instruction (Cortex-M55).
        case bytes
        /// Row after row, products of the inputs offset to unsigned bytes
        /// (x + 128, the zero point and the offset folded into the biases):
        /// the unsigned × signed byte dot products of x86's VNNI, which GCC
        /// emits for this loop at -O3 (the host).
        case unsignedBytes
        /// As `unsignedBytes`, the weights in blocks of 16 rows by 4 columns
        /// (rows padded to 16): one broadcast of four inputs and one VNNI
        /// instruction serve sixteen rows (AVX-512 VNNI), with no horizontal
        /// sums (the host, but for a GRU with the reset before the product).
        case unsignedBlocks
    }

    public struct Layer {
        public var parameters: IntegerLSTMParameters
        /// The input and hidden sizes padded to `columnMultiple`.
        public var inputColumns: Int
        public var hiddenColumns: Int
        /// The weights as stored: `[4H × inputColumns]` and `[4H × hiddenColumns]`, zero-padded and packed.
        public var inputWeights: [Int8]
        public var recurrentWeights: [Int8]
        /// The input sum's bias (the layer's; with `.bytes`, minus the input
        /// zero point times each row's sum) and the recurrent sum's (nil, or
        /// with `.bytes`, minus the hidden zero point times each row's sum).
        public var inputBias: [Int32]
        public var recurrentBias: [Int32]?
        /// The input and recurrent rescales shared by every row of gate
        /// block `b` (0…3: i, o, f, c), nil where the rows differ (per-row
        /// weight scales): then the kernel reads them from per-row tables.
        public func uniformRescales(block b: Int) -> (input: IntegerLSTMParameters.Rescale, recurrent: IntegerLSTMParameters.Rescale)? {
            let H = parameters.hiddenSize, rows = (b * H)..<((b + 1) * H)
            let x = parameters.inputRescale[rows.lowerBound], h = parameters.recurrentRescale[rows.lowerBound]
            guard parameters.inputRescale[rows].allSatisfy({ $0 == x }), parameters.recurrentRescale[rows].allSatisfy({ $0 == h }) else { return nil }
            return (x, h)
        }
        /// Whether some gate block needs the per-row rescale tables.
        public var needsRowRescales: Bool {
            (kind == .gru && parameters.linearBeforeReset) || (0..<kind.gateCount).contains { uniformRescales(block: $0) == nil }
        }
        /// Bounds on |input sum| and |recurrent sum| over every row and
        /// every int8 input, as this layer's kernel computes them.
        public var sumBounds: (input: Int64, recurrent: Int64) {
            let p = parameters, folded = recurrentBias != nil
            var bx: Int64 = 0, bh: Int64 = 0
            for r in 0..<rows {
                let wx = p.inputWeights[(r * p.inputSize)..<((r + 1) * p.inputSize)].reduce(Int64(0)) { $0 + abs(Int64($1)) }
                let wh = p.recurrentWeights[(r * p.hiddenSize)..<((r + 1) * p.hiddenSize)].reduce(Int64(0)) { $0 + abs(Int64($1)) }
                // Inputs less their zero points lie in ±255; raw int8 in ±128.
                bx = max(bx, abs(Int64(inputBias[r])) + wx * (folded ? 128 : 255))
                bh = max(bh, abs(Int64(recurrentBias?[r] ?? 0)) + wh * (folded ? 128 : 255))
            }
            return (bx, bh)
        }
        /// Gate block `b` may take the short rescale: every row's shifts
        /// are ≤ 0 and every sum is below 2^30 in magnitude.
        public func narrowGates(block b: Int) -> Bool {
            let H = parameters.hiddenSize, rows = (b * H)..<((b + 1) * H)
            guard (parameters.inputRescale[rows] + parameters.recurrentRescale[rows]).allSatisfy({ $0.shift <= 0 }) else { return false }
            let (bx, bh) = sumBounds
            return bx < 1 << 30 && bh < 1 << 30
        }
        /// The cell update may take the short rescale: its three shifts are ≤ 0
        /// (its products are always below 2^30).
        public var narrowCell: Bool {
            [parameters.forgetTimesCell, parameters.inputTimesCandidate, parameters.outputTimesTanh].allSatisfy { $0.shift <= 0 }
        }
        public var hiddenSize: Int { parameters.hiddenSize }
        public var inputSize: Int { parameters.inputSize }
        public var rows: Int { parameters.rows }
        public var kind: CellKind { parameters.kind }
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
        let parameters = try model.quantizedCells.enumerated().map { k, pair in
            do { return try IntegerLSTMParameters(cell: pair.cell, quantization: pair.quantization) } catch let error as RNNError {
                throw RNNError(at: "model \(Quote.text(model.name)): layer \(k) \(error.location ?? "")", error.message)
            }
        }
        var packing = Self.packing(for: options.target)
        // The DSP's and Helium's row blocks are the LSTM's; GRU and RNN layers
        // (rows not a multiple of four, a GRU's candidate rows apart) take
        // the plain layout there.
        if (packing == .pairs || packing == .bytes), parameters.contains(where: { $0.kind != .lstm }) { packing = .rows }
        // Folding the zero points is exact while no sum can leave int32;
        // otherwise the zero points are subtracted from the inputs.
        // Row blocks need whole-row products: a GRU with the reset before the product has a partial one.
        if packing == .unsignedBlocks, parameters.contains(where: { $0.kind == .gru && !$0.linearBeforeReset }) { packing = .unsignedBytes }
        if packing.foldsZeroPoints, !parameters.allSatisfy({ Self.foldsZeroPoints($0, offset: packing.inputOffset) }) {
            packing = .rows
        }
        self.packing = packing
        // Helium's int16 rows read eight columns at a time.
        columnMultiple = packing.foldsZeroPoints ? 16 : options.target == .cortexM55 ? 8 : 4
        let multiple = columnMultiple
        layers = parameters.map { p in
            let inputColumns = Self.padded(p.inputSize, to: multiple), hiddenColumns = Self.padded(p.hiddenSize, to: multiple)
            var inputBias = p.bias
            var recurrentBias: [Int32]? = p.recurrentBias.contains { $0 != 0 } ? p.recurrentBias : nil
            if packing.foldsZeroPoints {
                // The inputs the sums read are x − offset·(unsigned) … folded: b − (z + offset) · row sum.
                let offset = packing.inputOffset
                let xz = Int64(p.quantization.input.zeroPoint) + offset, hz = Int64(p.quantization.hidden.zeroPoint) + offset
                inputBias = (0..<p.rows).map { r in Int32(Int64(p.bias[r]) - xz * Self.rowSum(p.inputWeights, row: r, columns: p.inputSize)) }
                recurrentBias = (0..<p.rows).map { r in Int32(Int64(p.recurrentBias[r]) - hz * Self.rowSum(p.recurrentWeights, row: r, columns: p.hiddenSize)) }
            }
            // Row blocks: rows and biases padded to 16 with zeros.
            let paddedRows = packing == .unsignedBlocks ? Self.padded(p.rows, to: 16) : p.rows
            inputBias += Array(repeating: 0, count: paddedRows - p.rows)
            recurrentBias = recurrentBias.map { $0 + Array(repeating: 0, count: paddedRows - p.rows) }
            return Layer(parameters: p, inputColumns: inputColumns, hiddenColumns: hiddenColumns,
                         inputWeights: Self.pack(p.inputWeights, rows: p.rows, columns: p.inputSize, padded: inputColumns, packing),
                         recurrentWeights: Self.pack(p.recurrentWeights, rows: p.rows, columns: p.hiddenSize, padded: hiddenColumns, packing),
                         inputBias: inputBias, recurrentBias: recurrentBias)
        }
    }

    static func rowSum(_ w: [Int8], row: Int, columns: Int) -> Int64 { w[(row * columns)..<((row + 1) * columns)].reduce(0) { $0 + Int64($1) } }

    /// Whether every sum of the layer, in any order, stays within int32 with
    /// the zero points folded into the biases (and without).
    static func foldsZeroPoints(_ p: IntegerLSTMParameters, offset: Int64) -> Bool {
        let limit = Int64(Int32.max)
        for r in 0..<p.rows {
            let xz = Int64(p.quantization.input.zeroPoint) + offset, hz = Int64(p.quantization.hidden.zeroPoint) + offset
            let folded = abs(Int64(p.bias[r]) - xz * rowSum(p.inputWeights, row: r, columns: p.inputSize)) + abs(Int64(p.bias[r])) + abs(Int64(p.recurrentBias[r]))
            guard folded + 128 * 255 * Int64(p.inputSize) < limit,
                  abs(hz * rowSum(p.recurrentWeights, row: r, columns: p.hiddenSize)) + 128 * 255 * Int64(p.hiddenSize) < limit else { return false }
        }
        return true
    }

    /// The DSP extension's dual 16-bit multiply-add on Cortex-M4 and M7.
    /// The rows the kernel computes for a layer (padded to 16 in row blocks).
    public func computedRows(_ layer: Layer) -> Int { packing == .unsignedBlocks ? Self.padded(layer.rows, to: 16) : layer.rows }

    /// How the weights are laid out and read, for reports.
    public var packingSummary: String {
        switch packing {
        case .rows: return "weights row after row, inputs less their zero points as int16, columns padded to \(columnMultiple)"
        case .pairs: return "weights in blocks of four rows for the DSP's dual 16-bit multiply-add, columns padded to \(columnMultiple)"
        case .bytes: return "raw int8 inputs with the zero points folded into the biases, sixteen products per Helium instruction, columns padded to \(columnMultiple)"
        case .unsignedBytes: return "inputs offset to unsigned bytes, the zero points folded into the biases, byte dot products (VNNI at -O3), columns padded to \(columnMultiple)"
        case .unsignedBlocks: return "inputs offset to unsigned bytes, the zero points folded into the biases, weights in blocks of 16 rows for AVX-512 VNNI, columns padded to \(columnMultiple)"
        }
    }

    public static func packing(for target: KernelTarget) -> Packing {
        switch target {
        case .cortexM4, .cortexM7: return .pairs
        case .cortexM55: return .bytes
        case .host: return .unsignedBlocks
        default: return .rows
        }
    }

    static func padded(_ n: Int, to multiple: Int) -> Int { (n + multiple - 1) / multiple * multiple }

    /// `w` (`rows × columns`, row-major) zero-padded to `padded` columns and
    /// packed. `.pairs` (rows a multiple of 4): blocks of four rows, each
    /// holding column group by column group the four rows' four bytes,
    /// ordered k, k+2, k+1, k+3.
    public static func pack(_ w: [Int8], rows: Int, columns: Int, padded: Int, _ packing: Packing) -> [Int8] {
        var out = [Int8](repeating: 0, count: (packing == .unsignedBlocks ? Self.padded(rows, to: 16) : rows) * padded)
        for r in 0..<rows {
            for k in 0..<columns {
                let at: Int
                switch packing {
                case .rows, .bytes, .unsignedBytes:
                    at = r * padded + k
                case .unsignedBlocks:
                    at = (r / 16) * 16 * padded + (k / 4) * 64 + (r % 16) * 4 + k % 4
                case .pairs:
                    let block = r / 4, row = r % 4, group = k / 4, within = k % 4
                    at = block * 4 * padded + group * 16 + row * 4 + [0, 2, 1, 3][within]
                }
                out[at] = w[r * columns + k]
            }
        }
        return out
    }

    /// One operation of the step; `IntegerCRenderer` and
    /// `IntegerSwiftRenderer` spell each as one call of their prelude.
    public enum Operation: Equatable {
        case comment(String)
        /// Where int8 values come from: the kernel's input `x`, a layer's h,
        /// or a GRU's reset h (`rh`, scratch).
        public enum Source: Equatable {
            case input
            case hidden(Int)
            case resetHidden
        }
        /// `xw = x − zero point` as int16, zero-padded.
        case widen(from: Source, count: Int, padded: Int, zeroPoint: Int, into: String)
        /// `xb = x` as int8 (`.bytes`) or x + 128 as uint8 (`.unsignedBytes`), zero-padded: the zero point is in the bias.
        case copy(from: Source, count: Int, padded: Int, into: String)
        /// `acc[rows] = bias + W·xw` (input) or `R·hw` (recurrent) over a
        /// layer's rows `rows` (all of them but for a GRU's candidate).
        case matvec(layer: Int, recurrent: Bool, input: String, into: String, rows: Range<Int>)
        /// The rows of gate block `block` (H rows each) of a layer from its
        /// two sums: sigmoid, or tanh (an LSTM's candidate c, a GRU's
        /// candidate with the reset before the product, an RNN's output).
        case gates(layer: Int, block: Int, tanh: Bool)
        /// An LSTM's cell and hidden state from its gates.
        case cell(layer: Int)
        /// A GRU with the reset before the product: `rh = r ⊙ h` at h's scale.
        case gruReset(layer: Int)
        /// A GRU with the reset after the product: its candidate n from the
        /// candidate rows' two sums and r.
        case gruCandidate(layer: Int)
        /// A GRU's h from z, n and the old h.
        case gruUpdate(layer: Int)
        /// An RNN's h from its tanh (Q0.15).
        case rnnOutput(layer: Int)
        /// `y = h` of the last layer.
        case output(layer: Int)
    }

    /// The step, decided once: per layer, its input and its previous h
    /// widened (or copied), the products, the gates, and the cell's update.
    public var step: [Operation] {
        var ops: [Operation] = []
        let bytes = packing.foldsZeroPoints
        func load(_ from: Operation.Source, _ count: Int, _ padded: Int, _ zeroPoint: Int, _ name: String) -> Operation {
            bytes ? .copy(from: from, count: count, padded: padded, into: name + "b") : .widen(from: from, count: count, padded: padded, zeroPoint: zeroPoint, into: name + "w")
        }
        for (k, layer) in layers.enumerated() {
            let q = layer.parameters.quantization, H = layer.hiddenSize, x = bytes ? "xb" : "xw", h = bytes ? "hb" : "hw"
            ops.append(.comment("layer \(k): \(layer.kind.rawValue.uppercased()) \(layer.inputSize) → \(H)\(k > 0 ? ", reading layer \(k - 1)'s h" : "")"))
            ops.append(load(k == 0 ? .input : .hidden(k - 1), layer.inputSize, layer.inputColumns, q.input.zeroPoint, "x"))
            ops.append(load(.hidden(k), H, layer.hiddenColumns, q.hidden.zeroPoint, "h"))
            ops.append(.matvec(layer: k, recurrent: false, input: x, into: "ax", rows: 0..<layer.rows))
            switch layer.kind {
            case .lstm:
                ops.append(.matvec(layer: k, recurrent: true, input: h, into: "ah", rows: 0..<layer.rows))
                for block in 0..<4 { ops.append(.gates(layer: k, block: block, tanh: block == 3)) }
                ops.append(.cell(layer: k))
            case .rnn:
                ops.append(.matvec(layer: k, recurrent: true, input: h, into: "ah", rows: 0..<layer.rows))
                ops.append(.gates(layer: k, block: 0, tanh: true))
                ops.append(.rnnOutput(layer: k))
            case .gru:
                if layer.parameters.linearBeforeReset {
                    ops.append(.matvec(layer: k, recurrent: true, input: h, into: "ah", rows: 0..<layer.rows))
                    ops.append(.gates(layer: k, block: 0, tanh: false))
                    ops.append(.gates(layer: k, block: 1, tanh: false))
                    ops.append(.gruCandidate(layer: k))
                } else {
                    ops.append(.matvec(layer: k, recurrent: true, input: h, into: "ah", rows: 0..<(2 * H)))
                    ops.append(.gates(layer: k, block: 0, tanh: false))
                    ops.append(.gates(layer: k, block: 1, tanh: false))
                    ops.append(.gruReset(layer: k))
                    ops.append(load(.resetHidden, H, layer.hiddenColumns, q.hidden.zeroPoint, "h"))
                    ops.append(.matvec(layer: k, recurrent: true, input: h, into: "ah", rows: (2 * H)..<(3 * H)))
                    ops.append(.gates(layer: k, block: 2, tanh: true))
                }
                ops.append(.gruUpdate(layer: k))
            }
        }
        ops.append(.output(layer: layers.count - 1))
        return ops
    }

    /// A GRU with the reset before the product keeps `rh` in scratch.
    public var needsResetScratch: Bool { layers.contains { $0.kind == .gru && !$0.parameters.linearBeforeReset } }

    /// The scratch the step needs: the widest widened vector and the most gate rows.
    public var widestColumns: Int { layers.map { max($0.inputColumns, $0.hiddenColumns) }.max()! }
    public var mostRows: Int { layers.map(computedRows).max()! }

    /// The weight bytes the kernel bakes: int8 matrices, int32 biases, and
    /// where rows differ, per-row multipliers (int32) and shifts (int8).
    public var weightBytes: Int {
        layers.reduce(0) { $0 + $1.inputWeights.count + $1.recurrentWeights.count + 4 * computedRows($1) * ($1.recurrentBias == nil ? 1 : 2)
            + ($1.needsRowRescales ? 10 * $1.rows : 0) }
    }

    /// The name of a layer's table: `w` and `r` weights, `b` and `br` biases, `mx`/`sx`
    /// and `mh`/`sh` the input and recurrent multipliers and shifts.
    public func table(_ kind: String, layer: Int) -> String { "\(name)_\(kind)_l\(layer)" }
}

extension IntegerKernelPlan.Packing {
    /// The layouts whose sums read raw inputs, the zero points in the biases.
    public var foldsZeroPoints: Bool { self == .bytes || self == .unsignedBytes || self == .unsignedBlocks }
    /// What the inputs are offset by before the products (unsigned bytes: 128).
    public var inputOffset: Int64 { self == .unsignedBytes || self == .unsignedBlocks ? 128 : 0 }
}
