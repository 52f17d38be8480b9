"""Forward + backward of single Keras layers, traced: tensorhouse against Keras on TF and PyTorch.

Each case computes ``sum(layer(x))`` under a GradientTape and the gradients with respect to
the layer's weights and its input, inside one ``tf.function`` (tensorhouse and TF); PyTorch
runs the same forward and ``backward()`` eagerly, as PyTorch code does. Cases (issue 14):
- Dense: batch 256, 512 -> 512;
- Conv2D: batch 32, 32x32x32 -> 64 filters 3x3, same padding, NHWC (PyTorch channels-last);
- LSTM: batch 32, 50 steps, 128 -> 128 units, last output;
- MultiHeadAttention: batch 16, 128 tokens, 4 heads of 64 (model width 256), self-attention.
Times are the best over interleaved rounds (``_timing.rounds_us``); ratios are the fastest
peer's time over tensorhouse's (above 1: tensorhouse is faster). Case names as arguments run
only those (``bench_layers.py MultiHeadAttention``); ``BENCH_THREADS=n`` gives every library n
threads (default: every core).
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np
from _timing import rounds_us

RNG = np.random.default_rng(0)
THREADS = int(os.environ.get("BENCH_THREADS", os.cpu_count() or 1))  # every library's threads
CASES = {
    "Dense": (256, 512),
    "Conv2D": (32, 32, 32, 32),
    "LSTM": (32, 50, 128),
    "MultiHeadAttention": (16, 128, 256),
}


def _has(name):
    return importlib.util.find_spec(name) is not None


def _keras_layer(keras, case):
    layers = keras.layers
    if case == "Dense":
        return layers.Dense(512)
    if case == "Conv2D":
        return layers.Conv2D(64, 3, padding="same")
    if case == "LSTM":
        return layers.LSTM(128)
    return layers.MultiHeadAttention(num_heads=4, key_dim=64)


def keras_step(tf, case, x_np):
    """A traced forward + backward of the layer in ``tf`` (tensorhouse or TensorFlow)."""
    layer = _keras_layer(tf.keras, case)
    x = tf.constant(x_np)

    def call(inp):
        return layer(inp, inp) if case == "MultiHeadAttention" else layer(inp)

    call(x)  # build

    @tf.function
    def step(inp):
        with tf.GradientTape() as tape:
            tape.watch(inp)
            loss = tf.reduce_sum(call(inp))
        return tape.gradient(loss, [inp, *layer.trainable_weights])

    def run():
        out = step(x)
        out[0].numpy()

    return run


def torch_step(case, x_np):
    import torch

    torch.set_num_threads(THREADS)
    nn = torch.nn
    if case == "Dense":
        layer, x = nn.Linear(512, 512), torch.from_numpy(x_np)
    elif case == "Conv2D":
        layer = nn.Conv2d(32, 64, 3, padding=1).to(memory_format=torch.channels_last)
        x = torch.from_numpy(x_np).permute(0, 3, 1, 2)  # NHWC memory, NCHW view
    elif case == "LSTM":
        layer, x = nn.LSTM(128, 128, batch_first=True), torch.from_numpy(x_np)
    else:
        layer, x = nn.MultiheadAttention(256, 4, batch_first=True), torch.from_numpy(x_np)
    x.requires_grad_(True)

    def run():
        layer.zero_grad()
        x.grad = None
        if case == "LSTM":
            out = layer(x)[0][:, -1]
        elif case == "MultiHeadAttention":
            out = layer(x, x, x, need_weights=False)[0]
        else:
            out = layer(x)
        out.sum().backward()

    return run


def main(argv=None) -> int:
    import sys

    import tensorhouse as th

    th.config.threading.set_intra_op_parallelism_threads(THREADS)

    only = set(sys.argv[1:] if argv is None else argv)  # case names to run; all when empty

    tf = None
    if _has("tensorflow"):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(THREADS)
    print(f"{'layer (fwd+bwd)':<22}{'tensorhouse us':>16}{'Keras/TF us':>14}{'PyTorch us':>12}"
          f"{'vs fastest peer':>18}")  # fmt: skip
    for case, shape in CASES.items():
        if only and case not in only:
            continue
        x = RNG.standard_normal(shape).astype(np.float32)
        fns = {"tensorhouse": keras_step(th, case, x)}
        if tf is not None:
            fns["tf"] = keras_step(tf, case, x)
        if _has("torch"):
            fns["torch"] = torch_step(case, x)
        best = rounds_us(fns, number=3, repeat=3, rounds=3)
        peers = [v for k, v in best.items() if k != "tensorhouse"]
        ratio = f"{min(peers) / best['tensorhouse']:.2f}x" if peers else "-"
        print(f"{case:<22}{best['tensorhouse']:>16.0f}{best.get('tf', float('nan')):>14.0f}"
              f"{best.get('torch', float('nan')):>12.0f}{ratio:>18}", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
