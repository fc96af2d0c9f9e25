import Foundation
import XCTest
import RNNCodegen
import RNNKernelRunner
import RNNModel
import RNNReference
import RNNTestSupport

/// Differential tests of generated kernels against the interpreter over a
/// grid of cell kinds, options, directions, stack shapes and sizes (hidden
/// 1…64, input 1…40, none required to be a multiple of the vector width),
/// at vector widths auto, 4, 8 and 16, every multiply-add fusing mode and
/// every weight type, in both languages, with the tolerance rule
/// of `rnngen verify`. Kernels are compiled in one batch per language.
final class KernelGridTests: XCTestCase {
    static let seed: UInt64 = 20_261_126

    /// The grid: (label, model). Deterministic for the seed.
    static func grid() -> [(String, Model)] {
        var r = RandomModels(seed: seed)
        var models: [(String, Model)] = []
        func add(_ label: String, _ inputSize: Int, _ stages: [Stage], layout: Layout = .batchMajor, zero: ZeroLengthState = .initial) {
            models.append((label, Model(name: "m\(models.count)", inputSize: inputSize, layout: layout, zeroLengthState: zero, stages: stages)))
        }
        // Every listed hidden size, cycling cell kinds, input sizes and directions.
        let hidden = [1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64]
        let inputs = [1, 2, 3, 5, 8, 13, 17, 24, 31, 40, 6, 11, 16]
        let kinds: [CellKind] = [.lstm, .gru, .rnn]
        let directions: [Direction] = [.forward, .reverse, .bidirectional, .forward]
        for (i, H) in hidden.enumerated() {
            let kind = kinds[i % 3], I = inputs[i], direction = directions[i % 4]
            let spec = RandomModels.CellSpec(kind: kind, linearBeforeReset: i % 2 == 0)
            add("\(kind.rawValue) H=\(H) I=\(I) \(direction.rawValue)", I,
                [.recurrent(r.stack(spec, inputSize: I, hiddenSizes: [H], direction: direction))],
                layout: i % 2 == 0 ? .batchMajor : .timeMajor, zero: i % 3 == 0 ? .zero : .initial)
        }
        // Stacks of different sizes, both bidirectional forms.
        add("lstm stack [8,16,4]", 3, [.recurrent(r.stack(.init(kind: .lstm, forgetBias: 1), inputSize: 3, hiddenSizes: [8, 16, 4]))])
        add("gru bidirectional stacked [5,9]", 7, [.recurrent(r.stack(.init(kind: .gru, linearBeforeReset: true), inputSize: 7, hiddenSizes: [5, 9], direction: .bidirectional))])
        add("rnn bidirectional separate [4,6]", 3, [.recurrent(r.stack(.init(kind: .rnn), inputSize: 3, hiddenSizes: [4, 6], direction: .bidirectional, form: .separateStacks))])
        add("gru bidirectional separate [7,3] reset-before", 5, [.recurrent(r.stack(.init(kind: .gru), inputSize: 5, hiddenSizes: [7, 3], direction: .bidirectional, form: .separateStacks))], layout: .timeMajor)
        // LSTM options.
        add("lstm peepholes clip cell_clip", 4, [.recurrent(r.stack(.init(kind: .lstm, clip: 1.5, cellClip: 0.8, peepholes: true), inputSize: 4, hiddenSizes: [9]))])
        add("lstm input_forget forget_bias", 6, [.recurrent(r.stack(.init(kind: .lstm, inputForget: true, forgetBias: 1), inputSize: 6, hiddenSizes: [11]))])
        add("lstm projection 3 < H", 4, [.recurrent(r.stack(.init(kind: .lstm, projection: 3), inputSize: 4, hiddenSizes: [8, 8]))])
        add("lstm projection 19 > width", 5, [.recurrent(r.stack(.init(kind: .lstm, peepholes: true, projection: 19), inputSize: 5, hiddenSizes: [21], direction: .bidirectional))])
        // Every ONNX activation with parameters.
        add("lstm HardSigmoid ScaledTanh Softsign", 3, [.recurrent(r.stack(.init(kind: .lstm, activations: [Activation(.hardSigmoid, alpha: 0.3, beta: 0.4), Activation(.scaledTanh, alpha: 1.5, beta: 0.7), .init(.softsign)]), inputSize: 3, hiddenSizes: [6]))])
        add("gru Sigmoid Softplus clip", 3, [.recurrent(r.stack(.init(kind: .gru, activations: [.sigmoid, .init(.softplus)], clip: 2), inputSize: 3, hiddenSizes: [5]))])
        add("rnn LeakyRelu", 2, [.recurrent(r.stack(.init(kind: .rnn, activations: [Activation(.leakyRelu, alpha: 0.1)]), inputSize: 2, hiddenSizes: [7]))])
        add("rnn ThresholdedRelu", 2, [.recurrent(r.stack(.init(kind: .rnn, activations: [Activation(.thresholdedRelu, alpha: 0.2)]), inputSize: 2, hiddenSizes: [3]))])
        add("rnn Elu", 4, [.recurrent(r.stack(.init(kind: .rnn, activations: [Activation(.elu, alpha: 0.9)]), inputSize: 4, hiddenSizes: [10]))])
        add("rnn Affine", 4, [.recurrent(r.stack(.init(kind: .rnn, activations: [Activation(.affine, alpha: 0.5, beta: 0.1)]), inputSize: 4, hiddenSizes: [4]))])
        add("rnn Relu clip", 4, [.recurrent(r.stack(.init(kind: .rnn, activations: [.relu], clip: 3), inputSize: 4, hiddenSizes: [12]))])
        add("lstm Tanh Relu Sigmoid", 3, [.recurrent(r.stack(.init(kind: .lstm, activations: [.tanh, .relu, .sigmoid]), inputSize: 3, hiddenSizes: [5]))])
        // Pipelines.
        add("dense → lstm → dense tanh", 6, [.dense(r.dense(6, 10, .relu)), .recurrent(r.stack(.init(kind: .lstm), inputSize: 10, hiddenSizes: [12])), .dense(r.dense(12, 5, .tanh))])
        add("parallel gru [20,20] ×2 → head softmax", 6, [.parallel([r.stack(.init(kind: .gru), inputSize: 6, hiddenSizes: [20, 20]), r.stack(.init(kind: .gru), inputSize: 6, hiddenSizes: [20, 20])]), .head(r.dense(40, 3, .softmax))])
        add("reverse processing order → dense sigmoid", 3, [.recurrent(r.stack(.init(kind: .gru, linearBeforeReset: true), inputSize: 3, hiddenSizes: [6], direction: .reverse, processingOrder: true)), .dense(r.dense(6, 2, .sigmoid))])
        add("bidirectional lstm → head sigmoid", 4, [.recurrent(r.stack(.init(kind: .lstm), inputSize: 4, hiddenSizes: [5], direction: .bidirectional)), .head(r.dense(10, 1, .sigmoid))])
        add("lstm → gru → head softmax", 4, [.recurrent(r.stack(.init(kind: .lstm), inputSize: 4, hiddenSizes: [9])), .recurrent(r.stack(.init(kind: .gru, linearBeforeReset: true), inputSize: 9, hiddenSizes: [8])), .head(r.dense(8, 3, .softmax))])
        add("lstm I=16 H=64", 16, [.recurrent(r.stack(.init(kind: .lstm), inputSize: 16, hiddenSizes: [64]))])
        // More weights than a Swift array literal holds (SwiftRenderer.literalTableLimit): the table is text.
        add("gru I=40 H=110, weights as text in Swift", 40, [.recurrent(r.stack(.init(kind: .gru, linearBeforeReset: true), inputSize: 40, hiddenSizes: [110]))])
        // The audio models' shapes: skip connections, stand-alone
        // activations and PReLU, dense layers only, sample-rate correction.
        add("amp: lstm 20 → dense → residual x[0]", 1, [.recurrent(r.stack(.init(kind: .lstm), inputSize: 1, hiddenSizes: [20])), .dense(r.dense(20, 1, .none)),
                                                       .residual(Residual(features: [0]))])
        add("gru 7 → prelu → dense elu → residual x[2, 0]", 3, [.recurrent(r.stack(.init(kind: .gru, linearBeforeReset: true), inputSize: 3, hiddenSizes: [7])),
                                                                .activation(.prelu(r.tensor([7], scale: 0.8))),
                                                                .dense(r.dense(7, 2, .elementwise(Activation(.elu, alpha: 0.6)))), .residual(Residual(features: [2, 0]))])
        add("dense prelu → softsign → dense leaky_relu, no recurrent stage", 5, [.dense(r.dense(5, 9, .prelu(r.tensor([9], scale: 0.5)))),
                                                                                 .activation(.elementwise(Activation(.softsign))),
                                                                                 .dense(r.dense(9, 3, .elementwise(Activation(.leakyRelu, alpha: 0.2))))])
        add("lstm [6,10] sample-rate delay 2.5 → dense → residual", 2, [.recurrent(r.stack(.init(kind: .lstm), inputSize: 2, hiddenSizes: [6, 10])),
                                                                       .dense(r.dense(10, 1, .none)), .residual(Residual(features: [0]))])
        models[models.count - 1].1 = models[models.count - 1].1.withSampleRateDelay(2.5)
        add("gru 9 sample-rate delay 3 → tanh", 1, [.recurrent(r.stack(.init(kind: .gru, linearBeforeReset: true), inputSize: 1, hiddenSizes: [9])),
                                                    .activation(.tanh)])
        models[models.count - 1].1 = models[models.count - 1].1.withSampleRateDelay(3)
        return models
    }

