"""Convolution layers: ``Conv1D`` / ``Conv2D`` / ``Conv3D``, their transposes, depthwise and
separable, and ``Conv3DTranspose``.

Every layer runs on the ops layer's NHWC 2-D kernels: channels-first inputs are transposed to
channels-last and back, and 1-D inputs get a height of one. The ops layer has no 3-D
convolution, so ``Conv3D`` is composed: a sum over the kernel's depth taps of 2-D convolutions
of strided depth slices (batch and output depth merged into one batch axis); its transpose
spreads the input by the strides and runs that with the flipped kernel. Keras's weight
names, shapes and order, constructor defaults and config keys.
"""

from __future__ import annotations

from tensorhouse_ops import (
    cast,
    concat,
    expand_dims,
    nn,
    pad,
    reshape,
    reverse,
    shape,
    split,
    transpose,
)  # fmt: skip

from .. import activations, constraints, initializers, regularizers
from .._signatures import keras_signature
from . import _args as A
from . import _conv_utils as U
from ._args import dynamic_shape
from ._layer import Layer

__all__ = [
    "Conv1D", "Conv1DTranspose", "Conv2D", "Conv2DTranspose", "Conv3D", "Conv3DTranspose",
    "DepthwiseConv1D",
    "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D",
]  # fmt: skip


def _positive(value, name):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(
            f"Invalid value for argument `{name}`. Expected a strictly positive value. "
            f"Received {name}={value}."
        )
    return value


def _serialize_regularizer(value):
    return None if value is None else regularizers.serialize(value)


def _transpose_length(length, window, stride, dilation, padding, output_padding):
    """Output length of a transposed convolution along one axis (Keras's rule)."""
    if length is None:
        return None
    span = (window - 1) * dilation + 1
    if output_padding is None:
        return length * stride + (max(span - stride, 0) if padding == "valid" else 0)
    cut = span // 2 if padding == "same" else 0
    return (length - 1) * stride + span - 2 * cut + output_padding


