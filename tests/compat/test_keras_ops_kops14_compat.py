"""Issue 14, session 33: the last ``keras.ops`` names (``rearrange``, ``vectorize``, ``stft`` /
``istft``, the adaptive pools, ``fold`` / ``unfold``, ``ctc_loss`` / ``ctc_decode``),
``unique(axis=)`` and ``keras.config``'s flags; NumPy references, green on TF 2.21 and on
tensorhouse."""

import itertools
import os
import warnings

import numpy as np
import pytest

USING_TF = os.environ.get("TENSORHOUSE_COMPAT_TF") == "1"
RNG = np.random.default_rng(33)


def npy(x):
    return np.asarray(x)


# ---------------------------------------------------------------- rearrange
@pytest.mark.parametrize(
    "pattern, lengths, ref",
    [
        ("b h w c -> b c h w", {}, lambda x: x.transpose(0, 3, 1, 2)),
        ("b h w c -> (b h) w c", {}, lambda x: x.reshape(8, 6, 3)),
        ("b h w c -> h (b w) c", {}, lambda x: x.transpose(1, 0, 2, 3).reshape(4, 12, 3)),
        (
            "b (h1 h) (w1 w) c -> (b h1 w1) h w c",
            {"h1": 2, "w1": 3},
            lambda x: x.reshape(2, 2, 2, 3, 2, 3).transpose(0, 1, 3, 2, 4, 5).reshape(12, 2, 2, 3),
        ),
    ],
)
def test_rearrange(tf, pattern, lengths, ref):
    x = RNG.normal(size=(2, 4, 6, 3)).astype(np.float32)
    np.testing.assert_array_equal(npy(tf.keras.ops.rearrange(x, pattern, **lengths)), ref(x))


# ---------------------------------------------------------------- vectorize
@pytest.mark.skipif(USING_TF, reason="Keras 3.15's TF backend raises for every call; NumPy's")
def test_vectorize():
    import tensorhouse as tf

    x = RNG.normal(size=(4, 2, 3)).astype(np.float32)
    v = RNG.normal(size=(3,)).astype(np.float32)
    mv = tf.keras.ops.vectorize(lambda a, b: tf.keras.ops.matmul(a, b), signature="(n,m),(m)->(n)")
    np.testing.assert_allclose(npy(mv(x, v)), x @ v, rtol=1e-6)
    add = tf.keras.ops.vectorize(lambda a, b: a + 2 * b)
    np.testing.assert_allclose(npy(add(x[:, :1], v)), x[:, :1] + 2 * v, rtol=1e-6)


