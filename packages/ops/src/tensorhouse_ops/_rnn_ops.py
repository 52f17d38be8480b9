"""Whole-sequence LSTM and GRU (the fused ``LSTMSequence`` / ``GRUSequence`` kernels).

Keras's formulas and gate order (LSTM: i, f, c, o; GRU: z, r, h), tanh / sigmoid activations.
The outputs come in processing order (reversed time with ``go_backwards``). With a ``mask``
[batch, time] a row's states carry over its masked steps, and its output there repeats the
state (Keras's layers then mask the outputs: zeros, or the last unmasked one). ``*_composed``
compute the same outputs op by op: the gradient rules differentiate them where the fused
backward kernels do not apply (gradients of the saved gates, and higher orders).
"""

from __future__ import annotations

from . import _array as A
from . import _math as M
from ._tensor import _execute, convert_to_tensor

__all__ = ["gru_sequence", "lstm_sequence"]


def _tensors(x, *rest):
    x = convert_to_tensor(x)
    return [x] + [convert_to_tensor(t, x.dtype) for t in rest]


def _ranked(ts, ranks):
    """``ts`` with an unknown rank (while tracing) given the op's: each reshaped to its own
    dims, read at run time."""
    return [A.reshape(t, [(t, i) for i in range(r)]) if t.ndim == -1 else t
            for t, r in zip(ts, ranks)]  # fmt: skip


def _mask(mask, x):
    """The mask [batch, time] as 0 / 1 in x's dtype: the ops' last input; none without one."""
    if mask is None:
        return []
    return [M.cast(M.cast(convert_to_tensor(mask), "bool"), x.dtype)]


def lstm_sequence(x, h0, c0, kernel, recurrent_kernel, bias, go_backwards=False, mask=None):
    """Keras's LSTM over ``x`` [batch, time, features]: ``(outputs, h, c)``."""
    ins = _tensors(x, h0, c0, kernel, recurrent_kernel, bias)
    ins = _ranked(ins + _mask(mask, ins[0]), (3, 2, 2, 2, 2, 1, 2))
    y, h, c, _, _ = _execute("LSTMSequence", ins, {"go_backwards": bool(go_backwards)})
    return y, h, c


def gru_sequence(
    x, h0, kernel, recurrent_kernel, bias, go_backwards=False, reset_after=True, mask=None
):
    """Keras's GRU over ``x`` [batch, time, features]: ``(outputs, h)``; ``bias`` is
    ``[2, 3 * units]`` (input, recurrent) with ``reset_after``, else ``[3 * units]``."""
    ins = _tensors(x, h0, kernel, recurrent_kernel, bias)
    ins = _ranked(ins + _mask(mask, ins[0]), (3, 2, 2, 2, 2 if reset_after else 1, 2))
    attrs = {"go_backwards": bool(go_backwards), "reset_after": bool(reset_after)}
    y, h, _ = _execute("GRUSequence", ins, attrs)
    return y, h


def _order(x, go_backwards):
    steps = x.shape.as_list()[1]
    return range(steps - 1, -1, -1) if go_backwards else range(steps)


def _keep(mask, t, new, old):
    """``new`` where step ``t`` is not masked, else ``old`` (no mask: ``new``)."""
    if mask is None:
        return new
    m = mask[:, t : t + 1]
    return m * new + (1.0 - m) * old


def lstm_composed(x, h0, c0, kernel, recurrent_kernel, bias, mask=None, go_backwards=False):
    """``LSTMSequence``'s outputs ``[y, h, c, gates, cs]`` op by op."""
    h, c, ys, gates, cs = h0, c0, [], [], []
    for t in _order(x, go_backwards):
        z = (M.matmul(x[:, t], kernel) + M.matmul(h, recurrent_kernel)) + bias
        z_i, z_f, z_g, z_o = A.split(z, 4, axis=1)
        i, f, g, o = M.sigmoid(z_i), M.sigmoid(z_f), M.tanh(z_g), M.sigmoid(z_o)
        c_new = f * c + i * g
        h_new = o * M.tanh(c_new)
        c, h = _keep(mask, t, c_new, c), _keep(mask, t, h_new, h)
        ys.append(h)
        gates.append(A.concat([i, f, g, o], axis=1))
        cs.append(c)
    return [A.stack(ys, axis=1), h, c, A.stack(gates), A.stack(cs)]


def gru_composed(
    x, h0, kernel, recurrent_kernel, bias, mask=None, go_backwards=False, reset_after=True
):
    """``GRUSequence``'s outputs ``[y, h, saved]`` op by op."""
    units = h0.shape.as_list()[-1]
    b_in, b_rec = A.unstack(bias) if reset_after else (bias, None)
    k_zr, k_h = A.split(recurrent_kernel, [2 * units, units], axis=1)
    h, ys, saved = h0, [], []
    for t in _order(x, go_backwards):
        x_z, x_r, x_h = A.split(M.matmul(x[:, t], kernel) + b_in, 3, axis=1)
        if reset_after:
            r_z, r_r, r_h = A.split(M.matmul(h, recurrent_kernel) + b_rec, 3, axis=1)
        else:
            r_z, r_r = A.split(M.matmul(h, k_zr), 2, axis=1)
        z, r = M.sigmoid(x_z + r_z), M.sigmoid(x_r + r_r)
        if reset_after:
            hh = M.tanh(x_h + r * r_h)
        else:
            hh, r_h = M.tanh(x_h + M.matmul(r * h, k_h)), h * 0.0
        h = _keep(mask, t, z * h + (1.0 - z) * hh, h)
        ys.append(h)
        saved.append(A.concat([z, r, hh, r_h], axis=1))
    return [A.stack(ys, axis=1), h, A.stack(saved)]
