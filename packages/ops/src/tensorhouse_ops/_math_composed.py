"""``tf.math`` functions composed from the kernels' ops: ``cumulative_logsumexp``,
``multiply_no_nan``, ``xlog1py``,
``lbeta``, ``in_top_k``, ``invert_permutation``, ``is_non_decreasing`` /
``is_strictly_increasing``, ``zero_fraction``, ``confusion_matrix``, ``scalar_mul`` and
``accumulate_n``, by TF's rules; they trace and differentiate like the ops they are made of."""

from __future__ import annotations

import numpy as np

from . import _array, _dynamic, _math
from . import dtypes as _dt
from ._tape import stop_gradient
from ._tensor import VariableLike, convert_to_tensor, errors

__all__ = ["accumulate_n", "confusion_matrix", "cumulative_logsumexp", "in_top_k",
           "invert_permutation", "is_non_decreasing", "is_strictly_increasing", "lbeta",
           "multiply_no_nan", "scalar_mul", "xlog1py", "zero_fraction"]  # fmt: skip


def _t(x, dtype=None):
    return x._th_read() if isinstance(x, VariableLike) else convert_to_tensor(x, dtype)


def _known(x):
    """``x``'s value where it is known now (eagerly, or a constant), else ``None``."""
    return None if _dynamic._symbolic(x) else x.numpy()


def _floats(op, *xs):
    for x in xs:
        if not (x.dtype.is_floating or x.dtype.is_complex):
            raise errors.InvalidArgumentError(
                f"{op}: expected a floating or complex tensor, got {x.dtype.name} (shape "
                f"{x.shape}) [Op:{op}]"
            )


def multiply_no_nan(x, y, name=None):
    """``x * y``, but 0 where ``y`` is 0 even when ``x`` is inf or NaN. The gradients are
    TF's: ``mul_no_nan(dz, y)`` for ``x`` and ``x * dz`` for ``y``."""
    x = _t(x)
    y = _t(y, x.dtype)
    _floats("MulNoNan", x, y)
    finite = _math.equal(x * _math.cast(0, x.dtype), _math.cast(0, x.dtype))  # not inf / NaN
    safe = _array.where(
        finite | _math.not_equal(y, _math.cast(0, y.dtype)), x, _array.zeros_like(x)
    )
    return safe * y + _math.cast(0, x.dtype)  # + 0: TF's 0 where y is 0 is never -0.0


def xlog1py(x, y, name=None):
    """``x * log1p(y)``, 0 where ``x`` is 0 (whatever ``y`` is)."""
    x = _t(x)
    y = _t(y, x.dtype)
    _floats("Xlog1py", x, y)
    zero = _math.equal(x, _math.cast(0, x.dtype))
    safe_y = _array.where(
        zero, _array.zeros_like(y), y
    )  # keeps the unused branch's gradient finite
    return _array.where(zero, _array.zeros_like(x), x * _math.log1p(safe_y))


def lbeta(x, name=None):
    """``log(|Beta(x)|)`` over the last axis: ``sum(lgamma(x)) - lgamma(sum(x))``."""
    x = _t(x)
    if not x.dtype.is_floating:
        raise errors.InvalidArgumentError(
            f"lbeta: expected a floating tensor, got {x.dtype.name} (shape {x.shape}) [Op:Lgamma]"
        )
    return _math.reduce_sum(_math.lgamma(x), -1) - _math.lgamma(_math.reduce_sum(x, -1))


def in_top_k(targets, predictions, k, name=None):
    """Whether ``predictions[i, targets[i]]`` is among the ``k`` largest of row ``i`` (ties at
    the boundary count as in); a row with a non-finite prediction or an out-of-range target
    gives False."""
    predictions = _t(predictions, _dt.float32)
    targets = _t(targets)
    if (
        targets.dtype not in (_dt.int32, _dt.int64)
        or predictions.shape.rank != 2
        or targets.shape.rank != 1
    ):
        raise errors.InvalidArgumentError(
            f"InTopKV2: targets must be a 1-D int32 / int64 tensor and predictions 2-D; got "
            f"targets {targets.dtype.name} {targets.shape}, predictions {predictions.shape}"
        )
    classes = _array.shape(predictions, out_type=targets.dtype)[1]
    valid = (targets >= 0) & (targets < classes)
    safe = _array.where(valid, targets, _array.zeros_like(targets))
    rows = _array.range(_array.shape(targets, out_type=targets.dtype)[0], dtype=targets.dtype)
    target = _array.gather_nd(predictions, _array.stack([rows, safe], 1))
    above = _math.reduce_sum(_math.cast(predictions > _array.expand_dims(target, 1), _dt.int32), 1)
    finite = _math.reduce_all(_math.is_finite(predictions), 1)  # TF can't say: False
    return valid & finite & (above < _math.cast(k, _dt.int32))


def invert_permutation(x, name=None):
    """``y`` with ``y[x[i]] = i`` for a permutation ``x`` of ``0 .. n-1``."""
    x = _t(x)
    if x.dtype not in (_dt.int32, _dt.int64) or x.shape.rank != 1:
        raise errors.InvalidArgumentError(
            f"InvertPermutation: x must be a 1-D int32 / int64 tensor, got {x.dtype.name} {x.shape}"
        )
    value = _known(x)
    if value is not None and sorted(value.tolist()) != list(range(len(value))):
        raise errors.InvalidArgumentError(
            f"InvertPermutation: {value.tolist()} is not a permutation of 0..{len(value) - 1}"
        )
    n = _array.size(x, out_type=x.dtype)
    return _array.scatter_nd(
        _array.expand_dims(x, 1), _array.range(n, dtype=x.dtype), _array.expand_dims(n, 0)
    )


