import RNNModel

/// The text every C kernel starts with: the vector type, `RG_FMA`, the
/// activations for the target, and the loaders of narrow weights.
extension CRenderer {
    /// The vector type, helpers and activations every C kernel starts with
    /// (`rg_vec`, `rg_exp`, `rg_tanh`, …); public so tests can measure them.
    /// `helium`: the activations in MVE intrinsics (`KernelPlan.heliumActivations`).
    public static func prelude(vectorWidth width: Int, useLibm libm: Bool, fusedMultiplyAdd: KernelOptions.FusedMultiplyAdd = .auto,
                                   scalar: Bool = false, helium: Bool = false) -> String {
        if scalar {
            return Template(c: "prelude_scalar.c").render([
                "FMA": fma(fusedMultiplyAdd, vectorWidth: 1, scalar: true),
                "EXP_LOG": Template(c: libm ? "exp_log_libm_scalar.c" : "exp_log_scalar.c").render([:]),
                "TANH": Template(c: libm ? "tanh_libm_scalar.c" : "tanh_scalar.c").render([:]),
            ])
        }
        return Template(c: "prelude.c").render([
            "FMA": fma(fusedMultiplyAdd, vectorWidth: width),
            "W": "\(width)",
            "VBYTES": "\(width * 4)",
            // The x86 extension whose registers hold one vector.
            "SHARED_ISA": width == 16 ? "__AVX512F__" : width == 8 ? "__AVX__" : "__SSE2__",
            "SPLAT": Array(repeating: "s", count: width).joined(separator: ", "),
            "FUNCTIONS": helium ? Template(c: "activations_helium.c").render([:]) : Template(c: "activations_generic.c").render([
                "EXP_LOG": Template(c: libm ? "exp_log_libm.c" : "exp_log_approx.c").render(libm ? ["W": "\(width)"] : [:]),
                "TANH": Template(c: libm ? "tanh_libm.c" : "tanh_approx.c").render(libm ? ["W": "\(width)"] : [:]),
            ]),
        ])
    }

    /// Helium's fused multiply-add on a whole vector of four floats.
    static let mve = """
        #  if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 2)
        /* Helium (Cortex-M55): one vfma.f32 on a q register at every optimisation
         * level; GCC would otherwise move fmaf's lanes in and out one at a time. */
        #    include <arm_mve.h>
        #    define RG_FMA(a, b, c) ((rg_vec)vfmaq_f32((float32x4_t)(c), (float32x4_t)(a), (float32x4_t)(b)))
        #  endif

        """

    /// The `RG_FMA` macro for the options' fusing rule.
    static func fma(_ mode: KernelOptions.FusedMultiplyAdd, vectorWidth width: Int, scalar: Bool = false) -> String {
        let (when, condition): (String, String)
        switch mode {
        case .auto:
            when = "Fused where the compile target has FMA instructions (x86\n * with FMA3, Armv8, Cortex-M4F/M7, RISC-V F), whatever the C standard flag;\n * separate elsewhere, or everywhere if RG_NO_FMA is defined. Where"
            condition = "!defined(RG_NO_FMA) && (defined(__FMA__) || defined(__ARM_FEATURE_FMA) || defined(__FP_FAST_FMAF) || \\\n    (defined(__riscv_flen) && __riscv_flen >= 32))"
        case .on:
            when = "Always fused (rnngen generate --fma on): on a target\n * without FMA instructions each \(scalar ? "one" : "lane") calls fmaf (link with -lm). Where"
            condition = "1"
        case .off:
            when = "Never fused (rnngen generate --fma off). Where"
            condition = "0"
        }
        return scalar ? Template(c: "fma_scalar.c").render(["WHEN": when, "CONDITION": condition])
            : Template(c: "fma.c").render(["WHEN": when, "CONDITION": condition, "W": "\(width)", "MVE": width == 4 ? mve : ""])
    }

    /// The loader of narrow weight matrices (`RG_LOAD_F16`, …), or nothing for f32.
    func widening() -> String {
        let type = plan.weightType
        guard type != .f32 else { return "" }
        if plan.lowering == .scalar {
            return Template(c: "widen_scalar.c").render(["TYPE": type.rawValue, "LOADER": CRenderer.scalarLoader(type)])
        }
        // Each type's template, with what its target-specific loaders need.
        let values: [String: String]
        switch type {
        case .f32: return ""
        case .f16: values = ["W": "\(width)", "HBYTES": "\(width * 2)", "VBYTES": "\(width * 4)", "F16C": CRenderer.f16c(width)]
        case .i8: values = ["W": "\(width)", "HBYTES": "\(width * 2)", "X86": CRenderer.signExtension(width)]
        case .bf16: values = ["VBYTES": "\(width * 4)"]
        }
        let loader = Template(c: type.storage.template! + ".c").render(values)
        return Template(c: "widen.c").render(["TYPE": type.rawValue, "W": "\(width)", "BYTES": "\(width * type.bytes)", "LOADER": loader])
    }

