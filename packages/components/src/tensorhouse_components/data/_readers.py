"""File sources: ``list_files``'s glob, ``TextLineDataset`` and ``TFRecordDataset`` (plain,
GZIP or ZLIB files)."""

from __future__ import annotations

import glob
import gzip
import io
import zlib

import numpy as np

from tensorhouse_ops import TensorSpec, errors
from tensorhouse_ops import io as tf_io

from . import _params
from . import _structure as st
from ._dataset import _UNK, Dataset

__all__ = ["TFRecordDataset", "TextLineDataset", "matching_files"]


def _names(x) -> list[str]:
    if isinstance(x, Dataset):
        return [st.to_numpy(v).decode("utf-8") for v in x._host_iter()]
    a = st.to_host(x)
    return [v.decode("utf-8") for v in a.reshape(-1)]


def _files(x):
    """``ctx -> file names``: ``x`` read now, or per element when a traced dataset function
    (``interleave``'s) computes it."""
    value = x if isinstance(x, Dataset) else _params.host(x)
    if type(value) is _params.Param:
        return lambda ctx: _names(_params.bind(value, ctx))
    files = _names(x)
    return lambda ctx: files


def matching_files(file_pattern) -> list[str]:
    """The sorted file names matching each pattern; an error when none matches."""
    patterns = _names(file_pattern)
    files = sorted({f for p in patterns for f in glob.glob(p)})
    if not files:
        raise errors.InvalidArgumentError(
            None, None,
            "Expected 'tf.Tensor(False, shape=(), dtype=bool)' to be true. Summarized data: "
            f"b'No files matched pattern: {', '.join(patterns)}'",
        )  # fmt: skip
    return files


def _open(path, compression_type):
    try:
        raw = open(path, "rb")
    except FileNotFoundError:
        raise errors.NotFoundError(None, None, f"{path}; No such file or directory") from None
    if compression_type == "GZIP":
        return gzip.GzipFile(fileobj=raw, mode="rb"), raw
    if compression_type == "ZLIB":
        with raw:
            return io.BytesIO(zlib.decompress(raw.read())), None
    return raw, None


def _lines(path, compression_type):
    f, raw = _open(path, compression_type)
    try:
        for line in f:
            if line.endswith(b"\n"):
                line = line[:-1]
                if line.endswith(b"\r"):
                    line = line[:-1]
            yield np.asarray(line, dtype=object)
    finally:
        f.close()
        if raw is not None:
            raw.close()


class TextLineDataset(Dataset):
    """``tf.data.TextLineDataset``: the lines of one or more text files (no line endings), file
    after file; ``compression_type`` is ``""``/None, ``"GZIP"`` or ``"ZLIB"``."""

    def __init__(self, filenames, compression_type=None, buffer_size=None,
                 num_parallel_reads=None, name=None):  # fmt: skip
        kind = (compression_type or "").upper() if isinstance(compression_type, str) else ""
        if compression_type not in (None, "") and kind not in ("GZIP", "ZLIB"):
            raise errors.InvalidArgumentError(
                None, None, f"Unsupported compression_type: {compression_type}."
            )
        files = _files(filenames)

        def it(ctx):
            for path in files(ctx):
                yield from _lines(path, kind)

        super().__init__(it, _UNK, TensorSpec([], "string"), "TextLine")

    def __repr__(self):
        return f"<TextLineDatasetV2 element_spec={self.element_spec!r}>"


def _record_compression(compression_type) -> str:
    """TF's reader option: ``"ZLIB"``, ``"GZIP"``, anything else reads uncompressed."""
    if isinstance(compression_type, str | bytes):
        kind = (
            compression_type.decode() if isinstance(compression_type, bytes) else compression_type
        )
    else:
        kind = _names(compression_type)[0] if compression_type is not None else ""
    return kind if kind in ("ZLIB", "GZIP") else ""


def _records(path, kind, buffer_size):
    for record in tf_io.read_records(path, kind, buffer_size):
        yield np.asarray(record, dtype=object)


def _record_batches(files, kind, buffer_size, batch_size, drop_remainder):
    """``batch(batch_size, drop_remainder)`` of the records of ``files``, cut from the lists of
    records the reader gives (no per-record elements)."""
    pending: list = []
    for path in files:
        for records in tf_io.read_record_batches(path, kind, buffer_size):
            pending.extend(records)
            if len(pending) < batch_size:
                continue
            whole = len(pending) - len(pending) % batch_size
            for start in range(0, whole, batch_size):
                yield _string_array(pending[start : start + batch_size])
            pending = pending[whole:]
    if pending and not drop_remainder:
        yield _string_array(pending)


def _string_array(values):
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


class TFRecordDataset(Dataset):
    """``tf.data.TFRecordDataset``: the records of one or more TFRecord files as scalar strings,
    file after file, or ``num_parallel_reads`` files interleaved record by record (read on that
    many threads, in a deterministic order unless the options say otherwise)."""

    def __init__(self, filenames, compression_type=None, buffer_size=None,
                 num_parallel_reads=None, name=None):  # fmt: skip
        kind = _record_compression(compression_type)
        files = _files(filenames)
        size = None if buffer_size is None else int(buffer_size) or None
        batches = None
        if num_parallel_reads is None:

            def it(ctx):
                for path in files(ctx):
                    yield from _records(path, kind, size)

            def batches(ctx, batch_size, drop_remainder):
                yield from _record_batches(files(ctx), kind, size, batch_size, drop_remainder)

        else:
            files = _names(filenames)
            reads = int(num_parallel_reads)
            if reads == 0 or reads < -1:
                raise errors.InvalidArgumentError(
                    None, None,
                    f"num_parallel_reads must be positive or AUTOTUNE. Received: {reads}",
                )  # fmt: skip

            def one_file(path):
                names = _files(path)  # traced once: the name is bound per file

                def records(ctx):
                    for name in names(ctx):
                        yield from _records(name, kind, size)

                return Dataset(records, _UNK, _SPEC, "TFRecord")

            cycle = None if reads == -1 else reads
            files_ds = Dataset.from_tensor_slices(np.asarray(files, dtype=object).reshape(-1))
            it = files_ds.interleave(one_file, cycle, 1, num_parallel_calls=reads)._make_iter

        super().__init__(it, _UNK, _SPEC, "TFRecord")
        self._batches = batches

    def __repr__(self):
        return f"<TFRecordDatasetV2 element_spec={self.element_spec!r}>"


_SPEC = TensorSpec([], "string")
