"""The strategies: ``Strategy`` (and the default one), ``OneDeviceStrategy``,
``MirroredStrategy`` (the devices of one process) and ``MultiWorkerMirroredStrategy``
(one process per worker, over MPI), with their contexts.

Design: a variable created in a strategy's scope is one variable per process; the local
replicas of ``MirroredStrategy`` share it (one host memory), and the workers of
``MultiWorkerMirroredStrategy`` keep their copies equal (broadcast from rank 0, then identical
updates from all-reduced gradients). So "mirrored" holds by construction, not by copying.
"""

from __future__ import annotations

import contextlib
import enum
import os
import threading

import numpy as np

from tensorhouse_components import ops, tree

from ._buckets import bucket_all_reduce, plan_for
from ._values import DistributedValues, PerReplica, ReduceOp, local_values

__all__ = [
    "CommunicationImplementation",
    "CommunicationOptions",
    "MirroredStrategy",
    "MultiWorkerMirroredStrategy",
    "OneDeviceStrategy",
    "ReplicaContext",
    "Strategy",
    "StrategyExtended",
    "get_replica_context",
    "get_strategy",
    "has_strategy",
    "in_cross_replica_context",
]

_state = threading.local()


def _stack() -> list:
    if not hasattr(_state, "stack"):
        _state.stack = []
    return _state.stack


def has_strategy() -> bool:
    """Whether a (non-default) strategy's scope is active."""
    return bool(_stack())


def get_strategy() -> Strategy:
    """The strategy whose scope is active, else the default strategy."""
    stack = _stack()
    return stack[-1] if stack else _default_strategy()


def get_replica_context():
    """The current ``ReplicaContext``: inside ``run``, the replica's; in a strategy's scope
    (cross-replica context), None; with no strategy, the default one."""
    ctx = getattr(_state, "replica", None)
    if ctx is not None:
        return ctx
    if has_strategy():
        return None
    return ReplicaContext(_default_strategy(), 0)


def in_cross_replica_context() -> bool:
    """True in a strategy's scope outside ``run``."""
    return has_strategy() and getattr(_state, "replica", None) is None


# ---- communication options ------------------------------------------------------------------
class CommunicationImplementation(enum.Enum):
    """The cross-worker collective implementation asked for; all run over MPI here (NCCL and
    RING fall back to MPI's all-reduce)."""

    AUTO = "AUTO"
    RING = "RING"
    NCCL = "NCCL"


class CommunicationOptions:
    """Collective options: ``bytes_per_pack`` (gradient bucket size; 0 picks one),
    ``timeout_seconds`` (how long a collective waits for its peers) and ``implementation``."""

    def __init__(self, bytes_per_pack=0, timeout_seconds=None,
                 implementation=CommunicationImplementation.AUTO):  # fmt: skip
        if not isinstance(bytes_per_pack, int) or bytes_per_pack < 0:
            raise ValueError("bytes_per_pack must be non-negative integer")
        if isinstance(implementation, str):
            implementation = CommunicationImplementation[implementation.upper()]
        if not isinstance(implementation, CommunicationImplementation):
            raise ValueError(
                "implementation should be a tf.distribute.experimental.CommunicationImplementation"
            )
        self.bytes_per_pack = bytes_per_pack
        self.timeout_seconds = timeout_seconds
        self.implementation = implementation

    def merge(self, options):
        """These options with ``options``' non-default fields taking precedence."""
        if options is None:
            return self
        return CommunicationOptions(
            options.bytes_per_pack or self.bytes_per_pack,
            options.timeout_seconds
            if options.timeout_seconds is not None
            else self.timeout_seconds,
            options.implementation
            if options.implementation is not CommunicationImplementation.AUTO
            else self.implementation,
        )

    def __repr__(self):
        return (
            f"CommunicationOptions(bytes_per_pack={self.bytes_per_pack}, "
            f"timeout_seconds={self.timeout_seconds}, implementation={self.implementation})"
        )


