"""Keras 3's ``keras.ops`` on the ops layer: NumPy-like functions with Keras's dtype promotion
(``result_type``: Python scalars are weak types), ``nn``, ``linalg``, the math and core
functions; also ``random`` (with ``SeedGenerator``) and ``config``. Everything traces in
``tensorhouse_ops.function``."""

import functools as _functools
import inspect as _inspect

from . import _core, _extra, _image, _linalg, _math, _nn, _numpy, _numpy_more, _numpy_rest, _special
from . import _image as image
from . import _linalg as linalg  # noqa: F401  (in __all__)
from . import _nn as nn  # noqa: F401  (in __all__)
from . import _numpy as numpy  # noqa: F401  (in __all__)
from . import backend as backend
from . import config as config
from . import random as random
from ._core import *  # noqa: F403
from ._dtypes import result_type as result_type
from ._extra import *  # noqa: F403
from ._linalg import *  # noqa: F403
from ._math import *  # noqa: F403
from ._nn import *  # noqa: F403
from ._numpy import *  # noqa: F403
from ._numpy_more import *  # noqa: F403
from ._numpy_rest import *  # noqa: F403
from ._special import *  # noqa: F403

__all__ = sorted(
    {
        *_numpy.__all__,
        *_numpy_more.__all__,
        *_numpy_rest.__all__,
        *_nn.__all__,
        *_math.__all__,
        *_linalg.__all__,
        *_core.__all__,
        *_extra.__all__,
        *_special.__all__,
    }
    | {"backend", "config", "image", "linalg", "nn", "numpy", "random", "result_type"}
)

for _name in _numpy_more.__all__ + _numpy_rest.__all__:  # keras.ops.numpy holds them too
    setattr(_numpy, _name, globals()[_name])
del _name
setattr(_numpy, "slogdet", _linalg.slogdet)  # noqa: B010  (keras.ops.numpy.slogdet too)
for _name in ("i0", "kaiser", "nextafter", "view"):  # keras.ops.numpy's too
    setattr(_numpy, _name, getattr(_special, _name))
for _name in ("eig", "jvp"):  # keras.ops.linalg's too
    setattr(_linalg, _name, getattr(_special, _name))
setattr(_numpy, "vectorize", _extra.vectorize)  # noqa: B010  (keras.ops.numpy.vectorize too)
for _name in ("adaptive_average_pool", "adaptive_max_pool", "ctc_decode", "ctc_loss", "fold",
              "unfold"):  # fmt: skip
    setattr(_nn, _name, getattr(_extra, _name))  # keras.ops.nn holds them too
for _name in _extra.IMAGE:
    setattr(image, _name, getattr(_extra, _name))  # keras.ops.image's
del _name


_symbolic: list = []  # [has_keras_tensor, apply_operation] once loaded


def _symbolic_aware(fn):
    """``fn`` that records an ``Operation`` node when given KerasTensors (Keras 3's ops build
    functional graphs: ``keras.ops.concatenate([x, y])`` on ``Input``s)."""

    @_functools.wraps(fn)
    def op(*args, **kwargs):
        if not _symbolic:  # the layers package imports this one: bind its helpers on first use
            from ..layers._input import apply_operation, has_keras_tensor

            _symbolic.extend((has_keras_tensor, apply_operation))
        if _symbolic[0](args, kwargs):
            return _symbolic[1](fn, *args, **kwargs)
        return fn(*args, **kwargs)

    setattr(op, "__wrapped_op__", fn)  # noqa: B010  (a marker: already wrapped)
    return op


_WRAPPED: dict = {}  # one wrapper per function, so keras.ops.numpy.x is keras.ops.x
_NAMES: dict = {}  # function -> its keras.ops name (the first, where aliases share one)


def _operation_spec(fn):
    """The ``OpSpec`` (Keras's operation class) of a ``keras.ops`` function, or None."""
    from . import _op_table  # parsed when a model with op nodes is first saved or loaded

    name = _NAMES.get(getattr(fn, "__wrapped_op__", fn))
    return None if name is None else _op_table.spec_for_function(name)


def _operation_function(spec):
    """The function (unwrapped) a Keras operation class stands for."""
    fn = (
        getattr(image, spec.function)
        if spec.module.endswith(".image")
        else globals()[spec.function]
    )
    return getattr(fn, "__wrapped_op__", fn)


def _wrap_namespace(namespace, names):
    for name in names:
        fn = namespace.get(name) if isinstance(namespace, dict) else getattr(namespace, name, None)
        if not _inspect.isfunction(fn) or hasattr(fn, "__wrapped_op__"):
            continue
        wrapped = _WRAPPED.setdefault(fn, _symbolic_aware(fn))
        _NAMES.setdefault(fn, name)
        if isinstance(namespace, dict):
            namespace[name] = wrapped
        else:
            setattr(namespace, name, wrapped)


_SYMBOLIC = sorted(set(__all__) - {"result_type"})
_wrap_namespace(globals(), _SYMBOLIC)
_wrap_namespace(_numpy, [*_numpy.__all__, *_numpy_more.__all__, *_numpy_rest.__all__, "slogdet",
                          "vectorize", "i0", "kaiser", "nextafter", "view"])  # fmt: skip
_wrap_namespace(_nn, [*_nn.__all__, *_extra.__all__])
_wrap_namespace(_linalg, [*_linalg.__all__, "eig", "jvp"])
_wrap_namespace(_image, [*_image.__all__, *_extra.IMAGE])
