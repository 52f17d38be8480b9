"""More sources: ``Dataset.counter`` and ``Dataset.random`` (TF's Philox stream, the same
numbers for the same seeds), ``experimental.from_list``, ``FixedLengthRecordDataset`` and
``experimental.SqlDataset`` (the standard library's sqlite3, TF's ``"sqlite"`` driver)."""

from __future__ import annotations

import itertools
import secrets
import sqlite3

import numpy as np

from tensorhouse_ops import TensorSpec, errors, random

from . import _structure as st
from ._dataset import _INF, _UNK, Dataset, _Counter, _relax_all
from ._readers import _files, _names, _open

__all__ = ["FixedLengthRecordDataset", "SqlDataset", "counter", "from_list", "random_dataset"]

_M0, _M1, _W0, _W1 = 0xD2511F53, 0xCD9E8D57, 0x9E3779B9, 0xBB67AE85
_U32 = np.uint64(0xFFFFFFFF)
_BLOCKS = 1024  # Philox blocks (4 numbers each) drawn at once


def philox(seed, seed2, start, n):
    """Philox4x32-10 as TF's ``PhiloxRandom(seed, seed2)``: the 4 uint32s of each of the ``n``
    counters from ``start`` (key = ``seed``, counter's upper half = ``seed2``), flat."""
    c = np.arange(start, start + n, dtype=np.uint64)
    x0, x1 = c & _U32, c >> np.uint64(32)
    x2 = np.full(n, seed2 & 0xFFFFFFFF, np.uint64)
    x3 = np.full(n, (seed2 >> 32) & 0xFFFFFFFF, np.uint64)
    k0, k1 = seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF
    for _ in range(10):
        p0, p1 = np.uint64(_M0) * x0, np.uint64(_M1) * x2
        x0, x1, x2, x3 = ((p1 >> np.uint64(32)) ^ x1 ^ np.uint64(k0), p1 & _U32,
                          (p0 >> np.uint64(32)) ^ x3 ^ np.uint64(k1), p0 & _U32)  # fmt: skip
        k0, k1 = (k0 + _W0) & 0xFFFFFFFF, (k1 + _W1) & 0xFFFFFFFF
    return np.stack([x0, x1, x2, x3], 1).reshape(-1)


def _uint32s(seed, seed2):
    start = 0
    while True:
        yield from philox(seed, seed2, start, _BLOCKS).astype(np.int64)
        start += _BLOCKS


