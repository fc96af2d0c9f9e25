import RNNModel

/// One golden case: inputs and the reference interpreter's outputs for them,
/// computed when the kernel is generated. Rendered into a self-checking file
/// that runs the kernel on the inputs and compares with the outputs using the
/// same tolerance rule as `rnngen verify`.
public struct GoldenCase {
    public var name: String
    /// Through `step` (streaming, every step of one item) instead of `run`.
    public var streaming: Bool
    public var batch: Int
    public var steps: Int
    public var x: [Float]
    public var sequenceLengths: [Int32]?
    /// Flattened `[batch][stateFloats]`, or nil for zeros.
    public var initialState: [Float]?
    public var y: [Float]
    public var finalState: [Float]
    public var head: [Float]?

    public init(name: String, streaming: Bool, batch: Int, steps: Int, x: [Float], sequenceLengths: [Int32]?, initialState: [Float]?,
                y: [Float], finalState: [Float], head: [Float]?) {
        self.name = name
        self.streaming = streaming
        self.batch = batch
        self.steps = steps
        self.x = x
        self.sequenceLengths = sequenceLengths
        self.initialState = initialState
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

    static func cArray(_ name: String, _ values: [Float], attributes: String = "") -> String {
        "static const float \(attributes)\(name)[\(max(values.count, 1))] = {" + (values.isEmpty ? "0.0f" : values.map(Literal.cFloat).joined(separator: ", ")) + "};"
    }

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

        #define GOLDEN_WORKSPACE_STEPS \(cases.map(\.steps).max() ?? 1)

        static float golden_check(const float *got, const float *want, int n, float *worst)
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
            return (float)failures;
        }

        """)
        var names: [String] = []
        var bodies: [String] = []
        let weights = plan.options.weights == .baked ? "" : "\(name)_golden_weights, "
        if plan.options.weights == .runtime {
            lines.append(cArray("\(name)_golden_weights", plan.weights, attributes: "__attribute__((aligned(64))) "))
        }
        for (index, c) in cases.enumerated() {
            names.append(c.name)
            let p = "case\(index)"
            lines.append(cArray("\(p)_x", c.x))
            lines.append(cArray("\(p)_y", c.y))
            lines.append(cArray("\(p)_final", c.finalState))
            if let initial = c.initialState { lines.append(cArray("\(p)_initial", initial)) }
            if let lengths = c.sequenceLengths {
                lines.append("static const int32_t \(p)_lengths[\(lengths.count)] = {" + lengths.map(String.init).joined(separator: ", ") + "};")
            }
            if let head = c.head { lines.append(cArray("\(p)_head", head)) }
            let O = plan.outputSize, S = plan.stateFloats
            var body: [String] = ["    {"]
            body.append("        static float y[\(max(c.y.count, 1))], final_state[\(max(c.finalState.count, 1))]\(c.head != nil ? ", head[\(c.head!.count)]" : "");")
            if c.streaming {
                body.append("        \(name)_state state;")
                body.append(c.initialState != nil ? "        \(name)_set_state(&state, \(p)_initial);" : "        \(name)_reset(&state);")
                body.append("        for (int t = 0; t < \(c.steps); ++t) \(name)_step(\(weights)&state, \(p)_x + t * \(plan.inputSize), y + t * \(O));")
                body.append("        \(name)_get_state(&state, final_state);")
                if c.head != nil { body.append("        \(name)_head(\(weights)&state, head);") }
            } else {
                body.append("        static float workspace[\(name)_WORKSPACE_FLOATS(GOLDEN_WORKSPACE_STEPS)];")
                body.append("        \(name)_run(\(weights)\(p)_x, \(c.batch), \(c.steps), \(c.sequenceLengths != nil ? "\(p)_lengths" : "0"), \(c.initialState != nil ? "\(p)_initial" : "0"), y, final_state, \(c.head != nil ? "head, " : (plan.head != nil ? "0, " : ""))workspace);")
            }
            body.append("        failures += (int)golden_check(y, \(p)_y, \(c.y.count), worst);")
            body.append("        failures += (int)golden_check(final_state, \(p)_final, \(c.batch * S), worst);")
            if c.head != nil { body.append("        failures += (int)golden_check(head, \(p)_head, \(c.head!.count), worst);") }
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

    static func swiftArray(_ name: String, _ values: [Float]) -> String {
        "fileprivate let \(name): InlineArray<\(max(values.count, 1)), Float> = [" + (values.isEmpty ? "0" : values.map(Literal.float).joined(separator: ", ")) + "]"
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
        lines.append("""

