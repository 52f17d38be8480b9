"""Tensor, TensorShape, conversion, and the one path every op takes to the kernels."""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

from tensorhouse_kernels import eager_elementwise
from tensorhouse_kernels import execute as _kernel_execute
from tensorhouse_kernels.runtime import (
    copy_to_device,
    current_device,
    default_device,
    errors,
    from_host,
    to_host,
)

from . import _record
from . import dtypes as _dt

__all__ = ["Tensor", "TensorShape", "VariableLike", "constant", "convert_to_tensor", "is_tensor"]


class VariableLike:
    """Marker base of what ops read through ``_th_read()`` (``Variable`` and its slices)."""

    __slots__ = ()

    def _th_read(self) -> Tensor:
        """The current value, as a tensor (each subclass reads its own)."""
        raise NotImplementedError


class TensorShape:
    """TF's ``TensorShape``: a tuple of dims, each an int or ``None`` when unknown."""

    __slots__ = ("_dims",)

    def __init__(self, dims):
        if isinstance(dims, TensorShape):
            dims = dims._dims
        self._dims = None if dims is None else tuple(None if d is None else int(d) for d in dims)

    @property
    def rank(self):
        return None if self._dims is None else len(self._dims)

    ndims = rank

    @property
    def dims(self):
        return None if self._dims is None else list(self._dims)

    def as_list(self):
        if self._dims is None:
            raise ValueError("as_list() is not defined on an unknown TensorShape.")
        return list(self._dims)

    def is_fully_defined(self) -> bool:
        return self._dims is not None and None not in self._dims

    def num_elements(self):
        if not self.is_fully_defined():
            return None
        return int(np.prod(self._dims, dtype=np.int64))

    def concatenate(self, other) -> TensorShape:
        """The dims of ``self`` followed by those of ``other`` (unknown when either is)."""
        other = TensorShape(other)
        if self._dims is None or other._dims is None:
            return TensorShape(None)
        return TensorShape(self._dims + other._dims)

    def is_compatible_with(self, other) -> bool:
        other = TensorShape(other)
        if self._dims is None or other._dims is None:
            return True
        if len(self._dims) != len(other._dims):
            return False
        return all(a is None or b is None or a == b for a, b in zip(self._dims, other._dims))

    def __len__(self):
        if self._dims is None:
            raise ValueError("Cannot take the length of shape with unknown rank.")
        return len(self._dims)

    def __iter__(self):
        return iter(self._dims)

    def __getitem__(self, key):
        if isinstance(key, slice):
            return TensorShape(self._dims[key])
        return self._dims[key]

    def __eq__(self, other):
        try:
            other = TensorShape(other)
        except TypeError:
            return NotImplemented
        return self._dims == other._dims

    def __hash__(self):
        return hash(self._dims)

    def __repr__(self):
        return f"TensorShape({None if self._dims is None else list(self._dims)})"

    def __str__(self):
        if self._dims is None:
            return "<unknown>"
        inner = ", ".join("None" if d is None else str(d) for d in self._dims)
        return f"({inner},)" if len(self._dims) == 1 else f"({inner})"


if TYPE_CHECKING:  # the operators _math.py / _array.py / _variables.py bind; for type checkers

    class _ArithmeticOperators:
        def __add__(self, other: Any) -> Tensor: ...
        def __radd__(self, other: Any) -> Tensor: ...
        def __sub__(self, other: Any) -> Tensor: ...
        def __rsub__(self, other: Any) -> Tensor: ...
        def __mul__(self, other: Any) -> Tensor: ...
        def __rmul__(self, other: Any) -> Tensor: ...
        def __truediv__(self, other: Any) -> Tensor: ...
        def __rtruediv__(self, other: Any) -> Tensor: ...
        def __pow__(self, other: Any) -> Tensor: ...
        def __rpow__(self, other: Any) -> Tensor: ...
        def __matmul__(self, other: Any) -> Tensor: ...
        def __rmatmul__(self, other: Any) -> Tensor: ...
        def __neg__(self) -> Tensor: ...
        def __abs__(self) -> Tensor: ...
        def __lt__(self, other: Any) -> Tensor: ...
        def __le__(self, other: Any) -> Tensor: ...
        def __gt__(self, other: Any) -> Tensor: ...
        def __ge__(self, other: Any) -> Tensor: ...

    class _Operators(_ArithmeticOperators):
        def __floordiv__(self, other: Any) -> Tensor: ...
        def __rfloordiv__(self, other: Any) -> Tensor: ...
        def __mod__(self, other: Any) -> Tensor: ...
        def __rmod__(self, other: Any) -> Tensor: ...
        def __and__(self, other: Any) -> Tensor: ...
        def __rand__(self, other: Any) -> Tensor: ...
        def __or__(self, other: Any) -> Tensor: ...
        def __ror__(self, other: Any) -> Tensor: ...
        def __invert__(self) -> Tensor: ...
        def __eq__(self, other: Any) -> Tensor: ...  # type: ignore[override]  # TF's elementwise ==
        def __ne__(self, other: Any) -> Tensor: ...  # type: ignore[override]
        def __getitem__(self, key: Any) -> Tensor: ...
        def __iter__(self) -> Any: ...
