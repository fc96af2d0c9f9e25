import Foundation
import XCTest
import RNNCodegen
import RNNKernelRunner
import RNNModel
import RNNReference
import RNNTestSupport

/// NaN, ±infinity, ±1e30, denormals and −0 in inputs and weights, through
/// the interpreter and the C and Swift kernels. The documented behaviour
/// (docs/kernels.md, "Numerical edge cases"): the kernels give NaN and
/// infinities exactly where the interpreter does, and agree within verify's
/// tolerance everywhere else; non-finite weights are refused by the kernel
/// generator and propagate in the interpreter, as in the frameworks.
final class NumericalEdgeTests: XCTestCase {
    static let specials: [(String, Double)] = [
        ("NaN", .nan), ("+inf", .infinity), ("-inf", -.infinity), ("+1e30", 1e30), ("-1e30", -1e30),
        ("denormal 1e-40", Double(Float(1e-40))), ("-0", -0.0), ("largest float", Double(Float.greatestFiniteMagnitude)),
    ]

    static func models() -> [(String, Model)] {
        var r = RandomModels(seed: 30)
        var list: [(String, Model)] = []
        func add(_ label: String, _ I: Int, _ stages: [Stage]) {
            list.append((label, Model(name: "edge\(list.count)", inputSize: I, layout: .batchMajor, stages: stages)))
        }
        add("lstm", 3, [.recurrent(r.stack(.init(kind: .lstm, peepholes: true), inputSize: 3, hiddenSizes: [5]))])
        add("gru bidirectional", 3, [.recurrent(r.stack(.init(kind: .gru, linearBeforeReset: true), inputSize: 3, hiddenSizes: [6], direction: .bidirectional))])
        add("rnn relu → head softmax", 2, [.recurrent(r.stack(.init(kind: .rnn, activations: [.relu]), inputSize: 2, hiddenSizes: [4])), .head(r.dense(4, 3, .softmax))])
        add("gru → dense sigmoid", 4, [.recurrent(r.stack(.init(kind: .gru), inputSize: 4, hiddenSizes: [9])), .dense(r.dense(9, 2, .sigmoid))])
        // Weights at the edges of float: ±1e30 and a denormal in the matrices.
        var huge = r.stack(.init(kind: .rnn, activations: [.tanh]), inputSize: 2, hiddenSizes: [5])
        huge.layers[0].cells[0].weights.input.values[0] = 1e30
        huge.layers[0].cells[0].weights.recurrent.values[3] = -1e30
        huge.layers[0].cells[0].weights.input.values[1] = Double(Float(1e-40))
        add("rnn tanh, weights ±1e30 and 1e-40", 2, [.recurrent(huge)])
        return list
    }

    /// One item per special value, placed in step 1 of feature 0; the rest random.
    static func inputs(_ model: Model) -> ModelInputs {
        var rng = SplitMix64(seed: 5)
        let B = specials.count, T = 3, I = model.inputSize
        var values = (0..<(B * T * I)).map { _ in Double(Float(rng.uniform(-1, 1))) }
        for (b, special) in specials.enumerated() { values[(b * T + 1) * I] = special.1 }
        return ModelInputs(x: Tensor(shape: [B, T, I], values: values))
    }

    /// NaN and infinities where the reference has them; elsewhere verify's tolerance.
    func compare(_ got: Tensor, _ want: Tensor, _ what: String) {
        XCTAssertEqual(got.shape, want.shape, what)
        let perItem = want.values.count / Self.specials.count
        for (k, (g, w)) in zip(got.values, want.values).enumerated() {
            let item = "\(what), item \(Self.specials[k / perItem].0), value \(k % perItem)"
            if w.isNaN || g.isNaN {
                XCTAssertEqual(g.isNaN, w.isNaN, "\(item): kernel \(g), reference \(w)")
            } else if w.isInfinite || g.isInfinite {
                XCTAssertEqual(g, w, "\(item): kernel \(g), reference \(w)")
            } else {
                XCTAssertLessThanOrEqual(abs(g - w), Verifier.allowed(w), "\(item): kernel \(g), reference \(w)")
            }
        }
    }

    func check(_ language: KernelOptions.Language) throws {
        let models = Self.models()
        let plans = try models.enumerated().map { try KernelPlan(model: $0.element.1, options: KernelOptions(language: language, name: "e\($0.offset)")) }
        let program = try KernelCompiler().compile(plans)
        var nonFinite = 0
        for (plan, (label, model)) in zip(plans, models) {
            let inputs = Self.inputs(model)
            let want = try ReferenceInterpreter(model: plan.model).run(inputs)
            nonFinite += want.y.values.filter { !$0.isFinite }.count
            for streaming in plan.supportsStep ? [false, true] : [false] {
                let got = try program.run(plan.name, inputs, step: streaming)
                let what = "\(language.rawValue) \(label)\(streaming ? " (step)" : "")"
                compare(got.y, want.y, "\(what) y")
                if let head = want.head { compare(try XCTUnwrap(got.head), head, "\(what) head") }
                for (name, state) in want.finalStates { compare(try XCTUnwrap(got.finalStates[name]), state, "\(what) \(name)") }
            }
        }
        XCTAssertGreaterThan(nonFinite, 0, "the inputs reach NaN or infinity somewhere; the test compares them")
    }

    func testEdgeValuesInC() throws { try check(.c) }
    func testEdgeValuesInSwift() throws { try check(.swift) }

    /// Non-finite weights: the interpreter propagates them (as the frameworks
    /// do); the generator refuses them, naming the tensor and index. A weight
    /// beyond f16's range is refused for --weight-type f16.
    func testNonFiniteWeightsAreRefusedByTheGenerator() throws {
        var r = RandomModels(seed: 2)
        for (label, bad) in [("NaN", Double.nan), ("inf", Double.infinity), ("1e39, beyond float", 1e39)] {
            var stack = r.stack(.init(kind: .gru), inputSize: 2, hiddenSizes: [3])
            stack.layers[0].cells[0].weights.recurrent.values[4] = bad
            let model = Model(name: "bad", inputSize: 2, layout: .batchMajor, stages: [.recurrent(stack)])
            XCTAssertThrowsError(try KernelPlan(model: model, options: KernelOptions(language: .c, name: "bad")), label) { error in
                XCTAssertTrue("\(error)".contains("weight 4 is"), "\(label): \(error)")
                XCTAssertTrue("\(error)".contains("kernels need finite weights"), "\(label): \(error)")
            }
            if bad.isNaN || bad.isInfinite {
                let out = try ReferenceInterpreter(model: model).run(ModelInputs(x: Tensor(shape: [1, 2, 2], values: [0.1, 0.2, 0.3, 0.4])))
                XCTAssertTrue(out.y.values.contains { $0.isNaN }, "\(label): the interpreter propagates it")
            }
        }
        var stack = r.stack(.init(kind: .lstm), inputSize: 2, hiddenSizes: [3])
        stack.layers[0].cells[0].weights.input.values[1] = 1e30
        let model = Model(name: "wide", inputSize: 2, layout: .batchMajor, stages: [.recurrent(stack)])
        XCTAssertNoThrow(try KernelPlan(model: model, options: KernelOptions(language: .c, name: "wide")))
        XCTAssertThrowsError(try KernelPlan(model: model, options: KernelOptions(language: .c, name: "wide", weightType: .f16))) { error in
            XCTAssertTrue("\(error)".contains("f16"), "\(error)")
        }
    }
}
