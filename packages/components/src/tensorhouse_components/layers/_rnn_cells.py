"""Recurrent cells: ``SimpleRNNCell``, ``LSTMCell``, ``GRUCell``, ``StackedRNNCells``.

A cell computes one time step: ``call(inputs, states, training=None)`` returns
``(output, new_states)``. Weights are Keras 3's: ``kernel`` (input -> gates), ``recurrent_kernel``
(state -> gates) and ``bias``, gates side by side (LSTM: i, f, c, o; GRU: z, r, h).
Dropout masks are drawn once per ``RNN`` call and reused at every step (Keras's rule).
"""

from __future__ import annotations

from tensorhouse_ops import (
    cast,
    concat,
    convert_to_tensor,
    math,
    matmul,
    ones,
    random,
    split,
    unstack,
)

from .. import activations, constraints, initializers, regularizers
from .._signatures import keras_signature
from . import _args
from ._layer import Layer

__all__ = ["GRUCell", "LSTMCell", "SimpleRNNCell", "StackedRNNCells"]


# Keras 3's constructor signatures (``keras_signature``'s ``order``), in parts
_INITS = "use_bias kernel_initializer recurrent_initializer bias_initializer"
_REGS = "kernel_regularizer recurrent_regularizer bias_regularizer"
_TAIL = "kernel_constraint recurrent_constraint bias_constraint dropout recurrent_dropout"
SIMPLE_RNN_ARGS = f"units activation {_INITS} {_REGS} {{}} {_TAIL}"
LSTM_ARGS = f"units activation recurrent_activation {_INITS} unit_forget_bias {_REGS} {{}} {_TAIL}"
GRU_ARGS = f"units activation recurrent_activation {_INITS} {_REGS} {{}} {_TAIL}"


def _check_units(units):
    if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
        raise ValueError(
            "Received an invalid value for argument `units`, expected a positive integer, "
            f"got {units}."
        )
    return units


def _clip_rate(rate):
    return min(1.0, max(0.0, float(rate)))


