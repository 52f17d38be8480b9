"""Collective communication from the runtime, passed up on purpose: MPI between processes
(``world()``, a ``Communicator``) and the all-reduce between local devices."""

from tensorhouse_kernels.runtime import collective as _collective

Communicator = _collective.Communicator
LocalGroup = _collective.LocalGroup
Request = _collective.Request
local_all_reduce = _collective.local_all_reduce
mpi_available = _collective.mpi_available
world = _collective.world

__all__ = [
    "Communicator", "LocalGroup", "Request", "local_all_reduce", "mpi_available", "world",
]  # fmt: skip
