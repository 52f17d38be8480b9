"""``Variable``: a named, mutable holder of a tensor (TF's resource variable semantics)."""

from __future__ import annotations

import datetime
import itertools
import sys
import threading

import numpy as np

from . import _math, _record, _tensor
from . import dtypes as _dt
from ._array import _slice_update, scatter_nd, tensor_scatter_nd_update
from ._graph import HOOKS, current_graph, eager_scope
from ._graph_replay import evaluate_eagerly
from ._indexed_slices import scatter
from ._tensor import (
    Tensor,
    TensorShape,
    VariableLike,
    _ArithmeticOperators,
    _op,
    convert_to_tensor,
)


def _graph():
    """The graph being traced in this thread, or None (eager)."""
    return current_graph() if _tensor._tracing else None


__all__ = ["Variable"]

_CAPSULE = type(datetime.datetime_CAPI)  # the owner of the kernels' allocator blocks

_uid = itertools.count()


class Variable(VariableLike, _ArithmeticOperators):  # the operators: _delegate, below
    """TF's ``tf.Variable``; reading it inside a GradientTape makes the tape watch it."""

    def __new__(cls, *args, **kwargs):  # ``tf.Variable(...)`` is a ResourceVariable, as in TF
        return super().__new__(ResourceVariable if cls is Variable else cls)

    def __init__(
        self,
        initial_value=None,
        trainable=True,
        validate_shape=True,
        caching_device=None,
        name=None,
        variable_def=None,
        dtype=None,
        import_scope=None,
        constraint=None,
        synchronization=None,
        aggregation=None,
        shape=None,
        experimental_enable_variable_lifting=True,
    ):
        if initial_value is None:
            raise ValueError("The `initial_value` arg to `tf.Variable` must be specified.")
        graph = _graph()
        if graph is not None:  # created while a tf.function traces: lifted out, made eagerly
            HOOKS["variable_created"](self)  # ``_function``'s check: first trace only
            initial_value = evaluate_eagerly(initial_value)
            with eager_scope():
                self.__init__(initial_value, trainable, validate_shape, caching_device, name,
                              variable_def, dtype, import_scope, constraint, synchronization,
                              aggregation, shape)  # fmt: skip
            return
        if callable(initial_value):
            initial_value = initial_value()
        if dtype is not None:
            dtype = _dt.as_dtype(dtype)
            if isinstance(initial_value, Tensor) and initial_value.dtype is not dtype:
                initial_value = _math.cast(initial_value, dtype)
        value = convert_to_tensor(initial_value, dtype=dtype)
        if constraint is not None and not callable(constraint):
            raise ValueError(f"The `constraint` argument must be a callable, got {constraint!r}")
        self._value = value
        self._trainable = bool(trainable)
        self._constraint = constraint
        self._shape = TensorShape(value.shape if shape is None else shape)
        base = name if name is not None else "Variable"
        self._name = base if ":" in base else f"{base}:0"
        self._unique_id = next(_uid)
        # held around every update (TF's variable lock): a read-modify-write is atomic
        self._lock = threading.RLock()

    # ---- reading ---------------------------------------------------------------------
    def _th_value(self) -> Tensor:
        if _tensor._tracing:
            g = _graph()
            if g is not None:
                return g.read_variable(self)  # captured by reference
        return self._value

    def _th_read(self) -> Tensor:
        if _record._active:
            for tape in _record._stack():
                tape._variable_accessed(self)
        if _tensor._tracing:
            return self._th_value()
        return self._value

    def read_value(self) -> Tensor:
        return _op("Identity", [self._th_read()])

    def value(self) -> Tensor:
        return self._th_read()

    def numpy(self):
        return self._value.numpy()

    def __array__(self, dtype=None, copy=None):
        return self._value.__array__(dtype, copy)

    name = property(lambda self: self._name)
    dtype = property(lambda self: self._value.dtype)
    shape = property(lambda self: self._value.shape)
    device = property(lambda self: self._value.device)
    trainable = property(lambda self: self._trainable)
    constraint = property(lambda self: self._constraint)

    def get_shape(self):
        return self.shape

    def __deepcopy__(self, memo):
        """TF's: a new variable, eagerly, with a copy of this one's value, name and trainability
        (and its shape as the value's)."""
        if _graph() is not None:
            raise NotImplementedError(
                "__deepcopy__() is only available when eager execution is enabled."
            )
        return Variable(
            convert_to_tensor(np.array(self._value.numpy(), copy=True), dtype=self.dtype),
            trainable=self._trainable,
            constraint=self._constraint,
            name=self._name.rsplit(":", 1)[0],
        )

    # ---- writing ---------------------------------------------------------------------
    def _new_value(self, value, what):
        value = convert_to_tensor(value, dtype=self.dtype)
        if self._shape.rank is not None and not self._shape.is_compatible_with(value.shape):
            if what == "assign":  # TF's words, its stray space included
                raise ValueError(
                    f"Cannot assign value to variable ' {self._name}': Shape mismatch.The "
                    f"variable shape {self._shape}, and the assigned value shape {value.shape} "
                    "are incompatible."
                )
            if _graph() is None:  # eager: the update kernel's error, as in TF
                op = "AssignAddVariableOp" if what == "assign_add" else "AssignSubVariableOp"
                dims = [",".join(map(str, t.as_list())) for t in (self._shape, value.shape)]
                raise _tensor.errors.InvalidArgumentError(
                    f"Cannot update variable with shape [{dims[0]}] using a Tensor with shape "
                    f"[{dims[1]}], shapes must be equal. [Op:{op}]"
                )
            raise ValueError(
                f"Cannot {what} a value of shape {value.shape} to variable '{self._name}' of "
                f"shape {self._shape} (dtype {self.dtype.name})"
            )
        return value

    def _update(self, op_type, binop, value, what):
        with _record.stop_gradient_scope():
            if binop is None and type(value) is np.ndarray and self._write_in_place(value):
                return
            value = self._new_value(value, what)
            g = _graph()
            if g is not None:
                g.assign_variable(self, op_type, value)
            elif binop is None:
                with self._lock:
                    self._value = value
            else:
                with self._lock:
                    self._value = _op(binop, [self._value, value])

    def _write_in_place(self, value) -> bool:
        """An eager assign of a host array of the variable's shape and dtype is copied into the
        variable's own buffer, when nothing else holds that buffer, instead of replacing it
        (TF's copy-on-write: no second buffer while weights load). Returns whether it did."""
        if _graph() is not None:
            return False
        with self._lock:
            current = self._value
            buf = current._value
            if (
                type(buf) is not np.ndarray
                or buf.dtype != value.dtype
                or buf.shape != value.shape
                or buf.dtype.kind not in "biufc"
                or not (buf.flags.c_contiguous and buf.flags.writeable)
                or not value.flags.c_contiguous
            ):
                return False
            # Sole owner: this variable's tensor is referred to only by ``_value`` (and
            # ``current`` and the call's argument), its array only by the tensor (and ``buf``
            # and the argument), and the array's memory is its own or an allocator block no
            # other array views: a tensor read from the variable, a view of it (``numpy()``) or
            # an array it was made from keeps the buffer unchanged, as TF's copy on write.
            base = buf.base
            if (
                sys.getrefcount(current) > 3
                or sys.getrefcount(buf) > 3
                or (base is not None and (type(base) is not _CAPSULE or sys.getrefcount(base) > 3))
                or np.shares_memory(buf, value)
            ):
                return False
            if buf.size:  # memoryview copies hold the GIL: no reader sees a half-written value
                memoryview(buf.reshape(-1).view(np.uint8))[:] = value.reshape(-1).view(np.uint8)
            return True

    def assign(self, value, use_locking=None, name=None, read_value=True):
        self._update("AssignVariableOp", None, value, "assign")
        return self._unread() if read_value else None

    def assign_add(self, delta, use_locking=None, name=None, read_value=True):
        self._update("AssignAddVariableOp", "AddV2", delta, "assign_add")
        return self._unread() if read_value else None

    def assign_sub(self, delta, use_locking=None, name=None, read_value=True):
        self._update("AssignSubVariableOp", "Sub", delta, "assign_sub")
        return self._unread() if read_value else None

    def _unread(self):
        """What an eager update returns, as TF's: this variable, named ``UnreadVariable``."""
        return self if _graph() is not None else _UnreadVariable(self)

    def __getitem__(self, key):
        """``v[key]``: the slice's value, with ``assign`` writing it back (TF's
        ``v[0, 1].assign(x)``)."""
        part = self._th_read()[key]
        if type(part) is not Tensor:
            return _GraphVariableSlice(part, self, key)  # symbolic, while tracing
        out = _VariableSlice(part, self, key)
        if _record._active:  # the tape knows ``part``; the slice object is another tensor
            _record.record("Identity", [part], [out], {})
        return out

    def _assign_slice(self, key, value):
        with self._lock, _record.stop_gradient_scope():
            self.assign(_slice_update(self._th_value(), key, value))
        return self

    def scatter_nd_update(self, indices, updates, name=None):
        """TF's ``Variable.scatter_nd_update``: replace the slices at ``indices``."""
        with self._lock, _record.stop_gradient_scope():
            return self.assign(tensor_scatter_nd_update(self._th_value(), indices, updates))

    def scatter_nd_add(self, indices, updates, name=None):
        with _record.stop_gradient_scope():
            return self.assign_add(scatter_nd(indices, updates, self.shape.as_list()))

    def scatter_nd_sub(self, indices, updates, name=None):
        with _record.stop_gradient_scope():
            return self.assign_sub(scatter_nd(indices, updates, self.shape.as_list()))

    def scatter_add(self, sparse_delta, use_locking=False, name=None):
        """Add ``tf.IndexedSlices`` rows to the variable (repeated indices add up)."""
        return _scatter(self, sparse_delta, "add")

    def scatter_sub(self, sparse_delta, use_locking=False, name=None):
        return _scatter(self, sparse_delta, "sub")

    def scatter_mul(self, sparse_delta, use_locking=False, name=None):
        return _scatter(self, sparse_delta, "mul")

    def scatter_div(self, sparse_delta, use_locking=False, name=None):
        return _scatter(self, sparse_delta, "div")

    def scatter_max(self, sparse_delta, use_locking=False, name=None):
        return _scatter(self, sparse_delta, "max")

    def scatter_min(self, sparse_delta, use_locking=False, name=None):
        return _scatter(self, sparse_delta, "min")

    def scatter_update(self, sparse_delta, use_locking=False, name=None):
        """Replace the variable's rows at ``sparse_delta.indices`` with its values."""
        return _scatter(self, sparse_delta, "update")

    # ---- Python protocol ---------------------------------------------------------------
    def __repr__(self):
        return (
            f"<tf.Variable '{self.name}' shape={self.shape} dtype={self.dtype.name}, "
            f"numpy={_tensor.numpy_text(self._value._host())}>"
        )

    def __hash__(self):
        return id(self)

    def ref(self):
        return self

    def deref(self):
        return self

    def __bool__(self):
        return bool(self._th_read())

    def __float__(self):
        return float(self._value)

    def __int__(self):
        return int(self._value)

    def __len__(self):
        return len(self._value)


