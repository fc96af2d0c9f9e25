import Foundation
import RNNModel
import RNNGenCommands

/// A fresh temporary folder per test, with helpers to write inputs and run
/// the CLI in-process.
public struct Scratch {
    public let url: URL

    public init() throws {
        url = try temporaryFolder("test")
    }

    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    @discardableResult
    public func write(_ name: String, _ text: String) throws -> String {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }

    @discardableResult
    public func write(_ name: String, bytes: [UInt8]) throws -> String {
        try Data(bytes).write(to: url.appendingPathComponent(name))
        return path(name)
    }

    @discardableResult
    public func write(_ name: String, _ tensor: Tensor) throws -> String {
        try NPY.write(tensor, to: path(name))
        return path(name)
    }

    public func files(in folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path(folder))) ?? []).sorted()
    }

    /// Runs `rnngen ARGS` in-process; returns exit code, stdout and stderr.
    public func rnngen(_ args: [String]) -> (code: Int32, out: String, err: String) { RNNGen.run(args) }
}

/// The command line in-process: what `rnngen ARGS` would print and return.
public enum RNNGen {
    public static func run(_ args: [String]) -> (code: Int32, out: String, err: String) {
        var out = "", err = ""
        let code = Commands.main(args, stdout: { out += $0 + "\n" }, stderr: { err += $0 + "\n" })
        return (code, out, err)
    }
}
