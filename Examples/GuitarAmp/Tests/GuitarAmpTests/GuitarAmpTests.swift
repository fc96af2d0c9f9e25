import Foundation
import XCTest
import AmpModel
import RNNModel
import RNNReference
import WAV

final class GuitarAmpTests: XCTestCase {
    let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The kernel on the example recording, a buffer at a time, against the
    /// reference interpreter on the model file.
    func testAmpMatchesTheInterpreterOnTheRecording() throws {
        let audio = try WAV.read(folder.appendingPathComponent("guitar.wav").path)
        XCTAssertEqual(audio.sampleRate, 48000)
        var samples = audio.channels[0]
        var amp = Amp()
        var start = 0
        while start < samples.count {
            let end = min(start + 128, samples.count)
            var block = Array(samples[start..<end])
            amp.process(inPlace: &block)
            samples.replaceSubrange(start..<end, with: block)
            start = end
        }
        let model = try JSONModelFile.load(contentsOf: folder.appendingPathComponent("Sources/AmpModel/amp.json").path, name: "amp").model
        let want = try ReferenceInterpreter(model: model).run(ModelInputs(x: Tensor(shape: [1, audio.frames, 1], values: audio.channels[0].map(Double.init)))).y
        var worst = 0.0
        for (got, reference) in zip(samples, want.values) { worst = max(worst, abs(Double(got) - reference)) }
        XCTAssertLessThanOrEqual(worst, 1e-4, "largest difference from the interpreter")
        XCTAssertGreaterThan(zip(samples, audio.channels[0]).map { abs($0 - $1) }.max()!, 0.01, "the amp changes the sound")
    }

    /// Blocks of any size give the same samples as one call.
    func testBlockSizeDoesNotMatter() throws {
        let input = (0..<1000).map { Float(sin(Double($0) * 0.05)) * 0.8 }
        var whole = input, pieces = input
        var a = Amp(), b = Amp()
        a.process(inPlace: &whole)
        var start = 0
        for size in [1, 7, 64, 300, 1000] where start < pieces.count {
            let end = min(start + size, pieces.count)
            var block = Array(pieces[start..<end])
            b.process(inPlace: &block)
            pieces.replaceSubrange(start..<end, with: block)
            start = end
        }
        XCTAssertEqual(whole, pieces)
    }

    func testWAVRoundTrips() throws {
        let audio = WAVAudio(sampleRate: 44100, channels: [[0, 0.5, -0.5, 1, -1, 0.25], [0.1, -0.1, 0.2, -0.2, 0.3, -0.3]])
        XCTAssertEqual(try WAV.parse(WAV.bytes(audio, format: .float32)), audio)
        for format in [WAVSampleFormat.pcm16, .pcm24] {
            let once = try WAV.parse(WAV.bytes(audio, format: format))
            XCTAssertEqual(try WAV.parse(WAV.bytes(once, format: format)), once, "integer samples survive a second round trip")
            for (x, y) in zip(once.channels.joined(), audio.channels.joined()) { XCTAssertEqual(x, y, accuracy: 1e-4) }
        }
        XCTAssertThrowsError(try WAV.parse(Array("RIFF....WAVEjunk".utf8)))
        XCTAssertThrowsError(try WAV.parse([]))
    }
}
