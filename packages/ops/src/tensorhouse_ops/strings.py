"""``tf.strings``: string ops on tensors of any rank (NumPy object arrays of ``bytes`` on the host).

Each op is one host-call node: eagerly it runs at once, inside ``tf.function`` the traced graph
runs the same Python function on the node's inputs, with the static shapes TF's shape functions
give. Ops that split strings return ``tf.RaggedTensor`` (a 1-D tensor for a scalar input), and
elementwise ops take ragged input (applied to its flat values).
"""

from __future__ import annotations

import builtins
import codecs
import itertools
import threading
from typing import Any

import numpy as np

from tensorhouse_kernels import host_strings as _fast
from tensorhouse_kernels.runtime import current_device, default_device, errors, from_host

from . import _strings_hash as _hash
from . import _strings_text as _text
from . import dtypes as _dt
from ._pyfunc import executing_eagerly, host_call
from ._ragged import RaggedTensor
from ._tensor import Tensor, VariableLike, convert_to_tensor

errors_mod = errors  # ``errors`` is also an argument of the Unicode ops

__all__ = [
    "as_string", "bytes_split", "format", "join", "length", "lower", "ngrams", "reduce_join",
    "regex_full_match", "regex_replace", "split", "strip", "substr", "to_hash_bucket",
    "to_hash_bucket_fast", "to_hash_bucket_strong", "to_number", "unicode_decode",
    "unicode_decode_with_offsets", "unicode_encode", "unicode_split", "unicode_split_with_offsets",
    "unicode_transcode", "unsorted_segment_join", "upper",
]  # fmt: skip

# ---- plumbing ---------------------------------------------------------------------------------


def _tensor(arr: np.ndarray) -> Tensor:
    device = current_device() or default_device()
    if not arr.flags.c_contiguous:
        arr = arr.copy()
    return Tensor(from_host(arr, device), device)


def _is_ragged(x) -> bool:
    return hasattr(x, "flat_values") and hasattr(x, "row_splits")


def _read(x) -> Any:  # a variable's value, else ``x`` (a tensor, ragged tensor or value)
    return x._th_read() if isinstance(x, VariableLike) else x


def _strings(x, op: str, index: int = 0):
    """``x`` as a string tensor (TF's errors for numbers)."""
    x = _read(x)
    if not isinstance(x, Tensor):
        try:
            x = convert_to_tensor(x, _dt.string)
        except (TypeError, ValueError):
            x = _tensor(_host_strings(x))
    if x.dtype != _dt.string:
        raise errors.InvalidArgumentError(
            f"cannot compute {op} as input #{index}(zero-based) was expected to be a string "
            f"tensor but is a {x.dtype.name} tensor [Op:{op}]"
        )
    return x


def _host_strings(value) -> np.ndarray:
    """A nested list of ``str`` and ``bytes`` as an object array of bytes (TF's TypeError for
    anything else)."""
    try:
        arr = np.array(value, dtype=object)  # a copy: the caller's array stays as it is
        flat = arr.reshape(-1)
        for i, v in enumerate(flat):
            flat[i] = v.encode("utf-8") if isinstance(v, str) else v
            if not isinstance(flat[i], bytes):
                raise TypeError
    except (TypeError, ValueError):
        raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype string") from None
    return arr


def _scalar_string(x, op: str):
    x = _strings(x, op, 1)
    if x.shape.rank != 0:
        raise errors.InvalidArgumentError(f"{op}: the pattern must be a scalar, got {x.shape}")
    return x


def _ints(x, dtype=None):
    x = _read(x)
    return x if isinstance(x, Tensor) else convert_to_tensor(x, dtype)


def _dims(x) -> tuple:
    return tuple(x.shape.as_list())


def _run(op: str, fn, inputs, specs, name=None, node_type="PyFuncStateless"):
    """``fn(*ndarrays) -> [ndarray]`` run now or as one stateless host-call node (errors name
    ``op``; a traced node is called ``name`` when given, as TF names it); ``specs`` are the
    outputs' static ``(shape, DType)``."""

    def call(tensors):
        return [_tensor(o) for o in fn(*[_host(t) for t in tensors])]

    outs = host_call(node_type, call, list(inputs), specs, op)
    node = getattr(outs[0], "op", None) if name and outs else None
    if node is not None:  # a traced node (eager tensors have no op)
        node.given = name
    return outs


def _host(t) -> np.ndarray:
    """A tensor's value on the host; strings as ``bytes`` (a string tensor made from NumPy
    ``str`` values holds them as they came)."""
    a = np.asarray(t)
    if a.dtype.kind == "U" or (a.dtype == object and a.size and isinstance(a.flat[0], str)):
        return _host_strings(a)
    return a


def _obj(values) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _map(fn, a: np.ndarray, dtype=object) -> np.ndarray:
    """``fn`` on each element of ``a`` (same shape)."""
    flat = a.reshape(-1)
    if dtype is object:
        return _obj(list(map(fn, flat))).reshape(a.shape)
    return np.fromiter(map(fn, flat), dtype=dtype, count=len(flat)).reshape(a.shape)


def _ragged_parts(rt):
    """``(flat_values, [row_splits, outermost first])`` of a RaggedTensor."""
    splits, v = [], rt
    while _is_ragged(v):
        splits.append(v.row_splits)
        v = v.values
    return v, splits


def _wrap(values, splits):
    """Nested ``RaggedTensor.from_row_splits`` (``splits`` outermost first)."""
    for s in reversed(splits):
        values = RaggedTensor.from_row_splits(values, s, validate=False)
    return values


def _on_flat(x, fn):
    """``fn`` on a RaggedTensor's flat values, same row partitions; else ``fn(x)``."""
    if not _is_ragged(x):
        return fn(x)
    flat, splits = _ragged_parts(x)
    return _wrap(fn(flat), splits)


