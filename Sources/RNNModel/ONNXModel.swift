import Foundation

/// An attribute of an ONNX node.
public enum ONNXAttribute: Equatable {
    case float(Double)
    case int(Int64)
    case string(String)
    case tensor(Tensor)
    case floats([Double])
    case ints([Int64])
    case strings([String])
}

public struct ONNXNode: Equatable {
    public var name: String
    public var opType: String
    public var domain: String
    public var inputs: [String]
    public var outputs: [String]
    public var attributes: [String: ONNXAttribute]

    /// How errors refer to the node.
    public var label: String {
        let shown = name.isEmpty ? "output " + (outputs.first { !$0.isEmpty } ?? "?") : name
        return "node '\(Quote.text(shown, limit: 60))' (\(Quote.text(opType, limit: 40)))"
    }
}

/// A graph input or output with its declared element type and shape
/// (nil dimensions are symbolic).
public struct ONNXValueInfo: Equatable {
    public var name: String
    public var elementType: ElementType?
    public var shape: [Int?]?
}

/// An ONNX graph as read from a `.onnx` file.
public struct ONNXGraph {
    public var name: String
    public var nodes: [ONNXNode]
    public var initializers: [String: Tensor]
    public var inputs: [ONNXValueInfo]
    public var outputs: [ONNXValueInfo]
    public var opsetVersion: Int

    /// Graph inputs that are not initializers: what a caller must provide
    /// (weights given as graph inputs are among them).
    public var requiredInputs: [ONNXValueInfo] { inputs.filter { initializers[$0.name] == nil } }
}

/// Reads `.onnx` files (ModelProto) with rnngen's own wire-format reader.
public enum ONNXReader {
    public static func read(contentsOf path: String) throws -> ONNXGraph {
        let bytes = try InputFile.bytes(path)
        do {
            return try decode(bytes)
        } catch let error as RNNError {
            throw error.inFile(path)
        }
    }

    public static func decode(_ bytes: [UInt8]) throws -> ONNXGraph {
        var reader = ProtobufReader(bytes, what: "ModelProto")
        var graph: ONNXGraph?
        var opset = 0
        var sawIRVersion = false
        while let (field, value) = try reader.next() {
            switch field {
            case 1: sawIRVersion = true
            case 7: graph = try readGraph(try value.message("GraphProto"))
            case 8:
                var op = try value.message("OperatorSetIdProto")
                var domain = "", version: Int64 = 0
                while let (f, v) = try op.next() {
                    if f == 1 { domain = try v.string("opset domain") }
                    if f == 2 { version = try v.int("opset version") }
                }
                if domain.isEmpty || domain == "ai.onnx" { opset = Int(version) }
            default: break
            }
        }
        guard var graph, sawIRVersion || !graph.nodes.isEmpty else {
            throw RNNError("not an ONNX model: no graph found (is this a .onnx file?)")
        }
        graph.opsetVersion = opset
        return graph
    }

    static func readGraph(_ message: ProtobufReader) throws -> ONNXGraph {
        var reader = message
        var graph = ONNXGraph(name: "", nodes: [], initializers: [:], inputs: [], outputs: [], opsetVersion: 0)
        while let (field, value) = try reader.next() {
            switch field {
            case 1: graph.nodes.append(try readNode(try value.message("NodeProto")))
            case 2: graph.name = try value.string("graph name")
            case 5:
                let (name, tensor) = try readTensor(try value.message("TensorProto"))
                graph.initializers[name] = tensor
            case 11: graph.inputs.append(try readValueInfo(try value.message("ValueInfoProto")))
            case 12: graph.outputs.append(try readValueInfo(try value.message("ValueInfoProto")))
            default: break
            }
        }
        return graph
    }

    static func readNode(_ message: ProtobufReader) throws -> ONNXNode {
        var reader = message
        var node = ONNXNode(name: "", opType: "", domain: "", inputs: [], outputs: [], attributes: [:])
        while let (field, value) = try reader.next() {
            switch field {
            case 1: node.inputs.append(try value.string("node input"))
            case 2: node.outputs.append(try value.string("node output"))
            case 3: node.name = try value.string("node name")
            case 4: node.opType = try value.string("op_type")
            case 5:
                let (name, attribute) = try readAttribute(try value.message("AttributeProto"))
                if let attribute { node.attributes[name] = attribute }
            case 7: node.domain = try value.string("domain")
            default: break
            }
        }
        return node
    }

    static func readAttribute(_ message: ProtobufReader) throws -> (String, ONNXAttribute?) {
        var reader = message
        var name = ""
        var type: Int64 = 0
        var f: Double?, i: Int64?, s: String?, t: Tensor?
        var floats: [Double] = [], ints: [Int64] = [], strings: [String] = []
        while let (field, value) = try reader.next() {
            switch field {
            case 1: name = try value.string("attribute name")
            case 2: f = Double(try value.float("attribute f"))
            case 3: i = try value.int("attribute i")
            case 4: s = try value.string("attribute s")
            case 5: t = try readTensor(try value.message("TensorProto")).1
            case 7: floats += try value.floats("attribute floats").map(Double.init)
            case 8: ints += try value.ints("attribute ints")
            case 9: strings.append(try value.string("attribute strings"))
            case 20: type = try value.int("attribute type")
            default: break
            }
        }
        let attribute: ONNXAttribute?
        switch type {
        case 1: attribute = .float(f ?? 0)
        case 2: attribute = .int(i ?? 0)
        case 3: attribute = .string(s ?? "")
        case 4: attribute = t.map { .tensor($0) }
        case 6: attribute = .floats(floats)
        case 7: attribute = .ints(ints)
        case 8: attribute = .strings(strings)
        default:
            // Older writers leave `type` unset: infer it from what is present.
            if let t { attribute = .tensor(t) } else if let f { attribute = .float(f) } else if let i { attribute = .int(i) }
            else if let s { attribute = .string(s) } else if !floats.isEmpty { attribute = .floats(floats) }
            else if !ints.isEmpty { attribute = .ints(ints) } else if !strings.isEmpty { attribute = .strings(strings) }
            else { attribute = nil }
        }
        return (name, attribute)
    }

