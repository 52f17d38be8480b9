"""LSTMSequence / GRUSequence and their gradient kernels (rnn.cpp) against NumPy loops, the
XLA lowering against the CPU, and the shape errors."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import tensorhouse_kernels as tk
from tensorhouse_hw_runtime import errors, from_host, list_devices, to_host

RNG = np.random.default_rng(7)


def _sig(v):
    return 1.0 / (1.0 + np.exp(-v))


def _order(steps, back):
    return range(steps - 1, -1, -1) if back else range(steps)


def np_lstm(x, h0, c0, w, u, b, back):
    """Forward and backward of sum(y * wy) + sum(h * wh) + sum(c * wc) by hand, float64."""
    b_, t_, _ = x.shape
    n = h0.shape[1]
    h, c, hs, cs, zs = h0, c0, [], [], []
    for t in _order(t_, back):
        z = x[:, t] @ w + h @ u + b
        i, f, g, o = _sig(z[:, :n]), _sig(z[:, n : 2 * n]), np.tanh(z[:, 2 * n : 3 * n]), _sig(
            z[:, 3 * n :])  # fmt: skip
        zs.append((i, f, g, o, c, h))
        c = f * c + i * g
        h = o * np.tanh(c)
        hs.append(h)
        cs.append(c)
    return np.stack(hs, 1), h, c, np.stack(cs)


def np_lstm_grad(dy, dh, dc, x, h0, c0, w, u, b, back):
    """The gradients of the loop above, written out (BPTT), for an independent check."""
    b_, t_, _ = x.shape
    n = h0.shape[1]
    h, c, saved = h0, c0, []
    for t in _order(t_, back):
        z = x[:, t] @ w + h @ u + b
        i, f, g, o = _sig(z[:, :n]), _sig(z[:, n : 2 * n]), np.tanh(z[:, 2 * n : 3 * n]), _sig(
            z[:, 3 * n :])  # fmt: skip
        saved.append((t, i, f, g, o, c, h))
        c = f * c + i * g
        h = o * np.tanh(c)
    dx, dw, du, db = np.zeros_like(x), np.zeros_like(w), np.zeros_like(u), np.zeros_like(b)
    for k in range(t_ - 1, -1, -1):
        t, i, f, g, o, cp, hp = saved[k]
        cn = f * cp + i * g
        dhk = dy[:, k] + dh
        dck = dc + dhk * o * (1 - np.tanh(cn) ** 2)
        dz = np.concatenate([dck * g * i * (1 - i), dck * cp * f * (1 - f), dck * i * (1 - g * g),
                             dhk * np.tanh(cn) * o * (1 - o)], axis=1)  # fmt: skip
        dx[:, t] = dz @ w.T
        dw += x[:, t].T @ dz
        du += hp.T @ dz
        db += dz.sum(0)
        dh, dc = dz @ u.T, dck * f
    return dx, dh, dc, dw, du, db


def np_gru(x, h0, w, u, b, back, after):
    n = h0.shape[1]
    b_in, b_rec = (b[0], b[1]) if after else (b, np.zeros_like(b))
    h, hs = h0, []
    for t in _order(x.shape[1], back):
        xp = x[:, t] @ w + b_in
        if after:
            rp = h @ u + b_rec
            z, r = _sig(xp[:, :n] + rp[:, :n]), _sig(xp[:, n : 2 * n] + rp[:, n : 2 * n])
            hh = np.tanh(xp[:, 2 * n :] + r * rp[:, 2 * n :])
        else:
            rp = h @ u[:, : 2 * n]
            z, r = _sig(xp[:, :n] + rp[:, :n]), _sig(xp[:, n : 2 * n] + rp[:, n:])
            hh = np.tanh(xp[:, 2 * n :] + (r * h) @ u[:, 2 * n :])
        h = z * h + (1 - z) * hh
        hs.append(h)
    return np.stack(hs, 1), h


@pytest.fixture(scope="module")
def cpu():
    from tensorhouse_hw_runtime import get_device

    return get_device("/device:CPU:0")


def run(cpu, op, inputs, attrs):
    outputs, _ = tk.execute(op, [np.ascontiguousarray(a) for a in inputs], attrs, cpu)
    return outputs


def lstm_inputs(dtype, b=3, t=5, i=4, n=6):
    x = RNG.standard_normal((b, t, i))
    h0, c0 = RNG.standard_normal((b, n)), RNG.standard_normal((b, n))
    w, u = RNG.standard_normal((i, 4 * n)) * 0.5, RNG.standard_normal((n, 4 * n)) * 0.5
    return [a.astype(dtype) for a in (x, h0, c0, w, u, RNG.standard_normal(4 * n))]


def gru_inputs(dtype, after, b=3, t=5, i=4, n=6):
    x, h0 = RNG.standard_normal((b, t, i)), RNG.standard_normal((b, n))
    w, u = RNG.standard_normal((i, 3 * n)) * 0.5, RNG.standard_normal((n, 3 * n)) * 0.5
    bias = RNG.standard_normal((2, 3 * n) if after else (3 * n,))
    return [a.astype(dtype) for a in (x, h0, w, u, bias)]


TOL = {np.float32: dict(rtol=2e-5, atol=2e-5), np.float64: dict(rtol=1e-12, atol=1e-12)}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("back", [False, True])
def test_lstm_forward_and_backward_match_numpy(cpu, dtype, back):
    ins = lstm_inputs(dtype)
    y, h, c, gates, cs = run(cpu, "LSTMSequence", ins, {"go_backwards": back})
    ref = np_lstm(*[a.astype(np.float64) for a in ins], back)
    for got, exp in zip((y, h, c, cs), ref):
        np.testing.assert_allclose(got, exp, **TOL[dtype])
    assert gates.shape == (5, 3, 24) and np.all((gates[..., :12] > 0) & (gates[..., :12] < 1))
    dy, dh, dc = (RNG.standard_normal(s).astype(dtype) for s in (y.shape, h.shape, c.shape))
    grads = run(cpu, "LSTMSequenceGrad", [dy, dh, dc, *ins[:5], y, gates, cs, ins[5]],
                {"go_backwards": back})  # fmt: skip
    wide = [a.astype(np.float64) for a in (dy, dh, dc, *ins)]
    for got, exp in zip(grads, np_lstm_grad(*wide, back)):
        np.testing.assert_allclose(got, exp, rtol=1e-4 if dtype == np.float32 else 1e-11,
                                   atol=1e-4 if dtype == np.float32 else 1e-11)  # fmt: skip


def _loss_fd(f, ins, i, weights, eps=1e-6):
    """d sum(f(ins) * weights) / d ins[i] by central differences."""
    grad = np.zeros_like(ins[i])
    for idx in np.ndindex(*ins[i].shape):
        plus, minus = [a.copy() for a in ins], [a.copy() for a in ins]
        plus[i][idx] += eps
        minus[i][idx] -= eps
        grad[idx] = sum(np.sum((p - m) * w) for p, m, w in zip(f(plus), f(minus), weights)) / (
            2 * eps)  # fmt: skip
    return grad


@pytest.mark.parametrize("back", [False, True])
@pytest.mark.parametrize("after", [True, False])
def test_gru_forward_matches_numpy_and_backward_finite_differences(cpu, back, after):
    attrs = {"go_backwards": back, "reset_after": after}
    ins = gru_inputs(np.float64, after, b=2, t=4, i=3, n=3)
    y, h, saved = run(cpu, "GRUSequence", ins, attrs)
    ref_y, ref_h = np_gru(*ins, back, after)
    np.testing.assert_allclose(y, ref_y, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(h, ref_h, rtol=1e-12, atol=1e-12)
    dy, dh = RNG.standard_normal(y.shape), RNG.standard_normal(h.shape)
    grads = run(cpu, "GRUSequenceGrad", [dy, dh, *ins[:4], y, saved, ins[4]], attrs)
    for i, got in enumerate(grads):
        exp = _loss_fd(lambda a: np_gru(*a, back, after), ins, i, [dy, dh])
        np.testing.assert_allclose(got, exp, rtol=1e-6, atol=1e-8, err_msg=f"input {i}")


def test_gru_float32_matches_float64(cpu):
    for after in (True, False):
        ins = gru_inputs(np.float64, after)
        attrs = {"reset_after": after}
        wide = run(cpu, "GRUSequence", ins, attrs)
        narrow = run(cpu, "GRUSequence", [a.astype(np.float32) for a in ins], attrs)
        for a, b in zip(narrow, wide):
            assert a.dtype == np.float32
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_lstm_one_step_by_hand(cpu):
    """One unit, one step: i = f = o = sigmoid(1), g = tanh(1), from x = 1, zero weights but
    the kernel's ones."""
    x = np.ones((1, 1, 1))
    w, u, b = np.ones((1, 4)), np.zeros((1, 4)), np.zeros(4)
    h0, c0 = np.zeros((1, 1)), np.full((1, 1), 2.0)
    y, h, c, _, _ = run(cpu, "LSTMSequence", [x, h0, c0, w, u, b], {})
    s, g = 1 / (1 + np.exp(-1.0)), np.tanh(1.0)
    c_exp = s * 2.0 + s * g
    assert c[0, 0] == pytest.approx(c_exp, abs=1e-15)
    assert y[0, 0, 0] == h[0, 0] == pytest.approx(s * np.tanh(c_exp), abs=1e-15)


