"""Host-side checks: the C++ kernels' errors for bad values, before the XLA call."""

from __future__ import annotations

import math

import numpy as np

from ..opdefs import TRUNCATE_MOD_ZERO, check_int_bounds
from ..runtime import errors

# Attrs passed to the jitted kernel as traced values, so a new seed does not recompile.
# Integer attrs as uint64, wrapped to 64 bits.
_DYNAMIC_ATTRS = {
    "RandomUniform": ("seed", "seed2"),
    "RandomStandardNormal": ("seed", "seed2"),
    "TruncatedNormal": ("seed", "seed2"),
    "RandomUniformInt": ("seed", "seed2", "minval", "maxval"),
}


def _dynamic_value(value):
    """A dynamic attr as a uint64 scalar (two's complement for negative ints)."""
    return np.uint64(int(value) & 0xFFFFFFFFFFFFFFFF)


# ---- host-side checks: the C++ kernels' errors for bad values ----------------------------------


def _host(x):
    return np.asarray(x)


def _index_str(shape, i):
    return "[" + ",".join(str(int(v)) for v in np.unravel_index(i, shape)) + "]"


def _shape_str(shape):
    return "[" + ",".join(str(int(d)) for d in shape) + "]"


def _check_divisor(op):
    def check(inputs, attrs):
        a, b = inputs
        if b.dtype.kind not in "iu" or not b.size:
            return
        out_shape = np.broadcast_shapes(a.shape, b.shape)
        if math.prod(out_shape) and (_host(b) == 0).any():
            raise errors.InvalidArgumentError(f"Integer division by zero [Op:{op}]")

    return check


def _check_truncate_mod(inputs, attrs):
    """TF's CPU TruncateMod fails an integer divisor of zero with an InternalError."""
    try:
        _check_divisor("TruncateMod")(inputs, attrs)
    except errors.InvalidArgumentError:
        raise errors.InternalError(TRUNCATE_MOD_ZERO) from None


def _check_gather(inputs, attrs):
    params, idx = inputs
    limit = params.shape[int(attrs.get("axis", 0)) % params.ndim]
    if not idx.size:
        return
    flat = _host(idx).reshape(-1)
    bad = np.flatnonzero((flat < 0) | (flat >= limit))
    if bad.size:
        i = int(bad[0])
        raise errors.InvalidArgumentError(
            f"indices{_index_str(idx.shape, i)} = {int(flat[i])} is not in [0, {limit}) "
            "[Op:GatherV2]"
        )


def _check_nd(op, idx, dims, what):
    k = idx.shape[-1]
    count = math.prod(idx.shape[:-1])
    if not count or not k:
        return
    tuples = _host(idx).reshape(count, k)
    bad = np.flatnonzero(((tuples < 0) | (tuples >= np.asarray(dims[:k]))).any(axis=1))
    if bad.size:
        i = int(bad[0])
        t = ", ".join(str(int(v)) for v in tuples[i])
        raise errors.InvalidArgumentError(
            f"indices{_index_str(idx.shape[:-1], i)} = [{t}] does not index into {what} "
            f"{_shape_str(dims)} [Op:{op}]"
        )


def _check_gather_nd(inputs, attrs):
    _check_nd("GatherNd", inputs[1], inputs[0].shape, "param shape")


def _check_scatter_nd(inputs, attrs):
    _check_nd("ScatterNd", inputs[0], tuple(int(d) for d in attrs["shape"]), "shape")


def _check_tensor_scatter_update(inputs, attrs):
    _check_nd("TensorScatterUpdate", inputs[1], inputs[0].shape, "shape")


def _check_segments(inputs, attrs):
    ids = inputs[1]
    n = int(attrs["num_segments"])
    if not ids.size:
        return
    flat = _host(ids).reshape(-1)
    bad = np.flatnonzero(flat >= n)
    if bad.size:
        i = int(bad[0])
        raise errors.InvalidArgumentError(
            f"segment_ids{_index_str(ids.shape, i)} = {int(flat[i])} is out of range [0, {n}) "
            "[Op:UnsortedSegmentSum]"
        )


def _check_labels(inputs, attrs):
    x, labels = inputs
    rows, n = x.shape
    if not rows:
        return
    flat = _host(labels).reshape(-1)
    bad = np.flatnonzero((flat < 0) | (flat >= n))
    if bad.size:
        shown = " ".join(str(int(v)) for v in flat[:1000]) + (" ..." if rows > 1000 else "")
        raise errors.InvalidArgumentError(
            f"Received a label value of {int(flat[bad[0]])} which is outside the valid range of "
            f"[0, {n}).  Label values: {shown} [Op:SparseSoftmaxCrossEntropyWithLogits]"
        )


def _check_bounds(inputs, attrs):
    check_int_bounds("StatelessRandomUniformIntV2", _host(inputs[1]), _host(inputs[2]))


CHECKS = {
    "StatelessRandomUniformIntV2": _check_bounds,
    "FloorDiv": _check_divisor("FloorDiv"),
    "FloorMod": _check_divisor("FloorMod"),
    "TruncateMod": _check_truncate_mod,
    "GatherV2": _check_gather,
    "GatherNd": _check_gather_nd,
    "ScatterNd": _check_scatter_nd,
    "TensorScatterUpdate": _check_tensor_scatter_update,
    "UnsortedSegmentSum": _check_segments,
    "SparseSoftmaxCrossEntropyWithLogits": _check_labels,
}
