"""By hand: whole-model ``.keras`` files cross between real Keras and tensorhouse.

    /tmp/tfv/bin/python tests/compat/check_keras_file_cross.py keras write /tmp/xk
    .venv/bin/python tests/compat/check_keras_file_cross.py tensorhouse read /tmp/xk
    .venv/bin/python tests/compat/check_keras_file_cross.py tensorhouse write /tmp/xk2
    /tmp/tfv/bin/python tests/compat/check_keras_file_cross.py keras read /tmp/xk2

``write`` builds, compiles, trains one epoch and saves with ``model.save`` four models:
a Sequential CNN (Conv2D, MaxPooling2D, Flatten, Dense, BatchNormalization, Dropout), a
Functional model with two inputs, a shared layer and a nested Sequential, an uncompiled
Functional model and a recurrent Sequential (Embedding, LSTM, Bidirectional GRU, RMSprop);
with each, its predictions and optimizer values. ``read`` loads each file with ``load_model``
alone (no model code), and checks the predictions, the optimizer's class and values, the layer
names and the archive's members against what was written, then trains on from the restored
state.
"""

from __future__ import annotations

import json
import os
import sys
import zipfile

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
LIB = sys.argv[1]
if LIB == "keras":
    import keras

    load_model = keras.saving.load_model
else:
    import tensorhouse_models as keras
    from tensorhouse_models.saving import load_model

RNG = np.random.default_rng(0)
XI = RNG.random((16, 8, 8, 1), dtype=np.float32)
YI = RNG.integers(0, 3, 16)
XA = RNG.standard_normal((16, 3)).astype("float32")
XB = RNG.standard_normal((16, 2)).astype("float32")
YF = RNG.standard_normal((16, 2)).astype("float32")
XS = RNG.integers(0, 10, (16, 5)).astype("int32")


def cnn():
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(6),
            keras.layers.BatchNormalization(),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(
        keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model, XI, YI


def two_inputs():
    a = keras.Input((3,), name="a")
    b = keras.Input((2,), name="b")
    shared = keras.layers.Dense(3, activation="tanh", name="shared")
    h = keras.layers.Concatenate()([shared(shared(a)), b])
    inner = keras.Sequential([keras.Input((5,)), keras.layers.Dense(2)], name="inner")
    model = keras.Model([a, b], inner(h))
    model.compile(keras.optimizers.Adam(0.02), "mse", metrics=["mae"])
    return model, [XA, XB], YF


def uncompiled():
    a = keras.Input((3,), name="a")
    b = keras.Input((2,), name="b")
    out = keras.layers.Dense(1)(keras.layers.Concatenate()([keras.layers.Dense(4)(a), b]))
    return keras.Model([a, b], out), [XA, XB], None


def rnn():
    model = keras.Sequential(
        [
            keras.Input((5,), dtype="int32"),
            keras.layers.Embedding(10, 4),
            keras.layers.LSTM(3, return_sequences=True),
            keras.layers.Bidirectional(keras.layers.GRU(2)),
            keras.layers.Dense(2, kernel_regularizer=keras.regularizers.L2(0.01)),
        ]
    )
    model.compile(keras.optimizers.RMSprop(0.01), "mse")
    return model, XS, YF


def predict(model, x):
    """Inference-mode outputs (a direct call: tensorhouse's ``predict`` does not yet split a
    list of inputs into batches)."""
    return np.asarray(model(x, training=False))


BUILDERS = {"cnn": cnn, "two_inputs": two_inputs, "uncompiled": uncompiled, "rnn": rnn}


def write(directory):
    os.makedirs(directory, exist_ok=True)
    for name, build in BUILDERS.items():
        model, x, y = build()
        if y is not None:
            model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
        model.save(os.path.join(directory, f"{name}.keras"))
        np.save(os.path.join(directory, f"{name}.pred.npy"), predict(model, x))
        values = [] if y is None else [np.asarray(v.numpy()) for v in model.optimizer.variables]
        np.savez(os.path.join(directory, f"{name}.opt.npz"), *values)
        print(f"{LIB} wrote {name}")


def read(directory):
    ok = True
    for name, build in BUILDERS.items():
        path = os.path.join(directory, f"{name}.keras")
        model = load_model(path)
        reference, x, y = build()
        pred = predict(model, x)
        diff = float(np.max(np.abs(pred - np.load(os.path.join(directory, f"{name}.pred.npy")))))
        opt = np.load(os.path.join(directory, f"{name}.opt.npz"))
        if y is None:
            opt_ok = not model.compiled
        else:
            opt_ok = (
                type(model.optimizer).__name__ == type(reference.optimizer).__name__
                and len(opt.files) == len(model.optimizer.variables)
                and all(
                    np.array_equal(np.asarray(v.numpy()), opt[f"arr_{i}"])
                    for i, v in enumerate(model.optimizer.variables)
                )
            )
        names_ok = [layer.name for layer in model.layers] == [
            layer.name for layer in json_layers(path)
        ]
        with zipfile.ZipFile(path) as zf:
            members_ok = zf.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
            meta = json.loads(zf.read("metadata.json"))
            members_ok &= sorted(meta) == ["date_saved", "keras_version"]
        if y is not None:  # training goes on from the restored state
            model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
        good = diff < 1e-5 and opt_ok and names_ok and members_ok
        ok &= good
        print(
            f"{LIB} read {name}: max |pred diff| = {diff:.2e}, optimizer restored: {opt_ok}, "
            f"layer names: {names_ok}, archive members: {members_ok} -> "
            f"{'OK' if good else 'FAIL'}"
        )
    return ok


class _Named:
    def __init__(self, name):
        self.name = name


def json_layers(path):
    """The layer names config.json lists (leaving out Sequential's InputLayer, as Keras's
    ``model.layers`` does)."""
    with zipfile.ZipFile(path) as zf:
        config = json.loads(zf.read("config.json"))
    items = config["config"]["layers"]
    if config["class_name"] == "Sequential":
        items = [i for i in items if i["class_name"] != "InputLayer"]
    return [_Named(i["config"]["name"]) for i in items]


if __name__ == "__main__":
    action, directory = sys.argv[2], sys.argv[3]
    if action == "write":
        write(directory)
    else:
        sys.exit(0 if read(directory) else 1)
