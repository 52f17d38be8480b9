"""map_fn, scan, foldl / foldr, vectorized_map, switch_case and case: eager, traced (as loops
and conds), and their gradients, against NumPy."""

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_ops import errors

X = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)


def _both(fn, *args):
    """fn run eagerly and as a tf.function; asserts both give the same numbers."""
    eager = fn(*args)
    traced = tf.function(fn)(*args)
    for e, t in zip(tf.nest.flatten(eager), tf.nest.flatten(traced)):
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6)
    return traced


def test_map_fn_values_and_signature():
    x = tf.constant(X)
    np.testing.assert_allclose(_both(lambda a: tf.map_fn(lambda r: r * r, a), x).numpy(), X**2)
    sums = _both(lambda a: tf.map_fn(lambda r: tf.reduce_sum(r), a), x)
    np.testing.assert_allclose(sums.numpy(), X.sum(1))
    pair = _both(
        lambda a: tf.map_fn(
            lambda r: (r[0], r[1]), a, fn_output_signature=(tf.float32, tf.float32)
        ),
        x,
    )
    assert isinstance(pair, tuple)
    np.testing.assert_allclose(pair[1].numpy(), X[:, 1])
    ints = tf.constant([1, 2, 3])
    mixed = _both(
        lambda a, b: tf.map_fn(
            lambda t: t[0] * tf.cast(t[1], tf.float32), (a, b), fn_output_signature=tf.float32
        ),  # fmt: skip
        x,
        ints,
    )
    np.testing.assert_allclose(mixed.numpy(), X * np.array([[1], [2], [3]]))
    casted = tf.map_fn(
        lambda r: tf.cast(tf.reduce_sum(r), tf.int32), x, fn_output_signature=tf.int32
    )
    np.testing.assert_array_equal(casted.numpy(), [3, 7, 11])


def test_map_fn_errors():
    x = tf.constant(X)
    with pytest.raises(
        errors.InvalidArgumentError, match="float32 but Op is trying to write dtype int32"
    ):
        tf.map_fn(lambda r: tf.cast(tf.reduce_sum(r), tf.int32), x)
    with pytest.raises(ValueError, match="same nested structure"):
        tf.map_fn(lambda t: t[0], (x, tf.constant([1, 2, 3])))
    with pytest.raises(ValueError, match="1\\+ dimensional"):
        tf.map_fn(lambda r: r, tf.constant(1.0))


def test_map_fn_is_a_loop_in_a_trace_with_one_call_per_trace():
    traces = []

    def body(r):
        traces.append(1)
        return r * 2.0

    @tf.function
    def f(a):
        return tf.map_fn(body, a)

    graph = f.get_concrete_function(tf.constant(X)).graph
    types = [op.type for op in graph.get_operations()]
    assert "StatelessWhile" in types or "While" in types
    np.testing.assert_allclose(f(tf.constant(X * 2)).numpy(), X * 4)
    assert len(traces) == 2  # the probe and the loop body, once


def test_scan_and_folds():
    v = tf.constant([1, 2, 3, 4])
    np.testing.assert_array_equal(_both(lambda a: tf.scan(lambda s, e: s + e, a), v).numpy(),
                                  np.cumsum([1, 2, 3, 4]))  # fmt: skip
    np.testing.assert_array_equal(
        _both(lambda a: tf.scan(lambda s, e: s + e, a, initializer=10), v).numpy(), [11, 13, 16, 20]
    )
    np.testing.assert_array_equal(
        _both(lambda a: tf.scan(lambda s, e: s + e, a, reverse=True), v).numpy(), [10, 9, 7, 4]
    )
    init = (tf.constant(0.0), tf.constant(1.0))
    two = _both(lambda a: tf.scan(lambda s, e: (s[0] + e, s[1] * e), a, initializer=init),
                tf.constant([1.0, 2.0, 3.0]))  # fmt: skip
    np.testing.assert_allclose(two[0].numpy(), [1, 3, 6])
    np.testing.assert_allclose(two[1].numpy(), [1, 2, 6])
    w = tf.constant([1, 2, 3])
    assert int(_both(lambda a: tf.foldl(lambda s, e: s - e, a), w).numpy()) == 1 - 2 - 3
    assert int(_both(lambda a: tf.foldr(lambda s, e: s - e, a), w).numpy()) == 3 - 2 - 1
    assert int(_both(lambda a: tf.foldl(lambda s, e: s * 10 + e, a, initializer=0), w)) == 123
    assert int(_both(lambda a: tf.foldr(lambda s, e: s * 10 + e, a, initializer=0), w)) == 321
    rows = _both(lambda a: tf.foldl(lambda s, e: s + e, a), tf.constant(X))
    np.testing.assert_allclose(rows.numpy(), X.sum(0))


