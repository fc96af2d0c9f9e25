import RNNModel

/// One golden case: a kernel call's inputs and the reference interpreter's
/// outputs for them, computed when the kernel is generated. Rendered into a
/// self-checking file that runs the kernel on the inputs and compares with
/// the outputs using the same tolerance rule as `rnngen verify`.
public struct GoldenCase {
    public var inputs: KernelCase
    public var y: [Float]
    public var finalState: [Float]
    public var head: [Float]?
    public var name: String { inputs.name }

    public init(inputs: KernelCase, y: [Float], finalState: [Float], head: [Float]?) {
        self.inputs = inputs
        self.y = y
        self.finalState = finalState
        self.head = head
    }
}

/// Renders golden-vector checks for a kernel: `NAME_golden.h/.c` for C, a
/// `NAMEGolden` enum (optionally with an XCTest case) for Swift. Both need
/// nothing beyond the kernel itself, so they run on a microcontroller too.
public enum GoldenRenderer {
    public static let absoluteTolerance = 1e-4
    public static let relativeTolerance = 1e-4

    public static func c(_ plan: KernelPlan, cases: [GoldenCase]) -> [(file: String, text: String)] {
        let name = plan.name
        let header = """
        /* \(name)_golden: golden vectors for the \(name) kernel, computed by rnngen's reference
         * interpreter when the kernel was generated. Do not edit; regenerate with
         * rnngen generate MODEL --lang c --golden --name \(name) */
        #ifndef \(name.uppercased())_GOLDEN_H
        #define \(name.uppercased())_GOLDEN_H

        /* Runs the kernel on every golden case and compares each output with the
         * reference: |kernel - reference| <= 1e-4 + 1e-4 * |reference|, NaN where the
         * reference has NaN. Returns the number of outputs beyond it (0 = pass) and
         * stores the largest error / tolerance in *worst (may be NULL). */
        int \(name)_golden_failures(float *worst);

        /* Number of golden cases, and the name of case i, for reports. */
        int \(name)_golden_case_count(void);
        const char *\(name)_golden_case_name(int i);

        #endif
        """
        var lines: [String] = []
        lines.append("""
        /* \(name)_golden.c: golden vectors for the \(name) kernel (see \(name)_golden.h). Do not edit. */
        #include "\(name)_golden.h"
        #include "\(name).h"

        static int golden_check(const float *got, const float *want, int n, float *worst)
        {
            int failures = 0;
            for (int k = 0; k < n; ++k) {
                const float r = want[k], g = got[k];
                const int r_nan = r != r, g_nan = g != g;
                if (r_nan || g_nan) { failures += r_nan != g_nan; continue; }
                const float e = g > r ? g - r : r - g;
                const float allowed = \(Literal.cFloat(Float(absoluteTolerance))) + \(Literal.cFloat(Float(relativeTolerance))) * (r < 0 ? -r : r);
                if (worst && e / allowed > *worst) *worst = e / allowed;
                failures += e > allowed;
            }
            return failures;
        }

        """)
        lines += KernelCaseRenderer.cBuffers(plan, cases.map(\.inputs)) + [""]
        var names: [String] = []
        var bodies: [String] = []
        let weights = plan.options.weights == .baked ? "" : "\(name)_golden_weights, "
        if plan.options.weights == .runtime {
            lines.append(KernelCaseRenderer.cArray("\(name)_golden_weights", plan.weights, attributes: "__attribute__((aligned(64))) "))
        }
        for (index, c) in cases.enumerated() {
            names.append(c.name)
            let p = "case\(index)"
            lines += KernelCaseRenderer.cInputs(c.inputs, prefix: p)
            lines.append(KernelCaseRenderer.cArray("\(p)_y", c.y))
            lines.append(KernelCaseRenderer.cArray("\(p)_final", c.finalState))
            if let head = c.head { lines.append(KernelCaseRenderer.cArray("\(p)_head", head)) }
            var body = ["    /* \(c.name) */", "    {"]
            body += KernelCaseRenderer.cRun(plan, c.inputs, prefix: p, weights: weights)
            body.append("        failures += golden_check(out_y, \(p)_y, \(c.y.count), worst);")
            body.append("        failures += golden_check(out_final, \(p)_final, \(c.finalState.count), worst);")
            if let head = c.head { body.append("        failures += golden_check(out_head, \(p)_head, \(head.count), worst);") }
            body.append("    }")
            bodies.append(body.joined(separator: "\n"))
        }
        lines.append("""

        int \(name)_golden_failures(float *worst)
        {
            int failures = 0;
            if (worst) *worst = 0.0f;
        \(bodies.joined(separator: "\n"))
            return failures;
        }

        int \(name)_golden_case_count(void) { return \(cases.count); }

        const char *\(name)_golden_case_name(int i)
        {
            static const char *const names[\(max(names.count, 1))] = {\(names.map { "\"\($0)\"" }.joined(separator: ", "))};
            return i >= 0 && i < \(names.count) ? names[i] : "";
        }
        """)
        return [("\(name)_golden.h", header + "\n"), ("\(name)_golden.c", lines.joined(separator: "\n") + "\n")]
    }

