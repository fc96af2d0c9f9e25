#!/usr/bin/env bash
# The integer kernels' figures in docs/EMBEDDED.md ("Integer kernels"):
# instructions per step of the int8 kernel beside rnngen's float kernel of the
# same model on each emulated core (QEMU -icount, exact and repeatable), the
# kernels' flash and RAM, and ns/step on the host. Models: a TFLite LSTM
# (TensorFlow's converter, per-tensor scales) and two rnngen quantize'd ones
# (per-row scales) from the calibration inputs beside them.
# Usage: Scripts/integer_bench.sh [OUT.md]   (default: print to stdout)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product rnngen >/dev/null
rnngen=.build/release/rnngen
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
$rnngen quantize models/embedded/lstm_i2_h20/model.rnn.json --calibrate models/embedded/lstm_i2_h20/calibration.npy --out "$work/h20" >/dev/null
$rnngen quantize models/bench_lstm_i16_h64/model.rnn.json --calibrate models/bench_lstm_i16_h64/calibration.npy --out "$work/h64" >/dev/null
models=(Tests/Recorded/tflite/lstm_i8_h33/model.tflite "$work/h20/mcu_lstm_i2_h20.rnn.json" "$work/h64/bench_lstm_i16_h64.rnn.json")
{
  for m in "${models[@]}"; do
    for t in cortex-m3 cortex-m4 cortex-m7 cortex-m55 rv32; do
      echo "### $m on $t"
      $rnngen bench "$m" --target "$t" --opt -O2,-Os | tail -2
    done
  done
  echo "### size"
  $rnngen size "${models[@]}" --target cortex-m4,cortex-m55,cortex-m3
  echo "### host (taskset -c 1)"
  for m in "${models[@]}"; do taskset -c 1 $rnngen bench "$m" --steps 100000 | tail -3; done
} | tee "${1:-/dev/stdout}"
