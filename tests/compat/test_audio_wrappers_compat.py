"""keras.initializers.STFT, the audio layers (STFTSpectrogram, MelSpectrogram), the adaptive
pools and the layer wrappers (Wrapper, SpectralNormalization, ReversibleEmbedding): fixed
weights and inputs against NumPy references (SciPy's windows) that Keras 3.15 matches too."""

import warnings

import numpy as np
import pytest
import scipy.signal

RNG = np.random.default_rng(14)


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def stft_kernel(side, window, scaling, periodic, frame_length, bins):
    t = np.arange(frame_length)[:, None, None]
    f = np.arange(bins)[None, None, :]
    angle = -2 * np.pi * t * f / (2 * (bins - 1))
    kernel = np.cos(angle) if side == "real" else np.sin(angle)
    if window is None:
        return kernel
    win = (
        window
        if not isinstance(window, str)
        else scipy.signal.get_window(window, frame_length, periodic)
    )
    win = np.asarray(win, np.float64).reshape(-1, 1, 1)
    norm = {"density": np.sqrt((win**2).sum()), "spectrum": np.abs(win).sum(), None: 1.0}
    return kernel * win / norm[scaling]


# ---- the STFT initializer --------------------------------------------------------------
@pytest.mark.parametrize(
    "side, window, scaling, periodic, shape",
    [
        ("real", "hann", "density", False, (16, 1, 9)),
        ("imag", "hamming", "spectrum", True, (20, 1, 17)),
        ("real", "blackmanharris", None, True, (33, 1, 33)),
        ("imag", "flattop", "density", False, (64, 1, 65)),
        ("real", "taylor", "spectrum", False, (24, 1, 13)),
        ("imag", None, "density", False, (8, 1, 5)),
        ("real", np.linspace(0.0, 1.0, 12), "density", False, (12, 1, 9)),
    ],
)
def test_stft_initializer_is_scipys_window_times_the_fourier_basis(
    tf, side, window, scaling, periodic, shape
):
    init = tf.keras.initializers.STFT(side, window, scaling, periodic)
    values = init(shape)
    assert values.dtype == tf.float32 and tuple(values.shape) == shape
    close(values, stft_kernel(side, window, scaling, periodic, shape[0], shape[2]), 2e-5)
    assert tf.keras.initializers.STFTInitializer is tf.keras.initializers.STFT
    assert tf.keras.initializers.stft is tf.keras.initializers.STFT


def test_stft_initializer_config_and_errors(tf):
    init = tf.keras.initializers.get("stft")
    assert type(init).__name__ == "STFT"
    assert init.get_config() == {
        "side": "real", "window": "hann", "periodic": False, "scaling": "density",
    }  # fmt: skip
    again = tf.keras.initializers.deserialize(tf.keras.initializers.serialize(
        tf.keras.initializers.STFT("imag", "hamming", "spectrum", True)
    ))  # fmt: skip
    assert again.get_config()["side"] == "imag" and again.get_config()["periodic"] is True
    with pytest.raises(ValueError, match="side should be 'real' or 'imag'"):
        tf.keras.initializers.STFT("both")
    with pytest.raises(ValueError, match="Invalid window name 'nope'"):
        tf.keras.initializers.STFT("real", "nope")
    with pytest.raises(ValueError, match="'kaiser' must have parameters"):
        tf.keras.initializers.STFT("real", "kaiser")
    with pytest.raises(ValueError, match="Scaling is invalid"):
        tf.keras.initializers.STFT("real", "hann", "power")
    with pytest.raises(
        ValueError, match=r"The shape of `window` must be equal to \[frame_length\]"
    ):
        tf.keras.initializers.STFT("real", np.ones(5))((6, 1, 5))