    /// The scalar lowering's loader of one narrow weight.
    static func scalarLoader(_ type: WeightType) -> String {
        switch type {
        case .f32: return ""
        case .i8: return "/* int8s are exact in float; the row scales are applied to the sums. */\n#define RG_LOAD_I8(p) ((float)*(p))"
        case .f16:
            return """
            /* The half sign-extended and shifted up 13 bits has its sign in bit 31
             * and its exponent and mantissa where a float's go; masked, that is the
             * float w·2^-112, so one multiply by 2^112 makes it w. rnngen stores no
             * subnormal, infinite or NaN halves, so this is exact.                 */
            RG_INLINE float rg_load_f16(const uint16_t *p)
            {
                return rg_float(((uint32_t)(int32_t)(int16_t)*p << 13) & 0x8fffe000u) * 0x1p112f;
            }
            #define RG_LOAD_F16(p) rg_load_f16(p)
            """
        case .bf16:
            return """
            /* Each 32-bit word holds two columns' bfloat16s, column j in the low half
             * and j + 1 in the high half: column j (part 0) is the word shifted up,
             * column j + 1 (part 1) the word masked.                                */
            #define RG_LOAD_BF16(p, part) RG_LOAD_BF16_##part(p)
            #define RG_LOAD_BF16_0(p) rg_float(*(p) << 16)
            #define RG_LOAD_BF16_1(p) rg_float(*(p) & 0xffff0000u)
            """
        }
    }

    /// `RG_LOAD_F16` with the F16C intrinsics for one vector width.
    static func f16c(_ width: Int) -> String {
        switch width {
        case 4: return "#  define RG_LOAD_F16(p) ((rg_vec)_mm_cvtph_ps(_mm_loadl_epi64((const __m128i *)(p))))"
        case 8: return "#  define RG_LOAD_F16(p) ((rg_vec)_mm256_cvtph_ps(_mm_load_si128((const __m128i *)(p))))"
        default:
            return """
            #  if defined(__AVX512F__)
            #    define RG_LOAD_F16(p) ((rg_vec)_mm512_cvtph_ps(_mm256_load_si256((const __m256i *)(p))))
            #  else
            \(joined("#    define RG_LOAD_F16(p)", low: "_mm256_cvtph_ps(_mm_load_si128((const __m128i *)(p)))",
                     high: "_mm256_cvtph_ps(_mm_load_si128((const __m128i *)(p) + 1))"))
            #  endif
            """
        }
    }

    /// A 16-float load macro made of two 8-float AVX halves (x86 without AVX-512).
    static func joined(_ define: String, low: String, high: String) -> String {
        """
        \(define) __extension__ ({ \\
                const __m256 low_ = \(low); \\
                const __m256 high_ = \(high); \\
                rg_vec v_; \\
                __builtin_memcpy(&v_, &low_, 32); \\
                __builtin_memcpy((char *)&v_ + 32, &high_, 32); \\
                v_; })
        """
    }

    /// `RG_LOAD_I8` with the x86 sign-extension intrinsics for one vector width.
    static func signExtension(_ width: Int) -> String {
        switch width {
        case 4:
            return """
            #if defined(__SSE4_1__)
            #  include <immintrin.h>
            #  define RG_LOAD_I8(p) __extension__ ({ \\
                    int32_t word_; \\
                    __builtin_memcpy(&word_, (p), 4); \\
                    (rg_vec)_mm_cvtepi32_ps(_mm_cvtepi8_epi32(_mm_cvtsi32_si128(word_))); })
            """
        case 8:
            return """
            #if defined(__AVX2__)
            #  include <immintrin.h>
            #  define RG_LOAD_I8(p) ((rg_vec)_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(p)))))
            """
        default:
            return """
            #if defined(__AVX512F__)
            #  include <immintrin.h>
            #  define RG_LOAD_I8(p) ((rg_vec)_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_load_si128((const __m128i *)(p)))))
            #elif defined(__AVX2__)
            #  include <immintrin.h>
            \(joined("#  define RG_LOAD_I8(p)", low: "_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(p))))",
                     high: "_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)((p) + 8))))"))
            """
        }
    }
}