def _unary(op, x, fn, dtype=_dt.string):
    """An elementwise op: ``fn(ndarray) -> ndarray`` of the same shape."""

    def run(x):
        x = _strings(x, op)
        return _run(op, lambda a: [fn(a)], [x], [(_dims(x), dtype)])[0]

    return _on_flat(x, run)


def _broadcast_dims(*shapes) -> tuple:
    rank = max(len(s) for s in shapes)
    out = []
    for dims in zip(*[(1,) * (rank - len(s)) + tuple(s) for s in shapes]):
        known = {d for d in dims if d is not None and d != 1}
        if len(known) > 1:
            raise errors.InvalidArgumentError(f"Incompatible shapes: {[list(s) for s in shapes]}")
        if known:
            out.append(known.pop())
        elif None in dims:
            out.append(None)
        else:
            out.append(1)
    return tuple(out)


def _flat_lengths(flat: np.ndarray):
    """The byte lengths and the concatenated bytes (uint8) of a 1-D array of strings."""
    lengths = np.fromiter(map(len, flat), dtype=np.int64, count=len(flat))
    return lengths, np.frombuffer(b"".join(flat), dtype=np.uint8)


def _split_specs(shape, dtype):
    """Static shapes of the values and of each level's row splits of a ragged result over a
    dense input of ``shape``."""
    specs, n = [((None,), dtype)], 1
    for d in shape:
        n = None if n is None or d is None else n * d
        specs.append(((None if n is None else n + 1,), _dt.int64))
    return specs


def _ragged_result(op, x, fn, dtype):
    """An op that splits each string into a list: ``fn(1-D strings) -> (values, lengths)``.
    A scalar gives the 1-D values; rank N gives a RaggedTensor of rank N + 1. With a tuple of
    dtypes, ``fn`` returns a tuple of value arrays (one row partition) and so does the op."""
    several = isinstance(dtype, tuple)
    dtypes = dtype if several else (dtype,)

    def run(x):
        x = _strings(x, op)
        shape = _dims(x)

        def host(a):
            values, lengths = fn(a.reshape(-1))
            values = list(values) if several else [values]
            if a.ndim == 0:
                return values
            splits = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
            return values + _uniform_splits(a.shape) + [splits]

        specs = [((None,), dt) for dt in dtypes]
        if len(shape) == 0:
            outs = _run(op, host, [x], specs)
        else:
            outs = _run(op, host, [x], specs + _split_specs(shape, None)[1:])
            outs = [_wrap(v, outs[len(dtypes) :]) for v in outs[: len(dtypes)]]
        return tuple(outs) if several else outs[0]

    if _is_ragged(x):
        flat, splits = _ragged_parts(x)
        inner = run(flat)  # flat values are 1-D: RaggedTensors
        if several:
            return tuple(_wrap(v, splits) for v in inner)
        return _wrap(inner, splits)
    return run(x)


def _uniform_splits(shape) -> list:
    """Row splits of the uniform outer levels of a ragged value over a dense ``shape`` (one
    per dimension but the last, outermost first)."""
    out, total = [], 1
    for k in range(len(shape) - 1):
        total *= shape[k]
        out.append(np.arange(total + 1, dtype=np.int64) * shape[k + 1])
    return out


# ---- case, whitespace, length -----------------------------------------------------------------


def _case(op, x, encoding, method):
    if encoding not in ("", "utf-8", "UTF-8"):
        raise errors.InvalidArgumentError(f"{op}: encoding must be '' or 'utf-8', got {encoding!r}")
    if not encoding:
        if method == "lower":  # ASCII: one C++ loop over the batch
            return _unary(op, x, _fast.lower_ascii)
        fn = getattr(bytes, method)
    else:

        def fn(s):
            return getattr(s.decode("utf-8", "surrogateescape"), method)().encode(
                "utf-8", "surrogateescape"
            )

    return _unary(op, x, lambda a: _map(fn, a))


def lower(input, encoding="", name=None):  # noqa: A002
    """Lowercase each string (ASCII only, or Unicode with ``encoding='utf-8'``)."""
    return _case("StringLower", input, encoding, "lower")


def upper(input, encoding="", name=None):  # noqa: A002
    """Uppercase each string (ASCII only, or Unicode with ``encoding='utf-8'``)."""
    return _case("StringUpper", input, encoding, "upper")


def strip(input, name=None):  # noqa: A002
    """Strip leading and trailing ASCII whitespace from each string."""
    return _unary("StringStrip", input, lambda a: _map(bytes.strip, a))


def _check_unit(op, unit):
    if unit not in ("BYTE", "UTF8_CHAR"):
        raise errors.InvalidArgumentError(
            f"Value for attr 'unit' of \"{unit}\" is not in the list of allowed values: "
            f'"BYTE", "UTF8_CHAR" [Op:{op}]'
        )


def _utf8_lengths(flat: np.ndarray) -> np.ndarray:
    lengths = np.fromiter(map(len, flat), dtype=np.int64, count=len(flat))
    joined = b"".join(flat)
    if joined.isascii():
        return lengths
    data = np.frombuffer(joined, dtype=np.uint8)
    starts = np.concatenate([[0], np.cumsum(lengths)])
    lead = np.concatenate([[0], np.cumsum((data & 0xC0) != 0x80)])
    return lead[starts[1:]] - lead[starts[:-1]]