# ---- STFTSpectrogram -------------------------------------------------------------------
def frames(x, length, step, padding):
    """(batch, time, channels) -> (batch, channels, frames, length), TF's "same" padding."""
    time = x.shape[1]
    if padding == "same":
        out = -(-time // step)
        total = max((out - 1) * step + length - time, 0)
        x = np.pad(x, [(0, 0), (total // 2, total - total // 2), (0, 0)])
    count = (x.shape[1] - length) // step + 1
    idx = np.arange(count)[:, None] * step + np.arange(length)[None, :]
    return x.transpose(0, 2, 1)[:, :, idx]


def spectrogram(x, mode, length, step, fft, window, padding, scaling="density", periodic=False):
    bins = fft // 2 + 1
    fr = frames(x.astype(np.float64), length, step, padding)
    real = fr @ stft_kernel("real", window, scaling, periodic, length, bins)[:, 0, :]
    imag = fr @ stft_kernel("imag", window, scaling, periodic, length, bins)[:, 0, :]
    power = real**2 + imag**2
    out = {
        "real": real,
        "imag": imag,
        "angle": np.arctan2(imag, real),
        "stft": np.concatenate([real, imag], -1),
        "psd": power + np.pad(power[..., 1:-1], [(0, 0)] * 3 + [(1, 1)]),
        "magnitude": np.sqrt(np.maximum(power, 1e-7)),
        "log": np.log(np.maximum(np.sqrt(np.maximum(power, 1e-7)), 1e-7)),
    }[mode]
    return out  # (batch, channels, frames, bins)


X_AUDIO = RNG.normal(size=(2, 120, 2)).astype(np.float32)


@pytest.mark.parametrize("mode", ["log", "magnitude", "psd", "real", "imag", "angle", "stft"])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_stft_spectrogram_modes(tf, mode, padding):
    layer = tf.keras.layers.STFTSpectrogram(
        mode=mode, frame_length=24, frame_step=10, fft_length=32, window="hamming",
        padding=padding,
    )  # fmt: skip
    y = np.asarray(layer(X_AUDIO))
    ref = spectrogram(X_AUDIO, mode, 24, 10, 32, "hamming", padding)
    b, c, t, f = ref.shape
    ref = ref.transpose(0, 2, 1, 3).reshape(b, t, c * f)
    if mode == "angle":  # the angle's error, -pi and pi as one, times the magnitude
        magnitude = spectrogram(X_AUDIO, "magnitude", 24, 10, 32, "hamming", padding)
        magnitude = magnitude.transpose(0, 2, 1, 3).reshape(b, t, c * f)
        y, ref = np.angle(np.exp(1j * (y - ref))) * magnitude, np.zeros_like(ref)
    close(y, ref, 2e-4)
    assert tuple(layer.compute_output_shape(X_AUDIO.shape)) == y.shape
    kernels = {"real": ["real_kernel"], "imag": ["imag_kernel"]}.get(
        mode, ["real_kernel", "imag_kernel"]
    )
    assert [w.name.split("/")[-1].split(":")[0] for w in layer.weights] == kernels
    assert all(tuple(w.shape) == (24, 1, 17) for w in layer.weights)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("expand_dims", [False, True])
def test_stft_spectrogram_layouts_and_defaults(tf, data_format, expand_dims):
    x = X_AUDIO if data_format == "channels_last" else X_AUDIO.transpose(0, 2, 1)
    layer = tf.keras.layers.STFTSpectrogram(
        mode="magnitude", frame_length=20, periodic=True, scaling="spectrum",
        expand_dims=expand_dims, data_format=data_format,
    )  # fmt: skip
    y = np.asarray(layer(x))
    # defaults: frame_step = frame_length // 2, fft_length the next power of two
    ref = spectrogram(X_AUDIO, "magnitude", 20, 10, 32, "hann", "valid", "spectrum", True)
    b, c, t, f = ref.shape
    if expand_dims:
        ref = ref.transpose(0, 2, 3, 1) if data_format == "channels_last" else ref
    elif data_format == "channels_last":
        ref = ref.transpose(0, 2, 1, 3).reshape(b, t, c * f)
    else:
        ref = ref.transpose(0, 1, 3, 2).reshape(b, c * f, t)
    close(y, ref, 2e-4)
    assert tuple(layer.compute_output_shape(x.shape)) == y.shape


def test_stft_spectrogram_config_and_errors(tf):
    layer = tf.keras.layers.STFTSpectrogram(frame_length=64, window="blackman")
    config = layer.get_config()
    assert {k: config[k] for k in ("mode", "frame_length", "frame_step", "fft_length",
                                   "window", "periodic", "scaling", "padding", "data_format",
                                   "expand_dims")} == {
        "mode": "log", "frame_length": 64, "frame_step": None, "fft_length": None,
        "window": "blackman", "periodic": False, "scaling": "density", "padding": "valid",
        "data_format": "channels_last", "expand_dims": False,
    }  # fmt: skip
    assert layer.name.startswith("stft_spectrogram")
    with pytest.raises(ValueError, match="`frame_step` should be a positive integer"):
        tf.keras.layers.STFTSpectrogram(frame_length=16, frame_step=17)
    with pytest.raises(ValueError, match="`fft_length` should be not less than"):
        tf.keras.layers.STFTSpectrogram(frame_length=16, fft_length=8)
    with pytest.raises(ValueError, match="Output mode is invalid"):
        tf.keras.layers.STFTSpectrogram(mode="power")
    with pytest.raises(ValueError, match="Padding is invalid"):
        tf.keras.layers.STFTSpectrogram(padding="causal")
    with pytest.raises(ValueError, match="Invalid window name"):
        tf.keras.layers.STFTSpectrogram(window="nope")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tf.keras.layers.STFTSpectrogram(frame_length=16, fft_length=24)
    assert any("recommended to be a power of two" in str(w.message) for w in caught)


# ---- MelSpectrogram --------------------------------------------------------------------
def mel_matrix(num_mel, bins, rate, low, high):
    def mel(f):
        return 1127.0 * np.log(1.0 + f / 700.0)

    spec = mel(np.linspace(0.0, rate / 2.0, bins))[1:, None]
    edges = np.linspace(mel(low), mel(high), num_mel + 2)
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    w = np.maximum(0.0, np.minimum((spec - lower) / (center - lower),
                                   (upper - spec) / (upper - center)))  # fmt: skip
    return np.pad(w, [(1, 0), (0, 0)])


def mel_spectrogram(x, fft, stride, length, rate, num_mel, low, high, top_db, mag_exp, ref):
    win = np.pad(scipy.signal.get_window("hann", length), [((fft - length) // 2,) * 2])
    x = np.pad(x.astype(np.float64), [(0, 0), (fft // 2, fft // 2)], mode="reflect")
    count = (x.shape[1] - fft) // stride + 1
    fr = x[:, np.arange(count)[:, None] * stride + np.arange(fft)[None, :]] * win
    spec = np.abs(np.fft.rfft(fr, axis=-1)) ** mag_exp
    y = spec @ mel_matrix(num_mel, fft // 2 + 1, rate, low, high)
    if top_db is not None:
        db = 10.0 * np.log10(np.maximum(y, 1e-10)) - 10.0 * np.log10(max(abs(ref), 1e-10))
        y = np.maximum(db, db.max() - top_db)
    return y.transpose(0, 2, 1)


def test_mel_spectrogram_against_numpy(tf):
    x = RNG.normal(size=(2, 400)).astype(np.float32)
    layer = tf.keras.layers.MelSpectrogram(
        fft_length=128, sequence_stride=32, sampling_rate=8000, num_mel_bins=16,
        min_freq=50.0, ref_power=2.0,
    )  # fmt: skip
    y = np.asarray(layer(x))
    close(y, mel_spectrogram(x, 128, 32, 128, 8000, 16, 50.0, 4000, 80.0, 2.0, 2.0), 2e-3)
    assert y.shape == (2, 16, 13)
    linear = tf.keras.layers.MelSpectrogram(
        fft_length=64, sequence_stride=16, sequence_length=48, sampling_rate=16000,
        num_mel_bins=8, power_to_db=False, mag_exp=1.0,
    )  # fmt: skip
    ref = mel_spectrogram(x, 64, 16, 48, 16000, 8, 20.0, 8000, None, 1.0, 1.0)
    close(linear(x), ref, 1e-4 * np.abs(ref).max())
    assert tuple(layer.compute_output_shape((2, 400))) == (2, 16, 13)
    assert tuple(layer.compute_output_shape((2, 383))) == (2, 16, 13)  # Keras's formula
    config = layer.get_config()
    assert config["max_freq"] == 4000 and config["sequence_length"] == 128
    assert layer.name.startswith("mel_spectrogram")
    with pytest.raises(ValueError, match="`fft_length` must be greater than or equal to"):
        tf.keras.layers.MelSpectrogram(fft_length=64, sequence_length=128)


# ---- adaptive pooling ------------------------------------------------------------------
def adaptive(x, sizes, axes, reduce):
    for axis, out in zip(axes, sizes):
        n = x.shape[axis]
        parts = [
            reduce(np.take(x, range(j * n // out, -(-(j + 1) * n // out)), axis=axis), axis)
            for j in range(out)
        ]
        x = np.stack(parts, axis=axis)
    return x


@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("kind", ["Average", "Max"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_adaptive_pooling(tf, rank, kind, data_format):
    spatial = (7, 5, 6)[:rank]
    sizes = (3, 2, 4)[:rank]
    x = RNG.normal(size=(2, *spatial, 3)).astype(np.float32)
    if data_format == "channels_first":
        x = np.moveaxis(x, -1, 1)
    axes = range(1, rank + 1) if data_format == "channels_last" else range(2, rank + 2)
    cls = getattr(tf.keras.layers, f"Adaptive{kind}Pooling{rank}D")
    layer = cls(sizes if rank > 1 else sizes[0], data_format=data_format)
    reduce = np.mean if kind == "Average" else np.max
    y = layer(x)
    close(y, adaptive(x, sizes, axes, lambda a, ax: reduce(a, axis=ax)))
    assert tuple(layer.compute_output_shape(x.shape)) == y.shape
    config = layer.get_config()
    assert tuple(config["output_size"]) == sizes and config["data_format"] == data_format
    assert layer.name.startswith(f"adaptive_{kind.lower()}_pooling{rank}d")


def test_adaptive_pooling_errors(tf):
    with pytest.raises(ValueError, match="For 1D input, `output_size` tuple must have length 1"):
        tf.keras.layers.AdaptiveMaxPooling1D((2, 3))
    with pytest.raises(TypeError, match=r"must be an integer or \(height, width\) tuple"):
        tf.keras.layers.AdaptiveAveragePooling2D((2, 3, 4))
    with pytest.raises(TypeError, match=r"or \(depth, height, width\) tuple"):
        tf.keras.layers.AdaptiveMaxPooling3D("2")


# ---- wrappers --------------------------------------------------------------------------
KERNEL = RNG.normal(size=(4, 3)).astype(np.float32)
BIAS = np.array([0.1, -0.2, 0.3], np.float32)
U0 = RNG.normal(size=(1, 3)).astype(np.float32)


def test_spectral_normalization_power_iteration(tf):
    layer = tf.keras.layers.SpectralNormalization(tf.keras.layers.Dense(3), power_iterations=2)
    layer.build((None, 4))
    assert [(w.name.split("/")[-1].split(":")[0], w.trainable) for w in layer.weights] == [
        ("kernel", True), ("vector_u", False), ("bias", True),
    ]  # fmt: skip
    layer.set_weights([KERNEL, U0, BIAS])
    x = RNG.normal(size=(5, 4)).astype(np.float32)
    close(layer(x), x @ KERNEL + BIAS)  # inference: the kernel as it is
    u = U0.astype(np.float64)
    w = KERNEL.astype(np.float64)
    for _ in range(2):
        v = u @ w.T
        v /= np.linalg.norm(v)
        u = v @ w
        u /= np.linalg.norm(u)
    sigma = (v @ w @ u.T).item()
    close(layer(x, training=True), x @ (w / sigma) + BIAS, 1e-4)
    close(layer.layer.kernel, w / sigma, 1e-5)
    close(layer.vector_u, u, 1e-5)
    assert len(layer.trainable_weights) == 2 and len(layer.non_trainable_weights) == 1
    config = layer.get_config()
    assert config["power_iterations"] == 2 and config["layer"]["class_name"] == "Dense"
    again = tf.keras.layers.SpectralNormalization.from_config(config)
    assert type(again.layer).__name__ == "Dense" and again.power_iterations == 2
    with pytest.raises(ValueError, match="`power_iterations` should be greater than zero"):
        tf.keras.layers.SpectralNormalization(tf.keras.layers.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="has no attribute 'kernel' nor 'embeddings'"):
        tf.keras.layers.SpectralNormalization(tf.keras.layers.Identity()).build((None, 2))


def test_reversible_embedding(tf):
    emb = RNG.normal(size=(10, 4)).astype(np.float32)
    rev = RNG.normal(size=(4, 10)).astype(np.float32)
    ids = np.array([[1, 0, 7], [3, 9, 2]])
    tied = tf.keras.layers.ReversibleEmbedding(10, 4, logit_soft_cap=2.0)
    tied.build()
    tied.set_weights([emb])
    h = tied(ids)
    close(h, emb[ids])
    logits = emb[ids] @ emb.T
    close(tied(h, reverse=True), 2.0 * np.tanh(logits / 2.0), 1e-5)
    untied = tf.keras.layers.ReversibleEmbedding(10, 4, tie_weights=False, mask_zero=True)
    untied.build()
    assert [w.name.split("/")[-1].split(":")[0] for w in untied.weights] == [
        "embeddings", "reverse_embeddings",
    ]  # fmt: skip
    untied.set_weights([emb, rev])
    out = untied(ids)
    close(untied(out, reverse=True), emb[ids] @ rev, 1e-5)
    # the mask of id 0 rides on the embeddings: a masked mean leaves those steps out
    keep = (ids != 0)[..., None]
    close(tf.keras.layers.GlobalAveragePooling1D()(out), (emb[ids] * keep).sum(1) / keep.sum(1))
    config = untied.get_config()
    assert (config["tie_weights"], config["reverse_dtype"], config["logit_soft_cap"]) == (
        False, None, None,
    )  # fmt: skip
    assert tuple(untied.compute_output_shape((2, 3))) == (2, 3, 4)
    assert tuple(untied.compute_output_shape((2, 3, 4), reverse=True)) == (2, 3, 10)


def test_wrapper_builds_and_serializes_its_layer(tf):
    wrapper = tf.keras.layers.Wrapper(tf.keras.layers.Dense(2, name="inner"))
    assert wrapper.name.startswith("wrapper")
    wrapper.build((None, 3))
    assert wrapper.layer.built and tuple(wrapper.layer.kernel.shape) == (3, 2)
    config = wrapper.get_config()
    assert config["layer"]["class_name"] == "Dense"
    assert config["layer"]["config"]["name"] == "inner"
    again = tf.keras.layers.Wrapper.from_config(config)
    assert again.layer.name == "inner" and again.layer.units == 2
    with pytest.raises(ValueError, match="supplied to Wrapper isn't a supported layer type"):
        tf.keras.layers.Wrapper("dense")


# ---- InputSpec -------------------------------------------------------------------------
def test_input_spec_checks_with_keras_texts(tf):
    spec = tf.keras.layers.InputSpec(ndim=3, axes={-1: 2})
    assert tf.keras.InputSpec is tf.keras.layers.InputSpec
    assert repr(spec) == "InputSpec(ndim=3, axes={-1: 2})"
    assert spec.get_config() == {
        "dtype": None, "shape": None, "ndim": 3, "max_ndim": None, "min_ndim": None,
        "axes": {-1: 2}, "optional": False,
    }  # fmt: skip

    class Spec(tf.keras.layers.Layer):
        def __init__(self, spec, **kwargs):
            super().__init__(**kwargs)
            self.input_spec = spec

        def call(self, x):
            return x

    layer = Spec(spec, name="checked")
    close(layer(np.ones((1, 4, 2), np.float32)), np.ones((1, 4, 2)))
    with pytest.raises(ValueError) as e:
        layer(np.ones((4, 2), np.float32))
    assert str(e.value) == (
        "Input 0 with name 'None' of layer 'checked' is incompatible with the layer: "
        "expected ndim=3, found ndim=2. Full shape received: (4, 2)"
    )
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 2, but "
                       r"received input with shape \(1, 4, 3\)"):  # fmt: skip
        layer(np.ones((1, 4, 3), np.float32))
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2"):
        layer(tf.keras.Input((5,)))  # symbolic inputs are checked too
    shaped = Spec(tf.keras.layers.InputSpec(shape=(None, 3), dtype="float32"), name="shaped")
    with pytest.raises(ValueError, match=r"expected shape=\(None, 3\), found shape=\(2, 4\)"):
        shaped(np.ones((2, 4), np.float32))
    with pytest.raises(ValueError, match="expected dtype=float32, found dtype=int32"):
        shaped(np.ones((2, 3), np.int32))
    ranked = Spec(tf.keras.layers.InputSpec(min_ndim=2, max_ndim=3), name="ranked")
    with pytest.raises(ValueError, match="expected min_ndim=2, found ndim=1"):
        ranked(np.ones((3,), np.float32))
    with pytest.raises(ValueError, match="expected max_ndim=3, found ndim=4"):
        ranked(np.ones((1, 1, 1, 1), np.float32))
    with pytest.raises(ValueError, match='Layer "ranked" expects 1 input'):
        ranked([np.ones((2, 2), np.float32), np.ones((2, 2), np.float32)])
    with pytest.raises(TypeError, match="Argument `axes` must be a dict with integer keys"):
        tf.keras.layers.InputSpec(axes={"a": 1})
    with pytest.raises(ValueError, match="Axis 3 is greater than the maximum allowed value: 1"):
        tf.keras.layers.InputSpec(ndim=2, axes={3: 1})


def test_layers_with_an_input_spec(tf):
    with pytest.raises(ValueError, match="of layer 'spec' is incompatible with the layer: "
                       "expected ndim=3, found ndim=2"):  # fmt: skip
        tf.keras.layers.STFTSpectrogram(frame_length=8, name="spec")(np.ones((16, 1), np.float32))
    norm = tf.keras.layers.SpectralNormalization(tf.keras.layers.Dense(2), name="sn")
    norm(np.ones((1, 3), np.float32))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 3"):
        norm(np.ones((1, 4), np.float32))


def test_which_layers_are_wrappers(tf):
    layers = tf.keras.layers
    assert isinstance(layers.TimeDistributed(layers.Dense(2)), layers.Wrapper)
    assert isinstance(layers.SpectralNormalization(layers.Dense(2)), layers.Wrapper)
    assert not isinstance(layers.Bidirectional(layers.LSTM(2)), layers.Wrapper)