    func check(_ language: KernelOptions.Language) throws {
        let grid = Self.grid()
        let widths: [Int?] = [nil] + KernelOptions.vectorWidths
        let fusing = KernelOptions.FusedMultiplyAdd.allCases
        var plans: [KernelPlan] = []
        for (index, entry) in grid.enumerated() {
            // run's batch tiles: automatic, 1 and 2 across widths (1 most, as
            // tiles multiply compile time), and 8 on the
            // small models only (a tile's step is that many cell steps of code).
            let options = KernelOptions(language: language, name: "g\(index)", vectorWidth: widths[index % 4],
                                        weights: index % 5 == 4 ? .runtime : .baked, fusedMultiplyAdd: fusing[index % 3],
                                        batchTile: index < 4 ? 8 : [nil, 2, 1, 1][(index / 3) % 4])
            plans.append(try KernelPlan(model: entry.1, options: options))
            // Every other model again with its matrices stored narrow, at
            // another width: in C (Swift's narrow kernels are checked by
            // PropertyTests and WeightTypeTests, which cost less to compile).
            if index % 2 == 0 && language == .c {
                var narrow = options
                narrow.name = "n\(index)"
                narrow.weights = .baked
                narrow.vectorWidth = widths[(index + 1) % 4]
                narrow.weightType = WeightType.narrow[(index / 2) % WeightType.narrow.count]
                plans.append(try KernelPlan(model: entry.1, options: narrow))
            }
        }
        let program = try KernelCompiler().compile(plans)
        var worst = 0.0
        for (index, plan) in plans.enumerated() {
            // The reference runs on the weights as the kernel stores them (plan.model).
            let label = grid[Int(plan.name.dropFirst())!].0
            let trials = Verifier.trials(for: plan.model, supportsStep: plan.supportsStep,
                                         count: 3, seed: Self.seed + UInt64(index))
            let reports = try Verifier.verify(plan: plan, program: program, trials: trials)
            XCTAssertFalse(reports.isEmpty)
            for report in reports {
                worst = max(worst, report.worstRatio)
                if report.worstRatio > 0.05 { print("  \(label) \(plan.weightType.rawValue) \(report.output): max abs \(report.maxAbsoluteError), ratio \(report.worstRatio) in \(report.worstTrial)") }
                XCTAssertTrue(report.passed, "\(language.rawValue) \(label) (width \(plan.vectorWidth), tile \(plan.batchTile), fma \(plan.options.fusedMultiplyAdd.rawValue), weights \(plan.options.weights.rawValue) \(plan.weightType.rawValue)), output \(report.output): max abs \(report.maxAbsoluteError), err/tolerance \(report.worstRatio) in \(report.worstTrial) \(report.nanMismatch ?? "")")
            }
        }
        print("\(language.rawValue) grid: \(plans.count) models, worst error/tolerance \(worst)")
    }

