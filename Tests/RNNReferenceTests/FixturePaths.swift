import Foundation
import RNNModel

/// Locates `Tests/Fixtures/` (a copy of the recorded framework outputs).
enum Fixtures {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func cases(_ suite: String) -> [URL] { caseFolders(root.appendingPathComponent(suite)) }

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

    static func cases(_ suite: String) -> [URL] { caseFolders(root.appendingPathComponent(suite)) }

    /// Where a PyTorch fixture's state_dict is kept as `.safetensors`.
    static func safetensors(_ torchCase: URL) -> URL {
        root.appendingPathComponent("safetensors/\(torchCase.lastPathComponent)/model.safetensors")
    }
}

/// The case folders of a suite, sorted by name.
func caseFolders(_ folder: URL) -> [URL] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    return names.sorted().map { folder.appendingPathComponent($0) }.filter {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: $0.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}

/// The tolerance every fixture must meet (Tests/Fixtures/README.md).
let fixtureTolerance = 1e-5
