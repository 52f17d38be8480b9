"""``tf.nn``: activations, softmax, the cross-entropy losses, convolutions, pooling and
normalization (fused kernels, NHWC)."""

from __future__ import annotations

import numpy as np

from . import _array as A
from . import _dynamic as _dyn
from . import _math as M
from . import _nn_composed, _random, _tensor, dtypes
from ._composed import embedding_lookup, l2_normalize
from ._math_composed import in_top_k, zero_fraction
from ._nn_composed import (
    avg_pool,
    avg_pool1d,
    compute_average_loss,
    crelu,
    depth_to_space,
    local_response_normalization,
    log_poisson_loss,
    max_pool,
    max_pool1d,
    normalize_moments,
    scale_regularization_loss,
    space_to_depth,
    sufficient_statistics,
    weighted_cross_entropy_with_logits,
    weighted_moments,
)
from ._rnn_ops import gru_sequence, lstm_sequence
from ._tensor import Tensor, _execute, _int_arg, _op, convert_to_tensor
from ._tensor import errors as _errors

__all__ = [
    "avg_pool2d", "batch_normalization", "bias_add", "conv1d", "conv2d", "conv2d_transpose",
    "depthwise_conv2d", "dropout", "elu", "embedding_lookup", "fused_batch_norm", "gelu",
    "gru_sequence", "in_top_k", "l2_loss", "zero_fraction", "compute_average_loss", "crelu",
    "depth_to_space", "log_poisson_loss", "normalize_moments", "scale_regularization_loss",
    "space_to_depth", "sufficient_statistics", "weighted_cross_entropy_with_logits",
    "weighted_moments", "avg_pool", "avg_pool1d", "local_response_normalization", "lrn",
    "max_pool", "max_pool1d", "l2_normalize", "layer_norm", "lstm_sequence",
    "leaky_relu", "softsign",
    "log_softmax", "max_pool2d", "moments", "relu", "relu6", "selu", "sigmoid",
    "sigmoid_cross_entropy_with_logits", "silu", "softmax", "softmax_cross_entropy_with_logits",
    "softplus", "sparse_softmax_cross_entropy_with_logits", "swish", "tanh", "top_k",
]  # fmt: skip

sigmoid = M.sigmoid
lrn = local_response_normalization
tanh = M.tanh
softplus = M.softplus
top_k = M.top_k


def relu(features, name=None):
    return _op("Relu", [convert_to_tensor(features)])


def relu6(features, name=None):
    return _op("Relu6", [convert_to_tensor(features)])


def elu(features, name=None):
    return _op("Elu", [convert_to_tensor(features)])


def selu(features, name=None):
    return _op("Selu", [convert_to_tensor(features)])


def silu(features, beta=1.0, name=None):
    """TF's ``tf.nn.silu`` (also ``swish``): ``x * sigmoid(beta * x)``."""
    x = convert_to_tensor(features)
    return M.multiply(x, M.sigmoid(x if beta == 1.0 else M.multiply(x, beta)))


swish = silu


def leaky_relu(features, alpha=0.2, name=None):
    """TF's ``tf.nn.leaky_relu``: ``x`` where positive, ``alpha * x`` elsewhere; integer
    features are cast to float32 first, as TF does."""
    x = convert_to_tensor(features)
    if x.dtype.is_integer:
        x = M.cast(x, "float32")
    # TF's LeakyRelu takes alpha as a float32 attr, for float64 features too
    alpha = float(np.float32(alpha))
    return A.where(M.greater(x, 0), x, M.multiply(x, alpha))


def softsign(features, name=None):
    """TF's ``tf.nn.softsign``: ``x / (|x| + 1)`` (floats)."""
    x = convert_to_tensor(features)
    M._require_float(x, "Softsign")
    return M.divide(x, M.add(M.abs(x), 1))


def gelu(features, approximate=False, name=None):
    """TF's ``tf.nn.gelu``: ``x * Phi(x)`` exactly (erf), or its tanh approximation."""
    x = convert_to_tensor(features)
    if not x.dtype.is_floating:  # TF checks this in Python
        raise ValueError(
            "`features.dtype` must be a floating point tensor."
            f"Received:features.dtype=<dtype: '{x.dtype.name}'>"
        )
    if approximate:
        inner = M.multiply(M.add(x, M.multiply(M.pow(x, 3), 0.044715)), 0.7978845608028654)
        return M.multiply(M.multiply(x, 0.5), M.add(M.tanh(inner), 1.0))
    return M.multiply(M.multiply(x, 0.5), M.add(M.erf(M.multiply(x, 0.7071067811865476)), 1.0))


