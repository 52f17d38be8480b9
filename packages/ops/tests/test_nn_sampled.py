"""tf.nn.nce_loss / sampled_softmax_loss: gradients against central differences (float64),
traced against eager, the default sampler inside a trace; the candidate samplers' frequencies
against their probabilities and their seeds."""

import numpy as np

import tensorhouse_ops as tf

RNG = np.random.default_rng(5)
N, D, B = 9, 3, 4
W = RNG.standard_normal((N, D))
BIAS = RNG.standard_normal(N)
X = RNG.standard_normal((B, D))
LABELS = np.array([[0, 2], [8, 1], [4, 4], [7, 3]])
VALUES = (np.array([2, 5, 6, 1]), np.full((B, 2), 0.3), np.array([0.2, 0.4, 0.1, 0.3]))


def _losses(w, x, hits):
    args = (w, BIAS, LABELS, x, 4, N)
    kw = dict(num_true=2, sampled_values=VALUES, remove_accidental_hits=hits)
    return tf.nn.nce_loss(*args, **kw) + 2 * tf.nn.sampled_softmax_loss(*args, **kw)


def test_gradients_match_central_differences():
    for hits in (False, True):
        w, x = tf.constant(W), tf.constant(X)
        with tf.GradientTape() as tape:
            tape.watch([w, x])
            loss = tf.reduce_sum(_losses(w, x, hits) * np.arange(1.0, B + 1))
        dw, dx = (tf.convert_to_tensor(g).numpy() for g in tape.gradient(loss, [w, x]))

        def f(w_, x_, hits=hits):
            return float(tf.reduce_sum(_losses(w_, x_, hits) * np.arange(1.0, B + 1)))

        eps = 1e-6
        for arr, grad, which in ((W, dw, 0), (X, dx, 1)):
            for i in np.ndindex(arr.shape):
                e = np.zeros_like(arr)
                e[i] = eps
                plus = f(W + e, X) if which == 0 else f(W, X + e)
                minus = f(W - e, X) if which == 0 else f(W, X - e)
                np.testing.assert_allclose(
                    grad[i], (plus - minus) / (2 * eps), rtol=1e-6, atol=1e-8
                )


def test_traced_equals_eager_and_default_sampler_traces():
    traced = tf.function(lambda x: _losses(W, x, True))(tf.constant(X))
    np.testing.assert_allclose(traced.numpy(), _losses(W, X, True).numpy(), rtol=1e-12)

    @tf.function
    def drawn(x):
        return tf.nn.sampled_softmax_loss(W, BIAS, LABELS[:, :1], x, 3, N, seed=4)

    first, second = drawn(tf.constant(X)).numpy(), drawn(tf.constant(X)).numpy()
    assert first.shape == (B,) and np.all(np.isfinite(first)) and np.all(first > 0)
    assert not np.array_equal(first, second)  # a fresh draw each run


def test_sampler_frequencies_and_seeds():
    true = np.array([[1]])
    s = tf.random.log_uniform_candidate_sampler(true, 1, 40000, False, 6, seed=1)[0].numpy()
    p = np.log((np.arange(6) + 2.0) / (np.arange(6) + 1.0)) / np.log(7.0)
    np.testing.assert_allclose(np.bincount(s, minlength=6) / 40000, p, atol=0.01)
    u = tf.random.uniform_candidate_sampler(true, 1, 40000, False, 4, seed=1)[0].numpy()
    np.testing.assert_allclose(np.bincount(u, minlength=4) / 40000, 0.25, atol=0.01)
    tf.random.set_seed(7)
    a = [tf.random.uniform_candidate_sampler(true, 1, 5, True, 50, seed=2)[0].numpy() for _ in "ab"]
    tf.random.set_seed(7)
    b = [tf.random.uniform_candidate_sampler(true, 1, 5, True, 50, seed=2)[0].numpy() for _ in "ab"]
    assert [x.tolist() for x in a] == [x.tolist() for x in b]
    assert a[0].tolist() != a[1].tolist()