def length(input, unit="BYTE", name=None):  # noqa: A002
    """The length of each string in bytes or UTF-8 characters (int32)."""
    _check_unit("StringLength", unit)

    def fn(a):
        flat = a.reshape(-1)
        if unit == "BYTE":
            out = np.fromiter(map(len, flat), dtype=np.int64, count=len(flat))
        else:
            out = _utf8_lengths(flat)
        return out.astype(np.int32).reshape(a.shape)

    return _unary("StringLength", input, fn, _dt.int32)


# ---- substr -----------------------------------------------------------------------------------


def _shown(s: bytes) -> str:
    return s.decode("utf-8", "backslashreplace")


def substr(input, pos, len, unit="BYTE", name=None):  # noqa: A002
    """``len`` bytes (or UTF-8 characters) of each string from ``pos`` (negative: from the
    end); ``pos`` and ``len`` broadcast against ``input``."""
    op = "Substr"
    _check_unit(op, unit)
    if _is_ragged(input):
        return _on_flat(input, lambda v: substr(v, pos, len, unit))
    x = _strings(input, op)
    p, n = _ints(pos), _ints(len)
    if p.dtype not in (_dt.int32, _dt.int64) or n.dtype != p.dtype:
        raise TypeError(
            f"Substr: pos and len must both be int32 or int64, got {p.dtype.name} and "
            f"{n.dtype.name}"
        )
    shape = _broadcast_dims(_dims(x), _dims(p), _dims(n))

    def fn(a, pa, na):
        try:
            a, pa, na = np.broadcast_arrays(a, pa, na)
        except ValueError:
            raise errors.InvalidArgumentError(
                f"Incompatible shapes: {list(a.shape)} vs. {list(pa.shape)} vs. {list(na.shape)}"
            ) from None
        out = np.empty(a.shape, dtype=object)
        for i, (s, b, k) in enumerate(zip(a.reshape(-1), pa.reshape(-1).tolist(),
                                          na.reshape(-1).tolist())):  # fmt: skip
            t = s.decode("utf-8", "surrogateescape") if unit == "UTF8_CHAR" else s
            size = builtins.len(t)
            if not -size <= b <= size:
                raise errors.InvalidArgumentError(
                    f"pos {b} out of range for string b'{_shown(s)}' at index {i}"
                )
            b = b + size if b < 0 else b
            t = t[b:] if k < 0 else t[b : b + k]
            out.reshape(-1)[i] = t.encode("utf-8", "surrogateescape") if unit != "BYTE" else t
        return [out]

    return _run(op, fn, [x, p, n], [(shape, _dt.string)])[0]


# ---- split, join ------------------------------------------------------------------------------


def _split_lists(parts):
    values = _obj(list(itertools.chain.from_iterable(parts)))
    lengths = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
    return values, lengths


def split(input, sep=None, maxsplit=-1, name=None):  # noqa: A002
    """Split each string on ``sep`` (None: runs of ASCII whitespace), at most ``maxsplit``
    times; a RaggedTensor one rank up (a 1-D tensor for a scalar)."""
    if isinstance(sep, Tensor):
        sep = sep._host().item()
    if isinstance(sep, str):
        sep = sep.encode("utf-8")
    sep = sep or None
    maxsplit = int(maxsplit)

    def fn(flat):
        if sep is None and maxsplit < 0:
            values, splits = _fast.split_whitespace(flat)  # one C++ loop over the batch
            return values, np.diff(splits)
        if sep is None:
            parts = [s.split(None, maxsplit) for s in flat]
            if maxsplit > 0:  # TF: a string of exactly maxsplit words ends with an empty one
                parts = [p + [b""] if len(p) == maxsplit else p for p in parts]
            elif maxsplit == 0:
                parts = [[s] for s in flat]
        else:
            parts = [s.split(sep, maxsplit) for s in flat]
        return _split_lists(parts)

    return _ragged_result("StringSplitV2", input, fn, _dt.string)


_BYTES = _obj([bytes((b,)) for b in range(256)])


def bytes_split(input, name=None):  # noqa: A002
    """Split each string into its bytes; a RaggedTensor one rank up (1-D for a scalar)."""

    def fn(flat):
        lengths, data = _flat_lengths(flat)
        return _BYTES[data], lengths

    return _ragged_result("StringSplitBytes", input, fn, _dt.string)


def join(inputs, separator="", name=None):
    """Join the strings of ``inputs`` elementwise with ``separator`` (scalars broadcast)."""
    op = "StringJoin"
    if isinstance(inputs, Tensor) or not isinstance(inputs, list | tuple):
        inputs = [inputs]
    xs = [_strings(x, op, i) for i, x in enumerate(inputs)]
    sep = separator.encode("utf-8") if isinstance(separator, str) else bytes(separator)
    shapes = [_dims(x) for x in xs if len(_dims(x))]
    for s in shapes[1:]:
        if len(s) != len(shapes[0]) or any(
            a is not None and b is not None and a != b for a, b in zip(s, shapes[0])
        ):
            raise errors.InvalidArgumentError(
                f"Input shapes do not match: {list(shapes[0])} vs. {list(s)}"
            )
    shape = tuple(
        next((d for d in dims if d is not None), None) for dims in zip(*shapes)
    ) if shapes else ()  # fmt: skip

    def fn(*arrays):
        big = [a.shape for a in arrays if a.ndim]
        for s in big[1:]:
            if s != big[0]:
                raise errors.InvalidArgumentError(
                    f"Input shapes do not match: {list(big[0])} vs. {list(s)}"
                )
        out = arrays[0] if arrays else np.asarray(b"", dtype=object)
        out = np.asarray(out, dtype=object)
        for a in arrays[1:]:
            out = out + sep + a if sep else out + a
        full = big[0] if big else ()
        out = np.asarray(out, dtype=object)  # 0-d object arrays add up to a bare bytes
        if out.shape != full:
            out = np.broadcast_to(out, full)
        return [np.array(out, dtype=object)]

    return _run(op, fn, xs, [(shape, _dt.string)], name)[0]


