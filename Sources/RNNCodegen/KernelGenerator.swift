import RNNModel

/// The whole generator in one place: Model → KernelPlan → rendered files.
public enum KernelGenerator {
    public struct File: Equatable {
        public var name: String
        public var contents: [UInt8]

        public init(name: String, contents: [UInt8]) {
            self.name = name
            self.contents = contents
        }
    }

    /// A quantized model gets its integer kernel; any other its float kernel.
    public static func generate(_ model: Model, options: KernelOptions) throws -> [File] {
        if model.isQuantized { return try generate(try IntegerKernelPlan(model: model, options: options)) }
        return try generate(try KernelPlan(model: model, options: options))
    }

    /// The files of a training kernel (`rnngen generate --training`).
    public static func generateTraining(_ model: Model, options: TrainingOptions) throws -> [File] {
        let plan = try TrainingPlan(model: model, options: options)
        return TrainingRenderer(plan: plan).render().map { File(name: $0.file, contents: Array($0.text.utf8)) }
    }

    /// The files of an integer kernel.
    public static func generate(_ plan: IntegerKernelPlan) throws -> [File] {
        switch plan.options.language {
        case .c: return IntegerCRenderer(plan: plan).render().map { File(name: $0.file, contents: Array($0.text.utf8)) }
        case .swift: return IntegerSwiftRenderer(plan: plan).render().map { File(name: $0.file, contents: Array($0.text.utf8)) }
        }
    }

    /// The files of a plan already made (its weights rounded once, from its source model).
    public static func generate(_ plan: KernelPlan) throws -> [File] {
        let options = plan.options
        var files: [File]
        switch options.language {
        case .c:
            files = CRenderer(plan: plan).render().map { File(name: $0.file, contents: Array($0.text.utf8)) }
        case .swift:
            guard !options.useLibm else {
                throw RNNError(at: "--libm", "applies to C kernels only (Swift kernels use no libm and need no Foundation)")
            }
            files = SwiftRenderer(plan: plan).render().map { File(name: $0.file, contents: Array($0.text.utf8)) }
        }
        if options.weights == .runtime {
            files.append(File(name: "\(options.name).weights.bin", contents: packedWeightBytes(plan)))
        }
        return files
    }

    /// The packed weights as little-endian float32, for `--weights runtime`.
    public static func packedWeightBytes(_ plan: KernelPlan) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(plan.weights.count * 4)
        for v in plan.weights {
            let bits = v.bitPattern
            bytes += [UInt8(bits & 0xff), UInt8((bits >> 8) & 0xff), UInt8((bits >> 16) & 0xff), UInt8(bits >> 24)]
        }
        return bytes
    }
}
