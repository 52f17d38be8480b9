"""``tf.lookup``'s tables: static hash and vocabulary tables, their initializers, and the
mutable hash table.

A table's data lives on the host (``_lookup_index.HostIndex``). A lookup runs now when eager,
and inside a traced function it is one host-call node (``_pyfunc.host_call``): a static table's
is ``PyFuncStateless`` (pure), a mutable table's ``PyFunc`` (ordered with its inserts).
"""

from __future__ import annotations

import types

import numpy as np

from tensorhouse_kernels.runtime import errors

from . import _gfile, _pyfunc
from . import dtypes as _dt
from ._lookup_index import HostIndex, flat_bytes
from ._math import cast
from ._ragged import RaggedTensor
from ._strings_hash import fingerprint64  # tf.strings' FarmHash Fingerprint64
from ._tensor import Tensor, VariableLike, constant, convert_to_tensor

__all__ = [
    "KeyValueTensorInitializer", "MutableHashTable", "StaticHashTable", "StaticVocabularyTable",
    "TextFileIndex", "TextFileInitializer",
]  # fmt: skip


def _host(x) -> np.ndarray:
    """A tensor, array or list as a NumPy array (strings: object arrays of ``bytes``)."""
    if isinstance(x, VariableLike):
        x = x._th_read()
    if isinstance(x, Tensor):
        return np.asarray(x)
    return np.asarray(x)


def _as_array(x, dtype: _dt.DType) -> np.ndarray:
    a = _host(x)
    if dtype is _dt.string:
        return flat_bytes(a).reshape(a.shape)
    return a.astype(dtype._np)


def _fingerprint_buckets(flat: np.ndarray, num_buckets: int, is_string: bool) -> np.ndarray:
    """TF's ``Fingerprint64(key) mod num_buckets`` (integer keys: of their decimal text)."""
    if not is_string:
        flat = np.array([str(int(v)).encode() for v in flat.tolist()], dtype=object)
    return (fingerprint64(flat) % np.uint64(num_buckets)).astype(np.int64)


# ---- initializers ---------------------------------------------------------------------------


class KeyValueTensorInitializer:
    """Table contents from a tensor of keys and a tensor of values."""

    def __init__(self, keys, values, key_dtype=None, value_dtype=None, name=None):
        keys = keys if isinstance(keys, Tensor) else convert_to_tensor(keys, key_dtype)
        values = values if isinstance(values, Tensor) else convert_to_tensor(values, value_dtype)
        self._key_dtype = _dt.as_dtype(key_dtype) if key_dtype is not None else keys.dtype
        self._value_dtype = _dt.as_dtype(value_dtype) if value_dtype is not None else values.dtype
        for t, dt, what in ((keys, self._key_dtype, "keys"), (values, self._value_dtype, "values")):
            if t.dtype != dt:
                raise TypeError(
                    f"Tensor conversion requested dtype {dt.name} for {what} with dtype "
                    f"{t.dtype.name}"
                )
        self._keys, self._values = keys, values
        self._name = name or "key_value_init"

    @property
    def key_dtype(self):
        """The keys' dtype."""
        return self._key_dtype

    @property
    def value_dtype(self):
        """The values' dtype."""
        return self._value_dtype

    def _read(self):
        keys = _as_array(self._keys, self._key_dtype).reshape(-1)
        values = _as_array(self._values, self._value_dtype).reshape(-1)
        if keys.shape != values.shape:
            raise errors.InvalidArgumentError(
                f"Expected shape {list(keys.shape)} for value, got {list(values.shape)}"
            )
        return keys, values


class TextFileIndex:
    """Column selectors of ``TextFileInitializer``: the whole line or the line number."""

    WHOLE_LINE = -2
    LINE_NUMBER = -1


