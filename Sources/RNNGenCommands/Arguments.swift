import RNNModel

/// A small argument parser: positionals, `--flag value`, `--flag=value`,
/// repeatable options and boolean switches, with errors that name the flag.
struct Arguments {
    var positionals: [String] = []
    var options: [String: [String]] = [:]
    var switches: Set<String> = []

    /// - Parameters: `valued` flags take a value; `booleans` do not.
    init(_ args: [String], valued: Set<String>, booleans: Set<String>, command: String) throws {
        var i = 0
        while i < args.count {
            let arg = args[i]
            if arg.hasPrefix("--") {
                var name = String(arg.dropFirst(2))
                var value: String?
                if let eq = name.firstIndex(of: "=") {
                    value = String(name[name.index(after: eq)...])
                    name = String(name[..<eq])
                }
                if booleans.contains(name) {
                    guard value == nil else { throw RNNError(at: "--\(name)", "takes no value") }
                    switches.insert(name)
                } else if valued.contains(name) {
                    if value == nil {
                        i += 1
                        guard i < args.count else { throw RNNError(at: "--\(name)", "expects a value") }
                        value = args[i]
                    }
                    options[name, default: []].append(value!)
                } else {
                    let known = (valued.union(booleans)).sorted().map { "--" + $0 }.joined(separator: ", ")
                    throw RNNError(at: arg, "unknown option for '\(command)' (options: \(known.isEmpty ? "none" : known); see rnngen \(command) --help)")
                }
            } else {
                positionals.append(arg)
            }
            i += 1
        }
    }

    func single(_ name: String) throws -> String? {
        guard let values = options[name] else { return nil }
        guard values.count == 1 else { throw RNNError(at: "--\(name)", "given \(values.count) times, expected once") }
        return values[0]
    }
}
