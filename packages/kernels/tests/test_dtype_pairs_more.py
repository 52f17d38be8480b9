"""The last TF CPU (op, dtype) pairs: integer MaxPool and its gradients, int32 Conv2D and its
input gradient, bool ScatterNd (OR), FusedBatchNorm on 16-bit x with float32 statistics.
Numbers against NumPy loops (and TF 2.21's own outputs where noted), on CPU and XLA."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import tensorhouse_kernels as tk
from tensorhouse_hw_runtime import errors, from_host, get_device, list_devices, to_host

CPU = get_device("/device:CPU:0")
HAS_JAX = importlib.util.find_spec("jax") is not None
XLA = next(iter(list_devices("XLA_CPU")), None) if HAS_JAX else None
DEVICES = [CPU] + ([XLA] if XLA is not None else [])
IDS = [d.device_type for d in DEVICES]
INTS = [np.int8, np.int16, np.int32, np.int64, np.uint8]
HALVES = [np.dtype(np.float16)]
if importlib.util.find_spec("ml_dtypes") is not None:
    import ml_dtypes

    HALVES.append(np.dtype(ml_dtypes.bfloat16))


def run(device, op, inputs, attrs=None):
    ins = [from_host(np.asarray(x), device) for x in inputs]
    outputs, used = tk.execute(op, ins, dict(attrs or {}), device)
    assert used is device
    return [np.asarray(to_host(o, device)) for o in outputs]


# ---- NumPy references ----------------------------------------------------------------------------


def _same_pads(size, k, s, dilation=1):
    """TF's SAME: (out, pad_before)."""
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * dilation + 1 - size, 0)
    return out, total // 2


def _geometry(x_shape, k, s, padding):
    if padding == "SAME":
        (oh, pt), (ow, pl) = _same_pads(x_shape[1], k[0], s[0]), _same_pads(x_shape[2], k[1], s[1])
    else:
        oh, ow, pt, pl = (x_shape[1] - k[0]) // s[0] + 1, (x_shape[2] - k[1]) // s[1] + 1, 0, 0
    return oh, ow, pt, pl


def _windows(x_shape, k, s, padding):
    """Yield (n, oy, ox, c, [flat input offsets of the window in row-major order])."""
    n_, h, w, c_ = x_shape
    oh, ow, pt, pl = _geometry(x_shape, k, s, padding)
    for n in range(n_):
        for oy in range(oh):
            for ox in range(ow):
                for c in range(c_):
                    offs = [
                        ((n * h + iy) * w + ix) * c_ + c
                        for iy in range(oy * s[0] - pt, oy * s[0] - pt + k[0])
                        for ix in range(ox * s[1] - pl, ox * s[1] - pl + k[1])
                        if 0 <= iy < h and 0 <= ix < w
                    ]
                    yield n, oy, ox, c, offs


def ref_max_pool(x, k, s, padding):
    oh, ow, _, _ = _geometry(x.shape, k, s, padding)
    y = np.empty((x.shape[0], oh, ow, x.shape[3]), x.dtype)
    flat = x.reshape(-1)
    for n, oy, ox, c, offs in _windows(x.shape, k, s, padding):
        y[n, oy, ox, c] = flat[offs].max()
    return y


def ref_max_pool_grad(x, dy, k, s, padding):
    dx = np.zeros(x.size, np.int64 if x.dtype.kind in "iu" else np.float64)
    flat = x.reshape(-1)
    for n, oy, ox, c, offs in _windows(x.shape, k, s, padding):
        at = offs[int(np.argmax(flat[offs]))]  # the first maximum
        dx[at] += dy[n, oy, ox, c]
    return dx.astype(x.dtype).reshape(x.shape)  # the low bits: TF's wrap-around


def ref_max_pool_grad_grad(x, g, k, s, padding):
    oh, ow, _, _ = _geometry(x.shape, k, s, padding)
    out = np.empty((x.shape[0], oh, ow, x.shape[3]), x.dtype)
    flat, gflat = x.reshape(-1), g.reshape(-1)
    for n, oy, ox, c, offs in _windows(x.shape, k, s, padding):
        out[n, oy, ox, c] = gflat[offs[int(np.argmax(flat[offs]))]]
    return out


