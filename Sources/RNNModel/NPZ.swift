import Foundation

/// Reads `.npz` archives as `np.savez` writes them: a ZIP file of `.npy`
/// entries. Only stored (uncompressed) entries are supported; an entry written
/// by `np.savez_compressed` gets an error saying so.
public struct NPZArchive: TensorArchive {
    public let path: String
    /// Entry names without the `.npy` suffix, in archive order.
    public private(set) var names: [String] = []
    private var entries: [String: (method: UInt16, offset: Int, compressedSize: Int, size: Int)] = [:]
    private let bytes: [UInt8]

    public init(contentsOf path: String) throws {
        try self.init(path: path, bytes: try InputFile.bytes(path))
    }

    init(path: String, bytes: [UInt8]) throws {
        self.path = path
        self.bytes = bytes
        do { try readDirectory() } catch let error as RNNError { throw error.inFile(path) }
    }

    private mutating func readDirectory() throws {
        // The end-of-central-directory record sits in the last 64 KiB + 22 bytes.
        guard bytes.count >= 22 else { throw RNNError("not a .npz (ZIP) file: only \(bytes.count) bytes") }
        var eocd = -1
        var i = bytes.count - 22
        let lowest = max(0, bytes.count - 22 - 65_535)
        while i >= lowest {
            if bytes[i] == 0x50, bytes[i + 1] == 0x4b, bytes[i + 2] == 0x05, bytes[i + 3] == 0x06 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else { throw RNNError("not a .npz (ZIP) file: no end-of-central-directory record (truncated or corrupt)") }
        var reader = ByteReader(bytes, offset: eocd + 10, what: "zip directory")
        let count = Int(try reader.u16())
        _ = try reader.u32()
        let directoryOffset = Int(try reader.u32())
        reader.offset = directoryOffset
        for _ in 0..<count {
            guard try reader.u32() == 0x0201_4b50 else { throw RNNError("corrupt ZIP central directory at offset \(reader.offset - 4)") }
            reader.offset += 6
            let method = try reader.u16()
            reader.offset += 8
            var compressedSize = Int(try reader.u32())
            var size = Int(try reader.u32())
            let nameLength = Int(try reader.u16())
            let extraLength = Int(try reader.u16())
            let commentLength = Int(try reader.u16())
            reader.offset += 8
            var localOffset = Int(try reader.u32())
            let name = String(decoding: try reader.read(nameLength), as: UTF8.self)
            let extra = ByteReader(Array(try reader.read(extraLength)), what: "zip extra field")
            reader.offset += commentLength
            // ZIP64: sizes and offset saturated at 0xFFFFFFFF live in extra field 0x0001.
            var x = extra
            while x.remaining >= 4 {
                let id = try x.u16(), length = Int(try x.u16())
                if id == 1 {
                    var z = ByteReader(Array(try x.read(length)), what: "zip64 field")
                    // A size or offset past the file is caught when read; one past Int is caught here.
                    func field(_ what: String) throws -> Int {
                        let value = try z.u64()
                        guard let n = Int(exactly: value), n <= bytes.count else {
                            throw RNNError(at: Quote.text(name), "ZIP64 \(what) \(value) is larger than the file (\(bytes.count) bytes)")
                        }
                        return n
                    }
                    if size == 0xFFFF_FFFF { size = try field("size") }
                    if compressedSize == 0xFFFF_FFFF { compressedSize = try field("compressed size") }
                    if localOffset == 0xFFFF_FFFF { localOffset = try field("offset") }
                } else {
                    _ = try x.read(length)
                }
            }
            let key = name.hasSuffix(".npy") ? String(name.dropLast(4)) : name
            names.append(key)
            entries[key] = (method, localOffset, compressedSize, size)
        }
    }

    /// The tensor stored under `name` (with or without `.npy`).
    public func tensor(named name: String) throws -> Tensor {
        let key = name.hasSuffix(".npy") ? String(name.dropLast(4)) : name
        guard let entry = entries[key] else {
            throw RNNError(file: path, at: Quote.text(key), "no such entry in the archive (it has: \(Quote.list(names)))")
        }
        guard entry.method == 0 else {
            throw RNNError(file: path, at: key, "entry is compressed (ZIP method \(entry.method)); save with np.savez, not np.savez_compressed")
        }
        do {
            var reader = ByteReader(bytes, offset: entry.offset, what: "zip entry")
            guard try reader.u32() == 0x0403_4b50 else { throw RNNError("corrupt local ZIP header") }
            reader.offset += 22
            let nameLength = Int(try reader.u16())
            let extraLength = Int(try reader.u16())
            reader.offset += nameLength + extraLength
            let payload = try reader.read(entry.size)
            return try NPY.decode(Array(payload))
        } catch let error as RNNError {
            var located = error.inFile(path)
            if located.location == nil { located.location = key }
            throw located
        }
    }
}
