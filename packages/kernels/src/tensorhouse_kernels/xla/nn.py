"""XLA neural-network functions: softmax, losses, NHWC convolution and pooling, norms, RNNs."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..opdefs import conv_params, pool_params
from .elementwise import (
    _c,
    _isnan,
)

# JAX's modules, bound by bind() when the first XLA kernel runs (importing this
# module loads no JAX; Any: the type checker sees modules at the call sites)
jnp: Any = None
lax: Any = None


def bind(jax_module, numpy_module, lax_module) -> None:
    """Bind JAX's modules here (``xla._load`` calls it once JAX is imported)."""
    global jnp, lax
    jnp = numpy_module
    lax = lax_module


def _row_max(x):
    """The last axis' max, NaN when the row has one (as the C++ ``row_max``)."""
    mx = jnp.max(x, axis=-1, keepdims=True)
    return jnp.where(jnp.any(_isnan(x), axis=-1, keepdims=True), _c(np.nan, x), mx)


def _softmax_fn(log):
    def fn(inputs, attrs):
        (x,) = inputs
        if x.size == 0:
            return [jnp.zeros(x.shape, x.dtype)]
        shifted = x - _row_max(x)
        e = jnp.exp(shifted)
        total = jnp.sum(e, axis=-1, keepdims=True)
        if log:
            return [shifted - jnp.log(total)]
        return [e * (_c(1, total) / total)]

    return fn


def _xent(inputs, attrs):
    x, labels = inputs
    rows, n = x.shape
    if n == 0 or rows == 0:
        return [jnp.zeros((rows,), x.dtype), jnp.zeros(x.shape, x.dtype)]
    shifted = x - _row_max(x)
    e = jnp.exp(shifted)
    total = jnp.sum(e, axis=-1, keepdims=True)
    lse = jnp.log(total)
    loss = jnp.sum(labels * (lse - shifted), axis=-1)
    return [loss, e * (_c(1, total) / total) - labels]


def _sparse_xent(inputs, attrs):
    x, labels = inputs
    rows, n = x.shape
    if rows == 0:
        return [jnp.zeros((0,), x.dtype), jnp.zeros(x.shape, x.dtype)]
    shifted = x - _row_max(x)
    e = jnp.exp(shifted)
    total = jnp.sum(e, axis=-1, keepdims=True)
    lse = jnp.log(total)[:, 0]
    idx = jnp.clip(labels.astype(jnp.int64), 0, n - 1)[:, None]
    picked = jnp.take_along_axis(shifted, idx, axis=1)[:, 0]
    hot = idx == jnp.arange(n)[None, :]
    backprop = e * (_c(1, total) / total) - hot.astype(x.dtype)
    return [lse - picked, backprop]


# ---- whole-sequence LSTM / GRU (rnn.cpp's semantics): lax.scan over the steps, time-major ------


def _sig(x):
    return _c(1, x) / (_c(1, x) + jnp.exp(-x))


def _dot(a, b):
    return jnp.matmul(a, b, precision=lax.Precision.HIGHEST)


def _steps(x, attrs):
    """[B, T, ...] -> [T, B, ...] in step order (reversed with go_backwards)."""
    xs = jnp.swapaxes(x, 0, 1)
    return xs[::-1] if attrs.get("go_backwards", False) else xs


def _unsteps(xs, attrs):
    return jnp.swapaxes(xs[::-1] if attrs.get("go_backwards", False) else xs, 0, 1)


def _previous(first, seq):
    """The state each step started from: ``first``, then ``seq[:-1]`` (time-major)."""
    return jnp.concatenate([first[None], seq], axis=0)[: seq.shape[0]]


def _mask_steps(inputs, index, x, attrs):
    """The optional mask input [B, T] as [T, B, 1] in step order; ones where there is none."""
    mask = inputs[index] if len(inputs) > index else None
    if mask is None or mask.size == 0:
        return jnp.ones((x.shape[1], x.shape[0], 1), x.dtype)
    return _steps(mask, attrs)[..., None]


