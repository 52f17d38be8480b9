"""Backends: one module per device type, imported lazily; a missing library never fails import.

A backend probes for its physical devices (raising ``BackendUnavailable`` with the reason when
its library or hardware is missing) and moves buffers: allocate, host to device, device to
host, and device to device within the backend. Copies between backends go through the host.
"""

from __future__ import annotations

import contextlib
import weakref
from typing import NamedTuple

import numpy as np

__all__ = ["Backend", "BackendUnavailable", "PhysicalInfo", "MemoryStats"]


class BackendUnavailable(Exception):
    """The backend's library or hardware is missing; the message says which."""


class PhysicalInfo(NamedTuple):
    device_type: str
    index: int
    details: dict
    native: object = None  # the backend's own device object (pycuda Device, jax Device)


class MemoryStats:
    """Current and peak bytes of the buffers a backend allocated for one logical device.

    ``counts`` holds ``[current, peak]`` as a C-contiguous int64 array: a native allocator
    (``Backend.set_native_allocator``) updates it in place when it creates and frees buffers.
    Buffers tracked from Python (``track``) are followed with weak references, so freeing a
    tensor's buffer lowers ``current`` either way.
    """

    __slots__ = ("counts", "_live")

    def __init__(self):
        self.counts = np.zeros(2, np.int64)
        self._live: dict = {}

    @property
    def current(self) -> int:
        return int(self.counts[0])

    @property
    def peak(self) -> int:
        return int(self.counts[1])

    def track(self, buffer, nbytes: int):
        if not nbytes:
            return buffer
        ref = weakref.ref(buffer, self._release)
        self._live[id(ref)] = (ref, nbytes)  # keyed by id: a weakref hashes its referent
        counts = self.counts
        counts[0] += nbytes
        if counts[0] > counts[1]:
            counts[1] = counts[0]
        return buffer

    def _release(self, ref):
        entry = self._live.pop(id(ref), None)
        if entry is not None:
            self.counts[0] -= entry[1]

    def reset_peak(self):
        self.counts[1] = self.counts[0]

    def as_dict(self) -> dict:
        return {"current": self.current, "peak": self.peak}


class Backend:
    """The interface each device type implements."""

    name = "?"
    device_types: tuple = ()
    # ``native_allocator(counts, shape, dtype) -> buffer``: set by ``set_native_allocator``.
    native_allocator = None
    writable_buffers = True  # kernels fill buffers allocated for them (not JAX's arrays)

    def set_native_allocator(self, allocator) -> None:
        """Use ``allocator(counts, shape, dtype)`` for this backend's buffers from now on.

        A kernel library with its own allocator installs it here (the CPU kernels do): it must
        return a buffer like ``allocate``'s and keep ``counts`` (the device's
        ``MemoryStats.counts``, int64 ``[current, peak]``) up to date itself, for as long as
        the buffer lives. ``None`` goes back to ``allocate``. Devices rebind at once.
        """
        self.native_allocator = allocator
        from ..devices import _runtime

        _runtime.rebind_allocators(self)

    def probe(self) -> list[PhysicalInfo]:
        raise NotImplementedError

    def allocate(self, device, shape, dtype):
        raise NotImplementedError

    def from_host(self, device, array):
        raise NotImplementedError

    def to_host(self, device, handle):
        raise NotImplementedError

    def copy(self, src, dst, handle):
        """Device to device within this backend."""
        return self.from_host(dst, self.to_host(src, handle))

    def synchronize(self, device):
        pass

    def activate(self, device):
        """A context manager under which kernels may launch work on ``device`` (the CUDA
        backend makes the device's context current; other backends need nothing)."""
        return contextlib.nullcontext()

    def memory_info(self, device) -> dict:
        return device.stats.as_dict()

    def reset_memory_stats(self, device):
        device.stats.reset_peak()