# ---------------------------------------------------------------- stft / istft
def _np_stft(x, seq, stride, nfft, center):
    if center:
        x = np.pad(x, [(0, 0), (nfft // 2, nfft // 2)], mode="reflect")
    n = np.arange(seq)
    win = np.pad(
        0.5 - 0.5 * np.cos(2 * np.pi * n / seq), ((nfft - seq) // 2, (nfft - seq + 1) // 2)
    )
    count = (x.shape[-1] - nfft) // stride + 1
    frames = np.stack([x[:, i * stride : i * stride + nfft] * win for i in range(count)], 1)
    return np.fft.rfft(frames, axis=-1)


@pytest.mark.parametrize("center", [True, False])
@pytest.mark.parametrize("seq, nfft", [(16, 16), (12, 16)])
def test_stft(tf, center, seq, nfft):
    x = RNG.normal(size=(2, 64)).astype(np.float32)
    re, im = tf.keras.ops.stft(x, seq, 4, nfft, center=center)
    want = _np_stft(x.astype(np.float64), seq, 4, nfft, center)
    np.testing.assert_allclose(npy(re), want.real, atol=2e-5)
    np.testing.assert_allclose(npy(im), want.imag, atol=2e-5)
    assert npy(re).dtype == np.float32


def test_istft_round_trip(tf):
    x = RNG.normal(size=(2, 64)).astype(np.float64)
    pair = tf.keras.ops.stft(x, 16, 4, 16)
    y = npy(tf.keras.ops.istft(pair, 16, 4, 16))
    assert y.shape == (2, 64) and y.dtype == np.float64
    # exact where every overlapping frame is present (the edges lack a frame or two)
    np.testing.assert_allclose(y[:, 4:-4], x[:, 4:-4], atol=1e-9)
    y = npy(tf.keras.ops.istft(pair, 16, 4, 16, length=40))
    np.testing.assert_allclose(y[:, 4:], x[:, 4:40], atol=1e-9)
    np.testing.assert_allclose(
        npy(tf.keras.ops.istft(tf.keras.ops.stft(x, 16, 4, 16, center=False), 16, 4, 16,
                               center=False))[:, 12:52],
        x[:, 12:52], atol=1e-9,
    )  # fmt: skip


def test_stft_errors(tf):
    with pytest.raises(TypeError, match="float32"):
        tf.keras.ops.stft(np.ones((2, 32), np.int32), 8, 4, 8)
    with pytest.raises(ValueError, match="fft_length"):
        tf.keras.ops.stft(np.ones((2, 32), np.float32), 8, 4, 4)
    with pytest.raises(ValueError, match="hann"):
        tf.keras.ops.stft(np.ones((2, 32), np.float32), 8, 4, 8, window="kaiser")


# ---------------------------------------------------------------- adaptive pools
def _np_adaptive(x, out, reduce):  # channels_last, every spatial axis in turn
    for axis, o in zip(range(1, x.ndim - 1), out):
        n = x.shape[axis]
        parts = [
            reduce(np.take(x, range(j * n // o, -(-(j + 1) * n // o)), axis), axis=axis)
            for j in range(o)
        ]
        x = np.stack(parts, axis)
    return x


@pytest.mark.parametrize(
    "shape, out", [((2, 10, 3), (4,)), ((2, 7, 5, 3), (3, 2)), ((1, 5, 6, 4, 2), (2, 4, 3))]
)
def test_adaptive_pools(tf, shape, out):
    x = RNG.normal(size=shape).astype(np.float32)
    t = tf.constant(x)  # Keras's TF backend needs a tensor (it reads .shape.as_list())
    got = tf.keras.ops.adaptive_average_pool(t, out, data_format="channels_last")
    np.testing.assert_allclose(npy(got), _np_adaptive(x, out, np.mean), rtol=1e-5, atol=1e-6)
    got = tf.keras.ops.nn.adaptive_max_pool(t, out, data_format="channels_last")
    np.testing.assert_array_equal(npy(got), _np_adaptive(x, out, np.max))


def test_adaptive_pool_channels_first(tf):
    x = RNG.normal(size=(2, 3, 9, 6)).astype(np.float32)
    got = tf.keras.ops.adaptive_max_pool(x, 4, data_format="channels_first")
    want = _np_adaptive(x.transpose(0, 2, 3, 1), (4, 4), np.max).transpose(0, 3, 1, 2)
    np.testing.assert_array_equal(npy(got), want)


# ---------------------------------------------------------------- fold / unfold
def _np_unfold(x, k, d, p, s):
    x = np.pad(x, [(0, 0), (0, 0), (p, p), (p, p)])
    n, c, h, w = x.shape
    nh, nw = (h - d * (k - 1) - 1) // s + 1, (w - d * (k - 1) - 1) // s + 1
    out = np.zeros((n, c, k, k, nh, nw), x.dtype)
    for i, j, a, b in itertools.product(range(k), range(k), range(nh), range(nw)):
        out[:, :, i, j, a, b] = x[:, :, a * s + i * d, b * s + j * d]
    return out.reshape(n, c * k * k, nh * nw)


@pytest.mark.parametrize("k, d, p, s", [(2, 1, 0, 1), (3, 2, 1, 2), (2, 1, 1, 3)])
def test_unfold_fold(tf, k, d, p, s):
    x = RNG.normal(size=(2, 3, 7, 8)).astype(np.float32)
    cols = tf.keras.ops.unfold(x, k, dilation=d, padding=p, stride=s)
    want = _np_unfold(x, k, d, p, s)
    np.testing.assert_array_equal(npy(cols), want)
    # fold is unfold's adjoint: <unfold(x), y> == <x, fold(y)>
    y = RNG.normal(size=want.shape).astype(np.float32)
    back = npy(tf.keras.ops.nn.fold(y, (7, 8), k, dilation=d, padding=p, stride=s))
    assert back.shape == x.shape
    np.testing.assert_allclose((back * x).sum(), (want * y).sum(), rtol=1e-4)
    ones = npy(tf.keras.ops.fold(np.ones_like(want), (7, 8), k, d, p, s))
    counts = _np_unfold(np.ones_like(x), k, d, p, s).sum()  # each pixel's number of blocks
    assert ones.sum() == counts


# ---------------------------------------------------------------- CTC
def _brute_ctc(logits, label, blank=0):
    """-log of the summed probability of every alignment that collapses to ``label``."""
    p = np.exp(logits - logits.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    total = 0.0
    for path in itertools.product(range(p.shape[1]), repeat=p.shape[0]):
        merged = [c for i, c in enumerate(path) if i == 0 or c != path[i - 1]]
        if [c for c in merged if c != blank] == list(label):
            total += np.prod(p[np.arange(p.shape[0]), path])
    return -np.log(total)


def test_ctc_loss(tf):
    logits = RNG.normal(size=(2, 5, 4)).astype(np.float32)
    target = np.array([[1, 2], [3, 0]], np.int32)
    loss = tf.keras.ops.ctc_loss(target, logits, np.array([2, 1]), np.array([5, 4]))
    want = [_brute_ctc(logits[0].astype(np.float64), [1, 2]),
            _brute_ctc(logits[1, :4].astype(np.float64), [3])]  # fmt: skip
    np.testing.assert_allclose(npy(loss), want, rtol=1e-5)
    assert npy(loss).dtype == np.float32
    loss64 = tf.keras.ops.ctc_loss(target, logits.astype(np.float64), [2, 1], [5, 4])
    assert npy(loss64).dtype == np.float64


def test_ctc_decode_greedy(tf):
    best = [[1, 1, 0, 1, 2, 2], [3, 0, 0, 3, 3, 1]]
    x = np.full((2, 6, 4), -2.0, np.float32)
    for b, row in enumerate(best):
        x[b, np.arange(6), row] = np.arange(6, dtype=np.float32) / 10
    decoded, scores = tf.keras.ops.ctc_decode(x, np.array([6, 5]))
    np.testing.assert_array_equal(npy(decoded), [[[1, 1, 2, -1, -1, -1], [3, 3, -1, -1, -1, -1]]])
    np.testing.assert_allclose(npy(scores), [[-1.5], [-1.0]], rtol=1e-6)
    decoded, _ = tf.keras.ops.ctc_decode(x, [6, 6], merge_repeated=False, mask_index=3)
    np.testing.assert_array_equal(npy(decoded)[0, 1], [0, 0, 1, -1, -1, -1])


# ---------------------------------------------------------------- unique(axis=)
@pytest.mark.parametrize("shape, axis", [((7, 3), 0), ((4, 9), 1), ((5, 2, 3), 0), ((2, 6, 2), -2)])
def test_unique_axis(tf, shape, axis):
    x = RNG.integers(0, 2, shape).astype(np.int32)
    got = tf.keras.ops.unique(x, axis=axis, return_index=True, return_inverse=True,
                              return_counts=True)  # fmt: skip
    want = np.unique(x, axis=axis, return_index=True, return_inverse=True, return_counts=True)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(npy(g), w.reshape(npy(g).shape))


def test_unique_axis_unsorted_size(tf):
    x = np.array([[1, 2], [0, 5], [1, 2]])
    y, first, inverse, counts = tf.keras.ops.unique(
        x, axis=1, sorted=False, return_index=True, return_inverse=True, return_counts=True,
        size=3, fill_value=-1,
    )  # fmt: skip
    np.testing.assert_array_equal(npy(y), [[1, 2, -1], [0, 5, -1], [1, 2, -1]])
    np.testing.assert_array_equal(npy(first), [0, 1, 1])
    np.testing.assert_array_equal(npy(inverse), [0, 1])
    np.testing.assert_array_equal(npy(counts), [1, 1, 0])


# ---------------------------------------------------------------- keras.config
def test_config_flags(tf):
    c = tf.keras.config
    assert c.is_flash_attention_enabled() is None and c.is_nnx_enabled() is False
    c.disable_flash_attention()
    assert c.is_flash_attention_enabled() is False
    c.enable_flash_attention()
    assert c.is_flash_attention_enabled() is None
    for what in ("interactive_logging", "traceback_filtering"):
        assert getattr(c, f"is_{what}_enabled")() is True
        getattr(c, f"disable_{what}")()
        assert getattr(c, f"is_{what}_enabled")() is False
        getattr(c, f"enable_{what}")()
        assert getattr(c, f"is_{what}_enabled")() is True
    assert c.max_epochs() is None and c.max_steps_per_epoch() is None
    c.set_max_epochs(3)
    c.set_max_steps_per_epoch(2)
    try:
        assert (c.max_epochs(), c.max_steps_per_epoch()) == (3, 2)
    finally:
        c.set_max_epochs(None)
        c.set_max_steps_per_epoch(None)


# ---------------------------------------------------------------- keras.ops.image
@pytest.mark.parametrize("method", ["linear", "bilinear"])
def test_scale_and_translate_is_bilinear_resize(tf, method):
    x = RNG.random((2, 5, 4, 3)).astype(np.float32)
    got = tf.keras.ops.image.scale_and_translate(
        x, (2, 10, 12, 3), np.array([2.0, 3.0], np.float32), np.zeros(2, np.float32), (1, 2),
        method,
    )  # fmt: skip
    want = tf.image.resize(x, (10, 12), method="bilinear")
    np.testing.assert_allclose(npy(got), npy(want), rtol=1e-5, atol=1e-6)


def test_scale_and_translate_shift_and_identity(tf):
    x = RNG.random((6, 2)).astype(np.float32)
    same = tf.keras.ops.image.scale_and_translate(x, (6, 2), [1.0], [0.0], (0,), "cubic")
    np.testing.assert_allclose(npy(same), x, rtol=1e-6)
    shifted = tf.keras.ops.image.scale_and_translate(x, (6, 2), [1.0], [2.0], (0,), "linear")
    np.testing.assert_allclose(npy(shifted)[2:], x[:4], rtol=1e-6)  # output i reads input i - 2
    np.testing.assert_array_equal(npy(shifted)[:2], 0.0)  # outside the input: zero weight
    with pytest.raises(ValueError, match="method"):
        tf.keras.ops.image.scale_and_translate(x, (6, 2), [1.0], [0.0], (0,), "nearest")


@pytest.mark.parametrize("fmt", ["channels_last", "channels_first"])
def test_elastic_transform(tf, fmt):
    x = RNG.random((2, 3, 12, 10) if fmt == "channels_first" else (2, 12, 10, 3))
    x = x.astype(np.float32)
    same = tf.keras.ops.image.elastic_transform(x, alpha=0.0, seed=3, data_format=fmt)
    np.testing.assert_allclose(npy(same), x, atol=1e-6)  # no displacement: the images
    one = npy(tf.keras.ops.image.elastic_transform(x, alpha=8.0, sigma=2.0, seed=3,
                                                   data_format=fmt))  # fmt: skip
    two = npy(tf.keras.ops.image.elastic_transform(x, alpha=8.0, sigma=2.0, seed=3,
                                                   data_format=fmt))  # fmt: skip
    np.testing.assert_array_equal(one, two)  # an integer seed: the same field each call
    assert one.shape == x.shape and one.dtype == np.float32 and not np.allclose(one, x)
    assert x.min() - 1e-6 <= one.min() and one.max() <= x.max() + 1e-6  # bilinear, reflected
    with pytest.raises(ValueError, match="rank"):
        tf.keras.ops.image.elastic_transform(x[0, 0], seed=1)


def test_max_epochs_and_steps_cap_fit(tf):
    model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((40, 2), np.float32), np.ones((40, 1), np.float32)
    steps = []
    counter = tf.keras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: steps.append(b))
    tf.keras.config.set_max_epochs(2)
    tf.keras.config.set_max_steps_per_epoch(3)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            history = model.fit(x, y, batch_size=4, epochs=5, verbose=0, callbacks=[counter])
    finally:
        tf.keras.config.set_max_epochs(None)
        tf.keras.config.set_max_steps_per_epoch(None)
    assert len(history.history["loss"]) == 2 and steps == [0, 1, 2, 0, 1, 2]
    said = {str(w.message) for w in caught}
    assert {"Limiting epochs to 2", "Limiting steps_per_epoch to 3"} <= said
    steps.clear()
    model.fit(x, y, batch_size=20, epochs=1, verbose=0, callbacks=[counter])
    assert steps == [0, 1]  # no cap once reset


@pytest.mark.parametrize("pools", [False, pytest.param(True, marks=pytest.mark.skipif(
    USING_TF, reason="Keras 3.15 cannot load its own AdaptiveAveragePool node (a list "
    "output_size added to a shape tuple)"))])  # fmt: skip
def test_new_operations_save_and_load(tf, tmp_path, pools):
    f, s = tf.keras.Input((3, 6, 6)), tf.keras.Input((32,))
    outs = [tf.keras.ops.fold(tf.keras.ops.unfold(f, 2, stride=2), (6, 6), 2, stride=2),
            tf.keras.ops.istft(tf.keras.ops.stft(s, 8, 4, 8), 8, 4, 8)]  # fmt: skip
    if pools:
        outs.append(tf.keras.ops.adaptive_average_pool(f, (4, 3), data_format="channels_first"))
    model = tf.keras.Model([f, s], outs)
    model.save(tmp_path / "m.keras")
    loaded = tf.keras.models.load_model(tmp_path / "m.keras")
    data = [RNG.random((2, 3, 6, 6)).astype(np.float32), RNG.random((2, 32)).astype(np.float32)]
    for got, want in zip(loaded(data), model(data)):
        np.testing.assert_allclose(npy(got), npy(want), rtol=1e-6)
    np.testing.assert_allclose(npy(loaded(data)[0]), data[0], rtol=1e-6)  # disjoint blocks


@pytest.mark.parametrize(
    "where, name, params",
    [
        ("", "vectorize", "pyfunc, *, excluded=None, signature=None"),
        ("", "rearrange", "tensor, pattern, **axes_lengths"),
        ("", "stft", "x, sequence_length, sequence_stride, fft_length, window='hann', center=True"),
        ("", "istft", "x, sequence_length, sequence_stride, fft_length, length=None, "
                      "window='hann', center=True"),
        ("nn", "adaptive_average_pool", "inputs, output_size, data_format=None"),
        ("nn", "fold", "x, output_size, kernel_size, dilation=1, padding=0, stride=1"),
        ("nn", "unfold", "x, kernel_size, dilation=1, padding=0, stride=1"),
        ("nn", "ctc_loss", "target, output, target_length, output_length, mask_index=0"),
        ("nn", "ctc_decode", "inputs, sequence_lengths, strategy='greedy', beam_width=100, "
                             "top_paths=1, merge_repeated=True, mask_index=0"),
        ("image", "elastic_transform", "images, alpha=20.0, sigma=5.0, interpolation='bilinear', "
                                       "fill_mode='reflect', fill_value=0.0, seed=None, "
                                       "data_format=None"),
        ("image", "scale_and_translate", "images, output_shape, scale, translation, "
                                         "spatial_dims, method, antialias=True"),
    ],
)  # fmt: skip
def test_signatures(tf, where, name, params):
    import inspect

    ns = getattr(tf.keras.ops, where) if where else tf.keras.ops
    assert str(inspect.signature(getattr(ns, name))) == f"({params})"
