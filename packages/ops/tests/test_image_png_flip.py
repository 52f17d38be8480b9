"""``decode_png`` (Pillow) against the pixels written, for every PNG scanline filter and channel
conversion; bad data reported as TF. ``random_flip_*`` of one image is a cond: the same draws
(and images) as the select it replaced, eager and traced."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest

import tensorhouse_ops as tfo

_STORED_TYPE = {1: 0, 3: 2, 2: 4, 4: 6}  # channels -> PNG colour type


def _chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def _filtered(row, prev, bpp, kind):
    """One scanline filtered with PNG filter ``kind`` (the encoder's side, by the spec)."""
    out = []
    for i, x in enumerate(row):
        a = int(row[i - bpp]) if i >= bpp else 0
        b = int(prev[i]) if prev is not None else 0
        c = int(prev[i - bpp]) if prev is not None and i >= bpp else 0
        pred = [0, a, b, (a + b) // 2, _paeth(a, b, c)][kind]
        out.append((int(x) - pred) % 256)
    return bytes([kind] + out)


def _png(pixels, filters):
    h, w, c = pixels.shape
    rows = pixels.reshape(h, w * c)
    raw = b"".join(
        _filtered(rows[y], rows[y - 1] if y else None, c, filters[y % len(filters)])
        for y in range(h)
    )
    header = struct.pack(">IIBBBBB", w, h, 8, _STORED_TYPE[c], 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(raw)) + _chunk(b"IEND", b""))  # fmt: skip


def _expected(pixels, channels):
    stored = pixels.shape[-1]
    if channels in (0, stored):
        return pixels
    grey, full = pixels[..., :1], np.full(pixels.shape[:2] + (1,), 255, np.uint8)
    if stored in (1, 2):
        alpha = pixels[..., 1:] if stored == 2 else full
        return np.concatenate({1: [grey], 2: [grey, alpha], 3: [grey] * 3,
                               4: [grey] * 3 + [alpha]}[channels], -1)  # fmt: skip
    return pixels[..., :3] if channels == 3 else np.concatenate([pixels, full], -1)


@pytest.mark.parametrize("stored", [1, 2, 3, 4])
def test_every_filter_and_channel_conversion(stored):
    rng = np.random.default_rng(stored)
    pixels = rng.integers(0, 256, (7, 5, stored), dtype=np.uint8)
    data = _png(pixels, [0, 1, 2, 3, 4])
    for channels in (0, 1, 3, 4):
        if stored >= 3 and channels == 1:
            continue  # colour to grey: libpng's weights, their own test
        got = tfo.io.decode_png(data, channels=channels).numpy()
        np.testing.assert_array_equal(got, _expected(pixels, channels))
    with pytest.raises(tfo.errors.InvalidArgumentError, match="must be 0, 1, 3 or 4 but got 2"):
        tfo.io.decode_png(data, channels=2)  # as TF
    wide = tfo.io.decode_png(data, dtype="uint16").numpy()
    np.testing.assert_array_equal(wide, pixels.astype(np.uint16) * 257)
    traced = tfo.function(lambda d: tfo.io.decode_image(d, channels=4))(data).numpy()
    np.testing.assert_array_equal(traced, _expected(pixels, 4))


def test_matches_pillow_on_its_own_files_and_libpng_colour_to_grey():
    from PIL import Image

    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, (9, 11, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(base).save(buf, format="PNG")
    data = buf.getvalue()
    np.testing.assert_array_equal(tfo.io.decode_png(data).numpy(), base)
    grey = base.astype(np.int64) @ np.array([9797, 19234, 3737]) >> 15  # TF's libpng weights
    np.testing.assert_array_equal(tfo.io.decode_png(data, channels=1).numpy()[..., 0], grey)


def test_bad_data_still_reported():
    data = bytearray(_png(np.zeros((2, 2, 3), np.uint8), [0]))
    data[-20] ^= 0xFF  # inside the IDAT stream: its CRC no longer matches
    with pytest.raises(tfo.errors.InvalidArgumentError, match="not a valid PNG"):
        tfo.io.decode_png(bytes(data))
    raw = bytes([9] + [0] * 6) * 2  # filter type 9 does not exist
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    bad_filter = (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
                  + _chunk(b"IDAT", zlib.compress(raw)) + _chunk(b"IEND", b""))  # fmt: skip
    with pytest.raises(tfo.errors.InvalidArgumentError):
        tfo.io.decode_png(bad_filter)


@pytest.mark.parametrize("flip", ["left_right", "up_down"])
def test_random_flip_cond_same_draws_eager_and_traced(flip):
    image = np.arange(2 * 3 * 2, dtype=np.float32).reshape(2, 3, 2)
    op = getattr(tfo.image, f"random_flip_{flip}")
    mirrored = image[:, ::-1] if flip == "left_right" else image[::-1]
    tfo.random.set_seed(5)
    draws = [float(tfo.reshape(tfo.random.uniform([1, 1, 1], seed=3), [])) for _ in range(8)]
    want = [mirrored if d < 0.5 else image for d in draws]
    assert 0 < sum(d < 0.5 for d in draws) < 8
    traced = tfo.function(lambda x: op(x, seed=3))
    for run in (lambda: op(image, seed=3), lambda: traced(image)):
        tfo.random.set_seed(5)
        got = [run().numpy() for _ in range(8)]
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)
    graph = traced.get_concrete_function(tfo.TensorSpec([None, None, 2], "float32")).graph
    assert any(o.type in ("If", "StatelessIf") for o in graph.get_operations())
    batch = np.stack([image] * 4)
    assert op(batch, seed=1).shape == (4, 2, 3, 2)  # a batch: a mask per image, as TF
