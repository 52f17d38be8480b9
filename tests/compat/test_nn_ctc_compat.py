"""TF's tf.nn.ctc_loss (dense and sparse labels, blank_index, batch-major logits, its gradient)
against a brute-force sum over alignments, and ctc_greedy_decoder's output."""

import itertools

import numpy as np
import pytest

RNG = np.random.default_rng(6)
LOGITS = RNG.standard_normal((5, 2, 4)).astype(np.float32)
LABELS = np.array([[1, 1, 2], [2, 0, 0]], np.int32)


def _brute(logits, labels, blank):
    p = np.exp(logits.astype(np.float64))
    p /= p.sum(1, keepdims=True)
    total = 0.0
    for path in itertools.product(range(p.shape[1]), repeat=len(p)):
        out, prev = [], None
        for c in path:
            if c != prev and c != blank:
                out.append(c)
            prev = c
        if out == list(labels):
            total += np.prod(p[np.arange(len(p)), path])
    return -np.log(total)


def test_ctc_loss_dense_and_sparse(tf):
    want = [_brute(LOGITS[:5, 0], [1, 1, 2], 0), _brute(LOGITS[:4, 1], [2], 0)]
    got = tf.nn.ctc_loss(LABELS, LOGITS, [3, 1], [5, 4])
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5)
    batch_major = tf.nn.ctc_loss(
        LABELS, np.transpose(LOGITS, [1, 0, 2]), [3, 1], [5, 4], logits_time_major=False
    )
    np.testing.assert_allclose(batch_major.numpy(), want, rtol=1e-5)
    last = tf.nn.ctc_loss(LABELS, LOGITS, [3, 1], [5, 4], blank_index=-1).numpy()
    np.testing.assert_allclose(
        last, [_brute(LOGITS[:5, 0], [1, 1, 2], 3), _brute(LOGITS[:4, 1], [2], 3)], rtol=1e-5
    )
    sparse = tf.sparse.from_dense(LABELS)
    np.testing.assert_allclose(
        tf.nn.ctc_loss(sparse, LOGITS, None, [5, 4], blank_index=3).numpy(), last, rtol=1e-5
    )
    with pytest.raises(ValueError, match="`blank_index` must be provided"):
        tf.nn.ctc_loss(sparse, LOGITS, None, [5, 4])


def test_ctc_loss_gradient(tf):
    x = tf.constant(LOGITS)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(tf.nn.ctc_loss(LABELS, x, [3, 1], [5, 4]))
    g = tape.gradient(loss, x).numpy()
    # the CTC gradient: softmax minus the posterior, each step's row summing to zero
    np.testing.assert_allclose(g[:, 0].sum(-1), 0.0, atol=1e-5)
    np.testing.assert_allclose(g[4, 1], 0.0, atol=1e-7)  # past the logit length
    eps, e = 1e-2, np.zeros(LOGITS.shape, np.float32)
    e[2, 0, 1] = eps
    f = lambda v: float(tf.reduce_sum(tf.nn.ctc_loss(LABELS, v, [3, 1], [5, 4])))  # noqa: E731
    np.testing.assert_allclose(g[2, 0, 1], (f(LOGITS + e) - f(LOGITS - e)) / (2 * eps), rtol=2e-3)


def test_ctc_greedy_decoder(tf):
    (decoded,), neg_sum = tf.nn.ctc_greedy_decoder(LOGITS, [5, 3])
    best = LOGITS.argmax(-1)
    rows = []
    for b, n in enumerate([5, 3]):
        out, prev = [], None
        for c in best[:n, b]:
            if c != prev and c != 3:
                out.append(int(c))
            prev = c
        rows.append(out)
    assert decoded.values.numpy().tolist() == rows[0] + rows[1]
    assert decoded.dense_shape.numpy().tolist() == [2, max(map(len, rows))]
    np.testing.assert_allclose(
        neg_sum.numpy()[:, 0],
        [-LOGITS[:5, 0].max(-1).sum(), -LOGITS[:3, 1].max(-1).sum()],
        rtol=1e-6,
    )


def test_ctc_unique_labels(tf):
    unique, idx = tf.nn.ctc_unique_labels(tf.constant([[3, 4, 4, 3], [1, 1, 2, 0]]))
    assert unique.dtype == tf.int64 and idx.dtype == tf.int32
    assert unique.numpy().tolist() == [[3, 4, 0, 0], [1, 2, 0, 0]]
    assert idx.numpy().tolist() == [[0, 1, 1, 0], [0, 0, 1, 2]]
