"""Recurrent layers: ``RNN`` (any cell), ``SimpleRNN``, ``LSTM``, ``GRU``, ``Bidirectional``,
``TimeDistributed``.

Eagerly (or with ``unroll=True``) the time loop is a Python loop; traced it is one
``while_loop``, the outputs written into a buffer, so the number of time steps may be unknown
(a trace on ``TensorSpec([None, None, F])`` or ``Input(shape=(None, F))``); gradients flow
through both. ``LSTM`` / ``GRU`` cells with the default tanh /
sigmoid activations and no active dropout run the whole sequence as one fused op instead
(``tensorhouse_ops.nn.lstm_sequence`` / ``gru_sequence``, masks included, either kind of time
axis), with the same numbers. A masked step keeps the previous states and output (or zeros
with ``zero_output_for_mask``); ``go_backwards`` returns the steps in processing order.
"""

from __future__ import annotations

import inspect

from tensorhouse_ops import (
    Variable,
    cast,
    concat,
    convert_to_tensor,
    cumsum,
    executing_eagerly,
    reshape,
    reverse,
    shape,
    stack,
    tensor_scatter_nd_update,
    transpose,
    where,
    while_loop,
    zeros,
    zeros_like,
)
from tensorhouse_ops import bool as _bool
from tensorhouse_ops import config as _config
from tensorhouse_ops import nn as _nn
from tensorhouse_ops.nest import flatten, map_structure

from .. import activations, regularizers
from .._signatures import keras_signature
from . import _args
from ._layer import Layer
from ._rnn_cells import (
    GRU_ARGS,
    LSTM_ARGS,
    SIMPLE_RNN_ARGS,
    GRUCell,
    LSTMCell,
    SimpleRNNCell,
    StackedRNNCells,
    _GatedCell,
)
from ._wrappers import Wrapper

__all__ = ["GRU", "LSTM", "RNN", "Bidirectional", "SimpleRNN", "TimeDistributed"]


def _as_list(x):
    return list(x) if isinstance(x, list | tuple) else [x]


def _as_nested_lists(x):
    """States as (nested) lists: a single tensor becomes ``[x]``, tuples become lists."""
    if isinstance(x, list | tuple):
        return [list(v) if isinstance(v, list | tuple) else v for v in x]
    return [x]


def _at(x, t):
    return None if x is None else x[t]


def _put(buffer, t, value):
    """``buffer`` with ``buffer[t] = value``."""
    return tensor_scatter_nd_update(buffer, reshape(t, [1, 1]), value[None])


def _buffer(xs, first):
    """A time-major buffer for the outputs of ``xs``'s steps (static where its shape is known),
    ``first`` at 0."""
    axes = [(xs, 0)] + [(first, i) for i in range(first.shape.rank)]
    dims = [t.shape[i] if t.shape[i] is not None else shape(t)[i] for t, i in axes]
    return _put(zeros(dims, dtype=first.dtype), 0, first)


def _dropout_cells(cell):
    if isinstance(cell, StackedRNNCells):
        return [c for sub in cell.cells for c in _dropout_cells(sub)]
    return [cell] if isinstance(cell, _GatedCell) else []


_UNROLL_UNKNOWN_STEPS = (
    "Cannot unroll a RNN if the time dimension is undefined. \n- If using a Sequential model, "
    "specify the time dimension by passing an `Input()` as your first layer.\n- If using the "
    "functional API, specify the time dimension by passing a `shape` or `batch_shape` argument "
    "to your `Input()`."
)


