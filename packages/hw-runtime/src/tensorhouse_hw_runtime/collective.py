"""Collective communication: MPI between processes (``mpi4py``, imported only when asked for)
and an all-reduce between the devices of one process.

MPI collectives start as MPI's non-blocking ones from the calling thread (no hand-off to a
thread of our own: none of its wake-up latency); the caller gets a request whose ``test()``
drives MPI's progress and whose ``wait()`` polls it against a deadline, so a dead peer ends in a
clear ``UnavailableError`` instead of a hang. A communicator that timed out aborts the MPI job
when the process exits (MPI cannot finalize with a peer gone and a request pending).
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import time
from typing import NoReturn

import numpy as np

from .errors import InvalidArgumentError, UnavailableError

__all__ = [
    "Communicator",
    "LocalGroup",
    "Request",
    "local_all_reduce",
    "mpi_available",
    "world",
]

_OPS = ("sum", "mean", "max", "min", "prod")
DEFAULT_TIMEOUT = 300.0  # seconds a collective may wait for its peers
_POLLS_PER_YIELD = 100  # a waiting rank offers its core to others this often (MPICH: 1000)


def _check_op(op: str) -> str:
    op = str(op).lower()
    if op not in _OPS:
        raise InvalidArgumentError(f"Unsupported reduction {op!r}; expected one of {_OPS}.")
    return op


def _env_timeout():
    value = os.environ.get("TENSORHOUSE_COLLECTIVE_TIMEOUT")
    return float(value) if value else DEFAULT_TIMEOUT


def mpi_available() -> bool:
    """Whether ``mpi4py`` can be imported (the ``distributed`` extra is installed)."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def _mpi():
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise ImportError(
            "Multi-worker collectives need mpi4py and an MPI library: install "
            "`tensorhouse[distributed]` (pip install mpi4py mpich)."
        ) from e
    return MPI


class Request:
    """A pending collective (an MPI request): ``test()`` advances it and says whether it has
    completed; ``wait()`` completes it or raises ``UnavailableError`` when its peers do not
    answer within the timeout."""

    def __init__(self, comm: Communicator, request, buffer, what: str, post=None):
        self._comm, self._request, self.buffer = comm, request, buffer
        self._what, self._post = what, post
        self.done = False

    def _poll(self) -> bool:
        try:
            return self._request.Test()
        except self._comm._MPI.Exception as e:  # MPI's own text in the error
            comm = self._comm
            comm._break(f"{self._what} failed on rank {comm.rank}: {e.Get_error_string()}")

    def test(self) -> bool:
        """Whether the collective has completed (never blocks; advances MPI's progress)."""
        if not self.done and self._poll():
            self._finish()
        return self.done

    def _finish(self):
        self.done = True
        if self._post is not None:
            self._post(self.buffer)

    def wait(self, timeout: float | None = None) -> np.ndarray:
        """Block until complete (at most ``timeout`` seconds); returns the buffer."""
        if not self.done:
            comm = self._comm
            limit = comm.timeout if timeout is None else timeout
            deadline = time.monotonic() + limit
            polls = 0
            while not self._poll():  # MPI progresses only inside its calls: poll it
                polls += 1
                if polls % _POLLS_PER_YIELD == 0:
                    if time.monotonic() > deadline:
                        comm._break(
                            f"{self._what} on rank {comm.rank} of {comm.size} timed out after "
                            f"{limit:g} s: a peer worker is dead or stuck (collective timeout; "
                            "see CommunicationOptions(timeout_seconds=...))."
                        )
                    os.sched_yield()  # a rank sharing this core gets it (oversubscribed)
            self._finish()
        return self.buffer


