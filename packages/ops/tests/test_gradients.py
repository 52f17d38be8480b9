"""Every gradient rule against central finite differences, at orders 1 and 2."""

import numpy as np
import pytest

import tensorhouse_kernels
import tensorhouse_ops as tf
from tensorhouse_ops import _grad_rules
from tensorhouse_ops import _math as M
from tensorhouse_ops import _math_special as S
from tensorhouse_ops._tensor import _execute, _op

RNG = np.random.default_rng(0)


def _pos(shape):
    return RNG.uniform(0.5, 2.0, size=shape)


def _any(shape):
    return RNG.uniform(-2.0, 2.0, size=shape)


def _away_from_zero(shape):
    return RNG.uniform(0.3, 1.5, size=shape) * RNG.choice([-1.0, 1.0], size=shape)


def _relu6_features(shape):  # away from the kinks at 0 and 6
    return RNG.choice([-1.0, 1.0, 3.0, 5.0, 7.0], size=shape) + RNG.uniform(-0.4, 0.4, size=shape)


def _distinct(shape):  # no ties (TopKV2, Max)
    n = int(np.prod(shape))
    return (RNG.permutation(n) * 0.37 - n * 0.15).reshape(shape) + RNG.uniform(0, 0.1, shape)


def _distributions(shape):  # rows that sum to 1, as the fused loss's backprop assumes (TF too)
    p = RNG.uniform(0.1, 1.0, size=shape)
    return p / p.sum(axis=-1, keepdims=True)


SELECT_COND = tf.constant([[True, False, True], [False, False, True]])
SPARSE_LABELS = tf.constant([2, 0, 3], dtype=tf.int64)
SLICE_GRAD_ATTRS = {"begin": (1, 0), "end": (0, 0), "strides": (1, -2), "begin_mask": 2,
                    "end_mask": 3, "new_axis_mask": 0, "ellipsis_mask": 0,
                    "shrink_axis_mask": 0, "shape": (3, 5)}  # fmt: skip


def _first_and_third(parts):
    return parts[0] * 2.0 + parts[2]


# neural-network ops: small NHWC geometries with strides, dilations and padding
CONV = {"strides": [1, 2, 1, 1], "padding": "SAME", "dilations": [1, 1, 2, 1]}
CONV_X, CONV_F, CONV_DY = (1, 5, 4, 2), (2, 2, 2, 3), (1, 3, 4, 3)
DW_F, DW_DY = (2, 2, 2, 2), (1, 3, 4, 4)
POOL = {"ksize": [1, 2, 2, 1], "strides": [1, 2, 1, 1], "padding": "SAME"}
POOL_X = tf.constant(_distinct((1, 4, 3, 2)))
POOL_Y = _op("MaxPool", [POOL_X], POOL)


def _conv_backprop(op, sizes_attr, sizes):
    return lambda a, b: _op(op, [a, b], dict(CONV, **{sizes_attr: sizes}))


def _bn_grad_outputs(dy, x, scale):
    """FusedBatchNormGradV3 fed by FusedBatchNormV3's reserve spaces (functions of x)."""
    outs = _execute("FusedBatchNormV3", [x, scale, scale, tf.zeros([0], tf.float64),
                                         tf.zeros([0], tf.float64)], {"epsilon": 0.01})  # fmt: skip
    dx, dscale, doffset, _, _ = _execute(
        "FusedBatchNormGradV3", [dy, x, scale, outs[3], outs[4], outs[5]], {"epsilon": 0.01}
    )
    return dx + dscale + doffset * 2.0


def _ln_grad_outputs(dy, x, gamma):
    _, mean, rstd = _execute("LayerNorm", [x, gamma, gamma], {"epsilon": 0.01})
    dx, dgamma, dbeta = _execute("LayerNormGrad", [dy, x, gamma, mean, rstd], {"epsilon": 0.01})
    return dx + dgamma + dbeta * 2.0


