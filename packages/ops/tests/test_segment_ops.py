"""Segment reductions, unique, bincount and searchsorted against NumPy, their TF errors and
gradients (finite differences), eagerly and inside tf.function."""

import numpy as np
import pytest

import tensorhouse_ops as tf

RNG = np.random.default_rng(11)


def _numeric_grad(fn, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        hi, lo = x.copy(), x.copy()
        hi[i] += eps
        lo[i] -= eps
        g[i] = (fn(hi) - fn(lo)) / (2 * eps)
    return g


def _check_grad(fn, x):
    xt = tf.constant(x)
    w = RNG.standard_normal(fn(xt).shape)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = tf.reduce_sum(fn(xt) * w)
    got = tape.gradient(y, xt).numpy()
    want = _numeric_grad(lambda a: float(np.sum(fn(tf.constant(a)).numpy() * w)), x)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


def _unsorted_ref(data, ids, n, fn, empty):
    out = np.full((n,) + data.shape[ids.ndim :], empty, data.dtype)
    flat_ids, flat = ids.reshape(-1), data.reshape((-1,) + data.shape[ids.ndim :])
    for s in range(n):
        rows = flat[flat_ids == s]
        if len(rows):
            out[s] = fn(rows, axis=0)
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.uint8])
def test_unsorted_segment_max_min_prod_match_numpy(dtype):
    data = RNG.integers(1, 6, size=(7, 3)).astype(dtype)
    ids = np.array([2, -1, 0, 2, 4, 0, -1])  # negative ids are dropped; 1 and 3 stay empty
    info = np.finfo(dtype) if np.dtype(dtype).kind == "f" else np.iinfo(dtype)
    for fn, ref, empty in ((tf.math.unsorted_segment_max, np.max, info.min),
                           (tf.math.unsorted_segment_min, np.min, info.max),
                           (tf.math.unsorted_segment_prod, np.prod, 1)):  # fmt: skip
        got = fn(data, ids, 5)
        assert got.dtype == tf.as_dtype(dtype)
        np.testing.assert_array_equal(got.numpy(), _unsorted_ref(data, ids, 5, ref, empty))


def test_unsorted_segment_ops_take_multi_dim_ids_and_check_them():
    data = RNG.standard_normal((2, 3, 4))
    ids = np.array([[0, 1, 0], [2, 2, -1]])
    want = _unsorted_ref(data, ids, 3, np.max, np.finfo(np.float64).min)
    np.testing.assert_array_equal(tf.math.unsorted_segment_max(data, ids, 3).numpy(), want)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"segment_ids\[1\] = 5 is out of"):
        tf.math.unsorted_segment_max([1.0, 2.0, 3.0], [1, 5, 0], 3)


def test_unsorted_segment_sqrt_n_and_mean():
    data = RNG.standard_normal((5, 2))
    ids = np.array([0, 0, 2, 0, -1])
    want = np.zeros((3, 2))
    want[0] = data[[0, 1, 3]].sum(0) / np.sqrt(3)
    want[2] = data[2]
    np.testing.assert_allclose(tf.math.unsorted_segment_sqrt_n(data, ids, 3).numpy(), want)
    _check_grad(lambda t: tf.math.unsorted_segment_sqrt_n(t, ids, 3), data)


@pytest.mark.parametrize("fn", ["unsorted_segment_max", "unsorted_segment_min",
                                "unsorted_segment_prod"])  # fmt: skip
def test_unsorted_segment_gradients_match_finite_differences(fn):
    data = RNG.standard_normal((6, 2))
    ids = np.array([1, 0, 1, -1, 2, 1])  # every segment has rows: no lowest / highest values
    _check_grad(lambda t: getattr(tf.math, fn)(t, ids, 3), data)


def test_segment_max_splits_the_gradient_between_ties_and_prod_handles_zeros():
    x = tf.constant([[1.0, 3.0], [1.0, 2.0], [0.0, 5.0]])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        m = tf.math.unsorted_segment_max(x, [0, 0, 1], 2)
        p = tf.math.unsorted_segment_prod(x, [0, 1, 1], 2)
    np.testing.assert_allclose(tape.gradient(m, x).numpy(), [[0.5, 1], [0.5, 0], [1, 1]])
    np.testing.assert_allclose(tape.gradient(p, x).numpy(), [[1, 1], [0, 5], [1, 2]])


@pytest.mark.parametrize("dtype", [np.float64, np.int32])
def test_sorted_segment_ops_match_numpy(dtype):
    data = RNG.integers(-5, 6, size=(6, 2)).astype(dtype)
    ids = np.array([0, 0, 2, 2, 2, 4])
    for name, ref, empty in (("sum", np.sum, 0), ("max", np.max, 0), ("min", np.min, 0),
                             ("prod", np.prod, 1)):  # fmt: skip
        got = getattr(tf.math, "segment_" + name)(data, ids)
        np.testing.assert_array_equal(got.numpy(), _unsorted_ref(data, ids, 5, ref, empty))
    mean = tf.math.segment_mean(data, ids).numpy()
    if dtype == np.int32:  # integer means truncate toward zero, as TF's
        want = np.trunc(_unsorted_ref(data, ids, 5, np.sum, 0) / np.array([2, 1, 3, 1, 1])[:, None])
    else:
        want = _unsorted_ref(data, ids, 5, np.mean, 0)
    np.testing.assert_allclose(mean, want)


