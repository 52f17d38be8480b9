"""The kernel registry: (op type, device type, dispatch key) -> kernel, with priorities.

The registry stores callables and chooses among them; it does not call them. How a kernel is
called is the kernel library's contract (``tensorhouse_kernels.execute``): one call form,
``kernel(inputs, outputs, attrs)``, that fills ``outputs`` and returns nothing. The dispatch key is
a NumPy dtype for most ops. ``find`` is the hot path: one dict lookup that returns ``None`` on a
miss; ``dispatch.dispatch`` is the one caller that adds placement and logging to it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from . import errors

__all__ = ["KernelRegistry", "KernelInfo", "registry", "register_kernel", "list_kernels"]


class KernelInfo(NamedTuple):
    op_type: str
    device_type: str
    dtype: str
    priority: int
    source: str
    kernel: Callable


_NAMES: dict = {}  # np.dtype -> its name (NumPy computes ``dtype.name`` in Python, slowly)


def _dtype_name(dt: np.dtype) -> str:
    name = _NAMES.get(dt)
    if name is None:
        name = _NAMES[dt] = dt.name
    return name


def _dtype_key(dtype) -> np.dtype:
    try:
        return np.dtype(dtype)
    except TypeError:
        msg = f"Cannot register a kernel for dtype {dtype!r}: not a NumPy dtype"
        raise TypeError(msg) from None


class KernelRegistry:
    def __init__(self):
        self._lock = threading.Lock()
        self._all: dict[tuple, list[KernelInfo]] = {}  # every registration, best first
        self._best: dict[tuple, Callable] = {}  # the hot-path table
        self._deferred: list[tuple[frozenset, Callable]] = []  # (device types, loader)
        self._load_lock = threading.RLock()  # a loader registers: the lock is re-entered
        self._loader = None  # the thread running loaders now (others wait for it on the lock)
        # find((op_type, device_type, key)) -> kernel or None: the hot-path lookup
        self.find = self._best.get

    def defer(self, device_types, loader: Callable[[], None]):
        """Call ``loader()``, which registers the kernels of ``device_types``, only when the
        registry is first asked about one of those device types (spares the import its cost)."""
        with self._load_lock:
            self._deferred.append((frozenset(t.upper() for t in device_types), loader))

    def load_deferred(self, device_type=None) -> bool:
        """Run the deferred loaders of ``device_type`` (of every type when None); True if any
        ran. The registry's own queries call it: callers need not."""
        loader = self._loader
        if not self._deferred and loader is None:
            return False
        me = threading.get_ident()
        waited = loader not in (None, me)  # another thread's loader: its kernels count
        with self._load_lock:  # waits while another thread's loader runs
            ran, outer = waited, self._loader
            for entry in list(self._deferred):
                if entry not in self._deferred:  # a loader above ran it (its registers)
                    continue
                if device_type is None or device_type.upper() in entry[0]:
                    self._deferred.remove(entry)  # first: the loader's own registers
                    self._loader = me
                    try:
                        entry[1]()
                    finally:
                        self._loader = outer
                    ran = True
            return ran

    def register(self, op_type, device_type, dtype, kernel, *, priority=0, source=None):
        """Register ``kernel``; the highest priority wins. Equal priorities are an error."""
        if self._deferred:  # the deferred kernels first: a clash is reported as it would be
            self.load_deferred(device_type)
        if not callable(kernel):
            raise TypeError(f"kernel for {op_type} must be callable, got {type(kernel).__name__}")
        dt = _dtype_key(dtype)
        key = (op_type, device_type.upper(), dt)
        info = KernelInfo(
            op_type,
            key[1],
            _dtype_name(dt),
            int(priority),
            source or getattr(kernel, "__module__", "?"),
            kernel,
        )
        with self._lock:
            entries = self._all.setdefault(key, [])
            for other in entries:
                if other.priority == info.priority:
                    raise errors.AlreadyExistsError(
                        f"A kernel for op '{op_type}' on {key[1]} with dtype {dt.name} is already "
                        f"registered at priority {priority} (from {other.source}); register "
                        "with a higher priority to override it"
                    )
            entries.append(info)
            if len(entries) > 1:
                entries.sort(key=lambda e: -e.priority)
            self._best[key] = entries[0].kernel

    def unregister(self, op_type, device_type, dtype, priority=0):
        self.load_deferred(device_type)
        key = (op_type, device_type.upper(), _dtype_key(dtype))
        with self._lock:
            entries = [e for e in self._all.get(key, []) if e.priority != priority]
            if entries:
                self._all[key] = entries
                self._best[key] = entries[0].kernel
            else:
                self._all.pop(key, None)
                self._best.pop(key, None)

    def lookup(self, op_type: str, device_type: str, dtype) -> Callable:
        """The best kernel; a dtype given by name works too. NotFoundError lists the others."""
        try:
            return self._best[(op_type, device_type, dtype)]
        except KeyError:
            pass
        return self._missing(op_type, device_type, dtype)

    def has(self, op_type: str, device_type: str, dtype) -> bool:
        """Whether a kernel is registered for exactly this key."""
        key = (op_type, device_type, dtype)
        if key in self._best:
            return True
        return self.load_deferred(device_type) and key in self._best

    def _missing(self, op_type, device_type, dtype):
        self.load_deferred(device_type)
        dt = np.dtype(dtype)
        key = (op_type, device_type, dt)
        if key in self._best:  # a dtype given by name rather than as np.dtype
            return self._best[key]
        have = sorted(f"{k[1]}:{k[2].name}" for k in self._best if k[0] == op_type)
        listing = ", ".join(have) if have else "none"
        raise errors.NotFoundError(
            f"No kernel registered for op '{op_type}' on device type {device_type} with dtype "
            f"{dt.name}. Registered kernels for '{op_type}': {listing}"
        )

    def list_kernels(self, op_type=None, device_type=None) -> list[KernelInfo]:
        self.load_deferred(device_type)
        out = []
        for entries in self._all.values():
            for e in entries:
                if op_type is not None and e.op_type != op_type:
                    continue
                if device_type is not None and e.device_type != device_type.upper():
                    continue
                out.append(e)
        return sorted(out, key=lambda e: (e.op_type, e.device_type, e.dtype, -e.priority))

    def op_types(self, device_type=None) -> set[str]:
        self.load_deferred(device_type)
        return {k[0] for k in self._best if device_type is None or k[1] == device_type}


registry = KernelRegistry()
list_kernels = registry.list_kernels


def register_kernel(op_type, device_type, dtypes, *, priority=0, source=None):
    """Decorator: register the function for each dtype in ``dtypes``."""
    if isinstance(dtypes, str | np.dtype) or not hasattr(dtypes, "__iter__"):
        dtypes = [dtypes]

    def wrap(fn):
        for dt in dtypes:
            registry.register(op_type, device_type, dt, fn, priority=priority, source=source)
        return fn

    return wrap