class RNN(Layer):
    """Runs a cell (or a list of cells, stacked) over the time axis of ``(batch, time, ...)``."""

    def __init__(
        self,
        cell,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        zero_output_for_mask=False,
        **kwargs,
    ):
        if isinstance(cell, list | tuple):
            cell = StackedRNNCells(cell)
        if not hasattr(cell, "call"):
            raise ValueError(f"Argument `cell` should have a `call` method. Received: cell={cell}")
        if not hasattr(cell, "state_size"):
            raise ValueError(
                "The RNN cell should have a `state_size` attribute (single integer or list of "
                f"integers, one integer per RNN state). Received: cell={cell}"
            )
        self._activity_regularizer = regularizers.get(kwargs.pop("activity_regularizer", None))
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self.states = None

    @property
    def activity_regularizer(self):
        return self._activity_regularizer

    @property
    def state_size(self):
        return self.cell.state_size

    def _output_size(self):
        size = getattr(self.cell, "output_size", None)
        return size if size is not None else _as_list(self.cell.state_size)[0]

    # ---- states -------------------------------------------------------------------------
    def _state_structure(self, make):
        """The cell's states as lists (nested per cell for ``StackedRNNCells``)."""
        if isinstance(self.cell, StackedRNNCells):
            return [[make(d) for d in _as_list(c.state_size)] for c in self.cell.cells]
        return [make(d) for d in _as_list(self.cell.state_size)]

    def get_initial_state(self, batch_size):
        """Zero states for a batch of ``batch_size``."""
        return self._state_structure(lambda d: zeros((batch_size, d), dtype=self._arithmetic_dtype))

    def _zero_states(self, sequences):
        batch = sequences.shape.as_list()[0]
        if batch is not None:
            return self.get_initial_state(batch)
        base = zeros_like(sequences[:, 0, :1])  # (batch, 1) for an unknown batch size
        return self._state_structure(lambda d: base + zeros((d,), dtype=base.dtype))

    def reset_states(self):
        """Set the stateful layer's states back to zeros."""
        if self.states is not None:
            for v in flatten(self.states):
                v.assign(zeros_like(v.value()))

    reset_state = reset_states

    # ---- lifecycle ----------------------------------------------------------------------
    def build(self, sequences_shape, initial_state_shape=None):
        shape = tuple(sequences_shape)
        if len(shape) < 3:
            raise ValueError(
                f"Input 0 of layer {self.name!r} is incompatible with the layer: expected "
                f"ndim>=3, found ndim={len(shape)}. Full shape received: {shape}"
            )
        step_shape = (shape[0], *shape[2:])
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell._build_input_shape = step_shape
            self.cell.build(step_shape)
            self.cell.built = True
        if self.stateful:
            if shape[0] is None:
                raise ValueError(
                    "When using `stateful=True` in a RNN, the batch size must be static. "
                    f"Found dynamic batch size: sequence.shape={shape}"
                )
            if self.states is None:
                self.states = map_structure(
                    lambda t: Variable(t, trainable=False, name=f"{self.name}/rnn_state"),
                    self.get_initial_state(shape[0]),
                )
            else:
                self.reset_states()
        self.built = True

    def _step(self, inputs, states, training):
        if getattr(self.cell, "_training_pos", None) is not None:
            return self.cell.call(inputs, states, training=training)
        return self.cell.call(inputs, states)

    def call(self, sequences, initial_state=None, mask=None, training=None):
        dims = sequences.shape.as_list()
        if self.unroll and dims[1] is None:
            raise ValueError(_UNROLL_UNKNOWN_STEPS)
        if self.stateful and self.states is not None and dims[0] is not None:
            expected = flatten(self.states)[0].shape.as_list()[0]
            if dims[0] != expected:
                raise ValueError(
                    "If an RNN is stateful, the batch size of the input sequences must be the "
                    f"same as the batch size of the initial state. Expected batch size: "
                    f"{expected}. Received batch size: {dims[0]}"
                )
        if initial_state is None:
            if self.stateful:
                initial_state = map_structure(lambda v: v.value(), self.states)
            else:
                initial_state = self._zero_states(sequences)
        else:
            initial_state = map_structure(self._state_tensor, _as_nested_lists(initial_state))
        if mask is not None:
            mask = cast(convert_to_tensor(mask), _bool)
        fused = self._fused(sequences, initial_state, mask, training)
        if fused is not None:
            sequence_out, states = fused
            if mask is None:
                return self._finish(sequence_out, states[0], states)
            sequence_out = self._masked_outputs(sequence_out, mask)  # it repeated the states
            return self._finish(sequence_out, sequence_out[:, -1], states)
        cells = _dropout_cells(self.cell)
        for c in cells:
            c._masks = {}  # the first step draws the dropout masks; the others reuse them
        try:
            unrolled = dims[1] is not None and (self.unroll or executing_eagerly())
            loop = self._python_loop if unrolled else self._while_loop
            sequence_out, last, states = loop(sequences, initial_state, mask, training)
        finally:
            for c in cells:
                c._masks = None
        return self._finish(sequence_out, last, states)

    def _masked_step(self, inputs, mask, states, prev, training):
        """One step; where ``mask`` (batch, 1) is False the states stay and the output is the
        previous one (zeros at the first step or with ``zero_output_for_mask``)."""
        out, new = self._step(inputs, states, training)
        if not isinstance(new, list | tuple):
            new = [new]
        if mask is not None:
            new = map_structure(lambda n, s: where(mask, n, s), new, states)
            fill = zeros_like(out) if (prev is None or self.zero_output_for_mask) else prev
            out = where(mask, out, fill)
        return out, new

    def _python_loop(self, sequences, states, mask, training):
        """Eagerly or with ``unroll``: a Python loop over the steps."""
        steps = sequences.shape.as_list()[1]
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        prev, outputs = None, []
        for t in order:
            m = None if mask is None else mask[:, t : t + 1]
            prev, states = self._masked_step(sequences[:, t], m, states, prev, training)
            outputs.append(prev)
        sequence_out = stack(outputs, axis=1) if self.return_sequences else None
        return sequence_out, outputs[-1], states

    def _while_loop(self, sequences, states, mask, training):
        """Traced: the first step (which draws the dropout masks), then one ``while_loop`` over
        the others, time-major; the outputs of ``return_sequences`` go into a buffer."""
        xs = transpose(sequences, [1, 0, *range(2, sequences.shape.rank)])
        ms = None if mask is None else transpose(mask, [1, 0])[:, :, None]
        if self.go_backwards:
            xs = reverse(xs, [0])
            ms = None if ms is None else reverse(ms, [0])
        steps = shape(xs)[0]
        out, states = self._masked_step(xs[0], _at(ms, 0), states, None, training)
        buffer = [_buffer(xs, out)] if self.return_sequences else []

        def body(t, prev, states, buffer):
            out, states = self._masked_step(xs[t], _at(ms, t), states, prev, training)
            return t + 1, out, states, [_put(b, t, out) for b in buffer]

        loop_vars = [convert_to_tensor(1), out, states, buffer]
        _, out, states, buffer = while_loop(lambda t, *_: t < steps, body, loop_vars)
        sequence_out = None
        if self.return_sequences:
            sequence_out = transpose(buffer[0], [1, 0, *range(2, out.shape.rank + 1)])
        return sequence_out, out, states

    def _masked_outputs(self, states, mask):
        """The outputs of a masked run from its states (step order): zeros at masked steps
        with ``zero_output_for_mask``, else the last unmasked step's output (zeros before the
        first one), which is the state carried to there."""
        keep = reverse(mask, [1]) if self.go_backwards else mask
        if not self.zero_output_for_mask:  # any unmasked step so far
            keep = cast(cumsum(cast(keep, states.dtype), axis=1), _bool)
        return where(keep[:, :, None], states, zeros_like(states))

    def _fused(self, sequences, initial_state, mask, training):
        """``(outputs, states)`` from one fused LSTM / GRU op, or None where it does not apply
        (another cell or activation, active dropout, a dtype other than float32/64)."""
        cell = self.cell
        if type(cell) not in (LSTMCell, GRUCell) or self.unroll:
            return None
        if _gpu_present():  # the fused ops have CPU and XLA kernels only: keep GPU runs on it
            return None
        if cell.activation is not activations.tanh:
            return None
        if cell.recurrent_activation is not activations.sigmoid:
            return None
        if training and (0.0 < cell.dropout < 1.0 or 0.0 < cell.recurrent_dropout < 1.0):
            return None
        dtype = sequences.dtype
        if dtype.name not in ("float32", "float64") or cell.kernel.dtype != dtype:
            return None
        if sequences.shape.rank != 3:
            return None
        if mask is not None and mask.shape.rank != 2:
            return None
        bias = cell.bias if cell.use_bias else zeros(cell._bias_shape(), dtype=dtype)
        weights = (cell.kernel, cell.recurrent_kernel, bias)
        if type(cell) is LSTMCell:
            y, h, c = _nn.lstm_sequence(sequences, *initial_state[:2], *weights,
                                        go_backwards=self.go_backwards, mask=mask)  # fmt: skip
            return y, [h, c]
        y, h = _nn.gru_sequence(sequences, initial_state[0], *weights,
                                go_backwards=self.go_backwards,
                                reset_after=cell.reset_after, mask=mask)  # fmt: skip
        return y, [h]

    def _finish(self, sequence_out, last, states):
        """Store stateful states; the output (the sequence or the last step), states, losses."""
        if self.stateful:
            for var, value in zip(flatten(self.states), flatten(states)):
                var.assign(value)
        output = sequence_out if self.return_sequences else last
        result = (output, *states) if self.return_state else output
        if self._activity_regularizer is not None:
            for y in flatten(result):
                self.add_loss(_args.per_batch(self._activity_regularizer(y), y))
        return result

    def _state_tensor(self, s):
        s = s.value() if isinstance(s, Variable) else convert_to_tensor(s)
        return cast(s, self._arithmetic_dtype)

    def compute_mask(self, inputs, previous_mask=None):
        output_mask = previous_mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self._state_structure(lambda d: d))
        return output_mask

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        shape = tuple(sequences_shape)
        batch, out = shape[0], self._output_size()
        output = (batch, shape[1], out) if self.return_sequences else (batch, out)
        if not self.return_state:
            return output
        states = self._state_structure(lambda d: (batch, d))
        return (output, *states)

    def get_config(self):
        from . import serialize

        config = {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        }
        if type(self) is RNN:
            config["cell"] = serialize(self.cell)
        return config

    @classmethod
    def from_config(cls, config):
        from . import deserialize

        config = dict(config)
        if "cell" in config:
            config["cell"] = deserialize(config["cell"])
        return cls(**config)


