import RNNModel

/// Spells an `IntegerKernelPlan` in Swift: one value type with the state,
/// `step` (int8 and real), `run`, and the baked tables in two InlineArrays
/// (every Int8 table, every Int32 table) — the same operations, in the same
/// order, as the C kernel.
public struct IntegerSwiftRenderer {
    public let plan: IntegerKernelPlan

    public init(plan: IntegerKernelPlan) { self.plan = plan }

    var typeName: String { SwiftTypeName.derive(plan.name) }
    var tables: String { plan.name + "Int8" }
    var wideTables: String { plan.name + "Int32" }

    public func render() -> [(file: String, text: String)] { [("\(plan.name).swift", source())] }

    /// Where each table sits in the two arrays.
    struct Offsets {
        var int8: [String: Int] = [:], int32: [String: Int] = [:]
        var int8Values: [Int8] = [], int32Values: [Int32] = []
    }

    func offsets() -> Offsets {
        var o = Offsets()
        for (k, layer) in plan.layers.enumerated() {
            let p = layer.parameters
            let rowShifts = layer.needsRowRescales ? [("sx", p.inputRescale.map { Int8($0.shift) }), ("sh", p.recurrentRescale.map { Int8($0.shift) })] : []
            for (kind, values) in [("w", layer.inputWeights), ("r", layer.recurrentWeights)] + rowShifts {
                o.int8[plan.table(kind, layer: k)] = o.int8Values.count
                o.int8Values += values
            }
            let rowMultipliers = layer.needsRowRescales ? [("mx", p.inputRescale.map(\.multiplier)), ("mh", p.recurrentRescale.map(\.multiplier))] : []
            let biases = [("b", layer.inputBias)] + (layer.recurrentBias.map { [("br", $0)] } ?? [])
            for (kind, values) in biases + rowMultipliers {
                o.int32[plan.table(kind, layer: k)] = o.int32Values.count
                o.int32Values += values
            }
        }
        return o
    }

    /// Layer k's h and c start in the state's storage.
    func stateOffset(_ k: Int) -> Int { plan.layers[0..<k].reduce(0) { $0 + $1.hiddenSize } }
    var stateSize: Int { plan.layers.reduce(0) { $0 + $1.hiddenSize } }
    /// Layer k's c in the cell storage (LSTM layers only).
    func cellOffset(_ k: Int) -> Int { plan.layers[0..<k].reduce(0) { $0 + ($1.kind == .lstm ? $1.hiddenSize : 0) } }
    var cellSize: Int { max(1, plan.layers.reduce(0) { $0 + ($1.kind == .lstm ? $1.hiddenSize : 0) }) }

    func source(_ from: IntegerKernelPlan.Operation.Source) -> String {
        switch from {
        case .input: return "x"
        case .hidden(let k): return "h + \(stateOffset(k))"
        case .resetHidden: return "rh"
        }
    }

