import RNNModel

/// Something that runs a model on inputs: the reference interpreter, or a
/// compiled kernel. The ONNX graph runner uses one for its recurrent nodes.
public protocol ModelExecutor {
    func run(_ model: Model, _ inputs: ModelInputs) throws -> ModelOutputs
}

/// The reference interpreter as an executor.
public struct InterpreterExecutor: ModelExecutor {
    public init() {}
    public func run(_ model: Model, _ inputs: ModelInputs) throws -> ModelOutputs {
        try ReferenceInterpreter(model: model).run(inputs)
    }
}

/// The integer interpreter as an executor: a quantized model's integer
/// arithmetic, with real inputs and outputs.
public struct IntegerExecutor: ModelExecutor {
    public init() {}
    public func run(_ model: Model, _ inputs: ModelInputs) throws -> ModelOutputs {
        try IntegerInterpreter(model: model).run(inputs)
    }
}
