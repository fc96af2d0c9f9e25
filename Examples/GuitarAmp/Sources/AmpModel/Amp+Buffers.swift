// The kernel `Amp` is generated at build time from amp.json by rnngen's
// build plugin (an LSTM of 20 with a linear output and the input added
// back, saved by the Automated-GuitarAmpModelling training code). This file
// adds what an audio callback wants on top of its API.

extension Amp {
    /// Runs the amp over a mono buffer in place: the model reads one sample
    /// per frame and writes one, and `process` reads each frame before it
    /// writes it, so input and output can be the same memory.
    public mutating func process(inPlace samples: inout [Float]) {
        samples.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress, !buffer.isEmpty else { return }
            process(UnsafePointer(base), into: base, frames: buffer.count)
        }
    }
}
