"""Core layers: ``Dense``, ``Activation``, ``Dropout``, ``Flatten``."""

from __future__ import annotations

import math as _pymath

from tensorhouse_ops import cast, math, matmul, random, reshape, transpose, where, zeros_like

from .. import activations, constraints, initializers, regularizers
from ._args import data_format as _data_format
from ._args import dynamic_shape, prod, unsupported
from ._layer import Layer

__all__ = ["Activation", "Dense", "Dropout", "Flatten"]


def _serialize_or_none(module, obj):
    return None if obj is None else module.serialize(obj)


class Dense(Layer):
    """``activation(inputs @ kernel + bias)``, kernel of shape ``(input_dim, units)``.

    Inputs of rank other than 2 are reshaped to 2-D for the matmul and back, so the last axis
    is the one contracted (Keras's rule).
    """

    supports_masking = True

    def __init__(
        self,
        units,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        lora_rank=None,
        lora_alpha=None,
        quantization_config=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        unsupported(self, lora_rank=lora_rank, lora_alpha=lora_alpha,
                    quantization_config=quantization_config)  # fmt: skip
        if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
            raise ValueError(
                "Received an invalid value for `units`, expected a positive integer. "
                f"Received: units={units!r}"
            )
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.kernel = None
        self.bias = None

    def build(self, input_shape):
        input_dim = input_shape[-1] if input_shape else None
        if input_dim is None:
            raise ValueError(
                f"Dense layer {self.name!r} needs a known last input dimension to build. "
                f"Received: input_shape={input_shape}"
            )
        self.kernel = self.add_weight(
            shape=(input_dim, self.units),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            name="kernel",
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.units,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name="bias",
            )
        self.built = True

    def call(self, inputs):
        if not inputs.dtype.is_floating:  # integer features: no implicit promotion in ops
            inputs = cast(inputs, self._arithmetic_dtype)
        if inputs.ndim == 2:
            outputs = matmul(inputs, self.kernel)
        else:
            dims = dynamic_shape(inputs)
            flat = reshape(inputs, [prod(dims[:-1]), dims[-1]])
            outputs = reshape(matmul(flat, self.kernel), [*dims[:-1], self.units])
        if self.use_bias:
            outputs = outputs + self.bias
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape)[:-1], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": _serialize_or_none(regularizers, self.kernel_regularizer),
            "bias_regularizer": _serialize_or_none(regularizers, self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }


class Activation(Layer):
    """Applies an activation function: ``Activation("relu")``."""

    supports_masking = True

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Dropout(Layer):
    """Zeroes a fraction ``rate`` of the inputs while training, scaling the rest by 1/(1-rate)."""

    supports_masking = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError(
                f"Invalid value received for argument `rate`. Expected a float value between "
                f"0 and 1. Received: rate={rate}"
            )
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self._calls = 0

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return inputs * 0.0
        dims = dynamic_shape(inputs)
        if self.noise_shape is not None:
            dims = [s if n is None else n for s, n in zip(dims, self.noise_shape)]
        seed = None if self.seed is None else self.seed + self._calls
        self._calls += 1
        u = random.uniform(dims, dtype=inputs.dtype, seed=seed)
        keep = math.greater_equal(u, self.rate)  # a select: a dropped inf or nan becomes 0
        return where(keep, inputs / (1.0 - self.rate), zeros_like(inputs))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        noise = None if self.noise_shape is None else list(self.noise_shape)
        return {**super().get_config(), "rate": self.rate, "noise_shape": noise, "seed": self.seed}


class Flatten(Layer):
    """Flattens every axis but the batch axis: ``(batch, a, b) -> (batch, a * b)``; with
    ``data_format="channels_first"`` the channels axis moves last first."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _data_format(data_format)

    def call(self, inputs):
        rank = len(inputs.shape)
        if self.data_format == "channels_first" and rank > 2:
            inputs = transpose(inputs, [0, *range(2, rank), 1])
        dims = dynamic_shape(inputs)
        return reshape(inputs, [dims[0], prod(dims[1:])] if dims else [1])

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}

    def compute_output_shape(self, input_shape):
        rest = tuple(input_shape)[1:]
        n = None if any(d is None for d in rest) else _pymath.prod(rest)
        return (input_shape[0], n)
