import Foundation
import XCTest
import RNNTestSupport
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

final class NPYFormatTests: XCTestCase {
    /// Builds `.npy` bytes with an arbitrary header, as other writers produce them.
    func npy(_ header: String, _ payload: [UInt8], version: UInt8 = 1) -> [UInt8] {
        var h = header
        let prefix = version == 1 ? 10 : 12
        h += String(repeating: " ", count: (64 - (prefix + h.utf8.count + 1) % 64) % 64) + "\n"
        let length = h.utf8.count
        let lengthBytes: [UInt8] = version == 1
            ? [UInt8(length & 0xff), UInt8(length >> 8)]
            : [UInt8(length & 0xff), UInt8((length >> 8) & 0xff), 0, 0]
        return NPY.magic + [version, 0] + lengthBytes + Array(h.utf8) + payload
    }

    func testFortranOrderIsTransposedBack() throws {
        // [[1, 2, 3], [4, 5, 6]] stored column by column as int8.
        let t = try NPY.decode(npy("{'descr': '|i1', 'fortran_order': True, 'shape': (2, 3), }", [1, 4, 2, 5, 3, 6]))
        XCTAssertEqual(t.shape, [2, 3])
        XCTAssertEqual(t.values, [1, 2, 3, 4, 5, 6])
    }

    func testBigEndianAndVersion2Headers() throws {
        let t = try NPY.decode(npy("{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }", [0, 0, 1, 0, 255, 255, 255, 254], version: 2))
        XCTAssertEqual(t.values, [256, -2])
        XCTAssertEqual(t.elementType, .int32)
    }

    func testScalarsFloat16AndFloat64() throws {
        XCTAssertEqual(try NPY.decode(npy("{'descr': '<f2', 'fortran_order': False, 'shape': (), }", [0x00, 0x3c])).values, [1.0])
        let f8 = try NPY.decode(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", Array(withUnsafeBytes(of: 0.1.bitPattern.littleEndian, Array.init))))
        XCTAssertEqual(f8.values, [0.1])
    }

    func testUnsupportedDtypeIsNamed() {
        XCTAssertThrowsError(try NPY.decode(npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", Array(repeating: 0, count: 8)))) {
            XCTAssertTrue("\($0)".contains("unsupported .npy dtype '<c8'"), "\($0)")
        }
    }

    func testEncodedHeaderIsAlignedAndReadableAsInt64() throws {
        let bytes = NPY.encode(Tensor(shape: [3], elementType: .int64, values: [1, -2, 3]))
        XCTAssertEqual((bytes.count - 24) % 64, 0)
        XCTAssertEqual(try NPY.decode(bytes).values, [1, -2, 3])
    }
}
