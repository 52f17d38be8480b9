"""``tf.data``: input pipelines."""

from tensorhouse_models.data import AUTOTUNE, Dataset

__all__ = ["AUTOTUNE", "Dataset"]
