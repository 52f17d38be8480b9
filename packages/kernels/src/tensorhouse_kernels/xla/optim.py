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
    lr, eps = sc[0], sc[1]  # FusedApplyAdagrad
    a = slots[0] + g * g
    return w - (lr * g) / jnp.sqrt(a + eps), [a]


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


OPTIM_TABLE = {op: _fused_apply(op) for op in FUSED_APPLY}
