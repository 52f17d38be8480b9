"""A traced ``while_loop`` whose body reads a captured tensor by rows (``xs[t]``, a gather on
axis 0): its gradient keeps each step's rows and sums them into the capture's gradient once
after the loop, no capture-sized scatter per step. Checked against finite differences (float64)
on the compiled form, the eager tape around a traced loop and its op-by-op form."""

from __future__ import annotations

import numpy as np

import tensorhouse_ops as tf
from tensorhouse_ops import _control_flow_grad as C

RNG = np.random.RandomState(0)
XS = RNG.randn(6, 2, 3)
W = RNG.randn(3, 3) * 0.5


def _loop(xs, w, idx=False):
    """An RNN-like loop: ``h = tanh(h @ w + xs[t] * xs[t])``, or with ``idx`` the rows
    ``xs[[t, t + 1]]`` (each row read by two steps) summed."""
    steps = tf.shape(xs)[0] - (1 if idx else 0)

    def body(t, h):
        x = tf.reduce_sum(tf.gather(xs, tf.stack([t, t + 1])), 0) if idx else xs[t]
        return t + 1, tf.tanh(tf.matmul(h, w) + x * x)

    h0 = tf.zeros([2, 3], tf.float64)
    return tf.while_loop(lambda t, h: t < steps, body, [tf.constant(0), h0])[1]


def _numpy_loss(xs, w, idx=False):
    h = np.zeros([2, 3])
    for t in range(xs.shape[0] - (1 if idx else 0)):
        x = xs[t] + xs[t + 1] if idx else xs[t]
        h = np.tanh(h @ w + x * x)
    return (h * h).sum()


def _numeric(xs, w, idx=False, eps=1e-6):
    out = []
    for k, a in enumerate((xs, w)):
        g = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            hi, lo = [xs.copy(), w.copy()], [xs.copy(), w.copy()]
            hi[k][i] += eps
            lo[k][i] -= eps
            g[i] = (_numpy_loss(*hi, idx) - _numpy_loss(*lo, idx)) / (2 * eps)
        out.append(g)
    return out


def _traced_grads(idx):
    @tf.function
    def f(xs, w):
        with tf.GradientTape() as tape:
            tape.watch([xs, w])
            h = _loop(xs, w, idx)
            loss = tf.reduce_sum(h * h)
        return tape.gradient(loss, [xs, w])

    return f


def _step_graphs_with_rows():
    return [g for cache in C._STEPS.values() for g in cache.values() if g[5]]


def test_traced_row_reads_match_finite_differences_with_no_full_size_step_values():
    for idx in (False, True):
        C._STEPS.clear()
        gx, gw = _traced_grads(idx)(tf.constant(XS), tf.constant(W))
        nx, nw = _numeric(XS, W, idx)
        np.testing.assert_allclose(gx.numpy(), nx, atol=1e-7)
        np.testing.assert_allclose(gw.numpy(), nw, atol=1e-7)
        steps = _step_graphs_with_rows()
        assert steps  # the rows form was used
        for step in steps:  # no step value is the size of xs
            ops = [op for op in step[0].ops if op.type != "Placeholder"]
            shapes = [tuple(o._gshape) for op in ops for o in op.outputs]
            assert XS.shape not in shapes and (None, 2, 3) not in shapes


def test_unknown_number_of_steps_and_a_capture_read_otherwise_too():
    @tf.function(input_signature=[tf.TensorSpec([None, 2, 3], tf.float64),
                                  tf.TensorSpec([3, 3], tf.float64)])  # fmt: skip
    def f(xs, w):
        with tf.GradientTape() as tape:
            tape.watch([xs, w])
            h = _loop(xs, w)
            loss = tf.reduce_sum(h * h)
            # xs also read whole inside the loop: the dense form, same numbers
            h2 = tf.while_loop(lambda t, h: t < 3,
                               lambda t, h: (t + 1, h + tf.reduce_sum(xs) * xs[t]),
                               [tf.constant(0), tf.zeros([2, 3], tf.float64)])[1]  # fmt: skip
            loss2 = tf.reduce_sum(h2)
        return tape.gradient([loss, loss2], [xs, w])

    gx, gw = f(tf.constant(XS), tf.constant(W))
    nx, nw = _numeric(XS, W)
    # loss2 = sum_t sum(xs) * sum(xs[t]) over t < 3 (the h2 rows add up)
    s, s3 = XS.sum(), XS[:3].sum()
    extra = np.full_like(XS, s3)
    extra[:3] += s
    np.testing.assert_allclose(gx.numpy(), nx + extra, atol=1e-7)
    np.testing.assert_allclose(gw.numpy(), nw, atol=1e-7)


def test_eager_tape_around_a_traced_loop_compiled_and_op_by_op():
    f = tf.function(_loop)
    xs, w = tf.constant(XS), tf.constant(W)
    nx, nw = _numeric(XS, W)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([xs, w])
        h = f(xs, w)
        loss = tf.reduce_sum(h * h)
        recorded = tape.gradient(loss, [xs, w])  # the tape records it: op by op
    compiled = tape.gradient(loss, [xs, w])
    for gx, gw in (recorded, compiled):
        np.testing.assert_allclose(gx.numpy(), nx, atol=1e-7)
        np.testing.assert_allclose(gw.numpy(), nw, atol=1e-7)


def test_zero_iterations_pass_the_incoming_gradient():
    @tf.function
    def f(xs):
        with tf.GradientTape() as tape:
            tape.watch(xs)
            h = tf.while_loop(lambda t, h: t < 0, lambda t, h: (t + 1, h * xs[t]),
                              [tf.constant(0), tf.ones([2, 3], tf.float64)])[1]  # fmt: skip
            loss = tf.reduce_sum(h) + tf.reduce_sum(xs * 2.0)
        return tape.gradient(loss, xs)

    np.testing.assert_array_equal(f(tf.constant(XS)).numpy(), np.full(XS.shape, 2.0))
