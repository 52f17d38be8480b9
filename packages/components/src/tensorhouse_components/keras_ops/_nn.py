"""Keras 3's neural-network functions (``keras.ops.nn``) on the ops layer."""

from __future__ import annotations

import math as _pymath

import numpy as np

import tensorhouse_ops as tops
from tensorhouse_ops import nn as tnn

from ..layers import _conv_utils as U
from ..layers._convolutional import _transpose_length
from . import config
from ._dtypes import promote, standardize_dtype, to_float, to_tensor
from ._numpy import clip, moveaxis

_t = to_tensor


# ---------------------------------------------------------------- activations
def relu(x):
    """``max(x, 0)`` (gradient 0 at 0, as TF's)."""
    return tnn.relu(_t(x))


def relu6(x):
    """``min(max(x, 0), 6)`` (gradient 0 at 0 and 6, as TF's)."""
    return tnn.relu6(_t(x))


def sigmoid(x):
    """``1 / (1 + exp(-x))``."""
    return tops.sigmoid(to_float(x))


def sparse_sigmoid(x):
    """0 below -1, ``(x + 1) / 2`` on (-1, 1), 1 above."""
    x = to_float(x)
    mid = (x + 1) * 0.5
    return tops.where(x <= -1, tops.zeros_like(x), tops.where(x >= 1, tops.ones_like(x), mid))


def log_sigmoid(x):
    """``log(sigmoid(x))``, stable."""
    return tops.math.log_sigmoid(to_float(x))


def softplus(x):
    """``log(1 + exp(x))``."""
    return tnn.softplus(to_float(x))


def softsign(x):
    """``x / (1 + |x|)``."""
    return tnn.softsign(to_float(x))


def silu(x):
    """``x * sigmoid(x)``."""
    x = to_float(x)
    return x * tops.sigmoid(x)


swish = silu


def hard_sigmoid(x):
    """``relu6(x + 3) / 6`` (gradient 0 at -3 and 3, as TF's)."""
    x = to_float(x)
    return tnn.relu6(x + _t(3, x.dtype)) / _t(6, x.dtype)


