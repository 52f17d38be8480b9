"""By hand: ``tf.train.Checkpoint`` files cross between real TensorFlow and tensorhouse.

    .venv/bin/python tests/compat/check_checkpoint_cross.py tensorhouse write /tmp/xc
    /tmp/tfv/bin/python tests/compat/check_checkpoint_cross.py tf read /tmp/xc
    /tmp/tfv/bin/python tests/compat/check_checkpoint_cross.py tf write /tmp/xc2
    .venv/bin/python tests/compat/check_checkpoint_cross.py tensorhouse read /tmp/xc2

``write`` builds, trains one Adam step and checkpoints (``Checkpoint(model=, optimizer=)
.save``) three models (Sequential with BatchNormalization, a two-input functional model, a
subclassed model with sublayers, a nested Sequential and a weight in attributes) and a
``tf.Module`` holding a list and a dict, with the values and predictions in ``expected.npz``;
``read`` builds them fresh, restores, calls ``assert_consumed`` and
checks every value, the predictions and the checkpoint keys against its own writer's.
"""

from __future__ import annotations

import os
import sys

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
LIB, MODE, DIR = sys.argv[1:4]
if LIB == "tf":
    import keras
    import tensorflow as tf

    Variable, Module, train = tf.Variable, tf.Module, tf.train
else:
    import tensorhouse_models as keras
    import tensorhouse_ops as ops
    from tensorhouse_models import train

    Variable, Module = ops.Variable, ops.Module

L = keras.layers
X = np.linspace(-1, 1, 12).reshape(4, 3).astype("float32")
Y = np.linspace(0, 1, 8).reshape(4, 2).astype("float32")


class Sub(keras.Model):
    def __init__(self):
        super().__init__()
        self.first = L.Dense(4, activation="tanh")
        self.norm = L.LayerNormalization()
        self.block = keras.Sequential([L.Dense(3), L.Dense(2)])
        self.scale = self.add_weight(shape=(2,), initializer="ones", name="scale")

    def call(self, x):
        return self.block(self.norm(self.first(x))) * self.scale


def models():
    seq = keras.Sequential([
        keras.Input((3,)), L.Dense(4, activation="relu"), L.BatchNormalization(), L.Dense(2),
    ])  # fmt: skip
    a, b = keras.Input((3,)), keras.Input((2,))
    func = keras.Model([a, b], L.Dense(2)(L.Concatenate()([L.Dense(4)(a), b])))
    sub = Sub()
    sub(X)
    return {"seq": (seq, X), "func": (func, [X, Y]), "sub": (sub, X)}


def module():
    mod = Module()
    mod.w = Variable(np.zeros((2, 2), "float32"))
    mod.items = [Variable(0, dtype="int64"), {"a": Variable(np.zeros(2), dtype="float64")}]
    return mod


def write():
    expected = {}
    for name, (model, x) in models().items():
        opt = keras.optimizers.Adam(0.01)
        model.compile(opt, "mse")
        model.fit(x, Y, epochs=2, verbose=0)
        train.Checkpoint(model=model, optimizer=opt).save(os.path.join(DIR, name, "ckpt"))
        expected[f"{name}_pred"] = model.predict(x, verbose=0)
        for i, v in enumerate(opt.variables):
            expected[f"{name}_opt_{i}"] = np.asarray(v.numpy())
    mod = module()
    mod.w.assign(np.arange(4, dtype="float32").reshape(2, 2))
    mod.items[0].assign(7)
    mod.items[1]["a"].assign([0.5, 1.5])
    train.Checkpoint(module=mod).write(os.path.join(DIR, "module", "ckpt"))
    np.savez(os.path.join(DIR, "expected.npz"), **expected)
    print("wrote", DIR)


def keys(path):
    return sorted(k for k, _ in train.list_variables(path))


def read():
    expected = np.load(os.path.join(DIR, "expected.npz"))
    for name, (model, x) in models().items():
        opt = keras.optimizers.Adam(0.01)
        model.compile(opt, "mse")
        opt.build(model.trainable_variables)  # TF restores slots only into a built optimizer
        path = train.latest_checkpoint(os.path.join(DIR, name))
        train.Checkpoint(model=model, optimizer=opt).restore(path).assert_consumed()
        np.testing.assert_allclose(
            model.predict(x, verbose=0), expected[f"{name}_pred"], 1e-5, 1e-6
        )
        count = len([k for k in expected if k.startswith(f"{name}_opt_")])
        assert len(opt.variables) == count, (name, len(opt.variables), count)
        for i, v in enumerate(opt.variables):
            np.testing.assert_allclose(v.numpy(), expected[f"{name}_opt_{i}"], err_msg=name)
        mine = train.Checkpoint(model=model, optimizer=opt).write(os.path.join(DIR, "mine", name))
        assert keys(mine) == [k for k in keys(path) if not k.startswith("save_counter")], name
        print(name, "ok:", len(keys(path)), "keys")
    mod = module()
    train.Checkpoint(module=mod).read(os.path.join(DIR, "module", "ckpt")).assert_consumed()
    np.testing.assert_array_equal(mod.w.numpy(), [[0, 1], [2, 3]])
    assert int(mod.items[0].numpy()) == 7
    np.testing.assert_array_equal(mod.items[1]["a"].numpy(), [0.5, 1.5])
    print("module ok")


write() if MODE == "write" else read()
