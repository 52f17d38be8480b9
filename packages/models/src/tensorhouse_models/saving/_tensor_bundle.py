"""TF's tensor bundle: ``prefix.index`` (an SSTable of ``BundleEntryProto``) and
``prefix.data-00000-of-00001`` (the tensors' bytes), written and read by hand.

The SSTable is TF's ``core/lib/io/table`` (LevelDB's): data blocks of prefix-compressed entries
with restart points, an empty meta-index block, an index block mapping each data block's last
key to its handle, and a 48-byte footer ending in the table magic; every block is followed by a
type byte and a masked CRC32C. Key ``""`` holds the ``BundleHeaderProto``. Numeric tensors are
little-endian C-order bytes; a string tensor is its lengths as varints, a masked CRC32C of them,
then the bytes. Every read checks sizes and checksums: a damaged file raises ``DataLossError``
(or ``NotFoundError`` / ``InvalidArgumentError``) naming it, never anything else.
"""

from __future__ import annotations

import math
import os
import struct

import google_crc32c
import numpy as np
from google.protobuf.message import DecodeError

from tensorhouse_components import ops
from tensorhouse_components.ops import errors

from ._checkpoint_protos import BundleEntryProto, BundleHeaderProto

__all__ = ["BundleReader", "data_path", "index_path", "write_bundle"]

_MAGIC = 0xDB4775248B80FB57
_FOOTER = 48
_BLOCK_SIZE = 262144
_RESTART_INTERVAL = 16
_MASK_DELTA = 0xA282EAD8
_MAX_CHUNK = 1 << 31

# TF's DataType enum numbers, by NumPy dtype name.
DTYPE_ENUMS = {
    "float32": 1, "float64": 2, "int32": 3, "uint8": 4, "int16": 5, "int8": 6, "string": 7,
    "complex64": 8, "int64": 9, "bool": 10, "bfloat16": 14, "uint16": 17, "complex128": 18,
    "float16": 19, "uint32": 22, "uint64": 23,
}  # fmt: skip
ENUM_DTYPES = {v: k for k, v in DTYPE_ENUMS.items()}


def index_path(prefix: str) -> str:
    """``prefix.index``."""
    return prefix + ".index"


def data_path(prefix: str) -> str:
    """``prefix.data-00000-of-00001`` (one shard)."""
    return prefix + ".data-00000-of-00001"


def masked_crc(data, crc: int = 0) -> int:
    """TF's masked CRC32C of ``data`` (extending ``crc``, unmasked); a NumPy array is read in
    place."""
    if not isinstance(data, bytes | np.ndarray):
        data = bytes(data)
    return mask(google_crc32c.extend(crc, data))


def mask(crc: int) -> int:
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def _varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _read_varint(buf, pos: int, end: int, what: str):
    """(value, new position), or ``ValueError`` past ``end`` or over 64 bits."""
    result = shift = 0
    while True:
        if pos >= end or shift > 63:
            raise ValueError(f"bad varint in {what}")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def numpy_dtype(name: str) -> np.dtype:
    """The NumPy dtype for a TF dtype name (``bfloat16`` as the ops layer maps it)."""
    if name == "bfloat16":
        return np.dtype(ops.bfloat16.as_numpy_dtype)
    return np.dtype(object if name == "string" else name)


# --------------------------------------------------------------------------- writing


class _BlockBuilder:
    def __init__(self):
        self.buf = bytearray()
        self.restarts = [0]
        self.count = 0
        self.last = b""

    def add(self, key: bytes, value: bytes):
        shared = 0
        if self.count < _RESTART_INTERVAL:
            limit = min(len(key), len(self.last))
            while shared < limit and key[shared] == self.last[shared]:
                shared += 1
        else:
            self.restarts.append(len(self.buf))
            self.count = 0
        self.buf += _varint(shared) + _varint(len(key) - shared) + _varint(len(value))
        self.buf += key[shared:] + value
        self.last = key
        self.count += 1

    def finish(self) -> bytes:
        tail = b"".join(struct.pack("<I", r) for r in self.restarts)
        return bytes(self.buf) + tail + struct.pack("<I", len(self.restarts))

    def size(self) -> int:
        return len(self.buf) + 4 * len(self.restarts) + 4


def build_table(items) -> bytes:
    """An SSTable (no compression) of sorted ``(key, value)`` byte pairs."""
    out = bytearray()

    def put_block(contents: bytes) -> bytes:
        handle = _varint(len(out)) + _varint(len(contents))
        trailer = b"\x00"
        out.extend(contents + trailer + struct.pack("<I", masked_crc(contents + trailer)))
        return handle

    index = _BlockBuilder()
    block = _BlockBuilder()
    for key, value in items:
        block.add(key, value)
        if block.size() >= _BLOCK_SIZE:
            index.add(block.last, put_block(block.finish()))
            block = _BlockBuilder()
    if block.count:
        index.add(block.last, put_block(block.finish()))
    meta = put_block(_BlockBuilder().finish())
    index_handle = put_block(index.finish())
    footer = (meta + index_handle).ljust(40, b"\x00") + struct.pack("<Q", _MAGIC)
    return bytes(out + footer)


