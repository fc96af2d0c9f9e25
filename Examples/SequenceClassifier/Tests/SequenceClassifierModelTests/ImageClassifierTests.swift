import XCTest
import SequenceClassifierModel

final class ImageClassifierTests: XCTestCase {
    let images: [Float] = (0..<(3 * 64)).map { Float(($0 * 37) % 11) / 10 }

    func testProbabilitiesSumToOne() {
        let p = ImageClassifier.classify(images, count: 3)
        XCTAssertEqual(p.count, 30)
        for i in 0..<3 { XCTAssertEqual(p[(i * 10)..<((i + 1) * 10)].reduce(0, +), 1, accuracy: 1e-5) }
        XCTAssertTrue(p.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    /// Streaming rows through `step` and classifying the batch with `run` agree.
    func testStreamingAgreesWithTheBatch() {
        let batch = ImageClassifier.classify(images, count: 3)
        for i in 0..<3 {
            let streamed = ImageClassifier.classifyStreaming(Array(images[(i * 64)..<((i + 1) * 64)]))
            for k in 0..<10 { XCTAssertEqual(streamed[k], batch[i * 10 + k], accuracy: 1e-6) }
        }
    }
}