else:
    _ArithmeticOperators = _Operators = object


class Tensor(_Operators):
    """An immutable tensor: one buffer on one device (TF's ``EagerTensor``)."""

    __slots__ = ("_value", "_device", "__weakref__")
    __array_priority__ = 100  # NumPy defers to our operators

    def __init__(self, value, device):
        self._value = value  # the device's native buffer (a C-contiguous ndarray on the CPU)
        self._device = device

    # ---- metadata ---------------------------------------------------------------------
    @property
    def dtype(self) -> _dt.DType:
        return _dt.from_numpy(self._value.dtype)

    @property
    def shape(self) -> TensorShape:
        return TensorShape(self._value.shape)

    @property
    def ndim(self) -> int:
        return len(self._value.shape)

    @property
    def device(self) -> str:
        return self._device.name

    def get_shape(self) -> TensorShape:
        return self.shape

    def numpy(self):
        """The value as a NumPy array (a read-only view on the CPU: tensors are immutable); a
        scalar as TF gives it: a NumPy scalar, or ``bytes`` for a string."""
        host = self._host()
        return host[()] if host.ndim == 0 else host

    def _host(self) -> np.ndarray:
        host = to_host(self._value, self._device)
        if host is self._value:
            host = host.view()
            host.flags.writeable = False
        return host

    def __array__(self, dtype=None, copy=None):
        global _array_reads
        _array_reads += 1  # a list being converted learns that it holds a tensor
        arr = self._host()
        if dtype is not None:
            arr = arr.astype(dtype)
        return np.array(arr, copy=True) if copy else arr

    def ref(self):
        return _Ref(self)

    # ---- Python protocol ----------------------------------------------------------------
    def __repr__(self):
        return (
            f"<tf.Tensor: shape={self.shape}, dtype={self.dtype.name}, "
            f"numpy={numpy_text(self._host())}>"
        )

    def __str__(self):
        arr = np.array_str(self._host())
        if "\n" in arr:  # TF starts a value of several lines on a line of its own
            arr = "\n" + arr
        return f"tf.Tensor({arr}, shape={self.shape}, dtype={self.dtype.name})"

    def __format__(self, format_spec):
        """As TF: the NumPy value's format (``f"{t:.2f}"`` for a scalar tensor)."""
        host = self._host()
        return (host[()] if host.ndim == 0 else host).__format__(format_spec)

    def __bool__(self):
        return bool(self.numpy())

    def __float__(self):
        return float(self.numpy())

    def __int__(self):
        return int(self.numpy())

    def __index__(self):
        if not self.dtype.is_integer:
            raise TypeError(f"Only integer tensors can be used as indices, got {self.dtype.name}")
        return int(self.numpy())

    def __len__(self):
        if not self._value.shape:
            raise TypeError("Scalar tensor has no `len()`")
        return self._value.shape[0]

    def __hash__(self):
        raise TypeError("Tensor is unhashable. Instead, use tensor.ref() as the key.")

    def __setitem__(self, key, value):
        raise TypeError(
            "'tensorhouse.Tensor' object does not support item assignment: tensors are "
            "immutable; use a tf.Variable and its assign methods instead"
        )

    # Operators are attached by _math (they need the op functions).


# An eager tensor's type is named as TF names it (``type(t).__name__``, error texts); ``tf.Tensor``
# is this class, and pickle finds it under either name.
Tensor.__name__ = Tensor.__qualname__ = "EagerTensor"
EagerTensor = Tensor


def numpy_text(arr: np.ndarray) -> str:
    """The ``numpy=`` part of a tensor's or variable's repr, as TF prints it: a scalar as the
    repr of its Python value (``21.0``, ``0.10000000149011612``, ``True``, ``b'ab'``), anything
    else as NumPy's array repr, on a line of its own when it takes several."""
    if arr.ndim == 0:
        return repr(arr.item())
    text = np.array_repr(arr)
    return "\n" + text if "\n" in text else text


