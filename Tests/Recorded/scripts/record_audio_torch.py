"""Records the PyTorch-made audio cases in Tests/Recorded/audio/.

Each case is a folder with `model.json` (the file as the audio tools write
it), `x.npy` (float32 [B, T, I] inputs: a signal in [-1, 1] and, where the
model has them, knob values) and `expected_y.npy` (PyTorch's float32 output
[B, T, O], batch-major).

Formats:
- the Automated-GuitarAmpModelling JSON: `{"model_data": …, "state_dict": …}`
  as its SimpleRNN and RecNet classes save it (state-dict tensors as nested
  lists), for a module that computes what those classes compute;
- a PyTorch state_dict dumped as JSON (`sd_*`), the file RTNeural's C++
  torch helpers load weights from;
- RTNeural's model JSON as its PyTorch export helper lays weights out (GRU
  gates reordered z, r, h and transposed; an LSTM's weight_ih flattened into
  one row and only bias_ih kept; a Linear weight flattened into one-element
  rows; PReLU slopes as [[…]]). The helper drops an LSTM's bias_hh, so the
  LSTM case zeroes it in the module before recording, as a model exported
  that way must have it.

Run with a Python that has torch and numpy (a scratch virtual environment):
    python record_audio_torch.py
"""
import json
import os

import numpy as np
import torch

HERE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "audio")


def listed(t):
    return t.detach().cpu().numpy().astype(np.float32).tolist()


def signal(batch, steps, features, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(steps) / 48000.0
    x = np.zeros((batch, steps, features), np.float32)
    for b in range(batch):
        tone = 0.8 * np.sin(2 * np.pi * (110 + 70 * b) * t) + 0.15 * rng.standard_normal(steps)
        x[b, :, 0] = np.clip(tone, -1, 1)
        for k in range(1, features):
            x[b, :, k] = rng.uniform(0, 1)  # a knob, constant over the buffer
    return x


def save(name, model_json, x, y):
    folder = os.path.join(HERE, name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "model.json"), "w") as f:
        json.dump(model_json, f)
    np.save(os.path.join(folder, "x.npy"), x.astype(np.float32))
    np.save(os.path.join(folder, "expected_y.npy"), y.astype(np.float32))
    print(name, x.shape, "->", y.shape)


class AmpRNN(torch.nn.Module):
    """A recurrent module, a linear layer, and the first `skip` inputs added."""

    def __init__(self, unit, inputs, hidden, layers, outputs, skip, bias):
        super().__init__()
        self.rec = getattr(torch.nn, unit)(inputs, hidden, layers)
        self.lin = torch.nn.Linear(hidden, outputs, bias=bias)
        self.skip = skip

    def forward(self, x):  # x: [T, B, I], as the training code feeds it
        y = self.lin(self.rec(x)[0])
        return y + x[:, :, 0:self.skip] if self.skip else y


def run_time_major(module, x):
    with torch.no_grad():
        y = module(torch.from_numpy(x).transpose(0, 1))
    return y.transpose(0, 1).numpy()


def guitar_amp_cases():
    cases = [
        ("agam_lstm20_skip", "LSTM", 1, 20, 1, 1, 1, True),
        ("agam_gru8_knob", "GRU", 2, 8, 1, 1, 1, True),
        ("agam_lstm8_2layers_noskip_nobias", "LSTM", 1, 8, 2, 1, 0, False),
        ("agam_rnn4_skip", "RNN", 1, 4, 1, 1, 1, True),
        ("agam_gru7_3knobs_2outputs", "GRU", 3, 7, 1, 2, 2, True),
    ]
    for seed, (name, unit, inputs, hidden, layers, outputs, skip, bias) in enumerate(cases):
        torch.manual_seed(100 + seed)
        module = AmpRNN(unit, inputs, hidden, layers, outputs, skip, bias).eval()
        x = signal(2, 300, inputs, seed)
        y = run_time_major(module, x)
        model_data = {"model": "SimpleRNN", "input_size": inputs, "skip": skip, "output_size": outputs,
                      "unit_type": unit, "num_layers": layers, "hidden_size": hidden, "bias_fl": bias}
        state = {k: listed(v) for k, v in module.state_dict().items()}
        save(name, {"model_data": model_data, "state_dict": state}, x, y)

    # RecNet: one block, its linear layer without a bias, a skip of 1 by default.
    torch.manual_seed(7)
    module = AmpRNN("GRU", 1, 12, 1, 1, 1, False).eval()
    x = signal(2, 300, 1, 11)
    y = run_time_major(module, x)
    block = {"block_type": "GRU", "input_size": 1, "output_size": 1, "hidden_size": 12}
    state = {"layers.block_1." + k: listed(v) for k, v in module.state_dict().items()}
    save("agam_recnet_gru12", {"model_data": {"model": "RecNet", "skip": 0}, "blocks": {"0": block},
                               "training_info": {"current_epoch": 1}, "state_dict": state}, x, y)


