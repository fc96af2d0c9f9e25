import Foundation

/// The ONNX activation set, with their alpha/beta parameters.
public enum ActivationKind: String, CaseIterable, Sendable {
    case sigmoid = "Sigmoid", tanh = "Tanh", relu = "Relu", affine = "Affine"
    case leakyRelu = "LeakyRelu", thresholdedRelu = "ThresholdedRelu", scaledTanh = "ScaledTanh"
    case hardSigmoid = "HardSigmoid", elu = "Elu", softsign = "Softsign", softplus = "Softplus"

    /// Whether the function reads alpha, and its ONNX default.
    public var defaultAlpha: Double? {
        switch self {
        case .affine, .scaledTanh, .elu, .thresholdedRelu: return 1.0
        case .leakyRelu: return 0.01
        case .hardSigmoid: return 0.2
        default: return nil
        }
    }

    /// Whether the function reads beta, and its ONNX default.
    public var defaultBeta: Double? {
        switch self {
        case .affine: return 0.0
        case .scaledTanh: return 1.0
        case .hardSigmoid: return 0.5
        default: return nil
        }
    }

    /// Accepts ONNX spellings (`Tanh`), lower case and snake case (`leaky_relu`).
    public init?(name: String) {
        let key = name.lowercased().replacingOccurrences(of: "_", with: "")
        guard let found = ActivationKind.allCases.first(where: { $0.rawValue.lowercased() == key }) else { return nil }
        self = found
    }
}

/// One activation function with its parameters resolved.
public struct Activation: Equatable, Sendable, CustomStringConvertible {
    public var kind: ActivationKind
    public var alpha: Double
    public var beta: Double

    public init(_ kind: ActivationKind, alpha: Double? = nil, beta: Double? = nil) {
        self.kind = kind
        self.alpha = alpha ?? kind.defaultAlpha ?? 0
        self.beta = beta ?? kind.defaultBeta ?? 0
    }

    public static let sigmoid = Activation(.sigmoid)
    public static let tanh = Activation(.tanh)
    public static let relu = Activation(.relu)

    public func callAsFunction(_ x: Double) -> Double {
        switch kind {
        case .sigmoid: return x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x))
        case .tanh: return Foundation.tanh(x)
        case .relu: return x.isNaN ? x : max(0, x)
        case .affine: return alpha * x + beta
        case .leakyRelu: return x >= 0 ? x : alpha * x
        case .thresholdedRelu: return x > alpha ? x : (x.isNaN ? x : 0)
        case .scaledTanh: return alpha * Foundation.tanh(beta * x)
        case .hardSigmoid: return x.isNaN ? x : max(0, min(1, alpha * x + beta))
        case .elu: return x >= 0 ? x : alpha * (Foundation.exp(x) - 1)
        case .softsign: return x / (1 + abs(x))
        case .softplus: return x > 30 ? x : Foundation.log1p(Foundation.exp(x))
        }
    }

    public var description: String {
        var text = kind.rawValue
        var params: [String] = []
        if kind.defaultAlpha != nil { params.append("alpha=\(alpha)") }
        if kind.defaultBeta != nil { params.append("beta=\(beta)") }
        if !params.isEmpty { text += "(" + params.joined(separator: ", ") + ")" }
        return text
    }
}

/// Keras's activation names, read as Keras reads them. Their meaning depends
/// on the Keras version: Keras 3 made `hard_sigmoid` relu6(x + 3) / 6, which
/// is clip(x/6 + 0.5, 0, 1), where Keras 2 and tf.keras had
/// clip(0.2·x + 0.5, 0, 1).
public enum KerasActivationNames {
    public static let versions = [2, 3]
    public static let defaultVersion = 3

    /// The activation Keras `version` computes for `name`, or nil if rnngen
    /// has no equivalent or Keras has no such name.
    public static func activation(_ name: String, version: Int) -> Activation? {
        switch name {
        case "sigmoid": return .sigmoid
        case "tanh": return .tanh
        case "relu": return .relu
        case "softsign": return Activation(.softsign)
        case "softplus": return Activation(.softplus)
        case "elu": return Activation(.elu, alpha: 1)
        case "linear": return Activation(.affine, alpha: 1, beta: 0)
        case "hard_sigmoid": return version >= 3 ? Activation(.hardSigmoid, alpha: 1.0 / 6, beta: 0.5) : Activation(.hardSigmoid, alpha: 0.2, beta: 0.5)
        case "leaky_relu" where version >= 3: return Activation(.leakyRelu, alpha: 0.2)
        default: return nil
        }
    }

    /// The names `activation(_:version:)` accepts.
    public static func names(version: Int) -> [String] {
        ["sigmoid", "tanh", "relu", "softsign", "softplus", "elu", "linear", "hard_sigmoid", "leaky_relu"]
            .filter { activation($0, version: version) != nil }
    }

    /// Keras activation names rnngen cannot compute: under `framework: keras`
    /// they are an error, never ONNX's function of a similar name.
    public static let unsupported: Set<String> = [
        "selu", "gelu", "silu", "swish", "exponential", "relu6", "mish", "hard_silu", "hard_swish", "softmax",
        "log_softmax", "celu", "glu", "sparse_plus", "squareplus", "tanh_shrink", "hard_tanh", "soft_shrink",
        "hard_shrink", "log_sigmoid", "sparse_sigmoid", "threshold", "sparsemax", "leaky_relu",
    ]
}