def sigmoid_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """TF's ``tf.nn.sigmoid_cross_entropy_with_logits``: per element,
    ``max(x, 0) - x * z + log(1 + exp(-|x|))``, stable for large ``|x|``."""
    x = convert_to_tensor(logits)
    z = labels if isinstance(labels, Tensor) else convert_to_tensor(labels, x.dtype)
    if z.shape != x.shape:
        raise ValueError(
            f"logits and labels must have the same shape, received ({x.shape} vs {z.shape})."
        )
    return M.add(M.subtract(relu(x), M.multiply(x, z)), M.log1p(M.exp(M.negative(M.abs(x)))))


def _last_axis_op(op_type, logits, axis):
    x = convert_to_tensor(logits)
    if x.ndim == 0:
        raise _errors.InvalidArgumentError(
            f"logits must have >= 1 dimension, got [] (dtype {x.dtype.name}) [Op:{op_type}]"
        )
    axis = -1 if axis is None else _int_arg(axis)
    if x.ndim == -1 and axis == -1:  # unknown rank while tracing: the kernel's own last axis
        return _op(op_type, [x])
    if x.ndim == -1:
        raise ValueError(f"{op_type} on axis {axis} needs a known rank, got {x.shape}")
    if not -x.ndim <= axis < x.ndim:
        raise _errors.InvalidArgumentError(
            f"`dim` must be in the range [{-x.ndim}, {x.ndim}) where {x.ndim} is the number of "
            f"dimensions in the input. Received: dim={axis} [Op:{op_type}]"
        )
    perm = A._swap_last(x, axis)
    if perm is None:
        return _op(op_type, [x])
    return A.transpose(_op(op_type, [A.transpose(x, perm)]), perm)


def softmax(logits, axis=None, name=None):
    """TF's ``tf.nn.softmax`` (the fused ``Softmax`` kernel; other axes are swapped last)."""
    return _last_axis_op("Softmax", logits, axis)


def log_softmax(logits, axis=None, name=None):
    return _last_axis_op("LogSoftmax", logits, axis)


def softmax_cross_entropy_with_logits(labels, logits, axis=-1, name=None):
    """TF's ``tf.nn.softmax_cross_entropy_with_logits`` (v2): the loss per example.

    Labels are a distribution over the classes on ``axis`` and get gradients too, as in TF.
    """
    x = convert_to_tensor(logits)
    lab = (
        M.cast(labels, x.dtype)
        if isinstance(labels, Tensor)
        else convert_to_tensor(labels, x.dtype)
    )
    axis = _int_arg(axis)
    if x.ndim == -1 or lab.ndim == -1:  # unknown rank while tracing: composed, same numbers
        if axis != -1:
            raise ValueError(
                f"softmax_cross_entropy_with_logits on axis {axis} needs a known rank, "
                f"got logits of shape {x.shape}"
            )
        return M.reduce_sum(M.multiply(M.negative(lab), log_softmax(x)), axis=-1)
    lab = A.broadcast_to(lab, _dims_of(x)) if lab.shape != x.shape else lab
    if x.ndim and not -x.ndim <= axis < x.ndim:
        raise _errors.InvalidArgumentError(
            f"softmax_cross_entropy_with_logits: axis {axis} is out of range [{-x.ndim}, "
            f"{x.ndim}) for logits of shape {x.shape} [Op:SoftmaxCrossEntropyWithLogits]"
        )
    if x.ndim and axis % x.ndim != x.ndim - 1:  # move the class axis last, keep the rest
        axis %= x.ndim
        perm = [i for i in range(x.ndim) if i != axis] + [axis]
        x, lab = A.transpose(x, perm), A.transpose(lab, perm)
    dims = _dims_of(x)
    if not dims:
        raise _errors.InvalidArgumentError(
            "softmax_cross_entropy_with_logits needs logits of rank >= 1, got a scalar of dtype "
            f"{x.dtype.name} [Op:SoftmaxCrossEntropyWithLogits]"
        )
    flat = [A.reshape(t, [_rows(dims), dims[-1]]) for t in (x, lab)]
    loss, _ = _execute("SoftmaxCrossEntropyWithLogits", flat, {})
    return A.reshape(loss, dims[:-1])


