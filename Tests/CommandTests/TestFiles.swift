import Foundation
import RNNModel
import RNNGenCommands
import RNNTestSupport

/// Minimal writers for test inputs that must be malformed in precise ways.
enum TestEncoding {
    /// A stored (or, with `method: 8`, a fake-deflated) single-entry ZIP file.
    static func zip(name: String, payload: [UInt8], method: UInt16 = 0) -> [UInt8] {
        func u16(_ v: Int) -> [UInt8] { [UInt8(v & 0xff), UInt8((v >> 8) & 0xff)] }
        func u32(_ v: Int) -> [UInt8] { u16(v & 0xffff) + u16(v >> 16) }
        let nameBytes = Array(name.utf8)
        let local = u32(0x0403_4b50) + u16(20) + u16(0) + u16(Int(method)) + u16(0) + u16(0) + u32(0)
            + u32(payload.count) + u32(payload.count) + u16(nameBytes.count) + u16(0) + nameBytes + payload
        let central = u32(0x0201_4b50) + u16(20) + u16(20) + u16(0) + u16(Int(method)) + u16(0) + u16(0) + u32(0)
            + u32(payload.count) + u32(payload.count) + u16(nameBytes.count) + u16(0) + u16(0) + u16(0) + u16(0)
            + u32(0) + u32(0) + nameBytes
        let end = u32(0x0605_4b50) + u16(0) + u16(0) + u16(1) + u16(1) + u32(central.count) + u32(local.count) + u16(0)
        return local + central + end
    }

    /// A stored ZIP file of several entries, as `np.savez` writes them.
    static func zip(entries: [(name: String, payload: [UInt8])]) -> [UInt8] {
        func u16(_ v: Int) -> [UInt8] { [UInt8(v & 0xff), UInt8((v >> 8) & 0xff)] }
        func u32(_ v: Int) -> [UInt8] { u16(v & 0xffff) + u16(v >> 16) }
        var locals: [UInt8] = [], central: [UInt8] = []
        for (name, payload) in entries {
            let nameBytes = Array(name.utf8)
            central += u32(0x0201_4b50) + u16(20) + u16(20) + u16(0) + u16(0) + u16(0) + u16(0) + u32(0)
                + u32(payload.count) + u32(payload.count) + u16(nameBytes.count) + u16(0) + u16(0) + u16(0) + u16(0)
                + u32(0) + u32(locals.count) + nameBytes
            locals += u32(0x0403_4b50) + u16(20) + u16(0) + u16(0) + u16(0) + u16(0) + u32(0)
                + u32(payload.count) + u32(payload.count) + u16(nameBytes.count) + u16(0) + nameBytes + payload
        }
        let end = u32(0x0605_4b50) + u16(0) + u16(0) + u16(entries.count) + u16(entries.count) + u32(central.count) + u32(locals.count) + u16(0)
        return locals + central + end
    }

    // Protocol-buffer fields, for hand-built ONNX graphs.
    static func varint(_ v: UInt64) -> [UInt8] {
        var v = v, out: [UInt8] = []
        repeat {
            var byte = UInt8(v & 0x7f)
            v >>= 7
            if v != 0 { byte |= 0x80 }
            out.append(byte)
        } while v != 0
        return out
    }
    static func field(_ number: Int, _ bytes: [UInt8]) -> [UInt8] { varint(UInt64(number << 3 | 2)) + varint(UInt64(bytes.count)) + bytes }
    static func field(_ number: Int, _ text: String) -> [UInt8] { field(number, Array(text.utf8)) }
    static func field(_ number: Int, int v: Int) -> [UInt8] { varint(UInt64(number << 3)) + varint(UInt64(v)) }

    /// A ModelProto with one graph of the given nodes (op, inputs, outputs),
    /// and int64 initializers (name, dims, values).
    static func onnx(nodes: [(op: String, inputs: [String], outputs: [String])], inputs: [String], outputs: [String],
                     shapes: [String: [Int]] = [:], initializers: [(name: String, dims: [Int], int64s: [Int])] = []) -> [UInt8] {
        var graph: [UInt8] = []
        for t in initializers {
            // TensorProto: dims (1), data_type 7 = INT64 (2), int64_data (7), name (8).
            let tensor = t.dims.map { field(1, int: $0) }.reduce([], +) + field(2, int: 7) + t.int64s.map { field(7, int: $0) }.reduce([], +) + field(8, t.name)
            graph += field(5, tensor)
        }
        for (i, node) in nodes.enumerated() {
            var n: [UInt8] = []
            for input in node.inputs { n += field(1, input) }
            for output in node.outputs { n += field(2, output) }
            n += field(3, "node\(i)") + field(4, node.op)
            graph += field(1, n)
        }
        graph += field(2, "g")
        for input in inputs {
            // ValueInfoProto: name, then (for a declared shape) TypeProto.tensor_type{elem_type float, shape{dim{dim_value}}}.
            let type = shapes[input].map { dims in field(2, field(1, field(1, int: 1) + field(2, dims.map { field(1, field(1, int: $0)) }.reduce([], +)))) } ?? []
            graph += field(11, field(1, input) + type)
        }
        for output in outputs { graph += field(12, field(1, output)) }
        return field(1, int: 8) + field(7, graph)
    }
}
