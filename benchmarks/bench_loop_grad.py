"""ops: gradients through a traced ``tf.while_loop`` (issue 18).

The loop: ``x <- tanh(x * w)`` on a (64,) float32 vector ``x`` and a scalar variable ``w``,
for 100 / 1000 / 10000 iterations; the loss is ``sum(x)``. Cases, for tensorhouse and TF:

- ``fwd``: the traced loop alone;
- ``fwd+bwd traced``: a traced function with a ``GradientTape`` inside (loss, d/dx, d/dw);
- ``fwd+bwd eager tape``: an eager ``GradientTape`` around a call of the traced loop;

and JAX's ``jit(lax.fori_loop)`` and ``jit(value_and_grad)`` beside them.

Target: tensorhouse's forward+backward at most 3x its forward, and at least TF's speed.

    python benchmarks/bench_loop_grad.py [iterations ...]
"""

from __future__ import annotations

import importlib.util
import os
import sys

import numpy as np

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from _timing import rounds_us, table

WIDTH = 64
ITERATIONS = (100, 1000, 10000)


def _has(name):
    return importlib.util.find_spec(name) is not None


def _cases(tf, n):
    """The three callables of one TF-like library (tensorhouse or TF) for ``n`` iterations."""
    w = tf.Variable(0.9)
    x = tf.constant(np.linspace(-1.0, 1.0, WIDTH, dtype=np.float32))

    def loop(x):
        return tf.while_loop(
            lambda i, a: i < n, lambda i, a: (i + 1, tf.tanh(a * w)), [tf.constant(0), x]
        )[1]

    @tf.function
    def fwd(x):
        return tf.reduce_sum(loop(x))

    @tf.function
    def traced(x):
        with tf.GradientTape() as t:
            t.watch(x)
            loss = tf.reduce_sum(loop(x))
        return loss, t.gradient(loss, [x, w])

    def eager_tape():
        with tf.GradientTape() as t:
            t.watch(x)
            loss = fwd(x)
        return t.gradient(loss, [x, w])

    checks = [np.asarray(g) for g in traced(x)[1]]
    eager = [np.asarray(g) for g in eager_tape()]
    for a, b in zip(checks, eager):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    return {"fwd": lambda: fwd(x), "fwd+bwd traced": lambda: traced(x),
            "fwd+bwd eager tape": eager_tape}, checks  # fmt: skip


def _jax_cases(n):
    import jax
    import jax.numpy as jnp

    x = jnp.asarray(np.linspace(-1.0, 1.0, WIDTH, dtype=np.float32))
    w = jnp.float32(0.9)

    def loss(x, w):
        return jnp.sum(jax.lax.fori_loop(0, n, lambda i, a: jnp.tanh(a * w), x))

    fwd = jax.jit(loss)
    both = jax.jit(jax.value_and_grad(loss, argnums=(0, 1)))
    return {
        "fwd": lambda: fwd(x, w).block_until_ready(),
        "fwd+bwd traced": lambda: jax.block_until_ready(both(x, w)),
    }


def main(iterations):
    import tensorhouse_ops as th

    peers = {"tensorhouse": th}
    if _has("tensorflow"):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import tensorflow as tf

        peers["TF"] = tf
    print(f"load: {os.getloadavg()[0]:.2f} (1-minute average)")
    for n in iterations:
        fns, refs = {}, {}
        for name, lib in peers.items():
            cases, refs[name] = _cases(lib, n)
            fns.update({f"{name} {k}": f for k, f in cases.items()})
        if "TF" in refs:  # the same gradients on both
            for a, b in zip(refs["tensorhouse"], refs["TF"]):
                np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)
        if _has("jax"):
            fns.update({f"JAX {k}": f for k, f in _jax_cases(n).items()})
        number = max(1, 2000 // n)
        best = rounds_us(fns, number=number, repeat=3, rounds=3)
        rows = []
        for key, us in best.items():
            lib, case = key.split(" ", 1)
            note = ""
            if case != "fwd":
                note = f"{us / best[f'{lib} fwd']:.2f}x its fwd"
                if lib == "tensorhouse" and f"TF {case}" in best:
                    note += f"; {best[f'TF {case}'] / us:.2f}x TF's speed"
            rows.append((key, us, note))
        print(f"\n{n} iterations (us per call)")
        print(table(rows, header=("case", "us/call", "note")))


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or ITERATIONS)
