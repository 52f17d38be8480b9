"""``Model.fit`` on the digits images: tensorhouse against TF's Keras ``fit`` and hand-written
PyTorch and ``jax.jit`` training loops, in the same process.

Two models, both Adam (lr 1e-3) on sparse softmax cross-entropy from logits, batch 64:
- the digits MLP, 64-256-256-10 (ReLU);
- the digits CNN on 8x8x1 images: Conv2D(16, 3, same, ReLU), MaxPooling2D, Conv2D(32, 3, same,
  ReLU), MaxPooling2D, Flatten, Dense(10).
Data: scikit-learn's digits (1797 images) when scikit-learn is installed, else random data of
the same shapes. Per contender: the first epoch's time (tracing included) and the steady-state
samples/s (one ``fit`` of one epoch, or one epoch of a hand loop, per round; the best of many
short rounds, interleaved so a slow stretch of a shared machine falls on everyone: on a busy
machine a few long rounds measured the load, not the libraries; the median is shown beside it).
Each round runs the contenders in a new order, each after a short pause, so none always pays
for the threads or the caches the same neighbour left behind. tensorhouse's
own hand-traced step (the train step in ``tf.function``, called per batch on tensors made
beforehand) is the reference for ``fit``'s per-step overhead, which includes slicing and
converting each batch.

Targets (issue 13): ``fit`` >= 3x TF's Keras ``fit`` and >= the best hand-written loop; first
epoch no slower than TF's; ``fit`` within 10% of the hand-traced step.
"""

from __future__ import annotations

import importlib.util
import os
import random
import statistics
import time

import numpy as np

BATCH = 64
LR = 1e-3
ROUNDS = int(os.environ.get("BENCH_FIT_ROUNDS", "12"))
EPOCHS_PER_ROUND = 1
# a pause before each timed run: the worker threads the previous contender left spinning
# (PyTorch's OpenMP pool spins for a few ms after its loop) go idle instead of taking a core
# from the next contender
SETTLE_S = 0.02


def _has(name):
    return importlib.util.find_spec(name) is not None


def digits():
    if _has("sklearn"):
        from sklearn.datasets import load_digits

        d = load_digits()
        x, y = (d.data / 16.0).astype(np.float32), d.target.astype(np.int32)
        source = "scikit-learn digits"
    else:
        rng = np.random.default_rng(0)
        x = rng.random((1797, 64), dtype=np.float32)
        y = rng.integers(0, 10, 1797).astype(np.int32)
        source = "random data shaped like the digits (scikit-learn not installed)"
    n = len(x) // BATCH * BATCH  # whole batches: every contender runs the same steps
    return x[:n], y[:n], source


# ---- the contenders: each returns (run_one_epoch, first_epoch_seconds) ----------------------


def _keras_model(keras, kind):
    layers = keras.layers
    if kind == "mlp":
        return keras.Sequential([
            keras.Input((64,)), layers.Dense(256, activation="relu"),
            layers.Dense(256, activation="relu"), layers.Dense(10),
        ])  # fmt: skip
    return keras.Sequential([
        keras.Input((8, 8, 1)), layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(), layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(), layers.Flatten(), layers.Dense(10),
    ])  # fmt: skip


def _inputs(x, kind):
    return x if kind == "mlp" else x.reshape(-1, 8, 8, 1)


def keras_fit(keras, kind, x, y):
    model = _keras_model(keras, kind)
    model.compile(keras.optimizers.Adam(LR),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))  # fmt: skip
    xi = _inputs(x, kind)

    def epochs(n=1):  # one fit call for n epochs: its setup is paid once, as in real use
        model.fit(xi, y, batch_size=BATCH, epochs=n, verbose=0, shuffle=False)

    start = time.perf_counter()
    epochs()
    return epochs, time.perf_counter() - start


def th_hand_traced(tf, kind, x, y):
    """tensorhouse: the same model's train step in tf.function, called per batch by hand."""
    keras = tf.keras
    model = _keras_model(keras, kind)
    model.compile(keras.optimizers.Adam(LR),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))  # fmt: skip
    xi = _inputs(x, kind)
    batches = [(tf.constant(xi[s : s + BATCH]), tf.constant(y[s : s + BATCH]))
               for s in range(0, len(x), BATCH)]  # fmt: skip
    step = tf.function(model.train_step)

    def epochs(n=1):
        for _ in range(n):
            for b in batches:
                step(b)

    start = time.perf_counter()
    model(batches[0][0])
    epochs()
    return epochs, time.perf_counter() - start


def torch_loop(kind, x, y):
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    nn = torch.nn
    if kind == "mlp":
        model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                              nn.Linear(256, 10))  # fmt: skip
        xt = torch.from_numpy(x)
    else:
        model = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(32 * 2 * 2, 10),
        )  # fmt: skip
        xt = torch.from_numpy(x.reshape(-1, 1, 8, 8).copy())
    yt = torch.from_numpy(y.astype(np.int64))
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    lossf = nn.CrossEntropyLoss()

    def epochs(n=1):
        for _ in range(n):
            for s in range(0, len(x), BATCH):
                opt.zero_grad()
                loss = lossf(model(xt[s : s + BATCH]), yt[s : s + BATCH])
                loss.backward()
                opt.step()

    start = time.perf_counter()
    epochs()
    return epochs, time.perf_counter() - start


