"""``tf.TensorArray``: a list of same-dtype tensors, written and read by index.

Eagerly the elements are a Python list and ``write`` updates the array in place and returns
it, as TF 2's eager TensorArray. Inside a traced graph every operation returns a new array
(``ta = ta.write(i, x)``, as TF's graph TensorArray) made of two tensors: the elements
flattened end to end into one 1-D buffer of unknown length, and the size. Those are its
components for ``tf.nest`` (the array is a two-field namedtuple), so it is a loop variable of
``tf.while_loop`` and of AutoGraph's ``for i in tf.range(n)`` loops, and may grow there. The
element shape need not be known before the loop: the first write records it on the array's
own class, which the copies rebuilt by ``tf.nest`` inside and after the loop share.

Under ``jit_compile`` (``under_jit``), as TF's XLA lists: an array never grows (a
``dynamic_size`` one keeps the size it was made with) and a write's index is clamped into it.
"""

from __future__ import annotations

import contextlib
import threading
import weakref

import numpy as np

from . import _array as A
from . import _graph, _tape, _tensor
from . import _math as M
from . import dtypes as _dt
from ._tensor import Tensor, TensorShape, convert_to_tensor, errors

__all__ = ["TensorArray"]

_NEEDS_SHAPE = (
    "TensorArray has size zero, but element shape {} is not fully defined. Currently only "
    "static shapes are supported when packing zero-size TensorArrays."
)


_jit = threading.local()  # set while a jit_compile function traces (``under_jit``)


@contextlib.contextmanager
def under_jit():
    """Arrays made inside are XLA's: of the size they were made with, writes clamped into it."""
    prev = getattr(_jit, "on", False)
    _jit.on = True
    try:
        yield
    finally:
        _jit.on = prev


def _check_write(index, size):
    """TF's error for a write past a fixed size, at trace time where the index is known (a
    run-time index past it fails in the scatter that writes it)."""
    if isinstance(index, Tensor) and index._value is None:
        return
    i = int(index)
    if not 0 <= i < size:
        raise errors.InvalidArgumentError(
            f"Trying to modify element {i} in a list with {size} elements."
        )


def _folded(n):
    """A symbolic size's value where it is a constant or a slice of one (``tf.shape(x)[0]`` for
    a static ``x``), as TF's ``constant_value`` finds it; None for any other."""
    op = n.op
    if n._gshape != ():
        return None
    if op.type == "Const":
        return int(op.attrs["value"])
    if op.type not in ("StridedSlice", "Identity") or len(op.inputs) != 1:
        return None
    if op.inputs[0].op.type != "Const":
        return None
    with _graph.eager_scope():
        return int(_tensor._execute(op.type, [op.inputs[0].op.attrs["value"]], op.attrs)[0])


def _tracing():
    return _tensor._tracing and _graph.current_graph() is not None


def _index(i):
    if isinstance(i, Tensor) and not _tracing():
        return int(i.numpy())
    return i if isinstance(i, Tensor) else int(i)