def sparse_softmax_cross_entropy_with_logits(labels, logits, name=None):
    """TF's ``tf.nn.sparse_softmax_cross_entropy_with_logits``: int class labels, one per row.

    A label outside [0, classes) is an InvalidArgumentError naming it.
    """
    x = convert_to_tensor(logits)
    lab = convert_to_tensor(labels)
    if x.ndim == -1 or lab.ndim == -1:  # unknown rank while tracing: rows read at run time
        classes = A.shape(x)[-1]
        loss, _ = _execute(
            "SparseSoftmaxCrossEntropyWithLogits",
            [A.reshape(x, [-1, classes]), A.reshape(lab, [-1])],
            {},
        )
        return A.reshape(loss, A.shape(lab))
    dims = _dims_of(x)
    if lab.ndim != x.ndim - 1:
        raise ValueError(
            f"Rank mismatch: Rank of labels (received {lab.ndim}) should equal rank of logits "
            f"minus 1 (received {x.ndim})."
        )
    if not lab.shape.is_compatible_with(x.shape[:-1]):
        raise ValueError(
            f"Shape mismatch: The shape of labels (received {lab.shape}) should equal the shape "
            f"of logits except for the last dimension (received {x.shape})."
        )
    rows = _rows(dims)
    loss, _ = _execute(
        "SparseSoftmaxCrossEntropyWithLogits",
        [A.reshape(x, [rows, dims[-1]]), A.reshape(lab, [rows])],
        {},
    )
    return A.reshape(loss, dims[:-1])


def _dims_of(x):
    """``x``'s dims as a shape argument (while tracing, unknown ones are read at run time)."""
    return _dyn.entries_of(x) if _tensor._tracing else x.shape.as_list()


def _rows(dims):
    """The rows of the logits flattened to 2-D: -1 when a leading dim is unknown."""
    return _prod(dims[:-1]) if all(type(d) is int for d in dims[:-1]) else -1


def _prod(dims):
    out = 1
    for d in dims:
        out *= d
    return out


def l2_loss(t, name=None):
    return M.divide(M.reduce_sum(M.square(convert_to_tensor(t))), 2)


# ---- convolutions and pooling (NHWC) ---------------------------------------------------------


def _nhwc(data_format):
    if data_format not in (None, "NHWC", "NWC", "channels_last"):
        raise ValueError(f"Only NHWC (channels last) is supported, got data_format={data_format!r}")


def _pair(v, name):
    """TF's int-or-list window attrs as a 4-entry NHWC list."""
    if v is None:
        return [1, 1, 1, 1]
    if isinstance(v, int):
        return [1, v, v, 1]
    v = [int(x) for x in v]
    if len(v) == 1:
        return [1, v[0], v[0], 1]
    if len(v) == 2:
        return [1, v[0], v[1], 1]
    if len(v) == 4:
        return v
    raise ValueError(f"{name} must be an int or a list of 1, 2 or 4 ints, got {v}")


def _padding_attr(op_type, padding):
    """TF's padding attr: exactly "SAME" or "VALID" (TF refuses "same", as its attr check does)."""
    if padding not in ("SAME", "VALID"):
        raise _errors.InvalidArgumentError(
            f"Value for attr 'padding' of {padding!r} is not in the list of allowed values: "
            f'"SAME", "VALID", "EXPLICIT" [Op:{op_type}]'
        )
    return padding


def _conv_attrs(strides, padding, dilations, op_type="Conv2D"):
    attrs: dict[str, object] = {
        "strides": _pair(strides, "strides"),
        "dilations": _pair(dilations, "dilations"),
    }
    if isinstance(padding, str):
        attrs["padding"] = _padding_attr(op_type, padding)
    else:  # explicit: [[0, 0], [top, bottom], [left, right], [0, 0]]
        attrs["padding"] = "EXPLICIT"
        attrs["explicit_paddings"] = [int(v) for pair in padding for v in pair]
    return attrs


