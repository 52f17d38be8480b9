"""Fused gradient buckets (``distribute._buckets``): the layout, buckets started as soon as they
are full, buffers reused across steps, and the all-reduce over ``mpiexec -n 2`` equal to NumPy's
sums for odd sizes and mixed dtypes (buckets filled one array at a time too, a rank late)."""

import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from tensorhouse_models.distribute import _buckets
from tensorhouse_models.distribute._buckets import BucketPlan, bucket_all_reduce, plan_for


class _Request:
    def __init__(self, log, buffer):
        self.log, self.buffer = log, buffer

    def test(self):  # done at once; ``wait`` logs when the plan waits
        return True

    def wait(self):
        self.log.append(("wait", self.buffer.size))
        return self.buffer


class _FakeComm:
    """Records the calls; the "all-reduce" of one process doubles the buffer (two ranks holding
    the same values)."""

    def __init__(self):
        self.log = []

    def iallreduce(self, buffer, op="sum"):
        self.log.append(("start", buffer.size, buffer.dtype.str, op))
        buffer *= 2
        return _Request(self.log, buffer)


SPECS = [((3, 5), "float32"), ((7,), "int64"), ((), "float32"), ((0,), "float32"),
         ((11,), "float32"), ((2, 2), "int64")]  # fmt: skip


def test_layout_groups_by_dtype_and_closes_buckets_at_the_size():
    comm = _FakeComm()
    plan = BucketPlan(comm, SPECS, bucket_bytes=64)
    # float32: 15 elements (60 B) + 1 (64 B: full) | 0 + 11 (44 B); int64: 7 (56 B) + 4 (88 B)
    assert [b.size for b in plan.buffers] == [16, 11, 11]
    assert [b.dtype.str for b in plan.buffers] == ["<f4", "<f4", "<i8"]
    for view, (shape, dtype) in zip(plan.views, SPECS):
        assert view.shape == shape and view.dtype == np.dtype(dtype)
    assert np.shares_memory(plan.views[0], plan.buffers[0])
    assert np.shares_memory(plan.views[2], plan.buffers[0])
    assert np.shares_memory(plan.views[4], plan.buffers[1])
    assert np.shares_memory(plan.views[5], plan.buffers[2])


def test_each_bucket_starts_once_its_last_array_is_written():
    comm = _FakeComm()
    plan = BucketPlan(comm, SPECS, bucket_bytes=64)

    def fill(i, view):
        comm.log.append(("fill", i))
        view[...] = i + 1

    out = plan.all_reduce(fill)
    assert comm.log == [
        ("fill", 0), ("fill", 1), ("fill", 2), ("start", 16, "<f4", "sum"), ("fill", 3),
        ("fill", 4), ("start", 11, "<f4", "sum"), ("fill", 5), ("start", 11, "<i8", "sum"),
        ("wait", 16), ("wait", 11), ("wait", 11),
    ]  # fmt: skip
    for i, array in enumerate(out):
        np.testing.assert_array_equal(array, np.full(SPECS[i][0], 2 * (i + 1)))


def test_start_returns_before_any_wait_and_wait_gives_the_views():
    comm = _FakeComm()
    plan = BucketPlan(comm, SPECS, bucket_bytes=64)
    requests = plan.start(lambda i, view: view.fill(i + 1))
    assert [e[0] for e in comm.log] == ["start"] * 3  # all three buckets on the wire
    assert len(requests) == 3
    out = plan.wait(requests)
    assert [e[0] for e in comm.log[3:]] == ["wait"] * 3
    assert all(a is v for a, v in zip(out, plan.views))
    for i, array in enumerate(out):
        np.testing.assert_array_equal(array, np.full(SPECS[i][0], 2 * (i + 1)))


def test_each_put_drives_the_started_buckets_on():
    """MPI moves a non-blocking all-reduce's data only inside MPI calls: every array put tests
    the oldest unfinished bucket (one test advances them all)."""
    polls = []

    class Pending:  # completes on its second test
        def __init__(self, index):
            self.index, self.tests = index, 0

        def test(self):
            if self.tests < 2:  # a finished request answers without MPI
                self.tests += 1
                polls.append(self.index)
            return self.tests >= 2

        def wait(self):
            return None

    class Comm:
        def __init__(self):
            self.started = 0

        def iallreduce(self, buffer, op="sum"):
            self.started += 1
            return Pending(self.started - 1)

    plan = BucketPlan(Comm(), [((4,), "float32")] * 4, bucket_bytes=16)  # a bucket per array
    filling = plan.begin()
    for i in range(4):
        filling.put(i, np.ones(4, "float32"))
    # put 1 tests bucket 0; put 2 finishes 0 and tests 1; put 3 finishes 1 and tests 2
    assert polls == [0, 0, 1, 1, 2]
    polls.clear()
    plan.all_reduce(lambda i, view: view.fill(i))  # ``start`` likewise, buckets 4 to 7
    assert polls == [4, 4, 5, 5, 6]


