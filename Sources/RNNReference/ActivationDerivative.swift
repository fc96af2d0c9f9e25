import Foundation
import RNNModel

extension Activation {
    /// d f(x) / dx, for the backward pass. Where the function has a kink
    /// (relu at 0, the ends of hard sigmoid, a clip's limits) the derivative
    /// is the one of the side the forward pass takes for that x, as the
    /// frameworks do: relu'(0) = 0, leaky relu'(0) = 1.
    public func derivative(_ x: Double) -> Double {
        switch kind {
        case .sigmoid:
            let s = self(x)
            return s * (1 - s)
        case .tanh:
            let t = Foundation.tanh(x)
            return 1 - t * t
        case .relu: return x > 0 ? 1 : 0
        case .affine: return alpha
        case .leakyRelu: return x >= 0 ? 1 : alpha
        case .thresholdedRelu: return x > alpha ? 1 : 0
        case .scaledTanh:
            let t = Foundation.tanh(beta * x)
            return alpha * beta * (1 - t * t)
        case .hardSigmoid:
            let v = alpha * x + beta
            return v > 0 && v < 1 ? alpha : 0
        case .elu: return x >= 0 ? 1 : alpha * Foundation.exp(x)
        case .softsign:
            let d = 1 + abs(x)
            return 1 / (d * d)
        case .softplus: return x > 30 ? 1 : Activation.sigmoid(x)
        }
    }
}
