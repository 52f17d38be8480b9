"""keras_ops: rearrange, vectorize, stft / istft, the adaptive pools, fold / unfold, CTC,
unique(axis=) and keras.config's flags: eager equals traced (unknown batch where the op allows
it), gradients against central differences, and the errors."""

import numpy as np
import pytest

import tensorhouse_ops as tops
from tensorhouse_components import keras_ops as K

RNG = np.random.default_rng(14)


def _np(xs):
    return [np.asarray(x) for x in xs] if isinstance(xs, list | tuple) else np.asarray(xs)


def _both(fn, *args, batch=None):
    """fn's outputs eager and traced (leading dim ``batch``, None: unknown), checked equal."""
    spec = [tops.TensorSpec([batch, *a.shape[1:]], tops.as_dtype(a.dtype)) for a in args]
    eager = _np(fn(*args))
    traced = _np(tops.function(fn, input_signature=spec)(*args))
    for e, t in zip(*(v if isinstance(v, list) else [v] for v in (eager, traced))):
        np.testing.assert_allclose(t, e, rtol=1e-6, atol=1e-6)
    return eager


def _grad_check(fn, x, eps=1e-6):
    """fn's gradient of ``sum(fn(x) * w)`` against central differences, in float64."""
    w = RNG.normal(size=np.shape(_np(fn(x))))
    xt = tops.constant(x)
    with tops.GradientTape() as tape:
        tape.watch(xt)
        loss = tops.reduce_sum(fn(xt) * w)
    got = _np(tape.gradient(loss, xt))
    want = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        d = np.zeros_like(x)
        d[i] = eps
        want[i] = ((_np(fn(x + d)) - _np(fn(x - d))) * w).sum() / (2 * eps)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


def test_rearrange_traced_unknown_batch():
    x = RNG.normal(size=(3, 4, 6)).astype(np.float32)
    got = _both(lambda a: K.rearrange(a, "b h (w c) -> (b c) h w", c=2), x)
    np.testing.assert_array_equal(got, x.reshape(3, 4, 3, 2).transpose(0, 3, 1, 2).reshape(6, 4, 3))


@pytest.mark.parametrize(
    "pattern, lengths, match",
    [
        ("a b -> a", {}, "each axis once"),
        ("a b c -> c b a", {}, "3 input axes"),
        ("a (b c) -> a b c", {}, "cannot infer"),
        ("a (b c) -> a b c", {"b": 2, "c": 2}, "not 4"),
    ],
)
def test_rearrange_errors(pattern, lengths, match):
    with pytest.raises(ValueError, match=match):
        K.rearrange(np.zeros((2, 6)), pattern, **lengths)


def test_vectorize_traced_excluded_and_errors():
    x = RNG.normal(size=(4, 2, 3)).astype(np.float32)
    v = RNG.normal(size=(3,)).astype(np.float32)
    mv = K.vectorize(lambda a, b, scale: K.matmul(a, b) * scale, signature="(n,m),(m)->(n)",
                     excluded={2})  # fmt: skip
    got = _both(lambda a: mv(a, v, 2.0), x, batch=4)
    np.testing.assert_allclose(got, 2 * x @ v, rtol=1e-6)
    pair = K.vectorize(lambda a: (a * 2, K.sum(a)), signature="(k)->(k),()")
    twice, total = pair(x)
    np.testing.assert_allclose(_np(twice), 2 * x, rtol=1e-6)
    np.testing.assert_allclose(_np(total), x.sum(-1), rtol=1e-5)
    assert K.numpy.vectorize is K.vectorize
    with pytest.raises(ValueError, match="inconsistent size for core dimension 'm'"):
        mv(x, np.ones(4, np.float32), 1.0)
    with pytest.raises(ValueError, match="fewer dimensions"):
        mv(v, v, 1.0)
    with pytest.raises(ValueError):  # loop shapes that do not broadcast
        K.vectorize(lambda a, b: a + b)(np.ones((2, 3)), np.ones((4, 3)))


