"""Keras's host-side image helpers (``keras.utils``): ``array_to_img``, ``img_to_array``,
``load_img`` and ``save_img``, between NumPy arrays and Pillow images (Pillow imported on first
use)."""

from __future__ import annotations

import io
import pathlib
import warnings

import numpy as np

from .keras_ops import config

__all__ = ["array_to_img", "img_to_array", "load_img", "save_img"]

_RESAMPLE = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


def _pil(what):
    try:
        from PIL import Image
    except ImportError:  # Pillow is the extra tensorhouse-components[images]
        raise ImportError(
            f"Could not import PIL.Image. The use of `{what}` requires PIL."
        ) from None
    return Image


def _data_format(data_format):
    fmt = str(data_format or config.image_data_format()).lower()
    if fmt not in ("channels_first", "channels_last"):
        raise ValueError(
            "The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
            f"Received: data_format={data_format}"
        )
    return fmt


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A Pillow image from a rank-3 array: RGBA, RGB or grayscale (``"L"``, or 32-bit ``"I"``
    for values above 255) by its channel count. ``scale`` maps the array's minimum to 0 and its
    maximum to 255 first; values are then truncated to integers."""
    data_format = _data_format(data_format)
    x = np.asarray(x, dtype=dtype or config.floatx())
    if x.ndim != 3:
        raise ValueError(
            f"Expected image array to have rank 3 (single image). Got array with shape: {x.shape}"
        )
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        if np.max(x) != 0:
            x /= np.max(x)
        x *= 255
    channels = x.shape[2]
    if channels not in (1, 3, 4):
        raise ValueError(f"Unsupported channel number: {channels}")
    if channels == 1:
        x = x[:, :, 0]
        if np.max(x) > 255:
            return _pil("array_to_img").fromarray(x.astype("int32"), "I")
    return _pil("array_to_img").fromarray(
        x.astype("uint8"), {1: "L", 3: "RGB", 4: "RGBA"}[channels]
    )


def img_to_array(img, data_format=None, dtype=None):
    """A Pillow image (or anything array-like) as a rank-3 array in ``dtype`` (``floatx``); a
    two-dimensional image gets a channel axis."""
    data_format = _data_format(data_format)
    x = np.asarray(img, dtype=dtype or config.floatx())
    if x.ndim == 3:
        return x.transpose(2, 0, 1) if data_format == "channels_first" else x
    if x.ndim == 2:
        return x[None] if data_format == "channels_first" else x[..., None]
    raise ValueError(f"Unsupported image shape: {x.shape}")


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Writes the array ``x`` as an image file; the format comes from the file's suffix unless
    ``file_format`` names it (RGBA written as JPEG loses its alpha, with a warning)."""
    data_format = _data_format(data_format)
    if file_format is None and isinstance(path, str | pathlib.Path):
        file_format = pathlib.Path(path).suffix[1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn(
            "The JPEG format does not support RGBA images, converting to RGB.", stacklevel=2
        )
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest",
             keep_aspect_ratio=False):  # fmt: skip
    """A Pillow image read from ``path`` (a path or a ``BytesIO``), converted to
    ``color_mode`` (``"grayscale"``, ``"rgb"``, ``"rgba"``) and resized to ``target_size``
    ``(height, width)`` with Pillow's ``interpolation``, after a centred crop to the target's
    aspect ratio when ``keep_aspect_ratio``."""
    image = _pil("load_img")
    if isinstance(path, io.BytesIO):
        img = image.open(path)
    elif isinstance(path, pathlib.Path | bytes | str):
        with open(path.resolve() if isinstance(path, pathlib.Path) else path, "rb") as f:
            img = image.open(io.BytesIO(f.read()))
    else:
        raise TypeError(f"path should be path-like or io.BytesIO, not {type(path)}")
    modes = {"grayscale": ("L", ("L", "I;16", "I")), "rgba": ("RGBA", ("RGBA",)),
             "rgb": ("RGB", ("RGB",))}  # fmt: skip
    if color_mode not in modes:
        raise ValueError('color_mode must be "grayscale", "rgb", or "rgba"')
    if img.mode not in modes[color_mode][1]:
        img = img.convert(modes[color_mode][0])
    if target_size is None or img.size == (target_size[1], target_size[0]):
        return img
    if interpolation not in _RESAMPLE:
        raise ValueError(
            f"Invalid interpolation method {interpolation} specified. Supported methods are "
            + ", ".join(_RESAMPLE)
        )
    resample = getattr(image.Resampling, interpolation.upper())
    size = (target_size[1], target_size[0])
    if not keep_aspect_ratio:
        return img.resize(size, resample)
    width, height = img.size
    crop_h = min(height, (width * target_size[0]) // target_size[1])
    crop_w = min(width, (height * target_size[1]) // target_size[0])
    top, left = (height - crop_h) // 2, (width - crop_w) // 2
    return img.resize(size, resample, box=[left, top, left + crop_w, top + crop_h])
