"""kernels: the CPU kernel library against the peers installed in the same run.

Targets (kernels issue), on this 2-core machine:
  MatMul 512, 1024, 2048 float32   >= 1.0x the fastest peer (TensorFlow, JAX, PyTorch, NumPy)
  AddV2 on 1e7 float32              >= 1.5x NumPy
  Softmax (4096, 1024), last axis   >= 1.0x TensorFlow's (PyTorch's stands in when TensorFlow is
                                    not installed), >= 5x NumPy's composition
  Conv2D fwd + both backprops       >= 1.0x PyTorch channels-last
  C++ call of a 4-element AddV2     < 0.5 us

Every figure is the best of several repeats; a ratio > 1 means tensorhouse is faster.

    python benchmarks/bench_kernels.py
    BENCH_KERNELS_CASES=matmul BENCH_MATMUL_ROUNDS=5 python benchmarks/bench_kernels.py
"""

from __future__ import annotations

import functools
import importlib.util
import os
import sys

import numpy as np

import tensorhouse_hw_runtime as rt
import tensorhouse_kernels as K
from tensorhouse_kernels import _cpu

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from _timing import per_call_us, rounds_us

HAVE = {name: importlib.util.find_spec(name) is not None for name in ("torch", "jax", "tensorflow")}
CPU = rt.get_device("/CPU:0")
RESULTS = []
# the MatMul sizes; BENCH_KERNELS_CASES=matmul (a comma list of call, add, unary,
# softmax, matmul, conv) runs only those, BENCH_MATMUL_ROUNDS interleaved rounds each
MATMUL_SIZES = (512, 1024, 2048)
ROUNDS = int(os.environ.get("BENCH_MATMUL_ROUNDS", "3"))
_cases = os.environ.get("BENCH_KERNELS_CASES")
CASES = None if not _cases else set(_cases.split(","))


def run(op, inputs, attrs=None):
    return K.execute(op, inputs, attrs or {}, CPU)[0]


def report(case, ours, peers, target_peer=None, target=None, unit="us"):
    """Print our time, each peer's, and the ratio peer/ours (> 1: we are faster)."""
    print(f"\n{case}")
    print(f"  {'tensorhouse':28s}{ours:12.1f} {unit}")
    for name, t in peers.items():
        print(f"  {name:28s}{t:12.1f} {unit}   ratio {t / ours:5.2f}x")
    if target_peer is not None:
        if target_peer == "fastest":
            name = min(peers, key=peers.get)
        else:
            name = target_peer
        if name in peers:
            ratio = peers[name] / ours
            verdict = "MET" if ratio >= target else "NOT MET"
            RESULTS.append(f"{case}: {ratio:.2f}x {name} (target {target}x) {verdict}")
        else:
            RESULTS.append(f"{case}: {name} not installed, target not measured")


