"""More of ``tf.io``: web-safe base64, ``decode_compressed``, ``matching_files`` and the
SparseTensor serializations (three ``TensorProto`` strings per SparseTensor, TF's bytes). Each
runs on the host, elementwise over string tensors: now when eager, one host node when traced."""

from __future__ import annotations

import base64
import glob
import gzip
import zlib

import numpy as np

from . import _example
from . import dtypes as _dt
from ._sparse import SparseTensor, _host
from ._tensor import convert_to_tensor, errors
from .dtypes import as_dtype

__all__ = [
    "decode_base64", "decode_compressed", "deserialize_many_sparse", "encode_base64",
    "matching_files", "parse_sequence_example", "parse_single_sequence_example",
    "serialize_many_sparse", "serialize_sparse",
]  # fmt: skip

_B64 = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _strings(x, op):
    t = convert_to_tensor(x)
    if t.dtype != _dt.string:
        raise errors.InvalidArgumentError(
            None, op, f"cannot compute {op} as input #0(zero-based) was expected to be a string "
            f"tensor but is a {t.dtype.name} tensor [Op:{op}]"
        )  # fmt: skip
    return t


def _elementwise(fn, x, op):
    """``fn(bytes) -> bytes`` on each string of ``x``, keeping its shape."""
    t = _strings(x, op)

    def run(a):
        out = np.empty(a.shape, object)
        out.reshape(-1)[:] = [fn(bytes(v)) for v in a.reshape(-1)] if a.size else []
        return [out]

    return _host(run, [t], [(tuple(t.shape.as_list()), _dt.string)], op)[0]


def encode_base64(input, pad=False, name=None):  # noqa: A002 - TF's name
    """TF's ``tf.io.encode_base64``: web-safe base64 (``-`` and ``_``), ``=`` padding only with
    ``pad``."""

    def enc(v):
        out = base64.urlsafe_b64encode(v)
        return out if pad else out.rstrip(b"=")

    return _elementwise(enc, input, "EncodeBase64")


def _b64_invalid(message):
    return errors.InvalidArgumentError(None, "DecodeBase64", f"{message} [Op:DecodeBase64]")


def _decode64(v):
    body = v.rstrip(b"=")
    if len(v) != len(body) and (len(v) % 4 or len(v) - len(body) > 2):
        raise _b64_invalid("Invalid character found in base64.")
    if not _B64.issuperset(body):
        raise _b64_invalid("Invalid character found in base64.")
    if len(body) % 4 == 1:
        raise _b64_invalid("Base64 string length cannot be 1 modulo 4.")
    return base64.urlsafe_b64decode(body + b"=" * (-len(body) % 4))


def decode_base64(input, name=None):  # noqa: A002 - TF's name
    """TF's ``tf.io.decode_base64``: web-safe base64, with or without ``=`` padding."""
    return _elementwise(_decode64, input, "DecodeBase64")


def decode_compressed(bytes, compression_type="", name=None):  # noqa: A002 - TF's name
    """TF's ``tf.io.decode_compressed``: each string inflated (``"ZLIB"``, ``"GZIP"``; ``""``
    leaves it as it is)."""
    kind = (compression_type or "").upper()
    if kind not in ("", "ZLIB", "GZIP"):
        raise errors.InvalidArgumentError(
            None, "DecodeCompressed", "Only ZLIB, GZIP or NONE are supported compressions "
            "[Op:DecodeCompressed]"
        )  # fmt: skip

    def inflate(v):
        try:
            return zlib.decompress(v) if kind == "ZLIB" else gzip.decompress(v)
        except (zlib.error, OSError, EOFError) as e:
            raise errors.DataLossError(
                None, "DecodeCompressed", f"inflate() failed: {e} [Op:DecodeCompressed]"
            ) from None

    return _elementwise(inflate if kind else (lambda v: v), bytes, "DecodeCompressed")


def matching_files(pattern, name=None):
    """TF's ``tf.io.matching_files``: the paths matching each glob pattern (each pattern's
    matches sorted), a 1-D string tensor."""
    t = _strings(pattern, "MatchingFiles")

    def run(a):
        found = [p.encode() for v in a.reshape(-1) for p in sorted(glob.glob(bytes(v).decode()))]
        out = np.empty(len(found), object)
        out[:] = found
        return [out]

    return _host(run, [t], [((None,), _dt.string)], "MatchingFiles")[0]


def _serialized(idx, vals, shape, dtype):
    text = [_example.serialize_array(a, d) for a, d in
            ((idx, "int64"), (vals, dtype), (shape, "int64"))]  # fmt: skip
    out = np.empty(3, object)
    out[:] = text
    return out


