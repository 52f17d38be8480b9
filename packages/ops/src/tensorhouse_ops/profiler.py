"""TF's ``tf.profiler.experimental``: ``start`` / ``stop``, ``Profile``, ``Trace``,
``ProfilerOptions``.

While a profiler runs, every op that goes through ``_tensor._execute`` (on the profiling
thread the kernels' eager elementwise shortcut is turned off by a device scope of the default
CPU, so ``a + b`` is timed too), every call of a traced function (one event, ``__inference_``
and its name: its ops run in one compiled step and are not timed one by one) and every
``Trace`` block is an event with its start and duration. ``stop`` writes them where TF's
profiler does, ``<logdir>/plugins/profile/<run>/<host>.xplane.pb``: an ``XSpace`` protocol
buffer (TF's field numbers, declared here on the ``protobuf`` package beside ``_example``'s
messages), with one ``/host:CPU`` plane, one line per thread, which TensorBoard's profile
plugin reads. Ops and calls are timed through the hook ``_record.profile``, set while a
profiler runs; otherwise the op path and traced calls only find it None.
"""

from __future__ import annotations

import collections
import os
import socket
import threading
import time
from typing import Any

from google.protobuf import descriptor_pb2, message_factory

from tensorhouse_kernels.runtime import default_device, device, errors

from . import _example, _record

__all__ = ["experimental"]

_F = descriptor_pb2.FieldDescriptorProto
_REP = _F.LABEL_REPEATED
_field = _example._field


def _descriptor():
    fd = descriptor_pb2.FileDescriptorProto(
        name="tensorhouse/xplane.proto", package="tensorflow.profiler", syntax="proto3"
    )
    p = ".tensorflow.profiler."
    space = fd.message_type.add(name="XSpace")
    _field(space, "planes", 1, _F.TYPE_MESSAGE, _REP, p + "XPlane")
    _field(space, "errors", 2, _F.TYPE_STRING, _REP)
    _field(space, "warnings", 3, _F.TYPE_STRING, _REP)
    _field(space, "hostnames", 4, _F.TYPE_STRING, _REP)
    plane = fd.message_type.add(name="XPlane")
    _field(plane, "id", 1, _F.TYPE_INT64)
    _field(plane, "name", 2, _F.TYPE_STRING)
    _field(plane, "lines", 3, _F.TYPE_MESSAGE, _REP, p + "XLine")
    for name, number, value in (("event_metadata", 4, "XEventMetadata"),
                                ("stat_metadata", 5, "XStatMetadata")):  # fmt: skip
        entry_name = "".join(w.capitalize() for w in name.split("_")) + "Entry"
        entry = plane.nested_type.add(name=entry_name)
        entry.options.map_entry = True
        _field(entry, "key", 1, _F.TYPE_INT64)
        _field(entry, "value", 2, _F.TYPE_MESSAGE, type_name=p + value)
        _field(plane, name, number, _F.TYPE_MESSAGE, _REP, f"{p}XPlane.{entry_name}")
    _field(plane, "stats", 6, _F.TYPE_MESSAGE, _REP, p + "XStat")
    line = fd.message_type.add(name="XLine")
    for name, number, ftype in (("id", 1, _F.TYPE_INT64), ("name", 2, _F.TYPE_STRING),
                                ("timestamp_ns", 3, _F.TYPE_INT64),
                                ("duration_ps", 9, _F.TYPE_INT64),
                                ("display_id", 10, _F.TYPE_INT64),
                                ("display_name", 11, _F.TYPE_STRING)):  # fmt: skip
        _field(line, name, number, ftype)
    _field(line, "events", 4, _F.TYPE_MESSAGE, _REP, p + "XEvent")
    event = fd.message_type.add(name="XEvent")
    event.oneof_decl.add(name="data")
    _field(event, "metadata_id", 1, _F.TYPE_INT64)
    _field(event, "offset_ps", 2, _F.TYPE_INT64, oneof=0)
    _field(event, "duration_ps", 3, _F.TYPE_INT64)
    _field(event, "stats", 4, _F.TYPE_MESSAGE, _REP, p + "XStat")
    _field(event, "num_occurrences", 5, _F.TYPE_INT64, oneof=0)
    stat = fd.message_type.add(name="XStat")
    stat.oneof_decl.add(name="value")
    _field(stat, "metadata_id", 1, _F.TYPE_INT64)
    for name, number, ftype in (("double_value", 2, _F.TYPE_DOUBLE),
                                ("uint64_value", 3, _F.TYPE_UINT64),
                                ("int64_value", 4, _F.TYPE_INT64),
                                ("str_value", 5, _F.TYPE_STRING),
                                ("bytes_value", 6, _F.TYPE_BYTES),
                                ("ref_value", 7, _F.TYPE_UINT64)):  # fmt: skip
        _field(stat, name, number, ftype, oneof=0)
    meta = fd.message_type.add(name="XEventMetadata")
    _field(meta, "id", 1, _F.TYPE_INT64)
    _field(meta, "name", 2, _F.TYPE_STRING)
    _field(meta, "metadata", 3, _F.TYPE_BYTES)
    _field(meta, "display_name", 4, _F.TYPE_STRING)
    _field(meta, "stats", 5, _F.TYPE_MESSAGE, _REP, p + "XStat")
    _field(meta, "child_id", 6, _F.TYPE_INT64, _REP)
    smeta = fd.message_type.add(name="XStatMetadata")
    _field(smeta, "id", 1, _F.TYPE_INT64)
    _field(smeta, "name", 2, _F.TYPE_STRING)
    _field(smeta, "description", 3, _F.TYPE_STRING)
    return fd


