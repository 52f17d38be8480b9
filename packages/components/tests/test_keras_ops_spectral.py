"""keras_ops: fft / fft2 / ifft2 / rfft / irfft, svd, qr, kron and isin against NumPy, eager
and traced (the functions behind Keras's FFT, SVD, Qr, Kron and IsIn operation classes)."""

import numpy as np

import tensorhouse_ops as tops
from tensorhouse_components import keras_ops as K

RNG = np.random.default_rng(5)
X = RNG.normal(size=(2, 3, 4)).astype(np.float32)
Y = RNG.normal(size=(2, 3, 4)).astype(np.float32)


def _np(xs):
    return [np.asarray(x) for x in xs] if isinstance(xs, list | tuple) else np.asarray(xs)


def _both(fn, *args):
    """fn's outputs eager and traced (unknown leading dim), checked equal; the eager ones."""
    spec = [tops.TensorSpec([None, *a.shape[1:]], tops.as_dtype(a.dtype)) for a in args]
    eager = _np(fn(*args))
    traced = _np(tops.function(fn, input_signature=spec)(*args))
    for e, t in zip(eager if isinstance(eager, list) else [eager], traced if isinstance(
            traced, list) else [traced]):  # fmt: skip
        np.testing.assert_allclose(t, e, rtol=1e-6, atol=1e-6)
    return eager


def test_fft_family():
    z = X + 1j * Y
    re, im = _both(lambda a, b: K.fft((a, b)), X, Y)
    np.testing.assert_allclose(re + 1j * im, np.fft.fft(z), rtol=1e-5, atol=1e-5)
    re, im = _both(lambda a, b: K.fft2((a, b)), X, Y)
    np.testing.assert_allclose(re + 1j * im, np.fft.fft2(z), rtol=1e-5, atol=1e-5)
    re, im = _both(lambda a, b: K.ifft2((a, b)), X, Y)
    np.testing.assert_allclose(re + 1j * im, np.fft.ifft2(z), rtol=1e-5, atol=1e-5)
    re, im = _both(lambda a: K.rfft(a, fft_length=6), X)
    np.testing.assert_allclose(re + 1j * im, np.fft.rfft(X, n=6), rtol=1e-5, atol=1e-5)
    back = _both(lambda a, b: K.irfft((a, b)), X, Y)
    np.testing.assert_allclose(back, np.fft.irfft(z, n=6), rtol=1e-5, atol=1e-5)


def test_svd_and_qr():
    u, s, vh = _both(lambda a: K.svd(a, full_matrices=False), X)
    np.testing.assert_allclose(s, np.linalg.svd(X, compute_uv=False), rtol=1e-5)
    np.testing.assert_allclose(u @ (s[..., None] * vh), X, rtol=1e-4, atol=1e-5)
    u, s, vh = _both(lambda a: K.svd(a), X)
    assert u.shape == (2, 3, 3) and vh.shape == (2, 4, 4)
    q, r = _both(lambda a: K.linalg.qr(a, mode="complete"), X)
    np.testing.assert_allclose(q @ r, X, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np.tril(r, -1), 0, atol=1e-6)


def test_kron_and_isin():
    a = np.array([[1, 2], [3, 4]], np.int32)
    got = _np(K.kron(a, np.array([1.5, -1.0], np.float32)))
    np.testing.assert_array_equal(got, np.kron(a, np.array([1.5, -1.0])))
    assert got.dtype == np.float32  # Keras's promotion of int32 with float32
    k = _both(lambda a, b: K.kron(a, b), X, Y[:, :1])
    np.testing.assert_allclose(k, np.kron(X, Y[:, :1]), rtol=1e-6)
    ints = np.array([[1, 5, 2], [7, 2, 9]], np.int32)
    table = np.array([[2, 7], [4, 4]], np.int32)
    found = _both(lambda a, b: K.isin(a, b), ints, table)
    np.testing.assert_array_equal(found, np.isin(ints, table))
    np.testing.assert_array_equal(_np(K.isin(ints, table, invert=True)), ~np.isin(ints, table))
