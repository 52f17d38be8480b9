"""tf.signal: tensorhouse's FFT kernels against NumPy's pocketfft and TensorFlow's (when
installed), in the same run, each in its own timing block per round (``_timing.rounds_us``).

A ratio > 1 means tensorhouse is faster. The machine is shared: the load is printed too.
NumPy's FFT runs on one thread; ``OMP_NUM_THREADS=1`` compares like with like.

    OMP_NUM_THREADS=1 python benchmarks/bench_fft.py
"""

from __future__ import annotations

import functools
import importlib.util
import os
import sys

import numpy as np

import tensorhouse_ops as th

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import rounds_us

HAVE_TF = importlib.util.find_spec("tensorflow") is not None
RNG = np.random.default_rng(0)

# (case, tensorhouse fn, numpy fn, tensorflow fn name, input kind, shape)
CASES = [
    ("fft c64 [256, 1024]", "fft", np.fft.fft, "fft", "c64", (256, 1024)),
    ("fft c128 [256, 1024]", "fft", np.fft.fft, "fft", "c128", (256, 1024)),
    ("fft c128 [64, 4096]", "fft", np.fft.fft, "fft", "c128", (64, 4096)),
    ("fft c64 [1024, 60]", "fft", np.fft.fft, "fft", "c64", (1024, 60)),
    ("fft c64 [512, 97] (prime)", "fft", np.fft.fft, "fft", "c64", (512, 97)),
    ("ifft c64 [64, 4096]", "ifft", np.fft.ifft, "ifft", "c64", (64, 4096)),
    ("fft2d c64 [8, 128, 128]", "fft2d", np.fft.fft2, "fft2d", "c64", (8, 128, 128)),
    (
        "fft3d c128 [2, 32, 32, 32]",
        "fft3d",
        functools.partial(np.fft.fftn, axes=(-3, -2, -1)),
        "fft3d",
        "c128",
        (2, 32, 32, 32),
    ),
    ("rfft f32 [256, 1024]", "rfft", np.fft.rfft, "rfft", "f32", (256, 1024)),
    ("rfft f32 [1024, 60]", "rfft", np.fft.rfft, "rfft", "f32", (1024, 60)),
    ("irfft c64 [256, 513]", "irfft", np.fft.irfft, "irfft", "c64", (256, 513)),
    ("irfft2d c64 [8, 128, 65]", "irfft2d", np.fft.irfft2, "irfft2d", "c64", (8, 128, 65)),
]


def _data(kind, shape):
    real = RNG.standard_normal(shape)
    if kind == "f32":
        return real.astype(np.float32)
    z = real + 1j * RNG.standard_normal(shape)
    return z.astype(np.complex64 if kind == "c64" else np.complex128)


def main():
    tf = None
    if HAVE_TF:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import tensorflow as tf
    threads = os.environ.get("OMP_NUM_THREADS", "all")
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores, threads {threads}")
    rows = []
    for case, ours, np_fn, tf_name, kind, shape in CASES:
        x = _data(kind, shape)
        tx, th_fn = th.constant(x), getattr(th.signal, ours)
        fns = {
            "tensorhouse": lambda f=th_fn, t=tx: f(t),
            "numpy": lambda f=np_fn, a=x: f(a),
        }
        if tf is not None:
            tfx, tf_fn = tf.constant(x), getattr(tf.signal, tf_name)
            fns["tensorflow"] = lambda f=tf_fn, t=tfx: f(t)
        best = rounds_us(fns, number=3, repeat=3, rounds=3)
        ratios = "  ".join(
            f"{k} {best[k]:9.1f} us (x{best[k] / best['tensorhouse']:.2f})"
            for k in best
            if k != "tensorhouse"
        )
        rows.append(f"{case:<28}{best['tensorhouse']:9.1f} us   {ratios}")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
