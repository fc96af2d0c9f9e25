/// The one error type rnngen reports to users.
///
/// Every message names where the problem is (a file, and inside it a JSON path,
/// a tensor, a graph node) and what was expected versus what was found, so the
/// CLI can print it on one line and exit non-zero.
public struct RNNError: Error, CustomStringConvertible, Equatable {
    /// The file the problem is in, when there is one.
    public var file: String?
    /// Where inside the file: a JSON path (`pipeline[1].hidden_sizes`), a tensor
    /// name, an ONNX node, an argument.
    public var location: String?
    /// What is wrong, in plain words.
    public var message: String

    public init(file: String? = nil, at location: String? = nil, _ message: String) {
        self.file = file
        self.location = location
        self.message = message
    }

    public var description: String {
        var parts: [String] = []
        if let file { parts.append(file) }
        if let location { parts.append(location) }
        parts.append(message)
        return parts.joined(separator: ": ")
    }

    /// The same error, attributed to `file` when it does not name one yet.
    public func inFile(_ file: String) -> RNNError {
        var copy = self
        if copy.file == nil { copy.file = file }
        return copy
    }
}

/// Text taken from a file, made safe to put in a one-line error: control
/// characters escaped (`\n`, `\0`, `\u{1b}`) and long text cut, so a hostile
/// name cannot break or flood the line.
public enum Quote {
    public static func text(_ text: String, limit: Int = 80) -> String {
        var out = ""
        var length = 0
        for scalar in text.unicodeScalars {
            if length >= limit { return out + "…" }
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\0": out += "\\0"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f || (0x80..<0xa0).contains(scalar.value) {
                    out += "\\u{" + String(scalar.value, radix: 16) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
            length += 1
        }
        return out
    }

    /// Names for "it has: …": each quoted as above, at most `limit` of them.
    public static func list(_ names: [String], limit: Int = 12) -> String {
        if names.isEmpty { return "nothing" }
        let shown = names.prefix(limit).map { text($0, limit: 40) }.joined(separator: ", ")
        return names.count > limit ? shown + ", … (\(names.count) in all)" : shown
    }
}
