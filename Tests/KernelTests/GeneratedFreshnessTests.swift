import Foundation
import XCTest
import RNNCodegen
import RNNModel
import RNNTestSupport

/// `Generated/` holds the kernels of every example model in `models/`, in
/// both languages, exactly as the current generator writes them with default
/// options. Set RNNGEN_UPDATE_GENERATED=1 to rewrite them after a change.
final class GeneratedFreshnessTests: XCTestCase {
    static func expectedFiles() throws -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for (name, url) in try Repository.exampleModels() {
            let model = try ModelDescription.load(contentsOf: url.path)
            for language in KernelOptions.Language.allCases {
                for file in try KernelGenerator.generate(model, options: KernelOptions(language: language, name: model.name)) {
                    files["\(name)/\(language.rawValue)/\(file.name)"] = file.contents
                }
            }
        }
        return files
    }

    func testGeneratedFolderIsFresh() throws {
        let expected = try Self.expectedFiles()
        let folder = Repository.url("Generated")
        if ProcessInfo.processInfo.environment["RNNGEN_UPDATE_GENERATED"] == "1" {
            for (path, contents) in expected {
                let url = folder.appendingPathComponent(path)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(contents).write(to: url)
            }
        }
        var found: Set<String> = []
        let enumerator = FileManager.default.enumerator(atPath: folder.path)
        while let path = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: folder.appendingPathComponent(path).path, isDirectory: &isDirectory)
            if !isDirectory.boolValue && path != "README.md" { found.insert(path) }
        }
        XCTAssertEqual(found.subtracting(expected.keys).sorted(), [], "files in Generated/ that the generator no longer writes")
        for (path, contents) in expected.sorted(by: { $0.key < $1.key }) {
            guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(path).path) else {
                XCTFail("Generated/\(path) is missing; run RNNGEN_UPDATE_GENERATED=1 swift test --filter GeneratedFreshnessTests")
                continue
            }
            if [UInt8](data) != contents {
                XCTFail("Generated/\(path) is stale:\n\(Self.firstDifference(String(decoding: data, as: UTF8.self), String(decoding: contents, as: UTF8.self)))\nrun RNNGEN_UPDATE_GENERATED=1 swift test --filter GeneratedFreshnessTests")
            }
        }
    }

    /// The first differing line, with its neighbours, as a small diff.
    static func firstDifference(_ old: String, _ new: String) -> String {
        let a = old.split(separator: "\n", omittingEmptySubsequences: false), b = new.split(separator: "\n", omittingEmptySubsequences: false)
        let index = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
        var lines = ["@@ line \(index + 1) @@"]
        for i in max(0, index - 2)..<min(a.count, index + 3) { lines.append((i == index ? "- " : "  ") + a[i]) }
        if index < b.count { lines.append("+ " + b[index]) }
        return lines.joined(separator: "\n")
    }

    func testGenerationIsDeterministic() throws {
        let first = try Self.expectedFiles()
        let second = try Self.expectedFiles()
        XCTAssertEqual(first.count, second.count)
        for (path, contents) in first { XCTAssertEqual(second[path], contents, "\(path) differs between two runs") }
    }
}
