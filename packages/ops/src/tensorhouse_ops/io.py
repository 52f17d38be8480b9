"""``tf.io``: record files (``TFRecordWriter``), ``Example`` parsing and whole-file reads.

Parsing runs on the host, on the serialized bytes, as TF's CPU kernel does: eagerly on eager
tensors, element by element when ``tf.data``'s ``map`` calls it, and inside a traced function
through ``numpy_function`` where the ops layer has it (its outputs get the static shapes TF gives).
"""

from __future__ import annotations

import os

import numpy as np

from . import _example, _io_more
from . import _gfile as gfile
from ._csv import CsvDecoder
from ._dynamic import _symbolic
from ._function import TensorSpec
from ._image_codecs import (
    decode_bmp,
    decode_gif,
    decode_image,
    decode_jpeg,
    decode_png,
    encode_jpeg,
    encode_png,
    is_jpeg,
)
from ._io_more import (
    decode_base64,
    decode_compressed,
    deserialize_many_sparse,
    encode_base64,
    matching_files,
    parse_sequence_example,
    parse_single_sequence_example,
    serialize_many_sparse,
    serialize_sparse,
)
from ._pyfunc import host_call, numpy_function
from ._records import TFRecordOptions, TFRecordWriter, read_record_batches, read_records
from ._tensor import constant, convert_to_tensor
from ._tensor import errors as _errors
from .dtypes import as_dtype, string

__all__ = [
    "FixedLenFeature",
    "FixedLenSequenceFeature",
    "TFRecordOptions",
    "TFRecordWriter",
    "VarLenFeature",
    "csv_decoder",
    "decode_bmp",
    "decode_csv",
    "decode_gif",
    "decode_image",
    "decode_jpeg",
    "decode_png",
    "decode_raw",
    "encode_jpeg",
    "encode_png",
    "gfile",
    "is_jpeg",
    "parse_example",
    "parse_single_example",
    "parse_tensor",
    "read_file",
    "read_record_batches",
    "read_records",
    "serialize_tensor",
    "write_file",
    "decode_base64",
    "decode_compressed",
    "deserialize_many_sparse",
    "encode_base64",
    "matching_files",
    "parse_sequence_example",
    "parse_single_sequence_example",
    "serialize_many_sparse",
    "serialize_sparse",
]

FixedLenFeature = _example.FixedLenFeature
FixedLenSequenceFeature = _example.FixedLenSequenceFeature
VarLenFeature = _example.VarLenFeature


def _dtype_name(dtype) -> str:
    return as_dtype(dtype).name


def _host_strings(x) -> np.ndarray:
    """A string value (tensor, bytes, str, nested list) as an object array of ``bytes``."""
    a = np.array(x, dtype=object)
    flat = a.reshape(-1)
    if all(type(v) is bytes for v in flat.tolist()):
        return a
    for i, v in enumerate(flat):
        flat[i] = v.encode("utf-8") if isinstance(v, str) else bytes(v)
    return a


def _to_tensors(parsed):
    out = {}
    for key, value in parsed.items():
        if isinstance(value, _example.SparseTensor):
            out[key] = _example.SparseTensor(*(constant(v) for v in value))
        else:
            out[key] = constant(value)
    return out


def _static_shapes(configs, batched):
    """The shapes TF gives the outputs in a trace (None: unknown)."""
    lead = [None] if batched else []
    shapes = {}
    for key, (cfg, _) in configs.items():
        if isinstance(cfg, VarLenFeature):
            rank = 1 + len(lead)
            shapes[key] = ([None, rank], [None], [rank])
        elif isinstance(cfg, FixedLenFeature):
            shapes[key] = [*lead, *(int(d) for d in cfg.shape)]
        else:
            shapes[key] = [*lead, None, *(int(d) for d in cfg.shape)]
    return shapes


def _traced_parse(serialized, configs, names, batched):
    shapes = _static_shapes(configs, batched)
    keys = list(configs)
    tout = []
    for key in keys:
        cfg, dt = configs[key]
        if isinstance(cfg, VarLenFeature):
            dtypes = ("int64", dt, "int64")
            # TensorSpec takes dtype names (its dtype parameter has no annotation)
            tout += [TensorSpec(s, d) for s, d in zip(shapes[key], dtypes)]  # pyright: ignore[reportArgumentType]
        else:
            tout.append(TensorSpec(shapes[key], dt))

    def host(values):
        parsed = _example.parse_examples(_host_strings(values).reshape(-1), configs, names, batched)
        flat = []
        for key in keys:
            v = parsed[key]
            flat += list(v) if isinstance(v, _example.SparseTensor) else [v]
        return flat

    outs = numpy_function(host, [serialized], tout, stateful=False)
    flat = list(outs)  # pyright: ignore[reportArgumentType]  # a list: tout is a list
    out = {}
    for key in keys:
        if isinstance(configs[key][0], VarLenFeature):
            out[key] = _example.SparseTensor(*flat[:3])
            del flat[:3]
        else:
            out[key] = flat.pop(0)
    return out


