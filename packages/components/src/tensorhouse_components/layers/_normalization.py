"""Normalization layers: ``BatchNormalization``, ``LayerNormalization``, ``GroupNormalization``,
``UnitNormalization``.

Statistics are computed in at least float32 and the result cast back to the layer's dtype.
"""

from __future__ import annotations

import warnings

from tensorhouse_ops import broadcast_to, cast, expand_dims, math, reshape

from .. import constraints, initializers, regularizers
from ._args import initializer, regularizer_config
from ._layer import Layer

__all__ = [
    "BatchNormalization", "GroupNormalization", "LayerNormalization", "UnitNormalization",
]  # fmt: skip

_HALF = ("float16", "bfloat16")


def _upcast(x):
    return cast(x, "float32") if x.dtype.name in _HALF else x


def _axis_index(axis, rank, layer):
    """A non-negative axis in ``range(rank)``; Keras's ValueError otherwise."""
    if not -rank <= axis < rank:
        raise ValueError(
            f"Invalid axis for layer {layer.name!r}: axis={axis} is out of range for an input "
            f"of rank {rank}"
        )
    return axis % rank


def _check_int_axis(axis):
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise TypeError(f"Expected an int for the argument 'axis', but received: axis={axis!r}")
    return axis


def _normalize(x, mean, variance, epsilon, gamma, beta):
    """``(x - mean) / sqrt(variance + epsilon) * gamma + beta`` in Keras's order of operations."""
    inv = math.rsqrt(variance + epsilon)
    if gamma is not None:
        inv = inv * gamma
    shift = -mean * inv
    if beta is not None:
        shift = shift + beta
    return x * inv + shift


