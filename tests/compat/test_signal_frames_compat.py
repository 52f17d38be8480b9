"""TF's tf.signal framing, windows, STFT, DCT / MDCT and mel ops: numbers against NumPy written
from the definitions, TF's defaults (fft_length, periodic windows, TF's DCT-IV scale) and errors."""

import numpy as np
import pytest

RNG = np.random.default_rng(7)
X = RNG.standard_normal((2, 37)).astype(np.float32)


def test_frame_and_overlap_and_add(tf):
    got = tf.signal.frame(X, 8, 5, pad_end=True, pad_value=2.0).numpy()
    assert got.shape == (2, 8, 8)
    np.testing.assert_array_equal(got[:, 3], X[:, 15:23])
    np.testing.assert_array_equal(got[0, 7], np.r_[X[0, 35:], [2.0] * 6].astype(np.float32))
    assert tf.signal.frame(X, 8, 3).shape == (2, 10, 8)
    assert tf.signal.frame(X[:, :3], 8, 3).shape == (2, 0, 8)
    frames = RNG.standard_normal((3, 4, 6))
    out = tf.signal.overlap_and_add(frames, 4).numpy()
    want = np.zeros((3, 18))
    for i in range(4):
        want[:, 4 * i : 4 * i + 6] += frames[:, i]
    np.testing.assert_allclose(out, want, rtol=1e-12)
    with pytest.raises(ValueError, match="rank at least 2"):
        tf.signal.overlap_and_add(X[0], 2)


def test_windows(tf):
    np.testing.assert_allclose(
        tf.signal.hann_window(8).numpy(), 0.5 - 0.5 * np.cos(np.pi * np.arange(8) / 4), atol=1e-6
    )
    np.testing.assert_allclose(tf.signal.hann_window(9).numpy(), np.hanning(9), atol=1e-6)
    np.testing.assert_allclose(
        tf.signal.hamming_window(6, periodic=False, dtype=tf.float64).numpy(),
        np.hamming(6),
        atol=1e-15,
    )
    v = tf.signal.vorbis_window(8).numpy()
    np.testing.assert_allclose(
        v, np.sin(np.pi / 2 * np.sin(np.pi * (np.arange(8) + 0.5) / 8) ** 2), atol=1e-6
    )
    assert tf.signal.hann_window(1).numpy().tolist() == [1.0]
    with pytest.raises(ValueError, match="dtype must be a floating point type"):
        tf.signal.hann_window(4, dtype=tf.int32)


def test_stft_defaults_and_inverse(tf):
    s = tf.signal.stft(X, 10, 4)  # fft_length 16, a periodic Hann window
    assert s.shape == (2, 7, 9) and s.dtype == tf.complex64
    w = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(10) / 10)
    frames = np.stack([X[:, 4 * i : 4 * i + 10] for i in range(7)], 1) * w
    np.testing.assert_allclose(s.numpy(), np.fft.rfft(frames, 16), atol=2e-5)
    x = RNG.standard_normal((1, 64))
    back = tf.signal.inverse_stft(
        tf.signal.stft(x, 16, 4), 16, 4, window_fn=tf.signal.inverse_stft_window_fn(4)
    ).numpy()
    np.testing.assert_allclose(back[:, 12:-12], x[:, 12:-12], atol=1e-12)


def _dct_ref(x, kind):
    n = x.shape[-1]
    k, m = np.arange(n)[:, None], np.arange(n)[None, :]
    if kind == 2:
        return 2 * x @ np.cos(np.pi * (2 * k + 1) * m / (2 * n))
    if kind == 3:
        return x[..., :1] + 2 * x[..., 1:] @ np.cos(np.pi * k[1:] * (2 * m + 1) / (2 * n))
    return 2 * x @ np.cos(np.pi * (2 * k + 1) * (2 * m + 1) / (4 * n))


@pytest.mark.parametrize("kind", [2, 3, 4])
def test_dct_types_and_idct(tf, kind):
    x = RNG.standard_normal((3, 10))
    np.testing.assert_allclose(tf.signal.dct(x, type=kind).numpy(), _dct_ref(x, kind), atol=1e-12)
    np.testing.assert_allclose(
        tf.signal.dct(x, type=kind, n=6).numpy(), _dct_ref(x[:, :6], kind), atol=1e-12
    )
    back = tf.signal.idct(tf.signal.dct(x, type=kind, norm="ortho"), type=kind, norm="ortho")
    np.testing.assert_allclose(back.numpy(), x, atol=1e-12)
    raw = tf.signal.idct(tf.signal.dct(x, type=kind), type=kind).numpy() / (2 * 10)
    np.testing.assert_allclose(raw, x, atol=1e-12)


