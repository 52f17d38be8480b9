"""``tf.distribute``: data-parallel training over the devices of one process
(``MirroredStrategy``) and over processes started by ``mpiexec`` (``MultiWorkerMirroredStrategy``,
MPI through ``mpi4py``: install ``tensorhouse[distributed]``)."""

import types as _types

from ._input import (
    AutoShardPolicy,
    DistributedDataset,
    DistributedIterator,
    InputContext,
    InputOptions,
    InputReplicationMode,
    ValueContext,
)
from ._resolver import ClusterSpec, TFConfigClusterResolver
from ._strategy import (
    CommunicationImplementation,
    CommunicationOptions,
    MirroredStrategy,
    MultiWorkerMirroredStrategy,
    OneDeviceStrategy,
    ReplicaContext,
    Strategy,
    StrategyExtended,
    get_replica_context,
    get_strategy,
    has_strategy,
    in_cross_replica_context,
)
from ._values import DistributedValues, PerReplica, ReduceOp

cluster_resolver = _types.SimpleNamespace(
    TFConfigClusterResolver=TFConfigClusterResolver, ClusterResolver=TFConfigClusterResolver
)
experimental = _types.SimpleNamespace(
    CommunicationImplementation=CommunicationImplementation,
    CollectiveCommunication=CommunicationImplementation,
    CommunicationOptions=CommunicationOptions,
    MultiWorkerMirroredStrategy=MultiWorkerMirroredStrategy,
    ValueContext=ValueContext,
)

__all__ = [
    "AutoShardPolicy", "ClusterSpec", "CommunicationImplementation", "CommunicationOptions",
    "DistributedDataset", "DistributedIterator", "DistributedValues", "InputContext",
    "InputOptions", "InputReplicationMode", "MirroredStrategy", "MultiWorkerMirroredStrategy",
    "OneDeviceStrategy", "PerReplica", "ReduceOp", "ReplicaContext", "Strategy",
    "StrategyExtended", "TFConfigClusterResolver", "ValueContext", "cluster_resolver",
    "experimental", "get_replica_context", "get_strategy", "has_strategy",
    "in_cross_replica_context",
]  # fmt: skip