def _axes(axis, rank, op="ReduceJoin"):
    if axis is None:
        return list(range(rank))
    axis = _read(axis)
    if isinstance(axis, Tensor):
        axis = axis.numpy().tolist()
    axes = [int(a) for a in (axis if isinstance(axis, list | tuple) else [axis])]
    out = []
    for a in axes:
        if not -rank <= a < rank:
            raise errors.InvalidArgumentError(
                f"Invalid reduction dimension {a} for input with {rank} dimension(s) [Op:{op}]"
            )
        out.append(a % rank if rank else a)
    return sorted(set(out))


def reduce_join(inputs, axis=None, keepdims=False, separator="", name=None):
    """Join the strings of ``inputs`` along ``axis`` (all axes when None) with ``separator``."""
    op = "ReduceJoin"
    x = _strings(inputs, op)
    shape = _dims(x)
    axes = _axes(axis, len(shape))
    sep = separator.encode("utf-8") if isinstance(separator, str) else bytes(separator)
    kept = [i for i in range(len(shape)) if i not in axes]
    if keepdims:
        out_shape = tuple(1 if i in axes else d for i, d in enumerate(shape))
    else:
        out_shape = tuple(shape[i] for i in kept)

    def fn(a):
        moved = np.transpose(a, kept + axes)
        lead = moved.shape[: len(kept)]
        rows = moved.reshape(int(np.prod(lead, dtype=np.int64)), -1)
        out = _obj([sep.join(r) for r in rows]).reshape(lead)
        if keepdims:
            out = out.reshape([1 if i in axes else d for i, d in enumerate(a.shape)])
        return [out]

    return _run(op, fn, [x], [(out_shape, _dt.string)])[0]


def unsorted_segment_join(inputs, segment_ids, num_segments, separator="", name=None):
    """Join the strings of ``inputs`` whose ``segment_ids`` are equal, in order, with
    ``separator``; ``num_segments`` rows."""
    op = "UnsortedSegmentJoin"
    x = _strings(inputs, op)
    ids = _ints(segment_ids)
    nseg = _read(num_segments)
    nseg = int(nseg.numpy() if isinstance(nseg, Tensor) else nseg)
    sep = separator.encode("utf-8") if isinstance(separator, str) else bytes(separator)
    xs, ks = _dims(x), _dims(ids)
    out_shape = (nseg, *xs[len(ks) :])

    def fn(a, k):
        if a.shape[: k.ndim] != k.shape:
            raise errors.InvalidArgumentError(
                f"segment_ids.shape = {list(k.shape)} does not prefix data.shape = {list(a.shape)}"
            )
        k = k.reshape(-1)
        if k.size and (k.min() < 0 or k.max() >= nseg):
            raise errors.InvalidArgumentError(
                "segment_ids are not allowed to exceed num_segments or to have negative values."
            )
        rows = a.reshape(k.size, -1)
        inner = a.shape[k.ndim and len(ks) :]
        groups = [[] for _ in range(nseg)]
        for i, seg in enumerate(k.tolist()):
            groups[seg].append(rows[i])
        width = rows.shape[1]
        out = np.empty((nseg, width), dtype=object)
        for g, members in enumerate(groups):
            for j in range(width):
                out[g, j] = sep.join(m[j] for m in members)
        return [out.reshape((nseg, *inner))]

    return _run(op, fn, [x, ids], [(out_shape, _dt.string)])[0]


# ---- regular expressions ----------------------------------------------------------------------


def _decode(s: bytes) -> str:
    return s.decode("utf-8", "surrogateescape")


def regex_full_match(input, pattern, name=None):  # noqa: A002
    """Whether each string matches the RE2 ``pattern`` in full (bool)."""
    op = "RegexFullMatch"
    if _is_ragged(input):
        return _on_flat(input, lambda v: regex_full_match(v, pattern))
    x = _strings(input, op)
    pat = _scalar_string(pattern, op)

    def fn(a, p):
        rx = _text.compile_re2(p.item())
        return [_map(lambda s: rx.fullmatch(_decode(s)) is not None, a, bool)]

    if type(pat) is Tensor:  # eager: a bad pattern fails at the call, as TF's
        _text.compile_re2(pat._host().item())
    return _run(op, fn, [x, pat], [(_dims(x), _dt.bool)])[0]


def regex_replace(input, pattern, rewrite, replace_global=True, name=None):  # noqa: A002
    """Replace the matches of the RE2 ``pattern`` in each string by ``rewrite`` (``\\0`` ..
    ``\\9`` name groups); only the first match when ``replace_global`` is False."""
    op = "RegexReplace"
    if _is_ragged(input):
        return _on_flat(input, lambda v: regex_replace(v, pattern, rewrite, replace_global))
    x = _strings(input, op)
    pat = _scalar_string(pattern, op)
    rw = _scalar_string(rewrite, op)

    def fn(a, p, r):
        rx = _text.compile_re2(p.item())
        drop = _text.byte_class(p.item()) if replace_global and r.item() == b"" else None
        if drop is not None:  # deleting a class of ASCII bytes: one C++ loop
            return [_fast.delete_bytes(a, drop)]
        parts = _text.parse_rewrite(r.item())
        if parts is None or max((p for p in parts if isinstance(p, int)), default=0) > rx.groups:
            return [np.array(a, dtype=object)]  # RE2 rejects the rewrite: TF keeps the input

        template = _text.python_template(rx, parts)
        count = 0 if replace_global else 1
        if template is not None:

            def one(s):
                return rx.sub(template, _decode(s), count).encode("utf-8", "surrogateescape")

        else:

            def one(s):
                text = _text.re2_replace(rx, parts, _decode(s), replace_global)
                return text.encode("utf-8", "surrogateescape")

        return [_map(one, a)]

    if type(pat) is Tensor:
        _text.compile_re2(pat._host().item())
    return _run(op, fn, [x, pat, rw], [(_dims(x), _dt.string)])[0]