def conv2d(input, filters, strides, padding, data_format="NHWC", dilations=None, name=None):  # noqa: A002
    """TF's ``tf.nn.conv2d``: NHWC input, [kh, kw, in, out] filters; padding SAME, VALID or
    explicit ``[[0, 0], [top, bottom], [left, right], [0, 0]]``."""
    _nhwc(data_format)
    x = convert_to_tensor(input)
    f = convert_to_tensor(filters, x.dtype)
    _nonempty_filter("Conv2D", x, f)
    return _op("Conv2D", [x, f], _conv_attrs(strides, padding, dilations))


def _nonempty_filter(op_type, x, f):
    if 0 in f.shape.as_list():
        raise _errors.InvalidArgumentError(
            "filter must not have zero elements (i.e. all dimensions must be non-zero), got "
            f"filter shape {f.shape} for input shape {x.shape} ({x.dtype.name}) [Op:{op_type}]"
        )


def conv1d(input, filters, stride, padding, data_format="NWC", dilations=None, name=None):  # noqa: A002
    """TF's ``tf.nn.conv1d``: [batch, width, in] through Conv2D on a height of one."""
    _nhwc(data_format)
    x = convert_to_tensor(input)
    f = convert_to_tensor(filters, x.dtype)
    for v, what in ((stride, "stride"), (dilations, "dilations")):
        if v is not None and not isinstance(v, int) and len(v) not in (1, 3):
            raise ValueError(f"conv1d: {what} must be an int or a list of 1 or 3 ints, got {v}")
    s = stride if isinstance(stride, int) else list(stride)[-2 if len(stride) == 3 else 0]
    d = 1 if dilations is None else dilations if isinstance(dilations, int) else list(dilations)[0]
    if not isinstance(padding, str):  # [[0, 0], [left, right], [0, 0]]
        padding = [[0, 0], [0, 0], list(padding[1]), [0, 0]]
    y = conv2d(A.expand_dims(x, 1), A.expand_dims(f, 0), [1, s], padding, dilations=[1, d])
    return A.squeeze(y, [1])


def conv2d_transpose(
    input, filters, output_shape, strides, padding="SAME", data_format="NHWC", dilations=None,  # noqa: A002
    name=None,
):  # fmt: skip
    """TF's ``tf.nn.conv2d_transpose``: the gradient of conv2d w.r.t. its input; filters are
    [kh, kw, out, in]."""
    _nhwc(data_format)
    x = convert_to_tensor(input)
    f = convert_to_tensor(filters, x.dtype)
    attrs = _conv_attrs(strides, padding, dilations, "Conv2DBackpropInput")
    attrs["input_sizes"] = tuple(A._dims(output_shape))
    return _op("Conv2DBackpropInput", [f, x], attrs)


def depthwise_conv2d(
    input, filter, strides, padding, data_format=None, dilations=None, name=None,  # noqa: A002
):  # fmt: skip
    """TF's ``tf.nn.depthwise_conv2d``: filter [kh, kw, in, multiplier]."""
    _nhwc(data_format)
    x = convert_to_tensor(input)
    f = convert_to_tensor(filter, x.dtype)
    _nonempty_filter("DepthwiseConv2dNative", x, f)
    attrs = _conv_attrs(strides, padding, dilations, "DepthwiseConv2dNative")
    return _op("DepthwiseConv2dNative", [x, f], attrs)


def _pool(op_type, input, ksize, strides, padding, data_format):  # noqa: A002
    _nhwc(data_format)
    if not isinstance(padding, str):
        raise ValueError(f"{op_type}: padding must be 'SAME' or 'VALID', got {padding!r}")
    attrs = {"ksize": _pair(ksize, "ksize"), "strides": _pair(strides, "strides"),
             "padding": _padding_attr(op_type, padding)}  # fmt: skip
    return _op(op_type, [convert_to_tensor(input)], attrs)


def max_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):  # noqa: A002
    return _pool("MaxPool", input, ksize, strides, padding, data_format)


def avg_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):  # noqa: A002
    """Averages over the window's in-bounds elements (SAME padding is not counted), as TF."""
    return _pool("AvgPool", input, ksize, strides, padding, data_format)


