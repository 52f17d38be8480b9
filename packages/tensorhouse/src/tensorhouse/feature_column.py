"""``tf.feature_column``: feature columns (computed by ``tf.keras.layers.DenseFeatures``)."""

from tensorhouse_models import feature_column as _feature_column

__all__ = list(_feature_column.__all__)
for _name in __all__:
    globals()[_name] = getattr(_feature_column, _name)