def _transpose_by_conv(x, kernel, out_hw, strides, padding, dilations):
    """``conv2d_transpose`` for an NHWC ``x`` whose batch size is known only at run time
    (``nn.conv2d_transpose`` needs it in its output shape): ``x`` spread out with zeros by the
    strides, padded (or cropped) so that a stride-1 ``conv2d`` with the flipped kernel gives
    the ``out_hw`` window of the full transposed convolution."""
    _, h, w, c = x.shape.as_list()
    sh, sw = strides
    spread = pad(expand_dims(expand_dims(x, 2), 4),
                 [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]])  # fmt: skip
    spread = reshape(spread, [shape(x)[0], h * sh, w * sw, c])
    cuts, pads = [], []
    for n, s, k, d, out in zip((h, w), strides, kernel.shape.as_list()[:2], dilations, out_hw):
        span = (k - 1) * d + 1
        before = 0
        if padding == "SAME":
            before = max((-(-out // s) - 1) * s + span - out, 0) // 2
        lo = span - 1 - before
        hi = out + span - 1 - lo - n * s
        cuts.append(slice(max(-lo, 0), n * s - max(-hi, 0)))
        pads.append([max(lo, 0), max(hi, 0)])
    spread = pad(spread[:, cuts[0], cuts[1], :], [[0, 0], *pads, [0, 0]])
    flipped = transpose(reverse(kernel, [0, 1]), [0, 1, 3, 2])
    return nn.conv2d(spread, flipped, [1, 1, 1, 1], "VALID", dilations=list(dilations))


def _conv2d_groups(x, kernel, strides, padding, dilations, groups):
    """``nn.conv2d`` of NHWC ``x``, the channels split into ``groups``."""
    if groups == 1:
        return nn.conv2d(x, kernel, strides, padding, dilations=dilations)
    pairs = zip(split(x, groups, axis=3), split(kernel, groups, axis=3))
    return concat([nn.conv2d(a, k, strides, padding, dilations=dilations) for a, k in pairs], 3)


def _conv3d(x, kernel, strides, padding, dilations, groups=1):
    """NDHWC ``x`` convolved with a DHWIO ``kernel``, composed of 2-D convolutions: each depth
    tap ``kd`` convolves (batch and output depth merged) the depth slices it meets."""
    depth = x.shape.as_list()[1]
    k_d, s_d, d_d = kernel.shape.as_list()[0], strides[0], dilations[0]
    span = (k_d - 1) * d_d + 1
    if padding == "same":
        out_d = -(-depth // s_d)
        total = max((out_d - 1) * s_d + span - depth, 0)
        x = pad(x, [[0, 0], [total // 2, total - total // 2], [0, 0], [0, 0], [0, 0]])
    else:
        out_d = (depth - span) // s_d + 1
    _, _, h, w, c = dynamic_shape(x)
    args = (list(strides[1:]), padding.upper(), list(dilations[1:]), groups)
    total = None
    for kd in range(k_d):
        start = kd * d_d
        taps = x[:, start : start + (out_d - 1) * s_d + 1 : s_d]
        y = _conv2d_groups(reshape(taps, [-1, h, w, c]), kernel[kd], *args)
        total = y if total is None else total + y
    _, h_out, w_out, f = dynamic_shape(total)
    return reshape(total, [-1, out_d, h_out, w_out, f])


def _conv3d_transpose(x, kernel, out_dhw, strides, padding, dilations):
    """The 3-D transposed convolution of NDHWC ``x`` (kernel ``(*k, filters, in)``): ``x``
    spread out with zeros by the strides, padded or cropped to the ``out_dhw`` window, then a
    stride-1 valid ``_conv3d`` with the flipped kernel."""
    spatial = x.shape.as_list()[1:4]
    spread = x
    for axis, s in enumerate(strides, start=1):
        if s > 1:
            dims = dynamic_shape(spread)
            spread = expand_dims(spread, axis + 1)
            paddings = [[0, 0]] * len(dims) + [[0, 0]]
            paddings[axis + 1] = [0, s - 1]
            spread = pad(spread, paddings)
            dims[axis] = dims[axis] * s
            spread = reshape(spread, [-1, *dims[1:]])
    cuts, pads = [slice(None)], [[0, 0]]
    for n, s, k, d, out in zip(spatial, strides, kernel.shape.as_list()[:3], dilations, out_dhw):
        span = (k - 1) * d + 1
        before = 0
        if padding == "same":
            before = max((-(-out // s) - 1) * s + span - out, 0) // 2
        lo = span - 1 - before
        hi = out + span - 1 - lo - n * s
        cuts.append(slice(max(-lo, 0), n * s - max(-hi, 0)))
        pads.append([max(lo, 0), max(hi, 0)])
    spread = pad(spread[tuple(cuts)], [*pads, [0, 0]])
    flipped = transpose(reverse(kernel, [0, 1, 2]), [0, 1, 2, 4, 3])
    return _conv3d(spread, flipped, (1, 1, 1), "valid", dilations)


class _BaseConv(Layer):
    """What every convolution shares: arguments, input checks, bias, activation, config."""

    rank = 2
    _paddings = ("valid", "same")

    def __init__(
        self,
        kernel_size,
        strides,
        padding,
        data_format,
        dilation_rate,
        activation,
        use_bias,
        bias_initializer,
        bias_regularizer,
        activity_regularizer,
        bias_constraint,
        **kwargs,
    ):
        kwargs["name"] = kwargs.get("name") or U.default_name(type(self))
        super().__init__(**kwargs)
        n = self.rank
        self.kernel_size = A.int_tuple(kernel_size, n, "kernel_size", allow_zero=False)
        self.strides = A.int_tuple(strides, n, "strides", allow_zero=False)
        self.dilation_rate = A.int_tuple(dilation_rate, n, "dilation_rate", allow_zero=False)
        self.padding = U.normalize_padding(padding, self._paddings)
        self.data_format = A.data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.bias_initializer = initializers.get(bias_initializer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.bias_constraint = constraints.get(bias_constraint)
        self.bias = None

    def _check_strides_and_dilation(self):
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                "`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                f"Received: strides={self.strides} and dilation_rate={self.dilation_rate}"
            )

    # ---- shapes -------------------------------------------------------------------------
    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def _input_channels(self, input_shape):
        A.check_ndim(self, input_shape, self.rank + 2)
        channels = input_shape[self._channel_axis()]
        if channels is None:
            raise ValueError(
                f"The channel dimension of the inputs of {type(self).__name__} should be "
                f"defined. Received: input_shape={tuple(input_shape)}"
            )
        return int(channels)

    def _spatial(self, input_shape):
        dims = tuple(input_shape)
        return dims[1:-1] if self.data_format == "channels_last" else dims[2:]

    def _output_spatial(self, spatial):
        return tuple(
            U.output_length(n, k, s, d, self.padding)
            for n, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate)
        )

    def _output_channels(self, input_shape):
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        A.check_ndim(self, input_shape, self.rank + 2)
        spatial = self._output_spatial(self._spatial(input_shape))
        channels = self._output_channels(input_shape)
        if self.data_format == "channels_last":
            return (input_shape[0], *spatial, channels)
        return (input_shape[0], channels, *spatial)

    def _check_output_size(self, input_shape):
        spatial = self._output_spatial(self._spatial(input_shape))
        if any(n is not None and n <= 0 for n in spatial):
            raise ValueError(
                "Computed output size would be zero or negative. Received "
                f"`inputs shape={tuple(input_shape)}`, `kernel_size={self.kernel_size}`, "
                f"`dilation_rate={self.dilation_rate}`, `strides={self.strides}`, "
                f"`padding={self.padding}`."
            )

    def _add_bias(self, filters):
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(filters,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name="bias",
            )

    # ---- computing ----------------------------------------------------------------------
    def _window_2d(self, values):
        """A per-axis tuple as the 2-D ops' (height, width) pair."""
        return [1, *values] if self.rank == 1 else list(values)

    def _kernel_2d(self, kernel):
        return expand_dims(kernel, 0) if self.rank == 1 else kernel

    def _prepare(self, inputs):
        if not inputs.dtype.is_floating:
            inputs = cast(inputs, self._arithmetic_dtype)
        return U.to_nhwc(inputs, self.rank, self.data_format)

    def _finish(self, y):
        if self.use_bias:
            y = nn.bias_add(y, self.bias)
        y = self.activation(U.from_nhwc(y, self.rank, self.data_format))
        if self.activity_regularizer is not None:
            batch = y.shape[0]
            loss = self.activity_regularizer(y)
            batch = cast(shape(y)[0], loss.dtype) if batch is None else float(batch)
            self.add_loss(loss / batch)
        return y

    # ---- config -------------------------------------------------------------------------
    def _window_config(self):
        return {
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
        }

    def _tail_config(self):
        return {
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
        }

    def _bias_config(self):
        return {
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "bias_regularizer": _serialize_regularizer(self.bias_regularizer),
            "activity_regularizer": _serialize_regularizer(self.activity_regularizer),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }


class _Conv(_BaseConv):
    """``activation(conv(inputs, kernel) + bias)``; kernel ``(*kernel_size, in / groups,
    filters)``."""

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        groups=1,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(
            kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
            bias_initializer, bias_regularizer, activity_regularizer, bias_constraint, **kwargs,
        )  # fmt: skip
        self.filters = _positive(filters, "filters")
        if isinstance(groups, bool) or not isinstance(groups, int) or groups <= 0:
            raise ValueError(
                f"The number of groups must be a positive integer. Received: groups={groups}."
            )
        self.groups = groups
        if filters % groups:
            raise ValueError(
                "The number of filters must be evenly divisible by the number of groups. "
                f"Received: groups={groups}, filters={filters}."
            )
        self._check_strides_and_dilation()
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.kernel = None

    def _output_channels(self, input_shape):
        return self.filters

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        if channels % self.groups:
            raise ValueError(
                "The number of input channels must be evenly divisible by the number of "
                f"groups. Received groups={self.groups}, but the input has {channels} channels "
                f"(full input shape is {tuple(input_shape)})."
            )
        self._check_output_size(input_shape)
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, channels // self.groups, self.filters),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            name="kernel",
        )
        self._add_bias(self.filters)
        self.built = True

    def call(self, inputs):
        x = self._prepare(inputs)
        if self.rank == 3:
            y = _conv3d(x, self.kernel, self.strides, self.padding, self.dilation_rate,
                        self.groups)  # fmt: skip
            return self._finish(y)
        padding = self.padding.upper()
        if padding == "CAUSAL":  # left-pad the time axis, then a valid convolution
            left = self.dilation_rate[0] * (self.kernel_size[0] - 1)
            x = pad(x, [[0, 0], [0, 0], [left, 0], [0, 0]])
            padding = "VALID"
        kernel = self._kernel_2d(self.kernel)
        strides, dilations = self._window_2d(self.strides), self._window_2d(self.dilation_rate)

        def conv(a, k):
            return nn.conv2d(a, k, strides, padding, dilations=dilations)

        if self.groups == 1:
            y = conv(x, kernel)
        else:
            pairs = zip(split(x, self.groups, axis=3), split(kernel, self.groups, axis=3))
            y = concat([conv(a, k) for a, k in pairs], axis=3)
        return self._finish(y)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            **self._window_config(),
            "groups": self.groups,
            **self._tail_config(),
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": _serialize_regularizer(self.kernel_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            **self._bias_config(),
        }


class Conv1D(_Conv):
    """1-D convolution over ``(batch, steps, channels)``; ``padding="causal"`` pads the left."""

    rank = 1
    _paddings = ("valid", "same", "causal")


class Conv2D(_Conv):
    """2-D convolution over ``(batch, height, width, channels)``."""

    __init__ = keras_signature(strides=(1, 1), dilation_rate=(1, 1))(_Conv.__init__)


class Conv3D(_Conv):
    """3-D convolution over ``(batch, depth, height, width, channels)`` (composed of 2-D ones)."""

    rank = 3

    __init__ = keras_signature(strides=(1, 1, 1), dilation_rate=(1, 1, 1))(_Conv.__init__)


class _ConvTranspose(_BaseConv):
    """The gradient of a convolution w.r.t. its input; kernel ``(*kernel_size, filters, in)``."""

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        output_padding=None,
        data_format=None,
        dilation_rate=1,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(
            kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
            bias_initializer, bias_regularizer, activity_regularizer, bias_constraint, **kwargs,
        )  # fmt: skip
        self.filters = _positive(filters, "filters")
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = A.int_tuple(
                output_padding, self.rank, "output_padding", allow_zero=True
            )
            for axis, (p, s) in enumerate(zip(self.output_padding, self.strides)):
                if p >= s:
                    raise ValueError(
                        "`output_padding` must be strictly less than `strides` for all "
                        f"dimensions. At dimension {axis}, `output_padding` is {p} but "
                        f"`strides` is {s}. Received: output_padding={self.output_padding}, "
                        f"strides={self.strides}"
                    )
        self._check_strides_and_dilation()
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.kernel = None

    def _output_channels(self, input_shape):
        return self.filters

    def _output_spatial(self, spatial):
        pads = self.output_padding or (None,) * self.rank
        return tuple(
            _transpose_length(n, k, s, d, self.padding, p)
            for n, k, s, d, p in zip(
                spatial, self.kernel_size, self.strides, self.dilation_rate, pads
            )
        )

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, self.filters, channels),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            name="kernel",
        )
        self._add_bias(self.filters)
        self.built = True

    def call(self, inputs):
        x = self._prepare(inputs)
        batch = x.shape[0]
        spatial = self._output_spatial(self._spatial(inputs.shape.as_list()))
        if None in spatial:
            raise ValueError(
                f"{type(self).__name__} needs known spatial dimensions to compute its output "
                f"shape. Received: inputs.shape={tuple(inputs.shape)}"
            )
        if self.rank == 3:
            y = _conv3d_transpose(x, self.kernel, spatial, self.strides, self.padding,
                                  self.dilation_rate)  # fmt: skip
            return self._finish(y)
        args = (self._kernel_2d(self.kernel), self._window_2d(spatial),
                self._window_2d(self.strides), self.padding.upper(),
                self._window_2d(self.dilation_rate))  # fmt: skip
        if batch is None:  # a trace with an unknown batch size
            y = _transpose_by_conv(x, *args)
        else:
            kernel, out_hw, strides, padding, dilations = args
            y = nn.conv2d_transpose(x, kernel, [batch, *out_hw, self.filters], strides, padding,
                                    dilations=dilations)  # fmt: skip
        return self._finish(y)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "output_padding": self.output_padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            **self._tail_config(),
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": _serialize_regularizer(self.kernel_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            **self._bias_config(),
        }


class Conv1DTranspose(_ConvTranspose):
    """1-D transposed convolution ("deconvolution") over ``(batch, steps, channels)``."""

    rank = 1


class Conv2DTranspose(_ConvTranspose):
    """2-D transposed convolution ("deconvolution") over ``(batch, height, width, channels)``."""

    __init__ = keras_signature(strides=(1, 1), dilation_rate=(1, 1))(_ConvTranspose.__init__)


class Conv3DTranspose(_ConvTranspose):
    """3-D transposed convolution over ``(batch, depth, height, width, channels)`` (composed of
    2-D convolutions)."""

    rank = 3

    @keras_signature(_ConvTranspose.__init__)
    def __init__(
        self,
        filters,
        kernel_size,
        strides=(1, 1, 1),
        padding="valid",
        data_format=None,
        output_padding=None,
        dilation_rate=(1, 1, 1),
        **kwargs,
    ):
        super().__init__(
            filters, kernel_size, strides=strides, padding=padding,
            output_padding=output_padding, data_format=data_format,
            dilation_rate=dilation_rate, **kwargs,
        )  # fmt: skip


class _DepthwiseBase(_BaseConv):
    """Shared by depthwise and separable: the depthwise step with ``depth_multiplier``."""

    def _depthwise(self, x, kernel):
        return nn.depthwise_conv2d(
            x, self._kernel_2d(kernel), [1, *self._window_2d(self.strides), 1],
            self.padding.upper(), dilations=self._window_2d(self.dilation_rate),
        )  # fmt: skip


class _DepthwiseConv(_DepthwiseBase):
    """Each input channel convolved with its own ``depth_multiplier`` filters; kernel
    ``(*kernel_size, in, depth_multiplier)``, bias ``(in * depth_multiplier,)``."""

    def __init__(
        self,
        kernel_size,
        strides=1,
        padding="valid",
        depth_multiplier=1,
        data_format=None,
        dilation_rate=1,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(
            kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
            bias_initializer, bias_regularizer, activity_regularizer, bias_constraint, **kwargs,
        )  # fmt: skip
        self.depth_multiplier = _positive(depth_multiplier, "depth_multiplier")
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.kernel = None

    def _output_channels(self, input_shape):
        channels = input_shape[self._channel_axis()]
        return None if channels is None else channels * self.depth_multiplier

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self._check_output_size(input_shape)
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, channels, self.depth_multiplier),
            initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
            name="kernel",
        )
        self._add_bias(channels * self.depth_multiplier)
        self.built = True

    def call(self, inputs):
        return self._finish(self._depthwise(self._prepare(inputs), self.kernel))

    def get_config(self):
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            **self._window_config(),
            **self._tail_config(),
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "depthwise_regularizer": _serialize_regularizer(self.depthwise_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            **self._bias_config(),
        }


class DepthwiseConv1D(_DepthwiseConv):
    """1-D depthwise convolution over ``(batch, steps, channels)``."""

    rank = 1


class DepthwiseConv2D(_DepthwiseConv):
    """2-D depthwise convolution over ``(batch, height, width, channels)``."""

    __init__ = keras_signature(strides=(1, 1), dilation_rate=(1, 1))(_DepthwiseConv.__init__)


class _SeparableConv(_DepthwiseBase):
    """A depthwise convolution followed by a pointwise (1x1) one: weights ``depthwise_kernel``
    ``(*kernel_size, in, depth_multiplier)``, ``pointwise_kernel`` ``(*ones, in *
    depth_multiplier, filters)``, ``bias``."""

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        depth_multiplier=1,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        pointwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        pointwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        pointwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(
            kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
            bias_initializer, bias_regularizer, activity_regularizer, bias_constraint, **kwargs,
        )  # fmt: skip
        self.filters = _positive(filters, "filters")
        self.depth_multiplier = _positive(depth_multiplier, "depth_multiplier")
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)
        self.depthwise_kernel = None
        self.pointwise_kernel = None

    def _output_channels(self, input_shape):
        return self.filters

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self._check_output_size(input_shape)
        self.depthwise_kernel = self.add_weight(
            shape=(*self.kernel_size, channels, self.depth_multiplier),
            initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
            name="depthwise_kernel",
        )
        self.pointwise_kernel = self.add_weight(
            shape=(*(1,) * self.rank, channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer,
            regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint,
            name="pointwise_kernel",
        )
        self._add_bias(self.filters)
        self.built = True

    def call(self, inputs):
        y = self._depthwise(self._prepare(inputs), self.depthwise_kernel)
        y = nn.conv2d(y, self._kernel_2d(self.pointwise_kernel), 1, "VALID")
        return self._finish(y)

    def get_config(self):
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            "filters": self.filters,
            **self._window_config(),
            **self._tail_config(),
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "depthwise_regularizer": _serialize_regularizer(self.depthwise_regularizer),
            "pointwise_regularizer": _serialize_regularizer(self.pointwise_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "pointwise_constraint": constraints.serialize(self.pointwise_constraint),
            **self._bias_config(),
        }


class SeparableConv1D(_SeparableConv):
    """1-D separable convolution over ``(batch, steps, channels)``."""

    rank = 1


class SeparableConv2D(_SeparableConv):
    """2-D separable convolution over ``(batch, height, width, channels)``."""

    __init__ = keras_signature(strides=(1, 1), dilation_rate=(1, 1))(_SeparableConv.__init__)
