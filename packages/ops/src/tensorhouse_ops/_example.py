"""``tf.train.Example`` and its family as protobuf messages wire-compatible with TF's
``example.proto`` / ``feature.proto`` (the descriptor is written here, field by field), and the
host-side parser behind ``tf.io.parse_example``: serialized ``Example``s to NumPy arrays."""

from __future__ import annotations

import collections

import numpy as np
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError

from tensorhouse_kernels import host_records
from tensorhouse_kernels.runtime import errors

__all__ = [
    "BytesList", "Example", "Feature", "FeatureList", "FeatureLists", "Features",
    "FixedLenFeature", "FixedLenSequenceFeature", "FloatList", "Int64List", "SequenceExample",
    "SparseTensor", "TensorProto", "VarLenFeature", "parse_array", "parse_examples",
    "serialize_array",
]  # fmt: skip

# ---- the messages -----------------------------------------------------------------------------

_F = descriptor_pb2.FieldDescriptorProto


def _field(msg, name, number, ftype, label=_F.LABEL_OPTIONAL, type_name=None, oneof=None):
    f = msg.field.add(name=name, number=number, type=ftype, label=label)
    if type_name is not None:
        f.type_name = type_name
    if oneof is not None:
        f.oneof_index = oneof
    return f


def _map_field(msg, name, number, value_type):
    entry = msg.nested_type.add(name="".join(p.capitalize() for p in name.split("_")) + "Entry")
    entry.options.map_entry = True
    _field(entry, "key", 1, _F.TYPE_STRING)
    _field(entry, "value", 2, _F.TYPE_MESSAGE, type_name=value_type)
    _field(msg, name, number, _F.TYPE_MESSAGE, _F.LABEL_REPEATED,
           f".tensorflow.{msg.name}.{entry.name}")  # fmt: skip


def _file_descriptor():
    fd = descriptor_pb2.FileDescriptorProto(
        name="tensorhouse/example.proto", package="tensorflow", syntax="proto3"
    )
    rep = _F.LABEL_REPEATED
    _field(fd.message_type.add(name="BytesList"), "value", 1, _F.TYPE_BYTES, rep)
    _field(fd.message_type.add(name="FloatList"), "value", 1, _F.TYPE_FLOAT, rep)
    _field(fd.message_type.add(name="Int64List"), "value", 1, _F.TYPE_INT64, rep)
    feature = fd.message_type.add(name="Feature")
    feature.oneof_decl.add(name="kind")
    kinds = (("bytes_list", "BytesList"), ("float_list", "FloatList"), ("int64_list", "Int64List"))
    for number, (name, kind) in enumerate(kinds, 1):
        _field(feature, name, number, _F.TYPE_MESSAGE, type_name=f".tensorflow.{kind}", oneof=0)
    _map_field(fd.message_type.add(name="Features"), "feature", 1, ".tensorflow.Feature")
    _field(fd.message_type.add(name="FeatureList"), "feature", 1, _F.TYPE_MESSAGE, rep,
           ".tensorflow.Feature")  # fmt: skip
    _map_field(fd.message_type.add(name="FeatureLists"), "feature_list", 1,
               ".tensorflow.FeatureList")  # fmt: skip
    _field(fd.message_type.add(name="Example"), "features", 1, _F.TYPE_MESSAGE,
           type_name=".tensorflow.Features")  # fmt: skip
    seq = fd.message_type.add(name="SequenceExample")
    _field(seq, "context", 1, _F.TYPE_MESSAGE, type_name=".tensorflow.Features")
    _field(seq, "feature_lists", 2, _F.TYPE_MESSAGE, type_name=".tensorflow.FeatureLists")
    return fd


