"""TF's complex dtypes: complex64 / complex128 tensors and variables, tf.complex, real, imag,
conj, abs, angle, arithmetic, casts, tf.signal's transforms, and gradients in TF's convention
(the gradient of a real loss with respect to z = x + iy is dL/dx + i dL/dy)."""

import numpy as np
import pytest

Z = np.array([1 + 2j, -3 + 0.5j, 0.25 - 1j])


def test_python_complex_infers_complex128(tf):
    t = tf.constant(1 + 2j)
    assert t.dtype == tf.complex128
    assert t.numpy() == 1 + 2j
    assert repr(t) == "<tf.Tensor: shape=(), dtype=complex128, numpy=(1+2j)>"
    assert tf.constant([1 + 2j, 3]).dtype == tf.complex128


def test_numpy_complex64_keeps_its_dtype_and_prints_as_tf(tf):
    t = tf.constant(np.array([[1j, 2], [3, 4j]], np.complex64))
    assert t.dtype == tf.complex64
    assert str(t) == (
        "tf.Tensor(\n[[0.+1.j 2.+0.j]\n [3.+0.j 0.+4.j]], shape=(2, 2), dtype=complex64)"
    )


def test_dtype_properties(tf):
    assert tf.complex64.is_complex and not tf.complex64.is_floating
    assert tf.complex64.real_dtype == tf.float32 and tf.complex128.real_dtype == tf.float64
    assert tf.float32.real_dtype == tf.float32 and not tf.float32.is_complex
    assert tf.complex64.size == 8 and tf.complex128.size == 16
    with pytest.raises(TypeError, match="Cannot find minimum value"):
        _ = tf.complex64.min


def test_constant_with_complex_dtype_converts_real_values(tf):
    t = tf.constant([1, 2], tf.complex64)
    assert t.dtype == tf.complex64
    np.testing.assert_array_equal(t.numpy(), [1 + 0j, 2 + 0j])


def test_cast_real_to_complex_and_back_keeps_the_real_part(tf):
    z = tf.cast(tf.constant([1.5, -2.0]), tf.complex64)
    assert z.dtype == tf.complex64
    np.testing.assert_array_equal(z.numpy(), [1.5 + 0j, -2 + 0j])
    r = tf.cast(tf.constant([1.7 + 2j, -3.2 - 1j]), tf.float32)
    np.testing.assert_array_equal(r.numpy(), np.array([1.7, -3.2], np.float32))
    i = tf.cast(tf.constant([1.7 + 2j, -3.2 - 1j]), tf.int32)
    np.testing.assert_array_equal(i.numpy(), [1, -3])
    b = tf.cast(tf.constant([0j, 1j, 2 + 0j]), tf.bool)  # TF casts the real part
    np.testing.assert_array_equal(b.numpy(), [False, False, True])
    c = tf.cast(tf.constant([1.5 + 1j]), tf.complex64)
    assert c.dtype == tf.complex64 and c.numpy()[0] == np.complex64(1.5 + 1j)


def test_tf_complex_real_imag_conj_abs_angle(tf):
    re, im = tf.constant([1.0, -3.0]), tf.constant([2.0, 4.0])
    z = tf.complex(re, im)
    assert z.dtype == tf.complex64
    np.testing.assert_array_equal(z.numpy(), np.array([1 + 2j, -3 + 4j], np.complex64))
    np.testing.assert_array_equal(tf.math.real(z).numpy(), [1.0, -3.0])
    np.testing.assert_array_equal(tf.math.imag(z).numpy(), [2.0, 4.0])
    np.testing.assert_array_equal(tf.math.conj(z).numpy(), np.array([1 - 2j, -3 - 4j]))
    a = tf.abs(z)
    assert a.dtype == tf.float32
    np.testing.assert_allclose(a.numpy(), [np.sqrt(5), 5.0], rtol=1e-6)
    np.testing.assert_allclose(tf.math.angle(z).numpy(), np.angle([1 + 2j, -3 + 4j]), rtol=1e-6)
    w = tf.complex(tf.constant([1.0, 2.0], tf.float64), tf.constant(3.0, tf.float64))
    assert w.dtype == tf.complex128  # broadcasts
    np.testing.assert_array_equal(w.numpy(), [1 + 3j, 2 + 3j])


