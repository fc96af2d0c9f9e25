import Foundation
import XCTest
import RNNCodegen
import RNNKernelRunner
import RNNModel
import RNNTestSupport

/// `process` over a buffer of interleaved frames is `step` on each frame in
/// turn, bit for bit: outputs and the state after, in one block, in uneven
/// blocks, and in place where the model has as many outputs as inputs. In C
/// (vector and scalar lowering) and in Swift (pointer, buffer and span forms).
final class BlockProcessTests: XCTestCase {
    /// Models with every kind of stage: the amp files (skip connections,
    /// several inputs and outputs, PReLU, stand-alone activations, dense
    /// only), parallel stacks and a head from the examples.
    func models() throws -> [(name: String, model: Model)] {
        var list: [(String, Model)] = []
        for name in ["agam_gru7_3knobs_2outputs", "agam_lstm20_skip", "rtn_torch_lstm12_prelu", "rtn_keras_gru_reset_before_prelu",
                     "rtn_keras_dense_only", "rtn_keras_lstm12_in_skip"] {
            let path = Recorded.cases("audio").first { $0.lastPathComponent == name }!.appendingPathComponent("model.json").path
            list.append((name, try JSONModelFile.load(contentsOf: path, name: name).model))
        }
        for name in ["seed_two_gru_encoders", "binary_seq_rnn"] {
            list.append((name, try ModelDescription.load(contentsOf: Repository.path("models/\(name)/model.rnn.json"))))
        }
        return list
    }

    static let frames = 37

    /// Inputs for `frames` frames: a signal and knobs, deterministic.
    static func input(_ features: Int) -> [Float] {
        (0..<(frames * features)).map { k -> Float in
            let tone: Double = sin(Double(k) * 0.37) * 0.9
            let knob: Double = (Double(k % 5) - 2) * 0.05
            return Float(tone + knob)
        }
    }

