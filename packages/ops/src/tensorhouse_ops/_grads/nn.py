"""Gradient rules of the nn family: softmax and the fused cross-entropies, convolutions, pooling,
bias_add, batch and layer norm, whole-sequence LSTM / GRU (``_rnn_ops``; C++ ``rnn.cpp``).
"""

from __future__ import annotations

from .. import _array as A
from .. import _dynamic as _dyn
from .. import _math as M
from .._rnn_ops import gru_composed, lstm_composed
from .._tape import GradientTape
from .._tensor import _execute, _op
from .base import (
    MULTI_OUTPUT,
    _grad_of_composed,
    _or_zeros,
    _shape,
    rule,
)


@rule("Softmax")
def _softmax(x, y, attrs, dy):  # (dy - sum(dy * y)) * y
    s = y[0]
    inner = M.reduce_sum(M.multiply(dy, s), axis=-1, keepdims=True)
    return [M.multiply(M.subtract(dy, inner), s)]


@rule("LogSoftmax")
def _log_softmax(x, y, attrs, dy):  # dy - exp(y) * sum(dy)
    return [M.subtract(dy, M.multiply(M.exp(y[0]), M.reduce_sum(dy, axis=-1, keepdims=True)))]


def _softmax_grad_grad(logits, grad_backprop):
    """The path through the backprop output: (g - sum(g * softmax)) * softmax."""
    s = _op("Softmax", [logits])
    inner = M.reduce_sum(M.multiply(grad_backprop, s), axis=-1, keepdims=True)
    return M.multiply(M.subtract(grad_backprop, inner), s)


@rule("SoftmaxCrossEntropyWithLogits")
def _xent(x, y, attrs, dy):
    logits, _ = x
    d_loss, d_backprop = dy
    dx, dlabels = None, None
    if d_loss is not None:
        g = A.reshape(d_loss, [-1, 1])
        dx = M.multiply(g, y[1])
        dlabels = M.multiply(g, M.negative(_op("LogSoftmax", [logits])))
    if d_backprop is not None:
        extra = _softmax_grad_grad(logits, d_backprop)
        dx = extra if dx is None else M.add(dx, extra)
        dlabels = M.negative(d_backprop) if dlabels is None else M.subtract(dlabels, d_backprop)
    return [dx, dlabels]


@rule("SparseSoftmaxCrossEntropyWithLogits")
def _sparse_xent(x, y, attrs, dy):
    logits, _ = x
    d_loss, d_backprop = dy
    dx = None
    if d_loss is not None:
        dx = M.multiply(A.reshape(d_loss, [-1, 1]), y[1])
    if d_backprop is not None:
        extra = _softmax_grad_grad(logits, d_backprop)
        dx = extra if dx is None else M.add(dx, extra)
    return [dx, None]


def _with(attrs, **extra):
    out = {k: v for k, v in attrs.items() if k not in ("input_sizes", "filter_sizes")}
    out.update(extra)
    return out


def _dims(t):
    return tuple(t.shape.as_list())


def _backprop_input_op(op_type, inputs, attrs, like):
    """``op_type`` (a ``*BackpropInput``) with ``input_sizes`` = ``like``'s shape: an attr when
    it is known, read at run time when a dim of ``like`` is unknown (a traced batch of None)."""
    dims = _dims(like)
    if None not in dims:
        return _op(op_type, inputs, _with(attrs, input_sizes=dims))
    return _dyn.shaped_op(op_type, inputs, _with(attrs), _dyn.shape_of(like), key="input_sizes")


def _backprop_filter_op(op_type, inputs, attrs, like):
    """``op_type`` (a ``*BackpropFilter``) with ``filter_sizes`` = ``like``'s shape."""
    dims = _dims(like)
    if None not in dims:
        return _op(op_type, inputs, _with(attrs, filter_sizes=dims))
    return _dyn.shaped_op(op_type, inputs, _with(attrs), _dyn.shape_of(like), key="filter_sizes")


def _conv_family(fwd):
    bin_, bfil = fwd + "BackpropInput", fwd + "BackpropFilter"

    @rule(fwd)
    def _forward(x, y, attrs, dy):
        inp, filt = x
        return [
            _backprop_input_op(bin_, [filt, dy], attrs, inp),
            _backprop_filter_op(bfil, [inp, dy], attrs, filt),
        ]

    @rule(bin_)
    def _backprop_input(x, y, attrs, g):  # (filter, dy) -> d input; g is input-shaped
        filt, dy = x
        return [
            _backprop_filter_op(bfil, [g, dy], attrs, filt),
            _op(fwd, [g, filt], _with(attrs)),
        ]

    @rule(bfil)
    def _backprop_filter(x, y, attrs, g):  # (input, dy) -> d filter; g is filter-shaped
        inp, dy = x
        return [
            _backprop_input_op(bin_, [g, dy], attrs, inp),
            _op(fwd, [inp, g], _with(attrs)),
        ]


