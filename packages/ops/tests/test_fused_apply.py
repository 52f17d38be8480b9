"""``train.fused_apply``: one FusedApply* op updates many variables, eagerly and traced."""

import weakref

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


def _adam(ws, ms, vs, gs, lr=0.1):
    tf.train.fused_apply("FusedApplyAdam", ws, [ms, vs], gs, [lr, 0.05, 0.1, 0.001, 1e-7, 0.0])


def _adam_state():
    ws, ms, gs = _setup()
    vs = [tf.Variable(np.full(w.shape, 0.01, np.float32)) for w in ws]
    return ws, ms, vs, gs


def _buffers(variables):  # weak references: a reference would keep the buffers from change
    return [weakref.ref(v._value._value) for v in variables]


def _same(variables, refs):
    return [r() is v._value._value for v, r in zip(variables, refs)]


def test_traced_step_updates_the_buffers_in_place_as_the_eager_step():
    ws, ms, vs, gs = _adam_state()
    want = _adam_state()
    step = tf.function(lambda gs: _adam(ws, ms, vs, gs))
    step(gs)
    _adam(*want[:3], want[3])
    bufs = _buffers(ws + ms + vs)
    for _ in range(3):
        step(gs)
        _adam(*want[:3], want[3])
    assert all(_same(ws + ms + vs, bufs))  # written in place
    for a, b in zip(ws + ms + vs, want[0] + want[1] + want[2]):  # bit for bit: eager, fresh
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(ws[0].numpy(), _setup()[0][0].numpy())


def test_traced_step_keeps_what_was_read_before():
    ws, ms, vs, gs = _adam_state()
    step = tf.function(lambda gs: _adam(ws, ms, vs, gs))
    step(gs)
    held = [
        ws[0].value(),
        ms[1].numpy(),
        np.asarray(vs[0]),
        tf.identity(ws[1]),
        ms[0]._value._value,
    ]
    kept = [np.array(h, copy=True) for h in held]
    bufs = _buffers(ws + ms + vs)
    step(gs)
    for h, k in zip(held, kept):  # TF's copy on write: the readers keep their values
        np.testing.assert_array_equal(np.asarray(h), k)
    # tf.identity copied: ws[1] and vs[1], held by nothing else, are overwritten
    assert _same(ws + ms + vs, bufs) == [False, True, False, False, False, True]  # ws, ms, vs
    assert not np.array_equal(ws[0].numpy(), kept[0])


def test_a_graph_that_returns_the_old_value_keeps_it():
    ws, ms, vs, gs = _adam_state()

    @tf.function
    def step(gs):
        value, before = ws[0].value(), ws[0].read_value()
        _adam(ws, ms, vs, gs)
        return value, before, ws[0].value()

    step(gs)
    kept, bufs = ws[0].numpy().copy(), _buffers(ws + ms + vs)
    value, before, after = step(gs)
    np.testing.assert_array_equal(value.numpy(), kept)
    np.testing.assert_array_equal(before.numpy(), kept)
    np.testing.assert_array_equal(after.numpy(), ws[0].numpy())
    assert not np.array_equal(after.numpy(), kept)
    assert _same(ws + ms + vs, bufs) == [False, True, True, True, True, True]
    kept = after.numpy().copy()  # the variable's buffer, now held by ``after`` too
    step(gs)
    np.testing.assert_array_equal(after.numpy(), kept)
    assert not np.array_equal(ws[0].numpy(), kept)
