import RNNModel

/// What the user asked `rnngen generate` for.
public struct KernelOptions: Equatable, Sendable {
    public enum Language: String, CaseIterable, Sendable { case c, swift }
    /// Weights compiled into the kernel as constant tables, or passed in at run time.
    public enum WeightsMode: String, CaseIterable, Sendable { case baked, runtime }
    /// Whether multiply-adds are fused into one rounding.
    public enum FusedMultiplyAdd: String, CaseIterable, Sendable {
        /// Fused where the compile target has FMA instructions, separate elsewhere:
        /// C decides with the preprocessor (`__FMA__`, `__ARM_FEATURE_FMA`, …),
        /// Swift fuses on arm64 (which always has them).
        case auto
        /// Always fused; on a target without FMA instructions each lane calls fmaf.
        case on
        /// Never fused: a multiply, then an add.
        case off
    }
    /// How the kernel program's vectors become code.
    public enum Lowering: String, CaseIterable, Sendable {
        /// Vector types (`rg_vec`, `SIMDn<Float>`): for cores with float
        /// SIMD registers (x86, NEON, Helium).
        case vector
        /// Every lane of a block its own scalar variable, kept in a float
        /// register: for cores without float SIMD (Cortex-M4/M7/M3, RISC-V F),
        /// where compilers lower vector types through memory. C only.
        case scalar
    }

    public var language: Language
    /// Prefix of every public symbol; an identifier.
    public var name: String
    /// Floats per SIMD vector: 4, 8 or 16; nil lets `KernelPlan` choose by
    /// the model's sizes (`KernelPlan.automaticVectorWidth`).
    public var vectorWidth: Int?
    public var weights: WeightsMode
    /// C: use the C library's expf/tanhf/log1pf instead of rnngen's approximations.
    public var useLibm: Bool
    public var fusedMultiplyAdd: FusedMultiplyAdd
    /// How weight matrices are stored; anything but f32 needs baked weights.
    public var weightType: WeightType
    /// Items `run` moves through a cell together, so each weight loaded
    /// feeds this many multiply-adds (a matrix-matrix product per step);
    /// 1 runs item after item and keeps the code smallest; nil lets
    /// `KernelPlan` choose (`KernelPlan.batchTile`: the target's, else 4, or 1 at width 4).
    public var batchTile: Int?
    /// The machine the kernel is for: its defaults for width, tile and lowering.
    public var target: KernelTarget
    /// nil: the target's (`KernelTarget.lowering`).
    public var lowering: Lowering?
    /// Sample-rate correction on every recurrent layer (`--sample-rate-delay`;
    /// `Model.withSampleRateDelay`); nil leaves the model's own.
    public var sampleRateDelay: Double?

    public static let vectorWidths = [4, 8, 16]
    public static let batchTiles = [1, 2, 4, 8]

    public init(language: Language, name: String, vectorWidth: Int? = nil, weights: WeightsMode = .baked, useLibm: Bool = false,
                fusedMultiplyAdd: FusedMultiplyAdd = .auto, weightType: WeightType = .f32, batchTile: Int? = nil,
                target: KernelTarget = .host, lowering: Lowering? = nil) {
        self.language = language
        self.name = name
        self.vectorWidth = vectorWidth
        self.weights = weights
        self.useLibm = useLibm
        self.fusedMultiplyAdd = fusedMultiplyAdd
        self.weightType = weightType
        self.batchTile = batchTile
        self.target = target
        self.lowering = lowering
    }
}
