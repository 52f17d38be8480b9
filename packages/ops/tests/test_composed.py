"""The composed TF functions (sort, roll, repeat, meshgrid, sequence_mask, segment means,
l2_normalize, band_part, diag, embedding_lookup, saturate_cast ...): values against NumPy,
gradients against finite differences, and their errors."""

from __future__ import annotations

import numpy as np
import pytest

import tensorhouse_ops as tf

RNG = np.random.default_rng(7)
F32_MAX = np.finfo(np.float32).max


def _numeric_grad(f, x, weights, eps=1e-6):
    """d/dx of sum(weights * f(x)) by central differences, in float64."""
    grad = np.zeros_like(x)
    for i in np.ndindex(*x.shape):
        hi, lo = x.copy(), x.copy()
        hi[i] += eps
        lo[i] -= eps
        grad[i] = (np.sum(weights * f(hi)) - np.sum(weights * f(lo))) / (2 * eps)
    return grad


def _check_grad(fn, x):
    """The tape's gradient of sum(w * fn(x)) against finite differences of fn itself."""
    xt = tf.constant(x)
    out = fn(xt).numpy()
    w = RNG.standard_normal(out.shape)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = tf.reduce_sum(tf.multiply(fn(xt), tf.constant(w)))
    got = tape.gradient(y, xt).numpy()
    want = _numeric_grad(lambda a: fn(tf.constant(a)).numpy(), x, w)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


# ---- sort / argsort ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.uint8])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_sort_and_argsort_match_numpy_stable_sort(dtype, axis):
    x = RNG.integers(0, 5, size=(4, 7)).astype(dtype)  # many ties
    for direction in ("ASCENDING", "DESCENDING"):
        got = tf.sort(x, axis=axis, direction=direction).numpy()
        idx = tf.argsort(x, axis=axis, direction=direction).numpy()
        key = x if direction == "ASCENDING" else -x.astype(np.float64)  # values 0..4: exact
        want_idx = np.argsort(key, axis=axis, kind="stable")
        assert idx.dtype == np.int32
        np.testing.assert_array_equal(idx, want_idx)
        np.testing.assert_array_equal(got, np.take_along_axis(x, want_idx, axis=axis))
        assert got.dtype == dtype


def test_sort_handles_the_extremes_of_int_and_uint_dtypes():
    lo = np.iinfo(np.int32).min
    x = np.array([0, lo, 5, np.iinfo(np.int32).max, lo], np.int32)
    np.testing.assert_array_equal(tf.sort(x).numpy(), np.sort(x))
    np.testing.assert_array_equal(tf.argsort(x).numpy(), [1, 4, 0, 2, 3])
    u = np.array([0, 255, 5, 128], np.uint8)
    np.testing.assert_array_equal(tf.sort(u).numpy(), [0, 5, 128, 255])
    np.testing.assert_array_equal(tf.sort(u, direction="DESCENDING").numpy(), [255, 128, 5, 0])


def test_sort_puts_nan_last_ascending_and_first_descending():
    x = np.array([1.0, np.nan, -np.inf, 2.0], np.float32)
    np.testing.assert_array_equal(tf.sort(x).numpy(), [-np.inf, 1.0, 2.0, np.nan])
    np.testing.assert_array_equal(
        tf.sort(x, direction="DESCENDING").numpy(), [np.nan, 2.0, 1.0, -np.inf]
    )


def test_sort_of_an_empty_axis_and_its_errors():
    assert tf.sort(np.zeros((3, 0), np.float32)).shape == (3, 0)
    with pytest.raises(ValueError, match="direction"):
        tf.sort([1.0], direction="UP")
    with pytest.raises(tf.errors.InvalidArgumentError, match="rank >= 1"):
        tf.sort(tf.constant(1.0))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"axis 2 .*shape \(2, 2\)"):
        tf.argsort(np.zeros((2, 2)), axis=2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="bool"):
        tf.sort([True, False])