def test_dct_errors(tf):
    x = np.ones((2, 4), np.float32)
    with pytest.raises(NotImplementedError, match="axis must be -1. Got: 0"):
        tf.signal.dct(x, axis=0)
    with pytest.raises(ValueError, match="Types I, II, III and IV"):
        tf.signal.dct(x, type=5)
    with pytest.raises(ValueError, match="Normalization is not supported for the Type-I DCT"):
        tf.signal.dct(x, type=1, norm="ortho")


def test_mdct_and_inverse(tf):
    x = RNG.standard_normal((1, 40))
    m = tf.signal.mdct(x, 8)
    assert m.shape == (1, 9, 4)
    np.testing.assert_allclose(tf.signal.inverse_mdct(m).numpy()[:, 4:-4], x[:, 4:-4], atol=1e-12)
    with pytest.raises(ValueError, match="multiple of 4"):
        tf.signal.mdct(x, 6)


def test_mel_matrix_and_mfccs(tf):
    w = tf.signal.linear_to_mel_weight_matrix()
    assert w.shape == (129, 20) and w.dtype == tf.float32
    mel = 1127.0 * np.log1p(np.linspace(0, 4000, 129)[1:] / 700.0)
    edges = np.linspace(1127.0 * np.log1p(125 / 700), 1127.0 * np.log1p(3800 / 700), 22)
    up = (mel[:, None] - edges[:20]) / (edges[1:21] - edges[:20])
    down = (edges[2:] - mel[:, None]) / (edges[2:] - edges[1:21])
    want = np.pad(np.maximum(0, np.minimum(up, down)), [[1, 0], [0, 0]])
    np.testing.assert_allclose(w.numpy(), want, atol=2e-5)
    with pytest.raises(ValueError, match="lower_edge_hertz 10.0 >= upper_edge_hertz 5.0"):
        tf.signal.linear_to_mel_weight_matrix(lower_edge_hertz=10.0, upper_edge_hertz=5.0)
    x = RNG.standard_normal((2, 13))
    got = tf.signal.mfccs_from_log_mel_spectrograms(x).numpy()
    np.testing.assert_allclose(got, _dct_ref(x, 2) / np.sqrt(26), atol=1e-12)


def test_traced_stft_gradient(tf):
    x = tf.constant(RNG.standard_normal((1, 24)))

    @tf.function
    def grad(v):
        with tf.GradientTape() as tape:
            tape.watch(v)
            y = tf.reduce_sum(tf.abs(tf.signal.stft(v, 8, 4)) ** 2)
        return tape.gradient(y, v)

    g = grad(x).numpy()
    eps, e = 1e-6, np.zeros((1, 24))
    e[0, 5] = eps
    f = lambda v: float(tf.reduce_sum(tf.abs(tf.signal.stft(tf.constant(v), 8, 4)) ** 2))  # noqa: E731
    np.testing.assert_allclose(
        g[0, 5], (f(x.numpy() + e) - f(x.numpy() - e)) / (2 * eps), rtol=1e-6
    )


def test_kaiser_windows(tf):
    np.testing.assert_allclose(tf.signal.kaiser_window(10).numpy(), np.kaiser(10, 12.0), atol=1e-6)
    got = tf.signal.kaiser_window(7, beta=3.0, dtype=tf.float64).numpy()
    np.testing.assert_allclose(got, np.kaiser(7, 3.0), rtol=1e-12)
    kbd = tf.signal.kaiser_bessel_derived_window(10).numpy()
    assert kbd.shape == (10,)
    np.testing.assert_allclose(kbd[:5] ** 2 + kbd[5:] ** 2, 1.0, atol=1e-6)


@pytest.mark.parametrize("n", [2, 11, 12])
@pytest.mark.parametrize("pad_end", [False, True])
def test_frame_traced_with_an_unknown_length(tf, n, pad_end):
    x = np.arange(2 * n, dtype=np.float32).reshape(2, n)

    @tf.function(input_signature=[tf.TensorSpec([2, None])])
    def f(s):
        return tf.signal.frame(s, 4, 3, pad_end=pad_end, pad_value=-1.0)

    assert f.get_concrete_function().structured_outputs.shape.as_list() == [2, None, 4]
    eager = tf.signal.frame(tf.constant(x), 4, 3, pad_end=pad_end, pad_value=-1.0)
    np.testing.assert_array_equal(f(x).numpy(), eager.numpy())


def test_stft_traced_with_an_unknown_length(tf):
    x = np.sin(np.arange(40, dtype=np.float32) / 3)

    @tf.function(input_signature=[tf.TensorSpec([None])])
    def f(s):
        return tf.signal.stft(s, 8, 4)

    assert f.get_concrete_function().structured_outputs.shape.as_list() == [None, 5]
    np.testing.assert_allclose(f(x).numpy(), tf.signal.stft(x, 8, 4).numpy(), atol=1e-5)
