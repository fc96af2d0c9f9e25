"""Records the Keras 3 cases of Tests/Recorded/keras3/.

Keras 3 changed `hard_sigmoid` from Keras 2's clip(0.2·x + 0.5, 0, 1) to
relu6(x + 3) / 6 = clip(x/6 + 0.5, 0, 1), and names the identity `linear`.
These cases run layers that use both through Keras itself and keep its
outputs, in the layout of the shared Keras fixtures (case.json, w__*.npy,
x.npy, expected_K.npy), so the same test code reads them.

Run from the repository root:
    KERAS_BACKEND=numpy python3 Tests/Recorded/scripts/record_keras3.py
(needs keras>=3 and numpy: pip install keras; the numpy backend runs
inference without TensorFlow, JAX or PyTorch)
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "numpy")
import numpy as np
import keras

out_root = "Tests/Recorded/keras3"
rng = np.random.default_rng(20261127)


def record(name, description, build, x):
    inputs = keras.Input(shape=x.shape[1:])
    outputs = build(inputs)
    model = keras.Model(inputs, outputs)
    # Random weights (biases too), large enough that hard_sigmoid's clipped
    # ends and its slope are both exercised.
    for v in model.weights:
        v.assign(rng.normal(0, 0.8, size=v.shape).astype(np.float32))
    results = model.predict(x, verbose=0)
    if not isinstance(results, (list, tuple)):
        results = [results]
    folder = os.path.join(out_root, name)
    os.makedirs(folder, exist_ok=True)
    weights = {}
    for v in model.weights:
        file = "w__" + v.path.replace("/", "__") + ".npy"
        np.save(os.path.join(folder, file), np.asarray(v.numpy(), dtype=np.float32))
        weights[v.path] = [file, list(v.shape)]
    np.save(os.path.join(folder, "x.npy"), x)
    outs = []
    for k, r in enumerate(results):
        np.save(os.path.join(folder, "expected_%d.npy" % k), np.asarray(r, dtype=np.float32))
        outs.append(["expected_%d.npy" % k, list(np.shape(r))])
    layers = [layer.get_config() for layer in model.layers[1:]]
    case = {"description": description, "keras": keras.__version__, "backend": keras.backend.backend(),
            "weights": weights, "outputs": outs, "layers": layers}
    with open(os.path.join(folder, "case.json"), "w") as f:
        json.dump(case, f, indent=1, default=str)
    print("wrote", folder, [np.shape(r) for r in results])


def x_of(batch, steps, features, scale):
    return (rng.normal(0, 1, size=(batch, steps, features)) * scale).astype(np.float32)


record("keras3_lstm_hard_sigmoid",
       "Keras 3 LSTM(6, recurrent_activation='hard_sigmoid') return_sequences + return_state [outputs, h, c]",
       lambda i: keras.layers.LSTM(6, recurrent_activation="hard_sigmoid", return_sequences=True, return_state=True)(i),
       x_of(3, 7, 4, 2.5))

record("keras3_gru_hard_sigmoid_linear_dense",
       "Keras 3 GRU(5, activation='hard_sigmoid', recurrent_activation='hard_sigmoid') -> Dense(3, 'linear') on every step",
       lambda i: keras.layers.Dense(3, activation="linear")(
           keras.layers.GRU(5, activation="hard_sigmoid", recurrent_activation="hard_sigmoid", return_sequences=True)(i)),
       x_of(2, 9, 3, 3.0))

record("keras3_rnn_linear_head_linear",
       "Keras 3 SimpleRNN(4, activation='linear') last state -> Dense(2, 'linear')",
       lambda i: keras.layers.Dense(2, activation="linear")(
           keras.layers.SimpleRNN(4, activation="linear", return_sequences=False)(i)),
       x_of(3, 5, 2, 1.0) * 0.5)
