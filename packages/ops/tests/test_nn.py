"""tf.nn's convolution, pooling, normalization and dropout functions against NumPy and TF."""

import numpy as np
import pytest

import tensorhouse_ops as tf

RNG = np.random.default_rng(7)


def _conv_ref(x, f, stride=1):
    """VALID NHWC convolution by loops over the taps."""
    n, h, w, _ = x.shape
    kh, kw, _, o = f.shape
    oh, ow = (h - kh) // stride + 1, (w - kw) // stride + 1
    out = np.zeros((n, oh, ow, o))
    for ky in range(kh):
        for kx in range(kw):
            patch = x[
                :,
                ky : ky + (oh - 1) * stride + 1 : stride,
                kx : kx + (ow - 1) * stride + 1 : stride,
            ]
            out += patch @ f[ky, kx]
    return out


def test_conv2d_valid_and_same():
    x = RNG.standard_normal((2, 6, 5, 3))
    f = RNG.standard_normal((3, 2, 3, 4))
    np.testing.assert_allclose(tf.nn.conv2d(x, f, 1, "VALID").numpy(), _conv_ref(x, f), atol=1e-12)
    same = tf.nn.conv2d(x, f, [1, 1, 1, 1], "SAME").numpy()
    padded = np.pad(x, ((0, 0), (1, 1), (0, 1), (0, 0)))  # TF: the extra pad goes after
    np.testing.assert_allclose(same, _conv_ref(padded, f), atol=1e-12)
    explicit = tf.nn.conv2d(x, f, 2, [[0, 0], [2, 1], [0, 3], [0, 0]]).numpy()
    padded = np.pad(x, ((0, 0), (2, 1), (0, 3), (0, 0)))
    np.testing.assert_allclose(explicit, _conv_ref(padded, f, 2), atol=1e-12)


def test_conv1d_is_conv2d_on_height_one():
    x = RNG.standard_normal((2, 9, 3)).astype(np.float32)
    f = RNG.standard_normal((3, 3, 5)).astype(np.float32)
    out = tf.nn.conv1d(x, f, stride=2, padding="VALID").numpy()
    ref = _conv_ref(x[:, None].astype(np.float64), f[None].astype(np.float64), 2)[:, 0]
    assert out.shape == (2, 4, 5) and out.dtype == np.float32
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)


def test_conv2d_transpose_is_the_gradient_of_conv2d():
    x = tf.constant(RNG.standard_normal((1, 5, 5, 2)))
    f = tf.constant(RNG.standard_normal((3, 3, 2, 4)))
    dy = tf.constant(RNG.standard_normal((1, 3, 3, 4)))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.conv2d(x, f, 2, "SAME")
    g = tape.gradient(y, x, output_gradients=dy)
    t = tf.nn.conv2d_transpose(dy, f, [1, 5, 5, 2], 2, "SAME")
    np.testing.assert_allclose(t.numpy(), g.numpy(), atol=1e-12)


def test_depthwise_conv2d_matches_per_channel_convs():
    x = RNG.standard_normal((2, 5, 5, 3))
    f = RNG.standard_normal((2, 2, 3, 2))
    out = tf.nn.depthwise_conv2d(x, f, [1, 1, 1, 1], "VALID").numpy()
    for c in range(3):
        ref = _conv_ref(x[..., c : c + 1], f[:, :, c : c + 1, :])
        np.testing.assert_allclose(out[..., 2 * c : 2 * c + 2], ref, atol=1e-12)


def test_pools():
    x = RNG.standard_normal((1, 4, 5, 2))
    mp = tf.nn.max_pool2d(x, 2, 2, "VALID").numpy()
    np.testing.assert_array_equal(mp, x[:, :4, :4].reshape(1, 2, 2, 2, 2, 2).max(axis=(2, 4)))
    ap = tf.nn.avg_pool2d(x, 2, 2, "SAME").numpy()
    assert ap.shape == (1, 2, 3, 2)
    np.testing.assert_allclose(ap[0, 0, 2], x[0, :2, 4].mean(axis=0))  # padding not counted


