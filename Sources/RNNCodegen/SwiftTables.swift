import RNNModel

/// The Swift kernel's constant tables: the packed float weights and the
/// narrow weight matrices, as `InlineArray` literals or, when large, as
/// base64 text decoded once.
extension SwiftRenderer {
    /// The weight matrices' codes (`UInt16` halves or `UInt32` words), or nothing for f32.
    func matrixTable() -> String {
        let type = plan.weightType
        guard type != .f32 else { return "" }
        let count = plan.matrixCodes.count, element = type.storage.swiftType, bytes = plan.matrixElementBytes
        let what = KernelDescription.storage(plan, newline: "\n/// ")
        guard literalMatrices else {
            var data: [UInt8] = []
            data.reserveCapacity(count * bytes)
            for code in plan.matrixCodes {
                for k in 0..<bytes { data.append(UInt8(truncatingIfNeeded: code >> (8 * k))) }
            }
            return encodedTable(name: "\(name)Matrix", element: element, count: count, bytes: data,
                                doc: "The weight matrices, packed like the float table, as \(what)")
        }
        let lines = KernelDescription.matrixCodeLines(plan)
        return """
        /// The weight matrices, packed like the float table, as \(what)
        /// (\(count * plan.columnsPerWord) weights, \(count * bytes) bytes; a constant, in flash on a microcontroller).
        fileprivate let \(name)Matrices: InlineArray<\(count), \(element)> = [
        \(lines.joined(separator: "\n"))
        ]

        """
    }

    func weightsTable() -> String {
        guard baked else { return "// Weights are passed in at run time (\(plan.weights.count) floats, packed as rnngen generate writes them).\n" }
        guard literalTable else {
            return encodedTable(name: "\(name)Weight", element: "Float", count: plan.weights.count, bytes: KernelGenerator.packedWeightBytes(plan),
                                doc: "Every float weight, packed at generation time in the order the loops read it")
        }
        let lines = KernelDescription.rows(plan.weights.map { Literal.float($0) }, perRow: width)
        return """
        /// Every weight, packed at generation time in the order the loops read it
        /// (\(plan.weights.count) floats, \(plan.weights.count * 4) bytes; a constant, in flash on a microcontroller).
        fileprivate let \(name)Weights: InlineArray<\(plan.weights.count), Float> = [
        \(lines.joined(separator: "\n"))
        ]

        """
    }

    /// Whether a table is base64 text, which needs `decodeTable`.
    var encodesATable: Bool { baked && (!literalTable || (plan.weightType != .f32 && !literalMatrices)) }

    /// The base64 decoder of text tables, once per file.
    var tableDecoder: String { Self.tableDecoder }

    static var tableDecoder: String {
        """

        /// Base64 (A–Z a–z 0–9 + /, line breaks skipped) to bytes.
        fileprivate func decodeTable(_ text: StaticString, into table: UnsafeMutableRawPointer, bytes: Int) {
            text.withUTF8Buffer { characters in
                var bits: UInt32 = 0, pending = 0, byte = 0
                for c in characters {
                    let v: UInt32
                    switch c {
                    case 65...90: v = UInt32(c) - 65
                    case 97...122: v = UInt32(c) - 71
                    case 48...57: v = UInt32(c) + 4
                    case 43: v = 62
                    case 47: v = 63
                    default: continue
                    }
                    bits = (bits << 6) | v
                    pending += 6
                    guard pending >= 8 else { continue }
                    pending -= 8
                    if byte < bytes { table.storeBytes(of: UInt8((bits >> UInt32(pending)) & 0xff), toByteOffset: byte, as: UInt8.self) }
                    byte += 1
                }
            }
        }

        """
    }

    /// A large table as base64 text of its little-endian bytes, decoded once,
    /// on first use, into `<name>Table`.
    func encodedTable(name table: String, element: String, count: Int, bytes: [UInt8], doc: String) -> String {
        Self.encodedTable(name: table, element: element, count: count, bytes: bytes, doc: doc)
    }

    static func encodedTable(name table: String, element: String, count: Int, bytes: [UInt8], doc: String) -> String {
        let text = Base64.encode(bytes)
        var lines: [String] = []
        var start = text.startIndex
        while start < text.endIndex {
            let end = text.index(start, offsetBy: 96, limitedBy: text.endIndex) ?? text.endIndex
            lines.append(String(text[start..<end]))
            start = end
        }
        return """
        /// \(doc)
        /// (\(count) values, \(bytes.count) bytes). An array literal this large would take
        /// the Swift compiler minutes to optimise, so the table is the base64 text of
        /// its little-endian bytes, decoded on first use into memory allocated once
        /// and kept for the life of the process: never on later calls (for a
        /// microcontroller, use C or --weights runtime).
        nonisolated(unsafe) fileprivate let \(table)Table: UnsafePointer<\(element)> = {
            // Swift runs a global's initialiser once, thread-safely, on first use.
            let table = UnsafeMutableRawPointer.allocate(byteCount: \(bytes.count), alignment: 64)
            decodeTable(\(table)Text, into: table, bytes: \(bytes.count))
            return UnsafePointer(table.bindMemory(to: \(element).self, capacity: \(count)))
        }()

        fileprivate let \(table)Text: StaticString = \"\"\"
        \(lines.joined(separator: "\n"))
        \"\"\"

        """
    }
}
