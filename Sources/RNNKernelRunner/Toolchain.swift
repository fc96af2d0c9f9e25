import Foundation
import RNNModel

/// The compilers rnngen drives to build generated kernels, and where it
/// caches what it built (keyed by a hash of the sources and flags).
public struct Toolchain {
    /// C compiler: `$CC`, else `cc`, else `clang` (which every Swift
    /// toolchain ships), so a machine with only Swift can build C kernels.
    public var cCompiler: String
    /// Swift compiler: `$SWIFTC`, else `swiftc`.
    public var swiftCompiler: String
    /// Extra flags for every C compilation (e.g. sanitizers).
    public var cFlags: [String]
    /// Extra flags for every Swift compilation.
    public var swiftFlags: [String]
    public var cacheDirectory: URL

    public init(cCompiler: String? = nil, swiftCompiler: String? = nil, cFlags: [String] = [], swiftFlags: [String] = [],
                cacheDirectory: URL? = nil) {
        let env = ProcessInfo.processInfo.environment
        self.cCompiler = cCompiler ?? env["CC"] ?? (Toolchain.onPath("cc") || !Toolchain.onPath("clang") ? "cc" : "clang")
        self.swiftCompiler = swiftCompiler ?? env["SWIFTC"] ?? "swiftc"
        self.cFlags = cFlags
        self.swiftFlags = swiftFlags
        self.cacheDirectory = cacheDirectory ?? Toolchain.defaultCache()
    }

    /// Whether an executable of that name is on `$PATH`.
    public static func onPath(_ name: String) -> Bool {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }
    }

    /// `$RNNGEN_CACHE`, else `$XDG_CACHE_HOME/rnngen`, else `~/.cache/rnngen`.
    public static func defaultCache() -> URL {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["RNNGEN_CACHE"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        if let xdg = env["XDG_CACHE_HOME"], !xdg.isEmpty { return URL(fileURLWithPath: xdg).appendingPathComponent("rnngen") }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/rnngen")
    }
}

/// Runs a program and collects its output.
public enum Subprocess {
    public struct Result {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        /// Stopped for running longer than the timeout.
        public var timedOut = false
    }

    /// Runs `executable` (looked up on `$PATH`) with no standard input; past
    /// `timeout` seconds it is terminated and the result says so.
    public static func run(_ executable: String, _ arguments: [String], in directory: URL? = nil, timeout: Double? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        process.standardInput = FileHandle.nullDevice
        if let directory { process.currentDirectoryURL = directory }
        // Output goes to files, so a chatty compiler can never block on a full pipe.
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("rnngen-process-\(UUID().uuidString)")
        let outURL = base.appendingPathExtension("out"), errURL = base.appendingPathExtension("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let outHandle = try FileHandle(forWritingTo: outURL), errHandle = try FileHandle(forWritingTo: errURL)
        process.standardOutput = outHandle
        process.standardError = errHandle
        do { try process.run() } catch {
            throw RNNError(at: executable, "cannot start: \(error.localizedDescription)")
        }
        var timedOut = false
        if let timeout {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning {
                if Date() > deadline {
                    timedOut = true
                    process.terminate()
                    break
                }
                usleep(20_000)
            }
        }
        process.waitUntilExit()
        try? outHandle.close()
        try? errHandle.close()
        let outData = (try? Data(contentsOf: outURL)) ?? Data(), errData = (try? Data(contentsOf: errURL)) ?? Data()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self), timedOut: timedOut)
    }
}
