import Foundation
import PackagePlugin

/// Command plugin `generate-kernels`: writes the C and Swift kernels of every
/// `*.rnn.json` / `*.onnx` model in the package's targets into a folder of
/// the package (`Generated/` by default), one folder per model:
///
///     swift package --allow-writing-to-package-directory generate-kernels \
///         [--output DIR] [--lang c|swift|all] [--target NAME …] [-- rnngen generate options]
@main
struct GenerateKernelsPlugin: CommandPlugin {
    func performCommand(context: PluginContext, arguments: [String]) async throws {
        var extractor = ArgumentExtractor(arguments)
        let output = extractor.extractOption(named: "output").last ?? "Generated"
        let lang = extractor.extractOption(named: "lang").last ?? "all"
        let targetNames = extractor.extractOption(named: "target")
        let passThrough = extractor.remainingArguments.filter { $0 != "--" }
        guard ["c", "swift", "all"].contains(lang) else {
            Diagnostics.error("generate-kernels: --lang \(lang): expected c, swift or all")
            return
        }
        let languages = lang == "all" ? ["c", "swift"] : [lang]
        let rnngen = try context.tool(named: "rnngen").url
        let root = context.package.directoryURL.appendingPathComponent(output)
        let targets = context.package.targets.compactMap { $0 as? SourceModuleTarget }
            .filter { targetNames.isEmpty || targetNames.contains($0.name) }
        for name in targetNames where !targets.contains(where: { $0.name == name }) {
            Diagnostics.error("generate-kernels: --target \(name): no such source target")
            return
        }
        var written = 0
        for target in targets {
            for file in target.sourceFiles.map(\.url).sorted(by: { $0.path < $1.path })
            where file.lastPathComponent.hasSuffix(".rnn.json") || file.pathExtension == "onnx" || isAudioModel(file) {
                var stem = file.lastPathComponent
                for suffix in [".rnn.json", ".json", ".onnx"] where stem.hasSuffix(suffix) {
                    stem = String(stem.dropLast(suffix.count))
                    break
                }
                for language in languages {
                    let out = root.appendingPathComponent(target.name).appendingPathComponent(stem).appendingPathComponent(language)
                    let process = Process()
                    process.executableURL = rnngen
                    process.arguments = ["generate", file.path, "--lang", language, "--out", out.path] + passThrough
                    try process.run()
                    process.waitUntilExit()
                    guard process.terminationStatus == 0 else {
                        Diagnostics.error("generate-kernels: rnngen failed on \(file.path) (\(language)); its message is above")
                        return
                    }
                    written += 1
                }
            }
        }
        print("generate-kernels: wrote \(written) kernel set(s) under \(root.path)")
        if written == 0 { Diagnostics.warning("generate-kernels: no *.rnn.json, *.onnx or audio model *.json files found in the package's targets") }
    }

    /// A `.json` file holding RTNeural's model JSON (`in_shape`, `layers`),
    /// the amp models' (`model_data`, `state_dict`) or a PyTorch state_dict
    /// dumped as JSON (dotted tensor names only); rnngen reads all three.
    func isAudioModel(_ url: URL) -> Bool {
        guard url.pathExtension == "json", !url.lastPathComponent.hasSuffix(".rnn.json"), let data = try? Data(contentsOf: url),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return false }
        let stateDict = !json.isEmpty && json.allSatisfy { $0.key.contains(".") && $0.value is [Any] }
            && json.keys.contains { $0.hasSuffix(".weight") || $0.hasSuffix(".weight_ih_l0") }
        return (json["in_shape"] != nil && json["layers"] != nil) || (json["model_data"] != nil && json["state_dict"] != nil) || stateDict
    }
}
