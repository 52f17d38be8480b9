"""The SciPy-free windows, the STFT initializer, the audio layers, the adaptive pools and the
layer wrappers: windows against SciPy (a test-only dependency), layers through
``run_layer_test`` (shapes, config, eager == traced, unknown batch, gradients, float16)."""

import warnings

import numpy as np
import pytest
import scipy.signal

import tensorhouse_ops as tops
from tensorhouse_components import initializers, layers
from tensorhouse_components._windows import get_window
from tensorhouse_components.testing import run_layer_test

WINDOWS = [
    "boxcar", "triang", "blackman", "hamming", "hann", "bartlett", "flattop", "parzen", "bohman",
    "blackmanharris", "nuttall", "barthann", "cosine", "exponential", "tukey", "taylor",
    "lanczos", ("kaiser", 8.6), ("kaiser_bessel_derived", 4.0), ("gaussian", 3.0),
    ("general_gaussian", 1.5, 4.0), ("general_cosine", [0.5, 0.3, 0.2]),
    ("general_hamming", 0.6), ("dpss", 2.5), ("chebwin", 60), ("exponential", None, 3.0),
    ("tukey", 0.2), ("tukey", 1.0), ("tukey", 0.0), ("taylor", 5, 40, False), "hann_periodic",
    "hamming_symmetric", 3.5, "ham", "rect", "kbd", ("kbd", 3.0), ("general gauss", 2, 3.0),
]  # fmt: skip


@pytest.mark.parametrize("window", WINDOWS, ids=str)
def test_every_window_is_scipys(window):
    for length in (1, 2, 3, 4, 7, 8, 16, 33, 64):
        for fftbins in (True, False):
            try:
                want = scipy.signal.get_window(window, length, fftbins)
            except ValueError as error:  # SciPy refuses it: the same error, the same text
                with pytest.raises(ValueError) as caught:
                    get_window(window, length, fftbins)
                assert str(caught.value) == str(error)
                continue
            got = get_window(window, length, fftbins)
            assert got.dtype == np.float64
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13,
                                       err_msg=f"{window}, {length}, {fftbins}")  # fmt: skip