        /// Stack scratch of `count` floats: an InlineArray, never the heap.
        @inline(__always) fileprivate func withScratch<let count: Int, R>(_ type: InlineArray<count, Float>.Type, _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
            var storage = InlineArray<count, Float>(repeating: 0)
            return withUnsafeMutablePointer(to: &storage) { raw in
                UnsafeMutableRawPointer(raw).withMemoryRebound(to: Float.self, capacity: count) { body($0) }
            }
        }
        """)
        let weightsArg = plan.options.weights == .baked ? "" : "weights: w, "
        if plan.options.weights == .runtime { lines.append(swiftArray("\(name)GoldenWeights", plan.weights)) }
        var bodies: [String] = []
        for (index, c) in cases.enumerated() {
            let p = "\(name)Golden\(index)"
            lines.append(swiftArray("\(p)X", c.x))
            lines.append(swiftArray("\(p)Y", c.y))
            lines.append(swiftArray("\(p)Final", c.finalState))
            if let initial = c.initialState { lines.append(swiftArray("\(p)Initial", initial)) }
            if let lengths = c.sequenceLengths {
                lines.append("fileprivate let \(p)Lengths: InlineArray<\(lengths.count), Int32> = [" + lengths.map(String.init).joined(separator: ", ") + "]")
            }
            if let head = c.head { lines.append(swiftArray("\(p)Head", head)) }
            var body: [String] = []
            body.append("        // \(c.name)")
            let scratch = c.y.count + c.finalState.count + (c.head?.count ?? 0) + (c.streaming ? 0 : c.steps * plan.workspaceFloatsPerStep)
            body.append("        withScratch(InlineArray<\(max(scratch, 1)), Float>.self) { scratch in")
            body.append("            let y = scratch, finalState = y + \(c.y.count), head = finalState + \(c.finalState.count), workspace = head + \(c.head?.count ?? 0)")
            body.append("            _ = head; _ = workspace")
            body.append("            \(p)X.span.withUnsafeBufferPointer { x in")
            var close = ["            }"]
            if let _ = c.initialState {
                body.append("            \(p)Initial.span.withUnsafeBufferPointer { initial in")
                close.insert("            }", at: 0)
            }
            if c.sequenceLengths != nil {
                body.append("            \(p)Lengths.span.withUnsafeBufferPointer { lengths in")
                close.insert("            }", at: 0)
            }
            if c.streaming {
                body.append("                var model = \(type)(\(c.initialState != nil ? "state: \(type).State(flattened: initial.baseAddress!)" : ""))")
                body.append("                for t in 0..<\(c.steps) { model.step(\(weightsArg)x: x.baseAddress! + t * \(plan.inputSize), y: y + t * \(plan.outputSize)) }")
                body.append("                model.state.flatten(into: finalState)")
                if c.head != nil { body.append("                model.head(\(weightsArg)into: head)") }
            } else {
                let headArg = plan.head != nil ? "head: \(c.head != nil ? "head" : "nil"), " : ""
                body.append("                \(type).run(\(weightsArg)x: x.baseAddress!, batch: \(c.batch), steps: \(c.steps), sequenceLengths: \(c.sequenceLengths != nil ? "lengths.baseAddress!" : "nil"), initialState: \(c.initialState != nil ? "initial.baseAddress!" : "nil"), y: y, finalState: finalState, \(headArg)workspace: workspace)")
            }
            body += close
            body.append("            \(p)Y.span.withUnsafeBufferPointer { compare(y, $0.baseAddress!, \(c.y.count), &failures, &worst) }")
            body.append("            \(p)Final.span.withUnsafeBufferPointer { compare(finalState, $0.baseAddress!, \(c.batch * plan.stateFloats), &failures, &worst) }")
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