NN_CASES = {
    "Conv2D": (lambda x, f: _op("Conv2D", [x, f], CONV), [_any(CONV_X), _any(CONV_F)]),
    "Conv2DBackpropInput": (
        _conv_backprop("Conv2DBackpropInput", "input_sizes", CONV_X),
        [_any(CONV_F), _any(CONV_DY)],
    ),
    "Conv2DBackpropFilter": (
        _conv_backprop("Conv2DBackpropFilter", "filter_sizes", CONV_F),
        [_any(CONV_X), _any(CONV_DY)],
    ),
    "DepthwiseConv2dNative": (
        lambda x, f: _op("DepthwiseConv2dNative", [x, f], CONV),
        [_any(CONV_X), _any(DW_F)],
    ),
    "DepthwiseConv2dNativeBackpropInput": (
        _conv_backprop("DepthwiseConv2dNativeBackpropInput", "input_sizes", CONV_X),
        [_any(DW_F), _any(DW_DY)],
    ),
    "DepthwiseConv2dNativeBackpropFilter": (
        _conv_backprop("DepthwiseConv2dNativeBackpropFilter", "filter_sizes", DW_F),
        [_any(CONV_X), _any(DW_DY)],
    ),
    "MaxPool": (lambda x: _op("MaxPool", [x], POOL), [_distinct((1, 4, 3, 2))]),
    "MaxPoolGrad": (lambda g: _op("MaxPoolGrad", [POOL_X, POOL_Y, g], POOL), [_any((1, 2, 3, 2))]),
    "MaxPoolGradGrad": (
        lambda g: _op("MaxPoolGradGrad", [POOL_X, POOL_Y, g], POOL),
        [_any((1, 4, 3, 2))],
    ),
    "AvgPool": (lambda x: _op("AvgPool", [x], POOL), [_any((1, 4, 3, 2))]),
    "AvgPoolGrad": (
        lambda g: _op("AvgPoolGrad", [g], dict(POOL, orig_input_shape=(1, 4, 3, 2))),
        [_any((1, 2, 3, 2))],
    ),
    "BiasAdd": (tf.nn.bias_add, [_any((2, 3, 4)), _any((4,))]),
    "BiasAddGrad": (lambda d: _op("BiasAddGrad", [d]), [_any((2, 3, 4))]),
    "FusedBatchNormV3": (
        lambda x, s, o: tf.nn.fused_batch_norm(x, s, o, epsilon=0.01)[0],
        [_any((2, 2, 3, 2)), _pos((2,)), _any((2,))],
    ),
    "FusedBatchNormGradV3": (
        _bn_grad_outputs,
        [_any((2, 2, 1, 2)), _any((2, 2, 1, 2)), _pos((2,))],
    ),
    "LayerNorm": (
        lambda x, g, b: tf.nn.layer_norm(x, g, b, epsilon=0.01),
        [_any((3, 4)), _pos((4,)), _any((4,))],
    ),
    "LayerNormGrad": (_ln_grad_outputs, [_any((2, 4)), _any((2, 4)), _pos((4,))]),
}

FUSED_PROGRAM = (
    ("input", 0),
    ("input", 1),
    ("binary", "Mul", 0, 1),
    ("unary", "Tanh", 2),
    ("const", 0.5),
    ("binary", "SquaredDifference", 3, 4),
    ("binary", "Sub", 5, 0),
)


def _fused_two_outputs(a, b):  # tanh(a b) and (tanh(a b) - 0.5)^2 - a, b a scalar
    outs = _execute("FusedElementwise", [a, b], {"program": FUSED_PROGRAM, "outputs": (3, 6)})
    return outs[0] + 3.0 * outs[1]


