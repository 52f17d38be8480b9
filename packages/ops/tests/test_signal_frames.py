"""tf.signal's framing, windows, STFT, DCT / MDCT and mel ops against NumPy references written
from their definitions, gradients against central differences, eager against traced."""

import numpy as np
import pytest

import tensorhouse_ops as tf

RNG = np.random.default_rng(18)


def np_frame(x, length, step, pad_end=False, pad_value=0.0):
    n = x.shape[-1]
    if pad_end:
        frames = -(-n // step)
        extra = max(0, length + step * (frames - 1) - n)
        x = np.concatenate([x, np.full(x.shape[:-1] + (extra,), pad_value, x.dtype)], -1)
    else:
        frames = max(0, 1 + (n - length) // step)
    out = np.zeros(x.shape[:-1] + (frames, length), x.dtype)
    for i in range(frames):
        out[..., i, :] = x[..., i * step : i * step + length]
    return out


def np_overlap_add(frames, step):
    f, length = frames.shape[-2:]
    out = np.zeros(frames.shape[:-2] + (length + step * (f - 1),), frames.dtype)
    for i in range(f):
        out[..., i * step : i * step + length] += frames[..., i, :]
    return out


def np_dct(x, kind, ortho=False):
    """SciPy fftpack's DCT definitions, summed directly."""
    n = x.shape[-1]
    k, m = np.arange(n)[:, None], np.arange(n)[None, :]
    if kind == 1:
        sign = (-1.0) ** np.arange(n)
        return (
            x[..., :1]
            + sign * x[..., -1:]
            + 2 * x[..., 1:-1] @ np.cos(np.pi * k[1:-1] * m / (n - 1))
        )
    if kind == 2:
        out = 2 * x @ np.cos(np.pi * (2 * k + 1) * m / (2 * n))
        if ortho:
            out = out * np.where(np.arange(n) == 0, np.sqrt(1 / (4 * n)), np.sqrt(1 / (2 * n)))
        return out
    if kind == 3:
        if ortho:
            return x[..., :1] / np.sqrt(n) + np.sqrt(2 / n) * x[..., 1:] @ np.cos(
                np.pi * k[1:] * (2 * m + 1) / (2 * n)
            )
        return x[..., :1] + 2 * x[..., 1:] @ np.cos(np.pi * k[1:] * (2 * m + 1) / (2 * n))
    out = 2 * x @ np.cos(np.pi * (2 * k + 1) * (2 * m + 1) / (4 * n))
    return out * np.sqrt(1 / (2 * n)) if ortho else out


@pytest.mark.parametrize(
    ("length", "step", "pad_end"),
    [(8, 3, False), (8, 5, True), (4, 4, False), (9, 2, True), (50, 3, False)],
)
def test_frame_matches_slices(length, step, pad_end):
    x = RNG.standard_normal((2, 3, 37)).astype(np.float32)
    got = tf.signal.frame(x, length, step, pad_end=pad_end, pad_value=1.5)
    np.testing.assert_array_equal(got.numpy(), np_frame(x, length, step, pad_end, 1.5))


def test_frame_on_inner_axis_keeps_the_rest():
    x = RNG.standard_normal((10, 3))
    got = tf.signal.frame(x, 4, 2, axis=0).numpy()
    assert got.shape == (4, 4, 3)
    np.testing.assert_array_equal(got[1, :, 2], x[2:6, 2])
    with pytest.raises(IndexError, match="axis 2"):
        tf.signal.frame(x, 4, 2, axis=2)


@pytest.mark.parametrize("step", [1, 3, 4, 8, 11])
def test_overlap_and_add_matches_loop(step):
    frames = RNG.standard_normal((2, 3, 5, 8))
    got = tf.signal.overlap_and_add(frames, step)
    np.testing.assert_allclose(got.numpy(), np_overlap_add(frames, step), rtol=1e-12)


def test_windows_match_their_formulas():
    n = np.arange(10)
    np.testing.assert_allclose(
        tf.signal.hann_window(10).numpy(), 0.5 - 0.5 * np.cos(2 * np.pi * n / 10), atol=1e-6
    )
    sym = tf.signal.hann_window(10, periodic=False, dtype=tf.float64).numpy()
    np.testing.assert_allclose(sym, np.hanning(10), atol=1e-15)
    # an odd length is symmetric whatever ``periodic`` says (TF's rule)
    np.testing.assert_allclose(
        tf.signal.hamming_window(9, dtype=tf.float64).numpy(), np.hamming(9), atol=1e-15
    )
    np.testing.assert_array_equal(tf.signal.hann_window(1).numpy(), [1.0])
    v = tf.signal.vorbis_window(12, dtype=tf.float64).numpy()
    np.testing.assert_allclose(
        v, np.sin(np.pi / 2 * np.sin(np.pi * (np.arange(12) + 0.5) / 12) ** 2)
    )
    np.testing.assert_allclose(v[:6] ** 2 + v[6:] ** 2, 1.0, atol=1e-12)  # Princen-Bradley
    with pytest.raises(ValueError, match="floating point"):
        tf.signal.hann_window(4, dtype=tf.int32)


def test_stft_is_windowed_rfft_of_frames_and_inverts():
    x = RNG.standard_normal((2, 64))
    got = tf.signal.stft(x, 16, 4, fft_length=20).numpy()
    w = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(16) / 16)
    np.testing.assert_allclose(got, np.fft.rfft(np_frame(x, 16, 4) * w, 20), atol=1e-12)
    assert tf.signal.stft(x.astype(np.float32), 10, 5).shape == (2, 11, 9)  # fft 16
    back = tf.signal.inverse_stft(
        tf.signal.stft(x, 16, 4), 16, 4, window_fn=tf.signal.inverse_stft_window_fn(4)
    ).numpy()
    np.testing.assert_allclose(back[:, 12:-12], x[:, 12:-12], atol=1e-12)


@pytest.mark.parametrize(
    ("kind", "ortho"),
    [(1, False), (2, False), (2, True), (3, False), (3, True), (4, False), (4, True)],
)
def test_dct_matches_definitions(kind, ortho):
    x = RNG.standard_normal((3, 11))
    got = tf.signal.dct(x, type=kind, norm="ortho" if ortho else None).numpy()
    np.testing.assert_allclose(got, np_dct(x, kind, ortho), atol=1e-12)
    got_n = tf.signal.dct(x, type=kind, n=7).numpy()
    np.testing.assert_allclose(got_n, np_dct(x[:, :7], kind), atol=1e-12)
    if ortho:
        back = tf.signal.idct(tf.signal.dct(x, type=kind, norm="ortho"), type=kind, norm="ortho")
        np.testing.assert_allclose(back.numpy(), x, atol=1e-12)


def test_dct_errors_are_tfs():
    x = np.ones((2, 4), np.float32)
    with pytest.raises(NotImplementedError, match="axis must be -1"):
        tf.signal.dct(x, axis=0)
    with pytest.raises(ValueError, match="Type-I DCT"):
        tf.signal.dct(x, type=1, norm="ortho")
    with pytest.raises(ValueError, match="Unknown normalization"):
        tf.signal.dct(x, norm="forward")


def test_mdct_round_trip_and_definition():
    x = RNG.standard_normal((2, 48))
    m = tf.signal.mdct(x, 16, window_fn=None)
    frames = np_frame(x, 16, 8) / np.sqrt(2)
    k, n = np.arange(8)[:, None], np.arange(16)[None, :]
    basis = 2 * np.cos(np.pi / 8 * (n + 0.5 + 4) * (k + 0.5))  # TF's MDCT: twice the usual
    np.testing.assert_allclose(m.numpy(), frames @ basis.T, atol=1e-12)
    back = tf.signal.inverse_mdct(tf.signal.mdct(x, 16))
    np.testing.assert_allclose(back.numpy()[:, 8:-8], x[:, 8:-8], atol=1e-12)
    with pytest.raises(ValueError, match="multiple of 4"):
        tf.signal.mdct(x, 10)


def test_mel_matrix_is_triangular_filters_and_mfccs_scale_dct():
    w = tf.signal.linear_to_mel_weight_matrix(4, 9, 8000, 100.0, 4000.0, dtype=tf.float64).numpy()
    mel = lambda f: 1127.0 * np.log1p(f / 700.0)  # noqa: E731
    edges = np.linspace(mel(100.0), mel(4000.0), 6)
    spec = mel(np.linspace(0, 4000, 9))[1:, None]
    up = (spec - edges[None, :4]) / (edges[1:5] - edges[:4])
    down = (edges[2:6] - spec) / (edges[2:6] - edges[1:5])
    np.testing.assert_allclose(
        w, np.pad(np.maximum(0, np.minimum(up, down)), [[1, 0], [0, 0]]), atol=1e-12
    )
    with pytest.raises(ValueError, match="Nyquist"):
        tf.signal.linear_to_mel_weight_matrix(upper_edge_hertz=5000.0)
    x = RNG.standard_normal((2, 13))
    got = tf.signal.mfccs_from_log_mel_spectrograms(x).numpy()
    np.testing.assert_allclose(got, np_dct(x, 2) / np.sqrt(26), atol=1e-12)


WEIGHTS = RNG.standard_normal(4096)


def _weighted(fn, v):
    y = fn(tf.constant(v))
    w = WEIGHTS[: y.shape.num_elements()].reshape(y.shape.as_list())
    return tf.reduce_sum(y * tf.constant(w))


def _grad_check(fn, x, eps=1e-6):
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = _weighted(lambda _: fn(xt), x)
    got = tape.gradient(y, xt).numpy().reshape(-1)
    num = np.zeros(x.size)
    for i in range(x.size):
        d = np.zeros(x.size)
        d[i] = eps
        d = d.reshape(x.shape)
        num[i] = (float(_weighted(fn, x + d)) - float(_weighted(fn, x - d))) / (2 * eps)
    np.testing.assert_allclose(got, num, rtol=1e-6, atol=1e-7)


GRAD_CASES = {
    "frame": lambda x: tf.signal.frame(x, 5, 2, pad_end=True),
    "overlap_and_add": lambda x: tf.signal.overlap_and_add(tf.reshape(x, [2, 3, 4]), 3),
    "stft_magnitude": lambda x: tf.abs(tf.signal.stft(x, 8, 3)),
    "dct2_ortho": lambda x: tf.signal.dct(x, norm="ortho"),
    "dct1": lambda x: tf.signal.dct(x, type=1),
    "idct4": lambda x: tf.signal.idct(x, type=4),
    "mdct": lambda x: tf.signal.mdct(x, 8),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_gradients_match_central_differences(name):
    _grad_check(GRAD_CASES[name], RNG.standard_normal((2, 12)))


def test_eager_and_traced_agree():
    def f(x):
        s = tf.signal.stft(x, 8, 4, pad_end=True)
        return (
            s,
            tf.signal.inverse_stft(s, 8, 4),
            tf.signal.dct(x, type=3),
            tf.signal.inverse_mdct(tf.signal.mdct(x, 8)),
            tf.signal.mfccs_from_log_mel_spectrograms(x),
        )

    x = tf.constant(RNG.standard_normal((2, 32)).astype(np.float32))
    for e, g in zip(f(x), tf.function(f)(x)):
        assert e.dtype == g.dtype and e.shape == g.shape
        np.testing.assert_array_equal(e.numpy(), g.numpy())


def test_unknown_batch_dim_traces():
    f = tf.function(lambda x: tf.signal.inverse_stft(tf.signal.stft(x, 8, 4), 8, 4))
    cf = f.get_concrete_function(tf.TensorSpec([None, 32], tf.float32))
    x = RNG.standard_normal((3, 32)).astype(np.float32)
    assert cf.structured_outputs.shape.as_list() == [None, 32]
    np.testing.assert_allclose(cf(tf.constant(x)).numpy(), f(tf.constant(x)).numpy(), rtol=1e-6)


def test_kaiser_windows_match_numpy():
    got = tf.signal.kaiser_window(11, beta=6.0, dtype=tf.float64).numpy()
    np.testing.assert_allclose(got, np.kaiser(11, 6.0), rtol=1e-14)
    kbd = tf.signal.kaiser_bessel_derived_window(8, beta=4.0, dtype=tf.float64).numpy()
    half = np.sqrt(np.cumsum(np.kaiser(5, 4.0))[:-1] / np.kaiser(5, 4.0).sum())
    np.testing.assert_allclose(kbd, np.r_[half, half[::-1]], rtol=1e-14)
    np.testing.assert_allclose(kbd[:4] ** 2 + kbd[4:] ** 2, 1.0, rtol=1e-14)  # Princen-Bradley