def _lstm_sequence(inputs, attrs):
    x, h0, c0, w, u, b = inputs[:6]
    xw = _dot(_steps(x, attrs), w)
    one = _c(1, x)

    def step(carry, inp):
        h, c = carry
        xw_k, m = inp
        zi, zf, zg, zo = jnp.split((xw_k + _dot(h, u)) + b, 4, axis=-1)
        i, f, g, o = _sig(zi), _sig(zf), jnp.tanh(zg), _sig(zo)
        c_new = f * c + i * g
        h_new = o * jnp.tanh(c_new)
        c = m * c_new + (one - m) * c  # a masked step keeps the states
        h = m * h_new + (one - m) * h
        return (h, c), (h, jnp.concatenate([i, f, g, o], axis=-1), c)

    (h, c), (hs, gates, cs) = lax.scan(step, (h0, c0), (xw, _mask_steps(inputs, 6, x, attrs)))
    return [jnp.swapaxes(hs, 0, 1), h, c, gates, cs]


def _lstm_sequence_grad(inputs, attrs):
    dy, dh, dc, x, h0, c0, w, u, y, gates, cs = inputs[:11]
    one = _c(1, x)

    def step(carry, inp):
        dhn, dcn = carry
        dy_k, g_k, c_k, cp_k, m = inp
        i, f, g, o = jnp.split(g_k, 4, axis=-1)
        tc = jnp.tanh(c_k)
        dh_all = dy_k + dhn
        dhk = m * dh_all
        dck = m * dcn + dhk * o * (one - tc * tc)
        di, df = dck * g * i * (one - i), dck * cp_k * f * (one - f)
        dg, do = dck * i * (one - g * g), dhk * tc * o * (one - o)
        dz = jnp.concatenate([di, df, dg, do], axis=-1)
        return (_dot(dz, u.T) + (one - m) * dh_all, dck * f + (one - m) * dcn), dz

    seq = (jnp.swapaxes(dy, 0, 1), gates, cs, _previous(c0, cs), _mask_steps(inputs, 12, x, attrs))
    (dh0, dc0), dz = lax.scan(step, (dh, dc), seq, reverse=True)
    hp = _previous(h0, jnp.swapaxes(y, 0, 1))
    dw = jnp.einsum("tbi,tbg->ig", _steps(x, attrs), dz, precision=lax.Precision.HIGHEST)
    du = jnp.einsum("tbu,tbg->ug", hp, dz, precision=lax.Precision.HIGHEST)
    db = jnp.sum(dz.astype(jnp.float64), axis=(0, 1)).astype(x.dtype)
    return [_unsteps(_dot(dz, w.T), attrs), dh0, dc0, dw, du, db]


def _gru_sequence(inputs, attrs):
    x, h0, w, u, b = inputs[:5]
    after = attrs.get("reset_after", True)
    n = h0.shape[-1]
    b_in, b_rec = (b[0], b[1]) if after else (b, None)
    xw = _dot(_steps(x, attrs), w)

    def step(h, inp):
        xw_k, m = inp
        x_z, x_r, x_h = jnp.split(xw_k + b_in, 3, axis=-1)
        if after:
            r_z, r_r, r_h = jnp.split(_dot(h, u) + b_rec, 3, axis=-1)
        else:
            r_z, r_r = jnp.split(_dot(h, u[:, : 2 * n]), 2, axis=-1)
        z, r = _sig(x_z + r_z), _sig(x_r + r_r)
        if after:
            hh = jnp.tanh(x_h + r * r_h)
        else:
            hh, r_h = jnp.tanh(x_h + _dot(r * h, u[:, 2 * n :])), jnp.zeros_like(h)
        h_new = z * h + (_c(1, h) - z) * hh
        h_new = m * h_new + (_c(1, h) - m) * h  # a masked step keeps the state
        return h_new, (h_new, jnp.concatenate([z, r, hh, r_h], axis=-1))

    h, (hs, saved) = lax.scan(step, h0, (xw, _mask_steps(inputs, 5, x, attrs)))
    return [jnp.swapaxes(hs, 0, 1), h, saved]