    func testProcessEqualsStepInC() throws {
        let folder = try temporaryFolder("process-c")
        var calls: [String] = []
        var sources: [String] = []
        for (name, model) in try models() {
            for lowering in [KernelOptions.Lowering.vector, .scalar] {
                let kernel = "\(name)_\(lowering.rawValue)"
                var options = KernelOptions(language: .c, name: kernel)
                options.lowering = lowering
                for file in try KernelGenerator.generate(model, options: options) {
                    try Data(file.contents).write(to: folder.appendingPathComponent(file.name))
                    if file.name.hasSuffix(".c") { sources.append(file.name) }
                }
                calls.append(check(kernel, index: calls.count, inputs: model.inputSize, outputs: model.sequenceOutputSize))
            }
        }
        let includes = sources.map { "#include \"\($0.dropLast(2)).h\"" }.joined(separator: "\n")
        let program = """
        #include <stdio.h>
        #include <string.h>
        \(includes)
        static int failures = 0;
        static void expect(int same, const char *name, const char *what) {
            if (!same) { printf("%s: %s differs\\n", name, what); failures++; }
        }
        \(calls.joined(separator: "\n"))
        int main(void) {
        \(calls.indices.map { "    check_\($0)();" }.joined(separator: "\n"))
            printf("checked %d kernels, %d failures\\n", \(calls.count), failures);
            return failures != 0;
        }
        """
        try program.write(to: folder.appendingPathComponent("main.c"), atomically: true, encoding: .utf8)
        let build = try shell([Toolchain().cCompiler, "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "main.c"] + sources + ["-o", "check", "-lm"], in: folder)
        XCTAssertEqual(build.status, 0, build.output)
        let run = try shell(["./check"], in: folder)
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertTrue(run.output.contains("checked \(calls.count) kernels, 0 failures"), run.output)
    }

    /// One kernel's C check: step per frame, then process in one block, in
    /// blocks of 5 and the rest, and in place where I = O.
    func check(_ kernel: String, index: Int, inputs: Int, outputs: Int) -> String {
        let n = Self.frames
        let x = Self.input(inputs).map { "\($0)f" }.joined(separator: ", ")
        return """
        static void check_\(index)(void) {
            static const float x[\(n * inputs)] = {\(x)};
            static float by_step[\(n * outputs)], by_block[\(n * outputs)], by_pieces[\(n * outputs)], in_place[\(n * max(inputs, outputs))];
            \(kernel)_state a, b, c, d;
            \(kernel)_reset(&a); \(kernel)_reset(&b); \(kernel)_reset(&c); \(kernel)_reset(&d);
            for (int f = 0; f < \(n); ++f) \(kernel)_step(&a, x + f * \(inputs), by_step + f * \(outputs));
            \(kernel)_process(&b, x, by_block, \(n));
            \(kernel)_process(&c, x, by_pieces, 5);
            \(kernel)_process(&c, x + 5 * \(inputs), by_pieces + 5 * \(outputs), \(n - 5));
            expect(memcmp(by_step, by_block, sizeof by_step) == 0, "\(kernel)", "one block");
            expect(\(kernel)_STATE_FLOATS == 0 || memcmp(&a, &b, sizeof a) == 0, "\(kernel)", "state after one block");
            expect(memcmp(by_step, by_pieces, sizeof by_step) == 0, "\(kernel)", "two blocks");
            expect(\(kernel)_STATE_FLOATS == 0 || memcmp(&a, &c, sizeof a) == 0, "\(kernel)", "state after two blocks");
        \(inputs == outputs ? """
            memcpy(in_place, x, sizeof x);
            \(kernel)_process(&d, in_place, in_place, \(n));
            expect(memcmp(by_step, in_place, sizeof by_step) == 0, "\(kernel)", "in place");
        """ : "    (void)d; (void)in_place;")
        }
        """
    }

    func testProcessEqualsStepInSwift() throws {
        let folder = try temporaryFolder("process-swift")
        var files: [String] = []
        var checks: [String] = []
        for (name, model) in try models() {
            let type = SwiftTypeName.derive(name)
            for file in try KernelGenerator.generate(model, options: KernelOptions(language: .swift, name: name)) {
                try Data(file.contents).write(to: folder.appendingPathComponent(file.name))
                files.append(file.name)
            }
            let I = model.inputSize, O = model.sequenceOutputSize, n = Self.frames
            checks.append("""
            do {
                let x: [Float] = [\(Self.input(I).map { "\($0)" }.joined(separator: ", "))]
                var a = \(type)(), b = \(type)(), c = \(type)(), d = \(type)()
                var byStep = [Float](repeating: 0, count: \(n * O)), byBlock = byStep, bySpan = byStep
                x.withUnsafeBufferPointer { xp in
                    byStep.withUnsafeMutableBufferPointer { yp in
                        for f in 0..<\(n) { a.step(x: xp.baseAddress! + f * \(I), y: yp.baseAddress! + f * \(O)) }
                    }
                    byBlock.withUnsafeMutableBufferPointer { yp in
                        b.process(UnsafeBufferPointer(rebasing: xp[0..<(5 * \(I))]), into: UnsafeMutableBufferPointer(rebasing: yp[0..<(5 * \(O))]))
                        b.process(UnsafeBufferPointer(rebasing: xp[(5 * \(I))...]), into: UnsafeMutableBufferPointer(rebasing: yp[(5 * \(O))...]))
                    }
                }
                var output = bySpan.mutableSpan
                c.process(x.span, into: &output)
                \(I == O ? """
                var inPlace = x
                inPlace.withUnsafeMutableBufferPointer { p in d.process(p.baseAddress!, into: p.baseAddress!, frames: \(n)) }
                report("\(name) in place", inPlace == byStep)
                """ : "_ = d")
                report("\(name) buffers", byBlock == byStep)
                report("\(name) span", bySpan == byStep)
                report("\(name) state", b.state.flattened == a.state.flattened && c.state.flattened == a.state.flattened)
            }
            """)
        }
        let program = """
        var failures = 0
        func report(_ what: String, _ same: Bool) { if !same { print(what, "differs"); failures += 1 } }
        extension InlineArray where Element == Float {
            static func == (a: Self, b: Self) -> Bool { (0..<a.count).allSatisfy { a[$0] == b[$0] } }
        }
        \(checks.joined(separator: "\n"))
        print("checked \(checks.count) kernels, \\(failures) failures")
        """
        try program.write(to: folder.appendingPathComponent("main.swift"), atomically: true, encoding: .utf8)
        let build = try shell(["swiftc", "-O", "main.swift"] + files + ["-o", "check"], in: folder)
        XCTAssertEqual(build.status, 0, build.output)
        let run = try shell(["./check"], in: folder)
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertTrue(run.output.contains("checked \(checks.count) kernels, 0 failures"), run.output)
    }
}
