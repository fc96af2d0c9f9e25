// The kernel templates, embedded into the generator at build time so the
// rnngen binary needs no files beside it. The templates themselves are the
// *.tmpl files in c/ and swift/.

/// Templates by file name (`kernel.c.tmpl` → `"kernel.c"`), for RNNCodegen.
public enum KernelTemplates {
    public static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    public static let c: [String: String] = [
        "kernel.h": text(PackageResources.kernel_h_tmpl),
        "kernel.c": text(PackageResources.kernel_c_tmpl),
        "prelude.c": text(PackageResources.prelude_c_tmpl),
        "exp_log_approx.c": text(PackageResources.exp_log_approx_c_tmpl),
        "exp_log_libm.c": text(PackageResources.exp_log_libm_c_tmpl),
        "tanh_approx.c": text(PackageResources.tanh_approx_c_tmpl),
        "tanh_libm.c": text(PackageResources.tanh_libm_c_tmpl),
        "activations_generic.c": text(PackageResources.activations_generic_c_tmpl),
        // Helium (Cortex-M55) activations.
        "activations_helium.c": text(PackageResources.activations_helium_c_tmpl),
        "harness.c": text(PackageResources.harness_c_tmpl),
        "harness_entry.c": text(PackageResources.harness_entry_c_tmpl),
        "bench.c": text(PackageResources.bench_c_tmpl),
        "target_bench.c": text(PackageResources.target_bench_c_tmpl),
        "fma.c": text(PackageResources.fma_c_tmpl),
        "widen.c": text(PackageResources.widen_c_tmpl),
        "widen_f16.c": text(PackageResources.widen_f16_c_tmpl),
        "widen_bf16.c": text(PackageResources.widen_bf16_c_tmpl),
        "widen_i8.c": text(PackageResources.widen_i8_c_tmpl),
        // The scalar lowering (cores without float SIMD).
        "prelude_scalar.c": text(PackageResources.prelude_scalar_c_tmpl),
        "training_rows.c": text(PackageResources.training_rows_c_tmpl),
        "exp_log_scalar.c": text(PackageResources.exp_log_scalar_c_tmpl),
        "exp_log_libm_scalar.c": text(PackageResources.exp_log_libm_scalar_c_tmpl),
        "tanh_scalar.c": text(PackageResources.tanh_scalar_c_tmpl),
        "tanh_libm_scalar.c": text(PackageResources.tanh_libm_scalar_c_tmpl),
        "fma_scalar.c": text(PackageResources.fma_scalar_c_tmpl),
        "widen_scalar.c": text(PackageResources.widen_scalar_c_tmpl),
        // Integer kernels: TFLite Micro's int8 LSTM arithmetic.
        "integer_prelude.c": text(PackageResources.integer_prelude_c_tmpl),
        "target_bench_integer.c": text(PackageResources.target_bench_integer_c_tmpl),
        "bench_integer.c": text(PackageResources.bench_integer_c_tmpl),
        // Not templates but plain files, for the Cortex-M target programs of
        // rnngen verify --target and rnngen size (and the embedded examples).
        "cortex_m_startup.c": text(PackageResources.cortex_m_startup_c_tmpl),
        "cortex_m.ld": text(PackageResources.cortex_m_ld_tmpl),
        "embedded_swift_support.c": text(PackageResources.embedded_swift_support_c_tmpl),
    ]

    public static let swift: [String: String] = [
        "kernel.swift": text(PackageResources.kernel_swift_tmpl),
        "prelude.swift": text(PackageResources.prelude_swift_tmpl),
        "harness.swift": text(PackageResources.harness_swift_tmpl),
        "harness_entry.swift": text(PackageResources.harness_entry_swift_tmpl),
        "bench.swift": text(PackageResources.bench_swift_tmpl),
        "widen.swift": text(PackageResources.widen_swift_tmpl),
        "widen_f16.swift": text(PackageResources.widen_f16_swift_tmpl),
        "widen_bf16.swift": text(PackageResources.widen_bf16_swift_tmpl),
        "widen_i8.swift": text(PackageResources.widen_i8_swift_tmpl),
        "integer_prelude.swift": text(PackageResources.integer_prelude_swift_tmpl),
        "training_prelude.swift": text(PackageResources.training_prelude_swift_tmpl),
    ]
}
