"""Op definitions: each op's inputs, attrs, and its shape and dtype rules, by op family.

Rules see only shapes (tuples whose dims may be ``None`` when unknown, as in traced graphs)
and NumPy dtypes, so the ops layer can trace graphs without running anything. ``infer``
raises TF's ``InvalidArgumentError`` naming the op, the shapes and the dtypes.

One module per family, as the C++ sources and the other devices' tables: ``elementwise``,
``reduce``, ``linalg``, ``array``, ``random``, ``indexing``, ``nn``, ``segment``, ``image``,
``optim``, ``strings``, ``complex``; ``_base`` holds ``OpDef``, the table and the shared helpers.
Importing the package registers every definition (``strings`` and ``complex`` last: they
extend the others'); ``FAMILY`` maps each op to the family that defines it, and an op defined
twice fails the import. Dtype checks raise ``DTypeError`` (an ``InvalidArgumentError``).
"""

# ruff: noqa: F401
# (re-exports: ``from .opdefs import X`` works for every name of the family modules)
from . import (
    image,
    indexing,
    linalg,
    optim,
    reduce,
    segment,
)
from ._base import (
    _OPS,
    ALL,
    BOOL,
    FAMILY,
    FLOAT,
    FLOAT16,
    FLOATS,
    INT,
    MATMUL_TYPES,
    NUMERIC,
    NUMERIC_U8,
    SMALL_INT,
    DTypeError,
    OpDef,
    _axis,
    _dims_of,
    _fmt,
    _key_attr_dtype,
    _key_first_input,
    _register,
    _require_dtype,
    _same_dtypes,
    add_bfloat16,
    broadcast_shape,
    get_op_def,
    list_op_defs,
    normalize_axes,
)
from .array import (
    mirror_pad_copies,
    mirror_pad_mode,
    normalized_reverse_axes,
    range_size,
    reshape_shape,
    slice_bounds,
    split_sizes,
    strided_slice_spec,
)
from .complex import (
    CAST_TYPES,
    COMPLEX,
    COMPLEX_OPS,
    FFT_OPS,
    IRFFT_OPS,
    RFFT_OPS,
    fft_lengths,
    fft_rank,
    real_dtype,
)
from .elementwise import (
    BITWISE,
    FUSED_BINARY,
    FUSED_UNARY,
    TRUNCATE_MOD_ZERO,
    check_fused_program,
)
from .nn import (
    conv_params,
    pool_params,
    window_geometry,
)
from .random import (
    check_int_bounds,
    stateless_seed,
)
from .strings import (
    STRING,
    STRING_OPS,
)

__all__ = ["DTypeError", "OpDef", "get_op_def", "list_op_defs", "broadcast_shape", "normalize_axes",
           "check_fused_program", "FUSED_UNARY", "FUSED_BINARY"]  # fmt: skip
