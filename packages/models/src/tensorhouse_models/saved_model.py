"""``tf.saved_model``: ``save`` / ``load`` of tf.Modules and Keras models as traced graphs plus
variables (tensorhouse's SavedModel layout, described in the models README)."""

from .saving._saved_model import load, save

__all__ = ["load", "save"]