_conv_family("Conv2D")


_conv_family("DepthwiseConv2dNative")


@rule("MaxPool")
def _max_pool(x, y, attrs, dy):
    return [_op("MaxPoolGrad", [x[0], y[0], dy], attrs)]


@rule("MaxPoolGrad")
def _max_pool_grad(x, y, attrs, g):  # linear in the gradient; flat in the input and output
    return [None, None, _op("MaxPoolGradGrad", [x[0], x[1], g], attrs)]


@rule("MaxPoolGradGrad")
def _max_pool_grad_grad(x, y, attrs, g):
    return [None, None, _op("MaxPoolGrad", [x[0], x[1], g], attrs)]


@rule("AvgPool")
def _avg_pool(x, y, attrs, dy):
    dims = _dims(x[0])
    if None not in dims:
        return [_op("AvgPoolGrad", [dy], dict(attrs, orig_input_shape=dims))]
    shape = _dyn.shape_of(x[0])
    return [_dyn.shaped_op("AvgPoolGrad", [dy], dict(attrs), shape, key="orig_input_shape")]


@rule("AvgPoolGrad")
def _avg_pool_grad(x, y, attrs, g):
    return [_op("AvgPool", [g], {k: v for k, v in attrs.items() if k != "orig_input_shape"})]


@rule("BiasAdd")
def _bias_add(x, y, attrs, dy):
    return [dy, _op("BiasAddGrad", [dy], {})]


@rule("BiasAddGrad")
def _bias_add_grad(x, y, attrs, g):
    return [A.broadcast_to(g, _shape(x[0]))]


@rule("FusedBatchNormV3")
def _fused_batch_norm(x, y, attrs, dys):
    """Only y's gradient flows (as TF): batch statistics and reserve spaces carry none."""
    if dys[0] is None:
        return [None] * 5
    dx, dscale, doffset, _, _ = _execute(
        "FusedBatchNormGradV3", [dys[0], x[0], x[1], y[3], y[4], y[5]],
        {k: attrs[k] for k in ("epsilon", "is_training", "data_format") if k in attrs},
    )  # fmt: skip
    return [dx, dscale, doffset, None, None]


@rule("FusedBatchNormGradV3")
def _fused_batch_norm_grad(x, y, attrs, dys):
    """Through a composed copy; in training the statistics are recomputed from x (they are
    functions of x there), so the reserve spaces get no gradient, as in TF."""
    dy, xv, scale, mean, var = x[:5]
    eps = float(attrs.get("epsilon", 1e-4))
    training = bool(attrs.get("is_training", True))
    axes = [0, 1, 2]

    def composed(dy, xv, scale, mean, var):
        if training:
            mean = M.reduce_mean(xv, axis=axes)
            var = M.reduce_mean(M.square(M.subtract(xv, mean)), axis=axes)
        rstd = M.rsqrt(M.add(var, eps))
        xh = M.multiply(M.subtract(xv, mean), rstd)
        doffset = M.reduce_sum(dy, axis=axes)
        dscale = M.reduce_sum(M.multiply(dy, xh), axis=axes)
        k = M.multiply(scale, rstd)
        if training:
            n = 1
            for d in xv.shape.as_list()[:3]:
                n = None if d is None or n is None else n * d
            if n is None:  # the count of each channel's entries, at run time
                n = M.cast(M.floordiv(A.size(xv), A.shape(xv)[3]), xv.dtype)
            inner = M.subtract(M.subtract(dy, M.divide(doffset, n)),
                               M.multiply(xh, M.divide(dscale, n)))  # fmt: skip
            dx = M.multiply(k, inner)
        else:
            dx = M.multiply(k, dy)
        return [dx, dscale, doffset]

    grads = _grad_of_composed(composed, [dy, xv, scale, mean, var], dys[:3])
    if training:
        grads[3] = grads[4] = None
    return list(grads) + [None]


@rule("LayerNorm")
def _layer_norm(x, y, attrs, dys):
    """Only y's gradient flows (mean and rstd are statistics, as batch norm's)."""
    if dys[0] is None:
        return [None] * 3
    eps = {"epsilon": attrs.get("epsilon", 1e-3)}  # for LayerNormGrad's own rule
    return _execute("LayerNormGrad", [dys[0], x[0], x[1], y[1], y[2]], eps)


