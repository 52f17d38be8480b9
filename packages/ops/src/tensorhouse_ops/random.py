"""``tf.random``."""

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
    "Generator", "categorical", "get_global_generator", "set_global_generator", "shuffle",
    "get_seed", "normal", "set_seed", "stateless_normal", "stateless_truncated_normal",
    "stateless_uniform", "truncated_normal", "uniform",
]  # fmt: skip
