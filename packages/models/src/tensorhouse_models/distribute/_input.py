"""Distributed input: each replica's share of every global batch (``experimental_distribute_
dataset``) or each worker's own pipeline (``distribute_datasets_from_function``)."""

from __future__ import annotations

import enum

import numpy as np

from tensorhouse_components import data, ops

__all__ = [
    "AutoShardPolicy",
    "DistributedDataset",
    "DistributedDatasetsFromFunction",
    "DistributedIterator",
    "InputContext",
    "InputOptions",
    "InputReplicationMode",
    "ValueContext",
    "split_batch",
]


# tf.data's own enum (one class, so options set either way compare and assign alike). Here
# ``FILE`` is treated as ``DATA`` (the pipeline's file list is not known, as TF's ``AUTO`` falls
# back); ``OFF`` lets every worker read all the data.
AutoShardPolicy = data.experimental.AutoShardPolicy


class InputReplicationMode(enum.Enum):
    """One input pipeline per worker (the only mode here)."""

    PER_WORKER = "PER_WORKER"
    PER_REPLICA = "PER_REPLICA"


class InputOptions:
    """Options of a distributed dataset (TF's ``tf.distribute.InputOptions``)."""

    def __init__(self, experimental_fetch_to_device=None,
                 experimental_replication_mode=InputReplicationMode.PER_WORKER,
                 experimental_place_dataset_on_device=False,
                 experimental_per_replica_buffer_size=1,
                 experimental_auto_shard_policy=AutoShardPolicy.AUTO):  # fmt: skip
        self.experimental_fetch_to_device = (
            True if experimental_fetch_to_device is None else experimental_fetch_to_device
        )
        self.experimental_replication_mode = experimental_replication_mode
        self.experimental_place_dataset_on_device = experimental_place_dataset_on_device
        self.experimental_per_replica_buffer_size = experimental_per_replica_buffer_size
        self.experimental_auto_shard_policy = AutoShardPolicy(experimental_auto_shard_policy)

    def __repr__(self):
        return (
            "InputOptions(experimental_fetch_to_device="
            f"{self.experimental_fetch_to_device}, experimental_replication_mode="
            f"{self.experimental_replication_mode}, experimental_auto_shard_policy="
            f"{self.experimental_auto_shard_policy.name})"
        )


class InputContext:
    """What ``dataset_fn`` learns about its pipeline: how many there are, which one it is, and
    the per-replica batch size of a global batch size."""

    def __init__(self, num_input_pipelines=1, input_pipeline_id=0, num_replicas_in_sync=1):
        self._num_input_pipelines = num_input_pipelines
        self._input_pipeline_id = input_pipeline_id
        self._num_replicas_in_sync = num_replicas_in_sync

    @property
    def num_input_pipelines(self) -> int:
        return self._num_input_pipelines

    @property
    def input_pipeline_id(self) -> int:
        return self._input_pipeline_id

    @property
    def num_replicas_in_sync(self) -> int:
        return self._num_replicas_in_sync

    def get_per_replica_batch_size(self, global_batch_size: int) -> int:
        """``global_batch_size`` divided by the replicas (it must divide evenly)."""
        if global_batch_size % self._num_replicas_in_sync != 0:
            raise ValueError(
                f"The `global_batch_size` {global_batch_size} is not divisible by "
                f"`num_replicas_in_sync` {self._num_replicas_in_sync}"
            )
        return global_batch_size // self._num_replicas_in_sync

    def __repr__(self):
        return (
            f"tf.distribute.InputContext(input pipeline id {self._input_pipeline_id}, "
            f"total: {self._num_input_pipelines})"
        )


class ValueContext:
    """What ``experimental_distribute_values_from_function``'s function sees."""

    def __init__(self, replica_id_in_sync_group=0, num_replicas_in_sync=1):
        self.replica_id_in_sync_group = replica_id_in_sync_group
        self.num_replicas_in_sync = num_replicas_in_sync


