"""PNG scanline unfiltering in C++ (``cpp/image.cpp``), for the ops layer's ``decode_png``."""

from __future__ import annotations

import types

from .cpu import _cpu

__all__ = ["host_images"]

host_images = types.SimpleNamespace(png_unfilter=_cpu.png_unfilter)
host_images.__doc__ = (
    "Image codec loops on the host, in C++: png_unfilter(raw, h, w, bpp) -> the (h, w, bpp) "
    "uint8 pixels of h PNG scanlines (each a filter byte, then w * bpp bytes), with the GIL "
    "released; ValueError for data cut short or an unknown filter type."
)
