"""``Dataset.save`` / ``Dataset.load``: a dataset written to a directory and read back.

The directory holds ``dataset_spec.json`` (the element structure and specs),
``snapshot.metadata`` (element count, compression, shard count) and one TFRecord file per shard
under ``shards/``; each record is one element, a ``tf.train.Feature`` whose bytes list holds
every leaf as a serialized ``TensorProto`` (``tf.io.serialize_tensor``). The layout is
tensorhouse's own: TF's snapshot files are not read or written.
"""

from __future__ import annotations

import collections
import json
import os

import numpy as np

from tensorhouse_ops import TensorSpec, constant, errors, train
from tensorhouse_ops import io as tf_io

from . import _structure as st
from ._dataset import Dataset, DatasetSpec, _call, _tensor_element

__all__ = ["load", "save"]

_SPEC_FILE = "dataset_spec.json"
_META_FILE = "snapshot.metadata"


def _spec_json(s):
    if st.is_namedtuple(s):
        return {"namedtuple": type(s).__name__, "fields": list(s._fields),
                "items": [_spec_json(v) for v in s]}  # fmt: skip
    if isinstance(s, tuple):
        return {"tuple": [_spec_json(v) for v in s]}
    if isinstance(s, dict):
        return {"dict": [[k, _spec_json(v)] for k, v in s.items()],
                "ordered": isinstance(s, collections.OrderedDict)}  # fmt: skip
    if not isinstance(s, TensorSpec):
        raise TypeError(f"Dataset.save supports elements of tensors only; received {s!r}")
    return {"shape": st.dims(s), "dtype": st.dtype_name(s.dtype)}


def _spec_from_json(j):
    if "namedtuple" in j:
        kind = collections.namedtuple(j["namedtuple"], j["fields"])
        return kind(*(_spec_from_json(v) for v in j["items"]))
    if "tuple" in j:
        return tuple(_spec_from_json(v) for v in j["tuple"])
    if "dict" in j:
        items = [(k, _spec_from_json(v)) for k, v in j["dict"]]
        return collections.OrderedDict(items) if j["ordered"] else dict(items)
    return TensorSpec(j["shape"], j["dtype"])


def _compression(compression):
    kind = compression or ""
    if kind not in ("", "GZIP", "ZLIB"):
        raise ValueError(f"Unsupported compression: {compression}. Expected GZIP, ZLIB or None.")
    return kind


def _encode(element) -> bytes:
    leaves = st.flatten(element)
    blobs = [tf_io.serialize_tensor(constant(leaf)).numpy() for leaf in leaves]
    value = [b if isinstance(b, bytes) else b[()] for b in blobs]
    return train.Feature(bytes_list=train.BytesList(value=value)).SerializeToString()


def save(dataset, path, compression=None, shard_func=None, checkpoint_args=None):
    """Write every element of ``dataset`` under ``path`` (``shard_func(element)`` picks each
    element's shard, an int64 scalar; all in shard 0 without it)."""
    kind = _compression(compression)
    spec = dataset.element_spec
    spec_json = _spec_json(spec)
    os.makedirs(os.path.join(path, "shards"), exist_ok=True)
    writers: dict[int, tf_io.TFRecordWriter] = {}
    count = 0
    try:
        for element in dataset._host_iter():
            shard = 0
            if shard_func is not None:
                shard = int(st.to_host(_call(shard_func, _tensor_element(element))))
                if shard < 0:
                    raise errors.InvalidArgumentError(
                        None, None, f"shard_func must return a non-negative int; got {shard}"
                    )
            if shard not in writers:
                name = os.path.join(path, "shards", f"{shard:08d}.shard")
                writers[shard] = tf_io.TFRecordWriter(name, tf_io.TFRecordOptions(kind))
            writers[shard].write(_encode(element))
            count += 1
    finally:
        for w in writers.values():
            w.close()
    with open(os.path.join(path, _SPEC_FILE), "w") as f:
        json.dump(spec_json, f)
    meta = {"num_elements": count, "compression": kind, "shards": sorted(writers)}
    with open(os.path.join(path, _META_FILE), "w") as f:
        json.dump(meta, f)


def _shard(path, kind, spec):
    dtypes = [st.dtype_name(s.dtype) for s in st.flatten(spec)]

    def it(ctx):
        for record in tf_io.read_records(path, kind):
            feature = train.Feature.FromString(record)
            leaves = [
                st.to_host(tf_io.parse_tensor(np.asarray(b, dtype=object), dt))
                for b, dt in zip(feature.bytes_list.value, dtypes)
            ]
            yield st.pack(spec, leaves)

    return Dataset(it, -2, spec, "Load")


def load(path, element_spec=None, compression=None, reader_func=None):
    """The dataset ``save`` wrote under ``path``; ``reader_func(shards)`` (a dataset of the
    shard datasets) orders the shards, read one after the other without it."""
    spec_file = os.path.join(path, _SPEC_FILE)
    if not os.path.exists(spec_file):
        raise errors.NotFoundError(
            None, None, f"tf.data snapshot element_spec file not found: {spec_file}."
        )
    with open(spec_file) as f:
        saved = _spec_from_json(json.load(f))
    with open(os.path.join(path, _META_FILE)) as f:
        meta = json.load(f)
    kind = meta["compression"] if compression is None else _compression(compression)
    spec = saved if element_spec is None else element_spec
    names = [os.path.join(path, "shards", f"{k:08d}.shard") for k in meta["shards"]]
    shards = [_shard(name, kind, spec) for name in names]

    def each(ctx):
        yield from shards

    datasets = Dataset(each, len(shards), DatasetSpec(spec), "Shards")
    if reader_func is None:
        ordered = datasets.flat_map(lambda d: d)
    else:
        ordered = reader_func(datasets)
    card = meta["num_elements"] if reader_func is None else ordered._cardinality
    out = Dataset(ordered._make_iter, card, spec, "Load", (ordered,))
    return out
