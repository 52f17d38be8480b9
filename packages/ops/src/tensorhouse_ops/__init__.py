"""tensorhouse level 3, the bricks: TF 2's low-level API (tensors, variables, autodiff).

Only what a first eager op needs loads with the package (tensors, dtypes, the array and math
ops); every other name loads on first use (``__getattr__``), and with it the rest of the package:
the gradient rules, ``tf.function``'s graph hooks and the FFT rules that its modules register.
"""

from typing import TYPE_CHECKING

from tensorhouse_kernels.runtime import DeviceSpec, device, errors

from . import config, dtypes, nest

if TYPE_CHECKING:  # loaded on first use (``__getattr__``): each costs import time
    from . import (
        audio,
        autodiff,
        autograph,
        bitwise,
        collective,
        debugging,
        graph_io,
        image,
        io,
        linalg,
        lookup,
        math,
        nn,
        profiler,
        ragged,
        random,
        signal,
        sparse,
        strings,
        summary,
        train,
        types,
    )
    from ._bits import bitcast, fingerprint
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
    from ._custom_gradient import custom_gradient
    from ._edit_distance import edit_distance
    from ._function import ConcreteFunction, Function, TensorSpec, cond, function, print, while_loop
    from ._functional_ops import case, foldl, foldr, map_fn, scan, switch_case, vectorized_map
    from ._indexed_slices import IndexedSlices
    from ._module import Module, name_scope
    from ._pyfunc import (
        control_dependencies,
        executing_eagerly,
        init_scope,
        numpy_function,
        py_function,
    )
    from ._ragged import RaggedTensor, RaggedTensorSpec
    from ._recompute import recompute_grad
    from ._segment import searchsorted, unique, unique_with_counts
    from ._sparse import SparseTensor, SparseTensorSpec
    from ._sysinfo import system_info
    from ._tape import GradientTape, UnconnectedGradients, stop_gradient
    from ._tensor_array import TensorArray
    from ._variables import Variable
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
from ._composite import CompositeTensor, TypeSpec
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
from ._tensor import Tensor, TensorShape, constant, convert_to_tensor, is_tensor
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
    "CompositeTensor",
    "ConcreteFunction",
    "Function",
    "Module",
    "RaggedTensor",
    "RaggedTensorSpec",
    "SparseTensor",
    "SparseTensorSpec",
    "TypeSpec",
    "audio",
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
    "bitcast",
    "edit_distance",
    "fingerprint",
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
    "types",
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


def _saturate_cast(value, dtype, name=None):  # ``tf.dtypes``'s, until ``_composed`` sets its own
    from ._composed import saturate_cast

    return saturate_cast(value, dtype, name)


dtypes._saturate_cast = _saturate_cast


def _dtypes_complex(real, imag, name=None):  # ``tf.dtypes.complex``, loading ``_complex``
    from ._complex import complex

    return complex(real, imag, name)


dtypes.cast, dtypes.complex = cast, _dtypes_complex  # TF's ``tf.dtypes.cast`` / ``complex``

_LAZY = {
    "audio", "autodiff", "autograph", "bitwise", "collective", "debugging", "graph_io", "image",
    "io", "linalg", "lookup", "math", "raw_ops", "nn", "ragged", "random", "sparse", "strings",
    "summary", "train", "signal", "profiler", "types",
}  # fmt: skip

