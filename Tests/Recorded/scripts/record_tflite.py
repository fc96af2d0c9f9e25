"""Records TensorFlow Lite LSTM models and their runtimes' outputs for rnngen's
tests (Tests/Recorded/tflite/). Each case is a Keras LSTM model converted by
TensorFlow's TFLiteConverter — full-integer quantization (int8 activations and
weights, int16 cell) with a representative dataset, or float32 — saved as
model.tflite, with inputs and the outputs of two runtimes:

  expected_tflm.npy    TensorFlow Lite Micro's interpreter (the tflite-micro
                       package): the integer arithmetic rnngen reproduces
  expected_tflite.npy  TensorFlow Lite's interpreter (reference kernels)

Run in a scratch environment:
  python -m venv /tmp/venvtf && /tmp/venvtf/bin/pip install tensorflow tf_keras tflite-micro
  /tmp/venvtf/bin/python Tests/Recorded/scripts/record_tflite.py
TF_USE_LEGACY_KERAS=1 (set below) makes the converter fuse the Keras LSTM into
one UNIDIRECTIONAL_SEQUENCE_LSTM; Keras 3 layers convert to a WHILE loop.
"""
import json, os, sys
os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np
import tensorflow as tf
from tflite_micro.python.tflite_micro import runtime

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tflite")

# name: (batch, steps, inputs, [hidden sizes], weight scale, integer I/O, quantized, time major)
CASES = {
    "lstm_i8_h7": (1, 20, 3, [7], 1.0, True, True, False),
    "lstm_i8_h33": (1, 12, 5, [33], 1.0, True, True, False),
    "lstm_i8_wide_cell": (1, 10, 4, [9], 4.0, True, True, False),
    "lstm_i8_narrow_cell": (1, 8, 1, [16], 0.3, True, True, False),
    "lstm_i8_stacked_batch3": (3, 9, 4, [7, 5], 1.5, True, True, False),
    "lstm_i8_time_major": (2, 6, 3, [6], 1.0, True, True, True),
    "lstm_i8_float_io": (1, 15, 2, [12], 1.0, False, True, False),
    "lstm_float_h8": (2, 7, 3, [8], 1.0, False, False, False),
}


def build(batch, steps, inputs, hidden, scale, time_major, seed):
    tf.keras.backend.clear_session()
    tf.keras.utils.set_random_seed(seed)
    # A fixed batch: the converter's LSTM has fixed-size states.
    x = tf.keras.Input(batch_shape=(steps, batch, inputs) if time_major else (batch, steps, inputs))
    y = x
    for h in hidden:
        y = tf.keras.layers.LSTM(h, return_sequences=True, time_major=time_major)(y)
    model = tf.keras.Model(x, y)
    model.set_weights([w * scale for w in model.get_weights()])
    return model


def record(name, batch, steps, inputs, hidden, scale, integer_io, quantized, time_major, seed):
    rng = np.random.default_rng(seed)
    model = build(batch, steps, inputs, hidden, scale, time_major, seed)
    xshape = (steps, batch, inputs) if time_major else (batch, steps, inputs)
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    if quantized:
        calibration = [rng.uniform(-2, 2, xshape).astype(np.float32) for _ in range(40)]
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.representative_dataset = lambda: ([c] for c in calibration)
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if integer_io:
            conv.inference_input_type = tf.int8
            conv.inference_output_type = tf.int8
    data = conv.convert()
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    open(os.path.join(folder, "model.tflite"), "wb").write(data)

    interpreter = tf.lite.Interpreter(model_content=data, experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF)
    interpreter.allocate_tensors()
    ops = [op["op_name"] for op in interpreter._get_ops_details()]
    detail = interpreter.get_input_details()[0]
    assert tuple(detail["shape"]) == xshape, (detail["shape"], xshape)
    if detail["dtype"] == np.int8:
        x = rng.integers(-128, 128, xshape).astype(np.int8)
    else:
        x = rng.uniform(-2.5, 2.5, xshape).astype(np.float32)
    interpreter.set_tensor(detail["index"], x)
    interpreter.invoke()
    y_tflite = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])

    micro = runtime.Interpreter.from_bytes(data)
    micro.set_input(x, 0)
    micro.invoke()
    y_tflm = micro.get_output(0)

    np.save(os.path.join(folder, "x.npy"), x)
    np.save(os.path.join(folder, "expected_tflm.npy"), y_tflm)
    np.save(os.path.join(folder, "expected_tflite.npy"), y_tflite)
    differ = int((y_tflm != y_tflite).sum()) if y_tflm.dtype == np.int8 else None
    info = {
        "operators": ops, "batch": batch, "steps": steps, "inputs": inputs, "hidden": hidden,
        "weight_scale": scale, "quantized": quantized, "integer_io": integer_io, "time_major": time_major,
        "x_dtype": str(x.dtype), "y_dtype": str(y_tflm.dtype),
        "tflm_vs_tflite_differing_outputs": differ, "outputs": int(y_tflm.size),
        "tensorflow": tf.__version__,
    }
    json.dump(info, open(os.path.join(folder, "case.json"), "w"), indent=1, sort_keys=True)
    print(name, ops, "TFLM vs TFLite differing:", differ, "of", y_tflm.size)


def record_unsupported():
    """Files rnngen must refuse with an error naming what it found: an LSTM
    with a Dense layer after it (FULLY_CONNECTED), and a GRU (TFLite has no
    GRU operator; the converter unrolls it into generic operators)."""
    folder = os.path.join(OUT, "..", "tflite-unsupported")
    os.makedirs(folder, exist_ok=True)
    for name, layers, seed in [("lstm_dense", lambda y: tf.keras.layers.Dense(2)(tf.keras.layers.LSTM(4, return_sequences=True)(y)), 1),
                               ("gru", lambda y: tf.keras.layers.GRU(4, return_sequences=True)(y), 2)]:
        tf.keras.backend.clear_session()
        tf.keras.utils.set_random_seed(seed)
        x = tf.keras.Input(batch_shape=(1, 5, 3))
        data = tf.lite.TFLiteConverter.from_keras_model(tf.keras.Model(x, layers(x))).convert()
        open(os.path.join(folder, name + ".tflite"), "wb").write(data)
        ops = [op["op_name"] for op in tf.lite.Interpreter(model_content=data)._get_ops_details()]
        print(name, ops)


if __name__ == "__main__":
    for k, (name, spec) in enumerate(sorted(CASES.items())):
        record(name, *spec, seed=100 + k)
    record_unsupported()
