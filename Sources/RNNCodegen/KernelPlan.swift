import RNNModel

/// Everything the renderers need, decided once: the packed weight tables and
/// their offsets, the cells and dense layers with their padded sizes, the
/// stages in order, the state slots. Pure data computed from a Model; the C
/// and Swift renderers turn the same plan into text.
public struct KernelPlan {
    public let options: KernelOptions
    /// The model with its weight matrices as the kernel stores them
    /// (`Model.withStoredWeights`): what the kernel computes, exactly, and
    /// what `verify` runs the reference interpreter on.
    public private(set) var model: Model
    /// The model as given, before its weights were rounded to `weightType`.
    public let sourceModel: Model
    public var weightType: WeightType { options.weightType }
    /// Floats per vector: the options' width, or the automatic choice.
    public let vectorWidth: Int
    /// Independent accumulator chains per gate in matrix-vector products:
    /// two where vectors are wide (the target has the registers to hold
    /// both), one at width 4, meant for small cores with few registers, and
    /// one for Swift at width 16, where the Swift 6 toolchain breaks eight
    /// `SIMD16<Float>` accumulators into 128-bit pieces (2× slower).
    public var accumulatorChains: Int {
        lowering == .scalar || vectorWidth == 4 || (options.language == .swift && vectorWidth == 16) ? 1 : 2
    }
    /// How vectors become code: the options' lowering, or the target's. Swift
    /// kernels are always vector code (the scalar lowering is C only).
    public let lowering: KernelOptions.Lowering
    public var name: String { options.name }
    /// Whether the C kernel's activations are spelled in Helium (MVE)
    /// intrinsics: for the Cortex-M55's vector code at width 4, where GCC
    /// would move the generic versions' comparisons and divisions through
    /// the scalar FPU a lane at a time (and get some masks wrong). Not with
    /// `--libm` (its own functions). `--fma off` keeps the kernel's
    /// multiply-adds separate; the activations' own steps still fuse, as
    /// their error bounds are stated and tested for them.
    public var heliumActivations: Bool {
        options.target.hasHelium && options.language == .c && lowering == .vector && vectorWidth == 4 && !options.useLibm
    }
    /// Items `run` moves through each cell together: the options' tile, or
    /// 4 — except at vector width 4, the width meant for small cores, where
    /// flash matters more than batch throughput: there 1 (the tiled
    /// functions would add about one cell step's code per item).
    public var batchTile: Int {
        // Sample-rate correction keeps a history per item, stepped one item at a time.
        if model.hasSampleRateDelay { return 1 }
        return options.batchTile ?? options.target.defaultBatchTile ?? (vectorWidth == 4 ? 1 : 4)
    }

    /// All weights, packed, one flat float array; every table starts at a
    /// multiple of the vector width so vector loads are aligned. With a
    /// narrower weight type it holds what stays float — biases, peepholes,
    /// i8 row scales — and the matrices are in `matrixCodes`.
    public private(set) var weights: [Float] = []
    /// The weight matrices as stored, packed like `weights`: f16 bit
    /// patterns, i8 values, or 32-bit words holding two bf16 bit patterns
    /// (`columnsPerWord` columns side by side in each lane: column j in the
    /// low half, j + 1 in the high half). Empty for f32.
    public private(set) var matrixCodes: [Int] = []
    /// Matrix columns sharing one stored element of a lane (`WeightStorage.columnsPerWord`).
    public var columnsPerWord: Int { weightType.storage.columnsPerWord }
    /// Bytes of one element of `matrixCodes`.
    public var matrixElementBytes: Int { weightType.storage.elementBytes }
    /// Bytes of weights the kernel holds: what it costs in flash.
    public var weightBytes: Int { weights.count * 4 + matrixCodes.count * matrixElementBytes }
    /// Elements of a packed matrix per block, per operand column group, for `cols` columns.
    public func matrixGroups(_ cols: Int) -> Int { (cols + columnsPerWord - 1) / columnsPerWord }
    public private(set) var cells: [CellPlan] = []
    public private(set) var denses: [DensePlan] = []
    public private(set) var activations: [ActivationPlan] = []
    public private(set) var stages: [StagePlan] = []
    public private(set) var states: [StateSlot] = []