def _gru_sequence_grad(inputs, attrs):
    dy, dh, x, h0, w, u, y, saved = inputs[:8]
    after = attrs.get("reset_after", True)
    n = h0.shape[-1]
    one = _c(1, x)
    hp = _previous(h0, jnp.swapaxes(y, 0, 1))

    def step(dhn, inp):
        dy_k, s_k, hp_k, m = inp
        z, r, hh, r_h = jnp.split(s_k, 4, axis=-1)
        dh_all = dy_k + dhn
        dhk = m * dh_all  # a masked step: no gate gradients, dh passes through
        passed = (one - m) * dh_all
        dah = dhk * (one - z) * (one - hh * hh)
        daz = dhk * (hp_k - hh) * z * (one - z)
        if after:
            dar = dah * r_h * r * (one - r)
            drec = jnp.concatenate([daz, dar, dah * r], axis=-1)
            dh_prev = dhk * z + _dot(drec, u.T) + passed
            return dh_prev, (jnp.concatenate([daz, dar, dah], -1), drec)
        q = _dot(dah, u[:, 2 * n :].T)
        dar = q * hp_k * r * (one - r)
        dzr = jnp.concatenate([daz, dar], axis=-1)
        dh_prev = dhk * z + q * r + _dot(dzr, u[:, : 2 * n].T) + passed
        return dh_prev, (jnp.concatenate([dzr, dah], -1), r * hp_k)

    seq = (jnp.swapaxes(dy, 0, 1), saved, hp, _mask_steps(inputs, 9, x, attrs))
    dh0, (dxg, other) = lax.scan(step, dh, seq, reverse=True)
    hi = lax.Precision.HIGHEST

    def colsum(a):
        return jnp.sum(a.astype(jnp.float64), axis=(0, 1)).astype(x.dtype)

    if after:
        du = jnp.einsum("tbu,tbg->ug", hp, other, precision=hi)
        db = jnp.stack([colsum(dxg), colsum(other)])
    else:
        du = jnp.concatenate([jnp.einsum("tbu,tbg->ug", hp, dxg[..., : 2 * n], precision=hi),
                              jnp.einsum("tbu,tbg->ug", other, dxg[..., 2 * n :], precision=hi)],
                             axis=-1)  # fmt: skip
        db = colsum(dxg)
    dw = jnp.einsum("tbi,tbg->ig", _steps(x, attrs), dxg, precision=hi)
    return [_unsteps(_dot(dxg, w.T), attrs), dh0, dw, du, db]


# ==== from _xla_nn.py
def _zeros(shape, dtype):
    return jnp.zeros(tuple(int(d) for d in shape), dtype)


def _f64(x):
    return x.astype(jnp.float64)


# ---- geometry ----------------------------------------------------------------------------------


def _pads(in_hw, out_hw, k_hw, strides, dilations, before):
    """[(low, high)] per spatial dim: the high side fills (or crops) the padded input to exactly
    the rows the output's windows span."""
    return [
        (before[i], (out_hw[i] - 1) * strides[i] + (k_hw[i] - 1) * dilations[i] + 1
         - in_hw[i] - before[i])
        for i in range(2)
    ]  # fmt: skip


def _transposed_pads(in_hw, out_hw, k_hw, strides, dilations, before):
    """Padding of the stride-dilated output gradient for the input gradient's convolution."""
    out = []
    for i in range(2):
        eff = (k_hw[i] - 1) * dilations[i] + 1
        low = eff - 1 - before[i]
        span = (out_hw[i] - 1) * strides[i] + 1
        out.append((low, in_hw[i] + eff - 1 - span - low))
    return out


