/// Streams a binary sequence through the seed tutorial's RNN one bit at a
/// time, the real-time way: each bit is one call of the generated kernel's
/// `step`, the state carried between calls, and after any bit the softmax
/// head gives the two class probabilities for the sequence so far.
public struct BitStream {
    var state = binary_seq_rnnState()
    public private(set) var count = 0

    public init() {}

    /// Feeds one bit (one-hot encoded as the model was trained) and returns the RNN's output for it.
    @discardableResult
    public mutating func push(_ bit: Bool) -> InlineArray<4, Float> {
        count += 1
        return binary_seq_rnn.step(&state, bit ? [0, 1] : [1, 0])
    }

    /// The head's softmax over the two classes, on the state after the last bit.
    public var probabilities: (Float, Float) {
        var out: (Float, Float) = (0, 0)
        withUnsafeMutablePointer(to: &out) { pointer in
            pointer.withMemoryRebound(to: Float.self, capacity: 2) { binary_seq_rnn.head(state, into: $0) }
        }
        return out
    }

    /// Forgets every bit pushed so far.
    public mutating func reset() {
        binary_seq_rnn.reset(&state)
        count = 0
    }
}