class Communicator:
    """A group of processes (an MPI communicator): rank, size and collectives on NumPy buffers.

    Buffers are reduced in place. ``timeout`` (seconds) bounds every wait for peers. Every
    collective is MPI's non-blocking one, started by the calling thread; collectives must be
    started in the same order on every rank (MPI's rule)."""

    def __init__(self, comm=None, timeout: float | None = None):
        MPI = _mpi()
        self._MPI = MPI
        self._comm = MPI.COMM_WORLD if comm is None else comm
        self.timeout = _env_timeout() if timeout is None else float(timeout)
        self.broken = None  # the error that broke this communicator, once one did
        self._rank, self._size = self._comm.Get_rank(), self._comm.Get_size()

    def _start(self, start, buffer, what, post=None) -> Request:
        self._check()
        try:
            request = start()
        except self._MPI.Exception as e:
            self._break(f"{what} failed on rank {self.rank}: {e.Get_error_string()}")
        return Request(self, request, buffer, what, post)

    @property
    def rank(self) -> int:
        return self._rank

    @property
    def size(self) -> int:
        return self._size

    def _mpi_op(self, op):
        op = _check_op(op)
        return {
            "sum": self._MPI.SUM, "mean": self._MPI.SUM, "max": self._MPI.MAX,
            "min": self._MPI.MIN, "prod": self._MPI.PROD,
        }[op]  # fmt: skip

    def _check(self):
        if self.broken is not None:
            raise UnavailableError(f"The communicator is broken: {self.broken}")

    def _break(self, message) -> NoReturn:
        self.broken = message
        _ABORT_AT_EXIT.add(self)
        raise UnavailableError(f"Collective ops is aborted by: {message}")

    def abort(self, code: int = 1):
        """End every process of the group (``MPI_Abort``)."""
        sys.stdout.flush()
        sys.stderr.flush()
        self._comm.Abort(code)

    # ---- collectives --------------------------------------------------------------------
    def iallreduce(self, buffer: np.ndarray, op: str = "sum") -> Request:
        """Start an in-place all-reduce of a C-contiguous array; ``wait()`` the result."""
        if not buffer.flags.c_contiguous or not buffer.flags.writeable:
            raise InvalidArgumentError("all-reduce buffers must be writable C-contiguous arrays")
        size = self.size
        post = (lambda b: np.divide(b, size, out=b, casting="unsafe")) if op == "mean" else None
        mpi_op = self._mpi_op(op)
        start = lambda: self._comm.Iallreduce(self._MPI.IN_PLACE, buffer, mpi_op)  # noqa: E731
        return self._start(start, buffer, f"all-reduce of {buffer.nbytes} bytes", post)

    def allreduce(self, buffer: np.ndarray, op: str = "sum") -> np.ndarray:
        """All-reduce ``buffer`` in place across the group; returns it."""
        return self.iallreduce(buffer, op).wait()

    def broadcast(self, buffer: np.ndarray, root: int = 0) -> np.ndarray:
        """Overwrite ``buffer`` on every rank with ``root``'s; returns it."""
        start = lambda: self._comm.Ibcast(buffer, root=root)  # noqa: E731
        return self._start(start, buffer, f"broadcast of {buffer.nbytes} bytes").wait()

    def broadcast_object(self, obj=None, root: int = 0):
        """A small picklable object from ``root`` on every rank."""
        data = np.frombuffer(_pickle(obj), np.uint8) if self.rank == root else None
        n = np.array([0 if data is None else data.size], np.int64)
        self.broadcast(n, root)
        buf = data.copy() if data is not None else np.empty(int(n[0]), np.uint8)
        self.broadcast(buf, root)
        return _unpickle(buf)

    def allgather_object(self, obj) -> list:
        """Every rank's ``obj``, in rank order, on every rank."""
        data = np.frombuffer(_pickle(obj), np.uint8)
        sizes = np.zeros(self.size, np.int64)
        sizes[self.rank] = data.size
        self.allreduce(sizes, "sum")
        out = np.empty(int(sizes.sum()), np.uint8)
        start = lambda: self._comm.Iallgatherv(data, [out, (sizes, None)])  # noqa: E731
        self._start(start, out, f"all-gather of {int(sizes.sum())} bytes").wait()
        offsets = np.concatenate([[0], np.cumsum(sizes)])
        return [_unpickle(out[offsets[i] : offsets[i + 1]]) for i in range(self.size)]

    def barrier(self):
        """Wait until every rank reaches the barrier (bounded by the timeout)."""
        self._start(self._comm.Ibarrier, None, "barrier").wait()


def _pickle(obj) -> bytes:
    import pickle

    return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)


def _unpickle(buf: np.ndarray):
    import pickle

    return pickle.loads(buf.tobytes())


class _AbortAtExit:
    """Communicators that timed out: the process aborts the MPI job as it exits."""

    def __init__(self):
        self._comms = []
        self._registered = False

    def add(self, comm):
        self._comms.append(comm)
        if not self._registered:  # after mpi4py's own atexit, so it runs before Finalize
            atexit.register(self._run)
            self._registered = True

    def _run(self):
        if self._comms:
            self._comms[0].abort(1)


_ABORT_AT_EXIT = _AbortAtExit()
_WORLD = None


def world(timeout: float | None = None) -> Communicator:
    """The communicator of every process the job started (``mpiexec -n N``), made once."""
    global _WORLD
    if _WORLD is None:
        _WORLD = Communicator(timeout=timeout)
    elif timeout is not None:
        _WORLD.timeout = float(timeout)
    return _WORLD


# ---- one process, several devices ---------------------------------------------------------
def local_all_reduce(buffers, op: str = "sum") -> np.ndarray:
    """Reduce same-shaped arrays (one per local device) into one new array."""
    op = _check_op(op)
    arrays = [np.asarray(b) for b in buffers]
    if not arrays:
        raise InvalidArgumentError("local_all_reduce needs at least one buffer")
    if op in ("sum", "mean"):
        out = np.array(arrays[0], copy=True)
        for a in arrays[1:]:
            out += a
        if op == "mean":
            out = (out / len(arrays)).astype(arrays[0].dtype)
        return out
    fn = {"max": np.maximum, "min": np.minimum, "prod": np.multiply}[op]
    out = np.array(arrays[0], copy=True)
    for a in arrays[1:]:
        fn(out, a, out=out)
    return out


class LocalGroup:
    """``n`` threads (one per local replica) meeting to all-reduce: each calls
    ``all_reduce(index, value)`` and all get the same reduced array."""

    def __init__(self, n: int, timeout: float | None = None):
        self.n = n
        self.timeout = _env_timeout() if timeout is None else timeout
        self._slots: list = [None] * n
        self._result = None
        self._barrier = threading.Barrier(n, action=self._reduce)
        self._op = "sum"

    def _reduce(self):
        self._result = local_all_reduce(self._slots, self._op)

    def all_reduce(self, index: int, value, op: str = "sum") -> np.ndarray:
        self._op = _check_op(op)
        self._slots[index] = np.asarray(value)
        self._wait()
        result = self._result
        self._wait()  # nobody starts the next round before everyone has read this one
        assert result is not None  # set by the barrier's action before anyone passes it
        return result

    def _wait(self):
        try:
            self._barrier.wait(self.timeout)
        except threading.BrokenBarrierError:
            raise UnavailableError(
                "A local replica failed or timed out before reaching the all-reduce."
            ) from None

    def abort(self):
        """Release the other replicas (one failed)."""
        self._barrier.abort()
