"""CSV sources: ``tf.data.experimental.CsvDataset`` (TF's field rules: quotes, ``na_value``,
required columns, selected columns) and ``make_csv_dataset`` (column names from the header, types
inferred from the first rows, batches of ``OrderedDict``s)."""

from __future__ import annotations

import collections
import csv
import glob

import numpy as np

from tensorhouse_ops import TensorSpec, errors
from tensorhouse_ops import io as tf_io

from ._dataset import _UNK, AUTOTUNE, Dataset
from ._readers import _lines, _names

__all__ = ["CsvDataset", "make_csv_dataset"]

_TYPES = ("int32", "int64", "float32", "float64", "string")
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_INT_RANGE = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


class CsvDataset(Dataset):
    """``tf.data.experimental.CsvDataset``: one tuple of scalars per CSV record, typed by
    ``record_defaults`` (a dtype: a required column; a one-element value: its default)."""

    def __init__(self, filenames, record_defaults, compression_type=None, buffer_size=None,
                 header=False, field_delim=",", use_quote_delim=True, na_value="",
                 select_cols=None, exclude_cols=None, name=None):  # fmt: skip
        decoder = tf_io.csv_decoder(record_defaults, field_delim, use_quote_delim, na_value,
                                    select_cols, exclude_cols)  # fmt: skip
        kind = compression_type.upper() if isinstance(compression_type, str) else ""
        if compression_type not in (None, "") and kind not in ("GZIP", "ZLIB"):
            raise errors.InvalidArgumentError(
                None, None, f"Unsupported compression_type: {compression_type}."
            )
        files = _names(filenames)
        self._skip_bad = False

        def it(ctx):
            for path in files:
                lines = _lines(path, kind)
                if header:
                    next(lines, None)
                for line in lines:
                    try:
                        row = decoder.decode(line[()])
                    except errors.InvalidArgumentError:
                        if self._skip_bad:
                            continue
                        raise
                    yield row

        spec = tuple(TensorSpec([], t) for t in decoder.types)
        super().__init__(it, _UNK, spec, "Csv")

    def __repr__(self):
        return f"<CsvDatasetV2 element_spec={self.element_spec!r}>"


# ---- make_csv_dataset ---------------------------------------------------------------------


def _file_names(file_pattern):
    patterns = file_pattern if isinstance(file_pattern, list) else [file_pattern]
    if not patterns:
        raise ValueError("Argument `file_pattern` should not be empty.")
    names = [f for p in patterns for f in sorted(glob.glob(p))]
    if not names:
        raise ValueError(f"No files match `file_pattern` {file_pattern}.")
    return sorted(names)


def _text_rows(path, compression_type, field_delim, use_quote_delim, encoding):
    lines = (line[()].decode(encoding) for line in _lines(path, compression_type))
    quoting = csv.QUOTE_MINIMAL if use_quote_delim else csv.QUOTE_NONE
    return csv.reader(lines, delimiter=field_delim, quoting=quoting)


def _infer(value, na_value, previous):
    """The narrowest of int32, int64, float32, float64, string that holds ``value`` and every
    value seen before (``previous``)."""
    if value in ("", na_value):
        return previous
    start = 0 if previous is None else _TYPES.index(previous)
    for dtype in _TYPES[start:]:
        if dtype in _INT_RANGE:
            try:
                lo, hi = _INT_RANGE[dtype]
                if lo <= int(value) <= hi:
                    return dtype
            except ValueError:
                continue
        elif dtype == "float32":
            try:
                v = float(value)
                if not np.isfinite(v) or abs(v) <= _FLOAT32_MAX:
                    return dtype
            except ValueError:
                continue
        elif dtype == "float64":
            try:
                float(value)
                return dtype
            except ValueError:
                continue
    return "string"


