"""PNG, JPEG, GIF and BMP: ``decode_*`` / ``encode_*`` through Pillow, the well-kept imaging
library (libpng, libjpeg-turbo and zlib underneath), run on the host: eagerly, or as one host
node of a traced graph (so ``Dataset.map(decode_png)`` traces). Pillow is imported on first use.
8- and 16-bit grey / colour PNGs are read here instead (``_png_direct``: the kernels' C++ PNG
reader around Python's zlib), one native call per image with the GIL released for the work.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np

from tensorhouse_kernels import host_images
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
_UINT8 = np.dtype(np.uint8)
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


# (bit depth, colour type) -> (Pillow's mode, its raw mode), as Pillow's own PNG reader maps them
# (8- and 16-bit grey / colour files: _png_direct).
_PNG_MODES = {
    (1, 0): ("1", "1"), (2, 0): ("L", "L;2"), (4, 0): ("L", "L;4"), (8, 0): ("L", "L"),
    (8, 2): ("RGB", "RGB"), (1, 3): ("P", "P;1"), (2, 3): ("P", "P;2"), (4, 3): ("P", "P;4"),
    (8, 3): ("P", "P"), (8, 4): ("LA", "LA"), (8, 6): ("RGBA", "RGBA"),
}  # fmt: skip


def _png_chunks(data):
    """``{kind: [body, ...]}`` of a PNG's chunks up to IEND; a chunk cut short or with a wrong
    CRC is an error, as in libpng (Image.open does not check IDAT's)."""
    chunks, pos, end, view = {}, 8, len(data), memoryview(data)  # bodies as views: no copies
    while pos + 12 <= end:
        length, kind = struct.unpack_from(">I4s", data, pos)
        stop = pos + 8 + length
        if stop + 4 > end:
            raise ValueError(f"chunk {kind!r} is cut short")
        body = view[pos + 8 : stop]
        if zlib.crc32(body, zlib.crc32(kind)) != struct.unpack_from(">I", data, stop)[0]:
            raise ValueError(f"chunk {kind!r} has a wrong CRC")
        if kind == b"IEND":
            return chunks
        chunks.setdefault(kind, []).append(body)
        pos = stop + 4
    return chunks


def _inflate(idat, need):
    """The first ``need`` bytes the zlib stream ``idat`` inflates to (fewer: it is cut short;
    none for an image with no pixels, whose stream is left alone); CPython's zlib releases the
    GIL while it inflates."""
    return zlib.decompressobj().decompress(idat, need) if need else b""


def _png_direct(data):
    """An 8- or 16-bit grey / colour PNG, interlaced or not, as (its samples (h, w, samples
    per pixel), uint8 or uint16; its tRNS colour key or None): in C++ (the chunks' CRCs, Adam7,
    the unfiltering, the GIL released) around Python's zlib; no pixel limit, as TF (the pixels
    are allocated once the data is there). None for the files left to Pillow (palettes, under
    8 bits). Bad data raises ValueError or zlib.error."""
    return host_images.png_decode(data, _inflate)


def _png_fast(image_mod, data):
    """A non-interlaced PNG through Pillow's own zlib + unfilter decoder fed straight from the
    chunks (a third faster than Image.open); None for what is left to Image.open."""
    chunks = _png_chunks(data)
    header = chunks and chunks.get(b"IHDR")
    if not header or len(header[0]) != 13 or b"IDAT" not in chunks:
        return None
    w, h, depth, colour, _, filtering, interlace = struct.unpack(">IIBBBBB", header[0])
    mode, rawmode = _PNG_MODES.get((depth, colour), (None, None))
    limit = image_mod.MAX_IMAGE_PIXELS
    if mode is None or interlace or filtering or not w or not h or (limit and w * h > limit):
        return None
    img = image_mod.frombytes(mode, (w, h), b"".join(chunks[b"IDAT"]), "zip", rawmode)
    alphas = chunks.get(b"tRNS", [None])[0]
    alphas = None if alphas is None else bytes(alphas)
    if mode == "P":
        if b"PLTE" not in chunks:
            return None
        img.putpalette(bytes(chunks[b"PLTE"][0]), "RGB")
        if alphas is not None:  # an alpha per palette entry
            img.info["transparency"] = alphas
    elif alphas is not None and mode in ("1", "L", "RGB"):
        if len(alphas) < (6 if mode == "RGB" else 2):
            return None
        keys = struct.unpack_from(">3H" if mode == "RGB" else ">H", alphas)
        scale = 255 // ((1 << depth) - 1)  # the key as the pixels' scale
        img.info["transparency"] = keys if mode == "RGB" else keys[0] * scale
    return img


def _bad(op, kind, e):
    return errors.InvalidArgumentError(
        None, None, f"{op}: the data is not a valid {kind} image ({e}) [Op:{op}]"
    )


def _open(data, op, kind):
    image_mod = _pil()
    hint = _formats(data)
    try:
        img = _png_fast(image_mod, data) if hint == ("PNG",) else None
        if img is not None:
            return img
        try:
            img = image_mod.open(io.BytesIO(data), formats=hint)
        except Exception:
            if hint is None:
                raise
            img = image_mod.open(io.BytesIO(data))  # the leading bytes misled: try them all
        img.load()
    except Exception as e:  # Pillow raises many classes for bad data
        raise _bad(op, kind, e) from None
    return img


def _read(data, op, kind):
    """An image file as (an (h, w, c) array of the channels it stores, its colour key or None):
    8- and 16-bit grey / colour PNGs by _png_direct, the rest through Pillow."""
    if data[:8] == _MAGIC[0][0] and data[12:16] == b"IHDR" and data[24:25] in (b"\x08", b"\x10"):
        try:
            direct = _png_direct(data)
        except Exception as e:  # zlib, struct or the unfiltering on bad data
            raise _bad(op, kind, e) from None
        if direct is not None:
            return direct
    return _array(_open(data, op, kind))


def _array(img):
    """A Pillow image as (an (h, w, c) array of its channels, its colour key or None)."""
    key = img.info.get("transparency") if img.mode in ("1", "L", "RGB") else None
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        return np.asarray(img).astype(np.uint16)[:, :, None], key  # 16-bit grey
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    elif img.mode not in _MODES.values():
        gray = img.mode in ("1", "F") or img.mode.startswith("I;")
        img = img.convert("RGBA" if "A" in img.mode else ("L" if gray else "RGB"))
    arr = np.asarray(img)
    return arr[:, :, None] if arr.ndim == 2 else arr, key


# Colour to grey: TF's PNG decoder (libpng: 0.299 / 0.587 in 1/32768ths, truncated for 8-bit
# data, rounded for 16-bit), and Pillow's "L" for the other formats: (weights, shift).
_GREY = {True: (np.array([9797, 19234, 3737], np.uint32), 15),
         False: (np.array([19595, 38470, 7471], np.uint32), 16)}  # fmt: skip


def _pixels(arr, key, channels, dtype, png=None):
    """Stored channels ``arr`` (colour key ``key``) as ``channels`` (0: as stored) of ``dtype``
    (a NumPy dtype); 8-bit data as uint16 is ``v * 257``, 16-bit data as uint8 ``v >> 8``.
    ``png``: the file's bytes for a PNG, decoded by TF's libpng rules: grey from colour by
    libpng's weights, a transparent colour key as alpha, and the alpha an opaque file under 8
    bits gains is its largest sample."""
    stored = arr.shape[-1]
    if arr.dtype is dtype and channels in (0, stored) and arr.flags.c_contiguous:
        return arr  # as stored: the common case, per image in a pipeline
    top = 65535 if arr.dtype == np.uint16 else 255
    if channels and channels != stored:
        colour, alpha = arr[:, :, : 3 if stored >= 3 else 1], None
        if stored in (2, 4):
            alpha = arr[:, :, -1:]
        elif channels in (2, 4) and key is not None and png is not None:
            match = np.all(colour == np.asarray(key), axis=-1, keepdims=True)
            alpha = np.where(match, 0, top).astype(arr.dtype)
        elif channels in (2, 4):
            depth = png[24] if png is not None else 8
            filler = (1 << depth) - 1 if depth < 8 else top
            alpha = np.full(arr.shape[:2] + (1,), filler, arr.dtype)
        if channels <= 2 and colour.shape[-1] == 3:
            weights, shift = _GREY[png is not None]
            rounding = 1 << (shift - 1) if png is None or top == 65535 else 0
            grey = colour.astype(np.uint32) @ weights + rounding >> shift
            colour = grey.astype(arr.dtype)[:, :, None]
        elif channels >= 3 and colour.shape[-1] == 1:
            colour = np.repeat(colour, 3, axis=-1)
        arr = np.concatenate([colour, alpha], -1) if channels in (2, 4) else colour
    if arr.dtype != dtype:
        arr = arr.astype(np.uint16) * 257 if dtype == np.uint16 else (arr >> 8).astype(dtype)
    return np.ascontiguousarray(arr)


def _check_channels(channels, allowed, op):
    if channels not in allowed:
        listed = ", ".join(map(str, allowed[:-1])) + f" or {allowed[-1]}"
        raise errors.InvalidArgumentError(
            None, None, f"`channels` must be {listed} but got {channels} [Op:{op}]"
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
    _check_channels(channels, (0, 1, 3, 4), "DecodePng")
    dtype = _dt.as_dtype(dtype)
    if dtype not in (_dt.uint8, _dt.uint16):
        raise TypeError(f"DecodePng: dtype must be uint8 or uint16, got {dtype.name}")

    np_dtype = np.dtype(dtype.as_numpy_dtype)

    def decode(data):
        png = data if data.startswith(_MAGIC[0][0]) else None
        return _pixels(*_read(data, "DecodePng", "PNG"), channels, np_dtype, png)

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
        return _pixels(*_array(img), channels, _UINT8)

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
        return _pixels(*_read(data, "DecodeBmp", "BMP"), channels, _UINT8)

    return _decode("DecodeBmp", contents, channels, _dt.uint8, "BMP", decode)


def is_jpeg(contents, name=None):
    """Whether the bytes start with JPEG's marker."""
    contents = _bytes(contents, "IsJpeg")
    run = lambda arrays: [np.asarray(_data(arrays[0])[:3] == b"\xff\xd8\xff")]  # noqa: E731
    return host_call(_HOST, run, [contents], [((), _dt.bool)], "IsJpeg", arrays=True)[0]


def decode_image(contents, channels=None, dtype=_dt.uint8, name=None, expand_animations=True):
    """Any of PNG, JPEG, GIF, BMP by its signature; ``dtype`` float scales to [0, 1]."""
    dtype = _dt.as_dtype(dtype)
    channels = channels or 0
    _check_channels(channels, (0, 1, 3, 4), "DecodeImage")
    contents = _bytes(contents, "DecodeImage")
    out_dtype = dtype if dtype in (_dt.uint8, _dt.uint16) else _dt.uint8
    np_dtype = np.dtype(out_dtype.as_numpy_dtype)

    def run(arrays):
        data = _data(arrays[0])
        (kind,) = _formats(data) or (None,)
        if kind is None:
            raise errors.InvalidArgumentError(
                None, None,
                "Unknown image file format. One of JPEG, PNG, GIF, BMP required. [Op:DecodeImage]",
            )  # fmt: skip
        if kind == "GIF" and expand_animations:
            return [_frames(_open(data, "DecodeImage", kind))]
        png = data if kind == "PNG" else None
        return [_pixels(*_read(data, "DecodeImage", kind), channels, np_dtype, png)]

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


def _chunk(kind, body):
    return (
        struct.pack(">I", len(body))
        + kind
        + body
        + struct.pack(">I", zlib.crc32(body, zlib.crc32(kind)))
    )


def _png16_file(arr, level):
    """An (h, w, c) uint16 image as a 16-bit PNG (Pillow writes 16 bits for grey only), its
    scanlines unfiltered."""
    h, w, c = arr.shape
    rows = np.zeros((h, 1 + 2 * w * c), np.uint8)
    rows[:, 1:] = arr.astype(">u2").reshape(h, -1).view(np.uint8)
    header = struct.pack(">IIBBBBB", w, h, 16, (0, 4, 2, 6)[c - 1], 0, 0, 0)
    body = (b"IHDR", header), (b"IDAT", zlib.compress(rows.tobytes(), level)), (b"IEND", b"")
    return _MAGIC[0][0] + b"".join(_chunk(k, b) for k, b in body)


def encode_png(image, compression=-1, name=None):
    """A (height, width, channels) uint8 / uint16 image as PNG bytes."""
    image = _encode_input(image, "EncodePng", (_dt.uint8, _dt.uint16))

    def run(arrays):
        arr = arrays[0]
        _check_image_channels(arr.shape[-1], "EncodePng")
        level = 6 if compression == -1 else int(compression)
        if arr.dtype == np.uint16:
            return [_string(_png16_file(arr, level))]
        img = _pil().fromarray(arr[:, :, 0] if arr.shape[-1] == 1 else arr,
                               mode=_MODES[arr.shape[-1]])  # fmt: skip
        out = io.BytesIO()
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
