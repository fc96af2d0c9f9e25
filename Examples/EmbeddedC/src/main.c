/* Runs the generated audio_lstm kernel on a Cortex-M4F (the MPS2-AN386 board
 * under QEMU): first its golden vectors — inputs and the reference
 * interpreter's outputs, written by rnngen when the kernel was generated —
 * then a short stream of samples through the real-time step function.
 * Prints over semihosting; exits 0 when every golden value is within the
 * tolerance of rnngen verify. */
#include <math.h>
#include <stdio.h>

#include "audio_lstm.h"
#include "audio_lstm_golden.h"

int main(void)
{
    float worst = 0.0f;
    const int failures = audio_lstm_golden_failures(&worst);
    printf("audio_lstm on Cortex-M4F: %d golden cases, %d values beyond tolerance, worst error/tolerance %.4f\n",
           audio_lstm_golden_case_count(), failures, (double)worst);

    /* The real-time path: one sample in, one sample out, state carried along. */
    audio_lstm_state state;
    audio_lstm_reset(&state);
    float out = 0.0f;
    for (int t = 0; t < 48; ++t) {
        const float sample = 0.5f * sinf(2.0f * 3.14159265f * 440.0f * (float)t / 48000.0f);
        audio_lstm_step(&state, &sample, &out);
    }
    printf("streamed 48 samples, last output %.6f\n", (double)out);

    printf("%s\n", failures == 0 ? "PASS" : "FAIL");
    return failures == 0 ? 0 : 1;
}