def gru_weights(gru):
    """RTNeural's layout for a PyTorch GRU: gates z, r, h; kernels [in][3H]."""
    H = gru.hidden_size

    def swap(m):
        m = m.detach().numpy().copy()
        m[:2 * H] = np.concatenate([m[H:2 * H], m[:H]])
        return m

    return [swap(gru.weight_ih_l0).T.tolist(), swap(gru.weight_hh_l0).T.tolist(),
            [swap(gru.bias_ih_l0).tolist(), swap(gru.bias_hh_l0).tolist()]]


def lstm_weights(lstm):
    """RTNeural's PyTorch helper: weight_ih flattened into one row, the
    recurrent kernel as columns of weight_hh, bias_ih only."""
    return [[lstm.weight_ih_l0.detach().reshape(-1).tolist()],
            lstm.weight_hh_l0.detach().numpy().T.tolist(),
            lstm.bias_ih_l0.detach().tolist()]


def linear_weights(linear):
    return [[[w] for w in linear.weight.detach().reshape(-1).tolist()], linear.bias.detach().tolist()]


def layer(kind, units, weights, activation=""):
    return {"type": kind, "activation": activation, "shape": [None, None, units], "weights": weights}


def rtneural_torch_cases():
    # GRU(1, 8) → Linear(8, 1).
    torch.manual_seed(21)
    gru, linear = torch.nn.GRU(1, 8, batch_first=True), torch.nn.Linear(8, 1)
    x = signal(2, 300, 1, 21)
    with torch.no_grad():
        y = linear(gru(torch.from_numpy(x))[0]).numpy()
    save("rtn_torch_gru8", {"in_shape": [None, 300, 1], "layers": [
        layer("gru", 8, gru_weights(gru), "tanh"), layer("dense", 1, linear_weights(linear))]}, x, y)

    # LSTM(2, 12) → Linear(12, 3) → PReLU(3) → Tanh → Linear(3, 1).
    torch.manual_seed(22)
    lstm = torch.nn.LSTM(2, 12, batch_first=True)
    with torch.no_grad():
        lstm.bias_hh_l0.zero_()
    linear, prelu, out = torch.nn.Linear(12, 3), torch.nn.PReLU(3), torch.nn.Linear(3, 1)
    with torch.no_grad():
        prelu.weight.copy_(torch.tensor([0.1, -0.3, 0.6]))
    x = signal(2, 300, 2, 22)
    with torch.no_grad():
        y = out(torch.tanh(prelu(linear(lstm(torch.from_numpy(x))[0]).transpose(1, 2)).transpose(1, 2))).numpy()
    save("rtn_torch_lstm12_prelu", {"in_shape": [None, 300, 2], "layers": [
        layer("lstm", 12, lstm_weights(lstm), "tanh"), layer("dense", 3, linear_weights(linear)),
        layer("prelu", 3, [[prelu.weight.detach().tolist()]]), layer("activation", 3, [], "tanh"),
        layer("dense", 1, linear_weights(out))]}, x, y)


def state_dict_cases():
    """A PyTorch state_dict dumped as JSON, the file RTNeural's C++ torch
    helpers load: tensors only, modules in registration order."""

    class Stacked(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = torch.nn.GRU(1, 8, batch_first=True)
            self.gru2 = torch.nn.GRU(8, 8, num_layers=3, batch_first=True)
            self.dense = torch.nn.Linear(8, 1)

        def forward(self, x):
            return self.dense(self.gru2(self.gru(x)[0])[0])

    class LSTMPReLU(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(2, 6, batch_first=True)
            self.hidden = torch.nn.Linear(6, 4)
            self.prelu = torch.nn.PReLU(4)
            self.out = torch.nn.Linear(4, 1)

        def forward(self, x):
            h = self.hidden(self.lstm(x)[0])
            return self.out(self.prelu(h.transpose(1, 2)).transpose(1, 2))

    for seed, (name, module, inputs) in enumerate([("sd_torch_gru_gru3_dense", Stacked(), 1), ("sd_torch_lstm_prelu", LSTMPReLU(), 2)]):
        torch.manual_seed(300 + seed)
        for p in module.parameters():
            torch.nn.init.uniform_(p, -0.5, 0.5)
        module.eval()
        x = signal(2, 200, inputs, 30 + seed)
        with torch.no_grad():
            y = module(torch.from_numpy(x)).numpy()
        save(name, {k: listed(v) for k, v in module.state_dict().items()}, x, y)


if __name__ == "__main__":
    guitar_amp_cases()
    rtneural_torch_cases()
    state_dict_cases()