class TextFileInitializer:
    """Table contents from a text file: one entry per line, key and value taken from a column
    (split on ``delimiter``), the whole line or the line number (plus ``value_index_offset``)."""

    def __init__(
        self,
        filename,
        key_dtype,
        key_index,
        value_dtype,
        value_index,
        vocab_size=None,
        delimiter="\t",
        name=None,
        value_index_offset=0,
    ):
        self._key_dtype, self._value_dtype = _dt.as_dtype(key_dtype), _dt.as_dtype(value_dtype)
        for index, dt, what in ((key_index, self._key_dtype, "Key"),
                                (value_index, self._value_dtype, "Value")):  # fmt: skip
            if index < -2:
                raise ValueError(f"Invalid {what.lower()}_index {index}.")
            if index == TextFileIndex.LINE_NUMBER and dt != _dt.int64:
                raise ValueError(
                    f"Signature mismatch. {what}s must be dtype {_dt.int64}, got {dt}."
                )
            if index == TextFileIndex.WHOLE_LINE and not (dt.is_integer or dt == _dt.string):
                raise ValueError(
                    f"Signature mismatch. {what}s must be integer or string, got {dt}."
                )
        if vocab_size is not None and vocab_size <= 0:
            raise ValueError(f"Invalid vocab_size {vocab_size}.")
        self._filename = filename.decode() if isinstance(filename, bytes) else str(filename)
        self._key_index, self._value_index = key_index, value_index
        self._vocab_size, self._delimiter = vocab_size, delimiter
        self._offset = value_index_offset
        self._name = name or "text_file_init"

    key_dtype = KeyValueTensorInitializer.key_dtype
    value_dtype = KeyValueTensorInitializer.value_dtype

    def _column(self, lines, index, dtype):
        if index == TextFileIndex.LINE_NUMBER:
            return np.arange(len(lines), dtype=np.int64) + self._offset
        if index == TextFileIndex.WHOLE_LINE:
            cells = lines
        else:
            cells = []
            for n, line in enumerate(lines):
                parts = line.split(self._delimiter)
                if len(parts) <= index:
                    raise errors.InvalidArgumentError(
                        f"Invalid number of columns in {self._filename} line {n} ({line}) : "
                        f"expected at least {index + 1} got {len(parts)}"
                    )
                cells.append(parts[index])
        if dtype == _dt.string:
            return np.array([c.encode("utf-8") for c in cells], dtype=object)
        try:
            return np.array([float(c) if dtype.is_floating else int(c) for c in cells], dtype._np)
        except ValueError as e:
            raise errors.InvalidArgumentError(
                f"Field in {self._filename} is not a valid {dtype.name}: {e}"
            ) from None

    def _read(self):
        with _gfile.GFile(self._filename, "rb") as f:
            text = f.read().decode("utf-8")
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
        if self._vocab_size is not None:
            if len(lines) < self._vocab_size:
                raise errors.InvalidArgumentError(
                    f"Invalid vocab_size in {self._filename}: expected {self._vocab_size} but "
                    f"got {len(lines)}"
                )
            lines = lines[: self._vocab_size]
        keys = self._column(lines, self._key_index, self._key_dtype)
        values = self._column(lines, self._value_index, self._value_dtype)
        return keys, values


# ---- tables ---------------------------------------------------------------------------------


def _check_keys(keys, key_dtype, allow_int32=False):
    """``keys`` as a tensor of ``key_dtype`` (TF's TypeError for another dtype)."""
    if isinstance(keys, VariableLike):
        keys = keys._th_read()
    if not isinstance(keys, Tensor):
        keys = convert_to_tensor(keys, key_dtype)
    if keys.dtype != key_dtype:
        if allow_int32 and keys.dtype == _dt.int32 and key_dtype == _dt.int64:
            return cast(keys, _dt.int64)
        raise TypeError(f"Dtype of argument `keys` must be {key_dtype}, received: {keys.dtype}")
    return keys


def _on_values(keys, lookup):
    """``lookup`` on the values of a RaggedTensor or SparseTensor, same structure; else None."""
    if hasattr(keys, "flat_values") and hasattr(keys, "with_flat_values"):
        return keys.with_flat_values(lookup(keys.flat_values))
    if hasattr(keys, "with_values") and hasattr(keys, "dense_shape"):
        return keys.with_values(lookup(keys.values))
    return None


def _keys_of(t: Tensor, is_string: bool) -> np.ndarray:
    a = np.asarray(t)
    return flat_bytes(a) if is_string else np.asarray(a).reshape(-1)


def _static_shape(t: Tensor, tail=()):
    return tuple(t.shape.as_list()) + tuple(tail) if t.shape.rank is not None else None


