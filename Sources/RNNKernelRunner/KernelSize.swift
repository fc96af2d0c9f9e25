import Foundation
import RNNCodegen
import RNNModel

/// What a C kernel takes on a target, measured on the compiled object (the
/// kernel alone, every entry point kept): `rnngen size`.
public struct KernelSize: Sendable, Equatable {
    /// Machine code (`.text*`).
    public var code: Int
    /// Constants other than the weights (`.rodata*`: activation tables, literals).
    public var constants: Int
    /// The weight tables (`NAME_weights`, and `NAME_matrices` for narrow weight types).
    public var weights: Int
    /// Writable static data (`.data*`, `.bss*`): the kernels keep none.
    public var staticData: Int
    /// One item's state, held by the caller (`NAME_state`).
    public var state: Int
    /// Deepest stack of each entry point (its own frame and its callees',
    /// from gcc's -fstack-usage and -fcallgraph-info), by function name.
    public var stack: [String: Int]
    /// Functions the kernel calls outside itself (the C library's), whose
    /// stack is not counted.
    public var libraryCalls: [String]
    /// Whether every frame on those paths had a static size.
    public var stackIsStatic: Bool
    /// The caller's workspace for `run`, per step of the longest sequence.
    public var workspacePerStep: Int

    public var flash: Int { code + constants + weights }
    /// RAM: static data, one item's state, the deepest stack of any entry point.
    public var ram: Int { staticData + state + (stack.values.max() ?? 0) }
}

public enum KernelSizer {
    /// The target's `size` (binutils), after checking its compiler is there.
    static func sizeTool(for target: Target) throws -> String {
        try target.requireTools(.c, run: false)
        let sizeTool = target.cCompiler.hasSuffix("gcc") ? String(target.cCompiler.dropLast(3)) + "size" : "size"
        guard Toolchain.onPath(sizeTool) else {
            throw RNNError(at: "--target \(target.name.rawValue)", "needs \(sizeTool) (binutils), which is not on PATH: install \(target.packages.joined(separator: " "))")
        }
        return sizeTool
    }

    /// Compiles `plan`'s C kernel for `target` (cached) and measures it.
    public static func measure(_ plan: KernelPlan, target: Target, toolchain: Toolchain = Toolchain()) throws -> KernelSize {
        guard plan.options.language == .c else {
            throw RNNError(at: "--lang \(plan.options.language.rawValue)", "rnngen size measures C kernels (gcc's -fstack-usage gives their stack)")
        }
        let sizeTool = try KernelSizer.sizeTool(for: target)
        let sources = try KernelGenerator.buildSources(plan)
        let kernel = "\(plan.name).c"
        let flags = target.archFlags + ["-std=c99", "-O2", "-ffunction-sections", "-fdata-sections", "-fstack-usage", "-fcallgraph-info=su"]
        let directory = try BuildCache(toolchain.cacheDirectory).build(
            kind: "size-\(target.name.rawValue)", sources: sources,
            steps: [(target.cCompiler, flags + ["-c", kernel, "-o", "kernel.o"])], what: "the C kernel for \(target.name.rawValue) (to measure it)")
        let base = KernelSize(code: 0, constants: 0, weights: 0, staticData: 0, state: plan.stateFloats * 4, stack: [:], libraryCalls: [],
                              stackIsStatic: true, workspacePerStep: plan.workspaceFloatsPerStep * 4)
        let weightSections = [".rodata.\(plan.name)_weights", ".rodata.\(plan.name)_matrices"]
        return try measureObject(in: directory, sizeTool: sizeTool, target: target, entryPrefix: plan.name + "_", base: base) { weightSections.contains($0) }
    }

    /// Reads `kernel.o`'s sections (code, constants, weights — the sections
    /// `isWeights` names —, static data) and gcc's call graph (every entry
    /// point's deepest stack) into `base`.
    static func measureObject(in directory: URL, sizeTool: String, target: Target, entryPrefix: String, base: KernelSize,
                              isWeights: (String) -> Bool) throws -> KernelSize {
        let sections = try Subprocess.run(sizeTool, ["-A", "kernel.o"], in: directory)
        guard sections.status == 0 else { throw RNNError(file: directory.appendingPathComponent("kernel.o").path, "\(sizeTool) failed: \(sections.stderr)") }
        var size = base
        for line in sections.stdout.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2, let bytes = Int(fields[1]) else { continue }
            let name = String(fields[0])
            if isWeights(name) { size.weights += bytes }
            else if name.hasPrefix(".text") { size.code += bytes }
            else if name.hasPrefix(".rodata") || name.hasPrefix(".srodata") { size.constants += bytes }
            else if name.hasPrefix(".data") || name.hasPrefix(".bss") || name.hasPrefix(".sdata") || name.hasPrefix(".sbss") { size.staticData += bytes }
        }
        let graphFile = directory.appendingPathComponent("kernel.ci")
        guard let graph = try? String(contentsOf: graphFile, encoding: .utf8) else {
            throw RNNError(file: graphFile.path, "\(target.cCompiler) wrote no call graph (-fcallgraph-info needs gcc 10 or later)")
        }
        let calls = CallGraph(vcg: graph)
        for entry in calls.frames.keys where entry.hasPrefix(entryPrefix) { size.stack[entry] = calls.deepest(from: entry) }
        size.libraryCalls = calls.external.sorted()
        size.stackIsStatic = calls.allStatic
        return size
    }
}

