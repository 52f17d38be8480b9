"""``decode_png``'s numbers for PNG bit depths and colour types, as TF's libpng decoder gives
them: low bit depths scaled to 8 bits, 16-bit data as uint8 ``v >> 8``, 8-bit data as uint16
``v * 257``, colour to grey by libpng's truncated 0.299 / 0.587 weights, a grey colour key
(tRNS) as alpha, the alpha an opaque file under 8 bits gains (its largest sample: TF's quirk),
16-bit grey + alpha as two channels, ``channels=2`` refused; 16-bit colour kept to the last bit
with every row filter and Adam7 interlacing, its grey rounded."""

from __future__ import annotations

import os
import struct
import zlib

import numpy as np
import pytest


def _chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png(samples, depth, colour, extra=()):
    """A PNG of ``samples`` (height, width * samples per pixel), packed at ``depth`` bits."""
    h, n = samples.shape
    per_pixel = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
    if depth == 16:
        rows = [r.astype(">u2").tobytes() for r in samples]
    else:
        bits = np.unpackbits(samples.astype(np.uint8)[..., None], -1)[..., 8 - depth :]
        rows = [np.packbits(r.reshape(-1)).tobytes() for r in bits]
    header = struct.pack(">IIBBBBB", n // per_pixel, h, depth, colour, 0, 0, 0)
    body = zlib.compress(b"".join(b"\0" + r for r in rows))
    chunks = [(b"IHDR", header), *extra, (b"IDAT", body), (b"IEND", b"")]
    return b"\x89PNG\r\n\x1a\n" + b"".join(_chunk(k, b) for k, b in chunks)


def _decode(tf, data, channels=0, dtype="uint8"):
    return tf.io.decode_png(data, channels=channels, dtype=dtype).numpy().astype(np.int64)


@pytest.mark.parametrize("depth", [1, 2, 4])
def test_low_bit_grey_scaled_key_and_filler(tf, depth):
    rng = np.random.default_rng(depth)
    top = (1 << depth) - 1
    grey = rng.integers(0, top + 1, (3, 8))
    grey[0, 0] = 1  # the key below appears
    data = _png(grey, depth, 0)
    scaled = grey * (255 // top)
    np.testing.assert_array_equal(_decode(tf, data)[..., 0], scaled)
    rgba = _decode(tf, data, 4)
    np.testing.assert_array_equal(rgba[..., :3], np.repeat(scaled[..., None], 3, -1))
    np.testing.assert_array_equal(rgba[..., 3], np.full_like(grey, top))  # not 255: TF's filler
    keyed = _png(grey, depth, 0, [(b"tRNS", struct.pack(">H", 1))])
    alpha = _decode(tf, keyed, 4, "uint16")[..., 3]
    np.testing.assert_array_equal(alpha, np.where(grey == 1, 0, 65535))


def test_sixteen_bit_grey_and_grey_alpha(tf):
    rng = np.random.default_rng(0)
    grey = rng.integers(0, 65536, (4, 5))
    data = _png(grey, 16, 0)
    np.testing.assert_array_equal(_decode(tf, data, 0, "uint16")[..., 0], grey)
    np.testing.assert_array_equal(_decode(tf, data)[..., 0], grey >> 8)
    np.testing.assert_array_equal(_decode(tf, data, 3)[..., 1], grey >> 8)
    pairs = rng.integers(0, 65536, (4, 10))
    got = _decode(tf, _png(pairs, 16, 4))
    assert got.shape == (4, 5, 2)
    np.testing.assert_array_equal(got.reshape(4, 10), pairs >> 8)


def test_colour_to_grey_and_wide(tf):
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, (6, 7, 3))
    rgb[0, 0] = (200, 200, 200)
    data = _png(rgb.reshape(6, 21), 8, 2)
    want = rgb @ np.array([9797, 19234, 3737]) >> 15
    np.testing.assert_array_equal(_decode(tf, data, 1)[..., 0], want)
    assert _decode(tf, data, 1)[0, 0, 0] == 200
    np.testing.assert_array_equal(_decode(tf, data, 1, "uint16")[..., 0], want * 257)
    wide = _decode(tf, data, 4, "uint16")
    np.testing.assert_array_equal(wide[..., :3], rgb * 257)
    np.testing.assert_array_equal(wide[..., 3], np.full((6, 7), 65535))
    palette = rng.integers(0, 256, (4, 3))
    index = rng.integers(0, 4, (3, 5))
    extra = [(b"PLTE", palette.astype(np.uint8).tobytes()), (b"tRNS", bytes([0, 9]))]
    got = _decode(tf, _png(index, 2, 3, extra))
    alpha = np.array([0, 9, 255, 255])
    np.testing.assert_array_equal(got, np.concatenate([palette, alpha[:, None]], -1)[index])
    np.testing.assert_array_equal(_decode(tf, _png(index, 2, 3, extra), 1)[..., 0],
                                  palette[index] @ np.array([9797, 19234, 3737]) >> 15)  # fmt: skip


def test_channels_two_refused(tf):
    data = _png(np.zeros((2, 2), np.int64), 8, 0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="must be 0, 1, 3 or 4 but got 2"):
        tf.io.decode_png(data, channels=2)


_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
          (0, 1, 1, 2))  # fmt: skip


