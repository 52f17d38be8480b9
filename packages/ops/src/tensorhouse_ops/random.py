"""``tf.random``."""

from ._misc_ops import Algorithm, fold_in, split, stateless_categorical
from ._random import (
    Generator,
    categorical,
    get_global_generator,
    get_seed,
    normal,
    set_global_generator,
    set_seed,
    shuffle,
    stateless_normal,
    stateless_truncated_normal,
    stateless_uniform,
    truncated_normal,
    uniform,
)

__all__ = [
    "Algorithm", "Generator", "categorical", "fold_in", "split", "get_global_generator",
    "set_global_generator", "shuffle",
    "get_seed", "normal", "set_seed", "stateless_normal", "stateless_truncated_normal",
    "stateless_uniform", "truncated_normal", "uniform", "stateless_categorical",
]  # fmt: skip
