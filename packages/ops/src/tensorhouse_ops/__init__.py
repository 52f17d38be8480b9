"""tensorhouse level 3, the bricks: TF 2's low-level API (tensors, variables, autodiff)."""

from typing import TYPE_CHECKING

from tensorhouse_kernels.runtime import DeviceSpec, debugging, device, errors

from . import config, dtypes, math, nest, nn, random

if TYPE_CHECKING:  # loaded on first use (``__getattr__``): each costs import time
    from . import (
        autodiff,
        autograph,
        bitwise,
        collective,
        graph_io,
        image,
        io,
        linalg,
        lookup,
        profiler,
        ragged,
        signal,
        sparse,
        strings,
        summary,
        train,
    )
    from ._ragged import RaggedTensor, RaggedTensorSpec
    from ._sparse import SparseTensor, SparseTensorSpec
from . import (
    _control_flow_grad,  # noqa: F401 - registers the If / While gradient rules
    _signal,  # noqa: F401 - registers the FFT ops' gradient rules
)
from ._array import (
    boolean_mask,
    broadcast_to,
    concat,
    expand_dims,
    eye,
    fill,
    gather,
    gather_nd,
    identity,
    linspace,
    one_hot,
    ones,
    ones_like,
    pad,
    range,
    rank,
    reshape,
    reverse,
    scatter_nd,
    shape,
    size,
    slice,
    split,
    squeeze,
    stack,
    strided_slice,
    tensor_scatter_nd_add,
    tensor_scatter_nd_update,
    tile,
    transpose,
    unstack,
    where,
    zeros,
    zeros_like,
)
from ._complex import complex
from ._composed import (
    argsort,
    meshgrid,
    repeat,
    roll,
    saturate_cast,
    sequence_mask,
    shape_n,
    sort,
)
from ._composite import TypeSpec
from ._custom_gradient import custom_gradient
from ._function import (
    ConcreteFunction,
    Function,
    TensorSpec,
    cond,
    function,
    print,
    while_loop,
)
from ._functional_ops import (
    case,
    foldl,
    foldr,
    map_fn,
    scan,
    switch_case,
    vectorized_map,
)
from ._indexed_slices import IndexedSlices
from ._math import HOOKS as _MATH_HOOKS
from ._math import (
    abs,
    acos,
    acosh,
    add,
    add_n,
    argmax,
    argmin,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    cast,
    clip_by_global_norm,
    clip_by_norm,
    clip_by_value,
    cos,
    cosh,
    cumsum,
    divide,
    einsum,
    equal,
    exp,
    floor,
    greater,
    greater_equal,
    less,
    less_equal,
    log,
    logical_and,
    logical_not,
    logical_or,
    matmul,
    maximum,
    minimum,
    multiply,
    negative,
    norm,
    not_equal,
    pow,
    realdiv,
    reduce_all,
    reduce_any,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_prod,
    reduce_sum,
    round,
    sigmoid,
    sign,
    sin,
    sinh,
    sqrt,
    square,
    subtract,
    tan,
    tanh,
    tensordot,
    truediv,
    truncatediv,
    truncatemod,
)
from ._module import Module, name_scope
from ._pyfunc import (
    control_dependencies,
    executing_eagerly,
    init_scope,
    numpy_function,
    py_function,
)
from ._recompute import recompute_grad
from ._segment import searchsorted, unique, unique_with_counts
from ._sysinfo import system_info
from ._sysinfo import version as _version
from ._tape import GradientTape, UnconnectedGradients, stop_gradient
from ._tensor import Tensor, TensorShape, constant, convert_to_tensor, is_tensor
from ._tensor_array import TensorArray
from ._variables import Variable
from .dtypes import (
    DType,
    as_dtype,
    bfloat16,
    bool,
    complex64,
    complex128,
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
    uint16,
    uint32,
    uint64,
)

newaxis = None  # TF's ``tf.newaxis``, for ``x[tf.newaxis]``


__version__: str  # read from the installed metadata on first use (``__getattr__``)

