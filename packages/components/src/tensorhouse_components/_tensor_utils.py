"""Tensor helpers shared by ``losses`` and ``metrics``: conversion, Keras's y_true/y_pred rank
rule, and expand/squeeze/ones that also trace with unknown dimensions."""

from __future__ import annotations

from tensorhouse_ops import as_dtype, cast, convert_to_tensor, is_tensor, newaxis, not_equal, ones

__all__ = [
    "EPSILON", "expand", "float_pair", "float_tensor", "ones_as", "squeeze",
    "squeeze_or_expand_to_same_rank", "to_tensor",
]  # fmt: skip

EPSILON = 1e-7  # keras.backend.epsilon()


def to_tensor(x, dtype=None):
    """A tensor from a tensor, Variable, array or Python value, cast to ``dtype`` if given
    (as Keras's ``convert_to_tensor``: NumPy float64 stays float64, Python floats give float32)."""
    x = x if is_tensor(x) and not hasattr(x, "assign") else convert_to_tensor(x)
    if dtype is not None and x.dtype != as_dtype(dtype):
        x = cast(x, dtype)
    return x


def float_tensor(x):
    """A float tensor (integers and booleans become float32)."""
    x = to_tensor(x)
    return x if x.dtype.is_floating else cast(x, "float32")


def float_pair(y_true, y_pred):
    """``y_true`` in the dtype of ``y_pred``, a float tensor."""
    y_pred = float_tensor(y_pred)
    return to_tensor(y_true, y_pred.dtype), y_pred


def expand(x, axis=-1):
    """``expand_dims(x, axis)`` by indexing, so that it also traces with unknown dimensions."""
    axis = axis % (len(x.shape) + 1)
    return x[(slice(None),) * axis + (newaxis, Ellipsis)]


def squeeze(x, axis=-1):
    """``squeeze(x, axis)`` of a dimension of size 1, by indexing (traces with unknown ones)."""
    axis %= len(x.shape)
    return x[(slice(None),) * axis + (0,)]


def ones_as(x, dtype=None):
    """Ones of ``x``'s shape, also when a dimension is unknown while tracing."""
    dtype = x.dtype if dtype is None else as_dtype(dtype)
    if x.shape.is_fully_defined():
        return ones(x.shape.as_list(), dtype)
    probe = cast(x, "int32") if x.dtype.is_bool else x  # NotEqual has no bool kernel
    return cast(not_equal(probe, probe), dtype) * 0 + 1


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Keras's rule: if the ranks differ by one and the longer one ends in 1, squeeze it
    (or, when the other is rank 1 and ``expand_rank_1``, expand that one instead)."""
    r1, r2 = len(x1.shape), len(x2.shape)
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = expand(x2)
        else:
            x1 = squeeze(x1)
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = expand(x1)
        else:
            x2 = squeeze(x2)
    return x1, x2
