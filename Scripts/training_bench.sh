#!/usr/bin/env bash
# The training speed table of docs/PERFORMANCE.md: training steps per second
# (one window forward and back over the batch, then one optimizer step) of
# rnngen's generated C and Swift training kernels beside PyTorch on the CPU,
# one thread, for
#   echo:  the echo tutorial's tanh RNN of 4 units + a 2-class linear layer,
#          batch 200, 5 steps, softmax cross-entropy, Adagrad;
#   lstm:  an LSTM 16 → 64 + a linear layer 64 → 16, batch 32, 64 steps,
#          mean squared error, Adam.
# Every engine gets the same random data shape and carries the state from
# window to window; each figure is the best of 5 rounds.
# PyTorch comes from a Python that has it (TORCH_PYTHON, default
# /tmp/torchenv/bin/python: python3 -m venv /tmp/torchenv &&
# /tmp/torchenv/bin/pip install torch numpy); without it its column is left out.
# Run it alone on the machine; it pins itself to one core.
# usage: Scripts/training_bench.sh [SECONDS_PER_ROUND]     (default 1)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-1}
torch_python=${TORCH_PYTHON:-/tmp/torchenv/bin/python}
swift build -c release --product rnngen >/dev/null
rnngen=$(pwd)/.build/release/rnngen
folder=$(mktemp -d)
trap 'rm -rf "$folder"' EXIT
cd "$folder"

python3 - <<'PY'
import json, random
random.seed(7)
def matrix(rows, cols, scale): return [[random.uniform(-scale, scale) for _ in range(cols)] for _ in range(rows)]
def vector(n, scale): return [random.uniform(-scale, scale) for _ in range(n)]
def model(name, cell, inputs, hidden, outputs):
    gates = {"rnn": 1, "lstm": 4, "gru": 3}[cell]
    s = hidden ** -0.5
    return {"rnngen": 1, "name": name, "input_size": inputs, "pipeline": [
        {"recurrent": {"cell": cell, "hidden_sizes": [hidden], "weights": [
            {"W": matrix(gates * hidden, inputs, s), "R": matrix(gates * hidden, hidden, s), "B": vector(2 * gates * hidden, s)}]}},
        {"dense": {"weight": matrix(outputs, hidden, s), "bias": vector(outputs, s)}}]}
json.dump(model("echo", "rnn", 2, 4, 2), open("echo.rnn.json", "w"))
json.dump(model("lstm", "lstm", 16, 64, 16), open("lstm.rnn.json", "w"))
PY

# name steps batch loss optimizer inputs outputs
cases="echo 5 200 cross-entropy adagrad 2 2
lstm 64 32 mse adam 16 16"

