"""``train.fused_apply``: one FusedApply* op updates many variables, eagerly and traced."""

import numpy as np
import pytest

import tensorhouse_ops as tf


def _setup():
    ws = [tf.Variable(np.array([[1.0, -2.0], [0.5, 3.0]], np.float32)),
          tf.Variable(np.array([0.25, -0.75, 2.0], np.float32))]  # fmt: skip
    ms = [tf.Variable(np.zeros(w.shape, np.float32)) for w in ws]
    gs = [tf.constant(np.full(w.shape, 0.5, np.float32)) for w in ws]
    return ws, ms, gs


def _expected(steps):
    """SGD with momentum 0.9, lr 0.1, by hand in float32."""
    ws, ms, gs = _setup()
    w = [x.numpy() for x in ws]
    m = [np.zeros_like(x) for x in w]
    lr, mom = np.float32(0.1), np.float32(0.9)
    for _ in range(steps):
        for i, g in enumerate(gs):
            m[i] = m[i] * mom - g.numpy() * lr
            w[i] = w[i] + m[i]
    return w, m


@pytest.mark.parametrize("traced", [False, True])
def test_fused_sgd_momentum_steps(traced):
    ws, ms, gs = _setup()

    def step(gs):
        tf.train.fused_apply("FusedApplySGD", ws, [ms], gs, [0.1, 0.9, 0.0], momentum=True)

    fn = tf.function(step) if traced else step
    for _ in range(3):
        fn(gs)
    want_w, want_m = _expected(3)
    for a, b in zip(ws + ms, want_w + want_m):
        np.testing.assert_array_equal(a.numpy(), b)


def test_eager_read_keeps_its_value():
    ws, ms, gs = _setup()
    before = ws[0].value()
    kept = before.numpy().copy()
    tf.train.fused_apply("FusedApplySGD", ws, [], gs, [0.1, 0.0, 0.0])
    np.testing.assert_array_equal(before.numpy(), kept)  # new buffers, no write in place
    np.testing.assert_array_equal(ws[0].numpy(), kept - np.float32(0.5) * np.float32(0.1))


def test_supported_and_errors():
    ws, ms, gs = _setup()
    assert tf.train.fused_apply_supported(ws)
    assert not tf.train.fused_apply_supported([tf.Variable(np.ones(2, np.float16))])
    assert not tf.train.fused_apply_supported(ws + [tf.Variable(np.ones(2, np.float64))])
    assert not tf.train.fused_apply_supported([])
    with pytest.raises(ValueError, match="takes 1 slot groups \\(momentum\\)"):
        tf.train.fused_apply("FusedApplySGD", ws, [], gs, [0.1, 0.9, 0.0], momentum=True)
    with pytest.raises(ValueError, match="unknown op 'Nope'"):
        tf.train.fused_apply("Nope", ws, [], gs, [])
