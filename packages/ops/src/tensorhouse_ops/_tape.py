"""GradientTape: records ops on watched tensors and walks them backwards.

Each active tape keeps the ids of the tensors it tracks (watched, or computed from watched
ones); an op is recorded on a tape when one of its inputs is tracked there. Gradients are
computed with the rules in ``_grad_rules``, which are written in ops, so an outer tape records
the backward pass of an inner one (higher-order derivatives).
"""

from __future__ import annotations

import contextlib
import enum
import threading

from .nest import flatten as _flatten
from .nest import pack_sequence_as

__all__ = ["GradientTape", "UnconnectedGradients", "record", "stop_gradient_scope"]

_active = 0  # number of recording tapes in all threads; the hot path checks only this
_tls = threading.local()


def _stack() -> list:
    s = getattr(_tls, "tapes", None)
    if s is None:
        s = _tls.tapes = []
    return s


class UnconnectedGradients(enum.Enum):
    NONE = "none"
    ZERO = "zero"


class _Record:
    __slots__ = ("op_type", "inputs", "outputs", "attrs")

    def __init__(self, op_type, inputs, outputs, attrs):
        self.op_type = op_type
        self.inputs = inputs
        self.outputs = outputs
        self.attrs = attrs


def _adjust_active(n):
    global _active
    _active += n


def record(op_type, inputs, outputs, attrs):
    for tape in _stack():
        if not tape._recording:
            continue
        tracked = tape._tracked
        if any(id(t) in tracked for t in inputs):
            tape._records.append(_Record(op_type, list(inputs), outputs, attrs))
            for o in outputs:
                if o.dtype.is_floating:
                    tracked.add(id(o))


class GradientTape:
    """TF's ``tf.GradientTape``: record operations for automatic differentiation."""

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self._persistent = bool(persistent)
        self._watch_accessed_variables = bool(watch_accessed_variables)
        self._records: list[_Record] = []
        self._tracked: set[int] = set()
        self._keep: list = []  # watched tensors, kept alive so their ids stay theirs
        self._variables: dict[int, object] = {}  # id(variable) -> variable
        self._recording = False
        self._used = False

    def __enter__(self):
        self._push()
        return self

    def __exit__(self, *exc):
        self._pop()
        return False

    def _push(self):
        global _active
        _stack().append(self)
        self._recording = True
        _active += 1

    def _pop(self):
        global _active
        stack = _stack()
        if self in stack:
            stack.remove(self)
            if self._recording:
                _active -= 1
        self._recording = False

    @contextlib.contextmanager
    def stop_recording(self):
        """Ops in this block are not recorded on this tape."""
        global _active
        if not self._recording:
            raise ValueError("Tape.stop_recording() called on a tape that is not recording")
        self._recording = False
        _active -= 1
        try:
            yield
        finally:
            self._recording = True
            _active += 1

    def reset(self):
        self._records.clear()
        self._tracked.clear()
        self._keep.clear()
        self._variables.clear()

    def watch(self, tensor):
        """Track a tensor, a variable, or a nested structure of them."""
        from ._tensor import Tensor

        for t in _flatten(tensor):
            if hasattr(t, "_th_read"):
                self._watch_variable(t)
            elif isinstance(t, Tensor):
                if t.dtype.is_floating:
                    self._tracked.add(id(t))
                    self._keep.append(t)
            else:
                raise ValueError(f"Passed {t!r} to GradientTape.watch(): not a tensor or variable")

    def _watch_variable(self, var):
        self._variables[id(var)] = var
        value = var._th_value()
        if value.dtype.is_floating:
            self._tracked.add(id(value))
            self._keep.append(value)

    def watched_variables(self):
        return tuple(self._variables.values())

    def _variable_accessed(self, var):
        if self._recording and self._watch_accessed_variables and var.trainable:
            if id(var) not in self._variables:
                self._watch_variable(var)

    def gradient(
        self,
        target,
        sources,
        output_gradients=None,
        unconnected_gradients=UnconnectedGradients.NONE,
    ):
        """Gradients of ``target`` (summed over its elements and items) w.r.t. ``sources``."""
        from . import _grad_rules
        from ._tensor import Tensor, convert_to_tensor

        if self._used and not self._persistent:
            raise RuntimeError(
                "A non-persistent GradientTape can only be used to compute one set of "
                "gradients (or jacobians)"
            )
        unconnected = UnconnectedGradients(unconnected_gradients)
        targets = _flatten(target)
        flat_sources = _flatten(sources)
        if output_gradients is None:
            out_grads = [None] * len(targets)
        elif isinstance(target, list | tuple | dict):
            out_grads = _flatten(output_gradients)
        else:
            out_grads = [output_gradients]
        if len(out_grads) != len(targets):
            raise ValueError(
                f"output_gradients has {len(out_grads)} items but target has {len(targets)}"
            )
        source_keys = []
        for s in flat_sources:
            if hasattr(s, "_th_read"):
                # a variable the tape never watched has no gradient (None, or zeros)
                watched = id(s) in self._variables
                source_keys.append(id(s._th_value()) if watched else None)
            elif isinstance(s, Tensor):
                source_keys.append(id(s))
            else:
                raise ValueError(f"GradientTape.gradient got a source that is not a tensor: {s!r}")

        was_recording = self._recording
        if was_recording:
            self._pop_recording()
        try:
            grads: dict[int, Tensor] = {}
            for t, g in zip(targets, out_grads):
                t = t._th_value() if hasattr(t, "_th_read") else t
                if not isinstance(t, Tensor) or id(t) not in self._tracked:
                    continue
                g = _grad_rules.ones_like(t) if g is None else convert_to_tensor(g, t.dtype)
                _accumulate(grads, id(t), g)
            for rec in reversed(self._records):
                gs = [grads.get(id(o)) for o in rec.outputs]
                if all(g is None for g in gs):
                    continue
                in_grads = _grad_rules.backward(rec, gs)
                for x, g in zip(rec.inputs, in_grads):
                    if g is not None and id(x) in self._tracked:
                        _accumulate(grads, id(x), g)
            result = []
            for s, key in zip(flat_sources, source_keys):
                g = grads.get(key)
                if g is None and unconnected is UnconnectedGradients.ZERO:
                    value = s._th_value() if hasattr(s, "_th_read") else s
                    g = _grad_rules.zeros_like(value)
                if g is not None and not (s.dtype.is_floating):
                    g = None
                result.append(g)
        finally:
            if was_recording:
                self._push_recording()
            self._used = True
        return pack_sequence_as(sources, result)

    def _pop_recording(self):
        global _active
        self._recording = False
        _active -= 1

    def _push_recording(self):
        global _active
        self._recording = True
        _active += 1


def _accumulate(grads, key, g):
    from ._math import add

    prev = grads.get(key)
    grads[key] = g if prev is None else add(prev, g)


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
