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


def test_control_flow_on_unknown_rank_is_unimplemented():
    g = tf.function(lambda x: tf.cond(tf.reduce_sum(x) > 0, lambda: x * 2.0, lambda: x))
    with pytest.raises(tf.errors.UnimplementedError, match="unknown rank"):
        g.get_concrete_function(tf.TensorSpec(None, tf.float32))
