import Foundation

/// A file of named tensors that a description can point at (`weights_file`,
/// `state_dict`): an `.npz` archive as `np.savez` writes it, or a
/// `.safetensors` file as PyTorch and Hugging Face tools write it.
public protocol TensorArchive {
    /// The file, as the description resolved it.
    var path: String { get }
    /// Tensor names, in file order.
    var names: [String] { get }
    /// The tensor stored under `name`, as float values.
    func tensor(named name: String) throws -> Tensor
}

public enum TensorArchives {
    /// Opens a tensor archive, telling the format by its first bytes: a ZIP
    /// (`.npz`) starts with `PK`; a safetensors file with an 8-byte header
    /// length and then the JSON header's `{`.
    public static func open(_ path: String) throws -> any TensorArchive {
        let bytes = try InputFile.bytes(path)
        if bytes.starts(with: [0x50, 0x4b]) || (path.hasSuffix(".npz") && !path.hasSuffix(".safetensors")) {
            return try NPZArchive(path: path, bytes: bytes)
        }
        if path.hasSuffix(".safetensors") || (bytes.count > 8 && bytes[8] == UInt8(ascii: "{")) {
            return try SafetensorsFile(path: path, bytes: bytes)
        }
        throw RNNError(file: path, "not a tensor archive: expected an .npz (a ZIP file, starting with 'PK') or a .safetensors file (an 8-byte header length, then a JSON header)")
    }
}

/// Reads `.safetensors` files: an 8-byte little-endian header length, a JSON
/// header mapping each tensor name to its `dtype`, `shape` and `data_offsets`
/// (begin and end, in bytes from the end of the header), then the data,
/// little-endian and row-major. Every offset and size is checked against the
/// file before anything is read.
public struct SafetensorsFile: TensorArchive {
    public let path: String
    public private(set) var names: [String] = []
    private var entries: [String: Entry] = [:]
    private let bytes: [UInt8]
    private var dataStart = 0

    struct Entry {
        var dtype: String
        var shape: [Int]
        var begin: Int
        var end: Int
    }

    /// The element types rnngen reads, by their safetensors names.
    static let types: [String: ElementType] = [
        "F64": .float64, "F32": .float32, "F16": .float16, "BF16": .bfloat16,
        "I64": .int64, "I32": .int32, "I16": .int16, "I8": .int8, "U8": .uint8, "BOOL": .bool,
    ]
    /// The safetensors format's own limit on the header.
    static let maxHeaderBytes = 100_000_000

    public init(contentsOf path: String) throws {
        try self.init(path: path, bytes: try InputFile.bytes(path))
    }

    init(path: String, bytes: [UInt8]) throws {
        self.path = path
        self.bytes = bytes
        do { try readHeader() } catch let error as RNNError { throw error.inFile(path) }
    }

    private mutating func readHeader() throws {
        var reader = ByteReader(bytes, what: "safetensors header length")
        let declared = try reader.u64()
        guard declared <= UInt64(bytes.count - 8) else {
            throw RNNError("the header length says \(declared) bytes, but only \(bytes.count - 8) follow it (truncated, or not a safetensors file)")
        }
        let headerLength = Int(declared)
        guard headerLength <= SafetensorsFile.maxHeaderBytes else {
            throw RNNError("the header is \(headerLength) bytes; the safetensors format allows at most \(SafetensorsFile.maxHeaderBytes)")
        }
        dataStart = 8 + headerLength
        let dataBytes = bytes.count - dataStart
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart]))
        } catch {
            throw RNNError("the header is not valid JSON")
        }
        guard let header = json as? [String: Any] else { throw RNNError("the header is not a JSON object") }
        var found: [(name: String, entry: Entry)] = []
        for (name, value) in header where name != "__metadata__" {
            let shown = Quote.text(name)
            guard let fields = value as? [String: Any] else { throw RNNError(at: shown, "expected an object with dtype, shape and data_offsets") }
            guard let dtype = fields["dtype"] as? String else { throw RNNError(at: shown, "missing or non-string 'dtype'") }
            guard let shape = fields["shape"] as? [Any], let dims = Self.integers(shape) else {
                throw RNNError(at: shown, "'shape' must be an array of non-negative integers")
            }
            guard let offsets = fields["data_offsets"] as? [Any], offsets.count == 2, let span = Self.integers(offsets) else {
                throw RNNError(at: shown, "'data_offsets' must be two non-negative integers [begin, end]")
            }
            guard span[0] <= span[1], span[1] <= dataBytes else {
                throw RNNError(at: shown, "data_offsets [\(span[0]), \(span[1])] lie outside the \(dataBytes) data bytes")
            }
            guard let count = Tensor.checkedCount(dims) else {
                throw RNNError(at: shown, "shape \(Tensor.describe(dims)) has too many elements")
            }
            if let type = Self.types[dtype] {
                let needed = count * ElementDecoding.size(of: type)
                guard span[1] - span[0] == needed else {
                    throw RNNError(at: shown, "data_offsets [\(span[0]), \(span[1])] hold \(span[1] - span[0]) bytes, but \(dtype) \(Tensor.describe(dims)) needs \(needed)")
                }
            }
            found.append((name, Entry(dtype: dtype, shape: dims, begin: span[0], end: span[1])))
        }
        found.sort { ($0.entry.begin, $0.name) < ($1.entry.begin, $1.name) }
        names = found.map(\.name)
        for item in found { entries[item.name] = item.entry }
    }

    /// Non-negative integers, or nil (JSON numbers that are not exact integers
    /// in Int's range do not bridge to Int).
    private static func integers(_ values: [Any]) -> [Int]? {
        var out: [Int] = []
        for value in values {
            guard let number = value as? NSNumber, !JSONNode.isBoolean(number),
                  let integer = value as? Int, integer >= 0 else { return nil }
            out.append(integer)
        }
        return out
    }

    public func tensor(named name: String) throws -> Tensor {
        guard let entry = entries[name] else {
            throw RNNError(file: path, at: Quote.text(name), "no such tensor in the file (it has: \(Quote.list(names)))")
        }
        guard let type = Self.types[entry.dtype] else {
            throw RNNError(file: path, at: Quote.text(name), "dtype \(Quote.text(entry.dtype)) is not supported (rnngen reads F32, F16, BF16 and F64 weights)")
        }
        let count = entry.shape.reduce(1, *)
        let values = ElementDecoding.decode(bytes[(dataStart + entry.begin)..<(dataStart + entry.end)], as: type, count: count)
        return Tensor(shape: entry.shape, elementType: type, values: values)
    }
}