def _tensor_descriptor():
    """TF's ``TensorProto`` and ``TensorShapeProto`` (the fields ``serialize_tensor`` uses; the
    ``DataType`` enum travels as its varint)."""
    fd = descriptor_pb2.FileDescriptorProto(
        name="tensorhouse/tensor.proto", package="tensorflow", syntax="proto3"
    )
    rep = _F.LABEL_REPEATED
    shape = fd.message_type.add(name="TensorShapeProto")
    dim = shape.nested_type.add(name="Dim")
    _field(dim, "size", 1, _F.TYPE_INT64)
    _field(dim, "name", 2, _F.TYPE_STRING)
    _field(shape, "dim", 2, _F.TYPE_MESSAGE, rep, ".tensorflow.TensorShapeProto.Dim")
    _field(shape, "unknown_rank", 3, _F.TYPE_BOOL)
    tensor = fd.message_type.add(name="TensorProto")
    _field(tensor, "dtype", 1, _F.TYPE_INT32)
    _field(tensor, "tensor_shape", 2, _F.TYPE_MESSAGE, type_name=".tensorflow.TensorShapeProto")
    _field(tensor, "version_number", 3, _F.TYPE_INT32)
    _field(tensor, "tensor_content", 4, _F.TYPE_BYTES)
    for name, number, ftype in (
        ("float_val", 5, _F.TYPE_FLOAT), ("double_val", 6, _F.TYPE_DOUBLE),
        ("int_val", 7, _F.TYPE_INT32), ("string_val", 8, _F.TYPE_BYTES),
        ("int64_val", 10, _F.TYPE_INT64), ("bool_val", 11, _F.TYPE_BOOL),
        ("half_val", 13, _F.TYPE_INT32), ("uint32_val", 16, _F.TYPE_UINT32),
        ("uint64_val", 17, _F.TYPE_UINT64),
    ):  # fmt: skip
        _field(tensor, name, number, ftype, rep)
    return fd


_POOL = descriptor_pool.DescriptorPool()
_POOL.Add(_file_descriptor())
_POOL.Add(_tensor_descriptor())


def _message(name):
    return message_factory.GetMessageClass(_POOL.FindMessageTypeByName(f"tensorflow.{name}"))


BytesList = _message("BytesList")
FloatList = _message("FloatList")
Int64List = _message("Int64List")
Feature = _message("Feature")
Features = _message("Features")
FeatureList = _message("FeatureList")
FeatureLists = _message("FeatureLists")
Example = _message("Example")
SequenceExample = _message("SequenceExample")
TensorProto = _message("TensorProto")

# ---- feature configurations -------------------------------------------------------------------


class FixedLenFeature(collections.namedtuple("FixedLenFeature", "shape dtype default_value")):
    """A feature of a fixed ``shape``: ``tf.io.FixedLenFeature(shape, dtype, default_value)``."""

    __slots__ = ()

    def __new__(cls, shape, dtype, default_value=None):
        return super().__new__(cls, shape, dtype, default_value)


class FixedLenSequenceFeature(
    collections.namedtuple("FixedLenSequenceFeature", "shape dtype allow_missing default_value")
):
    """A variable number of ``shape``-sized items, stacked along a new leading axis."""

    __slots__ = ()

    def __new__(cls, shape, dtype, allow_missing=False, default_value=None):
        return super().__new__(cls, shape, dtype, allow_missing, default_value)


class VarLenFeature(collections.namedtuple("VarLenFeature", "dtype")):
    """A feature of any length, parsed to a ``SparseTensor``."""

    __slots__ = ()


class SparseTensor(collections.namedtuple("SparseTensor", "indices values dense_shape")):
    """What a ``VarLenFeature`` parses to: int64 ``indices`` [n, rank], ``values`` [n] and the
    int64 ``dense_shape`` (TF's ``tf.sparse.SparseTensor`` fields)."""

    __slots__ = ()


# ---- parsing --------------------------------------------------------------------------------

_KINDS = {"float32": "float_list", "int64": "int64_list", "string": "bytes_list"}
_TYPE_NAMES = {"float32": "float", "int64": "int64", "string": "string"}
_KIND_TYPES = {"float_list": "float", "int64_list": "int64", "bytes_list": "string"}
_NP = {"float32": np.float32, "int64": np.int64, "string": object}


def _invalid(message):
    return errors.InvalidArgumentError(None, None, message)