_CELL_ATTRS = (
    "units", "activation", "recurrent_activation", "use_bias", "unit_forget_bias",
    "reset_after", "kernel_initializer", "recurrent_initializer", "bias_initializer",
    "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "kernel_constraint",
    "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout",
)  # fmt: skip
_RNN_ARGS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll",
             "zero_output_for_mask")  # fmt: skip
_RNN_ORDER = " ".join(_RNN_ARGS[:-1])  # Keras's signatures leave out zero_output_for_mask
_BASE_ARGS = ("name", "trainable", "dtype", "input_shape", "input_dim", "batch_size", "autocast")


class _CellLayer(RNN):
    """``SimpleRNN`` / ``LSTM`` / ``GRU``: an ``RNN`` over the matching cell, whose arguments it
    takes (Keras 3's signatures)."""

    _CELL = None
    _CELL_NAME = ""

    def __init__(self, units, **kwargs):
        kwargs.pop("use_cudnn", None)  # no cuDNN path: always the generic loop
        layer_kwargs = {k: kwargs.pop(k) for k in (*_RNN_ARGS, *_BASE_ARGS) if k in kwargs}
        activity = kwargs.pop("activity_regularizer", None)
        cell_kwargs = {k: layer_kwargs[k] for k in ("dtype", "trainable") if k in layer_kwargs}
        cell = self._CELL(units, name=self._CELL_NAME, **cell_kwargs, **kwargs)
        super().__init__(cell, activity_regularizer=activity, **layer_kwargs)

    def call(self, sequences, initial_state=None, mask=None, training=None):
        return super().call(sequences, initial_state=initial_state, mask=mask, training=training)

    def get_config(self):
        config = super().get_config()
        cell = self.cell.get_config()
        for k in ("name", "trainable", "dtype"):
            cell.pop(k)
        config.update(cell)
        config["activity_regularizer"] = _args.regularizer_config(self._activity_regularizer)
        return config