# op type -> (function of float64 tensors, input generators)
CASES = {
    "Identity": (tf.identity, [_any((3,))]),
    "Neg": (tf.negative, [_any((3,))]),
    "Abs": (tf.abs, [_away_from_zero((4,))]),
    "Square": (tf.square, [_any((2, 3))]),
    "Sqrt": (tf.sqrt, [_pos((3,))]),
    "Rsqrt": (M.rsqrt, [_pos((3,))]),
    "Exp": (tf.exp, [_any((3,))]),
    "Expm1": (M.expm1, [_any((3,))]),
    "FusedElementwise": (lambda a, b: _fused_two_outputs(a, b), [_any((2, 3)), _any(())]),
    "Log": (tf.log, [_pos((3,))]),
    "Log1p": (M.log1p, [_pos((3,))]),
    "Reciprocal": (M.reciprocal, [_pos((3,))]),
    "Sin": (M.sin, [_any((3,))]),
    "Cos": (M.cos, [_any((3,))]),
    "Tan": (M.tan, [RNG.uniform(-1, 1, (3,))]),
    "Tanh": (tf.tanh, [_any((3,))]),
    "Sigmoid": (tf.sigmoid, [_any((3,))]),
    "Relu": (tf.nn.relu, [_away_from_zero((5,))]),
    "ReluGrad": (M.relu_grad, [_any((4,)), _away_from_zero((4,))]),
    "SigmoidGrad": (M.sigmoid_grad, [RNG.uniform(0.1, 0.9, (3,)), _any((3,))]),
    "TanhGrad": (M.tanh_grad, [RNG.uniform(-0.9, 0.9, (3,)), _any((3,))]),
    "AddV2": (tf.add, [_any((2, 3)), _any((3,))]),
    "Sub": (tf.subtract, [_any((2, 1)), _any((1, 3))]),
    "Mul": (tf.multiply, [_any((2, 3)), _any((2, 1))]),
    "RealDiv": (M.realdiv, [_any((3,)), _pos((2, 3))]),
    "SquaredDifference": (M.squared_difference, [_any((2, 3)), _any((3,))]),
    "Pow": (tf.pow, [_pos((3,)), _any((3,))]),
    "Maximum": (tf.maximum, [_any((4,)), _any((4,)) + 0.1]),
    "Minimum": (tf.minimum, [_any((4,)), _any((4,)) + 0.1]),
    "Sum": (lambda x: tf.reduce_sum(x, axis=1), [_any((2, 3, 2))]),
    "Mean": (lambda x: tf.reduce_mean(x, axis=[0, 2], keepdims=True), [_any((2, 3, 2))]),
    "Max": (lambda x: tf.reduce_max(x, axis=0), [_any((3, 4))]),
    "Min": (lambda x: tf.reduce_min(x, axis=-1), [_any((3, 4))]),
    "Prod": (lambda x: tf.reduce_prod(x, axis=0), [_away_from_zero((3, 2))]),
    "MatMul": (lambda a, b: tf.matmul(a, b), [_any((2, 3)), _any((3, 4))]),
    "Reshape": (lambda x: tf.reshape(x, [3, -1]), [_any((2, 3))]),
    "Transpose": (lambda x: tf.transpose(x, [2, 0, 1]), [_any((2, 3, 4))]),
    "BroadcastTo": (lambda x: tf.broadcast_to(x, [2, 3, 4]), [_any((3, 1))]),
    "Cast": (lambda x: tf.cast(tf.cast(x, tf.float32), tf.float64), [_any((3,))]),
    # elementwise additions
    "Erf": (M.erf, [_any((4,))]),
    "Elu": (tf.nn.elu, [_away_from_zero((5,))]),
    "Selu": (tf.nn.selu, [_away_from_zero((5,))]),
    "Softplus": (tf.nn.softplus, [_any((4,)) * 3]),
    "Relu6": (tf.nn.relu6, [_relu6_features((6,))]),
    "EluGrad": (M.elu_grad, [_any((4,)), _away_from_zero((4,))]),
    "SeluGrad": (M.selu_grad, [_any((4,)), _away_from_zero((4,))]),
    "SoftplusGrad": (M.softplus_grad, [_any((4,)), _any((4,))]),
    "Relu6Grad": (M.relu6_grad, [_any((6,)), _relu6_features((6,))]),
    "SelectV2": (lambda t, e: tf.where(SELECT_COND, t, e), [_any((2, 3)), _any((3,))]),
    "FloorMod": (M.floormod, [_any((2, 3)), _pos((3,))]),
    # along one axis, batched matmul
    "Cumsum": (lambda x: tf.cumsum(x, axis=1, exclusive=True, reverse=True), [_any((2, 4))]),
    "Cumprod": (lambda x: M.cumprod(x, axis=0), [_away_from_zero((3, 2))]),
    "TopKV2": (lambda x: M.top_k(x, 2).values, [_distinct((3, 5))]),
    "BatchMatMulV2": (lambda a, b: tf.matmul(a, b), [_any((2, 2, 3)), _any((3, 4))]),
    # softmax and the fused losses
    "Softmax": (tf.nn.softmax, [_any((2, 4))]),
    "LogSoftmax": (tf.nn.log_softmax, [_any((2, 4))]),
    "SoftmaxCrossEntropyWithLogits": (
        lambda logits, labels: tf.nn.softmax_cross_entropy_with_logits(labels, logits),
        [_any((3, 4)), _distributions((3, 4))],
    ),
    "SparseSoftmaxCrossEntropyWithLogits": (
        lambda logits: tf.nn.sparse_softmax_cross_entropy_with_logits(SPARSE_LABELS, logits),
        [_any((3, 4))],
    ),
    # array ops
    "ConcatV2": (lambda a, b: tf.concat([a, b], axis=1), [_any((2, 3)), _any((2, 2))]),
    # squared: the second order goes through Pack's rule (Unpack) and Unpack's (Pack)
    "Pack": (lambda a, b: tf.square(tf.stack([a, b], axis=1)), [_any((2, 3)), _any((2, 3))]),
    "Unpack": (lambda x: _first_and_third(tf.square(tf.unstack(x, 3, axis=1))), [_any((2, 3))]),
    "Split": (lambda x: _first_and_third(tf.split(x, 3, axis=1)), [_any((2, 6))]),
    "SplitV": (lambda x: _first_and_third(tf.split(x, [2, 1, -1], axis=0)), [_any((5, 2))]),
    "Slice": (lambda x: tf.slice(x, [1, 0], [1, -1]), [_any((3, 4))]),
    "Pad": (lambda x: tf.pad(x, [[1, 0], [2, 1]], constant_values=3.0), [_any((2, 3))]),
    "StridedSlice": (lambda x: x[1:, ::-2, None], [_any((3, 5))]),
    "StridedSliceGrad": (
        lambda dy: _op("StridedSliceGrad", [dy], SLICE_GRAD_ATTRS),
        [_any((2, 3))],
    ),
    "Tile": (lambda x: tf.tile(x, [2, 3]), [_any((2, 2))]),
    "ReverseV2": (lambda x: tf.reverse(x, [0, 1]), [_any((2, 3))]),
    "GatherV2": (lambda p: tf.gather(p, [2, 0, 2], axis=1), [_any((2, 4, 3))]),
    "GatherNd": (lambda p: tf.gather_nd(p, [[0, 1], [2, 0], [0, 1]]), [_any((3, 2, 2))]),
    "ScatterNd": (lambda u: tf.scatter_nd([[1], [3], [1]], u, [5, 2]), [_any((3, 2))]),
    "MirrorPad": (
        lambda x: (
            tf.pad(x, [[2, 1], [3, 3]], mode="REFLECT")
            + 0.5 * tf.pad(x, [[1, 2], [2, 4]], mode="SYMMETRIC")
        ),
        [_any((3, 4))],
    ),
    "TensorScatterUpdate": (
        lambda t, u: tf.tensor_scatter_nd_update(t, [[1], [3], [1]], u),
        [_any((5, 2)), _any((3, 2))],
    ),
    "UnsortedSegmentSum": (
        lambda d: M.unsorted_segment_sum(d, [0, 2, -1, 0], 3),
        [_any((4, 2))],
    ),
}
CASES.update(NN_CASES)


