"""tf.string: the ops that also take object arrays of bytes (``_string_kernels`` runs them)."""

from __future__ import annotations

import numpy as np

from . import array, elementwise, indexing, segment  # noqa: F401 - the definitions it extends
from ._base import (
    _OPS,
)

# ---- string tensors ----------------------------------------------------------------------------
# tf.string is a NumPy object array of ``bytes`` on the host. The ops below also take it, as TF's
# CPU kernels do (the structural ops, Equal / NotEqual, Unique): ``_string_kernels`` runs them.
STRING = np.dtype(object)
STRING_OPS = (
    "Reshape", "Identity", "Transpose", "BroadcastTo", "Fill", "SelectV2", "ConcatV2", "Split",
    "SplitV", "Slice", "StridedSlice", "StridedSliceGrad", "Pad", "MirrorPad", "Tile", "ReverseV2",
    "GatherV2", "GatherNd", "ScatterNd", "TensorScatterUpdate", "Equal", "NotEqual", "Unique",
    "UniqueWithCounts",
)  # fmt: skip
for _n in STRING_OPS:
    _OPS[_n].dtypes = _OPS[_n].dtypes + (STRING,)
