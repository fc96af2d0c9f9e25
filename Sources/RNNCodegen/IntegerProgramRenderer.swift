import RNNModel

/// One run of an integer kernel that `rnngen verify` compares with the
/// integer interpreter: int8 sequences through `run` (and the final states
/// by stepping each item), or real ones through the float step.
public struct IntegerCase: Equatable {
    public var name: String
    public var batch: Int
    public var steps: Int
    /// int8 inputs in the model's layout; empty for a real-valued case.
    public var x: [Int8]
    public var lengths: [Int]
    /// Real inputs (float32) for one sequence through the float step; empty for an int8 case.
    public var real: [Float]

    public init(name: String, batch: Int, steps: Int, x: [Int8], lengths: [Int]) {
        self.name = name
        self.batch = batch
        self.steps = steps
        self.x = x
        self.lengths = lengths
        self.real = []
    }

    public init(name: String, steps: Int, real: [Float]) {
        self.name = name
        self.batch = 1
        self.steps = steps
        self.x = []
        self.lengths = [steps]
        self.real = real
    }

    public var isReal: Bool { !real.isEmpty }
}

/// The self-contained program that runs an integer kernel on its cases and
/// prints every output (ints in decimal, floats as hex bits) for the host to
/// compare: the same program for the host and every emulated target.
public enum IntegerProgramRenderer {
    public static let caseMarker = "rnngen-integer-case"
    public static let endMarker = "rnngen-integer-end"

    static func list<T>(_ values: [T], _ spell: (T) -> String) -> String {
        stride(from: 0, to: values.count, by: 24).map { values[$0..<min($0 + 24, values.count)].map(spell).joined(separator: ", ") }.joined(separator: ",\n    ")
    }

    /// One C program for several kernels, each on its cases: it prints
    /// `rnngen-integer-case NAME INDEX`, then the case's lines.
    public static func c(_ runs: [(plan: IntegerKernelPlan, cases: [IntegerCase])]) -> String {
        var out = ["/* Runs rnngen's integer kernels on their verification cases; prints every output. */",
                   "#include <stdio.h>", "#include <stdint.h>", "#include <string.h>"]
        out += runs.map { "#include \"\($0.plan.name).h\"" }
        out.append("""

        static void print_ints(const char *label, const int8_t *v8, const int16_t *v16, int count)
        {
            printf("%s", label);
            for (int k = 0; k < count; ++k) printf(" %d", v8 ? (int)v8[k] : (int)v16[k]);
            printf("\\n");
        }

        """)
        var body: [String] = []
        for (plan, cases) in runs {
            let (declarations, statements) = c(plan, cases: cases)
            out += declarations
            body += statements
        }
        out.append("int main(void)\n{")
        out += body
        out.append("    printf(\"\(endMarker)\\n\");")
        out.append("    return 0;\n}\n")
        return out.joined(separator: "\n")
    }

    static func c(_ plan: IntegerKernelPlan, cases: [IntegerCase]) -> (declarations: [String], statements: [String]) {
        let n = plan.name, I = plan.inputSize, O = plan.outputSize
        let timeMajor = plan.model.layout == .timeMajor
        var out: [String] = []
        var body: [String] = []
        for (index, c) in cases.enumerated() {
            if c.isReal {
                out.append("static const float \(n)_real\(index)[\(c.real.count)] = {\n    \(list(c.real) { Literal.cFloat($0) })\n};")
                body.append("""
                    {
                        \(n)_state state;
                        \(n)_reset(&state);
                        printf("\(caseMarker) \(n) \(index)\\nyf");
                        for (int t = 0; t < \(c.steps); ++t) {
                            float y[\(O)];
                            \(n)_step_float(&state, \(n)_real\(index) + t * \(I), y);
                            for (int j = 0; j < \(O); ++j) { uint32_t bits; memcpy(&bits, &y[j], 4); printf(" %08lx", (unsigned long)bits); }
                        }
                        printf("\\n");
                    }
                """)
                continue
            }
            let B = c.batch, T = c.steps
            out.append("static const int8_t \(n)_x\(index)[\(max(c.x.count, 1))] = {\n    \(c.x.isEmpty ? "0" : list(c.x) { String($0) })\n};")
            out.append("static const int32_t \(n)_lengths\(index)[\(B)] = { \(c.lengths.map(String.init).joined(separator: ", ")) };")
            out.append("static int8_t \(n)_y\(index)[\(max(B * T * O, 1))];")
            let offset = timeMajor ? "((long)t * \(B) + b) * \(I)" : "((long)b * \(T) + t) * \(I)"
            var states: [String] = []
            for (k, layer) in plan.layers.enumerated() {
                states.append("            print_ints(\"h\(k)\", state.h_l\(k), 0, \(layer.hiddenSize));")
                if layer.kind == .lstm { states.append("            print_ints(\"c\(k)\", 0, state.c_l\(k), \(layer.hiddenSize));") }
            }
            body.append("""
                {
                    printf("\(caseMarker) \(n) \(index)\\n");
                    \(n)_run(\(n)_x\(index), \(n)_y\(index), \(B), \(T), \(n)_lengths\(index));
                    print_ints("y", \(n)_y\(index), 0, \(B * T * O));
                    for (int b = 0; b < \(B); ++b) {
                        \(n)_state state;
                        int8_t scratch[\(O)];
                        \(n)_reset(&state);
                        for (int t = 0; t < \(n)_lengths\(index)[b]; ++t) \(n)_step(&state, \(n)_x\(index) + \(offset), scratch);
            \(states.joined(separator: "\n"))
                    }
                }
            """)
        }
        return (out, body)
    }

