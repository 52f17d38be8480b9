"""tensorhouse level 3, the bricks: TF 2's low-level API (tensors, variables, autodiff)."""

from importlib.metadata import PackageNotFoundError as _PNF
from importlib.metadata import version as _version

from tensorhouse_kernels.runtime import DeviceSpec, config, device, errors

from . import dtypes, linalg, math, nn, random
from ._array import (
    broadcast_to,
    expand_dims,
    fill,
    identity,
    ones,
    ones_like,
    rank,
    reshape,
    shape,
    size,
    squeeze,
    transpose,
    zeros,
    zeros_like,
)
from ._math import (
    abs,
    add,
    add_n,
    cast,
    divide,
    equal,
    exp,
    greater,
    less,
    log,
    matmul,
    maximum,
    minimum,
    multiply,
    negative,
    not_equal,
    pow,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_prod,
    reduce_sum,
    sigmoid,
    sqrt,
    square,
    subtract,
    tanh,
    truediv,
)
from ._sysinfo import system_info
from ._tape import GradientTape, UnconnectedGradients
from ._tensor import Tensor, TensorShape, constant, convert_to_tensor, is_tensor
from ._variables import Variable
from .dtypes import (
    DType,
    as_dtype,
    bfloat16,
    bool,
    double,
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    string,
    uint8,
)

try:
    __version__ = _version("tensorhouse-ops")
except _PNF:  # a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = [name for name in dir() if not name.startswith("_")] + ["__version__"]
