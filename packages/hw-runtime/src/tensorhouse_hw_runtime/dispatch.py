"""The one dispatch path: which kernel runs an op, on which device, logged when asked.

``dispatch`` is what every caller uses (kernels' ``execute``, the ops layer's graph executor):
the registry lookup, soft placement to the CPU when the device has no kernel, and the
placement log. ``fast_path`` is its shortcut for one elementwise op on same-device CPU buffers
of one shape and dtype: same kernel choice, same log line, no op definition involved;
``op_fast_path`` gives an op's own shortcut (Reshape, MatMul, ...) under the same guard.
"""

from __future__ import annotations

import sys

import numpy as np

from . import devices as _devices
from .registry import registry

__all__ = [
    "dispatch",
    "fast_path",
    "log_placement",
    "op_fast_path",
    "register_fast_path",
    "copy_to_device",
    "from_host",
    "to_host",
    "synchronize",
]

_runtime = _devices._runtime  # its flags: log_placement, soft_placement
_find = registry.find  # the registry's hot-path lookup
_BOOL = np.dtype(bool)


def dispatch(op_type: str, device, key):
    """Return ``(kernel, device)`` for the op; soft placement may move it to the CPU.

    ``key`` is the dispatch dtype (or a tuple, or ``None``) from the op definition. Raises
    NotFoundError when neither the device nor (with soft placement) the CPU has a kernel.
    """
    kernel = _find((op_type, device.device_type, key))
    if kernel is None:
        return _missing(op_type, device, key)
    if _runtime.log_placement:
        log_placement(op_type, device)
    return kernel, device


def _missing(op_type, device, key):
    if registry.load_deferred(device.device_type):  # its kernels were registered just now
        return dispatch(op_type, device, key)
    if device.device_type != "CPU" and _runtime.soft_placement:
        cpu = _devices.get_device("/CPU:0")
        if registry.has(op_type, "CPU", key):
            log_placement(op_type, cpu, f"(soft placement: {device.device_type} has no kernel)")
            return registry.lookup(op_type, "CPU", key), cpu
    kernel = registry.lookup(op_type, device.device_type, key)  # by name, else NotFoundError
    log_placement(op_type, device)
    return kernel, device


def log_placement(op_type: str, device, why: str = ""):
    """Print TF's placement line for one op when ``set_log_device_placement(True)``."""
    if _runtime.log_placement:
        print(f"Executing op {op_type} in device {device.name} {why}".rstrip(), file=sys.stderr)


# op type -> (registered CPU kernel, C entry, op code, number of inputs, bool output)
_fast: dict = {}
_op_fast: dict = {}  # op type -> (registered CPU kernel, the op's own shortcut)


def register_fast_path(op_type, kernel, entry, code=None, num_inputs=None, *, bool_output=False):
    """Let ``fast_path(op_type)`` call ``entry(code, *inputs, out)`` directly.

    ``kernel`` is the op's registered CPU kernel: the shortcut applies only while the registry
    still picks it for the inputs' dtype. ``num_inputs`` is 1 or 2; ``bool_output`` for
    comparisons. With ``num_inputs`` None, ``entry`` is the op's own shortcut, reached through
    ``op_fast_path``: ``entry(device, first, *args) -> output buffer``, or ``None`` where it
    does not apply (``first`` is the input buffer, or the list of them; 1 to 3 ``args``).
    """
    if num_inputs is None:
        nargs = entry.__code__.co_argcount - 2
        if nargs not in (1, 2, 3):
            raise ValueError(
                f"an op's shortcut takes 1 to 3 arguments after its input, got {nargs} for "
                f"{op_type}"
            )
        _op_fast[op_type] = (kernel, entry)
        return
    if num_inputs not in (1, 2):
        raise ValueError(f"a fast path takes 1 or 2 inputs, got {num_inputs} for {op_type}")
    _fast[op_type] = (kernel, entry, code, num_inputs, bool_output)