def hard_silu(x):
    """``x * hard_sigmoid(x)``."""
    x = to_float(x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def leaky_relu(x, negative_slope=0.2):
    """``x`` for positive ``x``, else ``negative_slope * x`` (gradient ``negative_slope`` at 0,
    as TF's)."""
    return tnn.leaky_relu(to_float(x), alpha=negative_slope)


def elu(x, alpha=1.0):
    """``x`` for positive ``x``, else ``alpha * (exp(x) - 1)``."""
    x = to_float(x)
    return tops.where(x > 0, x, _t(alpha, x.dtype) * tops.math.expm1(tops.minimum(x, 0.0)))


def selu(x):
    """The scaled ELU."""
    return tnn.selu(to_float(x))


def gelu(x, approximate=True):
    """The Gaussian error linear unit (the tanh approximation by default)."""
    return tnn.gelu(to_float(x), approximate=approximate)


def celu(x, alpha=1.0):
    """``max(x, 0) + min(0, alpha * (exp(x / alpha) - 1))``."""
    x = to_float(x)
    return relu(x) + tops.minimum(_t(alpha, x.dtype) * tops.math.expm1(x / alpha), 0.0)


def glu(x, axis=-1):
    """The gated linear unit: the first half times the sigmoid of the second half."""
    x = to_float(x)
    if x.shape[axis] % 2:
        raise ValueError(
            f"axis size must be divisible by 2. Received: x.shape={tuple(x.shape)} with axis={axis}"
        )
    a, b = tops.split(x, 2, axis=axis)
    return a * tops.sigmoid(b)


def squareplus(x, b=4):
    """``(x + sqrt(x ** 2 + b)) / 2``."""
    x = to_float(x)
    return (x + tops.sqrt(x * x + _t(b, x.dtype))) / 2


def sparse_plus(x):
    """0 below -1, ``(x + 1) ** 2 / 4`` on [-1, 1], ``x`` above."""
    x = to_float(x)
    mid = (x + 1) * (x + 1) / 4
    return tops.where(x <= -1, tops.zeros_like(x), tops.where(x < 1, mid, x))


def softmax(x, axis=-1):
    """The softmax over ``axis`` (a tuple of axes, or None for all, is treated as one flattened
    axis)."""
    x = to_float(x)
    if axis is None:
        return tops.reshape(tnn.softmax(tops.reshape(x, [-1])), tops.shape(x))
    if isinstance(axis, tuple | list):
        m = tops.stop_gradient(tops.reduce_max(x, axis=list(axis), keepdims=True))
        e = tops.exp(x - m)
        return e / tops.reduce_sum(e, axis=list(axis), keepdims=True)
    return tnn.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    """The log of the softmax over ``axis`` (None: over all elements)."""
    x = to_float(x)
    if axis is None:
        return tops.reshape(tnn.log_softmax(tops.reshape(x, [-1])), tops.shape(x))
    if isinstance(axis, tuple | list):
        m = tops.stop_gradient(tops.reduce_max(x, axis=list(axis), keepdims=True))
        return x - m - tops.math.log(tops.reduce_sum(tops.exp(x - m), list(axis), keepdims=True))
    return tnn.log_softmax(x, axis=axis)


def sparsemax(x, axis=-1):
    """The Euclidean projection of ``x`` onto the simplex along ``axis`` (Martins & Astudillo):
    ``max(x - tau, 0)``, whose entries sum to 1."""
    x = to_float(x)
    z = tops.sort(x, axis=axis, direction="DESCENDING")
    csum = tops.cumsum(z, axis=axis)
    shape = [1] * len(x.shape)
    shape[axis] = -1
    k = tops.reshape(tops.cast(tops.range(1, tops.shape(x)[axis] + 1), x.dtype), shape)
    support = tops.cast(z * k > csum - 1, x.dtype)
    size = tops.reduce_sum(support, axis=axis, keepdims=True)
    top = tops.reduce_sum(z * support, axis=axis, keepdims=True)  # the support is a prefix of z
    return tops.maximum(x - (top - 1) / size, tops.zeros_like(x))


def normalize(x, axis=-1, order=2, epsilon=None):
    """``x`` divided by its ``order``-norm over ``axis`` (at least ``epsilon``)."""
    from ._linalg import norm

    x = to_float(x)
    eps = config.epsilon() if epsilon is None else epsilon
    n = norm(x, ord=order, axis=axis, keepdims=True)
    return x / tops.maximum(n, _t(eps, x.dtype))


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """One-hot vectors of integer ``x`` (negative and out-of-range ids give zeros)."""
    if sparse:
        raise ValueError("tensorhouse has no sparse tensors: `sparse=True` is not supported.")
    x = _t(x)
    if x.dtype.is_floating:
        x = tops.cast(x, "int32")
    return tops.one_hot(x, num_classes, axis=axis, dtype=standardize_dtype(dtype))


def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """Multi-hot vectors: the one-hot vectors of the last axis' ids, OR-ed together."""
    num_classes = kwargs.pop("num_tokens", num_classes)
    if num_classes is None:
        raise ValueError("Argument `num_classes` must be specified.")
    x = _t(inputs)
    squeeze_out = len(x.shape) == 1
    if squeeze_out:
        x = tops.reshape(x, [1, -1])
    hot = tops.reduce_max(one_hot(x, num_classes, axis=-1, dtype=dtype), axis=-2)
    if squeeze_out:
        hot = hot[0]
    return moveaxis(hot, -1, axis) if axis != -1 else hot


# ---------------------------------------------------------------- convolutions and pooling
def _tuple(value, rank, name):
    if isinstance(value, int):
        return (value,) * rank
    value = tuple(int(v) for v in value)
    if len(value) != rank:
        raise ValueError(f"`{name}` must have {rank} values. Received: {name}={value}")
    return value


def _rank(inputs, name):
    rank = len(inputs.shape) - 2
    if rank not in (1, 2):
        raise NotImplementedError(
            f"`{name}` supports 1-D and 2-D inputs on the ops layer (no 3-D kernels). "
            f"Received: inputs.shape={tuple(inputs.shape)}"
        )
    return rank


def _padding(padding):
    value = str(padding).lower()
    if value not in ("valid", "same"):
        raise ValueError(f"`padding` must be 'valid' or 'same'. Received: padding={padding}")
    return value.upper()


def _format(data_format):
    return config.image_data_format() if data_format is None else data_format


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """An N-D convolution (N = 1 or 2); ``kernel`` is ``(*window, in_channels / groups,
    filters)`` and grouped convolutions follow from the channel counts."""
    inputs, kernel = promote(inputs, kernel)
    rank = _rank(inputs, "conv")
    fmt = _format(data_format)
    strides = (1,) * (2 - rank) + _tuple(strides, rank, "strides")
    dilations = (1,) * (2 - rank) + _tuple(dilation_rate, rank, "dilation_rate")
    x = U.to_nhwc(inputs, rank, fmt)
    k = tops.reshape(kernel, [1, *kernel.shape]) if rank == 1 else kernel
    channels = x.shape[-1]
    groups = channels // k.shape[2]
    if channels % k.shape[2]:
        raise ValueError(
            "The number of input channels must be divisible by the kernel's input channels. "
            f"Received: inputs.shape={tuple(inputs.shape)}, kernel.shape={tuple(kernel.shape)}"
        )
    pad = _padding(padding)

    def run(a, b):
        return tnn.conv2d(a, b, list(strides), pad, dilations=list(dilations))

    if groups == 1:
        y = run(x, k)
    else:
        pairs = zip(tops.split(x, groups, axis=3), tops.split(k, groups, axis=3))
        y = tops.concat([run(a, b) for a, b in pairs], axis=3)
    return U.from_nhwc(y, rank, fmt)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """A depthwise convolution; ``kernel`` is ``(*window, in_channels, multiplier)``."""
    inputs, kernel = promote(inputs, kernel)
    rank = _rank(inputs, "depthwise_conv")
    fmt = _format(data_format)
    strides = (1,) * (2 - rank) + _tuple(strides, rank, "strides")
    dilations = (1,) * (2 - rank) + _tuple(dilation_rate, rank, "dilation_rate")
    x = U.to_nhwc(inputs, rank, fmt)
    k = tops.reshape(kernel, [1, *kernel.shape]) if rank == 1 else kernel
    y = tnn.depthwise_conv2d(x, k, [1, *strides, 1], _padding(padding), dilations=list(dilations))
    return U.from_nhwc(y, rank, fmt)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1):  # fmt: skip
    """A depthwise convolution followed by a 1x1 convolution."""
    y = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(y, pointwise_kernel, 1, "valid", data_format)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1):  # fmt: skip
    """A transposed convolution; ``kernel`` is ``(*window, filters, in_channels)``."""
    inputs, kernel = promote(inputs, kernel)
    rank = _rank(inputs, "conv_transpose")
    fmt = _format(data_format)
    st = _tuple(strides, rank, "strides")
    dil = _tuple(dilation_rate, rank, "dilation_rate")
    outp = None if output_padding is None else _tuple(output_padding, rank, "output_padding")
    pad = _padding(padding)
    x = U.to_nhwc(inputs, rank, fmt)
    spatial = inputs.shape[2:] if fmt == "channels_first" else inputs.shape[1:-1]
    window = kernel.shape[:rank]
    lengths = [
        _transpose_length(spatial[i], window[i], st[i], dil[i], pad.lower(),
                          None if outp is None else outp[i])
        for i in range(rank)
    ]  # fmt: skip
    k = tops.reshape(kernel, [1, *kernel.shape]) if rank == 1 else kernel
    pre = (1,) * (2 - rank)
    y = tnn.conv2d_transpose(
        x, k, [x.shape[0], *pre, *lengths, kernel.shape[-2]], list(pre + st), pad,
        dilations=list(pre + dil),
    )  # fmt: skip
    return U.from_nhwc(y, rank, fmt)


