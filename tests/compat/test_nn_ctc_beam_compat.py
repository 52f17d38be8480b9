"""TF's tf.nn.ctc_beam_search_decoder (v2: blank the last class, log-softmax scores, repeated
labels kept apart only by a blank) and keras.ops.ctc_decode(strategy="beam_search"): with a beam
wide enough to keep every prefix, the exact best label sequences of a brute-force sum over every
alignment; with a narrow beam, TF 2.21's own pruned paths and scores."""

import collections
import itertools

import numpy as np
import pytest

RNG = np.random.default_rng(18)


def brute_paths(logits, blank):
    """Every label sequence of ``[time, classes]`` logits with its log-probability (the sum over
    the alignments that collapse to it), best first."""
    logp = logits - np.log(np.exp(logits.astype(np.float64)).sum(-1, keepdims=True))
    total = collections.defaultdict(float)
    for path in itertools.product(range(logits.shape[1]), repeat=len(logits)):
        labels = tuple(c for i, c in enumerate(path) if c != blank and (i == 0 or c != path[i - 1]))
        total[labels] += np.exp(logp[np.arange(len(path)), path].sum())
    return sorted(((np.log(p), list(k)) for k, p in total.items()), reverse=True)


def rows(sp, batch):
    idx, vals = sp.indices.numpy(), sp.values.numpy()
    return [vals[idx[:, 0] == b].tolist() for b in range(batch)]


def test_beam_search_exact_with_a_wide_beam(tf):
    x = RNG.standard_normal((4, 2, 3)).astype(np.float32) * 2
    decoded, logp = tf.nn.ctc_beam_search_decoder(x, [4, 3], beam_width=40, top_paths=3)
    assert len(decoded) == 3 and logp.shape == (2, 3) and logp.dtype == tf.float32
    for b, n in enumerate([4, 3]):
        want = brute_paths(x[:n, b], blank=2)[:3]
        assert [rows(d, 2)[b] for d in decoded] == [w[1] for w in want]
        np.testing.assert_allclose(logp.numpy()[b], [w[0] for w in want], rtol=1e-5)
    assert decoded[0].indices.dtype == tf.int64 and decoded[0].values.dtype == tf.int64
    widest = max(len(r) for r in rows(decoded[0], 2))
    assert decoded[0].dense_shape.numpy().tolist() == [2, widest]


def test_narrow_beam_prunes_as_tf(tf):
    x = np.random.default_rng(0).standard_normal((6, 1, 3)).astype(np.float32) * 1.5
    decoded, logp = tf.nn.ctc_beam_search_decoder(x, [6], beam_width=2, top_paths=2)
    assert [d.values.numpy().tolist() for d in decoded] == [[0, 1], [0, 1, 0]]
    np.testing.assert_allclose(logp.numpy(), [[-1.3425848, -2.4574785]], rtol=1e-5)
    exact = brute_paths(x[:, 0], blank=2)[:2]  # the wide beam finds what the narrow one lost
    decoded, logp = tf.nn.ctc_beam_search_decoder(x, [6], beam_width=100, top_paths=2)
    assert [e[1] for e in exact] == [[0, 1], [1, 0, 1]]
    assert [d.values.numpy().tolist() for d in decoded] == [e[1] for e in exact]
    np.testing.assert_allclose(logp.numpy()[0], [e[0] for e in exact], rtol=1e-5)


def test_beam_search_traced_and_float64(tf):
    x = RNG.standard_normal((5, 2, 4))
    f = tf.function(lambda x, n: tf.nn.ctc_beam_search_decoder(x, n, beam_width=3, top_paths=2))
    traced = f(tf.constant(x, tf.float32), tf.constant([5, 2]))
    eager = tf.nn.ctc_beam_search_decoder(x.astype(np.float32), [5, 2], 3, 2)
    for t, e in zip(traced[0], eager[0]):
        assert t.values.numpy().tolist() == e.values.numpy().tolist()
        assert t.indices.numpy().tolist() == e.indices.numpy().tolist()
    np.testing.assert_allclose(traced[1].numpy(), eager[1].numpy(), rtol=1e-6)
    d64, lp64 = tf.nn.ctc_beam_search_decoder(x, [5, 2], beam_width=3, top_paths=2)
    assert lp64.dtype == tf.float64
    np.testing.assert_allclose(lp64.numpy(), eager[1].numpy(), rtol=1e-5)


def test_beam_search_errors(tf):
    x = RNG.standard_normal((3, 2, 3)).astype(np.float32)
    with pytest.raises(tf.errors.InvalidArgumentError, match="more paths than the beam width"):
        tf.nn.ctc_beam_search_decoder(x, [3, 3], beam_width=1, top_paths=2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Less leaves in the beam search"):
        tf.nn.ctc_beam_search_decoder(x, [3, 0], beam_width=3, top_paths=2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="inputs is not a 3-Tensor"):
        tf.nn.ctc_beam_search_decoder(x[0], [3, 3])
    with pytest.raises(tf.errors.InvalidArgumentError, match="sequence_length is not a vector"):
        tf.nn.ctc_beam_search_decoder(x, [[3, 3]])
    with pytest.raises(tf.errors.FailedPreconditionError, match=r"len\(sequence_length\)"):
        tf.nn.ctc_beam_search_decoder(x, [3])
    with pytest.raises(tf.errors.FailedPreconditionError, match=r"sequence_length\(1\) <= 3"):
        tf.nn.ctc_beam_search_decoder(x, [3, 4])


@pytest.mark.parametrize("mask_index", [0, 2, 3])
def test_keras_ctc_decode_beam_search(tf, mask_index):
    x = RNG.standard_normal((2, 4, 4)).astype(np.float32) * 2  # batch, time, classes
    decoded, scores = tf.keras.ops.ctc_decode(
        x, np.array([4, 3]), strategy="beam_search", beam_width=150, top_paths=2,
        mask_index=mask_index,
    )  # fmt: skip
    decoded, scores = np.asarray(decoded), np.asarray(scores)
    assert decoded.shape == (2, 2, 4) and decoded.dtype == np.int32 and scores.shape == (2, 2)
    for b, n in enumerate([4, 3]):
        want = brute_paths(x[b, :n], blank=mask_index)[:2]
        for k, (logp, labels) in enumerate(want):
            assert decoded[k, b].tolist() == labels + [-1] * (4 - len(labels))
            np.testing.assert_allclose(scores[b, k], logp, rtol=1e-5)


def test_keras_ctc_decode_beam_search_symbolic(tf):
    x, n = tf.keras.Input((6, 5)), tf.keras.Input((), dtype="int32")
    decoded, scores = tf.keras.ops.ctc_decode(x, n, strategy="beam_search", beam_width=4,
                                              top_paths=2)  # fmt: skip
    assert tuple(decoded.shape) == (2, None, 6) and tuple(scores.shape) == (None, 2)
    logits = RNG.standard_normal((2, 6, 5)).astype(np.float32)
    got = tf.keras.Model([x, n], [decoded, scores])([logits, np.array([6, 4], np.int32)])
    want = tf.keras.ops.ctc_decode(logits, np.array([6, 4]), strategy="beam_search",
                                   beam_width=4, top_paths=2)  # fmt: skip
    np.testing.assert_array_equal(np.asarray(got[0]), np.asarray(want[0]))
    np.testing.assert_allclose(np.asarray(got[1]), np.asarray(want[1]), rtol=1e-6)