def _check_out_type(out_type):
    if _dt.as_dtype(out_type) != _dt.string:
        raise errors.UnimplementedError(f"serializing a SparseTensor as {out_type} is not "
                                        "supported here (only tf.string)")  # fmt: skip


def serialize_sparse(sp_input, out_type=_dt.string, name=None):
    """TF's ``tf.io.serialize_sparse``: ``[3]`` strings, the serialized indices, values and
    dense shape."""
    _check_out_type(out_type)
    sp, dtype = sp_input, sp_input.dtype.name

    def run(idx, vals, shape):
        return [_serialized(idx, vals, shape, dtype)]

    inputs = [sp.indices, sp.values, sp.dense_shape]
    return _host(run, inputs, [((3,), _dt.string)], "SerializeSparse")[0]


def serialize_many_sparse(sp_input, out_type=_dt.string, name=None):
    """TF's ``tf.io.serialize_many_sparse``: ``[N, 3]`` strings, one serialized SparseTensor per
    row of the first dim (that dim dropped from its indices and shape)."""
    _check_out_type(out_type)
    sp, dtype = sp_input, sp_input.dtype.name

    def run(idx, vals, shape):
        if len(shape) < 2:
            raise errors.InvalidArgumentError(
                None, "SerializeManySparse", f"Rank of input SparseTensor should be > 1, but "
                f"saw rank: {len(shape)}"
            )  # fmt: skip
        rows = []
        for r in range(int(shape[0])):
            at = idx[:, 0] == r
            rows.append(_serialized(idx[at, 1:], vals[at], shape[1:], dtype))
        return [np.stack(rows) if rows else np.empty((0, 3), object)]

    rows = sp.shape[0] if sp.shape.rank else None
    inputs = [sp.indices, sp.values, sp.dense_shape]
    return _host(run, inputs, [((rows, 3), _dt.string)], "SerializeManySparse")[0]


def deserialize_many_sparse(serialized_sparse, dtype, rank=None, name=None):
    """TF's ``tf.io.deserialize_many_sparse``: ``[N, 3]`` serialized SparseTensors stacked into
    one with a leading dim of N; the dense shape is the largest of theirs."""
    t = _strings(serialized_sparse, "DeserializeManySparse")
    dt = _dt.as_dtype(dtype)

    def run(a):
        parts, shapes = [], []
        for r, (i, v, s) in enumerate(a.reshape(-1, 3)):
            idx = _example.parse_array(bytes(i), "int64")
            vals = _example.parse_array(bytes(v), dt.name)
            shapes.append(_example.parse_array(bytes(s), "int64"))
            parts.append((np.c_[np.full(len(idx), r), idx], vals))
        inner = np.max(shapes, 0) if shapes else np.zeros(0 if rank is None else rank - 1)
        idx = np.concatenate([p[0] for p in parts]) if parts else np.zeros((0, len(inner) + 1))
        vals = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, dt.as_numpy_dtype)
        return [idx.astype(np.int64), vals, np.r_[len(parts), inner].astype(np.int64)]

    r = None if rank is None else int(rank)
    specs = [((None, r), _dt.int64), ((None,), dt), ((r,), _dt.int64)]
    idx, vals, shape = _host(run, [t], specs, "DeserializeManySparse")
    return SparseTensor(idx, vals, shape)


# ---- SequenceExample -----------------------------------------------------------------------------


def _sequence_rows(a):
    rows = []
    for v in a.reshape(-1):
        se = _example.SequenceExample()
        try:
            se.ParseFromString(bytes(v))
        except _example.DecodeError:
            raise _example._invalid(f"Could not parse example input, value: '{v!r}'") from None
        rows.append(se)
    return rows


def _step_values(key, dt, feature):
    return _example._parse_flat(key, dt, feature, lambda which: (
        f"Name: <unknown>, Feature list: {key}, Index: 0.  Data types don't match. Expected type: "
        f"{_example._TYPE_NAMES[dt]} [Op:ParseSequenceExampleV2]"))  # fmt: skip