DEFAULT_BUCKET_BYTES = 4 << 20  # bytes_per_pack=0: fuse gradients into 4 MiB buckets
# the first bucket of an overlapped step (the last layers' gradients): small, so its all-reduce
# starts early in the backward pass
FIRST_BUCKET_BYTES = 1 << 20


# ---- devices ----------------------------------------------------------------------------------
def _canonical(device: str, job="localhost", task=0) -> str:
    spec = ops.DeviceSpec.from_string(device if device.startswith("/") else f"/{device}")
    kind = (spec.device_type or "CPU").upper()
    index = spec.device_index or 0
    return f"/job:{job}/replica:0/task:{task}/device:{kind}:{index}"


def _default_devices() -> list:
    gpus = ops.config.list_logical_devices("GPU")
    if gpus:
        return [_canonical(d.name) for d in gpus]
    return [_canonical("/device:CPU:0")]


# ---- replica context --------------------------------------------------------------------------
class ReplicaContext:
    """What ``fn`` sees inside ``strategy.run``: its replica id and the cross-replica
    ``all_reduce``."""

    def __init__(self, strategy, replica_id_in_sync_group, _local_index=0, _group=None):
        self._strategy = strategy
        self._replica_id = replica_id_in_sync_group
        self._local_index = _local_index
        self._group = _group

    @property
    def strategy(self):
        return self._strategy

    @property
    def num_replicas_in_sync(self) -> int:
        return self._strategy.num_replicas_in_sync

    @property
    def replica_id_in_sync_group(self):
        return ops.constant(self._replica_id, "int32")

    @property
    def devices(self) -> tuple:
        return (self._strategy.extended.worker_devices[self._local_index],)

    def __repr__(self):
        return f"<ReplicaContext replica {self._replica_id} of {self.num_replicas_in_sync}>"

    def all_reduce(self, reduce_op, value, options=None):
        """``value`` (a nested structure of tensors) reduced over every replica in sync."""
        op = ReduceOp.coerce(reduce_op)
        strategy = self._strategy
        flat = ops.nest.flatten(value)
        if not flat:
            return value
        if strategy._num_local > 1 and self._group is None:
            raise NotImplementedError(
                "ReplicaContext.all_reduce with several local replicas needs `strategy.run` "
                "called eagerly (its replicas then run in threads); inside a traced function, "
                "return the values from `run` and use `strategy.reduce`."
            )
        tensors = [ops.convert_to_tensor(t) for t in flat]
        if self._group is not None:  # local replicas in threads: meet, then cross workers
            arrays = [ops.convert_to_numpy(t) for t in tensors]
            summed = [self._group.all_reduce(self._local_index, a, "sum") for a in arrays]
            summed = strategy._cross_worker_sum_arrays(summed)
            out = [ops.convert_to_tensor(s.astype(a.dtype)) for s, a in zip(summed, arrays)]
        else:
            out = strategy._cross_worker_sum_tensors(tensors)
        if op is ReduceOp.MEAN:
            n = strategy.num_replicas_in_sync
            out = [o / ops.cast(n, o.dtype) for o in out]
        return ops.nest.pack_sequence_as(value, out)

    def merge_call(self, merge_fn, args=(), kwargs=None):
        """Call ``merge_fn(strategy, *args)`` (one replica: no cross-replica merge needed)."""
        if self._strategy._num_local > 1:
            raise NotImplementedError("merge_call with several local replicas is not supported")
        return merge_fn(self._strategy, *args, **(kwargs or {}))


@contextlib.contextmanager
def _in_replica(ctx):
    previous = getattr(_state, "replica", None)
    stack = _stack()
    pushed = not stack or stack[-1] is not ctx.strategy
    if pushed and ctx.strategy is not _DEFAULT[0]:
        stack.append(ctx.strategy)
    _state.replica = ctx
    try:
        yield ctx
    finally:
        _state.replica = previous
        if pushed and ctx.strategy is not _DEFAULT[0]:
            stack.pop()


