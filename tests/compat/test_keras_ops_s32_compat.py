"""Issue 14, session 32: ``keras.ops`` ``nanquantile`` / ``nanpercentile`` / ``nanmedian``,
``histogram`` and ``correlate``; NumPy references, green on TF 2.21 and on tensorhouse."""

import os
import warnings

import numpy as np
import pytest

USING_TF = os.environ.get("TENSORHOUSE_COMPAT_TF") == "1"
KERAS_BUG = pytest.mark.skipif(
    USING_TF, reason="Keras 3.15's TF backend fails here; NumPy's answer"
)
RNG = np.random.default_rng(32)
X = RNG.random((3, 4, 5)).astype(np.float32)
X[0, 1, 2] = X[1, 0, 0] = X[2, 3, 4] = X[1, 2, 1] = np.nan
X_EMPTY = X.copy()
X_EMPTY[2, :, 3] = np.nan  # a slice with no values along axis 1: NaN


def npy(x):
    return np.asarray(x)


def _quiet():
    ctx = warnings.catch_warnings()
    warnings.simplefilter("ignore")
    return ctx


@pytest.mark.parametrize("method", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("axis", [None, 1, -1, (0, 2)])
@pytest.mark.parametrize(
    "x, q",
    [(X, [0.1, 0.5, 0.9]), (X_EMPTY, 0.3), pytest.param(X_EMPTY, [0.1, 0.9], marks=KERAS_BUG)],
)
def test_nanquantile(tf, method, axis, x, q):
    with _quiet():
        want = np.nanquantile(
            x, np.float64(np.float32(q)), axis=axis, method=method
        )  # Keras: q in floatx
    got = tf.keras.ops.nanquantile(x, q, axis=axis, method=method)
    np.testing.assert_allclose(npy(got), want, rtol=1e-6)
    assert npy(got).dtype == np.float32


def test_nanpercentile_nanmedian_keepdims(tf):
    with _quiet():
        want_p = np.nanpercentile(X, 30.0, axis=2, keepdims=True)
        want_m = np.nanmedian(X, axis=1)
    got_p = tf.keras.ops.nanpercentile(X, 30.0, axis=2, keepdims=True)
    np.testing.assert_allclose(npy(got_p), want_p, rtol=1e-6)
    np.testing.assert_allclose(npy(tf.keras.ops.nanmedian(X, axis=1)), want_m, rtol=1e-6)
    assert npy(tf.keras.ops.nanmedian(np.arange(6))).dtype == np.float32  # ints: floatx
    assert float(tf.keras.ops.nanmedian(np.arange(6))) == 2.5


@KERAS_BUG
def test_nanmedian_traces(tf):
    fn = tf.function(lambda x: tf.keras.ops.nanmedian(x, axis=-1))
    with _quiet():
        np.testing.assert_allclose(npy(fn(X)), np.nanmedian(X, axis=-1), rtol=1e-6)


@pytest.mark.parametrize("bins, rng", [(10, None), (4, (0.2, 0.8)), (1, None)])
def test_histogram(tf, bins, rng):
    x = RNG.random(50).astype(np.float32)
    counts, edges = tf.keras.ops.histogram(x, bins=bins, range=rng)
    want_c, want_e = np.histogram(x, bins=bins, range=rng)
    np.testing.assert_allclose(npy(edges), want_e, rtol=1e-6)
    np.testing.assert_array_equal(npy(counts), want_c)
    assert npy(counts).dtype == np.float32 and npy(edges).dtype == np.float32


@pytest.mark.parametrize("mode", ["valid", "same", "full"])
@pytest.mark.parametrize(
    "m", [3, 4, 6, pytest.param(7, marks=KERAS_BUG), pytest.param(8, marks=KERAS_BUG)]
)
def test_correlate(tf, mode, m):
    a = RNG.random(6).astype(np.float32)
    v = RNG.random(m).astype(np.float32)
    got = tf.keras.ops.correlate(a, v, mode=mode)
    np.testing.assert_allclose(npy(got), np.correlate(a, v, mode=mode), rtol=1e-5, atol=1e-6)
    assert npy(got).dtype == np.float32


def test_correlate_dtypes_and_bad_mode(tf):
    assert npy(tf.keras.ops.correlate(np.arange(4), np.arange(2))).dtype == np.float64
    np.testing.assert_array_equal(
        npy(tf.keras.ops.correlate(np.arange(4), np.arange(2))), [1.0, 2.0, 3.0]
    )
    a16 = np.arange(4, dtype=np.int16)
    assert npy(tf.keras.ops.correlate(a16, a16)).dtype == np.float32
    with pytest.raises(ValueError, match="Invalid mode"):
        tf.keras.ops.correlate(np.ones(3), np.ones(2), mode="bad")


@pytest.mark.parametrize(
    "shape, kth, axis",
    [
        ((9,), 0, -1),
        ((9,), 4, 0),
        ((9,), 8, None),
        pytest.param((4, 6), 2, -1, marks=KERAS_BUG),
        pytest.param((4, 6), -1, 0, marks=KERAS_BUG),
        pytest.param((4, 6), 3, None, marks=KERAS_BUG),
    ],
)
def test_argpartition(tf, shape, kth, axis):
    x = RNG.permutation(np.prod(shape)).reshape(shape) - (len(shape) - 1) * 9  # 2-D: negatives
    idx = npy(tf.keras.ops.argpartition(x, kth, axis=axis))
    assert idx.dtype == np.int32
    flat = x.reshape(-1) if axis is None else np.moveaxis(x, axis, -1)
    part = np.take_along_axis(flat, np.moveaxis(idx, axis, -1) if axis is not None else idx, -1)
    np.testing.assert_array_equal(np.sort(part, -1), np.sort(flat, -1))  # a permutation
    pivot = np.sort(flat, -1)[..., kth, None]
    k = kth % flat.shape[-1]
    np.testing.assert_array_equal(part[..., k, None], pivot)
    assert (part[..., :k] <= pivot).all() and (part[..., k + 1 :] >= pivot).all()


def test_nanquantile_in_saved_model(tf, tmp_path):
    x = tf.keras.Input((4, 5))
    model = tf.keras.Model(x, tf.keras.ops.nanquantile(x, 0.25, axis=-1, method="midpoint"))
    model.save(tmp_path / "m.keras")
    loaded = tf.keras.models.load_model(tmp_path / "m.keras")
    with _quiet():
        want = np.nanquantile(X[:2, :, :], 0.25, axis=-1, method="midpoint")
    np.testing.assert_allclose(npy(loaded(X[:2])), want, rtol=1e-6)


@pytest.mark.skipif(USING_TF, reason="Keras's TF backend clips kth; NumPy and JAX raise")
def test_argpartition_kth_out_of_range(tf):
    with pytest.raises(ValueError, match="kth"):
        tf.keras.ops.argpartition(np.arange(4), 4)


@pytest.mark.parametrize("dtype", ["int32", "float32"])
def test_unique(tf, dtype):
    x = RNG.integers(0, 6, (4, 5)).astype(dtype)
    got = tf.keras.ops.unique(x, return_index=True, return_inverse=True, return_counts=True)
    want = np.unique(x, return_index=True, return_inverse=True, return_counts=True)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(npy(g), w)
    np.testing.assert_array_equal(npy(got[2]).shape, x.shape)  # inverse in x's shape
    assert [npy(g).dtype for g in got[1:]] == [np.int32] * 3 and npy(got[0]).dtype == dtype


def test_unique_unsorted_size_fill_traced(tf):
    x = np.array([3, 1, 3, 2, 1])
    np.testing.assert_array_equal(npy(tf.keras.ops.unique(x, sorted=False)), [3, 1, 2])
    y, first, counts = tf.function(
        lambda v: tf.keras.ops.unique(
            v, return_index=True, return_counts=True, size=5, fill_value=-1
        )
    )(x)
    np.testing.assert_array_equal(npy(y), [1, 2, 3, -1, -1])
    np.testing.assert_array_equal(npy(first), [1, 3, 0, 1, 1])  # Keras pads indices with 1
    np.testing.assert_array_equal(npy(counts), [2, 1, 2, 0, 0])
    np.testing.assert_array_equal(npy(tf.keras.ops.unique(x, size=2)), [1, 2])


def test_unique_rows(tf):
    x = np.array([[1, 2], [0, 5], [1, 2]])
    np.testing.assert_array_equal(npy(tf.keras.ops.unique(x, axis=0)), [[0, 5], [1, 2]])
