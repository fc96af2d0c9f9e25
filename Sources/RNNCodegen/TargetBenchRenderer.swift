import RNNModel

/// Renders the program `rnngen bench --target` runs on an emulated core: the
/// kernel's `step` and the naive C step of `BenchmarkRenderer` timed with a
/// board timer that runs on QEMU's virtual time, calibrated in the same
/// program. It prints, one line each (ticks, never floats):
///
///     rnngen-bench calibration INSTRUCTIONS TICKS INSTRUCTIONS TICKS
///     rnngen-bench overhead STEPS TICKS
///     rnngen-bench kernel STEPS TICKS
///     rnngen-bench naive STEPS TICKS
///     rnngen-bench agreement FLOAT-BITS
///     rnngen-end
public enum TargetBenchRenderer {
    /// A timer that counts QEMU's virtual time on a board.
    public enum Timer: String, Sendable {
        /// The MPS2 boards' CMSDK APB timer 0 at 0x40000000: counts down at
        /// 25 MHz, one tick per 40 instructions under -icount shift=0.
        case cmsdkAPB
        /// The MPS3 AN547's SSE-300 system counter: enabled through its
        /// control frame at 0x58100000, read at 0x48101000; 32 MHz, one tick
        /// per 31.25 instructions.
        case sse300Counter
        /// RISC-V's mcycle CSR, which QEMU advances with virtual time.
        case riscvCycle

        var code: String {
            switch self {
            case .cmsdkAPB:
                return """
                /* CMSDK APB timer 0 (MPS2): CTRL, VALUE, RELOAD; it counts down from RELOAD. */
                #define TIMER0 ((volatile uint32_t *)0x40000000u)
                static void timer_start(void)
                {
                    TIMER0[0] = 0u;
                    TIMER0[2] = 0xffffffffu;
                    TIMER0[1] = 0xffffffffu;
                    TIMER0[0] = 1u;
                }
                static uint32_t timer_ticks(void) { return 0xffffffffu - TIMER0[1]; }
                """
            case .sse300Counter:
                return """
                /* SSE-300 system counter (MPS3 AN547): CNTCR at the control frame enables
                 * it; the read frame's CNTCV holds the count (its low word suffices). */
                static void timer_start(void) { *(volatile uint32_t *)0x58100000u = 1u; }
                static uint32_t timer_ticks(void) { return *(volatile uint32_t *)0x48101000u; }
                """
            case .riscvCycle:
                return """
                /* RISC-V mcycle (low word): QEMU advances it with virtual time. */
                static void timer_start(void) {}
                static uint32_t timer_ticks(void)
                {
                    uint32_t v;
                    __asm__ volatile("csrr %0, mcycle" : "=r"(v));
                    return v;
                }
                """
            }
        }

        var spin: String {
            switch self {
            case .cmsdkAPB, .sse300Counter: return "    __asm__ volatile(\"1: subs %0, %0, #1\\n\\tbne 1b\" : \"+r\"(n) : : \"cc\");"
            case .riscvCycle: return "    __asm__ volatile(\"1: addi %0, %0, -1\\n\\tbnez %0, 1b\" : \"+r\"(n));"
            }
        }
    }

    /// Iterations of the two calibration loops.
    public static let spinShort = 100_000, spinLong = 300_000

    public static func render(_ plan: KernelPlan, timer: Timer, steps: Int) -> String {
        Template(c: "target_bench.c").render([
            "NAME": plan.name,
            "TIMER": timer.code,
            "SPIN": timer.spin,
            "SPIN_SHORT": "\(spinShort)",
            "SPIN_LONG": "\(spinLong)",
            "STEPS": "\(steps)",
            "NAIVE": BenchmarkRenderer.naiveLoop(plan.model),
        ])
    }

    /// The integer kernel `quantized` against the float kernel `float` of
    /// the same model: `kernel` is the integer step, `float` the float step.
    public static func render(_ quantized: IntegerKernelPlan, float: KernelPlan, timer: Timer, steps: Int) -> String {
        Template(c: "target_bench_integer.c").render([
            "Q": quantized.name,
            "QN": quantized.name.uppercased(),
            "F": float.name,
            "TIMER": timer.code,
            "SPIN": timer.spin,
            "SPIN_SHORT": "\(spinShort)",
            "SPIN_LONG": "\(spinLong)",
            "STEPS": "\(steps)",
        ])
    }
}