def _parse(serialized, features, names, batched):
    configs = _example.check_features(features, _dtype_name)
    if _symbolic(serialized):
        rank = serialized.shape.rank
        if not batched and rank != 0:
            raise ValueError("Input serialized must be a scalar")
        return _traced_parse(serialized, configs, names, batched and rank != 0)
    serialized = _host_strings(serialized)
    if not batched and serialized.ndim != 0:
        raise ValueError("Input serialized must be a scalar")
    batched = batched and serialized.ndim > 0
    name_list = None if names is None else [n.decode() for n in _host_strings(names).reshape(-1)]
    rows = serialized.reshape(-1)
    return _to_tensors(_example.parse_examples(rows, configs, name_list, batched))


def parse_single_example(serialized, features, example_names=None, name=None):
    """One serialized ``Example`` (a scalar string) parsed to a dict of tensors (a
    ``SparseTensor`` of indices, values, dense_shape for a ``VarLenFeature``)."""
    return _parse(serialized, features, example_names, batched=False)


def parse_example(serialized, features, example_names=None, name=None):
    """A vector of serialized ``Example``s parsed to a dict of batched tensors."""
    return _parse(serialized, features, example_names, batched=True)


def _read_array(path_array):
    """The file a scalar string array names, as a scalar object array of its ``bytes``."""
    v = path_array[()] if path_array.ndim == 0 else path_array.reshape(-1)[0]
    raw: bytes = v if type(v) is bytes else _host_strings(v)[()]  # type: ignore[assignment]
    path = raw.decode("utf-8")
    try:
        fd = os.open(path, os.O_RDONLY)  # unbuffered: one read of the whole file
    except (FileNotFoundError, NotADirectoryError):
        raise _errors.NotFoundError(None, None, f"{path}; No such file or directory") from None
    try:
        size = os.fstat(fd).st_size
        data = os.read(fd, size + 1)  # at most size bytes back: the whole file, in one read
        if len(data) > size:  # a file that grew, or one whose size stat cannot tell
            parts = [data]
            while parts[-1]:
                parts.append(os.read(fd, 1 << 20))
            data = b"".join(parts)
    except IsADirectoryError:
        raise _errors.NotFoundError(None, None, f"{path}; No such file or directory") from None
    finally:
        os.close(fd)
    return np.asarray(data, dtype=object)


def read_file(filename, name=None):
    """The whole contents of ``filename`` as a scalar string tensor (a host node in a trace)."""
    if _symbolic(filename):
        run = lambda arrays: [_read_array(arrays[0])]  # noqa: E731
        return host_call("PyFuncStateless", run, [filename], [((), string)], "ReadFile",
                         arrays=True)[0]  # fmt: skip
    return convert_to_tensor(_read_array(_host_strings(filename)))


def write_file(filename, contents, name=None):
    """Write ``contents`` (a scalar string) to ``filename``, creating its directories."""
    path = _host_strings(filename).reshape(-1)[0].decode("utf-8")
    data = _host_strings(contents).reshape(-1)[0]
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def serialize_tensor(tensor, name=None):
    """``tensor`` as a scalar string: TF's serialized ``TensorProto``."""
    if _symbolic(tensor):
        dtype = tensor.dtype.name
        return numpy_function(
            lambda a: np.asarray(_example.serialize_array(np.asarray(a), dtype), dtype=object),
            [tensor], TensorSpec([], "string"), stateful=False,  # pyright: ignore[reportArgumentType]
        )  # fmt: skip
    t = convert_to_tensor(tensor)
    a = _host_strings(t) if t.dtype.name == "string" else np.asarray(t)
    return constant(np.asarray(_example.serialize_array(a, t.dtype.name), dtype=object))


