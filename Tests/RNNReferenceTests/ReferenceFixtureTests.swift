import Foundation
import XCTest
import RNNModel
import RNNReference

/// Every recorded framework case through the reference interpreter, within
/// 1e-5 on every output.
final class ReferenceFixtureTests: XCTestCase {
    let interpreter = InterpreterExecutor()

    func testONNXBackendNodeCases() throws {
        let cases = try FixtureCatalog.onnxNode()
        XCTAssertEqual(cases.count, 18)
        for c in cases { try c.check(interpreter) }
    }

    func testONNXCases() throws {
        let cases = try FixtureCatalog.onnx()
        XCTAssertEqual(cases.count, 18)
        for c in cases { try c.check(interpreter) }
    }

    func testTorchExports() throws {
        let cases = try FixtureCatalog.torchExports()
        XCTAssertEqual(cases.count, 6)
        for c in cases { try c.check(interpreter) }
    }

    func testTF1Cases() throws {
        let cases = try FixtureCatalog.tf1()
        XCTAssertEqual(cases.count, 14)
        for c in cases { try c.check(interpreter) }
    }

    func testKerasCases() throws {
        let cases = try FixtureCatalog.keras()
        XCTAssertEqual(cases.count, 7)
        for c in cases { try c.check(interpreter) }
    }

    func testTorchStateDictCases() throws {
        let cases = try FixtureCatalog.torchStateDicts()
        XCTAssertEqual(cases.count, 7)
        for c in cases { try c.check(interpreter) }
    }
}
