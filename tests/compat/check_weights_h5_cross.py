"""By hand: ``.weights.h5`` files cross between real Keras and tensorhouse.

    /tmp/tfv/bin/python tests/compat/check_weights_h5_cross.py keras write /tmp/xw
    .venv/bin/python tests/compat/check_weights_h5_cross.py tensorhouse read /tmp/xw
    .venv/bin/python tests/compat/check_weights_h5_cross.py tensorhouse write /tmp/xw2
    /tmp/tfv/bin/python tests/compat/check_weights_h5_cross.py keras read /tmp/xw2

``write`` builds, trains one step and saves three models (Sequential with BatchNormalization,
Functional with a shared layer and a nested Sequential, a subclassed model with a layer holding
sublayers in attributes and a list) with their predictions and optimizer values; ``read``
builds the same models fresh, loads the files, and checks predictions, optimizer values and
the file layout (every dataset path and shape) against its own writer.
"""

from __future__ import annotations

import os
import sys

import h5py
import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
LIB = sys.argv[1]
if LIB == "keras":
    import keras

    def save(model, path):
        model.save_weights(path)

    def load(model, path):
        model.load_weights(path)
else:
    import tensorhouse_models as keras
    from tensorhouse_models import saving

    def save(model, path):
        saving.save_weights(model, path)

    def load(model, path):
        saving.load_weights(model, path)


class Block(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.second = keras.layers.Dense(3)
        self.first = keras.layers.Dense(3, activation="tanh")
        self.stack = [keras.layers.Dense(3), keras.layers.Dense(3)]
        self.scale = self.add_weight(shape=(3,), initializer="ones", name="scale")

    def call(self, x):
        x = self.second(self.first(x))
        for layer in self.stack:
            x = layer(x)
        return x * self.scale


class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.head = keras.layers.Dense(2)
        self.bias = self.add_weight(shape=(2,), initializer="zeros", name="bias")

    def call(self, x):
        return self.head(self.block(x)) + self.bias


def sequential():
    return keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(5, activation="relu"),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(2),
        ]
    )


def functional():
    inputs = keras.Input((4,))
    shared = keras.layers.Dense(4, activation="tanh")
    inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    return keras.Model(inputs, inner(shared(shared(inputs))))


def subclassed():
    model = Net()
    model(np.zeros((1, 4), "float32"))
    return model


BUILDERS = {"sequential": sequential, "functional": functional, "subclassed": subclassed}
X = np.linspace(-1, 1, 32, dtype="float32").reshape(8, 4)
Y = np.cos(np.arange(16, dtype="float32")).reshape(8, 2)


def layout(path):
    out = {}

    def visit(name, obj):  # returns None: h5py stops at the first non-None
        out[name] = tuple(obj.shape) if isinstance(obj, h5py.Dataset) else "group"

    with h5py.File(path, "r") as f:
        f.visititems(visit)
    return out


def compiled(name):
    model = BUILDERS[name]()
    model.compile(keras.optimizers.Adam(0.05), "mse")
    return model


def write(directory):
    os.makedirs(directory, exist_ok=True)
    for name in BUILDERS:
        model = compiled(name)
        model.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        save(model, os.path.join(directory, f"{name}.weights.h5"))
        np.save(
            os.path.join(directory, f"{name}.pred.npy"), np.asarray(model.predict(X, verbose=0))
        )
        np.savez(
            os.path.join(directory, f"{name}.opt.npz"),
            *[np.asarray(v.numpy()) for v in model.optimizer.variables],
        )
        print(f"{LIB} wrote {name}")


def read(directory):
    ok = True
    for name in BUILDERS:
        path = os.path.join(directory, f"{name}.weights.h5")
        model = compiled(name)
        model.optimizer.build(model.trainable_variables)
        load(model, path)
        pred = np.asarray(model.predict(X, verbose=0))
        want = np.load(os.path.join(directory, f"{name}.pred.npy"))
        opt = np.load(os.path.join(directory, f"{name}.opt.npz"))
        opt_ok = all(
            np.array_equal(np.asarray(v.numpy()), opt[f"arr_{i}"])
            for i, v in enumerate(model.optimizer.variables)
        ) and len(opt.files) == len(model.optimizer.variables)
        mine = os.path.join(directory, f"{name}.{LIB}.weights.h5")
        save(model, mine)
        same_layout = layout(mine) == layout(path)
        diff = float(np.max(np.abs(pred - want)))
        good = diff < 1e-5 and opt_ok and same_layout
        ok &= good
        print(
            f"{LIB} read {name}: max |pred diff| = {diff:.2e}, optimizer values equal: "
            f"{opt_ok}, same layout: {same_layout} -> {'OK' if good else 'FAIL'}"
        )
    return ok


if __name__ == "__main__":
    action, directory = sys.argv[2], sys.argv[3]
    if action == "write":
        write(directory)
    else:
        sys.exit(0 if read(directory) else 1)