class TensorArray(tuple):
    """TF's ``tf.TensorArray`` (``write`` / ``read`` / ``stack`` / ``unstack`` / ``gather`` /
    ``scatter`` / ``concat`` / ``split`` / ``size``)."""

    _fields = ("flat", "length")  # a traced array's components for tf.nest (namedtuple-like)
    _meta = None  # a traced array's class: {dtype, shape, dynamic, infer}, shared by its copies

    def __new__(cls, dtype=None, size=None, dynamic_size=None, clear_after_read=None,
                tensor_array_name=None, handle=None, flow=None, infer_shape=True,
                element_shape=None, colocate_with_first_write_call=True, name=None):  # fmt: skip
        if cls._meta is not None and isinstance(dtype, Tensor):  # rebuilt by tf.nest
            return cls._make(dtype, size, cls._meta["fixed"])
        dtype = _dt.as_dtype(dtype)
        shape = TensorShape(element_shape)
        if size is None and not dynamic_size:
            raise ValueError("Size must be provided if handle is not provided")
        if _tracing():
            n = 0 if size is None else size
            symbolic = isinstance(n, Tensor) and n._value is None  # an eager size is known
            static = _folded(n) if symbolic else int(n)
            clamp = getattr(_jit, "on", False) and static is not None
            grows = bool(dynamic_size) and not clamp
            meta = {"dtype": dtype, "shape": shape, "dynamic": bool(dynamic_size),
                    "infer": bool(infer_shape), "grows": grows, "clamp": clamp,
                    "full": shape.is_fully_defined() and not grows,
                    "fixed": None if grows else static}  # fmt: skip
            sub = type("TensorArray", (cls,), {"_meta": meta, "__module__": cls.__module__})
            flat = A.zeros([0], dtype=dtype)
            ta = sub._make(flat, convert_to_tensor(n, dtype=_dt.int32), static)
            return ta._grown(ta[1], static) if shape.is_fully_defined() else ta
        ta = tuple.__new__(cls, ())
        ta._eager = {
            "dtype": dtype, "shape": shape, "dynamic": bool(dynamic_size),
            "infer": bool(infer_shape), "clear": clear_after_read is not False,
        }  # fmt: skip
        ta._items = [None] * (0 if size is None else _index(size))
        ta._cleared = set()
        return ta

    def __init__(self, *args, **kwargs):
        pass

    def __iter__(self):
        """The components, as tf.nest sees them. A fixed-size array whose element shape is known
        has its full buffer, of a static length (so loops keep it, and jit_compile can hold
        it); for the others a loop may change the buffer's length, so it has an unknown one."""
        if self._meta is None:
            return iter(())
        fixed = self._meta["fixed"]
        if fixed is not None and self.element_shape.is_fully_defined():
            ta = type(self)._make(_unrelaxed(self[0]), self[1], fixed)
            return iter((ta._grown(self[1], fixed)[0], self[1]))
        return iter((_relax(self[0]), self[1]))

    @classmethod
    def _make(cls, flat, length, static):
        """A traced array of buffer ``flat`` and ``length`` (``static``: its Python value)."""
        ta = tuple.__new__(cls, (flat, length))
        ta._static = static
        return ta

    def __repr__(self):
        return f"<TensorArray dtype={self.dtype.name} element_shape={self.element_shape}>"

    @property
    def _info(self):
        return self._meta if self._meta is not None else self._eager

    @property
    def dtype(self):
        return self._info["dtype"]

    @property
    def dynamic_size(self):
        return self._info["dynamic"]

    @property
    def element_shape(self):
        return self._info["shape"]

    # ---- element checks ------------------------------------------------------------------
    def _value(self, value):
        """``value`` as a tensor of the array's dtype; its shape is checked (and recorded while
        the element shape is unknown) when ``infer_shape``."""
        info = self._info
        if isinstance(value, Tensor):
            if value.dtype != info["dtype"]:
                raise errors.InvalidArgumentError(
                    f"TensorArray dtype is {info['dtype'].name} but Op is trying to write dtype "
                    f"{value.dtype.name}"
                )
            t = value
        else:
            t = convert_to_tensor(value, dtype=info["dtype"])
        if info["infer"]:
            if not TensorShape(t.shape).is_compatible_with(info["shape"]):
                raise ValueError(
                    f"Incompatible shape for value ({tuple(t.shape)}), expected "
                    f"({tuple(info['shape'].as_list())})"
                )
            info["shape"] = _merge(info["shape"], t.shape)
        return t

    def _zeros(self):
        shape = self.element_shape
        if not shape.is_fully_defined():
            raise errors.InvalidArgumentError(_NEEDS_SHAPE.format(shape))
        return A.zeros(shape.as_list(), dtype=self.dtype)

    # ---- the traced form: (flat buffer, length) -----------------------------------------
    def _k(self):
        shape = self.element_shape
        if not shape.is_fully_defined():
            raise errors.InvalidArgumentError(_NEEDS_SHAPE.format(shape))
        return int(np.prod(shape.as_list(), dtype=np.int64))

    def _grown(self, length, static=None):
        """A copy whose buffer holds ``length`` elements (zeros appended). With the lengths
        known while tracing (``static``), the buffer keeps a static shape."""
        flat = self[0]
        length = convert_to_tensor(length, dtype=_dt.int32)
        k = self._k()
        if static is not None and flat.shape[0] is not None:
            extra = static * k - flat.shape[0]
            if extra <= 0:
                return type(self)._make(flat, length, static)
            flat = A.concat([flat, A.zeros([extra], dtype=self.dtype)], axis=0)
            return type(self)._make(flat, length, static)
        extra = M.maximum(M.subtract(M.multiply(length, k), A.shape(flat)[0]), 0)
        pad = A.fill([extra], 0, dtype=self.dtype)
        grown = _tensor._op("ConcatV2", [flat, pad], {"axis": 0, "gradient_rule": "th_grown"})
        return type(self)._make(_relax(grown), length, None)

    def _rows(self, index):
        """The buffer positions of element ``index`` (a scalar)."""
        k = self._k()
        i = M.cast(convert_to_tensor(index), _dt.int32)
        return M.add(M.multiply(i, k), A.range(k))

    def _elements(self):
        """The buffer as ``[length, *element_shape]`` (a static length where it is known)."""
        n, shape = self._static, self.element_shape
        known = n is not None and shape.is_fully_defined() and self[0].shape[0] == n * self._k()
        return A.reshape(self[0], [n if known else self[1]] + shape.as_list())

    def _put(self, index, t):
        if self._meta["clamp"]:
            index = M.minimum(M.maximum(M.cast(convert_to_tensor(index), _dt.int32), 0),
                              max(self._static - 1, 0))  # fmt: skip
        elif not self._meta["grows"] and self._static is not None:
            _check_write(index, self._static)
        if self._meta["grows"]:
            new_len = M.maximum(self[1], M.add(M.cast(convert_to_tensor(index), _dt.int32), 1))
            ta = self._grown(new_len)
        elif self._meta.get("full"):  # fixed size, made full-size: no growing (no Concat)
            ta = self
        else:
            ta = self._grown(self[1], self._static)
        flat = A.tensor_scatter_nd_update(ta[0], A.expand_dims(self._rows(index), -1),
                                          A.reshape(t, [-1]))  # fmt: skip
        return type(self)._make(flat, ta[1], ta._static)

    # ---- writing -------------------------------------------------------------------------
    def write(self, index, value, name=None):
        """Element ``index`` set to ``value``; returns the array (a new one in a graph)."""
        t = self._value(value)
        if self._meta is not None:
            return self._put(index, t)
        i = _index(index)
        n = len(self._items)
        if i < 0 or (i >= n and not self.dynamic_size):
            raise errors.OutOfRangeError(
                f"Tried to write to index {i} but array is not resizeable and size is: {n} "
            )
        if i >= n:
            self._items.extend([None] * (i + 1 - n))
        self._items[i] = t
        self._cleared.discard(i)
        return self

    def _value_stack(self, value):
        t = value if isinstance(value, Tensor) else convert_to_tensor(value, dtype=self.dtype)
        if t.dtype != self.dtype:
            raise errors.InvalidArgumentError(
                f"TensorArray dtype is {self.dtype.name} but Op is trying to write dtype "
                f"{t.dtype.name}"
            )
        return t

    def unstack(self, value, name=None):
        """The array holding ``value``'s slices along its first axis."""
        t = self._value_stack(value)
        if self._meta is not None:
            info = self._meta
            rows = TensorShape(t.shape.as_list()[1:])
            if info["infer"] and not rows.is_compatible_with(info["shape"]):
                raise ValueError(
                    f"Incompatible shape for value ({tuple(rows.as_list())}), expected "
                    f"({tuple(info['shape'].as_list())})"
                )
            info["shape"] = _merge(info["shape"], rows)
            return type(self)._make(A.reshape(t, [-1]), A.shape(t)[0], t.shape[0])
        n = t.shape[0]
        if not self.dynamic_size and n > len(self._items):
            raise errors.InvalidArgumentError(
                f"Could not scatter to TensorArray index {n - 1} because it is out of bounds "
                "and the TensorArray is not resizeable"
            )
        for i, row in enumerate(A.unstack(t) if n else []):
            self.write(i, row)
        return self

    def scatter(self, indices, value, name=None):
        """Elements ``indices[k]`` set to ``value[k]``."""
        t = self._value_stack(value)
        if self._meta is not None:
            idx = convert_to_tensor(indices)
            out = self
            for k in builtins_range(t.shape[0]):
                out = out.write(idx[k], t[k])
            return out
        idx = np.asarray(convert_to_tensor(indices)).reshape(-1).tolist()
        for k, i in enumerate(idx):
            self.write(int(i), t[k])
        return self

    def split(self, value, lengths, name=None):
        """Elements from ``value`` split along its first axis into pieces of ``lengths``."""
        t = self._value_stack(value)
        lengths = [int(n) for n in np.asarray(convert_to_tensor(lengths)).reshape(-1)]
        info = self._info
        saved, info["infer"] = info["infer"], False
        try:
            out = self
            for i, piece in enumerate(A.split(t, lengths, axis=0)):
                out = out.write(i, piece)
        finally:
            info["infer"] = saved
        return out

    # ---- reading -------------------------------------------------------------------------
    def read(self, index, name=None):
        """Element ``index`` (zeros of the element shape if it was never written)."""
        if self._meta is not None:
            rows = A.gather(self[0], self._rows(index))
            return A.reshape(rows, self.element_shape.as_list())
        i = _index(index)
        n = len(self._items)
        if not 0 <= i < n:
            raise errors.OutOfRangeError(f"Tried to read from index {i} but array size is: {n} ")
        if i in self._cleared:
            raise errors.InvalidArgumentError(
                f"Could not read index {i} twice because it was cleared after a previous read "
                "(perhaps try setting clear_after_read = false?)"
            )
        t = self._items[i]
        if t is None:
            return self._zeros()
        if self._eager["clear"]:
            self._cleared.add(i)
        return t

    def _all(self):
        return [t if t is not None else self._zeros() for t in self._items]

    def stack(self, name=None):
        """Every element, stacked along a new first axis."""
        if self._meta is not None:
            return self._elements()
        if not self._items:
            shape = self.element_shape
            return A.zeros([0] + (shape.as_list() if shape.rank is not None else []),
                           dtype=self.dtype)  # fmt: skip
        return A.stack(self._all())

    def gather(self, indices, name=None):
        """The elements at ``indices``, stacked."""
        if self._meta is not None:
            return A.gather(self._elements(), indices)
        idx = np.asarray(convert_to_tensor(indices)).reshape(-1).tolist()
        items = self._all()
        if not idx:
            return A.zeros([0] + self.element_shape.as_list(), dtype=self.dtype)
        return A.stack([items[int(i)] for i in idx])

    def concat(self, name=None):
        """The elements joined along their first axis."""
        if self._meta is not None:
            shape = self.element_shape.as_list()
            if not shape:
                raise errors.InvalidArgumentError(
                    "Concat saw a scalar shape at index 0 but requires at least vectors."
                )
            return A.reshape(self[0], [-1] + shape[1:])
        items = self._all()
        if not items:
            return A.zeros([0] + self.element_shape.as_list()[1:], dtype=self.dtype)
        if any(t.shape.rank == 0 for t in items):
            raise errors.InvalidArgumentError(
                "Concat saw a scalar shape at index 0 but requires at least vectors."
            )
        return A.concat(items, axis=0)

    def size(self, name=None):
        """The number of elements, an int32 scalar."""
        if self._meta is not None:
            return A.identity(self[1])
        return convert_to_tensor(len(self._items), dtype=_dt.int32)

    def identity(self):
        """The array itself."""
        return self

    def close(self, name=None):
        """Nothing to release."""


