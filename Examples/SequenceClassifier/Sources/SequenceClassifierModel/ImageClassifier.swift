/// Classifies 8×8 images row by row, as the seed tutorial's image classifier
/// does: each row of 8 pixels is one time step of a dense(16, relu) → LSTM(24)
/// → dense(10, softmax) model whose kernel rnngen generated at build time.
public enum ImageClassifier {
    public static let rows = 8, columns = 8, classes = 10

    /// Class probabilities for each image: `images` holds `count` images of 64
    /// pixels (row-major); the result holds `count × 10` probabilities.
    public static func classify(_ images: [Float], count: Int) -> [Float] {
        precondition(images.count == count * rows * columns, "expected \(count) images of \(rows * columns) pixels")
        var probabilities = [Float](repeating: 0, count: count * classes)
        var y = [Float](repeating: 0, count: count * rows * RowClassifier.outputSize)
        var workspace = [Float](repeating: 0, count: RowClassifier.workspaceFloats(steps: rows))
        images.withUnsafeBufferPointer { x in
            RowClassifier.run(x: x.baseAddress!, batch: count, steps: rows, sequenceLengths: nil, initialState: nil,
                              y: &y, finalState: nil, head: &probabilities, workspace: &workspace)
        }
        return probabilities
    }

    /// The same for one image, streaming its rows through `step` as they arrive
    /// (say, from a line-scan sensor).
    public static func classifyStreaming(_ image: [Float]) -> [Float] {
        precondition(image.count == rows * columns)
        var model = RowClassifier()
        for row in 0..<rows {
            var pixels = RowClassifier.Input(repeating: 0)
            for k in 0..<columns { pixels[k] = image[row * columns + k] }
            model.step(pixels)
        }
        let head = model.head()
        return (0..<classes).map { head[$0] }
    }
}
