import Foundation
import XCTest
import RNNCodegen
import RNNTestSupport
@testable import RNNKernelRunner

/// The kernels' activation approximations, measured against double-precision
/// libm over a dense sweep of float inputs: every 97th bit pattern of the
/// positive finite floats, both signs (about 44 million inputs per function
/// in C, 4 million in Swift). Each must stay within the bound stated here and
/// in docs/kernels.md; NaN must give NaN; ±infinity must saturate.
final class ActivationAccuracyTests: XCTestCase {
    /// Stated maximum errors: absolute over every input, relative where |f(x)| ≥ 1e-30.
    static let bounds: [String: (absolute: Double, relative: Double)] = [
        "exp": (.infinity, 1.2e-7),      // on [-87, 88], where it is not clamped; unbounded output
        "sigmoid": (1e-7, 1.5e-7),
        "tanh": (1e-7, 2.5e-7),
        "softplus": (.infinity, 3.5e-7), // unbounded output: the relative bound is the statement
        "elu": (5e-8, 1e-7),
        "log1p": (1e-7, 3e-7),           // on [0, 1]
    ]

    /// What both C sweeps start with: the error bookkeeping against libm.
    static let sweepPrelude = """
    #include <float.h>
    #include <math.h>
    #include <stdio.h>
    #include <string.h>

    struct stat { const char *name; double abs, rel, worst; };

    static void note(struct stat *s, double x, double got, double want)
    {
        if (isnan(want) || isnan(got)) { if (isnan(want) != isnan(got)) { s->abs = INFINITY; s->worst = x; } return; }
        const double e = fabs(got - want);
        if (e > s->abs) { s->abs = e; }
        if (fabs(want) >= 1e-30 && e / fabs(want) > s->rel) { s->rel = e / fabs(want); s->worst = x; }
    }

    /* One line per function. Bare-metal programs print the doubles' bits in
     * hex (newlib's float printf needs a heap they do not set up). */
    static void report(const struct stat *s)
    {
    #ifdef RG_HEX_REPORT
        uint64_t b[3];
        memcpy(&b[0], &s->abs, 8); memcpy(&b[1], &s->rel, 8); memcpy(&b[2], &s->worst, 8);
        printf("%s 0x%08lx%08lx 0x%08lx%08lx 0x%08lx%08lx\\n", s->name, (unsigned long)(b[0] >> 32), (unsigned long)b[0],
               (unsigned long)(b[1] >> 32), (unsigned long)b[1], (unsigned long)(b[2] >> 32), (unsigned long)b[2]);
    #else
        printf("%s %.9g %.9g %.9g\\n", s->name, s->abs, s->rel, s->worst);
    #endif
    }
    """

