import Foundation
import RNNModel

/// What training minimises, and what it compares the model's output with.
/// Sequence losses read the model's sequence output `y` at each item's valid
/// steps only (t < length); head losses read the head's output.
public enum Loss: Sendable {
    /// Softmax cross-entropy of `y` taken as logits, at every valid step,
    /// averaged over them: `labels[b][t]` in 0…F−1 (entries past an item's
    /// length are not read).
    case crossEntropy(labels: [[Int]])
    /// The same at each item's last valid step, averaged over the items
    /// (items of length 0 have no step and are left out).
    case crossEntropyLastStep(labels: [Int])
    /// The same over the head's output, one label per item.
    case crossEntropyHead(labels: [Int])
    /// Mean squared error of `y` against `target` (the model's layout, as y),
    /// averaged over the valid steps' elements.
    case meanSquaredError(target: Tensor)
    /// The same over the head's output `[B, O]`.
    case meanSquaredErrorHead(target: Tensor)
    /// The error-to-signal ratio audio models train with:
    /// mean((target − y)²) / (mean(target²) + 1e-5), means over the valid
    /// steps' elements.
    case errorToSignal(target: Tensor)

    static let signalFloor = 1e-5

    public var name: String {
        switch self {
        case .crossEntropy: return "cross-entropy (every step)"
        case .crossEntropyLastStep: return "cross-entropy (last step)"
        case .crossEntropyHead: return "cross-entropy (head)"
        case .meanSquaredError: return "mean squared error"
        case .meanSquaredErrorHead: return "mean squared error (head)"
        case .errorToSignal: return "error-to-signal ratio"
        }
    }

    /// −log softmax(logits)[label] and its gradient, softmax − one-hot.
    static func crossEntropy(_ logits: [Double], _ label: Int, at place: String) throws -> (value: Double, gradient: [Double]) {
        guard label >= 0 && label < logits.count else {
            throw RNNError(at: place, "label \(label) is outside 0…\(logits.count - 1) (the output has \(logits.count) classes)")
        }
        let top = logits.max() ?? 0
        let exps = logits.map { Foundation.exp($0 - top) }
        let total = exps.reduce(0, +)
        var gradient = exps.map { $0 / total }
        gradient[label] -= 1
        return (Foundation.log(total) + top - logits[label], gradient)
    }

    /// The loss of one run's outputs and its gradient with respect to them:
    /// `[b][t]` → features for the sequence (zero where the loss does not
    /// read), `[b]` → features for the head.
    func evaluate(sequence y: [[[Double]]], head: [[Double]]?, lengths: [Int], layout: Layout) throws
        -> (value: Double, dSequence: [[[Double]]], dHead: [[Double]]?) {
        let B = y.count, T = y.first?.count ?? 0, F = y.first?.first?.count ?? 0
        var dSequence = y.map { $0.map { [Double](repeating: 0, count: $0.count) } }
        var dHead = head.map { $0.map { [Double](repeating: 0, count: $0.count) } }
        func needHead() throws -> [[Double]] {
            guard let head else { throw RNNError(at: "loss", "\(name) reads the head's output, and the model has no head") }
            return head
        }
        func checkLabels(_ list: [Int]) throws {
            guard list.count == B else { throw RNNError(at: "labels", "expected \(B) labels (one per item), found \(list.count)") }
        }

        switch self {
        case .crossEntropy(let all):
            guard all.count == B else { throw RNNError(at: "labels", "expected \(B) label sequences (one per item), found \(all.count)") }
            let count = lengths.reduce(0, +)
            var total = 0.0
            for b in 0..<B {
                guard all[b].count >= lengths[b] else {
                    throw RNNError(at: "labels[\(b)]", "expected \(lengths[b]) labels (the item's length), found \(all[b].count)")
                }
                for t in 0..<lengths[b] {
                    let (value, gradient) = try Loss.crossEntropy(y[b][t], all[b][t], at: "labels[\(b)][\(t)]")
                    total += value
                    dSequence[b][t] = gradient.map { $0 / Double(count) }
                }
            }
            return (count == 0 ? 0 : total / Double(count), dSequence, dHead)

        case .crossEntropyLastStep(let list):
            try checkLabels(list)
            let items = (0..<B).filter { lengths[$0] > 0 }
            var total = 0.0
            for b in items {
                let t = lengths[b] - 1
                let (value, gradient) = try Loss.crossEntropy(y[b][t], list[b], at: "labels[\(b)]")
                total += value
                dSequence[b][t] = gradient.map { $0 / Double(items.count) }
            }
            return (items.isEmpty ? 0 : total / Double(items.count), dSequence, dHead)

        case .crossEntropyHead(let list):
            let head = try needHead()
            try checkLabels(list)
            var total = 0.0
            for b in 0..<B {
                let (value, gradient) = try Loss.crossEntropy(head[b], list[b], at: "labels[\(b)]")
                total += value
                dHead![b] = gradient.map { $0 / Double(B) }
            }
            return (B == 0 ? 0 : total / Double(B), dSequence, dHead)

        case .meanSquaredError(let target), .errorToSignal(let target):
            let shape = layout == .timeMajor ? [T, B, F] : [B, T, F]
            guard target.shape == shape else {
                throw RNNError(at: "target", "expected shape \(Tensor.describe(shape)) (as the output y), found \(target.shapeDescription)")
            }
            let timeMajor = layout == .timeMajor
            func goal(_ b: Int, _ t: Int, _ j: Int) -> Double {
                let row = timeMajor ? t * B + b : b * T + t
                return target.values[row * F + j]
            }
            let count = Double(lengths.reduce(0, +) * F)
            guard count > 0 else { return (0, dSequence, dHead) }
            var squared = 0.0, energy = 0.0
            for b in 0..<B {
                for t in 0..<lengths[b] {
                    for j in 0..<F {
                        let e = y[b][t][j] - goal(b, t, j)
                        squared += e * e
                        energy += goal(b, t, j) * goal(b, t, j)
                    }
                }
            }
            // mse = Σe²/N, d/dy = 2e/N; the ratio divides both by mean(t²) + floor.
            var denominator = 1.0
            if case .errorToSignal = self { denominator = energy / count + Loss.signalFloor }
            for b in 0..<B {
                for t in 0..<lengths[b] {
                    for j in 0..<F { dSequence[b][t][j] = 2 * (y[b][t][j] - goal(b, t, j)) / count / denominator }
                }
            }
            return (squared / count / denominator, dSequence, dHead)

        case .meanSquaredErrorHead(let target):
            let head = try needHead()
            let O = head.first?.count ?? 0
            guard target.shape == [B, O] else {
                throw RNNError(at: "target", "expected shape \(Tensor.describe([B, O])) (as the head's output), found \(target.shapeDescription)")
            }
            let count = Double(B * O)
            guard count > 0 else { return (0, dSequence, dHead) }
            var squared = 0.0
            for b in 0..<B {
                for j in 0..<O {
                    let e = head[b][j] - target.values[b * O + j]
                    squared += e * e
                    dHead![b][j] = 2 * e / count
                }
            }
            return (squared / count, dSequence, dHead)
        }
    }
}
