import Foundation

/// Reads FlatBuffers (the encoding of .tflite files) with every offset,
/// length and table checked against the buffer, so a truncated or hostile
/// file becomes an error naming the field instead of a trap. Only what a
/// schema-driven reader needs: tables, their scalar fields, strings,
/// vectors of scalars and vectors of tables.
struct FlatBuffer {
    let bytes: [UInt8]
    /// The file, for errors.
    let what: String

    struct Table {
        let position: Int
        let vtable: Int
        let vtableSize: Int
        let tableSize: Int
        /// Where this table sits in the schema, for errors (`subgraphs[0].tensors[3]`).
        let path: String
    }

    func fail(_ path: String, _ message: String) -> RNNError { RNNError(file: what, at: path, message) }

    private func check(_ offset: Int, _ size: Int, _ path: String) throws {
        guard offset >= 0, size >= 0, offset <= bytes.count - size else {
            throw fail(path, "points outside the file (offset \(offset), \(size) bytes, file of \(bytes.count) bytes)")
        }
    }

    func u8(_ at: Int, _ path: String) throws -> UInt8 { try check(at, 1, path); return bytes[at] }
    func u16(_ at: Int, _ path: String) throws -> UInt16 { try check(at, 2, path); return UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }
    func u32(_ at: Int, _ path: String) throws -> UInt32 {
        try check(at, 4, path)
        return (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[at + $1]) << (8 * UInt32($1)) }
    }
    func u64(_ at: Int, _ path: String) throws -> UInt64 {
        try check(at, 8, path)
        return (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) }
    }

    /// The root table: the first 4 bytes hold its offset.
    func root(path: String) throws -> Table {
        try table(at: Int(try u32(0, path)), path: path)
    }

    func table(at position: Int, path: String) throws -> Table {
        let soffset = Int(Int32(bitPattern: try u32(position, path)))
        let vtable = position - soffset
        let vtableSize = Int(try u16(vtable, path + " (vtable)"))
        let tableSize = Int(try u16(vtable + 2, path + " (vtable)"))
        guard vtableSize >= 4, vtableSize % 2 == 0, tableSize >= 4 else {
            throw fail(path, "has a malformed vtable (sizes \(vtableSize) and \(tableSize))")
        }
        try check(vtable, vtableSize, path + " (vtable)")
        try check(position, tableSize, path)
        return Table(position: position, vtable: vtable, vtableSize: vtableSize, tableSize: tableSize, path: path)
    }

    /// The position of field `index` inside the table, nil when absent.
    func field(_ t: Table, _ index: Int, size: Int, _ name: String) throws -> Int? {
        let entry = 4 + 2 * index
        guard entry + 2 <= t.vtableSize else { return nil }
        let offset = Int(try u16(t.vtable + entry, "\(t.path).\(name)"))
        guard offset != 0 else { return nil }
        guard offset + size <= t.tableSize else { throw fail("\(t.path).\(name)", "lies outside its table") }
        return t.position + offset
    }

    func scalarU8(_ t: Table, _ index: Int, _ name: String, default value: UInt8 = 0) throws -> UInt8 {
        guard let at = try field(t, index, size: 1, name) else { return value }
        return try u8(at, "\(t.path).\(name)")
    }

    func scalarI32(_ t: Table, _ index: Int, _ name: String, default value: Int32 = 0) throws -> Int32 {
        guard let at = try field(t, index, size: 4, name) else { return value }
        return Int32(bitPattern: try u32(at, "\(t.path).\(name)"))
    }

    func scalarU32(_ t: Table, _ index: Int, _ name: String, default value: UInt32 = 0) throws -> UInt32 {
        guard let at = try field(t, index, size: 4, name) else { return value }
        return try u32(at, "\(t.path).\(name)")
    }

    func scalarU64(_ t: Table, _ index: Int, _ name: String, default value: UInt64 = 0) throws -> UInt64 {
        guard let at = try field(t, index, size: 8, name) else { return value }
        return try u64(at, "\(t.path).\(name)")
    }

    func scalarF32(_ t: Table, _ index: Int, _ name: String, default value: Float = 0) throws -> Float {
        guard let at = try field(t, index, size: 4, name) else { return value }
        return Float(bitPattern: try u32(at, "\(t.path).\(name)"))
    }

    /// Follows the offset stored in a field to what it points at.
    private func indirect(_ t: Table, _ index: Int, _ name: String) throws -> Int? {
        guard let at = try field(t, index, size: 4, name) else { return nil }
        let target = at + Int(try u32(at, "\(t.path).\(name)"))
        try check(target, 4, "\(t.path).\(name)")
        return target
    }

    func subtable(_ t: Table, _ index: Int, _ name: String) throws -> Table? {
        guard let target = try indirect(t, index, name) else { return nil }
        return try table(at: target, path: "\(t.path).\(name)")
    }

    /// A vector's first element and length, its elements `elementSize` bytes each.
    func vector(_ t: Table, _ index: Int, _ name: String, elementSize: Int) throws -> (start: Int, count: Int)? {
        guard let target = try indirect(t, index, name) else { return nil }
        let count = Int(try u32(target, "\(t.path).\(name)"))
        let (bytesNeeded, overflow) = count.multipliedReportingOverflow(by: elementSize)
        guard !overflow else { throw fail("\(t.path).\(name)", "declares \(count) elements, more than the file holds") }
        try check(target + 4, bytesNeeded, "\(t.path).\(name) (\(count) elements)")
        return (target + 4, count)
    }

    func string(_ t: Table, _ index: Int, _ name: String) throws -> String? {
        guard let (start, count) = try vector(t, index, name, elementSize: 1) else { return nil }
        return String(decoding: bytes[start..<(start + count)], as: UTF8.self)
    }

    /// A vector of `size`-byte scalars, each read at its position by `read`.
    private func scalars<T>(_ t: Table, _ index: Int, _ name: String, size: Int, _ read: (Int, String) throws -> T) throws -> [T]? {
        guard let (start, count) = try vector(t, index, name, elementSize: size) else { return nil }
        return try (0..<count).map { try read(start + size * $0, "\(t.path).\(name)") }
    }

    func int32s(_ t: Table, _ index: Int, _ name: String) throws -> [Int]? {
        try scalars(t, index, name, size: 4) { Int(Int32(bitPattern: try u32($0, $1))) }
    }

    func int64s(_ t: Table, _ index: Int, _ name: String) throws -> [Int64]? {
        try scalars(t, index, name, size: 8) { Int64(bitPattern: try u64($0, $1)) }
    }

    func float32s(_ t: Table, _ index: Int, _ name: String) throws -> [Float]? {
        try scalars(t, index, name, size: 4) { Float(bitPattern: try u32($0, $1)) }
    }

    func bytes(_ t: Table, _ index: Int, _ name: String) throws -> ArraySlice<UInt8>? {
        guard let (start, count) = try vector(t, index, name, elementSize: 1) else { return nil }
        return bytes[start..<(start + count)]
    }

    func tables(_ t: Table, _ index: Int, _ name: String) throws -> [Table] {
        guard let (start, count) = try vector(t, index, name, elementSize: 4) else { return [] }
        return try (0..<count).map { k in
            let at = start + 4 * k
            return try table(at: at + Int(try u32(at, "\(t.path).\(name)[\(k)]")), path: "\(t.path).\(name)[\(k)]")
        }
    }
}
