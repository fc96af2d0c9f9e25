"""Writes guitar.wav, the example's input: one second of two plucked strings
(Karplus-Strong synthesis, 48 kHz, 16-bit mono), deterministic.
Python's standard library only:  python3 make_guitar_wav.py"""
import math
import random
import struct
import wave

RATE = 48000
random.seed(1)


def pluck(frequency, seconds, decay=0.996):
    period = int(RATE / frequency)
    line = [random.uniform(-1, 1) for _ in range(period)]
    out = []
    for n in range(int(seconds * RATE)):
        sample = line[n % period]
        line[n % period] = decay * 0.5 * (sample + line[(n + 1) % period])
        out.append(sample)
    return out


# A low E for the whole second, a G joining halfway.
mix = [0.45 * v for v in pluck(82.41, 1.0)]
for n, v in enumerate(pluck(196.0, 0.5)):
    mix[RATE // 2 + n] += 0.35 * v
with wave.open("guitar.wav", "wb") as f:
    f.setnchannels(1)
    f.setsampwidth(2)
    f.setframerate(RATE)
    f.writeframes(b"".join(struct.pack("<h", max(-32768, min(32767, round(v * 32767)))) for v in mix))