extension KernelSizer {
    /// Compiles an integer kernel for `target` (cached) and measures it: its
    /// weights are every per-layer table (int8 matrices, int32 biases and
    /// multipliers, int8 shifts); the sigmoid table counts as a constant.
    public static func measure(_ plan: IntegerKernelPlan, target: Target, toolchain: Toolchain = Toolchain()) throws -> KernelSize {
        let sizeTool = try KernelSizer.sizeTool(for: target)
        let sources = try KernelGenerator.generate(plan).map { ($0.name, $0.contents) }
        let flags = target.archFlags + ["-std=c99", "-O2", "-ffunction-sections", "-fdata-sections", "-fstack-usage", "-fcallgraph-info=su"]
        let directory = try BuildCache(toolchain.cacheDirectory).build(
            kind: "size-integer-\(target.name.rawValue)", sources: sources,
            steps: [(target.cCompiler, flags + ["-c", "\(plan.name).c", "-o", "kernel.o"])], what: "the integer C kernel for \(target.name.rawValue) (to measure it)")
        let state = plan.layers.reduce(0) { $0 + ($1.kind == .lstm ? 3 : 1) * $1.hiddenSize }
        let base = KernelSize(code: 0, constants: 0, weights: 0, staticData: 0, state: state, stack: [:], libraryCalls: [],
                              stackIsStatic: true, workspacePerStep: 0)
        return try measureObject(in: directory, sizeTool: sizeTool, target: target, entryPrefix: plan.name + "_", base: base) { $0.hasPrefix(".rodata.\(plan.name)_") }
    }
}

extension KernelSizer {
    /// Compiles a training kernel for `target` (cached) and measures it: its
    /// weights are the initial parameter table; `state` is the carried state
    /// of the tile, `workspacePerStep` the whole workspace (the caller's).
    public static func measure(_ plan: TrainingPlan, target: Target, toolchain: Toolchain = Toolchain()) throws -> KernelSize {
        let sizeTool = try KernelSizer.sizeTool(for: target)
        let name = plan.options.name + "_train"
        let sources = TrainingRenderer(plan: plan).render().map { ($0.file, Array($0.text.utf8)) }
        let flags = target.archFlags + ["-std=c99", "-O2", "-ffunction-sections", "-fdata-sections", "-fstack-usage", "-fcallgraph-info=su"]
        let directory = try BuildCache(toolchain.cacheDirectory).build(
            kind: "size-training-\(target.name.rawValue)", sources: sources,
            steps: [(target.cCompiler, flags + ["-c", "\(name).c", "-o", "kernel.o"])], what: "the C training kernel for \(target.name.rawValue) (to measure it)")
        let base = KernelSize(code: 0, constants: 0, weights: 0, staticData: 0, state: plan.stateFloats * 4, stack: [:], libraryCalls: [],
                              stackIsStatic: true, workspacePerStep: plan.workspaceFloats * 4)
        return try measureObject(in: directory, sizeTool: sizeTool, target: target, entryPrefix: name + "_", base: base) { $0 == ".rodata.\(name)_initial" }
    }
}

/// The call graph gcc writes with -fcallgraph-info=su (VCG text): frame
/// sizes per function and calls between them.
struct CallGraph {
    /// Frame bytes by function (title).
    var frames: [String: Int] = [:]
    var edges: [String: Set<String>] = [:]
    /// Called, never defined here.
    var external: Set<String> = []
    var allStatic = true

    init(vcg text: String) {
        var defined: Set<String> = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("node:"), let title = CallGraph.field("title", in: line) {
                let label = CallGraph.field("label", in: line) ?? ""
                // label: "name\nfile:line:col\nN bytes (static|dynamic|dynamic,bounded)"
                let parts = label.components(separatedBy: "\\n")
                if let usage = parts.last, let bytes = Int(usage.split(separator: " ").first ?? ""), usage.contains("bytes") {
                    frames[title] = bytes
                    defined.insert(title)
                    if !usage.contains("(static)") { allStatic = false }
                }
            } else if line.hasPrefix("edge:"), let from = CallGraph.field("sourcename", in: line), let to = CallGraph.field("targetname", in: line) {
                edges[from, default: []].insert(to)
            }
        }
        external = Set(edges.values.flatMap { $0 }).subtracting(defined)
    }

    static func field(_ name: String, in line: Substring) -> String? {
        guard let start = line.range(of: "\(name): \"") else { return nil }
        let rest = line[start.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }

    /// Bytes of the deepest chain of frames from `entry` (a cycle counts once).
    func deepest(from entry: String, visiting: Set<String> = []) -> Int {
        guard !visiting.contains(entry) else { return 0 }
        let below = (edges[entry] ?? []).map { deepest(from: $0, visiting: visiting.union([entry])) }.max() ?? 0
        return (frames[entry] ?? 0) + below
    }
}
