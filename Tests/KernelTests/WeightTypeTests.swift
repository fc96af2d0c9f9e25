import Foundation
import XCTest
import RNNCodegen
import RNNKernelRunner
import RNNModel
import RNNReference
import RNNTestSupport

/// Kernels with f16, bf16 and i8 weight matrices against the interpreter run
/// on the same stored weights, under the verify tolerance: at every vector
/// width, for every widening path the C template chooses by target (F16C
/// and x86 sign extension with -march=x86-64-v3 and -march=native, integer
/// arithmetic on the baseline), with gcc and clang. The grid (KernelGridTests)
/// covers the model shapes; this covers the loaders.
final class WeightTypeTests: XCTestCase {
    static func models() -> [(String, Model)] {
        var r = RandomModels(seed: 77)
        return [
            ("lstm I=5 H=9 peepholes clip", Model(name: "a", inputSize: 5, layout: .batchMajor, stages: [
                .recurrent(r.stack(.init(kind: .lstm, clip: 2, peepholes: true), inputSize: 5, hiddenSizes: [9]))])),
            ("gru I=13 H=33 reset-before → dense", Model(name: "b", inputSize: 13, layout: .timeMajor, stages: [
                .recurrent(r.stack(.init(kind: .gru), inputSize: 13, hiddenSizes: [33])), .dense(r.dense(33, 7, .tanh))])),
            ("rnn I=1 H=20 bidirectional, lstm projection, head", Model(name: "c", inputSize: 1, layout: .batchMajor, stages: [
                .recurrent(r.stack(.init(kind: .rnn), inputSize: 1, hiddenSizes: [20], direction: .bidirectional)),
                .recurrent(r.stack(.init(kind: .lstm, projection: 6), inputSize: 40, hiddenSizes: [17])),
                .head(r.dense(6, 3, .softmax))])),
        ]
    }

    func check(_ toolchain: Toolchain, _ label: String) throws {
        var plans: [KernelPlan] = []
        var labels: [String] = []
        for (m, entry) in Self.models().enumerated() {
            for type in WeightType.narrow {
                for width in KernelOptions.vectorWidths {
                    let options = KernelOptions(language: .c, name: "w\(plans.count)", vectorWidth: width,
                                                fusedMultiplyAdd: [.auto, .on, .off][(m + width) % 3], weightType: type)
                    plans.append(try KernelPlan(model: entry.1, options: options))
                    labels.append("\(entry.0), \(type.rawValue), width \(width)")
                }
            }
        }
        let program = try KernelCompiler(toolchain: toolchain).compile(plans)
        for (index, plan) in plans.enumerated() {
            let trials = Verifier.trials(for: plan.model, supportsStep: plan.supportsStep, count: 3, seed: UInt64(index))
            for report in try Verifier.verify(plan: plan, program: program, trials: trials) {
                XCTAssertTrue(report.passed, "\(label): \(labels[index]), \(report.output): max abs \(report.maxAbsoluteError), err/tolerance \(report.worstRatio) in \(report.worstTrial) \(report.nanMismatch ?? "")")
            }
        }
    }

    func testEveryLoaderWithGCCOrTheSystemCompiler() throws {
        try check(Toolchain(), "cc, baseline")
        #if arch(x86_64)
        try check(Toolchain(cFlags: ["-march=x86-64-v3"]), "cc -march=x86-64-v3")
        #endif
        try check(Toolchain(cFlags: ["-march=native"]), "cc -march=native")
    }

    func testEveryLoaderWithClang() throws {
        try requireFullTests("the weight loaders under clang as well")
        // clang comes with the Swift toolchain.
        try check(Toolchain(cCompiler: "clang"), "clang, baseline")
        try check(Toolchain(cCompiler: "clang", cFlags: ["-march=native"]), "clang -march=native")
    }

    /// The matrices take 2 and 4 bytes per weight fewer than f32, and the
    /// tables the C compiler emits shrink with them.
    func testNarrowWeightsShrinkTheTables() throws {
        var r = RandomModels(seed: 5)
        let model = Model(name: "m", inputSize: 16, layout: .batchMajor, stages: [
            .recurrent(r.stack(.init(kind: .lstm), inputSize: 16, hiddenSizes: [64]))])
        var bytes: [WeightType: Int] = [:]
        for type in WeightType.allCases {
            bytes[type] = try KernelPlan(model: model, options: KernelOptions(language: .c, name: "m", vectorWidth: 16, weightType: type)).weightBytes
        }
        let matrices = 4 * 64 * (16 + 64)
        XCTAssertEqual(bytes[.f32]!, 4 * matrices + 4 * 4 * 64)     // matrices and the bias
        XCTAssertEqual(bytes[.f16]!, 2 * matrices + 4 * 4 * 64)
        XCTAssertEqual(bytes[.bf16]!, 2 * matrices + 4 * 4 * 64)
        XCTAssertEqual(bytes[.i8]!, matrices + 4 * 4 * 64 + 2 * 4 * 4 * 64)  // two scale tables, one per matrix
        XCTAssertLessThan(Double(bytes[.i8]!) / Double(bytes[.f32]!), 0.3)
    }

    func testRuntimeWeightsNeedF32() {
        let model = Self.models()[0].1
        XCTAssertThrowsError(try KernelPlan(model: model, options: KernelOptions(language: .c, name: "m", weights: .runtime, weightType: .bf16))) { error in
            XCTAssertTrue("\(error)".contains("--weights baked"), "\(error)")
        }
    }

    /// A weight beyond f16's range: the error names the matrix and the way out.
    func testF16OverflowIsAnErrorNamingTheMatrix() throws {
        var model = Self.models()[0].1
        guard case .recurrent(var stack) = model.stages[0] else { return XCTFail("not a stack") }
        stack.layers[0].cells[0].weights.recurrent.values[3] = 1e5
        model.stages[0] = .recurrent(stack)
        XCTAssertThrowsError(try KernelPlan(model: model, options: KernelOptions(language: .c, name: "m", weightType: .f16))) { error in
            XCTAssertTrue("\(error)".contains("s0_l0_fw R") && "\(error)".contains("bf16"), "\(error)")
        }
        XCTAssertNoThrow(try KernelPlan(model: model, options: KernelOptions(language: .c, name: "m", weightType: .bf16)))
    }
}
