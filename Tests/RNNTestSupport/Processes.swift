import Dispatch
import Foundation
import XCTest
import RNNKernelRunner
import RNNCodegen
import RNNModel

/// Runs a command line; returns status and combined output.
public func shell(_ command: [String], in directory: URL? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = command
    if let directory { process.currentDirectoryURL = directory }
    let log = FileManager.default.temporaryDirectory.appendingPathComponent("rnngen-shell-\(UUID().uuidString).log")
    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: log) }
    let handle = try FileHandle(forWritingTo: log)
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    process.waitUntilExit()
    try handle.close()
    return (process.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
}

public func temporaryFolder(_ label: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("rnngen-\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

public func commandExists(_ name: String) -> Bool {
    Toolchain.onPath(name)
}

/// Skips the test when `tool` is not installed, naming the Debian package
/// that provides it — unless `RNNGEN_REQUIRE_TOOLCHAINS=1` (as `.ci/run`
/// sets) asks for every test to run, in which case its absence fails.
public func require(_ tool: String, package: String) throws {
    guard !commandExists(tool) else { return }
    let message = "\(tool) is not installed (apt-get install \(package))"
    if ProcessInfo.processInfo.environment["RNNGEN_REQUIRE_TOOLCHAINS"] == "1" {
        throw ToolchainMissing(message: message + "; RNNGEN_REQUIRE_TOOLCHAINS=1 requires it")
    }
    throw XCTSkip(message + "; skipped (set RNNGEN_REQUIRE_TOOLCHAINS=1 to fail instead)")
}

/// Whether `tool` is installed, for a test that checks several compilers
/// and leaves out the missing ones (saying so) — unless
/// `RNNGEN_REQUIRE_TOOLCHAINS=1`, when a missing one fails the test.
public func available(_ tool: String, package: String) throws -> Bool {
    do {
        try require(tool, package: package)
        return true
    } catch is XCTSkip {
        print("note: \(tool) is not installed (apt-get install \(package)); its builds are left out")
        return false
    }
}

public struct ToolchainMissing: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
    public init(message: String) { self.message = message }
}

/// Whether the long sweeps run: `RNNGEN_FULL_TESTS=1` (as `.ci/run` sets).
/// Without it `swift test` is the newcomer's quick run: every check once,
/// the sweeps that repeat them across more kernels left out.
public var fullTests: Bool { ProcessInfo.processInfo.environment["RNNGEN_FULL_TESTS"] == "1" }

/// Skips a long sweep in the quick run, saying how to run it.
public func requireFullTests(_ what: String) throws {
    guard !fullTests else { return }
    throw XCTSkip("\(what): a long sweep, run with RNNGEN_FULL_TESTS=1 (.ci/run sets it)")
}

/// Runs `count` independent jobs on every core (each is mostly a compiler or
/// emulator process) and returns their failure messages in job order.
public func concurrentFailures(_ count: Int, _ job: (Int) -> [String]) -> [String] {
    var failures = [[String]](repeating: [], count: count)
    let lock = NSLock()
    DispatchQueue.concurrentPerform(iterations: count) { index in
        let found = job(index)
        lock.lock()
        failures[index] = found
        lock.unlock()
    }
    return failures.flatMap { $0 }
}

/// Whether `target` has its tools for `language`: skips (or, with
/// RNNGEN_REQUIRE_TOOLCHAINS=1, fails) naming the packages when not.
public func requireTarget(_ target: Target, _ language: KernelOptions.Language = .c) throws {
    do {
        try target.requireTools(language, run: true)
    } catch let error as RNNError {
        if ProcessInfo.processInfo.environment["RNNGEN_REQUIRE_TOOLCHAINS"] == "1" {
            throw ToolchainMissing(message: "\(error); RNNGEN_REQUIRE_TOOLCHAINS=1 requires it")
        }
        throw XCTSkip("\(error); skipped (set RNNGEN_REQUIRE_TOOLCHAINS=1 to fail instead)")
    }
}
