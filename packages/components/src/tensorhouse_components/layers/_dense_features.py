"""``DenseFeatures``: TF 2.15's layer that turns a dict of raw features into one dense tensor
through ``tf.feature_column`` dense columns (Keras 3 dropped it; TF 2.21 cannot run it)."""

from __future__ import annotations

import math

import tensorhouse_ops as _o

from ..feature_column import _columns, _serialize
from ..feature_column._compute import Cache
from ._layer import Layer


def _normalize(feature_columns):
    if isinstance(feature_columns, _columns.FeatureColumn):
        feature_columns = [feature_columns]
    if isinstance(feature_columns, dict):
        raise ValueError("Expected feature_columns to be iterable, found dict.")
    feature_columns = list(feature_columns)
    for column in feature_columns:
        if not isinstance(column, _columns.FeatureColumn):
            raise ValueError(
                "Items of feature_columns must be a FeatureColumn. "
                f"Given (type {type(column)}): {column}."
            )
    if not feature_columns:
        raise ValueError("feature_columns must not be empty.")
    by_name = {}
    for column in feature_columns:
        if column.name in by_name:
            raise ValueError(
                f"Duplicate feature column name found for columns: {column} and "
                f"{by_name[column.name]}. This usually means that these columns refer to same "
                "base feature. Either one must be discarded or a duplicated but renamed item "
                "must be inserted in features dict."
            )
        by_name[column.name] = column
    return sorted(feature_columns, key=lambda c: c.name)


class DenseFeatures(Layer):
    """A dict of raw features in, the dense columns' outputs concatenated (by column name) out;
    embedding tables are this layer's weights."""

    def __init__(self, feature_columns, trainable=True, name=None, partitioner=None, **kwargs):
        super().__init__(trainable=trainable, name=name, **kwargs)
        columns = _normalize(feature_columns)
        for column in columns:
            if not isinstance(column, _columns.DenseColumn):
                raise ValueError(
                    "Items of feature_columns must be a DenseColumn. You can wrap a categorical "
                    "column with an embedding_column or indicator_column. Given: "
                    f"{column}"
                )
        self._feature_columns = columns
        self._partitioner = partitioner
        self._embedding_weights = {}
        self._tables = {}

    def build(self, input_shape=None):
        for column in self._feature_columns:
            column._create_state(self)
        self.built = True

    def call(self, features, cols_to_output_tensors=None, training=None):
        """The dense tensor ``[batch, sum of the columns' sizes]`` of ``features`` (a dict);
        ``cols_to_output_tensors``, a dict, receives each column's own output."""
        if not isinstance(features, dict):
            raise ValueError(f"We expected a dictionary here. Instead we got: {features}")
        cache = Cache(features, self._tables)
        outputs = []
        for column in self._feature_columns:
            tensor = column._dense(cache, self)
            size = math.prod(column.variable_shape.as_list())
            tensor = _o.reshape(tensor, [-1, size])
            if cols_to_output_tensors is not None:
                cols_to_output_tensors[column] = tensor
            outputs.append(tensor)
        return _o.concat(outputs, axis=1)

    def compute_output_shape(self, input_shape):
        size = sum(math.prod(c.variable_shape.as_list()) for c in self._feature_columns)
        batch = next(iter(input_shape.values()))[0] if isinstance(input_shape, dict) else None
        return (batch, size)

    def get_config(self):
        columns = [_serialize.serialize_feature_column(c) for c in self._feature_columns]
        return {**super().get_config(), "feature_columns": columns, "partitioner": None}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["feature_columns"] = _serialize.deserialize_feature_columns(
            config["feature_columns"], custom_objects
        )
        return cls(**config)