class ResourceVariable(Variable):
    """The type of ``tf.Variable(...)``'s result, as TF names it."""


class _UnreadVariable(Variable):
    """The result of an eager ``assign`` (TF's ``_UnreadVariable``): the same variable, whose
    name prints as ``UnreadVariable``; reads, updates and the tape all go to the variable."""

    def __init__(self, variable):  # no Variable.__init__: the state is the variable's
        self._parent = variable

    def __getattr__(self, name):  # the variable's state: _value, _shape, _lock, ...
        if name == "_parent":
            raise AttributeError(name)
        return getattr(self._parent, name)

    name = property(lambda self: "UnreadVariable")

    def _th_read(self) -> Tensor:
        return self._parent._th_read()

    def _th_value(self) -> Tensor:
        return self._parent._th_value()

    def _update(self, op_type, binop, value, what):
        self._parent._update(op_type, binop, value, what)

    def _unread(self):
        return _UnreadVariable(self._parent)


class _VariableSlice(Tensor):
    """A slice read from a variable; ``assign`` writes a new value into that slice."""

    __slots__ = ("_var", "_key")

    def __init__(self, part, var, key):
        Tensor.__init__(self, part._value, part._device)
        self._var = var
        self._key = key

    def assign(self, value, use_locking=None, name=None, read_value=True):
        self._var._assign_slice(self._key, value)
        return self._var if read_value else None


