"""XLA fused optimizer updates (the FusedApply* ops): the C++ kernels' formulas in ``jnp``."""

from __future__ import annotations

from typing import Any

from ..opdefs.optim import FUSED_APPLY

# JAX's numpy, bound by bind() when the first XLA kernel runs
jnp: Any = None


def bind(jax_module, numpy_module, lax_module) -> None:
    """Bind JAX's modules here (``xla._load`` calls it once JAX is imported)."""
    global jnp
    jnp = numpy_module


def _step(op_type, attrs, w, slots, g, sc):
    """One variable's new value and slots (the element formulas of optim.cpp)."""
    if op_type == "FusedApplySGD":
        lr, mom = sc[0], sc[1]
        if not attrs.get("momentum"):
            return w - g * lr, []
        m = slots[0] * mom - g * lr
        return (w + (m * mom - g * lr) if attrs.get("nesterov") else w + m), [m]
    if op_type == "FusedApplyAdam":
        alpha, c1, c2, eps = sc[1:5]
        m = slots[0] + (g - slots[0]) * c1
        v = slots[1] + (g * g - slots[1]) * c2
        new = [m, v]
        d = v
        if attrs.get("amsgrad"):
            d = jnp.maximum(slots[2], v)
            new.append(d)
        return w - (m * alpha) / (jnp.sqrt(d) + eps), new
    if op_type == "FusedApplyRMSProp":
        lr, rho, crho, eps, mom = sc[:5]
        v = slots[0] * rho + (g * g) * crho
        new, den, i = [v], v, 1
        m_slot = None
        if attrs.get("momentum"):
            m_slot, i = slots[i], i + 1
            new.append(None)
        if attrs.get("centered"):
            a = slots[i] * rho + g * crho
            new.append(a)
            den = v - a * a
        inc = (lr * g) / jnp.sqrt(den + eps)
        if m_slot is None:
            return w - inc, new
        m = m_slot * mom + inc
        new[1] = m
        return w - m, new
    if op_type == "FusedApplyAdagrad":
        lr, eps = sc[0], sc[1]
        a = slots[0] + g * g
        return w - (lr * g) / jnp.sqrt(a + eps), [a]
    return _two_slot_step(op_type, w, slots, g, sc)


def _two_slot_step(op_type, w, slots, g, sc):
    """Adamax, Nadam, Lion, Ftrl and Adadelta (no flags)."""
    lr, a = sc[0], slots[0]
    if op_type == "FusedApplyAdamax":
        c1, b2, cb, eps = sc[1:5]
        m = a + (g - a) * c1
        u = jnp.maximum(slots[1] * b2, jnp.abs(g))
        return w - (lr * m) / (cb * (u + eps)), [m, u]
    if op_type == "FusedApplyNadam":
        c1, c2, mu1, p1, cmu, p0, cb2, eps = sc[1:9]
        m = a + (g - a) * c1
        v = slots[1] + (g * g - slots[1]) * c2
        m_hat = (mu1 * m) / p1 + (cmu * g) / p0
        return w - (m_hat * lr) / (jnp.sqrt(v / cb2) + eps), [m, v]
    if op_type == "FusedApplyLion":
        b1, cb1, b2, cb2 = sc[1:5]
        return w - lr * jnp.sign(a * b1 + g * cb1), [a * b2 + g * cb2]
    if op_type == "FusedApplyFtrl":
        shrink2, power, l1, l2x2 = sc[1:5]
        n = a + g * g
        pn, po = jnp.power(n, power), jnp.power(a, power)
        z = slots[1] + ((g + shrink2 * w) - ((pn - po) / lr) * w)
        return (jnp.minimum(jnp.maximum(z, -l1), l1) - z) / (pn / lr + l2x2), [n, z]
    rho, crho, eps = sc[1:4]  # FusedApplyAdadelta
    acc = rho * a + crho * (g * g)
    d = -(jnp.sqrt(slots[1] + eps) * g) / jnp.sqrt(acc + eps)
    return w + lr * d, [acc, rho * slots[1] + crho * (d * d)]


def _fused_apply(op_type):
    _, scalars, slots_of, _ = FUSED_APPLY[op_type]

    def fn(inputs, attrs):
        n, k, ns = int(attrs["n"]), len(slots_of(attrs)), len(scalars)
        sc = list(inputs[len(inputs) - ns :])
        lr, wd = sc[0], sc[-1]
        decay = attrs.get("decay") or [False] * n
        new_vars, new_slots = [], [[] for _ in range(k)]
        for v in range(n):
            w = inputs[v]
            if decay[v]:
                w = w - (w * wd) * lr
            slots = [inputs[(j + 1) * n + v] for j in range(k)]
            w, slots = _step(op_type, attrs, w, slots, inputs[(k + 1) * n + v], sc)
            new_vars.append(w)
            for j, s in enumerate(slots):
                new_slots[j].append(s)
        return new_vars + [s for group in new_slots for s in group]

    return fn


TABLE: dict = {op: _fused_apply(op) for op in FUSED_APPLY}  # op type -> fn(inputs, attrs)
