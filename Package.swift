// swift-tools-version: 6.0
import PackageDescription

// rnngen has no package dependencies: Foundation and the toolchain only.
let package = Package(
    name: "rnngen",
    products: [
        .executable(name: "rnngen", targets: ["rnngen"]),
        .library(name: "RNNModel", targets: ["RNNModel"]),
        .library(name: "RNNReference", targets: ["RNNReference"]),
    ],
    targets: [
        // Model descriptions, tensors and .npy/.npz/.onnx readers, framework importers.
        .target(name: "RNNModel"),
        // The reference interpreter: runs a Model (and an ONNX graph) in Double.
        .target(name: "RNNReference", dependencies: ["RNNModel"]),
        // The commands behind the CLI, as a library so tests can call them.
        .target(name: "RNNGenCommands", dependencies: ["RNNModel", "RNNReference"]),
        .executableTarget(name: "rnngen", dependencies: ["RNNGenCommands"]),
        .testTarget(name: "RNNModelTests", dependencies: ["RNNModel"]),
        .testTarget(
            name: "RNNReferenceTests",
            dependencies: ["RNNModel", "RNNReference", "RNNGenCommands"],
            resources: []
        ),
    ],
    swiftLanguageModes: [.v5]
)
