"""TF 2's seed rules (tf.random.set_seed's four cases) with real numbers: a seeded op is a
stream whose eager calls draw new numbers, set_seed resets the streams, traced ops are streams
of their own, and an op seed shared by two op types gives each its own stream."""

import numpy as np
import pytest

import tensorhouse_ops as tf


@pytest.fixture(autouse=True)
def _no_global_seed():
    tf.random.set_seed(None)
    yield
    tf.random.set_seed(None)


def _draws(fn, k=3):
    return [fn().numpy() for _ in range(k)]


def _all_different(arrays):
    return all(not np.array_equal(a, b) for i, a in enumerate(arrays) for b in arrays[i + 1 :])


def test_no_seeds_new_numbers_every_call():
    assert _all_different(_draws(lambda: tf.random.uniform([4])))


@pytest.mark.parametrize(
    "fn",
    [
        lambda: tf.random.uniform([5], seed=1),
        lambda: tf.random.uniform([5], minval=-1.0, maxval=2.0, seed=1, dtype=tf.float64),
        lambda: tf.random.normal([5], seed=1),
        lambda: tf.random.truncated_normal([5], seed=1),
        lambda: tf.random.uniform([5], maxval=1000, dtype=tf.int32, seed=1),
    ],
)
def test_op_seed_only_differs_per_call_and_repeats_after_set_seed(fn):
    first = _draws(fn)
    assert _all_different(first)  # the kernel's counter advances (TF's 'A1', 'A2', ...)
    tf.random.set_seed(None)  # resets the streams: the same sequence again
    np.testing.assert_array_equal(np.stack(_draws(fn)), np.stack(first))


def test_global_and_op_seed_sequence_reproduces_after_set_seed():
    tf.random.set_seed(1234)
    a1, a2 = (tf.random.uniform([3], seed=1).numpy() for _ in range(2))
    assert not np.array_equal(a1, a2)
    tf.random.set_seed(1234)
    b1, b2 = (tf.random.uniform([3], seed=1).numpy() for _ in range(2))
    np.testing.assert_array_equal(a1, b1)
    np.testing.assert_array_equal(a2, b2)
    tf.random.set_seed(4321)  # another global seed: another sequence
    assert not np.array_equal(tf.random.uniform([3], seed=1).numpy(), a1)


def test_global_seed_only_differs_per_call_and_reproduces():
    tf.random.set_seed(5)
    first = _draws(lambda: tf.random.normal([4]))
    assert _all_different(first)
    tf.random.set_seed(5)
    np.testing.assert_array_equal(np.stack(_draws(lambda: tf.random.normal([4]))), first)


def test_same_op_seed_in_two_different_ops():
    tf.random.set_seed(9)
    u1 = tf.random.uniform([4], seed=3).numpy()
    n1 = tf.random.normal([4], seed=3).numpy()  # its own stream: not advanced by uniform's
    u2 = tf.random.uniform([4], seed=3).numpy()
    tf.random.set_seed(9)
    np.testing.assert_array_equal(tf.random.normal([4], seed=3).numpy(), n1)
    np.testing.assert_array_equal(tf.random.uniform([4], seed=3).numpy(), u1)
    np.testing.assert_array_equal(tf.random.uniform([4], seed=3).numpy(), u2)
    # a dtype is a different kernel too
    tf.random.set_seed(9)
    tf.random.uniform([4], seed=3)
    d1 = tf.random.uniform([4], seed=3, dtype=tf.float64).numpy()
    tf.random.set_seed(9)
    np.testing.assert_array_equal(tf.random.uniform([4], seed=3, dtype=tf.float64).numpy(), d1)


def test_explicit_op_seed_first_draw_is_stable_across_global_resets():
    a = tf.random.uniform([6], seed=42).numpy()
    tf.random.uniform([6], seed=42)
    tf.random.set_seed(None)
    np.testing.assert_array_equal(tf.random.uniform([6], seed=42).numpy(), a)


