"""tf.nn.ctc_loss against a brute-force sum over every alignment, its gradient against central
differences, sparse labels, traced against eager; ctc_greedy_decoder against a direct loop;
ctc_beam_search_decoder against every label sequence's summed probability (a beam wide enough
to prune nothing) and hand cases."""

import itertools

import numpy as np
import pytest

import tensorhouse_ops as tf

RNG = np.random.default_rng(4)


def collapse(path, blank):
    out, prev = [], None
    for c in path:
        if c != prev and c != blank:
            out.append(c)
        prev = c
    return out


def brute_ctc(logits, labels, blank):
    """-log of the summed probability of every path (of the softmax) that collapses to labels."""
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    total = sum(
        np.prod(p[np.arange(len(p)), path])
        for path in itertools.product(range(p.shape[1]), repeat=len(p))
        if collapse(path, blank) == list(labels)
    )
    return -np.log(total)


@pytest.mark.parametrize("blank", [0, 3])
def test_ctc_loss_matches_brute_force(blank):
    lg = RNG.standard_normal((5, 3, 4))  # time, batch, classes
    labels = (
        np.array([[1, 1, 2], [2, 0, 0], [0, 2, 0]])
        if blank == 3
        else np.array([[1, 1, 2], [2, 3, 0], [3, 0, 0]])
    )
    lab_len, seq_len = [3, 2, 1], [5, 4, 3]
    got = tf.nn.ctc_loss(labels, lg, lab_len, seq_len, blank_index=blank).numpy()
    want = [brute_ctc(lg[: seq_len[b], b], labels[b, : lab_len[b]], blank) for b in range(3)]
    np.testing.assert_allclose(got, want, rtol=1e-10)
    batch_major = tf.nn.ctc_loss(
        labels,
        np.transpose(lg, [1, 0, 2]),
        lab_len,
        seq_len,
        logits_time_major=False,
        blank_index=blank,
    )
    np.testing.assert_allclose(batch_major.numpy(), got, rtol=1e-12)
    sp = tf.sparse.SparseTensor(
        [[b, i] for b in range(3) for i in range(lab_len[b])],
        [labels[b, i] for b in range(3) for i in range(lab_len[b])],
        [3, 3],
    )
    np.testing.assert_allclose(
        tf.nn.ctc_loss(sp, lg, None, seq_len, blank_index=blank).numpy(), got, rtol=1e-12
    )