class _Ref:
    """A hashable reference to a tensor (``Tensor.ref()``)."""

    __slots__ = ("_t",)

    def __init__(self, t):
        self._t = t

    def deref(self):
        return self._t

    def __hash__(self):
        return id(self._t)

    def __eq__(self, other):
        return isinstance(other, _Ref) and other._t is self._t


def is_tensor(x) -> bool:
    """TF's ``tf.is_tensor``: tensors and tensor-like objects (variables) are tensors."""
    return isinstance(x, Tensor) or isinstance(x, VariableLike)


# ---- conversion -----------------------------------------------------------------------------


def _asarray(value) -> np.ndarray:
    """``np.asarray``; a list mixing ``str`` and non-ASCII ``bytes`` (which NumPy would decode
    as ASCII into one str array) becomes an object array of its strings."""
    try:
        return np.asarray(value)
    except UnicodeDecodeError:
        _check_not_mixed(value)
        return np.array(value, dtype=object)
    except ValueError as e:  # NumPy's "inhomogeneous shape": TF's words for it
        if isinstance(value, list | tuple) and "inhomogeneous" in str(e):
            raise ValueError(f"Can't convert {_uneven(value)} to Tensor.") from None
        raise


def _uneven(seq) -> str:
    """How a nested sequence fails to be an array, in TF's words: mixed types (numbers beside
    sequences) or non-rectangular (sequences of different lengths)."""
    levels = [seq]
    while levels:
        nested = [isinstance(e, list | tuple | np.ndarray) for s in levels for e in s]
        if any(nested) and not all(nested):
            return "Python sequence with mixed types"
        children = [e for s in levels for e in s] if nested and all(nested) else []
        if len({len(c) for c in children}) > 1:
            break
        levels = children
    return "non-rectangular Python sequence"


def _python_default_dtype(value):
    """TF's defaults: float -> float32, int -> int32 (int64 when it does not fit), bool."""
    arr = _asarray(value)
    kind = arr.dtype.kind
    if kind == "f":
        if arr.size and isinstance(value, list | tuple) and np.abs(arr).max() >= 2.0**63:
            _check_int_range(value)  # NumPy makes floats of ints beyond int64
        return _dt.float32
    if kind in "iu":
        lo, hi = (int(arr.min()), int(arr.max())) if arr.size else (0, 0)
        if hi >= 2**63:
            raise ValueError("Can't convert Python sequence with out-of-range integer to Tensor.")
        return _dt.int32 if -(2**31) <= lo and hi < 2**31 else _dt.int64
    if kind == "b":
        return _dt.bool
    if kind in "SU":
        _check_not_mixed(value)
        return _dt.string
    if kind == "O" and all(isinstance(v, str | bytes) for v in arr.flat):
        return _dt.string
    if kind == "O":
        _check_int_range(value)
    if kind == "c":
        return _dt.complex128  # TF's default for a Python complex
    raise ValueError(
        f"Attempt to convert a value ({value!r}) with an unsupported type "
        f"({type(value)}) to a Tensor."
    )


def _int_arg(v) -> int:
    """An int argument (an axis, a dim, a count): a float that is not a whole number (inf,
    nan, 1.5) is TF's TypeError, never a raw OverflowError or a truncation."""
    if type(v) is int:  # the common case, first: this runs for every dim of every shape arg
        return v
    if isinstance(v, Tensor):
        v = v.numpy()
    if isinstance(v, np.ndarray | np.generic) and np.ndim(v) == 0:
        v = v.item()
    if isinstance(v, float | np.floating) and not (np.isfinite(v) and v == np.floor(v)):
        raise TypeError(f"Cannot convert {v!r} to EagerTensor of dtype int32")
    return int(v)


def _leaves(value):
    if isinstance(value, list | tuple):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


def _check_int_range(value):
    """TF's error for Python ints beyond int64."""
    for v in _leaves(value):
        if isinstance(v, int) and not -(2**63) <= v < 2**63:
            raise ValueError("Can't convert Python sequence with out-of-range integer to Tensor.")


def _check_not_mixed(value):
    """TF's error for a Python sequence of strings and numbers (``['a', 1]``)."""
    if isinstance(value, list | tuple) and not all(
        isinstance(v, str | bytes | np.str_ | np.bytes_) for v in _leaves(value)
    ):
        raise ValueError("Can't convert Python sequence with mixed types to Tensor.")