def check_features(features, dtype_name):
    """``features`` validated: a non-empty dict of feature configurations with TF's dtypes;
    returns ``{key: (config, dtype name)}``."""
    if not features:
        raise ValueError("Invalid argument: features cannot be empty.")
    out = {}
    for key, cfg in dict(features).items():
        if not isinstance(cfg, FixedLenFeature | VarLenFeature | FixedLenSequenceFeature):
            raise ValueError(f"Unsupported {type(cfg).__name__} {cfg} for key '{key}'")
        if isinstance(cfg, FixedLenFeature) and cfg.shape is None:
            raise ValueError(f"Missing shape for feature {key}. Received feature={cfg}.")
        if isinstance(cfg, FixedLenSequenceFeature) and not cfg.allow_missing:
            raise ValueError(
                "Unsupported: FixedLenSequenceFeature requires allow_missing to be True."
            )
        dt = dtype_name(cfg.dtype)
        if dt not in _KINDS:
            raise _invalid(
                f"Value for attr 'Tdense' of {dt} is not in the list of allowed values: "
                "float, int64, string"
            )
        out[key] = (cfg, dt)
    return out


def _decode(serialized):
    ex = Example()
    try:
        ex.ParseFromString(serialized)
    except DecodeError:
        raise _invalid(f"Could not parse example input, value: '{serialized!r}'") from None
    return ex.features.feature


def _values(feature):
    which = feature.WhichOneof("kind")
    if which is None:
        return None
    return which, getattr(feature, which).value


def _default(cfg, dt, shape):
    n = int(np.prod(shape, dtype=np.int64))
    value = np.asarray(cfg.default_value, dtype=_NP[dt])
    if dt == "string":
        value = np.vectorize(lambda v: v.encode() if isinstance(v, str) else bytes(v),
                             otypes=[object])(value) if value.size else value  # fmt: skip
    if value.size != n:
        raise _invalid(
            f"Input to reshape is a tensor with {value.size} values, but the requested shape "
            f"has {n}"
        )
    return value.reshape(shape)


def _array(values, dt):
    if dt == "string":
        out = np.empty(len(values), dtype=object)
        out[:] = list(values)
        return out
    return np.asarray(values, dtype=_NP[dt])


def _missing(key, dt, name):
    where = "" if name is None else f"Name: {name}, "
    return _invalid(
        f"{where}Feature: {key} (data type: {_TYPE_NAMES[dt]}) is required but could not be found."
    )


def _dense_column(key, cfg, dt, rows, names, batched):
    """One ``FixedLenFeature`` of every row, as an array ``[len(rows), *shape]``."""
    shape = tuple(int(d) for d in cfg.shape)
    n = int(np.prod(shape, dtype=np.int64))
    kind = _KINDS[dt]
    flat: list = []
    default = None
    for i, row in enumerate(rows):
        feature = row.get(key)
        which = None if feature is None else feature.WhichOneof("kind")
        if which is None:
            if cfg.default_value is None:
                raise _missing(key, dt, _row_name(names, i, batched))
            if default is None:
                default = _default(cfg, dt, shape).reshape(-1).tolist()
            flat.extend(default)
            continue
        if which != kind:
            raise _invalid(
                f"Key: {key}.  Data types don't match. Data type: {_KIND_TYPES[which]} but "
                f"expected type: {_TYPE_NAMES[dt]}"
            )
        values = getattr(feature, kind).value
        if len(values) != n:
            what = "Parsing bytes_list failed." if kind == "bytes_list" and len(values) > n else (
                f"Some {kind} slice was not parsed.")  # fmt: skip
            raise _invalid(f"Key: {key}.  Can't parse serialized Example: {what}")
        flat.extend(values)
    return _array(flat, dt).reshape((len(rows), *shape))


def _parse_flat(key, dt, feature, kind_error):
    """The values of a variable-length feature (empty when absent)."""
    got = None if feature is None else _values(feature)
    if got is None:
        return _array([], dt)
    which, values = got
    if which != _KINDS[dt]:
        raise _invalid(kind_error(which))
    return _array(values, dt)


