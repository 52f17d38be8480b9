"""Writes the checkpoints in this folder with real TensorFlow (needs TF 2.21 + Keras 3):

    /tmp/tfv/bin/python tests/compat/data/checkpoints/make_checkpoints.py

``model/``: ``tf.train.Checkpoint(model=..., optimizer=...).save`` of a Sequential (Dense, relu,
BatchNormalization, Dense) trained one Adam step, with ``model_expected.npz`` (weights, optimizer
variables in Keras's order, predictions on ``x``). ``module/``: ``write`` of a ``tf.Module``
holding variables in attributes, a list and a dict. ``managed/``: a ``CheckpointManager``
(``max_to_keep=2``) after three saves of ``v`` = 1, 2, 3 (``ckpt-2``, ``ckpt-3`` remain).
``iterator/``: ``write`` of ``Checkpoint(it=iter(Dataset.range(5)))`` after one ``next`` (TF's
opaque variant state, which tensorhouse refuses to restore).
"""

from __future__ import annotations

import os
import shutil

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras
import tensorflow as tf

HERE = os.path.dirname(os.path.abspath(__file__))


def make_model():
    model = keras.Sequential([
        keras.Input((3,)), keras.layers.Dense(4, activation="relu"),
        keras.layers.BatchNormalization(), keras.layers.Dense(2),
    ])  # fmt: skip
    weights = []
    for i, w in enumerate(model.get_weights()):
        values = np.linspace(-0.5, 0.7, w.size).reshape(w.shape) * (1 + 0.1 * i)
        weights.append(np.abs(values) + 0.5 if i == 5 else values)  # moving_variance > 0
    model.set_weights([w.astype("float32") for w in weights])
    return model


def main():
    for sub in ("model", "module", "managed", "iterator"):
        shutil.rmtree(os.path.join(HERE, sub), ignore_errors=True)
    x = np.linspace(-1, 1, 12).reshape(4, 3).astype("float32")
    y = np.linspace(0, 1, 8).reshape(4, 2).astype("float32")
    model = make_model()
    opt = keras.optimizers.Adam(0.01)
    model.compile(opt, "mse")
    model.train_on_batch(x, y)
    tf.train.Checkpoint(model=model, optimizer=opt).save(os.path.join(HERE, "model", "ckpt"))
    np.savez(
        os.path.join(HERE, "model_expected.npz"), x=x, predictions=model.predict(x, verbose=0),
        **{f"weight_{i}": w for i, w in enumerate(model.get_weights())},
        **{f"opt_{i}": v.numpy() for i, v in enumerate(opt.variables)},
    )  # fmt: skip

    module = tf.Module()
    module.w = tf.Variable(np.arange(4, dtype="float32").reshape(2, 2))
    module.items = [
        tf.Variable(7, dtype=tf.int64),
        {"a": tf.Variable([0.5, 1.5], dtype=tf.float64)},
    ]
    tf.train.Checkpoint(module=module).write(os.path.join(HERE, "module", "ckpt"))

    v = tf.Variable(0.0)
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(v=v), os.path.join(HERE, "managed"), 2)
    for value in (1.0, 2.0, 3.0):
        v.assign(value)
        manager.save()

    it = iter(tf.data.Dataset.range(5))
    next(it)
    tf.train.Checkpoint(it=it).write(os.path.join(HERE, "iterator", "ckpt"))


if __name__ == "__main__":
    main()
