"""TF's CPU kernels for integer max pooling, int32 convolutions and bool scatter_nd: the same
numbers from tensorhouse and TF 2.21, each checked against a NumPy loop."""

from __future__ import annotations

import numpy as np
import pytest

INTS = ["int8", "int16", "int32", "int64", "uint8"]


def _max_pool_ref(x, k, s):
    """VALID max pooling of NHWC ``x``."""
    n, h, w, c = x.shape
    oh, ow = (h - k) // s + 1, (w - k) // s + 1
    out = np.empty((n, oh, ow, c), x.dtype)
    for i in range(oh):
        for j in range(ow):
            out[:, i, j] = x[:, i * s : i * s + k, j * s : j * s + k].max(axis=(1, 2))
    return out


@pytest.mark.parametrize("dtype", INTS)
def test_integer_max_pool2d(tf, dtype):
    rs = np.random.RandomState(0)
    info = np.iinfo(dtype)
    x = rs.randint(max(info.min, -500), min(info.max, 500) + 1, size=(2, 6, 5, 3)).astype(dtype)
    x[0, 0, 0, 0] = info.min
    y = tf.nn.max_pool2d(tf.constant(x), ksize=2, strides=2, padding="VALID")
    assert y.dtype == getattr(tf, dtype)
    np.testing.assert_array_equal(y.numpy(), _max_pool_ref(x, 2, 2))


@pytest.mark.parametrize("dtype", ["int8", "uint8"])
def test_integer_max_pool2d_same_padding_ignores_the_padding(tf, dtype):
    x = np.array([3, 3, 1, 2, -5, 7, 7, 0, -128]).astype(dtype).reshape(1, 3, 3, 1)
    y = tf.nn.max_pool2d(tf.constant(x), 2, 1, "SAME").numpy().ravel().tolist()
    want = {
        "int8": [3, 7, 7, 7, 7, 7, 7, 0, -128],
        "uint8": [251, 251, 7, 251, 251, 128, 7, 128, 128],
    }
    assert y == want[dtype]
    layer = tf.keras.layers.MaxPooling2D(pool_size=2, strides=1, padding="same")
    assert layer(tf.constant(x)).numpy().ravel().tolist() == want[dtype]


def _conv_ref(x, f, s):
    """VALID int32 convolution, the sums wrapped to 32 bits."""
    n, h, w, _ = x.shape
    kh, kw, _, o = f.shape
    oh, ow = (h - kh) // s + 1, (w - kw) // s + 1
    out = np.zeros((n, oh, ow, o), np.int64)
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * s : i * s + kh, j * s : j * s + kw].astype(np.int64)
            out[:, i, j] = np.tensordot(patch, f.astype(np.int64), axes=([1, 2, 3], [0, 1, 2]))
    return out.astype(np.int32)


@pytest.mark.parametrize("stride", [1, 2])
def test_int32_conv2d(tf, stride):
    rs = np.random.RandomState(1)
    x = rs.randint(-100, 100, size=(2, 7, 6, 3)).astype(np.int32)
    f = rs.randint(-9, 9, size=(3, 2, 3, 4)).astype(np.int32)
    y = tf.nn.conv2d(tf.constant(x), tf.constant(f), strides=stride, padding="VALID")
    assert y.dtype == tf.int32
    np.testing.assert_array_equal(y.numpy(), _conv_ref(x, f, stride))


def test_int32_conv2d_wraps_around(tf):
    x = tf.constant(np.full((1, 2, 2, 1), 2**30, np.int32))
    y = tf.nn.conv2d(x, tf.ones([2, 2, 1, 1], tf.int32), 1, "VALID")
    assert y.numpy().ravel().tolist() == [0]


def test_int32_conv2d_same_padding(tf):
    a = tf.constant(np.arange(16, dtype=np.int32).reshape(1, 4, 4, 1))
    f = tf.constant(np.int32([1, -2, 3, 4]).reshape(2, 2, 1, 1))
    got = tf.nn.conv2d(a, f, 1, "SAME").numpy().ravel().tolist()
    assert got == [30, 36, 42, 24, 54, 60, 66, 40, 78, 84, 90, 56, -14, -15, -16, 15]
    assert tf.nn.conv2d(a, f, 2, "SAME").numpy().ravel().tolist() == [30, 42, 78, 90]


def test_int32_conv2d_transpose(tf):
    rs = np.random.RandomState(2)
    f = rs.randint(-9, 9, size=(2, 3, 3, 4)).astype(np.int32)  # [kh, kw, out_c, in_c]
    dy = rs.randint(-50, 50, size=(2, 3, 3, 4)).astype(np.int32)
    y = tf.nn.conv2d_transpose(tf.constant(dy), tf.constant(f), [2, 4, 5, 3], 1, "VALID")
    want = np.zeros((2, 4, 5, 3), np.int64)
    for i in range(3):
        for j in range(3):
            for ky in range(2):
                for kx in range(3):
                    want[:, i + ky, j + kx] += dy[:, i, j].astype(np.int64) @ f[ky, kx].T
    assert y.dtype == tf.int32
    np.testing.assert_array_equal(y.numpy(), want.astype(np.int32))


def test_bool_scatter_nd_is_logical_or(tf):
    rs = np.random.RandomState(3)
    idx = rs.randint(0, 5, size=(20, 1)).astype(np.int32)
    upd = rs.rand(20, 2) < 0.3
    out = tf.scatter_nd(tf.constant(idx), tf.constant(upd), [5, 2])
    want = np.zeros((5, 2), bool)
    np.logical_or.at(want, idx[:, 0], upd)
    assert out.dtype == tf.bool
    np.testing.assert_array_equal(out.numpy(), want)
    same = tf.scatter_nd([[0], [0]], tf.constant([False, False]), [2])
    assert same.numpy().tolist() == [False, False]


def test_traced_integer_pool_conv_and_bool_scatter_match_eager(tf):
    x = tf.constant(np.arange(-20, 28, dtype=np.int32).reshape(1, 4, 4, 3))
    k = tf.constant(np.arange(-6, 6, dtype=np.int32).reshape(2, 2, 3, 1))

    def fn(x):
        pooled = tf.nn.max_pool2d(tf.cast(x, tf.int8), 2, 2, "VALID")
        conv = tf.nn.conv2d(x, k, 1, "SAME")
        hit = tf.scatter_nd([[1], [1], [3]], tf.greater(x[0, 0, :3, 0], 0), [4])
        return pooled, conv, hit

    for eager, traced in zip(fn(x), tf.function(fn)(x)):
        assert eager.dtype == traced.dtype
        np.testing.assert_array_equal(eager.numpy(), traced.numpy())
    want = [-5, -4, -3, 1, 2, 3, 19, 20, 21, 25, 26, 27]  # x[0, 2i+1, 2j+1, :]
    assert fn(x)[0].numpy().ravel().tolist() == want