def _to_numpy(value, dtype: _dt.DType | None) -> np.ndarray:
    if isinstance(value, np.ndarray | np.generic):
        arr = np.asarray(value)
        if dtype is None:
            dtype = _dt.from_numpy(arr.dtype)  # a dtype TF's tensors cannot have: TypeError
            if dtype is not _dt.string:
                return arr
        if dtype is _dt.string:  # NumPy's str / bytes / object arrays: UTF-8 bytes
            return _as_bytes(arr)
        target = dtype._np
        if arr.dtype != target and not _lossless(arr, target):
            raise TypeError(
                f"Cannot convert a NumPy array of dtype {arr.dtype} to a tensor of dtype "
                f"{dtype.name} without losing values"
            )
        if arr.dtype.kind == "c" and target.kind != "c":
            arr = arr.real  # the imaginary parts are all 0 (checked above)
        return arr.astype(target, copy=False)
    inferred = dtype is None
    if inferred:
        if type(value) in _SEQUENCES:
            arr = _short_list(value)
            if arr is not None:
                return arr
        dtype = _python_default_dtype(value)
    target = dtype._np
    try:
        arr = _asarray(value)
    except ValueError as e:
        raise ValueError(f"Cannot convert {value!r} to a tensor: {e}") from None
    if arr.dtype.kind in "SU":
        _check_not_mixed(value)
    if arr.dtype.kind == "O" and dtype is not _dt.string:
        if all(isinstance(v, numbers.Integral) for v in arr.flat):  # ints beyond int64
            raise ValueError("Can't convert Python sequence with out-of-range integer to Tensor.")
        raise ValueError(f"Cannot convert {value!r} to a tensor: ragged or mixed nested lists")
    if arr.dtype != target and arr.dtype.kind in "biufcSU":
        if not _lossless(arr, target):
            raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype {dtype.name}")
    if dtype is _dt.string:  # TF's strings are bytes: str values are stored UTF-8 encoded
        if arr.dtype.kind in "SU":  # NumPy's fixed-width strings drop trailing NULs: keep them
            leaves = list(_leaves(value))
            arr = np.empty(arr.shape, dtype=object)
            for i, v in enumerate(leaves):
                arr.flat[i] = v
        return _as_bytes(arr)
    if arr.dtype.kind == "f" and target.kind == "f" and target.itemsize < arr.itemsize:
        if arr.ndim or not abs(float(arr)) < 6e4:  # 6e4 fits float16: no overflow to check
            with np.errstate(over="ignore"):  # a Python float beyond a dtype given is inf
                out = arr.astype(target, copy=False)
            if inferred and np.isinf(out).any() and np.isfinite(arr[np.isinf(out)]).any():
                raise ValueError(_F32_RANGE)  # TF's float32 from Python floats: no overflow
            return out
    return arr.astype(target, copy=False)


_F32_MAX, _I32, _I64 = 3.4e38, 2**31, 2**63
_F32_RANGE = "Can't convert Python sequence with a value out of range for a double-precision float."


def _short_list(seq) -> np.ndarray | None:
    """A short flat list or tuple of Python floats (or of ints) straight in TF's default dtype:
    float32 when no value can overflow it, int32 (int64 past it); None for anything else, which
    takes the general path (its checks and errors)."""
    if len(seq) > 64:
        return None
    kinds = set(map(type, seq))
    if len(kinds) != 1:
        return None
    if float in kinds:
        return np.array(seq, np.float32) if max(map(abs, seq)) < _F32_MAX else None
    if int in kinds:
        lo, hi = min(seq), max(seq)
        if -_I32 <= lo and hi < _I32:
            return np.array(seq, np.int32)
        return np.array(seq, np.int64) if -_I64 <= lo and hi < _I64 else None
    return None


def _as_bytes(arr: np.ndarray) -> np.ndarray:
    if arr.dtype.kind == "O" and all(type(v) is bytes for v in arr.flat):
        return arr  # already TF's form
    out = np.empty(arr.shape, dtype=object)
    for i, v in enumerate(arr.flat):
        if isinstance(v, np.str_ | str):
            v = str(v).encode("utf-8")
        elif isinstance(v, np.bytes_):
            v = bytes(v)
        elif not isinstance(v, bytes):
            v = v.item() if isinstance(v, np.generic) else v
            raise TypeError(f"Cannot convert {v!r} to EagerTensor of dtype string")
        out.flat[i] = v
    return out


