import Foundation
import RNNModel

enum InspectCommand {
    static let help = """
    USAGE: rnngen inspect MODEL [--input NAME=FILE.npy …]

    Prints the model's pipeline — every dense layer and every recurrent cell
    with its kind, direction, input and hidden sizes and options — then the
    parameter count, the weight bytes as float32 (and with the weight matrices
    stored as --weight-type f16/bf16 or i8), the FLOPs per time step at
    batch 1 (2 × multiply-adds plus bias adds; activations not counted), and
    the names of the inputs 'rnngen run' takes and the outputs it writes.

    ARGUMENTS:
      MODEL                 A description (*.rnn.json), an ONNX model (*.onnx), or
                            RTNeural's or an amp model's JSON (*.json). For these
                            it also says what it assumed where the file is silent.

    OPTIONS:
      --input NAME=FILE.npy For ONNX models whose weights are graph inputs
                            (W, R, B, P): their values, so the sizes can be read.
      -h, --help            Show this help.
    """

    static func run(_ args: [String], stdout: (String) -> Void) throws {
        let parsed = try Arguments(args, valued: ["input"], booleans: [], command: "inspect")
        guard parsed.positionals.count == 1 else {
            throw RNNError(at: "inspect", "expected one MODEL argument, found \(parsed.positionals.count) (see rnngen inspect --help)")
        }
        let path = parsed.positionals[0]
        let model: Model
        var header: [String] = []
        switch try ModelFile.load(path) {
        case .description(let m, let format):
            model = m
            header.append("model \(m.name) (\(format.displayName) \(path))")
            header += m.assumptions.map { "assumed: " + $0 }
        case .tflite(let m):
            model = m
            header.append("model \(m.name) (TensorFlow Lite \(path))")
            header += m.assumptions.map { "assumed: " + $0 }
        case .onnx(let graph, _):
            var provided = try RunCommand.readInputs(parsed.options["input"] ?? [])
            // Weights given as graph inputs: their declared shapes are enough for sizes.
            var placeholders: [String] = []
            for node in graph.nodes where ONNXRecurrentNode.cellKind(ofOp: node.opType) != nil {
                for slot in [1, 2, 3, 7] {
                    guard let name = node.input(slot), provided[name] == nil, graph.initializers[name] == nil,
                          let info = graph.inputs.first(where: { $0.name == name }),
                          let dims = info.shape, dims.allSatisfy({ $0 != nil }) else { continue }
                    let shape = dims.map { $0! }
                    // Zeros stand in for the weights; a declared shape is not a reason to allocate gigabytes.
                    guard let count = Tensor.checkedCount(shape), count <= 1 << 26 else {
                        throw RNNError(file: path, at: "graph input \(Quote.text(name))",
                                       "declared shape \(Tensor.describe(shape)) is negative, overflows or exceeds 2²⁶ elements; give the weights with --input \(Quote.text(name))=FILE.npy")
                    }
                    provided[name] = Tensor(zeros: shape)
                    placeholders.append(name)
                }
            }
            let recognized: ONNXImport.Recognized
            do {
                recognized = try ONNXImport.recognize(graph, name: ModelFile.name(of: path), provided: provided)
            } catch let error as RNNError {
                throw error.inFile(path)
            }
            model = recognized.model
            header.append("model \(model.name) (ONNX \(path), opset \(graph.opsetVersion), \(graph.nodes.count) nodes, \(recognized.nodes.count) recurrent)")
            header.append("graph inputs: " + graph.requiredInputs.map { describe($0) }.joined(separator: ", "))
            header.append("graph outputs: " + graph.outputs.map { describe($0) }.joined(separator: ", "))
            if !placeholders.isEmpty {
                header.append("weights given as graph inputs (sizes from their declared shapes): " + placeholders.joined(separator: ", "))
            }
        }
        let summary = ModelSummary(model)
        var out = header
        out.append("input: \(model.inputSize) features per step, layout \(model.layout.rawValue) (\(model.layout == .timeMajor ? "[T, B, \(model.inputSize)]" : "[B, T, \(model.inputSize)]"))")
        out.append("zero-length sequences: final state = \(model.zeroLengthState == .initial ? "initial state" : "zeros")")
        for stack in model.stacks where stack.direction == .bidirectional {
            out.append("bidirectional form: \(stack.bidirectionalForm.rawValue)")
        }
        out.append("pipeline:")
        let labelWidth = summary.lines.map(\.label.count).max() ?? 0
        for line in summary.lines {
            let label = line.label.padding(toLength: labelWidth, withPad: " ", startingAt: 0)
            out.append("  \(label)  \(line.detail)  [\(line.parameters) params, \(line.flopsPerStep) FLOPs/step]")
        }
        if model.isQuantized {
            // The integer form: what run --quantized and the integer kernels execute.
            out.append("quantized (int8 activations and weights, int16 cell; run it with run --quantized):")
            for (k, (cell, q)) in model.quantizedCells.enumerated() {
                let scales = q.inputWeightScales + q.recurrentWeightScales
                out.append("  layer \(k): x scale \(Float(q.input.scale)) zero point \(q.input.zeroPoint); h scale \(Float(q.hidden.scale)) zero point \(q.hidden.zeroPoint); "
                           + "c scale 2^\(q.cellExponent); weight scales \(Float(scales.min()!))…\(Float(scales.max()!)) over \(2 * cell.kind.gateCount * cell.hiddenSize) rows")
            }
            let integerBytes = model.quantizedCells.reduce(0) { total, pair in
                let c = pair.cell, rows = c.kind.gateCount * c.hiddenSize
                return total + rows * (c.inputSize + c.hiddenSize) + 4 * rows
            }
            out.append("integer weight bytes (int8 matrices, int32 biases): \(integerBytes)")
        }
        out.append("parameters: \(summary.parameters)")
        out.append("weight bytes (float32): \(summary.weightBytes)")
        // --weight-type stores the matrices narrow; biases and peepholes stay float, i8 adds a float scale per row.
        let matrices = model.weightMatrices.map(\.tensor)
        let matrixWeights = matrices.reduce(0) { $0 + $1.count }, rows = matrices.reduce(0) { $0 + $1.shape[0] }
        let others = summary.parameters - matrixWeights
        out.append("weight bytes with --weight-type f16 or bf16: \(2 * matrixWeights + 4 * others), i8: \(matrixWeights + 4 * rows + 4 * others)")
        out.append("FLOPs per step (batch 1): \(summary.flopsPerStep)")
        if case .onnx = try ModelFile.load(path) {} else {
            out.append((["run inputs: x", "seq_lens (optional, [B] integers)"] + model.stateNames.map { "\($0.name.initialName) ([B, \($0.size)], optional)" }).joined(separator: ", "))
            var outputs = ["y [\(model.layout == .timeMajor ? "T, B" : "B, T"), \(model.sequenceOutputSize)]"]
            if let head = model.head { outputs.append("head [B, \(head.outputSize)]") }
            outputs += model.stateNames.map { "\($0.name) [B, \($0.size)]" }
            out.append("run outputs: " + outputs.joined(separator: ", "))
            if model.framework == .pytorch {
                let sizes = Dictionary(uniqueKeysWithValues: model.stateNames.map { ($0.name, $0.size) })
                var shaped: [String] = []
                for group in PyTorchStates.groups(model) {
                    for (input, output, names) in [(group.inputH, group.outputH, group.hidden), (group.inputC, group.outputC, group.cell)] where !names.isEmpty {
                        guard let size = PyTorchStates.stackedSize(names, sizes: sizes) else { continue }
                        shaped.append("\(input) → \(output) [\(names.count), B, \(size)]")
                    }
                }
                if !shaped.isEmpty { out.append("PyTorch-shaped states (inputs and outputs of run): " + shaped.joined(separator: ", ")) }
            }
        }
        stdout(out.joined(separator: "\n"))
    }

    static func describe(_ info: ONNXValueInfo) -> String {
        let shape = info.shape.map { "[" + $0.map { $0.map(String.init) ?? "?" }.joined(separator: ", ") + "]" } ?? "[?]"
        return "\(info.name) \(shape)"
    }
}
