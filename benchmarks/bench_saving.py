"""Saving and loading: tensorhouse beside Keras 3 on TensorFlow, time and peak extra memory.

Three models:
- an MLP 1024-4096-4096-1024-10 (ReLU), 25.2M parameters (101 MB of float32), compiled with
  plain SGD so that its files hold the weights and little else (the weights' size is then what
  each file holds: the measure of the memory target);
- an MLP 1024-2048-1024-512-10 (ReLU), 4.7M parameters, compiled with Adam and its slots built
  (75 MB written: the optimizer's state is three times the weights);
- a small CNN on 32x32x3: Conv2D 32/64/128 (3x3, same, ReLU) each with MaxPooling2D, Flatten,
  Dense(256), Dense(10), 0.6M parameters, Adam.
Time, per format, save and load apart: ``.keras`` (``model.save`` / ``load_model``, which also
rebuilds the model), ``.weights.h5`` (``save_weights`` / ``load_weights``), sharded
``.weights.json`` (``max_shard_size`` 16 MB; not for the 25M model) and a TF checkpoint
(``tf.train.Checkpoint(model=, optimizer=)`` ``write`` / ``read``). Each time is the best of
several calls, in rounds that alternate the libraries (``_timing.rounds_us``), on files in a
temporary folder. The ratio is Keras/TF's time over tensorhouse's (above 1: tensorhouse is
faster).

Peak extra memory, 25M model only: each save or load runs once in a fresh subprocess that first
builds (and compiles) its model. Linux's peak resident set (``VmHWM`` in ``/proc/self/status``)
is reset to the current RSS (``echo 5 > /proc/self/clear_refs``) just before the call, and the
extra memory is ``VmHWM`` after it minus the RSS before it, minus what the call must keep: for
``load_model`` the new model's variables (weights and optimizer state). It is given in MB and
over the weights' size.

Targets (issue 17): no slower than Keras 3; peak extra memory at most 1.2x the weights' size.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from _timing import rounds_us

ROUNDS = int(os.environ.get("BENCH_SAVING_ROUNDS", "3"))
SHARD_GB = 16 / 1024  # 16 MB


def big(keras):
    layers = keras.layers
    return keras.Sequential([
        keras.Input((1024,)), layers.Dense(4096, activation="relu"),
        layers.Dense(4096, activation="relu"), layers.Dense(1024, activation="relu"),
        layers.Dense(10),
    ])  # fmt: skip


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


INPUT = {big: (1024,), mlp: (1024,), cnn: (32, 32, 3)}
BIG_CASES = (".keras save", ".keras load", ".weights.h5 save", ".weights.h5 load",
             "checkpoint write", "checkpoint read")  # fmt: skip


def compiled(lib, build):
    keras = lib.keras
    model = build(keras)
    optimizer = keras.optimizers.SGD(1e-3) if build is big else keras.optimizers.Adam(1e-3)
    model.compile(optimizer, "mse")
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
    if build is not big:
        model.save_weights(sharded, max_shard_size=SHARD_GB)
    checkpoint = lib.train.Checkpoint(model=model, optimizer=model.optimizer)
    checkpoint.write(prefix)
    reader = lib.train.Checkpoint(model=fresh, optimizer=fresh.optimizer)
    out = {
        ".keras save": lambda: model.save(paths[".keras"]),
        ".keras load": lambda: keras.models.load_model(paths[".keras"]),
        ".weights.h5 save": lambda: model.save_weights(paths[".weights.h5"]),
        ".weights.h5 load": lambda: fresh.load_weights(paths[".weights.h5"]),
        "sharded .weights.json save": lambda: model.save_weights(sharded, max_shard_size=SHARD_GB),
        "sharded .weights.json load": lambda: fresh.load_weights(sharded),
        "checkpoint write": lambda: checkpoint.write(prefix),
        "checkpoint read": lambda: reader.read(prefix).assert_consumed(),
    }
    return {k: v for k, v in out.items() if build is not big or k in BIG_CASES}


# ---- peak extra memory, one call per fresh process ----------------------------------------------
def _status_kb(field) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _held_bytes(model) -> int:
    """Bytes of a model's variables and its optimizer's (what a loaded model must keep)."""
    variables = list(model.weights)
    if getattr(model, "optimizer", None) is not None:
        variables += list(model.optimizer.variables)
    return sum(np.asarray(v).nbytes for v in variables)  # read after the peak was taken


def worker_memory(lib_name, case, folder):
    """In a fresh process: build the model, run ``case`` once, print its peak extra memory."""
    import time

    if lib_name == "tf":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import tensorflow as lib
    else:
        import tensorhouse as lib
    keras = lib.keras
    model = compiled(lib, big)
    paths = {ext: os.path.join(folder, f"m{ext}") for ext in (".keras", ".weights.h5")}
    prefix = os.path.join(folder, "ckpt")
    checkpoint = lib.train.Checkpoint(model=model, optimizer=model.optimizer)
    held = []
    calls = {
        ".keras save": lambda: model.save(paths[".keras"]),
        ".keras load": lambda: held.append(keras.models.load_model(paths[".keras"])),
        ".weights.h5 save": lambda: model.save_weights(paths[".weights.h5"]),
        ".weights.h5 load": lambda: model.load_weights(paths[".weights.h5"]),
        "checkpoint write": lambda: checkpoint.write(prefix),
        "checkpoint read": lambda: checkpoint.read(prefix).assert_consumed(),
    }
    gc.collect()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # the peak RSS (VmHWM) starts again from the RSS now
    before = _status_kb("VmRSS") * 1024
    t0 = time.perf_counter()
    calls[case]()
    seconds = time.perf_counter() - t0
    peak = _status_kb("VmHWM") * 1024
    kept = _held_bytes(held[0]) if held else 0
    print(json.dumps({"extra": peak - before - kept, "seconds": seconds,
                      "weights": _held_bytes(model)}))  # fmt: skip


def _memory_run(lib_name, case, folder) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "memory", lib_name, case, folder]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise SystemExit(proc.stdout[-2000:] + proc.stderr[-4000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def memory_table(libs, root):
    """Peak extra memory of each 25M-model case, per library, each in a fresh process; the
    save cases run first and leave the files the load cases read."""
    print("\n25M model, peak extra memory (MB, and over the weights' size; target <= 1.2x)")
    print(f"{'case':<22}{'tensorhouse':>22}{'Keras/TF':>22}")
    folders = {}
    for name in libs:
        folders[name] = os.path.join(root, f"mem_{name}")
        os.makedirs(folders[name], exist_ok=True)
    for case in BIG_CASES:
        cells = []
        for name in ("tensorhouse", "tf"):
            if name not in libs:
                cells.append("-")
                continue
            r = _memory_run(name, case, folders[name])
            cells.append(f"{r['extra'] / 1e6:8.1f} ({r['extra'] / r['weights']:.2f}x)")
        print(f"{case:<22}{cells[0]:>22}{cells[1]:>22}", flush=True)


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
        for model_name, build in (("MLP 25M", big), ("MLP 4.7M", mlp), ("CNN 0.6M", cnn)):
            _check_same(libs, build, root)
            per_lib = {}
            for name, lib in libs.items():
                folder = os.path.join(root, f"{model_name.replace(' ', '_')}_{name}")
                os.makedirs(folder)
                per_lib[name] = cases(lib, build, folder)
            for case in per_lib["tensorhouse"]:
                fns = {name: per_lib[name][case] for name in libs}
                best = rounds_us(fns, number=1, repeat=3, rounds=ROUNDS)
                th_ms, tf_ms = best["tensorhouse"] / 1e3, best.get("tf", float("nan")) / 1e3
                ratio = f"{tf_ms / th_ms:.2f}x" if "tf" in best else "-"
                label = f"{model_name} {case}"
                print(f"{label:<34}{th_ms:>16.1f}{tf_ms:>14.1f}{ratio:>10}", flush=True)
            per_lib.clear()
            gc.collect()
        memory_table(libs, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "memory":
        worker_memory(*sys.argv[2:5])
    else:
        raise SystemExit(main())