class _GatedCell(Layer):
    """The shared part of the three cells: arguments, weights, dropout masks, config."""

    _GATES = 1
    _DEFAULT_NAME = "cell"

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        units = _check_units(units)
        super().__init__(**kwargs)
        self.units = units
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = _args.initializer(kernel_initializer)
        self.recurrent_initializer = _args.initializer(recurrent_initializer)
        self.bias_initializer = _args.initializer(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = _clip_rate(dropout)
        self.recurrent_dropout = _clip_rate(recurrent_dropout)
        self.seed = seed
        self._draws = 0
        self._masks = None  # a dict while an RNN call caches the masks, else None
        self.kernel = self.recurrent_kernel = self.bias = None

    @property
    def state_size(self):
        return self.units

    @property
    def output_size(self):
        return self.units

    def _bias_shape(self):
        return (self._GATES * self.units,)

    def _bias_initializer(self):
        return self.bias_initializer

    def build(self, input_shape):
        input_dim = input_shape[-1]
        n = self._GATES * self.units
        self.kernel = self.add_weight(
            shape=(input_dim, n),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            name="kernel",
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, n),
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
            name="recurrent_kernel",
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=self._bias_shape(),
                initializer=self._bias_initializer(),
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name="bias",
            )
        self.built = True

    # ---- dropout ------------------------------------------------------------------------
    def _per_gate(self):
        """LSTM / GRU draw one mask per gate when ``recurrent_dropout`` is set (Keras's
        implementation 1); otherwise one mask."""
        return self._GATES if (self._GATES > 1 and self.recurrent_dropout != 0.0) else 1

    def _dropout_masks(self, like, rate, key, training):
        """The masks (a list, one per gate or one) for ``like``, or None when not dropping."""
        if not training or not 0.0 < rate < 1.0:
            return None
        if self._masks is not None and key in self._masks:
            return self._masks[key]
        out = []
        for _ in range(self._per_gate()):
            seed = None if self.seed is None else self.seed + self._draws
            self._draws += 1
            u = random.uniform(_args.dynamic_shape(like), dtype=like.dtype, seed=seed)
            out.append(cast(math.greater_equal(u, rate), like.dtype) / (1.0 - rate))
        if self._masks is not None:
            self._masks[key] = out
        return out

    def _input_masks(self, inputs, training):
        return self._dropout_masks(inputs, self.dropout, 0, training)

    def _project(self, inputs, weight, masks):
        """``inputs @ weight``; with per-gate masks, each gate's columns see their own mask."""
        if masks is None:
            return matmul(inputs, weight)
        if len(masks) == 1:
            return matmul(inputs * masks[0], weight)
        parts = split(weight, len(masks), axis=1)
        return concat([matmul(inputs * m, w) for m, w in zip(masks, parts)], axis=1)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": _args.regularizer_config(self.kernel_regularizer),
            "recurrent_regularizer": _args.regularizer_config(self.recurrent_regularizer),
            "bias_regularizer": _args.regularizer_config(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


def _first(states):
    return states[0] if isinstance(states, list | tuple) else states


class SimpleRNNCell(_GatedCell):
    """``h = activation(x @ kernel + h_prev @ recurrent_kernel + bias)``."""

    @keras_signature(_GatedCell.__init__, order=SIMPLE_RNN_ARGS.format("") + " seed")
    def __init__(self, units, activation="tanh", use_bias=True, **kwargs):
        if "recurrent_activation" in kwargs:
            raise TypeError(
                "Unrecognized keyword arguments passed to SimpleRNNCell: "
                f"{{'recurrent_activation': {kwargs['recurrent_activation']!r}}}"
            )
        super().__init__(units, activation=activation, use_bias=use_bias, **kwargs)

    def call(self, inputs, states, training=None):
        h_prev = _first(states)
        h = self._project(inputs, self.kernel, self._input_masks(inputs, training))
        if self.use_bias:
            h = h + self.bias
        rec = self._dropout_masks(h_prev, self.recurrent_dropout, 1, training)
        output = self.activation(h + self._project(h_prev, self.recurrent_kernel, rec))
        return output, ([output] if isinstance(states, list | tuple) else output)

    def get_config(self):
        config = super().get_config()
        del config["recurrent_activation"]
        return config


class LSTMCell(_GatedCell):
    """One LSTM step; gates i, f, c, o side by side in the weights."""

    _GATES = 4

    @keras_signature(_GatedCell.__init__, order=LSTM_ARGS.format("") + " seed")
    def __init__(self, units, unit_forget_bias=True, **kwargs):
        super().__init__(units, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    @property
    def state_size(self):
        return [self.units, self.units]

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        init, u = self.bias_initializer, self.units

        def forget_bias_ones(shape, dtype=None):
            parts = [init((u,), dtype=dtype), ones((u,), dtype=dtype), init((2 * u,), dtype=dtype)]
            return concat([convert_to_tensor(p, dtype=dtype) for p in parts], axis=0)

        return forget_bias_ones

    def call(self, inputs, states, training=None):
        h_prev, c_prev = states[0], states[1]
        z = self._project(inputs, self.kernel, self._input_masks(inputs, training))
        rec = self._dropout_masks(h_prev, self.recurrent_dropout, 1, training)
        z = z + self._project(h_prev, self.recurrent_kernel, rec)
        if self.use_bias:
            z = z + self.bias
        z_i, z_f, z_c, z_o = split(z, 4, axis=1)
        i = self.recurrent_activation(z_i)
        f = self.recurrent_activation(z_f)
        c = f * c_prev + i * self.activation(z_c)
        o = self.recurrent_activation(z_o)
        h = o * self.activation(c)
        return h, [h, c]

    def get_config(self):
        config = super().get_config()
        config["unit_forget_bias"] = self.unit_forget_bias
        return config


class GRUCell(_GatedCell):
    """One GRU step; gates z, r, h side by side. ``reset_after=True`` (the default) applies the
    reset gate after the recurrent matmul and keeps separate input and recurrent biases
    (bias of shape ``(2, 3 * units)``)."""

    _GATES = 3

    @keras_signature(_GatedCell.__init__, order=GRU_ARGS.format("") + " reset_after seed")
    def __init__(self, units, reset_after=True, **kwargs):
        super().__init__(units, **kwargs)
        self.reset_after = bool(reset_after)

    def _bias_shape(self):
        n = 3 * self.units
        return (2, n) if self.reset_after else (n,)

    def call(self, inputs, states, training=None):
        h_prev = _first(states)
        in_bias = rec_bias = None
        if self.use_bias and self.reset_after:
            in_bias, rec_bias = unstack(self.bias, axis=0)  # (eager v[0] is not taped)
        elif self.use_bias:
            in_bias = self.bias
        x = self._project(inputs, self.kernel, self._input_masks(inputs, training))
        if in_bias is not None:
            x = x + in_bias
        x_z, x_r, x_h = split(x, 3, axis=1)
        rec = self._dropout_masks(h_prev, self.recurrent_dropout, 1, training)
        rec = [None, None, None] if rec is None else (rec * 3 if len(rec) == 1 else rec)
        k_z, k_r, k_h = split(self.recurrent_kernel, 3, axis=1)
        hz, hr, hh_in = (h_prev if m is None else h_prev * m for m in rec)
        r_z, r_r = matmul(hz, k_z), matmul(hr, k_r)
        if self.reset_after:
            r_h = matmul(hh_in, k_h)
            if rec_bias is not None:
                b_z, b_r, b_h = split(rec_bias, 3, axis=0)
                r_z, r_r, r_h = r_z + b_z, r_r + b_r, r_h + b_h
        z = self.recurrent_activation(x_z + r_z)
        r = self.recurrent_activation(x_r + r_r)
        r_h = r * r_h if self.reset_after else matmul(r * hh_in, k_h)
        candidate = self.activation(x_h + r_h)
        h = z * h_prev + (1.0 - z) * candidate
        return h, ([h] if isinstance(states, list | tuple) else h)

    def get_config(self):
        config = super().get_config()
        config["reset_after"] = self.reset_after
        return config


class StackedRNNCells(Layer):
    """Several cells run one after the other at each step; each keeps its own states."""

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        for cell in cells:
            if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
                raise ValueError(
                    "All cells must have a `call` method and a `state_size` attribute. "
                    f"Received cells={cells}"
                )
        self.cells = list(cells)

    @property
    def state_size(self):
        return [c.state_size for c in self.cells]

    @property
    def output_size(self):
        last = self.cells[-1]
        return getattr(last, "output_size", _first(last.state_size))

    def build(self, input_shape):
        shape = tuple(input_shape)
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell._build_input_shape = shape
                cell.build(shape)
                cell.built = True
            shape = (*shape[:-1], cell.output_size)
        self.built = True

    def call(self, inputs, states, training=None):
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            listed = cell_states if isinstance(cell_states, list | tuple) else [cell_states]
            inputs, new = cell.call(inputs, list(listed), training=training)
            new_states.append(new if isinstance(new, list | tuple) else [new])
        return inputs, new_states

    def get_config(self):
        from . import serialize

        return {**super().get_config(), "cells": [serialize(c) for c in self.cells]}

    @classmethod
    def from_config(cls, config):
        from . import deserialize

        config = dict(config)
        cells = [deserialize(c) for c in config.pop("cells")]
        return cls(cells, **config)