def _lossless(arr: np.ndarray, target: np.dtype) -> bool:
    """Whether ``arr`` converts to ``target`` with every value kept (no wrap, no truncation,
    no dropped imaginary part, no string parsed as a number)."""
    kind = arr.dtype.kind
    if kind in "SU" or (kind == "b" and target.kind != "b"):
        return target.kind in "OSU"
    if kind == "c":
        if target.kind == "c":
            return True
        if arr.size and np.any(arr.imag != 0):
            return False
        arr = arr.real
        kind = arr.dtype.kind
        if target.kind not in "iu":
            return True
    if target.kind in "iu" and kind == "f":
        if not (np.all(np.isfinite(arr)) and np.all(arr == np.round(arr))):
            return False
        info = np.iinfo(target)  # float(info.max) rounds up to 2**bits: compare below it
        return arr.size == 0 or (arr.min() >= float(info.min) and arr.max() < float(info.max))
    if target.kind == "b":
        return arr.dtype.kind == "b"
    if target.kind in "iu":
        info = np.iinfo(target)
        return arr.size == 0 or (arr.min() >= info.min and arr.max() <= info.max)
    return True


_array_reads = 0  # calls of ``Tensor.__array__``: NumPy read a tensor (one inside a list)
_SEQUENCES = (list, tuple)  # what TF auto-packs (a tuple of types: the fastest isinstance)


def _from_list(value, dtype, convert, args):
    """``convert(*args)`` of a list or tuple, or TF's auto-packing where it holds tensors: seen
    when NumPy reads one (a counter: plain data is never scanned) or when conversion fails."""
    reads = _array_reads
    try:
        out = convert(*args)
    except (TypeError, ValueError, NotImplementedError):
        if _holds_tensor(value):
            return _autopack(value, None if dtype is None else _dt.as_dtype(dtype))
        raise
    if _array_reads == reads or not _holds_tensor(value):
        return out
    return _autopack(value, None if dtype is None else _dt.as_dtype(dtype))


def _holds_tensor(seq) -> bool:
    """Whether a (nested) list or tuple holds a tensor or a variable: TF then packs it."""
    for v in seq:
        kind = type(v)
        if kind is float or kind is int:
            continue
        if kind is list or kind is tuple:
            if _holds_tensor(v):
                return True
        elif isinstance(v, _TENSOR_LIKE):
            return True
    return False


def _nested_dtype(seq):
    """The dtype of the first tensor or variable in a nested list, depth first (TF's rule)."""
    for v in seq:
        if isinstance(v, _TENSOR_LIKE):
            return _dt.as_dtype(v.dtype)
        if isinstance(v, list | tuple):
            found = _nested_dtype(v)
            if found is not None:
                return found
    return None


def _autopack(value, dtype):
    """TF's auto-packing: a nested list or tuple holding tensors as one tensor (``Pack``),
    Python values converted to the tensors' dtype; with ``dtype`` given, tensors of another
    dtype are cast to it."""
    found = _nested_dtype(value)
    return _pack_level(value, dtype or found, dtype is not None and dtype != found)


def _pack_level(seq, dtype, cast):
    """One level of ``_autopack``: a tensor if this level holds one, else a Python list."""
    items = [v._th_read() if isinstance(v, VariableLike) else v for v in seq]
    if cast:
        items = [_cast_any(v, dtype) if isinstance(v, Tensor) and v.dtype != dtype else v
                 for v in items]  # fmt: skip
    if items and all(type(v) is Tensor for v in items):  # eager tensors only: the op checks
        return _pack(items)
    parts, packed = [], False
    for v in items:
        if isinstance(v, Tensor):
            if v.dtype != dtype:
                raise TypeError(
                    f"Cannot convert a list containing a tensor of dtype {v.dtype} to {dtype} "
                    f"(Tensor is: {v!r})"
                )
            packed = True
        elif isinstance(v, list | tuple):
            v = _pack_level(v, dtype, cast)
            packed = packed or isinstance(v, Tensor)
        parts.append(v)
    if not packed:
        return parts
    return _pack([v if isinstance(v, Tensor) else constant(v, dtype) for v in parts])


# ``t[None, ...]`` as StridedSlice attrs
_NEW_FIRST_AXIS = dict(begin=(0, 0), end=(0, 0), strides=(1, 1), begin_mask=0, end_mask=0,
                       ellipsis_mask=2, new_axis_mask=1, shrink_axis_mask=0)  # fmt: skip