class _GraphVariableSlice(VariableLike):
    """A variable's slice while a ``tf.function`` is traced: reads as the symbolic slice
    (ops take it through ``_th_read``, as they take variables) and ``assign`` adds the slice
    update to the graph."""

    __slots__ = ("_part", "_var", "_key")

    def __init__(self, part, var, key):
        self._part = part
        self._var = var
        self._key = key

    def _th_read(self):
        return self._part

    def assign(self, value, use_locking=None, name=None, read_value=True):
        self._var._assign_slice(self._key, value)
        return self._var if read_value else None

    def __getattr__(self, name):  # shape, dtype, name, numpy(), ... of the symbolic slice
        return getattr(self._part, name)

    def __getitem__(self, key):
        return self._part[key]

    def __repr__(self):
        return repr(self._part)


# What ops read through ``_th_read``: variables, and their slices while a function traces.
VARIABLE_LIKE = (Variable, _GraphVariableSlice)


def _delegate(op_name):
    def method(self, *args):
        return getattr(self._th_read(), op_name)(*args)

    method.__name__ = op_name
    return method


for _name in (
    "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
    "__rtruediv__", "__pow__", "__rpow__", "__matmul__", "__rmatmul__", "__neg__", "__abs__",
    "__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__",  # == elementwise, as TF 2
):  # fmt: skip
    setattr(Variable, _name, _delegate(_name))
    setattr(_GraphVariableSlice, _name, _delegate(_name))


def _scatter(variable, sparse_delta, kind):
    with _record.stop_gradient_scope():
        return scatter(variable, sparse_delta, kind)
