"""``tf.saved_model``: ``save`` and ``load`` (the models layer's SavedModel)."""

from tensorhouse_models import saved_model as _saved_model

load = _saved_model.load
save = _saved_model.save

__all__ = ["load", "save"]
