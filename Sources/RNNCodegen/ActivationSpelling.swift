import RNNModel

/// An activation's function in a kernel's helpers (C's name; Swift's is its
/// camel case) and the parameters that follow the value: one list for the
/// inference and the training printers.
enum ActivationSpelling {
    static func call(_ a: Activation) -> (function: String, parameters: [Double]) {
        switch a.kind {
        case .sigmoid: return ("sigmoid", [])
        case .tanh: return ("tanh", [])
        case .relu: return ("relu", [])
        case .affine: return ("affine", [a.alpha, a.beta])
        case .leakyRelu: return ("leaky_relu", [a.alpha])
        case .thresholdedRelu: return ("thresholded_relu", [a.alpha])
        case .scaledTanh: return ("scaled_tanh", [a.alpha, a.beta])
        case .hardSigmoid: return ("hard_sigmoid", [a.alpha, a.beta])
        case .elu: return ("elu", [a.alpha])
        case .softsign: return ("softsign", [])
        case .softplus: return ("softplus", [])
        }
    }
}