def test_real_imag_conj_angle_of_real_tensors(tf):
    x = tf.constant([1.5, -2.0])
    np.testing.assert_array_equal(tf.math.real(x).numpy(), [1.5, -2.0])
    np.testing.assert_array_equal(tf.math.imag(x).numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(tf.math.conj(x).numpy(), [1.5, -2.0])
    np.testing.assert_allclose(tf.math.angle(x).numpy(), [0.0, np.pi], rtol=1e-6)


def test_tf_complex_rejects_mismatched_or_integer_parts(tf):
    with pytest.raises(TypeError, match="incorrect types: float32 float64"):
        tf.complex(tf.constant(1.0), tf.constant(2.0, tf.float64))
    with pytest.raises(TypeError, match="incorrect types: int32 int32"):
        tf.complex(tf.constant(1), tf.constant(2))


def test_arithmetic_matches_numpy(tf):
    a = np.array([1 + 2j, -3 + 0.5j], np.complex128)
    b = np.array([2 - 1j, 0.5 + 4j], np.complex128)
    x, y = tf.constant(a), tf.constant(b)
    np.testing.assert_allclose((x + y).numpy(), a + b)
    np.testing.assert_allclose((x - y).numpy(), a - b)
    np.testing.assert_allclose((x * y).numpy(), a * b)
    np.testing.assert_allclose((x / y).numpy(), a / b, rtol=1e-15)
    np.testing.assert_allclose((-x).numpy(), -a)
    np.testing.assert_allclose((x + 1).numpy(), a + 1)  # a Python scalar takes x's dtype
    np.testing.assert_allclose(tf.exp(x).numpy(), np.exp(a), rtol=1e-14)
    np.testing.assert_allclose(tf.sqrt(x).numpy(), np.sqrt(a), rtol=1e-14)
    np.testing.assert_allclose(tf.square(x).numpy(), a * a, rtol=1e-14)
    np.testing.assert_allclose(tf.math.log(x).numpy(), np.log(a), rtol=1e-14)
    np.testing.assert_array_equal((x == x).numpy(), [True, True])


def test_complex_division_by_zero_is_inf(tf):
    out = (tf.constant([1 + 2j]) / tf.constant([0j])).numpy()
    assert np.isinf(out.real[0]) and np.isinf(out.imag[0])


def test_adding_a_python_complex_to_a_float_tensor_fails(tf):
    with pytest.raises(tf.errors.InvalidArgumentError, match="complex128 tensor"):
        tf.constant([1.0]) + 1j


def test_reductions_matmul_and_adjoint(tf):
    a = np.array([[1 + 2j, 3j], [2 - 1j, 0.5]], np.complex64)
    x = tf.constant(a)
    np.testing.assert_allclose(tf.reduce_sum(x, axis=1).numpy(), a.sum(1), rtol=1e-6)
    np.testing.assert_allclose(tf.reduce_mean(x).numpy(), a.mean(), rtol=1e-6)
    assert tf.reduce_prod(tf.constant([1 + 2j, 3j])).numpy() == -6 + 3j
    np.testing.assert_allclose(tf.matmul(x, x).numpy(), a @ a, rtol=1e-6)
    np.testing.assert_allclose(tf.matmul(x, x, adjoint_a=True).numpy(), a.conj().T @ a, rtol=1e-6)
    np.testing.assert_allclose(tf.matmul(x, x, transpose_b=True).numpy(), a @ a.T, rtol=1e-6)
    batch = tf.stack([x, x])
    np.testing.assert_allclose(
        tf.matmul(batch, batch, adjoint_b=True).numpy()[1], a @ a.conj().T, rtol=1e-6
    )
    np.testing.assert_array_equal(tf.linalg.adjoint(x).numpy(), a.conj().T)
    np.testing.assert_array_equal(tf.transpose(x).numpy(), a.T)


def test_shape_ops_and_indexing(tf):
    a = np.array([[1j, 2], [3, 4j]])
    x = tf.constant(a)
    np.testing.assert_array_equal(x[1, ::-1].numpy(), a[1, ::-1])
    np.testing.assert_array_equal(tf.reshape(x, [4]).numpy(), a.reshape(4))
    np.testing.assert_array_equal(tf.concat([x, x], 0).numpy(), np.concatenate([a, a]))
    np.testing.assert_array_equal(tf.gather(x, [1, 0]).numpy(), a[[1, 0]])
    np.testing.assert_array_equal(tf.zeros([2], tf.complex64).numpy(), [0j, 0j])
    np.testing.assert_array_equal(tf.ones([2], tf.complex64).numpy(), [1 + 0j, 1 + 0j])
    np.testing.assert_array_equal(tf.pad(x, [[0, 1], [0, 0]]).numpy()[2], [0j, 0j])
    np.testing.assert_array_equal(tf.where([True, False], x[0], x[1]).numpy(), [1j, 4j])


def test_complex_variables(tf):
    v = tf.Variable([1 + 2j])
    assert v.dtype == tf.complex128
    v.assign_add([1j])
    np.testing.assert_array_equal(v.numpy(), [1 + 3j])
    assert "dtype=complex128, numpy=array([1.+3.j])" in repr(v)


# ---- tf.signal -------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 8, 12, 97, 128, 1000, 1024, 4096])
def test_fft_and_ifft_match_numpy_at_any_length(tf, n):
    rng = np.random.default_rng(n)
    a = rng.standard_normal((2, n)) + 1j * rng.standard_normal((2, n))
    ref = np.fft.fft(a)
    got = tf.signal.fft(tf.constant(a)).numpy()
    assert np.abs(got - ref).max() <= 1e-13 * np.abs(ref).max()
    got32 = tf.signal.fft(tf.constant(a.astype(np.complex64))).numpy()
    assert got32.dtype == np.complex64
    assert np.abs(got32 - ref).max() <= 2e-6 * np.abs(ref).max()
    back = tf.signal.ifft(tf.constant(ref)).numpy()
    np.testing.assert_allclose(back, a, atol=1e-12)


def test_rfft_irfft_with_fft_length(tf):
    x = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    r = tf.signal.rfft(tf.constant(x))
    assert r.dtype == tf.complex64 and r.shape == (3,)
    np.testing.assert_allclose(r.numpy(), np.fft.rfft(x), atol=1e-5)
    np.testing.assert_allclose(
        tf.signal.rfft(tf.constant(x), fft_length=[6]).numpy(), np.fft.rfft(x, 6), atol=1e-5
    )
    np.testing.assert_allclose(
        tf.signal.rfft(tf.constant(x), fft_length=[2]).numpy(), np.fft.rfft(x, 2), atol=1e-5
    )
    h = np.array([1 + 0j, 2j, 3])
    y = tf.signal.irfft(tf.constant(h))
    assert y.dtype == tf.float64 and y.shape == (4,)
    np.testing.assert_allclose(y.numpy(), [1.0, -1.5, 1.0, 0.5], atol=1e-12)
    np.testing.assert_allclose(
        tf.signal.irfft(tf.constant(h), fft_length=[3]).numpy(), np.fft.irfft(h, 3), atol=1e-12
    )
    assert tf.signal.irfft(tf.constant(h.astype(np.complex64))).dtype == tf.float32


def test_2d_and_3d_transforms(tf):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 10))
    np.testing.assert_allclose(
        tf.signal.rfft2d(tf.constant(x)).numpy(), np.fft.rfft2(x), atol=1e-12
    )
    np.testing.assert_allclose(
        tf.signal.irfft2d(tf.constant(np.fft.rfft2(x))).numpy(), x, atol=1e-12
    )
    z = x + 1j * rng.standard_normal(x.shape)
    np.testing.assert_allclose(tf.signal.fft2d(tf.constant(z)).numpy(), np.fft.fft2(z), atol=1e-12)
    np.testing.assert_allclose(
        tf.signal.ifft3d(tf.constant(z)).numpy(), np.fft.ifftn(z, axes=(0, 1, 2)), atol=1e-12
    )


