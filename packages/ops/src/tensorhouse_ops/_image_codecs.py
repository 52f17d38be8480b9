"""PNG, JPEG, GIF and BMP: ``decode_*`` / ``encode_*`` through Pillow, the well-kept imaging
library (libpng, libjpeg-turbo and zlib underneath), run on the host: eagerly, or as one host
node of a traced graph (so ``Dataset.map(decode_png)`` traces). Pillow is imported on first use.
"""

from __future__ import annotations

import io

import numpy as np

from tensorhouse_kernels.runtime import errors

from . import dtypes as _dt
from ._image import convert_image_dtype
from ._pyfunc import host_call
from ._tensor import Tensor, VariableLike, convert_to_tensor

__all__ = [
    "decode_bmp", "decode_gif", "decode_image", "decode_jpeg", "decode_png", "encode_jpeg",
    "encode_png", "is_jpeg",
]  # fmt: skip

_MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}
# A traced codec is a stateless host node (named after TF's op: DecodePng, EncodeJpeg, ...).
_HOST = "PyFuncStateless"


def _pil():
    from PIL import Image

    return Image


def _bytes(contents, op):
    contents = contents if isinstance(contents, Tensor) else convert_to_tensor(contents)
    if contents.dtype != _dt.string:
        raise TypeError(f"{op}: `contents` must be a string tensor, got {contents.dtype.name}")
    if contents.shape.rank not in (None, 0):
        raise errors.InvalidArgumentError(
            None, None, f"contents must be scalar, got shape {contents.shape} [Op:{op}]"
        )
    return contents


def _data(a):
    """The ``bytes`` of a scalar string array (a host node's input)."""
    v = a[()]
    return v if type(v) is bytes else bytes(v)


def _string(data):
    """``bytes`` as a scalar string array (a host node's output)."""
    return np.asarray(data, dtype=object)