def bias_add(value, bias, data_format=None, name=None):
    """Adds a 1-D bias over the last axis."""
    _nhwc(data_format)
    x = convert_to_tensor(value)
    b = convert_to_tensor(bias, x.dtype)
    if b.ndim == -1:  # unknown rank while tracing: a bias is a vector
        b = A.reshape(b, [-1])
    return _op("BiasAdd", [x, b])


# ---- normalization and regularization --------------------------------------------------------


def moments(x, axes, shift=None, keepdims=False, name=None):
    """TF's ``tf.nn.moments``: (mean, variance) over ``axes``."""
    x = convert_to_tensor(x)
    mean = M.reduce_mean(x, axis=list(axes), keepdims=True)
    var = M.reduce_mean(M.squared_difference(x, mean), axis=list(axes), keepdims=True)
    if not keepdims:
        mean = A.squeeze(mean, list(axes))
        var = A.squeeze(var, list(axes))
    return mean, var


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """TF's ``tf.nn.batch_normalization`` (composed; any broadcastable statistics)."""
    x = convert_to_tensor(x)
    inv = M.rsqrt(M.add(variance, variance_epsilon))
    if scale is not None:
        inv = M.multiply(inv, scale)
    shift = M.negative(M.multiply(mean, inv))
    if offset is not None:
        shift = M.add(shift, offset)
    return M.add(M.multiply(x, inv), shift)


def fused_batch_norm(
    x, scale, offset, mean=None, variance=None, epsilon=0.001, data_format="NHWC",
    is_training=True, exponential_avg_factor=1.0, name=None,
):  # fmt: skip
    """TF's ``tf.compat.v1.nn.fused_batch_norm``: (y, batch_mean, batch_variance) from the
    ``FusedBatchNormV3`` kernel (NHWC; in training the variance returned is unbiased)."""
    _nhwc(data_format)
    x = convert_to_tensor(x)
    # 16-bit x takes float32 scale, offset and statistics (TF's U type), and returns float32 ones
    u = dtypes.float32 if x.dtype in (dtypes.float16, dtypes.bfloat16) else x.dtype
    empty = A.zeros([0], dtype=u)
    mean = empty if mean is None else convert_to_tensor(mean, u)
    variance = empty if variance is None else convert_to_tensor(variance, u)
    params = [convert_to_tensor(scale, u), convert_to_tensor(offset, u), mean, variance]
    # unknown ranks while tracing: the statistics are vectors
    params = [A.reshape(p, [-1]) if p.ndim == -1 else p for p in params]
    y, batch_mean, batch_var, *_ = _execute(
        "FusedBatchNormV3",
        [x, *params],
        {"epsilon": float(epsilon), "is_training": bool(is_training),
         "exponential_avg_factor": float(exponential_avg_factor), "data_format": "NHWC"},
    )  # fmt: skip
    return y, batch_mean, batch_var


def layer_norm(x, gamma, beta, epsilon=1e-3):
    """Fused layer normalization over the last axis (the ``LayerNorm`` kernel): returns y."""
    x = convert_to_tensor(x)
    y, _, _ = _execute(
        "LayerNorm",
        [x, convert_to_tensor(gamma, x.dtype), convert_to_tensor(beta, x.dtype)],
        {"epsilon": float(epsilon)},
    )
    return y


def dropout(x, rate, noise_shape=None, seed=None, name=None):
    """TF's ``tf.nn.dropout``: zero each element with probability ``rate``, scale the kept ones
    by ``1 / (1 - rate)``."""
    x = convert_to_tensor(x)
    rate = float(rate)
    if not 0 <= rate < 1:
        raise ValueError(f"rate must be a scalar tensor or a float in the range [0, 1), got {rate}")
    if rate == 0:
        return x
    if noise_shape is None:
        shape = _dims_of(x)
    else:
        shape = noise_shape if _tensor._tracing else A._dims(noise_shape)
    keep = M.greater_equal(_random.uniform(shape, dtype=x.dtype, seed=seed), rate)
    # select, not a product with the mask: a dropped inf or nan is 0, as TF's
    return A.where(keep, M.multiply(x, 1.0 / (1.0 - rate)), A.zeros_like(x))


_nn_composed.HOOKS.update(max_pool2d=max_pool2d, avg_pool2d=avg_pool2d)  # the 1-D pools' 2-D ops