def ref_conv(x, f, s, padding, d=(1, 1)):
    n_, h, w, _ = x.shape
    kh, kw, _, o = f.shape
    if padding == "SAME":
        (oh, pt), (ow, pl) = _same_pads(h, kh, s[0], d[0]), _same_pads(w, kw, s[1], d[1])
    else:
        oh, ow = (h - (kh - 1) * d[0] - 1) // s[0] + 1, (w - (kw - 1) * d[1] - 1) // s[1] + 1
        pt = pl = 0
    y = np.zeros((n_, oh, ow, o), np.int64)
    for oy in range(oh):
        for ox in range(ow):
            for ky in range(kh):
                for kx in range(kw):
                    iy, ix = oy * s[0] - pt + ky * d[0], ox * s[1] - pl + kx * d[1]
                    if 0 <= iy < h and 0 <= ix < w:
                        y[:, oy, ox] += x[:, iy, ix].astype(np.int64) @ f[ky, kx].astype(np.int64)
    return y.astype(x.dtype)  # the int64 sum's low 32 bits: TF's wrap-around


def ref_conv_input(in_shape, f, dy, s, padding):
    n_, h, w, _ = in_shape
    kh, kw, _, _ = f.shape
    _, oh, ow, _ = dy.shape
    pt = _same_pads(h, kh, s[0])[1] if padding == "SAME" else 0
    pl = _same_pads(w, kw, s[1])[1] if padding == "SAME" else 0
    dx = np.zeros(in_shape, np.int64)
    for oy in range(oh):
        for ox in range(ow):
            for ky in range(kh):
                for kx in range(kw):
                    iy, ix = oy * s[0] - pt + ky, ox * s[1] - pl + kx
                    if 0 <= iy < h and 0 <= ix < w:
                        g = dy[:, oy, ox].astype(np.int64)
                        dx[:, iy, ix] += g @ f[ky, kx].astype(np.int64).T
    return dx.astype(dy.dtype)


def _pool_attrs(k, s, padding):
    return {"ksize": [1, *k, 1], "strides": [1, *s, 1], "padding": padding}


def _int_input(dtype, shape, seed):
    info = np.iinfo(dtype)
    rs = np.random.RandomState(seed)
    x = rs.randint(max(info.min, -1000), min(info.max, 1000) + 1, size=shape).astype(dtype)
    x.reshape(-1)[::7] = x.reshape(-1)[0]  # ties: the first maximum wins
    x.reshape(-1)[3] = info.min  # the lowest value still wins a window of its own
    return x


# ---- MaxPool family on integers ------------------------------------------------------------------


