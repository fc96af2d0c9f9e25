// swift-tools-version: 6.0
import PackageDescription

// rnngen is this repository's root package; SwiftPM names a path dependency
// after its folder, whatever the clone is called.
let rnngenPath = Context.packageDirectory + "/../.."
let rnngen = String(Context.packageDirectory.split(separator: "/").dropLast(2).last ?? "rnngen")

let package = Package(
    name: "SequenceClassifier",
    dependencies: [.package(path: rnngenPath)],
    targets: [
        .target(name: "SequenceClassifierModel", plugins: [.plugin(name: "RNNKernelPlugin", package: rnngen)]),
        .executableTarget(name: "classify", dependencies: ["SequenceClassifierModel"]),
        .testTarget(
            name: "SequenceClassifierModelTests",
            dependencies: ["SequenceClassifierModel"],
            plugins: [.plugin(name: "RNNKernelPlugin", package: rnngen)]
        ),
    ]
)