def _in_bounds(n, out, stride, before, offset):
    """Which of the ``out`` windows' element ``offset`` lies inside ``[0, n)``."""
    pos = np.arange(out) * stride - before + offset
    return (pos >= 0) & (pos < n)


# ---- convolutions ------------------------------------------------------------------------------

_NHWC = ("NHWC", "HWIO", "NHWC")


def _conv(lhs, rhs, strides, pads, dims=_NHWC, lhs_dilation=None, rhs_dilation=None, groups=1):
    return lax.conv_general_dilated(
        lhs, rhs, tuple(strides), [tuple(p) for p in pads],
        lhs_dilation=lhs_dilation, rhs_dilation=rhs_dilation, dimension_numbers=dims,
        feature_group_count=groups, precision=lax.Precision.HIGHEST,
    )  # fmt: skip


def _conv_forward(op, depthwise):
    def fn(inputs, attrs):
        x, f = inputs
        (oh, ow), before, strides, dil = conv_params(op, x.shape, f.shape, attrs)
        kh, kw, c, m = f.shape
        out_shape = (x.shape[0], oh, ow, c * m if depthwise else m)
        if not math.prod(out_shape) or not kh * kw * c:
            return [_zeros(out_shape, x.dtype)]
        pads = _pads(x.shape[1:3], (oh, ow), (kh, kw), strides, dil, before)
        if depthwise:  # filter [kh, kw, c, m] -> [kh, kw, 1, c*m]: output channel c*m + j
            return [_conv(x, f.reshape(kh, kw, 1, c * m), strides, pads, rhs_dilation=dil,
                          groups=c)]  # fmt: skip
        return [_conv(x, f, strides, pads, rhs_dilation=dil)]

    return fn


def _conv_backprop_input(op, depthwise):
    def fn(inputs, attrs):  # filter, out_backprop; attr input_sizes
        f, dy = inputs
        x_shape = tuple(int(d) for d in attrs["input_sizes"])
        (oh, ow), before, strides, dil = conv_params(op, x_shape, f.shape, attrs)
        if not math.prod(x_shape) or not f.size or not dy.size:
            return [_zeros(x_shape, f.dtype)]
        kh, kw, c, m = f.shape
        pads = _transposed_pads(x_shape[1:3], (oh, ow), (kh, kw), strides, dil, before)
        flipped = f[::-1, ::-1]
        if depthwise:  # group c sums dy's channels c*m .. c*m + m-1 against f[..., c, :]
            rhs = jnp.transpose(flipped, (0, 1, 3, 2))
            return [_conv(dy, rhs, (1, 1), pads, lhs_dilation=strides, rhs_dilation=dil,
                          groups=c)]  # fmt: skip
        dims = ("NHWC", "HWOI", "NHWC")  # the filter's input channels are the output's
        return [_conv(dy, flipped, (1, 1), pads, dims, lhs_dilation=strides, rhs_dilation=dil)]

    return fn


def _conv_backprop_filter(op, depthwise):
    def fn(inputs, attrs):  # input, out_backprop; attr filter_sizes
        x, dy = inputs
        f_shape = tuple(int(d) for d in attrs["filter_sizes"])
        (oh, ow), before, strides, dil = conv_params(op, x.shape, f_shape, attrs)
        if not math.prod(f_shape) or not x.size or not dy.size:
            return [_zeros(f_shape, x.dtype)]
        kh, kw, c, m = f_shape
        pads = _pads(x.shape[1:3], (oh, ow), (kh, kw), strides, dil, before)
        # df[ky, kx] sums x at (oy*s + ky*d) times dy[oy]: a convolution over the images, with
        # dy as the window (dilated by the strides) stepping by the dilations.
        if depthwise:  # images and channels as the features [1, h, w, c*n], c groups of n
            n = x.shape[0]
            lhs = jnp.transpose(x, (1, 2, 3, 0)).reshape(1, x.shape[1], x.shape[2], c * n)
            rhs = jnp.transpose(dy, (1, 2, 0, 3))  # [oh, ow, n, c*m]
            out = _conv(lhs, rhs, dil, pads, rhs_dilation=strides, groups=c)
            return [out.reshape(f_shape)]
        dims = ("CHWN", "IHWO", "HWNC")  # batch: x's channels; features: the images
        return [_conv(x, dy, dil, pads, dims, rhs_dilation=strides)]

    return fn


