"""``tf.sparse``: SparseTensor and the ops on it."""

from ._lookup_cross import cross_hashed
from ._sparse import (
    SparseTensor,
    SparseTensorSpec,
    add,
    concat,
    fill_empty_rows,
    from_dense,
    reduce_max,
    reduce_sum,
    reorder,
    reset_shape,
    retain,
    segment_mean,
    segment_sqrt_n,
    segment_sum,
    slice,
    sparse_dense_matmul,
    to_dense,
    to_indicator,
)
from ._sparse_more import (
    bincount,
    cross,
    expand_dims,
    eye,
    map_values,
    mask,
    maximum,
    minimum,
    reshape,
    sampled_addmm,
    softmax,
    split,
    transpose,
)

matmul = sparse_dense_matmul

__all__ = [
    "SparseTensor", "SparseTensorSpec", "add", "concat", "cross_hashed", "fill_empty_rows",
    "from_dense",
    "matmul", "reduce_max", "reduce_sum", "reorder", "reset_shape", "retain", "segment_mean",
    "segment_sqrt_n", "segment_sum", "slice", "sparse_dense_matmul", "to_dense", "to_indicator",
    "bincount", "cross", "expand_dims", "eye", "map_values", "mask", "maximum", "minimum",
    "reshape", "sampled_addmm", "softmax", "split", "transpose",
]  # fmt: skip