def _tensor_bytes(array: np.ndarray, dtype_name: str):
    """(bytes, masked crc32c) of one tensor as the data file holds it."""
    if dtype_name == "string":
        items = [x if isinstance(x, bytes) else str(x).encode() for x in array.reshape(-1)]
        if any(len(x) >= 1 << 32 for x in items):
            raise ValueError("a string element over 4 GiB cannot be checkpointed")
        lengths = b"".join(_varint(len(x)) for x in items)
        crc = google_crc32c.extend(0, b"".join(struct.pack("<I", len(x)) for x in items))
        length_crc = struct.pack("<I", mask(crc))
        crc = google_crc32c.extend(crc, length_crc)
        body = b"".join(items)
        crc = google_crc32c.extend(crc, body)
        return lengths + length_crc + body, mask(crc)
    raw = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).reshape(-1)
    raw = raw.view(np.uint8)  # the array's own bytes (no copy for little-endian C-order)
    return raw, masked_crc(raw)


def _atomic_write(path: str, chunks) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_bundle(prefix: str, tensors: dict) -> None:
    """Write ``{key: (dtype_name, ndarray)}`` as a one-shard bundle at ``prefix``.

    The data file is renamed into place first, the index last, so a checkpoint is readable as a
    whole or not at all.
    """
    os.makedirs(os.path.dirname(os.path.abspath(prefix)), exist_ok=True)
    entries, chunks, offset = [], [], 0
    for key in sorted(tensors):
        dtype_name, array = tensors[key]
        raw, crc = _tensor_bytes(np.asarray(array), dtype_name)
        entry = BundleEntryProto(dtype=DTYPE_ENUMS[dtype_name], offset=offset, size=len(raw))
        entry.crc32c = crc
        for dim in np.shape(array):
            entry.shape.dim.add(size=int(dim))
        entries.append((key.encode(), entry.SerializeToString()))
        chunks.append(raw)
        offset += len(raw)
    header = BundleHeaderProto(num_shards=1, endianness=0)
    header.version.producer = 1
    table = build_table([(b"", header.SerializeToString()), *entries])
    _atomic_write(data_path(prefix), chunks)
    _atomic_write(index_path(prefix), [table])


# --------------------------------------------------------------------------- reading


def _read_file(path: str, start=None, size=None):
    """The file's bytes, or ``size`` bytes from ``start`` read into a new uint8 array (``None``
    when the file is shorter)."""
    try:
        with open(path, "rb") as f:
            if start is None:
                return f.read()
            if start + size > os.fstat(f.fileno()).st_size:
                return None
            out = np.empty(size, np.uint8)
            f.seek(start)
            return out if f.readinto(out) == size else None
    except FileNotFoundError:
        raise errors.NotFoundError(
            None, None, f"Failed to find any matching files for {path}"
        ) from None
    except OSError as e:
        raise errors.NotFoundError(None, None, f"Unable to open {path}: {e}") from None


def _block(data: bytes, handle, path: str) -> bytes:
    offset, size = handle
    end = offset + size
    if end + 5 > len(data):
        raise ValueError(f"block at {offset} (size {size}) runs past the end")
    contents = data[offset:end]
    kind = data[end]
    (stored,) = struct.unpack_from("<I", data, end + 1)
    if masked_crc(data[offset : end + 1]) != stored:
        raise ValueError(f"block checksum mismatch at offset {offset}")
    if kind != 0:
        raise ValueError(f"unsupported block compression type {kind}")
    return contents


def _block_entries(block: bytes):
    """The ``(key, value)`` pairs of one block, in order."""
    if len(block) < 4:
        raise ValueError("block too short")
    (num_restarts,) = struct.unpack_from("<I", block, len(block) - 4)
    limit = len(block) - 4 - 4 * num_restarts
    if num_restarts < 1 or limit < 0:
        raise ValueError("bad restart array")
    pos, last, out = 0, b"", []
    while pos < limit:
        shared, pos = _read_varint(block, pos, limit, "block entry")
        unshared, pos = _read_varint(block, pos, limit, "block entry")
        vlen, pos = _read_varint(block, pos, limit, "block entry")
        if shared > len(last) or pos + unshared + vlen > limit:
            raise ValueError("block entry runs past the block")
        key = last[:shared] + block[pos : pos + unshared]
        pos += unshared
        out.append((key, block[pos : pos + vlen]))
        pos += vlen
        last = key
    return out


def _decode_handle(value: bytes):
    offset, pos = _read_varint(value, 0, len(value), "block handle")
    size, pos = _read_varint(value, pos, len(value), "block handle")
    return offset, size