class _AffineNorm(Layer):
    """Shared ``gamma`` / ``beta`` arguments and config of the normalization layers."""

    def _set_affine(self, center, scale, beta_init, gamma_init, beta_reg, gamma_reg, beta_con,
                    gamma_con, epsilon):  # fmt: skip
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializer(beta_init)
        self.gamma_initializer = initializer(gamma_init)
        self.beta_regularizer = regularizers.get(beta_reg)
        self.gamma_regularizer = regularizers.get(gamma_reg)
        self.beta_constraint = constraints.get(beta_con)
        self.gamma_constraint = constraints.get(gamma_con)
        self.gamma = None
        self.beta = None

    def _add_gamma_beta(self, shape, gamma=True, beta=True):
        if gamma:
            self.gamma = self.add_weight(
                shape=shape, initializer=self.gamma_initializer, regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint, name="gamma",
            )  # fmt: skip
        if beta:
            self.beta = self.add_weight(
                shape=shape, initializer=self.beta_initializer, regularizer=self.beta_regularizer,
                constraint=self.beta_constraint, name="beta",
            )  # fmt: skip

    def _affine_config(self):
        return {
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizer_config(self.beta_regularizer),
            "gamma_regularizer": regularizer_config(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class BatchNormalization(_AffineNorm):
    """Normalizes with the batch's statistics while training, with moving averages otherwise.

    ``call(training=True)`` on a trainable layer uses the batch mean and (biased) variance and
    updates ``moving_mean`` / ``moving_variance`` as ``moving * momentum + batch * (1 -
    momentum)``; a layer with ``trainable=False`` always runs in inference mode (Keras 3).
    """

    supports_masking = True

    def __init__(
        self,
        axis=-1,
        momentum=0.99,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        moving_mean_initializer="zeros",
        moving_variance_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        renorm=False,
        renorm_clipping=None,
        renorm_momentum=0.99,
        synchronized=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if renorm:
            raise NotImplementedError("BatchNormalization(renorm=True) is not supported yet")
        self.axis = _check_int_axis(axis)
        self.momentum = float(momentum)
        self._set_affine(center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, beta_constraint, gamma_constraint, epsilon)  # fmt: skip
        self.moving_mean_initializer = initializer(moving_mean_initializer)
        self.moving_variance_initializer = initializer(moving_variance_initializer)
        self.synchronized = bool(synchronized)  # one device: the same as unsynchronized
        self.renorm_momentum = float(renorm_momentum)
        self.moving_mean = None
        self.moving_variance = None

    def build(self, input_shape):
        rank = len(input_shape)
        axis = _axis_index(self.axis, rank, self)
        dim = input_shape[axis]
        if dim is None:
            raise ValueError(
                f"Axis {self.axis} of the input of {self.name!r} must have a known dimension. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        self._add_gamma_beta((dim,), gamma=self.scale, beta=self.center)
        self.moving_mean = self.add_weight(
            shape=(dim,), initializer=self.moving_mean_initializer, trainable=False,
            name="moving_mean",
        )  # fmt: skip
        self.moving_variance = self.add_weight(
            shape=(dim,), initializer=self.moving_variance_initializer, trainable=False,
            name="moving_variance",
        )  # fmt: skip
        self.built = True

    def _moments(self, x, axes, mask):
        if mask is None:
            mean = math.reduce_mean(x, axis=axes)
            var = math.reduce_mean(math.squared_difference(x, _expand(mean, axes)), axis=axes)
            return mean, var
        weights = cast(expand_dims(mask, -1), x.dtype)
        count = math.reduce_sum(broadcast_to(weights, x.shape), axis=axes)
        mean = math.reduce_sum(x * weights, axis=axes) / count
        diff = math.squared_difference(x, _expand(mean, axes))
        return mean, math.reduce_sum(diff * weights, axis=axes) / count

    def call(self, inputs, training=None, mask=None):
        rank = len(inputs.shape)
        if mask is not None and len(mask.shape) != rank - 1:
            raise ValueError(
                "The mask provided should be one dimension less than the inputs. Received: "
                f"mask.shape={tuple(mask.shape)}, inputs.shape={tuple(inputs.shape)}"
            )
        axis = _axis_index(self.axis, rank, self)
        x = _upcast(inputs)
        moving_mean = cast(self.moving_mean, x.dtype)
        moving_var = cast(self.moving_variance, x.dtype)
        if training and self.trainable:
            axes = [i for i in range(rank) if i != axis]
            mean, var = self._moments(x, axes, mask)
            m = self.momentum
            self.moving_mean.assign(
                cast(moving_mean * m + mean * (1.0 - m), self.moving_mean.dtype)
            )
            self.moving_variance.assign(
                cast(moving_var * m + var * (1.0 - m), self.moving_variance.dtype)
            )
        else:
            mean, var = moving_mean, moving_var
        shape = [1] * rank
        shape[axis] = -1

        def bcast(v):
            return None if v is None else reshape(cast(v, x.dtype), shape)

        out = _normalize(x, bcast(mean), bcast(var), self.epsilon, bcast(self.gamma),
                         bcast(self.beta))  # fmt: skip
        return cast(out, self.compute_dtype)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            **self._affine_config(),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "synchronized": self.synchronized,
            "renorm": False,
            "renorm_clipping": None,
            "renorm_momentum": self.renorm_momentum,
        }


def _expand(v, axes):
    for a in sorted(axes):
        v = expand_dims(v, a)
    return v


class LayerNormalization(_AffineNorm):
    """Normalizes each sample over ``axis`` (the last by default), then ``* gamma + beta``.

    With ``rms_scaling=True`` the output is ``x * rsqrt(var(x) + epsilon) * gamma`` (no centering
    and no ``beta``), as Keras 3 computes it.
    """

    supports_masking = True

    def __init__(
        self,
        axis=-1,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        rms_scaling = kwargs.pop("rms_scaling", False)  # deprecated: out of the signature
        super().__init__(**kwargs)
        if isinstance(axis, list | tuple):
            self.axis = [_check_int_axis(a) for a in axis]
        elif isinstance(axis, int) and not isinstance(axis, bool):
            self.axis = axis
        else:
            raise TypeError(
                "Expected an int or a list/tuple of ints for the argument 'axis', but "
                f"received: {axis!r}"
            )
        self.rms_scaling = bool(rms_scaling)
        if self.rms_scaling:
            warnings.warn(
                "You passed `rms_scaling=True`, which is deprecated (as in Keras 3): it scales "
                "the input by the variance, not the root mean square.",
                UserWarning,
                stacklevel=2,
            )
        self._set_affine(center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, beta_constraint, gamma_constraint, epsilon)  # fmt: skip

    def _axes(self, rank):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        return sorted(_axis_index(a, rank, self) for a in axes)

    def build(self, input_shape):
        axes = self._axes(len(input_shape))
        shape = tuple(input_shape[a] for a in axes)
        self._add_gamma_beta(
            shape, gamma=self.scale or self.rms_scaling, beta=self.center and not self.rms_scaling
        )
        self.built = True

    def call(self, inputs):
        rank = len(inputs.shape)
        axes = self._axes(rank)
        x = _upcast(inputs)
        dims = inputs.shape.as_list()
        shape = [dims[i] if i in axes else 1 for i in range(rank)]

        def bcast(v):
            return None if v is None else reshape(cast(v, x.dtype), shape)

        mean = math.reduce_mean(x, axis=axes, keepdims=True)
        var = math.reduce_mean(math.squared_difference(x, mean), axis=axes, keepdims=True)
        if self.rms_scaling:
            out = x * math.rsqrt(var + self.epsilon)
            if self.gamma is not None:
                out = out * bcast(self.gamma)
        else:
            out = _normalize(x, mean, var, self.epsilon, bcast(self.gamma), bcast(self.beta))
        return cast(out, self.compute_dtype)

    def get_config(self):
        cfg = {**super().get_config(), "axis": self.axis, **self._affine_config()}
        cfg["rms_scaling"] = self.rms_scaling
        return cfg


class GroupNormalization(_AffineNorm):
    """Splits the channels on ``axis`` into ``groups`` and normalizes each group per sample."""

    supports_masking = True

    def __init__(
        self,
        groups=32,
        axis=-1,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(groups, bool) or not isinstance(groups, int) or groups <= 0:
            raise ValueError(f"`groups` must be a positive integer. Received: groups={groups!r}")
        self.groups = groups
        self.axis = _check_int_axis(axis)
        self._set_affine(center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, beta_constraint, gamma_constraint, epsilon)  # fmt: skip

    def build(self, input_shape):
        axis = _axis_index(self.axis, len(input_shape), self)
        dim = input_shape[axis]
        if dim is None:
            raise ValueError(
                f"Axis {self.axis} of input tensor should have a defined dimension but the layer "
                f"received an input with shape {tuple(input_shape)}."
            )
        if self.groups > dim:
            raise ValueError(
                f"Number of groups ({self.groups}) cannot be more than the number of channels "
                f"({dim})."
            )
        if dim % self.groups:
            raise ValueError(
                f"Number of groups ({self.groups}) must be a multiple of the number of channels "
                f"({dim})."
            )
        self._add_gamma_beta((dim,), gamma=self.scale, beta=self.center)
        self.built = True

    def call(self, inputs):
        dims = inputs.shape.as_list()
        rank = len(dims)
        axis = _axis_index(self.axis, rank, self)
        per_group = dims[axis] // self.groups
        grouped = [-1, *dims[1:axis], self.groups, per_group, *dims[axis + 1 :]]
        x = reshape(_upcast(inputs), grouped)
        axes = [i for i in range(1, rank + 1) if i != axis]
        mean = math.reduce_mean(x, axis=axes, keepdims=True)
        var = math.reduce_mean(math.squared_difference(x, mean), axis=axes, keepdims=True)
        shape = [1] * (rank + 1)
        shape[axis], shape[axis + 1] = self.groups, per_group

        def bcast(v):
            return None if v is None else reshape(cast(v, x.dtype), shape)

        out = _normalize(x, mean, var, self.epsilon, bcast(self.gamma), bcast(self.beta))
        return cast(reshape(out, [-1, *dims[1:]]), self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "groups": self.groups, "axis": self.axis,
                **self._affine_config()}  # fmt: skip


class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm over ``axis``: ``x * min(rsqrt(sum(x**2)), 1e12)``."""

    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, list | tuple):
            self.axis = [_check_int_axis(a) for a in axis]
        elif isinstance(axis, int) and not isinstance(axis, bool):
            self.axis = axis
        else:
            raise TypeError(
                "Invalid value for `axis` argument: expected an int or a list/tuple of ints. "
                f"Received: axis={axis!r}"
            )

    def call(self, inputs):
        x = _upcast(inputs)
        squares = math.reduce_sum(math.square(x), axis=self.axis, keepdims=True)
        inv = math.minimum(math.rsqrt(squares), 1e12)
        return cast(x * inv, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class RMSNormalization(Layer):
    """Keras 3's root-mean-square normalization: ``x * rsqrt(mean(x**2, axis) + epsilon) *
    scale``, with one ``scale`` weight (ones) over ``axis``."""

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis, self.epsilon = axis, epsilon

    def build(self, input_shape):
        axes = sorted(self.axis) if isinstance(self.axis, list | tuple) else [self.axis]
        shape = tuple(input_shape[a] for a in axes)
        self.axis = axes
        self.scale = self.add_weight(name="scale", shape=shape, initializer="ones")

    def call(self, inputs):
        x = _upcast(inputs)
        mean_square = math.reduce_mean(math.square(x), axis=self.axis, keepdims=True)
        out = x * math.rsqrt(mean_square + self.epsilon) * cast(self.scale, x.dtype)
        return cast(out, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        for axis in self.axis if isinstance(self.axis, list | tuple) else [self.axis]:
            if not -len(input_shape) <= axis < len(input_shape):
                raise ValueError(
                    f"Axis {axis} is out of bounds for input shape {input_shape}. "
                    f"Received: axis={self.axis}"
                )
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}