# dense linear algebra: well-conditioned inputs from a generator of their own
LINALG_RNG = np.random.default_rng(1)


def _well_conditioned(shape):  # +-1 on the diagonal, small noise elsewhere, rows permuted
    n = shape[-1]
    signs = LINALG_RNG.choice([-1.0, 1.0], shape[:-1])[..., None, :]
    a = LINALG_RNG.uniform(-0.3, 0.3, size=shape) / n + np.eye(n) * signs
    return a[..., LINALG_RNG.permutation(n), :]


def _spd(n):
    low = np.tril(LINALG_RNG.uniform(-0.5, 0.5, (n, n)), -1)
    low = low + np.diag(LINALG_RNG.uniform(1.0, 2.0, n))
    return low @ low.T


LINALG_CASES = {
    "MatrixInverse": (
        lambda a: tf.linalg.inv(a) + tf.linalg.inv(a, adjoint=True) * 0.5,
        [_well_conditioned((2, 3, 3))],
    ),
    "MatrixSolve": (
        lambda a, b: tf.linalg.solve(a, b) + tf.linalg.solve(a, b, adjoint=True) * 0.5,
        [_well_conditioned((2, 3, 3)), LINALG_RNG.uniform(-2.0, 2.0, (2, 3, 2))],
    ),
    "MatrixDeterminant": (tf.linalg.det, [_well_conditioned((2, 3, 3))]),
    "LogMatrixDeterminant": (
        lambda a: tf.linalg.slogdet(a).log_abs_determinant,
        [_well_conditioned((2, 3, 3))],
    ),
    # symmetrized first: the rule is the gradient of a symmetric input, as TF's
    "Cholesky": (lambda a: tf.linalg.cholesky((a + tf.transpose(a)) * 0.5), [_spd(3)]),
}


