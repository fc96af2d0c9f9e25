"""Writes the safetensors state_dict cases of Tests/Recorded/safetensors/.

For each PyTorch case of the recorded fixtures (Tests/Fixtures/torch/), the
state_dict that torch saved as .npz is written again as model.safetensors with
the safetensors library, the way `safetensors.torch.save_file(module.state_dict())`
writes it (same header, same layout). The recorded inputs and outputs stay
where they are: the tests read them from Tests/Fixtures/torch/CASE/.

- every case: F32 (bit-identical to the recorded weights), so its outputs must
  match the recorded PyTorch outputs;
- torch_lstm_2layer_bidir also as F64, F16 and BF16: F64 holds the same
  values; F16 and BF16 round them, so each comes with rounded_f16.npz /
  rounded_bf16.npz, the rounded weights widened back to float32 by numpy and
  ml_dtypes, which a description must read to the same model.

Run from the repository root:  python3 Tests/Recorded/scripts/make_safetensors.py
(needs numpy, safetensors, ml_dtypes: pip install safetensors ml_dtypes)
"""
import os
import numpy as np
import ml_dtypes
from safetensors.numpy import save_file

fixtures = "Tests/Fixtures/torch"
out_root = "Tests/Recorded/safetensors"

for case in sorted(os.listdir(fixtures)):
    state = dict(np.load(os.path.join(fixtures, case, "state_dict.npz")))
    folder = os.path.join(out_root, case)
    os.makedirs(folder, exist_ok=True)
    save_file({k: v.astype(np.float32) for k, v in state.items()}, os.path.join(folder, "model.safetensors"),
              metadata={"format": "pt"})
    if case == "torch_lstm_2layer_bidir":
        save_file({k: v.astype(np.float64) for k, v in state.items()}, os.path.join(folder, "model_f64.safetensors"))
        for name, dtype in [("f16", np.float16), ("bf16", ml_dtypes.bfloat16)]:
            narrow = {k: v.astype(dtype) for k, v in state.items()}
            save_file(narrow, os.path.join(folder, "model_%s.safetensors" % name))
            np.savez(os.path.join(folder, "rounded_%s.npz" % name), **{k: v.astype(np.float32) for k, v in narrow.items()})
    print("wrote", folder)
