"""Layers around other layers: the ``Wrapper`` base, ``SpectralNormalization`` (a kernel
divided by its largest singular value, estimated by power iteration) and
``ReversibleEmbedding`` (an embedding that also maps vectors back to logits over ids)."""

from __future__ import annotations

import tensorhouse_ops as tops

from .. import initializers
from .._masks import set_keras_mask
from . import _conv_utils as U
from ._core_extra import Embedding
from ._input import KerasTensor
from ._input_spec import InputSpec
from ._layer import Layer

__all__ = ["ReversibleEmbedding", "SpectralNormalization", "Wrapper"]


class Wrapper(Layer):
    """The base of layers that hold one ``layer`` (serialized in their config) and build it."""

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Layer {layer} supplied to Wrapper isn't a supported layer type. Please ensure "
                "wrapped layer is a valid Keras layer."
            )
        kwargs["name"] = kwargs.get("name") or U.default_name(type(self))
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer._build_input_shape = input_shape
            self.layer.build(input_shape)
            self.layer.built = True
        self.built = True

    def get_config(self):
        from . import serialize

        return {**super().get_config(), "layer": serialize(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from . import deserialize

        config = dict(config)
        return cls(deserialize(config.pop("layer"), custom_objects), **config)


def _unit(x):
    """``x`` over its L2 norm (at least Keras's epsilon), as ``keras.utils.normalize``."""
    return x / tops.maximum(tops.sqrt(tops.reduce_sum(x * x)), tops.cast(1e-7, x.dtype))


class SpectralNormalization(Wrapper):
    """Keras's ``SpectralNormalization``: in training, each call runs ``power_iterations``
    steps of power iteration from ``vector_u`` and divides the wrapped layer's ``kernel`` (or
    ``embeddings``) by the estimated largest singular value, in place."""

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if power_iterations <= 0:
            raise ValueError(
                "`power_iterations` should be greater than zero. Received: "
                f"`power_iterations={power_iterations}`"
            )
        self.power_iterations = power_iterations

    def build(self, input_shape):
        super().build(input_shape)
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_shape[-1]})
        kernel = getattr(self.layer, "kernel", None)
        kernel = getattr(self.layer, "embeddings", None) if kernel is None else kernel
        if kernel is None:
            raise ValueError(
                f"{type(self.layer).__name__} object has no attribute 'kernel' nor 'embeddings'"
            )
        self.kernel = kernel
        self._own_weights.append(kernel)  # Keras tracks it as this layer's weight too
        self.kernel_shape = tuple(kernel.shape.as_list())
        self.vector_u = self.add_weight(
            shape=(1, self.kernel_shape[-1]),
            initializer=initializers.TruncatedNormal(stddev=0.02),
            trainable=False,
            name="vector_u",
            dtype=kernel.dtype,
        )

    def call(self, inputs, training=False):
        if training:
            u, kernel = self.vector_u.value(), self.kernel.value()
            new_u, new_kernel = self.normalized_weights()
            zero = tops.reduce_all(tops.equal(kernel, 0))  # an all-zero kernel stays as it is
            self.vector_u.assign(tops.where(zero, u, new_u))
            self.kernel.assign(tops.where(zero, kernel, new_kernel))
        # in the inputs' dtype, as a tensor of this layer's (not the sublayer's output as it is)
        return tops.identity(tops.cast(self.layer(inputs), inputs.dtype))

    def normalized_weights(self):
        """``(vector_u, kernel / sigma)`` after the power iterations."""
        weights = tops.reshape(self.kernel.value(), [-1, self.kernel_shape[-1]])
        u = self.vector_u.value()
        for _ in range(self.power_iterations):
            v = _unit(tops.matmul(u, weights, transpose_b=True))
            u = _unit(tops.matmul(v, weights))
        u, v = tops.stop_gradient(u), tops.stop_gradient(v)
        sigma = tops.matmul(tops.matmul(v, weights), u, transpose_b=True)
        kernel = tops.reshape(self.kernel.value() / sigma, self.kernel_shape)
        return tops.cast(u, self.vector_u.dtype), tops.cast(kernel, self.kernel.dtype)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "power_iterations": self.power_iterations}


class ReversibleEmbedding(Embedding):
    """An ``Embedding`` whose ``call(x, reverse=True)`` maps ``(..., output_dim)`` vectors to
    ``(..., input_dim)`` logits: by the transposed embeddings (``tie_weights``) or by its own
    ``reverse_embeddings``, in ``reverse_dtype`` when given, soft-capped to
    ``logit_soft_cap * tanh(logits / logit_soft_cap)`` when given."""

    def __init__(self, input_dim, output_dim, tie_weights=True, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 reverse_dtype=None, logit_soft_cap=None, **kwargs):  # fmt: skip
        kwargs["name"] = kwargs.get("name") or U.default_name(type(self))
        super().__init__(
            input_dim,
            output_dim,
            embeddings_initializer=embeddings_initializer,
            embeddings_regularizer=embeddings_regularizer,
            embeddings_constraint=embeddings_constraint,
            mask_zero=mask_zero,
            **kwargs,
        )
        self.tie_weights, self.reverse_dtype = tie_weights, reverse_dtype
        self.logit_soft_cap = logit_soft_cap

    def build(self, input_shape=None):
        if self.embeddings is not None:
            return
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(
                shape=(self.output_dim, self.input_dim),
                initializer=self.embeddings_initializer,
                name="reverse_embeddings",
                trainable=True,
            )

    def call(self, inputs, reverse=False):
        if not reverse:
            result = super().call(inputs)
            mask = super().compute_mask(inputs)
            if mask is not None:
                set_keras_mask(result, mask)
            return result
        if self.tie_weights:
            kernel = tops.transpose(self.embeddings.value())
        else:
            kernel = self.reverse_embeddings.value()
        if self.reverse_dtype is not None:
            inputs = tops.cast(inputs, self.reverse_dtype)
            kernel = tops.cast(kernel, self.reverse_dtype)
        logits = tops.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            logits = tops.tanh(logits / self.logit_soft_cap) * self.logit_soft_cap
        return logits

    def compute_mask(self, inputs, previous_mask=None):
        return None

    def compute_output_shape(self, input_shape, reverse=False):
        shape = list(input_shape)
        if reverse:
            shape[-1] = self.input_dim
        else:
            shape.append(self.output_dim)
        return shape

    def compute_output_spec(self, inputs, reverse=False):
        return KerasTensor(self.compute_output_shape(inputs.shape, reverse), self.compute_dtype)

    def get_config(self):
        return {
            **super().get_config(),
            "tie_weights": self.tie_weights,
            "reverse_dtype": self.reverse_dtype,
            "logit_soft_cap": self.logit_soft_cap,
        }
