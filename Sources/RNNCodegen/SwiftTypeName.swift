/// The Swift type a kernel is spelled as, derived from the kernel's name
/// (`--name`, or the description's `name`): `seed_gru` → `SeedGRU`.
///
/// The rule, documented in docs/kernels.md:
/// - the name is cut at every `_`; empty parts are dropped;
/// - a part that is one of the acronyms below (optionally followed by digits)
///   is upper-cased whole, as Swift spells acronyms: `lstm` → `LSTM`, `gru2` → `GRU2`;
/// - any other part gets its first letter upper-cased and keeps the rest:
///   `multi` → `Multi`, `seqModel` → `SeqModel`;
/// - a result that starts with a digit, is empty, or would hide a standard
///   library type the kernel uses (`Float`, `State`, …) gets `Model` around it:
///   `2layer` → `Model2layer`, `float` → `FloatModel`.
/// A name already in UpperCamelCase (`--name SeedGRU`) is kept as it is.
public enum SwiftTypeName {
    /// Parts spelled in capitals.
    public static let acronyms: Set<String> = ["rnn", "lstm", "gru", "onnx", "mlp", "dsp", "nn", "tf"]

    /// Names the generated file uses from the standard library, or declares
    /// inside the kernel type; a kernel type of that name would shadow them.
    static let reserved: Set<String> = [
        "Any", "Array", "Bool", "Double", "Float", "Input", "Int", "Int8", "Int16", "Int32", "Int64",
        "InlineArray", "Never", "Optional", "Output", "HeadOutput", "Protocol", "SIMD2", "SIMD4", "SIMD8",
        "SIMD16", "SIMD32", "SIMD64", "Self", "Sendable", "Span", "State", "String", "Type", "UInt8",
        "UInt16", "UInt32", "UInt64", "UnsafeBufferPointer", "UnsafeMutableBufferPointer",
        "UnsafeMutablePointer", "UnsafeMutableRawPointer", "UnsafePointer", "UnsafeRawPointer", "Void",
    ]

    public static func derive(_ name: String) -> String {
        let parts = name.split(separator: "_").map(String.init).map { part -> String in
            let letters = part.prefix { !$0.isNumber }
            if acronyms.contains(letters.lowercased()) && part.dropFirst(letters.count).allSatisfy(\.isNumber) {
                return part.uppercased()
            }
            return part.prefix(1).uppercased() + part.dropFirst()
        }
        let joined = parts.joined()
        if joined.isEmpty { return "Model" }
        if joined.first!.isNumber { return "Model" + joined }
        if reserved.contains(joined) { return joined + "Model" }
        return joined
    }
}

extension KernelPlan {
    /// The Swift kernel's public type, which the harness, golden checks and bench call.
    public var swiftTypeName: String { SwiftTypeName.derive(name) }
}
