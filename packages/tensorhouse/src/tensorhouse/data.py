"""``tf.data``: input pipelines."""

from tensorhouse_models import data as _data

AUTOTUNE = _data.AUTOTUNE
Dataset = _data.Dataset

__all__ = ["AUTOTUNE", "Dataset"]
