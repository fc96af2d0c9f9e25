import Foundation
import XCTest
@testable import RNNModel

/// The graph runner's shape ops on the integer tensors exporters write.
final class ONNXOpsTests: XCTestCase {
    func slice(_ data: Tensor, starts: [Double], ends: [Double], axes: [Double]? = nil) throws -> Tensor {
        var values = ["data": data, "starts": Tensor(shape: [starts.count], elementType: .int64, values: starts),
                      "ends": Tensor(shape: [ends.count], elementType: .int64, values: ends)]
        var inputs = ["data", "starts", "ends"]
        if let axes { values["axes"] = Tensor(shape: [axes.count], elementType: .int64, values: axes); inputs.append("axes") }
        let node = ONNXNode(name: "slice", opType: "Slice", domain: "", inputs: inputs, outputs: ["y"], attributes: [:])
        var budget = ONNXOps.ElementBudget(values.values)
        return try ONNXOps.evaluate(node, values, budget: &budget)[0]
    }

    /// PyTorch writes "to the end" as INT64_MAX, which as a double is 2^63,
    /// one past Int.max: it must slice to the end, not trap.
    func testSliceToInt64MaxRunsToTheEnd() throws {
        let data = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let int64Max = Double(Int64.max)
        let y = try slice(data, starts: [1], ends: [int64Max], axes: [1])
        XCTAssertEqual(y.shape, [2, 2])
        XCTAssertEqual(y.values, [2, 3, 5, 6])
        let z = try slice(data, starts: [-int64Max], ends: [1], axes: [0])
        XCTAssertEqual(z.values, [1, 2, 3])
    }

    func testSliceRefusesFractionsNaNAndMismatchedCounts() {
        let data = Tensor(shape: [4], values: [1, 2, 3, 4])
        for (starts, ends, axes, expected) in [([0.5], [2.0], nil as [Double]?, "expected integers, found 0.5"),
                                               ([Double.nan], [2.0], nil, "expected integers"),
                                               ([0.0, 1.0], [2.0], nil, "one entry each per sliced axis"),
                                               ([0.0], [2.0], [0.0, 0.0], "one entry each per sliced axis")] {
            XCTAssertThrowsError(try slice(data, starts: starts, ends: ends, axes: axes)) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(error)")
                XCTAssertTrue("\(error)".contains("node 'slice' (Slice)"), "\(error)")
            }
        }
    }
}