def _sequence_column(key, cfg, dt, rows, batched):
    """One sequence feature of every row: ``[values]`` for a FixedLenSequenceFeature (``[B, T,
    *shape]`` padded, then the lengths ``[B]``), else a SparseTensor's three arrays."""
    lists = []
    for se in rows:
        fl = se.feature_lists.feature_list
        if key not in fl and isinstance(cfg, _example.FixedLenSequenceFeature):
            if not cfg.allow_missing:
                raise _example._invalid(
                    f"Name: <unknown>, Feature list '{key}' is required but could not be found.  "
                    "Did you mean to include it in feature_list_dense_missing_assumed_empty or "
                    "feature_list_dense_defaults? [Op:ParseSequenceExampleV2]"
                )
        lists.append([_step_values(key, dt, f) for f in fl[key].feature] if key in fl else [])
    if isinstance(cfg, _example.FixedLenSequenceFeature):
        item = tuple(int(d) for d in cfg.shape)
        longest = max((len(v) for v in lists), default=0)
        out = np.empty((len(lists), longest, *item), _example._NP[dt])
        out[...] = _example._pad_value(cfg, dt)
        for b, steps in enumerate(lists):
            for t, values in enumerate(steps):
                if values.size != int(np.prod(item, dtype=np.int64)):
                    raise _example._invalid(
                        f"Name: <unknown>, Key: {key}, Index: {t}.  Number of values != expected."
                        f"  values size: {values.size} but output shape: {list(item)} "
                        "[Op:ParseSequenceExampleV2]"
                    )
                out[b, t] = values.reshape(item)
        lengths = np.array([len(v) for v in lists], np.int64)
        return [out if batched else out[0], lengths]
    idx = [(b, t, j) for b, steps in enumerate(lists) for t, v in enumerate(steps)
           for j in range(v.size)]  # fmt: skip
    flat = [x for steps in lists for v in steps for x in v.tolist()]
    steps = max((len(v) for v in lists), default=0)
    width = max((v.size for s in lists for v in s), default=0)
    idx = np.asarray(idx, np.int64).reshape(-1, 3)
    shape = np.array([len(lists), steps, width], np.int64)
    if not batched:
        idx, shape = idx[:, 1:], shape[1:]
    return [idx, _example._array(flat, dt), shape]


HOOKS: dict = {}  # ``io``'s parse_example / parse_single_example, set when it loads


def _parse_sequences(serialized, context_features, sequence_features, batched):
    t = _strings(serialized, "ParseSequenceExample")
    if not batched and t.shape.rank != 0:
        raise ValueError("Input serialized must be a scalar")
    context = {}
    if context_features:

        def contexts(a):
            out = np.empty(a.shape, object)
            out.reshape(-1)[:] = [_example.Example(features=se.context).SerializeToString()
                                  for se in _sequence_rows(a)]  # fmt: skip
            return [out]

        shape = tuple(t.shape.as_list())
        as_examples = _host(contexts, [t], [(shape, _dt.string)], "SequenceContexts")[0]
        parse = HOOKS["parse_example" if batched else "parse_single_example"]
        context = parse(as_examples, context_features)
    configs = {k: (c, as_dtype(c.dtype).name) for k, c in dict(sequence_features or {}).items()}
    keys = sorted(configs)
    lead = (t.shape[0],) if batched else ()
    specs = []
    for key in keys:
        cfg, dt = configs[key]
        if isinstance(cfg, _example.FixedLenSequenceFeature):
            item = tuple(int(d) for d in cfg.shape)
            specs += [
                ((*lead, None, *item), as_dtype(dt)),
                ((t.shape[0] if batched else 1,), _dt.int64),
            ]
        else:
            r = 3 if batched else 2
            specs += [((None, r), _dt.int64), ((None,), as_dtype(dt)), ((r,), _dt.int64)]

    def run(a):
        rows = _sequence_rows(a)
        return [v for key in keys for v in _sequence_column(key, *configs[key], rows, batched)]

    flat = list(_host(run, [t], specs, "ParseSequenceExample")) if keys else []
    sequences, lengths = {}, {}
    for key in keys:
        if isinstance(configs[key][0], _example.FixedLenSequenceFeature):
            sequences[key], lengths[key] = flat.pop(0), flat.pop(0)
        else:
            sequences[key] = SparseTensor(flat.pop(0), flat.pop(0), flat.pop(0))
    return context, sequences, lengths


def parse_single_sequence_example(serialized, context_features=None, sequence_features=None,
                                  example_name=None, name=None):  # fmt: skip
    """TF's ``tf.io.parse_single_sequence_example``: ``(context, feature_lists)`` dicts of one
    serialized ``SequenceExample`` (FixedLenSequenceFeature: ``[steps, *shape]``;
    VarLenFeature: a SparseTensor ``[steps, longest]``)."""
    context, sequences, _ = _parse_sequences(serialized, context_features, sequence_features,
                                             batched=False)  # fmt: skip
    return context, sequences


def parse_sequence_example(serialized, context_features=None, sequence_features=None,
                           example_names=None, name=None):  # fmt: skip
    """TF's ``tf.io.parse_sequence_example``: ``(context, feature_lists, lengths)`` of a batch of
    serialized ``SequenceExample``s, the fixed-length sequences padded to the longest and their
    lengths (int64 ``[batch]``) in the third dict."""
    return _parse_sequences(serialized, context_features, sequence_features, batched=True)
