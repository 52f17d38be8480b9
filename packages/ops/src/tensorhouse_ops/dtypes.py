"""TF's ``DType`` objects (``tf.float32`` ...), each tied to its NumPy storage dtype."""

from __future__ import annotations

import builtins
import sys
from typing import Any

import numpy as np

__all__ = [
    "DType",
    "as_dtype",
    "float16",
    "float32",
    "float64",
    "bfloat16",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "saturate_cast",
    "bool",
    "complex64",
    "complex128",
    "string",
    "half",
    "double",
]


class DType:
    """A tensor element type; compares equal to itself, its name and its NumPy dtype."""

    __slots__ = ("_name", "_np")

    def __init__(self, name: str, np_dtype):
        self._name = name
        self._np = np_dtype

    name = property(lambda self: self._name)
    as_numpy_dtype = property(lambda self: self._np.type)

    @property
    def size(self) -> int:
        """Bytes per element (TF's ``DType.size``; 0 for ``string``, as in TF)."""
        return 0 if self._name == "string" else self._np.itemsize

    # builtins.bool below: this module's own ``bool`` is the dtype (TF's tf.bool)
    @property
    def is_floating(self) -> builtins.bool:
        return self._name in ("float16", "bfloat16", "float32", "float64")

    @property
    def is_integer(self) -> builtins.bool:
        return self._name in ("int8", "int16", "int32", "int64") or self.is_unsigned

    @property
    def is_unsigned(self) -> builtins.bool:
        return self._name in ("uint8", "uint16", "uint32", "uint64")

    @property
    def is_bool(self) -> builtins.bool:
        return self._name == "bool"

    @property
    def is_complex(self) -> builtins.bool:
        return self._name in ("complex64", "complex128")

    @property
    def is_numeric(self) -> builtins.bool:
        return self.is_floating or self.is_integer or self.is_complex

    @property
    def real_dtype(self) -> DType:
        """float32 for complex64, float64 for complex128; any other dtype itself."""
        return {"complex64": float32, "complex128": float64}.get(self._name, self)

    @property
    def min(self):
        if self.is_complex:
            raise TypeError(f"Cannot find minimum value of {self} with type {self}.")
        if self.is_floating:
            return float(_finfo(self._np).min)
        return int(np.iinfo(self._np).min)

    @property
    def max(self):
        if self.is_complex:
            raise TypeError(f"Cannot find maximum value of {self} with type {self}.")
        if self.is_floating:
            return float(_finfo(self._np).max)
        return int(np.iinfo(self._np).max)

    @property
    def base_dtype(self) -> DType:
        return self

    def __eq__(self, other):
        if isinstance(other, DType):
            return other is self
        try:
            return as_dtype(other) is self
        except TypeError:
            return False

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(self._name)

    def __str__(self):
        return f"<dtype: '{self._name}'>"

    def __repr__(self):
        return f"tf.{self._name}"

    def __reduce__(self):
        return as_dtype, (self._name,)


def _finfo(np_dtype):
    """``np.finfo`` that also knows ml_dtypes' floats (bfloat16: NumPy's finfo rejects it)."""
    np_dtype = np.dtype(np_dtype)
    if np_dtype.kind == "V" or np_dtype.name == "bfloat16":  # an ml_dtypes type
        import ml_dtypes

        return ml_dtypes.finfo(np_dtype)
    return np.finfo(np_dtype)


class _LazyDType(DType):
    """A DType whose NumPy dtype is imported on first use (bfloat16: ml_dtypes, 0.1-1 s)."""

    __slots__ = ("_module", "_attr")

    def __init__(self, name: str, module: str, attr: str):
        self._name, self._module, self._attr = name, module, attr

    @property
    def _np(self):  # the base class's slot holds the dtype once loaded
        try:
            return DType._np.__get__(self)  # type: ignore[attr-defined]
        except AttributeError:
            pass
        __import__(self._module)
        npd = np.dtype(getattr(sys.modules[self._module], self._attr))
        DType._np.__set__(self, npd)  # type: ignore[attr-defined]
        _BY_NP[npd] = _FROM_NP[npd] = self
        return npd


float16 = half = DType("float16", np.dtype("float16"))
float32 = DType("float32", np.dtype("float32"))
float64 = double = DType("float64", np.dtype("float64"))
bfloat16 = _LazyDType("bfloat16", "ml_dtypes", "bfloat16")
int8 = DType("int8", np.dtype("int8"))
int16 = DType("int16", np.dtype("int16"))
int32 = DType("int32", np.dtype("int32"))
int64 = DType("int64", np.dtype("int64"))
uint8 = DType("uint8", np.dtype("uint8"))
uint16 = DType("uint16", np.dtype("uint16"))
uint32 = DType("uint32", np.dtype("uint32"))
uint64 = DType("uint64", np.dtype("uint64"))
bool = DType("bool", np.dtype("bool"))  # noqa: A001 - TF's name
complex64 = DType("complex64", np.dtype("complex64"))
complex128 = DType("complex128", np.dtype("complex128"))
string = DType("string", np.dtype("object"))

_ALL = [float16, float32, float64, bfloat16, int8, int16, int32, int64, uint8, uint16, uint32,
        uint64, bool, complex64, complex128, string]  # fmt: skip
_BY_NAME = {d.name: d for d in _ALL}
_BY_NAME.update({"half": float16, "double": float64})
_BY_NP = {d._np: d for d in _ALL if d is not string and not isinstance(d, _LazyDType)}


def as_dtype(value) -> DType:
    """Convert a DType, a name ('float32'), a NumPy dtype or a Python type to a ``DType``."""
    if isinstance(value, DType):
        return value
    if isinstance(value, str) and value in _BY_NAME:
        return _BY_NAME[value]
    if value is str or value is bytes:
        return string
    try:
        npd = np.dtype(value)
    except TypeError:
        raise TypeError(f"Cannot convert {value!r} to a tensorhouse DType") from None
    found = _BY_NP.get(npd)
    if found is None and npd.name == "bfloat16" and "ml_dtypes" in sys.modules:
        found = bfloat16 if bfloat16._np == npd else None  # a bfloat16 array came first
    if found is None:
        if npd.kind in "OSU":
            return string
        raise TypeError(f"Cannot convert {value!r} to a tensorhouse DType (unsupported: {npd})")
    return found


_FROM_NP = {**_BY_NP, np.dtype(object): string}  # a string tensor's buffer is an object array


def from_numpy(npd) -> DType:
    """Fast path for the DType of a NumPy dtype (used on every tensor's ``dtype``)."""
    found = _FROM_NP.get(npd)
    return found if found is not None else as_dtype(npd)


# ``_composed.saturate_cast``: the ops load after the dtypes and set it (a hook, not an import)
_saturate_cast: Any = None


def saturate_cast(value, dtype, name=None):
    """TF's ``tf.dtypes.saturate_cast``: ``value`` clamped to ``dtype``'s range, then cast."""
    return _saturate_cast(value, dtype, name)


# ``tf.dtypes.cast`` / ``complex``: the ops package sets them when it loads (hooks, as above)
cast: Any = None
complex: Any = None  # noqa: A001 - TF's name
