"""Tensor semantics: construction, TF's dtype rules, operators, shapes, errors."""

import numpy as np
import pytest

import tensorhouse_ops as tf


def test_constant_defaults_follow_tf():
    assert tf.constant(1.5).dtype == tf.float32
    assert tf.constant(3).dtype == tf.int32
    assert tf.constant(2**40).dtype == tf.int64
    assert tf.constant(True).dtype == tf.bool
    assert tf.constant(np.array([1.0])).dtype == tf.float64  # NumPy keeps its dtype
    assert tf.constant([[1, 2], [3, 4]], dtype=tf.float32).numpy().tolist() == [[1, 2], [3, 4]]
    assert tf.constant(7.0, shape=[2, 2]).numpy().tolist() == [[7, 7], [7, 7]]
    assert tf.constant(3.0).shape == () and tf.constant(3.0).ndim == 0


def test_python_scalars_take_the_tensor_dtype():
    x = tf.constant([1, 2, 3])
    assert (x + 1).dtype == tf.int32
    np.testing.assert_array_equal((2 * x - 1).numpy(), [1, 3, 5])
    y = tf.constant([1.0, 2.0], dtype=tf.float64)
    assert (y * 2).dtype == tf.float64
    # 2.5 cannot be an int32: as TF 2.21, it stays a float32 and AddV2 refuses the pair
    with pytest.raises(tf.errors.InvalidArgumentError, match="int32.*float32"):
        x + 2.5


def test_no_implicit_promotion_between_tensors():
    with pytest.raises(tf.errors.InvalidArgumentError, match="float32.*int32|int32.*float32"):
        tf.constant([1.0]) + tf.constant([1])
    with pytest.raises(tf.errors.InvalidArgumentError, match="float64"):
        tf.constant([1.0]) * tf.constant(np.array([1.0]))


def test_broadcasting_and_shape_errors_name_the_op_and_shapes():
    a = tf.constant(np.arange(6, dtype=np.float32).reshape(2, 3))
    np.testing.assert_array_equal(
        (a + tf.constant([10.0, 20.0, 30.0])).numpy(), np.arange(6).reshape(2, 3) + [10, 20, 30]
    )
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[2,3\] vs. \[2\].*AddV2"):
        a + tf.constant([1.0, 2.0])


def test_operators_against_numpy():
    xa = np.array([[1.0, -2.0], [3.0, 4.0]], np.float32)
    ya = np.array([[0.5, 2.0], [-1.0, 8.0]], np.float32)
    x, y = tf.constant(xa), tf.constant(ya)
    np.testing.assert_allclose((x - y).numpy(), xa - ya)
    np.testing.assert_allclose((x / y).numpy(), xa / ya)
    np.testing.assert_allclose((x @ y).numpy(), xa @ ya, rtol=1e-6)
    np.testing.assert_allclose((-x).numpy(), -xa)
    np.testing.assert_allclose(abs(x).numpy(), np.abs(xa))
    np.testing.assert_allclose((x**2).numpy(), xa**2)
    np.testing.assert_array_equal((x < y).numpy(), xa < ya)
    np.testing.assert_array_equal((x == y).numpy(), xa == ya)
    np.testing.assert_allclose((1.0 - x).numpy(), 1.0 - xa)


def test_integer_division_is_true_division_as_in_tf():
    out = tf.constant([1, 2, 3]) / tf.constant([2, 2, 2])
    assert out.dtype == tf.float64
    np.testing.assert_array_equal(out.numpy(), [0.5, 1.0, 1.5])


def test_reductions_and_shapes():
    xa = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    x = tf.constant(xa)
    np.testing.assert_allclose(tf.reduce_sum(x, axis=[0, 2]).numpy(), xa.sum((0, 2)))
    np.testing.assert_allclose(
        tf.reduce_mean(x, axis=-1, keepdims=True).numpy(), xa.mean(-1, keepdims=True)
    )
    assert float(tf.reduce_max(x)) == 23.0
    assert tf.reshape(x, [4, -1]).shape == (4, 6)
    assert tf.transpose(x).shape == (4, 3, 2)
    assert tf.expand_dims(x, 1).shape == (2, 1, 3, 4)
    assert tf.squeeze(tf.zeros((1, 3, 1))).shape == (3,)
    np.testing.assert_array_equal(tf.shape(x).numpy(), [2, 3, 4])
    assert int(tf.size(x)) == 24 and int(tf.rank(x)) == 3
    with pytest.raises(tf.errors.InvalidArgumentError, match="Reshape"):
        tf.reshape(x, [5, -1])


def test_tensor_is_immutable_and_unhashable():
    t = tf.constant([1.0, 2.0])
    with pytest.raises(TypeError, match="item assignment"):
        t[0] = 3.0
    with pytest.raises(TypeError, match="unhashable"):
        hash(t)
    assert {t.ref(): 1}[t.ref()] == 1
    with pytest.raises(ValueError, match="read-only"):
        t.numpy()[0] = 5.0


def test_repr_and_conversions_like_tf():
    t = tf.constant([1.0, 2.0])
    assert repr(t) == "<tf.Tensor: shape=(2,), dtype=float32, numpy=array([1., 2.], dtype=float32)>"
    assert float(tf.constant(2.5)) == 2.5 and int(tf.constant(7)) == 7
    assert len(t) == 2
    with pytest.raises(TypeError, match="Scalar tensor has no `len\\(\\)`"):
        len(tf.constant(1.0))
    assert np.asarray(t).tolist() == [1.0, 2.0]
    assert t.device.endswith("device:CPU:0")


def test_convert_to_tensor_does_not_cast_tensors():
    t = tf.constant([1, 2])
    assert tf.convert_to_tensor(t) is t
    with pytest.raises(ValueError, match="float32"):
        tf.convert_to_tensor(t, dtype=tf.float32)
    assert tf.cast(t, tf.float32).numpy().tolist() == [1.0, 2.0]
    np.testing.assert_array_equal(
        tf.cast(tf.constant([1.7, -1.7, np.nan]), tf.int32).numpy(), [1, -1, 0]
    )


def test_dtypes():
    assert tf.as_dtype("float32") is tf.float32 and tf.as_dtype(np.int64) is tf.int64
    assert tf.float32 == "float32" and tf.float32 != tf.float64
    assert tf.float64.is_floating and tf.int32.is_integer and not tf.bool.is_numeric
    assert tf.uint8.max == 255
    with pytest.raises(TypeError):
        tf.as_dtype("complex1024")


def test_device_scope_places_ops():
    with tf.device("/CPU:0"):
        t = tf.constant([1.0]) + 1.0
    assert t.device == "/job:localhost/replica:0/task:0/device:CPU:0"
    with pytest.raises(ValueError, match="not-a-device"):
        with tf.device("not-a-device"):
            pass
