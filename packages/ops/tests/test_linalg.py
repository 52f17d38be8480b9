"""tf.linalg.inv / solve / det / slogdet / cholesky / logdet: values against NumPy, batching,
adjoint flags, TF's errors raised from the user's call, gradients, and inside tf.function."""

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_ops import errors

RNG = np.random.default_rng(7)


def _matrices(shape, dtype="float64"):
    n = shape[-1]
    return (RNG.normal(size=shape) / n + 2 * np.eye(n)).astype(dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_values_match_numpy_batched(dtype):
    a = _matrices((2, 3, 4, 4), dtype)
    b = RNG.normal(size=(2, 3, 4, 2)).astype(dtype)
    tol = dict(rtol=2e-5, atol=2e-5) if dtype == "float32" else dict(rtol=1e-11, atol=1e-11)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    inv = tf.linalg.inv(tf.constant(a))
    assert inv.dtype.name == dtype and inv.shape == (2, 3, 4, 4)
    np.testing.assert_allclose(inv.numpy(), np.linalg.inv(a64), **tol)
    at = np.swapaxes(a64, -1, -2)
    np.testing.assert_allclose(tf.linalg.inv(a, adjoint=True).numpy(), np.linalg.inv(at), **tol)
    x = tf.linalg.solve(tf.constant(a), tf.constant(b))
    assert x.shape == (2, 3, 4, 2)
    np.testing.assert_allclose(x.numpy(), np.linalg.solve(a64, b64), **tol)
    xa = tf.linalg.solve(a, b, adjoint=True).numpy()
    np.testing.assert_allclose(xa, np.linalg.solve(at, b64), **tol)
    det = tf.linalg.det(tf.constant(a))
    assert det.shape == (2, 3)
    np.testing.assert_allclose(det.numpy(), np.linalg.det(a64), **tol)
    sign, log_abs = tf.linalg.slogdet(tf.constant(a))
    ref_sign, ref_log = np.linalg.slogdet(a64)
    np.testing.assert_array_equal(sign.numpy(), ref_sign.astype(dtype))
    np.testing.assert_allclose(log_abs.numpy(), ref_log, **tol)
    spd = a64 @ np.swapaxes(a64, -1, -2)
    chol = tf.linalg.cholesky(tf.constant(spd.astype(dtype)))
    np.testing.assert_allclose(chol.numpy(), np.linalg.cholesky(spd), **tol)
    logdet = tf.linalg.logdet(tf.constant(spd.astype(dtype)))
    np.testing.assert_allclose(logdet.numpy(), np.linalg.slogdet(spd)[1], **tol)


def test_python_lists_and_the_slogdet_tuple():
    assert tf.linalg.det([[1.0, 2.0], [3.0, 4.0]]).numpy() == pytest.approx(-2.0)
    out = tf.linalg.slogdet([[2.0, 0.0], [0.0, -3.0]])
    assert out.sign.numpy() == -1.0
    assert out.log_abs_determinant.numpy() == pytest.approx(np.log(6.0))
    inv = tf.linalg.inv([[2.0, 0.0], [0.0, 4.0]]).numpy()
    np.testing.assert_allclose(inv, [[0.5, 0], [0, 0.25]])


def test_singular_input_raises_tf_errors_from_the_call():
    singular = tf.constant([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(errors.InvalidArgumentError, match=r"Input is not invertible\."):
        tf.linalg.inv(singular)
    with pytest.raises(errors.InvalidArgumentError, match=r"Input matrix is not invertible\."):
        tf.linalg.solve(singular, tf.ones([2, 1]))
    assert tf.linalg.det(singular).numpy() == 0.0
    sign, log_abs = tf.linalg.slogdet(singular)
    assert sign.numpy() == 0.0 and log_abs.numpy() == -np.inf
    with pytest.raises(errors.InvalidArgumentError, match="Cholesky decomposition was not"):
        tf.linalg.cholesky(tf.constant([[1.0, 2.0], [2.0, 1.0]]))


def test_shape_and_dtype_errors():
    with pytest.raises(errors.InvalidArgumentError, match=r"square, got shape \[2,3\] \(float32\) "
                       r"\[Op:MatrixInverse\]"):  # fmt: skip
        tf.linalg.inv(tf.ones([2, 3]))
    with pytest.raises(errors.InvalidArgumentError, match=r"\[Op:MatrixDeterminant\]"):
        tf.linalg.det(tf.ones([3]))
    with pytest.raises(errors.InvalidArgumentError, match=r"same number of rows.*\[Op:MatrixSolve"):
        tf.linalg.solve(tf.eye(3), tf.ones([2, 1]))
    with pytest.raises(errors.InvalidArgumentError, match="float32.*float64|float64.*float32"):
        tf.linalg.solve(tf.eye(2), tf.ones([2, 1], tf.float64))
    with pytest.raises(errors.InvalidArgumentError, match=r"int32 is not in the list of allowed "
                       r"values: float32, float64, float16 \[Op:MatrixInverse\]"):  # fmt: skip
        tf.linalg.inv(tf.constant([[1, 0], [0, 1]]))


def test_empty_matrices():
    assert tf.linalg.inv(tf.zeros([3, 0, 0])).shape == (3, 0, 0)
    np.testing.assert_array_equal(tf.linalg.det(tf.zeros([2, 0, 0])).numpy(), [1.0, 1.0])
    assert tf.linalg.solve(tf.zeros([0, 2, 2]), tf.zeros([0, 2, 1])).shape == (0, 2, 1)


def test_gradients_against_closed_forms():
    a = tf.constant(_matrices((3, 3)))
    b = tf.constant(RNG.normal(size=(3, 2)))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([a, b])
        det = tf.linalg.det(a)
        x = tf.linalg.solve(a, b)
        loss = tf.reduce_sum(x)
    inv = np.linalg.inv(a.numpy())
    np.testing.assert_allclose(tape.gradient(det, a).numpy(), det.numpy() * inv.T, rtol=1e-10)
    gb = tape.gradient(loss, b).numpy()
    np.testing.assert_allclose(gb, np.linalg.solve(a.numpy().T, np.ones((3, 2))), rtol=1e-10)
    ga = tape.gradient(loss, a).numpy()
    np.testing.assert_allclose(ga, -gb @ x.numpy().T, rtol=1e-10)


def test_inside_tf_function_and_under_jit():
    a = _matrices((2, 3, 3))

    @tf.function
    def f(m):
        return tf.linalg.det(m) + tf.reduce_sum(tf.linalg.inv(m), axis=[-1, -2])

    expect = np.linalg.det(a) + np.linalg.inv(a).sum(axis=(-1, -2))
    np.testing.assert_allclose(f(tf.constant(a)).numpy(), expect, rtol=1e-10)
    ops = [op.type for op in f.get_concrete_function(tf.constant(a)).graph.get_operations()]
    assert "MatrixDeterminant" in ops and "MatrixInverse" in ops
    pytest.importorskip("jax")

    @tf.function(jit_compile=True)
    def g(m, r):
        return tf.linalg.solve(m, r)

    r = RNG.normal(size=(2, 3, 1))
    np.testing.assert_allclose(g(tf.constant(a), tf.constant(r)).numpy(),
                               np.linalg.solve(a, r), rtol=1e-10)  # fmt: skip
