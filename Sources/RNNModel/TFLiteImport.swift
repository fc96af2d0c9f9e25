import Foundation

/// Reads a TensorFlow Lite model (`*.tflite`) holding a chain of
/// `UNIDIRECTIONAL_SEQUENCE_LSTM` operators, optionally between a QUANTIZE and
/// a DEQUANTIZE: what TensorFlow's converter writes for a Keras LSTM, in float
/// or with full-integer quantization (int8 activations and weights, int16
/// cell). A quantized file becomes a model whose cells carry their
/// quantization and whose real weights are the dequantized integers, so the
/// integer interpreter and kernels run exactly the file's integers.
///
/// The file is a FlatBuffer; every offset is checked (`FlatBuffer`), so a
/// damaged file is an error naming the field, never a crash.
public enum TFLiteImport {
    /// The builtin operators rnngen names in errors (schema.fbs values).
    static let operatorNames: [Int32: String] = [
        0: "ADD", 3: "CONV_2D", 4: "DEPTHWISE_CONV_2D", 6: "DEQUANTIZE", 9: "FULLY_CONNECTED", 14: "LOGISTIC",
        16: "LSTM", 18: "MUL", 22: "RESHAPE", 25: "SOFTMAX", 28: "TANH", 34: "PAD", 35: "UNIDIRECTIONAL_SEQUENCE_RNN",
        39: "TRANSPOSE", 44: "UNIDIRECTIONAL_SEQUENCE_LSTM", 45: "STRIDED_SLICE", 46: "BIDIRECTIONAL_SEQUENCE_RNN",
        52: "BIDIRECTIONAL_SEQUENCE_LSTM", 114: "QUANTIZE", 119: "WHILE", 32: "CUSTOM",
    ]
    static let quantize: Int32 = 114, dequantize: Int32 = 6, sequenceLSTM: Int32 = 44

    /// TensorType values of schema.fbs that rnngen reads.
    enum TensorType: UInt8 {
        case float32 = 0, int32 = 2, int16 = 7, int8 = 9
        var size: Int { switch self { case .float32, .int32: return 4; case .int16: return 2; case .int8: return 1 } }
    }

    struct TensorInfo {
        var index: Int
        var name: String
        var shape: [Int]
        var type: UInt8
        var buffer: Int
        var scales: [Float]
        var zeroPoints: [Int64]
        var isVariable: Bool
        var path: String
    }

    struct Operator {
        var code: Int32
        var inputs: [Int]
        var outputs: [Int]
        var options: FlatBuffer.Table?
        var path: String
        var name: String { operatorNames[code] ?? "operator \(code)" }
    }

