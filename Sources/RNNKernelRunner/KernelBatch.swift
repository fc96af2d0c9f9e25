import RNNCodegen
import RNNModel
import RNNReference

/// Runs many models on kernels compiled together in one program, which is
/// far cheaper than one compiler run per model. Used in two passes over the
/// same work: the collecting pass records every model (answering with the
/// interpreter), then `compile()` builds them all at once, then the replaying
/// pass answers each call, in the same order, with its compiled kernel.
public final class KernelBatch {
    public let engine: KernelEngine
    public private(set) var models: [Model] = []
    private var program: KernelCompiler.Program?
    private var cursor = 0
    private var plans: [KernelPlan] = []

    public init(engine: KernelEngine) { self.engine = engine }

    public var collector: ModelExecutor { Collector(batch: self) }
    public var replayer: ModelExecutor { Replayer(batch: self) }

    /// Compiles every collected model into one program.
    public func compile() throws {
        plans = try models.enumerated().map { try KernelPlan(model: $0.element, options: engine.options(name: "k\($0.offset)")) }
        program = try engine.compiler.compile(plans)
        cursor = 0
    }

    struct Collector: ModelExecutor {
        let batch: KernelBatch
        func run(_ model: Model, _ inputs: ModelInputs) throws -> ModelOutputs {
            batch.models.append(model)
            return try ReferenceInterpreter(model: model).run(inputs)
        }
    }

    struct Replayer: ModelExecutor {
        let batch: KernelBatch
        func run(_ model: Model, _ inputs: ModelInputs) throws -> ModelOutputs {
            guard let program = batch.program else { throw RNNError("KernelBatch: compile() before replaying") }
            let index = batch.cursor
            guard index < batch.models.count, batch.models[index] == model else {
                throw RNNError("KernelBatch: call \(index) asks for a model the collecting pass did not see at that point")
            }
            batch.cursor += 1
            return try program.run("k\(index)", inputs)
        }
    }
}
