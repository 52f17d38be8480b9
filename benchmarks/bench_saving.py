"""Saving and loading a mid-size model: tensorhouse beside Keras 3 on TensorFlow, in the same
process.

Two models, compiled with Adam and its slots built (so every file also holds the optimizer's
state, three times the weights):
- an MLP 1024-2048-1024-512-10 (ReLU), 4.7M parameters (75 MB written with Adam's slots);
- a small CNN on 32x32x3: Conv2D 32/64/128 (3x3, same, ReLU) each with MaxPooling2D, Flatten,
  Dense(256), Dense(10), 0.6M parameters.
Per format, save and load are timed apart: ``.keras`` (``model.save`` / ``load_model``, which
also rebuilds the model), ``.weights.h5`` (``save_weights`` / ``load_weights``), sharded
``.weights.json`` (``max_shard_size`` 16 MB) and a TF checkpoint (``tf.train.Checkpoint(model=,
optimizer=)`` ``write`` / ``read``). Each time is the best of several calls, in rounds that
alternate the libraries (``_timing.rounds_us``), on files in a temporary folder. The ratio is
Keras/TF's time over tensorhouse's (above 1: tensorhouse is faster).

Target (issue 17): no slower than Keras 3.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile

import numpy as np
from _timing import rounds_us

ROUNDS = int(os.environ.get("BENCH_SAVING_ROUNDS", "3"))
SHARD_GB = 16 / 1024  # 16 MB


def mlp(keras):
    layers = keras.layers
    return keras.Sequential([
        keras.Input((1024,)), layers.Dense(2048, activation="relu"),
        layers.Dense(1024, activation="relu"), layers.Dense(512, activation="relu"),
        layers.Dense(10),
    ])  # fmt: skip


def cnn(keras):
    layers = keras.layers
    stack = [keras.Input((32, 32, 3))]
    for filters in (32, 64, 128):
        stack += [layers.Conv2D(filters, 3, padding="same", activation="relu"),
                  layers.MaxPooling2D()]  # fmt: skip
    stack += [layers.Flatten(), layers.Dense(256, activation="relu"), layers.Dense(10)]
    return keras.Sequential(stack)


INPUT = {mlp: (1024,), cnn: (32, 32, 3)}


def compiled(lib, build):
    keras = lib.keras
    model = build(keras)
    model.compile(keras.optimizers.Adam(1e-3), "mse")
    model.optimizer.build(model.trainable_variables)
    rng = np.random.default_rng(0)
    model.set_weights([rng.standard_normal(w.shape).astype("float32") * 0.01
                       for w in model.get_weights()])  # fmt: skip
    return model


def cases(lib, build, folder):
    """``{case name: callable}`` for one library and model; files go under ``folder``."""
    keras = lib.keras
    model = compiled(lib, build)
    fresh = compiled(lib, build)
    paths = {ext: os.path.join(folder, f"m{ext}") for ext in (".keras", ".weights.h5")}
    sharded = os.path.join(folder, "s.weights.json")
    prefix = os.path.join(folder, "ckpt")
    model.save(paths[".keras"])
    model.save_weights(paths[".weights.h5"])
    model.save_weights(sharded, max_shard_size=SHARD_GB)
    checkpoint = lib.train.Checkpoint(model=model, optimizer=model.optimizer)
    checkpoint.write(prefix)
    reader = lib.train.Checkpoint(model=fresh, optimizer=fresh.optimizer)
    return {
        ".keras save": lambda: model.save(paths[".keras"]),
        ".keras load": lambda: keras.models.load_model(paths[".keras"]),
        ".weights.h5 save": lambda: model.save_weights(paths[".weights.h5"]),
        ".weights.h5 load": lambda: fresh.load_weights(paths[".weights.h5"]),
        "sharded .weights.json save": lambda: model.save_weights(sharded, max_shard_size=SHARD_GB),
        "sharded .weights.json load": lambda: fresh.load_weights(sharded),
        "checkpoint write": lambda: checkpoint.write(prefix),
        "checkpoint read": lambda: reader.read(prefix).assert_consumed(),
    }


def _check_same(libs, build, folder):
    """The loaded model predicts what the saved one did, in each library (a broken save would
    otherwise time well)."""
    for name, lib in libs.items():
        model = compiled(lib, build)
        path = os.path.join(folder, f"{name}.keras")
        model.save(path)
        x = np.random.default_rng(1).standard_normal((2, *INPUT[build]), "float32")
        loaded = lib.keras.models.load_model(path)
        np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def main() -> int:
    import tensorhouse as th

    libs = {"tensorhouse": th}
    if importlib.util.find_spec("tensorflow") is not None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import tensorflow as tf

        libs["tf"] = tf
    root = tempfile.mkdtemp(prefix="bench_saving_")
    try:
        print(f"{'case':<34}{'tensorhouse ms':>16}{'Keras/TF ms':>14}{'vs TF':>10}")
        for model_name, build in (("MLP 4.7M", mlp), ("CNN 0.6M", cnn)):
            _check_same(libs, build, root)
            per_lib = {}
            for name, lib in libs.items():
                folder = os.path.join(root, f"{model_name[:3]}_{name}")
                os.makedirs(folder)
                per_lib[name] = cases(lib, build, folder)
            for case in per_lib["tensorhouse"]:
                fns = {name: per_lib[name][case] for name in libs}
                best = rounds_us(fns, number=1, repeat=3, rounds=ROUNDS)
                th_ms, tf_ms = best["tensorhouse"] / 1e3, best.get("tf", float("nan")) / 1e3
                ratio = f"{tf_ms / th_ms:.2f}x" if "tf" in best else "-"
                label = f"{model_name} {case}"
                print(f"{label:<34}{th_ms:>16.1f}{tf_ms:>14.1f}{ratio:>10}", flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
