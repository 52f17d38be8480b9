"""Argument checks and shape arithmetic shared by the convolution and pooling layers."""

from __future__ import annotations

import math as _pymath
import re

from tensorhouse_ops import expand_dims, squeeze, transpose

from .. import _naming

__all__ = ["default_name", "from_nhwc", "normalize_padding", "output_length", "to_nhwc"]


def default_name(cls) -> str:
    """Keras's automatic layer name: ``Conv2D`` -> ``conv2d``, ``MaxPooling3D`` ->
    ``max_pooling3d`` (digits do not start a new word)."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", cls.__name__)
    name = re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
    return _naming.unique_name(name)


def normalize_padding(value, allowed=("valid", "same")):
    """``"VALID"`` / ``"same"`` ... lower-cased and checked against ``allowed``."""
    padding = value.lower() if isinstance(value, str) else value
    if padding not in allowed:
        options = "{" + ", ".join(repr(a) for a in allowed) + "}"
        raise ValueError(f"The `padding` argument must be one of {options}. Received: {value}")
    return padding


def output_length(length, window, stride, dilation, padding):
    """Output length of a convolution or pooling window along one axis (None stays None)."""
    if length is None:
        return None
    span = (window - 1) * dilation + 1
    if padding == "valid":
        return (length - span) // stride + 1
    return _pymath.ceil(length / stride)  # "same" and "causal"


def to_nhwc(x, rank, data_format):
    """Channels-last, with a height of one inserted for 1-D inputs: the 2-D ops' layout."""
    if data_format == "channels_first":
        x = transpose(x, [0, *range(2, rank + 2), 1])
    return expand_dims(x, 1) if rank == 1 else x


def from_nhwc(y, rank, data_format):
    """The inverse of ``to_nhwc``."""
    if rank == 1:
        y = squeeze(y, [1])
    if data_format == "channels_first":
        y = transpose(y, [0, rank + 1, *range(1, rank + 1)])
    return y