_PACK_TYPE_NAMES = {"float32": "float", "float64": "double", "float16": "half"}  # TF's kernel's


def _pack(tensors):
    """TF's ``Pack`` along a new first axis, with its errors: an ``InvalidArgumentError``
    eagerly, TF's graph-construction ``ValueError`` while tracing."""
    first = tensors[0]
    eager = type(first) is Tensor
    if any(t.shape.rank is None for t in tensors):  # unknown rank: checked when it runs
        return _packed(tensors)
    merged = first.shape.as_list()
    for i, t in enumerate(tensors[1:], 1):
        if t.dtype != first.dtype:  # only eager tensors get here with another dtype
            want = _PACK_TYPE_NAMES.get(first.dtype.name, first.dtype.name)
            got = _PACK_TYPE_NAMES.get(t.dtype.name, t.dtype.name)
            raise errors.InvalidArgumentError(
                f"cannot compute Pack as input #{i}(zero-based) was expected to be a {want} "
                f"tensor but is a {got} tensor [Op:Pack] name: packed"
            )
        dims = t.shape.as_list()
        if eager and dims != merged:
            raise errors.InvalidArgumentError(
                f"Shapes of all inputs must match: values[0].shape = {merged} != "
                f"values[{i}].shape = {dims} [Op:Pack] name: packed"
            )
        if len(dims) != len(merged):
            raise ValueError(
                f"Shapes must be equal rank, but are {len(merged)} and {len(dims)} "
                f"(Pack of {[x.shape for x in tensors]})"
            )
        for j, (a, b) in enumerate(zip(merged, dims)):
            if a is not None and b is not None and a != b:
                raise ValueError(
                    f"Dimension {j} in both shapes must be equal, but are {a} and {b}. "
                    f"Shapes are {first.shape} and {t.shape}."
                )
            merged[j] = a if a is not None else b
    return _packed(tensors)


def _packed(tensors):
    """One ``Pack`` node along a new first axis (its rule merges unknown dims); complex and
    string tensors, which Pack's kernels do not move, as ``t[None]`` rows joined by a concat."""
    dt = tensors[0].dtype
    if not (dt.is_complex or dt == _dt.string):
        return _op("Pack", tensors, {"N": len(tensors), "axis": 0})
    rows = [_op("StridedSlice", [t], _NEW_FIRST_AXIS) for t in tensors]
    return rows[0] if len(rows) == 1 else _op("ConcatV2", rows, {"axis": 0})


def constant(value, dtype=None, shape=None, name=None) -> Tensor:
    """TF's ``tf.constant``: a tensor from a Python value, NumPy array or tensor."""
    dtype = None if dtype is None else _dt.as_dtype(dtype)
    if isinstance(value, Tensor):
        if value._value is None:  # symbolic: TF's tf.constant takes values, not graph tensors
            raise TypeError(
                "Expected any non-tensor type, but got a tensor instead."
                if dtype is None
                else f"Expected {dtype.name}, but got {value!s} of type 'SymbolicTensor'."
            )
        t = value if dtype is None or value.dtype is dtype else _cast_any(value, dtype)
        return t if shape is None else _reshape_const(t, shape)
    if isinstance(value, VariableLike):  # a Variable: its value, which a trace does not have
        t = value._th_read()
        if t._value is None:
            raise NotImplementedError("numpy() is only available when eager execution is enabled.")
        return constant(t, dtype, shape, name)
    try:
        arr = _to_numpy(value, dtype)
    except NotImplementedError:  # a symbolic tensor in a list: TF's tf.constant never packs
        if isinstance(value, list | tuple):
            raise TypeError("Expected any non-tensor type, but got a tensor instead.") from None
        raise
    if isinstance(value, np.ndarray) and np.shares_memory(arr, value):
        arr = arr.copy()  # the caller may change its array later; the tensor must not change
    if shape is not None:
        shape = tuple(int(d) for d in shape)
        for d in shape:
            if d < 0:
                raise ValueError(f"Dimension {d} must be >= 0 (tf.constant shape {list(shape)})")
        if math.prod(d for d in shape if d) * arr.itemsize >= 2**63:  # past any buffer's index
            raise errors.InvalidArgumentError(
                f"Encountered overflow when multiplying shape {list(shape)} of "
                f"{_dt.as_dtype(arr.dtype).name} elements for tf.constant [Op:Const]"
            )
        if arr.size == 1 and int(np.prod(shape)) != 1:
            arr = np.broadcast_to(arr.reshape(()), shape)
        elif arr.size == int(np.prod(shape, dtype=np.int64)):
            arr = arr.reshape(shape)
        else:
            raise TypeError(
                f"Eager execution of tf.constant with unsupported shape. Tensor {value!r} "
                f"(converted from {arr.shape}) has {arr.size} elements, but got `shape` {shape} "
                f"with {int(np.prod(shape))} elements"
            )
    device = current_device() or default_device()
    try:
        return Tensor(from_host(arr, device), device)
    except MemoryError as e:
        raise errors.ResourceExhaustedError(
            f"OOM when allocating a tensor of shape {list(arr.shape)} and type "
            f"{_dt.as_dtype(arr.dtype).name} for tf.constant: {e}"
        ) from None