def make_csv_dataset(file_pattern, batch_size, column_names=None, column_defaults=None,
                     label_name=None, select_columns=None, field_delim=",", use_quote_delim=True,
                     na_value="", header=True, num_epochs=None, shuffle=True,
                     shuffle_buffer_size=10000, shuffle_seed=None, prefetch_buffer_size=None,
                     num_parallel_reads=None, sloppy=False, num_rows_for_inference=100,
                     compression_type=None, ignore_errors=False, encoding="utf-8"):  # fmt: skip
    """Batches of CSV rows as ``OrderedDict``s of columns (and the ``label_name`` column apart,
    as ``(features, label)``), repeated ``num_epochs`` times (forever when None) and shuffled."""
    files = _file_names(file_pattern)
    kind = compression_type or ""
    if kind not in ("", "GZIP", "ZLIB"):
        raise ValueError(
            f"Received unknown `compression_type` {compression_type}. Expected: GZIP, ZLIB or "
            '"" (empty string).'
        )

    def rows(path):
        return _text_rows(path, kind, field_delim, use_quote_delim, encoding)

    if column_names is None:
        if not header:
            raise ValueError("Expected `column_names` or `header` arguments. Neither is provided.")
        column_names = _header(files, rows)
    column_names = list(column_names)
    if len(column_names) != len(set(column_names)):
        dups = {n for n in column_names if column_names.count(n) > 1}
        raise ValueError(
            "Either `column_names` argument or CSV header row contains duplicate column "
            f"names: {dups}."
        )
    select = None if select_columns is None else _select(select_columns, column_names)
    if column_defaults is None:
        types = [None] * len(select or column_names)
        count = 0
        for path in files:
            reader = rows(path)
            if header:
                next(reader, None)
            for row in reader:
                if num_rows_for_inference is not None and count >= num_rows_for_inference:
                    break
                if len(row) != len(column_names):
                    raise ValueError(
                        f"Problem inferring types: CSV row {count + 1 + bool(header)} has "
                        f"{len(row)} number of fields. Expected: {len(column_names)}."
                    )
                cols = select or range(len(column_names))
                types = [_infer(row[c], na_value, t) for c, t in zip(cols, types)]
                count += 1
        column_defaults = [np.asarray([0 if t != "string" else b""], dtype=_np_type(t or "string"))
                           for t in types]  # fmt: skip
    else:
        column_defaults = list(column_defaults)
    if select is not None and len(column_defaults) != len(select):
        raise ValueError(
            "If specified, `column_defaults` and `select_columns` must have the same length: "
            f"`column_defaults` has length {len(column_defaults)}, `select_columns` has length "
            f"{len(select)}."
        )
    if select is not None and len(column_names) > len(select):
        column_names = [column_names[i] for i in select]
    if label_name is not None and label_name not in column_names:
        raise ValueError(
            f"`label_name` provided must be one of the columns: {column_names}. Received: "
            f"{label_name}."
        )

    names = np.asarray(files, dtype=object)
    ds = Dataset.from_tensor_slices(names)
    if shuffle:
        ds = ds.shuffle(len(files), shuffle_seed)

    def one_file(filename):
        rows = CsvDataset(filename, column_defaults, compression_type=kind, header=header,
                          field_delim=field_delim, use_quote_delim=use_quote_delim,
                          na_value=na_value, select_cols=select)  # fmt: skip
        rows._skip_bad = bool(ignore_errors)
        return rows

    reads = 1 if num_parallel_reads is None else num_parallel_reads
    ds = ds.interleave(one_file, cycle_length=reads, num_parallel_calls=reads,
                       deterministic=not sloppy)  # fmt: skip
    ds = _csv_rows(ds, one_file(names[0]).element_spec)
    ds = ds.repeat(num_epochs)
    if shuffle:
        ds = ds.shuffle(shuffle_buffer_size, shuffle_seed)
    ds = ds.map(_to_dict(column_names, label_name))
    ds = ds.batch(batch_size, drop_remainder=num_epochs is None)
    return ds.prefetch(AUTOTUNE if prefetch_buffer_size is None else prefetch_buffer_size)


def _np_type(name):
    return object if name == "string" else name


def _header(files, rows):
    names = None
    for path in files:
        first = next(rows(path), None)
        if first is None:
            raise ValueError(f"Failed when reading the header line of {path}. Is it an empty file?")
        if names is None:
            names = first
        elif first != names:
            raise ValueError(
                "All input CSV files should have the same column names in the header row. File "
                f"{path} has different column names."
            )
    return names


def _select(select_columns, column_names):
    index = {n: i for i, n in enumerate(column_names)}
    out = []
    for v in select_columns:
        if isinstance(v, int):
            if not 0 <= v < len(column_names):
                raise ValueError(
                    f"Column index {v} specified in `select_columns` should be > 0  and <= "
                    f"{len(column_names)}, which is the number of columns."
                )
            out.append(v)
        elif v not in index:
            raise ValueError(
                f"Column {v} specified in `select_columns` must be of one of the columns: "
                f"{index.keys()}."
            )
        else:
            out.append(index[v])
    if len(set(out)) != len(out):
        dups = {v for v in out if out.count(v) > 1}
        raise ValueError(f"The `select_columns` argument contains duplicate columns: {dups}.")
    return sorted(out)


def _csv_rows(ds, spec):
    """``ds`` with the element spec of one ``CsvDataset`` (the interleave cannot trace it)."""
    return Dataset(ds._make_iter, _UNK, spec, "Interleave", (ds,))


def _to_dict(column_names, label_name):
    """The function ``map`` applies: a row tuple to the ``OrderedDict`` (and label)."""

    def to_dict(*values):
        features = collections.OrderedDict(zip(column_names, values))
        if label_name is None:
            return features
        label = features.pop(label_name)
        return features, label

    return to_dict