# ---- pooling -----------------------------------------------------------------------------------


def _pool_geometry(op, x_shape, attrs):
    (oh, ow), before, strides, ksize = pool_params(op, x_shape, attrs)
    pads = _pads(x_shape[1:3], (oh, ow), ksize, strides, (1, 1), before)
    return (oh, ow), before, strides, ksize, pads


def _window(values, pads):
    return (1, *values, 1), [(0, 0), *(tuple(p) for p in pads), (0, 0)]


def _counts(x_shape, out_hw, before, strides, ksize):
    """[oh, ow] in-bounds elements of each window (the CPU's AvgPool divisor)."""
    per = []
    for i in range(2):
        start = np.arange(out_hw[i]) * strides[i] - before[i]
        lo, hi = np.maximum(start, 0), np.minimum(start + ksize[i], x_shape[1 + i])
        per.append(np.maximum(hi - lo, 0))
    return np.outer(per[0], per[1])


def _max_pool(inputs, attrs):
    (x,) = inputs
    (oh, ow), _, strides, ksize, pads = _pool_geometry("MaxPool", x.shape, attrs)
    out_shape = (x.shape[0], oh, ow, x.shape[3])
    if not math.prod(out_shape):
        return [_zeros(out_shape, x.dtype)]
    dt = np.dtype(x.dtype)
    low = jnp.asarray(-np.inf if dt.kind in "fV" else np.iinfo(dt).min, x.dtype)
    clean = jnp.where(x != x, low, x)  # NaN never wins a window on the CPU
    dims, padding = _window(ksize, pads)
    return [lax.reduce_window(clean, low, lax.max, dims, (1, *strides, 1), padding)]


def _avg_pool(inputs, attrs):
    (x,) = inputs
    (oh, ow), before, strides, ksize, pads = _pool_geometry("AvgPool", x.shape, attrs)
    out_shape = (x.shape[0], oh, ow, x.shape[3])
    if not math.prod(out_shape):
        return [_zeros(out_shape, x.dtype)]
    zero = jnp.asarray(0, x.dtype)
    dims, padding = _window(ksize, pads)
    total = lax.reduce_window(x, zero, lax.add, dims, (1, *strides, 1), padding)
    count = _counts(x.shape, (oh, ow), before, strides, ksize)
    out = total / jnp.asarray(np.maximum(count, 1), x.dtype)[None, :, :, None]
    return [jnp.where(jnp.asarray(count > 0)[None, :, :, None], out, zero)]


def _avg_pool_grad(inputs, attrs):
    (dy,) = inputs
    x_shape = tuple(int(d) for d in attrs["orig_input_shape"])
    (oh, ow), before, strides, ksize, _ = _pool_geometry("AvgPoolGrad", x_shape, attrs)
    if not math.prod(x_shape) or not dy.size:
        return [_zeros(x_shape, dy.dtype)]
    count = _counts(x_shape, (oh, ow), before, strides, ksize)
    share = dy / jnp.asarray(np.maximum(count, 1), dy.dtype)[None, :, :, None]
    share = jnp.where(jnp.asarray(count > 0)[None, :, :, None], share, jnp.zeros((), dy.dtype))
    # Each input element sums the shares of the windows covering it: a stride-1 window sum of
    # the shares spread out by the strides.
    pads = _transposed_pads(x_shape[1:3], (oh, ow), ksize, strides, (1, 1), before)
    dims, padding = _window(ksize, pads)
    zero = jnp.asarray(0, dy.dtype)
    out = lax.reduce_window(share, zero, lax.add, dims, (1, 1, 1, 1), padding, (1, *strides, 1))
    return [out]