for _attr in _CELL_ATTRS:
    setattr(_CellLayer, _attr, property(lambda self, a=_attr: getattr(self.cell, a)))


def _signature(cell, cell_args, rnn_args):
    """Keras's signature of the layer over ``cell``: the cell's arguments with
    ``activity_regularizer``, then ``rnn_args``."""
    order = cell_args.format("activity_regularizer") + " " + rnn_args
    return keras_signature(cell.__init__, RNN.__init__, activity_regularizer=None,
                           use_cudnn="auto", order=order)  # fmt: skip


class SimpleRNN(_CellLayer):
    """A fully connected RNN whose output is fed back as the next step's state."""

    _CELL = SimpleRNNCell
    _CELL_NAME = "simple_rnn_cell"

    @_signature(SimpleRNNCell, SIMPLE_RNN_ARGS, f"{_RNN_ORDER} seed")
    def __init__(self, units, activation="tanh", use_bias=True, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias, **kwargs)

    def get_config(self):
        config = super().get_config()
        del config["seed"]
        return config


class LSTM(_CellLayer):
    """Long Short-Term Memory (Hochreiter 1997); states ``[h, c]``."""

    _CELL = LSTMCell
    _CELL_NAME = "lstm_cell"
    __init__ = _signature(LSTMCell, LSTM_ARGS, f"seed {_RNN_ORDER} use_cudnn")(_CellLayer.__init__)