def _reshape_const(t, shape):
    return _op("Reshape", [t], {"shape": tuple(int(d) for d in shape)})


def _cast_any(t, dtype):
    return _op("Cast", [t], {"DstT": dtype._np})


def convert_to_tensor(value, dtype=None, dtype_hint=None, name=None) -> Tensor:
    """TF's ``tf.convert_to_tensor``; a Tensor of another dtype is an error, never a cast."""
    if type(value) is Tensor or isinstance(value, Tensor):
        if dtype is not None and value.dtype != dtype:
            raise ValueError(
                f"Tensor conversion requested dtype {_dt.as_dtype(dtype).name} for Tensor "
                f"with dtype {value.dtype.name}: {value!r}"
            )
        return value
    if isinstance(value, VariableLike):  # a Variable
        return convert_to_tensor(value._th_read(), dtype, dtype_hint, name)
    dense = getattr(type(value), "_th_dense", None)  # tf.IndexedSlices
    if dense is not None:
        return convert_to_tensor(dense(value), dtype, dtype_hint, name)
    if isinstance(value, _SEQUENCES):
        return _from_list(value, dtype, _from_python, (value, dtype, dtype_hint))
    return _from_python(value, dtype, dtype_hint)


def _from_python(value, dtype, dtype_hint):
    if dtype is None and dtype_hint is not None and not isinstance(value, np.ndarray):
        try:
            return constant(value, dtype_hint)
        except (TypeError, ValueError):
            pass
    return constant(value, dtype)


# ---- execution ------------------------------------------------------------------------------


def _coerce_pair(x, y):
    """Binary-op operands: Python scalars take the tensor's dtype (TF's rule)."""
    xt, yt = type(x) is Tensor, type(y) is Tensor
    if xt and yt:
        return x, y
    xt = xt or isinstance(x, Tensor)  # symbolic tensors while tracing
    yt = yt or isinstance(y, Tensor)
    if xt and yt:
        return x, y
    if xt:
        return x, _operand(y, x.dtype)
    if yt:
        return _operand(x, y.dtype), y
    x = convert_to_tensor(x)
    return x, _operand(y, x.dtype)


def _operand(v, dtype):
    if isinstance(v, Tensor):
        return v
    if isinstance(v, VariableLike):
        return v._th_read()
    if isinstance(v, numbers.Number | list | tuple) and not isinstance(v, np.generic):
        try:
            if isinstance(v, _SEQUENCES):  # ``x + [y, 1.0]``: y packed, cast to x's dtype
                return _from_list(v, dtype, constant, (v, dtype))
            return constant(v, dtype)
        except TypeError as e:  # 1.5 beside an int tensor: its own dtype; the op rejects
            if dtype is _dt.string:  # a number beside a string tensor: TF's TypeError
                raise
            try:
                return convert_to_tensor(v)  # the pair (TF: InvalidArgumentError or TypeError)
            except ValueError:  # 1e300: no float32 either, TF's TypeError
                raise e from None
    return convert_to_tensor(v)


def _execute(op_type: str, inputs, attrs: dict, device=None):
    """Run an op on tensors: place it, copy inputs across devices, run it, record it.

    Returns the list of output tensors. While a ``tf.function`` is traced, the op is added to
    its graph instead (``_trace_op``).
    """
    if _tracing:
        outputs = _trace_op(op_type, inputs, attrs)
        if outputs is not None:  # this thread traces a graph: the op went into it
            return outputs
    if device is None:
        device = current_device()
        if device is None:
            device = inputs[0]._device if inputs else default_device()
    handles = [
        t._value if t._device is device else copy_to_device(t._value, t._device, device)
        for t in inputs
    ]
    try:
        if _record.profile is None:
            outs, used = _kernel_execute(op_type, handles, attrs, device)
        else:  # ``tf.profiler`` runs: the kernel call timed
            outs, used = _record.profile(op_type, _kernel_execute, op_type, handles, attrs, device)
    except _RAW_ERRORS as e:
        raise _tf_error(op_type, handles, e) from None
    outputs = [Tensor(h, used) for h in outs]
    if _record._active:
        _record.record(op_type, inputs, outputs, attrs)
    return outputs


