"""Feature columns as JSON-safe dicts ``{"class_name", "config"}`` and back (the form TF 2.15's
``DenseFeatures.get_config`` stores them in). A ``normalizer_fn`` is stored by name and found
again among the objects registered with ``register_serializable``."""

from __future__ import annotations

import tensorhouse_ops as _o

from .. import _serialization
from .. import initializers as _initializers
from . import _columns as C

_CLASSES = {
    cls.__name__: cls
    for cls in (
        C.NumericColumn, C.BucketizedColumn, C.VocabularyListCategoricalColumn,
        C.VocabularyFileCategoricalColumn, C.IdentityCategoricalColumn,
        C.HashedCategoricalColumn, C.CrossedColumn, C.IndicatorColumn, C.EmbeddingColumn,
        C.SharedEmbeddingColumn, C.WeightedCategoricalColumn, C.SequenceNumericColumn,
        C.SequenceCategoricalColumn,
    )
}  # fmt: skip
_TUPLES = ("shape", "boundaries", "vocabulary_list", "default_value")


def _listed(v):
    return [_listed(x) for x in v] if isinstance(v, tuple | list) else v


def _tupled(v):
    return tuple(_tupled(x) for x in v) if isinstance(v, list) else v


def _creator_config(creator):
    return {
        "dimension": creator._dimension,
        "initializer": _initializers.serialize(creator._initializer),
        "ckpt_to_load_from": creator._ckpt_to_load_from,
        "tensor_name_in_ckpt": creator._tensor_name_in_ckpt,
        "num_buckets": creator._num_buckets,
        "trainable": creator._trainable,
        "name": creator._name,
        "use_safe_embedding_lookup": creator._use_safe_embedding_lookup,
    }


def serialize_feature_column(column):
    """``{"class_name": ..., "config": ...}`` of ``column`` (nested columns included)."""
    if isinstance(column, str):
        return column
    if type(column).__name__ not in _CLASSES:
        raise ValueError(f"Cannot serialize feature column {column!r}")
    config = {}
    for field, value in column._asdict().items():
        if isinstance(value, C.FeatureColumn):
            value = serialize_feature_column(value)
        elif field == "keys":
            value = [serialize_feature_column(k) for k in value]
        elif field == "dtype":
            value = value.name
        elif field == "initializer":
            value = _initializers.serialize(value)
        elif field == "normalizer_fn":
            value = None if value is None else value.__name__
        elif field == "shared_embedding_column_creator":
            value = _creator_config(value)
        elif field in _TUPLES:
            value = _listed(value)
        config[field] = value
    return {"class_name": type(column).__name__, "config": config}


def deserialize_feature_column(config, custom_objects=None, _creators=None):
    """The column of a ``serialize_feature_column`` dict; shared-embedding columns that named
    one table get one creator again."""
    if isinstance(config, str):
        return config
    creators = {} if _creators is None else _creators
    cls = _CLASSES.get(config.get("class_name"))
    if cls is None:
        raise ValueError(f"Unknown feature column class_name: {config.get('class_name')!r}")
    fields = {}
    for field, value in config["config"].items():
        if isinstance(value, dict) and "class_name" in value and field != "initializer":
            value = deserialize_feature_column(value, custom_objects, creators)
        elif field == "keys":
            value = tuple(deserialize_feature_column(k, custom_objects, creators) for k in value)
        elif field == "dtype":
            value = _o.as_dtype(value)
        elif field == "initializer":
            value = _initializers.deserialize(value, custom_objects)
        elif field == "normalizer_fn" and value is not None:
            value = _find_function(value, custom_objects)
        elif field == "shared_embedding_column_creator":
            value = _creator(value, creators, custom_objects)
        elif field in _TUPLES:
            value = _tupled(value)
        fields[field] = value
    return cls(**fields)


def _find_function(name, custom_objects):
    fn = (custom_objects or {}).get(name) or _serialization._CUSTOM.get(name)
    if fn is None:
        raise ValueError(
            f"Unknown normalizer_fn {name!r}: pass it in custom_objects or register it with "
            "register_serializable"
        )
    return fn


def _creator(config, creators, custom_objects):
    if config["name"] not in creators:
        config = dict(config)
        config["initializer"] = _initializers.deserialize(config["initializer"], custom_objects)
        creators[config["name"]] = C.SharedEmbeddingColumnCreator(**config)
    return creators[config["name"]]


def deserialize_feature_columns(configs, custom_objects=None):
    """The columns of a list of ``serialize_feature_column`` dicts."""
    creators = {}
    return [deserialize_feature_column(c, custom_objects, creators) for c in configs]
