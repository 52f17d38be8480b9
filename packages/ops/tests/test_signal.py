"""tf.signal: the Fourier transforms against NumPy's pocketfft (any length, 1-3 dims,
fft_length cropping and padding), fftshift, the errors, gradients against finite differences,
eager against traced."""

import numpy as np
import pytest

import tensorhouse_ops as tf

RNG = np.random.default_rng(3)
LENGTHS = [1, 2, 3, 5, 7, 8, 12, 97, 128, 1000, 1024, 4096]


def _cplx(shape):
    return RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)


def _rel_err(got, want):
    return np.abs(got - want).max() / max(np.abs(want).max(), 1e-300)


@pytest.mark.parametrize("n", LENGTHS)
def test_fft_precision_close_to_pocketfft(n):
    z = _cplx((3, n))
    want = np.fft.fft(z)
    assert _rel_err(tf.signal.fft(tf.constant(z)).numpy(), want) < 1e-14
    assert _rel_err(tf.signal.ifft(tf.constant(want)).numpy(), z) < 1e-14
    z32 = z.astype(np.complex64)
    want32 = np.fft.fft(z32.astype(np.complex128))
    got32 = tf.signal.fft(tf.constant(z32)).numpy()
    assert got32.dtype == np.complex64
    # computed in float32 (as NumPy's): a few float32 roundings per pass
    assert _rel_err(got32, want32) < 1e-6


