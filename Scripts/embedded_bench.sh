#!/usr/bin/env bash
# Instruction counts per time step on the emulated microcontrollers: the
# tables of docs/EMBEDDED.md. For each model and core, the kernel generated
# for the target (rnngen bench --target T, its defaults) and, for comparison,
# the vector kernel rnngen generated for microcontrollers before the target
# was an input of generation (--lowering vector --vector-width 4
# --batch-tile 1), each beside the naive C step in the same program, at -O2,
# -Os and -O3. Counts are exact (QEMU -icount): any machine, loaded or not,
# gives the same numbers. On the Cortex-M55 every vector kernel now has the
# Helium activations, so there is no "before" to build: that column is "—"
# (docs/EMBEDDED.md quotes the counts measured before the change).
# Usage: Scripts/embedded_bench.sh [MODEL.rnn.json …]
set -euo pipefail
cd "$(dirname "$0")/.."
models=("$@")
if [ ${#models[@]} -eq 0 ]; then
  models=(models/embedded/gru_i1_h8/model.rnn.json models/embedded/lstm_i1_h8/model.rnn.json
          models/embedded/lstm_i2_h20/model.rnn.json models/seed_gru/model.rnn.json)
fi
swift build --product rnngen >/dev/null  # build once, quietly
rnngen=("$(swift build --show-bin-path)/rnngen")
echo "| model | core | level | naive C | before: vector, width 4 | ratio | now: --target | ratio |"
echo "|---|---|---|---|---|---|---|---|"
for model in "${models[@]}"; do
  for target in cortex-m4 cortex-m7 cortex-m55 cortex-m3 rv32; do
    now=$("${rnngen[@]}" bench "$model" --target "$target" --json)
    if [ "$target" = cortex-m55 ]; then
      before=null
    else
      before=$("${rnngen[@]}" bench "$model" --target "$target" --lowering vector --vector-width 4 --batch-tile 1 --json)
    fi
    python3 - "$model" "$target" "$now" "$before" <<'PY'
import json, sys
model, target, now, before = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
name = model.split("/")[-2]
for n, b in zip(now, before or [None] * len(now)):
    was = f"{b['kernel_instructions_per_step']:.0f} | {b['ratio']:.2f}" if b else "— | —"
    print(f"| {name} | {target} | {n['optimization']} | {n['naive_instructions_per_step']:.0f} | "
          f"{was} | {n['kernel_instructions_per_step']:.0f} | {n['ratio']:.2f} |")
PY
  done
done
