"""Keras 3's ``keras.ops`` on the ops layer: NumPy-like functions with Keras's dtype promotion
(``result_type``: Python scalars are weak types), ``nn``, ``linalg``, the math and core
functions; also ``random`` (with ``SeedGenerator``) and ``config``. Everything traces in
``tensorhouse_ops.function``."""

from . import _core, _linalg, _math, _nn, _numpy, _numpy_more
from . import _linalg as linalg  # noqa: F401  (in __all__)
from . import _nn as nn  # noqa: F401  (in __all__)
from . import _numpy as numpy  # noqa: F401  (in __all__)
from . import backend as backend
from . import config as config
from . import random as random
from ._core import *  # noqa: F403
from ._dtypes import result_type as result_type
from ._linalg import *  # noqa: F403
from ._math import *  # noqa: F403
from ._nn import *  # noqa: F403
from ._numpy import *  # noqa: F403
from ._numpy_more import *  # noqa: F403

__all__ = sorted(
    {
        *_numpy.__all__,
        *_numpy_more.__all__,
        *_nn.__all__,
        *_math.__all__,
        *_linalg.__all__,
        *_core.__all__,
    }
    | {"backend", "config", "linalg", "nn", "numpy", "random", "result_type"}
)

for _name in _numpy_more.__all__:  # keras.ops.numpy holds them too
    setattr(_numpy, _name, getattr(_numpy_more, _name))
del _name
