"""The tapes' recording state, below everything that runs ops: the eager hot path reads it.

``_active`` counts the recording tapes of all threads (an op checks only this number); each
thread has its stack of tapes (``_stack``), and ``record`` appends an op to every recording
tape that tracks one of its inputs. ``_tape.GradientTape`` (above ``_tensor``) pushes itself
here and walks its records backwards.
"""

from __future__ import annotations

import contextlib
import threading

__all__ = ["record", "stop_gradient_scope", "tracked_inputs"]

_active = 0  # number of recording tapes in all threads; the hot path checks only this
# ``tf.profiler``'s hook while a profiler runs, else None: ``profile(name, run, *args)`` returns
# ``run(*args)``, timed as one event ``name`` (``_tensor._execute``'s kernel calls, traced calls)
profile = None
_tls = threading.local()


def _stack() -> list:
    s = getattr(_tls, "tapes", None)
    if s is None:
        s = _tls.tapes = []
    return s


def _adjust_active(n):
    global _active
    _active += n


class _Record:
    __slots__ = ("op_type", "inputs", "outputs", "attrs")

    def __init__(self, op_type, inputs, outputs, attrs):
        self.op_type = op_type
        self.inputs = inputs
        self.outputs = outputs
        self.attrs = attrs


def record(op_type, inputs, outputs, attrs):
    """Record one op on each recording tape that tracks one of its inputs."""
    for tape in _stack():
        if not tape._recording:
            continue
        tracked = tape._tracked
        if any(id(t) in tracked for t in inputs):
            tape._records.append(_Record(op_type, list(inputs), outputs, attrs))
            for o in outputs:
                if o.dtype.is_floating or o.dtype.is_complex:
                    tracked.add(id(o))


def tracked_inputs(inputs):
    """For a control-flow rule being run by a tape: which of ``inputs`` that tape tracks (it
    drops the gradients of the others); all of them outside a rule."""
    tracked = getattr(_tls, "tracked", None)
    return [True] * len(inputs) if tracked is None else [id(x) in tracked for x in inputs]


@contextlib.contextmanager
def stop_gradient_scope():
    """No tape records ops inside this block (used by variable updates)."""
    global _active
    saved = [(t, t._recording) for t in _stack()]
    for t, rec in saved:
        if rec:
            t._recording = False
            _active -= 1
    try:
        yield
    finally:
        for t, rec in saved:
            if rec:
                t._recording = True
                _active += 1