class GRU(_CellLayer):
    """Gated Recurrent Unit (Cho et al. 2014); ``reset_after=True`` is the cuDNN-compatible
    variant."""

    _CELL = GRUCell
    _CELL_NAME = "gru_cell"
    __init__ = _signature(GRUCell, GRU_ARGS, f"seed {_RNN_ORDER} reset_after use_cudnn")(
        _CellLayer.__init__
    )


_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


def _removeprefix(name, prefix):
    return name[len(prefix) :] if name.startswith(prefix) else name


class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy backwards, merging the two outputs."""

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        from . import deserialize, serialize

        if not isinstance(layer, Layer):
            raise ValueError(
                "Please initialize `Bidirectional` layer with a `keras.layers.Layer` "
                f"instance. Received: {layer}"
            )
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(
                "`backward_layer` need to be a `keras.layers.Layer` instance. "
                f"Received: {backward_layer}"
            )
        if merge_mode not in _MERGE_MODES:
            raise ValueError(
                f"Invalid merge mode. Received: {merge_mode}. Merge mode should be one of "
                '{"sum", "mul", "ave", "concat", None}'
            )
        super().__init__(**kwargs)
        config = serialize(layer)
        config["config"]["name"] = f"forward_{_removeprefix(layer.name, 'forward_')}"
        self.forward_layer = deserialize(config)
        if backward_layer is None:
            config = serialize(layer)
            config["config"]["go_backwards"] = True
            config["config"]["name"] = f"backward_{_removeprefix(layer.name, 'backward_')}"
            backward_layer = deserialize(config)
        self.backward_layer = backward_layer
        fw, bw = self.forward_layer, self.backward_layer
        if fw.go_backwards == bw.go_backwards:
            raise ValueError(
                "Forward layer and backward layer should have different `go_backwards` value. "
                f"Received: forward_layer.go_backwards {fw.go_backwards}, "
                f"backward_layer.go_backwards={bw.go_backwards}"
            )
        for a in ("stateful", "return_sequences", "return_state"):
            if getattr(fw, a) != getattr(bw, a):
                raise ValueError(
                    "Forward layer and backward layer are expected to have the same value for "
                    f'attribute "{a}", got "{getattr(fw, a)}" for forward layer and '
                    f'"{getattr(bw, a)}" for backward layer'
                )
        for sub in (fw, bw):
            if hasattr(sub, "zero_output_for_mask"):
                sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self._initial_weights = weights
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True

    def build(self, sequences_shape, initial_state_shape=None):
        for sub in (self.forward_layer, self.backward_layer):
            if not sub.built:
                sub._build_input_shape = tuple(sequences_shape)
                sub.build(tuple(sequences_shape))
                sub.built = True
        if self._initial_weights:
            self.set_weights(self._initial_weights)
            self._initial_weights = None
        self.built = True

    def _merge(self, y, y_rev):
        if self.merge_mode == "concat":
            return concat([y, y_rev], axis=-1)
        if self.merge_mode == "sum":
            return y + y_rev
        if self.merge_mode == "ave":
            return (y + y_rev) / 2.0
        if self.merge_mode == "mul":
            return y * y_rev
        return [y, y_rev]

    def call(self, sequences, initial_state=None, mask=None, training=None):
        fw_state = bw_state = None
        if initial_state is not None:
            initial_state = _as_list(initial_state)
            half = len(initial_state) // 2
            fw_state, bw_state = initial_state[:half], initial_state[half:]
        y = self.forward_layer(sequences, initial_state=fw_state, mask=mask, training=training)
        y_rev = self.backward_layer(sequences, initial_state=bw_state, mask=mask, training=training)
        states = []
        if self.return_state:
            states = [*y[1:], *y_rev[1:]]
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = reverse(y_rev, axis=[1])
        output = self._merge(y, y_rev)
        if not self.return_state:
            return output
        return (*output, *states) if self.merge_mode is None else (output, *states)

    def reset_states(self):
        """Reset both directions' states."""
        self.forward_layer.reset_states()
        self.backward_layer.reset_states()

    reset_state = reset_states

    @property
    def states(self):
        fw, bw = self.forward_layer.states, self.backward_layer.states
        return None if fw is None else (*fw, *bw)

    def compute_mask(self, inputs, previous_mask=None):
        """Keras's: the sequences' mask for ``return_sequences`` (twice without a merge), the
        states' masks None only for a stateful layer's ``return_state``, else left out."""
        mask = previous_mask[0] if isinstance(previous_mask, list) else previous_mask
        mask = mask if self.return_sequences else None
        out = (mask,) if self.merge_mode else (mask, mask)
        if self.return_state and self.stateful:
            n = len(self.forward_layer.compute_output_shape((None, 1, 1))) - 1
            return [*out, *([None] * (2 * n))]
        return out[0] if self.merge_mode else out

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        shape = self.forward_layer.compute_output_shape(tuple(sequences_shape))
        states = ()
        if self.return_state:
            shape, states = shape[0], tuple(shape[1:])
        if self.merge_mode == "concat":
            shape = (*shape[:-1], shape[-1] * 2)
        if self.merge_mode is None:
            return (shape, shape, *states, *states) if self.return_state else [shape, shape]
        return (shape, *states, *states) if self.return_state else shape

    def get_config(self):
        from . import serialize

        return {
            **super().get_config(),
            "merge_mode": self.merge_mode,
            "layer": serialize(self.forward_layer),
            "backward_layer": serialize(self.backward_layer),
        }

    @classmethod
    def from_config(cls, config):
        from . import deserialize

        config = dict(config)
        config["layer"] = deserialize(config["layer"])
        if config.get("backward_layer") is not None:
            config["backward_layer"] = deserialize(config["backward_layer"])
        return cls(**config)


