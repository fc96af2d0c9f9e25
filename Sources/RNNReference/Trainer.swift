import Foundation
import RNNModel

/// What `rnngen train` minimises.
public enum TrainingObjective: String, CaseIterable, Sendable {
    case crossEntropy = "cross-entropy", mse, esr
}

/// Training data, checked against the model: inputs `[N, T, I]` (the
/// model's layout), and labels `[N, T]` (cross-entropy) or targets
/// `[N, T, F]`, optional lengths `[N]`. Held batch-major as floats.
public struct TrainingData: Sendable {
    public let items: Int, steps: Int, inputSize: Int, outputSize: Int
    /// `[N][T][I]`.
    public let x: [Float]
    /// `[N][T]`, cross-entropy only.
    public let labels: [Int32]?
    /// `[N][T][F]`, mse and esr.
    public let target: [Float]?
    public let lengths: [Int]?

    /// Checks shapes, finiteness and label ranges; every error names the file.
    public init(model: Model, objective: TrainingObjective, x: Tensor, xFile: String, labels: Tensor?, labelsFile: String?,
                target: Tensor?, targetFile: String?, lengths: Tensor?, lengthsFile: String?) throws {
        let F = model.sequenceOutputSize
        guard x.rank == 3, x.shape[2] == model.inputSize else {
            throw RNNError(file: xFile, "expected inputs shaped [\(model.layout == .timeMajor ? "T, N" : "N, T"), \(model.inputSize)], found \(x.shapeDescription)")
        }
        guard x.elementType.isFloatingPoint else { throw RNNError(file: xFile, "expected floating-point inputs, found \(x.elementType.rawValue)") }
        let timeMajor = model.layout == .timeMajor
        let N = timeMajor ? x.shape[1] : x.shape[0], T = timeMajor ? x.shape[0] : x.shape[1]
        guard N > 0, T > 0 else { throw RNNError(file: xFile, "holds no data (shape \(x.shapeDescription))") }
        func batchMajor(_ t: Tensor, width: Int) -> [Float] {
            var out = [Float](repeating: 0, count: N * T * width)
            for n in 0..<N {
                for s in 0..<T {
                    let from = model.layout.row(item: n, step: s, batch: N, steps: T) * width, to = (n * T + s) * width
                    for j in 0..<width { out[to + j] = Float(t.values[from + j]) }
                }
            }
            return out
        }
        if let k = x.values.firstIndex(where: { !$0.isFinite }) {
            throw RNNError(file: xFile, "value \(k) (\(TrainingData.position(k, x.shape))) is \(x.values[k]); inputs must be finite")
        }
        self.x = batchMajor(x, width: model.inputSize)
        (items, steps, inputSize, outputSize) = (N, T, model.inputSize, F)
        switch objective {
        case .crossEntropy:
            guard let labels, let file = labelsFile else { throw RNNError(at: "--labels", "missing: cross-entropy needs class labels (an [N, T] .npy of integers)") }
            guard target == nil else { throw RNNError(at: "--target", "cross-entropy takes --labels, not --target") }
            let shape = timeMajor ? [T, N] : [N, T]
            guard labels.shape == shape else { throw RNNError(file: file, "expected labels shaped \(Tensor.describe(shape)) (one per item and step), found \(labels.shapeDescription)") }
            var list = [Int32](repeating: 0, count: N * T)
            for n in 0..<N {
                for s in 0..<T {
                    let k = model.layout.row(item: n, step: s, batch: N, steps: T)
                    let v = labels.values[k]
                    guard v.isFinite, v == v.rounded(), v >= 0, v < Double(F) else {
                        throw RNNError(file: file, "label \(k) (\(TrainingData.position(k, labels.shape))) is \(v); expected a class 0…\(F - 1) (the model has \(F) outputs)")
                    }
                    list[n * T + s] = Int32(v)
                }
            }
            self.labels = list
            self.target = nil
        case .mse, .esr:
            guard let target, let file = targetFile else { throw RNNError(at: "--target", "missing: \(objective.rawValue) needs targets (an .npy shaped like the output)") }
            guard labels == nil else { throw RNNError(at: "--labels", "\(objective.rawValue) takes --target, not --labels") }
            let shape = timeMajor ? [T, N, F] : [N, T, F]
            guard target.shape == shape else { throw RNNError(file: file, "expected targets shaped \(Tensor.describe(shape)) (as the output y), found \(target.shapeDescription)") }
            if let k = target.values.firstIndex(where: { !$0.isFinite }) {
                throw RNNError(file: file, "value \(k) (\(TrainingData.position(k, target.shape))) is \(target.values[k]); targets must be finite")
            }
            self.target = batchMajor(target, width: F)
            self.labels = nil
        }
        if let lengths, let file = lengthsFile {
            guard lengths.shape == [N] else { throw RNNError(file: file, "expected one length per item ([\(N)]), found \(lengths.shapeDescription)") }
            self.lengths = try lengths.values.enumerated().map { k, v in
                guard v.isFinite, v == v.rounded(), v >= 0, v <= Double(T) else { throw RNNError(file: file, "length \(k) is \(v); expected a whole number 0…\(T)") }
                return Int(v)
            }
        } else {
            self.lengths = nil
        }
    }