builtins_range = range


def _merge(a, b):
    """The most specific shape compatible with both (known dims win)."""
    b = TensorShape(b)
    if a.rank is None:
        return b
    if b.rank is None:
        return a
    return TensorShape([x if x is not None else y for x, y in zip(a.as_list(), b.as_list())])


def _grown_grad(x, y, attrs, dys):
    """The gradient of a buffer grown by zeros: the leading part of the gradient (taken at
    run time, where the lengths are known)."""
    if dys[0] is None:
        return [None, None]
    return [A.gather(dys[0], A.range(A.shape(x[0])[0])), None]


_tape.NAMED_RULES["th_grown"] = _grown_grad


_RELAXING = weakref.WeakSet()  # the Identity ops made by _relax


def _relax(flat):
    """A traced 1-D buffer as a graph tensor of unknown length (an Identity with that shape),
    so that a loop may change its length."""
    g = _graph.current_graph()
    if g is None or flat.shape[0] is None:
        return flat
    spec = ((None,), flat.dtype._np)
    op = g._new_op("Identity", [g._input(flat)], {}, [spec])
    _RELAXING.add(op)
    return op.outputs[0]


def _unrelaxed(flat):
    """The buffer ``_relax`` made ``flat`` from (of a static length), else ``flat``: a loop
    entered before the first write told the element shape."""
    op = getattr(flat, "op", None)
    return op.inputs[0] if op is not None and op in _RELAXING else flat
