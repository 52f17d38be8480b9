"""``tf.random``."""

import sys as _sys
import types as _types

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
from ._random_more import (
    gamma,
    poisson,
    stateless_binomial,
    stateless_gamma,
    stateless_parameterized_truncated_normal,
    stateless_poisson,
)
from ._random_more import stateless_shuffle as _stateless_shuffle

__all__ = [
    "Algorithm", "Generator", "categorical", "fold_in", "split", "get_global_generator",
    "set_global_generator", "shuffle",
    "get_seed", "normal", "set_seed", "stateless_normal", "stateless_truncated_normal",
    "stateless_uniform", "truncated_normal", "uniform", "stateless_categorical",
    "log_uniform_candidate_sampler", "uniform_candidate_sampler", "gamma", "poisson",
    "stateless_gamma", "stateless_poisson", "stateless_binomial", "experimental",
    "stateless_parameterized_truncated_normal",
]  # fmt: skip

experimental = _types.ModuleType(__name__ + ".experimental")
experimental.__doc__ = "TF's ``tf.random.experimental``: the stateless seed functions, Generator."
_EXPERIMENTAL = {
    "Algorithm": Algorithm, "Generator": Generator, "get_global_generator": get_global_generator,
    "set_global_generator": set_global_generator, "stateless_fold_in": fold_in,
    "stateless_shuffle": _stateless_shuffle, "stateless_split": split,
}  # fmt: skip
vars(experimental).update(_EXPERIMENTAL, __all__=sorted(_EXPERIMENTAL))
_sys.modules[experimental.__name__] = experimental
