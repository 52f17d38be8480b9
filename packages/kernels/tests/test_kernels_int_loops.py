"""The C++ unary / binary kernels have integer loops exactly for the ops whose op definitions
allow an integer dtype (the others are float-only in TF and compiled for floats only): each of
those computes NumPy's numbers, and a float-only op refuses an integer array with a TypeError
naming the op and the dtype."""

from __future__ import annotations

import numpy as np
import pytest

from tensorhouse_kernels import _cpu
from tensorhouse_kernels.opdefs import get_op_def

INTS = [np.dtype(d) for d in ("int8", "int16", "int32", "int64", "uint8")]
UNARY_REF = {
    "Neg": np.negative,
    "Abs": np.abs,
    "Sign": np.sign,
    "Square": np.square,
    "Relu": lambda x: np.maximum(x, 0),
    "Relu6": lambda x: np.clip(x, 0, 6),
    "Round": lambda x: x,
}


def _int_dtypes(name):
    return [d for d in get_op_def(name).dtypes if d in INTS]


@pytest.mark.parametrize("name", sorted(_cpu.UNARY_OPS))
def test_unary_integer_loops_follow_the_op_definitions(name):
    code = _cpu.UNARY_OPS[name]
    allowed = _int_dtypes(name)
    assert (name in UNARY_REF) == bool(allowed)
    for dt in INTS:
        x = np.array([-7, -1, 0, 3, 9], np.int64).astype(dt)
        out = np.empty_like(x)
        if dt in allowed:
            _cpu.unary(code, x, out)
            np.testing.assert_array_equal(out, UNARY_REF[name](x).astype(dt))
        elif name not in UNARY_REF:
            with pytest.raises(TypeError, match=f"{name}: unsupported dtype {dt.name}"):
                _cpu.unary(code, x, out)


@pytest.mark.parametrize("name", sorted(n for n, c in _cpu.BINARY_OPS.items()))
def test_binary_integer_loops_follow_the_op_definitions(name):
    code = _cpu.BINARY_OPS[name]
    compare = code >= _cpu.BINARY_OPS["Equal"]
    a = np.array([7, -3, 0, 5], np.int32)
    b = np.array([2, 2, 3, 5], np.int32)
    out = np.empty(4, bool if compare else np.int32)
    if _int_dtypes(name):
        _cpu.binary(code, a, b, out)
        if name == "AddV2":
            np.testing.assert_array_equal(out, a + b)
        if name == "Less":
            np.testing.assert_array_equal(out, a < b)
    else:
        with pytest.raises(TypeError, match=f"{name}: unsupported dtype int32"):
            _cpu.binary(code, a, b, out)
