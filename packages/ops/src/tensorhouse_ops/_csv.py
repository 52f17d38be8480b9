"""CSV records to typed values, by TF's rules (``tf.io.decode_csv`` and tf.data's
``CsvDataset``): a quoted field may hold the delimiter and doubled quotes, an unquoted one may
not hold a quote; an empty field or ``na_value`` takes the column's default, and a column
without one is required."""

from __future__ import annotations

import numpy as np

from tensorhouse_kernels.runtime import errors

from ._tensor import Tensor, convert_to_tensor
from .dtypes import DType

__all__ = ["CsvDecoder", "split_record"]

TYPES = ("int32", "int64", "float32", "float64", "string")
_INT_RANGE = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def _invalid(message):
    return errors.InvalidArgumentError(None, None, message)


def _unsupported(dtype, i):
    return TypeError(
        f"Unsupported type in `record_defaults`: {dtype} (entry {i}); expected one of "
        f"{', '.join(TYPES)}"
    )


def _default(value, i):
    """``(dtype name, default or None)`` of one entry of ``record_defaults``: a dtype (a
    required column) or a value of at most one element (none: required)."""
    if isinstance(value, DType | np.dtype):
        dtype = "string" if isinstance(value, np.dtype) and value.kind in "OSU" else value.name
        if dtype not in TYPES:
            raise _unsupported(dtype, i)
        return dtype, None
    if not isinstance(value, Tensor):
        value = convert_to_tensor(value)
    a = np.asarray(value)
    dtype = value.dtype.name
    if dtype not in TYPES:
        raise _unsupported(dtype, i)
    if a.size > 1:
        raise _invalid(f"There should only be 1 default per field but field {i} has {a.size}")
    if not a.size:
        return dtype, None
    v = a.reshape(-1)[0]
    return dtype, (v.encode("utf-8") if isinstance(v, str) else v)


def split_record(line: bytes, delim: bytes, quoted: bool) -> list[bytes]:
    """The fields of one CSV record."""
    if not quoted:
        return line.split(delim)
    fields, i, n = [], 0, len(line)
    while True:
        if line[i : i + 1] == b'"':
            buf, j = bytearray(), i + 1
            while True:
                k = line.find(b'"', j)
                if k < 0:
                    raise _invalid("Reached end of file without closing quoted field in record")
                buf += line[j:k]
                if line[k + 1 : k + 2] != b'"':
                    break
                buf += b'"'
                j = k + 2
            fields.append(bytes(buf))
            i = k + 1
            if i == n:
                return fields
            if line[i : i + len(delim)] != delim:
                raise _invalid("Quoted field has to end with quote followed by delim or end")
            i += len(delim)
            continue
        k = line.find(delim, i)
        field = line[i:] if k < 0 else line[i:k]
        if b'"' in field:
            raise _invalid("Unquoted fields cannot have quotes inside")
        fields.append(field)
        if k < 0:
            return fields
        i = k + len(delim)


def _columns(cols, name):
    if cols is None:
        return None
    cols = [int(c) for c in np.asarray(cols).ravel()]
    if any(b <= a for a, b in zip(cols, cols[1:])):
        raise _invalid(f"{name} should be strictly increasing indices")
    if cols and cols[0] < 0:
        raise _invalid(f"{name} should be >= 0")
    return cols


def _bytes(x) -> bytes:
    return x.encode("utf-8") if isinstance(x, str) else bytes(x)


class CsvDecoder:
    """Decodes one CSV record (``bytes``) to a tuple of NumPy scalars typed by
    ``record_defaults``; ``types`` lists the output dtype names."""

    def __init__(self, record_defaults, field_delim=",", use_quote_delim=True, na_value="",
                 select_cols=None, exclude_cols=None):  # fmt: skip
        defaults = [_default(v, i) for i, v in enumerate(record_defaults)]
        self.types = [d[0] for d in defaults]
        self._defaults = [d[1] for d in defaults]
        self._delim = _bytes(field_delim)
        if len(self._delim) != 1:
            raise _invalid("field_delim should be only 1 char")
        self._select = _columns(select_cols, "select_cols")
        self._exclude = _columns(exclude_cols, "exclude_cols")
        if self._select and self._exclude:
            raise _invalid("Either select_cols or exclude_cols should be empty")
        if self._select is not None and len(self._select) != len(defaults):
            raise _invalid("select_cols should match output size")
        self._quoted = bool(use_quote_delim)
        self._na = _bytes(na_value)

    def decode(self, line: bytes, index=None) -> tuple:
        """The typed values of ``line``; errors name the record as ``record <index>`` (as
        ``decode_csv``) or ``record`` when ``index`` is None (as ``CsvDataset``)."""
        label = "record" if index is None else f"record {index}"
        fields = split_record(line, self._delim, self._quoted)
        if self._select is not None:
            fields = [fields[c] for c in self._select if c < len(fields)]
        elif self._exclude is not None:
            fields = [f for c, f in enumerate(fields) if c not in self._exclude]
        n_out = len(self.types)
        out = []
        for i, dtype in enumerate(self.types):
            if i >= len(fields):
                raise _invalid(f"Expect {n_out} fields but have {len(fields)} in {label}")
            field = fields[i]
            if field == b"" or field == self._na:
                if self._defaults[i] is None:
                    raise _invalid(f"Field {i} is required but missing in {label}!")
                out.append(self._defaults[i])
            else:
                out.append(_convert(field, dtype, i, label))
        if len(fields) > n_out and self._select is None:
            have = "more" if index is None else len(fields)
            raise _invalid(f"Expect {n_out} fields but have {have} in {label}")
        return tuple(np.asarray(v, dtype=object if t == "string" else t)
                     for v, t in zip(out, self.types))  # fmt: skip


def _convert(field: bytes, dtype: str, index: int, label: str):
    if dtype == "string":
        return field
    text = field.decode("utf-8", "replace")
    try:
        if dtype in _INT_RANGE:
            value = int(text)
            lo, hi = _INT_RANGE[dtype]
            if not lo <= value <= hi:
                raise ValueError(text)
            return value
        return float(text)
    except ValueError:
        raise _invalid(f"Field {index} in {label} is not a valid {dtype}: {text}") from None
