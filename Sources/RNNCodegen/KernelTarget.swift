/// The machine a kernel is generated for, as far as generation cares: which
/// lowering suits its floating-point unit, how many lanes a block holds,
/// whether `run` tiles items. `rnngen generate --target T` starts from these
/// defaults; every option given on the command line overrides its part.
/// (`RNNKernelRunner.Target` adds what building and running on it takes.)
public enum KernelTarget: String, CaseIterable, Sendable {
    /// This machine, or any desktop or server CPU: wide vectors, tiles.
    case host
    /// Cortex-M4F: FPv4 single precision with fused multiply-add, no SIMD.
    case cortexM4 = "cortex-m4"
    /// Cortex-M7: FPv5 with fused multiply-add, dual issue, no SIMD.
    case cortexM7 = "cortex-m7"
    /// Cortex-M55: Helium (MVE), four float lanes per vector.
    case cortexM55 = "cortex-m55"
    /// Cortex-M3: no FPU; floats are library calls.
    case cortexM3 = "cortex-m3"
    /// RISC-V rv32imafc: single-precision FPU with fused multiply-add, no vectors.
    case rv32
    /// AArch64 (NEON, four float lanes per register): the host's defaults.
    case aarch64

    /// A microcontroller: code size matters more than batch throughput.
    public var isMicrocontroller: Bool { ![.host, .aarch64].contains(self) }

    /// How the kernel program is spelled for this core.
    public var lowering: KernelOptions.Lowering {
        switch self {
        case .cortexM4, .cortexM7, .cortexM3, .rv32: return .scalar
        case .host, .cortexM55, .aarch64: return .vector
        }
    }

    /// Helium (MVE) with floats: the vector kernel's activations are spelled
    /// in its intrinsics (`KernelPlan.heliumActivations`).
    public var hasHelium: Bool { self == .cortexM55 }

    /// Floats per vector (or scalar lanes per block) when the user gives
    /// none; nil leaves it to the model's sizes (`KernelPlan.automaticVectorWidth`).
    /// Cores without float SIMD keep four units' gates in scalar registers:
    /// 16 accumulators for an LSTM block, half the 32 single-precision
    /// registers of FPv4/FPv5 and RISC-V F, so nothing spills. Helium
    /// registers hold four floats. AArch64 keeps the host's choice: its 32
    /// NEON registers hold the wider vectors' accumulators.
    public var defaultWidth: Int? { isMicrocontroller ? 4 : nil }

    /// `run`'s batch tile when the user gives none; nil leaves it to the plan.
    /// A microcontroller streams one item: tiles would only add code.
    public var defaultBatchTile: Int? { isMicrocontroller ? 1 : nil }

    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
