"""``Variable``: a named, mutable holder of a tensor (TF's resource variable semantics)."""

from __future__ import annotations

import itertools

from . import _tape
from . import dtypes as _dt
from ._tensor import Tensor, TensorShape, _op, convert_to_tensor

__all__ = ["Variable"]

_uid = itertools.count()


class Variable:
    """TF's ``tf.Variable``; reading it inside a GradientTape makes the tape watch it."""

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
        if callable(initial_value):
            initial_value = initial_value()
        if dtype is not None:
            dtype = _dt.as_dtype(dtype)
            if isinstance(initial_value, Tensor) and initial_value.dtype is not dtype:
                from ._math import cast

                initial_value = cast(initial_value, dtype)
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

    # ---- reading ---------------------------------------------------------------------
    def _th_value(self) -> Tensor:
        return self._value

    def _th_read(self) -> Tensor:
        if _tape._active:
            for tape in _tape._stack():
                tape._variable_accessed(self)
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

    # ---- writing ---------------------------------------------------------------------
    def _new_value(self, value, what):
        value = convert_to_tensor(value, dtype=self.dtype)
        if self._shape.rank is not None and not self._shape.is_compatible_with(value.shape):
            raise ValueError(
                f"Cannot {what} a value of shape {value.shape} to variable '{self._name}' of "
                f"shape {self._shape} (dtype {self.dtype.name})"
            )
        return value

    def assign(self, value, use_locking=None, name=None, read_value=True):
        with _tape.stop_gradient_scope():
            self._value = self._new_value(value, "assign")
        return self if read_value else None

    def assign_add(self, delta, use_locking=None, name=None, read_value=True):
        with _tape.stop_gradient_scope():
            delta = self._new_value(delta, "assign_add")
            self._value = _op("AddV2", [self._value, delta])
        return self if read_value else None

    def assign_sub(self, delta, use_locking=None, name=None, read_value=True):
        with _tape.stop_gradient_scope():
            delta = self._new_value(delta, "assign_sub")
            self._value = _op("Sub", [self._value, delta])
        return self if read_value else None

    # ---- Python protocol ---------------------------------------------------------------
    def __repr__(self):
        import numpy as np

        return (
            f"<tf.Variable '{self._name}' shape={self.shape} dtype={self.dtype.name}, "
            f"numpy={np.array_repr(np.asarray(self.numpy()))}>"
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


def _delegate(op_name):
    def method(self, *args):
        return getattr(self._th_read(), op_name)(*args)

    method.__name__ = op_name
    return method


for _name in (
    "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
    "__rtruediv__", "__pow__", "__rpow__", "__matmul__", "__rmatmul__", "__neg__", "__abs__",
    "__lt__", "__le__", "__gt__", "__ge__",
):  # fmt: skip
    setattr(Variable, _name, _delegate(_name))
