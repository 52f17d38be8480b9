"""``ReduceOp`` and the values a strategy hands around: ``PerReplica`` (one value per replica)."""

from __future__ import annotations

import enum

__all__ = ["DistributedValues", "PerReplica", "ReduceOp"]


class ReduceOp(enum.Enum):
    """How values from the replicas combine: ``SUM`` or ``MEAN``."""

    SUM = "SUM"
    MEAN = "MEAN"

    @staticmethod
    def from_variable_aggregation(aggregation):
        """The ``ReduceOp`` of a variable aggregation (``"sum"``, ``"mean"``)."""
        name = getattr(aggregation, "name", aggregation)
        name = str(name).upper()
        if name in ("SUM", "MEAN"):
            return ReduceOp[name]
        raise ValueError(f"Could not convert from `tf.VariableAggregation` {aggregation!r}")

    @classmethod
    def coerce(cls, op) -> ReduceOp:
        """``op`` as a ``ReduceOp`` (a member or its name, any case)."""
        if isinstance(op, ReduceOp):
            return op
        try:
            return ReduceOp(str(op).upper())
        except ValueError:
            raise ValueError(f"{op!r} is not a valid ReduceOp") from None


class DistributedValues:
    """Values, one per local replica (TF's ``tf.distribute.DistributedValues``)."""

    def __init__(self, values):
        self._values = tuple(values)

    @property
    def values(self) -> tuple:
        return self._values

    def __len__(self):
        return len(self._values)

    def __repr__(self):
        body = ",\n".join(f"  {i}: {v!r}" for i, v in enumerate(self._values))
        return f"{type(self).__name__}:{{\n{body}\n}}"

    __str__ = __repr__


class PerReplica(DistributedValues):
    """What ``strategy.run`` returns with several local replicas: each replica's result."""


def local_values(value) -> tuple:
    """The per-replica components of ``value`` (a plain value is one replica's)."""
    return value.values if isinstance(value, DistributedValues) else (value,)
