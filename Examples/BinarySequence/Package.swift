// swift-tools-version: 6.0
import PackageDescription

// rnngen is this repository's root package; SwiftPM names a path dependency
// after its folder, whatever the clone is called.
let rnngenPath = Context.packageDirectory + "/../.."
let rnngen = String(Context.packageDirectory.split(separator: "/").dropLast(2).last ?? "rnngen")

let package = Package(
    name: "BinarySequence",
    dependencies: [.package(path: rnngenPath)],
    targets: [
        // The model description and its weights live here; the plugin turns
        // them into a Swift kernel at build time.
        .target(
            name: "BinarySequenceModel",
            plugins: [.plugin(name: "RNNKernelPlugin", package: rnngen)]
        ),
        .executableTarget(name: "binary-sequence", dependencies: ["BinarySequenceModel"]),
        // The plugin on the test target adds golden-vector tests of the kernel.
        .testTarget(
            name: "BinarySequenceModelTests",
            dependencies: ["BinarySequenceModel"],
            plugins: [.plugin(name: "RNNKernelPlugin", package: rnngen)]
        ),
    ]
)
