"""CPU neural-network kernels: softmax and losses, convolution, pooling, normalization, RNNs."""

from __future__ import annotations

import numpy as np

from .. import _cpu
from ..opdefs import conv_params, pool_params
from ._base import _NUMERIC_CPP, FLOAT_NAMES, _in_float32, _register


def _softmax_kernel(log):
    def kernel(inputs, outputs, attrs):
        _cpu.softmax(inputs[0], outputs[0], log)

    return kernel


def _xent(inputs, outputs, attrs):
    _cpu.softmax_xent(inputs[0], inputs[1], outputs[0], outputs[1])


def _sparse_xent(inputs, outputs, attrs):
    _cpu.sparse_softmax_xent(inputs[0], inputs[1], outputs[0], outputs[1])


# Neural-network kernels (NHWC). The op definitions compute the geometry; C++ does the work.


def _conv_kernel(which, depthwise):
    fn = _cpu.depthwise_conv2d if depthwise else _cpu.conv2d
    op = ("DepthwiseConv2dNative" if depthwise else "Conv2D") + (
        "",
        "BackpropInput",
        "BackpropFilter",
    )[which]

    def kernel(inputs, outputs, attrs):
        if which == 0:  # input, filter -> output
            a, b, c = inputs[0], inputs[1], outputs[0]
        elif which == 1:  # filter, out_backprop -> input gradient
            a, b, c = outputs[0], inputs[0], inputs[1]
        else:  # input, out_backprop -> filter gradient
            a, b, c = inputs[0], outputs[0], inputs[1]
        _, (pt, pl), (sh, sw), (dh, dw) = conv_params(op, a.shape, b.shape, attrs)
        fn(which, a, b, c, sh, sw, dh, dw, pt, pl)

    return kernel


def _pool_kernel(which):
    op = ("MaxPool", "AvgPool", "MaxPoolGrad", "AvgPoolGrad", "MaxPoolGradGrad")[which]

    def kernel(inputs, outputs, attrs):
        if which <= 1:
            x, y, aux = inputs[0], outputs[0], inputs[0]
        elif which == 2:  # orig_input, orig_output, grad -> input gradient
            x, y, aux = outputs[0], inputs[2], inputs[0]
        elif which == 3:  # grad -> input gradient
            x, y, aux = outputs[0], inputs[0], inputs[0]
        else:  # orig_input, orig_output, input-shaped grad -> output-shaped
            x, y, aux = inputs[0], outputs[0], inputs[2]
        _, (pt, pl), (sh, sw), (kh, kw) = pool_params(op, x.shape, attrs)
        _cpu.pool(which, x, y, aux, kh, kw, sh, sw, pt, pl)

    return kernel


def _bias_add(inputs, outputs, attrs):
    _cpu.bias_add(inputs[0], inputs[1], outputs[0])


def _bias_add_grad(inputs, outputs, attrs):
    _cpu.bias_add_grad(inputs[0], outputs[0])


def _batch_norm(inputs, outputs, attrs):
    x, scale, offset, mean, var = inputs
    y, bmean, bvar, r1, r2, _ = outputs
    _cpu.fused_batch_norm(
        x, scale, offset, mean, var, y, bmean, bvar, r1, r2,
        float(attrs.get("epsilon", 1e-4)),
        float(attrs.get("exponential_avg_factor", 1.0)),
        bool(attrs.get("is_training", True)),
    )  # fmt: skip


def _batch_norm_grad(inputs, outputs, attrs):
    dy, x, scale, mean, var, _ = inputs
    dx, dscale, doffset, _, _ = outputs
    _cpu.fused_batch_norm_grad(
        dy, x, scale, mean, var, dx, dscale, doffset,
        float(attrs.get("epsilon", 1e-4)), bool(attrs.get("is_training", True)),
    )  # fmt: skip


def _layer_norm(inputs, outputs, attrs):
    _cpu.layer_norm(*inputs, *outputs, float(attrs.get("epsilon", 1e-3)))


def _layer_norm_grad(inputs, outputs, attrs):
    _cpu.layer_norm_grad(*inputs, *outputs)


def _rnn_mask(inputs, index):
    """The optional mask input, or an empty array (no mask)."""
    return inputs[index] if len(inputs) > index else np.empty((0,), inputs[0].dtype)


def _lstm_sequence(inputs, outputs, attrs):
    _cpu.lstm_sequence(
        *inputs[:6], _rnn_mask(inputs, 6), *outputs, bool(attrs.get("go_backwards", False))
    )


def _lstm_sequence_grad(inputs, outputs, attrs):
    _cpu.lstm_sequence_grad(
        *inputs[:11], _rnn_mask(inputs, 12), *outputs, bool(attrs.get("go_backwards", False))
    )  # inputs[11], the bias, is for the gradient rule's composed copy


def _gru_sequence(inputs, outputs, attrs):
    _cpu.gru_sequence(
        *inputs[:5], _rnn_mask(inputs, 5), *outputs, bool(attrs.get("go_backwards", False)),
        bool(attrs.get("reset_after", True)),
    )  # fmt: skip


def _gru_sequence_grad(inputs, outputs, attrs):
    _cpu.gru_sequence_grad(
        *inputs[:8], _rnn_mask(inputs, 9), *outputs, bool(attrs.get("go_backwards", False)),
        bool(attrs.get("reset_after", True)),
    )  # fmt: skip


def register():
    """Register softmax and the losses, convolution, pooling, normalization and the RNNs."""
    f32 = _in_float32
    _register("Softmax", _softmax_kernel(False), FLOAT_NAMES, half=f32)
    _register("LogSoftmax", _softmax_kernel(True), FLOAT_NAMES, half=f32)
    _register("SoftmaxCrossEntropyWithLogits", _xent, FLOAT_NAMES, half=f32)
    _register("SparseSoftmaxCrossEntropyWithLogits", _sparse_xent, FLOAT_NAMES, half=f32)
    for which, suffix in enumerate(("", "BackpropInput", "BackpropFilter")):
        conv_types = FLOAT_NAMES + (("int32",) if which < 2 else ())  # TF's, not the filter's
        _register("Conv2D" + suffix, _conv_kernel(which, False), conv_types, half=f32)
        _register("DepthwiseConv2dNative" + suffix, _conv_kernel(which, True), FLOAT_NAMES,
                  half=f32)  # fmt: skip
    for which, name in enumerate(
        ("MaxPool", "AvgPool", "MaxPoolGrad", "AvgPoolGrad", "MaxPoolGradGrad")
    ):
        pool_types = FLOAT_NAMES if which in (1, 3) else _NUMERIC_CPP  # max passes: integers
        _register(name, _pool_kernel(which), pool_types, half=f32)
    _register("BiasAdd", _bias_add, half=f32)
    _register("BiasAddGrad", _bias_add_grad, half=f32)
    # 16-bit x (and y_backprop) with float32 scale and statistics: x widened, y rounded back
    _register("FusedBatchNormV3", _batch_norm, FLOAT_NAMES, half=f32)
    _register("FusedBatchNormGradV3", _batch_norm_grad, FLOAT_NAMES, half=f32)
    _register("LayerNorm", _layer_norm, FLOAT_NAMES)
    _register("LayerNormGrad", _layer_norm_grad, FLOAT_NAMES)
    _register("LSTMSequence", _lstm_sequence, FLOAT_NAMES)
    _register("LSTMSequenceGrad", _lstm_sequence_grad, FLOAT_NAMES)
    _register("GRUSequence", _gru_sequence, FLOAT_NAMES)
    _register("GRUSequenceGrad", _gru_sequence_grad, FLOAT_NAMES)