    /// `[n, t, j]` of flat index `k` in `shape`.
    static func position(_ k: Int, _ shape: [Int]) -> String {
        var rest = k, index: [Int] = []
        for size in shape.reversed() {
            index.insert(rest % max(size, 1), at: 0)
            rest /= max(size, 1)
        }
        return "[" + index.map(String.init).joined(separator: ", ") + "]"
    }
}

/// How training runs: truncated windows, epochs, the optimizer, progress.
public struct TrainingSchedule: Sendable {
    public var steps: Int
    public var epochs: Int
    public var rule: OptimizerRule
    public var learningRate: Double
    public var clipNorm: Double?
    /// A progress line every this many batches.
    public var progressEvery: Int

    public init(steps: Int, epochs: Int, rule: OptimizerRule, learningRate: Double, clipNorm: Double?, progressEvery: Int) {
        (self.steps, self.epochs, self.rule, self.learningRate, self.clipNorm, self.progressEvery) = (steps, epochs, rule, learningRate, clipNorm, progressEvery)
    }

    /// Windows per epoch: the steps cut into windows of `steps`; a shorter last window is left out.
    public func windows(_ data: TrainingData) -> Int { data.steps / steps }
}

/// One progress line's figures: the mean loss of the last batches.
public struct TrainingProgress: Sendable {
    public var epoch: Int, batch: Int, batchesPerEpoch: Int
    public var meanLoss: Double
    public var batchesPerSecond: Double

    public init(epoch: Int, batch: Int, batchesPerEpoch: Int, meanLoss: Double, batchesPerSecond: Double) {
        (self.epoch, self.batch, self.batchesPerEpoch, self.meanLoss, self.batchesPerSecond) = (epoch, batch, batchesPerEpoch, meanLoss, batchesPerSecond)
    }

    public var line: String {
        String(format: "epoch %d batch %d/%d  loss %.6f  %.1f steps/s", epoch, batch, batchesPerEpoch, meanLoss, batchesPerSecond)
    }
}

/// Trains with the interpreter's float64 gradients and optimizer: any
/// model they cover (every stage kind, direction and cell option; per-item
/// lengths). All N items are one batch per window; the state each item
/// ends a window with starts its next window; it is zero at each epoch's start.
public struct ReferenceTrainer {
    public init() {}

    public func train(_ model: Model, data: TrainingData, objective: TrainingObjective, schedule: TrainingSchedule,
                      progress: (TrainingProgress) -> Void) throws -> Model {
        let K = schedule.steps, N = data.items, I = data.inputSize, F = data.outputSize
        let windows = schedule.windows(data)
        guard windows > 0 else { throw RNNError(at: "--steps \(K)", "is longer than the data's \(data.steps) steps") }
        var model = model
        var optimizer = Optimizer(rule: schedule.rule, learningRate: schedule.learningRate, clipNorm: schedule.clipNorm, for: model)
        let layout = model.layout
        for epoch in 1...schedule.epochs {
            var carried: [StateName: Tensor] = [:]
            var sum = 0.0, count = 0
            var started = Date()
            for w in 0..<windows {
                var x = [Double](repeating: 0, count: N * K * I)
                for n in 0..<N { for t in 0..<K { for j in 0..<I { x[(n * K + t) * I + j] = Double(data.x[(n * data.steps + w * K + t) * I + j]) } } }
                let lengths = data.lengths.map { $0.map { min(max($0 - w * K, 0), K) } }
                let batchMajor = Tensor(shape: [N, K, I], values: x)
                let inputs = ModelInputs(x: layout.arranging(batchMajor: batchMajor), sequenceLengths: lengths, initialStates: carried)
                let loss: Loss
                if let labels = data.labels {
                    loss = .crossEntropy(labels: (0..<N).map { n in (0..<K).map { Int(labels[n * data.steps + w * K + $0]) } })
                } else {
                    var y = [Double](repeating: 0, count: N * K * F)
                    for n in 0..<N { for t in 0..<K { for j in 0..<F { y[(n * K + t) * F + j] = Double(data.target![(n * data.steps + w * K + t) * F + j]) } } }
                    let t = Tensor(shape: [N, K, F], values: y)
                    let target = layout.arranging(batchMajor: t)
                    loss = objective == .esr ? .errorToSignal(target: target) : .meanSquaredError(target: target)
                }
                let g = try ReferenceGradients(model: model).gradients(inputs, loss: loss)
                model = try optimizer.step(model, gradients: g.parameters.map(\.gradient))
                carried = g.outputs.finalStates
                sum += g.loss
                count += 1
                if count == schedule.progressEvery || w == windows - 1 {
                    let seconds = max(Date().timeIntervalSince(started), 1e-9)
                    progress(TrainingProgress(epoch: epoch, batch: w + 1, batchesPerEpoch: windows, meanLoss: sum / Double(count), batchesPerSecond: Double(count) / seconds))
                    (sum, count, started) = (0, 0, Date())
                }
            }
        }
        return model
    }
}