def jax_loop(kind, x, y):
    import jax
    import jax.numpy as jnp

    rng = np.random.default_rng(0)
    f32 = jnp.float32  # explicit: the XLA kernels turn on jax_enable_x64 in this process

    def glorot(shape, fan_in, fan_out):
        lim = np.sqrt(6 / (fan_in + fan_out))
        return jnp.asarray(rng.uniform(-lim, lim, shape).astype(np.float32))

    if kind == "mlp":
        params = [glorot((64, 256), 64, 256), jnp.zeros(256, f32), glorot((256, 256), 256, 256),
                  jnp.zeros(256, f32), glorot((256, 10), 256, 10), jnp.zeros(10, f32)]  # fmt: skip

        def forward(p, xb):
            h = jax.nn.relu(xb @ p[0] + p[1])
            h = jax.nn.relu(h @ p[2] + p[3])
            return h @ p[4] + p[5]

        xs = jnp.asarray(x)
    else:
        params = [
            glorot((3, 3, 1, 16), 9, 144), jnp.zeros(16, f32), glorot((3, 3, 16, 32), 144, 288),
            jnp.zeros(32, f32), glorot((128, 10), 128, 10), jnp.zeros(10, f32),
        ]  # fmt: skip
        dn = ("NHWC", "HWIO", "NHWC")

        def pool(h):  # 2x2 max pooling, stride 2 (even sizes)
            n, hh, ww, c = h.shape
            return h.reshape(n, hh // 2, 2, ww // 2, 2, c).max(axis=(2, 4))

        def forward(p, xb):
            h = jax.lax.conv_general_dilated(xb, p[0], (1, 1), "SAME", dimension_numbers=dn)
            h = pool(jax.nn.relu(h + p[1]))
            h = jax.lax.conv_general_dilated(h, p[2], (1, 1), "SAME", dimension_numbers=dn)
            h = pool(jax.nn.relu(h + p[3])).reshape(xb.shape[0], -1)
            return h @ p[4] + p[5]

        xs = jnp.asarray(x.reshape(-1, 8, 8, 1))
    ys = jnp.asarray(y)

    def loss_fn(p, xb, yb):
        logp = jax.nn.log_softmax(forward(p, xb))
        return -jnp.mean(jnp.take_along_axis(logp, yb[:, None], axis=1))

    @jax.jit
    def step(state, xb, yb):
        p, m, v, t = state
        g = jax.grad(loss_fn)(p, xb, yb)
        t = t + 1
        m = [0.9 * a + 0.1 * b for a, b in zip(m, g)]
        v = [0.999 * a + 0.001 * b * b for a, b in zip(v, g)]
        lr = (LR * jnp.sqrt(1 - 0.999**t) / (1 - 0.9**t)).astype(f32)
        p = [a - lr * mm / (jnp.sqrt(vv) + 1e-7) for a, mm, vv in zip(p, m, v)]
        return p, m, v, t

    state = [
        params,
        [jnp.zeros_like(a) for a in params],
        [jnp.zeros_like(a) for a in params],
        jnp.asarray(0, jnp.int32),
    ]
    batches = [(xs[s : s + BATCH], ys[s : s + BATCH]) for s in range(0, len(x), BATCH)]

    def epochs(n=1):
        for _ in range(n):
            for xb, yb in batches:
                state[:] = step(tuple(state), xb, yb)
        jax.block_until_ready(state[0])

    start = time.perf_counter()
    epochs()
    return epochs, time.perf_counter() - start


def bench(kind, x, y):
    import tensorhouse as th

    contenders = {
        "tensorhouse fit": lambda: keras_fit(th.keras, kind, x, y),
        "tensorhouse hand-traced step": lambda: th_hand_traced(th, kind, x, y),
    }
    if _has("tensorflow"):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import tensorflow

        contenders["TF Keras fit"] = lambda: keras_fit(tensorflow.keras, kind, x, y)
    if _has("torch"):
        contenders["PyTorch loop"] = lambda: torch_loop(kind, x, y)
    if _has("jax"):
        contenders["jax.jit loop"] = lambda: jax_loop(kind, x, y)
    runs, first = {}, {}
    for name, make in contenders.items():
        runs[name], first[name] = make()
    times = {name: [] for name in contenders}
    order, shuffler = list(runs), random.Random(0)
    for _ in range(ROUNDS):
        shuffler.shuffle(order)  # no contender always runs right after the same other one
        for name in order:
            time.sleep(SETTLE_S)
            start = time.perf_counter()
            runs[name](EPOCHS_PER_ROUND)
            times[name].append((time.perf_counter() - start) / EPOCHS_PER_ROUND)
    rate = {k: len(x) / min(v) for k, v in times.items()}
    median = {k: len(x) / statistics.median(v) for k, v in times.items()}
    print(f"\n{kind.upper()} (batch {BATCH}, {len(x)} samples per epoch, {ROUNDS} rounds)")
    print(f"{'contender':<32}{'samples/s':>12}{'(median)':>12}{'first epoch':>14}")
    for name in contenders:
        print(f"{name:<32}{rate[name]:>12.0f}{median[name]:>12.0f}{first[name]:>13.2f}s")
    fit = rate["tensorhouse fit"]
    print(f"fit / hand-traced step: {fit / rate['tensorhouse hand-traced step']:.2f}x "
          "(target >= 0.9x)")  # fmt: skip
    if "TF Keras fit" in rate:
        print(f"fit / TF Keras fit: {fit / rate['TF Keras fit']:.2f}x (target >= 3x); first "
              f"epoch {first['tensorhouse fit']:.2f}s vs {first['TF Keras fit']:.2f}s")  # fmt: skip
    loops = {k: v for k, v in rate.items() if k in ("PyTorch loop", "jax.jit loop")}
    if loops:
        name = max(loops, key=loops.get)
        print(f"fit / best hand-written loop ({name}): {fit / loops[name]:.2f}x (target >= 1x)")
    return rate, first


def main() -> int:
    x, y, source = digits()
    print(f"data: {source}")
    for kind in ("mlp", "cnn"):
        bench(kind, x, y)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
