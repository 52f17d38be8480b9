"""``tf.recompute_grad``: gradients that recompute the forward pass instead of storing it.

The wrapped function runs with no tape recording its ops (so none of its intermediate values
is kept); its outputs are recorded as one op whose gradient runs the function again under a
tape of its own and takes the vector-Jacobian product there, for the tensor arguments and the
trainable variables the function reads.
"""

from __future__ import annotations

import functools

from . import _record, _tape
from ._tensor import Tensor, _op
from .nest import flatten, pack_sequence_as

__all__ = ["recompute_grad"]


def recompute_grad(f):
    """TF's ``tf.recompute_grad``: ``f`` whose gradient recomputes its forward pass."""

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        flat_args = flatten(list(args))
        inputs = [a for a in flat_args if isinstance(a, Tensor)]
        with _tape.stop_gradient_scope():
            with _tape.GradientTape() as probe:  # which variables f reads (then dropped)
                result = f(*args, **kwargs)
            outputs = [_op("Identity", [y]) for y in flatten(result)]
        variables = [v for v in probe.watched_variables() if v.trainable]
        del probe
        if _record._active:
            reads = [v._th_read() for v in variables]  # outer tapes see the reads

            def grad_fn(*dys):
                with _tape.GradientTape(watch_accessed_variables=False) as tape:
                    tape.watch(inputs)
                    tape.watch(variables)
                    again = flatten(f(*args, **kwargs))
                pairs = [(y, d) for y, d in zip(again, dys) if y.dtype.is_floating]
                return tape.gradient(
                    [y for y, _ in pairs],
                    inputs + variables,
                    output_gradients=[d for _, d in pairs],
                )

            _tape.record("CustomGradient", inputs + reads, outputs, {"grad_fn": grad_fn})
        return pack_sequence_as(result, outputs)

    return wrapper