    static let elementTypes: [Int64: ElementType] = [
        1: .float32, 2: .uint8, 3: .int8, 5: .int16, 6: .int32, 7: .int64, 9: .bool, 10: .float16, 11: .float64,
    ]

    static func readTensor(_ message: ProtobufReader) throws -> (String, Tensor) {
        var reader = message
        var name = ""
        var dims: [Int64] = []
        var dataType: Int64 = 1
        var raw: ArraySlice<UInt8>?
        var floatData: [Double] = [], intData: [Double] = [], doubleData: [Double] = []
        var external = false
        while let (field, value) = try reader.next() {
            switch field {
            case 1: dims += try value.ints("tensor dims")
            case 2: dataType = try value.int("tensor data_type")
            case 4: floatData += try value.floats("float_data").map(Double.init)
            case 5, 7, 11: intData += try value.ints("int_data").map(Double.init)
            case 8: name = try value.string("tensor name")
            case 9: if case .bytes(let b) = value { raw = b }
            case 10: doubleData += try value.doubles("double_data")
            case 13: external = true
            case 14: if try value.int("data_location") == 1 { external = true }
            default: break
            }
        }
        let label = name.isEmpty ? "tensor" : "tensor '\(name)'"
        if external {
            throw RNNError(at: label, "stores its data in an external file, which rnngen does not read; save the model with the weights inside")
        }
        guard let type = elementTypes[dataType] else {
            throw RNNError(at: label, "unsupported ONNX data type \(dataType) (expected float, double, float16 or an integer type)")
        }
        let shape = dims.map { Int($0) }
        guard let count = Tensor.checkedCount(shape) else {
            throw RNNError(at: label, "has an invalid or too large shape \(Tensor.describe(shape))")
        }
        let values: [Double]
        if let raw {
            let needed = count * ElementDecoding.size(of: type)
            guard raw.count == needed else {
                throw RNNError(at: label, "raw_data holds \(raw.count) bytes, expected \(needed) for shape \(Tensor.describe(shape)) of \(type.rawValue)")
            }
            values = ElementDecoding.decode(raw, as: type, count: count)
        } else {
            var stored = type == .float64 ? doubleData : (type == .float32 ? floatData : intData)
            if type == .float16 {
                // float16 values travel as their bit patterns in int32_data.
                stored = intData.map { ElementDecoding.halfToDouble(UInt16(truncatingIfNeeded: Int($0))) }
            }
            guard stored.count == count else {
                throw RNNError(at: label, "holds \(stored.count) values, expected \(count) for shape \(Tensor.describe(shape))")
            }
            values = stored
        }
        return (name, Tensor(shape: shape, elementType: type, values: values))
    }

    static func readValueInfo(_ message: ProtobufReader) throws -> ONNXValueInfo {
        var reader = message
        var info = ONNXValueInfo(name: "", elementType: nil, shape: nil)
        while let (field, value) = try reader.next() {
            if field == 1 { info.name = try value.string("value name") }
            if field == 2 {
                var typeProto = try value.message("TypeProto")
                while let (f, v) = try typeProto.next() {
                    guard f == 1 else { continue }
                    var tensorType = try v.message("TypeProto.Tensor")
                    while let (tf, tv) = try tensorType.next() {
                        if tf == 1 { info.elementType = elementTypes[try tv.int("elem_type")] }
                        if tf == 2 {
                            var shapeProto = try tv.message("TensorShapeProto")
                            var dims: [Int?] = []
                            while let (sf, sv) = try shapeProto.next() {
                                guard sf == 1 else { continue }
                                var dim = try sv.message("Dimension")
                                var size: Int?
                                while let (df, dv) = try dim.next() { if df == 1 { size = Int(try dv.int("dim_value")) } }
                                dims.append(size)
                            }
                            info.shape = dims
                        }
                    }
                }
            }
        }
        return info
    }
}

extension ONNXNode {
    public func int(_ key: String) -> Int64? {
        if case .int(let v)? = attributes[key] { return v }
        return nil
    }

    public func float(_ key: String) -> Double? {
        if case .float(let v)? = attributes[key] { return v }
        return nil
    }

    public func string(_ key: String) -> String? {
        if case .string(let v)? = attributes[key] { return v }
        return nil
    }

    public func ints(_ key: String) -> [Int64]? {
        if case .ints(let v)? = attributes[key] { return v }
        return nil
    }

    public func floats(_ key: String) -> [Double]? {
        if case .floats(let v)? = attributes[key] { return v }
        return nil
    }

    public func strings(_ key: String) -> [String]? {
        if case .strings(let v)? = attributes[key] { return v }
        return nil
    }

    /// Input `i`, or nil when absent or given as the empty name (ONNX's way of
    /// skipping an optional input).
    public func input(_ i: Int) -> String? {
        i < inputs.count && !inputs[i].isEmpty ? inputs[i] : nil
    }
}
