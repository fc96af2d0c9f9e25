#!/usr/bin/env bash
# The speed table of docs/AUDIO.md: amp models at the sizes audio developers
# run (GRU 4–16, LSTM 8–40, 1–3 inputs; a linear layer and the input added
# back), written as the Automated-GuitarAmpModelling JSON with random weights,
# each timed by `rnngen bench` on this machine: the generated C kernel's step
# and process (blocks of 64 frames), the naive C step, the Swift kernel.
# Run it alone on the machine; it pins itself to one core.
# usage: Scripts/audio_bench.sh [STEPS]        (default 200000)
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-200000}
swift build -c release --product rnngen >/dev/null
rnngen=.build/release/rnngen
folder=$(mktemp -d)
trap 'rm -rf "$folder"' EXIT

python3 - "$folder" <<'PY'
import json, random, sys
folder = sys.argv[1]
random.seed(2026)
def matrix(rows, cols, scale):
    return [[random.uniform(-scale, scale) for _ in range(cols)] for _ in range(rows)]
def vector(n, scale):
    return [random.uniform(-scale, scale) for _ in range(n)]
for unit, hidden, inputs in [("GRU", 4, 1), ("GRU", 8, 1), ("GRU", 8, 2), ("GRU", 12, 3), ("GRU", 16, 1),
                             ("LSTM", 8, 1), ("LSTM", 12, 2), ("LSTM", 16, 1), ("LSTM", 20, 1), ("LSTM", 32, 2), ("LSTM", 40, 1), ("LSTM", 40, 3)]:
    gates = 3 if unit == "GRU" else 4
    scale = 1 / hidden ** 0.5
    state = {"rec.weight_ih_l0": matrix(gates * hidden, inputs, scale), "rec.weight_hh_l0": matrix(gates * hidden, hidden, scale),
             "rec.bias_ih_l0": vector(gates * hidden, scale), "rec.bias_hh_l0": vector(gates * hidden, scale),
             "lin.weight": matrix(1, hidden, scale), "lin.bias": vector(1, scale)}
    data = {"model": "SimpleRNN", "input_size": inputs, "skip": 1, "output_size": 1, "unit_type": unit,
            "num_layers": 1, "hidden_size": hidden, "bias_fl": True}
    with open(f"{folder}/{unit.lower()}{hidden}_i{inputs}.json", "w") as f:
        json.dump({"model_data": data, "state_dict": state}, f)
PY

echo "| model | C step ns | C process ns/frame | naive C step ns | step speed-up | Swift step ns | Swift process ns/frame |"
echo "|---|---|---|---|---|---|---|"
for model in gru4_i1 gru8_i1 gru8_i2 gru12_i3 gru16_i1 lstm8_i1 lstm12_i2 lstm16_i1 lstm20_i1 lstm32_i2 lstm40_i1 lstm40_i3; do
  json=$(taskset -c 1 "$rnngen" bench "$folder/$model.json" --steps "$steps" --json)
  python3 - "$model" "$json" <<'PY'
import json, sys
name, rows = sys.argv[1], json.loads(sys.argv[2])
ns = {(r["implementation"], r["lang"]): r["ns_per_step"] for r in rows}
unit, rest = (name[:3], name[3:]) if name.startswith("gru") else (name[:4], name[4:])
hidden, inputs = rest.split("_i")
print(f"| {unit.upper()} H={hidden}, {inputs} input{'s' if inputs != '1' else ''} | {ns[('kernel', 'c')]:.1f} | {ns[('process', 'c')]:.1f} | "
      f"{ns[('naive', 'c')]:.1f} | {ns[('naive', 'c')] / ns[('kernel', 'c')]:.1f}× | {ns[('kernel', 'swift')]:.1f} | {ns[('process', 'swift')]:.1f} |")
PY
done
