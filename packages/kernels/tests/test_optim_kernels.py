"""FusedApply* (optim.cpp): one call updates many variables; checked bit for bit against NumPy
running the same operations in the variables' dtype, the XLA lowering against the CPU, errors."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import tensorhouse_kernels as tk
from tensorhouse_hw_runtime import errors, get_device
from tensorhouse_kernels import get_op_def as get_def

SHAPES = [(3, 4), (5,), (), (200, 50)]  # the last one is split over threads


def _sqrt(x):
    return np.sqrt(x).astype(x.dtype)


def _pow(x, p):
    """The Pow kernel's values (C's pow, which NumPy's vectorized power may not round as)."""
    x = np.asarray(x)
    return tk.execute("Pow", [x, np.asarray(p, x.dtype)], {}, get_device("/device:CPU:0"))[0][0]


def np_step(op, flags, w, slots, g, sc, decay):
    """One variable's new value and slots: the C++ element formulas, op by op, in NumPy."""
    lr, wd = sc[0], sc[-1]
    if decay:
        w = w - (w * wd) * lr
    if op == "FusedApplySGD":
        mom = sc[1]
        if not flags.get("momentum"):
            return w - g * lr, []
        m = slots[0] * mom - g * lr
        return (w + (m * mom - g * lr) if flags.get("nesterov") else w + m), [m]
    if op == "FusedApplyAdam":
        alpha, c1, c2, eps = sc[1:5]
        m = slots[0] + (g - slots[0]) * c1
        v = slots[1] + (g * g - slots[1]) * c2
        d, new = v, [m, v]
        if flags.get("amsgrad"):
            d = np.maximum(slots[2], v)
            new.append(d)
        return w - (m * alpha) / (_sqrt(d) + eps), new
    if op == "FusedApplyRMSProp":
        lr, rho, crho, eps, mom = sc[:5]
        v = slots[0] * rho + (g * g) * crho
        new, den = [v], v
        if flags.get("centered"):
            a = slots[-1] * rho + g * crho
            den = v - a * a
        inc = (lr * g) / _sqrt(den + eps)
        if flags.get("momentum"):
            m = slots[1] * mom + inc
            new.append(m)
            w = w - m
        else:
            w = w - inc
        if flags.get("centered"):
            new.append(a)
        return w, new
    if op == "FusedApplyAdagrad":
        lr, eps = sc[0], sc[1]
        a = slots[0] + g * g
        return w - (lr * g) / _sqrt(a + eps), [a]
    return np_two_slot_step(op, w, slots, g, sc)


def np_two_slot_step(op, w, slots, g, sc):
    """Adamax, Nadam, Lion, Ftrl, Adadelta: the C++ formulas op by op in NumPy."""
    lr, a = sc[0], slots[0]
    if op == "FusedApplyAdamax":
        c1, b2, cb, eps = sc[1:5]
        m = a + (g - a) * c1
        u = np.maximum(slots[1] * b2, np.abs(g))
        return w - (lr * m) / (cb * (u + eps)), [m, u]
    if op == "FusedApplyNadam":
        c1, c2, mu1, p1, cmu, p0, cb2, eps = sc[1:9]
        m = a + (g - a) * c1
        v = slots[1] + (g * g - slots[1]) * c2
        m_hat = (mu1 * m) / p1 + (cmu * g) / p0
        return w - (m_hat * lr) / (_sqrt(v / cb2) + eps), [m, v]
    if op == "FusedApplyLion":
        b1, cb1, b2, cb2 = sc[1:5]
        return w - lr * np.sign(a * b1 + g * cb1), [a * b2 + g * cb2]
    if op == "FusedApplyFtrl":
        shrink2, power, l1, l2x2 = sc[1:5]
        n = a + g * g
        pn, po = _pow(n, power), _pow(a, power)
        z = slots[1] + ((g + shrink2 * w) - ((pn - po) / lr) * w)
        return (np.minimum(np.maximum(z, -l1), l1) - z) / (pn / lr + l2x2), [n, z]
    rho, crho, eps = sc[1:4]  # FusedApplyAdadelta
    acc = rho * a + crho * (g * g)
    d = -(_sqrt(slots[1] + eps) * g) / _sqrt(acc + eps)
    return w + lr * d, [acc, rho * slots[1] + crho * (d * d)]


CASES = [
    ("FusedApplySGD", {}, 0, [0.1, 0.0]),
    ("FusedApplySGD", {"momentum": True}, 1, [0.1, 0.9]),
    ("FusedApplySGD", {"momentum": True, "nesterov": True}, 1, [0.1, 0.9]),
    ("FusedApplyAdam", {}, 2, [0.01, 0.003, 0.1, 0.001, 1e-7]),
    ("FusedApplyAdam", {"amsgrad": True}, 3, [0.01, 0.003, 0.1, 0.001, 1e-7]),
    ("FusedApplyRMSProp", {}, 1, [0.01, 0.9, 0.1, 1e-7, 0.0]),
    ("FusedApplyRMSProp", {"momentum": True, "centered": True}, 3, [0.01, 0.9, 0.1, 1e-7, 0.5]),
    ("FusedApplyRMSProp", {"centered": True}, 2, [0.01, 0.9, 0.1, 1e-7, 0.0]),
    ("FusedApplyAdagrad", {}, 1, [0.01, 1e-7]),
    ("FusedApplyAdamax", {}, 2, [0.01, 0.1, 0.999, 0.19, 1e-7]),
    ("FusedApplyNadam", {}, 2, [0.01, 0.1, 0.001, 0.86, 0.2, 0.15, 0.1, 0.002, 1e-7]),
    ("FusedApplyLion", {}, 1, [0.01, 0.9, 0.1, 0.99, 0.01]),
    ("FusedApplyFtrl", {}, 2, [0.1, 0.02, 0.6, 0.3, 0.5]),
    ("FusedApplyAdadelta", {}, 2, [1.0, 0.95, 0.05, 1e-7]),
]


