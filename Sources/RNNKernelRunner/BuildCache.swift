import Foundation
import RNNCodegen
import RNNModel

/// Folders of built programs, each named by a hash of its sources and build
/// commands, so the same kernel is compiled once however often it is run.
struct BuildCache {
    let root: URL

    init(_ root: URL) { self.root = root }

    /// Writes `sources` into a private folder, runs each step there, and
    /// moves the folder into place: concurrent builds never see half a
    /// program. Returns the folder (cached: a second call builds nothing).
    /// A failing step keeps the sources in a `failed-…` folder, named in the error.
    func build(kind: String, sources: [(String, [UInt8])], steps: [(String, [String])], what: String) throws -> URL {
        var key: [UInt8] = []
        for (tool, arguments) in steps { key += Array(([tool] + arguments).joined(separator: "\u{0}").utf8) + [1] }
        for (name, contents) in sources { key += Array(name.utf8) + [0] + contents + [0] }
        let hash = SHA256.hex(key).prefix(24)
        let directory = root.appendingPathComponent("\(kind)-\(hash)")
        if FileManager.default.fileExists(atPath: directory.appendingPathComponent(".complete").path) { return directory }
        let staging = root.appendingPathComponent(".build-\(hash)-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
            for (name, contents) in sources { try Data(contents).write(to: staging.appendingPathComponent(name)) }
        } catch {
            throw RNNError(file: staging.path, "cannot write kernel sources: \(error.localizedDescription)")
        }
        for (tool, arguments) in steps {
            let result = try Subprocess.run(tool, arguments, in: staging)
            guard result.status == 0 else {
                let failed = root.appendingPathComponent("failed-\(hash)")
                try? FileManager.default.removeItem(at: failed)
                try? FileManager.default.moveItem(at: staging, to: failed)
                let message = (result.stderr + result.stdout).split(separator: "\n").prefix(30).joined(separator: "\n")
                throw RNNError(file: failed.path, "\(tool) failed (status \(result.status)) building \(what); sources kept here:\n\(message)")
            }
        }
        _ = FileManager.default.createFile(atPath: staging.appendingPathComponent(".complete").path, contents: nil)
        if rename(staging.path, directory.path) != 0 {
            // Another process finished the same build first; use its folder.
            try? FileManager.default.removeItem(at: staging)
        }
        return directory
    }
}

extension KernelGenerator {
    /// The files a build compiles for `plan`: everything generated but the
    /// runtime weight file.
    static func buildSources(_ plan: KernelPlan) throws -> [(String, [UInt8])] {
        try generate(plan).filter { !$0.name.hasSuffix(".bin") }.map { ($0.name, $0.contents) }
    }
}