    func testGridInC() throws { try check(.c) }
    func testGridInSwift() throws {
        try requireFullTests("the grid through Swift kernels")
        try check(.swift)
    }

    /// The C grid again with AddressSanitizer and UndefinedBehaviorSanitizer:
    /// any read or write past an array, or undefined arithmetic, aborts.
    func testGridInCUnderSanitizers() throws {
        try requireFullTests("the C grid under sanitizers")
        let grid = Self.grid()
        var plans: [KernelPlan] = []
        for (index, entry) in grid.enumerated() {
            plans.append(try KernelPlan(model: entry.1, options: KernelOptions(language: .c, name: "a\(index)", vectorWidth: [4, 8, 16][index % 3],
                                                                               weightType: WeightType.allCases[index % 4],
                                                                               batchTile: [2, 1, 2][index % 3])))
        }
        let toolchain = Toolchain(cFlags: ["-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"])
        let program = try KernelCompiler(toolchain: toolchain).compile(plans)
        for (index, plan) in plans.enumerated() {
            let trials = Verifier.trials(for: plan.model, supportsStep: plan.supportsStep, count: 2, seed: Self.seed)
            for report in try Verifier.verify(plan: plan, program: program, trials: trials) {
                XCTAssertTrue(report.passed, "sanitized \(grid[index].0): \(report.output)")
            }
        }
    }
}
