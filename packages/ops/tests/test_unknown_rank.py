"""Traces of unknown rank (``TensorSpec(None)``): the shape rule over several ranks, the
specialized runs (plain and ``jit_compile``), and what is not supported yet."""

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_ops import _unknown_rank


def _rule(shapes, dts, attrs):  # a rule that takes only rank-2 inputs, as MatMul's
    if len(shapes[0]) != 2:
        raise ValueError("rank 2 only")
    return [((shapes[0][0], 7), dts[0])]


def test_infer_keeps_what_every_rank_agrees_on():
    same = _unknown_rank.infer(lambda s, d, a: [((3, None), d[0])], [None], ["f"], {})
    assert same == [((3, None), "f")]
    by_rank = _unknown_rank.infer(lambda s, d, a: [(tuple(s[0]), d[0])], [None], ["f"], {})
    assert by_rank == [(None, "f")]
    assert _unknown_rank.infer(_rule, [None], ["f"], {}) == [((None, 7), "f")]
    with pytest.raises(ValueError, match="rank 2 only"):
        _unknown_rank.infer(lambda s, d, a: _rule([(1,)], d, a), [None], ["f"], {})


def test_jit_compile_runs_per_shape():
    f = tf.function(lambda x: tf.reduce_sum(x * 2.0), jit_compile=True)
    cf = f.get_concrete_function(tf.TensorSpec(None, tf.float32))
    assert float(cf(tf.ones([2, 3]))) == 12.0
    assert float(cf(tf.ones([4]))) == 8.0


def test_dead_ops_that_do_not_fit_the_shape_are_not_run():
    @tf.function
    def f(x):
        tf.reshape(x, [2, -1])  # unused: needs an even size
        return x + 1.0

    cf = f.get_concrete_function(tf.TensorSpec(None, tf.float32))
    np.testing.assert_array_equal(cf(tf.constant([1.0, 2.0, 3.0])).numpy(), [2.0, 3.0, 4.0])


def test_eager_and_traced_agree_with_unknown_rank():
    def f(x):
        return tf.reduce_mean(tf.exp(x), axis=-1) * tf.cast(tf.size(x), tf.float32)

    cf = tf.function(f).get_concrete_function(tf.TensorSpec(None, tf.float32))
    for shape in [(3,), (2, 3), (2, 1, 4)]:
        x = tf.constant(np.linspace(-1.0, 1.0, int(np.prod(shape))).reshape(shape), tf.float32)
        np.testing.assert_allclose(cf(x).numpy(), f(x).numpy(), rtol=1e-6)


def test_cond_on_unknown_rank_runs_per_shape():
    g = tf.function(lambda x: tf.cond(tf.reduce_sum(x) > 0, lambda: x * 2.0, lambda: x - 1.0))
    cf = g.get_concrete_function(tf.TensorSpec(None, tf.float32))
    assert cf.outputs[0].shape.rank is None
    np.testing.assert_array_equal(cf(tf.constant([1.0, 2.0])).numpy(), [2.0, 4.0])
    np.testing.assert_array_equal(cf(tf.constant([[-1.0], [-3.0]])).numpy(), [[-2.0], [-4.0]])
    np.testing.assert_array_equal(cf(tf.constant(3.0)).numpy(), 6.0)


def test_while_loop_on_unknown_rank_with_gradient():
    def f(x):
        return tf.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y * x), (0, x))[1]

    cf = tf.function(f).get_concrete_function(tf.TensorSpec(None, tf.float32))
    x = tf.constant([[1.0, 2.0], [-1.0, 0.5]])
    np.testing.assert_allclose(cf(x).numpy(), x.numpy() ** 4)
    np.testing.assert_allclose(cf(tf.constant(2.0)).numpy(), 16.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(cf(x))
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), 4 * x.numpy() ** 3, rtol=1e-6)