def _taps(x, geometry):
    """[(tap index, [n, oh, ow, c] view of the zero-padded x under the tap, the static mask of
    the windows that have the tap in bounds or None for all)], in row-major window order."""
    (oh, ow), before, strides, ksize, pads = geometry
    h, w = x.shape[1:3]
    high = (max(pads[0][1], 0), max(pads[1][1], 0))
    padded = jnp.pad(x, ((0, 0), (before[0], high[0]), (before[1], high[1]), (0, 0)))
    out = []
    for ky in range(ksize[0]):
        rows = _in_bounds(h, oh, strides[0], before[0], ky)
        for kx in range(ksize[1]):
            cols = _in_bounds(w, ow, strides[1], before[1], kx)
            view = padded[
                :,
                ky : ky + (oh - 1) * strides[0] + 1 : strides[0],
                kx : kx + (ow - 1) * strides[1] + 1 : strides[1],
            ]
            mask = np.outer(rows, cols)
            out.append((ky * ksize[1] + kx, view, None if mask.all() else mask[None, :, :, None]))
    return out


def _first_argmax(x, geometry):
    """The tap of each window's first maximum (``argmax_at``), -1 where the window is empty."""
    best = arg = None
    for t, v, mask in _taps(x, geometry):
        if arg is None:
            arg = jnp.full(v.shape, -1, jnp.int32)
            best = v
        take = (arg < 0) | (v > best)
        if mask is not None:
            take = take & jnp.asarray(mask)
        best = jnp.where(take, v, best)
        arg = jnp.where(take, jnp.int32(t), arg)
    return arg


def _max_pool_grad(inputs, attrs):  # orig_input, orig_output (unused, as the CPU), grad
    x, _, dy = inputs
    geometry = _pool_geometry("MaxPoolGrad", x.shape, attrs)
    (oh, ow), before, strides, ksize, pads = geometry
    if not x.size or not dy.size:
        return [_zeros(x.shape, x.dtype)]
    arg = _first_argmax(x, geometry)
    zero = jnp.zeros((), dy.dtype)
    h, w = x.shape[1:3]
    rows, cols = h + before[0] + max(pads[0][1], 0), w + before[1] + max(pads[1][1], 0)
    span = ((oh - 1) * strides[0] + 1, (ow - 1) * strides[1] + 1)
    total: Any = None  # the first placed tap (ksize has at least one)
    for ky in range(ksize[0]):
        for kx in range(ksize[1]):
            routed = jnp.where(arg == ky * ksize[1] + kx, dy, zero)
            placed = lax.pad(routed, zero, [
                (0, 0, 0),
                (ky, rows - ky - span[0], strides[0] - 1),
                (kx, cols - kx - span[1], strides[1] - 1),
                (0, 0, 0),
            ])  # fmt: skip
            total = placed if total is None else total + placed
    return [total[:, before[0] : before[0] + h, before[1] : before[1] + w]]


def _max_pool_grad_grad(inputs, attrs):  # orig_input, orig_output, input-shaped grad
    x, _, g = inputs
    geometry = _pool_geometry("MaxPoolGradGrad", x.shape, attrs)
    (oh, ow) = geometry[0]
    out_shape = (x.shape[0], oh, ow, x.shape[3])
    if not math.prod(out_shape):
        return [_zeros(out_shape, x.dtype)]
    arg = _first_argmax(x, geometry)
    out = jnp.zeros(out_shape, g.dtype)
    for t, v, _ in _taps(g, geometry):
        out = jnp.where(arg == t, v, out)
    return [out]


# ---- bias and normalization --------------------------------------------------------------------