def _parse_sequence(key, cfg, dt, feature):
    item = tuple(int(d) for d in cfg.shape)
    size = int(np.prod(item, dtype=np.int64))
    flat = _parse_flat(key, dt, feature, lambda which: (
        f"Key: {key}.  Data types don't match. Data type: {_KIND_TYPES[which]} but expected "
        f"type: {_TYPE_NAMES[dt]}"))  # fmt: skip
    if size and flat.size % size:
        raise _invalid(
            f"Error while parsing feature with key {key}: number of elements should be "
            f"divisible by {size}, found {flat.size} instead"
        )
    return flat.reshape((-1, *item)) if size else flat.reshape((0, *item))


def _pad_value(cfg, dt):
    if cfg.default_value is not None:
        return np.asarray(cfg.default_value, dtype=_NP[dt]).reshape(())
    return b"" if dt == "string" else _NP[dt](0)


def parse_examples(serialized, configs, names=None, batched=True):
    """Serialized ``Example``s (a 1-D object array of bytes) parsed to ``{key: array}``, with a
    leading batch axis when ``batched`` (dense features stacked, sequences padded, var-len
    features as a ``SparseTensor`` of arrays)."""
    fast = _parse_dense_fast(serialized, configs, batched)
    if fast is not None:
        return fast
    rows = [_decode(s) for s in serialized]
    out = {}
    for key in sorted(k for k, (c, _) in configs.items() if isinstance(c, VarLenFeature)):
        cfg, dt = configs[key]
        lists = [
            _parse_flat(
                key,
                dt,
                r.get(key),
                lambda which, dt=dt, key=key: (
                    f"Key: {key}.  Data types don't match. Expected type: {_TYPE_NAMES[dt]}, "
                    f"Actual type: {_KIND_TYPES[which]}"
                ),
            )  # fmt: skip
            for r in rows
        ]
        width = max((len(v) for v in lists), default=0)
        if batched:
            idx = [(b, j) for b, v in enumerate(lists) for j in range(len(v))]
            indices = np.asarray(idx, dtype=np.int64).reshape(-1, 2)
            shape = np.asarray([len(lists), width], dtype=np.int64)
        else:
            indices = np.arange(width, dtype=np.int64).reshape(-1, 1)
            shape = np.asarray([width], dtype=np.int64)
        values = np.concatenate(lists) if lists else _array([], dt)
        out[key] = SparseTensor(indices, values.astype(_NP[dt]), shape)
    for key in sorted(k for k, (c, _) in configs.items() if not isinstance(c, VarLenFeature)):
        cfg, dt = configs[key]
        if isinstance(cfg, FixedLenFeature):
            out[key] = _dense_column(key, cfg, dt, rows, names, batched)
            continue
        parts = [_parse_sequence(key, cfg, dt, r.get(key)) for r in rows]
        longest = max((len(p) for p in parts), default=0)
        item = tuple(int(d) for d in cfg.shape)
        stacked = np.empty((len(parts), longest, *item), dtype=_NP[dt])
        stacked[...] = _pad_value(cfg, dt)
        for i, p in enumerate(parts):
            stacked[i, : len(p)] = p
        out[key] = stacked
    if not batched:
        out = {k: v if isinstance(v, SparseTensor) else v[0] for k, v in out.items()}
    return out


_WIRE_KINDS = {"string": 1, "float32": 2, "int64": 3}  # Feature's field numbers


def _parse_dense_fast(serialized, configs, batched):
    """Only ``FixedLenFeature``s, every one present with its size and kind in every row: parsed
    in one C++ pass over the wire format (``host_records.parse_example_dense``); None for
    anything else (the caller's slow path gives TF's defaults and errors)."""
    if not all(isinstance(cfg, FixedLenFeature) for cfg, _ in configs.values()):
        return None
    keys = sorted(configs)
    rows = serialized.tolist() if isinstance(serialized, np.ndarray) else list(serialized)
    shapes = [tuple(int(d) for d in configs[k][0].shape) for k in keys]
    sizes = [int(np.prod(s, dtype=np.int64)) for s in shapes]
    kinds = [_WIRE_KINDS[configs[k][1]] for k in keys]
    outs = [
        [None] * (len(rows) * n) if kind == 1 else np.empty(len(rows) * n, _NP[configs[k][1]])
        for k, kind, n in zip(keys, kinds, sizes)
    ]
    if not host_records.parse_example_dense(rows, keys, kinds, sizes, outs):
        return None
    out = {}
    for key, shape, values in zip(keys, shapes, outs):
        if isinstance(values, list):
            values = _array(values, "string")
        values = values.reshape((len(rows), *shape))
        out[key] = values if batched else values[0]
    return out


