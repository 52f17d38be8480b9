"""hw-runtime: what kernel dispatch adds over calling the kernel directly (4-element AddV2).

Target (hw-runtime issue): dispatch under 1 microsecond. Peers installed in the same run
(NumPy, PyTorch, JAX, TensorFlow) are timed on the same 4-element add for scale.

    python benchmarks/bench_dispatch.py
"""

from __future__ import annotations

import importlib.util
import sys

import numpy as np

import tensorhouse_hw_runtime as rt
import tensorhouse_kernels as K
from tensorhouse_kernels import _cpu

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from _timing import per_call_us, table


def main() -> int:
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