@rule("LayerNormGrad")
def _layer_norm_grad(x, y, attrs, dys):
    """Through a composed copy; mean and rstd are recomputed from x (LayerNorm's outputs are
    functions of x), so they get no gradient of their own."""
    dy, xv, gamma, mean, rstd = x
    eps = float(attrs.get("epsilon", 1e-3))

    def composed(dy, xv, gamma):
        mu = M.reduce_mean(xv, axis=-1, keepdims=True)
        var = M.reduce_mean(M.square(M.subtract(xv, mu)), axis=-1, keepdims=True)
        rs = M.rsqrt(M.add(var, eps))
        xh = M.multiply(M.subtract(xv, mu), rs)
        g = M.multiply(dy, gamma)
        s1 = M.reduce_mean(g, axis=-1, keepdims=True)
        s2 = M.reduce_mean(M.multiply(g, xh), axis=-1, keepdims=True)
        dx = M.multiply(rs, M.subtract(M.subtract(g, s1), M.multiply(xh, s2)))
        lead = list(range(xv.ndim - 1))
        return [dx, M.reduce_sum(M.multiply(dy, xh), axis=lead), M.reduce_sum(dy, axis=lead)]

    grads = _grad_of_composed(composed, [dy, xv, gamma], dys)
    return list(grads) + [None, None]


# The fused backward kernels take the gradients of the outputs y, h (and c); where the saved gates
# get gradients too (a higher-order pass), and for the backward ops themselves, the rules
# differentiate the composed op-by-op copies instead.
MULTI_OUTPUT.update({"LSTMSequence", "LSTMSequenceGrad", "GRUSequence", "GRUSequenceGrad"})


def _vjp_of_composed(composed, ins, out_grads, count):
    """The gradients of ``composed(*ins)[:count]`` for ``out_grads``, on a tape of its own (so
    an outer tape records the backward pass)."""
    with GradientTape() as tape:
        for t in ins:
            tape.watch(t)
        outs = composed(*ins)
    return tape.gradient(outs[:count], list(ins), output_gradients=out_grads)


@rule("LSTMSequence")
def _lstm_sequence(x, y, attrs, dys):
    back = attrs.get("go_backwards", False)
    if dys[3] is not None or dys[4] is not None:
        g = _grad_of_composed(lambda *a: lstm_composed(*a, go_backwards=back), x, dys)
        return [*g[:6], *[None] * len(x[6:])]  # an optional mask (last input) has none
    dy, dh, dc = (_or_zeros(g, t) for g, t in zip(dys[:3], y[:3]))
    ins = [dy, dh, dc, *x[:5], y[0], y[3], y[4], x[5], *x[6:]]
    return [*_execute("LSTMSequenceGrad", ins, attrs), *[None] * len(x[6:])]


@rule("LSTMSequenceGrad")
def _lstm_sequence_grad(x, y, attrs, dys):
    back = attrs.get("go_backwards", False)

    def composed(dy, dh, dc, *ins):
        return _vjp_of_composed(lambda *a: lstm_composed(*a, go_backwards=back), ins,
                                [dy, dh, dc], 3)  # fmt: skip

    g = _grad_of_composed(composed, [*x[:8], *x[11:]], dys)
    return [*g[:8], None, None, None, g[8], *[None] * len(x[12:])]


@rule("GRUSequence")
def _gru_sequence(x, y, attrs, dys):
    kw = {"go_backwards": attrs.get("go_backwards", False),
          "reset_after": attrs.get("reset_after", True)}  # fmt: skip
    if dys[2] is not None:
        g = _grad_of_composed(lambda *a: gru_composed(*a, **kw), x, dys)
        return [*g[:5], *[None] * len(x[5:])]
    dy, dh = (_or_zeros(g, t) for g, t in zip(dys[:2], y[:2]))
    ins = [dy, dh, *x[:4], y[0], y[2], x[4], *x[5:]]
    return [*_execute("GRUSequenceGrad", ins, attrs), *[None] * len(x[5:])]


@rule("GRUSequenceGrad")
def _gru_sequence_grad(x, y, attrs, dys):
    kw = {"go_backwards": attrs.get("go_backwards", False),
          "reset_after": attrs.get("reset_after", True)}  # fmt: skip

    def composed(dy, dh, *ins):
        return _vjp_of_composed(lambda *a: gru_composed(*a, **kw), ins, [dy, dh], 2)

    g = _grad_of_composed(composed, [*x[:6], *x[8:]], dys)
    return [*g[:6], None, None, g[6], *[None] * len(x[9:])]
