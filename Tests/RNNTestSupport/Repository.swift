import Foundation
import RNNModel

/// Where the repository and its test data are, for every test target and
/// the benchmarks.
public enum Repository {
    /// The repository's root folder.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    public static func url(_ path: String) -> URL { root.appendingPathComponent(path) }
    public static func path(_ path: String) -> String { url(path).path }

    /// Every example description: models/NAME/model.rnn.json.
    public static func exampleModels() throws -> [(name: String, url: URL)] {
        let folder = url("models")
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().compactMap { name in
            let file = folder.appendingPathComponent(name).appendingPathComponent("model.rnn.json")
            return FileManager.default.fileExists(atPath: file.path) ? (name, file) : nil
        }
    }
}

/// Locates `Tests/Fixtures/` (a copy of the recorded framework outputs).
public enum Fixtures {
    public static let root: URL = Repository.url("Tests/Fixtures")

    public static func cases(_ suite: String) -> [URL] { caseFolders(root.appendingPathComponent(suite)) }

    public static func npy(_ url: URL) throws -> Tensor { try NPY.read(contentsOf: url.path) }

    public static func json(_ url: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }
}

/// Locates `Tests/Recorded/`: cases rnngen's own scripts recorded
/// (`Tests/Recorded/scripts/`), beside the shared fixtures.
public enum Recorded {
    public static let root: URL = Repository.url("Tests/Recorded")

    public static func cases(_ suite: String) -> [URL] { caseFolders(root.appendingPathComponent(suite)) }

    /// Where a PyTorch fixture's state_dict is kept as `.safetensors`.
    public static func safetensors(_ torchCase: URL) -> URL {
        root.appendingPathComponent("safetensors/\(torchCase.lastPathComponent)/model.safetensors")
    }
}

/// The case folders of a suite, sorted by name.
public func caseFolders(_ folder: URL) -> [URL] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    return names.sorted().map { folder.appendingPathComponent($0) }.filter {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: $0.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}

/// The tolerance every fixture must meet (Tests/Fixtures/README.md).
public let fixtureTolerance = 1e-5
