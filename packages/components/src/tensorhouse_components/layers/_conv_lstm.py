"""Convolutional LSTMs: ``ConvLSTM1D`` / ``ConvLSTM2D`` / ``ConvLSTM3D`` and their cell.

An LSTM whose input and recurrent transformations are convolutions: the states are feature
maps ``(batch, *spatial, filters)`` (channels first: ``(batch, filters, *spatial)``). The input
convolution takes ``strides``, ``padding`` and ``dilation_rate``; the recurrent one is a stride-1
``"same"`` convolution. Weights are Keras 3's: ``kernel`` ``(*kernel_size, channels,
4 * filters)``, ``recurrent_kernel`` ``(*kernel_size, filters, 4 * filters)``, ``bias``
``(4 * filters,)``, gates i, f, c, o side by side. The layers are ``RNN``s, so the time loop,
masks, states, ``go_backwards``, ``stateful`` and the traced ``while_loop`` are the RNN's.
"""

from __future__ import annotations

from tensorhouse_ops import concat, expand_dims, nn, reshape, shape, split, zeros

from . import _args as A
from . import _conv_utils as U
from ._convolutional import _conv3d, _positive
from ._rnn import _CellLayer
from ._rnn_cells import LSTMCell

__all__ = ["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"]


class ConvLSTMCell(LSTMCell):
    """One ConvLSTM step over ``(batch, *spatial, channels)`` inputs (or channels first)."""

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, **kwargs):  # fmt: skip
        super().__init__(_positive(filters, "filters"), **kwargs)
        self.rank = rank
        self.filters = filters
        self.kernel_size = A.int_tuple(kernel_size, rank, "kernel_size", allow_zero=False)
        self.strides = A.int_tuple(strides, rank, "strides", allow_zero=False)
        self.padding = padding.lower() if isinstance(padding, str) else padding
        if self.padding not in ("valid", "same"):
            raise ValueError(
                "The `padding` argument must be a list/tuple or one of {'same', 'valid'}. "
                f"Received: {padding}"
            )
        self.data_format = A.data_format(data_format)
        self.dilation_rate = A.int_tuple(dilation_rate, rank, "dilation_rate", allow_zero=False)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                "Specifying `strides > 1` is not compatible with `dilation_rate > 1`. Please "
                f"provide `strides=1` or `dilation_rate=1`. Received: strides={self.strides} "
                f"and dilation_rate={self.dilation_rate}"
            )

    def _per_gate(self):
        return 4  # Keras draws a dropout mask per gate for inputs and states alike

    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def build(self, input_shape):
        shape = self._build_shape = tuple(input_shape)
        if None in self._spatial(shape):
            raise ValueError(
                "ConvLSTM layers only support static input shapes for the spatial dimension. "
                f"Received invalid input shape: input_shape={shape}"
            )
        self.input_dim = shape[self._channel_axis()]
        if self.input_dim is None:
            raise ValueError(
                "The channel dimension of the inputs (last axis) should be defined. Found None. "
                f"Full input shape received: input_shape={shape}"
            )
        if any(d <= 0 for d in self.state_dims(shape)):
            raise ValueError(
                "Computed output size would be zero or negative. Received `inputs shape="
                f"{shape}`, `kernel shape={(*self.kernel_size, self.input_dim, self.filters)}`, "
                f"`dilation_rate={self.dilation_rate}`, `strides={self.strides}`, "
                f"`padding={self.padding}`."
            )
        n = 4 * self.filters
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, self.input_dim, n),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            name="kernel",
        )
        self.recurrent_kernel = self.add_weight(
            shape=(*self.kernel_size, self.filters, n),
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
            name="recurrent_kernel",
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(n,),
                initializer=self._bias_initializer(),
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name="bias",
            )
        self.built = True

    def _spatial(self, input_shape):
        shape = tuple(input_shape)
        return shape[2:] if self.data_format == "channels_first" else shape[1:-1]

    def state_dims(self, input_shape):
        """A state's shape for a step input of shape ``input_shape``, batch left out."""
        out = tuple(U.output_length(n, k, s, d, self.padding) for n, k, s, d in
                    zip(self._spatial(input_shape), self.kernel_size, self.strides,
                        self.dilation_rate))  # fmt: skip
        first = self.data_format == "channels_first"
        return (self.filters, *out) if first else (*out, self.filters)

    def compute_output_shape(self, input_shape, states_shape=None):
        out = (tuple(input_shape)[0], *self.state_dims(input_shape))
        return out, [out, out]

    def get_initial_state(self, batch_size=None):
        """Zero states ``[h, c]`` for a batch of ``batch_size`` (an int or a scalar tensor)."""
        dims = [batch_size, *self.state_dims(self._build_shape)]
        return [zeros(dims, dtype=self._arithmetic_dtype) for _ in range(2)]

    def _conv(self, x, kernel, strides, padding, dilations):
        """The convolution of channels-last ``x`` (1-D: a height of one) with ``kernel``."""
        if self.rank == 3:
            return _conv3d(x, kernel, strides, padding, dilations)
        if self.rank == 1:
            kernel, strides, dilations = expand_dims(kernel, 0), (1, *strides), (1, *dilations)
        return nn.conv2d(x, kernel, list(strides), padding.upper(), dilations=list(dilations))

    def _gates(self, x, kernel, masks, strides, padding, dilations):
        """All four gates' convolutions of ``x`` (channels last), each with its dropout mask."""
        if masks is None:
            pairs = [(x, kernel)]
        else:
            pairs = [(x * m, k) for m, k in zip(masks, split(kernel, 4, axis=-1))]
        fmt = self.data_format
        return concat([self._conv(U.to_nhwc(a, self.rank, fmt), k, strides, padding, dilations)
                       for a, k in pairs], -1)  # fmt: skip

    def call(self, inputs, states, training=None):
        h_prev, c_prev = states[0], states[1]
        in_masks = self._input_masks(inputs, training)
        rec_masks = self._dropout_masks(h_prev, self.recurrent_dropout, 1, training)
        ones = (1,) * self.rank
        z = self._gates(inputs, self.kernel, in_masks, self.strides, self.padding,
                        self.dilation_rate)  # fmt: skip
        z = z + self._gates(h_prev, self.recurrent_kernel, rec_masks, ones, "same", ones)
        if self.use_bias:
            z = z + self.bias
        z_i, z_f, z_c, z_o = split(z, 4, axis=-1)
        i = self.recurrent_activation(z_i)
        f = self.recurrent_activation(z_f)
        c_prev = U.to_nhwc(c_prev, self.rank, self.data_format)
        c = f * c_prev + i * self.activation(z_c)
        h = self.recurrent_activation(z_o) * self.activation(c)
        h, c = (U.from_nhwc(t, self.rank, self.data_format) for t in (h, c))
        return h, [h, c]

    def get_config(self):
        config = super().get_config()
        del config["units"]
        window = {
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
        }
        return {**window, **config}


