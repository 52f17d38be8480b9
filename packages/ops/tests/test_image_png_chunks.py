"""``decode_png``'s chunk readers give the pixels ``Image.open`` gives for every PNG bit depth
and colour type, palette transparency, colour keys, every ``channels`` / ``dtype``: 8- and 16-bit
grey / colour files through our own reader (zlib, C++ unfiltering, checked against a byte-by-byte
reference), the others through Pillow's zlib decoder fed without ``Image.open``; damaged files
fail as TF's InvalidArgumentError."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest

import tensorhouse_ops as tfo
from tensorhouse_ops import _image_codecs


def _chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png(rows, w, h, depth, colour, extra=(), interlace=0, kind=b"\0"):
    header = struct.pack(">IIBBBBB", w, h, depth, colour, 0, 0, interlace)
    parts = [_chunk(b"IHDR", header), *[_chunk(k, b) for k, b in extra]]
    idat = zlib.compress(b"".join(kind + r for r in rows))  # every row's filter: kind
    parts += [_chunk(b"IDAT", idat[:5]), _chunk(b"IDAT", idat[5:]), _chunk(b"IEND", b"")]
    return b"\x89PNG\r\n\x1a\n" + b"".join(parts)


def _packed(values, depth):
    """Rows of ``depth``-bit samples packed big-endian as PNG stores them."""
    if depth == 16:
        return [r.astype(">u2").tobytes() for r in values]
    if depth == 8:
        return [r.astype(np.uint8).tobytes() for r in values]
    return [np.packbits(np.unpackbits(r.astype(np.uint8)[:, None], 1)[:, 8 - depth :]).tobytes()
            for r in values]  # fmt: skip


_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_CASES = [(d, 0) for d in (1, 2, 4, 8)] + [(8, 2), (8, 4), (8, 6)]
_CASES += [(d, 3) for d in (1, 2, 4, 8)]


def _cases():
    rng = np.random.default_rng(7)
    w, h = 13, 6
    for depth, colour in _CASES:
        top = 2**depth
        samples = rng.integers(0, top, (h, w * _CHANNELS[colour]))
        rows = _packed(samples, depth)
        if colour == 3:
            plte = (b"PLTE", rng.integers(0, 256, 3 * top, dtype=np.uint8).tobytes())
            yield f"p{depth}", _png(rows, w, h, depth, colour, [plte])
            alpha = np.full(top, 255, np.uint8)
            alpha[top // 2] = 0  # one transparent entry: Pillow's integer transparency
            yield f"p{depth}-one", _png(rows, w, h, depth, colour, [plte, (b"tRNS", bytes(alpha))])
            alpha = rng.integers(0, 256, top // 2 + 1, dtype=np.uint8).tobytes()
            yield f"p{depth}-alphas", _png(rows, w, h, depth, colour, [plte, (b"tRNS", alpha)])
            continue
        yield f"c{colour}d{depth}", _png(rows, w, h, depth, colour)
        if colour in (0, 2):
            key = samples[0, : _CHANNELS[colour]]  # this pixel's colour is the transparent one
            trns = (b"tRNS", struct.pack(f">{len(key)}H", *key))
            yield f"c{colour}d{depth}-key", _png(rows, w, h, depth, colour, [trns])


_ALL = list(_cases())


def _via_image_open(monkeypatch, *args, **kwargs):
    with monkeypatch.context() as m:
        m.setattr(_image_codecs, "_png_fast", lambda image_mod, data: None)
        m.setattr(_image_codecs, "_png_direct", lambda data: None)
        return tfo.io.decode_png(*args, **kwargs).numpy()


@pytest.mark.parametrize("name,data", _ALL, ids=[n for n, _ in _ALL])
def test_same_pixels_as_image_open(monkeypatch, name, data):
    from PIL import Image

    assert _image_codecs._png_fast(Image, data) is not None  # the chunk reader took it
    direct = _image_codecs._png_direct(data)
    assert (direct is not None) == (name.startswith(("c0d8", "c2d8", "c4d8", "c6d8")))
    for channels in (0, 1, 3, 4):
        if channels == 4 and name in ("c0d2-key", "c0d4-key"):
            continue  # Image.open leaves a 2- or 4-bit key unscaled: test_values_against_numpy
        for dtype in ("uint8", "uint16"):
            got = tfo.io.decode_png(data, channels=channels, dtype=dtype).numpy()
            want = _via_image_open(monkeypatch, data, channels=channels, dtype=dtype)
            assert got.dtype == want.dtype and got.shape[-1] == (channels or want.shape[-1])
            np.testing.assert_array_equal(got, want, err_msg=f"{name} {channels} {dtype}")


def test_values_against_numpy():
    """The reader's pixels against the samples written: 4-bit grey, 16-bit RGB, palette + alpha."""
    rng = np.random.default_rng(1)
    grey = rng.integers(0, 16, (5, 9))
    got = tfo.io.decode_png(_png(_packed(grey, 4), 9, 5, 4, 0)).numpy()
    np.testing.assert_array_equal(got[..., 0], grey * 17)  # Pillow scales 4 bits to 8 as libpng
    rgb = rng.integers(0, 65536, (4, 3, 3))
    data = _png(_packed(rgb.reshape(4, 9), 16), 3, 4, 16, 2)
    np.testing.assert_array_equal(tfo.io.decode_png(data, dtype="uint16").numpy(), rgb)
    np.testing.assert_array_equal(tfo.io.decode_png(data).numpy(), rgb >> 8)
    palette = rng.integers(0, 256, (4, 3), dtype=np.uint8)
    alpha = np.array([10, 20, 30], np.uint8)  # the fourth entry: opaque
    index = rng.integers(0, 4, (3, 5))
    extra = [(b"PLTE", palette.tobytes()), (b"tRNS", alpha.tobytes())]
    got = tfo.io.decode_png(_png(_packed(index, 8), 5, 3, 8, 3, extra)).numpy()
    want = np.concatenate([palette, np.append(alpha, 255)[:, None]], -1)[index]
    np.testing.assert_array_equal(got, want)