def _monotone(x, strict, what):
    x = _t(x)
    if not (x.dtype.is_integer or x.dtype.is_floating):
        raise TypeError(
            f"Expected x to be numeric, not {x.dtype.name}: cannot test if it is {what}"
        )
    flat = _array.reshape(x, [-1])
    pairs = flat[:-1] < flat[1:] if strict else flat[:-1] <= flat[1:]
    return _math.reduce_all(pairs)


def is_non_decreasing(x, name=None):
    """True when ``x``'s elements, in row-major order, never decrease."""
    return _monotone(x, False, "non-decreasing")


def is_strictly_increasing(x, name=None):
    """True when ``x``'s elements, in row-major order, always increase."""
    return _monotone(x, True, "strictly increasing")


def zero_fraction(value, name=None):
    """The fraction of ``value``'s elements that are zero, as float32."""
    value = _t(value)
    return _math.reduce_mean(
        _math.cast(_math.equal(value, _math.cast(0, value.dtype)), _dt.float32)
    )


def confusion_matrix(
    labels, predictions, num_classes=None, weights=None, dtype=_dt.int32, name=None
):
    """``[num_classes, num_classes]``: entry ``[i, j]`` counts (or sums the ``weights`` of) the
    examples with label ``i`` predicted as ``j``; ``num_classes`` defaults to the largest
    value seen plus one."""
    labels, predictions = _t(labels), _t(predictions)
    if (
        labels.shape.rank != 1
        or predictions.shape.rank != 1
        or labels.shape.as_list() != predictions.shape.as_list()
    ):
        raise errors.InvalidArgumentError(
            f"labels and predictions must be 1-D and of one shape; got "
            f"{labels.shape} and {predictions.shape}"
        )
    labels, predictions = _math.cast(labels, _dt.int64), _math.cast(predictions, _dt.int64)
    if num_classes is None:
        num_classes = _math.maximum(_math.reduce_max(labels), _math.reduce_max(predictions)) + 1
    n = _math.cast(num_classes, _dt.int64)
    known = [_known(v) for v in (labels, predictions, n)]
    if all(v is not None for v in known) and any(
        np.any((v < 0) | (v >= known[2])) for v in known[:2]
    ):
        raise errors.InvalidArgumentError(
            f"confusion_matrix: labels {known[0].tolist()} and predictions {known[1].tolist()} "
            f"must be in [0, {int(known[2])})"
        )
    dtype = _dt.as_dtype(dtype)
    updates = _array.ones_like(labels, dtype) if weights is None else _math.cast(_t(weights), dtype)
    return _array.scatter_nd(_array.stack([labels, predictions], 1), updates, _array.stack([n, n]))


def scalar_mul(scalar, x, name=None):
    """``scalar * x`` for a 0-D ``scalar``, converted to ``x``'s dtype."""
    x = _t(x)
    scalar = _t(scalar, x.dtype)
    if scalar.shape.rank != 0:
        raise ValueError(f"The input scalar must be a 0-D value. Received shape {scalar.shape}.")
    return scalar * x


def accumulate_n(inputs, shape=None, tensor_dtype=None, name=None):
    """The elementwise sum of a list of tensors of one shape and dtype (TF's ``add_n``)."""
    if not isinstance(inputs, list | tuple) or not inputs:
        raise ValueError("inputs must be a non-empty list of Tensors")
    inputs = [_t(v) for v in inputs]
    if len({v.dtype for v in inputs}) > 1 or (
        tensor_dtype and _dt.as_dtype(tensor_dtype) != inputs[0].dtype
    ):
        raise TypeError(
            f"inputs must be a list of Tensors of one dtype, got {[v.dtype.name for v in inputs]}"
        )
    if len({tuple(v.shape.as_list()) for v in inputs}) > 1:
        raise ValueError(f"Input tensors must have one shape, got {[v.shape for v in inputs]}")
    return _math.add_n(inputs)


def _logaddexp(a, b):
    top = stop_gradient(_math.maximum(a, b))
    top = _array.where(_math.is_inf(top), _array.zeros_like(top), top)  # both -inf: stays -inf
    return top + _math.log(_math.exp(a - top) + _math.exp(b - top))


def cumulative_logsumexp(x, axis=0, exclusive=False, reverse=False, name=None):
    """``log(cumsum(exp(x)))`` along ``axis``, computed stably: a log-step scan of pairwise
    log-add-exps (each term is never exponentiated far from its running maximum)."""
    x = _t(x)
    if not x.dtype.is_floating:
        raise errors.InvalidArgumentError(f"CumulativeLogsumexp: expected a floating tensor, got "
                                          f"{x.dtype.name}")  # fmt: skip
    rank = x.shape.rank
    axis = int(axis) % rank
    perm = [axis, *(i for i in range(rank) if i != axis)]
    back = [perm.index(i) for i in range(rank)]
    y = _array.transpose(x, perm)
    if reverse:
        y = _array.reverse(y, [0])
    n = y.shape.as_list()[0]

    def shifted(t, k):  # t moved k steps along axis 0, -inf coming in
        pad = _array.fill(
            _array.concat([[k], _array.shape(t)[1:]], 0), _math.cast(-np.inf, t.dtype)
        )
        return _array.concat([pad, t[: n - k]], 0)

    if exclusive and n:
        y = shifted(y, 1)
    k = 1
    while k < n:
        y = _logaddexp(y, shifted(y, k))
        k *= 2
    if reverse:
        y = _array.reverse(y, [0])
    return _array.transpose(y, back)
