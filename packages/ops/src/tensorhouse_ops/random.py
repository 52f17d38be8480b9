"""``tf.random``."""

from ._random import get_seed, normal, set_seed, uniform

__all__ = ["get_seed", "normal", "set_seed", "uniform"]