# Leading bytes of the formats TF decodes: Pillow opens the one it names without trying others.
_MAGIC = ((b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF8", "GIF"),
          (b"BM", "BMP"))  # fmt: skip


def _formats(data):
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return (name,)
    return None  # every format Pillow knows


def _open(data, op, kind):
    image_mod = _pil()
    hint = _formats(data)
    try:
        try:
            img = image_mod.open(io.BytesIO(data), formats=hint)
        except Exception:
            if hint is None:
                raise
            img = image_mod.open(io.BytesIO(data))  # the leading bytes misled: try them all
        img.load()
    except Exception as e:  # Pillow raises many classes for bad data
        raise errors.InvalidArgumentError(
            None, None, f"{op}: the data is not a valid {kind} image ({e}) [Op:{op}]"
        ) from None
    return img


def _pixels(img, channels, dtype):
    """The image as an (h, w, c) array with ``channels`` (0: as stored) of ``dtype``."""
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I") and dtype == np.uint16:
        arr = np.asarray(img, dtype=np.uint16)[:, :, None]
        stored = 1
    else:
        if mode == "P":
            img = img.convert("RGBA" if "transparency" in img.info else "RGB")
        elif mode not in _MODES.values():
            gray = mode in ("1", "I", "F") or mode.startswith("I;")
            img = img.convert("RGBA" if "A" in mode else ("L" if gray else "RGB"))
        arr = np.asarray(img)
        arr = arr[:, :, None] if arr.ndim == 2 else arr
        stored = arr.shape[-1]
        if dtype == np.uint16:
            arr = arr.astype(np.uint16) * 257
    if channels and channels != stored:
        if arr.dtype == np.uint16 and stored == 1:
            arr = np.concatenate([arr] * 3, axis=-1) if channels >= 3 else arr
        else:
            target = _MODES[channels]
            src = img if img.mode in _MODES.values() else img.convert("RGB")
            arr = np.asarray(src.convert(target))
            arr = arr[:, :, None] if arr.ndim == 2 else arr
            if dtype == np.uint16:
                arr = arr.astype(np.uint16) * 257
        if channels == 4 and arr.shape[-1] == 3:
            full = np.iinfo(arr.dtype).max
            arr = np.concatenate([arr, np.full(arr.shape[:2] + (1,), full, arr.dtype)], -1)
    return np.ascontiguousarray(arr)


def _check_channels(channels, allowed, op):
    if channels not in allowed:
        raise errors.InvalidArgumentError(
            None, None, f"channels must be in {list(allowed)}, got {channels} [Op:{op}]"
        )


def _decode(op, contents, channels, dtype, kind, decode):
    contents = _bytes(contents, op)

    def run(arrays):
        return [decode(_data(arrays[0]))]

    if dtype is None:
        dtype = _dt.uint8
    out_shape = (None, None, channels if channels else None)
    return host_call(_HOST, run, [contents], [(out_shape, dtype)], op, arrays=True)[0]


def decode_png(contents, channels=0, dtype=_dt.uint8, name=None):
    """A PNG as (height, width, channels) uint8 or uint16."""
    _check_channels(channels, (0, 1, 2, 3, 4), "DecodePng")
    dtype = _dt.as_dtype(dtype)
    if dtype not in (_dt.uint8, _dt.uint16):
        raise TypeError(f"DecodePng: dtype must be uint8 or uint16, got {dtype.name}")

    def decode(data):
        return _pixels(_open(data, "DecodePng", "PNG"), channels, dtype.as_numpy_dtype)

    return _decode("DecodePng", contents, channels, dtype, "PNG", decode)


def decode_jpeg(contents, channels=0, ratio=1, fancy_upscaling=True, try_recover_truncated=False,
                acceptable_fraction=1, dct_method="", name=None):  # fmt: skip
    """A JPEG as (height, width, channels) uint8 (``ratio`` 1, 2, 4 or 8 downscales)."""
    _check_channels(channels, (0, 1, 3), "DecodeJpeg")
    if ratio not in (1, 2, 4, 8):
        raise errors.InvalidArgumentError(None, None, "ratio must be 1, 2, 4, or 8")

    def decode(data):
        img = _open(data, "DecodeJpeg", "JPEG")
        if ratio > 1:
            img = _pil().open(io.BytesIO(data))
            img.draft(img.mode, (max(1, img.width // ratio), max(1, img.height // ratio)))
            img.load()
        return _pixels(img, channels, np.uint8)

    return _decode("DecodeJpeg", contents, channels, _dt.uint8, "JPEG", decode)


def decode_gif(contents, name=None):
    """Every frame of a GIF as (frames, height, width, 3) uint8."""

    def run(arrays):
        return [_frames(_open(_data(arrays[0]), "DecodeGif", "GIF"))]

    contents = _bytes(contents, "DecodeGif")
    return host_call(_HOST, run, [contents], [((None, None, None, 3), _dt.uint8)],
                     "DecodeGif", arrays=True)[0]  # fmt: skip


def _frames(img):
    """Every frame of an animation as (frames, height, width, 3) uint8."""
    frames = []
    for i in range(getattr(img, "n_frames", 1)):
        img.seek(i)
        frames.append(np.asarray(img.convert("RGB")))
    return np.ascontiguousarray(np.stack(frames))


def decode_bmp(contents, channels=0, name=None):
    """A BMP as (height, width, channels) uint8."""
    _check_channels(channels, (0, 1, 3, 4), "DecodeBmp")

    def decode(data):
        return _pixels(_open(data, "DecodeBmp", "BMP"), channels, np.uint8)

    return _decode("DecodeBmp", contents, channels, _dt.uint8, "BMP", decode)


def is_jpeg(contents, name=None):
    """Whether the bytes start with JPEG's marker."""
    contents = _bytes(contents, "IsJpeg")
    run = lambda arrays: [np.asarray(_data(arrays[0])[:3] == b"\xff\xd8\xff")]  # noqa: E731
    return host_call(_HOST, run, [contents], [((), _dt.bool)], "IsJpeg", arrays=True)[0]


_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpeg"), (b"GIF8", "gif"), (b"BM", "bmp"),
)  # fmt: skip


def decode_image(contents, channels=None, dtype=_dt.uint8, name=None, expand_animations=True):
    """Any of PNG, JPEG, GIF, BMP by its signature; ``dtype`` float scales to [0, 1]."""
    dtype = _dt.as_dtype(dtype)
    channels = channels or 0
    contents = _bytes(contents, "DecodeImage")
    out_dtype = dtype if dtype in (_dt.uint8, _dt.uint16) else _dt.uint8

    def run(arrays):
        data = _data(arrays[0])
        kind = next((k for sig, k in _SIGNATURES if data.startswith(sig)), None)
        if kind is None:
            raise errors.InvalidArgumentError(
                None,
                None,
                "Unknown image file format. One of JPEG, PNG, GIF, BMP required. [Op:DecodeImage]",
            )
        img = _open(data, "DecodeImage", kind.upper())
        if kind == "gif" and expand_animations:
            return [_frames(img)]
        return [_pixels(img, channels, out_dtype.as_numpy_dtype)]

    rank_shape = (None, None, channels if channels else None)
    out = host_call(_HOST, run, [contents], [(rank_shape, out_dtype)], "DecodeImage",
                    arrays=True)[0]  # fmt: skip
    if dtype != out_dtype:
        out = convert_image_dtype(out, dtype)
    return out


def _encode_input(image, op, allowed):
    image = image._th_read() if isinstance(image, VariableLike) else convert_to_tensor(image)
    if image.shape.rank != 3:
        raise errors.InvalidArgumentError(
            None, None, f"image must be 3-dimensional, got shape {image.shape} [Op:{op}]"
        )
    if image.dtype not in allowed:
        raise TypeError(f"{op}: image dtype must be one of {[d.name for d in allowed]}")
    _check_image_channels(image.shape.as_list()[-1], op)  # unknown in a trace: checked per run
    return image


def _check_image_channels(channels, op):
    if channels is not None and channels not in (1, 2, 3, 4):
        raise errors.InvalidArgumentError(
            None, None, f"image must have 1, 2, 3, or 4 channels, got {channels} [Op:{op}]"
        )


def encode_png(image, compression=-1, name=None):
    """A (height, width, channels) uint8 / uint16 image as PNG bytes."""
    image = _encode_input(image, "EncodePng", (_dt.uint8, _dt.uint16))

    def run(arrays):
        arr = arrays[0]
        _check_image_channels(arr.shape[-1], "EncodePng")
        if arr.dtype == np.uint16:
            if arr.shape[-1] != 1:
                raise errors.UnimplementedError(
                    None, None, "EncodePng: uint16 images with more than one channel"
                )
            img = _pil().fromarray(arr[:, :, 0].astype("<u2"))  # Pillow's "I;16"
        else:
            img = _pil().fromarray(arr[:, :, 0] if arr.shape[-1] == 1 else arr,
                                   mode=_MODES[arr.shape[-1]])  # fmt: skip
        out = io.BytesIO()
        level = 6 if compression == -1 else int(compression)
        img.save(out, format="PNG", compress_level=level)
        return [_string(out.getvalue())]

    return host_call(_HOST, run, [image], [((), _dt.string)], "EncodePng", arrays=True)[0]


def encode_jpeg(image, format="", quality=95, progressive=False, optimize_size=False,  # noqa: A002
                chroma_downsampling=True, density_unit="in", x_density=300, y_density=300,
                xmp_metadata="", name=None):  # fmt: skip
    """A (height, width, 1 or 3) uint8 image as JPEG bytes."""
    image = _encode_input(image, "EncodeJpeg", (_dt.uint8,))

    def run(arrays):
        arr = arrays[0]
        if arr.shape[-1] not in (1, 3):
            raise errors.InvalidArgumentError(
                None, None, "image must have 1 or 3 channels [Op:EncodeJpeg]"
            )
        img = _pil().fromarray(arr[:, :, 0] if arr.shape[-1] == 1 else arr)
        out = io.BytesIO()
        img.save(out, format="JPEG", quality=int(quality), progressive=bool(progressive),
                 optimize=bool(optimize_size), subsampling=2 if chroma_downsampling else 0,
                 dpi=(x_density, y_density))  # fmt: skip
        return [_string(out.getvalue())]

    return host_call(_HOST, run, [image], [((), _dt.string)], "EncodeJpeg", arrays=True)[0]
