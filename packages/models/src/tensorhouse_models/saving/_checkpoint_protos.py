"""The protocol buffer messages of TF's checkpoints, declared here with TF's field numbers.

``BundleHeaderProto`` / ``BundleEntryProto`` (``tensor_bundle.proto``), ``TrackableObjectGraph``
(``trackable_object_graph.proto``) and ``CheckpointState`` (the ``checkpoint`` state file) are
built at import from descriptors (``descriptor_pb2`` + ``message_factory``). Enum fields (dtype,
endianness) are declared as ``int32``: the same varint on the wire.
"""

from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, wrappers_pb2

__all__ = [
    "BundleEntryProto", "BundleHeaderProto", "CheckpointState", "TrackableObjectGraph",
]  # fmt: skip

_F = descriptor_pb2.FieldDescriptorProto
_OPTIONAL, _REPEATED = _F.LABEL_OPTIONAL, _F.LABEL_REPEATED
_TYPES = {
    "int32": _F.TYPE_INT32, "int64": _F.TYPE_INT64, "fixed32": _F.TYPE_FIXED32,
    "bool": _F.TYPE_BOOL, "string": _F.TYPE_STRING, "double": _F.TYPE_DOUBLE,
}  # fmt: skip


def _message(parent, name: str, fields, nested=()):
    """Add message ``name`` to ``parent`` (a file or a message descriptor proto)."""
    msg = (parent.message_type if hasattr(parent, "message_type") else parent.nested_type).add()
    msg.name = name
    for number, fname, ftype, repeated in fields:
        field = msg.field.add(name=fname, number=number)
        field.label = _REPEATED if repeated else _OPTIONAL
        if ftype in _TYPES:
            field.type = _TYPES[ftype]
        else:
            field.type = _F.TYPE_MESSAGE
            field.type_name = ftype
    for args in nested:
        _message(msg, *args)
    return msg


def _build_file():
    fd = descriptor_pb2.FileDescriptorProto(
        name="tensorhouse_models/checkpoint.proto", package="tensorhouse_ckpt", syntax="proto3"
    )
    fd.dependency.append("google/protobuf/wrappers.proto")
    p = ".tensorhouse_ckpt."
    _message(fd, "VersionDef", [(1, "producer", "int32", 0), (2, "min_consumer", "int32", 0),
                                (3, "bad_consumers", "int32", 1)])  # fmt: skip
    _message(
        fd, "TensorShapeProto", [(2, "dim", p + "TensorShapeProto.Dim", 1),
                                 (3, "unknown_rank", "bool", 0)],
        [("Dim", [(1, "size", "int64", 0), (2, "name", "string", 0)])],
    )  # fmt: skip
    _message(
        fd, "TensorSliceProto", [(1, "extent", p + "TensorSliceProto.Extent", 1)],
        [("Extent", [(1, "start", "int64", 0), (2, "length", "int64", 0)])],
    )  # fmt: skip
    _message(fd, "BundleHeaderProto", [(1, "num_shards", "int32", 0), (2, "endianness", "int32", 0),
                                       (3, "version", p + "VersionDef", 0)])  # fmt: skip
    _message(fd, "BundleEntryProto", [
        (1, "dtype", "int32", 0), (2, "shape", p + "TensorShapeProto", 0),
        (3, "shard_id", "int32", 0), (4, "offset", "int64", 0), (5, "size", "int64", 0),
        (6, "crc32c", "fixed32", 0), (7, "slices", p + "TensorSliceProto", 1),
    ])  # fmt: skip
    _message(fd, "RegisteredSaver", [(1, "name", "string", 0), (2, "object_name", "string", 0)])
    obj = p + "TrackableObjectGraph.TrackableObject."
    _message(
        fd, "TrackableObjectGraph", [(1, "nodes", p + "TrackableObjectGraph.TrackableObject", 1)],
        [("TrackableObject", [
            (1, "children", obj + "ObjectReference", 1),
            (2, "attributes", obj + "SerializedTensor", 1),
            (3, "slot_variables", obj + "SlotVariableReference", 1),
            (4, "registered_saver", p + "RegisteredSaver", 0),
            (5, "has_checkpoint_values", ".google.protobuf.BoolValue", 0),
        ], [
            ("ObjectReference", [(1, "node_id", "int32", 0), (2, "local_name", "string", 0)]),
            ("SerializedTensor", [(1, "name", "string", 0), (2, "full_name", "string", 0),
                                  (3, "checkpoint_key", "string", 0)]),
            ("SlotVariableReference", [(1, "original_variable_node_id", "int32", 0),
                                       (2, "slot_name", "string", 0),
                                       (3, "slot_variable_node_id", "int32", 0)]),
        ])],
    )  # fmt: skip
    _message(fd, "CheckpointState", [
        (1, "model_checkpoint_path", "string", 0), (2, "all_model_checkpoint_paths", "string", 1),
        (3, "all_model_checkpoint_timestamps", "double", 1),
        (4, "last_preserved_timestamp", "double", 0),
    ])  # fmt: skip
    return fd


_pool = descriptor_pool.DescriptorPool()
_pool.AddSerializedFile(
    descriptor_pb2.FileDescriptorProto.FromString(
        wrappers_pb2.DESCRIPTOR.serialized_pb
    ).SerializeToString()
)
_pool.Add(_build_file())


def _cls(name: str):
    return message_factory.GetMessageClass(_pool.FindMessageTypeByName("tensorhouse_ckpt." + name))


BundleHeaderProto = _cls("BundleHeaderProto")
BundleEntryProto = _cls("BundleEntryProto")
TrackableObjectGraph = _cls("TrackableObjectGraph")
CheckpointState = _cls("CheckpointState")
