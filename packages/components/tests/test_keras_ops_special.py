"""keras.ops's eig, erfinv, i0, kaiser, nextafter, view and jvp (keras_ops/_special.py) against
NumPy references and finite differences; traced equals eager."""

import math

import numpy as np

import tensorhouse_ops as tops
from tensorhouse_components import keras_ops as K

RNG = np.random.default_rng(14)


def test_elementwise_against_numpy():
    x = RNG.uniform(-4, 4, 20)
    np.testing.assert_allclose(np.asarray(K.i0(x)), np.i0(x), rtol=1e-14)
    y = RNG.uniform(-0.99, 0.99, 20).astype(np.float32)
    back = np.array([np.float32(math.erf(v)) for v in np.asarray(K.erfinv(y), float)])
    np.testing.assert_allclose(back, y, atol=2e-7)
    np.testing.assert_allclose(np.asarray(K.kaiser(7, 5.0)), np.kaiser(7, 5.0), rtol=1e-6)
    a = RNG.normal(size=5)
    np.testing.assert_array_equal(np.asarray(K.nextafter(a, 0.0)), np.nextafter(a, 0.0))


def test_view_round_trips_the_bytes():
    x = RNG.normal(size=(3, 4)).astype(np.float32)
    as_bytes = K.view(x, "uint8")
    assert as_bytes.shape == (3, 16)
    np.testing.assert_array_equal(np.asarray(as_bytes), x.view(np.uint8))
    np.testing.assert_array_equal(np.asarray(K.view(as_bytes, "float32")), x)
    np.testing.assert_array_equal(np.asarray(K.view(x, "int32")), x.view(np.int32))
    traced = tops.function(lambda t: K.view(t, "int16"))(tops.constant(x))
    np.testing.assert_array_equal(np.asarray(traced), x.view(np.int16))


def test_jvp_matches_central_differences():
    x0, t0 = RNG.normal(size=3), RNG.normal(size=3)

    def f(x):
        return K.sum(K.sin(x) * x**2)

    out, tangent = K.jvp(f, (tops.constant(x0),), (t0,))
    eps = 1e-6
    fd = (np.sum(np.sin(x0 + eps * t0) * (x0 + eps * t0) ** 2)
          - np.sum(np.sin(x0 - eps * t0) * (x0 - eps * t0) ** 2)) / (2 * eps)  # fmt: skip
    np.testing.assert_allclose(float(out), np.sum(np.sin(x0) * x0**2), rtol=1e-12)
    np.testing.assert_allclose(float(tangent), fd, rtol=1e-7)


def test_eig_decomposes():
    a = RNG.normal(size=(5, 5))
    e, v = (np.asarray(t) for t in K.eig(a))
    np.testing.assert_allclose(a @ v, v * e, atol=1e-12)
    np.testing.assert_allclose(
        np.sort_complex(e), np.sort_complex(np.linalg.eigvals(a)), rtol=1e-12
    )
