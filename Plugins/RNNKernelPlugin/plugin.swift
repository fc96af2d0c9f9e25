import Foundation
import PackagePlugin

/// Build tool plugin: a Swift target that lists it gets a Swift kernel for
/// every `*.rnn.json` and `*.onnx` model among its files — and every other
/// `*.json` that is RTNeural's model JSON or an amp model's
/// (Automated-GuitarAmpModelling) JSON — regenerated when the
/// model, a weight file it names, or rnngen changes. On a test target it also
/// writes, for the models of the targets the tests depend on (and its own),
/// XCTest cases that run each kernel on golden vectors the reference
/// interpreter computed at generation time.
@main
struct RNNKernelPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        let rnngen = try context.tool(named: "rnngen").url
        let work = context.pluginWorkDirectoryURL
        var commands: [Command] = []
        let ownModels = ModelFiles.find(in: target)
        let language = target is ClangSourceModuleTarget ? "c" : "swift"

        for model in ownModels {
            let out = work.appendingPathComponent("kernels").appendingPathComponent(model.name)
            let outputs = language == "c"
                ? [out.appendingPathComponent("\(model.name).c"), out.appendingPathComponent("\(model.name).h")]
                : [out.appendingPathComponent("\(model.name).swift")]
            commands.append(.buildCommand(
                displayName: "rnngen: \(language) kernel \(model.name) from \(model.url.lastPathComponent)",
                executable: rnngen,
                arguments: ["generate", model.url.path, "--lang", language, "--name", model.name, "--out", out.path],
                inputFiles: [model.url] + model.weightFiles,
                outputFiles: outputs))
        }

        // Golden-vector tests: for a test target, the models of the targets it
        // tests (imported as modules) and its own (compiled into it).
        guard target.kind == .test, language == "swift" else { return commands }
        var tested: [(ModelFiles.Model, String?)] = ownModels.map { ($0, nil) }
        for dependency in target.recursiveTargetDependencies {
            guard let module = dependency as? SwiftSourceModuleTarget else { continue }
            tested += ModelFiles.find(in: module).map { ($0, module.moduleName) }
        }
        for (model, module) in tested {
            let out = work.appendingPathComponent("golden").appendingPathComponent(model.name)
            var arguments = ["generate", model.url.path, "--lang", "swift", "--name", model.name, "--golden-only", "--xctest", "--out", out.path]
            if let module { arguments += ["--module", module] }
            commands.append(.buildCommand(
                displayName: "rnngen: golden-vector tests for \(model.name)",
                executable: rnngen,
                arguments: arguments,
                inputFiles: [model.url] + model.weightFiles,
                outputFiles: [out.appendingPathComponent("\(model.name)Golden.swift")]))
        }
        return commands
    }
}

/// Finds model files in a target and the weight files each one names.
enum ModelFiles {
    struct Model {
        var url: URL
        /// The kernel's name: the description's `name`, else the file name as an identifier.
        var name: String
        var weightFiles: [URL]
    }

    static func find(in target: SourceModuleTarget) -> [Model] {
        target.sourceFiles
            .map(\.url)
            .filter { $0.lastPathComponent.hasSuffix(".rnn.json") || $0.pathExtension == "onnx" || isAudioModel($0) }
            .sorted { $0.path < $1.path }
            .map(describe)
    }

    static func describe(_ url: URL) -> Model {
        var stem = url.lastPathComponent
        for suffix in [".rnn.json", ".json", ".onnx"] where stem.hasSuffix(suffix) {
            stem = String(stem.dropLast(suffix.count))
            break
        }
        var name = identifier(stem)
        var weights: [URL] = []
        if url.pathExtension == "json", let data = try? Data(contentsOf: url),
           let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            if let declared = json["name"] as? String, !declared.isEmpty { name = declared }
            // Every string that names a file beside the description is an input: .npy, .npz, .safetensors.
            var found: Set<String> = []
            func walk(_ value: Any) {
                switch value {
                case let text as String where text.hasSuffix(".npy") || text.hasSuffix(".npz") || text.hasSuffix(".safetensors"): found.insert(text)
                case let array as [Any]: array.forEach(walk)
                case let object as [String: Any]: object.values.forEach(walk)
                default: break
                }
            }
            walk(json)
            let folder = url.deletingLastPathComponent()
            weights = found.sorted().map { $0.hasPrefix("/") ? URL(fileURLWithPath: $0) : folder.appendingPathComponent($0) }
        }
        return Model(url: url, name: name, weightFiles: weights)
    }

    /// A `.json` file holding RTNeural's model JSON (`in_shape`, `layers`),
    /// the amp models' (`model_data`, `state_dict`) or a PyTorch state_dict
    /// dumped as JSON (dotted tensor names only); rnngen reads all three.
    static func isAudioModel(_ url: URL) -> Bool {
        guard url.pathExtension == "json", !url.lastPathComponent.hasSuffix(".rnn.json"), let data = try? Data(contentsOf: url),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return false }
        let stateDict = !json.isEmpty && json.allSatisfy { $0.key.contains(".") && $0.value is [Any] }
            && json.keys.contains { $0.hasSuffix(".weight") || $0.hasSuffix(".weight_ih_l0") }
        return (json["in_shape"] != nil && json["layers"] != nil) || (json["model_data"] != nil && json["state_dict"] != nil) || stateDict
    }

    static func identifier(_ text: String) -> String {
        var out = String(text.map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "_" })
        if let first = out.first, first.isNumber { out = "_" + out }
        return out.isEmpty ? "model" : out
    }
}
