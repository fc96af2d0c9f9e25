import KernelTemplates
import RNNModel

/// Fills `{{KEY}}` placeholders of a template. Every placeholder must be
/// given and every given key must be used, so a template and its renderer
/// cannot drift apart silently.
struct Template {
    let name: String
    let text: String

    init(c name: String) {
        self.name = name
        guard let text = KernelTemplates.c[name] else { preconditionFailure("no C template \(name)") }
        self.text = text
    }

    init(swift name: String) {
        self.name = name
        guard let text = KernelTemplates.swift[name] else { preconditionFailure("no Swift template \(name)") }
        self.text = text
    }

    func render(_ values: [String: String]) -> String {
        var out = ""
        var rest = Substring(text)
        var used: Set<String> = []
        while let open = rest.range(of: "{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else { preconditionFailure("\(name): unclosed {{") }
            let key = String(rest[open.upperBound..<close.lowerBound])
            guard let value = values[key] else { preconditionFailure("\(name): no value for {{\(key)}}") }
            out += value
            used.insert(key)
            rest = rest[close.upperBound...]
        }
        out += rest
        precondition(used == Set(values.keys), "\(name): unused values \(Set(values.keys).subtracting(used).sorted())")
        return out
    }
}

/// Number formatting shared by the renderers: the shortest text that reads
/// back as the same float, so generated tables are exact and deterministic.
enum Literal {
    /// Swift's spelling of a float, exact (the shortest text that reads back
    /// to the same value); NaN and infinities by name.
    static func float(_ v: Float) -> String {
        if v.isNaN { return "Float.nan" }
        if v.isInfinite { return v < 0 ? "-Float.infinity" : "Float.infinity" }
        return "\(v)"
    }

    /// C's spelling; NaN and infinities as <math.h>'s `NAN` and `INFINITY`.
    static func cFloat(_ v: Float) -> String {
        if v.isNaN { return "NAN" }
        if v.isInfinite { return v < 0 ? "-INFINITY" : "INFINITY" }
        return "\(v)f"
    }

    /// Swift's spelling of a snake-case name: `h_new` → `hNew`.
    static func camelCase(_ text: String) -> String {
        let parts = text.split(separator: "_")
        return parts.enumerated().map { $0.offset == 0 ? String($0.element) : $0.element.prefix(1).uppercased() + $0.element.dropFirst() }.joined()
    }
}

/// Standard base64 (with `=` padding), for tables written as text.
enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [Character] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let n = min(3, bytes.count - i)
            var chunk: UInt32 = 0
            for k in 0..<3 { chunk = chunk << 8 | (k < n ? UInt32(bytes[i + k]) : 0) }
            for k in 0..<4 { out.append(k <= n ? alphabet[Int((chunk >> UInt32(18 - 6 * k)) & 63)] : "=") }
            i += 3
        }
        return String(out)
    }
}
