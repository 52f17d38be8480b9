"""Moving a large zip member without holding it in memory: the ``.keras`` archive's
``model.weights.h5`` is streamed from a file into the archive when saving, and read in place
(a seekable window over the archive's bytes) when loading.

``copy_into_zip`` writes a member as ``ZipFile.writestr`` would (same date, mode and
compression), in 1 MiB chunks. ``open_member`` gives h5py a read-only file object: for a stored
(uncompressed) member a window over the archive itself, checked against the member's CRC-32 once
in chunks; for a compressed one its bytes inflated into a temporary file.
"""

from __future__ import annotations

import io
import os
import shutil
import struct
import tempfile
import time
import zipfile
import zlib

__all__ = ["copy_into_zip", "open_member"]

_CHUNK = 1 << 20
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # zipfile's local file header layout (30 bytes)
_LOCAL_MAGIC = b"PK\x03\x04"


def copy_into_zip(archive: zipfile.ZipFile, name: str, source_path: str) -> None:
    """Add the file at ``source_path`` to ``archive`` as member ``name``, streamed."""
    info = zipfile.ZipInfo(name, date_time=time.localtime(time.time())[:6])
    info.compress_type = archive.compression
    info.external_attr = 0o600 << 16  # what writestr gives a member named by a string
    info.file_size = os.path.getsize(source_path)  # decides zip64 before the data is written
    with open(source_path, "rb") as src, archive.open(info, "w") as dest:
        shutil.copyfileobj(src, dest, _CHUNK)


class _Window(io.RawIOBase):
    """Bytes ``[start, start + size)`` of an open binary file, as a read-only seekable file."""

    def __init__(self, fileobj, start: int, size: int):
        super().__init__()
        self._file, self._start, self._size, self._pos = fileobj, start, size, 0
        usable = hasattr(os, "preadv") and _has_fileno(fileobj)  # positioned reads (POSIX)
        self._fd = fileobj.fileno() if usable else None

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self._pos

    def seek(self, offset, whence=io.SEEK_SET):
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError(f"negative seek position {base + offset}")
        self._pos = base + offset
        return self._pos

    def readinto(self, buffer):
        view = memoryview(buffer).cast("B")
        n = max(0, min(len(view), self._size - self._pos))
        if n == 0:
            return 0
        where = self._start + self._pos
        if self._fd is not None:
            got = os.preadv(self._fd, [view[:n]], where)
        else:
            self._file.seek(where)
            got = self._file.readinto(view[:n])
        self._pos += got
        return got


def _has_fileno(fileobj) -> bool:
    try:
        fileobj.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        return False
    return True


def _data_start(fileobj, info: zipfile.ZipInfo, where: str) -> int:
    """Where the member's data begins: after its local header, read and checked."""
    fileobj.seek(info.header_offset)
    header = fileobj.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size or header[:4] != _LOCAL_MAGIC:
        raise ValueError(f"{where}: bad local header for {info.filename!r}")
    fields = _LOCAL_HEADER.unpack(header)
    name_length, extra_length = fields[10], fields[11]
    return info.header_offset + _LOCAL_HEADER.size + name_length + extra_length


def open_member(archive: zipfile.ZipFile, name: str, fileobj) -> io.RawIOBase:
    """A read-only file object holding member ``name`` of ``archive`` (whose bytes ``fileobj``,
    an open binary file or buffer, holds); close it after use."""
    info = archive.getinfo(name)
    where = archive.filename or "the archive"
    if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:
        return _inflated(archive, name, where)
    start = _data_start(fileobj, info, where)
    window = _Window(fileobj, start, info.compress_size)
    crc = 0
    buffer = bytearray(_CHUNK)
    total = 0
    while True:
        n = window.readinto(buffer)
        if not n:
            break
        crc = zlib.crc32(memoryview(buffer)[:n], crc)
        total += n
    if total != info.file_size or crc != info.CRC:
        raise ValueError(
            f"{where}: cannot read {name!r} (BadZipFile: Bad CRC-32 or truncated member)"
        )
    window.seek(0)
    return window


def _inflated(archive, name, where) -> io.RawIOBase:
    out = tempfile.TemporaryFile()
    try:
        with archive.open(name, "r") as src:
            shutil.copyfileobj(src, out, _CHUNK)
    except (zipfile.BadZipFile, NotImplementedError, EOFError, RuntimeError, zlib.error) as e:
        # a damaged member (bad CRC, unknown compression, truncated data, encrypted)
        out.close()
        raise ValueError(f"{where}: cannot read {name!r} ({type(e).__name__}: {e})") from None
    out.seek(0)
    return out
