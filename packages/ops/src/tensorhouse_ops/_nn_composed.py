"""``tf.nn`` functions composed from other ops, by TF's formulas: ``crelu``,
``depth_to_space`` / ``space_to_depth`` (a reshape, a transpose and a reshape),
the moments helpers, two losses, the distribution-aware loss scalers (one replica here), the
1-D and rank-dispatching pools (on the 2-D pooling kernels) and local response normalization."""

from __future__ import annotations

import math as _pymath

from . import _array, _math
from . import dtypes as _dt
from ._tensor import VariableLike, convert_to_tensor, errors

__all__ = ["avg_pool", "avg_pool1d", "compute_average_loss", "crelu", "depth_to_space",
           "local_response_normalization", "log_poisson_loss", "max_pool", "max_pool1d",
           "normalize_moments", "scale_regularization_loss", "space_to_depth",
           "sufficient_statistics", "weighted_cross_entropy_with_logits",
           "weighted_moments"]  # fmt: skip


def _t(x, dtype=None):
    return x._th_read() if isinstance(x, VariableLike) else convert_to_tensor(x, dtype)


def crelu(features, axis=-1, name=None):
    """``concat([relu(x), relu(-x)], axis)``."""
    x = _t(features)
    return _array.concat([_math.maximum(x, 0), _math.maximum(-x, 0)], axis)


def _blocks(op, x, block_size, data_format):
    if data_format != "NHWC":
        raise errors.InvalidArgumentError(
            f"{op}: only data_format 'NHWC' is supported here, got {data_format!r}"
        )
    if x.shape.rank != 4:
        raise errors.InvalidArgumentError(
            f"{op}: input rank should be 4 instead of {x.shape.rank} (shape {x.shape})"
        )
    if int(block_size) < 2:
        raise errors.InvalidArgumentError(f"{op}: Block size should be > 1, but was: {block_size}")
    return int(block_size), x.shape.as_list()[1:]