_example._POOL.Add(_descriptor())
XSpace: Any = message_factory.GetMessageClass(
    _example._POOL.FindMessageTypeByName("tensorflow.profiler.XSpace")
)  # a class built at import: its fields are unknown to type checkers

ProfilerOptions = collections.namedtuple(
    "ProfilerOptions",
    ["host_tracer_level", "python_tracer_level", "device_tracer_level", "delay_ms"],
    defaults=[2, 0, 1, None],
)


class _Session:
    """One profiling run: its events ``(thread id, name, start ns, duration ns, stats)``."""

    def __init__(self, logdir, options):
        self.logdir = os.fspath(logdir)
        self.options = options or ProfilerOptions()
        self.wall_ns = time.time_ns()
        self.start_ns = time.perf_counter_ns()
        self.events: list = []
        self.threads: dict = {}
        self.undo: list = []

    def add(self, name, start, duration, stats=None):
        tid = threading.get_ident()
        if tid not in self.threads:
            self.threads[tid] = threading.current_thread().name
        self.events.append((tid, name, start - self.start_ns, duration, stats))


_lock = threading.Lock()
_session: _Session | None = None


def _install(session):
    """Time the op path and traced calls (``_record.profile``); undone by ``_uninstall``."""

    def timed(name, run, *args):
        t0 = time.perf_counter_ns()
        try:
            return run(*args)
        finally:
            session.add(name, t0, time.perf_counter_ns() - t0)

    _record.profile = timed
    session.undo.append(lambda: setattr(_record, "profile", None))
    cpu = default_device()
    if cpu.device_type == "CPU":  # a scope turns the eager shortcut off on this thread
        scope = device(cpu.name)
        scope.__enter__()
        session.undo.append(lambda: scope.__exit__(None, None, None))


def _uninstall(session):
    for undo in reversed(session.undo):
        undo()
    session.undo.clear()


def start(logdir, options=None):
    """TF's ``tf.profiler.experimental.start``: profile from now until ``stop``."""
    global _session
    with _lock:
        if _session is not None:
            raise errors.AlreadyExistsError(None, None, "Another profiler is running.")
        session = _Session(logdir, options)
        _install(session)
        _session = session