def _bias_add(inputs, attrs):
    x, b = inputs
    return [x + b]  # integers wrap, as the CPU's wrap_add


def _bias_add_grad(inputs, attrs):
    (dy,) = inputs
    axes = tuple(range(dy.ndim - 1))
    if dy.dtype.kind == "f":
        return [jnp.sum(_f64(dy), axis=axes).astype(dy.dtype)]
    return [jnp.sum(dy, axis=axes, dtype=dy.dtype)]  # integers wrap


def _batch_norm(inputs, attrs):
    """x, scale, offset, mean, variance -> y, batch_mean, batch_variance, reserve_space_1 (the
    mean used), reserve_space_2 (the variance used: biased in training), reserve_space_3 ([0])."""
    x, scale, offset, mean, var = inputs
    eps = float(attrs.get("epsilon", 1e-4))
    factor = float(attrs.get("exponential_avg_factor", 1.0))
    training = bool(attrs.get("is_training", True))
    dt, c = x.dtype, x.shape[3]
    u = scale.dtype  # float32 for 16-bit x: y is computed in float32 and rounded (as the CPU)
    rows = x.size // c if c else 0
    if training:
        flat = _f64(x).reshape(rows, c)
        if rows:
            mu = jnp.sum(flat, axis=0) / rows
            v = jnp.sum(jnp.square(flat - mu), axis=0) / rows
        else:
            mu = v = jnp.zeros((c,), jnp.float64)
        unbiased = v * (rows / (rows - 1)) if rows > 1 else v
        if factor == 1.0:
            bmean, bvar = mu, unbiased
        else:
            bmean = (1 - factor) * _f64(mean) + factor * mu
            bvar = (1 - factor) * _f64(var) + factor * unbiased
        stats = [bmean.astype(u), bvar.astype(u), mu.astype(u), v.astype(u)]
    else:
        mu, v = _f64(mean), _f64(var)
        stats = [mean, var, mean, var]
    k = _f64(scale) / jnp.sqrt(v + eps)
    mul, add = k.astype(u), (_f64(offset) - mu * k).astype(u)
    # The CPU rounds x * mul, then adds. XLA's LLVM contracts the two into one FMA, which
    # differs by up to half an ulp of x * mul: much more than y's ulp when the variance is
    # small (mul is then large, and y = offset + a small difference). LLVM does not contract
    # through a select; this one is the identity (NaN stays NaN).
    product = x.astype(u) * mul
    product = jnp.where(product == product, product, jnp.asarray(np.nan, u))
    return [(product + add).astype(dt), *stats, jnp.zeros((0,), u)]


def _batch_norm_grad(inputs, attrs):
    """y_backprop, x, scale, reserve_space_1 / 2 / 3 -> x, scale and offset backprops, [0], [0]."""
    dy, x, scale, mean, var, _ = inputs
    eps = float(attrs.get("epsilon", 1e-4))
    training = bool(attrs.get("is_training", True))
    dt, c = x.dtype, x.shape[3]
    u = scale.dtype  # float32 for 16-bit x and dy
    rows = x.size // c if c else 0
    rstd = 1.0 / jnp.sqrt(_f64(var) + eps)
    g = _f64(dy)
    centered = _f64(x.astype(u) - mean)  # the difference in float32 or x's dtype, as the CPU
    axes = (0, 1, 2)
    s_dy = jnp.sum(g, axis=axes)
    s_dy_xh = jnp.sum(g * centered * rstd, axis=axes)
    k0 = _f64(scale) * rstd
    dx = k0 * g
    if training:
        n = rows or 1
        dx = dx + (-k0 * s_dy_xh / n) * (centered * rstd) + (-k0 * s_dy / n)
    empty = jnp.zeros((0,), u)
    return [dx.astype(dt), s_dy_xh.astype(u), s_dy.astype(u), empty, empty]


