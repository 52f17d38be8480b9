"""Complex ``tf.math`` unary functions (tan, sinh, ..., log1p): values and TF's gradients."""

from __future__ import annotations

import numpy as np
import pytest

Z = np.array([0.3 + 0.4j, -0.5 + 0.2j, 1.2 - 0.7j], np.complex128)
W = np.array([1.0 - 2.0j, 0.5 + 1.5j, -0.3 + 0.1j], np.complex128)

FUNCS = {
    "tan": np.tan, "sinh": np.sinh, "cosh": np.cosh, "asin": np.arcsin, "acos": np.arccos,
    "atan": np.arctan, "asinh": np.arcsinh, "acosh": np.arccosh, "atanh": np.arctanh,
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)), "expm1": np.expm1, "log1p": np.log1p,
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(FUNCS))
@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_complex_unary_values(tf, name, dtype):
    got = getattr(tf.math, name)(tf.constant(Z.astype(dtype)))
    assert got.dtype == getattr(tf, dtype)
    tol = 1e-5 if dtype == "complex64" else 1e-12
    np.testing.assert_allclose(got.numpy(), FUNCS[name](Z), rtol=tol, atol=tol)


def test_complex_expm1_log1p_keep_small_values(tf):
    z = tf.constant([1e-9 + 1e-9j], tf.complex128)
    np.testing.assert_allclose(tf.math.expm1(z).numpy(), [1e-9 + 1e-9j], rtol=1e-6)
    np.testing.assert_allclose(tf.math.log1p(z).numpy(), [1e-9 + 1e-9j], rtol=1e-6)


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_complex_unary_gradient_is_dl_dx_plus_i_dl_dy(tf, name):
    f = FUNCS[name]

    def loss(z):  # a real loss of a complex z
        return np.real(np.sum(f(z) * W))

    h = 1e-6
    want = np.array([
        (loss(Z + h * e) - loss(Z - h * e)) / (2 * h)
        + 1j * (loss(Z + 1j * h * e) - loss(Z - 1j * h * e)) / (2 * h)
        for e in np.eye(len(Z))
    ])  # fmt: skip
    z = tf.constant(Z)
    with tf.GradientTape() as tape:
        tape.watch(z)
        y = tf.math.real(tf.reduce_sum(getattr(tf.math, name)(z) * tf.constant(W)))
    np.testing.assert_allclose(tape.gradient(y, z).numpy(), want, rtol=1e-6, atol=1e-7)


def test_complex_unary_traced_matches_eager(tf):
    fn = tf.function(lambda z: tf.math.tan(z) + tf.math.atanh(z) * tf.math.sigmoid(z))
    z = tf.constant(Z.astype(np.complex64))
    eager = tf.math.tan(z) + tf.math.atanh(z) * tf.math.sigmoid(z)
    np.testing.assert_allclose(fn(z).numpy(), eager.numpy(), rtol=1e-6)


def test_complex_no_nan_and_xlogy_family(tf):
    z = tf.constant(np.append(Z, 0j))
    w = tf.constant(np.append(W, 2.0 + 1j))
    recip = np.append(1 / Z, 0)
    np.testing.assert_allclose(tf.math.reciprocal_no_nan(z).numpy(), recip, rtol=1e-12)
    want_xlogy = np.append(Z * np.log(W), 0)
    np.testing.assert_allclose(tf.math.xlogy(z, w).numpy(), want_xlogy, rtol=1e-12)
    np.testing.assert_allclose(tf.math.xdivy(z, w).numpy(), np.append(Z / W, 0), rtol=1e-12)