    static let sweepC = sweepPrelude + """

    static float from_bits(uint32_t b) { float f; memcpy(&f, &b, 4); return f; }

    int main(int argc, char **argv)
    {
        const uint32_t stride = (uint32_t)(argc > 1 ? atoi(argv[1]) : RG_STRIDE);
        struct stat s_exp = {"exp", 0, 0, 0}, s_sig = {"sigmoid", 0, 0, 0}, s_tanh = {"tanh", 0, 0, 0},
                    s_sp = {"softplus", 0, 0, 0}, s_elu = {"elu", 0, 0, 0}, s_log = {"log1p", 0, 0, 0};
        float xs[W];
        int n = 0;
        for (uint64_t bits = 0; bits < 0x7f800000u; bits += stride) {
            for (int sign = 0; sign < 2; ++sign) {
                xs[n++] = sign ? -from_bits((uint32_t)bits) : from_bits((uint32_t)bits);
                if (n < W) continue;
                n = 0;
                rg_vec x; memcpy(&x, xs, sizeof x);
                rg_vec e = x; rg_exp(&e);
                rg_vec sg = x; rg_sigmoid(&sg);
                rg_vec th = x; rg_tanh(&th);
                rg_vec sp = x; rg_softplus(&sp);
                rg_vec el = x; rg_elu(&el, 1.0f);
                rg_vec u = x; u = RG_SELECT(u < RG_SPLAT(0.0f), -u, u); /* |x| */
                rg_vec lg = u; rg_log1p(&lg);
                for (int k = 0; k < W; ++k) {
                    const double d = xs[k];
                    if (d >= -87.0 && d <= 88.0) note(&s_exp, d, e[k], exp(d));
                    note(&s_sig, d, sg[k], 1.0 / (1.0 + exp(-d)));
                    note(&s_tanh, d, th[k], tanh(d));
                    note(&s_sp, d, sp[k], d > 0 ? d + log1p(exp(-d)) : log1p(exp(d)));
                    note(&s_elu, d, el[k], d < 0 ? expm1(d) : d);
                    if (fabs(d) <= 1.0) note(&s_log, fabs(d), lg[k], log1p(fabs(d)));
                }
            }
        }
        struct stat *all[] = {&s_exp, &s_sig, &s_tanh, &s_sp, &s_elu, &s_log};
        for (int i = 0; i < 6; ++i) report(all[i]);
        /* NaN in, NaN out; saturation at ±infinity. */
        rg_vec v = RG_SPLAT(NAN);
        rg_vec a = v; rg_sigmoid(&a); rg_vec b = v; rg_tanh(&b); rg_vec c = v; rg_softplus(&c); rg_vec d = v; rg_elu(&d, 1.0f);
        rg_vec f = v; rg_relu(&f); rg_vec g = v; rg_hard_sigmoid(&g, 0.2f, 0.5f); rg_vec h = v; rg_thresholded_relu(&h, 1.0f);
        rg_vec i = v; rg_softsign(&i); rg_vec j = v; rg_leaky_relu(&j, 0.01f); rg_vec k2 = v; rg_scaled_tanh(&k2, 1.0f, 1.0f);
        rg_vec l = v; rg_affine(&l, 1.0f, 0.0f); rg_vec m = v; rg_clip(&m, 1.0f);
        printf("nan %d\\n", isnan(a[0]) && isnan(b[0]) && isnan(c[0]) && isnan(d[0]) && isnan(f[0]) && isnan(g[0]) && isnan(h[0])
                             && isnan(i[0]) && isnan(j[0]) && isnan(k2[0]) && isnan(l[0]) && isnan(m[0]));
        rg_vec p = RG_SPLAT(INFINITY), q = RG_SPLAT(-INFINITY);
        rg_vec sp1 = p; rg_sigmoid(&sp1); rg_vec sq1 = q; rg_sigmoid(&sq1);
        rg_vec tp = p; rg_tanh(&tp); rg_vec tq = q; rg_tanh(&tq);
        rg_vec big = RG_SPLAT(1e30f); rg_tanh(&big);
        printf("saturation %d\\n", sp1[0] == 1.0f && sq1[0] >= 0.0f && sq1[0] < 1e-37f && tp[0] == 1.0f && tq[0] == -1.0f && big[0] == 1.0f);
        return 0;
    }
    """

