#!/usr/bin/env bash
# Builds and tests every example, as CI does. Needs the root package built
# (swift build), arm-none-eabi-gcc with newlib, and qemu-system-arm.
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd .. && pwd)
swift build --package-path "$root" --product rnngen
rnngen="$root/.build/debug/rnngen"

for package in BinarySequence SequenceClassifier GuitarAmp; do
  echo "== $package: swift test"
  swift test --package-path "$package"
done
swift run --package-path BinarySequence binary-sequence 0110100111
swift run --package-path SequenceClassifier classify

# The amp example: a WAV file in, a WAV file out, in Swift (the build plugin
# on amp.json) and in C, each compared with the reference interpreter's.
wavs=$(mktemp -d)
swift run --package-path GuitarAmp guitar-amp GuitarAmp/guitar.wav "$wavs/swift.wav"
swift run --package-path GuitarAmp guitar-amp --reference GuitarAmp/guitar.wav "$wavs/reference.wav"
swift run --package-path GuitarAmp guitar-amp --compare "$wavs/swift.wav" "$wavs/reference.wav"
make -C GuitarAmp/C clean
make -C GuitarAmp/C test RNNGEN="$rnngen"
swift run --package-path GuitarAmp guitar-amp --compare GuitarAmp/C/build/out.wav "$wavs/reference.wav"
make -C GuitarAmp/C clean
rm -rf "$wavs"

# The echo tutorial trained by the generated training kernels: C, Swift, and
# C on the emulated Cortex-M4F, each landing where the data say it must.
make -C EchoTask clean
make -C EchoTask test RNNGEN="$rnngen"
make -C EchoTask clean

# generate-kernels, the command plugin, writes both languages into the package.
swift package --package-path BinarySequence --allow-writing-to-package-directory generate-kernels --output .build/generated-check
test -f BinarySequence/.build/generated-check/BinarySequenceModel/binary_seq_rnn/c/binary_seq_rnn.c
test -f BinarySequence/.build/generated-check/BinarySequenceModel/binary_seq_rnn/swift/binary_seq_rnn.swift

# A new user's package outside the repository: one description, an amp model
# file as the training code saved it and an RTNeural model JSON, the plugin on
# a library and its tests; then a malformed description must fail the build with rnngen's
# error naming the file and field.
fresh=$(mktemp -d)
identity=$(basename "$root")
mkdir -p "$fresh/Sources/Model" "$fresh/Tests/ModelTests"
cp "$root/models/examples/tiny_gru.rnn.json" "$fresh/Sources/Model/"
cp "$root/Tests/Recorded/audio/agam_lstm20_skip/model.json" "$fresh/Sources/Model/amp.json"
cp "$root/Tests/Recorded/audio/rtn_keras_gru_reset_before_prelu/model.json" "$fresh/Sources/Model/effect.json"
cat > "$fresh/Package.swift" <<MANIFEST
// swift-tools-version: 6.0
import PackageDescription
let package = Package(
    name: "FreshUser",
    dependencies: [.package(path: "$root")],
    targets: [
        .target(name: "Model", plugins: [.plugin(name: "RNNKernelPlugin", package: "$identity")]),
        .testTarget(name: "ModelTests", dependencies: ["Model"], plugins: [.plugin(name: "RNNKernelPlugin", package: "$identity")]),
    ]
)
MANIFEST
echo 'public func modelInputSize() -> Int { TinyGRU.inputSize + Amp.stateFloats + Effect.outputSize }' > "$fresh/Sources/Model/Model.swift"
printf 'import XCTest\nimport Model\nfinal class ModelTests: XCTestCase { func testSize() { XCTAssertEqual(modelInputSize(), 3 + 40 + 2) } }\n' > "$fresh/Tests/ModelTests/ModelTests.swift"
echo "== a new user's package: swift test"
swift test --package-path "$fresh" 2>&1 | tee "$fresh/test.log"
grep -q "TinyGRUGoldenTests.testKernelMatchesTheReferenceInterpreter' passed" "$fresh/test.log"
grep -q "AmpGoldenTests.testKernelMatchesTheReferenceInterpreter' passed" "$fresh/test.log"
grep -q "EffectGoldenTests.testKernelMatchesTheReferenceInterpreter' passed" "$fresh/test.log"
sed -i 's/"hidden_sizes": \[2\]/"hidden_sizes": [0]/' "$fresh/Sources/Model/tiny_gru.rnn.json"
if swift build --package-path "$fresh" > "$fresh/build.log" 2>&1; then
  echo "a malformed description built" >&2
  exit 1
fi
grep "rnngen: error: .*tiny_gru.rnn.json: \$.pipeline\[1\].recurrent.hidden_sizes\[0\]: expected a positive integer" "$fresh/build.log"
rm -rf "$fresh"

for project in EmbeddedC EmbeddedSwift; do
  echo "== $project: make test (QEMU mps2-an386)"
  make -C "$project" clean
  make -C "$project" test RNNGEN="$rnngen"
done
# Both kernels with narrow weight matrices, on the same emulated Cortex-M4F:
# the integer widening paths (no F16C or x86 sign extension there).
for project in EmbeddedC EmbeddedSwift; do
  for type in f16 bf16 i8; do
    echo "== $project with --weight-type $type: make test (QEMU mps2-an386)"
    make -C "$project" clean
    make -C "$project" test RNNGEN="$rnngen" WEIGHT_TYPE="$type"
  done
  make -C "$project" clean
done
echo "examples: all passed"