CASES.update(LINALG_CASES)


def _flat(*ts):
    return tf.concat([tf.reshape(t, [-1]) for t in ts], 0)


def _proj(u):  # u diag(w) u^T: the same for either sign of each column
    return tf.matmul(u * np.linspace(0.5, 1.5, u.shape[-1]), u, transpose_b=True)


def _svd_parts(a):
    s, u, v = tf.linalg.svd(a)
    return _flat(s, _proj(u), _proj(v))


def _eigh_parts(a):
    e, v = tf.linalg.eigh(a)
    return _flat(e, _proj(v))


M_ = tf.math
IDS = [1, 0, 1, -1, 2, 1]  # every segment has rows (no lowest / highest identities)
DECOMP_CASES = {
    "Qr": (lambda a: _flat(*tf.linalg.qr(a)), [_any((2, 4, 3))]),
    "Svd": (_svd_parts, [_any((4, 3))]),
    "SelfAdjointEigV2": (_eigh_parts, [_any((3, 3))]),
    "Lu": (lambda a: tf.linalg.lu(a).lu, [_well_conditioned((2, 3, 3))]),
    "UnsortedSegmentMax": (lambda d: M_.unsorted_segment_max(d, IDS, 3), [_distinct((6, 2))]),
    "UnsortedSegmentMin": (lambda d: M_.unsorted_segment_min(d, IDS, 3), [_distinct((6, 2))]),
    "UnsortedSegmentProd": (lambda d: M_.unsorted_segment_prod(d, IDS, 3), [_any((6, 2))]),
    "SegmentSum": (lambda d: tf.math.segment_sum(d, [0, 0, 2, 2, 2]), [_any((5, 2))]),
    "SegmentMean": (lambda d: tf.math.segment_mean(d, [0, 0, 2, 2, 2]), [_any((5, 2))]),
    "SegmentMax": (lambda d: tf.math.segment_max(d, [0, 0, 2, 2, 2]), [_distinct((5, 2))]),
    "SegmentMin": (lambda d: tf.math.segment_min(d, [0, 0, 2, 2, 2]), [_distinct((5, 2))]),
    "SegmentProd": (lambda d: tf.math.segment_prod(d, [0, 0, 2, 2, 2]), [_any((5, 2))]),
}  # fmt: skip
CASES.update(DECOMP_CASES)
# inverse trigonometric / hyperbolic functions, lgamma, digamma, atan2, zeta and polygamma (the
# last two differentiate in their second argument only, as TF's)
_MRNG = np.random.default_rng(21)
_ZETA_S = tf.constant(np.array([2.5, 3.0, 4.0]))
_POLYGAMMA_N = tf.constant(np.array([0.0, 1.0, 2.0]))
CASES.update({
    "Atan": (M.atan, [_MRNG.uniform(-2, 2, (3,))]),
    "Acos": (M.acos, [_MRNG.uniform(-0.9, 0.9, (3,))]),
    "Asin": (M.asin, [_MRNG.uniform(-0.9, 0.9, (3,))]),
    "Sinh": (M.sinh, [_MRNG.uniform(-2, 2, (3,))]),
    "Cosh": (M.cosh, [_MRNG.uniform(-2, 2, (3,))]),
    "Acosh": (M.acosh, [_MRNG.uniform(1.2, 3.0, (3,))]),
    "Asinh": (M.asinh, [_MRNG.uniform(-2, 2, (3,))]),
    "Atanh": (M.atanh, [_MRNG.uniform(-0.9, 0.9, (3,))]),
    "Lgamma": (M.lgamma, [np.array([0.7, 2.5, -1.5])]),
    "Digamma": (M.digamma, [np.array([0.7, 2.5, -1.5])]),
    "Atan2": (M.atan2, [_MRNG.uniform(-2, 2, (2, 3)), np.array([0.8, -1.1, 0.4])]),
    "Zeta": (lambda q: M.zeta(_ZETA_S, q), [_MRNG.uniform(0.5, 3.0, (3,))]),
    "Polygamma": (lambda x: M.polygamma(_POLYGAMMA_N, x), [_MRNG.uniform(0.5, 3.0, (3,))]),
})  # fmt: skip
# the special functions of _math_special (x away from 0, where TF's BesselI1 rule gives 1)
CASES.update({
    "Erfinv": (S.erfinv, [np.array([-0.7, 0.1, 0.9])]),
    "Ndtri": (S.ndtri, [np.array([0.05, 0.5, 0.8])]),
    "BesselI0": (S.bessel_i0, [np.array([-2.5, 0.3, 4.0])]),
    "BesselI0e": (S.bessel_i0e, [np.array([-2.5, 0.3, 4.0])]),
    "BesselI1": (S.bessel_i1, [np.array([-2.5, 0.3, 4.0])]),
    "BesselI1e": (S.bessel_i1e, [np.array([-2.5, 0.3, 4.0])]),
    "NextAfter": (S.nextafter, [np.array([[0.5, -1.5, 2.0]]), np.array([[3.0], [-3.0]])]),
})  # fmt: skip
# whole-sequence LSTM / GRU (batch 2, 3 steps, 2 features, 2 units); the gradient ops are fed by
# their forward ops, whose saved gates are functions of the inputs
_RRNG = np.random.default_rng(23)
_R_H0, _R_C0, _R_RK4, _R_RK3, _R_B4, _R_B3 = (
    tf.constant(_RRNG.uniform(-1, 1, s)) for s in ((2, 2), (2, 2), (2, 8), (2, 6), (8,), (2, 6))
)
_R_BACK = {"go_backwards": True}