def _sizes(total: int, parts: int) -> list:
    """``total`` rows in ``parts`` pieces, the first ones one larger (TF's rebatch split)."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _rows(x) -> int:
    shape = np.shape(x) if isinstance(x, np.ndarray) else tuple(x.shape)
    if not shape:
        raise ValueError(
            "A distributed dataset's elements must be batched (a leading batch dimension); "
            f"received an element of shape {shape}."
        )
    return int(shape[0])


def _slice(structure, start, stop):
    def one(x):
        a = x if isinstance(x, np.ndarray) else ops.convert_to_numpy(x)
        return ops.convert_to_tensor(a[start:stop])

    return ops.nest.map_structure(one, structure)


def split_batch(strategy, batch, policy=AutoShardPolicy.AUTO) -> list:
    """This worker's local replicas' shares of one global ``batch``: the batch is cut into
    ``num_replicas_in_sync`` contiguous pieces and worker ``w`` takes pieces ``w*n..``."""
    leaves = [x for x in ops.nest.flatten(batch) if x is not None]
    if not leaves:
        return [batch] * strategy._num_local
    rows = _rows(leaves[0])
    sizes = _sizes(rows, strategy.num_replicas_in_sync)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    first = strategy._worker_index * strategy._num_local
    return [
        _slice(batch, int(offsets[r]), int(offsets[r + 1]))
        for r in range(first, first + strategy._num_local)
    ]


def _group(strategy, shards):
    """The local replicas' shards as one structure of ``PerReplica`` leaves (as TF's)."""
    from ._strategy import _regroup

    return _regroup(list(shards)) if strategy._num_local > 1 else shards[0]


def _policy(dataset, options):
    if options is not None and options.experimental_auto_shard_policy != AutoShardPolicy.AUTO:
        return options.experimental_auto_shard_policy
    distribute = getattr(dataset.options(), "experimental_distribute", None)
    policy = getattr(distribute, "auto_shard_policy", None)
    return AutoShardPolicy(int(policy)) if policy is not None else AutoShardPolicy.AUTO


class DistributedIterator:
    """Iterator over a distributed dataset: ``next()`` / ``get_next()`` give a ``PerReplica``
    (or the one local replica's value)."""

    def __init__(self, generator):
        self._generator = generator

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._generator)

    def get_next(self):
        """The next element; raises ``OutOfRangeError`` at the end, as TF does."""
        try:
            return next(self._generator)
        except StopIteration:
            raise ops.errors.OutOfRangeError("End of sequence") from None


class DistributedDataset:
    """A dataset of global batches, each split between the replicas in sync."""

    def __init__(self, strategy, dataset, options=None):
        self._strategy = strategy
        self._dataset = dataset
        self._options = options
        self._policy = _policy(dataset, options) if hasattr(dataset, "options") else 0

    def _elements(self):
        strategy = self._strategy
        n = strategy._num_local
        for batch in self._dataset:
            if self._policy == AutoShardPolicy.OFF and strategy._comm is not None:
                # every worker reads everything: the global batch feeds this worker's
                # replicas over several steps
                rows = _rows(ops.nest.flatten(batch)[0])
                sizes = _sizes(rows, strategy.num_replicas_in_sync)
                offsets = np.concatenate([[0], np.cumsum(sizes)])
                pieces = [
                    _slice(batch, int(offsets[i]), int(offsets[i + 1])) for i in range(len(sizes))
                ]
                for k in range(0, len(pieces), n):
                    yield _group(strategy, pieces[k : k + n])
            else:
                yield _group(strategy, split_batch(strategy, batch, self._policy))

    def __iter__(self):
        return DistributedIterator(self._elements())

    @property
    def element_spec(self):
        return getattr(self._dataset, "element_spec", None)


class DistributedDatasetsFromFunction:
    """Each worker's own dataset of per-replica batches (from ``dataset_fn``); consecutive
    elements feed the local replicas."""

    def __init__(self, strategy, dataset_fn, options=None):
        self._strategy = strategy
        context = InputContext(
            strategy._num_workers, strategy._worker_index, strategy.num_replicas_in_sync
        )
        self._dataset = dataset_fn(context)

    def _elements(self):
        n = self._strategy._num_local
        pending = []
        for element in self._dataset:
            pending.append(element)
            if len(pending) == n:
                yield _group(self._strategy, pending)
                pending = []

    def __iter__(self):
        return DistributedIterator(self._elements())

    @property
    def element_spec(self):
        return getattr(self._dataset, "element_spec", None)
