"""tf.debugging's checks, tf.raw_ops and the smaller top-level names (issue 18): eager and traced,
against NumPy references and finite differences."""

import inspect

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_ops import errors

RNG = np.random.default_rng(18)
A = RNG.normal(size=(3, 4)).astype(np.float32)
B = RNG.normal(size=(3, 4)).astype(np.float32)


def _both(fn, *args):
    """fn eagerly and as a tf.function: the same numbers; returns the eager result."""
    eager = fn(*args)
    traced = tf.function(fn)(*args)
    for e, t in zip(tf.nest.flatten(eager), tf.nest.flatten(traced)):
        np.testing.assert_allclose(np.asarray(e), np.asarray(t), rtol=1e-6)
    return eager


# ---- raw_ops ------------------------------------------------------------------------------------

UNARY = {
    "Abs": np.abs,
    "Exp": np.exp,
    "Neg": np.negative,
    "Sin": np.sin,
    "Tanh": np.tanh,
    "Square": np.square,
    "Floor": np.floor,
    "Sign": np.sign,
    "Atan": np.arctan,
    "Expm1": np.expm1,
    "Rint": np.rint,
    "IsNan": np.isnan,
}
BINARY = {
    "AddV2": np.add,
    "Sub": np.subtract,
    "Mul": np.multiply,
    "RealDiv": np.divide,
    "Maximum": np.maximum,
    "Minimum": np.minimum,
    "Less": np.less,
    "GreaterEqual": np.greater_equal,
    "SquaredDifference": lambda a, b: (a - b) ** 2,
    "Add": np.add,
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_raw_unary_ops_match_numpy(name):
    op = getattr(tf.raw_ops, name)
    out = _both(lambda x: op(x=x), tf.constant(A))
    np.testing.assert_allclose(out, UNARY[name](A), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_raw_binary_ops_match_numpy(name):
    op = getattr(tf.raw_ops, name)
    out = _both(lambda x, y: op(x=x, y=y), tf.constant(A), tf.constant(B))
    np.testing.assert_allclose(out, BINARY[name](A, B), rtol=1e-6, atol=1e-7)


def test_raw_structural_ops_match_numpy():
    r, x = tf.raw_ops, tf.constant(A)
    np.testing.assert_allclose(
        _both(lambda a: r.BatchMatMulV2(x=a, y=a, adj_y=True), x), A @ A.T, rtol=1e-5
    )
    np.testing.assert_array_equal(_both(lambda a: r.Transpose(x=a, perm=[1, 0]), x), A.T)
    np.testing.assert_allclose(_both(lambda a: r.Mean(input=a, axis=0), x), A.mean(0), rtol=1e-6)
    np.testing.assert_array_equal(
        _both(lambda a: r.Tile(input=a, multiples=[2, 1]), x), np.tile(A, (2, 1))
    )
    np.testing.assert_array_equal(
        _both(lambda a: r.StridedSlice(input=a, begin=[0, 1], end=[3, 4], strides=[2, 2]), x),
        A[0:3:2, 1:4:2],
    )
    np.testing.assert_array_equal(
        _both(lambda a: r.GatherV2(params=a, indices=[2, 0], axis=0), x), A[[2, 0]]
    )
    np.testing.assert_allclose(
        _both(lambda a: r.Softmax(logits=a), x),
        np.exp(A) / np.exp(A).sum(1, keepdims=True),
        rtol=1e-5,
    )
    np.testing.assert_allclose(
        _both(lambda a: r.Cumsum(x=a, axis=1, exclusive=True), x),
        np.cumsum(A, 1) - A,
        rtol=1e-6,
        atol=1e-6,
    )
    parts = r.Split(axis=1, value=x, num_split=2)
    np.testing.assert_array_equal(parts[1], A[:, 2:])
    np.testing.assert_array_equal(r.Pack(values=[x, x], axis=1), np.stack([A, A], 1))
    np.testing.assert_array_equal(r.Fill(dims=[2, 3], value=7), np.full((2, 3), 7))
    np.testing.assert_array_equal(r.Range(start=1, limit=7, delta=2), [1, 3, 5])
    q = r.Qr(input=tf.constant(A[:, :3]))
    np.testing.assert_allclose(np.asarray(q.q) @ np.asarray(q.r), A[:, :3], rtol=1e-4, atol=1e-5)
    s = r.Svd(input=x, compute_uv=False)
    np.testing.assert_allclose(s.s, np.linalg.svd(A, compute_uv=False), rtol=1e-5)
    np.testing.assert_array_equal(
        r.OneHot(indices=[0, 2], depth=3, on_value=1.0, off_value=0.0), np.eye(3)[[0, 2]]
    )


def test_raw_ops_gradients_match_finite_differences():
    r = tf.raw_ops
    x = tf.Variable(A.astype(np.float64))
    with tf.GradientTape() as tape:
        y = r.Sum(
            input=r.Mul(x=r.Sin(x=x), y=r.MatMul(a=x, b=x, transpose_b=True)[:, :1]), axis=[0, 1]
        )
    g = tape.gradient(y, x).numpy()

    def f(v):
        return np.sum(np.sin(v) * (v @ v.T)[:, :1])

    eps, base, num = 1e-6, A.astype(np.float64), np.zeros_like(A, np.float64)
    for i in np.ndindex(*A.shape):
        d = np.zeros_like(base)
        d[i] = eps
        num[i] = (f(base + d) - f(base - d)) / (2 * eps)
    np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-8)


def test_raw_ops_namespace_lists_only_what_runs():
    names = [n for n in dir(tf.raw_ops) if not n.startswith("_")]
    assert len(names) >= 150 and "MatMul" in names and "Conv2D" in names
    assert "FusedApplyAdam" not in names  # a tensorhouse-only op: not TF's raw op
    with pytest.raises(AttributeError):
        tf.raw_ops.FusedApplyAdam  # noqa: B018
    for name in names:
        op = getattr(tf.raw_ops, name)
        assert list(inspect.signature(op).parameters)[-1] == "name"
    with pytest.raises(TypeError, match="unexpected keyword argument 'z'"):
        tf.raw_ops.AddV2(x=1.0, y=2.0, z=3)


def test_raw_conv_and_pool():
    x = tf.constant(RNG.normal(size=(1, 5, 5, 2)).astype(np.float32))
    f = tf.constant(RNG.normal(size=(3, 3, 2, 4)).astype(np.float32))
    want = tf.nn.conv2d(x, f, 1, "SAME")
    got = tf.raw_ops.Conv2D(input=x, filter=f, strides=[1, 1, 1, 1], padding="SAME")
    np.testing.assert_allclose(got, want, rtol=1e-6)
    pooled = tf.raw_ops.MaxPool(input=x, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID")
    np.testing.assert_allclose(
        pooled, np.asarray(x)[:, :4, :4].reshape(1, 2, 2, 2, 2, 2).max((2, 4))
    )


# ---- checks ------------------------------------------------------------------------------------


def test_assert_inside_function_runs_on_every_call():
    calls = tf.function(lambda a: (tf.debugging.assert_less(a, 3), a * 2)[1])
    np.testing.assert_array_equal(calls(tf.constant([1, 2])), [2, 4])
    with pytest.raises(errors.InvalidArgumentError, match=r"\[Condition x < y did not hold"):
        calls(tf.constant([1, 5]))
    np.testing.assert_array_equal(calls(tf.constant([0, 2])), [0, 4])  # the same trace, passes


def test_assert_near_tolerances():
    x = tf.constant([1.0, 2.0], tf.float64)
    tf.debugging.assert_near(x, x + 1e-15)
    with pytest.raises(errors.InvalidArgumentError):
        tf.debugging.assert_near(x, x + 1e-3)
    tf.debugging.assert_near(x, x + 1e-3, atol=2e-3)
    tf.debugging.assert_near(x, x * 1.01, rtol=0.02)


def test_check_numerics_passes_values_and_gradients():
    x = tf.constant(A)
    np.testing.assert_array_equal(_both(lambda a: tf.debugging.check_numerics(a, "m"), x), A)
    with pytest.raises(TypeError, match="DataType int32"):
        tf.debugging.check_numerics(tf.constant([1]), "m")


# ---- top-level names -------------------------------------------------------------------------


def test_reverse_sequence_matches_numpy_and_differentiates():
    x = RNG.normal(size=(3, 5, 2)).astype(np.float32)
    lengths = [2, 5, 0]
    want = x.copy()
    for b, n in enumerate(lengths):
        want[b, :n] = x[b, :n][::-1]
    out = _both(lambda a: tf.reverse_sequence(a, lengths, seq_axis=1, batch_axis=0), tf.constant(x))
    np.testing.assert_array_equal(out, want)
    v = tf.Variable(x)
    w = RNG.normal(size=x.shape).astype(np.float32)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.reverse_sequence(v, lengths, 1, 0) * w)
    np.testing.assert_allclose(tape.gradient(y, v), tf.reverse_sequence(w, lengths, 1, 0))


def test_dynamic_partition_and_stitch_round_trip():
    data = RNG.normal(size=(6, 2)).astype(np.float32)
    parts_ids = np.array([2, 0, 1, 0, 2, 2], np.int32)
    parts = tf.dynamic_partition(data, parts_ids, 3)
    for i, p in enumerate(parts):
        np.testing.assert_array_equal(p, data[parts_ids == i])
    idx = tf.dynamic_partition(tf.range(6), parts_ids, 3)
    np.testing.assert_array_equal(tf.dynamic_stitch(idx, parts), data)
    stitched = tf.dynamic_stitch([[0, 1], [1]], [[1.0, 2.0], [9.0]])  # a repeat: the last wins
    np.testing.assert_array_equal(stitched, [1.0, 9.0])
    with pytest.raises(TypeError, match="int32"):
        tf.dynamic_partition(data, parts_ids.astype(np.int64), 3)


def test_histogram_matches_numpy():
    v = RNG.uniform(-1, 11, size=500).astype(np.float32)
    got = _both(lambda a: tf.histogram_fixed_width(a, [0.0, 10.0], nbins=7), tf.constant(v))
    want = np.histogram(np.clip(v, 0, 10 - 1e-4), bins=7, range=(0, 10))[0]
    np.testing.assert_array_equal(got, want)


def test_timestamp_runs_each_call():
    f = tf.function(lambda: tf.timestamp())
    first, second = float(f()), float(f())
    assert 1.7e9 < first <= second


def test_ensure_shape_checks_at_run_time():
    f = tf.function(
        lambda a: tf.ensure_shape(a, [None, 2]) * 1,
        input_signature=[tf.TensorSpec([None, None], tf.float32)],
    )
    np.testing.assert_array_equal(f(tf.ones([3, 2])), np.ones((3, 2)))
    with pytest.raises(errors.InvalidArgumentError, match=r"expected shape \[\?,2\]"):
        f(tf.ones([3, 3]))


def test_unravel_index_matches_numpy():
    idx = RNG.integers(0, 60, size=(2, 5)).astype(np.int64)
    got = _both(lambda i: tf.unravel_index(i, [3, 4, 5]), tf.constant(idx))
    np.testing.assert_array_equal(got, np.stack(np.unravel_index(idx, (3, 4, 5))))


@pytest.mark.parametrize("kind", ["max", "min"])
def test_tensor_scatter_nd_extremes_match_numpy(kind):
    x = RNG.normal(size=(4, 3, 2)).astype(np.float32)
    idx = np.array([[0, 1], [3, 2], [0, 1]], np.int32)
    upd = RNG.normal(size=(3, 2)).astype(np.float32) * 3
    want, pick = x.copy(), np.maximum if kind == "max" else np.minimum
    for (i, j), u in zip(idx, upd):
        want[i, j] = pick(want[i, j], u)
    fn = getattr(tf, f"tensor_scatter_nd_{kind}")
    np.testing.assert_array_equal(_both(lambda a: fn(a, idx, upd), tf.constant(x)), want)


def test_broadcast_shapes_match_numpy():
    for a, b in [((2, 1, 3), (4, 1)), ((), (5,)), ((1,), (3, 1))]:
        want = np.broadcast_shapes(a, b)
        assert tuple(tf.broadcast_static_shape(tf.TensorShape(a), tf.TensorShape(b))) == want
        got = tf.broadcast_dynamic_shape(tf.constant(a, tf.int32), tf.constant(b, tf.int32))
        assert tuple(got.numpy().tolist()) == want


@pytest.mark.parametrize(
    "dtype", ["float32", "float64", "int32", "int64", "uint8", "bool", "float16"]
)
def test_tensor_proto_round_trip(dtype):
    a = (RNG.normal(size=(2, 3)) * 5).astype(dtype)
    np.testing.assert_array_equal(tf.make_ndarray(tf.make_tensor_proto(a)), a)
    assert tf.make_ndarray(tf.make_tensor_proto(a[0, :1])).dtype == np.dtype(dtype)


def test_random_split_and_fold_in_are_traceable():
    # a seed known when tracing (the stateless ops here take their seed as an attr)
    f = tf.function(lambda: (tf.random.split(tf.constant([5, 6], tf.int64), 4),
                             tf.random.fold_in([5, 6], 3)))  # fmt: skip
    seeds, folded = f()
    np.testing.assert_array_equal(seeds, tf.random.split(tf.constant([5, 6], tf.int64), 4))
    assert seeds.dtype == tf.int64 and folded.numpy().tolist()[1] == 3