    /// Widest per-step feature vector anywhere in the pipeline (sequence buffer row stride).
    public private(set) var maxWidth: Int = 0
    public var stateFloats: Int { states.reduce(0) { $0 + $1.size } }
    public var inputSize: Int { model.inputSize }
    public var outputSize: Int { model.sequenceOutputSize }
    public var head: DensePlan? { stages.compactMap { if case .head(let d) = $0 { return d }; return nil }.first }
    /// `step` streams one time step; a reverse direction needs the whole sequence.
    public var supportsStep: Bool { !model.stacks.contains { $0.direction != .forward } }

    public static func roundUp(_ n: Int, _ w: Int) -> Int { (n + w - 1) / w * w }

    /// The vector width `auto` chooses: the widest of 16, 8 and 4 (8 and 4
    /// for Swift) that pads the model's vector-blocked sizes — every cell's
    /// hidden units, a projection's outputs, every dense layer's outputs,
    /// each weighted by the work of one of its units (a cell unit's gates
    /// times its inputs and recurrent inputs, a dense output's inputs) — by
    /// at most a quarter; if none does, the one with the fewest vector
    /// operations, a 16-float vector counting as 1¼ (one register on
    /// AVX-512 cores, two halves on AVX2), ties to the one that pads least.
    /// On the host width 4 is for models whose sizes are all 4 or less: on
    /// x86-64 a 4-float vector does a quarter of the core's work per
    /// instruction, so an LSTM of 20 with a one-output dense layer runs 1.7×
    /// faster at width 16 than at 4, and 1.4–2× wherever padding used to push
    /// the choice down to 4. aarch64 (NEON: 4 floats) keeps 4 among its
    /// choices. Weighting by work keeps a one-output dense layer (an amp
    /// model's) from deciding the width. Swift stops at 8: on x86-64, where
    /// Swift kernels multiply and add separately unless told the target has
    /// FMA, the Swift 6 toolchain breaks `SIMD16<Float>` arithmetic into
    /// 128-bit pieces, about 2× slower than width 8 at H = 64.
    public static func automaticVectorWidth(_ model: Model, language: KernelOptions.Language, target: KernelTarget = .host) -> Int {
        var sizes: [(units: Int, work: Int)] = []
        func cells(_ s: RecurrentStack) {
            for cell in s.layers.flatMap(\.cells) {
                sizes.append((cell.hiddenSize, cell.kind.gateCount * (cell.inputSize + cell.outputSize)))
                if cell.weights.projection != nil { sizes.append((cell.outputSize, cell.hiddenSize)) }
            }
        }
        for stage in model.stages {
            switch stage {
            case .dense(let d), .head(let d): sizes.append((d.outputSize, d.inputSize))
            case .recurrent(let s): cells(s)
            case .parallel(let list): list.forEach(cells)
            case .activation, .residual: break
            }
        }
        let used = sizes.reduce(0) { $0 + $1.units * $1.work }
        func padded(_ w: Int) -> Int { sizes.reduce(0) { $0 + roundUp($1.units, w) * $1.work } }
        /// Vector operations, in quarters: a 16-float vector is 5 of them, the others 4.
        func operations(_ w: Int) -> Int { sizes.reduce(0) { $0 + $1.work * (($1.units + w - 1) / w) * (w == 16 ? 5 : 4) } }
        var widths = KernelOptions.vectorWidths.sorted(by: >).filter { language == .c || $0 <= 8 }
        if target != .aarch64 && sizes.contains(where: { $0.units > 4 }) { widths.removeAll { $0 == 4 } }
        if let fits = widths.first(where: { 4 * padded($0) <= 5 * used }) { return fits }
        return widths.min { a, b in (operations(a), padded(a)) < (operations(b), padded(b)) }!
    }

    /// A packed table inside `weights`.
    public struct Table: Equatable {
        public var offset: Int
        public var count: Int
    }

