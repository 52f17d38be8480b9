"""Neural-network ops (NHWC): softmax and losses, convolution, pooling, normalization, RNNs."""

from __future__ import annotations

import numpy as np

from ..runtime import errors
from ._base import (
    FLOAT,
    FLOAT16,
    FLOATS,
    INT,
    NUMERIC_U8,
    DTypeError,
    OpDef,
    _compatible,
    _fmt,
    _merge,
    _register,
    _require_dtype,
    _same_dtypes,
)


def _softmax_infer(name):
    def infer(shapes, dts, attrs):
        shape = tuple(shapes[0])
        if not shape:
            raise errors.InvalidArgumentError(
                f"logits must have >= 1 dimension, got {_fmt(shape)} [Op:{name}]"
            )
        return [(shape, dts[0])]

    return _register(OpDef(name, 1, infer, FLOATS, doc="over the last axis"))


for _n in ("Softmax", "LogSoftmax"):
    _softmax_infer(_n)


def _xent_infer(shapes, dts, attrs):
    op = "SoftmaxCrossEntropyWithLogits"
    dt = _same_dtypes(op, dts)
    f, lab = tuple(shapes[0]), tuple(shapes[1])
    if len(f) != 2 or not _compatible(f, lab):
        raise errors.InvalidArgumentError(
            f"logits and labels must be [batch, classes] of the same shape: "
            f"logits_size={_fmt(f)} labels_size={_fmt(lab)} [Op:{op}]"
        )
    shape = _merge(f, lab)
    return [((shape[0],), dt), (shape, dt)]


_register(OpDef("SoftmaxCrossEntropyWithLogits", 2, _xent_infer, FLOATS, doc="-> loss, backprop"))


def _sparse_xent_infer(shapes, dts, attrs):
    op = "SparseSoftmaxCrossEntropyWithLogits"
    _require_dtype(op, dts, 1, INT)
    f, lab = tuple(shapes[0]), tuple(shapes[1])
    if len(f) != 2:
        raise errors.InvalidArgumentError(f"logits must be 2-D, but got shape {_fmt(f)} [Op:{op}]")
    if len(lab) != 1:
        raise errors.InvalidArgumentError(
            f"labels must be 1-D, but got shape {_fmt(lab)} [Op:{op}]"
        )
    if not _compatible(f[:1], lab):
        raise errors.InvalidArgumentError(
            "logits and labels must have the same first dimension, got logits shape "
            f"{_fmt(f)} and labels shape {_fmt(lab)} [Op:{op}]"
        )
    if f[1] == 0:
        raise errors.InvalidArgumentError(
            f"Must have at least one class, but got logits shape {_fmt(f)} [Op:{op}]"
        )
    batch = f[0] if f[0] is not None else lab[0]
    return [((batch,), dts[0]), ((batch, f[1]), dts[0])]


_register(
    OpDef(
        "SparseSoftmaxCrossEntropyWithLogits",
        2,
        _sparse_xent_infer,
        FLOATS,
        doc="-> loss, backprop",
    )
)


# ---- neural-network ops (NHWC) ---------------------------------------------------------------
# Shape inputs that TF passes as tensors (Conv2DBackpropInput's input_sizes, Conv2DBackpropFilter's
# filter_sizes, AvgPoolGrad's orig_input_shape) are attrs here, as for Reshape.

_CONV_DOC = "attrs: strides, padding (SAME, VALID, EXPLICIT), explicit_paddings, dilations"


def _hw(op, attrs, name, default=1):
    """An NHWC attr (``strides``, ``dilations``, ``ksize``) as (h, w); 1, 2 or 4 entries."""
    v = attrs.get(name, default)
    if isinstance(v, int | np.integer):
        v = [int(v)]
    v = [int(x) for x in v]
    if len(v) == 4:
        if v[0] != 1 or v[3] != 1:
            raise errors.UnimplementedError(
                f"Current implementation does not yet support {name} in the batch and depth "
                f"dimensions. [Op:{op}]"
            )
        v = v[1:3]
    elif len(v) == 1:
        v = v * 2
    if len(v) != 2 or min(v) < 1:
        raise errors.InvalidArgumentError(
            f"{name} must have 1, 2 or 4 positive entries, got {attrs.get(name)} [Op:{op}]"
        )
    return tuple(v)