    /// - Parameters: `module`: the module that holds the kernel, imported
    ///   when the check lives elsewhere (a test target); `xctest`: also emit an
    ///   XCTestCase that asserts the check passes.
    public static func swift(_ plan: KernelPlan, cases: [GoldenCase], module: String?, xctest: Bool) -> [(file: String, text: String)] {
        let name = plan.name, type = plan.swiftTypeName
        var lines: [String] = ["""
        // \(name)Golden.swift: golden vectors for the \(name) kernel, computed by rnngen's
        // reference interpreter when the kernel was generated. Do not edit.
        """]
        if xctest { lines.append("import XCTest") }
        if let module { lines.append("import \(module)") }
        lines.append("\n" + KernelCaseRenderer.swiftScratchFunction)
        let weightsArg = plan.options.weights == .baked ? "" : "weights: w, "
        if plan.options.weights == .runtime { lines.append(KernelCaseRenderer.swiftArray("\(name)GoldenWeights", plan.weights)) }
        var bodies: [String] = []
        for (index, c) in cases.enumerated() {
            let p = "\(name)Golden\(index)"
            lines += KernelCaseRenderer.swiftInputs(c.inputs, prefix: p)
            lines.append(KernelCaseRenderer.swiftArray("\(p)Y", c.y))
            lines.append(KernelCaseRenderer.swiftArray("\(p)Final", c.finalState))
            if let head = c.head { lines.append(KernelCaseRenderer.swiftArray("\(p)Head", head)) }
            var body = ["        // \(c.name)"]
            body += KernelCaseRenderer.swiftScratchScope(plan, c.inputs)
            body += KernelCaseRenderer.swiftRun(plan, c.inputs, prefix: p, weights: weightsArg)
            body.append("            \(p)Y.span.withUnsafeBufferPointer { compare(y, $0.baseAddress!, \(c.y.count), &failures, &worst) }")
            body.append("            \(p)Final.span.withUnsafeBufferPointer { compare(finalState, $0.baseAddress!, \(c.finalState.count), &failures, &worst) }")
            if let head = c.head { body.append("            \(p)Head.span.withUnsafeBufferPointer { compare(head, $0.baseAddress!, \(head.count), &failures, &worst) }") }
            body.append("        }")
            bodies.append(body.joined(separator: "\n"))
        }
        let weightsPrelude = plan.options.weights == .runtime
            ? "        \(name)GoldenWeights.span.withUnsafeBufferPointer { table in\n        let w = table.baseAddress!\n" : ""
        let weightsEnd = plan.options.weights == .runtime ? "\n        }" : ""
        lines.append("""

        /// Golden-vector check of the \(type) kernel: runs it on \(cases.count) cases (\(cases.map(\.name).joined(separator: "; "))) and
        /// compares with the reference interpreter's outputs: |kernel − reference| ≤ 1e-4 + 1e-4·|reference|,
        /// NaN where the reference has NaN.
        public enum \(type)Golden {
            /// The number of output values beyond the tolerance (0 = pass) and the largest error / tolerance.
            public static func check() -> (failures: Int, worstRatio: Float) {
                var failures = 0
                var worst: Float = 0
        \(weightsPrelude)\(bodies.joined(separator: "\n"))\(weightsEnd)
                return (failures, worst)
            }

            static func compare(_ got: UnsafePointer<Float>, _ want: UnsafePointer<Float>, _ count: Int, _ failures: inout Int, _ worst: inout Float) {
                for k in 0..<count {
                    let g = got[k], r = want[k]
                    if g.isNaN || r.isNaN {
                        if g.isNaN != r.isNaN { failures += 1 }
                        continue
                    }
                    let error = abs(g - r), allowed: Float = \(Literal.float(Float(absoluteTolerance))) + \(Literal.float(Float(relativeTolerance))) * abs(r)
                    worst = max(worst, error / allowed)
                    if error > allowed { failures += 1 }
                }
            }
        }
        """)
        if xctest {
            lines.append("""

            final class \(type)GoldenTests: XCTestCase {
                func testKernelMatchesTheReferenceInterpreter() {
                    let result = \(type)Golden.check()
                    XCTAssertEqual(result.failures, 0, "\(name): \\(result.failures) output values beyond 1e-4 + 1e-4·|reference| (worst error/tolerance \\(result.worstRatio))")
                }
            }
            """)
        }
        return [("\(name)Golden.swift", lines.joined(separator: "\n") + "\n")]
    }
}