class TimeDistributed(Wrapper):
    """Applies a layer to every time step of ``(batch, time, ...)`` (step by step, as Keras)."""

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                "Please initialize `TimeDistributed` layer with a `keras.layers.Layer` "
                f"instance. Received: {layer}"
            )
        super().__init__(layer, **kwargs)
        self.supports_masking = True

    def build(self, input_shape):
        shape = tuple(input_shape)
        if len(shape) < 3:
            raise ValueError(
                "`TimeDistributed` Layer should be passed an `input_shape` with at least 3 "
                f"dimensions, received: {shape}"
            )
        if not self.layer.built:
            child = (shape[0], *shape[2:])
            self.layer._build_input_shape = child
            self.layer.build(child)
            self.layer.built = True
        self.built = True

    def call(self, inputs, training=None, mask=None):
        takes_mask = "mask" in inspect.signature(self.layer.call).parameters
        xs = transpose(inputs, [1, 0, *range(2, inputs.shape.rank)])  # time-major
        ms = None if mask is None or not takes_mask else transpose(mask, [1, 0])

        def step(t):
            kwargs = {"training": training}
            if ms is not None:
                kwargs["mask"] = ms[t]
            return self.layer(xs[t], **kwargs)

        steps = inputs.shape.as_list()[1]
        if steps is not None:
            return stack([step(t) for t in range(steps)], axis=1)
        # an unknown number of steps (traced): the steps in one while_loop, into a buffer
        first = step(0)
        steps = shape(xs)[0]

        def body(t, buffer):
            return t + 1, _put(buffer, t, step(t))

        loop_vars = [convert_to_tensor(1), _buffer(xs, first)]
        _, buffer = while_loop(lambda t, _: t < steps, body, loop_vars)
        return transpose(buffer, [1, 0, *range(2, first.shape.rank + 1)])

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        child = tuple(self.layer.compute_output_shape((shape[0], *shape[2:])))
        return (child[0], shape[1], *child[1:])

    def get_config(self):
        from . import serialize

        return {**super().get_config(), "layer": serialize(self.layer)}

    @classmethod
    def from_config(cls, config):
        from . import deserialize

        config = dict(config)
        config["layer"] = deserialize(config["layer"])
        return cls(**config)


def _gpu_present() -> bool:
    """Whether the runtime has a GPU (the fused recurrent ops have no CUDA kernel yet, so the
    step-by-step loop, whose ops do, runs there instead)."""
    return bool(_config.list_logical_devices("GPU"))
