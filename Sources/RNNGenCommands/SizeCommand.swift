import Foundation
import RNNCodegen
import RNNKernelRunner
import RNNModel

enum SizeCommand {
    static let help = """
    USAGE: rnngen size MODEL… [--target T[,T…]|all] [--json] [--vector-width W[,W…]]
                      [--weight-type T[,T…]] [--weights baked|runtime] [--libm]
                      [--fma auto|on|off] [--batch-tile auto|1|2|4|8]

    What each MODEL's C kernel takes on a target: compiles the kernel alone
    for it (gcc -O2 -ffunction-sections, every entry point kept) and measures
    the object. One row per model, target, vector width and weight type, so
    several can be compared at once:

      rnngen size models/*/model.rnn.json --target all --weight-type f32,i8

    Columns, in bytes:
      code        machine code (.text)
      const       constants besides the weights (.rodata)
      weights     the weight tables (biases and scales included); a table small
                  enough for the compiler to fold into the code counts as code
      flash       code + const + weights
      static      writable static data (.data, .bss); the kernels keep none
      state       one item's state, which the caller holds (NAME_state)
      stack step, stack run
                  the deepest stack of step and run, their own frames and their
                  callees', from gcc's -fstack-usage and -fcallgraph-info
      ram         static + state + the deepest stack of any entry point
      work/step   what run needs from the caller, per step of the longest sequence

    With --training --steps K --batch-tile B --loss L (as rnngen generate
    takes them) it measures the training kernel instead, and lists the arrays
    the caller holds for it: parameters, gradients, the optimizer's state
    (SGD's velocity and Adagrad's accumulators as many floats as the
    parameters, Adam's twice that and two), the carried state of the tile and
    the workspace — every one a compile-time constant (NAME_TRAIN_… in the header).

    Calls into the C library (memset; expf and friends with --libm; soft-float
    helpers on the Cortex-M3) are named under the table; their stack is not
    counted. A linked program adds its start-up code and C library.

    Targets (see rnngen verify --help): \(Target.Name.allCases.map(\.rawValue).joined(separator: ", ")), or all.
    A missing cross compiler is an error naming the Debian packages to install.

    OPTIONS:
      --target T,…|all      Where the kernel runs (default cortex-m4), or several
                            separated by commas; all: every target.
      --json                A JSON array instead of the table: one object per row,
                            with the kernel's options and the stack by entry point.
      --vector-width W,…    auto (default), 4, 8 or 16, or several separated by commas.
      --weight-type T,…     \(WeightType.listed) (f32 by default), or several separated by commas.
      --weights, --libm, --fma, --batch-tile, --sample-rate-delay
                            As for rnngen generate (see rnngen generate --help).
      --input NAME=FILE.npy For ONNX models whose weights are graph inputs.
      -h, --help            Show this help.
    """