def test_stft_istft_traced_and_window_array():
    x = RNG.normal(size=(2, 48)).astype(np.float32)
    win = RNG.uniform(0.5, 1.0, size=12).astype(np.float32)
    re, im = _both(lambda a: K.stft(a, 12, 4, 16, window=win), x)
    frames = np.pad(x, [(0, 0), (8, 8)], mode="reflect")
    padded = np.pad(win, (2, 2))
    want = np.fft.rfft(np.stack([frames[:, i * 4 : i * 4 + 16] * padded for i in range(13)], 1))
    np.testing.assert_allclose(re + 1j * im, want, atol=2e-5)
    back = _both(lambda a, b: K.istft((a, b), 16, 4, 16, window=None), re, im)
    assert back.shape == (2, 48)
    with pytest.raises(ValueError, match=r"\[sequence_length\]"):
        K.stft(x, 12, 4, 16, window=np.ones(5, np.float32))


def test_adaptive_pools_traced_gradient_and_errors():
    x = RNG.normal(size=(2, 7, 5, 3))
    _both(lambda a: K.adaptive_average_pool(a, (3, 2), data_format="channels_last"), x)
    _both(lambda a: K.adaptive_max_pool(a, 4, data_format="channels_last"), x)
    _grad_check(lambda a: K.adaptive_average_pool(a, (3, 4), "channels_last"), x[:1])
    _grad_check(lambda a: K.adaptive_max_pool(a, (3, 4), "channels_last"), x[:1])
    ints = K.adaptive_average_pool(np.arange(8).reshape(1, 8, 1), 2, "channels_last")
    np.testing.assert_allclose(_np(ints), [[[1.5], [5.5]]])
    assert _np(ints).dtype == np.float32
    with pytest.raises(ValueError, match="1D, 2D, or 3D"):
        K.adaptive_max_pool(np.zeros((2, 3)), 2)
    spec = tops.TensorSpec([2, None, 3], tops.float32)
    with pytest.raises(ValueError, match="statically known"):
        tops.function(
            lambda a: K.adaptive_max_pool(a, 2), input_signature=[spec]
        ).get_concrete_function()


def test_fold_unfold_traced_gradients_and_errors():
    x = RNG.normal(size=(2, 2, 5, 6))
    cols = _both(lambda a: K.unfold(a, (2, 3), dilation=(2, 1), padding=1, stride=(1, 2)), x)
    back = _both(lambda c: K.fold(c, (5, 6), (2, 3), (2, 1), 1, (1, 2)), cols)
    assert back.shape == x.shape
    _grad_check(lambda a: K.unfold(a, 2, padding=1, stride=2), x[:1, :1])
    _grad_check(lambda c: K.fold(c, (5, 6), 2, padding=1, stride=2), _np(K.unfold(x, 2, 1, 1, 2)))
    with pytest.raises(ValueError, match="4-D"):
        K.unfold(np.zeros((2, 3, 4)), 2)
    with pytest.raises(ValueError, match=r"fold expects \(N, C \* 4, 20\)"):
        K.fold(np.zeros((2, 8, 19)), (5, 6), 2)


def test_ctc_traced_and_beam_search():
    logits = RNG.normal(size=(2, 6, 5)).astype(np.float32)
    labels = np.array([[1, 2, 2], [4, 0, 0]], np.int32)
    lengths, steps = np.array([3, 1], np.int32), np.array([6, 4], np.int32)
    _both(lambda a: K.ctc_loss(labels, a, lengths, steps), logits, batch=2)
    dec = _both(lambda a: K.ctc_decode(a, steps), logits, batch=2)
    assert dec[0].shape == (1, 2, 6) and dec[0].dtype == np.int32
    beam = _both(lambda a: K.ctc_decode(a, steps, "beam_search", 4, 2, mask_index=2), logits,
                 batch=2)  # fmt: skip
    assert beam[0].shape == (2, 2, 6) and beam[1].shape == (2, 2)
    # as Keras's TF backend: tf.nn's decoder on the logits with class 2 moved last, then the
    # labels at or above 2 shifted back up
    moved = np.concatenate([logits[..., :2], logits[..., 3:], logits[..., 2:3]], -1)
    decoded, logp = tops.nn.ctc_beam_search_decoder(moved.transpose(1, 0, 2), steps, 4, 2)
    for k, d in enumerate(decoded):
        idx, vals = _np(d.indices), _np(d.values)
        want = np.full((2, 6), -1)
        want[idx[:, 0], idx[:, 1]] = vals + (vals >= 2)
        np.testing.assert_array_equal(beam[0][k], want)
    np.testing.assert_allclose(beam[1], _np(logp), rtol=1e-6)
    with pytest.raises(ValueError, match="Invalid strategy"):
        K.ctc_decode(logits, steps, strategy="best")