def test_batch_of_one_and_long_sequence(cpu):
    ins = lstm_inputs(np.float64, b=1, t=40, i=2, n=3)
    y, h, c, _, cs = run(cpu, "LSTMSequence", ins, {})
    ref = np_lstm(*ins, False)
    for got, exp in zip((y, h, c, cs), ref):
        np.testing.assert_allclose(got, exp, rtol=1e-12, atol=1e-12)


def test_shape_errors_name_the_shapes(cpu):
    x, h0, c0, w, u, b = lstm_inputs(np.float32)
    with pytest.raises(errors.InvalidArgumentError, match=r"recurrent_kernel must be .*\[6,20\]"):
        run(cpu, "LSTMSequence", [x, h0, c0, w, u[:, :20], b], {})
    with pytest.raises(
        errors.InvalidArgumentError, match=r"h0 must have shape \[3,6\], got \[2,6\]"
    ):
        run(cpu, "LSTMSequence", [x, h0[:2], c0, w, u, b], {})
    with pytest.raises(errors.InvalidArgumentError, match=r"x must be 3-D.*\[3,4\]"):
        run(cpu, "LSTMSequence", [x[:, 0], h0, c0, w, u, b], {})
    with pytest.raises(errors.InvalidArgumentError, match="float64"):
        run(cpu, "LSTMSequence", [x, h0.astype(np.float64), c0, w, u, b], {})
    gx, gh, gw, gu, gb = gru_inputs(np.float32, True)
    with pytest.raises(errors.InvalidArgumentError, match=r"bias must have shape \[18\]"):
        run(cpu, "GRUSequence", [gx, gh, gw, gu, gb], {"reset_after": False})


