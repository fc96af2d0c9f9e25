import Foundation
import XCTest
@testable import RNNModel

final class NPYTests: XCTestCase {
    func testRoundTripKeepsShapeAndValues() throws {
        let tensor = Tensor(shape: [2, 3], values: [1, -2.5, 3, 0, 1e-3, 7])
        let decoded = try NPY.decode(NPY.encode(tensor))
        XCTAssertEqual(decoded.shape, [2, 3])
        XCTAssertEqual(decoded.values, tensor.values.map { Double(Float($0)) })
        XCTAssertEqual(decoded.elementType, .float32)
    }
}
