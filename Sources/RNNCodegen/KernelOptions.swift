import RNNModel

/// What the user asked `rnngen generate` for.
public struct KernelOptions: Equatable, Sendable {
    public enum Language: String, CaseIterable, Sendable { case c, swift }
    /// Weights compiled into the kernel as constant tables, or passed in at run time.
    public enum WeightsMode: String, CaseIterable, Sendable { case baked, runtime }

    public var language: Language
    /// Prefix of every public symbol; an identifier.
    public var name: String
    /// Floats per SIMD vector: 4, 8 or 16.
    public var vectorWidth: Int
    public var weights: WeightsMode
    /// C: use the C library's expf/tanhf/log1pf instead of rnngen's approximations.
    public var useLibm: Bool
    /// Swift: accumulate with fused multiply-adds (`addProduct`). Fast on
    /// targets with FMA instructions (x86-64-v3, Armv8, Cortex-M4F); elsewhere
    /// each lane calls libm's fmaf. C compilers fuse on their own.
    public var fusedMultiplyAdd = false

    public static let vectorWidths = [4, 8, 16]

    public init(language: Language, name: String, vectorWidth: Int = 8, weights: WeightsMode = .baked, useLibm: Bool = false) {
        self.language = language
        self.name = name
        self.vectorWidth = vectorWidth
        self.weights = weights
        self.useLibm = useLibm
    }
}