_FROM = {  # module -> the names it defines, each imported on first use
    "_check_ops": ("Assert", "assert_equal", "assert_greater", "assert_less", "assert_rank"),
    "_math": ("reduce_logsumexp",),
    "_misc_ops": ("AggregationMethod", "VariableAggregation", "VariableSynchronization",
                  "broadcast_dynamic_shape", "broadcast_static_shape", "constant_initializer",
                  "dynamic_partition", "dynamic_stitch", "ensure_shape", "get_logger",
                  "get_static_value", "grad_pass_through", "group", "histogram_fixed_width",
                  "histogram_fixed_width_bins", "identity_n", "inside_function",
                  "is_symbolic_tensor", "make_ndarray", "make_tensor_proto", "no_op",
                  "ones_initializer", "random_normal_initializer", "random_uniform_initializer",
                  "reverse_sequence", "scalar_mul", "tensor_scatter_nd_max",
                  "tensor_scatter_nd_min", "tensor_scatter_nd_sub", "timestamp", "tuple",
                  "unravel_index", "zeros_initializer"),
    "_bits": ("bitcast", "fingerprint"),
    "_edit_distance": ("edit_distance",),
    "_complex": ("complex",),
    "_composed": ("argsort", "meshgrid", "repeat", "roll", "saturate_cast", "sequence_mask",
                  "shape_n", "sort"),
    "_custom_gradient": ("custom_gradient",),
    "_function": ("ConcreteFunction", "Function", "TensorSpec", "cond", "function", "print",
                  "while_loop"),
    "_functional_ops": ("case", "foldl", "foldr", "map_fn", "scan", "switch_case",
                        "vectorized_map"),
    "_indexed_slices": ("IndexedSlices",),
    "_module": ("Module", "name_scope"),
    "_pyfunc": ("control_dependencies", "executing_eagerly", "init_scope", "numpy_function",
                "py_function"),
    "_ragged": ("RaggedTensor", "RaggedTensorSpec"),
    "_recompute": ("recompute_grad",),
    "_segment": ("searchsorted", "unique", "unique_with_counts"),
    "_sparse": ("SparseTensor", "SparseTensorSpec"),
    "_sysinfo": ("system_info",),
    "_tape": ("GradientTape", "UnconnectedGradients", "stop_gradient"),
    "_tensor_array": ("TensorArray",),
    "_variables": ("Variable",),
}  # fmt: skip
_LAZY_NAMES = {name: module for module, names in _FROM.items() for name in names}
__all__ += [  # the names above: ``tf.raw_ops``, the checks, ``_misc_ops``'s
    "raw_ops", "reduce_logsumexp", "Assert", "assert_equal", "assert_greater", "assert_less",
    "assert_rank", "AggregationMethod", "VariableAggregation", "VariableSynchronization",
    "broadcast_dynamic_shape", "broadcast_static_shape", "constant_initializer",
    "dynamic_partition", "dynamic_stitch", "ensure_shape", "get_logger", "get_static_value",
    "grad_pass_through", "group", "histogram_fixed_width", "histogram_fixed_width_bins",
    "identity_n", "inside_function", "is_symbolic_tensor", "make_ndarray", "make_tensor_proto",
    "no_op", "ones_initializer", "random_normal_initializer", "random_uniform_initializer",
    "reverse_sequence", "scalar_mul", "tensor_scatter_nd_max", "tensor_scatter_nd_min",
    "tensor_scatter_nd_sub", "timestamp", "tuple", "unravel_index", "zeros_initializer",
]  # fmt: skip

# what the first lazy name loads besides its own module: the gradient rules (the If / While and
# FFT ones included) and the hooks that ``tf.function``'s modules install in the layers below
_REST = ("_grad_rules", "_control_flow_grad", "_signal", "math", "nn", "random",
         *sorted(set(_FROM) - {"_ragged", "_sparse"}))  # fmt: skip


_rest_loaded = False


def _load_rest():
    global _rest_loaded
    from importlib import import_module

    for module in _REST:
        import_module(f"{__name__}.{module}")
    _rest_loaded = True


def __getattr__(name: str):  # PEP 562: ``__version__`` and the names above, on first use
    from importlib import import_module

    if name == "__version__":
        value = import_module(f"{__name__}._sysinfo").version()
    elif name in _LAZY or name in _LAZY_NAMES:
        if not _rest_loaded:
            _load_rest()
        if name in _LAZY:
            value = import_module(f"{__name__}.{name}")
        else:
            value = getattr(import_module(f"{__name__}.{_LAZY_NAMES[name]}"), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
