"""The tensor API that models may use: a deliberate re-export of ``tensorhouse_ops``.

As ``keras.ops`` does for Keras, this module is the one door from the models layer down to the
ops layer: models imports tensor functionality only from here. It re-exports the public API of
``tensorhouse_ops`` unchanged, plus a few helpers composed from those ops.
"""

import builtins as _builtins
import typing as _typing

import numpy as _np

import tensorhouse_ops as _ops
from tensorhouse_ops import __all__ as _ops_all
from tensorhouse_ops import convert_to_tensor, maximum, minimum

if _typing.TYPE_CHECKING:  # passed up on first use (``__getattr__``), so unused modules never load
    from tensorhouse_ops import *  # noqa: F403
    from tensorhouse_ops import autograph as autograph
    from tensorhouse_ops import collective as collective
    from tensorhouse_ops import config as config
    from tensorhouse_ops import dtypes as dtypes
    from tensorhouse_ops import errors as errors
    from tensorhouse_ops import io as io
    from tensorhouse_ops import linalg as linalg
    from tensorhouse_ops import math as math
    from tensorhouse_ops import nn as nn
    from tensorhouse_ops import random as random
    from tensorhouse_ops import summary as summary
    from tensorhouse_ops import train as train

__all__ = sorted(set(_ops_all) - {"__version__"}) + [
    "clip",
    "convert_to_numpy",
    "is_variable",
]


def convert_to_numpy(x) -> _np.ndarray:
    """A tensor, variable, array or nested Python value as a NumPy array (``keras.ops``'s name)."""
    return _np.asarray(x)


def clip(x, x_min, x_max):
    """Elementwise clip to ``[x_min, x_max]``, composed from ``minimum`` and ``maximum``."""
    return minimum(maximum(convert_to_tensor(x), x_min), x_max)


def is_variable(x) -> _builtins.bool:  # ``bool`` here is the dtype, from tensorhouse_ops
    return isinstance(x, _ops.Variable)  # looked up here: Variable loads the whole ops layer


_PASSED = frozenset(_ops_all) - {"__version__"}


def __getattr__(name: str):  # PEP 562: a name of the ops layer, looked up on first use
    if name not in _PASSED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value = getattr(_ops, name)
    return value


def __dir__():
    return sorted(set(globals()) | _PASSED)