    public static func read(contentsOf path: String, name: String) throws -> Model {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw RNNError(file: path, "cannot read the file: \(error.localizedDescription)")
        }
        return try read(bytes: [UInt8](data), file: path, name: name)
    }

    public static func read(bytes: [UInt8], file: String, name: String) throws -> Model {
        var reader = Reader(buffer: FlatBuffer(bytes: bytes, what: file), name: name)
        return try reader.model()
    }

    struct Reader {
        let buffer: FlatBuffer
        let name: String
        var tensors: [TensorInfo] = []
        var buffers: [FlatBuffer.Table] = []

        init(buffer: FlatBuffer, name: String) {
            self.buffer = buffer
            self.name = name
        }

        func fail(_ at: String, _ message: String) -> RNNError { buffer.fail(at, message) }

        mutating func model() throws -> Model {
            let bytes = buffer.bytes
            guard bytes.count >= 8, bytes[4..<8].elementsEqual("TFL3".utf8) else {
                throw RNNError(file: buffer.what, "not a TensorFlow Lite model: expected the identifier TFL3 at byte 4\(bytes.count >= 8 ? ", found \(Quote.text(String(decoding: bytes[4..<8], as: UTF8.self)))" : ", the file has \(bytes.count) bytes")")
            }
            let root = try buffer.root(path: "model")
            let version = try buffer.scalarU32(root, 0, "version")
            guard version == 3 else { throw fail("model.version", "expected schema version 3, found \(version)") }
            let codes = try buffer.tables(root, 1, "operator_codes").map { t -> Int32 in
                let deprecated = Int32(Int8(bitPattern: try buffer.scalarU8(t, 0, "deprecated_builtin_code")))
                return max(deprecated, try buffer.scalarI32(t, 3, "builtin_code"))
            }
            buffers = try buffer.tables(root, 4, "buffers")
            let subgraphs = try buffer.tables(root, 2, "subgraphs")
            guard let graph = subgraphs.first else { throw fail("model.subgraphs", "the model has no subgraph") }
            tensors = try buffer.tables(graph, 0, "tensors").enumerated().map { k, t in try tensorInfo(t, index: k) }
            let operators = try buffer.tables(graph, 3, "operators").map { t -> Operator in
                let index = Int(try buffer.scalarU32(t, 0, "opcode_index"))
                guard index < codes.count else { throw fail("\(t.path).opcode_index", "expected an operator code index below \(codes.count), found \(index)") }
                return Operator(code: codes[index], inputs: try buffer.int32s(t, 1, "inputs") ?? [], outputs: try buffer.int32s(t, 2, "outputs") ?? [],
                                options: try buffer.subtable(t, 4, "builtin_options"), path: t.path)
            }
            for op in operators {
                for k in op.inputs + op.outputs where k < -1 || k >= tensors.count {
                    throw fail(op.path, "names tensor \(k); the subgraph has \(tensors.count) tensors")
                }
            }
            return try build(operators)
        }

        func tensorInfo(_ t: FlatBuffer.Table, index: Int) throws -> TensorInfo {
            let shape = try buffer.int32s(t, 0, "shape") ?? []
            guard shape.allSatisfy({ $0 >= 0 }), Tensor.checkedCount(shape) != nil else {
                throw fail("\(t.path).shape", "expected non-negative dimensions, found \(shape)")
            }
            var scales: [Float] = [], zeroPoints: [Int64] = []
            if let q = try buffer.subtable(t, 4, "quantization") {
                scales = try buffer.float32s(q, 2, "scale") ?? []
                zeroPoints = try buffer.int64s(q, 3, "zero_point") ?? []
            }
            return TensorInfo(index: index, name: try buffer.string(t, 3, "name") ?? "", shape: shape, type: try buffer.scalarU8(t, 1, "type"),
                              buffer: Int(try buffer.scalarU32(t, 2, "buffer")), scales: scales, zeroPoints: zeroPoints,
                              isVariable: try buffer.scalarU8(t, 5, "is_variable") != 0, path: t.path)
        }

        func describe(_ t: TensorInfo) -> String { "tensor \(t.index) (\(Quote.text(t.name)))" }

        /// A tensor's stored values, decoded; nil when it has no data.
        func values(_ t: TensorInfo) throws -> [Double]? {
            guard let type = TensorType(rawValue: t.type) else {
                throw fail(t.path, "\(describe(t)) has element type \(t.type); rnngen reads float32 (0), int32 (2), int16 (7) and int8 (9)")
            }
            guard t.buffer > 0 else { return nil }
            guard t.buffer < buffers.count else { throw fail("\(t.path).buffer", "expected a buffer index below \(buffers.count), found \(t.buffer)") }
            let b = buffers[t.buffer]
            var raw = try buffer.bytes(b, 0, "data") ?? []
            if raw.isEmpty {
                let offset = try buffer.scalarU64(b, 1, "offset"), size = try buffer.scalarU64(b, 2, "size")
                if offset > 1 {
                    guard offset <= UInt64(buffer.bytes.count), size <= UInt64(buffer.bytes.count) - offset else {
                        throw fail(b.path, "points outside the file (offset \(offset), \(size) bytes)")
                    }
                    raw = buffer.bytes[Int(offset)..<Int(offset + size)]
                }
            }
            if raw.isEmpty { return nil }
            let count = t.shape.reduce(1, *)
            guard raw.count == count * type.size else {
                throw fail(b.path, "\(describe(t)) of shape \(t.shape) needs \(count * type.size) bytes, its buffer holds \(raw.count)")
            }
            let start = raw.startIndex
            return (0..<count).map { k in
                let at = start + k * type.size
                switch type {
                case .int8: return Double(Int8(bitPattern: raw[at]))
                case .int16: return Double(Int16(bitPattern: UInt16(raw[at]) | UInt16(raw[at + 1]) << 8))
                case .int32, .float32:
                    let bits = (0..<4).reduce(UInt32(0)) { $0 | UInt32(raw[at + $1]) << (8 * UInt32($1)) }
                    return type == .int32 ? Double(Int32(bitPattern: bits)) : Double(Float(bitPattern: bits))
                }
            }
        }

        /// The operators rnngen follows: QUANTIZE?, LSTM+, DEQUANTIZE?, each
        /// reading what the one before wrote.
        func build(_ operators: [Operator]) throws -> Model {
            guard !operators.isEmpty else { throw fail("model.subgraphs[0].operators", "the subgraph has no operators") }
            if let loop = operators.first(where: { $0.code == 119 }) {
                throw fail(loop.path, "the model runs a WHILE loop: TensorFlow's converter writes one for a GRU or a SimpleRNN (TFLite has no operator for them) and for a Keras 3 LSTM; rnngen reads fused UNIDIRECTIONAL_SEQUENCE_LSTM operators (convert an LSTM with TF_USE_LEGACY_KERAS=1 and tf_keras), and takes GRUs and RNNs from a description or ONNX")
            }
            var cells: [Cell] = []
            var current: Int?
            var layout: Layout?
            for (k, op) in operators.enumerated() {
                if op.code == sequenceLSTM {
                    guard op.inputs.count >= 20, op.outputs.count == 1 else {
                        throw fail(op.path, "an UNIDIRECTIONAL_SEQUENCE_LSTM has 20 or 24 inputs and 1 output, found \(op.inputs.count) and \(op.outputs.count)")
                    }
                    guard op.inputs[0] >= 0, op.outputs[0] >= 0 else {
                        throw fail(op.path, "an UNIDIRECTIONAL_SEQUENCE_LSTM needs an input tensor and an output tensor, found index \(op.inputs[0]) and \(op.outputs[0]) (-1 marks an absent tensor)")
                    }
                    if let current, op.inputs[0] != current {
                        throw fail(op.path, "reads \(describe(tensors[op.inputs[0]])), not the output of the operator before it: rnngen reads a chain of LSTMs")
                    }
                    let (cell, timeMajor) = try lstmCell(op)
                    let opLayout: Layout = timeMajor ? .timeMajor : .batchMajor
                    if let layout, layout != opLayout { throw fail(op.path, "mixes time-major and batch-major LSTMs") }
                    layout = opLayout
                    cells.append(cell)
                    current = op.outputs[0]
                } else if op.code == quantize && k == 0 || op.code == dequantize && k == operators.count - 1 && !cells.isEmpty {
                    guard op.inputs.count == 1, op.outputs.count == 1, op.inputs[0] >= 0, op.outputs[0] >= 0 else {
                        throw fail(op.path, "\(op.name) has one input and one output, found \(op.inputs.count) and \(op.outputs.count)")
                    }
                    if op.code == quantize { current = op.outputs[0] } else if op.inputs[0] != current {
                        throw fail(op.path, "DEQUANTIZE reads \(describe(tensors[op.inputs[0]])), not the last LSTM's output")
                    }
                } else {
                    throw fail(op.path, "\(op.name) is not an operator rnngen reads: it reads UNIDIRECTIONAL_SEQUENCE_LSTM operators in a chain, with a QUANTIZE before and a DEQUANTIZE after (a Keras LSTM converted with TensorFlow's TFLiteConverter)")
                }
            }
            guard let first = cells.first else {
                throw fail("model.subgraphs[0].operators", "the subgraph has no UNIDIRECTIONAL_SEQUENCE_LSTM")
            }
            let stack = RecurrentStack(direction: .forward, layers: cells.map { RecurrentLayer(cells: [$0]) })
            var model = Model(name: name, inputSize: first.inputSize, layout: layout ?? .batchMajor, zeroLengthState: .initial, stages: [.recurrent(stack)])
            model.assumptions = ["read from TensorFlow Lite: \(cells.count) UNIDIRECTIONAL_SEQUENCE_LSTM operator\(cells.count == 1 ? "" : "s")" +
                                 (first.quantization != nil ? ", int8 activations and weights, int16 cell state (integer arithmetic: TFLite Micro's)" : ", float32")]
            do { try model.validate() } catch let error as RNNError { throw error.inFile(buffer.what) }
            return model
        }

        /// One LSTM operator as a canonical cell (gates i, o, f, c).
        func lstmCell(_ op: Operator) throws -> (Cell, timeMajor: Bool) {
            func tensor(_ slot: Int) -> TensorInfo? { op.inputs.count > slot && op.inputs[slot] >= 0 ? tensors[op.inputs[slot]] : nil }
            let absentFeatures: [(String, [Int])] = [("CIFG (a coupled input gate: no input-gate weights)", [1, 5]), ("peepholes", [9, 10, 11]),
                                                     ("a projection", [16, 17]), ("layer normalization", [20, 21, 22, 23])]
            for (feature, slots) in absentFeatures {
                let present = slots.filter { tensor($0) != nil }
                if feature.hasPrefix("CIFG") ? present.isEmpty : !present.isEmpty {
                    throw fail(op.path, "the LSTM uses \(feature); rnngen reads the plain LSTM (inputs 1–8 and 12–15, no peepholes, projection or layer norm)")
                }
            }
            guard let x = tensor(0), x.shape.count == 3 else { throw fail(op.path, "the LSTM's input must be rank 3 ([batch, time, features] or [time, batch, features])") }
            var timeMajor = false, cellClip: Float = 0
            if let options = op.options {
                let activation = try buffer.scalarU8(options, 0, "fused_activation_function")
                guard activation == 4 else { throw fail("\(options.path).fused_activation_function", "expected TANH (4), found \(activation)") }
                cellClip = try buffer.scalarF32(options, 1, "cell_clip")
                let projClip = try buffer.scalarF32(options, 2, "proj_clip")
                guard projClip == 0 else { throw fail("\(options.path).proj_clip", "expected 0 (there is no projection), found \(projClip)") }
                timeMajor = try buffer.scalarU8(options, 3, "time_major") != 0
            }
            let I = x.shape[2]
            // Canonical i, o, f, c from the operator's input, forget, cell, output slots.
            let order = [0, 3, 1, 2]
            let inputSlots = order.map { 1 + $0 }, recurrentSlots = order.map { 5 + $0 }, biasSlots = order.map { 12 + $0 }
            let weights = try (inputSlots + recurrentSlots + biasSlots).map { slot -> (TensorInfo, [Double]) in
                guard let t = tensor(slot) else { throw fail(op.path, "input \(slot) of the LSTM is missing") }
                guard let v = try values(t) else { throw fail(t.path, "\(describe(t)) (LSTM input \(slot)) holds no constant data") }
                return (t, v)
            }
            let H = weights[0].0.shape.first ?? 0
            guard H >= 1 else { throw fail(weights[0].0.path, "expected [H, I] weights, found shape \(weights[0].0.shape)") }
            for (k, (t, v)) in weights.enumerated() {
                let expected = k < 4 ? [H, I] : k < 8 ? [H, H] : [H]
                guard t.shape == expected, v.count == expected.reduce(1, *) else {
                    throw fail(t.path, "\(describe(t)) should have shape \(expected), found \(t.shape)")
                }
            }
            guard let hState = tensor(18), let cState = tensor(19) else { throw fail(op.path, "the LSTM's state tensors (inputs 18 and 19) are missing") }
            for s in [hState, cState] {
                let start = try values(s)
                guard start == nil || start!.allSatisfy({ $0 == Double(s.zeroPoints.first ?? 0) }) else {
                    throw fail(s.path, "\(describe(s)) starts at values other than zero; rnngen starts the LSTM from a zero state")
                }
            }
            let isQuantized = x.type == TensorType.int8.rawValue
            guard isQuantized || x.type == TensorType.float32.rawValue else {
                throw fail(x.path, "the LSTM's input is \(x.type == 7 ? "int16 (16x8 quantization)" : "of element type \(x.type)"); rnngen reads float32 models and int8 models with an int16 cell")
            }
            guard cellClip >= 0, cellClip.isFinite else { throw fail(op.path, "expected a cell clip ≥ 0, found \(cellClip)") }
            let options = CellOptions(activations: CellKind.lstm.defaultActivations, cellClip: cellClip > 0 ? Double(cellClip) : nil)
            if !isQuantized {
                for (t, _) in weights where t.type != TensorType.float32.rawValue {
                    throw fail(t.path, "\(describe(t)) has element type \(t.type) in a float32 LSTM (dynamic-range quantization, with int8 weights and float activations, is not read)")
                }
                let cellWeights = CellWeights(input: Tensor(shape: [4 * H, I], values: weights[0..<4].flatMap(\.1)),
                                              recurrent: Tensor(shape: [4 * H, H], values: weights[4..<8].flatMap(\.1)),
                                              inputBias: Tensor(shape: [4 * H], values: weights[8..<12].flatMap(\.1)),
                                              recurrentBias: Tensor(zeros: [4 * H]))
                return (Cell(kind: .lstm, inputSize: I, hiddenSize: H, options: options, weights: cellWeights), timeMajor)
            }
            // Integers: the activations' scales and zero points, each weight's row scales, the cell's power of two.
            func affine(_ t: TensorInfo, _ what: String) throws -> AffineQuantization {
                guard t.type == TensorType.int8.rawValue, t.scales.count == 1, t.zeroPoints.count == 1, t.scales[0] > 0, t.scales[0].isFinite else {
                    throw fail(t.path, "\(what) \(describe(t)) should be int8 with one positive scale and zero point, found type \(t.type), \(t.scales.count) scales")
                }
                guard FixedPoint.int8Range.contains(Int(t.zeroPoints[0])) else { throw fail(t.path, "\(what) zero point \(t.zeroPoints[0]) is outside int8") }
                return AffineQuantization(scale: Double(t.scales[0]), zeroPoint: Int(t.zeroPoints[0]))
            }
            let input = try affine(x, "the input"), hidden = try affine(hState, "the hidden state")
            let output = tensors[op.outputs[0]]
            guard try affine(output, "the output") == hidden else {
                throw fail(output.path, "the LSTM's output is quantized differently from its hidden state (tensor \(hState.index)); TFLite Micro writes the hidden state as the output")
            }
            guard cState.type == TensorType.int16.rawValue, cState.scales.count == 1, cState.scales[0] > 0 else {
                throw fail(cState.path, "the cell state \(describe(cState)) should be int16 with one scale")
            }
            let exponent = Int(log2(Double(cState.scales[0])).rounded())
            guard Foundation.pow(2.0, Double(exponent)) == Double(cState.scales[0]) else {
                throw fail(cState.path, "the cell state's scale \(cState.scales[0]) is not a power of two")
            }
            func rowScales(_ t: TensorInfo) throws -> [Double] {
                guard t.type == TensorType.int8.rawValue, t.scales.count == 1 || t.scales.count == H, t.scales.allSatisfy({ $0 > 0 && $0.isFinite }),
                      t.zeroPoints.allSatisfy({ $0 == 0 }) else {
                    throw fail(t.path, "weights \(describe(t)) should be int8, symmetric (zero point 0), with one positive scale or one per row, found type \(t.type), \(t.scales.count) scales")
                }
                return (0..<H).map { Double(t.scales[t.scales.count == 1 ? 0 : $0]) }
            }
            let inputScales = try weights[0..<4].flatMap { try rowScales($0.0) }
            let recurrentScales = try weights[4..<8].flatMap { try rowScales($0.0) }
            for (t, _) in weights[8..<12] where t.type != TensorType.int32.rawValue {
                throw fail(t.path, "bias \(describe(t)) should be int32, found element type \(t.type)")
            }
            let dequantizedInput = zip(weights[0..<4].flatMap(\.1), (0..<(4 * H * I)).map { inputScales[$0 / I] }).map { $0 * $1 }
            let dequantizedRecurrent = zip(weights[4..<8].flatMap(\.1), (0..<(4 * H * H)).map { recurrentScales[$0 / H] }).map { $0 * $1 }
            // The bias at the input product's scale in double, so the integer
            // form recovers the file's int32 values exactly.
            let dequantizedBias = zip(weights[8..<12].flatMap(\.1), inputScales).map { $0 * (input.scale * $1) }
            let cellWeights = CellWeights(input: Tensor(shape: [4 * H, I], values: dequantizedInput),
                                          recurrent: Tensor(shape: [4 * H, H], values: dequantizedRecurrent),
                                          inputBias: Tensor(shape: [4 * H], values: dequantizedBias),
                                          recurrentBias: Tensor(zeros: [4 * H]))
            let quantization = CellQuantization(input: input, hidden: hidden, cellExponent: exponent,
                                                inputWeightScales: inputScales, recurrentWeightScales: recurrentScales)
            return (Cell(kind: .lstm, inputSize: I, hiddenSize: H, options: options, weights: cellWeights, quantization: quantization), timeMajor)
        }
    }
}
