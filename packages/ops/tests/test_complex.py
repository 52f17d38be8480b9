"""complex64 / complex128 tensors and variables: conversion, printing, the complex ops, casts,
gradients in TF's convention (dL/dx + i dL/dy for a real loss), eager against traced."""

import numpy as np
import pytest

import tensorhouse_ops as tf

RNG = np.random.default_rng(7)
A = RNG.standard_normal((3, 4)) + 1j * RNG.standard_normal((3, 4))
B = RNG.standard_normal((4,)) + 1j * RNG.standard_normal((4,))


def test_dtypes_and_conversion():
    assert tf.as_dtype("complex64") is tf.complex64
    assert tf.as_dtype(np.complex128) is tf.complex128
    assert tf.complex64.is_complex and tf.complex64.is_numeric and not tf.complex64.is_floating
    assert tf.complex128.real_dtype is tf.float64 and tf.int32.real_dtype is tf.int32
    assert tf.constant(2j).dtype is tf.complex128
    assert tf.constant([1, 2.5, 3j]).dtype is tf.complex128
    assert tf.constant(np.zeros(2, np.complex64)).dtype is tf.complex64
    np.testing.assert_array_equal(tf.constant([1.5, 2], tf.complex64).numpy(), [1.5, 2])
    with pytest.raises(TypeError):
        tf.constant(1 + 2j, tf.float32)  # would drop the imaginary part
    with pytest.raises(TypeError, match="maximum value"):
        _ = tf.complex128.max


def test_repr_str_and_numpy():
    t = tf.constant(1.5 - 2j)
    assert repr(t) == "<tf.Tensor: shape=(), dtype=complex128, numpy=(1.5-2j)>"
    assert type(t.numpy()) is np.complex128
    v = tf.constant([1j, 2], tf.complex64)
    assert str(v) == "tf.Tensor([0.+1.j 2.+0.j], shape=(2,), dtype=complex64)"


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_elementwise_ops_match_numpy(dtype):
    a, b = A.astype(dtype), B.astype(dtype)
    x, y = tf.constant(a), tf.constant(b)
    tol = dict(rtol=2e-6, atol=2e-6) if dtype == np.complex64 else dict(rtol=1e-13, atol=1e-13)
    cases = [
        (x + y, a + b), (x - y, a - b), (x * y, a * b), (x / y, a / b), (-x, -a),
        (tf.square(x), a * a), (tf.sqrt(x), np.sqrt(a)), (tf.exp(x), np.exp(a)),
        (tf.math.log(x), np.log(a)), (tf.math.reciprocal(x), 1 / a),
        (tf.math.rsqrt(x), 1 / np.sqrt(a)), (tf.sign(x), a / np.abs(a)),
        (tf.sin(x), np.sin(a)), (tf.cos(x), np.cos(a)), (tf.tanh(x), np.tanh(a)),
        (tf.pow(x, y), a**b), (tf.math.conj(x), np.conj(a)),
        (x * 2.5, a * 2.5),
    ]  # fmt: skip
    for got, want in cases:
        assert got.dtype == tf.as_dtype(dtype)
        np.testing.assert_allclose(got.numpy(), want, **tol)
    real = a.real.dtype
    for got, want in [(tf.abs(x), np.abs(a)), (tf.math.real(x), a.real),
                      (tf.math.imag(x), a.imag), (tf.math.angle(x), np.angle(a))]:  # fmt: skip
        assert got.dtype == tf.as_dtype(real)
        np.testing.assert_allclose(got.numpy(), want, **tol)
    np.testing.assert_array_equal(tf.equal(x, x).numpy(), np.ones(a.shape, bool))
    np.testing.assert_array_equal(tf.not_equal(x, tf.constant(a[0])).numpy(), a != a[0])


def test_sign_of_zero_and_complex_constructor():
    np.testing.assert_array_equal(tf.sign(tf.constant([0j, 3 + 4j])).numpy(), [0, 0.6 + 0.8j])
    z = tf.complex(tf.constant([[1.0], [2.0]]), tf.constant([3.0, 4.0, 5.0]))
    assert z.dtype is tf.complex64 and z.shape == (2, 3)
    np.testing.assert_array_equal(z.numpy(), [[1 + 3j, 1 + 4j, 1 + 5j], [2 + 3j, 2 + 4j, 2 + 5j]])
    with pytest.raises(TypeError, match="must be consistent"):
        tf.complex(1.0, tf.constant(2.0, tf.float64))


