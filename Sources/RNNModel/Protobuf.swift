/// A minimal protocol-buffers wire-format reader: enough to walk ONNX's
/// ModelProto. Every read is bounds-checked and throws on corrupt input.
struct ProtobufReader {
    enum Value {
        case varint(UInt64)
        case fixed64(UInt64)
        case bytes(ArraySlice<UInt8>)
        case fixed32(UInt32)
    }

    private let bytes: [UInt8]
    private var offset: Int
    private let end: Int
    let what: String

    init(_ bytes: [UInt8], what: String) {
        self.bytes = bytes
        self.offset = 0
        self.end = bytes.count
        self.what = what
    }

    init(_ slice: ArraySlice<UInt8>, what: String) {
        self.bytes = Array(slice)
        self.offset = 0
        self.end = bytes.count
        self.what = what
    }

    private func corrupt(_ reason: String) -> RNNError {
        RNNError("corrupt or truncated protobuf in \(what): \(reason) at byte \(offset)")
    }

    private mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < end else { throw corrupt("varint runs past the end") }
            let byte = bytes[offset]
            offset += 1
            guard shift < 64 else { throw corrupt("varint longer than 10 bytes") }
            result |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// The next field, or nil at the end of the message.
    mutating func next() throws -> (field: Int, value: Value)? {
        guard offset < end else { return nil }
        let key = try varint()
        let field = Int(key >> 3)
        guard field > 0 else { throw corrupt("field number 0") }
        switch key & 7 {
        case 0: return (field, .varint(try varint()))
        case 1:
            guard end - offset >= 8 else { throw corrupt("fixed64 runs past the end") }
            var v: UInt64 = 0
            for k in 0..<8 { v |= UInt64(bytes[offset + k]) << (8 * UInt64(k)) }
            offset += 8
            return (field, .fixed64(v))
        case 2:
            let length = try varint()
            guard length <= UInt64(end - offset) else { throw corrupt("length-delimited field of \(length) bytes runs past the end") }
            let slice = bytes[offset..<(offset + Int(length))]
            offset += Int(length)
            return (field, .bytes(slice))
        case 5:
            guard end - offset >= 4 else { throw corrupt("fixed32 runs past the end") }
            var v: UInt32 = 0
            for k in 0..<4 { v |= UInt32(bytes[offset + k]) << (8 * UInt32(k)) }
            offset += 4
            return (field, .fixed32(v))
        default:
            throw corrupt("unknown wire type \(key & 7)")
        }
    }
}

extension ProtobufReader.Value {
    func string(_ what: String) throws -> String {
        guard case .bytes(let b) = self else { throw RNNError("\(what): expected a string field") }
        return String(decoding: b, as: UTF8.self)
    }

    func message(_ what: String) throws -> ProtobufReader {
        guard case .bytes(let b) = self else { throw RNNError("\(what): expected an embedded message") }
        return ProtobufReader(b, what: what)
    }

    func int(_ what: String) throws -> Int64 {
        switch self {
        case .varint(let v): return Int64(bitPattern: v)
        case .fixed64(let v): return Int64(bitPattern: v)
        case .fixed32(let v): return Int64(Int32(bitPattern: v))
        case .bytes: throw RNNError("\(what): expected an integer field")
        }
    }

    func float(_ what: String) throws -> Float {
        guard case .fixed32(let v) = self else { throw RNNError("\(what): expected a float field") }
        return Float(bitPattern: v)
    }

    /// Repeated int64 that may be packed or not.
    func ints(_ what: String) throws -> [Int64] {
        if case .bytes(let b) = self {
            var reader = ProtobufReader(b, what: what)
            var out: [Int64] = []
            // A packed run is a sequence of bare varints; reuse the key decoder by reading raw.
            out = try reader.packedVarints()
            return out
        }
        return [try int(what)]
    }

    /// Repeated float that may be packed or not.
    func floats(_ what: String) throws -> [Float] {
        if case .bytes(let b) = self {
            guard b.count % 4 == 0 else { throw RNNError("\(what): packed floats of \(b.count) bytes") }
            var out: [Float] = []
            var i = b.startIndex
            while i < b.endIndex {
                var v: UInt32 = 0
                for k in 0..<4 { v |= UInt32(b[i + k]) << (8 * UInt32(k)) }
                out.append(Float(bitPattern: v))
                i += 4
            }
            return out
        }
        return [try float(what)]
    }

    /// Repeated double that may be packed or not.
    func doubles(_ what: String) throws -> [Double] {
        if case .bytes(let b) = self {
            guard b.count % 8 == 0 else { throw RNNError("\(what): packed doubles of \(b.count) bytes") }
            var out: [Double] = []
            var i = b.startIndex
            while i < b.endIndex {
                var v: UInt64 = 0
                for k in 0..<8 { v |= UInt64(b[i + k]) << (8 * UInt64(k)) }
                out.append(Double(bitPattern: v))
                i += 8
            }
            return out
        }
        guard case .fixed64(let v) = self else { throw RNNError("\(what): expected a double field") }
        return [Double(bitPattern: v)]
    }
}

extension ProtobufReader {
    mutating func packedVarints() throws -> [Int64] {
        var out: [Int64] = []
        while offset < end { out.append(Int64(bitPattern: try varint())) }
        return out
    }
}