def test_get_seed_cases():
    assert tf.random.get_seed(None) == (None, None)
    assert tf.random.get_seed(7) == (87654321, 7)
    tf.random.set_seed(3)
    assert tf.random.get_seed(7) == (3, 7)
    s1, s2 = tf.random.get_seed(None)
    assert s1 == 3 and 0 <= s2 < 2**31 - 1
    tf.random.set_seed(0)
    assert tf.random.get_seed(0) == (0, 2**31 - 1)  # (0, 0) would mean "random" to a kernel


def test_traced_op_with_a_seed_draws_new_numbers_per_call():
    @tf.function
    def foo():
        return tf.random.uniform([3], seed=1), tf.random.uniform([3], seed=1)

    (a1, b1), (a2, b2) = foo(), foo()
    # TF's documented example: (A1, A1) then (A2, A2): two nodes, one stream each
    np.testing.assert_array_equal(a1.numpy(), b1.numpy())
    np.testing.assert_array_equal(a2.numpy(), b2.numpy())
    assert not np.array_equal(a1.numpy(), a2.numpy())
    # and the eager op with that seed draws the same sequence from its first call
    tf.random.set_seed(None)
    np.testing.assert_array_equal(tf.random.uniform([3], seed=1).numpy(), a1.numpy())
    np.testing.assert_array_equal(tf.random.uniform([3], seed=1).numpy(), a2.numpy())


def test_traced_functions_with_the_global_seed_act_like_program_reruns():
    tf.random.set_seed(1234)

    @tf.function
    def f():
        return tf.random.uniform([2]), tf.random.uniform([2])

    @tf.function
    def g():
        return tf.random.uniform([2]), tf.random.uniform([2])

    fa, fb = (t.numpy() for t in f())
    ga, gb = (t.numpy() for t in g())
    np.testing.assert_array_equal(fa, ga)  # TF: both print (A1, A2)
    np.testing.assert_array_equal(fb, gb)
    assert not np.array_equal(fa, fb)
    fa2, _ = (t.numpy() for t in f())  # then (A3, A4)
    assert not np.array_equal(fa2, fa)


@pytest.mark.parametrize(
    "fn",
    [
        lambda: tf.random.truncated_normal([4], seed=2),
        lambda: tf.random.uniform([4], maxval=100, dtype=tf.int64, seed=2),
        lambda: tf.random.normal([4], seed=2),
    ],
)
def test_every_stateful_random_op_advances_inside_functions(fn):
    traced = tf.function(fn)
    draws = [traced().numpy() for _ in range(3)]
    assert _all_different(draws)
    tf.random.set_seed(None)
    np.testing.assert_array_equal(np.stack(_draws(fn)), np.stack(draws))  # eager: same stream


def test_traced_random_op_under_a_tape_shares_the_node_stream():
    @tf.function
    def f(x):
        return x * tf.random.uniform([3], seed=11)

    x = tf.constant([1.0, 1.0, 1.0])
    first = f(x).numpy()
    with tf.GradientTape() as tape:  # the recorded call replays the graph op by op
        tape.watch(x)
        second = f(x)
    third = f(x).numpy()
    np.testing.assert_array_equal(tape.gradient(second, x).numpy(), second.numpy())
    assert _all_different([first, second.numpy(), third])


def test_eager_streams_are_bounded(monkeypatch):
    from tensorhouse_ops import _random

    monkeypatch.setattr(_random, "_STREAMS_MAX", 4)
    a = tf.random.uniform([2], seed=100).numpy()
    for s in range(101, 104):  # three other streams: the first is still kept
        tf.random.uniform([2], seed=s)
    assert not np.array_equal(tf.random.uniform([2], seed=100).numpy(), a)
    for s in range(200, 210):  # many new streams push the oldest out
        tf.random.uniform([2], seed=s)
    assert len(_random._streams) == 4