    public struct CellPlan {
        public var id: String            // s0_l1_bw
        public var cell: Cell
        public var reverse: Bool
        public var I: Int, H: Int, Hr: Int
        /// Vector blocks over the hidden units and over the (projected) output.
        public var blocks: Int, outBlocks: Int
        public var Hp: Int { blocks * blocksWidth }
        public var Hrp: Int { outBlocks * blocksWidth }
        var blocksWidth: Int
        /// Gate weights over the input x: `[blocks][I][gates][lane]`.
        public var inputWeights: Table
        /// i8 only: one scale per row of each matrix, `[blocks][gates][lane]`
        /// like the biases (the projection's `[outBlocks][lane]`).
        public var inputScales: Table?, recurrentScales: Table?, candidateScales: Table?, projectionScales: Table?
        /// Gate weights over h: `[blocks][Hr][recurrentGates][lane]`.
        public var recurrentWeights: Table
        /// GRU with reset before the matmul: candidate weights over r⊙h, `[blocks][H][lane]`.
        public var candidateWeights: Table?
        /// `[blocks][gates][lane]`: Wb + Rb (+ forget_bias), except a GRU with reset
        /// after the matmul keeps the candidate's Rb apart, in `candidateBias`.
        public var bias: Table
        public var candidateBias: Table?
        /// LSTM peepholes `[blocks][3][lane]`, order i, o, f.
        public var peephole: Table?
        /// LSTM projection `[outBlocks][H][lane]`.
        public var projection: Table?
        public var gates: Int { CellTraits(cell).gates.count }
        /// Gates read from h in the first pass (GRU reset-before reads 2 there).
        public var recurrentGates: Int { CellTraits(cell).recurrentGates }
        /// Index of this cell's h and c in the state slots.
        public var hSlot: Int, cSlot: Int?
    }

    public struct DensePlan {
        public var id: String            // d0, head
        public var layer: DenseLayer
        public var inputs: Int, outputs: Int, blocks: Int
        /// `[blocks][inputs][lane]`
        public var weights: Table
        /// `[blocks][lane]`
        public var bias: Table
        /// i8 only: the rows' scales, `[blocks][lane]`.
        public var scales: Table?
        /// PReLU only: one slope per output, `[blocks][lane]`.
        public var slopes: Table?
    }

    /// A stand-alone activation over `features` floats at every step.
    public struct ActivationPlan {
        public var id: String            // a0
        public var activation: DenseActivation
        public var features: Int, blocks: Int
        /// PReLU only: one slope per feature, `[blocks][lane]`.
        public var slopes: Table?
    }

    /// Input features added to the `width` floats of the output so far.
    public struct ResidualPlan {
        /// `features[j]`: the input feature added to output j.
        public var features: [Int]
    }

    /// One stack as the renderers see it: cell ids per layer and direction.
    public struct StackPlan {
        public var index: Int
        public var stack: RecurrentStack
        /// `cells[layer][direction]` → index into `cells`.
        public var cells: [[Int]]
        public var outputSize: Int
    }

    public enum StagePlan {
        case dense(DensePlan)
        case recurrent(StackPlan)
        case parallel([StackPlan])
        case head(DensePlan)
        case activation(ActivationPlan)
        case residual(ResidualPlan)
    }

    /// One state tensor of one cell, at `offset` in the flat state vector.
    public struct StateSlot {
        public var name: StateName
        public var size: Int
        public var offset: Int
        /// Padded storage size in the state struct.
        public var paddedSize: Int
        /// Where the padded storage starts in a flat, padded state array (Swift's state storage).
        public var paddedOffset: Int
    }

    /// Floats of every state, each padded to the vector width.
    public var paddedStateFloats: Int { states.reduce(0) { $0 + $1.paddedSize } }