# ---- numbers ----------------------------------------------------------------------------------

_NUMBER_TYPES = ("float32", "float64", "int32", "int64", "uint32", "uint64")


def to_number(string_tensor, out_type=_dt.float32, name=None):
    """Parse each string as a number of ``out_type`` (float32 by default)."""
    op = "StringToNumber"
    dtype = _dt.as_dtype(out_type)
    if dtype.name not in _NUMBER_TYPES:
        raise errors.InvalidArgumentError(
            f"Value for attr 'out_type' of {dtype.name} is not in the list of allowed values: "
            "float, double, int32, int64, uint32, uint64 [Op:StringToNumber]"
        )

    def fn(a):
        return _text.to_number(a.reshape(-1), dtype.name).reshape(a.shape)

    return _unary(op, string_tensor, fn, dtype)


def as_string(input, precision=-1, scientific=False, shortest=False, width=-1, fill="",  # noqa: A002
              name=None):  # fmt: skip
    """Each element as a string, printf style (``precision``, ``scientific``, ``shortest``,
    ``width`` padded with ``fill``)."""
    op = "AsString"

    def run(x):
        x = _read(x)
        x = x if isinstance(x, Tensor) else convert_to_tensor(x)
        fmt = _text.as_string_format(x.dtype.name, int(precision), bool(scientific),
                                     bool(shortest), int(width), fill)  # fmt: skip
        return _run(op, lambda a: [_text.as_string(a, fmt)], [x], [(_dims(x), _dt.string)])[0]

    return _on_flat(input, run)


def format(template, inputs, placeholder="{}", summarize=3, name=None):  # noqa: A001
    """``template`` with each ``placeholder`` replaced by the next input's summary, as TF
    prints tensors (``summarize`` entries at each end of every dimension; -1: all)."""
    if not isinstance(inputs, list | tuple):
        inputs = [inputs]
    pieces = template.split(placeholder)
    if len(pieces) - 1 != len(inputs):
        raise ValueError(
            f"The template expects {len(pieces) - 1} tensors, but the inputs only has "
            f"{len(inputs)}. Please ensure the number of placeholders in template "
            "matches inputs length."
        )
    ragged = [_is_ragged(x) for x in inputs]
    xs = []
    for x, r in zip(inputs, ragged):
        x = _read(x)
        if r:
            xs.extend([x.flat_values, *_ragged_parts(x)[1]])
        else:
            xs.append(x if isinstance(x, Tensor) else convert_to_tensor(x))
    dtypes = [x.dtype.name for x in xs]
    levels = [len(_ragged_parts(x)[1]) if r else 0 for x, r in zip(inputs, ragged)]
    n = int(summarize)

    def fn(*arrays):
        out, k = [pieces[0]], 0
        for i, lv in enumerate(levels):
            if lv:
                out.append(_ragged_text(arrays[k], arrays[k + 1 : k + 1 + lv], dtypes[k]))
            else:
                out.append(_text.summarize(arrays[k], dtypes[k], n))
            k += 1 + lv
            out.append(pieces[i + 1])
        return [np.array("".join(out).encode("utf-8", "surrogateescape"), dtype=object)]

    return _run("StringFormat", fn, xs, [((), _dt.string)])[0]


def _ragged_text(values, splits, dtype):
    """A ragged value as TF prints it: nested lists, elements as in tensor summaries."""

    def rows(level, lo, hi):
        if level == len(splits):
            return [_text.element_text(v, dtype) for v in values[lo:hi]]
        s = splits[level]
        return ["[" + ", ".join(rows(level + 1, s[i], s[i + 1])) + "]" for i in range(lo, hi)]

    return "[" + ", ".join(rows(0, 0, len(splits[0]) - 1)) + "]"


# ---- hashing ----------------------------------------------------------------------------------


def _check_buckets(op, num_buckets):
    num_buckets = int(num_buckets)
    if num_buckets < 1:
        raise errors.InvalidArgumentError(
            f"Value for attr 'num_buckets' of {num_buckets} must be at least minimum 1 [Op:{op}]"
        )
    return np.uint64(num_buckets)


def _hash_op(op, x, num_buckets, hash_fn):
    n = _check_buckets(op, num_buckets)

    def fn(a):
        flat = a.reshape(-1)
        return (hash_fn(flat) % n).astype(np.int64).reshape(a.shape)

    return _unary(op, x, fn, _dt.int64)


def to_hash_bucket_fast(input, num_buckets, name=None):  # noqa: A002
    """FarmHash ``Fingerprint64`` of each string modulo ``num_buckets`` (int64)."""
    return _hash_op("StringToHashBucketFast", input, num_buckets, _hash.fingerprint64)


def to_hash_bucket_strong(input, num_buckets, key, name=None):  # noqa: A002
    """Keyed SipHash-2-4 of each string (``key``: two ints) modulo ``num_buckets``."""
    op = "StringToHashBucketStrong"
    key = list(key) if isinstance(key, list | tuple) else [key]
    if len(key) != 2:
        raise errors.InvalidArgumentError(f"Key must have 2 elements [Op:{op}]")
    k0, k1 = (int(k) for k in key)
    return _hash_op(op, input, num_buckets, lambda flat: _hash.siphash24(flat, k0, k1))