def _padding(op, attrs, allow_explicit=True):
    p = attrs.get("padding", "VALID")
    p = p.decode() if isinstance(p, bytes) else str(p)
    p = p.upper()
    if p not in ("SAME", "VALID", "EXPLICIT") or (p == "EXPLICIT" and not allow_explicit):
        raise errors.InvalidArgumentError(f"Unknown padding {attrs.get('padding')!r} [Op:{op}]")
    explicit = None
    if p == "EXPLICIT":
        ex = [
            int(v) for v in np.asarray(attrs.get("explicit_paddings", ()), dtype=np.int64).ravel()
        ]
        if len(ex) != 8 or min(ex) < 0 or any(ex[i] for i in (0, 1, 6, 7)):
            raise errors.InvalidArgumentError(
                "explicit_paddings must be 8 non-negative values, zero for the batch and depth "
                f"dimensions, got {attrs.get('explicit_paddings')} [Op:{op}]"
            )
        explicit = ((ex[2], ex[3]), (ex[4], ex[5]))
    return p, explicit


def _data_format(op, attrs):
    fmt = attrs.get("data_format", "NHWC")
    fmt = fmt.decode() if isinstance(fmt, bytes) else str(fmt)
    if fmt != "NHWC":
        raise errors.UnimplementedError(f"Only NHWC data_format is supported, got {fmt} [Op:{op}]")