def test_casts_follow_tf():
    z = tf.constant([1.7 - 2j, -300.5 + 1j, 3e10 + 0j])
    np.testing.assert_array_equal(tf.cast(z, tf.float64).numpy(), [1.7, -300.5, 3e10])
    np.testing.assert_array_equal(tf.cast(z, tf.int32).numpy(), [1, -300, 2147483647])
    np.testing.assert_array_equal(tf.cast(z, tf.uint8).numpy(), [1, 0, 255])
    np.testing.assert_array_equal(tf.cast(tf.constant([0j, 1j, 2]), tf.bool).numpy(),
                                  [False, False, True])  # fmt: skip
    c = tf.cast(tf.constant([1, -2]), tf.complex128)
    assert c.dtype is tf.complex128
    np.testing.assert_array_equal(c.numpy(), [1 + 0j, -2 + 0j])
    h = tf.cast(tf.constant([1.5, -0.25], tf.float16), tf.complex64)
    np.testing.assert_array_equal(h.numpy(), [1.5, -0.25])
    d = tf.cast(tf.constant([1 / 3 + 1j / 7]), tf.complex64)
    assert d.numpy()[0] == np.complex64(1 / 3 + 1j / 7)


def test_reductions_matmul_and_shape_ops():
    x, y = tf.constant(A), tf.constant(B)
    np.testing.assert_allclose(tf.reduce_sum(x, axis=0).numpy(), A.sum(0), rtol=1e-14)
    np.testing.assert_allclose(tf.reduce_mean(x, axis=[0, 1]).numpy(), A.mean(), rtol=1e-14)
    np.testing.assert_allclose(tf.cumsum(x, axis=1).numpy(), np.cumsum(A, 1), rtol=1e-13)
    np.testing.assert_allclose(tf.reduce_prod(x, axis=1).numpy(), A.prod(1), rtol=1e-13)
    np.testing.assert_allclose(tf.linalg.matvec(x, y).numpy(), A @ B, rtol=1e-13)
    np.testing.assert_allclose(tf.matmul(x, x, adjoint_b=True).numpy(), A @ A.conj().T)
    np.testing.assert_allclose(tf.matmul(x, x, transpose_a=True).numpy(), A.T @ A)
    stack = tf.stack([x, 2 * x])
    np.testing.assert_allclose(tf.matmul(stack, x, adjoint_a=True).numpy()[1], 2 * A.conj().T @ A)
    np.testing.assert_allclose(tf.matmul(stack, x, transpose_a=True).numpy()[0], A.T @ A)
    np.testing.assert_array_equal(tf.linalg.adjoint(stack).numpy()[0], A.conj().T)
    np.testing.assert_array_equal(tf.transpose(x, conjugate=True).numpy(), A.conj().T)
    np.testing.assert_array_equal(x[1:, ::-2].numpy(), A[1:, ::-2])
    np.testing.assert_array_equal(tf.tile(y, [2]).numpy(), np.tile(B, 2))
    np.testing.assert_array_equal(tf.reverse(x, [0]).numpy(), A[::-1])
    np.testing.assert_array_equal(tf.gather_nd(x, [[0, 1], [2, 3]]).numpy(), A[[0, 2], [1, 3]])
    np.testing.assert_array_equal(tf.pad(y, [[1, 0]], constant_values=2j).numpy()[0], 2j)
    np.testing.assert_array_equal(tf.fill([2], 1 - 1j).numpy(), [1 - 1j, 1 - 1j])
    np.testing.assert_array_equal(tf.scatter_nd([[1]], tf.constant([3j]), [3]).numpy(), [0, 3j, 0])
    parts = tf.split(x, 2, axis=1)
    np.testing.assert_array_equal(parts[1].numpy(), A[:, 2:])


def test_complex_variables_assign_and_update():
    v = tf.Variable(tf.constant([1 + 1j, 2], tf.complex64))
    v.assign_add(tf.constant([1j, 1j], tf.complex64))
    v[0].assign(5 - 5j)
    np.testing.assert_array_equal(v.numpy(), np.array([5 - 5j, 2 + 1j], np.complex64))
    assert v.dtype is tf.complex64


def _grad(fn, z):
    x = tf.constant(z)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = fn(x)
    return tape.gradient(loss, x).numpy()


def _numeric(fn, z, eps=1e-6):
    """dL/dx + i dL/dy by central differences."""
    g = np.zeros_like(z)
    for idx in np.ndindex(*z.shape):
        for unit in (1, 1j):
            dz = np.zeros_like(z)
            dz[idx] = eps * unit
            d = (fn(tf.constant(z + dz)).numpy() - fn(tf.constant(z - dz)).numpy()) / (2 * eps)
            g[idx] += unit * d
    return g


