"""Fused optimizer updates: one ``FusedApply*`` kernel call updates every variable of a step.

``fused_apply`` reads the variables and their slots, runs the fused op on them with the
gradients and the step's scalars, and assigns the new values back: eagerly, the kernel runs
once and each variable takes its new buffer; traced, the op is one graph node whose outputs
the variables' ``AssignVariableOp`` nodes store (kept in order and never pruned, as every
assignment). Under ``jit_compile`` the op lowers through the XLA table.
"""

from __future__ import annotations

import contextlib

from tensorhouse_kernels import FUSED_APPLY, optim_slots

from . import _record
from ._tensor import Tensor, _execute, convert_to_tensor
from ._variables import Variable

__all__ = ["FUSED_APPLY_OPS", "fused_apply", "fused_apply_supported"]

FUSED_APPLY_OPS = tuple(FUSED_APPLY)
_FLOATS = ("float32", "float64")


def fused_apply_supported(variables) -> bool:
    """Whether ``variables`` can take a fused update: dense ``Variable``s of one dtype,
    float32 or float64, held on the CPU."""
    dtype = None
    for v in variables:
        if not isinstance(v, Variable) or type(v._value) is not Tensor:
            return False
        value = v._value
        name = value.dtype.name
        if name not in _FLOATS or (dtype is not None and name != dtype):
            return False
        dtype = name
        if getattr(value._device, "device_type", None) != "CPU":
            return False
    return dtype is not None


def fused_apply(op_type, variables, slots, gradients, scalars, decay=None, **flags):
    """One optimizer step over ``variables`` with the fused op ``op_type``.

    ``slots`` holds one list of slot variables per slot of the op (in its order, e.g. Adam's
    momentums, velocities, velocity_hats), ``gradients`` one tensor per variable, ``scalars``
    the op's scalars (learning rate first, weight decay last), ``decay`` one bool per
    variable (decoupled weight decay), ``flags`` the op's attrs (``momentum``, ``nesterov``,
    ``amsgrad``, ``centered``).
    """
    if op_type not in FUSED_APPLY:
        raise ValueError(f"fused_apply: unknown op {op_type!r}; one of {FUSED_APPLY_OPS}")
    variables = list(variables)
    n = len(variables)
    attrs = {"n": n, **{k: bool(v) for k, v in flags.items()}}
    if decay is not None:
        attrs["decay"] = tuple(bool(d) for d in decay)
    names = optim_slots(op_type, attrs)
    slots = [list(group) for group in slots]
    if len(slots) != len(names) or any(len(group) != n for group in slots):
        raise ValueError(
            f"{op_type} with {attrs} takes {len(names)} slot groups ({', '.join(names)}) of "
            f"{n} variables each; received {[len(g) for g in slots]}"
        )
    gradients = list(gradients)
    if len(gradients) != n:
        raise ValueError(f"{op_type}: {len(gradients)} gradients for {n} variables")
    if not n:
        return
    dtype = variables[0].dtype
    scalars = [convert_to_tensor(s, dtype=dtype) for s in scalars]
    targets = variables + [s for group in slots for s in group]
    # Eagerly, read, update and store under every target's lock (taken in one global order, so
    # threads never deadlock): a step of another thread cannot land in between and be lost, as
    # with the per-variable assign_sub path.
    with contextlib.ExitStack() as held, _record.stop_gradient_scope():
        for lock in sorted({id(v._lock): v._lock for v in targets}.items()):
            held.enter_context(lock[1])
        inputs = [v._th_value() for v in targets]
        inputs += [convert_to_tensor(g, dtype=dtype) for g in gradients]
        outputs = _execute(op_type, inputs + scalars, attrs)
        for var, value in zip(targets, outputs):
            var.assign(value, read_value=False)
