"""Records the Keras-made audio cases in Tests/Recorded/audio/.

Each case is a folder with `model.json` in RTNeural's model JSON as its
Keras export helper writes it (`in_shape`, and per layer `type`,
`activation`, `shape` and `weights` = `layer.get_weights()`), `x.npy`
(float32 [B, T, I]) and `expected_y.npy` (Keras's float32 output
[B, T, O]). The `rtn_keras_lstm12_in_skip` case adds the top-level
`"in_skip": 1` that amp plug-ins write when the model adds its input to the
output; its recorded output is Keras's plus the input.

Run with a Python that has tensorflow (Keras 3) and numpy:
    python record_audio_keras.py
"""
import json
import os

import numpy as np
import keras

HERE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "audio")
ACTIVATIONS = {"tanh": "tanh", "relu": "relu", "sigmoid": "sigmoid", "softmax": "softmax", "elu": "elu"}


def activation_name(layer):
    if isinstance(layer, keras.layers.TimeDistributed):
        return activation_name(layer.layer)
    f = getattr(layer, "activation", None)
    name = getattr(f, "__name__", "")
    return ACTIVATIONS.get(name, "")


def layer_type(layer):
    if isinstance(layer, keras.layers.TimeDistributed):
        return "time-distributed-dense"
    for cls, name in [(keras.layers.GRU, "gru"), (keras.layers.LSTM, "lstm"), (keras.layers.Dense, "dense"),
                      (keras.layers.PReLU, "prelu"), (keras.layers.Activation, "activation")]:
        if isinstance(layer, cls):
            return name
    return "unknown"


def model_json(model):
    layers = []
    for layer in model.layers:
        layers.append({"type": layer_type(layer), "activation": activation_name(layer),
                       "shape": list(layer.output.shape), "weights": [w.tolist() for w in layer.get_weights()]})
    return {"in_shape": list(model.inputs[0].shape), "layers": layers}


def signal(batch, steps, features, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(steps) / 48000.0
    x = np.zeros((batch, steps, features), np.float32)
    for b in range(batch):
        x[b, :, 0] = np.clip(0.7 * np.sin(2 * np.pi * (220 + 90 * b) * t) + 0.2 * rng.standard_normal(steps), -1, 1)
        for k in range(1, features):
            x[b, :, k] = rng.uniform(0, 1)
    return x


def randomize(model, seed):
    """Trained-looking weights: every weight drawn at random, biases too."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        layer.set_weights([rng.uniform(-0.6, 0.6, w.shape).astype(np.float32) for w in layer.get_weights()])


def save(name, model, x, extra=None, add_input=0):
    y = model.predict(x, verbose=0)
    if add_input:
        y = y + x[:, :, :add_input]
    doc = model_json(model)
    if extra:
        doc.update(extra)
    folder = os.path.join(HERE, name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "model.json"), "w") as f:
        json.dump(doc, f)
    np.save(os.path.join(folder, "x.npy"), x.astype(np.float32))
    np.save(os.path.join(folder, "expected_y.npy"), y.astype(np.float32))
    print(name, x.shape, "->", y.shape)


def case(name, inputs, layers, seed, steps=200, **kwargs):
    model = keras.Sequential([keras.Input((None, inputs))] + layers)
    randomize(model, seed)
    save(name, model, signal(2, steps, inputs, seed), **kwargs)


if __name__ == "__main__":
    L = keras.layers
    # RTNeural's own test shape: Dense → GRU → Dense → Dense.
    case("rtn_keras_dense_gru_dense_dense", 1, [L.Dense(8, activation="tanh"), L.GRU(8, return_sequences=True), L.Dense(8, activation="relu"), L.Dense(1)], 31)
    case("rtn_keras_lstm_stack", 2, [L.LSTM(16, return_sequences=True), L.LSTM(8, return_sequences=True),
                                     L.TimeDistributed(L.Dense(1, activation="sigmoid"))], 32)
    case("rtn_keras_gru_reset_before_prelu", 3, [L.GRU(6, reset_after=False, return_sequences=True), L.Dense(4),
                                                  L.Activation("elu"), L.PReLU(shared_axes=[1]), L.Dense(2, activation="softmax")], 33)
    case("rtn_keras_gru_activation_after", 1, [L.GRU(5, return_sequences=True), L.Activation("tanh"), L.Dense(3, activation="elu"),
                                               L.Dense(1)], 34)
    case("rtn_keras_lstm12_in_skip", 1, [L.LSTM(12, return_sequences=True), L.Dense(1)], 35, extra={"in_skip": 1}, add_input=1)
    case("rtn_keras_dense_only", 2, [L.Dense(6, activation="relu"), L.Dense(3, activation="tanh"), L.Dense(1)], 36)
