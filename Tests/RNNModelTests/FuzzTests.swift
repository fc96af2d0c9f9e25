import Foundation
import XCTest
@testable import RNNModel

/// Byte-level fuzzing of every reader, in-process and seeded: mutated
/// `.npy`, `.npz`, `.safetensors`, `.onnx` and description files must give
/// rnngen's error (`RNNError`) or a value — never a crash or a trap, which
/// would end this test process. `RNNGEN_FUZZ_SEED` picks the seed (printed),
/// `RNNGEN_FUZZ_COUNT` the inputs per reader (default 2,000).
final class FuzzTests: XCTestCase {
    /// SplitMix64: small, seedable, the same on every platform.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
    }

    static let seed: UInt64 = UInt64(ProcessInfo.processInfo.environment["RNNGEN_FUZZ_SEED"] ?? "") ?? 20261127
    static let count = Int(ProcessInfo.processInfo.environment["RNNGEN_FUZZ_COUNT"] ?? "") ?? 2000

    /// Values that make lengths, sizes and offsets lie.
    static let interesting: [UInt64] = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0xffff, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff,
                                        1 << 40, 0x7fff_ffff_ffff_ffff, 0x8000_0000_0000_0000, .max]

    /// One mutation of `input`: flips, interesting values (1–8 bytes, either
    /// endianness), inserted, deleted, duplicated or truncated chunks.
    static func mutate(_ input: [UInt8], _ g: inout Generator) -> [UInt8] {
        var bytes = input
        for _ in 0...g.below(3) {
            guard !bytes.isEmpty else { bytes = [UInt8(g.below(256))]; continue }
            let at = g.below(bytes.count)
            switch g.below(7) {
            case 0: bytes[at] ^= UInt8(1 << g.below(8))
            case 1: bytes[at] = UInt8(g.below(256))
            case 2:
                let value = interesting[g.below(interesting.count)], width = [1, 2, 4, 8][g.below(4)], big = g.below(2) == 0
                for k in 0..<width where at + k < bytes.count {
                    let shift = UInt64(8 * (big ? width - 1 - k : k))
                    bytes[at + k] = UInt8(truncatingIfNeeded: value >> shift)
                }
            case 3: bytes.insert(contentsOf: (0..<g.below(16)).map { _ in UInt8(g.below(256)) }, at: at)
            case 4: bytes.removeSubrange(at..<min(bytes.count, at + 1 + g.below(32)))
            case 5:
                let end = min(bytes.count, at + 1 + g.below(64))
                bytes.insert(contentsOf: Array(bytes[at..<end]), at: g.below(bytes.count))
            default: bytes.removeSubrange(at..<bytes.count)
            }
        }
        return bytes
    }

    /// Feeds `count` mutations of `seedFile` to `read`; every throw must be an RNNError.
    func fuzz(_ label: String, _ seedFile: [UInt8], salt: UInt64, _ read: ([UInt8]) throws -> Void) {
        var g = Generator(state: Self.seed ^ salt)
        var rejected = 0, accepted = 0
        for index in 0..<Self.count {
            let input = Self.mutate(seedFile, &g)
            do {
                try read(input)
                accepted += 1
            } catch let error as RNNError {
                rejected += 1
                let line = error.description
                if index < 50 || line.count > 2000 {
                    XCTAssertLessThan(Quote.text(line, limit: 1000).count, 1100, "\(label) #\(index): \(line.prefix(200))")
                }
            } catch {
                XCTFail("\(label) #\(index) (seed \(Self.seed)): not an RNNError: \(error)")
            }
        }
        print("fuzz \(label): \(Self.count) inputs, seed \(Self.seed): \(rejected) rejected, \(accepted) read")
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    func file(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: Self.root.appendingPathComponent(path))) }

    func testNPY() throws {
        fuzz("npy", try file("Fixtures/torch/torch_lstm_h0c0/x.npy"), salt: 1) { _ = try NPY.decode($0) }
    }

    func testNPZ() throws {
        fuzz("npz", try file("Fixtures/torch/torch_lstm_h0c0/state_dict.npz"), salt: 2) { bytes in
            let archive = try NPZArchive(path: "fuzz.npz", bytes: bytes)
            for name in archive.names { _ = try archive.tensor(named: name) }
        }
    }

    func testSafetensors() throws {
        fuzz("safetensors", try file("Recorded/safetensors/torch_lstm_h0c0/model.safetensors"), salt: 3) { bytes in
            let archive = try SafetensorsFile(path: "fuzz.safetensors", bytes: bytes)
            for name in archive.names { _ = try archive.tensor(named: name) }
        }
    }

    func testONNX() throws {
        fuzz("onnx", try file("Fixtures/onnx/gru_h7_lbr0_bidir_seqlens/model.onnx"), salt: 4) { bytes in
            let graph = try ONNXReader.decode(bytes)
            _ = try? ONNXImport.recognize(graph, name: "fuzz", provided: [:])
        }
    }

    func testDescription() throws {
        let text = """
        {"rnngen": 1, "name": "fuzz", "framework": "keras", "input_size": 2, "layout": "batch_major", "pipeline": [
          {"dense": {"units": 3, "activation": "relu", "kernel": [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], "bias": [0, 0, 0]}},
          {"recurrent": {"cell": "gru", "hidden_sizes": [2], "activation": "hard_sigmoid",
            "weights": [{"kernel": [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]],
                         "recurrent_kernel": [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]]}]}},
          {"head": {"activation": "softmax", "kernel": [[1, 0], [0, 1]]}}
        ]}
        """
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnngen-fuzz-\(UUID().uuidString)")
        fuzz("description", Array(text.utf8), salt: 5) { bytes in
            _ = try ModelDescription.parse(Data(bytes), baseDirectory: folder)
        }
    }
}
