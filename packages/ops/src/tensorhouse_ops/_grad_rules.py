"""Gradient (VJP) rules, one per differentiable op type: the table the tapes read.

The rules live in ``_grads/`` by op family (``_grads/<family>.py``, the kernels layer's family
names); this module is where the other ops modules reach the table and register rules of their
own (``_complex``, ``_signal``, ``_control_flow_grad``). Importing it hands the tapes their
rules (``_tape.GRADIENTS``, a hook rather than an import from below).
"""

from __future__ import annotations

from . import _array, _math, _tape
from ._grads import (
    MULTI_OUTPUT,
    NON_DIFFERENTIABLE,
    RULES,
    backward,
    ones_like,
    rule,
    unbroadcast,
    zeros_like,
)
from ._grads.base import _shape  # noqa: F401 - a shape argument, for _control_flow_grad

__all__ = ["RULES", "NON_DIFFERENTIABLE", "MULTI_OUTPUT", "backward", "ones_like", "zeros_like",
           "rule", "unbroadcast"]  # fmt: skip

_tape.GRADIENTS.update(
    backward=backward, ones_like=ones_like, zeros_like=zeros_like, add=_math.add, array=_array
)