def random_dataset(seed=None, rerandomize_each_iteration=None, name=None):
    """``Dataset.random``: an infinite stream of int64 scalars in ``[0, 2**32)``, TF's numbers for
    a given seed; a new stream each pass with ``rerandomize_each_iteration=True`` or without
    any seed."""
    s1, s2 = random.get_seed(seed)
    passes = _Counter()

    def it(ctx):
        seeds = (s1, s2)
        if s1 is None:  # no seed at all: new numbers each pass, as TF
            seeds = (secrets.randbits(63), secrets.randbits(63))
        elif rerandomize_each_iteration:  # TF's seed generator: draws 2k and 2k + 1 on pass k
            k = passes.next()
            block = philox(s1, s2, k // 2, 1)
            seeds = int(block[2 * (k % 2)]), int(block[2 * (k % 2) + 1])
        for v in _uint32s(*seeds):
            yield np.asarray(v)

    out = Dataset(it, _INF, TensorSpec([], "int64"), "Random")
    if rerandomize_each_iteration:
        out._passes = passes  # rewound by a checkpoint restore
    return out


def counter(start=0, step=1, dtype="int64", name=None):
    """``Dataset.counter``: ``start, start + step, ...`` forever, of ``dtype``."""
    np_dtype = np.dtype(st.dtype_name(dtype))
    start, step = int(start), int(step)

    def it(ctx):
        v = start
        while True:
            yield np.asarray(v, dtype=np_dtype)
            v += step

    return Dataset(it, _INF, TensorSpec([], np_dtype.name), "Scan")


def from_list(elements, name=None):
    """``experimental.from_list``: one element per list entry, of one structure and dtypes."""
    if not elements:
        raise ValueError(
            "Invalid `elements`. `elements` should not be empty. If you want an empty dataset, "
            "use `tf.data.Dataset.range(0)`."
        )
    values = [st.map_structure(st.to_host, _tupled(e)) for e in elements]
    specs = [st.map_structure(st.spec_of, v) for v in values]
    for s in specs[1:]:
        if not st.same_structure(specs[0], s):
            raise ValueError(
                "The two structures don't have the same nested structure.\n\n"
                f"First structure: {specs[0]}\n\nSecond structure: {s}"
            )
        for a, b in zip(st.flatten(specs[0]), st.flatten(s)):
            if st.dtype_name(a.dtype) != st.dtype_name(b.dtype):
                raise TypeError(f"Incompatible element types: {specs[0]} vs. {s}")
    spec = st.zip_map(_relax_all, specs)
    return Dataset(lambda ctx: iter(values), len(values), spec, "List")


def _tupled(x):
    return tuple(x) if isinstance(x, list) else x


class FixedLengthRecordDataset(Dataset):
    """``tf.data.FixedLengthRecordDataset``: each file's ``record_bytes``-long records (scalar
    strings) between ``header_bytes`` and ``footer_bytes``, file after file, or
    ``num_parallel_reads`` files taken record by record in turn; a body that is not a whole
    number of records is an error. ``compression_type`` ``""``/None, ``"GZIP"`` or ``"ZLIB"``."""

    def __init__(self, filenames, record_bytes, header_bytes=None, footer_bytes=None,
                 buffer_size=None, compression_type=None, num_parallel_reads=None,
                 name=None):  # fmt: skip
        size, head, foot = int(record_bytes), int(header_bytes or 0), int(footer_bytes or 0)
        if size <= 0 or head < 0 or foot < 0:
            raise errors.InvalidArgumentError(
                None, None, f"record_bytes must be positive and header_bytes / footer_bytes not "
                f"negative; received {size}, {head}, {foot} [Op:FixedLengthRecordDataset]",
            )  # fmt: skip
        kind = (compression_type or "").upper()
        if kind not in ("", "GZIP", "ZLIB"):
            raise errors.InvalidArgumentError(
                None, None, f"Unsupported compression_type: {compression_type}."
            )
        files = _files(filenames)
        reads = None if num_parallel_reads is None else int(num_parallel_reads)

        def it(ctx):
            paths = files(ctx)
            if reads is None or reads == 1:
                for path in paths:
                    yield from _fixed_records(path, size, head, foot, kind)
                return
            width = len(paths) if reads == -1 else reads
            yield from _round_robin([_fixed_records(p, size, head, foot, kind) for p in paths],
                                    width)  # fmt: skip

        super().__init__(it, _UNK, TensorSpec([], "string"), "FixedLengthRecord")

    def __repr__(self):
        return f"<FixedLengthRecordDatasetV2 element_spec={self.element_spec!r}>"


def _fixed_records(path, size, head, foot, kind):
    f, raw = _open(path, kind)
    try:
        data = f.read()
    finally:
        f.close()
        if raw is not None:
            raw.close()
    body = data[head : max(head, len(data) - foot)]
    if len(body) % size:
        raise errors.InvalidArgumentError(
            None, None, f"Excluding the header ({head} bytes) and footer ({foot} bytes), input "
            f"file \"{path}\" has body length {len(body)} bytes, which is not an exact multiple "
            f"of the record length ({size} bytes).",
        )  # fmt: skip
    for start in range(0, len(body), size):
        yield np.asarray(body[start : start + size], dtype=object)


def _round_robin(iterators, width):
    """One element from each of ``width`` open iterators in turn; an ended one's place goes to
    the next waiting iterator, first read on the next turn (TF's parallel interleave order with
    ``block_length=1``)."""
    waiting = iter(iterators)
    slots = list(itertools.islice(waiting, width))
    while slots:
        i = 0
        while i < len(slots):
            try:
                yield next(slots[i])
                i += 1
            except StopIteration:
                nxt = next(waiting, None)
                if nxt is None:
                    del slots[i]
                else:  # opened in its place, read from on the next turn
                    slots[i] = nxt
                    i += 1


_SQL_TYPES = {"bool", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
              "uint16", "uint32", "uint64", "string"}  # fmt: skip


class SqlDataset(Dataset):
    """``tf.data.experimental.SqlDataset``: the rows of ``query`` on the sqlite database
    ``data_source_name``, each a tuple of scalars of ``output_types``."""

    def __init__(self, driver_name, data_source_name, query, output_types):
        if driver_name != "sqlite":
            raise errors.InvalidArgumentError(
                None, None, f"The database type, {driver_name}, is not supported by SqlDataset. "
                "The set of supported databases is: {'sqlite'}. [Op:SqlDataset]",
            )  # fmt: skip
        single = not isinstance(output_types, tuple | list)
        types = [st.dtype_name(t) for t in ([output_types] if single else output_types)]
        for t in types:
            if t not in _SQL_TYPES:
                raise errors.InvalidArgumentError(
                    None, None, f"Unsupported output type {t} [Op:SqlDataset]"
                )
        source, text = _names(data_source_name)[0], _names(query)[0]

        def it(ctx):
            try:
                db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
            except sqlite3.Error as e:
                raise errors.FailedPreconditionError(None, None, f"Sqlite error: {e}") from e
            try:
                cursor = db.execute(text)
                if cursor.description is not None and len(cursor.description) != len(types):
                    raise errors.InvalidArgumentError(
                        None, None, f"The number of columns in query ({len(cursor.description)})"
                        f" must match the number of elements in output_types ({len(types)}).",
                    )  # fmt: skip
                for row in cursor:
                    values = tuple(_sql_value(v, t) for v, t in zip(row, types))
                    yield values[0] if single else values
            except sqlite3.Error as e:
                raise errors.InvalidArgumentError(None, None, f"Sqlite error: {e}") from e
            finally:
                db.close()

        spec = [TensorSpec([], t) for t in types]
        super().__init__(it, _UNK, spec[0] if single else tuple(spec), "Sql")

    def __repr__(self):
        return f"<SqlDatasetV2 element_spec={self.element_spec!r}>"


def _sql_value(v, dtype):
    if dtype == "string":
        return np.asarray(v if isinstance(v, bytes) else str(v).encode(), dtype=object)
    return np.asarray(v, dtype=dtype)
