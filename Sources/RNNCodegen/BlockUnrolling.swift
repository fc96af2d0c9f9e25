/// Unrolls the loops over vector blocks in rendered kernel code: every
/// `for b` loop over hidden-unit blocks becomes one scope per block with `b`
/// a constant, so each block's offsets are literals and no loop over SIMD
/// vectors is left at run time. The loops over scalar inputs stay loops.
enum BlockUnrolling {
    enum Language { case c, swift }

    /// Rewrites every block loop in `text`. A loop is recognised by its header
    /// (`for (int b = 0; b < N; ++b)` in C, `for b in 0..<N` in Swift) and
    /// closed by a `}` at the header's indentation, or is a one-line loop.
    static func apply(_ text: String, _ language: Language, width W: Int) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var out: [String] = []
        var i = 0
        while i < lines.count {
            let line = lines[i]
            guard let loop = header(line, language) else {
                out.append(line)
                i += 1
                continue
            }
            let opening = language == .c ? "{" : "do {"
            let constant = { (k: Int) in language == .c ? "const int b = \(k);" : "let b = \(k)" }
            let separator = language == .c ? " " : "; "
            let comment = { (k: Int) in language == .c ? " /* block \(k): units \(k * W)…\(k * W + W - 1) */" : " // block \(k): units \(k * W)…\(k * W + W - 1)" }
            if let single = loop.singleLine {
                for k in 0..<loop.count { out.append("\(loop.indent)\(opening) \(constant(k))\(separator)\(single) }") }
                i += 1
                continue
            }
            var end = i + 1
            while end < lines.count && lines[end] != loop.indent + "}" { end += 1 }
            precondition(end < lines.count, "unclosed block loop: \(line)")
            let body = Array(lines[(i + 1)..<end])
            for k in 0..<loop.count {
                out.append("\(loop.indent)\(opening)\(comment(k))")
                out.append("\(loop.indent)    \(constant(k))")
                out += body
                out.append("\(loop.indent)}")
            }
            i = end + 1
        }
        lines = out
        return lines.joined(separator: "\n")
    }

    struct Loop {
        var indent: String
        var count: Int
        /// The statement of a one-line loop.
        var singleLine: String?
    }

    static func header(_ line: String, _ language: Language) -> Loop? {
        let indent = String(line.prefix { $0 == " " })
        var rest = Substring(line.dropFirst(indent.count))
        let prefix = language == .c ? "for (int b = 0; b < " : "for b in 0..<"
        guard rest.hasPrefix(prefix) else { return nil }
        rest = rest.dropFirst(prefix.count)
        let digits = rest.prefix { $0.isNumber }
        guard let count = Int(digits) else { return nil }
        rest = rest.dropFirst(digits.count)
        let afterCount = language == .c ? "; ++b) " : " "
        guard rest.hasPrefix(afterCount) else { return nil }
        rest = rest.dropFirst(afterCount.count)
        if rest == "{" { return Loop(indent: indent, count: count, singleLine: nil) }
        if language == .swift {
            guard rest.hasPrefix("{ "), rest.hasSuffix(" }") else { return nil }
            return Loop(indent: indent, count: count, singleLine: String(rest.dropFirst(2).dropLast(2)))
        }
        return Loop(indent: indent, count: count, singleLine: String(rest))
    }
}
