import RNNModel

/// Everything code generation knows of one weight type, in one table: how
/// its codes are packed, what the tables are in C and Swift, what the
/// loaders are called, which template holds their code. Every other place
/// reads this table; adding a type adds a case to `WeightType` and a row
/// here (see docs/kernels.md, "Adding a weight type").
public struct WeightStorage: Sendable {
    public let type: WeightType
    /// Matrix columns sharing one stored element of a lane. A bf16 word
    /// widens to two float vectors with one integer instruction each (a
    /// shift, a mask), where separate 16-bit elements would first need a
    /// widening shuffle. f16 and i8 stay one per element, for the targets'
    /// conversion instructions (F16C and Armv8 halves, x86 and Arm sign
    /// extension): four i8s per word cost three instructions per vector.
    public let columnsPerWord: Int
    /// The C and Swift types of one stored element.
    public let cType: String, swiftType: String
    /// Whether each matrix row has a float scale (integer codes).
    public let rowScales: Bool
    /// Codes written in decimal (signed integers) rather than hex bit patterns.
    public let decimalCodes: Bool
    /// What the matrix table holds, for its comment (`newline` continues a comment line).
    public let describe: @Sendable (_ newline: String) -> String

    /// The loader's name: `RG_LOAD_F16` in C, `loadF16` in Swift; nil for f32, which is loaded as floats.
    public var cLoader: String? { type == .f32 ? nil : "RG_LOAD_\(type.rawValue.uppercased())" }
    public var swiftLoader: String? { type == .f32 ? nil : "load\(type.rawValue.uppercased())" }
    /// The templates holding the vector loaders (`widen_f16.c.tmpl`, `widen_f16.swift.tmpl`); nil for f32.
    public var template: String? { type == .f32 ? nil : "widen_\(type.rawValue)" }
    /// Bytes of one stored element (`columnsPerWord` weights).
    public var elementBytes: Int { type.bytes * columnsPerWord }
}

extension WeightType {
    /// This type's row of the table.
    public var storage: WeightStorage {
        switch self {
        case .f32:
            return WeightStorage(type: self, columnsPerWord: 1, cType: "float", swiftType: "Float", rowScales: false, decimalCodes: false,
                                 describe: { _ in "floats" })
        case .f16:
            return WeightStorage(type: self, columnsPerWord: 1, cType: "uint16_t", swiftType: "UInt16", rowScales: false, decimalCodes: false,
                                 describe: { _ in "IEEE half-precision bit patterns" })
        case .bf16:
            return WeightStorage(type: self, columnsPerWord: 2, cType: "uint32_t", swiftType: "UInt32", rowScales: false, decimalCodes: false,
                                 describe: { "bfloat16 bit patterns (a float's upper 16 bits), two\($0)columns per 32-bit word, column j in the low half" })
        case .i8:
            return WeightStorage(type: self, columnsPerWord: 1, cType: "int8_t", swiftType: "Int8", rowScales: true, decimalCodes: true,
                                 describe: { _ in "int8 values; each row's scale is in the float table" })
        }
    }
}
