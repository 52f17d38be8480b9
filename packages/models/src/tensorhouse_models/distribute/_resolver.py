"""The cluster of a multi-worker job: TF's ``TF_CONFIG`` mapped onto the MPI ranks."""

from __future__ import annotations

import json
import os

__all__ = ["ClusterSpec", "TFConfigClusterResolver"]


class ClusterSpec:
    """Jobs and their task addresses (TF's ``tf.train.ClusterSpec``, read-only)."""

    def __init__(self, cluster):
        if isinstance(cluster, ClusterSpec):
            cluster = cluster.as_dict()
        self._cluster = {job: list(tasks) for job, tasks in dict(cluster or {}).items()}

    @property
    def jobs(self) -> list:
        return list(self._cluster)

    def num_tasks(self, job_name) -> int:
        return len(self._cluster.get(job_name, []))

    def task_address(self, job_name, task_index):
        return self._cluster[job_name][task_index]

    def as_dict(self) -> dict:
        return {job: list(tasks) for job, tasks in self._cluster.items()}

    def __bool__(self):
        return bool(self._cluster)

    def __eq__(self, other):
        return isinstance(other, ClusterSpec) and self.as_dict() == other.as_dict()

    def __repr__(self):
        return f"ClusterSpec({self._cluster})"


class TFConfigClusterResolver:
    """The cluster from the ``TF_CONFIG`` environment variable; without it, the MPI job's
    ranks are the workers (rank 0 the chief)."""

    def __init__(self, task_type=None, task_id=None, rpc_layer=None, environment=None,
                 _comm=None):  # fmt: skip
        self._config = json.loads(os.environ.get("TF_CONFIG") or "{}")
        self._comm = _comm
        task = self._config.get("task", {})
        self._task_type = task_type or task.get("type")
        self._task_id = task_id if task_id is not None else task.get("index")
        self.rpc_layer = rpc_layer or self._config.get("rpc_layer")
        self.environment = environment or self._config.get("environment", "")
        if self._task_type is None and _comm is not None:
            self._task_type, self._task_id = "worker", _comm.rank

    @property
    def task_type(self):
        return self._task_type

    @task_type.setter
    def task_type(self, value):
        self._task_type = value

    @property
    def task_id(self):
        return self._task_id

    @task_id.setter
    def task_id(self, value):
        self._task_id = value

    def cluster_spec(self) -> ClusterSpec:
        """The cluster in ``TF_CONFIG`` (or ``worker`` tasks on this host, one per rank)."""
        cluster = self._config.get("cluster")
        if not cluster and self._comm is not None:
            cluster = {"worker": [f"localhost:{rank}" for rank in range(self._comm.size)]}
        return ClusterSpec(cluster or {})

    def num_workers(self) -> int:
        """The chief and worker tasks together."""
        spec = self.cluster_spec()
        return spec.num_tasks("chief") + spec.num_tasks("worker")

    def rank(self) -> int:
        """This task's MPI rank: the chief is 0, ``worker`` i follows it."""
        index = int(self._task_id or 0)
        if self._task_type == "chief":
            return 0
        return index + self.cluster_spec().num_tasks("chief")

    def master(self, task_type=None, task_id=None, rpc_layer=None) -> str:
        task_type = task_type or self._task_type
        task_id = self._task_id if task_id is None else task_id
        if not task_type:
            return ""
        address = self.cluster_spec().task_address(task_type, int(task_id))
        layer = rpc_layer or self.rpc_layer
        return f"{layer}://{address}" if layer else address

    def num_accelerators(self, task_type=None, task_id=None, config_proto=None) -> dict:
        return {}
