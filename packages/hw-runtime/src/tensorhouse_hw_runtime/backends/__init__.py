"""Backends: one module per device type, imported lazily; a missing library never fails import.

A backend probes for its physical devices (raising ``BackendUnavailable`` with the reason when
its library or hardware is missing) and moves buffers: allocate, host to device, device to
host, and device to device within the backend. Copies between backends go through the host.
"""

from __future__ import annotations

import weakref
from typing import NamedTuple

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

    Buffers are tracked with weak references, so freeing a tensor's buffer lowers ``current``.
    """

    __slots__ = ("current", "peak", "_live")

    def __init__(self):
        self.current = 0
        self.peak = 0
        self._live: dict = {}

    def track(self, buffer, nbytes: int):
        if not nbytes:
            return buffer
        ref = weakref.ref(buffer, self._release)
        self._live[id(ref)] = (ref, nbytes)  # keyed by id: a weakref hashes its referent
        self.current += nbytes
        if self.current > self.peak:
            self.peak = self.current
        return buffer

    def _release(self, ref):
        entry = self._live.pop(id(ref), None)
        if entry is not None:
            self.current -= entry[1]

    def reset_peak(self):
        self.peak = self.current

    def as_dict(self) -> dict:
        return {"current": self.current, "peak": self.peak}


class Backend:
    """The interface each device type implements."""

    name = "?"
    device_types: tuple = ()

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

    def memory_info(self, device) -> dict:
        return device.stats.as_dict()

    def reset_memory_stats(self, device):
        device.stats.reset_peak()
