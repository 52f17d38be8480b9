"""``tf.data.Options``: pipeline-wide settings, merged along the pipeline."""

from __future__ import annotations

__all__ = ["Options", "ThreadingOptions"]


class _OptionsBase:
    _FIELDS: dict = {}

    def __init__(self):
        for key, default in self._FIELDS.items():
            object.__setattr__(self, key, default() if callable(default) else default)

    def __setattr__(self, key, value):
        if key not in self._FIELDS:
            raise AttributeError(
                f"Cannot set the property {key} on {type(self).__name__}. "
                f"Known properties: {sorted(self._FIELDS)}"
            )
        object.__setattr__(self, key, value)

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, k) == getattr(other, k) for k in self._FIELDS)

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


class ThreadingOptions(_OptionsBase):
    """``Options.threading``: the size of the pipeline's private thread pool."""

    _FIELDS = {"max_intra_op_parallelism": None, "private_threadpool_size": None}


class Options(_OptionsBase):
    """``tf.data.Options``: ``deterministic`` and ``threading`` are used by this pipeline."""

    _FIELDS = {
        "autotune": None,
        "deterministic": None,
        "experimental_slack": None,
        "threading": ThreadingOptions,
    }

    def merge(self, options):
        """These options with the ones ``options`` sets taking precedence."""
        return self._merge(options)