def test_fftshift_and_ifftshift(tf):
    np.testing.assert_array_equal(tf.signal.fftshift(tf.range(5)).numpy(), [3, 4, 0, 1, 2])
    np.testing.assert_array_equal(tf.signal.ifftshift(tf.range(5)).numpy(), [2, 3, 4, 0, 1])
    m = tf.reshape(tf.range(6), [2, 3])
    np.testing.assert_array_equal(tf.signal.fftshift(m, axes=1).numpy(), [[2, 0, 1], [5, 3, 4]])


def test_fft_bad_inputs(tf):
    with pytest.raises(tf.errors.InvalidArgumentError, match="complex64, complex128"):
        tf.signal.fft(tf.constant([1.0]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="rank of at least 1"):
        tf.signal.fft(tf.constant(1j))
    with pytest.raises(tf.errors.InvalidArgumentError, match="rank of at least 2"):
        tf.signal.fft2d(tf.constant([1j, 2]))
    with pytest.raises(ValueError, match="RFFT requires tf.float32 or tf.float64"):
        tf.signal.rfft(tf.constant([1j]))
    with pytest.raises(ValueError, match="IRFFT requires tf.complex64 or tf.complex128"):
        tf.signal.irfft(tf.constant([1.0, 2.0]))


# ---- gradients (TF's convention: dL/dx + i dL/dy) --------------------------------------------


def _grad(tf, fn, z):
    x = tf.constant(z)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = fn(x)
    return tape.gradient(loss, x).numpy()


def test_gradients_of_abs_square_and_products(tf):
    np.testing.assert_allclose(_grad(tf, lambda x: tf.reduce_sum(tf.abs(x)), Z), Z / np.abs(Z))
    # |z^2| = |z|^2: gradient 2 z
    np.testing.assert_allclose(_grad(tf, lambda x: tf.reduce_sum(tf.abs(x * x)), Z), 2 * Z)
    # Re(z^2) = x^2 - y^2: gradient 2x - 2iy = 2 conj(z)
    g = _grad(tf, lambda x: tf.reduce_sum(tf.math.real(tf.square(x))), Z)
    np.testing.assert_allclose(g, 2 * np.conj(Z))
    # Im(c z) = b x + a y for c = a + ib: gradient b + i a = i conj(c)
    c = 2 - 3j
    g = _grad(tf, lambda x: tf.reduce_sum(tf.math.imag(x * c)), Z)
    np.testing.assert_allclose(g, 1j * np.conj(c) * np.ones_like(Z))


def test_gradients_of_exp_angle_and_complex(tf):
    g = _grad(tf, lambda x: tf.reduce_sum(tf.math.real(tf.exp(x))), Z)
    np.testing.assert_allclose(g, np.conj(np.exp(Z)), rtol=1e-12)
    g = _grad(tf, lambda x: tf.reduce_sum(tf.math.angle(x)), Z)
    np.testing.assert_allclose(g, -1 / (Z.imag + 1j * Z.real), rtol=1e-12)
    re, im = tf.constant([1.0, 2.0]), tf.constant([3.0, -1.0])
    with tf.GradientTape() as tape:
        tape.watch([re, im])
        loss = tf.reduce_sum(tf.abs(tf.complex(re, im)))
    d_re, d_im = tape.gradient(loss, [re, im])
    r = np.abs(np.array([1 + 3j, 2 - 1j]))
    np.testing.assert_allclose(d_re.numpy(), np.array([1.0, 2.0]) / r, rtol=1e-6)
    np.testing.assert_allclose(d_im.numpy(), np.array([3.0, -1.0]) / r, rtol=1e-6)


def test_gradient_through_a_complex_matmul(tf):
    a = np.array([[1 + 1j, 2], [0.5j, -1]])
    b = np.array([[2 - 1j], [1j]])
    x = tf.constant(a)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(tf.math.real(tf.matmul(x, tf.constant(b))))
    # L = Re(sum A B): dL/dA = conj(1 B^T)
    np.testing.assert_allclose(tape.gradient(loss, x).numpy(), np.conj(np.ones((2, 1)) @ b.T))


def test_gradients_of_fft_and_rfft(tf):
    rng = np.random.default_rng(1)
    z = rng.standard_normal(6) + 1j * rng.standard_normal(6)
    w = rng.standard_normal(6) + 1j * rng.standard_normal(6)
    # L = Re(sum w * fft(z)) = Re(w^T F z): gradient conj(F^T w) = conj(fft(w))
    g = _grad(tf, lambda x: tf.reduce_sum(tf.math.real(tf.constant(w) * tf.signal.fft(x))), z)
    np.testing.assert_allclose(g, np.conj(np.fft.fft(w)), atol=1e-12)
    g = _grad(tf, lambda x: tf.reduce_sum(tf.math.real(tf.constant(w) * tf.signal.ifft(x))), z)
    np.testing.assert_allclose(g, np.conj(np.fft.ifft(w)), atol=1e-12)
    x = rng.standard_normal(6)
    v = rng.standard_normal(4) + 1j * rng.standard_normal(4)
    # L = Re(sum v * rfft(x)): dL/dx_t = Re(sum_k v_k e^{-2 pi i k t / n})
    g = _grad(tf, lambda t: tf.reduce_sum(tf.math.real(tf.constant(v) * tf.signal.rfft(t))), x)
    k, t = np.arange(4)[:, None], np.arange(6)[None, :]
    expected = np.real((v[:, None] * np.exp(-2j * np.pi * k * t / 6)).sum(0))
    np.testing.assert_allclose(g, expected, atol=1e-12)
