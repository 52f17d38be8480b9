"""Keras 3's dtype promotion (NumPy-like, with Python scalars as weak types), and conversion."""

from __future__ import annotations

import numpy as np

from tensorhouse_ops import DType, Tensor, Variable, as_dtype, cast, convert_to_tensor, is_tensor

from . import config

__all__ = ["promote", "result_type", "standardize_dtype", "to_tensor"]

_INTS = ("int8", "int16", "int32", "int64")  # signed, narrowest first
_FLOAT_ORDER = ("float16", "bfloat16", "float32", "float64")
_NAMES = {"bool", "uint8", *_INTS, *_FLOAT_ORDER}
_WEAK = {bool: "bool", int: "int", float: "float"}


def standardize_dtype(dtype):
    """A dtype name string (``"float32"``) from a string, a DType, a NumPy dtype or a type."""
    if dtype is None:
        return config.floatx()
    if dtype in _WEAK:
        return {"bool": "bool", "int": "int32", "float": "float32"}[_WEAK[dtype]]
    if isinstance(dtype, DType):
        name = dtype.name
    elif hasattr(dtype, "name") and not isinstance(dtype, str):
        name = str(dtype.name)
    else:
        name = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
    name = {"double": "float64", "half": "float16", "float": "float32", "int": "int32"}.get(
        name, name
    )
    if name not in _NAMES:
        raise ValueError(f"Invalid dtype: {dtype}")
    return name


def _kind(name):
    if name == "bool":
        return 0
    return 2 if name in _FLOAT_ORDER else 1


def _strong(names):
    """The least upper bound of dtype names that are all strongly typed."""
    floats = [n for n in names if _kind(n) == 2]
    if floats:
        if "float64" in floats:
            return "float64"
        if "float32" in floats or {"float16", "bfloat16"} <= set(floats):
            return "float32"
        return floats[0]
    ints = [n for n in names if _kind(n) == 1]
    if not ints:
        return "bool"
    signed = [n for n in ints if n != "uint8"]
    if not signed:
        return "uint8"
    widest = max(signed, key=_INTS.index)
    return "int16" if widest == "int8" and "uint8" in ints else widest


def result_type(*dtypes):
    """The dtype Keras 3 gives an op on these dtypes; Python ``bool`` / ``int`` / ``float``
    are weak: they never widen a tensor's dtype of their kind or above."""
    if not dtypes:
        return config.floatx()
    strong = [standardize_dtype(d) for d in dtypes if d not in _WEAK]
    weak = {_WEAK[d] for d in dtypes if d in _WEAK}
    if strong:
        out = _strong(strong)
        kind = _kind(out)
        if "float" in weak and kind < 2:
            return config.floatx()
        if "int" in weak and kind == 0:
            return "int32"
        return out
    if "float" in weak:
        return config.floatx()
    return "int32" if "int" in weak else "bool"


def dtype_of(x):
    """``x``'s dtype name, or the Python type of a Python scalar (a weak type)."""
    if isinstance(x, Tensor | Variable) or is_tensor(x):
        return x.dtype.name
    if isinstance(x, np.ndarray | np.generic):
        return standardize_dtype(x.dtype)
    if type(x) in _WEAK:
        return type(x)
    return standardize_dtype(to_tensor(x).dtype)


def to_tensor(x, dtype=None):
    """A tensor (Python floats give floatx, ints int32), cast to ``dtype`` when given."""
    if not is_tensor(x) or isinstance(x, Variable):
        if dtype is None and type(x) is float:
            dtype = config.floatx()
        if dtype is not None and not isinstance(x, Tensor | Variable):
            arr = np.asarray(x)
            if arr.dtype.kind != "O":
                return convert_to_tensor(arr.astype(standardize_dtype(dtype)))
        x = convert_to_tensor(x)
    if dtype is not None and x.dtype != as_dtype(standardize_dtype(dtype)):
        x = cast(x, standardize_dtype(dtype))
    return x


def promote(*xs, dtype=None):
    """Tensors of ``xs`` in their common dtype (``result_type`` of theirs, or ``dtype``)."""
    target = dtype or result_type(*(dtype_of(x) for x in xs))
    return [to_tensor(x, target) for x in xs]


def to_float(x):
    """A float tensor: integers and booleans take floatx (as Keras's sqrt, mean, exp do)."""
    x = to_tensor(x)
    if not x.dtype.is_floating:
        x = cast(x, config.floatx())
    return x
