import Foundation
import AmpModel
import RNNModel
import RNNReference
import WAV

let usage = """
usage: guitar-amp IN.wav OUT.wav [--block N] [--pcm16]
           Runs the amp model over every channel of IN.wav (each channel its
           own model state), N frames per call as an audio callback would
           (default 256), and writes OUT.wav (32-bit float, or 16-bit PCM).
       guitar-amp --reference IN.wav OUT.wav
           The same model through rnngen's reference interpreter (double
           precision), to check the kernel against.
       guitar-amp --compare A.wav B.wav [--tolerance T]
           Prints the largest sample difference; exits 1 above T (default 1e-4).
"""

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("guitar-amp: \(message)\n".utf8))
    exit(1)
}

/// Where the model file the kernel was generated from is, for --reference.
let modelPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("AmpModel/amp.json").path

/// The command line, options taken out as they are read.
struct Arguments {
    var rest = Array(CommandLine.arguments.dropFirst())

    mutating func option(_ name: String) -> String? {
        guard let at = rest.firstIndex(of: name) else { return nil }
        guard at + 1 < rest.count else { fail("\(name) needs a value\n\(usage)") }
        defer { rest.removeSubrange(at...(at + 1)) }
        return rest[at + 1]
    }

    mutating func flag(_ name: String) -> Bool {
        guard let at = rest.firstIndex(of: name) else { return false }
        rest.remove(at: at)
        return true
    }
}

var command = Arguments()
do {
    if command.flag("--compare") {
        let tolerance = Float(command.option("--tolerance") ?? "1e-4") ?? 1e-4
        let arguments = command.rest
        guard arguments.count == 2 else { fail(usage) }
        let a = try WAV.read(arguments[0]), b = try WAV.read(arguments[1])
        guard a.channels.count == b.channels.count, a.frames == b.frames else {
            fail("\(arguments[0]) has \(a.channels.count)×\(a.frames) samples, \(arguments[1]) \(b.channels.count)×\(b.frames)")
        }
        var worst: Float = 0
        for (x, y) in zip(a.channels, b.channels) {
            for (p, q) in zip(x, y) { worst = max(worst, abs(p - q).isNaN ? .infinity : abs(p - q)) }
        }
        print("largest difference \(worst) over \(a.frames) frames, \(a.channels.count) channel(s)")
        exit(worst <= tolerance ? 0 : 1)
    }
    let reference = command.flag("--reference")
    let pcm16 = command.flag("--pcm16")
    let block = Int(command.option("--block") ?? "256") ?? 0
    let arguments = command.rest
    guard block >= 1, arguments.count == 2 else { fail(usage) }
    var audio = try WAV.read(arguments[0])
    if audio.sampleRate != 48000 {
        FileHandle.standardError.write(Data("guitar-amp: note: the model was trained at 48 kHz and \(arguments[0]) is at \(audio.sampleRate) Hz; generate the kernel with --sample-rate-delay \(Double(audio.sampleRate) / 48000) to correct for it (docs/AUDIO.md)\n".utf8))
    }
    if reference {
        let model = try JSONModelFile.load(contentsOf: modelPath, name: "amp").model
        let interpreter = ReferenceInterpreter(model: model)
        for c in audio.channels.indices {
            let x = Tensor(shape: [1, audio.frames, 1], values: audio.channels[c].map(Double.init))
            audio.channels[c] = try interpreter.run(ModelInputs(x: x)).y.values.map { Float($0) }
        }
    } else {
        for c in audio.channels.indices {
            var amp = Amp()
            var input = audio.channels[c]
            var output = [Float](repeating: 0, count: input.count)
            // One call per block of frames, as an audio callback gets them.
            input.withUnsafeMutableBufferPointer { x in
                output.withUnsafeMutableBufferPointer { y in
                    var start = 0
                    while start < x.count {
                        let end = min(start + block, x.count)
                        amp.process(UnsafeBufferPointer(rebasing: x[start..<end]), into: UnsafeMutableBufferPointer(rebasing: y[start..<end]))
                        start = end
                    }
                }
            }
            audio.channels[c] = output
        }
    }
    try WAV.write(audio, to: arguments[1], format: pcm16 ? .pcm16 : .float32)
    print("wrote \(arguments[1]): \(audio.frames) frames, \(audio.channels.count) channel(s), \(audio.sampleRate) Hz\(reference ? " (reference interpreter)" : "")")
} catch {
    fail("\(error)")
}
