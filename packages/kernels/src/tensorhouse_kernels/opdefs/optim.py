"""Fused optimizer updates: one op updates all the variables of a step (``FusedApply*``).

Inputs are groups of ``n`` tensors (attr ``n``): the variables, then each slot group, then the
gradients, then the scalars (0-d, the variables' dtype). Outputs are the new variables and the
new slots, in groups of ``n``. Attr ``decay`` (``n`` bools, optional) marks the variables that
take decoupled weight decay (``w -= w * wd * lr``, the last scalar ``wd``) before the update.
"""

from __future__ import annotations

from ..runtime import errors
from ._base import FLOAT, OpDef, _fmt, _register, _same_dtypes

__all__ = ["FUSED_APPLY", "optim_slots"]


def _sgd_slots(attrs):
    return ["momentum"] if attrs.get("momentum") else []


def _adam_slots(attrs):
    return ["momentum", "velocity"] + (["velocity_hat"] if attrs.get("amsgrad") else [])


def _rmsprop_slots(attrs):
    slots = ["velocity"]
    if attrs.get("momentum"):
        slots.append("momentum")
    if attrs.get("centered"):
        slots.append("average_gradient")
    return slots


def _fixed(*names):
    return lambda attrs: list(names)


def _flags(first, second):
    """The kernel's flag bits: attr ``first`` is bit 0, ``second`` bit 1."""
    return lambda a: int(bool(a.get(first))) | 2 * int(bool(second and a.get(second)))


# op type -> (kernel kind, scalar names, slots(attrs), flags(attrs))
FUSED_APPLY = {
    "FusedApplySGD": (0, ("lr", "momentum", "wd"), _sgd_slots, _flags("momentum", "nesterov")),
    "FusedApplyAdam": (1, ("lr", "alpha", "one_minus_beta_1", "one_minus_beta_2", "epsilon", "wd"),
                       _adam_slots, _flags("amsgrad", None)),
    "FusedApplyRMSProp": (2, ("lr", "rho", "one_minus_rho", "epsilon", "momentum", "wd"),
                          _rmsprop_slots, _flags("momentum", "centered")),
    "FusedApplyAdagrad": (3, ("lr", "epsilon", "wd"), _fixed("accumulator"), _flags(None, None)),
    "FusedApplyAdamax": (4, ("lr", "one_minus_beta_1", "beta_2", "one_minus_beta_1_power",
                             "epsilon", "wd"), _fixed("momentum", "norm"), _flags(None, None)),
    "FusedApplyNadam": (5, ("lr", "one_minus_beta_1", "one_minus_beta_2", "mu_next",
                            "one_minus_product_next", "one_minus_mu", "one_minus_product",
                            "one_minus_beta_2_power", "epsilon", "wd"),
                        _fixed("momentum", "velocity"), _flags(None, None)),
    "FusedApplyLion": (6, ("lr", "beta_1", "one_minus_beta_1", "beta_2", "one_minus_beta_2",
                           "wd"), _fixed("momentum"), _flags(None, None)),
    "FusedApplyFtrl": (7, ("lr", "two_l2_shrinkage", "power", "l1", "two_l2", "wd"),
                       _fixed("accumulator", "linear"), _flags(None, None)),
    "FusedApplyAdadelta": (8, ("lr", "rho", "one_minus_rho", "epsilon", "wd"),
                           _fixed("accumulated_grad", "accumulated_delta_var"), _flags(None, None)),
}  # fmt: skip


def optim_slots(op_type, attrs) -> list:
    """The slot names of ``op_type`` with ``attrs``, in input order."""
    return FUSED_APPLY[op_type][2](attrs)


def _infer(op):
    _, scalars, slots_of, _ = FUSED_APPLY[op]

    def infer(shapes, dts, attrs):
        n = int(attrs["n"])
        k = len(slots_of(attrs))
        want = (k + 2) * n + len(scalars)
        if len(shapes) != want:
            raise errors.InvalidArgumentError(
                f"{op} expects {want} inputs for {n} variables, got {len(shapes)} [Op:{op}]"
            )
        decay = attrs.get("decay")
        if decay is not None and len(decay) != n:
            raise errors.InvalidArgumentError(
                f"{op}: attr decay has {len(decay)} entries for {n} variables [Op:{op}]"
            )
        dt = _same_dtypes(op, dts)
        if dt not in FLOAT:
            raise errors.InvalidArgumentError(
                f"{op} takes float32 or float64 variables, got {dt.name} [Op:{op}]"
            )
        for v in range(n):
            for j in range(1, k + 2):
                s = shapes[j * n + v]
                if tuple(s) != tuple(shapes[v]):
                    raise errors.InvalidArgumentError(
                        f"{op}: input {j * n + v} has shape {_fmt(s)}, variable {v} has "
                        f"{_fmt(shapes[v])} [Op:{op}]"
                    )
        for name, s in zip(scalars, shapes[(k + 2) * n :]):
            if len(s) != 0:
                raise errors.InvalidArgumentError(
                    f"{op}: scalar {name} must be 0-d, got shape {_fmt(s)} [Op:{op}]"
                )
        return [(tuple(shapes[i % n]), dt) for i in range((k + 1) * n)]

    return infer


for _op in FUSED_APPLY:
    _register(OpDef(_op, None, _infer(_op), FLOAT, doc="attrs: n, decay, the optimizer's flags"))