def _adam7(pixels):
    """An image's Adam7 scanlines (each pass's rows, filter 0)."""
    rows = []
    for x0, y0, dx, dy in ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4),
                           (1, 0, 2, 2), (0, 1, 1, 2)):  # fmt: skip
        sub = pixels[y0::dy, x0::dx]
        if sub.size:
            rows += [r.tobytes() for r in sub.reshape(sub.shape[0], -1)]
    return rows


def test_interlaced_and_damaged_files(monkeypatch):
    from PIL import Image

    pixels = np.random.default_rng(3).integers(0, 256, (11, 10, 3), dtype=np.uint8)
    interlaced = _png(_adam7(pixels), 10, 11, 8, 2, interlace=1)
    assert _image_codecs._png_fast(Image, interlaced) is None  # Pillow's reader: Image.open
    assert _image_codecs._png_direct(interlaced) is not None  # ours reads Adam7 too
    np.testing.assert_array_equal(tfo.io.decode_png(interlaced).numpy(), pixels)
    np.testing.assert_array_equal(_via_image_open(monkeypatch, interlaced), pixels)
    good = _png(_packed(pixels.reshape(11, 30), 8), 10, 11, 8, 2)
    np.testing.assert_array_equal(tfo.io.decode_png(good).numpy(), pixels)
    for cut in (len(good) - 30, len(good) - 14, 40):  # inside IDAT, in the IEND chunk, early
        damaged = bytearray(good)
        damaged[cut] ^= 0x55
        with pytest.raises(tfo.errors.InvalidArgumentError, match="DecodePng"):
            tfo.io.decode_png(bytes(damaged))
    for size in (60, len(good) - 13):  # cut short
        with pytest.raises(tfo.errors.InvalidArgumentError, match="DecodePng"):
            tfo.io.decode_png(good[:size])
    # Chunk CRCs right, zlib stream wrong: Pillow's decoder fails, reported as TF.
    bad = _png([b"\xff" * 30] * 11, 10, 11, 8, 2).replace(b"x\x9c", b"x\x9d", 1)
    with pytest.raises(tfo.errors.InvalidArgumentError, match="not a valid PNG"):
        tfo.io.decode_png(bad)


