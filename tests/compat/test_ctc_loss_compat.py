"""``keras.losses.CTC`` / ``ctc``: the loss of label rows (0 is the blank and pads them)
against logits, checked against a brute-force sum over every alignment; green on TF 2.21 and
on tensorhouse."""

import itertools

import numpy as np
import pytest

RNG = np.random.default_rng(14)


def _nll(labels, logits):
    """-log of the summed probability of every path that collapses to ``labels``."""
    z = logits - logits.max(-1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(-1, keepdims=True)
    target = [int(v) for v in labels if v != 0]
    total = 0.0
    for path in itertools.product(range(logits.shape[1]), repeat=logits.shape[0]):
        merged = [k for i, k in enumerate(path) if i == 0 or k != path[i - 1]]
        if [k for k in merged if k != 0] == target:
            total += np.prod([p[t, k] for t, k in enumerate(path)])
    return -np.log(total)


def _case():
    y = np.array([[1, 2, 0], [2, 2, 1], [3, 0, 0]], np.int32)
    x = RNG.normal(size=(3, 5, 4)).astype(np.float32)
    return y, x, np.array([_nll(r, z) for r, z in zip(y, x.astype(np.float64))])


def test_ctc_function_is_the_sum_over_alignments(tf):
    y, x, ref = _case()
    np.testing.assert_allclose(np.asarray(tf.keras.losses.ctc(y, x)), ref, rtol=2e-5)


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", None])
def test_ctc_class_reduces_as_keras(tf, reduction):
    y, x, ref = _case()
    loss = tf.keras.losses.CTC(reduction=reduction)
    want = {"sum_over_batch_size": ref.mean(), "sum": ref.sum(), None: ref}[reduction]
    np.testing.assert_allclose(np.asarray(loss(y, x)), want, rtol=2e-5)
    assert loss.get_config() == {"name": "ctc", "reduction": reduction}
    assert type(tf.keras.losses.get("CTC")).__name__ == "CTC"
    assert tf.keras.losses.get("ctc") is tf.keras.losses.ctc


def test_ctc_traces(tf):
    y, x, ref = _case()
    f = tf.function(lambda a, b: tf.keras.losses.ctc(a, b))
    np.testing.assert_allclose(np.asarray(f(tf.constant(y), tf.constant(x))), ref, rtol=2e-5)


def test_ctc_shape_errors(tf):
    with pytest.raises(ValueError, match="y_true"):
        tf.keras.losses.ctc(np.zeros((2, 3, 1), np.int32), np.zeros((2, 4, 3), np.float32))
    with pytest.raises(ValueError, match="y_pred"):
        tf.keras.losses.ctc(np.zeros((2, 3), np.int32), np.zeros((2, 4), np.float32))
