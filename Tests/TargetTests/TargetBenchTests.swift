import Dispatch
import Foundation
import XCTest
import RNNCodegen
@testable import RNNKernelRunner
import RNNModel
import RNNTestSupport

/// `rnngen bench --target`: instruction counts on the emulated cores.
final class TargetBenchTests: XCTestCase {
    func model(_ name: String) throws -> Model {
        try ModelDescription.load(contentsOf: Repository.url("models/embedded/\(name)/model.rnn.json").path)
    }

    /// Each board's timer is calibrated in the program against loops of known
    /// length: under -icount shift=0 the MPS2 timer ticks every 40
    /// instructions, the AN547 counter every 31.25, RISC-V's mcycle every
    /// one. Counts are exact: a second run gives the same numbers. The
    /// kernel generated for the target agrees with the naive step and takes
    /// fewer instructions.
    func testCountsAreCalibratedAndReproducible() throws {
        let expected: [(Target.Name, Double)] = [(.cortexM4, 40), (.cortexM7, 40), (.cortexM3, 40), (.cortexM55, 31.25), (.rv32, 1)]
        let gru = try model("gru_i1_h8")
        let failures = concurrentFailures(expected.count) { index -> [String] in
            let (name, perTick) = expected[index]
            do {
                let target = try Target.named(name.rawValue)
                try requireTarget(target)
                let plan = try KernelPlan(model: gru, options: KernelOptions(language: .c, name: "counted", target: target.name))
                let bench = TargetBench(target: target)
                let first = try bench.run(plan, optimization: "-O2", steps: 300)
                var messages: [String] = []
                if first.instructionsPerTick != perTick { messages.append("\(name.rawValue): \(first.instructionsPerTick) instructions per tick, expected \(perTick)") }
                if !(first.kernelPerStep > 100 && first.kernelPerStep < first.naivePerStep) {
                    messages.append("\(name.rawValue): kernel \(first.kernelPerStep) vs naive \(first.naivePerStep) instructions per step")
                }
                if !(first.agreement <= 1e-5) { messages.append("\(name.rawValue): kernel and naive step differ by \(first.agreement)") }
                // Built again from the cache and run again: the same counts.
                let second = try bench.run(plan, optimization: "-O2", steps: 300)
                if second != first { messages.append("\(name.rawValue): two runs differ: \(first) and \(second)") }
                print("bench --target \(name.rawValue): kernel \(first.kernelPerStep), naive \(first.naivePerStep) instructions per step (ratio \(first.ratio))")
                return messages
            } catch let skip as XCTSkip {
                return ["skip: \(skip)"]
            } catch {
                return ["\(name.rawValue): \(error)"]
            }
        }
        let skips = failures.filter { $0.hasPrefix("skip: ") }
        for message in failures where !message.hasPrefix("skip: ") { XCTFail(message) }
        if !skips.isEmpty { throw XCTSkip(skips.joined(separator: "; ")) }
    }

    /// Missing lines, a timer that never moved, or no end marker are errors naming the program.
    func testGarbledBenchOutputIsAnError() throws {
        let good = """
        rnngen-bench calibration 200000 5000 600000 15000
        rnngen-bench overhead 100 30
        rnngen-bench kernel 100 3700
        rnngen-bench naive 100 7000
        rnngen-bench agreement 33c00000
        rnngen-end
        """
        let result = try TargetBench.parse(good, optimization: "-O2", place: "bench.elf", status: 0)
        XCTAssertEqual(result.instructionsPerTick, 40)
        XCTAssertEqual(result.overheadPerStep, 12)
        XCTAssertEqual(result.kernelPerStep, 1468)
        XCTAssertEqual(result.naivePerStep, 2788)
        XCTAssertEqual(result.agreement, Double(Float(bitPattern: 0x33c0_0000)))
        for (broken, expected) in [
            (good.replacingOccurrences(of: "rnngen-bench kernel 100 3700\n", with: ""), "no 'kernel' line"),
            (good.replacingOccurrences(of: "600000 15000", with: "600000 5000"), "did not advance"),
            (good.replacingOccurrences(of: "rnngen-end", with: ""), "stopped before its end"),
            (good.replacingOccurrences(of: "naive 100 7000", with: "naive 100 x7"), "no 'naive' line"),
        ] {
            XCTAssertThrowsError(try TargetBench.parse(broken, optimization: "-O2", place: "bench.elf", status: 1)) { error in
                XCTAssertTrue("\(error)".contains(expected) && "\(error)".contains("bench.elf"), "\(error)")
            }
        }
    }

    /// Only the emulated microcontrollers count instructions; models beyond
    /// the naive step's scope are refused before anything is built.
    func testRefusals() throws {
        let gru = try model("gru_i1_h8")
        let plan = try KernelPlan(model: gru, options: KernelOptions(language: .c, name: "refused"))
        XCTAssertThrowsError(try TargetBench(target: try Target.named("aarch64")).run(plan, optimization: "-O2", steps: 10)) { error in
            XCTAssertTrue("\(error)".contains("emulated microcontrollers only"), "\(error)")
        }
        let classifier = try ModelDescription.load(contentsOf: Repository.url("models/keras_classifier/model.rnn.json").path)
        let other = try KernelPlan(model: classifier, options: KernelOptions(language: .c, name: "refused"))
        XCTAssertThrowsError(try TargetBench(target: try Target.named("cortex-m4")).run(other, optimization: "-O2", steps: 10)) { error in
            XCTAssertTrue("\(error)".contains("naive loop"), "\(error)")
        }
    }
}