def test_chebwin_warns_below_45_db_as_scipy():
    with pytest.warns(UserWarning, match="not suitable for spectral analysis"):
        got = get_window(("chebwin", 30), 9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(got, scipy.signal.get_window(("chebwin", 30), 9), atol=1e-13)


@pytest.mark.parametrize(
    "window, length",
    [("nope", 4), (("boxcar", 2), 4), ("kaiser", 4), ((3, 1), 4), ([1, 2], 4), ("hann", 0),
     ("hann", 2.0), (("dpss", 1, 2), 4), (("dpss", 3), 6), (("dpss", -1), 6),
     (("exponential", 1.0), 4)],
)  # fmt: skip
def test_window_errors_are_scipys(window, length):
    with pytest.raises(ValueError) as want:
        scipy.signal.get_window(window, length, False)
    with pytest.raises(ValueError) as got:
        get_window(window, length, False)
    assert str(got.value) == str(want.value)


def test_stft_initializer_kernels():
    init = initializers.get({"class_name": "STFT", "config": {"side": "imag", "window": None}})
    values = np.asarray(init((4, 1, 3), "float64"))
    angle = -2 * np.pi * np.arange(4)[:, None] * np.arange(3)[None, :] / 4
    np.testing.assert_allclose(values[:, 0, :], np.sin(angle), atol=1e-12)
    kaiser = initializers.STFT("real", ("kaiser", 5.0), "spectrum", True)((16, 1, 9), "float64")
    win = scipy.signal.get_window(("kaiser", 5.0), 16, True)
    angle = -2 * np.pi * np.arange(16)[:, None] * np.arange(9)[None, :] / 16
    want = np.cos(angle) * win[:, None] / win.sum()
    np.testing.assert_allclose(np.asarray(kaiser)[:, 0, :], want, atol=1e-12)
    # a (name, params) tuple is checked when the window is made, periodic or not
    kbd = initializers.STFT("imag", ("kbd", 4.0), None, False)((16, 1, 9), "float64")
    want = np.sin(angle) * scipy.signal.get_window(("kbd", 4.0), 16, False)[:, None]
    np.testing.assert_allclose(np.asarray(kbd)[:, 0, :], want, atol=1e-12)
    with pytest.raises(ValueError, match="only defined for symmetric shapes"):
        initializers.STFT("imag", ("kbd", 4.0), None, True)((16, 1, 9))


@pytest.mark.parametrize("mode", ["log", "psd", "angle", "stft"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_stft_spectrogram_layer_test(mode, data_format):
    shape = (2, 40, 3) if data_format == "channels_last" else (2, 3, 40)
    out = (2, 4, 3 * 9 * (2 if mode == "stft" else 1))
    run_layer_test(
        layers.STFTSpectrogram,
        init_kwargs={"mode": mode, "frame_length": 16, "frame_step": 8, "data_format": data_format},
        input_shape=shape,
        expected_output_shape=out if data_format == "channels_last" else (out[0], out[2], out[1]),
        expected_num_trainable_weights=2,
        supports_training=False,
        check_gradients=mode in ("psd", "stft"),
        check_mixed_precision=mode != "angle",  # float16 angles of near-zero bins jump
        rtol=1e-4,
        atol=1e-4,
    )


def test_stft_spectrogram_expand_dims_same_padding_and_types():
    run_layer_test(
        layers.STFTSpectrogram,
        init_kwargs={"mode": "real", "frame_length": 12, "frame_step": 5, "fft_length": 16,
                     "padding": "same", "expand_dims": True},
        input_shape=(2, 31, 2),
        expected_output_shape=(2, 7, 9, 2),
        expected_num_trainable_weights=1,
        supports_training=False,
        check_gradients=True,
        rtol=1e-4,
        atol=1e-4,
    )  # fmt: skip
    with pytest.raises(TypeError, match="Invalid input type. Expected `float16`"):
        layers.STFTSpectrogram(frame_length=8)(np.ones((1, 16, 1), np.int32))
    with pytest.raises(ValueError, match="expected ndim=3|ndim"):
        layers.STFTSpectrogram(frame_length=8)(np.ones((16, 1), np.float32))


def test_mel_spectrogram_layer_test_and_unbatched():
    layer = run_layer_test(
        layers.MelSpectrogram,
        init_kwargs={"fft_length": 64, "sequence_stride": 16, "num_mel_bins": 12,
                     "sampling_rate": 8000},
        input_shape=(2, 200),
        expected_output_shape=(2, 12, 13),
        expected_num_trainable_weights=0,
        supports_training=False,
        check_mixed_precision=False,  # float16 decibels of tiny powers differ by more than 1e-2
        rtol=1e-4,
        atol=1e-3,
    )  # fmt: skip
    x = np.random.default_rng(1).normal(size=(2, 200)).astype(np.float32)
    one = np.asarray(layer(x[0]))
    assert one.shape == (12, 13)
    linear = layers.MelSpectrogram(fft_length=64, sequence_stride=16, num_mel_bins=12,
                                   sampling_rate=8000, power_to_db=False)  # fmt: skip
    np.testing.assert_allclose(np.asarray(linear(x))[0], np.asarray(linear(x[0])), rtol=1e-5)


@pytest.mark.parametrize("kind", ["Average", "Max"])
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_adaptive_pooling_layer_test(kind, rank):
    spatial, sizes = (7, 5, 6)[:rank], (3, 2, 4)[:rank]
    run_layer_test(
        getattr(layers, f"Adaptive{kind}Pooling{rank}D"),
        init_kwargs={"output_size": sizes, "data_format": "channels_first"},
        input_shape=(2, 3, *spatial),
        expected_output_shape=(2, 3, *sizes),
        expected_num_trainable_weights=0,
        check_gradients=True,
    )


def test_spectral_normalization_layer_test_and_training_step():
    run_layer_test(
        layers.SpectralNormalization,
        init_kwargs={"layer": layers.Dense(4)},
        input_shape=(3, 5),
        expected_output_shape=(3, 4),
        expected_num_trainable_weights=2,
        expected_num_non_trainable_weights=1,
        supports_training=False,
    )
    conv = layers.SpectralNormalization(layers.Conv2D(2, 3), power_iterations=30)
    x = tops.constant(np.ones((1, 5, 5, 1), np.float32))
    conv(x)
    step = tops.function(lambda v: conv(v, training=True))
    for _ in range(3):
        step(x)
    kernel = np.asarray(conv.layer.kernel).reshape(-1, 2)
    np.testing.assert_allclose(np.linalg.svd(kernel, compute_uv=False)[0], 1.0, rtol=1e-4)


def test_reversible_embedding_layer_test_and_reverse_traced():
    layer = run_layer_test(
        layers.ReversibleEmbedding,
        init_kwargs={"input_dim": 9, "output_dim": 4, "tie_weights": False, "mask_zero": True},
        input_data=np.array([[1, 0, 3], [4, 8, 0]]),
        expected_output_shape=(2, 3, 4),
        expected_num_trainable_weights=2,
        check_mixed_precision=False,
    )
    # the mask rides on the outputs (Keras's compute_mask gives None): a masked mean skips id 0
    ids = tops.constant(np.array([[1, 0, 3], [4, 8, 0]]))
    pool = layers.GlobalAveragePooling1D()
    keep = (np.asarray(ids) != 0)[..., None]
    want = (np.asarray(layer.embeddings)[np.asarray(ids)] * keep).sum(1) / keep.sum(1)
    traced = tops.function(lambda v: pool(layer(v)))(ids)
    for got in (pool(layer(ids)), traced):
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6)
    h = tops.constant(np.random.default_rng(2).normal(size=(2, 3, 4)).astype(np.float32))
    eager = layer(h, reverse=True)
    traced = tops.function(lambda v: layer(v, reverse=True))(h)
    np.testing.assert_allclose(np.asarray(traced), np.asarray(eager), rtol=1e-6)
    want = np.asarray(h) @ np.asarray(layer.reverse_embeddings)
    np.testing.assert_allclose(np.asarray(eager), want, rtol=1e-5, atol=1e-6)
    half = layers.ReversibleEmbedding(9, 4, reverse_dtype="float64")
    half.build()
    assert half(h, reverse=True).dtype == tops.float64
    symbolic = layer(layers.Input((3, 4)), reverse=True)
    assert tuple(symbolic.shape) == (None, 3, 9)


def test_mel_spectrogram_traced_with_an_unknown_length():
    layer = layers.MelSpectrogram(fft_length=64, sequence_stride=16, num_mel_bins=8,
                                  sampling_rate=8000)  # fmt: skip
    x = np.random.default_rng(3).standard_normal((2, 400)).astype("float32")
    traced = tops.function(layer, input_signature=[tops.TensorSpec([None, None])])
    np.testing.assert_array_equal(traced(x).numpy(), layer(x).numpy())
    assert traced(x[:, :300]).shape == layer(x[:, :300]).shape == (2, 8, 19)