# ---- strategies -------------------------------------------------------------------------------
class StrategyExtended:
    """The strategy's device-level details (TF's ``strategy.extended``)."""

    def __init__(self, strategy):
        self._strategy = strategy

    @property
    def worker_devices(self) -> tuple:
        return tuple(self._strategy._devices)

    @property
    def parameter_devices(self) -> tuple:
        return tuple(self._strategy._devices)

    @property
    def should_checkpoint(self) -> bool:
        """Whether this worker writes checkpoints (the chief only)."""
        return self._strategy._is_chief

    @property
    def should_save_summary(self) -> bool:
        return self._strategy._is_chief

    @property
    def experimental_between_graph(self) -> bool:
        return self._strategy._comm is not None

    @property
    def experimental_should_init(self) -> bool:
        return True

    def _in_multi_worker_mode(self) -> bool:
        return self._strategy._comm is not None


class Strategy:
    """A way to distribute computation over replicas (TF's ``tf.distribute.Strategy``)."""

    def __init__(self, devices=None, comm=None, options=None, cluster_resolver=None):
        self._devices = list(devices) if devices else [None]
        self._comm = comm
        self._options = options or CommunicationOptions()
        self._cluster_resolver = cluster_resolver
        self._extended = StrategyExtended(self)
        self._profile = None  # a ``StepProfile`` collecting where fit's steps spend time
        # fit with one local replica over workers: all-reduce each gradient bucket as soon as
        # the backward pass has made it final (False: after the whole backward pass)
        self._overlap = True

    # ---- sizes ----------------------------------------------------------------------------
    @property
    def _num_local(self) -> int:
        return len(self._devices)

    @property
    def _num_workers(self) -> int:
        return 1 if self._comm is None else self._comm.size

    @property
    def _worker_index(self) -> int:
        return 0 if self._comm is None else self._comm.rank

    @property
    def _is_chief(self) -> bool:
        return self._worker_index == 0

    @property
    def _is_distributed(self) -> bool:
        return self.num_replicas_in_sync > 1 or self._comm is not None

    @property
    def num_replicas_in_sync(self) -> int:
        """How many replicas (over all workers) take part in each step."""
        return self._num_local * self._num_workers

    @property
    def extended(self) -> StrategyExtended:
        return self._extended

    @property
    def cluster_resolver(self):
        return self._cluster_resolver

    # ---- scope ----------------------------------------------------------------------------
    @contextlib.contextmanager
    def scope(self):
        """Make this the current strategy: models built and compiled here train under it."""
        stack = _stack()
        if stack and stack[-1] is not self:
            raise ValueError(
                f"Mixing different tf.distribute.Strategy objects: {self} is not {stack[-1]}"
            )
        stack.append(self)
        try:
            yield self
        finally:
            stack.pop()

    # ---- running ----------------------------------------------------------------------------
    def _device_scope(self, index):
        device = self._devices[index]
        return ops.device(device) if device is not None else contextlib.nullcontext()

    def run(self, fn, args=(), kwargs=None, options=None):
        """Call ``fn`` on each local replica with its part of ``args`` (``PerReplica`` values
        are split); returns a ``PerReplica`` with several local replicas, else the value."""
        kwargs = kwargs or {}
        n = self._num_local
        base = self._worker_index * n
        if n == 1:
            ctx = ReplicaContext(self, base, 0)
            a, k = _pick_replica(0, args, kwargs)
            with _in_replica(ctx), self._device_scope(0):
                return fn(*a, **k)
        if ops.executing_eagerly():
            return self._run_in_threads(fn, args, kwargs)
        results = []
        for i in range(n):  # inside a trace: one replica after the other, into the same graph
            a, k = _pick_replica(i, args, kwargs)
            with _in_replica(ReplicaContext(self, base + i, i)), self._device_scope(i):
                results.append(fn(*a, **k))
        return _regroup(results)

    def _run_in_threads(self, fn, args, kwargs):
        from tensorhouse_components.ops import collective

        n = self._num_local
        group = collective.LocalGroup(n, self._options.timeout_seconds)
        results, errors = [None] * n, [None] * n

        def replica(i):
            _state.stack = [self]
            a, k = _pick_replica(i, args, kwargs)
            ctx = ReplicaContext(self, self._worker_index * n + i, i, group)
            try:
                with _in_replica(ctx), self._device_scope(i):
                    results[i] = fn(*a, **k)
            except BaseException as e:  # re-raised in the caller's thread
                errors[i] = e
                group.abort()

        threads = [threading.Thread(target=replica, args=(i,), daemon=True) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        first = next((e for e in errors if e is not None and not _is_abort(e)), None)
        first = first or next((e for e in errors if e is not None), None)
        if first is not None:
            raise first
        return _regroup(results)

    def experimental_local_results(self, value) -> tuple:
        """The local replicas' values of ``value`` as a tuple."""
        return local_values(value)

    def experimental_distribute_values_from_function(self, value_fn):
        """A ``PerReplica`` of ``value_fn(ValueContext)`` for each local replica."""
        from ._input import ValueContext

        base = self._worker_index * self._num_local
        out = []
        for i in range(self._num_local):
            with self._device_scope(i):
                out.append(value_fn(ValueContext(base + i, self.num_replicas_in_sync)))
        return _regroup(out)

    # ---- reducing ---------------------------------------------------------------------------
    def reduce(self, reduce_op, value, axis=None):
        """``value`` (per replica) reduced across replicas, and along ``axis`` when given: the
        MEAN with an axis divides by the total number of elements along it."""
        op = ReduceOp.coerce(reduce_op)
        if axis is not None and not isinstance(axis, int):
            raise TypeError(f"axis must be an int or None. Received: axis={axis!r}")
        return _map_values(lambda v: self._reduce_one(op, v, axis), value)

    def _reduce_one(self, op, value, axis):
        if not isinstance(value, DistributedValues) and self._num_local > 1:
            if op is ReduceOp.MEAN and axis is None:
                return value
            if axis is None:
                raise ValueError(
                    f"A non-DistributedValues value {value} cannot be reduced with the given "
                    f"reduce op {op}."
                )
        values = [ops.convert_to_tensor(v) for v in local_values(value)]
        if not isinstance(value, DistributedValues) and self._num_local > 1:
            values = values * self._num_local  # the same value on every local replica
        if axis is not None:
            counts = [ops.cast(ops.shape(v)[axis], v.dtype) for v in values]
            values = [ops.reduce_sum(v, axis=axis) for v in values]
            total = ops.add_n(values) if len(values) > 1 else values[0]
            if op is ReduceOp.SUM:
                return self._cross_worker_sum_tensors([total])[0]
            count = ops.add_n(counts) if len(counts) > 1 else counts[0]
            total, count = self._cross_worker_sum_tensors([total, count])
            return total / count
        total = ops.add_n(values) if len(values) > 1 else values[0]
        total = self._cross_worker_sum_tensors([total])[0]
        if op is ReduceOp.MEAN:
            total = total / ops.cast(self.num_replicas_in_sync, total.dtype)
        return total

    def gather(self, value, axis):
        """The replicas' values concatenated along ``axis`` (all workers' when multi-worker)."""

        def one(v):
            parts = [ops.convert_to_numpy(t) for t in local_values(v)]
            local = np.concatenate(parts, axis=axis) if len(parts) > 1 else parts[0]
            if self._comm is not None:
                local = np.concatenate(self._comm.allgather_object(local), axis=axis)
            return ops.convert_to_tensor(local)

        return _map_values(one, value)

    # ---- cross-worker collectives (identity in one process) --------------------------------
    def _cross_worker_sum_arrays(self, arrays, op="sum"):
        """Sum NumPy arrays over the workers, fused into buckets (``bucket_all_reduce``: the
        results are views valid until the next call)."""
        if self._comm is None or not arrays:
            return arrays
        return bucket_all_reduce(self._comm, arrays, self._bucket_bytes, op)

    def _bucket_plan(self, specs, first_bucket_bytes=None):
        """The reused buckets (``BucketPlan``) for arrays of ``specs`` (``(shape, dtype)``):
        ``start(fill)`` writes each array straight into its view and starts each bucket's
        all-reduce as soon as it is full; ``wait`` gives the views, summed over the workers."""
        return plan_for(self._comm, specs, self._bucket_bytes, first_bucket_bytes)

    @property
    def _bucket_bytes(self) -> int:
        return self._options.bytes_per_pack or DEFAULT_BUCKET_BYTES

    def _cross_worker_sum_tensors(self, tensors):
        """Tensors summed over the workers; traceable (the MPI call runs as a NumPy function)."""
        if self._comm is None:
            return list(tensors)
        if ops.executing_eagerly():
            arrays = [np.asarray(ops.convert_to_numpy(t)) for t in tensors]
            summed = self._cross_worker_sum_arrays(arrays)
            return [ops.convert_to_tensor(a.copy()) for a in summed]

        def reduce_all(*arrays):
            summed = self._cross_worker_sum_arrays([np.asarray(a) for a in arrays])
            return tuple(a.copy() for a in summed)

        specs = [ops.TensorSpec(t.shape, t.dtype) for t in tensors]
        out = ops.numpy_function(reduce_all, list(tensors), specs)
        return list(out) if isinstance(out, list | tuple) else [out]

    def _broadcast_arrays(self, arrays):
        """Rank 0's arrays on every worker (in place)."""
        if self._comm is not None:
            for a in arrays:
                self._comm.broadcast(a, 0)
        return arrays

    def __repr__(self):
        return f"<{type(self).__name__} with {self.num_replicas_in_sync} replica(s)>"

    # ---- datasets ---------------------------------------------------------------------------
    def experimental_distribute_dataset(self, dataset, options=None):
        """Iterate ``dataset`` (its elements are global batches) with each replica's share."""
        from ._input import DistributedDataset

        return DistributedDataset(self, dataset, options)

    def distribute_datasets_from_function(self, dataset_fn, options=None):
        """``dataset_fn(InputContext)`` builds each worker's dataset of per-replica batches."""
        from ._input import DistributedDatasetsFromFunction

        return DistributedDatasetsFromFunction(self, dataset_fn, options)

    experimental_distribute_datasets_from_function = distribute_datasets_from_function


def _is_abort(e):
    return type(e).__name__ == "UnavailableError" and "local replica" in str(e)


def _map_values(fn, value):
    """``fn`` on each leaf of ``value`` (``keras.tree``'s; ``DistributedValues`` are leaves)."""
    return tree.map_structure(fn, value)


def _pick_replica(index, args, kwargs):
    def pick(v):
        return v.values[index] if isinstance(v, DistributedValues) else v

    return _map_values(pick, tuple(args)), _map_values(pick, dict(kwargs))


def _regroup(results):
    """Per-replica results as one structure of ``PerReplica`` leaves."""
    first = results[0]
    if all(r is first for r in results):  # one object on every replica: not per replica
        return first
    if isinstance(first, dict):
        return type(first)((k, _regroup([r[k] for r in results])) for k, v in first.items())
    if isinstance(first, list | tuple) and not hasattr(first, "_fields"):
        return type(first)(_regroup(list(parts)) for parts in zip(*results))
    if first is None:
        return None
    return PerReplica(results)


class OneDeviceStrategy(Strategy):
    """Everything on one device (one replica)."""

    def __init__(self, device):
        super().__init__([_canonical(device)])


class MirroredStrategy(Strategy):
    """Synchronous data parallelism over the devices of this process (logical CPUs, GPUs):
    each replica takes its share of a batch, gradients are all-reduced in process."""

    def __init__(self, devices=None, cross_device_ops=None):
        devices = [_canonical(d) for d in devices] if devices else _default_devices()
        if len(set(devices)) != len(devices):
            raise ValueError(f"No duplicates allowed in `devices` argument: {devices}")
        super().__init__(devices)
        self._cross_device_ops = cross_device_ops


def worker_threads() -> int:
    """Kernel threads for this worker: the runtime's default (the cores of its affinity mask)
    when it is pinned to fewer than the host's cores, else an equal share of the host's cores
    among the MPI ranks on it (``MPI_LOCALNRANKS``), at most ``OMP_NUM_THREADS`` when set."""
    cores = os.cpu_count() or 1
    mine = ops.config.threading.effective_intra_op_threads()
    local = os.environ.get("MPI_LOCALNRANKS") or os.environ.get("OMPI_COMM_WORLD_LOCAL_SIZE")
    n = mine if mine < cores else cores // max(1, int(local or 1))
    omp = os.environ.get("OMP_NUM_THREADS", "")
    if omp.isdigit() and int(omp) > 0:
        n = min(n, int(omp))
    return max(1, n)


def _share_cores():
    """Give this worker's kernels ``worker_threads()`` threads unless the thread count was set
    or the runtime already started (two ranks on two cores: one thread each, so ranks and
    their OpenMP threads do not time-slice one core)."""
    threading_config = ops.config.threading
    if threading_config.get_intra_op_parallelism_threads():
        return  # the user's choice
    with contextlib.suppress(RuntimeError):  # started already: too late, as in TF
        threading_config.set_intra_op_parallelism_threads(worker_threads())


class MultiWorkerMirroredStrategy(Strategy):
    """Synchronous data parallelism over workers, one process each, started with
    ``mpiexec -n N`` (the cluster from ``TF_CONFIG`` when set, mapped onto the MPI ranks):
    variables broadcast from rank 0, gradients all-reduced over MPI in fused buckets."""

    def __init__(self, cluster_resolver=None, communication_options=None):
        from tensorhouse_components.ops import collective

        from ._resolver import TFConfigClusterResolver

        options = CommunicationOptions().merge(communication_options)
        _share_cores()  # before the runtime starts (listing the GPUs below starts it)
        comm = collective.world(options.timeout_seconds)
        resolver = cluster_resolver or TFConfigClusterResolver(_comm=comm)
        workers = resolver.num_workers() if hasattr(resolver, "num_workers") else comm.size
        if workers not in (comm.size, 0):
            raise ValueError(
                f"TF_CONFIG names {workers} workers but MPI started {comm.size} processes; "
                f"launch with `mpiexec -n {workers}`."
            )
        rank = resolver.rank() if hasattr(resolver, "rank") else comm.rank
        if rank != comm.rank:
            raise ValueError(
                f"TF_CONFIG makes this task rank {rank} but its MPI rank is {comm.rank}; "
                "order TF_CONFIG's tasks by rank (chief first) or leave TF_CONFIG unset."
            )
        device = _canonical("/device:CPU:0", job="worker", task=comm.rank)
        gpus = ops.config.list_logical_devices("GPU")
        if gpus:
            device = _canonical(gpus[0].name, job="worker", task=comm.rank)
        super().__init__([device], comm, options, resolver)

    def _device_scope(self, index):
        return contextlib.nullcontext()  # the one local device is the default one


class _DefaultStrategy(Strategy):
    def _device_scope(self, index):
        return contextlib.nullcontext()

    @contextlib.contextmanager
    def scope(self):
        yield self


_DEFAULT = [None]


def _default_strategy():
    if _DEFAULT[0] is None:
        _DEFAULT[0] = _DefaultStrategy()
    return _DEFAULT[0]