def stop(save=True):
    """TF's ``tf.profiler.experimental.stop``: stop profiling and (``save``) write the run."""
    global _session
    with _lock:
        session = _session
        if session is None:
            raise errors.UnavailableError(
                None, None, "Cannot export profiling results. No profiler is running."
            )
        _session = None
        _uninstall(session)
    if save:
        _save(session)


def _save(session):
    run = time.strftime("%Y_%m_%d_%H_%M_%S", time.localtime(session.wall_ns / 1e9))
    folder = os.path.join(session.logdir, "plugins", "profile", run)
    os.makedirs(folder, exist_ok=True)
    host = socket.gethostname() or "localhost"
    space = XSpace()
    space.hostnames.append(host)
    space.planes.append(_host_plane(session))
    with open(os.path.join(folder, f"{host}.xplane.pb"), "wb") as f:
        f.write(space.SerializeToString())


def _host_plane(session):
    plane = XSpace().planes.add(id=0, name="/host:CPU")
    names: dict = {}
    stat_ids: dict = {}
    lines: dict = {}
    for n, (tid, name) in enumerate(sorted(session.threads.items())):
        lines[tid] = plane.lines.add(id=tid, display_id=n, name=name,
                                     timestamp_ns=session.wall_ns)  # fmt: skip
    for tid, name, offset, duration, stats in session.events:
        meta_id = names.setdefault(name, len(names) + 1)
        event = lines[tid].events.add(metadata_id=meta_id, offset_ps=offset * 1000,
                                      duration_ps=duration * 1000)  # fmt: skip
        for key, value in (stats or {}).items():
            stat = event.stats.add(metadata_id=stat_ids.setdefault(key, len(stat_ids) + 1))
            if isinstance(value, bool | int):
                stat.int64_value = int(value)
            elif isinstance(value, float):
                stat.double_value = value
            else:
                stat.str_value = str(value)
    for name, meta_id in names.items():
        plane.event_metadata[meta_id].id = meta_id
        plane.event_metadata[meta_id].name = name
    for name, stat_id in stat_ids.items():
        plane.stat_metadata[stat_id].id = stat_id
        plane.stat_metadata[stat_id].name = name
    for line in plane.lines:
        if line.events:
            end = max(e.offset_ps + e.duration_ps for e in line.events)
            line.duration_ps = end - min(e.offset_ps for e in line.events)
    return plane


class Profile:
    """TF's ``tf.profiler.experimental.Profile``: ``start`` on entry, ``stop`` on exit."""

    def __init__(self, logdir, options=None):
        self._logdir, self._options = logdir, options

    def __enter__(self):
        start(self._logdir, self._options)
        return self

    def __exit__(self, *exc):
        stop()


class Trace:
    """TF's ``tf.profiler.experimental.Trace``: a named event (its keyword arguments as stats,
    and in the name as TF's ``name#key=value#``) spanning the block, when a profiler runs."""

    def __init__(self, name, **kwargs):
        self._name = name
        self._stats = kwargs
        self._start = None

    def __enter__(self):
        if _session is not None:
            self._start = time.perf_counter_ns()
        return self

    def __exit__(self, *exc):
        session = _session
        if session is not None and self._start is not None:
            name = self._name
            if self._stats:
                name += "#" + ",".join(f"{k}={v}" for k, v in self._stats.items()) + "#"
            session.add(name, self._start, time.perf_counter_ns() - self._start, self._stats)
        self._start = None


def is_running() -> bool:
    """Whether a profiler runs (for ``tf.summary.trace_on(profiler=True)``)."""
    return _session is not None


class _Experimental:
    """The ``tf.profiler.experimental`` namespace."""

    ProfilerOptions = ProfilerOptions
    Profile = Profile
    Trace = Trace
    start = staticmethod(start)
    stop = staticmethod(stop)


experimental = _Experimental()
