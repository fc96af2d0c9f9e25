import Foundation
import XCTest
import RNNModel
import RNNTestSupport

/// Files that once crashed rnngen (issue 9's fuzzing report), each kept as a
/// regression test: now a one-line error, a non-zero exit, nothing written.
final class HostileFileTests: XCTestCase {
    var scratch: Scratch!

    override func setUpWithError() throws { scratch = try Scratch() }

    func expectFailure(_ args: [String], _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        let result = scratch.rnngen(args)
        XCTAssertEqual(result.code, 1, result.out, file: file, line: line)
        let message = result.err.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertFalse(message.contains("\n"), message, file: file, line: line)
        for fragment in fragments { XCTAssertTrue(message.contains(fragment), "'\(fragment)' not in: \(message)", file: file, line: line) }
        XCTAssertEqual(scratch.files(in: "out"), [], "nothing written", file: file, line: line)
    }

    /// `.npy` bytes with a raw header and payload.
    func npy(_ header: String, _ payload: [UInt8]) -> [UInt8] {
        var h = header
        h += String(repeating: " ", count: (64 - (10 + h.utf8.count + 1) % 64) % 64) + "\n"
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(h.utf8.count & 0xff), UInt8(h.utf8.count >> 8)] + Array(h.utf8) + payload
    }

    func tinyRNN() throws -> String {
        try scratch.write("tiny.rnn.json", """
        {"rnngen": 1, "input_size": 1, "pipeline": [{"recurrent": {"cell": "rnn", "hidden_sizes": [2], "weights": [{"W": [[0.5], [-0.5]], "R": [[0.1, 0.2], [0.3, 0.4]]}]}}]}
        """)
    }

    func testZIP64SizesBeyondIntAreAnErrorNotATrap() throws {
        func u16(_ v: Int) -> [UInt8] { [UInt8(v & 0xff), UInt8((v >> 8) & 0xff)] }
        func u32(_ v: Int) -> [UInt8] { u16(v & 0xffff) + u16(v >> 16) }
        let name = Array("W.npy".utf8)
        let extra = u16(1) + u16(8) + (0..<8).map { $0 == 7 ? 0x80 : 0 }  // size = 2^63
        let central = u32(0x0201_4b50) + u16(45) + u16(45) + u16(0) + u16(0) + u16(0) + u16(0) + u32(0)
            + u32(0) + [0xff, 0xff, 0xff, 0xff] + u16(name.count) + u16(extra.count) + u16(0) + u16(0) + u16(0) + u32(0) + u32(0) + name + extra
        let end = u32(0x0605_4b50) + u16(0) + u16(0) + u16(1) + u16(1) + u32(central.count) + u32(0) + u16(0)
        try scratch.write("w.npz", bytes: central + end)
        let model = try scratch.write("m.rnn.json", """
        {"rnngen": 1, "input_size": 1, "weights_file": "w.npz", "pipeline": [{"recurrent": {"cell": "rnn", "hidden_sizes": [2], "weights": [{"W": "W", "R": "R"}]}}]}
        """)
        expectFailure(["inspect", model], ["w.npz", "W.npy", "ZIP64 size 9223372036854775808 is larger than the file"])
    }

    func testSequenceLengthsBeyondIntAreAnErrorNotATrap() throws {
        try scratch.write("x.npy", Tensor(zeros: [1, 3, 1]))
        try scratch.write("lens.npy", bytes: npy("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]))
        expectFailure(["run", try tinyRNN(), "--input", "x=" + scratch.path("x.npy"), "--input", "seq_lens=" + scratch.path("lens.npy"), "--output-dir", scratch.path("out")],
                      ["--input seq_lens: element 0 is 9.223372036854776e+18, not a whole number in range"])
    }

    func testONNXSequenceLengthsMustBeIntegers() throws {
        let folder = Fixtures.root.appendingPathComponent("onnx/gru_h7_lbr0_bidir_seqlens")
        var args = ["run", folder.appendingPathComponent("model.onnx").path, "--output-dir", scratch.path("out")]
        for name in ["X", "initial_h"] { args += ["--input", "\(name)=" + folder.appendingPathComponent("\(name).npy").path] }
        let x = try NPY.read(contentsOf: folder.appendingPathComponent("X.npy").path)
        for bad in [Double.nan, .infinity, 1e30] {
            try scratch.write("lens.npy", Tensor(shape: [x.shape[1]], values: Array(repeating: bad, count: x.shape[1])))
            expectFailure(args + ["--input", "sequence_lens=" + scratch.path("lens.npy")], ["sequence_lens: expected integers (int32), found float32"])
        }
        try scratch.write("lens.npy", bytes: npy("{'descr': '<i8', 'fortran_order': False, 'shape': (\(x.shape[1]),), }",
                                                 Array(repeating: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], count: x.shape[1]).flatMap { $0 }))
        expectFailure(args + ["--input", "sequence_lens=" + scratch.path("lens.npy")], ["sequence_lens: element 0 is 9.223372036854776e+18, not a whole number in range"])
    }

    func testAnEmptyInputWithAHugeBatchIsRefusedBeforeAllocating() throws {
        try scratch.write("x.npy", bytes: npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2147483647, 0, 1), }", []))
        for engine in ["reference", "c"] {
            expectFailure(["run", try tinyRNN(), "--input", "x=" + scratch.path("x.npy"), "--output-dir", scratch.path("out"), "--engine", engine],
                          ["x: a batch of 2147483647 × 0 steps × 2 features is more than one run holds"])
        }
    }

    /// Text from the file is escaped and cut: a 1 MB string or a key with
    /// newlines and NULs still gives one short line.
    func testFileTextInErrorsIsEscapedAndCut() throws {
        let huge = String(repeating: "lstm", count: 250_000)
        let model = try scratch.write("big.rnn.json", """
        {"rnngen": 1, "input_size": 1, "pipeline": [{"recurrent": {"cell": "\(huge)", "hidden_sizes": [2]}}]}
        """)
        let result = scratch.rnngen(["inspect", model])
        XCTAssertEqual(result.code, 1)
        XCTAssertLessThan(result.err.count, 1200, "the error line is cut")
        XCTAssertTrue(result.err.contains("unknown cell 'lstmlstm"), result.err.prefix(300) + "")
        let keyed = try scratch.write("key.rnn.json", #"{"rnngen": 1, "input_size": 1, "bad\nkey\u0000": 1, "pipeline": []}"#)
        let second = scratch.rnngen(["inspect", keyed])
        XCTAssertEqual(second.code, 1)
        XCTAssertEqual(second.err.trimmingCharacters(in: .newlines).components(separatedBy: "\n").count, 1, second.err)
        XCTAssertTrue(second.err.contains("$.bad\\nkey\\0: unknown field"), second.err)
    }

    /// Weights given as graph inputs stand in as zeros for `inspect`; a
    /// declared shape of 2^40 rows is refused instead of allocated.
    func testInspectRefusesHugeDeclaredWeightShapes() throws {
        let bytes = TestEncoding.onnx(nodes: [("LSTM", ["X", "W", "R"], ["Y"])], inputs: ["X", "W", "R"], outputs: ["Y"],
                                      shapes: ["X": [5, 1, 3], "W": [1, 1 << 40, 3], "R": [1, 1 << 40, 1 << 38]])
        let model = try scratch.write("huge.onnx", bytes: bytes)
        expectFailure(["inspect", model], ["huge.onnx", "graph input W: declared shape [1, 1099511627776, 3]", "give the weights with --input W=FILE.npy"])
    }

    /// Found by FuzzTests (seed 1): a number before a deeper array in an
    /// inline tensor filled no shape and trapped in Tensor's precondition.
    func testRaggedInlineTensorIsAnError() throws {
        let model = try scratch.write("ragged.rnn.json", """
        {"rnngen": 1, "input_size": 1, "pipeline": [{"recurrent": {"cell": "rnn", "hidden_sizes": [2], "weights": [{"W": [1, [2, 3]], "R": [[0.1, 0.2], [0.3, 0.4]]}]}}]}
        """)
        expectFailure(["inspect", model], ["$.pipeline[0].recurrent.weights[0].W", "ragged nested arrays: 3 numbers do not fill a shape of [2, 2]"])
    }

    /// Found looking for what a few bytes can make the graph runner allocate:
    /// an Expand of one value to 2^30 (a 300-byte file) allocated 8 GiB and
    /// filled it. The ops now share a budget of values (2^24 plus 16 times
    /// the graph's given values) and stop before allocating.
    func testExpandingAFewBytesIntoGigabytesIsRefused() throws {
        let bytes = TestEncoding.onnx(nodes: [("Expand", ["one", "shape"], ["big"]), ("Concat", ["big", "big"], ["bigger"])], inputs: [], outputs: ["bigger"],
                                      initializers: [("one", [1], [1]), ("shape", [2], [1 << 15, 1 << 15])])
        let model = try scratch.write("bomb.onnx", bytes: bytes)
        let start = Date()
        expectFailure(["run", model, "--output-dir", scratch.path("out")], ["bomb.onnx", "would make 1073741824 values, more than the graph's inputs justify"])
        XCTAssertLessThan(Date().timeIntervalSince(start), 1, "refused before allocating")
        // Chained amplifiers share one budget: 40 Concats of 2^19 values each.
        var nodes: [(op: String, inputs: [String], outputs: [String])] = [("Expand", ["one", "shape"], ["v0"])]
        for k in 0..<40 { nodes.append(("Concat", ["v\(k)"], ["v\(k + 1)"])) }
        let chain = try scratch.write("chain.onnx", bytes: TestEncoding.onnx(nodes: nodes, inputs: [], outputs: ["v40"],
                                                                            initializers: [("one", [1], [1]), ("shape", [1], [1 << 19])]))
        expectFailure(["run", chain, "--output-dir", scratch.path("out")], ["chain.onnx", "more than the graph's inputs justify"])
    }
}