def _row_name(names, i, batched):
    if not batched:
        return None
    if names is None:
        return "<unknown>"
    return names[i]


# ---- serialized tensors -----------------------------------------------------------------------

# TF's DataType enum numbers and names (types.proto)
_DT = {
    "float32": (1, "float"), "float64": (2, "double"), "int32": (3, "int32"),
    "uint8": (4, "uint8"), "int16": (5, "int16"), "int8": (6, "int8"), "string": (7, "string"),
    "complex64": (8, "complex64"), "int64": (9, "int64"), "bool": (10, "bool"),
    "uint16": (17, "uint16"), "complex128": (18, "complex128"), "float16": (19, "half"),
    "uint32": (22, "uint32"), "uint64": (23, "uint64"),
}  # fmt: skip
_DT_BY_NUMBER = {number: (dtype, name) for dtype, (number, name) in _DT.items()}
_VALUE_FIELDS = {
    "float32": "float_val", "float64": "double_val", "int32": "int_val", "int16": "int_val",
    "int8": "int_val", "uint8": "int_val", "uint16": "int_val", "int64": "int64_val",
    "bool": "bool_val", "uint32": "uint32_val", "uint64": "uint64_val", "string": "string_val",
}  # fmt: skip


def serialize_array(a: np.ndarray, dtype: str) -> bytes:
    """An array as TF's serialized ``TensorProto`` (numbers in ``tensor_content``, strings in
    ``string_val``), as ``tf.io.serialize_tensor`` writes it."""
    if dtype not in _DT:
        raise _invalid(f"serialize_tensor does not support {dtype}")
    proto = TensorProto(dtype=_DT[dtype][0])
    proto.tensor_shape.SetInParent()  # TF writes the shape of a scalar too (empty)
    for d in a.shape:
        proto.tensor_shape.dim.add(size=d)
    if dtype == "string":
        proto.string_val.extend(bytes(v) for v in a.reshape(-1))
    else:
        proto.tensor_content = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")).tobytes()
    return proto.SerializeToString()


def parse_array(serialized: bytes, dtype: str) -> np.ndarray:
    """The array of a serialized ``TensorProto``; ``InvalidArgumentError`` when its type is not
    ``dtype``."""
    proto = TensorProto()
    try:
        proto.ParseFromString(serialized)
    except DecodeError:
        raise _invalid("Could not parse `serialized` as TensorProto") from None
    got, got_name = _DT_BY_NUMBER.get(proto.dtype, (None, f"type enum {proto.dtype}"))
    if got != dtype:
        want = _DT[dtype][1] if dtype in _DT else dtype
        raise _invalid(f"Type mismatch between parsed tensor ({got_name}) and dtype ({want})")
    shape = tuple(d.size for d in proto.tensor_shape.dim)
    n = int(np.prod(shape, dtype=np.int64))
    if dtype == "float16":
        values = np.asarray(proto.half_val, np.uint16).view(np.float16)
    elif dtype in _VALUE_FIELDS:
        values = np.asarray(getattr(proto, _VALUE_FIELDS[dtype]), dtype=_NP.get(dtype, dtype))
    else:
        values = np.zeros(0, dtype)
    if proto.tensor_content:
        values = np.frombuffer(proto.tensor_content, np.dtype(dtype).newbyteorder("<"))
        return values.astype(dtype).reshape(shape)
    if dtype == "string":
        values = _array(list(values), "string")
    if values.size == n:
        return values.reshape(shape)
    out = np.empty(shape, dtype=values.dtype)  # TF's rule: the last value fills the rest
    flat = out.reshape(-1)
    flat[: values.size] = values
    flat[values.size :] = values[-1] if values.size else (b"" if dtype == "string" else 0)
    return out