def window_geometry(op, in_hw, k_hw, attrs, dilations=(1, 1), allow_explicit=True):
    """Output (h, w) and the (top, left) padding of a window op, as TF computes them."""
    strides = _hw(op, attrs, "strides")
    mode, explicit = _padding(op, attrs, allow_explicit)
    out, pads = [], []
    for i in range(2):
        n, k, s, d = in_hw[i], k_hw[i], strides[i], dilations[i]
        if n is None or k is None:
            out.append(None)
            pads.append(0)
            continue
        eff = (k - 1) * d + 1
        if mode == "SAME":
            o = -(-n // s)
            pads.append(max((o - 1) * s + eff - n, 0) // 2)
        else:
            explicit_pads = explicit if mode == "EXPLICIT" and explicit is not None else None
            before, after = explicit_pads[i] if explicit_pads is not None else (0, 0)
            num = n + before + after - eff + s
            o = num // s if num >= 0 else -(-num // s)  # C's division, as TF
            pads.append(before)
        if o < 0:
            raise errors.InvalidArgumentError(
                f"Computed output size would be negative: {o} [input_size: {n}, "
                f"effective_filter_size: {eff}, stride: {s}] [Op:{op}]"
            )
        out.append(o)
    return tuple(out), tuple(pads), strides


def conv_params(op, in_shape, filter_shape, attrs):
    """(out_hw, (pad_top, pad_left), strides, dilations) of a Conv2D-family op."""
    dil = _hw(op, attrs, "dilations")
    out_hw, pads, strides = window_geometry(op, in_shape[1:3], filter_shape[:2], attrs, dil)
    return out_hw, pads, strides, dil


def _rank4(op, shape, what):
    if len(shape) != 4:
        raise errors.InvalidArgumentError(
            f"{what} must be 4-dimensional, got shape {_fmt(shape)} [Op:{op}]"
        )


def _conv_out_shape(op, x, f, depthwise):
    _rank4(op, x, "input")
    _rank4(op, f, "filter")
    if None not in (x[3], f[2]) and x[3] != f[2]:
        raise errors.InvalidArgumentError(
            f"input depth must equal filter depth: {x[3]} vs {f[2]}; input shape {_fmt(x)}, "
            f"filter shape {_fmt(f)} [Op:{op}]"
        )


def _conv_infer(op, depthwise):
    def infer(shapes, dts, attrs):
        dt = _same_dtypes(op, dts)
        _data_format(op, attrs)
        x, f = tuple(shapes[0]), tuple(shapes[1])
        _conv_out_shape(op, x, f, depthwise)
        (oh, ow), _, _, _ = conv_params(op, x, f, attrs)
        depth = (None if None in f[2:] else f[2] * f[3]) if depthwise else f[3]
        return [((x[0], oh, ow, depth), dt)]

    return infer


def _check_backprop(op, x, f, dy, attrs, depthwise):
    _conv_out_shape(op, x, f, depthwise)
    _rank4(op, dy, "out_backprop")
    (oh, ow), _, _, _ = conv_params(op, x, f, attrs)
    depth = (None if None in f[2:] else f[2] * f[3]) if depthwise else f[3]
    want = (x[0], oh, ow, depth)
    if not _compatible(want, dy):
        raise errors.InvalidArgumentError(
            f"out_backprop shape {_fmt(dy)} does not match the computed output shape "
            f"{_fmt(want)} of input {_fmt(x)} and filter {_fmt(f)} [Op:{op}]"
        )


def _backprop_input_infer(op, depthwise):
    def infer(shapes, dts, attrs):  # inputs: filter, out_backprop; attr input_sizes
        dt = _same_dtypes(op, dts)
        _data_format(op, attrs)
        x = tuple(int(d) for d in attrs["input_sizes"])
        _check_backprop(op, x, tuple(shapes[0]), tuple(shapes[1]), attrs, depthwise)
        return [(x, dt)]

    return infer


def _backprop_filter_infer(op, depthwise):
    def infer(shapes, dts, attrs):  # inputs: input, out_backprop; attr filter_sizes
        dt = _same_dtypes(op, dts)
        _data_format(op, attrs)
        f = tuple(int(d) for d in attrs["filter_sizes"])
        _check_backprop(op, tuple(shapes[0]), f, tuple(shapes[1]), attrs, depthwise)
        return [(f, dt)]

    return infer


for _n, _dw in (("Conv2D", False), ("DepthwiseConv2dNative", True)):
    _ct = FLOATS if _dw else FLOATS + (np.dtype("int32"),)  # TF's Conv2D also takes int32
    _register(OpDef(_n, 2, _conv_infer(_n, _dw), _ct, doc="input, filter; " + _CONV_DOC))
    _b = _n + "BackpropInput"
    _register(OpDef(_b, 2, _backprop_input_infer(_b, _dw), _ct,
                    doc="filter, out_backprop; attrs: input_sizes, " + _CONV_DOC[7:]))  # fmt: skip
    _b = _n + "BackpropFilter"
    _register(OpDef(_b, 2, _backprop_filter_infer(_b, _dw), FLOATS,
                    doc="input, out_backprop; attrs: filter_sizes, " + _CONV_DOC[7:]))  # fmt: skip


def pool_params(op, in_shape, attrs):
    """(out_hw, (pad_top, pad_left), strides, ksize) of a pooling op (SAME or VALID)."""
    ksize = _hw(op, attrs, "ksize")
    out_hw, pads, strides = window_geometry(op, in_shape[1:3], ksize, attrs, allow_explicit=False)
    return out_hw, pads, strides, ksize


def _pool_infer(op):
    def infer(shapes, dts, attrs):
        _data_format(op, attrs)
        x = tuple(shapes[0])
        _rank4(op, x, "input")
        (oh, ow), _, _, _ = pool_params(op, x, attrs)
        return [((x[0], oh, ow, x[3]), dts[0])]

    return infer


def _pool_grad_check(op, x, dy, attrs):
    _rank4(op, x, "orig_input")
    (oh, ow), _, _, _ = pool_params(op, x, attrs)
    want = (x[0], oh, ow, x[3])
    if not _compatible(want, dy):
        raise errors.InvalidArgumentError(
            f"gradient shape {_fmt(dy)} does not match the pooled shape {_fmt(want)} of input "
            f"{_fmt(x)} [Op:{op}]"
        )


def _max_pool_grad_infer(shapes, dts, attrs):  # orig_input, orig_output, grad -> like input
    op = "MaxPoolGrad"
    dt = _same_dtypes(op, dts)
    x = tuple(shapes[0])
    _pool_grad_check(op, x, tuple(shapes[2]), attrs)
    return [(x, dt)]


def _max_pool_grad_grad_infer(shapes, dts, attrs):  # orig_input, orig_output, grad of input
    op = "MaxPoolGradGrad"
    dt = _same_dtypes(op, dts)
    x = tuple(shapes[0])
    if not _compatible(x, tuple(shapes[2])):
        raise errors.InvalidArgumentError(
            f"grad shape {_fmt(shapes[2])} must match orig_input shape {_fmt(x)} [Op:{op}]"
        )
    return _pool_infer(op)([x], [dt], attrs)


def _avg_pool_grad_infer(shapes, dts, attrs):  # grad; attr orig_input_shape
    op = "AvgPoolGrad"
    x = tuple(int(d) for d in attrs["orig_input_shape"])
    _pool_grad_check(op, x, tuple(shapes[0]), attrs)
    return [(x, dts[0])]


_POOL_DOC = "attrs: ksize, strides, padding (SAME, VALID)"
_register(OpDef("MaxPool", 1, _pool_infer("MaxPool"), NUMERIC_U8, doc=_POOL_DOC))
_register(OpDef("AvgPool", 1, _pool_infer("AvgPool"), FLOATS, doc=_POOL_DOC))
_register(OpDef("MaxPoolGrad", 3, _max_pool_grad_infer, NUMERIC_U8,
                doc="orig_input, orig_output, grad; " + _POOL_DOC))  # fmt: skip
_register(OpDef("MaxPoolGradGrad", 3, _max_pool_grad_grad_infer, NUMERIC_U8,
                doc="orig_input, orig_output, grad (input-shaped); " + _POOL_DOC))  # fmt: skip
_register(OpDef("AvgPoolGrad", 1, _avg_pool_grad_infer, FLOATS,
                doc="grad; attrs: orig_input_shape, " + _POOL_DOC[7:]))  # fmt: skip


def _vector_check(op, shape, depth, what):
    if len(shape) != 1 or not _compatible(tuple(shape), (depth,)):
        raise errors.InvalidArgumentError(
            f"{what} must be 1-D of size {depth} (the last dimension of the input), got shape "
            f"{_fmt(shape)} [Op:{op}]"
        )


def _bias_add_infer(shapes, dts, attrs):
    op = "BiasAdd"
    dt = _same_dtypes(op, dts)
    _data_format(op, attrs)
    x = tuple(shapes[0])
    if len(x) < 2:
        raise errors.InvalidArgumentError(f"Input tensor must be at least 2D: {_fmt(x)} [Op:{op}]")
    _vector_check(op, shapes[1], x[-1], "bias")
    return [(x, dt)]


def _bias_add_grad_infer(shapes, dts, attrs):
    op = "BiasAddGrad"
    _data_format(op, attrs)
    x = tuple(shapes[0])
    if len(x) < 2:
        raise errors.InvalidArgumentError(f"Input tensor must be at least 2D: {_fmt(x)} [Op:{op}]")
    return [((x[-1],), dts[0])]


_register(OpDef("BiasAdd", 2, _bias_add_infer, NUMERIC_U8, doc="value, bias; last axis"))
_register(OpDef("BiasAddGrad", 1, _bias_add_grad_infer, NUMERIC_U8, doc="out_backprop"))


def _batch_norm_dtypes(op, dts, n_x):
    """(T, U) of a FusedBatchNorm op: its first ``n_x`` inputs are T, the rest U: float32 for
    16-bit T (TF's mixed kernels), else T."""
    dt = _same_dtypes(op, dts[:n_x])
    u = np.dtype("float32") if dt in FLOAT16 else dt
    for i in range(n_x, len(dts)):
        if dts[i] != u:
            raise DTypeError(
                f"cannot compute {op} as input #{i}(zero-based) was expected to be a "
                f"{u.name} tensor but is a {dts[i].name} tensor [Op:{op}]"
            )
    return dt, u


def _batch_norm_infer(shapes, dts, attrs):
    """x, scale, offset, mean, variance -> y, batch_mean, batch_variance, reserve 1-3."""
    op = "FusedBatchNormV3"
    dt, u = _batch_norm_dtypes(op, dts, 1)
    _data_format(op, attrs)
    x = tuple(shapes[0])
    _rank4(op, x, "x")
    c = x[3]
    training = bool(attrs.get("is_training", True))
    factor = float(attrs.get("exponential_avg_factor", 1.0))
    for i, what in ((1, "scale"), (2, "offset"), (3, "mean"), (4, "variance")):
        if i >= 3 and training and factor == 1.0 and tuple(shapes[i]) == (0,):
            continue  # TF: empty running statistics are fine when they are not used
        _vector_check(op, shapes[i], c, what)
    v = ((c,), u)
    return [(x, dt), v, v, v, v, ((0,), u)]


def _batch_norm_grad_infer(shapes, dts, attrs):
    """y_backprop, x, scale, reserve_space_1/2/3 -> x, scale, offset backprops, reserve 4, 5."""
    op = "FusedBatchNormGradV3"
    dt, u = _batch_norm_dtypes(op, dts[:5], 2)
    _data_format(op, attrs)
    x = tuple(shapes[1])
    _rank4(op, x, "x")
    if not _compatible(tuple(shapes[0]), x):
        raise errors.InvalidArgumentError(
            f"x and y_backprop must have same shape, but x has shape {_fmt(x)} and y_backprop "
            f"has shape {_fmt(shapes[0])} [Op:{op}]"
        )
    for i, what in ((2, "scale"), (3, "reserve_space_1"), (4, "reserve_space_2")):
        _vector_check(op, shapes[i], x[3], what)
    v = ((x[3],), u)
    return [(x, dt), v, v, ((0,), u), ((0,), u)]


_BN_DOC = "attrs: epsilon, exponential_avg_factor, is_training, data_format"
_register(OpDef("FusedBatchNormV3", 5, _batch_norm_infer, FLOATS, doc=_BN_DOC))
_register(OpDef("FusedBatchNormGradV3", 6, _batch_norm_grad_infer, FLOATS,
                doc="attrs: epsilon, is_training, data_format"))  # fmt: skip


def _layer_norm_infer(shapes, dts, attrs):
    """x, gamma, beta -> y, mean, rstd (normalized over the last axis)."""
    op = "LayerNorm"
    dt = _same_dtypes(op, dts)
    x = tuple(shapes[0])
    if not x:
        raise errors.InvalidArgumentError(f"x must be at least 1-D, got shape [] [Op:{op}]")
    _vector_check(op, shapes[1], x[-1], "gamma")
    _vector_check(op, shapes[2], x[-1], "beta")
    return [(x, dt), (x[:-1], dt), (x[:-1], dt)]


def _layer_norm_grad_infer(shapes, dts, attrs):
    """dy, x, gamma, mean, rstd -> dx, dgamma, dbeta."""
    op = "LayerNormGrad"
    dt = _same_dtypes(op, dts)
    x = tuple(shapes[1])
    if not x or not _compatible(tuple(shapes[0]), x):
        raise errors.InvalidArgumentError(
            f"dy shape {_fmt(shapes[0])} must equal x shape {_fmt(x)} (at least 1-D) [Op:{op}]"
        )
    _vector_check(op, shapes[2], x[-1], "gamma")
    for i, what in ((3, "mean"), (4, "rstd")):
        if not _compatible(tuple(shapes[i]), x[:-1]):
            raise errors.InvalidArgumentError(
                f"{what} shape {_fmt(shapes[i])} must be {_fmt(x[:-1])} [Op:{op}]"
            )
    return [(x, dt), ((x[-1],), dt), ((x[-1],), dt)]


_register(OpDef("LayerNorm", 3, _layer_norm_infer, FLOAT, doc="attrs: epsilon"))
_register(OpDef("LayerNormGrad", 5, _layer_norm_grad_infer, FLOAT, doc="dy, x, gamma, mean, rstd"))


# ---- whole-sequence recurrent layers (Keras's gate order; rnn.cpp) ------------------------------


def _rnn_dims(op, shapes, gates):
    """(batch, time, features, units) from x [B, T, I] and recurrent_kernel [u, gates * u]."""
    x, rk = tuple(shapes[0]), tuple(shapes[4 if op.startswith("LSTM") else 3])
    if len(x) != 3:
        raise errors.InvalidArgumentError(
            f"x must be 3-D [batch, time, features], got shape {_fmt(x)} [Op:{op}]"
        )
    if len(rk) != 2 or None not in rk and rk[1] != gates * rk[0]:
        raise errors.InvalidArgumentError(
            f"recurrent_kernel must be [units, {gates} * units], got shape {_fmt(rk)} [Op:{op}]"
        )
    u = rk[0] if rk[0] is not None or rk[1] is None else rk[1] // gates
    return x[0], x[1], x[2], u


def _times(k, u):
    """``k * u`` for a dim ``u`` that may be unknown (None)."""
    return None if u is None else k * u


def _rnn_check(op, shape, want, what):
    if not _compatible(tuple(shape), tuple(want)):
        raise errors.InvalidArgumentError(
            f"{what} must have shape {_fmt(want)}, got {_fmt(shape)} [Op:{op}]"
        )


def _rnn_mask(op, shapes, count, b, t):
    """``count`` inputs, or one more: a mask [B, T] (0 / 1; an empty one [0] for none)."""
    if len(shapes) not in (count, count + 1):
        raise errors.InvalidArgumentError(
            f"{op} expects {count} inputs, or {count + 1} with a mask, got {len(shapes)} [Op:{op}]"
        )
    if len(shapes) > count and tuple(shapes[count]) != (0,):
        _rnn_check(op, shapes[count], (b, t), "mask")


def _lstm_infer(shapes, dts, attrs):
    """x, h0, c0, kernel, recurrent_kernel, bias[, mask] -> y [B, T, u] (step order), h, c, and
    the saved gates [T, B, 4u] and cell states [T, B, u] for LSTMSequenceGrad."""
    op = "LSTMSequence"
    dt = _same_dtypes(op, dts)
    b, t, i, u = _rnn_dims(op, shapes, 4)
    u4 = _times(4, u)
    _rnn_mask(op, shapes, 6, b, t)
    for k, want, what in ((1, (b, u), "h0"), (2, (b, u), "c0"), (3, (i, u4), "kernel"),
                          (5, (u4,), "bias")):  # fmt: skip
        _rnn_check(op, shapes[k], want, what)
    return [((b, t, u), dt), ((b, u), dt), ((b, u), dt), ((t, b, u4), dt), ((t, b, u), dt)]


def _lstm_grad_infer(shapes, dts, attrs):
    """dy, dh, dc, x, h0, c0, kernel, recurrent_kernel, y, gates, cs, bias[, mask] -> dx, dh0,
    dc0, dkernel, drecurrent_kernel, dbias (bias only for the gradient rule's composed copy)."""
    op = "LSTMSequenceGrad"
    dt = _same_dtypes(op, dts)
    b, t, i, u = _rnn_dims(op, shapes[3:], 4)
    u4 = _times(4, u)
    _rnn_mask(op, shapes, 12, b, t)
    for k, want, what in ((0, (b, t, u), "dy"), (1, (b, u), "dh"), (2, (b, u), "dc"),
                          (6, (i, u4), "kernel"), (8, (b, t, u), "y"),
                          (9, (t, b, u4), "gates"), (10, (t, b, u), "cs")):  # fmt: skip
        _rnn_check(op, shapes[k], want, what)
    return [((b, t, i), dt), ((b, u), dt), ((b, u), dt), ((i, u4), dt), ((u, u4), dt),
            ((u4,), dt)]  # fmt: skip


def _gru_bias_shape(attrs, u):
    u3 = _times(3, u)
    return (2, u3) if attrs.get("reset_after", True) else (u3,)


def _gru_infer(shapes, dts, attrs):
    """x, h0, kernel, recurrent_kernel, bias[, mask] -> y [B, T, u] (step order), h, and the
    saved gates [T, B, 4u] (z, r, candidate, recurrent candidate) for GRUSequenceGrad."""
    op = "GRUSequence"
    dt = _same_dtypes(op, dts)
    b, t, i, u = _rnn_dims(op, shapes, 3)
    u3, u4 = _times(3, u), _times(4, u)
    _rnn_mask(op, shapes, 5, b, t)
    for k, want, what in ((1, (b, u), "h0"), (2, (i, u3), "kernel"),
                          (4, _gru_bias_shape(attrs, u), "bias")):  # fmt: skip
        _rnn_check(op, shapes[k], want, what)
    return [((b, t, u), dt), ((b, u), dt), ((t, b, u4), dt)]


def _gru_grad_infer(shapes, dts, attrs):
    """dy, dh, x, h0, kernel, recurrent_kernel, y, saved, bias[, mask] -> dx, dh0, dkernel,
    drecurrent_kernel, dbias (bias only for the gradient rule's composed copy)."""
    op = "GRUSequenceGrad"
    dt = _same_dtypes(op, dts)
    b, t, i, u = _rnn_dims(op, shapes[2:], 3)
    u3, u4 = _times(3, u), _times(4, u)
    _rnn_mask(op, shapes, 9, b, t)
    for k, want, what in ((0, (b, t, u), "dy"), (1, (b, u), "dh"), (4, (i, u3), "kernel"),
                          (6, (b, t, u), "y"), (7, (t, b, u4), "saved")):  # fmt: skip
        _rnn_check(op, shapes[k], want, what)
    return [((b, t, i), dt), ((b, u), dt), ((i, u3), dt), ((u, u3), dt),
            (_gru_bias_shape(attrs, u), dt)]  # fmt: skip


# (a last, optional input: the mask [B, T])
_register(OpDef("LSTMSequence", None, _lstm_infer, FLOAT, doc="attrs: go_backwards"))
_register(OpDef("LSTMSequenceGrad", None, _lstm_grad_infer, FLOAT, doc="attrs: go_backwards"))
_register(OpDef("GRUSequence", None, _gru_infer, FLOAT, doc="attrs: go_backwards, reset_after"))
_register(OpDef("GRUSequenceGrad", None, _gru_grad_infer, FLOAT,
                doc="attrs: go_backwards, reset_after"))  # fmt: skip
