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
