"""Fused gradient buckets for the cross-worker all-reduce.

A ``BucketPlan`` is made once per list of ``(shape, dtype)`` (the gradients of a model, its
metric variables) and reused every step: the arrays are grouped by dtype and laid out in order
in flat buckets of about ``bucket_bytes``, each bucket one persistent buffer (MPI moves memory
it has seen before much faster than fresh allocations), each array a view into its bucket. A
step writes every array straight into its view (``fill``: a copy, or the sum of the local
replicas' gradients computed in place), and a bucket's all-reduce (MPI's non-blocking one)
starts as soon as its last array is written, while the next bucket is filled (each array
written drives MPI's progress on the started ones). The results are the views themselves: no
unpacking. A ``Filling`` takes the arrays one at a time as the backward pass makes them final
(``GradientTape.gradient``'s ``on_gradient``), so the all-reduce of the last layers' gradients
overlaps the backward pass of the first ones.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BucketPlan", "Filling", "bucket_all_reduce", "plan_for"]


class BucketPlan:
    """Persistent bucket buffers for arrays of ``specs`` (``(shape, dtype)`` pairs); the first
    bucket of each dtype closes at ``first_bucket_bytes`` when given (a small first bucket
    starts its all-reduce early, while the backward pass computes the rest)."""

    def __init__(self, comm, specs, bucket_bytes, first_bucket_bytes=None):
        self._comm = comm
        specs = [(tuple(shape), np.dtype(dtype)) for shape, dtype in specs]
        by_dtype: dict = {}
        for i, (_, dtype) in enumerate(specs):
            by_dtype.setdefault(dtype, []).append(i)
        groups = []  # the array indices of each bucket
        for indices in by_dtype.values():
            bucket, size = [], 0
            limit = min(bucket_bytes, first_bucket_bytes or bucket_bytes)
            for i in indices:
                bucket.append(i)
                size += int(np.prod(specs[i][0], dtype=np.int64)) * specs[i][1].itemsize
                if size >= limit:
                    groups.append(bucket)
                    bucket, size, limit = [], 0, bucket_bytes
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
                _advance(requests)
                requests.append(self._comm.iallreduce(self.buffers[b], op))
        return requests

    def begin(self, op="sum") -> Filling:
        """A step that fills the arrays one at a time, in any order (``Filling.put``)."""
        return Filling(self, op)

    def wait(self, requests) -> list:
        """Wait for ``start``'s requests; the views, reduced (valid until the next start)."""
        for request in requests:
            request.wait()
        return self.views

    def all_reduce(self, fill, op="sum") -> list:
        """``start`` then ``wait``: the views reduced, valid until the plan's next use."""
        return self.wait(self.start(fill, op))


class Filling:
    """One use of a ``BucketPlan`` whose arrays arrive one by one (from the backward pass):
    each bucket's all-reduce starts as soon as its last array is put."""

    def __init__(self, plan, op="sum"):
        self._plan, self._op = plan, op
        self._remaining = list(plan._counts)
        self._put = [False] * len(plan.views)
        self.requests: list = []

    def put(self, i, value):
        """Write array ``i`` into its view (None: zeros); start its bucket once full."""
        plan = self._plan
        if self._put[i]:
            raise ValueError(f"Array {i} of the bucket plan was already put in this step")
        self._put[i] = True
        view = plan.views[i]
        if value is None:
            view.fill(0)
        else:
            np.copyto(view, value, casting="unsafe")
        b = plan._bucket_of[i]
        self._remaining[b] -= 1
        _advance(self.requests)
        if self._remaining[b] == 0:
            self.requests.append(plan._comm.iallreduce(plan.buffers[b], self._op))

    def missing(self) -> list:
        """The indices not put yet."""
        return [i for i, done in enumerate(self._put) if not done]

    def wait(self) -> list:
        """Put zeros for the arrays not put, wait for every bucket; the reduced views."""
        for i in self.missing():
            self.put(i, None)
        return self._plan.wait(self.requests)


def _advance(requests):
    """Drive the pending all-reduces on (MPI moves data only inside its calls: one test of the
    oldest unfinished request advances them all)."""
    for request in requests:
        if not request.test():
            return


_PLANS: dict = {}  # (communicator, bucket bytes, specs) -> BucketPlan, least recent first
_MAX_PLANS = 32  # shapes that change every call (a custom loop's reductions) keep no more


def plan_for(comm, specs, bucket_bytes, first_bucket_bytes=None) -> BucketPlan:
    """The plan for ``specs`` on ``comm``, made on first use and reused after."""
    shapes = tuple((tuple(s), np.dtype(d).str) for s, d in specs)
    key = (id(comm), int(bucket_bytes), first_bucket_bytes, shapes)
    plan = _PLANS.pop(key, None)
    if plan is None:
        plan = BucketPlan(comm, specs, bucket_bytes, first_bucket_bytes)
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