def bench_matmul(n):
    rng = np.random.default_rng(0)
    a, b = (rng.random((n, n), dtype=np.float32) for _ in range(2))
    flop = 2 * n**3
    fns = {"tensorhouse": lambda: run("MatMul", [a, b]), "numpy": lambda: a @ b}
    if HAVE["torch"]:
        import torch

        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        fns["torch"] = lambda: ta @ tb
    if HAVE["jax"]:
        import jax

        ja, jb = jax.numpy.asarray(a), jax.numpy.asarray(b)
        f = jax.jit(lambda x, y: x @ y)
        fns["jax.jit"] = lambda: f(ja, jb).block_until_ready()
    if HAVE["tensorflow"]:
        import tensorflow as tf

        fa, fb = tf.constant(a), tf.constant(b)
        fns["tensorflow"] = lambda: tf.matmul(fa, fb).numpy()
    # in rounds: on this shared machine a GEMM's speed drifts by 10-20% from one second to the
    # next, and timing each contender once handed that drift to whoever ran then
    number = max(1, (1 << 30) // n**3)  # about a GFLOP per timed block
    times = rounds_us(fns, number=number, repeat=3, rounds=ROUNDS)
    ours = times.pop("tensorhouse")
    peers = times
    print(f"\nGEMM library: {K.cpu_info()['gemm']} (TENSORHOUSE_BLAS chooses)")
    print(f"\nMatMul {n} float32: tensorhouse {flop / ours / 1e3:.0f} GFLOP/s, " + ", ".join(
        f"{k} {flop / v / 1e3:.0f}" for k, v in peers.items()))  # fmt: skip
    report(f"MatMul {n}x{n} float32", ours, peers, "fastest", 1.0)


def bench_binary():
    n = 10_000_000
    rng = np.random.default_rng(1)
    a, b = (rng.random(n, dtype=np.float32) for _ in range(2))
    ours = per_call_us(lambda: run("AddV2", [a, b]), number=10, repeat=5)
    peers = {"numpy": per_call_us(lambda: np.add(a, b), number=10, repeat=5)}
    if HAVE["torch"]:
        import torch

        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        peers["torch"] = per_call_us(lambda: torch.add(ta, tb), number=10, repeat=5)
    report("AddV2 on 1e7 float32", ours, peers, "numpy", 1.5)


def bench_softmax():
    x = np.random.default_rng(2).standard_normal((4096, 1024), dtype=np.float32)

    def numpy_softmax():
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    if "Softmax" not in K.list_op_defs():
        RESULTS.append("Softmax: no Softmax kernel registered")
        return
    ours = per_call_us(lambda: run("Softmax", [x]), number=5, repeat=5)
    peers = {"numpy composition": per_call_us(numpy_softmax, number=5, repeat=5)}
    if HAVE["torch"]:
        import torch

        tx = torch.from_numpy(x)
        peers["torch"] = per_call_us(lambda: torch.softmax(tx, -1), number=5, repeat=5)
    if HAVE["jax"]:
        import jax

        jx = jax.numpy.asarray(x)
        f = jax.jit(jax.nn.softmax)
        peers["jax.jit"] = per_call_us(lambda: f(jx).block_until_ready(), number=5, repeat=5)
    if HAVE["tensorflow"]:
        import tensorflow as tf

        fx = tf.constant(x)
        peers["tensorflow"] = per_call_us(lambda: tf.nn.softmax(fx).numpy(), number=5, repeat=5)
        report("Softmax (4096, 1024)", ours, peers, "tensorflow", 1.0)
    elif HAVE["torch"]:
        report("Softmax (4096, 1024) vs PyTorch (standing in for TF)", ours, peers, "torch", 1.0)
    report("Softmax (4096, 1024) vs NumPy", ours, peers, "numpy composition", 5.0)


def bench_conv():
    if "Conv2DBackpropFilter" not in K.list_op_defs():
        RESULTS.append("Conv2D fwd+bwd: the Conv2D kernels are not registered yet")
        return
    rng = np.random.default_rng(3)
    x = rng.standard_normal((32, 28, 28, 16), dtype=np.float32)
    w = rng.standard_normal((3, 3, 16, 32), dtype=np.float32)
    attrs = {"strides": [1, 1, 1, 1], "padding": "SAME", "dilations": [1, 1, 1, 1]}
    y = run("Conv2D", [x, w], attrs)[0]
    dy = np.ones_like(y)

    def ours_step():
        run("Conv2D", [x, w], attrs)
        run("Conv2DBackpropInput", [w, dy], {**attrs, "input_sizes": x.shape})
        run("Conv2DBackpropFilter", [x, dy], {**attrs, "filter_sizes": w.shape})

    steps = {"tensorhouse": ours_step}
    if HAVE["torch"]:
        import torch

        tx = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous(memory_format=torch.channels_last)
        tx.requires_grad_(True)
        tw = torch.from_numpy(w).permute(3, 2, 0, 1).contiguous(memory_format=torch.channels_last)
        tw.requires_grad_(True)

        def torch_step():
            out = torch.nn.functional.conv2d(tx, tw, padding=1)
            out.backward(torch.ones_like(out))

        steps["torch channels-last"] = torch_step
    # rounds, as for MatMul: a slow stretch of the shared machine lands on both, not on one
    peers = rounds_us(steps, number=3, repeat=3, rounds=3)
    ours = peers.pop("tensorhouse")
    report("Conv2D fwd + both backprops (32,28,28,16) * (3,3,16,32)", ours, peers,
           "torch channels-last", 1.0)  # fmt: skip


def bench_unary():
    """Exp, Tanh, Sigmoid and Log on 1e6 float32 against NumPy and PyTorch (no issue target:
    reported so that a slow transcendental loop shows)."""
    x = np.random.default_rng(4).standard_normal(1_000_000).astype(np.float32)
    pos = np.abs(x) + np.float32(0.5)
    cases = [  # (op, input, numpy, torch name)
        ("Exp", x, np.exp, "exp"),
        ("Tanh", x, np.tanh, "tanh"),
        ("Sigmoid", x, lambda v: 1 / (1 + np.exp(-v)), "sigmoid"),
        ("Log", pos, np.log, "log"),
    ]
    for op, v, numpy_fn, torch_name in cases:
        ours = per_call_us(lambda op=op, v=v: run(op, [v]), number=10, repeat=5)
        peers = {"numpy": per_call_us(lambda f=numpy_fn, v=v: f(v), number=10, repeat=5)}
        if HAVE["torch"]:
            import torch

            tv, fn = torch.from_numpy(v), getattr(torch, torch_name)
            peers["torch"] = per_call_us(lambda fn=fn, tv=tv: fn(tv), number=10, repeat=5)
        report(f"{op} on 1e6 float32 (no target)", ours, peers)


def bench_call_overhead():
    a, b = np.ones(4, np.float32), np.ones(4, np.float32)
    out = np.empty(4, np.float32)
    code = _cpu.BINARY_OPS["AddV2"]
    t = per_call_us(lambda: _cpu.binary(code, a, b, out), number=100_000)
    print(f"\nC++ call of a 4-element AddV2 from Python: {t:.3f} us")
    RESULTS.append(f"C++ call of a 4-element AddV2: {t:.3f} us (target < 0.5 us) "
                   f"{'MET' if t < 0.5 else 'NOT MET'}")  # fmt: skip


def main() -> int:
    info = K.cpu_info()
    print(f"threads {info['threads']}, BLAS core {info['blas_core']}, "
          f"kernels ISA {_cpu.cpu_isa()}, peers: "
          + ", ".join(k for k, v in HAVE.items() if v) + ", numpy")  # fmt: skip
    cases = {"call": bench_call_overhead, "add": bench_binary, "unary": bench_unary,
             "softmax": bench_softmax, "conv": bench_conv}  # fmt: skip
    cases.update({f"matmul{n}": functools.partial(bench_matmul, n) for n in MATMUL_SIZES})
    for name, bench in cases.items():
        if CASES is None or name in CASES or (name.startswith("matmul") and "matmul" in CASES):
            bench()
    print("\nTargets:")
    for line in RESULTS:
        print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