class _StaticTable:
    """What the static tables share: the host index of the initializer's entries."""

    def _init(self, initializer):
        keys, values = initializer._read()
        self._key_dtype, self._value_dtype = initializer.key_dtype, initializer.value_dtype
        is_string = self._key_dtype == _dt.string
        self._keys, self._values = keys, values
        self._index = HostIndex(keys, is_string)
        unique = len(self._index._pos) if is_string else len(np.unique(keys))
        if unique != len(keys):
            self._dedupe(keys, values, is_string)

    def _dedupe(self, keys, values, is_string):
        """Keep one entry per key; TF's error where a key has two different values."""
        seen = {}
        for k, v in zip(keys.tolist(), values.tolist()):
            if k in seen and seen[k] != v:
                shown = k.decode("utf-8", "replace") if isinstance(k, bytes) else k
                raise errors.FailedPreconditionError(
                    f"HashTable has different value for same key. Key {shown} has {seen[k]} and "
                    f"trying to add value {v}"
                )
            seen[k] = v
        self._keys = np.array(list(seen), dtype=keys.dtype)
        self._values = np.array(list(seen.values()), dtype=values.dtype)
        self._index = HostIndex(self._keys, is_string)

    @property
    def key_dtype(self):
        """The table's key dtype."""
        return self._key_dtype

    @property
    def value_dtype(self):
        """The table's value dtype."""
        return self._value_dtype

    @property
    def name(self):
        """The table's name."""
        return self._name

    def __getitem__(self, keys):
        return self.lookup(keys)

    def _run_lookup(self, keys, find, op_name):
        """``find(flat host keys) -> flat host values``, now or as a traced host call."""
        is_string = self._key_dtype == _dt.string
        dtype = self._value_dtype

        def run(tensors):
            t = tensors[0]
            out = find(_keys_of(t, is_string))
            return [convert_to_tensor(out.reshape(tuple(t.shape)), dtype)]

        spec = [(_static_shape(keys), dtype)]
        return _pyfunc.host_call("PyFuncStateless", run, [keys], spec, op_name)[0]

    def export(self, name=None):
        """The table's keys and values, as two 1-D tensors."""
        return (convert_to_tensor(self._keys, self._key_dtype),
                convert_to_tensor(self._values, self._value_dtype))  # fmt: skip


class StaticHashTable(_StaticTable):
    """An immutable key -> value table; absent keys give ``default_value``."""

    def __init__(self, initializer, default_value, name=None, experimental_is_anonymous=False):
        self._name = name or "hash_table"
        self._init(initializer)
        default = _host(default_value)
        if (self._value_dtype == _dt.string) != (default.dtype.kind in "SUO"):
            raise TypeError(
                f"Cannot convert {default_value!r} to EagerTensor of dtype {self._value_dtype.name}"
            )
        self._default = convert_to_tensor(default_value, self._value_dtype)
        self._default_host = _as_array(self._default, self._value_dtype)

    @property
    def default_value(self):
        """The value absent keys get."""
        return self._default

    def size(self, name=None):
        """The number of entries (an int64 scalar)."""
        return constant(self._index.size, _dt.int64)

    def lookup(self, keys, name=None):
        """The value of each key (``default_value`` where absent), in the keys' shape (a
        RaggedTensor's or SparseTensor's values looked up, same structure)."""
        composite = _on_values(keys, self.lookup)
        if composite is not None:
            return composite
        keys = _check_keys(keys, self._key_dtype)
        table = np.append(self._values, self._default_host)  # position -1 (absent): default

        def find(flat):
            return table[self._index.positions(flat)]

        return self._run_lookup(keys, find, name or "LookupTableFindV2")

    def lookup_split_ngrams(self, input, ngram_width=1, separator=" ", name=None,  # noqa: A002
                            width=None, pad_value=0):  # fmt: skip
        """tensorhouse's own: ``lookup(tf.strings.ngrams(tf.strings.split(input), ngram_width,
        separator))`` of 1-D strings in one host pass (no token or ngram strings made); a
        RaggedTensor of values, or with ``width`` a ``[rows, width]`` tensor of each row's
        first ``width`` values padded with ``pad_value`` (the rest are not looked up)."""
        if self._key_dtype != _dt.string:
            raise TypeError(f"lookup_split_ngrams needs string keys; the table's are "
                            f"{self._key_dtype.name}")  # fmt: skip
        keys = _check_keys(input, _dt.string)
        if keys.shape.rank != 1:
            raise ValueError(f"lookup_split_ngrams takes 1-D strings; received shape {keys.shape}")
        widths = [int(ngram_width)] if np.ndim(ngram_width) == 0 else [int(w) for w in ngram_width]
        if any(w <= 0 for w in widths):
            raise ValueError(f"All ngram_widths must be greater than 0. Got {ngram_width}")
        sep = separator.encode("utf-8") if isinstance(separator, str) else bytes(separator)
        values, default, dtype = self._values, self._default_host, self._value_dtype

        if width is not None and int(width) < 0:
            raise ValueError(f"`width` must be None or non-negative. Received: width={width}")
        cut = None if width is None else int(width)

        def run(tensors):
            flat = _keys_of(tensors[0], True)
            out, splits = self._index.split_ngram_values(flat, widths, sep, values, default,
                                                         cut, pad_value)  # fmt: skip
            return [convert_to_tensor(out, dtype), convert_to_tensor(splits, _dt.int64)]

        n = keys.shape[0]
        first = (None,) if cut is None else (n, cut)
        specs = [(first, dtype), ((None if n is None else n + 1,), _dt.int64)]
        flat, splits = _pyfunc.host_call("PyFuncStateless", run, [keys], specs,
                                         name or "LookupSplitNgrams")  # fmt: skip
        if cut is not None:
            return flat
        return RaggedTensor.from_row_splits(flat, splits, validate=False)