LOSSES = {
    "mul_exp": lambda x: tf.reduce_sum(tf.abs(tf.exp(x) * x)),
    "div_sqrt": lambda x: tf.reduce_sum(tf.math.real(tf.sqrt(x) / (x + 2.0))),
    "log_square": lambda x: tf.reduce_sum(tf.math.imag(tf.math.log(tf.square(x) + 3.0))),
    "angle_conj": lambda x: tf.reduce_sum(tf.math.angle(tf.math.conj(x) * (1 + 2j))),
    "trig": lambda x: tf.reduce_sum(tf.math.real(tf.sin(x) * tf.cos(x) + tf.tanh(x))),
    "recip_rsqrt": lambda x: tf.reduce_sum(tf.abs(tf.math.reciprocal(x) + tf.math.rsqrt(x))),
    "pow": lambda x: tf.reduce_sum(tf.math.real(tf.pow(x, tf.constant(1.5 + 0.5j)))),
    "matmul": lambda x: tf.reduce_sum(tf.abs(tf.matmul(x, x, adjoint_b=True))),
    "cast": lambda x: (
        tf.reduce_sum(tf.square(tf.cast(x, tf.float64))) + tf.reduce_sum(tf.math.imag(x))
    ),
    "prod": lambda x: tf.math.real(tf.reduce_prod(x * (1 - 0.5j))),
    "prod_with_zero": lambda x: tf.reduce_sum(  # row 0 holds a zero
        tf.math.imag(tf.reduce_prod(x * tf.constant([[1, 0], [1, 1]], tf.complex128), axis=1))
    ),
    "mean_gather": lambda x: tf.math.real(tf.reduce_mean(tf.gather(x, [1, 0, 1]) * (2 - 1j))),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_gradients_match_finite_differences(name):
    fn = LOSSES[name]
    z = np.array([[0.7 + 0.4j, -0.3 + 1.1j], [1.2 - 0.5j, 0.4 + 0.8j]])
    np.testing.assert_allclose(_grad(fn, z), _numeric(fn, z), rtol=1e-6, atol=1e-7)


def test_gradient_to_real_parts_through_complex():
    re, im = tf.constant([0.5, -1.0]), tf.constant([2.0, 0.25])
    with tf.GradientTape() as tape:
        tape.watch([re, im])
        z = tf.complex(re, im)
        loss = tf.reduce_sum(tf.math.real(z * z))  # re^2 - im^2
    d_re, d_im = tape.gradient(loss, [re, im])
    np.testing.assert_allclose(d_re.numpy(), [1.0, -2.0])
    np.testing.assert_allclose(d_im.numpy(), [-4.0, -0.5])


def test_abs_gradient_at_zero_is_zero():
    g = _grad(lambda x: tf.reduce_sum(tf.abs(x)), np.array([0j, 3 + 4j]))
    assert g[0] == 0
    np.testing.assert_allclose(g[1], 0.6 + 0.8j, rtol=1e-15)


def test_variable_gradient():
    v = tf.Variable([1 + 1j, -2j])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.abs(v) ** 2)
    np.testing.assert_allclose(tape.gradient(loss, v).numpy(), 2 * np.array([1 + 1j, -2j]))


def test_eager_and_traced_agree():
    def f(x, y):
        z = tf.exp(x) * y - tf.sqrt(x) / (y + 1.0)
        return tf.abs(z), tf.math.angle(tf.reduce_sum(z, axis=0)), tf.matmul(x, x, adjoint_a=True)

    x, y = tf.constant(A[:, :3]), tf.constant(B[:3])
    for e, g in zip(f(x, y), tf.function(f)(x, y)):
        assert e.dtype == g.dtype
        np.testing.assert_array_equal(e.numpy(), g.numpy())


def test_complex_cumprod_needs_a_known_length_when_traced():
    f = tf.function(lambda x: tf.math.cumprod(x, axis=0))
    with pytest.raises(tf.errors.UnimplementedError, match="known length along axis 0"):
        f.get_concrete_function(tf.TensorSpec([None], tf.complex64))
    cf = f.get_concrete_function(tf.TensorSpec([3, None], tf.complex64))
    x = np.array([[1j, 2.0], [2.0, -1j], [1 + 1j, 3.0]], np.complex64)
    np.testing.assert_allclose(cf(tf.constant(x)).numpy(), np.cumprod(x, axis=0), rtol=1e-6)


def test_real_cumprod_and_squared_difference_unchanged():
    x = tf.constant([1.0, -2.0, 3.0])
    np.testing.assert_array_equal(tf.math.cumprod(x, exclusive=True).numpy(), [1.0, 1.0, -2.0])
    np.testing.assert_array_equal(tf.math.squared_difference(x, 1.0).numpy(), [0.0, 9.0, 4.0])
    assert tf.math.squared_difference(2, 5).numpy() == 9