def to_hash_bucket(string_tensor, num_buckets, name=None):
    """TF's legacy 64-bit string hash of each string modulo ``num_buckets``."""
    return _hash_op("StringToHashBucket", string_tensor, num_buckets, _hash.legacy_hash64)


# ---- Unicode ----------------------------------------------------------------------------------

_MARK = "\ud800"  # a lone surrogate no decoder returns: where a decoding error was
_spans = threading.local()  # the byte length of each error, in order, while decoding


def _mark_errors(exc):
    spans = getattr(_spans, "list", None)
    if spans is not None:
        spans.append(exc.end - exc.start)
    return _MARK, exc.end


codecs.register_error("tensorhouse.strings.mark", _mark_errors)


def _codec(encoding: str, op: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise errors.InvalidArgumentError(
            f"Could not create converter for input encoding: {encoding} [Op:{op}]"
        ) from None


def _check_errors(value):
    if value not in ("strict", "replace", "ignore"):
        raise ValueError(
            f"Value for attr 'errors' of \"{value}\" is not in the list of allowed values: "
            '"strict", "replace", "ignore"'
        )


def _char_widths(points: np.ndarray, codec: str) -> np.ndarray:
    """The bytes each code point takes in ``codec``."""
    if codec == "utf-8":
        return 1 + (points >= 0x80) + (points >= 0x800) + (points >= 0x10000)
    if codec.startswith("utf-16"):
        return 2 + 2 * (points >= 0x10000)
    return np.fromiter((len(chr(c).encode(codec, "surrogatepass")) for c in points.tolist()),
                       dtype=np.int64, count=len(points))  # fmt: skip


def _decode_points(flat, codec, errors_, replacement, control, op, offsets=False):
    """The code points of each string (``(int32 values, lengths)``) after TF's error policy;
    with ``offsets``, ``((values, int64 byte offsets of each character), lengths)``."""
    _spans.list = spans = [] if offsets else None
    try:
        texts = [s.decode(codec, "tensorhouse.strings.mark") for s in flat]
    finally:
        _spans.list = None
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    points = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype="<u4")
    points = points.astype(np.int32)
    bad = points == 0xD800
    if offsets:
        widths = _char_widths(points.astype(np.int64), codec)
        widths[bad] = spans
        ends = np.cumsum(widths)
        starts = np.repeat(np.concatenate([[0], np.cumsum(lengths)])[:-1], lengths)
        starts_bytes = np.concatenate([[0], ends])[starts]
        where = np.concatenate([[0], ends[:-1]]) - starts_bytes
    if bad.any():
        if errors_ == "strict":
            raise errors.InvalidArgumentError(f"Invalid formatting on input string [Op:{op}]")
        if errors_ == "ignore":
            owner = np.repeat(np.arange(len(lengths)), lengths)
            lengths = lengths - np.bincount(owner[bad], minlength=len(lengths))
            points = points[~bad]
            if offsets:
                where = where[~bad]
        else:
            points = np.where(bad, np.int32(replacement), points)
    if control:
        points = np.where(points <= 0x1F, np.int32(replacement), points).astype(np.int32)
    if offsets:
        return (points, where.astype(np.int64)), lengths
    return points, lengths


def unicode_decode(input, input_encoding, errors="replace", replacement_char=65533,  # noqa: A002
                   replace_control_characters=False, name=None):  # fmt: skip
    """The Unicode code points of each string (int32); a RaggedTensor one rank up."""
    op = "UnicodeDecode"
    codec = _codec(input_encoding, op)
    _check_errors(errors)

    def fn(flat):
        return _decode_points(flat, codec, errors, replacement_char,
                              replace_control_characters, op)  # fmt: skip

    return _ragged_result(op, input, fn, _dt.int32)


def unicode_split(input, input_encoding, errors="replace", replacement_char=65533, name=None):  # noqa: A002
    """Each string split into its characters (encoded as ``input_encoding``); ragged."""
    op = "UnicodeDecode"
    codec = _codec(input_encoding, op)
    _check_errors(errors)

    def fn(flat):
        points, lengths = _decode_points(flat, codec, errors, replacement_char, False, op)
        points = np.asarray(points)  # without offsets: one array of code points
        values = _obj([chr(c).encode(codec, "surrogatepass") for c in points.tolist()])
        return values, lengths

    return _ragged_result(op, input, fn, _dt.string)


def unicode_decode_with_offsets(input, input_encoding, errors="replace",  # noqa: A002
                                replacement_char=65533, replace_control_characters=False,
                                name=None):  # fmt: skip
    """``unicode_decode`` and the byte offset where each character starts (int64)."""
    op = "UnicodeDecodeWithOffsets"
    codec = _codec(input_encoding, op)
    _check_errors(errors)

    def fn(flat):
        return _decode_points(flat, codec, errors, replacement_char,
                              replace_control_characters, op, offsets=True)  # fmt: skip

    return _ragged_result(op, input, fn, (_dt.int32, _dt.int64))


def unicode_split_with_offsets(input, input_encoding, errors="replace",  # noqa: A002
                               replacement_char=65533, name=None):  # fmt: skip
    """``unicode_split`` and the byte offset where each character starts (int64)."""
    op = "UnicodeDecodeWithOffsets"
    codec = _codec(input_encoding, op)
    _check_errors(errors)

    def fn(flat):
        (points, where), lengths = _decode_points(flat, codec, errors, replacement_char, False,
                                                  op, offsets=True)  # fmt: skip
        chars = _obj([chr(c).encode(codec, "surrogatepass") for c in points.tolist()])
        return (chars, where), lengths

    return _ragged_result(op, input, fn, (_dt.string, _dt.int64))


_ENCODINGS = {"UTF-8": "utf-8", "UTF-16-BE": "utf-16-be", "UTF-32-BE": "utf-32-be"}