@pytest.mark.parametrize("n", LENGTHS)
def test_complex64_inverse_transforms_within_float32_error(n):
    # complex64 computes in float32 (NumPy's pocketfft too): compared with float64 NumPy
    z = _cplx((9, n)).astype(np.complex64)  # 9 rows: both lane widths and a partial batch
    wide = z.astype(np.complex128)
    got = tf.signal.ifft(tf.constant(z)).numpy()
    assert got.dtype == np.complex64 and _rel_err(got, np.fft.ifft(wide)) < 1e-6
    half = z[:, : n // 2 + 1]
    got = tf.signal.irfft(tf.constant(half), fft_length=[n]).numpy()
    assert got.dtype == np.float32 and _rel_err(got, np.fft.irfft(wide[:, : n // 2 + 1], n)) < 1e-6
    planes = _cplx((2, 6, n // 2 + 1)).astype(np.complex64)
    got = tf.signal.irfft2d(tf.constant(planes), fft_length=[6, n]).numpy()
    want = np.fft.irfft2(planes.astype(np.complex128), s=(6, n))
    assert got.dtype == np.float32 and _rel_err(got, want) < 1e-6


@pytest.mark.parametrize("n", LENGTHS)
def test_rfft_irfft_roundtrip_at_any_length(n):
    x = RNG.standard_normal((2, n))
    spec = tf.signal.rfft(tf.constant(x))
    assert spec.shape == (2, n // 2 + 1) and spec.dtype == tf.complex128
    assert _rel_err(spec.numpy(), np.fft.rfft(x)) < 1e-14
    back = tf.signal.irfft(spec, fft_length=[n])
    np.testing.assert_allclose(back.numpy(), x, atol=1e-12)


def test_real_input_gives_exactly_real_zero_and_nyquist_terms():
    spec = tf.signal.rfft(tf.constant(RNG.standard_normal(12))).numpy()
    assert spec[0].imag == 0 and spec[6].imag == 0


@pytest.mark.parametrize(
    "op, np_fn, rank",
    [("fft2d", np.fft.fftn, 2), ("ifft2d", np.fft.ifftn, 2), ("fft3d", np.fft.fftn, 3),
     ("ifft3d", np.fft.ifftn, 3)],
)  # fmt: skip
def test_multidimensional_complex_transforms(op, np_fn, rank):
    z = _cplx((2, 5, 6, 7))
    got = getattr(tf.signal, op)(tf.constant(z)).numpy()
    want = np_fn(z, axes=tuple(range(-rank, 0)))
    assert _rel_err(got, want) < 1e-14


@pytest.mark.parametrize("lengths", [[6, 10], [3, 13], [8, 4]])
def test_rfft2d_irfft2d_with_fft_length(lengths):
    x = RNG.standard_normal((2, 6, 10))
    got = tf.signal.rfft2d(tf.constant(x), fft_length=lengths).numpy()
    np.testing.assert_allclose(got, np.fft.rfftn(x, s=lengths, axes=(1, 2)), atol=1e-12)
    h = _cplx((2, 5, 4))
    got = tf.signal.irfft2d(tf.constant(h), fft_length=lengths).numpy()
    np.testing.assert_allclose(got, np.fft.irfftn(h, s=lengths, axes=(1, 2)), atol=1e-12)


def test_rfft3d_irfft3d():
    x = RNG.standard_normal((2, 3, 4, 5)).astype(np.float32)
    spec = tf.signal.rfft3d(tf.constant(x))
    assert spec.dtype == tf.complex64 and spec.shape == (2, 3, 4, 3)
    np.testing.assert_allclose(spec.numpy(), np.fft.rfftn(x, axes=(1, 2, 3)), atol=1e-4)
    back = tf.signal.irfft3d(spec, fft_length=[3, 4, 5])
    assert back.dtype == tf.float32
    np.testing.assert_allclose(back.numpy(), x, atol=1e-5)


def test_default_fft_length_and_empty_inputs():
    h = tf.constant(_cplx((5,)))
    assert tf.signal.irfft(h).shape == (8,)  # 2 * (5 - 1)
    assert tf.signal.rfft(tf.zeros([0])).shape == (0,)
    assert tf.signal.fft(tf.zeros([0, 3], tf.complex64)).shape == (0, 3)
    np.testing.assert_array_equal(tf.signal.fft(tf.zeros([2, 0], tf.complex128)).numpy(),
                                  np.zeros((2, 0)))  # fmt: skip


def test_fftshift_ifftshift_match_numpy():
    x = np.arange(30).reshape(5, 6)
    np.testing.assert_array_equal(tf.signal.fftshift(tf.constant(x)).numpy(), np.fft.fftshift(x))
    np.testing.assert_array_equal(
        tf.signal.ifftshift(tf.constant(x), axes=[0]).numpy(), np.fft.ifftshift(x, axes=[0])
    )
    np.testing.assert_array_equal(
        tf.signal.fftshift(tf.constant(x), axes=-1).numpy(), np.fft.fftshift(x, axes=-1)
    )


def test_errors_as_tf():
    with pytest.raises(tf.errors.InvalidArgumentError, match="attr 'Tcomplex' of float"):
        tf.signal.fft(tf.constant([1.0]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="attr 'Tcomplex' of int32"):
        tf.signal.ifft2d(tf.constant([[1]]))
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"rank of at least 3 but got: \[2,2\]"
    ):
        tf.signal.fft3d(tf.zeros([2, 2], tf.complex64))
    with pytest.raises(ValueError, match="RFFT2D requires tf.float32 or tf.float64"):
        tf.signal.rfft2d(tf.zeros([2, 2], tf.complex64))
    with pytest.raises(ValueError, match="must have rank at least 2"):
        tf.signal.rfft2d(tf.zeros([6]))
    with pytest.raises(ValueError, match="IRFFT requires tf.complex64 or tf.complex128"):
        tf.signal.irfft(tf.constant([1.0]))


def _numeric(fn, z, eps=1e-6):
    """dL/dx + i dL/dy of a real loss by central differences (real z: dL/dz)."""
    g = np.zeros_like(z)
    units = (1, 1j) if np.iscomplexobj(z) else (1,)
    for idx in np.ndindex(*z.shape):
        for unit in units:
            dz = np.zeros_like(z)
            dz[idx] = eps * unit
            d = (fn(tf.constant(z + dz)).numpy() - fn(tf.constant(z - dz)).numpy()) / (2 * eps)
            g[idx] += unit * d
    return g


def _tape(fn, z):
    x = tf.constant(z)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = fn(x)
    return tape.gradient(loss, x).numpy()


W6 = _cplx((2, 6))


def _weighted(t):
    w = tf.constant(np.resize(W6, t.shape.as_list()))  # fixed complex weights of t's shape
    return tf.reduce_sum(tf.abs(t * tf.cast(w, t.dtype)) ** 2)


GRAD_CASES = {
    "fft": (lambda x: _weighted(tf.signal.fft(x)), _cplx((2, 5))),
    "ifft": (lambda x: _weighted(tf.signal.ifft(x)), _cplx((2, 6))),
    "fft2d": (lambda x: _weighted(tf.signal.fft2d(x)), _cplx((2, 3, 4))),
    "ifft3d": (lambda x: _weighted(tf.signal.ifft3d(x)), _cplx((2, 2, 3))),
    "rfft_padded": (lambda x: _weighted(tf.signal.rfft(x, fft_length=[9])), RNG.random((2, 6))),
    "rfft_cropped": (lambda x: _weighted(tf.signal.rfft(x, fft_length=[4])), RNG.random((2, 6))),
    "rfft2d": (lambda x: _weighted(tf.signal.rfft2d(x, fft_length=[2, 5])), RNG.random((3, 4))),
    "irfft": (lambda x: tf.reduce_sum(tf.signal.irfft(x) ** 2 * np.arange(6.0)), _cplx((2, 4))),
    "irfft_odd": (lambda x: tf.reduce_sum(tf.signal.irfft(x, fft_length=[5]) ** 3), _cplx((4,))),
    "irfft2d": (
        lambda x: tf.reduce_sum(tf.signal.irfft2d(x, fft_length=[3, 4]) ** 2),
        _cplx((2, 2, 3)),
    ),  # fmt: skip
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_gradients_match_finite_differences(name):
    fn, z = GRAD_CASES[name]
    np.testing.assert_allclose(_tape(fn, z), _numeric(fn, z), rtol=1e-6, atol=1e-7)


def test_eager_and_traced_agree():
    def f(x, r):
        return (tf.signal.ifft(tf.signal.fft2d(x) * 2.0), tf.signal.rfft(r, fft_length=[7]),
                tf.signal.irfft2d(tf.signal.rfft2d(r)), tf.signal.fftshift(r, axes=1))  # fmt: skip

    x, r = tf.constant(_cplx((3, 4))), tf.constant(RNG.standard_normal((3, 5)))
    for e, g in zip(f(x, r), tf.function(f)(x, r)):
        assert e.dtype == g.dtype and e.shape == g.shape
        np.testing.assert_array_equal(e.numpy(), g.numpy())


ND_CASES = [
    (None, None, None),
    ([0, 2], None, None),
    ([1, 2], [2, 5], None),
    ([2, 0], [5, 1], "ortho"),
    ([-1], [3], "forward"),
]


@pytest.mark.parametrize(("axes", "lengths", "norm"), ND_CASES)
def test_fftnd_ifftnd_match_numpy(axes, lengths, norm):
    z = _cplx((2, 3, 4))
    want = np.fft.fftn(z, s=lengths, axes=axes or [0, 1, 2], norm=norm)
    got = tf.signal.fftnd(tf.constant(z), fft_length=lengths, axes=axes, norm=norm)
    assert _rel_err(got.numpy(), want) < 1e-14
    back = tf.signal.ifftnd(tf.constant(z), fft_length=lengths, axes=axes, norm=norm)
    assert (
        _rel_err(back.numpy(), np.fft.ifftn(z, s=lengths, axes=axes or [0, 1, 2], norm=norm))
        < 1e-14
    )
    assert tf.signal.fftnd(tf.constant(z.astype(np.complex64))).dtype == tf.complex64


@pytest.mark.parametrize(("axes", "lengths", "norm"), ND_CASES)
def test_rfftnd_irfftnd_match_numpy(axes, lengths, norm):
    r = RNG.standard_normal((2, 3, 4))
    all_axes = axes or [0, 1, 2]
    want = np.fft.rfftn(r, s=lengths, axes=all_axes, norm=norm)
    got = tf.signal.rfftnd(tf.constant(r), fft_length=lengths, axes=axes, norm=norm)
    assert _rel_err(got.numpy(), want) < 1e-14
    back = tf.signal.irfftnd(tf.constant(want), fft_length=lengths, axes=axes, norm=norm)
    assert _rel_err(back.numpy(), np.fft.irfftn(want, s=lengths, axes=all_axes, norm=norm)) < 1e-13


def test_fftnd_errors():
    z = tf.constant(_cplx((2, 3)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="unique"):
        tf.signal.fftnd(z, axes=[0, -2])
    with pytest.raises(tf.errors.InvalidArgumentError, match="same length"):
        tf.signal.fftnd(z, fft_length=[2], axes=[0, 1])
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of range"):
        tf.signal.ifftnd(z, axes=[2])
    with pytest.raises(ValueError, match="norm"):
        tf.signal.fftnd(z, norm="both")


ND_GRAD_CASES = {
    "fftnd": (
        lambda x: _weighted(tf.signal.fftnd(x, fft_length=[3, 2], axes=[1, 0])),
        _cplx((2, 3)),
    ),
    "ifftnd": (lambda x: _weighted(tf.signal.ifftnd(x, norm="ortho")), _cplx((2, 3))),
    "rfftnd": (lambda x: _weighted(tf.signal.rfftnd(x, axes=[1, 0])), RNG.random((3, 4))),
    "irfftnd": (lambda x: tf.reduce_sum(tf.signal.irfftnd(x) ** 2), _cplx((2, 3))),
}


@pytest.mark.parametrize("name", sorted(ND_GRAD_CASES))
def test_nd_gradients_match_finite_differences(name):
    fn, z = ND_GRAD_CASES[name]
    np.testing.assert_allclose(_tape(fn, z), _numeric(fn, z), rtol=1e-6, atol=1e-7)


def test_fftnd_traced_matches_eager():
    def f(x):
        return tf.signal.fftnd(x, axes=[0, 2]), tf.signal.irfftnd(x, fft_length=[2, 4], axes=[1, 2])

    x = tf.constant(_cplx((2, 3, 3)))
    for e, g in zip(f(x), tf.function(f)(x)):
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-13, atol=1e-13)