def _inputs(dtype, k, seed):
    rng = np.random.default_rng(seed)
    n = len(SHAPES)

    def draw(s, positive=False):
        x = rng.standard_normal(s)
        return np.asarray(np.abs(x) if positive else x, dtype)  # 0-d stays an array

    ws = [draw(s) for s in SHAPES]
    slots = [[draw(s, True) for s in SHAPES] for _ in range(k)]
    if slots:  # a large first slot: RMSprop's centered denominator v - a^2 stays positive
        slots[0] = [np.asarray(x * 10 + 20, dtype) for x in slots[0]]
    gs = [draw(s) for s in SHAPES]
    return n, ws, slots, gs


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op, flags, k, scalars", CASES)
def test_fused_apply_matches_numpy_bit_for_bit(cpu, dtype, op, flags, k, scalars):
    n, ws, slots, gs = _inputs(dtype, k, 3)
    sc = [np.array(s, dtype) for s in scalars + [0.004]]
    decay = (True, False, True, False)
    ins = ws + [s for group in slots for s in group] + gs + sc
    attrs = {"n": n, "decay": decay, **flags}
    outs, used = tk.execute(op, ins, attrs, cpu)
    assert used is cpu and len(outs) == (k + 1) * n
    for v in range(n):
        want_w, want_slots = np_step(
            op, flags, ws[v], [group[v] for group in slots], gs[v], [s[()] for s in sc], decay[v]
        )
        np.testing.assert_array_equal(outs[v], want_w)
        assert outs[v].dtype == np.dtype(dtype) and outs[v].shape == SHAPES[v]
        for j, want in enumerate(want_slots):
            np.testing.assert_array_equal(outs[(j + 1) * n + v], want)
    assert not np.array_equal(outs[0], ws[0])  # it moved


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op, flags, k, scalars", CASES)
def test_fused_apply_in_place_matches_fresh_outputs(cpu, dtype, op, flags, k, scalars):
    """A kernel that ``writes_in_place`` given input j's buffer as output j: the same bits as
    into fresh buffers, written into the inputs it replaces."""
    n, ws, slots, gs = _inputs(dtype, k, 5)
    sc = [np.array(s, dtype) for s in scalars + [0.004]]
    ins = ws + [s for group in slots for s in group] + gs + sc
    attrs = {"n": n, "decay": (True, False, True, False), **flags}
    want, _ = tk.execute(op, ins, attrs, cpu)
    kernel, used = tk.runtime.dispatch(op, cpu, get_def(op).key([x.dtype for x in ins], attrs))
    assert used is cpu and tk.writes_in_place(kernel)
    state = [x.copy() for x in ins[: (k + 1) * n]]
    outs = tk.Outputs(state)
    outs.device = cpu
    kernel(state + ins[(k + 1) * n :], outs, attrs)
    for got, w in zip(state, want):
        np.testing.assert_array_equal(got, w)
    assert not np.array_equal(state[0], ws[0])  # written over its input
    matmul = tk.runtime.dispatch("MatMul", cpu, get_def("MatMul").key([ins[0].dtype] * 2, {}))[0]
    assert not tk.writes_in_place(matmul)


def test_fused_apply_errors(cpu):
    w = np.ones((2, 3), np.float32)
    lr = np.array(0.1, np.float32)
    with pytest.raises(errors.InvalidArgumentError, match="expects 5 inputs for 1 variables"):
        tk.execute("FusedApplySGD", [w, w, lr], {"n": 1}, cpu)
    with pytest.raises(errors.InvalidArgumentError, match=r"has shape \[3\], variable 0 has"):
        tk.execute("FusedApplySGD", [w, np.ones(3, np.float32), lr, lr, lr], {"n": 1}, cpu)
    with pytest.raises(errors.InvalidArgumentError, match="float32 or float64.*int32"):
        i = np.ones(3, np.int32)
        tk.execute("FusedApplySGD", [i, i, *[np.array(1, np.int32)] * 3], {"n": 1}, cpu)
    with pytest.raises(errors.InvalidArgumentError, match="scalar lr must be 0-d"):
        tk.execute("FusedApplySGD", [w, w, np.ones(2, np.float32), lr, lr], {"n": 1}, cpu)


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="needs JAX")
@pytest.mark.parametrize("op, flags, k, scalars", CASES)
def test_fused_apply_xla_matches_cpu(cpu, op, flags, k, scalars):
    from tensorhouse_kernels import xla

    n, ws, slots, gs = _inputs("float64", k, 5)
    sc = [np.array(s, np.float64) for s in scalars + [0.004]]
    ins = ws + [s for group in slots for s in group] + gs + sc
    attrs = {"n": n, "decay": (False, True, False, True), **flags}
    want, _ = tk.execute(op, ins, attrs, cpu)
    xla._load()
    got = xla.TABLE[op]([np.asarray(x) for x in ins], attrs)
    assert len(got) == len(want)
    for a, b in zip(got, want):
        np.testing.assert_allclose(np.asarray(a), b, rtol=1e-12, atol=1e-14)