_NOT_ARGS = ("self", "filters", "kwargs", "__class__")


class _ConvLSTM(_CellLayer):
    """An ``RNN`` over a ``ConvLSTMCell`` of rank ``_RANK``, taking the cell's arguments."""

    _RANK = 2
    _CELL_NAME = "conv_lstm_cell"

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, **kwargs):  # fmt: skip
        args = {k: v for k, v in locals().items() if k not in _NOT_ARGS}
        super().__init__(filters, **args, **kwargs)

    def _CELL(self, filters, **kwargs):  # the cell factory _CellLayer calls
        return ConvLSTMCell(self._RANK, filters, **kwargs)

    def build(self, sequences_shape, initial_state_shape=None):
        A.check_ndim(self, tuple(sequences_shape), self._RANK + 3)
        super().build(sequences_shape, initial_state_shape)

    def get_initial_state(self, batch_size):
        return self.cell.get_initial_state(batch_size)

    def _zero_states(self, sequences):
        batch = sequences.shape.as_list()[0]
        return self.get_initial_state(shape(sequences)[0] if batch is None else batch)

    def _masked_step(self, inputs, mask, states, prev, training):
        if mask is not None:  # (batch, 1) -> broadcast over the feature maps
            mask = reshape(mask, [-1] + [1] * (self._RANK + 1))
        return super()._masked_step(inputs, mask, states, prev, training)

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        dims = tuple(sequences_shape)
        batch, state = dims[0], self.cell.state_dims((dims[0], *dims[2:]))
        output = (batch, dims[1], *state) if self.return_sequences else (batch, *state)
        return (output, (batch, *state), (batch, *state)) if self.return_state else output


for _attr in ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate"):
    setattr(_ConvLSTM, _attr, property(lambda self, a=_attr: getattr(self.cell, a)))


class ConvLSTM1D(_ConvLSTM):
    """1-D convolutional LSTM over ``(batch, time, steps, channels)``."""

    _RANK = 1


class ConvLSTM2D(_ConvLSTM):
    """2-D convolutional LSTM over ``(batch, time, rows, cols, channels)``."""

    _RANK = 2


class ConvLSTM3D(_ConvLSTM):
    """3-D convolutional LSTM over ``(batch, time, depth, rows, cols, channels)``."""

    _RANK = 3