    /// `size --training`: the training kernel's code and stack on each target, and the caller's arrays.
    static func training(_ parsed: Arguments, stdout: (String) -> Void) throws {
        guard !parsed.positionals.isEmpty else { throw RNNError(at: "size", "expected one or more MODEL arguments (see rnngen size --help)") }
        let targetText = try parsed.single("target") ?? "cortex-m4"
        let targets = targetText == "all" ? Target.all : try targetText.split(separator: ",").map { try Target.named(String($0)) }
        var options = parsed
        options.options["target"] = nil
        options.options["lang"] = ["c"]
        var table = [["model", "target", "code", "const", "initial", "stack", "params", "grads", "adagrad", "adam", "state", "workspace", "ram (adam)"]]
        for path in parsed.positionals {
            let model = try ModelFile.loadModel(path)
            let plan = try TrainingPlan(model: model, options: try GenerateCommand.trainingOptions(options, defaultName: model.name))
            let P = plan.parameterCount * 4
            for target in targets {
                let s = try KernelSizer.measure(plan, target: target)
                let stack = s.stack.values.max() ?? 0
                let ram = P + P + (2 * plan.parameterCount + 2) * 4 + s.state + s.workspacePerStep + stack
                table.append([model.name, target.name.rawValue, "\(s.code)", "\(s.constants)", "\(s.weights)", "\(stack)", "\(P)", "\(P)", "\(P)",
                              "\((2 * plan.parameterCount + 2) * 4)", "\(s.state)", "\(s.workspacePerStep)", "\(ram)"])
            }
            stdout("training kernel of \(model.name): \(plan.steps) steps, batch tile \(plan.batchTile), \(plan.options.loss.rawValue); bytes:")
        }
        let widths = table[0].indices.map { c in table.map { $0[c].count }.max()! }
        for line in table {
            stdout("  " + line.enumerated().map { c, cell in
                c < 2 ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0) : String(repeating: " ", count: widths[c] - cell.count) + cell
            }.joined(separator: "  "))
        }
        stdout("ram (adam): parameters, gradients, Adam's state, carried state, workspace and the deepest stack; the initial table is flash")
    }

    struct Row {
        var model: String
        var target: Target
        /// The float kernel's plan; nil for an integer kernel.
        var plan: KernelPlan?
        var modelName: String
        var kernelName: String
        var size: KernelSize
        var width: String { plan.map { "\($0.vectorWidth)" } ?? "–" }
        var type: String { plan?.options.weightType.rawValue ?? "int8" }
    }

    static func run(_ args: [String], stdout: (String) -> Void) throws {
        let parsed = try Arguments(args, valued: ["target", "input", "lang", "vector-width", "weights", "fma", "weight-type", "batch-tile", "sample-rate-delay", "lowering",
                                                  "steps", "loss"],
                                   booleans: ["libm", "json", "training"], command: "size")
        if parsed.switches.contains("training") { return try training(parsed, stdout: stdout) }
        guard !parsed.positionals.isEmpty else {
            throw RNNError(at: "size", "expected one or more MODEL arguments (see rnngen size --help)")
        }
        func list(_ name: String, _ fallback: String) throws -> [String] {
            let text = try parsed.single(name) ?? fallback
            let items = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard !items.contains("") else { throw RNNError(at: "--\(name) \(Quote.text(text))", "expected values separated by commas") }
            return items
        }
        let targetText = try parsed.single("target") ?? "cortex-m4"
        let targets = targetText == "all" ? Target.all : try list("target", "cortex-m4").map(Target.named)
        if let lang = try parsed.single("lang"), lang != "c" {
            throw RNNError(at: "--lang \(Quote.text(lang))", "rnngen size measures C kernels only (gcc gives their stack use)")
        }
        let widths = try list("vector-width", "auto"), types = try list("weight-type", "f32")
        let provided = try RunCommand.readInputs(parsed.options["input"] ?? [])
        var rows: [Row] = []
        for path in parsed.positionals {
            let model = try ModelFile.loadModel(path, provided: provided)
            if model.isQuantized {
                // Its integer kernel: int8 weights and activations, whatever the float options.
                for target in targets {
                    let plan = try IntegerKernelPlan(model: model, options: KernelOptions(language: .c, name: model.name, target: target.name))
                    rows.append(Row(model: path, target: target, plan: nil, modelName: model.name, kernelName: plan.name,
                                    size: try KernelSizer.measure(plan, target: target)))
                }
                continue
            }
            for type in types {
                for width in widths {
                    // Each target generates its own kernel: its lowering, width and tile.
                    for target in targets {
                        var variant = parsed
                        variant.options["lang"] = ["c"]
                        variant.options["weight-type"] = [type]
                        variant.options["vector-width"] = [width]
                        variant.options["target"] = [target.name.rawValue]
                        let plan = try KernelPlan(model: model, options: try GenerateCommand.options(variant, defaultName: model.name))
                        // auto may resolve to a width also asked for by number: one row each.
                        if rows.contains(where: { $0.model == path && $0.target.name == target.name && $0.plan?.vectorWidth == plan.vectorWidth
                                && $0.plan?.options.weightType == plan.options.weightType }) { continue }
                        rows.append(Row(model: path, target: target, plan: plan, modelName: model.name, kernelName: plan.name,
                                        size: try KernelSizer.measure(plan, target: target)))
                    }
                }
            }
        }
        if parsed.switches.contains("json") {
            stdout(json(rows))
            return
        }
        if let o = rows.first(where: { $0.plan != nil })?.plan?.options {
            stdout("size of the C kernel, weights \(o.weights.rawValue)\(o.useLibm ? ", libm" : ""), bytes:")
        } else {
            stdout("size of the int8 C kernel, bytes:")
        }
        let header = ["model", "target", "width", "type", "code", "const", "weights", "flash", "static", "state", "stack step", "stack run", "ram", "work/step"]
        var table = [header]
        for row in rows {
            let s = row.size, name = row.kernelName
            table.append([row.modelName, row.target.name.rawValue, row.width, row.type,
                          "\(s.code)", "\(s.constants)", "\(s.weights)", "\(s.flash)", "\(s.staticData)", "\(s.state)",
                          s.stack["\(name)_step"].map(String.init) ?? "–", s.stack["\(name)_run"].map(String.init) ?? "–", "\(s.ram)", "\(s.workspacePerStep)"])
        }
        let columnWidths = header.indices.map { column in table.map { $0[column].count }.max()! }
        for line in table {
            stdout("  " + line.enumerated().map { column, cell in
                column < 4 ? cell.padding(toLength: columnWidths[column], withPad: " ", startingAt: 0)
                           : String(repeating: " ", count: columnWidths[column] - cell.count) + cell
            }.joined(separator: "  "))
        }
        let library = Set(rows.flatMap { $0.size.libraryCalls }).sorted()
        if !library.isEmpty { stdout("calls into the C library, stack not counted: \(library.joined(separator: ", "))") }
        if rows.contains(where: { !$0.size.stackIsStatic }) { stdout("note: some frames have a dynamic size; their stack is gcc's bound") }
    }

    static func json(_ rows: [Row]) -> String {
        func text(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        let objects = rows.map { row in
            let s = row.size
            let options = row.plan.map { plan in
                "\"vector_width\": \(plan.vectorWidth), \"weight_type\": \(text(plan.options.weightType.rawValue)), \"weights_mode\": \(text(plan.options.weights.rawValue)), "
                    + "\"libm\": \(plan.options.useLibm), \"batch_tile\": \(plan.batchTile), "
            } ?? "\"vector_width\": null, \"weight_type\": \"int8\", \"weights_mode\": \"baked\", \"libm\": false, \"batch_tile\": null, "
            return "  {\"model\": \(text(row.model)), \"name\": \(text(row.kernelName)), \"target\": \(text(row.target.name.rawValue)), \"lang\": \"c\", "
                + options + "\"code\": \(s.code), \"constants\": \(s.constants), \"weights\": \(s.weights), \"flash\": \(s.flash), "
                + "\"static_data\": \(s.staticData), \"state\": \(s.state), \"stack\": {"
                + s.stack.sorted { $0.key < $1.key }.map { "\(text($0.key)): \($0.value)" }.joined(separator: ", ")
                + "}, \"ram\": \(s.ram), \"workspace_per_step\": \(s.workspacePerStep), \"stack_is_static\": \(s.stackIsStatic), "
                + "\"library_calls\": [\(s.libraryCalls.map(text).joined(separator: ", "))]}"
        }
        return "[\n" + objects.joined(separator: ",\n") + "\n]"
    }
}