def unicode_transcode(input, input_encoding, output_encoding, errors="replace",  # noqa: A002
                      replacement_char=65533, replace_control_characters=False,
                      name=None):  # fmt: skip
    """Each string decoded from ``input_encoding`` and encoded as ``output_encoding``."""
    op = "UnicodeTranscode"
    codec = _codec(input_encoding, op)
    _check_errors(errors)
    if output_encoding not in _ENCODINGS:
        raise ValueError(
            f"Value for attr 'output_encoding' of \"{output_encoding}\" is not in the list of "
            'allowed values: "UTF-8", "UTF-16-BE", "UTF-32-BE"'
        )
    out = _ENCODINGS[output_encoding]

    def fn(a):
        points, lengths = _decode_points(a.reshape(-1), codec, errors, replacement_char,
                                         replace_control_characters, op)  # fmt: skip
        return _encode_rows(np.asarray(points), lengths, out).reshape(a.shape)

    return _unary(op, input, fn)


def _encode_rows(points: np.ndarray, lengths: np.ndarray, codec: str) -> np.ndarray:
    """Valid code points, ``lengths[i]`` of them a row, as one encoded string a row."""
    text = np.asarray(points, dtype="<u4").tobytes().decode("utf-32-le")
    ends = np.cumsum(lengths).tolist()
    starts = [0, *ends[:-1]]
    return _obj([text[s:e].encode(codec) for s, e in zip(starts, ends)])


def unicode_encode(input, output_encoding, errors="replace", replacement_char=65533, name=None):  # noqa: A002
    """Encode code points (int32, the last dimension one string) as ``output_encoding``
    (``UTF-8``, ``UTF-16-BE``, ``UTF-32-BE``); one rank down."""
    op = "UnicodeEncode"
    if output_encoding not in _ENCODINGS:
        raise ValueError(
            f"Value for attr 'output_encoding' of \"{output_encoding}\" is not in the list of "
            'allowed values: "UTF-8", "UTF-16-BE", "UTF-32-BE"'
        )
    _check_errors(errors)
    codec = _ENCODINGS[output_encoding]

    def encode_rows(points, lengths):
        points = points.astype(np.int64)
        bad = (points < 0) | (points > 0x10FFFF) | ((points >= 0xD800) & (points <= 0xDFFF))
        if bad.any():
            if errors == "strict":
                raise errors_mod.InvalidArgumentError(
                    f"Code point is out of range for Unicode, or is a surrogate. [Op:{op}]"
                )
            if errors == "ignore":
                owner = np.repeat(np.arange(len(lengths)), lengths)
                lengths = lengths - np.bincount(owner[bad], minlength=len(lengths))
                points = points[~bad]
            else:
                points = np.where(bad, replacement_char, points)
        return _encode_rows(points, lengths, codec)

    if _is_ragged(input):
        flat, splits = _ragged_parts(input)
        flat = _ints(flat)
        inner, outer = splits[-1], splits[:-1]

        def host_ragged(points, row_splits):
            return [encode_rows(points, np.diff(row_splits))]

        nrows = _dims(inner)[0]
        out = _run(op, host_ragged, [flat, inner], [((None if nrows is None else nrows - 1,),
                                              _dt.string)])[0]  # fmt: skip
        return _wrap(out, outer) if outer else out
    x = _ints(input, _dt.int32)
    shape = _dims(x)
    if not shape:
        raise ValueError("Input must have rank >= 1 for unicode_encode")

    def host(a):
        rows = a.reshape(-1, a.shape[-1]) if a.shape[-1] else a.reshape(-1, 0)
        lengths = np.full(rows.shape[0], a.shape[-1], dtype=np.int64)
        return [encode_rows(rows.reshape(-1), lengths).reshape(a.shape[:-1])]

    return _run(op, host, [x], [(shape[:-1], _dt.string)])[0]


# ---- ngrams -----------------------------------------------------------------------------------


def _row_ngrams(row, widths, sep, left, right, pad_width, preserve):
    out = []
    n = len(row)
    for w in widths:
        pw = w - 1 if pad_width < 0 else min(pad_width, w - 1)
        padded = [left] * pw + list(row) + [right] * pw
        count = max(0, len(padded) - w + 1)
        out.extend(sep.join(padded[i : i + w]) for i in range(count))
    if preserve and n and not out:
        pw = max(pad_width, 0)
        out.append(sep.join([left] * pw + list(row) + [right] * pw))
    return out


def _flat_ngrams(values, row_splits, widths, sep):
    """Unpadded ngrams of every row at once: ``(joined values, row splits)`` in TF's order
    (per row: each width in turn, then positions), each placed straight at its output index."""
    values = np.asarray(values, dtype=object)
    row_splits = np.asarray(row_splits, dtype=np.int64)
    if values.size == 0 or isinstance(values[0], bytes):
        return _fast.ngram_join(values, row_splits, list(widths), sep)  # one C++ loop
    nrows, total = len(row_splits) - 1, len(values)
    lengths = np.diff(row_splits)
    per_width = [np.maximum(lengths - w + 1, 0) for w in widths]
    counts = np.sum(per_width, axis=0) if per_width else np.zeros(nrows, np.int64)
    out_splits = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    out = np.empty(int(out_splits[-1]), dtype=object)
    row_of = np.repeat(np.arange(nrows), lengths)
    block = out_splits[:-1].copy()  # where each row's block of the current width starts
    for width, n in zip(widths, per_width):
        if total >= width:
            begin = np.arange(total - width + 1)
            begin = begin[row_of[begin] == row_of[begin + width - 1]]
            text = values[begin]
            for k in range(1, width):
                text = text + sep + values[begin + k]
            rows = row_of[begin]
            out[block[rows] + begin - row_splits[rows]] = text
        block += n
    return out, out_splits