# Python / NumPy / C++ errors a kernel call may raise for a bad input (allocation of a huge or
# negative shape, an attr beyond int64): re-raised as TF's error class, naming op and inputs.
_RAW_ERRORS = (MemoryError, OverflowError, ValueError, IndexError, ZeroDivisionError)


def _tf_error(op_type, handles, e):
    """TF's exception for the raw error ``e`` of running ``op_type`` on ``handles``."""
    inputs = ", ".join(f"{_dt.as_dtype(h.dtype).name}{list(h.shape)}" for h in handles)
    where = f"(inputs: {inputs or 'none'}) [Op:{op_type}]"
    text = str(e)
    if isinstance(e, MemoryError) or "too many bytes" in text:
        return errors.ResourceExhaustedError(
            f"OOM when allocating the output of {op_type}: {text} {where}"
        )
    if "negative dimension" in text:
        dim = text.rsplit(" ", 1)[-1]
        return errors.InvalidArgumentError(f"Dimension {dim} must be >= 0 {where}")
    if "too many elements" in text:
        return errors.InvalidArgumentError(
            f"Output shape of {op_type} would have more than 2**63 - 1 elements {where}"
        )
    return errors.InvalidArgumentError(f"{op_type}: {type(e).__name__}: {text} {where}")


_tracing = 0  # number of traces in progress, in all threads; the hot path checks only this
# ``_graph.trace_op`` (set by ``_graph`` at import, a hook rather than an upward import): adds
# the op to the graph this thread traces and returns its outputs, or None when it traces none.
_trace_op: Any = None


def _trace_enter():
    global _tracing
    _tracing += 1


def _trace_exit():
    global _tracing
    _tracing -= 1


def _op(op_type: str, inputs, attrs=None):
    """Single-output op."""
    if not attrs and not (_record._active or _tracing) and current_device() is None:
        # eager, untaped, unscoped: the kernels' elementwise shortcut, where the op has one
        fast = _shortcuts.get(op_type)
        if fast is None:
            fast = _shortcuts[op_type] = _shortcut(op_type)
        n = len(inputs)
        if fast[1] == n and type(a := inputs[0]) is Tensor:
            device, out = a._device, None
            if n == 1:
                out = fast[0](device, a._value)
            elif type(b := inputs[1]) is Tensor and b._device is device:
                out = fast[0](device, a._value, b._value)
            if out is not None:  # it applied: same shapes and dtypes, a CPU kernel
                return Tensor(out, device)
    return _op_kernel(op_type, inputs, attrs or _NO_ATTRS)


def _op_kernel(op_type: str, inputs, attrs: dict):
    """Single-output op through the kernels' ``execute`` (no elementwise shortcut); one or two
    plain tensors on one device, eager, untaped and unscoped, skip ``_execute``'s general work."""
    if _record._active or _tracing or current_device() is not None:
        return _execute(op_type, inputs, attrs)[0]
    n = len(inputs)
    if n == 1:
        a = inputs[0]
        if type(a) is not Tensor:
            return _execute(op_type, inputs, attrs)[0]
        handles = [a._value]
    elif n == 2:
        a, b = inputs
        if type(a) is not Tensor or type(b) is not Tensor or b._device is not a._device:
            return _execute(op_type, inputs, attrs)[0]
        handles = [a._value, b._value]
    else:
        return _execute(op_type, inputs, attrs)[0]
    try:
        outs, used = _kernel_execute(op_type, handles, attrs, a._device)
    except _RAW_ERRORS as e:
        raise _tf_error(op_type, handles, e) from None
    return Tensor(outs[0], used)


_shortcuts: dict = {}  # op type -> (the kernels' elementwise shortcut, its input count)


def _shortcut(op_type: str) -> tuple:
    fast = eager_elementwise(op_type)  # f(device, *buffers), or None: then no input count fits
    return (fast, fast.__code__.co_argcount - 1) if fast is not None else (None, -1)


_NO_ATTRS: dict = {}
_TENSOR_LIKE = (Tensor, VariableLike)  # what a list must hold to be packed

__all__ += ["errors"]