def _lstm_grad_outputs(dy, x, kernel):
    ins = [x, _R_H0, _R_C0, kernel, _R_RK4, _R_B4]
    y, h, c, gates, cs = _execute("LSTMSequence", ins, _R_BACK)
    grads = _execute("LSTMSequenceGrad", [dy, h * 0.5, c, *ins[:5], y, gates, cs, _R_B4], _R_BACK)
    return _flat(*grads)


def _gru_grad_outputs(dy, x, kernel):
    ins = [x, _R_H0, kernel, _R_RK3, _R_B3]
    y, h, saved = _execute("GRUSequence", ins, {})
    return _flat(*_execute("GRUSequenceGrad", [dy, h * 0.5, *ins[:4], y, saved, _R_B3], {}))


CASES.update({
    "LSTMSequence": (
        lambda x, h0, c0, k, rk, b: _flat(*tf.nn.lstm_sequence(x, h0, c0, k, rk, b, True)),
        [_any((2, 3, 2)), _any((2, 2)), _any((2, 2)), _any((2, 8)), _any((2, 8)), _any((8,))],
    ),
    "LSTMSequenceGrad": (_lstm_grad_outputs, [_any((2, 3, 2)), _any((2, 3, 2)), _any((2, 8))]),
    "GRUSequence": (
        lambda x, h0, k, rk, b: _flat(*tf.nn.gru_sequence(x, h0, k, rk, b)),
        [_any((2, 3, 2)), _any((2, 2)), _any((2, 6)), _any((2, 6)), _any((2, 6))],
    ),
    "GRUSequenceGrad": (_gru_grad_outputs, [_any((2, 3, 2)), _any((2, 3, 2)), _any((2, 6))]),
})  # fmt: skip
MATMUL_FLAGS = [(False, True), (True, False), (True, True)]
FLAT_IN_FEATURES = {"ReluGrad", "Relu6Grad"}


# complex ops, through real inputs and outputs: z = Complex(a, b), and a real mix of the parts
def _cz(a, b):
    return _op("Complex", [a, b])


def _parts(z):
    return _op("Real", [z]) + _op("Imag", [z]) * 0.7


def _spectrum(op, lengths=None):
    attrs = {} if lengths is None else {"fft_length": lengths}
    return lambda a, b: _parts(_op(op, [_cz(a, b)], attrs))