def ngrams(data, ngram_width, separator=" ", pad_values=None, padding_width=None,
           preserve_short_sequences=False, name=None):  # fmt: skip
    """The ngrams of ``ngram_width`` (an int or several) along the last axis of ``data``,
    joined with ``separator``, optionally padded with ``pad_values``."""
    op = "StringNGrams"
    widths = [int(ngram_width)] if np.ndim(ngram_width) == 0 else [int(w) for w in ngram_width]
    bad = [w for w in widths if w <= 0]
    if bad:
        raise ValueError(f"All ngram_widths must be greater than 0. Got {ngram_width}")
    enc = lambda v: v.encode("utf-8") if isinstance(v, str) else bytes(v)  # noqa: E731
    if pad_values is None:
        if padding_width is not None:
            raise ValueError("padding_width must be None if pad_values is None.")
        left = right = b""
        pad_width = 0
    else:
        if isinstance(pad_values, list | tuple):
            if len(pad_values) != 2:
                raise ValueError("pad_values must be a string, tuple or list of length 2.")
            left, right = enc(pad_values[0]), enc(pad_values[1])
        else:
            left = right = enc(pad_values)
        pad_width = -1 if padding_width is None else int(padding_width)
        if padding_width is not None and pad_width < 1:
            raise ValueError("padding_width must be greater than 0.")
    sep = enc(separator)

    def grams(values, row_splits):
        if pad_width == 0 and not preserve_short_sequences:
            return _flat_ngrams(values, row_splits, widths, sep)
        values, row_splits = list(values), [int(v) for v in row_splits]
        out, lengths = [], []
        for i in range(len(row_splits) - 1):
            row = values[row_splits[i] : row_splits[i + 1]]
            g = _row_ngrams(row, widths, sep, left, right, pad_width,
                            preserve_short_sequences)  # fmt: skip
            out.extend(g)
            lengths.append(len(g))
        return _obj(out), np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)])

    if _is_ragged(data):
        flat, splits = _ragged_parts(data)
        flat = _strings(flat, op)
        inner, outer = splits[-1], splits[:-1]

        def host_ragged(values, row_splits):
            return list(grams(values, row_splits))

        vals, new_splits = _run(op, host_ragged, [flat, inner],
                                [((None,), _dt.string), (_dims(inner), _dt.int64)])  # fmt: skip
        return _wrap(vals, [*outer, new_splits])
    x = _strings(data, op)
    shape = _dims(x)
    if not shape:
        raise ValueError("Data must have rank>0")
    last = shape[-1]
    count = None
    if last is not None:
        count = len(_row_ngrams([b""] * last, widths, b"", b"", b"", pad_width,
                                         preserve_short_sequences))  # fmt: skip

    def host(a):
        rows = a.reshape(-1, a.shape[-1])
        if pad_width == 0 and not preserve_short_sequences:
            splits = np.arange(rows.shape[0] + 1, dtype=np.int64) * rows.shape[1]
            flat, out_splits = _flat_ngrams(rows.reshape(-1), splits, widths, sep)
            k = int(out_splits[1]) if rows.shape[0] else (count or 0)
            return [flat.reshape((*a.shape[:-1], k))]
        out = [_row_ngrams(r.tolist(), widths, sep, left, right, pad_width,
                           preserve_short_sequences) for r in rows]  # fmt: skip
        k = len(out[0]) if out else (count or 0)
        return [_obj(list(itertools.chain.from_iterable(out))).reshape((*a.shape[:-1], k))]

    return _run(op, host, [x], [((*shape[:-1], count), _dt.string)])[0]


def _add(x, y):
    """``x + y`` on string tensors: TF's ``Add`` (elementwise concatenation, broadcast), a
    graph's one ``Add`` node (a host call)."""
    x, y = convert_to_tensor(x), convert_to_tensor(y)
    for i, t in enumerate((x, y)):
        if t.dtype is not _dt.string:
            raise errors.InvalidArgumentError(
                f"cannot compute Add as input #{i}(zero-based) was expected to be a string "
                f"tensor but is a {t.dtype.name} tensor [Op:Add]"
            )
    shape = None  # unknown rank: NumPy's broadcast when the step runs
    if x.shape.rank is not None and y.shape.rank is not None:
        a, b = _dims(x), _dims(y)
        try:
            shape = _broadcast_dims(a, b)
        except errors.InvalidArgumentError:
            if executing_eagerly():
                raise errors.InvalidArgumentError(
                    f"Incompatible shapes: {list(a)} vs. {list(b)} [Op:Add]"
                ) from None
            n = max(len(a), len(b))  # TF's shape inference while tracing
            p, q = next((p, q) for p, q in zip((1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b)
                        if None not in (p, q) and p != q and 1 not in (p, q))  # fmt: skip
            raise ValueError(
                f"Dimensions must be equal, but are {p} and {q} for '{{{{node add}}}} = "
                f"Add[T=DT_STRING]({_node_name(x)}, {_node_name(y)})' with input "
                f"shapes: {list(a)}, {list(b)}."
            ) from None

    def concat(a, b):
        try:
            return [np.array(np.asarray(a, dtype=object) + np.asarray(b, dtype=object), object)]
        except ValueError:
            raise errors.InvalidArgumentError(
                f"Incompatible shapes: {list(np.shape(a))} vs. {list(np.shape(b))} [Op:Add]"
            ) from None

    return _run("Add", concat, [x, y], [(shape, _dt.string)], "add", node_type="Add")[0]


def _node_name(t):
    """A traced tensor's node name (``x`` of ``x:0``)."""
    return str(getattr(t, "name", "")).split(":")[0]
