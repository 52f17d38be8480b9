"""CUDA neural-network kernels: softmax and losses, convolution, pooling, normalization."""

from __future__ import annotations

import numpy as np

from ..opdefs import conv_params, pool_params
from ._cuda import (
    MAX_BLOCKS,
    Geometry,
    Ptr,
    _launch,
    _num,
    ptr,
)
from .elementwise import (
    _binary,
)
from .reduce import (
    _reduce_into,
)


def _rows(x):
    n = x.shape[-1] if x.ndim else 1
    return (x.size // n if n else 0), n


def _softmax(log):
    def fn(dev, inputs, outputs, attrs):
        x, y = inputs[0], outputs[0]
        rows, n = _rows(x)
        if rows == 0 or n == 0:
            return
        _launch(dev, "softmax", f"softmax_{_num(x.dtype, 'Softmax')}", [
            ptr(x), ptr(y), np.int64(rows), np.int64(n), np.int32(log),
        ], grid=(min(rows, MAX_BLOCKS), 1, 1))  # fmt: skip

    return fn


def _xent(dev, inputs, outputs, attrs):
    x, labels = inputs
    loss, back = outputs
    rows, n = x.shape
    if rows == 0:
        return
    _launch(dev, "softmax", f"xent_{_num(x.dtype, 'SoftmaxCrossEntropyWithLogits')}", [
        ptr(x), ptr(labels), ptr(loss), ptr(back), np.int64(rows), np.int64(n),
    ], grid=(min(rows, MAX_BLOCKS), 1, 1))  # fmt: skip


def _sparse_xent(dev, inputs, outputs, attrs):
    x, labels = inputs
    loss, back = outputs
    rows, n = x.shape
    if rows == 0:
        return
    op = "SparseSoftmaxCrossEntropyWithLogits"
    _launch(dev, "softmax", f"sparse_xent_{_num(x.dtype, op)}_{_num(labels.dtype, op)}", [
        ptr(x), ptr(labels), ptr(loss), ptr(back), np.int64(rows), np.int64(n),
    ], grid=(min(rows, MAX_BLOCKS), 1, 1))  # fmt: skip


def _conv(which, depthwise):
    op = ("DepthwiseConv2dNative" if depthwise else "Conv2D") + (
        "", "BackpropInput", "BackpropFilter"
    )[which]  # fmt: skip

    def fn(dev, inputs, outputs, attrs):
        if which == 0:  # input, filter -> output
            x, f, y = inputs[0], inputs[1], outputs[0]
            a, b, out = x, f, y
        elif which == 1:  # filter, out_backprop -> input gradient
            f, y, x = inputs[0], inputs[1], outputs[0]
            a, b, out = f, y, x
        else:  # input, out_backprop -> filter gradient
            x, y, f = inputs[0], inputs[1], outputs[0]
            a, b, out = x, y, f
        _, (pt, pl), (sh, sw), (dh, dw) = conv_params(op, x.shape, f.shape, attrs)
        o = f.shape[2] * f.shape[3] if depthwise else f.shape[3]
        g = Geometry([*x.shape, f.shape[0], f.shape[1], y.shape[1], y.shape[2],
                      sh, sw, dh, dw, pt, pl, o])  # fmt: skip
        name = ("depthwise_" if depthwise else "conv2d_") + _num(x.dtype, op)
        _launch(dev, "conv", name, [ptr(a), ptr(b), ptr(out), g, np.int32(which)], n=out.size)

    return fn


def _pool(which):
    op = ("MaxPool", "AvgPool", "MaxPoolGrad", "AvgPoolGrad", "MaxPoolGradGrad")[which]

    def fn(dev, inputs, outputs, attrs):
        if which <= 1:  # x -> y
            x, y, a, b, out = inputs[0], outputs[0], inputs[0], inputs[0], outputs[0]
        elif which == 2:  # orig_input, orig_output, grad -> dx
            x, y, a, b, out = inputs[0], inputs[2], inputs[0], inputs[2], outputs[0]
        elif which == 3:  # grad -> dx (the input shape is an attr)
            x, y, a, b, out = outputs[0], inputs[0], inputs[0], inputs[0], outputs[0]
        else:  # orig_input, orig_output, input-shaped grad -> output-shaped
            x, y, a, b, out = inputs[0], outputs[0], inputs[0], inputs[2], outputs[0]
        _, (pt, pl), (sh, sw), (kh, kw) = pool_params(op, x.shape, attrs)
        g = Geometry([*x.shape, kh, kw, y.shape[1], y.shape[2], sh, sw, pt, pl])
        _launch(dev, "pool", f"pool_{_num(x.dtype, op)}",
                [ptr(a), ptr(b), ptr(out), g, np.int32(which)], n=out.size)  # fmt: skip

    return fn


def _bias_add(dev, inputs, outputs, attrs):
    _binary(0, False)(dev, inputs, outputs, attrs)  # AddV2 with the bias broadcast


def _bias_add_grad(dev, inputs, outputs, attrs):
    dy = inputs[0]
    _reduce_into(dev, dy, outputs[0], list(range(dy.ndim - 1)), 0)


_ROW_LANES = 8


def _channel_sums(dev, x, dy, stats, rows, c, mode):
    """Per-channel partial sums; the chunk count depends on the shape alone (deterministic)."""
    chunks = max(1, min(256, -(-rows // 4096)))
    per = -(-rows // chunks) if rows else 1
    k = 2 if mode == 2 else 1
    partial = dev.allocate((chunks * k * c,), np.float64)
    _launch(dev, "norm", f"channel_sums_{_num(x.dtype, 'FusedBatchNormV3')}", [
        ptr(x), ptr(dy if dy is not None else x), ptr(stats) if stats is not None else Ptr(0),
        ptr(partial), np.int64(rows), np.int64(c), np.int32(mode), np.int64(per),
    ], grid=(-(-c // 32), chunks, 1), block=(32, _ROW_LANES, 1))  # fmt: skip
    return partial, chunks


def _batch_norm(dev, inputs, outputs, attrs):
    x, scale, offset, mean, var = inputs
    y, bmean, bvar, r1, r2, _ = outputs
    typ = _num(x.dtype, "FusedBatchNormV3")
    c = x.shape[3]
    rows = x.size // c if c else 0
    if c == 0:
        return
    eps = np.float64(attrs.get("epsilon", 1e-4))
    factor = float(attrs.get("exponential_avg_factor", 1.0))
    coef = dev.allocate((2 * c,), np.float64)
    if bool(attrs.get("is_training", True)):
        stats = dev.allocate((2 * c,), np.float64)
        partial, chunks = _channel_sums(dev, x, None, None, rows, c, 0)
        _launch(dev, "norm", "bn_mean", [
            ptr(partial), ptr(stats), np.int64(chunks), np.int64(c), np.int64(rows),
        ], n=c)  # fmt: skip
        partial, chunks = _channel_sums(dev, x, None, stats, rows, c, 1)
        old_mean = mean if mean.size == c else scale  # unread when factor == 1
        old_var = var if var.size == c else scale
        _launch(dev, "norm", f"bn_train_finalize_{typ}", [
            ptr(partial), ptr(stats), np.int64(chunks), np.int64(c), np.int64(rows),
            ptr(scale), ptr(offset), ptr(old_mean), ptr(old_var), ptr(bmean), ptr(bvar),
            ptr(r1), ptr(r2), ptr(coef), eps, np.float64(factor),
        ], n=c)  # fmt: skip
    else:
        _launch(dev, "norm", f"bn_infer_finalize_{typ}", [
            np.int64(c), ptr(scale), ptr(offset), ptr(mean), ptr(var), ptr(bmean), ptr(bvar),
            ptr(r1), ptr(r2), ptr(coef), eps,
        ], n=c)  # fmt: skip
    _launch(dev, "norm", f"bn_apply_{typ}",
            [ptr(x), ptr(y), ptr(coef), np.int64(rows), np.int64(c)], n=x.size)  # fmt: skip


def _batch_norm_grad(dev, inputs, outputs, attrs):
    dy, x, scale, mean, var, _ = inputs
    dx, dscale, doffset, _, _ = outputs
    typ = _num(x.dtype, "FusedBatchNormGradV3")
    c = x.shape[3]
    rows = x.size // c if c else 0
    if c == 0:
        return
    eps = np.float64(attrs.get("epsilon", 1e-4))
    stats = dev.allocate((2 * c,), np.float64)
    coef = dev.allocate((3 * c,), np.float64)
    _launch(dev, "norm", f"bn_grad_prep_{typ}",
            [ptr(mean), ptr(var), ptr(stats), np.int64(c), eps], n=c)  # fmt: skip
    partial, chunks = _channel_sums(dev, x, dy, stats, rows, c, 2)
    _launch(dev, "norm", f"bn_grad_finalize_{typ}", [
        ptr(partial), ptr(stats), np.int64(chunks), np.int64(c), np.int64(rows), ptr(scale),
        ptr(dscale), ptr(doffset), ptr(coef), np.int32(bool(attrs.get("is_training", True))),
    ], n=c)  # fmt: skip
    _launch(dev, "norm", f"bn_grad_apply_{typ}", [
        ptr(dy), ptr(x), ptr(stats), ptr(coef), ptr(dx), np.int64(rows), np.int64(c),
    ], n=x.size)  # fmt: skip


# LayerNorm / LayerNormGrad (norm.cu): one warp per row; dgamma / dbeta as column sums over
# fixed blocks of rows, added in order (the CPU's blocks).
_LN_WARPS = 8  # norm.cu's TH_WARPS: rows per block of 32 * _LN_WARPS threads
_LN_ROWS = 512  # norm.cu's TH_LN_ROWS (norm.cpp's kRowsPerBlock)


def layer_norm_blocks(rows: int) -> int:
    """The number of fixed row blocks of LayerNormGrad's column sums (at least one, so an
    empty batch still writes zeros)."""
    return max(1, -(-rows // _LN_ROWS))


def _warp_rows(rows):
    return {"grid": (max(1, min(-(-rows // _LN_WARPS), MAX_BLOCKS)), 1, 1),
            "block": (32 * _LN_WARPS, 1, 1)}  # fmt: skip


def _layer_norm(dev, inputs, outputs, attrs):
    x, gamma, beta = inputs
    y, mean, rstd = outputs
    rows, d = mean.size, x.shape[-1]  # rows from the leading dims: d == 0 still writes stats
    if rows == 0:
        return
    _launch(dev, "norm", f"layer_norm_{_num(x.dtype, 'LayerNorm')}", [
        ptr(x), ptr(gamma), ptr(beta), ptr(y), ptr(mean), ptr(rstd), np.int64(rows),
        np.int64(d), np.float64(attrs.get("epsilon", 1e-3)),
    ], **_warp_rows(rows))  # fmt: skip


def _layer_norm_grad(dev, inputs, outputs, attrs):
    dy, x, gamma, mean, rstd = inputs
    dx, dgamma, dbeta = outputs
    typ = _num(x.dtype, "LayerNormGrad")
    d = x.shape[-1]
    rows = int(np.prod(x.shape[:-1], dtype=np.int64))
    if d == 0:
        return
    if rows:
        _launch(dev, "norm", f"layer_norm_grad_dx_{typ}", [
            ptr(dy), ptr(x), ptr(gamma), ptr(mean), ptr(rstd), ptr(dx), np.int64(rows),
            np.int64(d),
        ], **_warp_rows(rows))  # fmt: skip
    blocks = layer_norm_blocks(rows)
    partial = dev.allocate((blocks * 2 * d,), np.float64)
    _launch(dev, "norm", f"layer_norm_grad_sums_{typ}", [
        ptr(dy), ptr(x), ptr(mean), ptr(rstd), ptr(partial), np.int64(rows), np.int64(d),
        np.int64(blocks),
    ], n=blocks * d)  # fmt: skip
    _launch(dev, "norm", f"layer_norm_grad_finalize_{typ}", [
        ptr(partial), ptr(dgamma), ptr(dbeta), np.int64(d), np.int64(blocks),
    ], n=d)  # fmt: skip


TABLE: dict = {  # op type -> fn(device, inputs, outputs, attrs)
    "Softmax": _softmax(0), "LogSoftmax": _softmax(1), "SoftmaxCrossEntropyWithLogits": _xent,
    "SparseSoftmaxCrossEntropyWithLogits": _sparse_xent,
    "BiasAdd": _bias_add, "BiasAddGrad": _bias_add_grad,
    "FusedBatchNormV3": _batch_norm, "FusedBatchNormGradV3": _batch_norm_grad,
    "LayerNorm": _layer_norm, "LayerNormGrad": _layer_norm_grad,
    **{"Conv2D" + suffix: _conv(which, False)
       for which, suffix in enumerate(("", "BackpropInput", "BackpropFilter"))},
    **{"DepthwiseConv2dNative" + suffix: _conv(which, True)
       for which, suffix in enumerate(("", "BackpropInput", "BackpropFilter"))},
    **{name: _pool(which)
       for which, name in enumerate(("MaxPool", "AvgPool", "MaxPoolGrad", "AvgPoolGrad",
                                     "MaxPoolGradGrad"))},
}  # fmt: skip