    public init(model: Model, options: KernelOptions) throws {
        let model = options.sampleRateDelay.map { model.withSampleRateDelay($0) } ?? model
        try model.validate()
        if let width = options.vectorWidth, !KernelOptions.vectorWidths.contains(width) {
            throw RNNError(at: "--vector-width", "\(width) is not supported (expected 4, 8, 16 or auto)")
        }
        vectorWidth = options.vectorWidth ?? options.target.defaultWidth ?? KernelPlan.automaticVectorWidth(model, language: options.language, target: options.target)
        if options.lowering == .scalar && options.language == .swift {
            throw RNNError(at: "--lowering scalar", "the scalar lowering is C only; Swift kernels use SIMD vectors (--lowering vector or auto)")
        }
        lowering = options.language == .swift ? .vector : options.lowering ?? options.target.lowering
        guard options.name.range(of: "^[A-Za-z_][A-Za-z0-9_]*$", options: .regularExpression) != nil else {
            throw RNNError(at: "--name", "'\(options.name)' is not an identifier (letters, digits and _, not starting with a digit)")
        }
        if let tile = options.batchTile, !KernelOptions.batchTiles.contains(tile) {
            throw RNNError(at: "--batch-tile \(tile)", "expected auto, 1, 2, 4 or 8")
        }
        if options.weightType != .f32 && options.weights == .runtime {
            throw RNNError(at: "--weight-type \(options.weightType.rawValue)",
                           "narrow weights are baked into the kernel; use --weights baked, or --weight-type f32 with --weights runtime")
        }
        self.options = options
        self.sourceModel = model
        self.model = model  // until its matrices are stored, below
        maxWidth = model.inputSize
        var stackIndex = 0
        var denseIndex = 0
        var width = model.inputSize
        for stage in model.stages {
            defer { width = stage.outputSize(after: width) }
            switch stage {
            case .dense(let d):
                let plan = try addDense(d, id: "d\(denseIndex)")
                denseIndex += 1
                stages.append(.dense(plan))
                maxWidth = max(maxWidth, d.outputSize)
            case .head(let d):
                stages.append(.head(try addDense(d, id: "head")))
            case .recurrent(let s):
                stages.append(.recurrent(try addStack(s, index: stackIndex)))
                stackIndex += 1
            case .parallel(let list):
                var plans: [StackPlan] = []
                for s in list {
                    plans.append(try addStack(s, index: stackIndex))
                    stackIndex += 1
                }
                stages.append(.parallel(plans))
                maxWidth = max(maxWidth, plans.reduce(0) { $0 + $1.outputSize })
            case .activation(let a):
                let blocks = (width + vectorWidth - 1) / vectorWidth
                let id = "a\(activations.count)"
                let slopes = try a.slopes.map { append(packVectors(try finite($0, "\(id) slopes"), H: width, gates: [0], blocks: blocks)) }
                let plan = ActivationPlan(id: id, activation: a, features: width, blocks: blocks, slopes: slopes)
                activations.append(plan)
                stages.append(.activation(plan))
            case .residual(let r):
                stages.append(.residual(ResidualPlan(features: (0..<width).map(r.feature(for:)))))
            }
        }
        // What the kernel computes with: each matrix as `stored` rounded it for packing.
        if weightType != .f32 {
            let values = storedValues
            self.model = model.mappingMatrices { name, t in Tensor(shape: t.shape, elementType: t.elementType, values: values[name]!) }
        }
    }

    /// The values of every matrix as stored, by the name `Model.mappingMatrices` gives it.
    private var storedValues: [String: [Double]] = [:]

    // MARK: Packing

    private mutating func append(_ values: [Float]) -> Table {
        let offset = weights.count
        weights += values
        let padded = KernelPlan.roundUp(weights.count, vectorWidth)
        weights += Array(repeating: 0, count: padded - weights.count)
        return Table(offset: offset, count: values.count)
    }

    /// A weight matrix `[G·H, cols]` packed as `[blocks][cols][gates][lane]`
    /// over rows `gates` (see `packGates`): floats into `weights` for f32,
    /// codes into `matrixCodes` otherwise, and for i8 its rows' scales into
    /// `weights` as `[blocks][gates][lane]`.
    private mutating func appendMatrix(_ m: StoredMatrix, H: Int, gates: [Int], blocks: Int) -> (matrix: Table, scales: Table?) {
        guard weightType != .f32 else {
            return (append(packGates(m.values.map { Float($0) }, cols: m.columns, H: H, gates: gates, blocks: blocks)), nil)
        }
        let offset = matrixCodes.count
        var packed = packGates(m.codes, cols: m.columns, H: H, gates: gates, blocks: blocks)
        if columnsPerWord > 1 { packed = words(packed, cols: m.columns, gates: gates.count, blocks: blocks) }
        matrixCodes += packed
        matrixCodes += Array(repeating: 0, count: KernelPlan.roundUp(matrixCodes.count, vectorWidth) - matrixCodes.count)
        let matrix = Table(offset: offset, count: packed.count)
        guard weightType.storage.rowScales else { return (matrix, nil) }
        return (matrix, append(packVectors(m.scales, H: H, gates: gates, blocks: blocks)))
    }

    /// A weight tensor `[rows, …]` as the kernel stores it.
    private mutating func stored(_ t: Tensor, _ what: String) throws -> StoredMatrix {
        _ = try finite(t, what)
        let matrix = try WeightRounding.store(t, as: weightType, what: what)
        storedValues[what] = matrix.values
        return matrix
    }