def _layer_norm(inputs, attrs):
    """x, gamma, beta -> y, mean, rstd over the last axis."""
    x, gamma, beta = inputs
    eps = float(attrs.get("epsilon", 1e-3))
    dt, d = x.dtype, x.shape[-1]
    xs = _f64(x)
    if d:
        mu = jnp.sum(xs, axis=-1, keepdims=True) / d
        q = jnp.sum(jnp.square(xs - mu), axis=-1, keepdims=True)
        rs = 1.0 / jnp.sqrt(q / d + eps)
    else:
        mu = jnp.zeros((*x.shape[:-1], 1), jnp.float64)
        rs = jnp.full((*x.shape[:-1], 1), 1.0 / math.sqrt(eps), jnp.float64)
    y = (xs - mu) * rs * _f64(gamma) + _f64(beta)
    return [y.astype(dt), mu[..., 0].astype(dt), rs[..., 0].astype(dt)]


def _layer_norm_grad(inputs, attrs):
    """dy, x, gamma, mean, rstd -> dx, dgamma, dbeta."""
    dy, x, gamma, mean, rstd = inputs
    dt, d = x.dtype, x.shape[-1]
    g = _f64(dy)
    mu, rs = _f64(mean)[..., None], _f64(rstd)[..., None]
    diff = _f64(x) - mu
    gg = g * _f64(gamma)
    s1 = jnp.sum(gg, axis=-1, keepdims=True) / max(d, 1)
    s2 = jnp.sum(gg * diff * rs, axis=-1, keepdims=True) / max(d, 1)
    dx = rs * (gg - s1 - (diff * rs) * s2)
    lead = tuple(range(x.ndim - 1))
    centered = _f64(x - mean[..., None])  # the difference in the input dtype, as the CPU
    dgamma = jnp.sum(g * centered * rs, axis=lead)
    dbeta = jnp.sum(g, axis=lead)
    return [dx.astype(dt), dgamma.astype(dt), dbeta.astype(dt)]


# ---- the table ---------------------------------------------------------------------------------

TABLE: dict = {  # op type -> fn(inputs, attrs) -> [outputs]
    "Softmax": _softmax_fn(False),
    "LogSoftmax": _softmax_fn(True),
    "SoftmaxCrossEntropyWithLogits": _xent,
    "SparseSoftmaxCrossEntropyWithLogits": _sparse_xent,
    "LSTMSequence": _lstm_sequence,
    "LSTMSequenceGrad": _lstm_sequence_grad,
    "GRUSequence": _gru_sequence,
    "GRUSequenceGrad": _gru_sequence_grad,
    # NHWC convolutions, pooling, bias, normalization
    "Conv2D": _conv_forward("Conv2D", False),
    "Conv2DBackpropInput": _conv_backprop_input("Conv2DBackpropInput", False),
    "Conv2DBackpropFilter": _conv_backprop_filter("Conv2DBackpropFilter", False),
    "DepthwiseConv2dNative": _conv_forward("DepthwiseConv2dNative", True),
    "DepthwiseConv2dNativeBackpropInput": _conv_backprop_input(
        "DepthwiseConv2dNativeBackpropInput", True
    ),
    "DepthwiseConv2dNativeBackpropFilter": _conv_backprop_filter(
        "DepthwiseConv2dNativeBackpropFilter", True
    ),
    "MaxPool": _max_pool,
    "AvgPool": _avg_pool,
    "MaxPoolGrad": _max_pool_grad,
    "AvgPoolGrad": _avg_pool_grad,
    "MaxPoolGradGrad": _max_pool_grad_grad,
    "BiasAdd": _bias_add,
    "BiasAddGrad": _bias_add_grad,
    "FusedBatchNormV3": _batch_norm,
    "FusedBatchNormGradV3": _batch_norm_grad,
    "LayerNorm": _layer_norm,
    "LayerNormGrad": _layer_norm_grad,
}