    func parse(_ output: String, language: String) {
        var seen: Set<String> = []
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: " ").map(String.init)
            if parts[0] == "nan" { XCTAssertEqual(parts[1], "1", "\(language): an activation does not propagate NaN"); seen.insert("nan"); continue }
            if parts[0] == "saturation" { XCTAssertEqual(parts[1], "1", "\(language): saturation at ±infinity"); seen.insert("saturation"); continue }
            guard let bound = Self.bounds[parts[0]], parts.count == 4, let abs = Self.number(parts[1]), let rel = Self.number(parts[2]) else { continue }
            seen.insert(parts[0])
            print("\(language) \(parts[0]): max abs error \(abs), max rel error \(rel) (at x = \(Self.number(parts[3]) ?? .nan))")
            XCTAssertLessThanOrEqual(abs, bound.absolute, "\(language) \(parts[0]) absolute error")
            XCTAssertLessThanOrEqual(rel, bound.relative, "\(language) \(parts[0]) relative error")
        }
        XCTAssertEqual(seen, Set(Self.bounds.keys).union(["nan", "saturation"]), "\(language): the sweep reported every function")
    }

    /// A reported number: decimal, or a double's bits in hex ("0x…").
    static func number(_ text: String) -> Double? {
        text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16).map(Double.init(bitPattern:)) : Double(text)
    }

    /// Builds a C sweep program on the host, runs it and checks its report.
    func sweepOnTheHost(_ source: String, in folder: URL, language: String) throws {
        try source.write(to: folder.appendingPathComponent("sweep.c"), atomically: true, encoding: .utf8)
        let build = try shell([Toolchain().cCompiler, "-std=c99", "-O2", "-march=native", "-Wall", "-Wextra", "sweep.c", "-o", "sweep", "-lm"], in: folder)
        XCTAssertEqual(build.status, 0, build.output)
        let run = try shell(["./sweep", "97"], in: folder)
        XCTAssertEqual(run.status, 0, run.output)
        parse(run.output, language: language)
    }

    func testCActivationsAgainstLibm() throws {
        // Width 4 with separate multiply-adds, width 8 with them fused
        // wherever this machine has FMA, width 16 with them always fused.
        for (width, fusing) in [(4, KernelOptions.FusedMultiplyAdd.off), (8, .auto), (16, .on)] {
            let folder = try temporaryFolder("sweep-c")
            let source = "#include <stdint.h>\n#include <stdlib.h>\n#define W \(width)\n#define RG_STRIDE 97\n"
                + CRenderer.prelude(vectorWidth: width, useLibm: false, fusedMultiplyAdd: fusing) + Self.sweepC
            try sweepOnTheHost(source, in: folder, language: "C (width \(width), fma \(fusing.rawValue))")
        }
    }

    /// The Cortex-M55's Helium sigmoid and tanh (and the generic rest), on
    /// the emulated core: the same sweep, every 4099th bit pattern (about a
    /// million inputs a function; QEMU runs the double libm it is measured
    /// against in software). Built at -O2 and -Os.
    func testHeliumActivationsOnTheCortexM55() throws {
        let target = try Target.named("cortex-m55")
        try requireTarget(target)
        let source = "#include <stdint.h>\n#include <stdlib.h>\n#define W 4\n#define RG_STRIDE 4099\n#define RG_HEX_REPORT 1\n"
            + CRenderer.prelude(vectorWidth: 4, useLibm: false, fusedMultiplyAdd: .auto, helium: true) + Self.sweepC
        XCTAssertTrue(source.contains("vfmasq_n_f32") && source.contains("rg_mve_reciprocal"), "the Helium versions are in the source")
        for level in ["-O2", "-Os"] {
            let folder = try temporaryFolder("sweep-helium")
            let files = [("sweep.c", Array(source.utf8))] + target.supportSources
            for (name, bytes) in files { try Data(bytes).write(to: folder.appendingPathComponent(name)) }
            let cFiles = files.map(\.0).filter { $0.hasSuffix(".c") }
            let build = try shell([target.cCompiler] + target.cFlags(level) + ["-Wno-unused-function"] + cFiles + target.linkFlags + ["-o", "sweep.elf"], in: folder)
            XCTAssertEqual(build.status, 0, build.output)
            let run = try target.emulate(folder.appendingPathComponent("sweep.elf"), marker: "saturation", timeout: 900)
            XCTAssertEqual(run.status, 0, run.printed + run.other)
            parse(run.printed, language: "C Helium on the Cortex-M55 (\(level))")
        }
    }

    /// The scalar lowering's by-value activations, over the same sweep.
    static let sweepScalarC = sweepPrelude + """

    int main(int argc, char **argv)
    {
        const uint32_t stride = (uint32_t)(argc > 1 ? atoi(argv[1]) : 97);
        struct stat s_exp = {"exp", 0, 0, 0}, s_sig = {"sigmoid", 0, 0, 0}, s_tanh = {"tanh", 0, 0, 0},
                    s_sp = {"softplus", 0, 0, 0}, s_elu = {"elu", 0, 0, 0}, s_log = {"log1p", 0, 0, 0};
        for (uint64_t bits = 0; bits < 0x7f800000u; bits += stride) {
            for (int sign = 0; sign < 2; ++sign) {
                const float x = sign ? -rg_float((uint32_t)bits) : rg_float((uint32_t)bits);
                const double d = x;
                if (d >= -87.0 && d <= 88.0) note(&s_exp, d, rg_exp(x), exp(d));
                note(&s_sig, d, rg_sigmoid(x), 1.0 / (1.0 + exp(-d)));
                note(&s_tanh, d, rg_tanh(x), tanh(d));
                note(&s_sp, d, rg_softplus(x), d > 0 ? d + log1p(exp(-d)) : log1p(exp(d)));
                note(&s_elu, d, rg_elu(x, 1.0f), d < 0 ? expm1(d) : d);
                if (fabs(d) <= 1.0) note(&s_log, fabs(d), rg_log1p(fabsf(x)), log1p(fabs(d)));
            }
        }
        struct stat *all[] = {&s_exp, &s_sig, &s_tanh, &s_sp, &s_elu, &s_log};
        for (int i = 0; i < 6; ++i) report(all[i]);
        const float v = NAN;
        printf("nan %d\\n", isnan(rg_sigmoid(v)) && isnan(rg_tanh(v)) && isnan(rg_softplus(v)) && isnan(rg_elu(v, 1.0f)) && isnan(rg_relu(v))
                             && isnan(rg_hard_sigmoid(v, 0.2f, 0.5f)) && isnan(rg_thresholded_relu(v, 1.0f)) && isnan(rg_softsign(v))
                             && isnan(rg_leaky_relu(v, 0.01f)) && isnan(rg_scaled_tanh(v, 1.0f, 1.0f)) && isnan(rg_affine(v, 1.0f, 0.0f))
                             && isnan(rg_clip(v, 1.0f)));
        printf("saturation %d\\n", rg_sigmoid(INFINITY) == 1.0f && rg_sigmoid(-INFINITY) >= 0.0f && rg_sigmoid(-INFINITY) < 1e-37f
                                    && rg_tanh(INFINITY) == 1.0f && rg_tanh(-INFINITY) == -1.0f && rg_tanh(1e30f) == 1.0f);
        return 0;
    }
    """

    /// The scalar lowering (cores without float SIMD) holds the same bounds,
    /// with multiply-adds separate and fused.
    func testScalarCActivationsAgainstLibm() throws {
        for fusing in [KernelOptions.FusedMultiplyAdd.off, .on] {
            let folder = try temporaryFolder("sweep-scalar-c")
            let source = "#include <stdint.h>\n#include <stdlib.h>\n"
                + CRenderer.prelude(vectorWidth: 1, useLibm: false, fusedMultiplyAdd: fusing, scalar: true) + Self.sweepScalarC
            try sweepOnTheHost(source, in: folder, language: "C scalar (fma \(fusing.rawValue))")
        }
    }

    static let sweepSwift = """
    import Foundation

    struct Stat { var name: String; var abs = 0.0, rel = 0.0, worst = 0.0 }
    func note(_ s: inout Stat, _ x: Double, _ got: Float, _ want: Double) {
        if want.isNaN || got.isNaN { if want.isNaN != got.isNaN { s.abs = .infinity; s.worst = x }; return }
        let e = Swift.abs(Double(got) - want)
        s.abs = max(s.abs, e)
        if Swift.abs(want) >= 1e-30 && e / Swift.abs(want) > s.rel { s.rel = e / Swift.abs(want); s.worst = x }
    }
    var stats = ["exp", "sigmoid", "tanh", "softplus", "elu", "log1p"].map { Stat(name: $0) }
    let stride = UInt32(CommandLine.arguments[1])!
    var xs = V(repeating: 0)
    var n = 0
    var bits: UInt32 = 0
    while bits < 0x7f80_0000 {
        for sign in 0..<2 {
            let f = Float(bitPattern: bits)
            xs[n] = sign == 1 ? -f : f
            n += 1
            if n < V.scalarCount { continue }
            n = 0
            let e = exp(xs), sg = sigmoid(xs), th = tanh(xs), sp = softplus(xs), el = elu(xs, 1)
            let u = float(bits(xs) & 0x7fff_ffff)
            let lg = log1p(u)
            for k in 0..<V.scalarCount {
                let d = Double(xs[k])
                if d >= -87 && d <= 88 { note(&stats[0], d, e[k], Foundation.exp(d)) }
                note(&stats[1], d, sg[k], 1 / (1 + Foundation.exp(-d)))
                note(&stats[2], d, th[k], Foundation.tanh(d))
                note(&stats[3], d, sp[k], d > 0 ? d + Foundation.log1p(Foundation.exp(-d)) : Foundation.log1p(Foundation.exp(d)))
                note(&stats[4], d, el[k], d < 0 ? Foundation.expm1(d) : d)
                if Swift.abs(d) <= 1 { note(&stats[5], Swift.abs(d), lg[k], Foundation.log1p(Swift.abs(d))) }
            }
        }
        let (next, overflow) = bits.addingReportingOverflow(stride)
        if overflow { break }
        bits = next
    }
    for s in stats { print("\\(s.name) \\(s.abs) \\(s.rel) \\(s.worst)") }
    let nan = V(repeating: .nan)
    let nans = [sigmoid(nan), tanh(nan), softplus(nan), elu(nan, 1), relu(nan), hardSigmoid(nan, 0.2, 0.5), thresholdedRelu(nan, 1),
                softsign(nan), leakyRelu(nan, 0.01), scaledTanh(nan, 1, 1), affine(nan, 1, 0), clip(nan, 1)]
    print("nan \\(nans.allSatisfy { $0[0].isNaN } ? 1 : 0)")
    let inf = V(repeating: .infinity)
    let ok = sigmoid(inf)[0] == 1 && sigmoid(-inf)[0] >= 0 && sigmoid(-inf)[0] < 1e-37 && tanh(inf)[0] == 1 && tanh(-inf)[0] == -1
        && tanh(V(repeating: 1e30))[0] == 1
    print("saturation \\(ok ? 1 : 0)")
    """

    func testSwiftActivationsAgainstLibm() throws {
        // Separate multiply-adds (auto on x86-64), then fused with FMA instructions.
        for (fusing, flags) in [(KernelOptions.FusedMultiplyAdd.auto, [String]()), (.on, ["-target-cpu", "native"])] {
            let folder = try temporaryFolder("sweep-swift")
            let source = SwiftRenderer.prelude(vectorWidth: 8, fusedMultiplyAdd: fusing).replacingOccurrences(of: "fileprivate ", with: "")
                + "\n" + Self.sweepSwift
            try source.write(to: folder.appendingPathComponent("main.swift"), atomically: true, encoding: .utf8)
            let build = try shell(["swiftc", "-O"] + flags + ["main.swift", "-o", "sweep"], in: folder)
            XCTAssertEqual(build.status, 0, build.output)
            let run = try shell(["./sweep", "997"], in: folder)
            XCTAssertEqual(run.status, 0, run.output)
            parse(run.output, language: "Swift (fma \(fusing.rawValue))")
        }
    }
}
