"""Every (op, dtype) pair real TF 2.21 has a CPU kernel for has a kernel here too.

The pairs are ``data/tf_cpu_kernels.json``, read from TF's kernel registry by
``tools/tf_cpu_kernels.py`` (it needs real TensorFlow): a fact about TF, not made by this code.
They are restricted to the dtypes tensorhouse represents. The pairs not covered yet are
listed in ``STILL_MISSING``; the test fails when a new gap appears AND when a listed one is
covered without the list being updated.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from tensorhouse_hw_runtime.registry import list_kernels
from tensorhouse_kernels import xla

DATA = Path(__file__).parent / "data" / "tf_cpu_kernels.json"
HAS_BFLOAT16 = importlib.util.find_spec("ml_dtypes") is not None

if HAS_BFLOAT16:
    import ml_dtypes  # noqa: F401 - the kernels add bfloat16 when ml_dtypes is first loaded
# The dtypes tensorhouse has (tensorhouse_ops.dtypes); bfloat16 needs ml_dtypes.
DTYPES = ("bool", "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8")
DTYPES += ("bfloat16",) if HAS_BFLOAT16 else ()
DTYPES += ("string",)  # NumPy object arrays of bytes; CPU only (TF keeps strings on the host)

# TF pairs with no kernel here yet: keep this set exact (smaller is the goal).
_MISSING = {
    # TF's Cast takes strings only to fail (UnimplementedError); tf.strings converts them
    "Cast": ("string",),
}
STILL_MISSING = {
    (op, dt) for op, dts in _MISSING.items() for dt in dts if dt != "bfloat16" or HAS_BFLOAT16
}


def tf_pairs() -> set:
    """The (op, dtype name) pairs TF registers on CPU, for the dtypes in ``DTYPES``."""
    data = json.loads(DATA.read_text())
    assert data["tensorflow"].startswith("2.21") and data["device"] == "CPU"
    pairs = set()
    for op, entry in data["ops"].items():
        dtypes = DTYPES if entry["dtypes"] == ["*"] else entry["dtypes"]
        pairs |= {(op, dt) for dt in dtypes if dt in DTYPES}
    return pairs


def registered(device_type: str) -> set:
    return {
        (k.op_type, "string" if k.dtype == "object" else np.dtype(k.dtype).name)
        for k in list_kernels(device_type=device_type)
        if k.source.startswith("tensorhouse_kernels")
    }


def test_the_tf_list_is_real():
    pairs = tf_pairs()
    assert len(pairs) > 650  # guards against an empty or truncated file (806 with bfloat16)
    # a few facts about TF 2.21 that the issue named
    for pair in [("Equal", "bool"), ("MatMul", "int32"), ("StridedSlice", "float16"),
                 ("AddV2", "int8"), ("Sum", "int16"), ("TruncateMod", "int64")]:  # fmt: skip
        assert pair in pairs, pair
    assert ("MatMul", "int8") not in pairs and ("TruncateMod", "float16") not in pairs


def test_every_tf_cpu_pair_has_a_cpu_kernel_or_is_listed():
    missing = tf_pairs() - registered("CPU")
    new_gaps = sorted(missing - STILL_MISSING)
    fixed = sorted(STILL_MISSING - missing)
    assert not new_gaps, f"TF has CPU kernels for these pairs and tensorhouse does not: {new_gaps}"
    assert not fixed, f"these pairs have kernels now: remove them from STILL_MISSING: {fixed}"


def test_still_missing_pairs_are_tf_pairs():
    assert STILL_MISSING <= tf_pairs()


@pytest.mark.parametrize("device_type", xla.DEVICE_TYPES)
def test_ops_with_xla_kernels_cover_the_tf_pairs_there_too(device_type):
    pytest.importorskip("jax")  # the XLA kernels are registered only where JAX is installed
    want = {(op, dt) for op, dt in tf_pairs() - STILL_MISSING if op in xla.TABLE}
    want = {(op, dt) for op, dt in want if dt != "string"}  # strings: CPU kernels only
    missing = sorted(want - registered(device_type))
    assert len(want) > 550 and not missing, missing
