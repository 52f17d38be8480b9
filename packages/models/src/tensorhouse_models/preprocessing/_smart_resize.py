"""Keras 3's ``smart_resize``: crop the centre to the target's aspect ratio, then resize."""

from __future__ import annotations

import numpy as np

from tensorhouse_components import keras_ops


def smart_resize(x, size, interpolation="bilinear", data_format="channels_last", **kwargs):
    """Resize ``x`` (``(h, w, c)`` or ``(n, h, w, c)``; channels first with
    ``data_format="channels_first"``) to ``size`` without distorting its aspect ratio: the
    largest centred box of the target's ratio is cropped first (a NumPy array in, one out)."""
    kwargs.pop("backend_module", None)
    if kwargs:
        raise TypeError(f"smart_resize() got unexpected keyword arguments: {list(kwargs.keys())}")
    if len(size) != 2:
        raise ValueError(f"Expected `size` to be a tuple of 2 integers, but got: {size}.")
    img = keras_ops.convert_to_tensor(x)
    if not 3 <= len(img.shape) <= 4:
        raise ValueError(
            "Expected an image array with shape `(height, width, channels)`, or `(batch_size, "
            "height, width, channels)`, but got input with incorrect rank, of shape "
            f"{tuple(img.shape)}."
        )
    out = keras_ops.image.resize(img, tuple(size), interpolation=interpolation,
                                 crop_to_aspect_ratio=True, data_format=data_format)  # fmt: skip
    return np.array(out) if isinstance(x, np.ndarray) else out
