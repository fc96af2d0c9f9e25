import Foundation

/// Reads and writes NumPy `.npy` files (format versions 1–3), the tensor
/// exchange format of every framework rnngen imports from.
public enum NPY {
    static let magic: [UInt8] = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]  // "\x93NUMPY"

    /// Reads a `.npy` file. Errors name the file.
    public static func read(contentsOf path: String) throws -> Tensor {
        let bytes = try InputFile.bytes(path)
        do {
            return try decode(bytes)
        } catch let error as RNNError {
            throw error.inFile(path)
        }
    }

    /// Decodes the bytes of a `.npy` file.
    public static func decode(_ bytes: [UInt8]) throws -> Tensor {
        var reader = ByteReader(bytes, what: "npy data")
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw RNNError("not a .npy file (the magic string \\x93NUMPY is missing)")
        }
        reader.offset = 6
        let major = try reader.u8()
        _ = try reader.u8()
        let headerLength: Int
        switch major {
        case 1: headerLength = Int(try reader.u16())
        case 2, 3: headerLength = Int(try reader.u32())
        default: throw RNNError("unsupported .npy format version \(major) (expected 1, 2 or 3)")
        }
        let headerBytes = try reader.read(headerLength)
        guard let header = String(bytes: headerBytes, encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw RNNError("the .npy header is not text")
        }
        let (type, bigEndian, fortran, shape) = try parseHeader(header)
        guard let count = Tensor.checkedCount(shape) else {
            throw RNNError("the .npy header's shape \(Tensor.describe(shape)) is too large")
        }
        let needed = count * ElementDecoding.size(of: type)
        guard reader.remaining >= needed else {
            throw RNNError("npy data is truncated: shape \(Tensor.describe(shape)) of \(type.rawValue) needs \(needed) bytes, found \(reader.remaining)")
        }
        let payload = try reader.read(needed)
        let values = ElementDecoding.decode(payload, as: type, count: count, bigEndian: bigEndian)
        if fortran && shape.count > 1 {
            // Column-major storage: read as the reversed shape, then reverse the axes.
            let reversed = Tensor(shape: shape.reversed(), elementType: type, values: values)
            return reversed.transposed(Array((0..<shape.count).reversed()))
        }
        return Tensor(shape: shape, elementType: type, values: values)
    }

    static func parseHeader(_ header: String) throws -> (ElementType, Bool, Bool, [Int]) {
        func field(_ key: String) throws -> Substring {
            guard let keyRange = header.range(of: "'\(key)'") else {
                throw RNNError("the .npy header has no '\(key)' field: \(Quote.text(header.trimmingCharacters(in: .whitespacesAndNewlines)))")
            }
            var rest = header[keyRange.upperBound...].drop { $0 == " " || $0 == ":" }
            if rest.first == "(" {
                guard let close = rest.firstIndex(of: ")") else { throw RNNError("the .npy header's shape is not closed") }
                return rest[rest.index(after: rest.startIndex)..<close]
            }
            if rest.first == "'" {
                rest = rest.dropFirst()
                guard let close = rest.firstIndex(of: "'") else { throw RNNError("the .npy header's '\(key)' is not closed") }
                return rest[rest.startIndex..<close]
            }
            let end = rest.firstIndex { $0 == "," || $0 == "}" } ?? rest.endIndex
            return rest[rest.startIndex..<end]
        }
        let descr = String(try field("descr"))
        let fortran = try field("fortran_order").trimmingCharacters(in: .whitespaces) == "True"
        let shapeText = try field("shape")
        var shape: [Int] = []
        for part in shapeText.split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let dim = Int(trimmed), dim >= 0 else { throw RNNError("the .npy header's shape (\(shapeText)) is not a tuple of sizes") }
            shape.append(dim)
        }
        guard descr.count >= 2 else { throw RNNError("unsupported .npy dtype '\(Quote.text(descr))'") }
        let order = descr.first!
        let code = String(descr.dropFirst())
        let types: [String: ElementType] = [
            "f2": .float16, "f4": .float32, "f8": .float64, "i1": .int8, "i2": .int16,
            "i4": .int32, "i8": .int64, "u1": .uint8, "b1": .bool,
        ]
        guard let type = types[code], "<>|=".contains(order) else {
            throw RNNError("unsupported .npy dtype '\(Quote.text(descr))' (expected float16/32/64, int8/16/32/64, uint8 or bool)")
        }
        return (type, order == ">", fortran, shape)
    }

    /// Encodes a tensor as `.npy` version 1.0 bytes in its element type
    /// (float32 unless the tensor says otherwise).
    public static func encode(_ tensor: Tensor) -> [UInt8] {
        let (descr, size): (String, Int) = {
            switch tensor.elementType {
            case .float64: return ("<f8", 8)
            case .int64: return ("<i8", 8)
            case .int32: return ("<i4", 4)
            case .int16: return ("<i2", 2)
            case .int8: return ("|i1", 1)
            case .bool: return ("|b1", 1)
            default: return ("<f4", 4)
            }
        }()
        let shapeText = tensor.shape.count == 1 ? "(\(tensor.shape[0]),)" : "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = magic.count + 2 + 2 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var out = magic + [1, 0]
        let length = UInt16(header.utf8.count)
        out += [UInt8(length & 0xff), UInt8(length >> 8)]
        out += Array(header.utf8)
        out.reserveCapacity(out.count + tensor.count * size)
        for v in tensor.values {
            let bits: UInt64
            switch tensor.elementType {
            case .float64: bits = v.bitPattern
            case .int64: bits = UInt64(bitPattern: Int64(v))
            case .int32: bits = UInt64(UInt32(bitPattern: Int32(v)))
            case .int16: bits = UInt64(UInt16(bitPattern: Int16(v)))
            case .int8: bits = UInt64(UInt8(bitPattern: Int8(v)))
            case .bool: bits = v != 0 ? 1 : 0
            default: bits = UInt64(Float(v).bitPattern)
            }
            for k in 0..<size { out.append(UInt8((bits >> (8 * UInt64(k))) & 0xff)) }
        }
        return out
    }

    /// Writes a `.npy` file atomically: a temporary file in the same folder,
    /// then a rename, so a failure never leaves half a file behind.
    public static func write(_ tensor: Tensor, to path: String) throws {
        try AtomicFile.write(Data(encode(tensor)), to: path)
    }
}

