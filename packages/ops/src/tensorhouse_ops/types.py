"""TF's ``tf.types``: the abstract types of TF's API, for ``isinstance`` checks and annotations
(``tf.types.experimental``), and the ``FunctionType`` a concrete function reports (defined in
``_function``)."""

from __future__ import annotations

import abc as _abc
import sys as _sys
import types as _types
import typing as _typing

import numpy as _np

from ._function import ConcreteFunction, Function, FunctionType
from ._tensor import Tensor
from ._variables import Variable

__all__ = ["experimental"]


experimental = _types.ModuleType(__name__ + ".experimental")
experimental.__doc__ = "TF's ``tf.types.experimental``."
experimental.ConcreteFunction = ConcreteFunction  # pyright: ignore[reportAttributeAccessIssue]
experimental.GenericFunction = Function  # pyright: ignore[reportAttributeAccessIssue]
experimental.PolymorphicFunction = Function  # pyright: ignore[reportAttributeAccessIssue]
experimental.FunctionType = FunctionType  # pyright: ignore[reportAttributeAccessIssue]
experimental.Callable = _typing.Callable  # pyright: ignore[reportAttributeAccessIssue]
experimental.TensorLike = (  # pyright: ignore[reportAttributeAccessIssue]
    Tensor
    | Variable
    | int
    | float
    | bool
    | str
    | bytes
    | complex
    | tuple
    | list
    | _np.ndarray
    | _np.generic
)


class TraceType(metaclass=_abc.ABCMeta):
    """TF's ``tf.types.experimental.TraceType``: what ``__tf_tracing_type__`` returns; calls
    whose types are equal share a trace, run with ``placeholder_value`` while tracing."""

    @_abc.abstractmethod
    def is_subtype_of(self, other): ...

    @_abc.abstractmethod
    def most_specific_common_supertype(self, others): ...

    @_abc.abstractmethod
    def placeholder_value(self, placeholder_context): ...

    def to_tensors(self, value):
        return []

    def from_tensors(self, tensors):
        return self.placeholder_value(PlaceholderContext())

    def flatten(self):
        return []

    def cast(self, value, cast_context):
        return value

    @_abc.abstractmethod
    def __hash__(self): ...

    @_abc.abstractmethod
    def __eq__(self, other): ...


class TracingContext:
    """TF's ``tf.types.experimental.TracingContext``."""


class PlaceholderContext:
    """TF's ``tf.types.experimental.PlaceholderContext``."""


experimental.TraceType = TraceType  # pyright: ignore[reportAttributeAccessIssue]
experimental.TracingContext = TracingContext  # pyright: ignore[reportAttributeAccessIssue]
experimental.PlaceholderContext = PlaceholderContext  # pyright: ignore[reportAttributeAccessIssue]
_sys.modules[experimental.__name__] = experimental