def test_ctc_loss_gradient_and_trace():
    lg = RNG.standard_normal((6, 2, 5))
    labels, lab_len, seq_len = np.array([[1, 2, 2], [3, 0, 0]]), [3, 1], [6, 4]
    w = np.array([1.0, 2.0])

    def f(x):
        return tf.reduce_sum(tf.nn.ctc_loss(labels, x, lab_len, seq_len) * w)

    x = tf.constant(lg)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    g = tape.gradient(y, x).numpy().reshape(-1)
    eps = 1e-6
    num = [
        (float(f(tf.constant(lg + e))) - float(f(tf.constant(lg - e)))) / (2 * eps)
        for e in np.eye(lg.size).reshape(-1, *lg.shape)[::3] * eps
    ]
    np.testing.assert_allclose(g[::3], num, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(tf.function(f)(x).numpy(), y.numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match="blank_index"):
        tf.nn.ctc_loss(tf.sparse.from_dense(labels), lg, None, seq_len)


def test_ctc_greedy_decoder():
    lg = RNG.standard_normal((8, 2, 4))
    seq_len = [8, 5]
    (decoded,), neg_sum = tf.nn.ctc_greedy_decoder(lg, seq_len)
    dense = tf.sparse.to_dense(decoded).numpy()
    for b in range(2):
        want = collapse(lg[: seq_len[b], b].argmax(1).tolist(), 3)
        assert dense[b, : len(want)].tolist() == want
        np.testing.assert_allclose(
            neg_sum.numpy()[b, 0], -lg[: seq_len[b], b].max(1).sum(), rtol=1e-12
        )
    (raw,), _ = tf.nn.ctc_greedy_decoder(lg, seq_len, merge_repeated=False, blank_index=0)
    first = [c for c in lg[:, 0].argmax(1).tolist() if c != 0]
    assert raw.values.numpy()[: len(first)].tolist() == first


def test_ctc_unique_labels_first_occurrence_order():
    labels = RNG.integers(0, 4, (6, 7))
    unique, idx = tf.nn.ctc_unique_labels(labels)
    assert unique.dtype == tf.int64 and idx.dtype == tf.int32
    for row, u, i in zip(labels, unique.numpy(), idx.numpy()):
        seen = list(dict.fromkeys(row.tolist()))
        assert u.tolist() == seen + [0] * (7 - len(seen))
        assert [seen[k] for k in i] == row.tolist()


def ranked_sequences(logits, blank):
    """Each label sequence's log of its summed alignment probability (softmax), best first."""
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    total = {}
    for path in itertools.product(range(p.shape[1]), repeat=len(p)):
        key = tuple(collapse(path, blank))
        total[key] = total.get(key, 0.0) + np.prod(p[np.arange(len(p)), path])
    return sorted(((np.log(v), list(k)) for k, v in total.items()), reverse=True)


def test_ctc_beam_search_exact_when_nothing_is_pruned():
    lg = RNG.standard_normal((5, 3, 3)) * 2  # 2 labels: 63 prefixes of up to 5 labels
    seq_len = [5, 4, 2]
    decoded, logp = tf.nn.ctc_beam_search_decoder(lg, seq_len, beam_width=64, top_paths=4)
    assert logp.dtype == tf.float64 and logp.shape == (3, 4)
    for b, n in enumerate(seq_len):
        want = ranked_sequences(lg[:n, b], blank=2)[:4]
        got = [d.values.numpy()[d.indices.numpy()[:, 0] == b].tolist() for d in decoded]
        assert got == [w[1] for w in want]
        np.testing.assert_allclose(logp.numpy()[b], [w[0] for w in want], rtol=1e-10)


def test_ctc_beam_search_repeats_need_a_blank_between():
    hi, lo = 5.0, -5.0
    steps = [[hi, lo, lo], [hi, lo, lo], [lo, lo, hi], [hi, lo, lo]]  # a a - a
    x = np.array(steps)[:, None, :]
    decoded, logp = tf.nn.ctc_beam_search_decoder(x, [4], beam_width=10)
    assert decoded[0].values.numpy().tolist() == [0, 0]
    np.testing.assert_allclose(logp.numpy()[0, 0], ranked_sequences(x[:, 0], 2)[0][0], rtol=1e-10)
    decoded, _ = tf.nn.ctc_beam_search_decoder(x[:2], [2], beam_width=10)
    assert decoded[0].values.numpy().tolist() == [0]


def test_ctc_beam_search_narrow_beam_and_trace():
    lg = np.random.default_rng(0).standard_normal((6, 1, 3)).astype(np.float32) * 1.5
    narrow = tf.nn.ctc_beam_search_decoder(lg, [6], beam_width=2, top_paths=2)
    # a beam of two prefixes loses alignments: its best score falls below the exact one
    exact = ranked_sequences(lg[:, 0].astype(np.float64), 2)[0][0]
    assert narrow[1].numpy()[0, 0] < exact - 0.05
    f = tf.function(
        lambda x, n: tf.nn.ctc_beam_search_decoder(x, n, beam_width=2, top_paths=2),
        input_signature=[tf.TensorSpec([None, None, 3]), tf.TensorSpec([None], tf.int32)],
    )
    traced = f(lg, np.array([6], np.int32))
    for t, e in zip(traced[0], narrow[0]):
        assert t.values.numpy().tolist() == e.values.numpy().tolist()
        assert t.dense_shape.numpy().tolist() == e.dense_shape.numpy().tolist()
    np.testing.assert_allclose(traced[1].numpy(), narrow[1].numpy(), rtol=1e-6)
    assert traced[1].shape == (1, 2)


def test_ctc_beam_search_errors():
    x = RNG.standard_normal((3, 2, 3)).astype(np.float32)
    with pytest.raises(tf.errors.InvalidArgumentError, match="'beam_width' of 0"):
        tf.nn.ctc_beam_search_decoder(x, [3, 3], beam_width=0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="more paths than the beam width"):
        tf.nn.ctc_beam_search_decoder(x, [3, 3], beam_width=2, top_paths=3)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Less leaves"):
        tf.nn.ctc_beam_search_decoder(x, [3, 0], top_paths=2)
    with pytest.raises(tf.errors.FailedPreconditionError, match=r"sequence_length\(0\) <= 3"):
        tf.nn.ctc_beam_search_decoder(x, [4, 1])