/// Writes files through a temporary sibling and a rename, so a reader (or a
/// second writer) only ever sees a whole file: the old one or the new one.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        removeAbandoned(for: url)
        let temporary = url.deletingLastPathComponent()
            // Unique per write, so that two writers (processes or threads) never share one.
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).\(UUID().uuidString.prefix(8)).tmp")
        do {
            try data.write(to: temporary)
            // rename(2) replaces the destination atomically.
            guard rename(temporary.path, url.path) == 0 else {
                throw RNNError("rename failed: \(String(cString: strerror(errno)))")
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw RNNError(file: path, "cannot write file: \(error.localizedDescription)")
        }
    }

    /// Removes temporary siblings of `url` left by writers that no longer
    /// run (a killed `generate`): `.NAME.PID.XXXXXXXX.tmp` whose PID is gone.
    /// A live writer's file, or one whose PID now belongs to another process,
    /// is left alone.
    static func removeAbandoned(for url: URL) {
        let folder = url.deletingLastPathComponent()
        let prefix = ".\(url.lastPathComponent)."
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return }
        for name in names where name.hasPrefix(prefix) && name.hasSuffix(".tmp") {
            let parts = name.dropFirst(prefix.count).split(separator: ".")
            guard parts.count == 3, let pid = Int32(parts[0]), pid > 0 else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
            }
        }
    }
}