XLA = (next(iter(list_devices("XLA_CPU")), None)
       if importlib.util.find_spec("jax") is not None else None)  # fmt: skip


@pytest.mark.skipif(XLA is None, reason="no XLA_CPU device")
@pytest.mark.parametrize("back", [False, True])
def test_xla_lowering_matches_cpu(cpu, back):
    def on_xla(op, ins, attrs):
        outs, used = tk.execute(op, [from_host(a, XLA) for a in ins], attrs, XLA)
        assert used is XLA
        return [to_host(o, XLA) for o in outs]

    ins = lstm_inputs(np.float64)
    attrs = {"go_backwards": back}
    fwd = run(cpu, "LSTMSequence", ins, attrs)
    for a, b in zip(on_xla("LSTMSequence", ins, attrs), fwd):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    dy, dh, dc = (RNG.standard_normal(fwd[k].shape) for k in range(3))
    gin = [dy, dh, dc, *ins[:5], fwd[0], fwd[3], fwd[4], ins[5]]
    for a, b in zip(on_xla("LSTMSequenceGrad", gin, attrs), run(cpu, "LSTMSequenceGrad", gin,
                                                                attrs)):  # fmt: skip
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-11)
    for after in (True, False):
        attrs = {"go_backwards": back, "reset_after": after}
        ins = gru_inputs(np.float64, after)
        fwd = run(cpu, "GRUSequence", ins, attrs)
        for a, b in zip(on_xla("GRUSequence", ins, attrs), fwd):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
        dy, dh = RNG.standard_normal(fwd[0].shape), RNG.standard_normal(fwd[1].shape)
        gin = [dy, dh, *ins[:4], fwd[0], fwd[2], ins[4]]
        for a, b in zip(on_xla("GRUSequenceGrad", gin, attrs),
                        run(cpu, "GRUSequenceGrad", gin, attrs)):  # fmt: skip
            np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-11)


MASK = np.array([[1, 1, 0, 1, 0], [0, 0, 0, 0, 0], [0, 1, 1, 1, 1]], dtype=np.float64)