def read_table(data: bytes) -> list:
    """All ``(key, value)`` pairs of an SSTable (``ValueError`` if it is damaged)."""
    if len(data) < _FOOTER:
        raise ValueError(f"file is too short ({len(data)} bytes) to be an sstable")
    footer = data[-_FOOTER:]
    if struct.unpack_from("<Q", footer, 40)[0] != _MAGIC:
        raise ValueError("not an sstable (bad magic number)")
    _, pos = _read_varint(footer, 0, 40, "footer")  # meta-index offset
    _, pos = _read_varint(footer, pos, 40, "footer")
    offset, pos = _read_varint(footer, pos, 40, "footer")
    size, pos = _read_varint(footer, pos, 40, "footer")
    body = data[:-_FOOTER]
    items = []
    for last_key, handle in _block_entries(_block(body, (offset, size), "index")):
        entries = _block_entries(_block(body, _decode_handle(handle), "data"))
        if entries and entries[-1][0] > last_key:
            raise ValueError("index key before its block's last key")
        items.extend(entries)
    if any(a[0] >= b[0] for a, b in zip(items, items[1:], strict=False)):
        raise ValueError("keys out of order")
    return items


class BundleReader:
    """Reads one bundle: ``keys()``, ``entry(key)``, ``tensor(key)`` (a NumPy array)."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        path = index_path(prefix)
        try:
            items = read_table(_read_file(path))
            header = BundleHeaderProto.FromString(items[0][1]) if items else None
            if header is None or items[0][0] != b"":
                raise ValueError("no bundle header")
            self._entries = {}
            for key, value in items[1:]:
                self._entries[key.decode("utf-8")] = BundleEntryProto.FromString(value)
        except (ValueError, DecodeError, UnicodeDecodeError, struct.error) as e:
            raise errors.DataLossError(
                None, None, f"Unable to read index file {path}: {e}"
            ) from None
        if header.num_shards != 1 or header.endianness != 0:
            raise errors.InvalidArgumentError(
                None, None, f"{path}: only one little-endian shard is supported, got "
                f"num_shards={header.num_shards}, endianness={header.endianness}"
            )  # fmt: skip

    def keys(self) -> list:
        """The tensor keys, sorted."""
        return list(self._entries)

    def entry(self, key: str):
        if key not in self._entries:
            raise errors.NotFoundError(
                None, None, f"Key {key} not found in checkpoint {self.prefix}"
            )
        return self._entries[key]

    def dtype_name(self, key: str) -> str:
        code = self.entry(key).dtype
        if code not in ENUM_DTYPES:
            raise errors.InvalidArgumentError(
                None, None, f"{index_path(self.prefix)}: key {key} has unsupported dtype {code}"
            )
        return ENUM_DTYPES[code]

    def shape(self, key: str) -> list:
        return [d.size for d in self.entry(key).shape.dim]

    def tensor(self, key: str) -> np.ndarray:
        """The value of ``key``, checked against its size and CRC32C."""
        entry = self.entry(key)
        name = self.dtype_name(key)
        shape = self.shape(key)
        path = data_path(self.prefix)
        if entry.shard_id != 0 or entry.slices or any(d < 0 for d in shape):
            raise errors.InvalidArgumentError(
                None, None, f"{path}: key {key} is sliced, sharded or has an unknown shape"
            )
        start, size = entry.offset, entry.size
        count = math.prod(shape)
        try:
            dtype = None if name == "string" else numpy_dtype(name).newbyteorder("<")
            if dtype is not None and count * dtype.itemsize != size:
                raise ValueError(f"{size} bytes do not hold {count} {name} values")
            raw = None if start < 0 or size < 0 else _read_file(path, start, size)
            if raw is None:
                raise ValueError(f"reads bytes {start}..{start + size}, past the file's end")
            if dtype is None:
                return self._strings(raw.tobytes(), count, entry.crc32c, shape)
            if masked_crc(raw) != entry.crc32c:
                raise ValueError("checksum mismatch")
            value = raw.view(dtype).reshape(shape)  # the bytes read, in place
            return value if dtype.isnative else value.astype(dtype.newbyteorder("="))
        except ValueError as e:
            raise errors.DataLossError(None, None, f"{path}: key {key}: {e}") from None

    @staticmethod
    def _strings(raw: bytes, count: int, stored_crc: int, shape) -> np.ndarray:
        pos, lengths = 0, []
        for _ in range(count):
            n, pos = _read_varint(raw, pos, len(raw), "string lengths")
            if n >= 1 << 32:
                raise ValueError("string length over 4 GiB")
            lengths.append(n)
        if pos + 4 + sum(lengths) != len(raw):
            raise ValueError("string lengths do not match the entry's size")
        crc = google_crc32c.extend(0, b"".join(struct.pack("<I", n) for n in lengths))
        if struct.unpack_from("<I", raw, pos)[0] != mask(crc):
            raise ValueError("string lengths checksum mismatch")
        crc = google_crc32c.extend(crc, raw[pos : pos + 4])
        pos += 4
        crc = google_crc32c.extend(crc, raw[pos:])
        if mask(crc) != stored_crc:
            raise ValueError("checksum mismatch")
        out = np.empty(count, dtype=object)
        for i, n in enumerate(lengths):
            out[i] = raw[pos : pos + n]
            pos += n
        return out.reshape(shape)
