import Foundation

/// Little-endian reads from a byte buffer with bounds checks that throw
/// instead of trapping, so truncated files become clear errors.
struct ByteReader {
    let bytes: [UInt8]
    var offset: Int
    let what: String

    init(_ bytes: [UInt8], offset: Int = 0, what: String) {
        self.bytes = bytes
        self.offset = offset
        self.what = what
    }

    var remaining: Int { bytes.count - offset }

    func truncated(_ needed: Int) -> RNNError {
        RNNError("\(what) is truncated: needed \(needed) more bytes at offset \(offset), found \(max(0, remaining))")
    }

    mutating func read(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else { throw truncated(count) }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    mutating func u8() throws -> UInt8 { try read(1).first! }

    mutating func u16() throws -> UInt16 {
        let s = try read(2)
        return UInt16(s[s.startIndex]) | UInt16(s[s.startIndex + 1]) << 8
    }

    mutating func u32() throws -> UInt32 {
        let s = try read(4)
        var v: UInt32 = 0
        for (i, b) in s.enumerated() { v |= UInt32(b) << (8 * UInt32(i)) }
        return v
    }

    mutating func u64() throws -> UInt64 {
        let s = try read(8)
        var v: UInt64 = 0
        for (i, b) in s.enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
        return v
    }
}

/// Decodes packed element bytes into Doubles.
enum ElementDecoding {
    static func size(of type: ElementType) -> Int {
        switch type {
        case .float16, .bfloat16, .int16: return 2
        case .float32, .int32: return 4
        case .float64, .int64: return 8
        case .int8, .uint8, .bool: return 1
        }
    }

    static func decode(_ bytes: ArraySlice<UInt8>, as type: ElementType, count: Int, bigEndian: Bool = false) -> [Double] {
        let size = size(of: type)
        var out = [Double](repeating: 0, count: count)
        var base = bytes.startIndex
        for i in 0..<count {
            var raw: UInt64 = 0
            for k in 0..<size {
                let byte = UInt64(bytes[base + (bigEndian ? size - 1 - k : k)])
                raw |= byte << (8 * UInt64(k))
            }
            switch type {
            case .float16: out[i] = halfToDouble(UInt16(raw))
            case .bfloat16: out[i] = Double(Float(bitPattern: UInt32(raw) << 16))
            case .float32: out[i] = Double(Float(bitPattern: UInt32(raw)))
            case .float64: out[i] = Double(bitPattern: raw)
            case .int8: out[i] = Double(Int8(bitPattern: UInt8(raw)))
            case .int16: out[i] = Double(Int16(bitPattern: UInt16(raw)))
            case .int32: out[i] = Double(Int32(bitPattern: UInt32(raw)))
            case .int64: out[i] = Double(Int64(bitPattern: raw))
            case .uint8: out[i] = Double(raw)
            case .bool: out[i] = raw != 0 ? 1 : 0
            }
            base += size
        }
        return out
    }

    static func halfToDouble(_ h: UInt16) -> Double {
        let sign: Double = (h & 0x8000) != 0 ? -1 : 1
        let exponent = Int((h >> 10) & 0x1f)
        let fraction = Double(h & 0x3ff)
        if exponent == 0 { return sign * fraction * pow(2, -24) }
        if exponent == 31 { return fraction == 0 ? sign * .infinity : .nan }
        return sign * (1 + fraction / 1024) * pow(2, Double(exponent - 15))
    }
}

/// Reads a whole input file; the one error every reader gives for a file it cannot open.
enum InputFile {
    static func bytes(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RNNError(file: path, "cannot read file (missing or unreadable)")
        }
        return [UInt8](data)
    }
}