def test_vectorized_map():
    x = tf.constant(X)
    np.testing.assert_allclose(_both(lambda a: tf.vectorized_map(lambda r: r * 2, a), x), X * 2)
    out = _both(lambda a: tf.vectorized_map(lambda t: t[0] + t[1], (a, a)), x)
    np.testing.assert_allclose(out.numpy(), X * 2)
    ints = _both(lambda a: tf.vectorized_map(lambda r: tf.cast(r, tf.int32), a), x)
    assert ints.dtype == tf.int32


def test_gradients_through_the_loops():
    xv = tf.Variable(X)

    def loss(a):
        return tf.reduce_sum(tf.map_fn(lambda r: r * r, a)) + tf.reduce_sum(
            tf.scan(lambda s, e: s * e, a)
        )

    # d/dx sum(x^2) = 2x; scan of products: rows p0 = x0, p1 = x0 x1, p2 = x0 x1 x2
    x0, x1, x2 = X
    want = 2 * X + np.stack([1 + x1 + x1 * x2, x0 + x0 * x2, x0 * x1])
    with tf.GradientTape() as tape:
        y = loss(xv)
    np.testing.assert_allclose(tape.gradient(y, xv).numpy(), want, rtol=1e-6)
    traced = tf.function(loss)
    with tf.GradientTape() as tape:
        y = traced(xv)
    np.testing.assert_allclose(tape.gradient(y, xv).numpy(), want, rtol=1e-6)


def test_switch_case():
    fns = [lambda: tf.constant(10), lambda: tf.constant(20), lambda: tf.constant(30)]
    default = lambda: tf.constant(-1)  # noqa: E731
    f = tf.function(lambda i: (tf.switch_case(i, fns), tf.switch_case(i, fns, default=default)))
    for i, want, want_default in [(0, 10, 10), (1, 20, 20), (2, 30, 30), (3, 30, -1), (-1, 30, -1)]:
        i = tf.constant(i)
        assert int(tf.switch_case(i, fns)) == want
        assert int(tf.switch_case(i, fns, default=default)) == want_default
        assert [int(t) for t in f(i)] == [want, want_default]
    branches = {1: lambda: tf.constant(1), 0: lambda: tf.constant(5)}
    assert int(tf.switch_case(tf.constant(1), branches)) == 1
    with pytest.raises(TypeError, match="'branch_index' must be a Tensor, got <class 'int'>"):
        tf.switch_case(1, fns)
    with pytest.raises(TypeError, match="must be an integer Tensor"):
        tf.switch_case(tf.constant(1.0), fns)
    with pytest.raises(ValueError, match="at least one item"):
        tf.switch_case(tf.constant(1), [])
    with pytest.raises(ValueError, match="contiguous range of \\[0 to 2\\) but found \\{0,5\\}"):
        tf.switch_case(tf.constant(1), {0: fns[0], 5: fns[1]})


def test_case():
    def pick(x):
        return tf.case(
            [(x > 2, lambda: tf.constant(1)), (x > 0, lambda: tf.constant(2))],
            default=lambda: tf.constant(3),
        )

    f = tf.function(pick)
    for x, want in [(5, 1), (1, 2), (-4, 3)]:
        assert int(pick(tf.constant(x))) == want
        assert int(f(tf.constant(x))) == want
    one = tf.constant(1)
    with pytest.raises(errors.InvalidArgumentError, match="None of conditions evaluated as True"):
        tf.case([(one > 5, lambda: tf.constant(1))])
    with pytest.raises(errors.InvalidArgumentError, match="exclusive=True"):
        tf.case([(one > 0, lambda: one), (one > -1, lambda: one)], lambda: one, exclusive=True)
    # without a default the last pair is the default: only the others must be exclusive
    assert int(tf.case([(one > 0, lambda: one), (one > -1, lambda: one * 2)], exclusive=True)) == 1
    with pytest.raises(TypeError, match="pred must be a Tensor, got: True"):
        tf.case([(True, lambda: one)])


def test_loops_over_an_unknown_leading_dim():
    @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
    def f(x):
        return (
            tf.map_fn(lambda r: r * 2.0, x),
            tf.scan(lambda a, v: a + v, x, reverse=True),
            tf.foldr(lambda a, v: a + v, x),
        )

    for n in (3, 5):
        x = np.arange(2 * n, dtype=np.float32).reshape(n, 2)
        a, b, c = f(tf.constant(x))
        np.testing.assert_allclose(a.numpy(), x * 2)
        np.testing.assert_allclose(b.numpy(), np.cumsum(x[::-1], 0)[::-1])
        np.testing.assert_allclose(c.numpy(), x.sum(0))
