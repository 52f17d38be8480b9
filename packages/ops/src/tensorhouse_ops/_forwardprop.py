"""``tf.autodiff.ForwardAccumulator``: forward-mode derivatives (Jacobian-vector products).

The accumulator records the ops computed from its primals on a tape of its own while its
context is open; ``jvp(target)`` then takes the double-VJP route: the tape's VJP
``g(u) = u^T J`` is linear in ``u``, so ``J t`` is the gradient of ``<g(u), t>`` w.r.t. ``u``
(taken at ``u = 0`` by a second tape). Every op with a gradient rule has a forward derivative
this way, and the computation is itself recorded by outer tapes (forward-over-reverse and
reverse-over-forward products).
"""

from __future__ import annotations

from . import _grad_rules, _tape
from ._math import add, multiply, reduce_sum
from ._tensor import Tensor, VariableLike, convert_to_tensor
from .nest import assert_same_structure, flatten, pack_sequence_as

__all__ = ["ForwardAccumulator"]


class ForwardAccumulator:
    """TF's ``tf.autodiff.ForwardAccumulator``: JVPs of ops run on ``primals`` in its context."""

    def __init__(self, primals, tangents):
        assert_same_structure(primals, tangents)
        self._tape = _tape.GradientTape(persistent=True, watch_accessed_variables=False)
        self._primals = []
        self._tangents = []
        self._watch(primals, tangents)

    def _watch(self, primals, tangents):
        for p, t in zip(flatten(primals), flatten(tangents)):
            value = p._th_read() if isinstance(p, VariableLike) else convert_to_tensor(p)
            t = convert_to_tensor(t, dtype=value.dtype)
            if not value.dtype.is_floating:
                continue
            source = p if isinstance(p, VariableLike) else value
            self._tape.watch(source)
            self._primals.append(source)
            self._tangents.append(t)

    def __enter__(self):
        self._tape.__enter__()
        return self

    def __exit__(self, *exc):
        self._tape.__exit__(*exc)
        return False

    def jvp(self, primals, unconnected_gradients=_tape.UnconnectedGradients.NONE):
        """The Jacobian-vector product of each tensor in ``primals`` (a nest) with the
        tangents: None (or zeros) for a tensor not computed from the watched primals."""
        unconnected = _tape.UnconnectedGradients(unconnected_gradients)
        out = [self._jvp(t, unconnected) for t in flatten(primals)]
        return pack_sequence_as(primals, out)

    def _jvp(self, target, unconnected):
        t = target._th_read() if isinstance(target, VariableLike) else target
        if not isinstance(t, Tensor):
            t = convert_to_tensor(t)
        result = None
        if t.dtype.is_floating and self._primals:
            u = _grad_rules.zeros_like(t)
            with _tape.GradientTape(watch_accessed_variables=False) as outer:
                outer.watch(u)
                gs = self._tape.gradient(t, self._primals, output_gradients=u)
                dot = None
                for g, tangent in zip(gs, self._tangents):
                    if g is not None:
                        term = reduce_sum(multiply(g, tangent))
                        dot = term if dot is None else add(dot, term)
            if dot is not None:
                result = outer.gradient(dot, u)
        if result is None and unconnected is _tape.UnconnectedGradients.ZERO:
            result = _grad_rules.zeros_like(t)
        return result
