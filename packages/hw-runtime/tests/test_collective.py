"""collective: the in-process all-reduce between local replicas and, in a one-process MPI job,
the communicator's calls (the multi-process tests live with tf.distribute in models)."""

import threading

import numpy as np
import pytest

from tensorhouse_hw_runtime import collective, errors


def test_local_all_reduce_ops():
    parts = [np.array([1.0, 5.0], "float32"), np.array([3.0, 2.0], "float32")]
    np.testing.assert_array_equal(collective.local_all_reduce(parts, "sum"), [4.0, 7.0])
    np.testing.assert_array_equal(collective.local_all_reduce(parts, "mean"), [2.0, 3.5])
    np.testing.assert_array_equal(collective.local_all_reduce(parts, "max"), [3.0, 5.0])
    np.testing.assert_array_equal(collective.local_all_reduce(parts, "min"), [1.0, 2.0])
    np.testing.assert_array_equal(collective.local_all_reduce(parts, "prod"), [3.0, 10.0])
    assert collective.local_all_reduce(parts, "mean").dtype == np.float32
    np.testing.assert_array_equal(parts[0], [1.0, 5.0])  # inputs untouched
    with pytest.raises(errors.InvalidArgumentError, match="'median'"):
        collective.local_all_reduce(parts, "median")


def test_local_group_meets_three_threads_twice():
    group = collective.LocalGroup(3, timeout=30)
    results = {}

    def replica(i):
        first = group.all_reduce(i, np.array([i + 1.0]), "sum")
        second = group.all_reduce(i, np.array([10.0 * i]), "max")
        results[i] = (float(first[0]), float(second[0]))

    threads = [threading.Thread(target=replica, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {0: (6.0, 20.0), 1: (6.0, 20.0), 2: (6.0, 20.0)}


def test_local_group_times_out_when_a_replica_never_comes():
    group = collective.LocalGroup(2, timeout=0.2)
    with pytest.raises(errors.UnavailableError, match="local replica"):
        group.all_reduce(0, np.array([1.0]))


def test_one_process_communicator():
    if not collective.mpi_available():
        pytest.skip("mpi4py is not installed")
    comm = collective.world()
    assert (comm.rank, comm.size) == (0, 1)
    buf = np.array([1.0, 2.0], "float32")
    assert comm.allreduce(buf, "sum") is buf
    np.testing.assert_array_equal(buf, [1.0, 2.0])
    request = comm.iallreduce(buf, "mean")
    np.testing.assert_array_equal(request.wait(), [1.0, 2.0])
    assert request.test()
    assert comm.broadcast_object({"epoch": 3}) == {"epoch": 3}
    assert comm.allgather_object("x") == ["x"]
    comm.barrier()
    with pytest.raises(errors.InvalidArgumentError, match="C-contiguous"):
        comm.iallreduce(np.zeros((4, 4), "float32")[:, 1])


class _FakeMPIRequest:
    """An MPI request that completes on its ``n``-th ``Test`` (never when ``n`` is None)."""

    def __init__(self, n):
        self.n, self.tests = n, 0

    def Test(self):  # mpi4py's name
        self.tests += 1
        return self.n is not None and self.tests >= self.n


class _FakeComm:
    """What a ``Request`` reads of its communicator; ``_break`` raises as the real one does."""

    rank, size, timeout = 1, 2, 30.0

    class _MPI:  # mpi4py's ``MPI.Exception``
        Exception = RuntimeError

    def _break(self, message):
        self.broken = message
        raise errors.UnavailableError(f"Collective ops is aborted by: {message}")


def test_wait_polls_the_request_until_mpi_completes_it():
    buf = np.array([2.0, 4.0], "float32")
    pending = _FakeMPIRequest(250)  # past two of the yields to other threads
    request = collective.Request(_FakeComm(), pending, buf, "all-reduce of 8 bytes",
                                 post=lambda b: np.divide(b, 2, out=b))  # fmt: skip
    assert not request.test() and pending.tests == 1  # one poll, not done
    assert request.wait() is buf and request.done
    assert pending.tests == 250
    np.testing.assert_array_equal(buf, [1.0, 2.0])  # the mean's division ran once, at the end
    assert request.test() and pending.tests == 250  # done: no more MPI calls


def test_wait_times_out_with_a_clear_error_when_a_peer_never_comes():
    comm = _FakeComm()
    request = collective.Request(comm, _FakeMPIRequest(None), None, "barrier")
    with pytest.raises(errors.UnavailableError, match=r"barrier on rank 1 of 2 timed out after"):
        request.wait(timeout=0.05)
    assert "peer worker is dead or stuck" in comm.broken