def parse_tensor(serialized, out_type, name=None):
    """The tensor of a serialized ``TensorProto`` (``serialize_tensor``'s output); its type must
    be ``out_type``."""
    if _symbolic(serialized):
        raise TypeError(
            "tf.io.parse_tensor gives a tensor of unknown rank, which a traced function here "
            f"cannot hold: call it eagerly or in tf.data.Dataset.map (received {serialized!r})"
        )
    data = _host_strings(serialized).reshape(-1)[0]
    return constant(_example.parse_array(data, _dtype_name(out_type)))


_RAW_TYPES = (
    "float16", "float32", "float64", "int32", "uint16", "uint8", "int16", "int8", "int64",
    "complex64", "complex128", "bool", "bfloat16",
)  # fmt: skip


def decode_raw(input_bytes, out_type, little_endian=True, fixed_length=None, name=None):
    """TF's ``tf.io.decode_raw``: each string's bytes read as ``out_type`` numbers, along a new
    last axis (all strings the same size, or cut / zero-padded to ``fixed_length`` bytes)."""
    dt = as_dtype(out_type)
    if dt.name not in _RAW_TYPES:
        raise _errors.InvalidArgumentError(
            f"Value for attr 'out_type' of {dt.name} is not in the list of allowed values: "
            "half, float, double, int32, uint16, uint8, int16, int8, int64, complex64, "
            "complex128, bool, bfloat16 [Op:DecodeRaw]"
        )
    item = np.dtype(dt.as_numpy_dtype)
    order = item.newbyteorder("<" if little_endian else ">")

    def host(values):
        flat = _host_strings(values).reshape(-1).tolist()
        if fixed_length is not None:
            flat = [v[:fixed_length].ljust(fixed_length, b"\0") for v in flat]
        size = len(flat[0]) if flat else 0
        for i, v in enumerate(flat):
            if len(v) != size:
                raise _errors.InvalidArgumentError(
                    "DecodeRaw requires input strings to all be the same size, but element "
                    f"{i} has size {size} != {len(v)} [Op:DecodeRaw]"
                )
        if size % item.itemsize:
            raise _errors.InvalidArgumentError(
                f"Input to DecodeRaw has length {size} that is not a multiple of "
                f"{item.itemsize}, the size of {dt.name} [Op:DecodeRaw]"
            )
        data = np.frombuffer(b"".join(flat), dtype=order).astype(item)
        return data.reshape(np.shape(values) + (size // item.itemsize,))

    if _symbolic(input_bytes):
        n = None if fixed_length is None else fixed_length // item.itemsize
        spec = TensorSpec([*input_bytes.shape.as_list(), n], dt)
        return numpy_function(host, [input_bytes], spec, stateful=False)
    return constant(host(_host_strings(convert_to_tensor(input_bytes, dtype=string))), dtype=dt)


def csv_decoder(record_defaults, field_delim=",", use_quote_delim=True, na_value="",
                select_cols=None, exclude_cols=None):  # fmt: skip
    """A host-side decoder of CSV records (``decode(line_bytes)`` gives a tuple of NumPy
    scalars; ``types`` their dtypes), with ``decode_csv``'s rules: what tf.data's
    ``CsvDataset`` reads files with."""
    return CsvDecoder(record_defaults, field_delim, use_quote_delim, na_value, select_cols,
                      exclude_cols)  # fmt: skip


def decode_csv(records, record_defaults, field_delim=",", use_quote_delim=True, name=None,
               na_value="", select_cols=None):  # fmt: skip
    """CSV records (a string tensor of any shape) to one tensor per column, each of the
    records' shape, typed by ``record_defaults`` (one-element defaults, or empty: required)."""
    decoder = CsvDecoder(record_defaults, field_delim, use_quote_delim, na_value, select_cols)

    def host(lines):
        lines = _host_strings(lines)
        rows = [decoder.decode(line, i) for i, line in enumerate(lines.reshape(-1))]
        cols = []
        for j, dt in enumerate(decoder.types):
            col = np.empty(len(rows), dtype=object if dt == "string" else dt)
            col[:] = [r[j][()] for r in rows]
            cols.append(col.reshape(lines.shape))
        return cols

    if _symbolic(records):
        tout = [TensorSpec(records.shape, dt) for dt in decoder.types]  # pyright: ignore[reportArgumentType]
        outs = numpy_function(host, [records], tout, stateful=False)
        return list(outs)  # pyright: ignore[reportArgumentType]  # a list: tout is a list
    return [constant(c) for c in host(records)]


_io_more.HOOKS.update(parse_example=parse_example, parse_single_example=parse_single_example)