def test_unique_axis_traced():
    x = RNG.integers(0, 2, (6, 3)).astype(np.int32)

    def fn(a):
        return K.unique(a, axis=0, sorted=False, return_index=True, return_inverse=True,
                        return_counts=True)  # fmt: skip

    y, first, inverse, counts = _both(fn, x)
    want, wfirst, _, wcounts = np.unique(x, axis=0, return_index=True, return_inverse=True,
                                         return_counts=True)  # fmt: skip
    order = np.argsort(wfirst)  # unsorted: in order of first appearance
    np.testing.assert_array_equal(y, want[order])
    np.testing.assert_array_equal(first, wfirst[order])
    np.testing.assert_array_equal(counts, wcounts[order])
    np.testing.assert_array_equal(y[inverse], x)
    np.testing.assert_array_equal(_np(K.unique(np.zeros((0, 3)), axis=0)).shape, (0, 3))


def test_config_backend_and_env(monkeypatch):
    import importlib

    from tensorhouse_components.keras_ops import config

    K.config.set_backend("tensorflow")
    with pytest.raises(ValueError, match="TensorFlow backend only"):
        K.config.set_backend("jax")
    monkeypatch.setenv("KERAS_MAX_EPOCHS", "2")
    monkeypatch.setenv("KERAS_MAX_STEPS_PER_EPOCH", "5")
    fresh = importlib.reload(config)
    try:
        assert (fresh.max_epochs(), fresh.max_steps_per_epoch()) == (2, 5)
    finally:
        monkeypatch.delenv("KERAS_MAX_EPOCHS")
        monkeypatch.delenv("KERAS_MAX_STEPS_PER_EPOCH")
        importlib.reload(config)


def test_scale_and_translate_traced_gradient_and_downsampling():
    x = RNG.normal(size=(2, 8, 6, 1))
    fn = lambda a: K.image.scale_and_translate(  # noqa: E731
        a, (2, 3, 4, 1), np.array([0.4, 0.7]), np.array([0.2, -0.1]), (1, 2), "lanczos3"
    )
    _both(fn, x, batch=2)
    _grad_check(fn, x[:1])
    # a 4x downsampling, antialiased: output j samples input 4 j + 1.5 with the triangle kernel
    # widened 4 times, weights max(0, 1 - |4 j + 1.5 - i| / 4) normalized
    row = np.arange(8.0)
    got = _np(K.image.scale_and_translate(row, (2,), [0.25], [0.0], (0,), "linear"))
    want = []
    for centre in (1.5, 5.5):
        w = np.maximum(0, 1 - np.abs(centre - row) / 4)
        want.append((w * row).sum() / w.sum())
    np.testing.assert_allclose(got, want, rtol=1e-6)
    sharp = _np(K.image.scale_and_translate(row, (2,), [0.25], [0.0], (0,), "linear", False))
    np.testing.assert_allclose(sharp, [1.5, 5.5], rtol=1e-6)  # no antialias: linear reads


def test_elastic_transform_matches_its_definition_and_traces():
    x = RNG.random((2, 10, 9, 2)).astype(np.float32)
    got = _both(lambda a: K.image.elastic_transform(a, 6.0, 1.5, seed=7), x, batch=2)
    noise = K.random.normal((2, 10, 9), seed=7) * 1.5
    shift = _np(6.0 * K.image.gaussian_blur(noise[..., None], (7, 7), (1.5, 1.5)))[..., 0]
    rows, cols = np.meshgrid(np.arange(10.0), np.arange(9.0), indexing="ij")
    for b in range(2):
        for c in range(2):  # Keras's TF backend: one map_coordinates per image and channel
            coords = np.stack([rows + shift[b], cols + shift[b]]).astype(np.float32)
            want = _np(K.image.map_coordinates(x[b, :, :, c], coords, 1, fill_mode="reflect"))
            np.testing.assert_allclose(got[b, :, :, c], want, rtol=1e-5, atol=1e-6)
    single = _np(K.image.elastic_transform(x[0], 6.0, 1.5, seed=7))
    assert single.shape == x[0].shape
    with pytest.raises(ValueError, match="interpolation"):
        K.image.elastic_transform(x, interpolation="bicubic")
    with pytest.raises(ValueError, match="fill_mode"):
        K.image.elastic_transform(x, fill_mode="mirror")
