"""Issue 14 / 18: ``keras.ops.erfinv``, ``i0``, ``kaiser``, ``nextafter``, ``view``, ``jvp``:
Keras 3's dtypes and numbers on its TensorFlow backend, green on TF 2.21 and on tensorhouse."""

import math

import numpy as np
import pytest


def npy(x):
    return np.asarray(x)


def test_erfinv_i0_dtypes_and_values(tf):
    ops = tf.keras.ops
    got = ops.erfinv(np.array([-0.5, 0.0, 0.9], np.float32))
    assert got.dtype == tf.float32
    np.testing.assert_allclose(npy(got), [-0.47693628, 0.0, 1.16308715], rtol=1e-6)
    half = ops.erfinv(np.array([0.5], np.float16))
    assert half.dtype == tf.float16 and float(npy(half)[0]) == pytest.approx(0.477, abs=1e-3)
    for x, dtype in ((np.array([1, 2]), "float64"), (np.array([1, 2], np.int32), "float32"),
                     (np.array([1.0, 2.0], np.float16), "float16")):  # fmt: skip
        got = ops.i0(x)
        assert got.dtype.name == dtype
        np.testing.assert_allclose(npy(got).astype(float), np.i0([1.0, 2.0]), rtol=1e-3)
    assert ops.numpy.i0 is ops.i0


def test_kaiser_and_nextafter(tf):
    ops = tf.keras.ops
    got = ops.kaiser(5, 2.0)
    assert got.dtype == tf.float32
    np.testing.assert_allclose(npy(got), np.kaiser(5, 2.0), rtol=1e-6)
    assert float(ops.nextafter(1, 2)) == 1.0  # float64's step, rounded back to float32
    got = ops.nextafter(np.array([1.0], np.float64), np.array([2.0]))
    assert got.dtype == tf.float64 and npy(got)[0] == 1 + np.finfo(float).eps
    assert ops.nextafter(np.float16(1), 2.0).dtype == tf.float32


def test_view(tf):
    ops = tf.keras.ops
    assert npy(ops.view(np.array([1.0, 2.0], np.float32), "uint8")).tolist() == [
        0, 0, 128, 63, 0, 0, 0, 64]  # fmt: skip
    got = ops.view(np.arange(4, dtype=np.int16).reshape(2, 2), "int32")
    assert got.shape == (2, 1) and npy(got).ravel().tolist() == [65536, 196610]
    assert npy(ops.view(np.array([[0, 0, 128, 63]], np.uint8), "float32")).tolist() == [[1.0]]
    with pytest.raises(ValueError, match="not divisible by the new itemsize"):
        ops.view(np.zeros(3, np.uint8), "float32")
    with pytest.raises(ValueError, match="not divisible by the new itemsize"):
        ops.view(np.zeros((2, 3), np.int16), "int32")


def test_jvp(tf):
    ops = tf.keras.ops

    def f(x, y):
        return {"p": x * y, "s": ops.sin(x)}, x + 1.0

    x, y = tf.constant([1.0, 2.0]), tf.constant([3.0, 4.0])
    out, tangents, aux = ops.jvp(f, (x, y), (np.array([1.0, 0.0]), np.array([0.0, 1.0])), True)
    np.testing.assert_allclose(npy(out["p"]), [3.0, 8.0])
    np.testing.assert_allclose(npy(tangents["p"]), [3.0, 2.0])  # y dx + x dy
    np.testing.assert_allclose(npy(tangents["s"]), [math.cos(1.0), 0.0], rtol=1e-6)
    np.testing.assert_allclose(npy(aux), [2.0, 3.0])
    assert ops.linalg.jvp is ops.jvp
