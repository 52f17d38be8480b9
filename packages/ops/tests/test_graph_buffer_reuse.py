"""The compiled schedule's reused buffers: the intermediates that live only within a run keep
their buffers from one run to the next (``_graph_exec._reusable``). Nothing a run hands out (its
outputs, views of them, variables' values, what a py_function keeps) may change when a later run
reuses a buffer; concurrent runs and runs after a failed run give NumPy's numbers."""

from __future__ import annotations

import threading
from collections import namedtuple

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_ops import _graph_exec

RNG = np.random.default_rng(33)
W = RNG.standard_normal((8, 8)).astype(np.float32) / 3


def _relu(a):
    return np.maximum(a, 0)


def _ref(x):
    """NumPy's numbers for ``_mlp``."""
    h = _relu(x @ W)
    z = h @ W + 1.0
    return z, (h @ W).reshape(-1), z.sum(axis=0)


@tf.function
def _mlp(x):
    w = tf.constant(W)
    h = tf.nn.relu(tf.matmul(x, w))  # an intermediate only kernels read
    y = tf.matmul(h, w)  # read by a Reshape (a view) that is returned
    z = y + 1.0
    return z, tf.reshape(y, [-1]), tf.reduce_sum(z, axis=0)


def _inputs(n=3):
    return [RNG.standard_normal((4, 8)).astype(np.float32) for _ in range(n)]


def test_outputs_keep_their_values_after_later_runs():
    xs = _inputs()
    kept = [_mlp(tf.constant(x)) for x in xs]
    views = [[t.numpy() for t in outs] for outs in kept]  # views of the buffers, no copies
    for _ in range(3):
        _mlp(tf.constant(_inputs(1)[0]))
    for x, outs, vs in zip(xs, kept, views):
        for got, view, want in zip(outs, vs, _ref(x)):
            np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-5)
            np.testing.assert_allclose(view, want, rtol=1e-5, atol=1e-5)


def test_the_schedule_reuses_the_intermediates():
    x = tf.constant(_inputs(1)[0])
    cf = _mlp.get_concrete_function(x)
    cf(x)
    src = cf._run.source
    assert "POOL.pop()" in src  # the run takes its buffer set from the pool ...
    assert src.count("A(*") == 3  # ... and allocates only the three returned values


def test_values_kept_by_a_py_function_or_a_variable_do_not_change():
    seen = []
    v = tf.Variable(np.zeros((4, 8), np.float32))

    def keep(t):
        seen.append(t.numpy())  # a view of the run's buffer
        return t

    @tf.function
    def f(x):
        h = tf.matmul(x, tf.constant(W))
        v.assign(tf.matmul(h, tf.constant(W)))
        (k,) = tf.py_function(keep, [h * 2.0], [tf.float32])
        return k

    xs = _inputs()
    reads = []
    for x in xs:
        f(tf.constant(x))
        reads.append(v.value())
    for x, s, r in zip(xs, seen, reads):
        np.testing.assert_allclose(s, (x @ W) * 2.0, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(r.numpy(), x @ W @ W, rtol=1e-5, atol=1e-5)


def test_concurrent_runs_each_get_their_own_buffers():
    xs = _inputs(4)
    errors = []

    def worker(x):
        try:
            for _ in range(30):
                got = _mlp(tf.constant(x))
                for g, want in zip(got, _ref(x)):
                    np.testing.assert_allclose(g.numpy(), want, rtol=1e-5, atol=1e-5)
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(x,)) for x in xs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]


def test_a_failed_run_leaves_later_runs_right():
    @tf.function
    def f(x, i):
        h = tf.matmul(x, tf.constant(W))
        return tf.gather(h, i) * 2.0

    x = _inputs(1)[0]
    with pytest.raises(tf.errors.InvalidArgumentError):
        f(tf.constant(x), tf.constant([9]))  # out of range: the run fails mid-way
    got = f(tf.constant(x), tf.constant([1, 3]))
    np.testing.assert_allclose(got.numpy(), (x @ W)[[1, 3]] * 2.0, rtol=1e-5, atol=1e-5)


def test_loop_bodies_reuse_their_buffers_across_iterations():
    @tf.function
    def f(x):
        def body(i, h):
            return i + 1, tf.tanh(tf.matmul(h, tf.constant(W)) + 0.5)

        return tf.while_loop(lambda i, h: i < 4, body, (tf.constant(0), x))[1]

    x = _inputs(1)[0]
    want = x
    for _ in range(4):
        want = np.tanh(want @ W + 0.5)
    np.testing.assert_allclose(f(tf.constant(x)).numpy(), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("limit", [0, 200])
def test_the_byte_limit_leaves_the_numbers_unchanged(monkeypatch, limit):
    monkeypatch.setattr(_graph_exec, "REUSE_BYTES", limit)  # none, or some of them

    @tf.function
    def f(x):
        h = tf.nn.relu(tf.matmul(x, tf.constant(W)))
        return tf.matmul(h, tf.constant(W)) + 1.0

    x = _inputs(1)[0]
    cf = f.get_concrete_function(tf.constant(x))
    for _ in range(2):
        np.testing.assert_allclose(cf(tf.constant(x)).numpy(), _relu(x @ W) @ W + 1.0,
                                   rtol=1e-5, atol=1e-5)  # fmt: skip
    assert ("POOL" in cf._run.source) == (limit > 0)


Pair = namedtuple("Pair", "a b")


@pytest.mark.parametrize("pair", [False, True])  # plain nests: a generated builder; else nest
def test_structured_outputs_are_rebuilt_as_returned(pair):
    @tf.function
    def f(x):
        y = x * 2.0
        out = {"z": y, "a": [y + 1.0, (None, 3)], "m": {}, "e": ()}
        if pair:
            out["p"] = Pair(y, "s")
        return out

    x = np.arange(3, dtype=np.float32)
    for _ in range(2):  # the builder is made on the first run and used on the next
        out = f(tf.constant(x))
        assert list(out) == ["z", "a", "m", "e"] + ["p"] * pair  # the function's key order
        np.testing.assert_array_equal(out["z"].numpy(), x * 2)
        np.testing.assert_array_equal(out["a"][0].numpy(), x * 2 + 1)
        assert type(out["a"]) is list and out["a"][1] == (None, 3)
        assert out["m"] == {} and out["e"] == ()
        if pair:
            assert type(out["p"]) is Pair and out["p"].b == "s"
            np.testing.assert_array_equal(out["p"].a.numpy(), x * 2)


def test_integer_variable_updates_in_a_run():
    step = tf.Variable(np.int64(5))
    left = tf.Variable(np.array([10, 20], np.int32))

    @tf.function
    def f(k):
        step.assign_add(tf.constant(1, tf.int64))
        left.assign_sub(k)
        return step.read_value() * 2

    outs = [int(f(tf.constant([1, 2], tf.int32))) for _ in range(3)]
    assert outs == [12, 14, 16]
    assert int(step.numpy()) == 8 and step.dtype == tf.int64
    np.testing.assert_array_equal(left.numpy(), [7, 14])
