"""tensorhouse level 2: op definitions and the kernels that run them (C++ on the CPU).

Importing this package registers every kernel it can load in the runtime's registry.
"""

from importlib.util import find_spec as _find_spec
from typing import TYPE_CHECKING as _TYPE_CHECKING

from . import _blas

_blas.preload()  # before the C++ module: it links OpenBLAS by soname

with _blas.loading_env(_blas.openmp_env()):  # libgomp reads these when the module loads
    from . import cpu as _cpu_kernels
_blas.select_backend(_cpu_kernels._cpu)  # oneMKL for GEMMs when installed (TENSORHOUSE_BLAS)
from . import runtime  # noqa: E402
from .execute import (  # noqa: E402
    Outputs,
    allocated,
    eager_elementwise,
    eager_shortcut,
    execute,
    writes_in_place,
)
from .opdefs import (  # noqa: E402
    FUSED_BINARY,
    FUSED_UNARY,
    DTypeError,
    OpDef,
    broadcast_shape,
    get_op_def,
    list_op_defs,
    normalize_axes,
)

_cpu_kernels.register_all()
cpu_info = _cpu_kernels.info

_XLA_DEVICE_TYPES = ("XLA_CPU", "XLA_GPU", "TPU")  # xla.DEVICE_TYPES (xla loads on first use)


def _register_xla():
    from . import xla

    xla.register_all()


if _find_spec("jax") is not None:  # XLA kernels (jax.numpy): registered when the registry is
    runtime.registry.defer(_XLA_DEVICE_TYPES, _register_xla)  # first asked about XLA; JAX loads
    # on their first call

if _find_spec("pycuda") is not None:  # CUDA kernels; compiled and loaded on their first call
    from . import gpu as _gpu_kernels

    _gpu_kernels.register_all()

from ._images import host_images  # noqa: E402 - PNG decoding
from ._records import host_records  # noqa: E402 - TFRecord framing, Example parsing

if _TYPE_CHECKING:  # loaded on first use (__getattr__); its type for the checker
    from ._string_kernels import host_strings
from .opdefs.optim import FUSED_APPLY, optim_slots  # noqa: E402


def _register_strings():
    from . import _string_kernels

    _string_kernels.register_all()


# tf.string: CPU only (after XLA and GPU), as TF's; registered when the registry first misses
# or lists a CPU kernel, so that a first op on numbers does not load them
runtime.registry.defer(("CPU",), _register_strings)

from . import _bfloat16  # noqa: E402 - after every kernel: their float16 ones get twins

_bfloat16.install()  # bfloat16 now if ml_dtypes is loaded, else when it first is


__version__: str  # read from the installed metadata on first use (``__getattr__``)

__all__ = [
    "__version__",
    "cpu_info",
    "eager_elementwise",
    "eager_shortcut",
    "execute",
    "Outputs",  # execute's kernel contract: kernel(inputs, outputs, attrs)
    "allocated",
    "writes_in_place",  # a kernel that may update its inputs' buffers in place
    "OpDef",
    "DTypeError",  # the InvalidArgumentError of an op definition's dtype check
    "broadcast_shape",
    "get_op_def",
    "list_op_defs",
    "normalize_axes",
    "runtime",
    "xla",  # the XLA table and whole-graph lowering (jit_graph); loads no JAX on import
    "FUSED_BINARY",
    "FUSED_UNARY",
    "FUSED_APPLY",  # the fused optimizer ops: kernel kind, scalars, slots, flags
    "optim_slots",
    "host_strings",  # whole-batch C++ string loops (split, ngrams, lookup) for tf.strings
    "host_records",  # C++ TFRecord framing and Example parsing for tf.io / tf.data
    "host_images",  # C++ PNG decoding for tf.io.decode_png
]


def _version() -> str:  # reads the installed metadata (slow to import) on first use only
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tensorhouse-kernels")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0.0.0+unknown"


def __getattr__(name: str):  # PEP 562: ``__version__``, ``xla`` and ``host_strings`` on first use
    if name == "xla":
        from importlib import import_module

        value = import_module(f"{__name__}.xla")
    elif name == "host_strings":
        from ._string_kernels import host_strings as value
    elif name == "__version__":
        value = _version()
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