CASES.update({
    "Complex": (lambda a, b: _parts(_op("Mul", [_cz(a, b), _cz(b, a)])),
                [_any((2, 3)), _any((3,))]),
    "Real": (lambda a, b: _op("Real", [_op("Mul", [_cz(a, b), _cz(a, b)])]), [_any((4,))] * 2),
    "Imag": (lambda a, b: _op("Imag", [_op("Exp", [_cz(a, b)])]), [_any((4,)), _any((4,))]),
    "Conj": (lambda a, b: _parts(_op("Mul", [_op("Conj", [_cz(a, b)]), _cz(b, a)])),
             [_any((4,)), _any((4,))]),
    "ComplexAbs": (lambda a, b: _op("ComplexAbs", [_cz(a, b)]), [_away_from_zero((5,))] * 2),
    "Angle": (lambda a, b: _op("Angle", [_cz(a, b)]), [_pos((5,)), _any((5,))]),
    "FFT": (_spectrum("FFT"), [_any((2, 5)), _any((2, 5))]),
    "IFFT": (_spectrum("IFFT"), [_any((2, 6)), _any((2, 6))]),
    "FFT2D": (_spectrum("FFT2D"), [_any((2, 3, 4)), _any((2, 3, 4))]),
    "IFFT2D": (_spectrum("IFFT2D"), [_any((3, 5)), _any((3, 5))]),
    "FFT3D": (_spectrum("FFT3D"), [_any((2, 2, 3)), _any((2, 2, 3))]),
    "IFFT3D": (_spectrum("IFFT3D"), [_any((1, 2, 3, 2)), _any((1, 2, 3, 2))]),
    "RFFT": (lambda a: _parts(_op("RFFT", [a], {"fft_length": (7,)})), [_any((2, 5))]),
    "RFFT2D": (lambda a: _parts(_op("RFFT2D", [a], {"fft_length": (3, 6)})), [_any((2, 4, 5))]),
    "RFFT3D": (lambda a: _parts(_op("RFFT3D", [a], {"fft_length": (2, 3, 5)})),
               [_any((2, 3, 4))]),
    "IRFFT": (lambda a, b: _op("IRFFT", [_cz(a, b)], {"fft_length": (6,)}), [_any((2, 5))] * 2),
    "IRFFT2D": (lambda a, b: _op("IRFFT2D", [_cz(a, b)], {"fft_length": (4, 5)}),
                [_any((2, 3, 4)), _any((2, 3, 4))]),
    "IRFFT3D": (lambda a, b: _op("IRFFT3D", [_cz(a, b)], {"fft_length": (2, 3, 4)}),
                [_any((2, 2, 3, 3)), _any((2, 2, 3, 3))]),
})  # fmt: skip


def _eig_parts(a):  # the eigenvalues and each V diag(w) V^H: the same for any column phase
    e, v = tf.linalg.eig(a)
    w = tf.cast(tf.linspace(0.5, 1.5, 3), v.dtype)
    return _flat(_parts(e), _parts(tf.matmul(v * w, v, adjoint_b=True)))


# real eigenvalues (the first), a complex pair (the second)
CASES["Eig"] = (
    _eig_parts,
    [
        np.array(
            [
                [[2.0, 1.0, 0.5], [0.3, 1.0, -1.0], [0.2, 0.4, 3.0]],
                [[0.5, -2.0, 0.1], [1.0, 0.5, 0.3], [0.2, 0.0, -1.5]],
            ]
        )
    ],
)


def _numeric_jacobian(f, args, i, eps=1e-6):
    """d sum(f * weights) / d args[i] by central differences (weights fix a random cotangent)."""
    base = np.asarray(f(*[tf.constant(a) for a in args]))
    weights = np.linspace(0.5, 1.5, base.size).reshape(base.shape)
    grad = np.zeros_like(args[i])
    for idx in np.ndindex(*args[i].shape):
        plus = [a.copy() for a in args]
        minus = [a.copy() for a in args]
        plus[i][idx] += eps
        minus[i][idx] -= eps
        fp = np.asarray(f(*[tf.constant(a) for a in plus]))
        fm = np.asarray(f(*[tf.constant(a) for a in minus]))
        grad[idx] = np.sum((fp - fm) * weights) / (2 * eps)
    return grad, weights


def _tape_grads(f, args, weights):
    xs = [tf.constant(a) for a in args]
    with tf.GradientTape(persistent=True) as tape:
        for x in xs:
            tape.watch(x)
        y = f(*xs)
        target = tf.reduce_sum(y * tf.constant(weights))
    return [None if g is None else g.numpy() for g in tape.gradient(target, xs)]


@pytest.mark.parametrize("op_type", sorted(CASES))
def test_first_order(op_type):
    f, args = CASES[op_type]
    eps = 1e-2 if op_type == "Cast" else 1e-6  # Cast goes through float32; it is linear
    for i in range(len(args)):
        expected, weights = _numeric_jacobian(f, args, i, eps)
        got = _tape_grads(f, args, weights)[i]
        if op_type in FLAT_IN_FEATURES and i == 1:  # as TF defines them
            assert got is None or np.allclose(got, 0)
            continue
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6, err_msg=op_type)


