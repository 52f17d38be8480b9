"""Every gradient rule inside tf.function with sizes known only at run time: an input_signature
of unknown dims (``[None] * rank``) and of unknown rank, against the eager gradient."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_kernels.runtime import list_kernels
from tensorhouse_ops import _dynamic

_spec = importlib.util.spec_from_file_location(
    "_gradient_cases", Path(__file__).with_name("test_gradients.py")
)
_cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_cases)


def _squares(*ts):  # sign-free parts of a decomposition, in ops only (no static sizes)
    return tf.concat([tf.reshape(t * t, [-1]) for t in ts], 0)


def _svd(a):
    s, u, v = tf.linalg.svd(a)
    return _squares(s, u, v)


def _eigh(a):
    e, v = tf.linalg.eigh(a)
    return tf.concat([tf.reshape(e, [-1]), _squares(v)], 0)


CASES = dict(_cases.CASES)
CASES["Svd"] = (_svd, CASES["Svd"][1])  # the cases' own use NumPy on a static size
CASES["SelfAdjointEigV2"] = (_eigh, CASES["SelfAdjointEigV2"][1])

# the forward op itself needs these dims while tracing (the kernels' shape rules)
FORWARD_NEEDS_DIMS = {"Unpack"}  # tf.unstack without `num` needs the axis's dim, as TF's
# the forward op needs a known rank while tracing: these cases run a raw kernel op whose inputs
# have different ranks, all unknown (``_unknown_rank`` tries one rank for all of them)
FORWARD_NEEDS_RANK = FORWARD_NEEDS_DIMS | {
    "FusedBatchNormGradV3", "LSTMSequenceGrad", "GRUSequenceGrad",
}  # fmt: skip
SECOND_ORDER_NEEDS_RANK = FORWARD_NEEDS_RANK

NEEDS_XLA = pytest.mark.skipif(not list_kernels(device_type="XLA_CPU"), reason="no JAX / XLA")


def _grads_fn(f, weights):
    def grads(*xs):
        with tf.GradientTape() as tape:
            for x in xs:
                tape.watch(x)
            target = tf.reduce_sum(f(*xs) * tf.constant(weights))
        gs = tape.gradient(target, list(xs))
        return [tf.zeros_like(x) if g is None else g for x, g in zip(xs, gs)]

    return grads


def _check(op_type, spec_of):
    f, args = CASES[op_type]
    xs = [tf.constant(np.asarray(a, np.float64)) for a in args]
    size = int(np.size(np.asarray(f(*xs))))
    weights = np.linspace(0.5, 1.5, size).reshape(np.asarray(f(*xs)).shape)
    grads = _grads_fn(f, weights)
    want = grads(*xs)
    traced = tf.function(grads, input_signature=[spec_of(x) for x in xs])
    for w, g in zip(want, traced(*xs)):
        assert g.shape == w.shape
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-6, atol=1e-9, err_msg=op_type)


@pytest.mark.parametrize("op_type", sorted(set(CASES) - FORWARD_NEEDS_DIMS))
def test_gradient_with_unknown_dims(op_type):
    _check(op_type, lambda x: tf.TensorSpec([None] * x.shape.rank, x.dtype))


@pytest.mark.parametrize("op_type", sorted(set(CASES) - FORWARD_NEEDS_RANK))
def test_gradient_with_unknown_rank(op_type):
    _check(op_type, lambda x: tf.TensorSpec(None, x.dtype))


def _second_order_fn(f, weights):
    def second(*xs):
        with tf.GradientTape() as outer:
            outer.watch(xs[0])
            with tf.GradientTape() as inner:
                inner.watch(xs[0])
                target = tf.reduce_sum(f(*xs) * tf.constant(weights))
            g = inner.gradient(target, xs[0])
            g = tf.zeros_like(xs[0]) if g is None else g
            s = tf.reduce_sum(g * g)
        gg = outer.gradient(s, xs[0])
        return tf.zeros_like(xs[0]) if gg is None else gg

    return second


SECOND_ORDER = sorted(set(CASES) - set(_cases.PIECEWISE_LINEAR))


@pytest.mark.parametrize("rank_known", [True, False], ids=["dims", "rank"])
@pytest.mark.parametrize("op_type", SECOND_ORDER)
def test_second_order_with_run_time_shapes(op_type, rank_known):
    if op_type in (FORWARD_NEEDS_DIMS if rank_known else SECOND_ORDER_NEEDS_RANK):
        pytest.skip("the forward op needs these shapes while tracing")
    f, args = CASES[op_type]
    xs = [tf.constant(np.asarray(a, np.float64)) for a in args]
    out = np.asarray(f(*xs))
    second = _second_order_fn(f, np.linspace(0.5, 1.5, out.size).reshape(out.shape))
    spec = [tf.TensorSpec([None] * x.shape.rank if rank_known else None, x.dtype) for x in xs]
    got = tf.function(second, input_signature=spec)(*xs)
    np.testing.assert_allclose(got.numpy(), second(*xs).numpy(), rtol=1e-6, atol=1e-9)


def test_second_order_of_a_repeated_input_with_unknown_rank():
    # GradOf's own gradient once counted a tensor given at two positions twice (2x the value)
    g = tf.function(_second_order_fn(lambda a: a * a, np.ones(2)), input_signature=[
        tf.TensorSpec(None, tf.float64)])  # fmt: skip
    a = tf.constant([2.0, 3.0], tf.float64)
    np.testing.assert_allclose(g(a).numpy(), 8.0 * a.numpy())  # d/da sum((2a)^2)


# ---- the bugs the sweep started from, at two sizes through one trace -------------------------


def _gather_grad(params, indices, axis):
    with tf.GradientTape() as tape:
        tape.watch(params)
        y = tf.gather(params, indices, axis=axis)
        target = tf.reduce_sum(y * tf.cast(tf.range(tf.size(y)), y.dtype)[0] + y * y)
    return tape.gradient(target, params)


@pytest.mark.parametrize("axis", [0, 1])
def test_gather_gradient_with_a_run_time_number_of_indices(axis):
    spec = [tf.TensorSpec([None, None], tf.float64), tf.TensorSpec([None], tf.int32)]
    f = tf.function(lambda p, i: _gather_grad(p, i, axis), input_signature=spec)
    for n, idx in ((3, [2, 0, 2]), (4, [1, 1, 3, 0, 1])):
        p = np.arange(n * n, dtype=np.float64).reshape(n, n) / 5.0
        want = np.zeros_like(p)
        taken = np.take(p, idx, axis=axis)
        if axis == 0:
            np.add.at(want, idx, 2 * taken)
        else:
            np.add.at(want.T, idx, (2 * taken).T)
        got = f(tf.constant(p), tf.constant(idx, tf.int32))
        np.testing.assert_allclose(got.numpy(), want)
    assert f.experimental_get_tracing_count() == 1


def test_gather_nd_gradient_with_unknown_params_shape():
    def f(p):
        with tf.GradientTape() as tape:
            tape.watch(p)
            y = tf.gather_nd(p, [[1, 0], [0, 1], [1, 0]])
            target = tf.reduce_sum(y * y)
        return tape.gradient(target, p)

    g = tf.function(f, input_signature=[tf.TensorSpec([None, None, None], tf.float64)])
    for shape in ((2, 2, 1), (3, 2, 2)):
        p = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
        want = np.zeros_like(p)
        for i, j in ([1, 0], [0, 1], [1, 0]):
            want[i, j] += 2 * p[i, j]
        np.testing.assert_allclose(g(tf.constant(p)).numpy(), want)


def test_concat_gradient_with_run_time_sizes_and_second_order():
    def f(a, b):
        with tf.GradientTape() as outer:
            outer.watch(a)
            with tf.GradientTape() as inner:
                inner.watch([a, b])
                y = tf.concat([a, b * 2.0, a], axis=1)
                target = tf.reduce_sum(y * y * y)
            da, db = inner.gradient(target, [a, b])
            s = tf.reduce_sum(da)
        return da, db, outer.gradient(s, a)

    spec = [tf.TensorSpec([2, None], tf.float64)] * 2
    g = tf.function(f, input_signature=spec)
    for na, nb in ((1, 3), (2, 1)):
        a = np.linspace(-1, 1, 2 * na).reshape(2, na)
        b = np.linspace(0.5, 2, 2 * nb).reshape(2, nb)
        da, db, dda = g(tf.constant(a), tf.constant(b))
        np.testing.assert_allclose(da.numpy(), 6 * a * a)  # a appears twice: 2 * 3a^2
        np.testing.assert_allclose(db.numpy(), 3 * (2 * b) ** 2 * 2)
        np.testing.assert_allclose(dda.numpy(), 12 * a)


def test_broadcast_gradient_is_decided_at_run_time():
    """One trace of [None, None] * [None, None], run with each operand broadcast in turn: the
    gradients are summed over the dims that were broadcast on that run (TF's rule)."""

    def f(a, b):
        with tf.GradientTape() as tape:
            tape.watch([a, b])
            y = a * b - b
        return tape.gradient(y, [a, b])

    g = tf.function(f, input_signature=[tf.TensorSpec([None, None], tf.float64)] * 2)
    for sa, sb in (((2, 3), (2, 1)), ((2, 3), (1, 3)), ((1, 3), (2, 3)), ((2, 3), (2, 3))):
        a = np.arange(1.0, 1.0 + np.prod(sa)).reshape(sa)
        b = np.arange(2.0, 2.0 + np.prod(sb)).reshape(sb) / 3.0
        da, db = g(tf.constant(a), tf.constant(b))
        ones = np.ones(np.broadcast_shapes(sa, sb))
        want_a = (ones * b).sum(axis=tuple(i for i, d in enumerate(sa) if d == 1), keepdims=True)
        want_b = (ones * (a - 1)).sum(
            axis=tuple(i for i, d in enumerate(sb) if d == 1), keepdims=True
        )
        np.testing.assert_allclose(da.numpy(), want_a)
        np.testing.assert_allclose(db.numpy(), want_b)
    assert g.experimental_get_tracing_count() == 1


def _sum_to_count(spec_b):
    def f(x, b):
        with tf.GradientTape() as tape:
            tape.watch([x, b])
            y = x * b
        return tape.gradient(y, [x, b])

    g = tf.function(f, input_signature=[tf.TensorSpec([None, 3], tf.float64), spec_b])
    dx, db = g(tf.ones([4, 3], tf.float64), tf.constant([1.0, 2.0, 3.0], tf.float64))
    np.testing.assert_allclose(dx.numpy(), np.tile([1.0, 2.0, 3.0], (4, 1)))
    np.testing.assert_allclose(db.numpy(), [4.0, 4.0, 4.0])
    types = [op.type for op in g.get_concrete_function().graph.get_operations()]
    return types.count("SumTo")


def test_run_time_sum_only_where_a_peer_can_have_stretched_a_dim():
    assert _sum_to_count(tf.TensorSpec([3], tf.float64)) == 0  # b has no batch dim
    assert _sum_to_count(tf.TensorSpec([None], tf.float64)) == 1  # b's dim may be 1 or 3


def test_sum_to_second_order():
    def f(a, b):
        with tf.GradientTape() as outer:
            outer.watch(b)
            with tf.GradientTape() as inner:
                inner.watch(b)
                y = tf.reduce_sum(a * b * b)
            db = inner.gradient(y, b)
            s = tf.reduce_sum(db * db)
        return db, outer.gradient(s, b)

    g = tf.function(f, input_signature=[tf.TensorSpec([None, None], tf.float64)] * 2)
    a = np.arange(1.0, 7.0).reshape(2, 3)
    b = np.array([[0.5], [2.0]])
    db, ddb = g(tf.constant(a), tf.constant(b))
    rows = a.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(db.numpy(), 2 * b * rows)  # d/db sum(a b^2), b broadcast
    np.testing.assert_allclose(ddb.numpy(), 8 * b * rows * rows)  # d/db sum((2 b rows)^2)


def test_unknown_rank_seed_and_run_per_rank():
    def f(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(tf.sin(x) * x)
        return tape.gradient(y, x)

    g = tf.function(f, input_signature=[tf.TensorSpec(None, tf.float64)])
    for shape in ((3,), (2, 1, 2), ()):
        x = np.linspace(-1.0, 1.5, int(np.prod(shape))).reshape(shape)
        np.testing.assert_allclose(g(tf.constant(x)).numpy(), np.cos(x) * x + np.sin(x))


def test_deferred_rule_second_order_matches_eager():
    """A rule that needs known shapes (matrix inverse) runs as a GradOf node; its gradient too."""

    def f(a):
        with tf.GradientTape() as outer:
            outer.watch(a)
            with tf.GradientTape() as inner:
                inner.watch(a)
                y = tf.reduce_sum(tf.linalg.inv(a) * tf.constant([[1.0, 2.0], [3.0, 4.0]], a.dtype))
            g = inner.gradient(y, a)
            s = tf.reduce_sum(g * g)
        return g, outer.gradient(s, a)

    a = tf.constant([[2.0, 0.5], [-0.3, 1.5]], tf.float64)
    want = f(a)
    traced = tf.function(f, input_signature=[tf.TensorSpec([None, None], tf.float64)])
    for w, got in zip(want, traced(a)):
        np.testing.assert_allclose(got.numpy(), w.numpy(), rtol=1e-10)
    types = [op.type for op in traced.get_concrete_function().graph.get_operations()]
    assert "GradOf" in types


@pytest.mark.parametrize("op_type", ["MirrorPad", "MatrixInverse", "Mul", "ConcatV2", "GatherV2"])
@NEEDS_XLA
def test_jit_compile_with_unknown_dims(op_type):
    f, args = CASES[op_type]
    xs = [tf.constant(np.asarray(a, np.float64)) for a in args]
    weights = np.linspace(0.5, 1.5, int(np.size(np.asarray(f(*xs))))).reshape(
        np.asarray(f(*xs)).shape
    )
    grads = _grads_fn(f, weights)
    spec = [tf.TensorSpec([None] * x.shape.rank, x.dtype) for x in xs]
    got = tf.function(grads, input_signature=spec, jit_compile=True)(*xs)
    for w, g in zip(grads(*xs), got):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-6, atol=1e-9)


def test_run_time_shaped_op_takes_its_dtype_from_the_op():
    """A kernel op whose shape attr is read at run time gets the dtype its shape rule gives
    (ScatterNd's is its updates', not its indices')."""
    seen = {}

    def f(x):
        idx = tf.constant([[0], [1]])
        upd = tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], tf.float64)
        out = _dynamic.shaped_op("ScatterNd", [idx, upd], {}, tf.shape(x))
        seen["spec"] = (out.dtype, out.shape.as_list())
        return out

    got = tf.function(f, input_signature=[tf.TensorSpec([None, 3], tf.float32)])(tf.zeros([3, 3]))
    assert seen["spec"] == (tf.float64, [None, 3])
    np.testing.assert_array_equal(got.numpy(), [[1, 2, 3], [4, 5, 6], [0, 0, 0]])
