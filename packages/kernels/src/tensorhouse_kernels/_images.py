"""PNG decoding in C++ (``cpp/image.cpp``), for the ops layer's ``decode_png``."""

from __future__ import annotations

import types

from .cpu import _cpu

__all__ = ["host_images"]

host_images = types.SimpleNamespace(png_decode=_cpu.png_decode)
host_images.__doc__ = (
    "Image codec loops on the host, in C++: png_decode(data, inflate) -> an 8- or 16-bit grey "
    "/ colour PNG (interlaced or not) as (its (h, w, samples) uint8 / uint16 samples, its tRNS "
    "colour key or None), or None for the files it leaves to Pillow; the chunk walk, CRCs, "
    "Adam7 and unfiltering run with the GIL released, inflate(idat, n) gives the first n bytes "
    "of the inflated IDAT stream; ValueError for bad data."
)
