"""tf.random.shuffle, categorical and Generator."""

from __future__ import annotations

import numpy as np
import pytest

import tensorhouse_ops as tf


def test_shuffle_is_a_seeded_permutation_of_the_first_dimension():
    x = tf.reshape(tf.range(20), (10, 2))
    tf.random.set_seed(3)
    a = tf.random.shuffle(x, seed=1).numpy()
    b = tf.random.shuffle(x, seed=1).numpy()
    assert a.shape == (10, 2)
    # rows stay whole and every row appears once
    assert sorted(map(tuple, a)) == [(2 * i, 2 * i + 1) for i in range(10)]
    assert not np.array_equal(a, b)  # the op's stream advances, as in TF 2 eager
    tf.random.set_seed(3)
    np.testing.assert_array_equal(tf.random.shuffle(x, seed=1).numpy(), a)
    np.testing.assert_array_equal(tf.random.shuffle(tf.constant([7])).numpy(), [7])
    with pytest.raises(ValueError, match="rank"):
        tf.random.shuffle(tf.constant(1.0))


def test_shuffle_inside_a_function_draws_new_permutations():
    f = tf.function(lambda x: tf.random.shuffle(x, seed=4))
    x = tf.range(50)
    a, b = f(x).numpy(), f(x).numpy()
    assert sorted(a) == list(range(50)) and sorted(b) == list(range(50))
    assert not np.array_equal(a, b)


def test_categorical_follows_the_probabilities():
    probs = np.array([[0.1, 0.6, 0.3], [1.0, 0.0, 0.0]])
    logits = tf.constant(np.log(np.maximum(probs, 1e-30)), tf.float32)
    s = tf.random.categorical(logits, 20000, seed=7)
    assert s.dtype == tf.int64 and s.shape == (2, 20000)
    freq = np.bincount(s.numpy()[0], minlength=3) / 20000
    np.testing.assert_allclose(freq, probs[0], atol=0.015)  # ~4.5 sigma of a binomial
    assert np.all(s.numpy()[1] == 0)  # zero-probability classes never appear
    s32 = tf.random.categorical(logits, 3, dtype=tf.int32, seed=7)
    assert s32.dtype == tf.int32
    with pytest.raises(ValueError, match="matrix"):
        tf.random.categorical(tf.zeros([3]), 2)


def test_generator_from_seed_reproduces_and_advances():
    g1 = tf.random.Generator.from_seed(1234)
    g2 = tf.random.Generator.from_seed(1234)
    a1, a2 = g1.normal([5]).numpy(), g1.normal([5]).numpy()
    assert not np.array_equal(a1, a2)
    np.testing.assert_array_equal(g2.normal([5]).numpy(), a1)
    np.testing.assert_array_equal(g2.normal([5]).numpy(), a2)
    assert g1.state.numpy()[0] == 2 and g1.state.dtype == tf.int64
    assert not np.array_equal(tf.random.Generator.from_seed(1235).normal([5]).numpy(), a1)
    g1.reset_from_seed(1234)
    np.testing.assert_array_equal(g1.normal([5]).numpy(), a1)
    clone = tf.random.Generator(copy_from=g1)
    np.testing.assert_array_equal(clone.normal([5]).numpy(), g1.normal([5]).numpy())


def test_generator_distributions():
    g = tf.random.Generator.from_seed(9)
    u = g.uniform([20000], minval=2.0, maxval=5.0).numpy()
    assert u.min() >= 2.0 and u.max() < 5.0 and abs(u.mean() - 3.5) < 0.03
    n = g.normal([20000], mean=1.0, stddev=2.0, dtype=tf.float64).numpy()
    assert n.dtype == np.float64 and abs(n.mean() - 1.0) < 0.05 and abs(n.std() - 2.0) < 0.05
    t = g.truncated_normal([20000]).numpy()
    assert np.abs(t).max() <= 2.0
    i = g.uniform([1000], 0, 10, dtype=tf.int32).numpy()
    assert i.dtype == np.int32 and set(i) == set(range(10))
    seeds = g.make_seeds(3)
    assert seeds.shape == (2, 3) and seeds.dtype == tf.int64
    x = tf.random.stateless_uniform([3], seed=seeds[:, 0])
    np.testing.assert_array_equal(x.numpy(), tf.random.stateless_uniform([3], seeds[:, 0]))
    a, b = g.split(2)
    assert not np.array_equal(a.normal([4]).numpy(), b.normal([4]).numpy())
    with pytest.raises(ValueError, match="maxval"):
        g.uniform([2], dtype=tf.int32)


def test_generator_inside_a_function_and_the_global_generator():
    g = tf.random.Generator.from_seed(5)
    f = tf.function(lambda: g.normal([3]))
    a, b = f().numpy(), f().numpy()
    assert not np.array_equal(a, b)
    tf.random.set_global_generator(tf.random.Generator.from_seed(5))
    np.testing.assert_array_equal(
        tf.random.get_global_generator().normal([3]).numpy(),
        tf.random.Generator.from_seed(5).normal([3]).numpy(),
    )


def test_generator_draws_in_functions_continue_the_eager_sequence():
    # traced draws read and advance the generator's state at each run (they used to be
    # streams of their own: two functions, and an eager draw after them, repeated numbers)
    eager = tf.random.Generator.from_seed(1)
    want = [eager.normal([3]).numpy() for _ in range(4)]
    g = tf.random.Generator.from_seed(1)
    f1 = tf.function(lambda: g.normal([3]))
    f2 = tf.function(lambda: g.normal([3]))
    got = [f1().numpy(), f2().numpy(), g.normal([3]).numpy(), f1().numpy()]
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
    assert int(g.state.numpy()[0]) == 4
