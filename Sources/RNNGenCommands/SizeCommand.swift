import Foundation
import RNNCodegen
import RNNKernelRunner
import RNNModel

enum SizeCommand {
    static let help = """
    USAGE: rnngen size MODEL [--target T|all] [--json] [--vector-width auto|4|8|16]
                      [--weight-type f32|f16|bf16|i8] [--weights baked|runtime] [--libm]
                      [--fma auto|on|off] [--batch-tile auto|1|2|4|8]

    What MODEL's C kernel takes on a target: compiles the kernel alone for it
    (gcc -O2 -ffunction-sections, every entry point kept) and measures the
    object.

      code        machine code (.text)
      const       constants besides the weights (.rodata)
      weights     the weight tables (biases and scales included)
      flash       code + const + weights
      static      writable static data (.data, .bss); the kernels keep none
      state       one item's state, which the caller holds (NAME_state)
      stack       the deepest stack of each entry point, its own frame and its
                  callees', from gcc's -fstack-usage and -fcallgraph-info
      ram         static + state + the deepest stack of any entry point
      workspace   what run needs from the caller, per step of the longest sequence

    Calls into the C library (memset; expf and friends with --libm) are named
    under the table; their stack is not counted. A linked program adds its
    start-up code and C library.

    Targets (see rnngen verify --help): \(Target.Name.allCases.map(\.rawValue).joined(separator: ", ")), or all.
    The default is cortex-m4. A missing cross compiler is an error naming the
    Debian packages to install.

    OPTIONS:
      --target T|all        Where the kernel runs (default cortex-m4); all: every
                            target, one row each.
      --json                One JSON object: the kernel's options and a row per target
                            (bytes; stack by entry point).
      --vector-width, --weight-type, --weights, --libm, --fma, --batch-tile
                            As for rnngen generate (see rnngen generate --help).
      --input NAME=FILE.npy For ONNX models whose weights are graph inputs.
      -h, --help            Show this help.
    """

    static func run(_ args: [String], stdout: (String) -> Void) throws {
        let parsed = try Arguments(args, valued: ["target", "input", "lang", "vector-width", "weights", "fma", "weight-type", "batch-tile"],
                                   booleans: ["libm", "json"], command: "size")
        guard parsed.positionals.count == 1 else {
            throw RNNError(at: "size", "expected one MODEL argument, found \(parsed.positionals.count) (see rnngen size --help)")
        }
        let path = parsed.positionals[0]
        let targetText = try parsed.single("target") ?? "cortex-m4"
        let targets = targetText == "all" ? Target.all : [try Target.named(targetText)]
        if let lang = try parsed.single("lang"), lang != "c" {
            throw RNNError(at: "--lang \(Quote.text(lang))", "rnngen size measures C kernels only (gcc gives their stack use)")
        }
        var withLanguage = parsed
        withLanguage.options["lang"] = ["c"]
        withLanguage.switches.remove("json")
        let model = try ModelFile.loadModel(path, provided: try RunCommand.readInputs(parsed.options["input"] ?? []))
        let options = try GenerateCommand.options(withLanguage, defaultName: model.name)
        let plan = try KernelPlan(model: model, options: options)
        let sizes = try targets.map { ($0, try KernelSizer.measure(plan, target: $0)) }

        let kernel = "C kernel \(plan.name), vector width \(plan.vectorWidth)\(options.vectorWidth == nil ? " (auto)" : ""), "
            + "weights \(options.weightType.rawValue) \(options.weights.rawValue)\(options.useLibm ? ", libm" : "")"
        if parsed.switches.contains("json") {
            stdout(json(model: path, plan: plan, sizes: sizes))
            return
        }
        stdout("size of \(model.name) (\(path)): \(kernel); bytes")
        let entries = ["step", "run", "head"].map { "\(plan.name)_\($0)" }.filter { name in sizes.contains { $0.1.stack[name] != nil } }
        let header = ["target", "code", "const", "weights", "flash", "static", "state"] + entries.map { "stack " + $0.dropFirst(plan.name.count + 1) } + ["ram", "workspace/step"]
        var rows = [header]
        for (target, size) in sizes {
            rows.append([target.name.rawValue, "\(size.code)", "\(size.constants)", "\(size.weights)", "\(size.flash)", "\(size.staticData)", "\(size.state)"]
                        + entries.map { size.stack[$0].map(String.init) ?? "–" } + ["\(size.ram)", "\(size.workspacePerStep)"])
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max()! }
        for row in rows {
            stdout("  " + row.enumerated().map { column, cell in
                column == 0 ? cell.padding(toLength: widths[0], withPad: " ", startingAt: 0)
                            : String(repeating: " ", count: widths[column] - cell.count) + cell
            }.joined(separator: "  "))
        }
        let library = Set(sizes.flatMap { $0.1.libraryCalls }).sorted()
        if !library.isEmpty { stdout("calls into the C library, stack not counted: \(library.joined(separator: ", "))") }
        if sizes.contains(where: { !$0.1.stackIsStatic }) { stdout("note: some frames have a dynamic size; their stack is gcc's bound") }
    }

    static func json(model: String, plan: KernelPlan, sizes: [(Target, KernelSize)]) -> String {
        func text(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        let o = plan.options
        var lines = ["{", "  \"model\": \(text(model)),",
                     "  \"kernel\": {\"name\": \(text(plan.name)), \"lang\": \"c\", \"vector_width\": \(plan.vectorWidth), \"weight_type\": \(text(o.weightType.rawValue)), "
                        + "\"weights\": \(text(o.weights.rawValue)), \"libm\": \(o.useLibm), \"batch_tile\": \(plan.batchTile)},",
                     "  \"targets\": ["]
        let rows = sizes.map { target, s in
            "    {\"target\": \(text(target.name.rawValue)), \"code\": \(s.code), \"constants\": \(s.constants), \"weights\": \(s.weights), \"flash\": \(s.flash), "
                + "\"static_data\": \(s.staticData), \"state\": \(s.state), \"stack\": {"
                + s.stack.sorted { $0.key < $1.key }.map { "\(text($0.key)): \($0.value)" }.joined(separator: ", ")
                + "}, \"ram\": \(s.ram), \"workspace_per_step\": \(s.workspacePerStep), \"stack_is_static\": \(s.stackIsStatic), "
                + "\"library_calls\": [\(s.libraryCalls.map(text).joined(separator: ", "))]}"
        }
        lines.append(rows.joined(separator: ",\n"))
        lines += ["  ]", "}"]
        return lines.joined(separator: "\n")
    }
}