def op_fast_path(op_type: str):
    """``f(device, first, *args) -> output buffer`` for an op registered with its own shortcut
    (``register_fast_path`` without ``num_inputs``), else ``None``.

    ``f`` returns ``None`` where the shortcut does not apply (the registry picks another kernel
    for the first input's dtype on this device, or the shortcut declines): the caller then
    takes the full path. Where it applies, it prints the full path's placement log line.
    ``f`` takes exactly the shortcut's own arguments (1 to 3 after ``first``): forwarding
    ``*args`` would cost more than the rest of the guard.
    """
    entry = _op_fast.get(op_type)
    if entry is None:
        return None
    kernel, run = entry
    flags = _runtime
    find = _find

    def failed(device):  # the full path logs the op before its kernel fails
        if flags.log_placement:
            log_placement(op_type, device)

    def done(device, out):
        if out is not None and flags.log_placement:
            log_placement(op_type, device)
        return out

    nargs = run.__code__.co_argcount - 2  # one closure per count: no ``*args`` to forward
    if nargs == 1:

        def shortcut1(device, first, a):
            x = first[0] if type(first) is list else first
            if find((op_type, device.device_type, x.dtype)) is not kernel:
                return None
            try:
                out = run(device, first, a)
            except BaseException:
                failed(device)
                raise
            return done(device, out) if flags.log_placement else out

        return shortcut1
    if nargs == 2:

        def shortcut2(device, first, a, b):
            x = first[0] if type(first) is list else first
            if find((op_type, device.device_type, x.dtype)) is not kernel:
                return None
            try:
                out = run(device, first, a, b)
            except BaseException:
                failed(device)
                raise
            return done(device, out) if flags.log_placement else out

        return shortcut2

    def shortcut3(device, first, a, b, c):
        x = first[0] if type(first) is list else first
        if find((op_type, device.device_type, x.dtype)) is not kernel:
            return None
        try:
            out = run(device, first, a, b, c)
        except BaseException:
            failed(device)
            raise
        return done(device, out) if flags.log_placement else out

    return shortcut3


def fast_path(op_type: str):
    """``f(device, *buffers) -> output buffer`` for a registered elementwise op, else ``None``.

    ``f`` returns ``None`` where the shortcut does not apply (shapes or dtypes differ, or the
    registry picks another kernel on this device, e.g. a non-CPU one): the caller then takes
    the full path, which also produces the errors. Where it applies its result, and its
    placement log line, are exactly the full path's.
    """
    entry = _fast.get(op_type)
    if entry is None:
        return None
    kernel, c_entry, code, num_inputs, out_bool = entry
    flags = _runtime
    find = _find

    if num_inputs == 1:

        def unary(device, a):
            if find((op_type, device.device_type, a.dtype)) is not kernel:
                return None
            if flags.log_placement:
                log_placement(op_type, device)
            out = device.allocate(a.shape, a.dtype)
            c_entry(code, a, out)
            return out

        return unary

    def binary(device, a, b):
        dt = a.dtype
        shape = a.shape
        if dt is not b.dtype or shape != b.shape:
            return None
        if find((op_type, device.device_type, dt)) is not kernel:
            return None
        if flags.log_placement:
            log_placement(op_type, device)
        out = device.allocate(shape, _BOOL if out_bool else dt)
        c_entry(code, a, b, out)
        return out

    return binary


def from_host(array, device):
    """Copy a host (NumPy) array into a buffer on ``device`` (no copy on the CPU)."""
    return device.backend.from_host(device, array)


def to_host(handle, device):
    """The buffer's contents as a NumPy array on the host."""
    return device.backend.to_host(device, handle)


def copy_to_device(handle, src, dst):
    """Copy a buffer between two devices of any types (through the host across backends)."""
    if src is dst:
        return handle
    if src.backend is dst.backend:
        return dst.backend.copy(src, dst, handle)
    return dst.backend.from_host(dst, src.backend.to_host(src, handle))


def synchronize(device):
    """Wait until the device has finished the work queued on it."""
    device.backend.synchronize(device)
