// swift-tools-version: 6.0
import PackageDescription

// rnngen has no package dependencies: Foundation and the toolchain only.
let package = Package(
    name: "rnngen",
    products: [
        .executable(name: "rnngen", targets: ["rnngen"]),
        .library(name: "RNNModel", targets: ["RNNModel"]),
        .library(name: "RNNReference", targets: ["RNNReference"]),
        .library(name: "RNNCodegen", targets: ["RNNCodegen"]),
        // Build tool plugin: kernels (and golden-vector tests) for the models in a target.
        .plugin(name: "RNNKernelPlugin", targets: ["RNNKernelPlugin"]),
        // Command plugin: `swift package generate-kernels`.
        .plugin(name: "GenerateKernelsPlugin", targets: ["GenerateKernelsPlugin"]),
    ],
    targets: [
        // Model descriptions, tensors and .npy/.npz/.onnx readers, framework importers.
        .target(name: "RNNModel"),
        // The reference interpreter: runs a Model (and an ONNX graph) in Double.
        .target(name: "RNNReference", dependencies: ["RNNModel"]),
        // Kernel templates (Templates/c, Templates/swift), embedded into the generator.
        .target(name: "KernelTemplates", path: "Templates", resources: [.embedInCode("c"), .embedInCode("swift")]),
        // Planning and rendering of C and Swift kernels: pure functions, no I/O.
        .target(name: "RNNCodegen", dependencies: ["RNNModel", "KernelTemplates"]),
        // Compiling and running generated kernels (spawns cc / swiftc); the engines of run and verify.
        .target(name: "RNNKernelRunner", dependencies: ["RNNModel", "RNNReference", "RNNCodegen", "KernelTemplates"]),
        // The commands behind the CLI, as a library so tests can call them.
        .target(name: "RNNGenCommands", dependencies: ["RNNModel", "RNNReference", "RNNCodegen", "RNNKernelRunner"]),
        .executableTarget(name: "rnngen", dependencies: ["RNNGenCommands"]),
        // The benchmark suite behind docs/PERFORMANCE.md: `swift run -c release rnngen-benchmarks`.
        .executableTarget(name: "rnngen-benchmarks", dependencies: ["RNNGenCommands", "RNNModel"], path: "Benchmarks"),
        .plugin(name: "RNNKernelPlugin", capability: .buildTool(), dependencies: ["rnngen"]),
        .plugin(
            name: "GenerateKernelsPlugin",
            capability: .command(
                intent: .custom(verb: "generate-kernels", description: "Write C and Swift kernels for the package's models into Generated/"),
                permissions: [.writeToPackageDirectory(reason: "rnngen writes the generated kernels into the package (Generated/ by default)")]
            ),
            dependencies: ["rnngen"]
        ),
        // What every test target shares: the repository's paths, the fixture
        // catalog, scratch folders, the CLI in-process, processes and toolchains.
        .target(name: "RNNTestSupport", dependencies: ["RNNModel", "RNNReference", "RNNKernelRunner", "RNNGenCommands"], path: "Tests/RNNTestSupport"),
        // Readers of descriptions, tensors and framework files: formats, gate orders, rounding, fuzzing.
        .testTarget(name: "ReaderTests", dependencies: ["RNNModel", "RNNGenCommands", "RNNTestSupport"]),
        // The reference interpreter against the frameworks' recorded outputs and pinned semantics.
        .testTarget(name: "InterpreterTests", dependencies: ["RNNModel", "RNNReference", "RNNGenCommands", "RNNTestSupport"]),
        // Generated kernels: lowering, compile checks, the grid, the property test, every fixture through C and Swift.
        .testTarget(name: "KernelTests", dependencies: ["RNNModel", "RNNReference", "RNNCodegen", "RNNKernelRunner", "RNNTestSupport"]),
        // Kernels on emulated targets: verify, size and bench --target.
        .testTarget(name: "TargetTests", dependencies: ["RNNModel", "RNNReference", "RNNCodegen", "RNNKernelRunner", "RNNGenCommands", "RNNTestSupport"]),
        // The command line: generate, bench, bad input, errors, hostile files, safe writes, the examples.
        .testTarget(name: "CommandTests", dependencies: ["RNNModel", "RNNReference", "RNNCodegen", "RNNKernelRunner", "RNNGenCommands", "RNNTestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