    /// One Swift program (main.swift beside the kernels' files) for several kernels.
    public static func swift(_ runs: [(plan: IntegerKernelPlan, cases: [IntegerCase])]) -> String {
        var out = ["// Runs rnngen's integer kernels on their verification cases; prints every output.", ""]
        out.append("""
        // One value at a time, no String.count: Embedded Swift has no Unicode tables.
        func printInts<S: Sequence>(_ label: StaticString, _ values: S) where S.Element: BinaryInteger {
            print(label, terminator: "")
            for v in values { print(" " + String(Int(v)), terminator: "") }
            print("")
        }

        func printHex(_ bits: UInt32) {
            let hex = String(bits, radix: 16)
            print(" " + String(repeating: "0", count: 8 - hex.utf8.count) + hex, terminator: "")
        }

        """)
        for (plan, cases) in runs { out += swift(plan, cases: cases) }
        // A library-style program (-parse-as-library), so it builds as Embedded Swift too.
        out.append("@main\nstruct IntegerProgram {\n    static func main() {")
        out += runs.map { "        run\(SwiftTypeName.derive($0.plan.name))()" }
        out.append("        print(\"\(endMarker)\")\n    }\n}")
        return out.joined(separator: "\n") + "\n"
    }

    static func swift(_ plan: IntegerKernelPlan, cases: [IntegerCase]) -> [String] {
        let T = SwiftTypeName.derive(plan.name), I = plan.inputSize, O = plan.outputSize, n = plan.name
        let timeMajor = plan.model.layout == .timeMajor
        var out = ["func run\(T)() {"]
        for (index, c) in cases.enumerated() {
            if c.isReal {
                out.append("""
                do {
                    let real: [Float] = [\(list(c.real) { String($0) })]
                    var kernel = \(T)()
                    print("\(caseMarker) \(n) \(index)")
                    print("yf", terminator: "")
                    for t in 0..<\(c.steps) {
                        var x = InlineArray<\(I), Float>(repeating: 0)
                        for k in 0..<\(I) { x[k] = real[t * \(I) + k] }
                        let y = kernel.step(real: x)
                        for j in 0..<\(O) { printHex(y[j].bitPattern) }
                    }
                    print("")
                }
                """)
                continue
            }
            let B = c.batch, S = c.steps
            let offset = timeMajor ? "(t * \(B) + b) * \(I)" : "(b * \(S) + t) * \(I)"
            var states: [String] = []
            for (k, layer) in plan.layers.enumerated() {
                states.append("            printInts(\"h\(k)\", (0..<kernel.state.hL\(k).count).map { kernel.state.hL\(k)[$0] })")
                if layer.kind == .lstm { states.append("            printInts(\"c\(k)\", (0..<kernel.state.cL\(k).count).map { kernel.state.cL\(k)[$0] })") }
            }
            out.append("""
            do {
                let x: [Int8] = [\(c.x.isEmpty ? "" : list(c.x) { String($0) })]
                let lengths: [Int32] = [\(c.lengths.map(String.init).joined(separator: ", "))]
                var y = [Int8](repeating: 0, count: \(B * S * O))
                print("\(caseMarker) \(n) \(index)")
                x.withUnsafeBufferPointer { xp in
                    lengths.withUnsafeBufferPointer { lp in
                        y.withUnsafeMutableBufferPointer { yp in
                            \(T).run(x: xp.baseAddress ?? UnsafePointer(bitPattern: 1)!, y: yp.baseAddress ?? UnsafeMutablePointer(bitPattern: 1)!, batch: \(B), steps: \(S), sequenceLengths: lp.baseAddress)
                        }
                    }
                }
                printInts("y", y)
                for b in 0..<\(B) {
                    var kernel = \(T)()
                    var scratch = [Int8](repeating: 0, count: \(O))
                    for t in 0..<Int(lengths[b]) {
                        x.withUnsafeBufferPointer { xp in scratch.withUnsafeMutableBufferPointer { sp in kernel.step(x: xp.baseAddress! + \(offset), y: sp.baseAddress!) } }
                    }
            \(states.joined(separator: "\n"))
                }
            }
            """)
        }
        out.append("}")
        return out
    }
}
