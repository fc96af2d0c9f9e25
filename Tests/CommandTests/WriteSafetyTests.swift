import Foundation
import XCTest
import RNNTestSupport

/// `rnngen generate` into a folder another run is writing, or killed while it
/// writes: only whole files are ever seen under the files' own names.
final class WriteSafetyTests: XCTestCase {
    static let repository = Repository.root
    let model = WriteSafetyTests.repository.appendingPathComponent("models/seed_two_gru_encoders/model.rnn.json").path

    /// The rnngen executable beside the test bundle (`swift build` or the
    /// README's `swift run` builds it).
    func rnngenExecutable() throws -> URL {
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let executable = folder.appendingPathComponent("rnngen")
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            let message = "no rnngen executable in \(folder.path): run swift build --product rnngen first"
            if ProcessInfo.processInfo.environment["RNNGEN_REQUIRE_TOOLCHAINS"] == "1" { throw ToolMissing(message: message) }
            throw XCTSkip(message)
        }
        return executable
    }

    func generate(into folder: String) throws -> Process {
        let process = Process()
        process.executableURL = try rnngenExecutable()
        process.arguments = ["generate", model, "--lang", "c", "--golden", "--out", folder]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// The files a whole run writes, by name.
    func reference() throws -> [String: Data] {
        let scratch = try Scratch()
        let result = scratch.rnngen(["generate", model, "--lang", "c", "--golden", "--out", scratch.path("reference")])
        XCTAssertEqual(result.code, 0, result.err)
        var files: [String: Data] = [:]
        for name in scratch.files(in: "reference") { files[name] = try Data(contentsOf: scratch.url.appendingPathComponent("reference/\(name)")) }
        XCTAssertEqual(files.count, 4, "kernel .h/.c and golden .h/.c")
        return files
    }

    /// Every file under its own name is the whole file; returns the temporary ones.
    func checkOnlyWholeFiles(_ folder: URL, _ reference: [String: Data], _ when: String) throws -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        for name in names where !name.hasPrefix(".") {
            let data = try Data(contentsOf: folder.appendingPathComponent(name))
            XCTAssertEqual(data, reference[name], "\(when): \(name) is not the whole file (\(data.count) bytes, expected \(reference[name]?.count ?? -1))")
        }
        return names.filter { $0.hasPrefix(".") }
    }

    func testTwoRunsIntoOneFolderLeaveWholeFiles() throws {
        let reference = try reference()
        let scratch = try Scratch()
        for round in 0..<3 {
            let folder = scratch.path("both\(round)")
            let first = try generate(into: folder), second = try generate(into: folder)
            first.waitUntilExit()
            second.waitUntilExit()
            XCTAssertEqual(first.terminationStatus, 0)
            XCTAssertEqual(second.terminationStatus, 0)
            let temporary = try checkOnlyWholeFiles(URL(fileURLWithPath: folder), reference, "round \(round)")
            XCTAssertEqual(Set(scratch.files(in: "both\(round)")), Set(reference.keys))
            XCTAssertEqual(temporary, [], "no temporary files after both finish")
        }
    }

    /// Killed at moments spread over a run: whatever is there is whole, and
    /// the next run removes what the killed one left half-written.
    func testAKilledRunLeavesOnlyWholeFiles() throws {
        let reference = try reference()
        let scratch = try Scratch()
        let folder = scratch.url.appendingPathComponent("killed")
        var killedMidway = 0
        for delay in stride(from: 0, through: 600_000, by: 20_000) {
            let process = try generate(into: folder.path)
            usleep(useconds_t(delay))
            let wasRunning = process.isRunning
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            if wasRunning { killedMidway += 1 }
            _ = try checkOnlyWholeFiles(folder, reference, "killed after \(delay / 1000) ms")
        }
        XCTAssertGreaterThan(killedMidway, 0, "no kill landed while rnngen ran; the test checked nothing")
        let again = scratch.rnngen(["generate", model, "--lang", "c", "--golden", "--out", folder.path])
        XCTAssertEqual(again.code, 0, again.err)
        let temporary = try checkOnlyWholeFiles(folder, reference, "after a whole run")
        XCTAssertEqual(temporary, [], "the whole run removes what killed runs left")
    }
}

private struct ToolMissing: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
