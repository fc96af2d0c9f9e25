/// Classifies 8×8 images row by row, as the seed tutorial's image classifier
/// does: each row of 8 pixels is one time step of a dense(16, relu) → LSTM(24)
/// → dense(10, softmax) model whose kernel rnngen generated at build time.
public enum RowClassifier {
    public static let rows = 8, columns = 8, classes = 10

    /// Class probabilities for each image: `images` holds `count` images of 64
    /// pixels (row-major); the result holds `count × 10` probabilities.
    public static func classify(_ images: [Float], count: Int) -> [Float] {
        precondition(images.count == count * rows * columns, "expected \(count) images of \(rows * columns) pixels")
        var probabilities = [Float](repeating: 0, count: count * classes)
        var y = [Float](repeating: 0, count: count * rows * row_classifier.outputSize)
        var workspace = [Float](repeating: 0, count: row_classifier.workspaceFloats(steps: rows))
        images.withUnsafeBufferPointer { x in
            row_classifier.run(x: x.baseAddress!, batch: count, steps: rows, sequenceLengths: nil, initialState: nil,
                               y: &y, finalState: nil, head: &probabilities, workspace: &workspace)
        }
        return probabilities
    }

    /// The same for one image, streaming its rows through `step` as they arrive
    /// (say, from a line-scan sensor).
    public static func classifyStreaming(_ image: [Float]) -> [Float] {
        precondition(image.count == rows * columns)
        var state = row_classifierState()
        image.withUnsafeBufferPointer { pixels in
            var y = InlineArray<24, Float>(repeating: 0)
            withUnsafeMutablePointer(to: &y) { raw in
                UnsafeMutableRawPointer(raw).withMemoryRebound(to: Float.self, capacity: 24) { out in
                    for row in 0..<rows { row_classifier.step(&state, x: pixels.baseAddress! + row * columns, y: out) }
                }
            }
        }
        var probabilities = [Float](repeating: 0, count: classes)
        probabilities.withUnsafeMutableBufferPointer { row_classifier.head(state, into: $0.baseAddress!) }
        return probabilities
    }
}