def _pool(op, inputs, pool_size, strides, padding, data_format, name):
    inputs = _t(inputs)
    rank = _rank(inputs, name)
    fmt = _format(data_format)
    size = _tuple(pool_size, rank, "pool_size")
    st = size if strides is None else _tuple(strides, rank, "strides")
    x = U.to_nhwc(inputs, rank, fmt)
    pre = (1,) * (2 - rank)
    y = op(x, list(pre + size), list(pre + st), _padding(padding))
    return U.from_nhwc(y, rank, fmt)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Max pooling over 1-D or 2-D windows."""
    return _pool(tnn.max_pool2d, inputs, pool_size, strides, padding, data_format, "max_pool")


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Average pooling over 1-D or 2-D windows (``same`` averages only the real entries)."""
    x = to_float(inputs)
    return _pool(tnn.avg_pool2d, x, pool_size, strides, padding, data_format, "average_pool")


# ---------------------------------------------------------------- losses
def _check_shapes(target, output):
    if len(target.shape) != len(output.shape):
        raise ValueError(
            "Arguments `target` and `output` must have the same rank (ndim). Received: "
            f"target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}"
        )
    for a, b in zip(target.shape, output.shape):
        if a is not None and b is not None and a != b:
            raise ValueError(
                "Arguments `target` and `output` must have the same shape. Received: "
                f"target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}"
            )


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary cross-entropy of probabilities (or logits)."""
    output = to_float(output)
    target = _t(target, output.dtype)
    _check_shapes(target, output)
    if from_logits:
        return tnn.sigmoid_cross_entropy_with_logits(labels=target, logits=output)
    eps = config.epsilon()
    output = clip(output, eps, 1.0 - eps)
    return -(target * tops.math.log(output) + (1 - target) * tops.math.log(1 - output))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy of one-hot (or soft) targets over ``axis``."""
    output = to_float(output)
    target = _t(target, output.dtype)
    _check_shapes(target, output)
    if len(output.shape) < 1:
        raise ValueError(f"Argument `output` must be at least rank 1. Received: {output.shape}")
    if from_logits:
        return -tops.reduce_sum(target * log_softmax(output, axis=axis), axis=axis)
    output = output / tops.reduce_sum(output, axis=axis, keepdims=True)
    eps = config.epsilon()
    output = clip(output, eps, 1.0 - eps)
    return -tops.reduce_sum(target * tops.math.log(output), axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy of integer class ids against probabilities (or logits) on ``axis``."""
    output = to_float(output)
    target = _t(target)
    if len(target.shape) == len(output.shape) and target.shape[-1] == 1:
        target = tops.reshape(target, target.shape.as_list()[:-1])
    if len(target.shape) != len(output.shape) - 1:
        raise ValueError(
            "Argument `output` must have rank (ndim) `target.ndim - 1`. Received: "
            f"target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}"
        )
    hot = one_hot(tops.cast(target, "int32"), output.shape[axis], axis=axis, dtype=output.dtype)
    return categorical_crossentropy(hot, output, from_logits=from_logits, axis=axis)


# ---------------------------------------------------------------- normalization
def moments(x, axes, keepdims=False, synchronized=False):
    """The mean and variance over ``axes`` (half precision computed in float32)."""
    x = to_float(x)
    dtype = x.dtype
    if dtype.name in ("float16", "bfloat16"):
        x = tops.cast(x, "float32")
    axes = [axes] if isinstance(axes, int) else list(axes)
    mean = tops.reduce_mean(x, axis=axes, keepdims=True)
    variance = tops.reduce_mean(tops.square(x - tops.stop_gradient(mean)), axis=axes, keepdims=True)
    if not keepdims:
        keep = [d for i, d in enumerate(x.shape) if i not in {a % len(x.shape) for a in axes}]
        mean, variance = tops.reshape(mean, keep), tops.reshape(variance, keep)
    return tops.cast(mean, dtype), tops.cast(variance, dtype)


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """``(x - mean) / sqrt(variance + epsilon) * scale + offset``, statistics along ``axis``."""
    x = to_float(x)
    shape = [1] * len(x.shape)
    shape[axis] = x.shape[axis]

    def b(v):
        return None if v is None else tops.reshape(_t(v, x.dtype), shape)

    inv = tops.math.rsqrt(b(variance) + _t(epsilon, x.dtype))
    if scale is not None:
        inv = inv * b(scale)
    out = (x - b(mean)) * inv
    return out if offset is None else out + b(offset)


def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """``x / sqrt(mean(x ** 2) + epsilon) * scale`` over ``axis``."""
    x = to_float(x)
    eps = config.epsilon() if epsilon is None else epsilon
    axes = [axis] if isinstance(axis, int) else list(axis)
    out = x * tops.math.rsqrt(tops.reduce_mean(x * x, axis=axes, keepdims=True) + eps)
    return out if scale is None else out * _t(scale, x.dtype)


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    """``(x - mean) / sqrt(var + epsilon) * gamma + beta`` over ``axis``."""
    x = to_float(x)
    eps = config.epsilon() if epsilon is None else epsilon
    axes = [axis] if isinstance(axis, int) else list(axis)
    mean, var = moments(x, axes, keepdims=True)
    out = (x - mean) * tops.math.rsqrt(var + eps)
    if gamma is not None:
        out = out * _t(gamma, x.dtype)
    return out if beta is None else out + _t(beta, x.dtype)


# ---------------------------------------------------------------- attention
def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):  # fmt: skip
    """Scaled dot-product attention on ``(batch, length, heads, head_dim)`` tensors (key and
    value may have fewer heads, grouped-query style); a boolean ``mask`` keeps True entries."""
    if flash_attention:
        raise ValueError("Flash attention is not supported by tensorhouse.")
    query, key, value = promote(query, key, value)
    query, key, value = to_float(query), to_float(key), to_float(value)
    unbatched = len(query.shape) == 3
    if unbatched:
        query, key, value = (tops.reshape(v, [1, *v.shape]) for v in (query, key, value))
    if len(query.shape) != 4:
        raise ValueError(
            "`dot_product_attention` only supports 4D inputs. "
            f"Received: query.shape={tuple(query.shape)}, key.shape={tuple(key.shape)}, "
            f"value.shape={tuple(value.shape)}."
        )
    heads, kv_heads = query.shape[2], key.shape[2]
    if heads % kv_heads:
        raise ValueError(
            f"The number of query heads ({heads}) must be a multiple of the number of key "
            f"heads ({kv_heads})."
        )
    if heads != kv_heads:
        key = tops.repeat(key, heads // kv_heads, axis=2)
        value = tops.repeat(value, heads // kv_heads, axis=2)
    head_dim = query.shape[-1]
    scale = 1.0 / _pymath.sqrt(head_dim) if scale is None else scale
    q = tops.transpose(query, [0, 2, 1, 3])  # B N T H
    k = tops.transpose(key, [0, 2, 1, 3])  # B N S H, read transposed by the matmul
    v = tops.transpose(value, [0, 2, 1, 3])  # B N S H
    logits = tops.matmul(q, k, transpose_b=True) * _t(scale, q.dtype)
    if attn_logits_soft_cap is not None:
        cap = _t(attn_logits_soft_cap, q.dtype)
        logits = tops.tanh(logits / cap) * cap
    if bias is not None:
        logits = logits + _t(bias, q.dtype)
    keep = None
    if mask is not None:
        keep = tops.cast(_t(mask), "bool")
    if is_causal:
        t, s = logits.shape[-2], logits.shape[-1]
        causal = np.tril(np.ones((t, s), dtype=bool))
        keep = _t(causal) if keep is None else tops.logical_and(keep, _t(causal))
    if keep is not None:
        low = _t(float(np.finfo(np.float32).min) * 0.7, "float32")
        keep = tops.broadcast_to(keep, logits.shape)
        logits = tops.where(keep, logits, tops.cast(low, logits.dtype) + tops.zeros_like(logits))
    weights = tnn.softmax(logits, axis=-1)
    out = tops.transpose(tops.matmul(weights, v), [0, 2, 1, 3])
    return out[0] if unbatched else out


def hard_tanh(x):
    """``clip(x, -1, 1)``."""
    x = to_float(x)
    return clip(x, -1.0, 1.0)


def hard_shrink(x, threshold=0.5):
    """``x`` where ``|x| > threshold``, else 0."""
    x = to_float(x)
    return tops.where(tops.abs(x) > threshold, x, tops.zeros_like(x))


def soft_shrink(x, threshold=0.5):
    """``x`` moved ``threshold`` toward 0, 0 within ``threshold``."""
    x = to_float(x)
    t = _t(threshold, x.dtype)
    return tops.where(x > t, x - t, tops.where(x < -t, x + t, tops.zeros_like(x)))


def tanh_shrink(x):
    """``x - tanh(x)``."""
    x = to_float(x)
    return x - tops.tanh(x)


def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else ``default_value``."""
    x = to_float(x)
    return tops.where(x > threshold, x, _t(default_value, x.dtype) + tops.zeros_like(x))


def _block_args(x, block_size, data_format):
    x = _t(x)
    if len(x.shape) != 4:
        raise ValueError(f"Input tensor must be 4D. Received: x.shape={x.shape}")
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "`data_format` must be 'channels_last' or 'channels_first'. "
            f"Received: data_format={data_format}"
        )
    first = data_format == "channels_first"
    return (tops.transpose(x, [0, 2, 3, 1]) if first else x), int(block_size), first