@pytest.mark.parametrize("flags", MATMUL_FLAGS)
def test_matmul_transpose_flags(flags):
    ta, tb = flags
    a = _any((3, 2) if ta else (2, 3))
    b = _any((4, 3) if tb else (3, 4))

    def f(x, y):
        return tf.matmul(x, y, transpose_a=ta, transpose_b=tb)

    for i in range(2):
        expected, weights = _numeric_jacobian(f, [a, b], i)
        np.testing.assert_allclose(_tape_grads(f, [a, b], weights)[i], expected, rtol=1e-6)


# Piecewise-linear ops have a zero second derivative almost everywhere: checked at order 1 only.
PIECEWISE_LINEAR = {"ReluGrad", "Relu", "Abs", "Max", "Min", "Maximum", "Minimum", "Cast",
                    "Relu6", "Relu6Grad", "FloorMod", "TopKV2", "MaxPool", "MaxPoolGrad",
                    "MaxPoolGradGrad", "UnsortedSegmentMax", "UnsortedSegmentMin", "SegmentMax",
                    "SegmentMin"}  # fmt: skip
SECOND_ORDER = [op for op in sorted(CASES) if op not in PIECEWISE_LINEAR]


@pytest.mark.parametrize("op_type", SECOND_ORDER)
def test_second_order(op_type):
    """Differentiate the first-order gradient (a function of the inputs) once more."""
    f, args = CASES[op_type]
    base = np.asarray(f(*[tf.constant(a) for a in args]))
    weights = np.linspace(0.5, 1.5, base.size).reshape(base.shape)

    def first_grad(*xs):
        with tf.GradientTape() as tape:
            tape.watch(xs[0])
            target = tf.reduce_sum(f(*xs) * tf.constant(weights))
        g = tape.gradient(target, xs[0])
        return g if g is not None else tf.zeros_like(xs[0])

    expected, w2 = _numeric_jacobian(first_grad, args, 0, eps=1e-5)
    got = _tape_grads(first_grad, args, w2)[0]
    got = np.zeros_like(expected) if got is None else got
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5, err_msg=op_type)


def test_every_kernel_op_has_a_rule_or_is_marked_non_differentiable():
    known = set(tensorhouse_kernels.list_op_defs())
    missing = known - set(_grad_rules.RULES) - _grad_rules.NON_DIFFERENTIABLE
    assert not missing, f"ops with no gradient rule: {sorted(missing)}"
    # DynamicShape (a graph-only op of traces with unknown dims) is checked in test_unknown_dims;
    # TruncateMod's rule only raises TF's LookupError (below)
    # the resizes compute in float32 whatever the image (too coarse for these float64 central
    # differences): test_image.py checks them by finite differences and to second order
    resizes = {"ResizeBilinear", "ResizeBilinearGrad", "ResizeNearestNeighbor",
               "ResizeNearestNeighborGrad"}  # fmt: skip
    # SumTo and GradOf (run-time shapes) are checked in test_gradients_run_time_shapes
    run_time = {"DynamicShape", "SumTo", "GradOf", "TruncateMod"}
    untested = set(_grad_rules.RULES) - set(CASES) - run_time - resizes
    assert not untested, f"gradient rules with no finite-difference case: {sorted(untested)}"


def test_truncatemod_has_no_gradient_as_in_tf():
    x = tf.Variable([5.0, -7.0])
    with tf.GradientTape() as tape:
        y = tf.truncatemod(x, 3.0)
    np.testing.assert_array_equal(y.numpy(), [2.0, -1.0])
    with pytest.raises(LookupError, match="no entry for: TruncateMod"):
        tape.gradient(y, x)


def test_prod_gradient_with_zeros_is_finite_and_exact():
    x = tf.constant([[2.0, 0.0, 3.0], [0.0, 0.0, 5.0], [1.0, 4.0, 2.0]], dtype=tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_prod(x, axis=1)
    g = tape.gradient(y, x).numpy()
    # row 0: one zero -> only the zero's slot gets the product of the others (2*3)
    # row 1: two zeros -> all zero; row 2: no zero -> product of the others
    np.testing.assert_array_equal(g, [[0, 6, 0], [0, 0, 0], [8, 2, 4]])