@pytest.mark.parametrize("back", [False, True])
def test_masked_steps_keep_the_states(cpu, back):
    ins = lstm_inputs(np.float64)
    y, h, c, _, cs = run(cpu, "LSTMSequence", [*ins, MASK], {"go_backwards": back})
    h0, c0 = ins[1], ins[2]
    np.testing.assert_array_equal(h[1], h0[1])  # all masked: the initial states
    np.testing.assert_array_equal(c[1], c0[1])
    steps = [t for t in _order(5, back)]
    for k, t in enumerate(steps):  # a masked step repeats the previous state
        prev_h = h0 if k == 0 else y[:, k - 1]
        prev_c = c0 if k == 0 else cs[k - 1]
        for r in range(3):
            if MASK[r, t] == 0:
                np.testing.assert_array_equal(y[r, k], prev_h[r])
                np.testing.assert_array_equal(cs[k, r], prev_c[r])
    # an empty mask is no mask
    for a, b in zip(run(cpu, "LSTMSequence", [*ins, np.zeros(0)], {}),
                    run(cpu, "LSTMSequence", ins, {})):  # fmt: skip
        np.testing.assert_array_equal(a, b)
    with pytest.raises(errors.InvalidArgumentError, match="mask must have shape"):
        run(cpu, "LSTMSequence", [*ins, MASK[:, :3]], {})


@pytest.mark.skipif(XLA is None, reason="no XLA_CPU device")
@pytest.mark.parametrize("back", [False, True])
def test_masked_xla_lowering_matches_cpu(cpu, back):
    def on_xla(op, ins, attrs):
        outs, used = tk.execute(op, [from_host(a, XLA) for a in ins], attrs, XLA)
        assert used is XLA
        return [to_host(o, XLA) for o in outs]

    ins = [*lstm_inputs(np.float64), MASK]
    attrs = {"go_backwards": back}
    fwd = run(cpu, "LSTMSequence", ins, attrs)
    for a, b in zip(on_xla("LSTMSequence", ins, attrs), fwd):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    dy, dh, dc = (RNG.standard_normal(fwd[k].shape) for k in range(3))
    gin = [dy, dh, dc, *ins[:5], fwd[0], fwd[3], fwd[4], ins[5], MASK]
    for a, b in zip(on_xla("LSTMSequenceGrad", gin, attrs),
                    run(cpu, "LSTMSequenceGrad", gin, attrs)):  # fmt: skip
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-11)
    for after in (True, False):
        attrs = {"go_backwards": back, "reset_after": after}
        ins = [*gru_inputs(np.float64, after), MASK]
        fwd = run(cpu, "GRUSequence", ins, attrs)
        for a, b in zip(on_xla("GRUSequence", ins, attrs), fwd):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
        dy, dh = RNG.standard_normal(fwd[0].shape), RNG.standard_normal(fwd[1].shape)
        gin = [dy, dh, *ins[:4], fwd[0], fwd[2], ins[4], MASK]
        for a, b in zip(on_xla("GRUSequenceGrad", gin, attrs),
                        run(cpu, "GRUSequenceGrad", gin, attrs)):  # fmt: skip
            np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("back", [False, True])
def test_step_tiles_float32_match_float64(cpu, back):
    # units and features multiples of 16 (on AVX-512, float32 runs each step's GEMMs on the
    # tiles; float64 on BLAS), 13 rows (blocks of 8, 4 and 1), a mask
    mask = (RNG.random((13, 6)) > 0.3).astype(np.float64)
    mask[2] = 0
    ins = lstm_inputs(np.float64, b=13, t=6, i=32, n=16)
    gru = {after: gru_inputs(np.float64, after, b=13, t=6, i=32, n=16) for after in (True, False)}
    cases = [("LSTMSequence", ins, {}, 3)]
    cases += [("GRUSequence", gru[a], {"reset_after": a}, 2) for a in (True, False)]
    for op, ins, attrs, n_out in cases:
        attrs = {**attrs, "go_backwards": back}
        results, grads = [], None
        for dtype in (np.float32, np.float64):
            args = [a.astype(dtype) for a in (*ins, mask)]
            outs = run(cpu, op, args, attrs)
            grads = grads or [RNG.standard_normal(o.shape) for o in outs[:n_out]]
            grad_ins = [g.astype(dtype) for g in grads] + args[: n_out + 2]
            grad_ins += [outs[0], *outs[n_out:], args[-2], args[-1]]
            results.append(outs[:n_out] + run(cpu, op + "Grad", grad_ins, attrs))
        for a, b in zip(*results):
            assert a.dtype == np.float32
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
