"""``Metric``: the base class. State lives in non-trainable Variables made by ``add_variable``."""

from __future__ import annotations

from tensorhouse_ops import dtypes, zeros

from .. import _naming
from .. import initializers as _initializers
from .._keras_variable import keras_variable

__all__ = ["Metric"]

_AGGREGATIONS = ("none", "mean", "sum", "only_first_replica")


def _standardize_dtype(dtype):
    if dtype is None:
        return dtypes.float32
    if isinstance(dtype, str) and dtype in ("int", "float"):  # Keras's short names
        return dtypes.int64 if dtype == "int" else dtypes.float32
    return dtypes.as_dtype(dtype)


class Metric:
    """Base class: ``update_state`` accumulates into variables, ``result`` reads them."""

    def __init__(self, dtype=None, name=None):
        self.name = name or _naming.unique_name(type(self).__name__)
        self._dtype = _standardize_dtype(dtype)
        self._variables: list = []
        self._metrics: list = []

    def __setattr__(self, name, value):
        if isinstance(value, Metric) and name != "_metrics" and "_metrics" in self.__dict__:
            self._metrics.append(value)
        super().__setattr__(name, value)

    @property
    def dtype(self) -> str:
        """The dtype of the result, as a string (``"float32"``)."""
        return self._dtype.name

    def add_variable(self, shape, initializer, dtype=None, aggregation="sum", name=None):
        """A non-trainable state Variable of ``shape`` filled by ``initializer``."""
        if "_variables" not in self.__dict__:
            raise RuntimeError(
                "You forgot to call `super().__init__()` in the `__init__()` method. Go add it!"
            )
        if aggregation not in _AGGREGATIONS:
            raise ValueError(
                f"Invalid value for argument `aggregation`. Expected one of {_AGGREGATIONS}. "
                f"Received: aggregation={aggregation!r}"
            )
        dtype = _standardize_dtype(dtype or self._dtype)
        shape = [int(d) for d in shape]
        init = _initializers.get(initializer if initializer is not None else "zeros")
        value = init(shape, dtype) if callable(init) else zeros(shape, dtype)
        name = name or _naming.unique_name("variable")
        var = keras_variable(
            value, name=name, path=f"{self.name}/{name}", trainable=False, dtype=dtype
        )  # Keras's name (``total``) and path (``mean/total``)
        self._variables.append(var)
        return var

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """Alias of ``add_variable`` (Keras keeps it for backward compatibility)."""
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    @property
    def variables(self) -> list:
        """This metric's state variables, then those of the metrics it holds."""
        out = list(self._variables)
        for m in self._metrics:
            out.extend(m.variables)
        return out

    def update_state(self, *args, **kwargs):
        """Accumulate statistics from one batch."""
        raise NotImplementedError

    def result(self):
        """The metric's value from the state accumulated so far."""
        raise NotImplementedError

    def reset_state(self):
        """Set every state variable back to zero."""
        for v in self.variables:
            v.assign(zeros(v.shape.as_list(), v.dtype))

    def __call__(self, *args, **kwargs):
        if "_variables" not in self.__dict__:
            raise RuntimeError(
                "You forgot to call `super().__init__()` in the `__init__()` method. Go add it!"
            )
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        """``{"name", "dtype"}`` plus each subclass's constructor arguments."""
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        """An instance from ``get_config()``'s dict."""
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"

    __str__ = __repr__
