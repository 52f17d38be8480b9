"""``tf.random``."""

from ._random import (
    get_seed,
    normal,
    set_seed,
    stateless_normal,
    stateless_truncated_normal,
    stateless_uniform,
    truncated_normal,
    uniform,
)

__all__ = [
    "get_seed", "normal", "set_seed", "stateless_normal", "stateless_truncated_normal",
    "stateless_uniform", "truncated_normal", "uniform",
]  # fmt: skip