while read -r name steps batch loss optimizer inputs outputs; do
  "$rnngen" generate $name.rnn.json --training --lang c --steps $steps --batch-tile $batch --loss $loss --out . >/dev/null
  "$rnngen" generate $name.rnn.json --training --lang swift --steps $steps --batch-tile $batch --loss $loss --out swift_$name >/dev/null
  upper=$(echo $name | tr a-z A-Z)
  type=$(basename swift_$name/*.swift .swift)
  labels=$([ $loss = cross-entropy ] && echo 1 || echo 0)
  if [ $optimizer = adagrad ]; then
    c_step="${name}_train_adagrad(params, grads, opt, 0.1f, 0.0f);"
    swift_step="$type.adagrad(params: params, grads: grads, accumulator: opt, learningRate: 0.1, clipNorm: 0)"
  else
    c_step="${name}_train_adam(params, grads, opt, 0.001f, 0.9f, 0.999f, 1e-8f, 0.0f);"
    swift_step="$type.adam(params: params, grads: grads, moments: opt, learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, clipNorm: 0)"
  fi
  cat > bench_$name.c <<EOF
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "${name}_train.h"
#define P ${upper}_TRAIN_PARAMETERS
#define B ${upper}_TRAIN_BATCH
#define K ${upper}_TRAIN_STEPS
static float params[P], grads[P], opt[2 * P + 2], state[${upper}_TRAIN_STATE_FLOATS], work[${upper}_TRAIN_WORKSPACE_FLOATS];
static float x[B * K * ${upper}_TRAIN_INPUT_SIZE], target[B * K * ${upper}_TRAIN_OUTPUT_SIZE];
static int32_t labels[B * K];
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
int main(void)
{
    srand(1);
    for (int i = 0; i < B * K * ${upper}_TRAIN_INPUT_SIZE; ++i) x[i] = (float)rand() / RAND_MAX - 0.5f;
    for (int i = 0; i < B * K * ${upper}_TRAIN_OUTPUT_SIZE; ++i) target[i] = (float)rand() / RAND_MAX - 0.5f;
    for (int i = 0; i < B * K; ++i) labels[i] = rand() % ${upper}_TRAIN_OUTPUT_SIZE;
    ${name}_train_initial_parameters(params);
    for (int i = 0; i < P; ++i) opt[i] = 0.1f;
    opt[2 * P] = opt[2 * P + 1] = 1.0f;
    double best = 1e30;
    for (int round = 0; round < 5; ++round) {
        long steps = 0;
        const double start = now();
        double elapsed = 0.0;
        while (elapsed < $seconds) {
            ${name}_train_gradients(params, state, x, $([ $labels = 1 ] && echo labels || echo target), 1.0f / (B * K), grads, work);
            $c_step
            ++steps;
            elapsed = now() - start;
        }
        if (elapsed / steps < best) best = elapsed / steps;
    }
    printf("%.1f\n", 1.0 / best);
    return 0;
}
EOF
  cc -std=c99 -O3 -march=native -I. bench_$name.c ${name}_train.c -lm -o bench_${name}_c
  cat > main.swift <<EOF
import Foundation
let P = $type.parameters, B = $type.batch, K = $type.steps
func floats(_ n: Int, _ v: Float = 0) -> UnsafeMutablePointer<Float> { let p = UnsafeMutablePointer<Float>.allocate(capacity: n); p.initialize(repeating: v, count: n); return p }
let params = floats(P), grads = floats(P), opt = floats(2 * P + 2, 0.1), state = floats(max($type.stateFloats, 1)), work = floats($type.workspaceFloats)
(opt + P).update(repeating: 0, count: P); opt[2 * P] = 1; opt[2 * P + 1] = 1
var rng = SystemRandomNumberGenerator()
let x = floats(B * K * $type.inputSize), target = floats(B * K * $type.outputSize)
for i in 0..<(B * K * $type.inputSize) { x[i] = Float.random(in: -0.5..<0.5, using: &rng) }
for i in 0..<(B * K * $type.outputSize) { target[i] = Float.random(in: -0.5..<0.5, using: &rng) }
let labels = UnsafeMutablePointer<Int32>.allocate(capacity: B * K)
for i in 0..<(B * K) { labels[i] = Int32.random(in: 0..<Int32($type.outputSize), using: &rng) }
$type.initialParameters(params: params)
var best = Double.infinity
for _ in 0..<5 {
    var steps = 0
    let start = DispatchTime.now().uptimeNanoseconds
    var elapsed = 0.0
    while elapsed < $seconds {
        $type.gradients(params: params, state: state, x: x, $([ $labels = 1 ] && echo "labels: labels" || echo "target: target"), scale: 1 / Float(B * K), grads: grads, work: work)
        $swift_step
        steps += 1
        elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
    best = min(best, elapsed / Double(steps))
}
print(String(format: "%.1f", 1 / best))
EOF
  swiftc -O -wmo main.swift swift_$name/$type.swift -o bench_${name}_swift
done <<< "$cases"

cat > torch_bench.py <<'PY'
import sys, time, torch
torch.set_num_threads(1)
torch.manual_seed(1)
seconds = float(sys.argv[1])
def bench(cell, inputs, hidden, outputs, batch, steps, loss_kind, optimizer_kind):
    rnn = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM}[cell](inputs, hidden, batch_first=True)
    out = torch.nn.Linear(hidden, outputs)
    parameters = list(rnn.parameters()) + list(out.parameters())
    if optimizer_kind == "adagrad":
        opt = torch.optim.Adagrad(parameters, lr=0.1, initial_accumulator_value=0.1)
    else:
        opt = torch.optim.Adam(parameters, lr=0.001)
    x = torch.rand(batch, steps, inputs) - 0.5
    if loss_kind == "cross-entropy":
        y = torch.randint(0, outputs, (batch, steps))
        lossf = lambda logits: torch.nn.functional.cross_entropy(logits.reshape(-1, outputs), y.reshape(-1))
    else:
        y = torch.rand(batch, steps, outputs) - 0.5
        lossf = lambda prediction: torch.nn.functional.mse_loss(prediction, y)
    state = None
    best = float("inf")
    for _ in range(5):
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            h, state = rnn(x, state)
            loss = lossf(out(h))
            opt.zero_grad()
            loss.backward()
            opt.step()
            state = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
            n += 1
        best = min(best, (time.perf_counter() - start) / n)
    return 1 / best
print("%.1f" % bench("rnn", 2, 4, 2, 200, 5, "cross-entropy", "adagrad"))
print("%.1f" % bench("lstm", 16, 64, 16, 32, 64, "mse", "adam"))
PY

echo "training steps per second (one core; best of 5 rounds of ${seconds} s)"
printf '%-46s %12s %12s %12s %10s %10s\n' "model" "rnngen C" "rnngen Swift" "PyTorch" "C/PyTorch" "Swift/PyT."
if [ -x "$torch_python" ] && "$torch_python" -c "import torch" 2>/dev/null; then
  torch=($(taskset -c 1 "$torch_python" torch_bench.py "$seconds"))
  version=$("$torch_python" -c "import torch; print(torch.__version__)")
else
  torch=("" "")
  version="not installed"
fi
k=0
while read -r name steps batch loss optimizer inputs outputs; do
  c=$(taskset -c 1 ./bench_${name}_c)
  s=$(taskset -c 1 ./bench_${name}_swift)
  t=${torch[$k]}
  label=$([ $name = echo ] && echo "echo: RNN 2→4 + dense, B 200, K 5, Adagrad" || echo "LSTM 16→64 + dense, B 32, K 64, Adam")
  if [ -n "$t" ]; then
    printf '%-46s %12s %12s %12s %9.2fx %9.2fx\n' "$label" "$c" "$s" "$t" "$(echo "$c / $t" | bc -l)" "$(echo "$s / $t" | bc -l)"
  else
    printf '%-46s %12s %12s %12s\n' "$label" "$c" "$s" "-"
  fi
  k=$((k + 1))
done <<< "$cases"
echo "PyTorch $version, $(cc --version | head -1), -O3 -march=native; $(swiftc --version 2>&1 | head -1), -O"