def test_sort_gradient_goes_back_to_each_value():
    x = RNG.permutation(12).reshape(3, 4).astype(np.float64) / 3.0  # distinct: no ties
    _check_grad(lambda t: tf.sort(t, axis=0), x)
    _check_grad(lambda t: tf.sort(t, direction="DESCENDING"), x)


# ---- roll, repeat, meshgrid, sequence_mask ---------------------------------------------------


@pytest.mark.parametrize(
    "shift, axis", [(1, 0), (-1, 1), (7, 1), ([1, -2], [0, 1]), ([2, 3], [1, 1]), (0, 0)]
)
def test_roll_matches_numpy(shift, axis):
    x = np.arange(15, dtype=np.float32).reshape(3, 5)
    want = np.roll(x, shift, axis=tuple(axis) if isinstance(axis, list) else axis)
    np.testing.assert_array_equal(tf.roll(x, shift, axis).numpy(), want)


def test_roll_takes_tensors_and_checks_its_arguments():
    x = tf.constant([1, 2, 3])
    np.testing.assert_array_equal(tf.roll(x, tf.constant(-4), tf.constant(0)).numpy(), [2, 3, 1])
    assert tf.roll(tf.zeros([0]), 1, 0).shape == (0,)
    with pytest.raises(tf.errors.InvalidArgumentError, match="same size"):
        tf.roll(x, [1, 2], [0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="axis 1 is out of range"):
        tf.roll(x, 1, 1)
    with pytest.raises(tf.errors.InvalidArgumentError, match="1-D or higher"):
        tf.roll(tf.constant(1), 1, 0)


def test_roll_gradient_rolls_back():
    x = RNG.standard_normal((3, 4))
    _check_grad(lambda t: tf.roll(t, [1, -3], [0, 1]), x)


@pytest.mark.parametrize(
    "repeats, axis", [(2, None), (3, 0), ([1, 0, 2], 0), ([0, 3], 1), ([2], 1), ([-1, 2, 1], 0)]
)
def test_repeat_matches_numpy(repeats, axis):
    x = np.arange(6, dtype=np.int64).reshape(3, 2)
    reps = np.maximum(np.asarray(repeats), 0)  # TF counts a negative repeat as 0
    got = tf.repeat(x, repeats, axis=axis).numpy()
    np.testing.assert_array_equal(got, np.repeat(x, reps, axis))


def test_repeat_errors_and_gradient():
    with pytest.raises(ValueError, match="3 entries but axis 0"):
        tf.repeat([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="out of bounds"):
        tf.repeat([1, 2], 2, axis=1)
    x = RNG.standard_normal((2, 3))
    _check_grad(lambda t: tf.repeat(t, [2, 0, 1], axis=1), x)


def test_meshgrid_xy_and_ij_match_numpy():
    a, b, c = np.arange(3.0), np.arange(2.0) + 10, np.arange(4.0) - 5
    for indexing in ("xy", "ij"):
        got = tf.meshgrid(a, b, c, indexing=indexing)
        for g, w in zip(got, np.meshgrid(a, b, c, indexing=indexing), strict=True):
            np.testing.assert_array_equal(g.numpy(), w)
    with pytest.raises(ValueError, match="'xy' or 'ij'"):
        tf.meshgrid(a, b, indexing="ji")
    assert tf.meshgrid() == []


def test_sequence_mask():
    lengths = np.array([[1, 3], [0, 2]], np.int32)
    want = np.arange(4) < lengths[..., None]
    np.testing.assert_array_equal(tf.sequence_mask(lengths, 4).numpy(), want)
    np.testing.assert_array_equal(tf.sequence_mask(lengths).numpy(), want[..., :3])
    f = tf.sequence_mask(tf.constant([2, 0]), tf.constant(3), dtype=tf.float32)
    assert f.dtype == tf.float32
    np.testing.assert_array_equal(f.numpy(), [[1, 1, 0], [0, 0, 0]])
    # float lengths are cast to maxlen's int dtype (truncated), as TF does
    np.testing.assert_array_equal(tf.sequence_mask([1.5], 3).numpy(), [[True, False, False]])
    assert tf.sequence_mask(tf.zeros([0], tf.int32)).shape == (0, 0)
    with pytest.raises(ValueError, match="must be scalar"):
        tf.sequence_mask([1], [3])
    with pytest.raises(tf.errors.InvalidArgumentError, match=">= 0"):
        tf.sequence_mask([1], -1)


def test_shape_n():
    shapes = tf.shape_n([tf.zeros([2, 3]), tf.zeros([4])], out_type=tf.int64)
    assert [s.numpy().tolist() for s in shapes] == [[2, 3], [4]]
    assert shapes[0].dtype == tf.int64


# ---- math -------------------------------------------------------------------------------------


@pytest.mark.parametrize("axis", [None, 0, 1, [0, 1]])
def test_l2_normalize_matches_numpy_and_its_gradient(axis):
    x = RNG.standard_normal((3, 4))
    ax = tuple(axis) if isinstance(axis, list) else axis
    want = x / np.sqrt(np.maximum(np.sum(x * x, axis=ax, keepdims=True), 1e-12))
    np.testing.assert_allclose(tf.math.l2_normalize(x, axis=axis).numpy(), want, rtol=1e-12)
    _check_grad(lambda t: tf.nn.l2_normalize(t, axis=axis), x)


def test_l2_normalize_of_zeros_is_zero_and_ints_are_refused():
    np.testing.assert_array_equal(tf.math.l2_normalize([0.0, 0.0]).numpy(), [0.0, 0.0])
    with pytest.raises(TypeError, match="float"):
        tf.math.l2_normalize([3, 4])


def test_count_nonzero():
    x = np.array([[0.0, np.nan, -0.0], [2.0, 0.0, 1.0]], np.float32)
    got = tf.math.count_nonzero(x, axis=1)
    assert got.dtype == tf.int64 and got.numpy().tolist() == [1, 2]
    assert tf.math.count_nonzero([True, False, True]).numpy() == 2
    k = tf.math.count_nonzero([[0, 1], [2, 0]], axis=0, keepdims=True, dtype=tf.int32)
    assert k.dtype == tf.int32 and k.numpy().tolist() == [[1, 1]]


def test_segment_sums_and_means_match_numpy():
    data = RNG.standard_normal((6, 2))
    ids = np.array([0, 0, 2, 2, 2, 3])
    want_sum = np.stack([data[ids == s].sum(0) for s in range(4)])
    counts = np.array([np.sum(ids == s) for s in range(4)])
    want_mean = want_sum / np.maximum(counts, 1)[:, None]
    np.testing.assert_allclose(tf.math.segment_sum(data, ids).numpy(), want_sum, rtol=1e-12)
    np.testing.assert_allclose(tf.math.segment_mean(data, ids).numpy(), want_mean, rtol=1e-12)
    shuffled = np.array([3, 0, 2, 0, 2, 2])
    got = tf.math.unsorted_segment_mean(data[[5, 0, 2, 1, 3, 4]], shuffled, 5).numpy()
    np.testing.assert_allclose(got, np.vstack([want_mean, np.zeros((1, 2))]), rtol=1e-12)
    # integer data: segment_mean truncates toward zero, unsorted_segment_mean is float64
    assert tf.math.segment_mean([-3, 0, 7, 0], [0, 0, 1, 1]).numpy().tolist() == [-1, 3]
    m = tf.math.unsorted_segment_mean([1, 2, 4], [0, 0, 1], 2)
    assert m.dtype == tf.float64 and m.numpy().tolist() == [1.5, 4.0]


def test_segment_errors_and_mean_gradient():
    with pytest.raises(tf.errors.InvalidArgumentError, match="not increasing"):
        tf.math.segment_sum([1, 2, 3], [0, 2, 1])
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of range"):
        tf.math.segment_sum([1, 2], [-1, 0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="same size as dimension 0"):
        tf.math.segment_sum([1, 2, 3], [0, 0])
    x = RNG.standard_normal((5, 2))
    _check_grad(lambda t: tf.math.segment_mean(t, [0, 0, 1, 3, 3]), x)
    _check_grad(lambda t: tf.math.unsorted_segment_mean(t, [2, 0, 2, -1, 2], 3), x)


def test_polyval():
    x = np.array([2.0, -1.0, 0.5])
    got = tf.math.polyval([1.0, -2.0, 3.0], tf.constant(x))
    np.testing.assert_allclose(got.numpy(), np.polyval([1.0, -2.0, 3.0], x), rtol=1e-15)
    assert got.dtype == tf.float64
    np.testing.assert_array_equal(tf.math.polyval([], tf.constant(x)).numpy(), [0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="list type"):
        tf.math.polyval(tf.constant([1.0]), x)


@pytest.mark.parametrize(
    "src, dst, values, want",
    [
        (np.float32, "uint8", [-5.0, 300.0, 3.7, np.inf], [0, 255, 3, 255]),
        (np.int32, "uint8", [-5, 300, 7], [0, 255, 7]),
        (np.float32, "int32", [3e9, -3e9, 1.5], [2147483520, -2147483648, 1]),
        (np.float64, "int64", [1e19, -1e19], [9223372036854774784, -9223372036854775808]),
        (np.int64, "int32", [2**40, -(2**40), 5], [2**31 - 1, -(2**31), 5]),
        (np.float64, "float32", [1e300, -np.inf], [F32_MAX, -F32_MAX]),
        (np.uint8, "int32", [200], [200]),
    ],
)
def test_saturate_cast(src, dst, values, want):
    got = tf.dtypes.saturate_cast(np.array(values, src), dst)
    assert got.dtype == tf.as_dtype(dst)
    np.testing.assert_array_equal(got.numpy(), np.array(want, np.dtype(dst)))


def test_saturate_cast_refuses_bool():
    with pytest.raises(TypeError, match="bool"):
        tf.saturate_cast([1.0], tf.bool)


# ---- band_part, diag, diag_part ---------------------------------------------------------------


@pytest.mark.parametrize("lower, upper", [(0, 0), (1, -1), (-1, 0), (2, 1), (-1, -1), (0, 3)])
def test_band_part_matches_numpy(lower, upper):
    x = RNG.standard_normal((2, 3, 4))
    i, j = np.arange(3)[:, None], np.arange(4)[None, :]
    keep = ((lower < 0) | (i - j <= lower)) & ((upper < 0) | (j - i <= upper))
    got = tf.linalg.band_part(x, lower, upper).numpy()
    np.testing.assert_array_equal(got, np.where(keep, x, 0.0))


def test_band_part_errors_and_gradient():
    with pytest.raises(tf.errors.InvalidArgumentError, match="num_lower .* rows \\(2\\) got: 5"):
        tf.linalg.band_part(np.ones((2, 3)), 5, 0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="at least 2-dim"):
        tf.linalg.band_part(np.ones(3), 0, 0)
    _check_grad(lambda t: tf.linalg.band_part(t, 1, 0), RNG.standard_normal((3, 3)))


def _np_diag(d, k, rows, cols, pad):
    out = np.full(d.shape[:-1] + (rows, cols), pad, d.dtype)
    for i in range(d.shape[-1]):
        out[..., i + max(-k, 0), i + max(k, 0)] = d[..., i]
    return out


@pytest.mark.parametrize(
    "k, num_rows, num_cols, shape",
    [(0, -1, -1, (3, 4)), (1, -1, -1, (3,)), (-2, -1, -1, (2, 2)), (0, 3, -1, (2,)),
     (1, -1, 3, (2,)), (0, 5, 3, (3,))],
)  # fmt: skip
def test_diag_matches_numpy(k, num_rows, num_cols, shape):
    d = RNG.standard_normal(shape)
    got = tf.linalg.diag(d, k=k, num_rows=num_rows, num_cols=num_cols, padding_value=9.0)
    n = shape[-1]
    min_rows, min_cols = n + max(-k, 0), n + max(k, 0)  # TF's MatrixDiagV3 sizes
    if num_rows == -1 and num_cols == -1:
        rows = cols = max(min_rows, min_cols)
    else:
        rows = min_rows if num_rows == -1 else num_rows
        cols = min_cols if num_cols == -1 else num_cols
    np.testing.assert_array_equal(got.numpy(), _np_diag(d, k, rows, cols, 9.0))


@pytest.mark.parametrize("k", [0, 1, 3, -1, -2])
def test_diag_part_matches_numpy(k):
    x = RNG.standard_normal((2, 3, 4))
    want = np.stack([np.diagonal(m, offset=k) for m in x])
    np.testing.assert_array_equal(tf.linalg.diag_part(x, k=k).numpy(), want)


def test_diag_errors_and_gradients():
    with pytest.raises(tf.errors.InvalidArgumentError, match="does not fit"):
        tf.linalg.diag([1, 2], num_rows=3, num_cols=4)
    with pytest.raises(tf.errors.InvalidArgumentError, match="at least 1-dim"):
        tf.linalg.diag(3)
    with pytest.raises(tf.errors.UnimplementedError, match="band of diagonals"):
        tf.linalg.diag([[1, 2], [3, 0]], k=(0, 1))
    with pytest.raises(tf.errors.InvalidArgumentError, match="between -3 and 4"):
        tf.linalg.diag_part(np.zeros((3, 4)), k=4)
    _check_grad(lambda t: tf.linalg.diag(t, k=-1), RNG.standard_normal((2, 3)))
    _check_grad(lambda t: tf.linalg.diag_part(t, k=1), RNG.standard_normal((2, 3, 4)))


# ---- embedding_lookup ------------------------------------------------------------------------


def test_embedding_lookup_single_and_div_sharded():
    table = RNG.standard_normal((5, 3))
    ids = np.array([[4, 0], [2, 2]])
    np.testing.assert_array_equal(tf.nn.embedding_lookup(table, ids).numpy(), table[ids])
    shards = [table[:3], table[3:]]  # 'div': 5 rows over 2 shards is 3 + 2
    np.testing.assert_array_equal(tf.nn.embedding_lookup(shards, ids).numpy(), table[ids])
    with pytest.raises(ValueError, match="'div' layout"):
        tf.nn.embedding_lookup([table[:2], table[2:]], ids)
    with pytest.raises(tf.errors.InvalidArgumentError, match="not in"):
        tf.nn.embedding_lookup(table, [5])


def test_embedding_lookup_max_norm_and_variable_gradient():
    table = np.array([[1.0, 0.0], [0.0, 2.0], [3.0, 4.0]])
    got = tf.nn.embedding_lookup(table, [2, 1, 0], max_norm=1.5).numpy()
    np.testing.assert_allclose(got, [[0.9, 1.2], [0.0, 1.5], [1.0, 0.0]], rtol=1e-12)
    np.testing.assert_allclose(
        tf.nn.embedding_lookup(np.array([3.0, -4.0]), [0, 1], max_norm=2.0).numpy(), [2.0, -2.0]
    )
    v = tf.Variable(table)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.nn.embedding_lookup(v, [2, 2, 0]))
    np.testing.assert_array_equal(tape.gradient(y, v).numpy(), [[1, 1], [0, 0], [2, 2]])


# ---- inside tf.function -----------------------------------------------------------------------


def test_composed_functions_trace_into_graphs():
    @tf.function
    def f(x):
        return (
            tf.sort(x, direction="DESCENDING"),
            tf.roll(x, 1, 1),
            tf.repeat(x, 2, axis=0),
            tf.linalg.band_part(x, 0, -1),
            tf.linalg.diag_part(x),
            tf.math.l2_normalize(x, axis=1),
        )

    x = RNG.standard_normal((3, 3))
    got = [t.numpy() for t in f(tf.constant(x))]
    np.testing.assert_array_equal(got[0], -np.sort(-x, axis=-1))
    np.testing.assert_array_equal(got[1], np.roll(x, 1, 1))
    np.testing.assert_array_equal(got[2], np.repeat(x, 2, 0))
    np.testing.assert_array_equal(got[3], np.triu(x))
    np.testing.assert_array_equal(got[4], np.diagonal(x))
    np.testing.assert_allclose(got[5], x / np.linalg.norm(x, axis=1, keepdims=True), rtol=1e-12)
