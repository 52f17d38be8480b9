"""Eager per-op overhead: kernel dispatch, and small ops beside PyTorch's.

Part 1 (hw-runtime issue): what the runtime's dispatch adds over calling a 4-element AddV2
kernel directly (target under 1 microsecond); NumPy, PyTorch, JAX and TensorFlow time the
same add for scale. Part 2 (issue 20): eager add, mul, matmul (4, 4), relu, reduce_sum,
reshape, transpose, concat, gather, a Dense(4) call on (4, 4) float32, and the conversion of
Python data (`tf.constant([1.0, 2.0])`, `convert_to_tensor` of it, `a + 1.0`), each beside
PyTorch's equivalent (one thread), in interleaved rounds; the median over rounds of each
round's best. Target: at most 2x PyTorch on every op (the conversion rows, marked *, are
watched for regressions, not held to it).

    python benchmarks/bench_dispatch.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import timeit

import numpy as np

import tensorhouse_hw_runtime as rt
import tensorhouse_kernels as K
from tensorhouse_kernels import _cpu

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from _timing import per_call_us, table


def _ops_cases():
    """``{op: (tensorhouse call, PyTorch call or None)}`` on (4, 4) float32."""
    import tensorhouse as tf

    x = np.random.default_rng(0).random((4, 4), dtype=np.float32)
    y = np.random.default_rng(1).random((4, 4), dtype=np.float32)
    a, b, idx = tf.constant(x), tf.constant(y), tf.constant([0, 2])
    dense = tf.keras.layers.Dense(4)
    dense(a)
    th = {
        "add": lambda: a + b,
        "mul": lambda: a * b,
        "matmul (4, 4)": lambda: tf.matmul(a, b),
        "relu": lambda: tf.nn.relu(a),
        "reduce_sum": lambda: tf.reduce_sum(a),
        "reshape": lambda: tf.reshape(a, (16,)),
        "transpose": lambda: tf.transpose(a),
        "concat": lambda: tf.concat([a, b], 0),
        "gather": lambda: tf.gather(a, idx),
        "Dense(4) call": lambda: dense(a),
        "constant list": lambda: tf.constant([1.0, 2.0]),
        "convert list": lambda: tf.convert_to_tensor([1.0, 2.0]),
        "add scalar": lambda: a + 1.0,
    }
    if importlib.util.find_spec("torch") is None:
        return {k: (f, None) for k, f in th.items()}
    import torch

    torch.set_num_threads(1)
    ta, tb, tidx = torch.from_numpy(x), torch.from_numpy(y), torch.tensor([0, 2])
    linear = torch.nn.Linear(4, 4)
    pt = {
        "add": lambda: ta + tb,
        "mul": lambda: ta * tb,
        "matmul (4, 4)": lambda: torch.matmul(ta, tb),
        "relu": lambda: torch.relu(ta),
        "reduce_sum": lambda: torch.sum(ta),
        "reshape": lambda: torch.reshape(ta, (16,)),
        "transpose": lambda: torch.permute(ta, (1, 0)),
        "concat": lambda: torch.cat([ta, tb], 0),
        "gather": lambda: torch.index_select(ta, 0, tidx),
        "Dense(4) call": lambda: linear(ta),
        "constant list": lambda: torch.tensor([1.0, 2.0]),
        "convert list": lambda: torch.as_tensor([1.0, 2.0]),
        "add scalar": lambda: ta + 1.0,
    }
    return {k: (th[k], pt[k]) for k in th}


_NO_TARGET = {"constant list", "convert list", "add scalar"}  # conversions: regression watch


def _best_us(fn, number=200, repeat=20) -> float:
    fn()
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6


def eager_ops(rounds: int) -> None:
    """Part 2: each op beside PyTorch's, rounds interleaved, medians of per-round bests."""
    cases = _ops_cases()
    times: dict = {(k, who): [] for k in cases for who in (0, 1)}
    for _ in range(rounds):
        for k, fns in cases.items():
            for who, fn in enumerate(fns):
                if fn is not None:
                    times[k, who].append(_best_us(fn))
    print(f"\neager ops on (4, 4) float32, median of {rounds} interleaved rounds "
          f"(load average {os.getloadavg()[0]:.2f}):")  # fmt: skip
    print(f"{'op':<16}{'tensorhouse us':>15}{'PyTorch us':>12}  ratio")
    worst = 0.0
    for k in cases:
        th = statistics.median(times[k, 0])
        pt = statistics.median(times[k, 1]) if times[k, 1] else float("nan")
        if k not in _NO_TARGET:
            worst = max(worst, th / pt) if times[k, 1] else worst
        mark = " *" if k in _NO_TARGET else ""
        print(f"{k + mark:<16}{th:>15.2f}{pt:>12.2f}  {th / pt:.2f}x")
    if cases and all(times[k, 1] for k in cases):
        verdict = "MET" if worst <= 2.0 else "NOT MET"
        print(f"worst ratio {worst:.2f}x PyTorch (target <= 2x on every op: {verdict})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    cpu = rt.get_device("/CPU:0")
    f32 = np.dtype("float32")
    a = np.arange(4, dtype=np.float32)
    b = np.ones(4, dtype=np.float32)
    out = np.empty(4, dtype=np.float32)
    inputs, outputs, attrs = [a, b], [out], {}
    kernel, _ = rt.dispatch("AddV2", cpu, f32)
    code = _cpu.BINARY_OPS["AddV2"]

    def raw():
        _cpu.binary(code, a, b, out)

    def direct():
        kernel(inputs, outputs, attrs)

    def dispatched():
        k, _ = rt.dispatch("AddV2", cpu, f32)
        k(inputs, outputs, attrs)

    def lookup_only():
        rt.dispatch("AddV2", cpu, f32)

    def execute():
        K.execute("AddV2", inputs, attrs, cpu)

    t_raw = per_call_us(raw)
    t_direct = per_call_us(direct)
    t_dispatched = per_call_us(dispatched)
    t_lookup = per_call_us(lookup_only)
    t_execute = per_call_us(execute)
    added = t_dispatched - t_direct
    rows = [
        ("C++ call (_cpu.binary)", t_raw, ""),
        ("kernel called directly", t_direct, "1.00x"),
        ("dispatch + kernel", t_dispatched, f"{t_dispatched / t_direct:.2f}x of direct"),
        ("dispatch alone (lookup)", t_lookup, ""),
        ("kernels.execute (rule+alloc+dispatch)", t_execute, f"{t_execute / t_direct:.2f}x"),
    ]
    rows.append(("numpy np.add(a, b, out=)", per_call_us(lambda: np.add(a, b, out=out)), "peer"))
    if importlib.util.find_spec("torch") is not None:
        import torch

        ta, tb, to = torch.from_numpy(a), torch.from_numpy(b), torch.empty(4)
        rows.append(("torch.add(a, b, out=)", per_call_us(lambda: torch.add(ta, tb, out=to)),
                     "peer"))  # fmt: skip
    if importlib.util.find_spec("jax") is not None:
        import jax.numpy as jnp

        ja, jb = jnp.asarray(a), jnp.asarray(b)
        rows.append(("jax.numpy.add (eager)", per_call_us(lambda: jnp.add(ja, jb), 2000), "peer"))
    if importlib.util.find_spec("tensorflow") is not None:
        import tensorflow as tf

        fa, fb = tf.constant(a), tf.constant(b)
        rows.append(("tf.add (eager)", per_call_us(lambda: tf.add(fa, fb), 2000), "peer"))
    print(table(rows))
    verdict = "MET" if added < 1.0 else "NOT MET"
    print(f"\ndispatch adds {added:.3f} us over the direct kernel call "
          f"(target < 1 us: {verdict})")  # fmt: skip
    eager_ops(args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
