"""TF's ``tf.types``: the abstract types of TF's API, for ``isinstance`` checks and annotations
(``tf.types.experimental``), and the ``FunctionType`` a concrete function reports (defined in
``_function``)."""

from __future__ import annotations

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
_sys.modules[experimental.__name__] = experimental