class StaticVocabularyTable(_StaticTable):
    """An immutable string/int64 -> int64 id table: absent keys get one of ``num_oov_buckets``
    ids after the vocabulary, ``vocab_size + Fingerprint64(key) % num_oov_buckets`` as TF."""

    def __init__(
        self,
        initializer,
        num_oov_buckets,
        lookup_key_dtype=None,
        name=None,
        experimental_is_anonymous=False,
    ):
        if num_oov_buckets <= 0:
            raise ValueError("`num_oov_buckets` must be > 0; use StaticHashTable.")
        self._name = name or "hash_table"
        self._num_oov_buckets = int(num_oov_buckets)
        if initializer is None:
            dt = _dt.as_dtype(lookup_key_dtype or _dt.string)
            empty = np.array([], dtype=object if dt == _dt.string else dt._np)
            initializer = KeyValueTensorInitializer(empty, np.array([], np.int64), dt, _dt.int64)
        if initializer.value_dtype != _dt.int64:
            raise TypeError(
                f"Invalid `value_dtype`, expected {_dt.int64!r} but got "
                f"{initializer.value_dtype!r}."
            )
        if initializer.key_dtype not in (_dt.string, _dt.int64):
            raise TypeError(
                f"Invalid `key_dtype`, expected one of (tf.string, tf.int64) but got "
                f"{initializer.key_dtype!r}."
            )
        self._init(initializer)

    def size(self, name=None):
        """The vocabulary size plus the number of OOV buckets (an int64 scalar)."""
        return constant(self._index.size + self._num_oov_buckets, _dt.int64)

    def lookup(self, keys, name=None):
        """The id of each key: its vocabulary value, or its OOV bucket id (ragged and sparse
        keys: their values)."""
        composite = _on_values(keys, self.lookup)
        if composite is not None:
            return composite
        keys = _check_keys(keys, self._key_dtype, allow_int32=True)
        values, n, buckets = self._values, self._index.size, self._num_oov_buckets
        is_string = self._key_dtype == _dt.string

        def find(flat):
            pos = self._index.positions(flat)
            out = values[np.maximum(pos, 0)] if len(values) else np.zeros(len(flat), np.int64)
            missing = np.flatnonzero(pos < 0)
            if missing.size:
                out = out.copy()
                out[missing] = n + _fingerprint_buckets(flat[missing], buckets, is_string)
            return out

        return self._run_lookup(keys, find, name or "LookupTableFindV2")


