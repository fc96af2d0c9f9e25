import RNNKernelRunner
import RNNModel

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
