"""TF's tf.nn.nce_loss and tf.nn.sampled_softmax_loss with given sampled_values (NumPy references
of TF's formulas: each logit less the log of its expected count, accidental hits at -FLT_MAX),
tf.nn.compute_accidental_hits, and the candidate samplers' shapes, ranges and expected counts."""

import numpy as np
import pytest

RNG = np.random.default_rng(14)
N, D, B, S = 12, 4, 3, 5
W = RNG.standard_normal((N, D)).astype(np.float32)
BIAS = RNG.standard_normal(N).astype(np.float32)
X = RNG.standard_normal((B, D)).astype(np.float32)
SAMPLED = np.array([3, 7, 1, 7, 10], np.int64)  # 7 twice; 1 and 10 are true classes below
LABELS = np.array([[1, 4], [10, 1], [5, 6]], np.int64)
TRUE_Q = np.array([[0.5, 0.25], [0.2, 0.5], [0.3, 0.3]], np.float32)
SAMPLED_Q = np.array([0.4, 0.3, 0.5, 0.3, 0.2], np.float32)


def reference_logits(labels, remove_hits):
    true = np.einsum("bd,btd->bt", X, W[labels]) + BIAS[labels]
    true -= np.log(TRUE_Q[:, : labels.shape[1]])
    sampled = X @ W[SAMPLED].T + BIAS[SAMPLED] - np.log(SAMPLED_Q)
    if remove_hits:
        last = [p for p in range(S) if SAMPLED[p] not in SAMPLED[p + 1 :]]
        for b in range(B):
            for p in last:
                if SAMPLED[p] in labels[b]:
                    sampled[b, p] = -np.inf
    return true.astype(np.float64), sampled.astype(np.float64)


def nce_ref(labels, remove_hits):
    true, sampled = reference_logits(labels, remove_hits)
    t = labels.shape[1]
    ce = lambda z, x: np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x)))  # noqa: E731
    sampled_ce = np.where(np.isinf(sampled), 0.0, ce(0.0, np.where(np.isinf(sampled), 0, sampled)))
    return ce(1.0 / t, true).sum(1) + sampled_ce.sum(1)


def softmax_ref(labels, remove_hits):
    true, sampled = reference_logits(labels, remove_hits)
    logits = np.concatenate([true, sampled], 1)
    logp = logits - logits.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    return -(logp[:, : labels.shape[1]] / labels.shape[1]).sum(1)


@pytest.mark.parametrize("num_true", [1, 2])
@pytest.mark.parametrize("remove_hits", [False, True])
def test_losses_with_given_samples(tf, num_true, remove_hits):
    labels = LABELS[:, :num_true]
    values = (SAMPLED, TRUE_Q[:, :num_true], SAMPLED_Q)
    nce = tf.nn.nce_loss(W, BIAS, labels, X, S, N, num_true=num_true, sampled_values=values,
                         remove_accidental_hits=remove_hits)  # fmt: skip
    np.testing.assert_allclose(nce.numpy(), nce_ref(labels, remove_hits), rtol=2e-5)
    soft = tf.nn.sampled_softmax_loss(W, BIAS, labels, X, S, N, num_true=num_true,
                                      sampled_values=values,
                                      remove_accidental_hits=remove_hits)  # fmt: skip
    np.testing.assert_allclose(soft.numpy(), softmax_ref(labels, remove_hits), rtol=2e-5)
    assert nce.shape == (B,) and soft.shape == (B,) and nce.dtype == tf.float32


def test_loss_gradients(tf):
    w, x = tf.Variable(W), tf.constant(X)
    values = (SAMPLED, TRUE_Q[:, :1], SAMPLED_Q)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        soft = tf.reduce_sum(tf.nn.sampled_softmax_loss(w, BIAS, LABELS[:, :1], x, S, N,
                                                        sampled_values=values))  # fmt: skip
    dx = tape.gradient(soft, x).numpy()
    dw = tf.convert_to_tensor(tape.gradient(soft, w)).numpy()
    eps = 1e-3
    for i in [(0, 1), (2, 3)]:
        e = np.zeros_like(X)
        e[i] = eps
        f = lambda v: float(tf.reduce_sum(tf.nn.sampled_softmax_loss(  # noqa: E731
            W, BIAS, LABELS[:, :1], v, S, N, sampled_values=values)))  # fmt: skip
        np.testing.assert_allclose(dx[i], (f(X + e) - f(X - e)) / (2 * eps), rtol=1e-2, atol=1e-3)
    assert np.all(dw[[0, 2, 4, 6, 8, 9, 11]] == 0)  # rows neither true nor sampled
    assert np.all(np.abs(dw[[1, 3, 5, 7, 10]]).sum(1) > 0)


def test_compute_accidental_hits(tf):
    hits = tf.nn.compute_accidental_hits(LABELS, SAMPLED, num_true=2)
    assert hits.indices.numpy().tolist() == [0, 1, 1]
    assert hits.ids.numpy().tolist() == [2, 4, 2]  # row 1: its true 10 first, then its 1
    assert hits.indices.dtype == tf.int32 and hits.ids.dtype == tf.int64
    np.testing.assert_array_equal(hits.weights.numpy(), np.full(3, -np.finfo(np.float32).max))
    dup = tf.nn.compute_accidental_hits([[7]], SAMPLED, num_true=1)
    assert dup.ids.numpy().tolist() == [3]  # the last of the two positions of 7


@pytest.mark.parametrize("unique", [False, True])
def test_candidate_samplers(tf, unique):
    true = np.array([[0, 5], [2, 9]], np.int64)
    got = tf.random.log_uniform_candidate_sampler(true, 2, 6, unique, 10, seed=3)
    sampled, true_count, sampled_count = got
    s = sampled.numpy()
    assert s.shape == (6,) and sampled.dtype == tf.int64 and np.all((0 <= s) & (s < 10))
    if unique:
        assert len(set(s.tolist())) == 6
    p = lambda k: np.log((k + 2.0) / (k + 1.0)) / np.log(11.0)  # noqa: E731
    if not unique:
        np.testing.assert_allclose(true_count.numpy(), p(true) * 6, rtol=1e-6)
        np.testing.assert_allclose(sampled_count.numpy(), p(s) * 6, rtol=1e-6)
    else:  # 1 - (1 - p)^tries for some tries >= 6, one for all
        tries = np.log1p(-sampled_count.numpy()) / np.log1p(-p(s))
        assert tries.min() > 5.99 and np.ptp(tries) < 1e-3 * tries.max()
    u = tf.random.uniform_candidate_sampler(true, 2, 4, False, 16).true_expected_count
    np.testing.assert_allclose(u.numpy(), np.full((2, 2), 0.25), rtol=1e-6)
    with pytest.raises(tf.errors.InvalidArgumentError, match="range is too small"):
        tf.random.uniform_candidate_sampler(true, 2, 11, True, 10)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"out of range \[0, 8\), received 9"):
        tf.random.uniform_candidate_sampler(true, 2, 3, False, 8)
