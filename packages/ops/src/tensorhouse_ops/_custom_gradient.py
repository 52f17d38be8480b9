"""TF's ``tf.custom_gradient``: a user's gradient function recorded in place of ``f``'s ops."""

from __future__ import annotations

import functools

from . import _record, _tensor
from ._graph import GraphTensor, current_graph
from ._record import record, stop_gradient_scope
from ._tensor import Tensor, VariableLike
from .nest import flatten as _flatten
from .nest import pack_sequence_as

__all__ = ["custom_gradient"]


def custom_gradient(f=None):
    """TF's ``tf.custom_gradient`` decorator: ``f(*x)`` returns ``(y, grad_fn)`` and the tapes
    use ``grad_fn(dy)`` (one gradient per tensor argument) instead of ``f``'s own ops.

    Inside a traced ``tf.function``, ``f``'s ops are traced as usual and its outputs pass
    through ``Identity`` nodes that remember the call; when a recording tape runs the function
    (op by op, so that it sees every op), those nodes call ``f`` again eagerly on the call's
    actual tensors, so that ``grad_fn`` closes over real values and the tape records it.
    """
    if f is None:
        return custom_gradient

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        if _tensor._tracing and current_graph() is not None:
            return _traced_custom_gradient(wrapper, f, args, kwargs)
        inputs = _tensor_args(args)
        with stop_gradient_scope():
            result, grad_fn = f(*args, **kwargs)
            flat = _flatten(result)
            outputs = [_tensor._op("Identity", [y]) for y in flat]
        if _record._active:
            record("CustomGradient", inputs, outputs, {"grad_fn": grad_fn})
        return pack_sequence_as(result, outputs)

    return wrapper


def _tensor_args(args):
    """The tensors among ``args`` (variables read), in flat order: a custom gradient's inputs."""
    return [
        a._th_read() if isinstance(a, VariableLike) else a
        for a in _flatten(list(args))
        if isinstance(a, Tensor) or isinstance(a, VariableLike)
    ]


class CustomGradientCall:
    """A ``custom_gradient`` call traced into a graph: ``replay`` redoes it eagerly."""

    def __init__(self, wrapper, args, kwargs):
        self.wrapper = wrapper
        self.args = args  # as the trace saw them: symbolic tensors, variables, Python values
        self.kwargs = kwargs

    def call_eagerly(self, symbolic_to_eager):
        """The call's outputs (flat), run eagerly with each symbolic tensor replaced."""

        def swap(x):
            return symbolic_to_eager(x) if isinstance(x, GraphTensor) else x

        args = pack_sequence_as(self.args, [swap(x) for x in _flatten(list(self.args))])
        return _flatten(self.wrapper(*args, **self.kwargs))


def _traced_custom_gradient(wrapper, f, args, kwargs):
    inputs = _tensor_args(args)
    with stop_gradient_scope():  # the forward ops go into the graph as traced
        result, grad_fn = f(*args, **kwargs)
        call = CustomGradientCall(wrapper, args, kwargs)
        outputs = [
            _tensor._op("Identity", [y], {"custom_gradient": call, "index": i})
            for i, y in enumerate(_flatten(result))
        ]
    if _record._active:  # a tape inside the traced function: grad_fn's ops join the graph
        record("CustomGradient", inputs, outputs, {"grad_fn": grad_fn})
    return pack_sequence_as(result, outputs)