    /// Checks every weight is finite: a NaN or infinity cannot be written as a
    /// constant and would poison every output anyway.
    private func finite(_ t: Tensor, _ what: String) throws -> [Float] {
        let values = t.values.map { Float($0) }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw RNNError(at: what, "weight \(bad) is \(values[bad]); kernels need finite weights")
        }
        return values
    }

    /// Packs rows `row(g, unit)` of a `[G·H, cols]` matrix as `[blocks][cols][gates][lane]`.
    private func packGates<Element: Numeric>(_ m: [Element], cols: Int, H: Int, gates: [Int], blocks: Int) -> [Element] {
        var out: [Element] = []
        out.reserveCapacity(blocks * cols * gates.count * vectorWidth)
        for b in 0..<blocks {
            for j in 0..<cols {
                for g in gates {
                    for lane in 0..<vectorWidth {
                        let unit = b * vectorWidth + lane
                        out.append(unit < H ? m[(g * H + unit) * cols + j] : 0)
                    }
                }
            }
        }
        return out
    }

    /// Regroups `[blocks][cols][gates][lane]` codes into words of
    /// `columnsPerWord` columns, `[blocks][cols / n][gates][lane]`, column
    /// j + k at bits 8·bytes·k (a missing last column is 0).
    private func words(_ packed: [Int], cols: Int, gates: Int, blocks: Int) -> [Int] {
        let n = columnsPerWord, bits = 32 / n, groups = matrixGroups(cols)
        let mask = (1 << bits) - 1
        var out: [Int] = []
        out.reserveCapacity(blocks * groups * gates * vectorWidth)
        for b in 0..<blocks {
            for p in 0..<groups {
                for g in 0..<gates {
                    for lane in 0..<vectorWidth {
                        var word = 0
                        for k in 0..<n where p * n + k < cols {
                            let code = packed[((b * cols + p * n + k) * gates + g) * vectorWidth + lane]
                            word |= (code & mask) << (bits * k)
                        }
                        out.append(word)
                    }
                }
            }
        }
        return out
    }

    /// Packs per-gate vectors `[G·H]` as `[blocks][gates][lane]`.
    private func packVectors(_ v: [Float], H: Int, gates: [Int], blocks: Int) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(blocks * gates.count * vectorWidth)
        for b in 0..<blocks {
            for g in gates {
                for lane in 0..<vectorWidth {
                    let unit = b * vectorWidth + lane
                    out.append(unit < H ? v[g * H + unit] : 0)
                }
            }
        }
        return out
    }

    private mutating func addDense(_ d: DenseLayer, id: String) throws -> DensePlan {
        let blocks = (d.outputSize + vectorWidth - 1) / vectorWidth
        let (weightsTable, scales) = appendMatrix(try stored(d.weight, "\(id) weight"), H: d.outputSize, gates: [0], blocks: blocks)
        let b = try d.bias.map { try finite($0, "\(id) bias") } ?? Array(repeating: 0, count: d.outputSize)
        let biasTable = append(packVectors(b, H: d.outputSize, gates: [0], blocks: blocks))
        let slopes = try d.activation.slopes.map { append(packVectors(try finite($0, "\(id) slopes"), H: d.outputSize, gates: [0], blocks: blocks)) }
        let plan = DensePlan(id: id, layer: d, inputs: d.inputSize, outputs: d.outputSize, blocks: blocks,
                             weights: weightsTable, bias: biasTable, scales: scales, slopes: slopes)
        denses.append(plan)
        return plan
    }

    private mutating func addStack(_ stack: RecurrentStack, index: Int) throws -> StackPlan {
        var ids: [[Int]] = []
        for (k, layer) in stack.layers.enumerated() {
            var row: [Int] = []
            for (d, cell) in layer.cells.enumerated() {
                let reverse = stack.isReverse(direction: d)
                row.append(try addCell(cell, id: "s\(index)_l\(k)_\(reverse ? "bw" : "fw")", stack: index, layer: k, reverse: reverse))
                maxWidth = max(maxWidth, cell.inputSize)
            }
            maxWidth = max(maxWidth, layer.cells.reduce(0) { $0 + $1.outputSize })
            ids.append(row)
        }
        maxWidth = max(maxWidth, stack.outputSize)
        return StackPlan(index: index, stack: stack, cells: ids, outputSize: stack.outputSize)
    }

    private mutating func addCell(_ cell: Cell, id: String, stack: Int, layer: Int, reverse: Bool) throws -> Int {
        let I = cell.inputSize, H = cell.hiddenSize, Hr = cell.outputSize
        let blocks = (H + vectorWidth - 1) / vectorWidth, outBlocks = (Hr + vectorWidth - 1) / vectorWidth
        let w = cell.weights
        let Wx = try stored(w.input, "\(id) W"), Rh = try stored(w.recurrent, "\(id) R")
        let Wb = try finite(w.inputBias, "\(id) Wb"), Rb = try finite(w.recurrentBias, "\(id) Rb")
        let traits = CellTraits(cell)
        let G = traits.gates.count
        let all = Array(0..<G)
        // A GRU's candidate: reset before the matmul (a pass of its own over
        // r⊙h), or after (its recurrent bias kept apart).
        let lbr0 = traits.recurrentGates < G
        let lbr1 = cell.kind == .gru && !lbr0

        let (inputTable, inputScales) = appendMatrix(Wx, H: H, gates: all, blocks: blocks)
        let (recurrentTable, recurrentScales) = appendMatrix(Rh, H: H, gates: lbr0 ? [0, 1] : all, blocks: blocks)
        var candidateTable: Table?, candidateScales: Table?
        if lbr0 { (candidateTable, candidateScales) = appendMatrix(Rh, H: H, gates: [2], blocks: blocks) }

        // Biases are summed in double, as the interpreter does, then rounded once.
        var combined = [Float](repeating: 0, count: G * H)
        for r in 0..<(G * H) {
            var sum = Double(Wb[r])
            if !(lbr1 && r >= 2 * H) { sum += Double(Rb[r]) }
            if cell.kind == .lstm && r >= 2 * H && r < 3 * H { sum += cell.options.forgetBias }
            combined[r] = Float(sum)
        }
        let biasTable = append(packVectors(combined, H: H, gates: all, blocks: blocks))
        var candidateBias: Table?
        if lbr1 { candidateBias = append(packVectors(Array(Rb[(2 * H)...]), H: H, gates: [0], blocks: blocks)) }
        var peephole: Table?
        if let p = w.peephole { peephole = append(packVectors(try finite(p, "\(id) P"), H: H, gates: [0, 1, 2], blocks: blocks)) }
        var projection: Table?, projectionScales: Table?
        if let p = w.projection {
            (projection, projectionScales) = appendMatrix(try stored(p, "\(id) projection"), H: Hr, gates: [0], blocks: outBlocks)
        }

        let hName = StateName(stack: stack, layer: layer, reverse: reverse, isCell: false)
        let offset = stateFloats
        // With sample-rate correction a slot holds the cell's last m states,
        // newest first, packed (the cell steps on aligned scratch copies).
        let m = cell.stateHistory
        func padded(_ size: Int, _ blocks: Int) -> Int { m == 1 ? blocks * vectorWidth : KernelPlan.roundUp(m * size, vectorWidth) }
        states.append(StateSlot(name: hName, size: m * Hr, offset: offset, paddedSize: padded(Hr, outBlocks), paddedOffset: paddedStateFloats))
        let hSlot = states.count - 1
        var cSlot: Int?
        if traits.hasCellState {
            states.append(StateSlot(name: StateName(stack: stack, layer: layer, reverse: reverse, isCell: true),
                                    size: m * H, offset: offset + m * Hr, paddedSize: padded(H, blocks), paddedOffset: paddedStateFloats))
            cSlot = states.count - 1
        }
        cells.append(CellPlan(id: id, cell: cell, reverse: reverse, I: I, H: H, Hr: Hr, blocks: blocks, outBlocks: outBlocks,
                              blocksWidth: vectorWidth, inputWeights: inputTable,
                              inputScales: inputScales, recurrentScales: recurrentScales, candidateScales: candidateScales,
                              projectionScales: projectionScales, recurrentWeights: recurrentTable,
                              candidateWeights: candidateTable, bias: biasTable, candidateBias: candidateBias,
                              peephole: peephole, projection: projection, hSlot: hSlot, cSlot: cSlot))
        return cells.count - 1
    }

    /// The head's input: final h of the top layer of the last recurrent stage, per stack and direction.
    public var headSources: [Int] {
        for stage in stages.reversed() {
            switch stage {
            case .recurrent(let s): return s.cells.last!
            case .parallel(let list): return list.flatMap { $0.cells.last! }
            default: continue
            }
        }
        return []
    }

    /// One piece of the head's input: `count` floats of the h in state slot
    /// `slot` go to `offset` of the input.
    public struct HeadPiece: Equatable {
        public var slot: Int
        public var offset: Int
        public var count: Int
    }

    /// How the head's input is gathered from the state, for the C and Swift
    /// `head` and `run` alike: the head sources' h, side by side.
    public var headGather: [HeadPiece] {
        var offset = 0
        return headSources.map { index in
            let c = cells[index]
            defer { offset += c.Hr }
            return HeadPiece(slot: c.hSlot, offset: offset, count: c.Hr)
        }
    }
}