def test_bias_add_and_its_gradient():
    x = tf.constant(RNG.standard_normal((2, 3, 4)))
    b = tf.constant(RNG.standard_normal((4,)))
    with tf.GradientTape() as tape:
        tape.watch(b)
        y = tf.nn.bias_add(x, b)
    np.testing.assert_allclose(y.numpy(), x.numpy() + b.numpy())
    np.testing.assert_allclose(tape.gradient(y, b).numpy(), np.full(4, 6.0))


def test_moments_batch_normalization_and_fused_batch_norm_agree():
    x = tf.constant(RNG.standard_normal((4, 3, 2, 5)))
    scale = tf.constant(RNG.uniform(0.5, 2, (5,)))
    offset = tf.constant(RNG.standard_normal((5,)))
    mean, var = tf.nn.moments(x, axes=[0, 1, 2])
    np.testing.assert_allclose(mean.numpy(), x.numpy().mean(axis=(0, 1, 2)))
    np.testing.assert_allclose(var.numpy(), x.numpy().var(axis=(0, 1, 2)))
    ref = tf.nn.batch_normalization(x, mean, var, offset, scale, 1e-3)
    y, bm, bv = tf.nn.fused_batch_norm(x, scale, offset, epsilon=1e-3)
    np.testing.assert_allclose(y.numpy(), ref.numpy(), atol=1e-12)
    np.testing.assert_allclose(bm.numpy(), mean.numpy())
    np.testing.assert_allclose(bv.numpy(), var.numpy() * 24 / 23)  # unbiased, as TF
    y2, _, _ = tf.nn.fused_batch_norm(x, scale, offset, mean, var, 1e-3, is_training=False)
    np.testing.assert_allclose(y2.numpy(), ref.numpy(), atol=1e-12)


def test_layer_norm():
    x = RNG.standard_normal((3, 6))
    y = tf.nn.layer_norm(x, np.ones(6), np.zeros(6), epsilon=1e-5).numpy()
    ref = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(y, ref, atol=1e-12)


def test_dropout_scales_kept_elements_and_repeats_with_a_seed():
    x = tf.ones([200, 50])
    tf.random.set_seed(3)
    a = tf.nn.dropout(x, 0.25, seed=1).numpy()
    tf.random.set_seed(3)
    b = tf.nn.dropout(x, 0.25, seed=1).numpy()
    np.testing.assert_array_equal(a, b)
    assert set(np.unique(a)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((a == 0).mean() - 0.25) < 0.03
    assert tf.nn.dropout(x, 0.0) is x or np.array_equal(tf.nn.dropout(x, 0.0).numpy(), x.numpy())
    with pytest.raises(ValueError, match="rate"):
        tf.nn.dropout(x, 1.0)


def test_fused_batch_norm_on_float16_takes_and_returns_float32_statistics():
    rng = np.random.default_rng(3)
    x16 = rng.standard_normal([2, 3, 3, 4]).astype(np.float16)
    scale, offset = rng.uniform(0.5, 2, 4), rng.standard_normal(4)
    y, mean, var = tf.nn.fused_batch_norm(x16, scale, offset, is_training=True)
    assert (y.dtype, mean.dtype, var.dtype) == (tf.float16, tf.float32, tf.float32)
    x = x16.astype(np.float64)
    m, v = x.mean((0, 1, 2)), x.var((0, 1, 2))
    want = (x - m) / np.sqrt(v + 1e-3) * scale + offset
    np.testing.assert_allclose(np.asarray(y, np.float64), want, atol=8e-3, rtol=4e-3)
    np.testing.assert_allclose(np.asarray(mean), m, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        np.asarray(var), v * x[..., 0].size / (x[..., 0].size - 1), rtol=1e-4
    )
    s = tf.Variable(scale.astype(np.float32))
    w = rng.standard_normal(x.shape)
    with tf.GradientTape() as tape:
        out = tf.nn.fused_batch_norm(x16, s, offset, is_training=True)[0]
        loss = tf.reduce_sum(tf.cast(out, tf.float32) * w.astype(np.float32))
    (g,) = tape.gradient(loss, [s])
    normalized = (x - m) / np.sqrt(v + 1e-3)
    assert g.dtype == tf.float32
    np.testing.assert_allclose(np.asarray(g), (normalized * w).sum((0, 1, 2)), rtol=2e-2, atol=2e-2)