def test_sorted_segment_errors_are_tf_errors():
    with pytest.raises(tf.errors.InvalidArgumentError, match="segment ids are not increasing"):
        tf.math.segment_max([1, 2, 3], [0, 2, 1])
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"Segment id -1 out of range \[0, 1\)"
    ):
        tf.math.segment_sum([1, 2], [-1, 0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="same size as dimension 0"):
        tf.math.segment_min([1, 2, 3], [0, 0])


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "prod"])
def test_sorted_segment_gradients_and_traced(name):
    data = RNG.standard_normal((6, 2))
    ids = np.array([0, 0, 1, 3, 3, 3])
    fn = getattr(tf.math, "segment_" + name)
    _check_grad(lambda t: fn(t, ids), data)
    traced = tf.function(lambda t, i: fn(t, i))
    np.testing.assert_allclose(traced(data, ids).numpy(), fn(data, ids).numpy())
    np.testing.assert_allclose(traced(data[:3], ids[:3]).numpy(), fn(data[:3], ids[:3]).numpy())


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float32, np.uint8, np.bool_])
def test_unique_and_counts_in_order_of_first_appearance(dtype):
    x = RNG.integers(0, 2 if dtype == np.bool_ else 6, size=20).astype(dtype)
    y, idx = tf.unique(x)
    _, first, inverse, counts = np.unique(x, return_index=True, return_inverse=True,
                                          return_counts=True)  # fmt: skip
    order = np.argsort(first)
    np.testing.assert_array_equal(y.numpy(), x[np.sort(first)])
    np.testing.assert_array_equal(y.numpy()[idx.numpy()], x)
    assert idx.dtype == tf.int32
    y2, idx2, count = tf.unique_with_counts(x, out_idx=tf.int64)
    assert idx2.dtype == count.dtype == tf.int64
    np.testing.assert_array_equal(count.numpy(), counts[order])


def test_unique_merges_signed_zeros_keeps_each_nan_and_needs_1d():
    y, idx = tf.unique([0.0, -0.0, np.nan, np.nan, 1.0])
    assert y.shape == (4,) and idx.numpy().tolist() == [0, 0, 1, 2, 3]
    with pytest.raises(tf.errors.InvalidArgumentError, match="unique expects a 1D vector"):
        tf.unique([[1, 2]])

    @tf.function
    def f(x):
        return tf.unique(x)

    y, idx = f(tf.constant([3, 1, 3, 2]))
    assert y.numpy().tolist() == [3, 1, 2] and idx.numpy().tolist() == [0, 1, 0, 2]


def test_bincount_lengths_weights_axis_and_binary_output():
    arr = np.array([1, 1, 2, 4])
    assert tf.math.bincount(arr).numpy().tolist() == [0, 2, 1, 0, 1]
    assert tf.math.bincount(arr, minlength=7, maxlength=3).numpy().tolist() == [0, 2, 1]
    assert tf.math.bincount(arr, minlength=7).numpy().tolist() == [0, 2, 1, 0, 1, 0, 0]
    assert tf.math.bincount([], minlength=2).numpy().tolist() == [0, 0]
    w = tf.math.bincount([1, 1, 2], weights=[0.5, 0.5, 1.0])
    assert w.dtype == tf.float32 and w.numpy().tolist() == [0.0, 1.0, 1.0]
    assert tf.math.bincount([3], dtype=tf.float32).dtype == tf.float32
    two = tf.math.bincount([[1, 1], [2, 4]], axis=-1)
    assert two.numpy().tolist() == [[0, 2, 0, 0, 0], [0, 0, 1, 0, 1]]
    binary = tf.math.bincount([[1, 1], [2, 4]], axis=-1, binary_output=True)
    assert binary.numpy().tolist() == [[0, 1, 0, 0, 0], [0, 0, 1, 0, 1]]
    ref = np.bincount(RNG.integers(0, 9, 100))
    assert tf.math.bincount(np.repeat(np.arange(len(ref)), ref)).numpy().tolist() == ref.tolist()
    with pytest.raises(tf.errors.InvalidArgumentError, match="must be non-negative"):
        tf.math.bincount([-1, 2])
    with pytest.raises(ValueError, match="mutually exclusive"):
        tf.math.bincount([1], weights=[1.0], binary_output=True)
    traced = tf.function(lambda a: tf.math.bincount(a, minlength=3))
    assert traced(tf.constant([0, 5])).numpy().tolist() == [1, 0, 0, 0, 0, 1]
    assert traced(tf.constant([1])).numpy().tolist() == [0, 1, 0]


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_searchsorted_matches_numpy_per_row(side, dtype):
    seq = np.sort(RNG.integers(0, 10, size=(3, 8)), axis=-1).astype(dtype)
    vals = RNG.integers(-1, 12, size=(3, 5)).astype(dtype)
    got = tf.searchsorted(seq, vals, side=side)
    assert got.dtype == tf.int32
    want = np.stack([np.searchsorted(seq[i], vals[i], side=side) for i in range(3)])
    np.testing.assert_array_equal(got.numpy(), want)
    assert tf.searchsorted(seq[0], vals[0], side=side, out_type=tf.int64).dtype == tf.int64
    traced = tf.function(lambda s, v: tf.searchsorted(s, v, side=side))
    np.testing.assert_array_equal(traced(seq, vals).numpy(), want)


def test_searchsorted_errors():
    with pytest.raises(ValueError, match="must be either 'right' or 'left'"):
        tf.searchsorted([1, 2, 3], [2], side="middle")
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.searchsorted([[1, 2, 3], [1, 2, 3]], [[1], [2], [3]])
