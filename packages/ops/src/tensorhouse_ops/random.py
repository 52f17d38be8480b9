"""``tf.random``."""

from ._misc_ops import Algorithm, fold_in, split, stateless_categorical
from ._nn_sampled import log_uniform_candidate_sampler, uniform_candidate_sampler
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
from ._random_more import gamma, poisson, stateless_binomial, stateless_gamma, stateless_poisson

__all__ = [
    "Algorithm", "Generator", "categorical", "fold_in", "split", "get_global_generator",
    "set_global_generator", "shuffle",
    "get_seed", "normal", "set_seed", "stateless_normal", "stateless_truncated_normal",
    "stateless_uniform", "truncated_normal", "uniform", "stateless_categorical",
    "log_uniform_candidate_sampler", "uniform_candidate_sampler", "gamma", "poisson",
    "stateless_gamma", "stateless_poisson", "stateless_binomial",
]  # fmt: skip