def depth_to_space(input, block_size, data_format="NHWC", name=None):  # noqa: A002
    """Depth moved into ``block_size`` x ``block_size`` spatial blocks."""
    x = _t(input)
    bs, (h, w, c) = _blocks("DepthToSpace", x, block_size, data_format)
    if c % (bs * bs):
        raise errors.InvalidArgumentError(
            f"DepthToSpace: Input depth dimension {c} should be divisible by: {bs * bs}"
        )
    y = _array.transpose(_array.reshape(x, [-1, h, w, bs, bs, c // (bs * bs)]), [0, 1, 3, 2, 4, 5])
    return _array.reshape(y, [-1, h * bs, w * bs, c // (bs * bs)])


def space_to_depth(input, block_size, data_format="NHWC", name=None):  # noqa: A002
    """Each ``block_size`` x ``block_size`` spatial block moved into the depth."""
    x = _t(input)
    bs, (h, w, c) = _blocks("SpaceToDepth", x, block_size, data_format)
    if h % bs or w % bs:
        raise errors.InvalidArgumentError(
            f"SpaceToDepth: Image width {w} and height {h} should be divisible by block_size: {bs}"
        )
    y = _array.transpose(_array.reshape(x, [-1, h // bs, bs, w // bs, bs, c]), [0, 1, 3, 2, 4, 5])
    return _array.reshape(y, [-1, h // bs, w // bs, bs * bs * c])


def sufficient_statistics(x, axes, shift=None, keepdims=False, name=None):
    """``(count, sum of x - shift, sum of squares of x - shift, shift)`` over ``axes``."""
    x = _t(x)
    axes = list(axes)
    dims = x.shape.as_list()
    if all(dims[a] is not None for a in axes):
        counts = _math.cast(_pymath.prod(dims[a] for a in axes), x.dtype)
    else:
        shape = _math.cast(_array.shape(x), x.dtype)
        counts = _math.reduce_prod(_array.gather(shape, axes))
    m = x if shift is None else x - _t(shift, x.dtype)
    m_ss = _math.reduce_sum(m, axes, keepdims=keepdims)
    v_ss = _math.reduce_sum(_math.square(m), axes, keepdims=keepdims)
    return counts, m_ss, v_ss, shift


def normalize_moments(counts, mean_ss, variance_ss, shift, name=None):
    """``(mean, variance)`` from ``sufficient_statistics``' sums."""
    divisor = _math.reciprocal(_t(counts))
    shifted_mean = _t(mean_ss) * divisor
    mean = shifted_mean if shift is None else shifted_mean + shift
    return mean, _t(variance_ss) * divisor - _math.square(shifted_mean)


def weighted_moments(x, axes, frequency_weights, keepdims=False, name=None):
    """``(mean, variance)`` over ``axes`` with each element counted ``frequency_weights``
    times (float16 computed in float32); 0 where the weights sum to 0."""
    x = _t(x)
    weights = _t(frequency_weights)
    dtype = x.dtype
    if dtype == _dt.float16:
        x, weights = _math.cast(x, _dt.float32), _math.cast(weights, _dt.float32)
    weights = _math.cast(weights, x.dtype)
    axes = list(axes)
    total = _math.reduce_sum(weights + _array.zeros_like(x), axes, keepdims=True)
    mean = _math.divide_no_nan(_math.reduce_sum(weights * x, axes, keepdims=True), total)
    dist = _math.reduce_sum(weights * _math.squared_difference(x, mean), axes, keepdims=True)
    variance = _math.divide_no_nan(dist, total)
    if not keepdims:
        mean, variance = _array.squeeze(mean, axes), _array.squeeze(variance, axes)
    return _math.cast(mean, dtype), _math.cast(variance, dtype)


def weighted_cross_entropy_with_logits(labels, logits, pos_weight, name=None):
    """Sigmoid cross-entropy with the positive term weighted by ``pos_weight`` (stable form)."""
    logits = _t(logits)
    labels = _t(labels, logits.dtype)
    if labels.shape.as_list() != logits.shape.as_list():
        raise ValueError(
            f"`logits` and `labels` must have the same shape, received ({logits.shape} vs "
            f"{labels.shape})."
        )
    log_weight = 1 + (_math.cast(pos_weight, logits.dtype) - 1) * labels
    softplus_neg = _math.log1p(_math.exp(-_math.abs(logits))) + _math.maximum(-logits, 0)
    return (1 - labels) * logits + log_weight * softplus_neg


def log_poisson_loss(targets, log_input, compute_full_loss=False, name=None):
    """``exp(log_input) - log_input * targets``, plus Stirling's term for targets above 1
    when ``compute_full_loss``."""
    log_input = _t(log_input)
    targets = _t(targets, log_input.dtype)
    if targets.shape.as_list() != log_input.shape.as_list():
        raise ValueError(
            f"log_input and targets must have the same shape ({log_input.shape} vs {targets.shape})"
        )
    result = _math.exp(log_input) - log_input * targets
    if not compute_full_loss:
        return result
    stirling = targets * _math.log(targets) - targets + 0.5 * _math.log(targets * (2 * _pymath.pi))
    small = (targets >= 0) & (targets <= 1)
    return result + _array.where(small, _array.zeros_like(targets), stirling)


def compute_average_loss(per_example_loss, sample_weight=None, global_batch_size=None):
    """The per-example losses (times ``sample_weight``) summed and divided by the global batch
    size: the batch size here, one replica."""
    loss = _t(per_example_loss)
    if loss.shape.rank == 0:
        raise ValueError(
            f"Invalid value passed for `per_example_loss`. Expected a tensor with at "
            f"least rank 1. Received per_example_loss={loss} with rank 0"
        )
    if sample_weight is not None:
        loss = loss * _math.cast(_t(sample_weight), loss.dtype)
    if global_batch_size is None:
        global_batch_size = _array.shape(loss)[0]
    elif not _t(global_batch_size).dtype.is_integer:
        raise TypeError(f"global_batch_size must be an integer, got {global_batch_size!r}")
    return _math.divide_no_nan(_math.reduce_sum(loss), _math.cast(global_batch_size, loss.dtype))


def scale_regularization_loss(regularization_loss):
    """The regularization loss (a tensor or a list of them) summed; one replica divides by 1."""
    if isinstance(regularization_loss, list | tuple):
        regularization_loss = _math.add_n(list(regularization_loss))
    return _math.reduce_sum(_t(regularization_loss))


def _window1d(v, name):
    v = [v] if isinstance(v, int) else [int(x) for x in v]
    if len(v) == 3 and v[0] == v[2] == 1:
        v = v[1:2]
    if len(v) != 1:
        raise ValueError(f"{name} should be of length 1 or 3 (with 1s first and last) for a 1-D "
                         f"pool, got {v}")  # fmt: skip
    return [1, v[0]]


HOOKS: dict = {}  # ``_nn``'s 2-D pools, set when it loads (it imports this module)


def _pool2d(kind):
    return HOOKS[f"{kind}_pool2d"]


def _pool1d(kind, input, ksize, strides, padding, data_format):  # noqa: A002
    if data_format not in ("NWC", None):
        raise errors.InvalidArgumentError(f"1-D pooling supports data_format 'NWC' here, got "
                                          f"{data_format!r}")  # fmt: skip
    x = _array.expand_dims(_t(input), 1)
    out = _pool2d(kind)(x, _window1d(ksize, "ksize"), _window1d(strides, "strides"), padding)
    return _array.squeeze(out, [1])


def max_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):  # noqa: A002
    """Max over windows of ``ksize`` along the width of ``[batch, width, channels]``."""
    return _pool1d("max", input, ksize, strides, padding, data_format)


def avg_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):  # noqa: A002
    """Mean over windows of ``ksize`` along the width (SAME padding not counted)."""
    return _pool1d("avg", input, ksize, strides, padding, data_format)


def _pool_nd(kind, input, ksize, strides, padding, data_format):  # noqa: A002
    x = _t(input)
    rank = x.shape.rank
    if rank == 3:
        return _pool1d(kind, x, ksize, strides, padding, data_format)
    if rank == 4:
        return _pool2d(kind)(x, ksize, strides, padding, data_format or "NHWC")
    raise errors.UnimplementedError(f"{kind}_pool: inputs of rank {rank} (shape {x.shape}) are "
                                    f"not supported here; ranks 3 and 4 are")  # fmt: skip


def max_pool(input, ksize, strides, padding, data_format=None, name=None):  # noqa: A002
    """``max_pool1d`` or ``max_pool2d`` by the rank of ``input``."""
    return _pool_nd("max", input, ksize, strides, padding, data_format)


def avg_pool(input, ksize, strides, padding, data_format=None, name=None):  # noqa: A002
    """``avg_pool1d`` or ``avg_pool2d`` by the rank of ``input``."""
    return _pool_nd("avg", input, ksize, strides, padding, data_format)


def local_response_normalization(input, depth_radius=5, bias=1, alpha=1, beta=0.5, name=None):  # noqa: A002
    """``input / (bias + alpha * sum of squares over 2r + 1 neighbouring channels) ** beta``."""
    x = _t(input)
    if x.shape.rank != 4:
        raise errors.InvalidArgumentError(f"LRN: input must be 4-dimensional, got shape {x.shape}")
    r, depth = int(depth_radius), x.shape.as_list()[3]
    sq = _array.pad(_math.square(x), [[0, 0], [0, 0], [0, 0], [r, r]])
    total = _math.add_n([sq[..., i : i + depth] for i in range(2 * r + 1)])
    dt = x.dtype
    scale = _math.cast(bias, dt) + _math.cast(alpha, dt) * total
    return x * _math.pow(scale, _math.cast(-beta, dt))