@pytest.mark.parametrize("device", DEVICES, ids=IDS)
@pytest.mark.parametrize("dtype", INTS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize(
    ("k", "s", "padding"),
    [((2, 2), (1, 1), "SAME"), ((3, 2), (2, 1), "VALID"), ((3, 3), (2, 2), "SAME")],  # fmt: skip
)
def test_integer_max_pool_and_gradients(device, dtype, k, s, padding):
    x = _int_input(dtype, (2, 5, 4, 3), 0)
    attrs = _pool_attrs(k, s, padding)
    (y,) = run(device, "MaxPool", [x], attrs)
    assert y.dtype == dtype
    np.testing.assert_array_equal(y, ref_max_pool(x, k, s, padding))
    dy = _int_input(dtype, y.shape, 1)
    (dx,) = run(device, "MaxPoolGrad", [x, y, dy], attrs)
    assert dx.dtype == dtype
    np.testing.assert_array_equal(dx, ref_max_pool_grad(x, dy, k, s, padding))
    g = _int_input(dtype, x.shape, 2)
    (gg,) = run(device, "MaxPoolGradGrad", [x, y, g], attrs)
    np.testing.assert_array_equal(gg, ref_max_pool_grad_grad(x, g, k, s, padding))


@pytest.mark.parametrize("device", DEVICES, ids=IDS)
def test_integer_max_pool_numbers_of_tf(device):
    # TF 2.21's outputs for this input (tf.nn.max_pool2d and gen_nn_ops on int8 / uint8)
    x = np.int8([3, 3, 1, 2, -5, 7, 7, 0, -128]).reshape(1, 3, 3, 1)
    attrs = _pool_attrs((2, 2), (1, 1), "SAME")
    (y,) = run(device, "MaxPool", [x], attrs)
    assert y.ravel().tolist() == [3, 7, 7, 7, 7, 7, 7, 0, -128]
    (dx,) = run(device, "MaxPoolGrad", [x, y, np.full(y.shape, 100, np.int8)], attrs)
    assert dx.ravel().tolist() == [100, 0, 0, 0, 0, -112, -56, 100, 100]  # 400, 200 wrapped
    u = x.astype(np.uint8)
    (yu,) = run(device, "MaxPool", [u], attrs)
    assert yu.ravel().tolist() == [251, 251, 7, 251, 251, 128, 7, 128, 128]
    gg = np.arange(9, dtype=np.uint8).reshape(x.shape)
    (out,) = run(device, "MaxPoolGradGrad", [u, yu, gg], attrs)
    assert out.ravel().tolist() == [4, 4, 5, 4, 4, 8, 6, 8, 8]


def test_avg_pool_stays_float_only():
    with pytest.raises((errors.NotFoundError, errors.InvalidArgumentError)):
        run(CPU, "AvgPool", [np.zeros((1, 2, 2, 1), np.int32)], _pool_attrs((2, 2), (1, 1), "SAME"))


# ---- int32 convolutions --------------------------------------------------------------------------


@pytest.mark.parametrize("device", DEVICES, ids=IDS)
@pytest.mark.parametrize(
    ("s", "padding", "d"),
    [
        ((1, 1), "SAME", (1, 1)),
        ((2, 1), "VALID", (1, 1)),
        ((2, 2), "SAME", (1, 1)),
        ((1, 1), "VALID", (2, 1)),
    ],  # fmt: skip
)
def test_int32_conv2d(device, s, padding, d):
    rs = np.random.RandomState(3)
    x = rs.randint(-50, 50, size=(2, 6, 5, 3)).astype(np.int32)
    f = rs.randint(-9, 9, size=(3, 2, 3, 4)).astype(np.int32)
    attrs = {"strides": [1, *s, 1], "padding": padding, "dilations": [1, *d, 1]}
    (y,) = run(device, "Conv2D", [x, f], attrs)
    assert y.dtype == np.int32
    np.testing.assert_array_equal(y, ref_conv(x, f, s, padding, d))


@pytest.mark.parametrize("device", DEVICES, ids=IDS)
def test_int32_conv2d_wraps_around(device):
    x = np.full((1, 2, 2, 1), 2**30, np.int32)
    (y,) = run(device, "Conv2D", [x, np.ones((2, 2, 1, 1), np.int32)],
               {"strides": [1, 1, 1, 1], "padding": "VALID"})  # fmt: skip
    assert y.ravel().tolist() == [0]  # TF 2.21: 4 * 2**30 wraps to 0
    (y,) = run(device, "Conv2D", [x, np.int32([3]).reshape(1, 1, 1, 1)],
               {"strides": [1, 1, 1, 1], "padding": "VALID"})  # fmt: skip
    assert y.ravel().tolist() == [-(2**30)] * 4


@pytest.mark.parametrize("device", DEVICES, ids=IDS)
@pytest.mark.parametrize(("s", "padding"), [((1, 1), "VALID"), ((2, 2), "SAME"), ((2, 1), "VALID")])
def test_int32_conv2d_backprop_input(device, s, padding):
    rs = np.random.RandomState(4)
    in_shape = (2, 5, 6, 3)
    f = rs.randint(-9, 9, size=(2, 3, 3, 4)).astype(np.int32)
    y_shape = ref_conv(np.zeros(in_shape, np.int32), f, s, padding).shape
    dy = rs.randint(-50, 50, size=y_shape).astype(np.int32)
    attrs = {"strides": [1, *s, 1], "padding": padding, "input_sizes": list(in_shape)}
    (dx,) = run(device, "Conv2DBackpropInput", [f, dy], attrs)
    assert dx.dtype == np.int32 and dx.shape == in_shape
    np.testing.assert_array_equal(dx, ref_conv_input(in_shape, f, dy, s, padding))


@pytest.mark.parametrize("device", DEVICES, ids=IDS)
def test_int32_conv2d_transpose_numbers_of_tf(device):
    f = np.int32([1, -2, 3, 4]).reshape(2, 2, 1, 1)
    dy = np.arange(9, dtype=np.int32).reshape(1, 3, 3, 1)
    attrs = {"strides": [1, 1, 1, 1], "padding": "VALID", "input_sizes": [1, 4, 4, 1]}
    (dx,) = run(device, "Conv2DBackpropInput", [f, dy], attrs)
    # tf.nn.conv2d_transpose in TF 2.21
    assert dx.ravel().tolist() == [0, 1, 0, -4, 3, 1, 7, -2, 15, 19, 25, 4, 18, 45, 52, 32]


def test_int32_filter_gradient_is_not_a_tf_pair():
    with pytest.raises((errors.NotFoundError, errors.InvalidArgumentError)):
        attrs = {"strides": [1, 1, 1, 1], "padding": "VALID", "filter_sizes": [2, 2, 1, 1]}
        x, dy = np.zeros((1, 2, 2, 1), np.int32), np.zeros((1, 1, 1, 1), np.int32)
        run(CPU, "Conv2DBackpropFilter", [x, dy], attrs)


# ---- bool ScatterNd ------------------------------------------------------------------------------


@pytest.mark.parametrize("device", DEVICES, ids=IDS)
@pytest.mark.parametrize("idx_dtype", [np.int32, np.int64])
def test_bool_scatter_nd_is_or(device, idx_dtype):
    rs = np.random.RandomState(5)
    idx = rs.randint(0, 4, size=(12, 2)).astype(idx_dtype)  # repeated indices
    upd = rs.rand(12, 3) < 0.3
    (out,) = run(device, "ScatterNd", [idx, upd], {"shape": (4, 4, 3)})
    want = np.zeros((4, 4, 3), bool)
    np.logical_or.at(want, (idx[:, 0], idx[:, 1]), upd)
    assert out.dtype == bool
    np.testing.assert_array_equal(out, want)
    (out,) = run(device, "ScatterNd", [np.int32([[0], [0], [2]]), np.bool_([1, 0, 1])],
                 {"shape": (4,)})  # fmt: skip
    assert out.tolist() == [True, False, True, False]


# ---- FusedBatchNorm on 16-bit floats -------------------------------------------------------------


def _bn_ref(x, scale, offset, eps):
    xs = x.astype(np.float64)
    mu = xs.mean(axis=(0, 1, 2))
    var = xs.var(axis=(0, 1, 2))
    y = (xs - mu) / np.sqrt(var + eps) * scale + offset
    n = x.size // x.shape[3]
    return y, mu, var * n / (n - 1), var


def _bn_inputs(half):
    rs = np.random.RandomState(0)
    x = rs.randn(2, 3, 2, 4).astype(half)
    scale = np.float32([1.0, 2.0, 0.5, -1.5])
    offset = np.float32([0.0, 1.0, -1.0, 0.25])
    return x, scale, offset


@pytest.mark.parametrize("device", DEVICES, ids=IDS)
@pytest.mark.parametrize("half", HALVES, ids=lambda d: np.dtype(d).name)
def test_fused_batch_norm_16bit_x_float32_statistics(device, half):
    x, scale, offset = _bn_inputs(half)
    empty = np.zeros(0, np.float32)
    outs = run(device, "FusedBatchNormV3", [x, scale, offset, empty, empty],
               {"epsilon": 1e-3, "is_training": True})  # fmt: skip
    assert [o.dtype for o in outs] == [np.dtype(half)] + [np.dtype(np.float32)] * 5
    y, mu, unbiased, biased = _bn_ref(x, scale, offset, 1e-3)
    ulp = 2.0**-10 if half == np.float16 else 2.0**-7
    np.testing.assert_allclose(outs[0].astype(np.float64), y, rtol=ulp, atol=ulp)
    np.testing.assert_allclose(outs[1], mu, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(outs[2], unbiased, rtol=1e-6)
    np.testing.assert_allclose(outs[3], mu, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(outs[4], biased, rtol=1e-6)
    # inference: the given statistics; y rounded from float32 once
    mean, var = np.float32([0.5, -1, 0, 2]), np.float32([1, 4, 0.25, 9])
    outs = run(device, "FusedBatchNormV3", [x, scale, offset, mean, var],
               {"epsilon": 1e-3, "is_training": False})  # fmt: skip
    want = (x.astype(np.float64) - mean) / np.sqrt(var + 1e-3) * scale + offset
    np.testing.assert_allclose(outs[0].astype(np.float64), want, rtol=ulp, atol=ulp)
    np.testing.assert_array_equal(outs[1], mean)


@pytest.mark.parametrize("device", DEVICES, ids=IDS)
def test_fused_batch_norm_float16_numbers_of_tf(device):
    rs = np.random.RandomState(0)
    x = rs.randn(2, 2, 2, 3).astype(np.float16)
    s, o, empty = np.float32([1, 2, 0.5]), np.float32([0, 1, -1]), np.zeros(0, np.float32)
    outs = run(device, "FusedBatchNormV3", [x, s, o, empty, empty],
               {"epsilon": 1e-3, "is_training": True})  # fmt: skip
    # TF 2.21's gen_nn_ops.fused_batch_norm_v3 on this input
    np.testing.assert_array_equal(
        outs[0].ravel()[:6], np.float16([1.258, 0.794, -0.4917, 1.975, 4.32, -1.326])
    )
    np.testing.assert_allclose(outs[1], [0.9283142, 0.48576355, -0.2129898], rtol=1e-6)
    np.testing.assert_allclose(outs[2], [0.50326174, 0.78942424, 1.5686673], rtol=1e-6)
    np.testing.assert_allclose(outs[4], [0.44035402, 0.6907462, 1.3725839], rtol=1e-6)


@pytest.mark.parametrize("device", DEVICES, ids=IDS)
@pytest.mark.parametrize("half", HALVES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("training", [True, False])
def test_fused_batch_norm_grad_16bit(device, half, training):
    x, scale, _ = _bn_inputs(half)
    dy = np.random.RandomState(1).randn(*x.shape).astype(half)
    xs, g = x.astype(np.float64), dy.astype(np.float64)
    mean = xs.mean(axis=(0, 1, 2)).astype(np.float32)
    var = xs.var(axis=(0, 1, 2)).astype(np.float32)
    outs = run(device, "FusedBatchNormGradV3",
               [dy, x, scale, mean, var, np.zeros(0, np.float32)],
               {"epsilon": 1e-3, "is_training": training})  # fmt: skip
    assert [o.dtype for o in outs] == [np.dtype(half)] + [np.dtype(np.float32)] * 4
    rstd = 1 / np.sqrt(var.astype(np.float64) + 1e-3)
    xh = (xs - mean) * rstd
    doffset, dscale = g.sum(axis=(0, 1, 2)), (g * xh).sum(axis=(0, 1, 2))
    dx = scale * rstd * g
    if training:
        n = x.size // x.shape[3]
        dx = scale * rstd * (g - doffset / n - xh * dscale / n)
    ulp = 2.0**-10 if half == np.float16 else 2.0**-7
    np.testing.assert_allclose(outs[0].astype(np.float64), dx, rtol=2 * ulp, atol=2 * ulp)
    np.testing.assert_allclose(outs[1], dscale, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(outs[2], doffset, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("half", HALVES, ids=lambda d: np.dtype(d).name)
def test_fused_batch_norm_16bit_statistics_must_be_float32(half):
    x = np.zeros((1, 1, 1, 2), half)
    v = np.ones(2, half)
    with pytest.raises(errors.InvalidArgumentError, match="expected to be a float32 tensor"):
        run(CPU, "FusedBatchNormV3", [x, v, v, v, v], {"is_training": False})
    f64 = np.ones(2, np.float64)
    with pytest.raises(errors.InvalidArgumentError, match=r"input #1\(zero-based\)"):
        run(CPU, "FusedBatchNormV3", [x, f64, f64, f64, f64], {"is_training": False})
    with pytest.raises(errors.InvalidArgumentError, match=r"input #1\(zero-based\)"):
        run(CPU, "FusedBatchNormGradV3", [x, x.astype(np.float32), *[np.ones(2, np.float32)] * 4])
