"""TF's record files: the framing of a TFRecord, compressed streams and the writer.

One record on disk is ``uint64 length | uint32 masked_crc(length) | data | uint32
masked_crc(data)``, little-endian; the CRC is CRC32C (Castagnoli), masked as TF masks it. A file
may be a GZIP stream or a ZLIB stream of such records.
"""

from __future__ import annotations

import gzip
import struct
import zlib

import google_crc32c
import numpy as np

from tensorhouse_kernels import host_records
from tensorhouse_kernels.runtime import errors

__all__ = [
    "TFRecordOptions", "TFRecordWriter", "masked_crc", "open_read", "read_record_batches",
    "read_records",
]  # fmt: skip

_MASK_DELTA = 0xA282EAD8
_HEADER = struct.Struct("<QI")
_FOOTER = struct.Struct("<I")
_COMPRESSIONS = {"": "", "ZLIB": "ZLIB", "GZIP": "GZIP"}


def masked_crc(data: bytes) -> int:
    """TF's masked CRC32C of ``data``."""
    crc = google_crc32c.value(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def _not_found(path):
    return errors.NotFoundError(None, None, f"{path}; No such file or directory")


class _ZlibReader:
    """A binary stream decompressing a ZLIB file as it is read."""

    def __init__(self, raw, chunk=1 << 16):
        self._raw, self._chunk = raw, chunk
        self._z = zlib.decompressobj()
        self._buf = b""

    def read(self, n):
        while len(self._buf) < n and not self._z.eof:
            data = self._raw.read(self._chunk)
            if not data:
                self._buf += self._z.flush()
                break
            self._buf += self._z.decompress(data)
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def close(self):
        self._raw.close()


def open_read(path, compression_type="", buffer_size=None):
    """``path`` opened for reading bytes, decompressing GZIP and ZLIB streams."""
    try:
        if compression_type == "GZIP":
            return gzip.open(path, "rb")
        raw = open(path, "rb", buffering=buffer_size or -1)
    except (FileNotFoundError, IsADirectoryError):
        raise _not_found(path) from None
    if compression_type == "ZLIB":
        return _ZlibReader(raw)
    return raw


def _read_exactly(f, n, offset):
    try:
        data = f.read(n)
    except (OSError, EOFError, zlib.error) as e:
        raise errors.DataLossError(None, None, f"corrupted record at {offset}: {e}") from None
    return data


_CHUNK = 1 << 20  # bytes read at a time


def read_record_batches(path, compression_type="", buffer_size=None):
    """The records of one TFRecord file, in order, as lists of ``bytes`` (those of each chunk
    read; framing and CRCs checked in C++); ``DataLossError`` on a bad checksum or a truncated
    record (a partial header at the end reads as the end, as TF's)."""
    split = host_records.split_records
    f = open_read(path, compression_type, buffer_size)
    try:
        buf, base = b"", 0  # base: the file offset of buf[0]
        while True:
            chunk = _read_exactly(f, _CHUNK, base)
            buf = buf + chunk if buf else chunk
            records, end, status = split(buf, 0)
            if records:
                yield records
            if status == 1:
                hint = " (Is this even a TFRecord file?)" if base + end == 0 else ""
                raise errors.DataLossError(None, None, f"corrupted record at {base + end}{hint}")
            if status == 2:  # TF names where the data starts
                raise errors.DataLossError(None, None, f"corrupted record at {base + end + 12}")
            buf, base = buf[end:], base + end
            if not chunk:
                if len(buf) >= _HEADER.size:
                    raise errors.DataLossError(
                        None, None,
                        f"truncated record at {base}' failed with Read less bytes than requested",
                    )  # fmt: skip
                return
    finally:
        f.close()


def read_records(path, compression_type="", buffer_size=None):
    """The records of one TFRecord file, in order, as ``bytes``; ``DataLossError`` on a bad
    checksum or a truncated record (a partial header at the end reads as the end, as TF's)."""
    for records in read_record_batches(path, compression_type, buffer_size):
        yield from records


def compression_name(compression_type, what="compression_type") -> str:
    """``None``/``""``, ``"ZLIB"`` or ``"GZIP"`` (or a ``TFRecordOptions``) as TF's string."""
    if isinstance(compression_type, TFRecordOptions):
        compression_type = compression_type.compression_type
    if compression_type is None:
        return ""
    if (
        isinstance(compression_type, int)
        and compression_type in TFRecordOptions.compression_type_map
    ):
        return TFRecordOptions.compression_type_map[compression_type]
    if isinstance(compression_type, str) and compression_type in _COMPRESSIONS:
        return compression_type
    raise ValueError(f'Not a valid {what}: "{compression_type}"')


class TFRecordOptions:
    """``tf.io.TFRecordOptions``: the compression (``""``, ``"ZLIB"`` or ``"GZIP"``) and zlib
    settings of a record file."""

    compression_type_map = {1: "ZLIB", 2: "GZIP", 0: ""}

    def __init__(self, compression_type=None, flush_mode=None, input_buffer_size=None,
                 output_buffer_size=None, window_bits=None, compression_level=None,
                 compression_method=None, mem_level=None, compression_strategy=None):  # fmt: skip
        compression_name(compression_type)
        self.compression_type = compression_type
        self.flush_mode = flush_mode
        self.input_buffer_size = input_buffer_size
        self.output_buffer_size = output_buffer_size
        self.window_bits = window_bits
        self.compression_level = compression_level
        self.compression_method = compression_method
        self.mem_level = mem_level
        self.compression_strategy = compression_strategy

    @classmethod
    def get_compression_type_string(cls, options):
        """The compression of ``options`` (a ``TFRecordOptions``, a string or None) as a string."""
        return compression_name(options)


class TFRecordWriter:
    """``tf.io.TFRecordWriter``: writes records to ``path`` in TF's framing, optionally
    compressed (``options``: a ``TFRecordOptions`` or a compression string)."""

    def __init__(self, path, options=None):
        if not isinstance(options, TFRecordOptions):
            options = TFRecordOptions(compression_name(options))
        self._kind = compression_name(options)
        level = -1 if options.compression_level is None else int(options.compression_level)
        try:
            self._file = open(path, "wb")
        except (FileNotFoundError, IsADirectoryError):
            raise _not_found(path) from None
        self._z = None
        if self._kind == "ZLIB":
            bits = 15 if options.window_bits is None else int(options.window_bits)
            self._z = zlib.compressobj(level, zlib.DEFLATED, bits)
        elif self._kind == "GZIP":
            bits = 15 if options.window_bits is None else int(options.window_bits)
            self._z = zlib.compressobj(level, zlib.DEFLATED, 16 + bits)
        self._closed = False

    def _put(self, data):
        self._file.write(self._z.compress(data) if self._z is not None else data)

    def _check_open(self):
        if self._closed:
            raise errors.FailedPreconditionError(None, None, "Writer is closed.")

    def write(self, record):
        """Append one record (``bytes``, or a ``str`` written as UTF-8)."""
        self._check_open()
        if isinstance(record, str):
            record = record.encode("utf-8")
        elif isinstance(record, np.ndarray) and record.dtype == object and record.ndim == 0:
            record = record[()]
        if not isinstance(record, bytes | bytearray | memoryview):
            raise TypeError(
                f"write(): record must be bytes or str; received {type(record).__name__}: "
                f"{record!r}"
            )
        data = bytes(record)
        length = struct.pack("<Q", len(data))
        self._put(length + struct.pack("<I", masked_crc(length)))
        self._put(data + struct.pack("<I", masked_crc(data)))

    def flush(self):
        """Write what is buffered to the file."""
        self._check_open()
        if self._z is not None:
            self._file.write(self._z.flush(zlib.Z_SYNC_FLUSH))
        self._file.flush()

    def close(self):
        """Finish the stream and close the file."""
        if self._closed:
            return
        if self._z is not None:
            self._file.write(self._z.flush())
        self._file.close()
        self._closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if not getattr(self, "_closed", True):
            self.close()
