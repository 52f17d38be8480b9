"""Fused gradient buckets for the cross-worker all-reduce.

A ``BucketPlan`` is made once per list of ``(shape, dtype)`` (the gradients of a model, its
metric variables) and reused every step: the arrays are grouped by dtype and laid out in order
in flat buckets of about ``bucket_bytes``, each bucket one persistent buffer (MPI moves memory
it has seen before much faster than fresh allocations), each array a view into its bucket. A
step writes every array straight into its view (``fill``: a copy, or the sum of the local
replicas' gradients computed in place), and a bucket's all-reduce starts on the communicator's
progress thread as soon as its last array is written, while the next bucket is filled. The
results are the views themselves: no unpacking.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BucketPlan", "bucket_all_reduce", "plan_for"]


class BucketPlan:
    """Persistent bucket buffers for arrays of ``specs`` (``(shape, dtype)`` pairs)."""

    def __init__(self, comm, specs, bucket_bytes):
        self._comm = comm
        specs = [(tuple(shape), np.dtype(dtype)) for shape, dtype in specs]
        by_dtype: dict = {}
        for i, (_, dtype) in enumerate(specs):
            by_dtype.setdefault(dtype, []).append(i)
        groups = []  # the array indices of each bucket
        for indices in by_dtype.values():
            bucket, size = [], 0
            for i in indices:
                bucket.append(i)
                size += int(np.prod(specs[i][0], dtype=np.int64)) * specs[i][1].itemsize
                if size >= bucket_bytes:
                    groups.append(bucket)
                    bucket, size = [], 0
            if bucket:
                groups.append(bucket)
        self.buffers: list[np.ndarray] = []
        self.views: list = [None] * len(specs)
        self._bucket_of = [0] * len(specs)
        self._counts = [len(g) for g in groups]
        for b, group in enumerate(groups):
            sizes = [int(np.prod(specs[i][0], dtype=np.int64)) for i in group]
            flat = np.empty(sum(sizes), specs[group[0]][1])
            self.buffers.append(flat)
            offset = 0
            for i, n in zip(group, sizes):
                self.views[i] = flat[offset : offset + n].reshape(specs[i][0])
                self._bucket_of[i] = b
                offset += n

    def start(self, fill, op="sum") -> list:
        """Call ``fill(i, view)`` for each array in order (it writes array ``i`` into
        ``view``), starting each bucket's all-reduce as soon as its arrays are written;
        returns the pending requests (``wait`` for them)."""
        remaining = list(self._counts)
        requests = []
        for i, view in enumerate(self.views):
            fill(i, view)
            b = self._bucket_of[i]
            remaining[b] -= 1
            if remaining[b] == 0:
                requests.append(self._comm.iallreduce(self.buffers[b], op))
        return requests

    def wait(self, requests) -> list:
        """Wait for ``start``'s requests; the views, reduced (valid until the next start)."""
        for request in requests:
            request.wait()
        return self.views

    def all_reduce(self, fill, op="sum") -> list:
        """``start`` then ``wait``: the views reduced, valid until the plan's next use."""
        return self.wait(self.start(fill, op))


_PLANS: dict = {}  # (communicator, bucket bytes, specs) -> BucketPlan, least recent first
_MAX_PLANS = 32  # shapes that change every call (a custom loop's reductions) keep no more


def plan_for(comm, specs, bucket_bytes) -> BucketPlan:
    """The plan for ``specs`` on ``comm``, made on first use and reused after."""
    key = (id(comm), int(bucket_bytes), tuple((tuple(s), np.dtype(d).str) for s, d in specs))
    plan = _PLANS.pop(key, None)
    if plan is None:
        plan = BucketPlan(comm, specs, bucket_bytes)
        if len(_PLANS) >= _MAX_PLANS:
            del _PLANS[next(iter(_PLANS))]
    _PLANS[key] = plan  # the most recent last
    return plan


def bucket_all_reduce(comm, arrays, bucket_bytes, op="sum") -> list:
    """All-reduce a list of arrays over ``comm`` in fused buckets of about ``bucket_bytes``
    (arrays grouped by dtype). The inputs are left alone; the results are views into the
    plan's buffers, valid until the next call with the same shapes (copy what must outlive
    it)."""
    arrays = [np.asarray(a) for a in arrays]
    plan = plan_for(comm, [(a.shape, a.dtype) for a in arrays], bucket_bytes)
    return plan.all_reduce(lambda i, view: np.copyto(view, arrays[i]), op)
