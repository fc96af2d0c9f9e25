import RNNModel

/// The text every Swift kernel starts with: the vector type, `multiplyAdd`
/// for the fusing rule, the activations, and the loaders of narrow weights.
extension SwiftRenderer {
    /// The vector helpers and activations every Swift kernel starts with; public so tests can measure them.
    public static func prelude(vectorWidth width: Int, fusedMultiplyAdd: KernelOptions.FusedMultiplyAdd = .auto) -> String {
        let fused = "@inline(__always) fileprivate func multiplyAdd(_ a: V, _ b: V, _ c: V) -> V { c.addingProduct(a, b) }"
        let separate = "@inline(__always) fileprivate func multiplyAdd(_ a: V, _ b: V, _ c: V) -> V { a * b + c }"
        let fma: String
        switch fusedMultiplyAdd {
        case .auto:
            fma = """
            /// a·b + c: fused (one instruction, one rounding) on arm64, which always has
            /// FMA; elsewhere a multiply and an add, since Swift cannot ask whether the
            /// target has FMA and a fused lane without it is a call to fmaf.
            /// (`rnngen generate --fma on` fuses everywhere: x86-64-v3 and later.)
            #if arch(arm64)
            \(fused)
            #else
            \(separate)
            #endif
            """
        case .on:
            fma = "/// a·b + c, fused (rnngen generate --fma on): one instruction where the target has FMA.\n" + fused
        case .off:
            fma = "/// a·b + c, never fused (rnngen generate --fma off).\n" + separate
        }
        return Template(swift: "prelude.swift").render(["W": "\(width)", "FMA": fma])
    }

    /// The loader of narrow weight matrices (`loadF16`, …), or nothing for f32.
    func widening() -> String {
        let type = plan.weightType
        guard type != .f32 else { return "" }
        let loader = Template(swift: type.storage.template! + ".swift").render(["W": "\(width)"])
        return "\n" + Template(swift: "widen.swift").render(["TYPE": type.rawValue, "LOADER": loader])
    }
}
