import Foundation

/// The JSON model files rnngen reads, told apart by their content: its own
/// descriptions, RTNeural's model JSON, the Automated-GuitarAmpModelling
/// JSON that amp plug-ins load, and a PyTorch state_dict dumped as JSON
/// (what RTNeural's torch helpers load).
public enum JSONModelFormat: String, CaseIterable, Sendable {
    case description
    case rtneural
    case guitarAmp = "guitar-amp"
    case stateDict = "state-dict"

    public var displayName: String {
        switch self {
        case .description: return "rnngen description"
        case .rtneural: return "RTNeural model JSON"
        case .guitarAmp: return "Automated-GuitarAmpModelling JSON"
        case .stateDict: return "PyTorch state_dict JSON"
        }
    }
}

public enum JSONModelFile {
    /// Reads any of the formats; `name` names the model where the file does not.
    public static func load(contentsOf path: String, name: String) throws -> (model: Model, format: JSONModelFormat) {
        let data = Data(try InputFile.bytes(path))
        do {
            return try parse(data, baseDirectory: URL(fileURLWithPath: path).deletingLastPathComponent(), name: name)
        } catch let error as RNNError {
            throw error.inFile(path)
        }
    }

    public static func parse(_ data: Data, baseDirectory: URL, name: String) throws -> (model: Model, format: JSONModelFormat) {
        let root = try JSONNode.parse(data)
        let format = try self.format(root)
        switch format {
        case .description: return (try ModelDescription.parse(root, baseDirectory: baseDirectory), format)
        case .rtneural: return (try RTNeuralJSON.model(root, name: name), format)
        case .guitarAmp: return (try GuitarAmpJSON.model(root, name: name), format)
        case .stateDict: return (try StateDictJSON.model(root, data: data, name: name), format)
        }
    }

    static func format(_ root: JSONNode) throws -> JSONModelFormat {
        let object = try root.object()
        if object["pipeline"] != nil || object["rnngen"] != nil { return .description }
        if RTNeuralJSON.matches(object) { return .rtneural }
        if GuitarAmpJSON.matches(object) { return .guitarAmp }
        if StateDictJSON.matches(object) { return .stateDict }
        throw root.error("not a model file rnngen reads: a description has 'pipeline', RTNeural's model JSON 'in_shape' and 'layers', "
                         + "the Automated-GuitarAmpModelling JSON 'model_data' and 'state_dict', a PyTorch state_dict JSON only dotted tensor names "
                         + "(found keys: \(Quote.list(object.keys.sorted())))")
    }
}
