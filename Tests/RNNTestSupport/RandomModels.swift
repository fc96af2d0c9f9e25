import RNNKernelRunner
import RNNModel
import RNNReference

/// Builds models with random weights (seeded) for differential tests.
public struct RandomModels {
    public var rng: SplitMix64

    public init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    public mutating func tensor(_ shape: [Int], scale: Double) -> Tensor {
        Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in Double(Float(rng.uniform(-scale, scale))) })
    }

    public struct CellSpec {
        public var kind: CellKind
        public var activations: [Activation]?
        public var clip: Double?
        public var cellClip: Double?
        public var inputForget: Bool
        public var forgetBias: Double
        public var linearBeforeReset: Bool
        public var peepholes: Bool
        public var projection: Int?

        public init(kind: CellKind, activations: [Activation]? = nil, clip: Double? = nil, cellClip: Double? = nil, inputForget: Bool = false,
                    forgetBias: Double = 0, linearBeforeReset: Bool = false, peepholes: Bool = false, projection: Int? = nil) {
            (self.kind, self.activations, self.clip, self.cellClip, self.inputForget) = (kind, activations, clip, cellClip, inputForget)
            (self.forgetBias, self.linearBeforeReset, self.peepholes, self.projection) = (forgetBias, linearBeforeReset, peepholes, projection)
        }
    }

    public mutating func cell(_ spec: CellSpec, inputSize I: Int, hiddenSize H: Int) -> Cell {
        let G = spec.kind.gateCount
        let Hr = spec.projection ?? H
        let scale = 1.5 / Double(I + Hr).squareRoot()
        let weights = CellWeights(
            input: tensor([G * H, I], scale: scale), recurrent: tensor([G * H, Hr], scale: scale),
            inputBias: tensor([G * H], scale: 0.5), recurrentBias: tensor([G * H], scale: 0.5),
            peephole: spec.peepholes ? tensor([3 * H], scale: 0.5) : nil,
            projection: spec.projection.map { tensor([$0, H], scale: 1 / Double(H).squareRoot()) })
        let options = CellOptions(activations: spec.activations ?? spec.kind.defaultActivations, clip: spec.clip, cellClip: spec.cellClip,
                                  inputForget: spec.inputForget, forgetBias: spec.forgetBias, linearBeforeReset: spec.linearBeforeReset)
        return Cell(kind: spec.kind, inputSize: I, hiddenSize: H, options: options, weights: weights)
    }

    public mutating func stack(_ spec: CellSpec, inputSize: Int, hiddenSizes: [Int], direction: Direction = .forward,
                        form: BidirectionalForm = .stacked, processingOrder: Bool = false) -> RecurrentStack {
        let D = direction == .bidirectional ? 2 : 1
        var layers: [RecurrentLayer] = []
        var perDirectionInput = Array(repeating: inputSize, count: D)
        var layerInput = inputSize
        for H in hiddenSizes {
            var cells: [Cell] = []
            for d in 0..<D {
                let I = direction == .bidirectional && form == .separateStacks ? perDirectionInput[d] : layerInput
                cells.append(cell(spec, inputSize: I, hiddenSize: H))
            }
            perDirectionInput = cells.map(\.outputSize)
            layerInput = perDirectionInput.reduce(0, +)
            layers.append(RecurrentLayer(cells: cells))
        }
        return RecurrentStack(direction: direction, bidirectionalForm: form, layers: layers, outputInProcessingOrder: processingOrder)
    }

    public mutating func dense(_ inputs: Int, _ outputs: Int, _ activation: DenseActivation) -> DenseLayer {
        DenseLayer(weight: tensor([outputs, inputs], scale: 1 / Double(inputs).squareRoot()), bias: tensor([outputs], scale: 0.3), activation: activation)
    }
}

