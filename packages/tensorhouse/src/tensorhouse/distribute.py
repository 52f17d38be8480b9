"""``tf.distribute``: strategies for data-parallel training (the models layer's)."""

from tensorhouse_models import distribute as _distribute

__all__ = list(_distribute.__all__)
for _name in __all__:
    globals()[_name] = getattr(_distribute, _name)