    func spell(_ op: IntegerKernelPlan.Operation, _ o: Offsets) -> String {
        func i8(_ kind: String, _ k: Int) -> String { "i8 + \(o.int8[plan.table(kind, layer: k)]!)" }
        func i32(_ kind: String, _ k: Int) -> String { "i32 + \(o.int32[plan.table(kind, layer: k)]!)" }
        switch op {
        case .comment(let text):
            return "        // \(text)"
        case .widen(let from, let count, let padded, let zeroPoint, let into):
            return "        rqWiden(\(into), \(source(from)), \(count), \(padded), \(zeroPoint))"
        case .copy(let from, let count, let padded, let into):
            return "        \(plan.packing.inputOffset != 0 ? "rqCopyUnsigned" : "rqCopy")(\(into), \(source(from)), \(count), \(padded))"
        case .matvec(let k, let recurrent, let input, let into, let rows):
            let layer = plan.layers[k], columns = recurrent ? layer.hiddenColumns : layer.inputColumns
            let function = ["rows": "rqMatvec", "pairs": "rqMatvecPairs", "bytes": "rqMatvecS8", "unsignedBytes": "rqMatvecU8",
                            "unsignedBlocks": "rqMatvecU8Blocks"][plan.packing.rawValue]!
            let at = rows.lowerBound, offset = at == 0 ? "" : " + \(at)"
            let bias = recurrent ? (layer.recurrentBias == nil ? "nil" : i32("br", k) + offset) : i32("b", k) + offset
            let count = rows == 0..<layer.rows ? plan.computedRows(layer) : rows.count
            return "        \(function)(\(into)\(offset), \(i8(recurrent ? "r" : "w", k))\(at == 0 ? "" : " + \(at * columns)"), \(input), \(bias), \(count), \(columns))"
        case .gates(let k, let block, let tanh):
            let layer = plan.layers[k], H = layer.hiddenSize, at = block * H
            let rows = "gate + \(at), ax + \(at), ah + \(at), \(H)", candidate = tanh ? "true" : "false"
            if let (x, h) = layer.uniformRescales(block: block) {
                return "        rqGateRowsUniform(\(rows), \(x.multiplier), \(x.shift), \(h.multiplier), \(h.shift), \(candidate))"
            }
            return "        rqGateRows(\(rows), \(i32("mx", k)) + \(at), \(i8("sx", k)) + \(at), \(i32("mh", k)) + \(at), \(i8("sh", k)) + \(at), \(candidate))"
        case .cell(let k):
            let p = plan.layers[k].parameters
            let (tm, ts) = FixedPoint.tanhInputScaling(exponent: p.quantization.cellExponent)
            return "        rqLSTMCell(c + \(cellOffset(k)), h + \(stateOffset(k)), gate, \(p.hiddenSize), \(p.forgetTimesCell.multiplier), \(p.forgetTimesCell.shift), "
                + "\(p.inputTimesCandidate.multiplier), \(p.inputTimesCandidate.shift), \(p.outputTimesTanh.multiplier), \(p.outputTimesTanh.shift), "
                + "\(p.quantization.hidden.zeroPoint), \(tm), \(ts), \(p.cellClip ?? -1))"
        case .gruReset(let k):
            let H = plan.layers[k].hiddenSize
            return "        rqGRUReset(rh, h + \(stateOffset(k)), gate + \(H), \(H), \(plan.layers[k].parameters.quantization.hidden.zeroPoint))"
        case .gruCandidate(let k):
            let H = plan.layers[k].hiddenSize, at = 2 * H
            return "        rqGRUCandidate(gate + \(at), ax + \(at), ah + \(at), gate + \(H), \(H), \(i32("mx", k)) + \(at), \(i8("sx", k)) + \(at), \(i32("mh", k)) + \(at), \(i8("sh", k)) + \(at))"
        case .gruUpdate(let k):
            let p = plan.layers[k].parameters, H = p.hiddenSize
            return "        rqGRUUpdate(h + \(stateOffset(k)), gate, gate + \(2 * H), \(H), \(p.outputTimesTanh.multiplier), \(p.outputTimesTanh.shift), \(p.quantization.hidden.zeroPoint))"
        case .rnnOutput(let k):
            let p = plan.layers[k].parameters
            return "        rqRNNOutput(h + \(stateOffset(k)), gate, \(p.hiddenSize), \(p.outputTimesTanh.multiplier), \(p.outputTimesTanh.shift), \(p.quantization.hidden.zeroPoint))"
        case .output(let k):
            return "        for j in 0..<\(plan.layers[k].hiddenSize) { y[j] = h[\(stateOffset(k)) + j] }"
        }
    }

    static func list<T: BinaryInteger>(_ values: [T]) -> String {
        stride(from: 0, to: values.count, by: 16).map { start in
            "    " + values[start..<min(start + 16, values.count)].map { String($0) }.joined(separator: ", ")
        }.joined(separator: ",\n")
    }

    var bytes: Bool { plan.packing.foldsZeroPoints }
    var scratchType: String { plan.packing == .bytes ? "Int8" : plan.packing.inputOffset != 0 ? "UInt8" : "Int16" }

