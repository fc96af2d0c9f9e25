import Foundation
import RNNModel

/// Locates `Tests/Fixtures/` (a copy of the recorded framework outputs).
enum Fixtures {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func cases(_ suite: String) -> [URL] {
        let folder = root.appendingPathComponent(suite)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.sorted().map { folder.appendingPathComponent($0) }.filter {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: $0.path, isDirectory: &isDirectory) && isDirectory.boolValue
        }
    }

    static func npy(_ url: URL) throws -> Tensor { try NPY.read(contentsOf: url.path) }

    static func json(_ url: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }
}

/// Locates `Tests/Recorded/`: cases rnngen's own scripts recorded
/// (`Tests/Recorded/scripts/`), beside the shared fixtures.
enum Recorded {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Recorded")

    static func cases(_ suite: String) -> [URL] {
        let folder = root.appendingPathComponent(suite)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.sorted().map { folder.appendingPathComponent($0) }
    }
}

/// The tolerance every fixture must meet (testdata/README.md).
let fixtureTolerance = 1e-5
