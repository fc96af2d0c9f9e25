import Foundation
import XCTest
import RNNTestSupport
@testable import RNNModel

/// The safetensors reader: every dtype it accepts reads to the values the
/// writer stored, and a file whose header lies gets rnngen's one-line error.
final class SafetensorsTests: XCTestCase {
    static let recorded = Recorded.root.appendingPathComponent("safetensors/torch_lstm_2layer_bidir")
    static let recordedNPZ = Fixtures.root.appendingPathComponent("torch/torch_lstm_2layer_bidir/state_dict.npz")

    func file(_ name: String) -> String { Self.recorded.appendingPathComponent(name).path }

    /// F32 and F64 hold the recorded float32 weights exactly; F16 and BF16
    /// hold what numpy and ml_dtypes rounded them to.
    func testEveryDtypeReadsTheValuesTheWriterStored() throws {
        let npz = try NPZArchive(contentsOf: Self.recordedNPZ.path)
        let pairs: [(String, any TensorArchive, ElementType)] = [
            ("model.safetensors", npz, .float32), ("model_f64.safetensors", npz, .float64),
            ("model_f16.safetensors", try NPZArchive(contentsOf: file("rounded_f16.npz")), .float16),
            ("model_bf16.safetensors", try NPZArchive(contentsOf: file("rounded_bf16.npz")), .bfloat16),
        ]
        for (name, reference, type) in pairs {
            let archive = try TensorArchives.open(file(name))
            XCTAssertTrue(archive is SafetensorsFile, name)
            XCTAssertEqual(Set(archive.names), Set(reference.names), name)
            XCTAssertEqual(archive.names.count, 16, name)
            for tensor in archive.names {
                let got = try archive.tensor(named: tensor), want = try reference.tensor(named: tensor)
                XCTAssertEqual(got.shape, want.shape, "\(name) \(tensor)")
                XCTAssertEqual(got.values, want.values, "\(name) \(tensor)")
                XCTAssertEqual(got.elementType, type, "\(name) \(tensor)")
            }
        }
        // The narrow files really are narrow: rounding changed some weights.
        let f32 = try TensorArchives.open(file("model.safetensors")).tensor(named: "weight_ih_l0")
        for narrow in ["model_f16.safetensors", "model_bf16.safetensors"] {
            XCTAssertNotEqual(try TensorArchives.open(file(narrow)).tensor(named: "weight_ih_l0").values, f32.values, narrow)
        }
    }

    /// A safetensors file built by hand: header JSON, then data.
    func safetensors(_ header: String, data: [UInt8], declaredLength: UInt64? = nil) -> [UInt8] {
        let json = Array(header.utf8)
        let length = declaredLength ?? UInt64(json.count)
        return (0..<8).map { UInt8((length >> (8 * UInt64($0))) & 0xff) } + json + data
    }

    func error(_ bytes: [UInt8], tensor: String? = "w", name: String = "bad.safetensors") throws -> RNNError? {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rnngen-safetensors-\(UUID().uuidString)-\(name)")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            let archive = try TensorArchives.open(url.path)
            if let tensor { _ = try archive.tensor(named: tensor) }
            return nil
        } catch let error as RNNError {
            XCTAssertEqual(error.file, url.path, "the error names the file")
            XCTAssertFalse(error.description.contains("\n"), "one line: \(error.description)")
            XCTAssertLessThan(error.description.count, 400, "short: \(error.description)")
            return error
        }
    }

    func testAGoodHandMadeFileReads() throws {
        let floats: [Float] = [1, -2, 0.5, 3]
        let data = floats.flatMap { f in (0..<4).map { UInt8((f.bitPattern >> (8 * UInt32($0))) & 0xff) } }
        XCTAssertNil(try error(safetensors(#"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"__metadata__":{"format":"pt"}}"#, data: data)))
    }

    func testLyingFilesGetAnErrorNamingTheProblem() throws {
        let four = [UInt8](repeating: 0, count: 16)
        let cases: [(String, [UInt8], String)] = [
            ("header length past the end", safetensors(#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: four, declaredLength: 1 << 62), "header length says"),
            ("huge header length", safetensors("{}", data: [], declaredLength: UInt64.max), "header length says"),
            ("truncated", [3, 0, 0], "truncated"),
            ("not JSON", safetensors("{\"w\": [", data: four), "not valid JSON"),
            ("not an object", safetensors("[1, 2]", data: four), "not a JSON object"),
            ("offsets past the data", safetensors(#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,17]}}"#, data: four), "outside the 16 data bytes"),
            ("offsets reversed", safetensors(#"{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}"#, data: four), "outside"),
            ("size that lies", safetensors(#"{"w":{"dtype":"F32","shape":[5],"data_offsets":[0,16]}}"#, data: four), "needs 20"),
            ("shape that overflows", safetensors(#"{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,16]}}"#, data: four), "too many elements"),
            ("negative dimension", safetensors(#"{"w":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}}"#, data: four), "non-negative integers"),
            ("fractional dimension", safetensors(#"{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,16]}}"#, data: four), "non-negative integers"),
            ("huge offset", safetensors(#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,1e300]}}"#, data: four), "two non-negative integers"),
            ("boolean dimension", safetensors(#"{"w":{"dtype":"F32","shape":[true],"data_offsets":[0,16]}}"#, data: four), "non-negative integers"),
            ("missing dtype", safetensors(#"{"w":{"shape":[4],"data_offsets":[0,16]}}"#, data: four), "'dtype'"),
            ("unsupported dtype", safetensors(#"{"w":{"dtype":"F8_E4M3","shape":[16],"data_offsets":[0,16]}}"#, data: four), "F8_E4M3 is not supported"),
            ("missing tensor", safetensors(#"{"v":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: four), "no such tensor in the file (it has: v)"),
        ]
        for (label, bytes, expected) in cases {
            let found = try error(bytes)
            XCTAssertNotNil(found, label)
            XCTAssertTrue(found?.description.contains(expected) ?? false, "\(label): \(found?.description ?? "no error")")
        }
    }

    func testNamesFromTheFileAreEscapedAndCut() throws {
        let name = "a\nb\u{0}" + String(repeating: "x", count: 5000)
        let header = #"{"\#(name.replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\u{0}", with: "\\u0000"))":{"dtype":"F32","shape":[5],"data_offsets":[0,16]}}"#
        let found = try error(safetensors(header, data: [UInt8](repeating: 0, count: 16)), tensor: nil)
        XCTAssertTrue(found?.description.contains("a\\nb\\0xxx") ?? false, found?.description ?? "no error")
    }

    func testFilesThatAreNeitherFormatSaySo() throws {
        let found = try error(Array("hello, this is text".utf8), tensor: nil, name: "weights.bin")
        XCTAssertTrue(found?.description.contains("not a tensor archive") ?? false, found?.description ?? "no error")
    }
}