def depth_to_space(x, block_size, data_format="channels_last"):
    """Channel blocks moved into ``block_size`` x ``block_size`` spatial tiles (TF's DCR order)."""
    x, b, first = _block_args(x, block_size, data_format)
    n, h, w, c = tops.unstack(tops.shape(x))
    y = tops.reshape(x, tops.stack([n, h, w, b, b, c // (b * b)]))
    y = tops.transpose(y, [0, 1, 3, 2, 4, 5])
    y = tops.reshape(y, tops.stack([n, h * b, w * b, c // (b * b)]))
    return tops.transpose(y, [0, 3, 1, 2]) if first else y


def space_to_depth(x, block_size, data_format="channels_last"):
    """``block_size`` x ``block_size`` spatial tiles moved into the channels (TF's order)."""
    x, b, first = _block_args(x, block_size, data_format)
    y = tnn.space_to_depth(x, b)
    return tops.transpose(y, [0, 3, 1, 2]) if first else y


def psnr(x1, x2, max_val):
    """The peak signal-to-noise ratio in dB, over all elements."""
    x1, x2 = _t(x1), _t(x2)
    if tuple(x1.shape) != tuple(x2.shape):
        raise ValueError(
            f"Input shapes {x1.shape} and {x2.shape} must match for PSNR calculation. "
        )
    max_val = _t(max_val, x2.dtype)
    mse = tops.reduce_mean(tops.square(x1 - x2))
    ten = _t(np.log(10.0), mse.dtype)
    return 20 * tops.math.log(max_val) / ten - 10 * tops.math.log(mse) / ten


def polar(abs_, angle):
    """The complex numbers ``abs_ * (cos(angle) + i sin(angle))``."""
    abs_, angle = _t(abs_), _t(angle)
    return tops.complex(abs_ * tops.cos(angle), abs_ * tops.sin(angle))


__all__ = sorted(
    n
    for n, v in globals().items()
    if callable(v) and not n.startswith("_") and getattr(v, "__module__", None) == __name__
)
