"""The image pipeline's host work per element (issue 15): the C++ PNG reader (chunk walk, CRCs,
Adam7, unfiltering in one call around Python's zlib), ``read_file``'s single read, the reversed
view ``ReverseV2`` keeps per (axes, rank), and the host call's output checks."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest

import tensorhouse_ops as tfo
from tensorhouse_ops import _image_codecs


def _chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _rgb_png(pixels, pieces=1, extra=()):
    """An 8-bit RGB PNG of ``pixels`` (h, w, 3), its IDAT stream cut into ``pieces`` chunks."""
    h, w, _ = pixels.shape
    rows = np.concatenate([np.zeros((h, 1), np.uint8), pixels.reshape(h, -1)], 1)
    stream = zlib.compress(rows.tobytes())
    cuts = np.linspace(0, len(stream), pieces + 1).astype(int)
    idat = [_chunk(b"IDAT", stream[a:b]) for a, b in zip(cuts[:-1], cuts[1:])]
    header = _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + b"".join([*extra, *idat]) + _chunk(b"IEND", b"")


@pytest.mark.parametrize("pieces", [1, 3, 40])
def test_png_decode_joins_idat_chunks(pieces):
    pixels = np.random.default_rng(pieces).integers(0, 256, (37, 23, 3), dtype=np.uint8)
    data = _rgb_png(pixels, pieces)
    samples, key = _image_codecs._png_direct(data)
    assert samples.dtype == np.uint8 and samples.flags.c_contiguous and key is None
    np.testing.assert_array_equal(samples, pixels)
    np.testing.assert_array_equal(tfo.io.decode_png(data, channels=3).numpy(), pixels)


def test_png_decode_errors_name_the_chunk():
    pixels = np.zeros((4, 5, 3), np.uint8)
    good = _rgb_png(pixels)
    bad_crc = bytearray(good)
    bad_crc[-1] ^= 1  # IEND's CRC: every chunk's CRC is checked, as libpng does
    with pytest.raises(ValueError, match=r"chunk b'IEND' has a wrong CRC"):
        _image_codecs._png_direct(bytes(bad_crc))
    with pytest.raises(ValueError, match=r"chunk b'IDAT' is cut short"):
        _image_codecs._png_direct(good[:-20])
    odd = _rgb_png(pixels, extra=[_chunk(b"\x01b'\\", b"x")])  # an unknown chunk: skipped
    np.testing.assert_array_equal(_image_codecs._png_direct(odd)[0], pixels)
    damaged = bytearray(odd)
    damaged[damaged.index(b"\x01b'\\") + 4] ^= 1
    with pytest.raises(ValueError, match=r"chunk b'\\x01b\\x27\\x5c' has a wrong CRC"):
        _image_codecs._png_direct(bytes(damaged))
    with pytest.raises(tfo.errors.InvalidArgumentError, match="DecodePng.*wrong CRC"):
        tfo.io.decode_png(bytes(damaged))


def test_png_decode_leaves_palettes_and_empty_files_to_pillow():
    plte = _chunk(b"PLTE", bytes(range(6)))
    header = _chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 1, 8, 3, 0, 0, 0))
    palette = b"\x89PNG\r\n\x1a\n" + header + plte + _chunk(b"IDAT", zlib.compress(b"\0\1\0"))
    assert _image_codecs._png_direct(palette + _chunk(b"IEND", b"")) is None
    np.testing.assert_array_equal(
        tfo.io.decode_png(palette + _chunk(b"IEND", b"")).numpy(), [[[3, 4, 5], [0, 1, 2]]]
    )
    assert _image_codecs._png_direct(b"\x89PNG\r\n\x1a\n") is None  # no IHDR
    zero = _chunk(b"IHDR", struct.pack(">IIBBBBB", 0, 3, 8, 2, 0, 0, 0))
    empty = b"\x89PNG\r\n\x1a\n" + zero + _chunk(b"IDAT", zlib.compress(b"\0\0\0"))
    with pytest.raises(ValueError, match="cut short"):
        _image_codecs._png_direct(empty + _chunk(b"IEND", b""))
    assert _image_codecs._inflate(zlib.compress(b"\0" * 10**6), 0) == b""  # never inflated


def test_png_decode_sixteen_bit_key_and_huge_header():
    grey = np.array([[1, 65535], [258, 4660]], np.uint16)
    rows = np.concatenate([np.zeros((2, 1), np.uint8), grey.astype(">u2").view(np.uint8)], 1)
    header = _chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 16, 0, 0, 0, 0))
    trns = _chunk(b"tRNS", struct.pack(">H", 258))
    data = b"\x89PNG\r\n\x1a\n" + header + trns + _chunk(b"IDAT", zlib.compress(rows.tobytes()))
    samples, key = _image_codecs._png_direct(data + _chunk(b"IEND", b""))
    assert samples.dtype == np.uint16 and key == (258,)
    np.testing.assert_array_equal(samples[..., 0], grey)
    huge = _chunk(b"IHDR", struct.pack(">IIBBBBB", 2**32 - 1, 2**32 - 1, 16, 6, 0, 0, 0))
    data = b"\x89PNG\r\n\x1a\n" + huge + _chunk(b"IDAT", zlib.compress(b"\0" * 64))
    with pytest.raises(ValueError, match="cut short"):
        _image_codecs._png_direct(data + _chunk(b"IEND", b""))


def test_read_file_whose_size_stat_cannot_tell(tmp_path):
    with open("/proc/self/maps", "rb") as f:  # stat says 0 bytes
        want = f.read()
    got = tfo.io.read_file("/proc/self/maps").numpy()
    assert len(got) > 0 and got.split(b"\n")[0] == want.split(b"\n")[0]
    path = tmp_path / "f.bin"
    for size in (0, 1, 4096, 70000):
        payload = np.random.default_rng(size).bytes(size)
        path.write_bytes(payload)
        assert tfo.io.read_file(str(path)).numpy() == payload
    with pytest.raises(tfo.errors.NotFoundError, match="No such file"):
        tfo.io.read_file(str(tmp_path))


def test_reverse_view_per_axes_and_rank():
    x2 = np.arange(6).reshape(2, 3)
    x3 = np.arange(24).reshape(2, 3, 4)
    for _ in range(2):  # the second time from the kept index
        np.testing.assert_array_equal(tfo.reverse(x2, [1]).numpy(), x2[:, ::-1])
        np.testing.assert_array_equal(tfo.reverse(x3, [1]).numpy(), x3[:, ::-1])
        np.testing.assert_array_equal(tfo.reverse(x3, [-1, 0]).numpy(), x3[::-1, :, ::-1])
        np.testing.assert_array_equal(tfo.reverse(x3, []).numpy(), x3)
        with pytest.raises(tfo.errors.InvalidArgumentError, match="out of valid range"):
            tfo.reverse(x2, [2])
        with pytest.raises(tfo.errors.InvalidArgumentError, match="more than once"):
            tfo.reverse(x3, [1, -2])


def test_traced_decode_checks_what_the_host_returns():
    pixels = np.random.default_rng(5).integers(0, 256, (6, 7, 3), dtype=np.uint8)
    data = _rgb_png(pixels)

    @tfo.function
    def decode(x, channels):
        return tfo.io.decode_png(x, channels=channels)

    np.testing.assert_array_equal(decode(data, 3).numpy(), pixels)
    np.testing.assert_array_equal(decode(data, 4).numpy()[..., :3], pixels)
    grey = decode(data, 1).numpy()
    assert grey.shape == (6, 7, 1) and grey.dtype == np.uint8
