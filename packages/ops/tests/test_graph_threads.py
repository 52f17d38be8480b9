"""Traced steps on the kernels' thread pool: a step with a while_loop, a py_function and a
nested tf.function, run from several Python threads at once on 3 kernel threads, gives the bits
of the same step on one thread; a kernel error inside it keeps TF's class."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import tensorhouse_ops as tf

RNG = np.random.default_rng(14)
X = RNG.standard_normal((256, 192)).astype(np.float32)
W = RNG.standard_normal((192, 192)).astype(np.float32) / 14


@tf.function
def _inner(h, w):
    return tf.nn.softmax(tf.matmul(h, w))


@tf.function
def _step(x, w):
    def body(i, h):
        return i + 1, tf.tanh(_inner(h, w) * 4.0 + h)

    _, h = tf.while_loop(lambda i, h: i < 3, body, (tf.constant(0), x))
    (scaled,) = tf.py_function(lambda t: t * 2.0, [h], [tf.float32])
    return tf.reduce_sum(tf.matmul(scaled, w), axis=0)


def _reference():
    h = X.astype(np.float64)
    for _ in range(3):
        z = h @ W
        e = np.exp(z - z.max(axis=1, keepdims=True))
        h = np.tanh(e / e.sum(axis=1, keepdims=True) * 4.0 + h)
    return ((h * 2.0) @ W).sum(axis=0)


@pytest.fixture
def threads():
    before = tf.config.threading.get_intra_op_parallelism_threads()
    yield tf.config.threading._set_intra
    tf.config.threading._set_intra(before)


def test_concurrent_traced_steps_match_one_thread(threads):
    threads(1)
    want = _step(X, W).numpy()
    np.testing.assert_allclose(want, _reference(), rtol=1e-4, atol=1e-3)
    threads(3)
    results, start = {}, threading.Barrier(3)

    def work(i):
        start.wait(10)
        results[i] = [_step(X, W).numpy() for _ in range(4)]

    pool = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(120)
    assert not any(t.is_alive() for t in pool)
    for outs in results.values():
        for got in outs:
            np.testing.assert_array_equal(got, want)
    assert sorted(results) == [0, 1, 2]


def test_a_kernel_error_in_a_threaded_step_keeps_tf_class(threads):
    threads(2)

    @tf.function
    def gather(x, idx):
        return tf.gather(tf.matmul(x, W), idx)

    with pytest.raises(tf.errors.InvalidArgumentError, match="GatherV2"):
        gather(X, tf.constant([0, 300]))
