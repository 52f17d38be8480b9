"""``tf.data.Options``: pipeline-wide settings, merged along the pipeline, with TF's attribute
names, types, defaults (None: unset) and merge rule (a later set value wins)."""

from __future__ import annotations

import enum

__all__ = [
    "AutoShardPolicy", "AutotuneAlgorithm", "AutotuneOptions", "DistributeOptions",
    "ExternalStatePolicy", "OptimizationOptions", "Options", "ThreadingOptions",
]  # fmt: skip


class AutoShardPolicy(enum.IntEnum):
    """``tf.data.experimental.AutoShardPolicy``: how a distributed input is sharded."""

    OFF = -1
    AUTO = 0
    FILE = 1
    DATA = 2
    HINT = 3


class AutotuneAlgorithm(enum.Enum):
    """``tf.data.experimental.AutotuneAlgorithm``."""

    DEFAULT = 0
    HILL_CLIMB = 1
    GRADIENT_DESCENT = 2
    MAX_PARALLELISM = 3
    STAGE_BASED = 4


class ExternalStatePolicy(enum.Enum):
    """``tf.data.experimental.ExternalStatePolicy``: what serializing a pipeline with external
    state does."""

    WARN = 0
    IGNORE = 1
    FAIL = 2


class _OptionsBase:
    # name -> (type or tuple of types, default); an _OptionsBase type is a nested group
    _FIELDS: dict = {}
    _ALIASES: dict = {}  # TF's older names for the same fields

    def __init__(self):
        for key, (kind, default) in self._FIELDS.items():
            value = kind() if _is_group(kind) else default
            object.__setattr__(self, key, value)

    def __getattr__(self, key):
        if key in type(self)._ALIASES:
            return getattr(self, type(self)._ALIASES[key])
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{key}'")

    def __setattr__(self, key, value):
        key = self._ALIASES.get(key, key)
        if key not in self._FIELDS:
            raise AttributeError(f"Cannot set the property {key} on {type(self).__name__}.")
        kind = self._FIELDS[key][0]
        if value is not None and not isinstance(value, kind):
            raise TypeError(f'Property "{key}" must be of type {kind}, got: {value} '
                            f"(type: {type(value)})")  # fmt: skip
        object.__setattr__(self, key, value)

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, k) == getattr(other, k) for k in self._FIELDS)

    def __ne__(self, other):
        same = self.__eq__(other)
        return same if same is NotImplemented else not same

    __hash__ = None

    def __repr__(self):
        body = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._FIELDS)
        return f"{type(self).__name__}({body})"

    def _merge(self, other):
        """A copy of ``self`` with every field ``other`` sets (not None) taken from ``other``."""
        out = type(self)()
        for k in self._FIELDS:
            mine, theirs = getattr(self, k), getattr(other, k)
            if isinstance(mine, _OptionsBase):
                object.__setattr__(out, k, mine._merge(theirs))
            else:
                object.__setattr__(out, k, theirs if theirs is not None else mine)
        return out


def _is_group(kind):
    return isinstance(kind, type) and issubclass(kind, _OptionsBase)


_INT, _BOOL = int, bool


class ThreadingOptions(_OptionsBase):
    """``Options.threading``: the size of the pipeline's private thread pool."""

    _FIELDS = {"max_intra_op_parallelism": (_INT, None), "private_threadpool_size": (_INT, None)}


class AutotuneOptions(_OptionsBase):
    """``Options.autotune``: TF's autotuning knobs (kept and merged; this pipeline tunes its
    parallel ``map`` and ``prefetch`` itself)."""

    _FIELDS = {
        "autotune_algorithm": (AutotuneAlgorithm, None),
        "cpu_budget": (_INT, None),
        "enabled": (_BOOL, None),
        "initial_parallelism": (_INT, None),
        "min_parallelism": (_INT, None),
        "ram_budget": (_INT, None),
    }


class DistributeOptions(_OptionsBase):
    """``Options.experimental_distribute``: the auto-shard policy (default ``AUTO``)."""

    _FIELDS = {"auto_shard_policy": (AutoShardPolicy, AutoShardPolicy.AUTO),
               "num_devices": (_INT, None)}  # fmt: skip


class OptimizationOptions(_OptionsBase):
    """``Options.experimental_optimization``: TF's static graph rewrites (kept and merged; this
    pipeline has no rewrite pass)."""

    _FIELDS = {
        name: (_BOOL, None)
        for name in (
            "apply_default_optimizations", "filter_fusion", "filter_parallelization",
            "inject_prefetch", "map_and_batch_fusion", "map_and_filter_fusion", "map_fusion",
            "map_parallelization", "noop_elimination", "parallel_batch",
            "seq_interleave_prefetch", "shuffle_and_repeat_fusion",
        )
    }  # fmt: skip


class Options(_OptionsBase):
    """``tf.data.Options``: ``deterministic`` and ``threading`` steer this pipeline; the others
    are kept and merged as TF's."""

    _FIELDS = {
        "autotune": (AutotuneOptions, None),
        "dataset_name": (str, None),
        "deterministic": (_BOOL, None),
        "experimental_distribute": (DistributeOptions, None),
        "experimental_external_state_policy": (ExternalStatePolicy, None),
        "experimental_optimization": (OptimizationOptions, None),
        "experimental_slack": (_BOOL, None),
        "experimental_symbolic_checkpoint": (_BOOL, None),
        "experimental_warm_start": (_BOOL, None),
        "framework_type": (list, None),
        "threading": (ThreadingOptions, None),
    }
    _ALIASES = {"experimental_deterministic": "deterministic",
                "experimental_threading": "threading"}  # fmt: skip

    def merge(self, options):
        """These options with the ones ``options`` sets taking precedence."""
        return self._merge(options)