def _filtered(rows, bpp, start):
    """Scanlines of (n, bytes) ``rows``, row r filtered by PNG's filter (start + r) % 5."""
    lines, prev = [], np.zeros(rows.shape[1], np.int64)
    for r, row in enumerate(rows.astype(np.int64)):
        left = np.concatenate([np.zeros(bpp, np.int64), row[:-bpp]])
        corner = np.concatenate([np.zeros(bpp, np.int64), prev[:-bpp]])
        guess = left + prev - corner
        pa, pb, pc = abs(guess - left), abs(guess - prev), abs(guess - corner)
        paeth = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, prev, corner))
        kind = (start + r) % 5
        pred = (0, left, prev, (left + prev) // 2, paeth)[kind]
        lines.append(bytes([kind]) + ((row - pred) & 255).astype(np.uint8).tobytes())
        prev = row
    return lines


def _png16(pixels, colour, interlace=0, extra=()):
    """A 16-bit PNG of (h, w, samples) ``pixels``, its rows through every filter in turn."""
    h, w, n = pixels.shape
    lines = []
    for i, (x0, y0, dx, dy) in enumerate(_ADAM7 if interlace else ((0, 0, 1, 1),)):
        sub = pixels[y0::dy, x0::dx].astype(">u2")
        if sub.size:
            lines += _filtered(
                np.frombuffer(sub.tobytes(), np.uint8).reshape(len(sub), -1), 2 * n, i
            )
    header = struct.pack(">IIBBBBB", w, h, 16, colour, 0, 0, interlace)
    chunks = [(b"IHDR", header), *extra, (b"IDAT", zlib.compress(b"".join(lines))),
              (b"IEND", b"")]  # fmt: skip
    return b"\x89PNG\r\n\x1a\n" + b"".join(_chunk(k, b) for k, b in chunks)


@pytest.mark.parametrize("interlace", [0, 1])
@pytest.mark.parametrize("colour", [0, 2, 4, 6])
def test_sixteen_bit_every_filter_and_interlaced(tf, colour, interlace):
    rng = np.random.default_rng(colour + interlace)
    n = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    for h, w in ((1, 1), (3, 2), (11, 13), (17, 9)):
        pixels = rng.integers(0, 65536, (h, w, n))
        pixels[: h // 2] = pixels[: h // 2] // 64 + 20000  # smooth rows: small differences
        data = _png16(pixels, colour, interlace)
        np.testing.assert_array_equal(_decode(tf, data, 0, "uint16"), pixels)
        np.testing.assert_array_equal(_decode(tf, data), pixels >> 8)
        image = tf.io.decode_image(data, dtype=tf.uint16).numpy().astype(np.int64)
        np.testing.assert_array_equal(image, pixels)


def test_sixteen_bit_colour_grey_rounded_and_key(tf):
    rng = np.random.default_rng(5)
    weights = np.array([9797, 19234, 3737])
    for colour, n in ((2, 3), (6, 4)):
        pixels = rng.integers(0, 65536, (16, 16, n))
        grey = pixels[..., :3] @ weights + 16384 >> 15  # rounded, unlike 8-bit data
        data = _png16(pixels, colour)
        np.testing.assert_array_equal(_decode(tf, data, 1, "uint16")[..., 0], grey)
        np.testing.assert_array_equal(_decode(tf, data, 1)[..., 0], grey >> 8)
    pixels = rng.integers(0, 65536, (4, 5, 3))
    key = (b"tRNS", struct.pack(">3H", *pixels[1, 2]))
    rgba = _decode(tf, _png16(pixels, 2, extra=[key]), 4, "uint16")
    np.testing.assert_array_equal(rgba[..., :3], pixels)
    np.testing.assert_array_equal(
        rgba[..., 3], np.where(np.arange(20) == 7, 0, 65535).reshape(4, 5)
    )
    np.testing.assert_array_equal(_decode(tf, _png16(pixels, 2), 4)[..., 3], np.full((4, 5), 255))


def test_sixteen_bit_files_written_by_tf_and_round_trip(tf):
    files = np.load(os.path.join(os.path.dirname(__file__), "data", "png16_tf.npz"))
    for channels in (2, 3, 4):  # libpng's encoder picked Sub, Up, Average and Paeth rows
        data = files[f"png{channels}"].tobytes()
        want = files[f"image{channels}"].astype(np.int64)
        np.testing.assert_array_equal(_decode(tf, data, 0, "uint16"), want)
    rng = np.random.default_rng(2)
    for channels in (1, 2, 3, 4):
        image = rng.integers(0, 65536, (6, 7, channels)).astype(np.uint16)
        data = tf.io.encode_png(image).numpy()
        np.testing.assert_array_equal(_decode(tf, data, 0, "uint16"), image)
