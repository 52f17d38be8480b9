"""The compiled schedule's fast calls: kernel nodes whose shapes only a run gives (a decoded
image, a host call's output) call their kernel looked up once, their shape rule run per call
with execute's values and errors; a seeded random node calls its kernel directly; and
``ConcreteFunction.host_fn``, the call on host arrays that tf.data's map workers use."""

import numpy as np
import pytest

import tensorhouse_ops as tf


def _blocks(k):
    return np.arange(k * 6, dtype=np.float32).reshape(k, 2, 3) / 4.0 - 1.0


@tf.function(input_signature=[tf.TensorSpec([], tf.int32)])
def _from_host(n):  # shapes the trace does not know: a host call's output
    x = tf.numpy_function(_blocks, [n], tf.float32)
    x.set_shape([None, 2, 3])
    return tf.reduce_sum(x * 2.0, axis=0), tf.reshape(x, [-1, 3]), tf.image.resize(x, [4, 5])


def test_run_time_shapes_call_their_kernels_with_execute_values():
    cf = _from_host.get_concrete_function()
    for k in (1, 3):
        total, rows, resized = _from_host(tf.constant(k, tf.int32))
        a = _blocks(k)
        np.testing.assert_allclose(total.numpy(), (a * 2.0).sum(0), rtol=1e-6)
        np.testing.assert_array_equal(rows.numpy(), a.reshape(-1, 3))
        assert resized.shape == (4, 5, 3)  # a (k, 2) image of 3 channels
        want = tf.image.resize(tf.constant(a), [4, 5])  # eager: execute's shape rule
        np.testing.assert_allclose(resized.numpy(), want.numpy(), rtol=1e-6)
    src = cf._run.source
    assert "EX(" not in src and src.count("= I") == 4  # Mul, Sum, Reshape, ResizeBilinear


def test_run_time_shape_errors_are_executes():
    @tf.function(input_signature=[tf.TensorSpec([], tf.int32)])
    def f(n):
        x = tf.numpy_function(_blocks, [n], tf.float32)
        x.set_shape([None, 2, 3])
        return tf.reshape(x, [4, -1])

    np.testing.assert_array_equal(f(tf.constant(2)).numpy(), _blocks(2).reshape(4, 3))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Reshape"):
        f(tf.constant(3))  # 18 values into 4 rows
    with pytest.raises(tf.errors.InvalidArgumentError, match="Reshape"):
        tf.reshape(tf.constant(_blocks(3)), [4, -1])  # the same error eagerly


def test_seeded_random_node_draws_what_the_op_by_op_replay_draws():
    def draw():
        return tf.random.uniform([2, 3], seed=7), tf.random.normal([4], seed=7)

    tf.random.set_seed(1)
    replayed = tf.function(draw)
    x = tf.Variable(1.0)
    with tf.GradientTape() as tape:  # a recording tape: the graph replays op by op
        tape.watch(x)
        want = [[t.numpy() for t in replayed()] for _ in range(2)]
    tf.random.set_seed(1)
    compiled = tf.function(draw)
    got = [[t.numpy() for t in compiled()] for _ in range(2)]
    assert "H" in compiled.get_concrete_function()._run.source
    for w, g in zip(want, got):
        for a, b in zip(w, g):
            np.testing.assert_array_equal(a, b)
    assert not np.array_equal(got[0][0], got[1][0])  # each run draws the next numbers


def test_host_fn_runs_on_arrays_and_checks_what_it_cannot_pass():
    spec = [tf.TensorSpec([None, 3], tf.float32), tf.TensorSpec([], tf.string)]

    @tf.function(input_signature=spec)
    def f(x, s):
        return tf.reduce_sum(x, axis=1) * 2.0, tf.strings.length(s)

    run = f.get_concrete_function().host_fn()
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    total, length = run(x, np.asarray(b"abcd", dtype=object))
    assert type(total) is np.ndarray
    np.testing.assert_array_equal(total, x.sum(1) * 2.0)
    assert length == 4 and length.dtype == np.int32
    # another dtype or shape takes __call__'s checked path: its conversion or TF's error
    np.testing.assert_array_equal(run(x.astype(np.float64), np.asarray(b"a", dtype=object))[0],
                                  x.sum(1) * 2.0)  # fmt: skip
    with pytest.raises(TypeError, match="Binding inputs to tf.function"):
        run(np.zeros((2, 4), np.float32), np.asarray(b"a", dtype=object))
    assert tf.function(lambda: (tf.constant(1.0), None)).get_concrete_function().host_fn() is None
