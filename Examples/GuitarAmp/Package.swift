// swift-tools-version: 6.0
import PackageDescription

// rnngen is this repository's root package; SwiftPM names a path dependency
// after its folder, whatever the clone is called.
let rnngenPath = Context.packageDirectory + "/../.."
let rnngen = String(Context.packageDirectory.split(separator: "/").dropLast(2).last ?? "rnngen")

let package = Package(
    name: "GuitarAmp",
    dependencies: [.package(path: rnngenPath)],
    targets: [
        // amp.json, an LSTM amp model as the Automated-GuitarAmpModelling code
        // saves it: the plugin turns it into the Swift kernel `Amp` at build time.
        .target(name: "AmpModel", plugins: [.plugin(name: "RNNKernelPlugin", package: rnngen)]),
        // Reading and writing WAV files, nothing else.
        .target(name: "WAV"),
        // guitar-amp IN.wav OUT.wav: the amp on a recording, a buffer at a time.
        .executableTarget(name: "guitar-amp", dependencies: [
            "AmpModel", "WAV",
            // Only for --reference: the same model through rnngen's reference interpreter.
            .product(name: "RNNModel", package: rnngen), .product(name: "RNNReference", package: rnngen),
        ]),
        .testTarget(name: "GuitarAmpTests", dependencies: [
            "AmpModel", "WAV", .product(name: "RNNModel", package: rnngen), .product(name: "RNNReference", package: rnngen),
        ], plugins: [.plugin(name: "RNNKernelPlugin", package: rnngen)]),
    ]
)
