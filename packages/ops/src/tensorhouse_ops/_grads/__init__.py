"""Gradient (VJP) rules, one per differentiable op type, written in ops, split by op family.

``base`` holds the table (``RULES``) and what the families share; each family module
(``elementwise``, ``reduce``, ``array``, ``indexing``, ``segment``, ``linalg``, ``nn``,
``rnn``, ``image``: the family names the kernels layer uses) registers its ops' rules with
``@rule`` when imported. The rules of ``If`` / ``While`` are ``_control_flow_grad``'s; complex
numbers and FFTs register theirs in ``_complex`` / ``_signal``; random ops have none
(non-differentiable).
"""

from . import array, elementwise, image, indexing, linalg, nn, reduce, segment  # noqa: F401
from .base import (
    MULTI_OUTPUT,
    NON_DIFFERENTIABLE,
    RULES,
    backward,
    ones_like,
    rule,
    unbroadcast,
    zeros_like,
)

__all__ = ["RULES", "NON_DIFFERENTIABLE", "MULTI_OUTPUT", "backward", "ones_like", "zeros_like",
           "rule", "unbroadcast"]  # fmt: skip