    func source() -> String {
        let o = offsets()
        let T = typeName, I = plan.inputSize, O = plan.outputSize, S = stateSize
        var fields: [String] = [], zeroH: [String] = []
        for (k, layer) in plan.layers.enumerated() {
            let H = layer.hiddenSize, at = stateOffset(k), q = layer.parameters.quantization
            zeroH.append("for j in \(at)..<\(at + H) { h[j] = \(q.hidden.zeroPoint) }")
            fields.append("""
                    /// Layer \(k)'s hidden state (int8, scale \(Float(q.hidden.scale)), zero point \(q.hidden.zeroPoint)).
                    public var hL\(k): InlineArray<\(H), Int8> {
                        get { var v = InlineArray<\(H), Int8>(repeating: 0); for j in 0..<\(H) { v[j] = h[\(at) + j] }; return v }
                        set { for j in 0..<\(H) { h[\(at) + j] = newValue[j] } }
                    }
            """)
            if layer.kind == .lstm {
                let ca = cellOffset(k)
                fields.append("""
                        /// Layer \(k)'s cell state, in units of 2^\(q.cellExponent).
                        public var cL\(k): InlineArray<\(H), Int16> {
                            get { var v = InlineArray<\(H), Int16>(repeating: 0); for j in 0..<\(H) { v[j] = c[\(ca) + j] }; return v }
                            set { for j in 0..<\(H) { c[\(ca) + j] = newValue[j] } }
                        }
                """)
            }
        }
        let W = plan.widestColumns, R = plan.mostRows
        let timeMajor = plan.model.layout == .timeMajor
        let offset = { (width: Int) in timeMajor ? "(t * batch + b) * \(width)" : "(b * steps + t) * \(width)" }
        return """
        // \(plan.name).swift: an int8 recurrent kernel generated by rnngen from the quantized model
        // '\(Quote.text(plan.model.name))' (\(plan.layers.map { "\($0.kind.rawValue.uppercased()) \($0.inputSize)→\($0.hiddenSize)" }.joined(separator: ", "))). Do not edit.
        // Integer arithmetic of TensorFlow Lite Micro's int8 LSTM: int8 input, weights and
        // hidden state, int16 gates and cell, int32 sums; equal to it and to rnngen's
        // integer interpreter to the bit (docs/kernels.md, "Integer kernels").
        // Needs only the Swift standard library.

        \(Template(swift: "integer_prelude.swift").render(["TABLE": Self.list(FixedPoint.sigmoidTable)]))

        /// Every Int8 table: the weights (\(plan.packing == .pairs ? "in blocks of four rows, each four columns stored k, k+2, k+1, k+3" : "row after row")) and the rows' shifts.
        fileprivate let \(tables): InlineArray<\(o.int8Values.count), Int8> = [
        \(Self.list(o.int8Values))
        ]

        /// Every Int32 table: the biases and the rows' multipliers.
        fileprivate let \(wideTables): InlineArray<\(o.int32Values.count), Int32> = [
        \(Self.list(o.int32Values))
        ]

        /// The int8 recurrent model \(Quote.text(plan.model.name)): \(plan.layers.count) layer\(plan.layers.count == 1 ? "" : "s"), \(I) inputs, \(O) outputs.
        public struct \(T): Sendable {
            public static let inputSize = \(I)
            public static let outputSize = \(O)
            /// real = scale · (q − zero point)
            public static let inputScale: Float = \(Float(plan.input.scale))
            public static let inputZeroPoint: Int8 = \(plan.input.zeroPoint)
            public static let outputScale: Float = \(Float(plan.output.scale))
            public static let outputZeroPoint: Int8 = \(plan.output.zeroPoint)
            public static let timeMajor = \(timeMajor)

            /// The recurrent state of every layer: h (int8) and c (int16).
            public struct State: Sendable {
                public fileprivate(set) var h: InlineArray<\(S), Int8>
                public fileprivate(set) var c: InlineArray<\(cellSize), Int16>

                /// The zero state: each h at its zero point (a real 0), each c 0.
                public init() {
                    h = InlineArray(repeating: 0)
                    c = InlineArray(repeating: 0)
                    \(zeroH.joined(separator: "\n            "))
                }

        \(fields.joined(separator: "\n\n"))
            }

            public var state: State

            public init() { state = State() }
            public init(state: State) { self.state = state }

            /// Back to the zero state.
            public mutating func reset() { state = State() }

            /// One step: \(I) int8 inputs in, the last layer's \(O) int8 h out.
            public mutating func step(x: UnsafePointer<Int8>, y: UnsafeMutablePointer<Int8>) {
                withUnsafeMutablePointer(to: &state.h) { hRaw in
                    withUnsafeMutablePointer(to: &state.c) { cRaw in
                        let h = UnsafeMutableRawPointer(hRaw).assumingMemoryBound(to: Int8.self)
                        let c = UnsafeMutableRawPointer(cRaw).assumingMemoryBound(to: Int16.self)
                        Self.step(x, y, h, c)
                    }
                }
            }

            public mutating func step(_ x: InlineArray<\(I), Int8>) -> InlineArray<\(O), Int8> {
                var x = x
                var y = InlineArray<\(O), Int8>(repeating: 0)
                withUnsafePointer(to: &x) { xRaw in
                    withUnsafeMutablePointer(to: &y) { yRaw in
                        step(x: UnsafeRawPointer(xRaw).assumingMemoryBound(to: Int8.self), y: UnsafeMutableRawPointer(yRaw).assumingMemoryBound(to: Int8.self))
                    }
                }
                return y
            }

            /// One step on real numbers: x quantized as TFLite's QUANTIZE does, y dequantized as DEQUANTIZE.
            public mutating func step(real x: InlineArray<\(I), Float>) -> InlineArray<\(O), Float> {
                var xq = InlineArray<\(I), Int8>(repeating: 0)
                for k in 0..<\(I) { xq[k] = rqQuantize(x[k], Self.inputScale, Int32(Self.inputZeroPoint)) }
                let yq = step(xq)
                var y = InlineArray<\(O), Float>(repeating: 0)
                for j in 0..<\(O) { y[j] = Float(Int32(yq[j]) - Int32(Self.outputZeroPoint)) * Self.outputScale }
                return y
            }

            /// Whole sequences from the zero state: x \(timeMajor ? "[steps][batch]" : "[batch][steps]")[\(I)], y likewise [\(O)];
            /// an item's y past its length (sequenceLengths, nil: all steps) holds the output zero point.
            public static func run(x: UnsafePointer<Int8>, y: UnsafeMutablePointer<Int8>, batch: Int, steps: Int, sequenceLengths: UnsafePointer<Int32>?) {
                for b in 0..<batch {
                    var kernel = \(T)()
                    let length = sequenceLengths.map { Int($0[b]) } ?? steps
                    for t in 0..<steps {
                        let out = y + \(offset(O))
                        if t < length { kernel.step(x: x + \(offset(I)), y: out) } else { out.update(repeating: outputZeroPoint, count: \(O)) }
                    }
                }
            }

            @inline(__always)
            fileprivate static func step(_ x: UnsafePointer<Int8>, _ y: UnsafeMutablePointer<Int8>, _ h: UnsafeMutablePointer<Int8>, _ c: UnsafeMutablePointer<Int16>) {
                \(tables).span.withUnsafeBufferPointer { i8Buffer in
                \(wideTables).span.withUnsafeBufferPointer { i32Buffer in
                withScratch(InlineArray<\(W), \(scratchType)>.self, 0) { \(bytes ? "xb" : "xw") in
                withScratch(InlineArray<\(W), \(scratchType)>.self, 0) { \(bytes ? "hb" : "hw") in
                withScratch(InlineArray<\(R), Int16>.self, 0) { gate in
                withScratch(InlineArray<\(R), Int32>.self, 0) { ax in
                withScratch(InlineArray<\(R), Int32>.self, 0) { ah in
                withScratch(InlineArray<\(plan.needsResetScratch ? W : 1), Int8>.self, 0) { rh in
                    let i8 = i8Buffer.baseAddress!, i32 = i32Buffer.baseAddress!
        \(plan.step.map { spell($0, o) }.joined(separator: "\n"))
                }}}}}}}}
            }
        }

        """
    }
}
