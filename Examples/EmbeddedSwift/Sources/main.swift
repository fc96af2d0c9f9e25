// Runs the generated audio_lstm Swift kernel, built as Embedded Swift for a
// Cortex-M4F (the MPS2-AN386 board under QEMU): first its golden vectors —
// inputs and the reference interpreter's outputs, written by rnngen when the
// kernel was generated — then a short stream through the real-time step.
// Prints over semihosting (print → putchar → newlib).

@main
struct App {
    static func main() {
        let result = AudioLSTMGolden.check()
        // Embedded Swift prints integers, not floats: report the ratio in thousandths.
        print("audio_lstm (Embedded Swift) on Cortex-M4F: \(result.failures) values beyond tolerance, worst error/tolerance \(Int(result.worstRatio * 1000))/1000")

        var model = AudioLSTM()
        var last: Float = 0
        for t in 0..<48 {
            // A slow ramp stands in for audio; sin is not in the standard library.
            let sample = Float(t % 24) / 24 - 0.5
            last = model.step([sample])[0]
        }
        print("streamed 48 samples, last output finite: \(last.isFinite)")
        print(result.failures == 0 ? "PASS" : "FAIL")
    }
}
