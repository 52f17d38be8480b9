"""Gradient rules of the rnn family: whole-sequence LSTM / GRU (``_rnn_ops``)."""

from __future__ import annotations

from .._rnn_ops import gru_composed, lstm_composed
from .._tape import GradientTape
from .._tensor import _execute
from .base import (
    MULTI_OUTPUT,
    _grad_of_composed,
    _or_zeros,
    rule,
)

# The fused backward kernels take the gradients of the outputs y, h (and c); where the saved gates
# get gradients too (a higher-order pass), and for the backward ops themselves, the rules
# differentiate the composed op-by-op copies instead.
MULTI_OUTPUT.update({"LSTMSequence", "LSTMSequenceGrad", "GRUSequence", "GRUSequenceGrad"})


def _vjp_of_composed(composed, ins, out_grads, count):
    """The gradients of ``composed(*ins)[:count]`` for ``out_grads``, on a tape of its own (so
    an outer tape records the backward pass)."""
    with GradientTape() as tape:
        for t in ins:
            tape.watch(t)
        outs = composed(*ins)
    return tape.gradient(outs[:count], list(ins), output_gradients=out_grads)


@rule("LSTMSequence")
def _lstm_sequence(x, y, attrs, dys):
    back = attrs.get("go_backwards", False)
    if dys[3] is not None or dys[4] is not None:
        g = _grad_of_composed(lambda *a: lstm_composed(*a, go_backwards=back), x, dys)
        return [*g[:6], *[None] * len(x[6:])]  # an optional mask (last input) has none
    dy, dh, dc = (_or_zeros(g, t) for g, t in zip(dys[:3], y[:3]))
    ins = [dy, dh, dc, *x[:5], y[0], y[3], y[4], x[5], *x[6:]]
    return [*_execute("LSTMSequenceGrad", ins, attrs), *[None] * len(x[6:])]


@rule("LSTMSequenceGrad")
def _lstm_sequence_grad(x, y, attrs, dys):
    back = attrs.get("go_backwards", False)

    def composed(dy, dh, dc, *ins):
        return _vjp_of_composed(lambda *a: lstm_composed(*a, go_backwards=back), ins,
                                [dy, dh, dc], 3)  # fmt: skip

    g = _grad_of_composed(composed, [*x[:8], *x[11:]], dys)
    return [*g[:8], None, None, None, g[8], *[None] * len(x[12:])]


@rule("GRUSequence")
def _gru_sequence(x, y, attrs, dys):
    kw = {"go_backwards": attrs.get("go_backwards", False),
          "reset_after": attrs.get("reset_after", True)}  # fmt: skip
    if dys[2] is not None:
        g = _grad_of_composed(lambda *a: gru_composed(*a, **kw), x, dys)
        return [*g[:5], *[None] * len(x[5:])]
    dy, dh = (_or_zeros(g, t) for g, t in zip(dys[:2], y[:2]))
    ins = [dy, dh, *x[:4], y[0], y[2], x[4], *x[5:]]
    return [*_execute("GRUSequenceGrad", ins, attrs), *[None] * len(x[5:])]


@rule("GRUSequenceGrad")
def _gru_sequence_grad(x, y, attrs, dys):
    kw = {"go_backwards": attrs.get("go_backwards", False),
          "reset_after": attrs.get("reset_after", True)}  # fmt: skip

    def composed(dy, dh, *ins):
        return _vjp_of_composed(lambda *a: gru_composed(*a, **kw), ins, [dy, dh], 2)

    g = _grad_of_composed(composed, [*x[:6], *x[8:]], dys)
    return [*g[:6], None, None, g[6], *[None] * len(x[9:])]