__all__ = [
    "__version__",
    "ConcreteFunction",
    "Function",
    "Module",
    "RaggedTensor",
    "RaggedTensorSpec",
    "SparseTensor",
    "SparseTensorSpec",
    "TypeSpec",
    "ragged",
    "sparse",
    "TensorSpec",
    "cond",
    "function",
    "name_scope",
    "print",
    "while_loop",
    "case",
    "foldl",
    "foldr",
    "map_fn",
    "scan",
    "switch_case",
    "vectorized_map",
    "control_dependencies",
    "executing_eagerly",
    "init_scope",
    "numpy_function",
    "py_function",
    "boolean_mask",
    "argsort",
    "meshgrid",
    "repeat",
    "roll",
    "saturate_cast",
    "sequence_mask",
    "shape_n",
    "sort",
    "clip_by_global_norm",
    "clip_by_norm",
    "clip_by_value",
    "custom_gradient",
    "einsum",
    "eye",
    "linspace",
    "norm",
    "tensor_scatter_nd_add",
    "tensor_scatter_nd_update",
    "tensordot",
    "abs",
    "add",
    "add_n",
    "argmax",
    "argmin",
    "as_dtype",
    "bfloat16",
    "bool",
    "broadcast_to",
    "cast",
    "concat",
    "autodiff",
    "autograph",
    "acos",
    "acosh",
    "asin",
    "asinh",
    "atan",
    "atan2",
    "atanh",
    "bitwise",
    "complex",
    "complex64",
    "complex128",
    "signal",
    "cosh",
    "sinh",
    "graph_io",
    "collective",
    "config",
    "constant",
    "convert_to_tensor",
    "cos",
    "cumsum",
    "debugging",
    "device",
    "DeviceSpec",
    "divide",
    "double",
    "DType",
    "dtypes",
    "equal",
    "errors",
    "exp",
    "expand_dims",
    "fill",
    "float16",
    "float32",
    "float64",
    "floor",
    "gather",
    "gather_nd",
    "GradientTape",
    "greater",
    "greater_equal",
    "half",
    "identity",
    "int16",
    "int32",
    "int64",
    "image",
    "int8",
    "io",
    "is_tensor",
    "less",
    "less_equal",
    "linalg",
    "log",
    "logical_and",
    "logical_not",
    "logical_or",
    "lookup",
    "math",
    "matmul",
    "maximum",
    "minimum",
    "multiply",
    "negative",
    "nest",
    "newaxis",
    "nn",
    "not_equal",
    "one_hot",
    "ones",
    "ones_like",
    "pad",
    "pow",
    "random",
    "range",
    "rank",
    "realdiv",
    "recompute_grad",
    "reduce_all",
    "reduce_any",
    "reduce_max",
    "reduce_mean",
    "reduce_min",
    "reduce_prod",
    "reduce_sum",
    "reshape",
    "reverse",
    "round",
    "scatter_nd",
    "shape",
    "sigmoid",
    "sign",
    "sin",
    "size",
    "slice",
    "split",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "stop_gradient",
    "strided_slice",
    "string",
    "strings",
    "summary",
    "profiler",
    "subtract",
    "system_info",
    "tan",
    "tanh",
    "Tensor",
    "TensorShape",
    "tile",
    "train",
    "transpose",
    "truediv",
    "truncatediv",
    "truncatemod",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "UnconnectedGradients",
    "unstack",
    "IndexedSlices",
    "TensorArray",
    "unique",
    "unique_with_counts",
    "searchsorted",
    "Variable",
    "where",
    "zeros",
    "zeros_like",
]


def _add_strings(x, y):  # ``+`` on strings: tf.strings' op, that module loaded on first use
    from . import strings

    return strings._add(x, y)


_MATH_HOOKS["add_strings"] = _add_strings

_LAZY = {
    "autodiff", "autograph", "bitwise", "collective", "graph_io", "image", "io", "linalg",
    "lookup", "ragged", "sparse", "strings", "summary", "train", "signal", "profiler",
}  # fmt: skip


_LAZY_NAMES = {  # name -> the module that defines it, imported on first use
    "RaggedTensor": "_ragged", "RaggedTensorSpec": "_ragged",
    "SparseTensor": "_sparse", "SparseTensorSpec": "_sparse",
}  # fmt: skip


def __getattr__(name: str):  # PEP 562: ``__version__`` and the names above, on first use
    if name == "__version__":
        value = _version()
    elif name in _LAZY:
        from importlib import import_module

        value = import_module(f"{__name__}.{name}")
    elif name in _LAZY_NAMES:
        from importlib import import_module

        value = getattr(import_module(f"{__name__}.{_LAZY_NAMES[name]}"), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