def test_plans_are_reused_and_inputs_left_alone():
    comm = _FakeComm()
    arrays = [np.arange(np.prod(s), dtype=d).reshape(s) for s, d in SPECS]
    before = [a.copy() for a in arrays]
    first = bucket_all_reduce(comm, arrays, 64)
    second = bucket_all_reduce(comm, arrays, 64)
    assert all(a is b for a, b in zip(first, second))  # the same views, step after step
    assert plan_for(comm, SPECS, 64) is plan_for(comm, SPECS, 64)
    for a, b, r in zip(arrays, before, second):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(r, 2 * b)


def test_plans_for_changing_shapes_are_bounded():
    comm = _FakeComm()
    first = plan_for(comm, [((1,), "float32")], 64)
    for n in range(2, 50):  # a reduction whose shape changes every call
        plan_for(comm, [((n,), "float32")], 64)
    assert len(_buckets._PLANS) <= _buckets._MAX_PLANS
    assert plan_for(comm, [((49,), "float32")], 64).views[0].shape == (49,)
    assert plan_for(comm, [((1,), "float32")], 64) is not first  # dropped, made again


# ---- two processes --------------------------------------------------------------------------
def _mpiexec():
    if importlib.util.find_spec("mpi4py") is None:
        return None
    here = Path(sys.executable).parent / "mpiexec"
    return str(here) if here.exists() else shutil.which("mpiexec")


MPI_SPECS = [((7,), "float32"), ((3, 5), "float64"), ((), "float32"), ((13, 3), "int32"),
             ((0,), "float32"), ((100003,), "float32"), ((1,), "int64"), ((9, 1, 2), "float64"),
             ((4097,), "float32")]  # fmt: skip


def _values(rank, step):
    rng = np.random.default_rng(1000 * step + rank)
    out = []
    for shape, dtype in MPI_SPECS:
        if np.dtype(dtype).kind == "f":
            out.append(rng.normal(size=shape).astype(dtype))
        else:
            out.append(rng.integers(-1000, 1000, size=shape).astype(dtype))
    return out


WORKER = textwrap.dedent(
    """
    import sys
    import time
    import numpy as np
    from tensorhouse_models import ops
    from tensorhouse_models.distribute._buckets import bucket_all_reduce, plan_for
    sys.path.insert(0, sys.argv[2])
    from test_distribute_buckets import _values

    comm = ops.collective.world(timeout=60)
    out = {}
    for bucket_bytes in (64, 4096, 1 << 22):
        for step in range(2):  # the second step reuses the first one's buffers
            arrays = _values(comm.rank, step)
            kept = [a.copy() for a in arrays]
            if step == 0:
                result = bucket_all_reduce(comm, arrays, bucket_bytes)
            else:  # a filling, put last first, rank 1 late: rank 0 waits for it
                if comm.rank == 1:
                    time.sleep(0.3)
                plan = plan_for(comm, [(a.shape, a.dtype) for a in arrays], bucket_bytes)
                filling = plan.begin()
                for i in reversed(range(len(arrays))):
                    filling.put(i, arrays[i])
                result = filling.wait()
            assert all(np.array_equal(a, b) for a, b in zip(arrays, kept))
            for i, r in enumerate(result):
                out[f"{bucket_bytes}_{step}_{i}"] = r.copy()
    np.savez(sys.argv[1] + f"/rank{comm.rank}.npz", **out)
    """
)


@pytest.mark.skipif(_mpiexec() is None, reason="needs mpi4py and mpiexec (the mpich wheel)")
def test_two_ranks_sum_like_numpy(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env.pop("TF_CONFIG", None)
    here = os.path.dirname(os.path.abspath(__file__))
    cmd = [_mpiexec(), "-n", "2", "-host", "127.0.0.1", sys.executable, str(script),
           str(tmp_path), here]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    with np.load(tmp_path / "rank0.npz") as r0, np.load(tmp_path / "rank1.npz") as r1:
        for bucket_bytes in (64, 4096, 1 << 22):
            for step in range(2):
                want = [a + b for a, b in zip(_values(0, step), _values(1, step))]
                for i, w in enumerate(want):
                    key = f"{bucket_bytes}_{step}_{i}"
                    assert r0[key].dtype == w.dtype and r0[key].shape == w.shape, key
                    np.testing.assert_array_equal(r0[key], w, err_msg=key)  # a + b: exact
                    np.testing.assert_array_equal(r1[key], w, err_msg=key)