def _unfilter_reference(raw, h, w, bpp):
    """PNG's unfiltering as the specification writes it, a byte at a time."""
    out, stride = bytearray(), w * bpp
    for r in range(h):
        kind, line = raw[r * (stride + 1)], raw[r * (stride + 1) + 1 : (r + 1) * (stride + 1)]
        for i, x in enumerate(line):
            a = out[-bpp] if i >= bpp else 0
            b = out[-stride] if r else 0
            c = out[-stride - bpp] if r and i >= bpp else 0
            p = a + b - c
            paeth = (
                a
                if abs(p - a) <= min(abs(p - b), abs(p - c))
                else (b if abs(p - b) <= abs(p - c) else c)
            )
            out.append((x + (0, a, b, (a + b) // 2, paeth)[kind]) & 255)
    return np.frombuffer(bytes(out), np.uint8).reshape(h, w, bpp)


_GEOMETRIES = [(1, 1, 2), (4, 9, 6), (9, 4, 8), (7, 7, 4), (600, 3, 2), (5, 2, 1), (6, 1, 3),
               (3, 5, 3)]  # fmt: skip
# bytes per pixel -> (bit depth, colour type) of the PNG holding such scanlines
_LAYOUTS = {1: (8, 0), 2: (8, 4), 3: (8, 2), 4: (8, 6), 6: (16, 2), 8: (16, 6)}


@pytest.mark.parametrize("h,w,bpp", _GEOMETRIES)
def test_unfilter_against_reference(h, w, bpp):
    rng = np.random.default_rng(h * w + bpp)
    rows = rng.integers(0, 256, (h, 1 + w * bpp), dtype=np.uint8)
    rows[:, 0] = np.arange(h) % 5  # every filter, each after every other
    rows[h // 2 :, 1:] //= 16  # small values: Paeth's three branches all taken
    raw = rows.tobytes()
    depth, colour = _LAYOUTS[bpp]
    samples, _ = _image_codecs._png_direct(_png([r.tobytes() for r in rows], w, h, depth,
                                                colour, kind=b""))  # fmt: skip
    got = samples.astype(">u2").view(np.uint8) if depth == 16 else samples
    np.testing.assert_array_equal(got.reshape(h, w, bpp), _unfilter_reference(raw, h, w, bpp))


def test_sixteen_bit_interlaced_key_and_damage():
    rng = np.random.default_rng(4)
    grey = rng.integers(0, 65536, (9, 6, 1))
    rows = [r.astype(">u2").tobytes() for r in grey.reshape(9, 6)]
    plain = _png(rows, 6, 9, 16, 0, [(b"tRNS", struct.pack(">H", grey[2, 3, 0]))])
    got = tfo.io.decode_png(plain, channels=4, dtype="uint16").numpy()
    np.testing.assert_array_equal(got[..., 0], grey[..., 0])
    np.testing.assert_array_equal(got[..., 3], np.where(grey[..., 0] == grey[2, 3, 0], 0, 65535))
    lines = _adam7(grey.astype(">u2").view(np.uint8).reshape(9, 6, 2))
    interlaced = _png(lines, 6, 9, 16, 0, interlace=1)
    np.testing.assert_array_equal(tfo.io.decode_png(interlaced, dtype="uint16").numpy(), grey)
    bad_filter = _png(rows, 6, 9, 16, 0, kind=b"\x07")
    short = _png(rows[:-1], 6, 9, 16, 0)
    for data, message in ((bad_filter, "unknown filter type 7"), (short, "cut short")):
        with pytest.raises(tfo.errors.InvalidArgumentError, match=f"DecodePng.*{message}"):
            tfo.io.decode_png(data, dtype="uint16")


def test_sixteen_bit_grey_written_by_pillow():
    import io

    from PIL import Image

    rows, cols = np.mgrid[:40, :30]
    grey = ((rows * 1500 + cols * 900 + (rows * cols) % 7 * 3000) % 65536).astype(np.uint16)
    out = io.BytesIO()
    Image.fromarray(grey).save(out, format="PNG")  # Pillow's "I;16", its own filter choice
    np.testing.assert_array_equal(
        tfo.io.decode_png(out.getvalue(), dtype="uint16").numpy()[..., 0], grey
    )
