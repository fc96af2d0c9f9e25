"""Writes the embedded benchmark models: the sizes guitar-amp and effect
captures use on microcontrollers (GRU (1,8), LSTM (1,8), LSTM (2,20)), with
seeded random weights in PyTorch's layout and PyTorch's initialisation
(uniform in ±1/sqrt(H)). Run from this folder: python3 make_models.py"""
import json
import os

import numpy as np

MODELS = [("gru_i1_h8", "gru", 1, 8), ("lstm_i1_h8", "lstm", 1, 8), ("lstm_i2_h20", "lstm", 2, 20)]

for name, cell, inputs, hidden in MODELS:
    rng = np.random.default_rng(sum(map(ord, name)))
    gates = {"gru": 3, "lstm": 4}[cell]
    bound = 1.0 / np.sqrt(hidden)

    def uniform(*shape):
        return rng.uniform(-bound, bound, size=shape).astype(np.float32)

    os.makedirs(name, exist_ok=True)
    np.savez(os.path.join(name, "state_dict.npz"),
             weight_ih_l0=uniform(gates * hidden, inputs), weight_hh_l0=uniform(gates * hidden, hidden),
             bias_ih_l0=uniform(gates * hidden), bias_hh_l0=uniform(gates * hidden))
    description = {
        "rnngen": 1,
        "name": f"mcu_{name}",
        "comment": f"Embedded benchmark model: nn.{cell.upper()}({inputs}, {hidden}), the size of a guitar-amp capture, "
                   "with seeded random weights in PyTorch's layout (models/embedded/make_models.py).",
        "framework": "pytorch",
        "input_size": inputs,
        "layout": "batch_major",
        "pipeline": [{"recurrent": {"cell": cell, "hidden_size": hidden, "state_dict": "state_dict.npz"}}],
    }
    with open(os.path.join(name, "model.rnn.json"), "w") as f:
        json.dump(description, f, indent=2)
        f.write("\n")
