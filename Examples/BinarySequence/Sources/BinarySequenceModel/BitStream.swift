/// Streams a binary sequence through the seed tutorial's RNN one bit at a
/// time, the real-time way: each bit is one call of the generated kernel's
/// `step`, the state carried between calls, and after any bit the softmax
/// head gives the two class probabilities for the sequence so far.
public struct BitStream {
    var model = BinarySeqRNN()
    public private(set) var count = 0

    public init() {}

    /// Feeds one bit (one-hot encoded as the model was trained) and returns the RNN's output for it.
    @discardableResult
    public mutating func push(_ bit: Bool) -> InlineArray<4, Float> {
        count += 1
        return model.step(bit ? [0, 1] : [1, 0])
    }

    /// The head's softmax over the two classes, on the state after the last bit.
    public var probabilities: (Float, Float) {
        let p = model.head()
        return (p[0], p[1])
    }

    /// Forgets every bit pushed so far.
    public mutating func reset() {
        model.reset()
        count = 0
    }
}