/// Quantized LSTM stacks with random sizes and quantizations (seeded), for
/// the integer kernels' differential tests: half quantized by `Quantizer`
/// from random calibration data (what users get), half with quantization
/// parameters drawn at random over their whole ranges (zero points, cell
/// exponents 2^-20…2^-8, per-row scales, large biases, cell clips), the
/// weights then chosen on the grid of their row's scale.
public struct RandomQuantizedModels {
    public static func model(seed: UInt64) -> (model: Model, description: String) {
        var rng = SplitMix64(seed: seed)
        func size(_ top: Int) -> Int { Int(rng.next() % UInt64(top)) + 1 }
        let I = size(12), layers = Int(rng.next() % 3) + 1
        let hidden = (0..<layers).map { _ in rng.next() % 4 == 0 ? size(70) : size(20) }
        var models = RandomModels(seed: seed ^ 0xf00d)
        // Half LSTMs (TFLite Micro's cell), the rest GRUs of either reset and RNNs.
        let kind: CellKind = rng.next() % 2 == 0 ? .lstm : (rng.next() % 3 == 0 ? .rnn : .gru)
        let resetAfter = rng.next() % 2 == 0
        let clip: Double? = kind == .lstm && rng.next() % 4 == 0 ? [0.5, 3, 10][Int(rng.next() % 3)] : nil
        let stack = models.stack(RandomModels.CellSpec(kind: kind, cellClip: clip, linearBeforeReset: kind == .gru && resetAfter), inputSize: I, hiddenSizes: hidden)
        var model = Model(name: "q\(seed)", inputSize: I, layout: rng.next() % 4 == 0 ? .timeMajor : .batchMajor, stages: [.recurrent(stack)])
        let calibrated = rng.next() % 2 == 0
        var text = "\(kind.rawValue.uppercased())\(kind == .gru ? (resetAfter ? " (reset after)" : " (reset before)") : "") I=\(I) H=\(hidden)\(clip.map { " cell_clip \($0)" } ?? "") \(model.layout.rawValue)"
        if calibrated {
            let amplitude = [0.3, 1, 4][Int(rng.next() % 3)]
            let x = Tensor(shape: [3, 20, I], values: (0..<(60 * I)).map { _ in rng.uniform(-amplitude, amplitude) })
            model = try! Quantizer.quantize(model, calibration: [x]).model
            text += ", calibrated on ±\(amplitude)"
        } else {
            func affine() -> AffineQuantization {
                AffineQuantization(scale: Double(Float(rng.uniform(0.002, 0.05))), zeroPoint: Int(rng.next() % 256) - 128)
            }
            var previous = affine()
            var stack = model.stacks[0]
            for l in stack.layers.indices {
                var cell = stack.layers[l].cells[0]
                let rows = cell.kind.gateCount * cell.hiddenSize
                let q = CellQuantization(input: previous, hidden: affine(), cellExponent: -8 - Int(rng.next() % 13),
                                         inputWeightScales: (0..<rows).map { _ in Double(Float(rng.uniform(0.001, 0.03))) },
                                         recurrentWeightScales: (0..<rows).map { _ in Double(Float(rng.uniform(0.001, 0.03))) })
                func grid(_ w: Tensor, _ scales: [Double]) -> Tensor {
                    let columns = w.shape[1]
                    return Tensor(shape: w.shape, values: (0..<w.count).map { k in Double(Int(rng.next() % 255) - 127) * scales[k / columns] })
                }
                cell.weights.input = grid(cell.weights.input, q.inputWeightScales)
                cell.weights.recurrent = grid(cell.weights.recurrent, q.recurrentWeightScales)
                // Biases up to a few thousand accumulator steps, some far
                // larger, some beyond 2^29 (the kernels' long rescale).
                let big = [3e3, 1e6, 6e8][Int(rng.next() % 3)]
                cell.weights.inputBias = Tensor(shape: [rows], values: (0..<rows).map { r in
                    (rng.uniform(-big, big)).rounded() * (q.input.scale * q.inputWeightScales[r]) })
                // A GRU with the reset after the product keeps R's candidate bias apart.
                let H = cell.hiddenSize
                cell.weights.recurrentBias = Tensor(shape: [rows], values: (0..<rows).map { r in
                    cell.kind == .gru && cell.options.linearBeforeReset && r >= 2 * H ? rng.uniform(-2000, 2000).rounded() * (q.hidden.scale * q.recurrentWeightScales[r]) : 0 })
                cell.quantization = q
                stack.layers[l].cells[0] = cell
                previous = q.hidden
            }
            model.stages = [.recurrent(stack)]
            text += ", random quantization"
        }
        return (model, text)
    }
}