class MutableHashTable:
    """A key -> value table that ``insert`` and ``remove`` change; values may be vectors (the
    shape of ``default_value``)."""

    def __init__(
        self,
        key_dtype,
        value_dtype,
        default_value,
        name="MutableHashTable",
        checkpoint=True,
        experimental_is_anonymous=False,
    ):
        self._key_dtype, self._value_dtype = _dt.as_dtype(key_dtype), _dt.as_dtype(value_dtype)
        self._default = convert_to_tensor(default_value, self._value_dtype)
        self._value_shape = tuple(self._default.shape.as_list())
        self._name = name
        self._data: dict = {}  # key (bytes or int) -> value (a scalar or an array)

    key_dtype = _StaticTable.key_dtype
    value_dtype = _StaticTable.value_dtype
    name = _StaticTable.name
    __getitem__ = _StaticTable.__getitem__

    @property
    def default_value(self):
        """The value absent keys get."""
        return self._default

    def _flat_keys(self, t):
        return _keys_of(t, self._key_dtype == _dt.string)

    def _call(self, fn, inputs, out_specs, op_name):
        return _pyfunc.host_call("PyFunc", fn, inputs, out_specs, op_name)

    def insert(self, keys, values, name=None):
        """Set the value of each key (``values``: the keys' shape plus the value shape)."""
        keys = _check_keys(keys, self._key_dtype)
        if isinstance(values, VariableLike):
            values = values._th_read()
        if not isinstance(values, Tensor):
            values = convert_to_tensor(values, self._value_dtype)
        if values.dtype != self._value_dtype:
            raise TypeError(
                f"Dtype of argument `values` must be {self._value_dtype}, received: {values.dtype}"
            )
        vshape, vdt = self._value_shape, self._value_dtype

        def run(tensors):
            k = self._flat_keys(tensors[0])
            v = _as_array(tensors[1], vdt)
            if v.size != k.size * int(np.prod(vshape, dtype=np.int64)):
                raise errors.InvalidArgumentError(
                    f"Expected shape {list(tensors[0].shape) + list(vshape)} for value, got "
                    f"{list(v.shape)}"
                )
            v = v.reshape((k.size, *vshape))
            self._data.update(zip(k.tolist(), list(v) if vshape else v.tolist()))
            return []

        self._call(run, [keys, values], [], name or "LookupTableInsertV2")

    def remove(self, keys, name=None):
        """Remove each key (absent keys are ignored)."""
        keys = _check_keys(keys, self._key_dtype)

        def run(tensors):
            for k in self._flat_keys(tensors[0]).tolist():
                self._data.pop(k, None)
            return []

        self._call(run, [keys], [], name or "LookupTableRemoveV2")

    def size(self, name=None):
        """The number of entries (an int64 scalar)."""
        run = lambda tensors: [constant(len(self._data), _dt.int64)]  # noqa: E731
        return self._call(run, [], [((), _dt.int64)], name or "LookupTableSizeV2")[0]

    def lookup(self, keys, dynamic_default_value=None, name=None):
        """The value of each key (the default value where absent)."""
        keys = _check_keys(keys, self._key_dtype)
        default = self._default
        if dynamic_default_value is not None:
            default = convert_to_tensor(dynamic_default_value, self._value_dtype)
        vshape, vdt = self._value_shape, self._value_dtype

        def run(tensors):
            k = self._flat_keys(tensors[0])
            out = np.empty((k.size, *vshape), vdt._np)
            out[...] = _as_array(tensors[1], vdt)
            get = self._data.get
            for i, key in enumerate(k.tolist()):
                v = get(key)
                if v is not None:
                    out[i] = v
            return [convert_to_tensor(out.reshape(tuple(tensors[0].shape) + vshape), vdt)]

        spec = [(_static_shape(keys, vshape), vdt)]
        return self._call(run, [keys, default], spec, name or "LookupTableFindV2")[0]

    def export(self, name=None):
        """All keys and their values, as two tensors (in insertion order)."""
        vshape, vdt, kdt = self._value_shape, self._value_dtype, self._key_dtype

        def run(tensors):
            keys = np.array(list(self._data), dtype=kdt._np).reshape(-1)
            vals = np.array(list(self._data.values()), dtype=vdt._np).reshape((-1, *vshape))
            return [convert_to_tensor(keys, kdt), convert_to_tensor(vals, vdt)]

        specs = [((None,), kdt), ((None, *vshape), vdt)]
        keys, values = self._call(run, [], specs, name or "LookupTableExportV2")
        return keys, values


experimental = types.SimpleNamespace(MutableHashTable=MutableHashTable)
