"""GradientTape: records ops on watched tensors and walks them backwards.

Each active tape keeps the ids of the tensors it tracks (watched, or computed from watched
ones); an op is recorded on a tape (``_record.record``) when one of its inputs is tracked
there. Gradients are computed with the rules in ``_grad_rules`` (``GRADIENTS``), which are
written in ops, so an outer tape records the backward pass of an inner one (higher-order
derivatives).
"""

from __future__ import annotations

import contextlib
import enum

from . import _record
from ._record import _Record, _stack, _tls, record, stop_gradient_scope, tracked_inputs
from ._tensor import Tensor, VariableLike, _op, convert_to_tensor
from .nest import flatten as _flatten
from .nest import pack_sequence_as

__all__ = [
    "GradientTape", "UnconnectedGradients", "record", "stop_gradient", "stop_gradient_scope",
    "tracked_inputs",
]  # fmt: skip

# Gradient rules of the traced ``If`` / ``While`` nodes, by op type: ``rule(inputs, outputs,
# attrs, output_grads)``; ``_control_flow_grad`` fills it in (graph ops, not kernel ops). A node
# whose attrs name a ``gradient_rule`` uses ``NAMED_RULES[name]`` (same signature) instead of
# its op type's rule (a name, so that saved graphs keep it).
CONTROL_FLOW_RULES: dict = {}
NAMED_RULES: dict = {}
# What the gradient computation needs from the layers above, set by ``_grad_rules`` at import
# (a hook rather than an upward import): ``backward(record, output_grads)``, ``ones_like``,
# ``zeros_like``, ``add`` (``_math.add``) and ``array`` (``_array``, for the jacobians).
GRADIENTS: dict = {}


class UnconnectedGradients(enum.Enum):
    NONE = "none"
    ZERO = "zero"


class GradientTape:
    """TF's ``tf.GradientTape``: record operations for automatic differentiation."""

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self._persistent = bool(persistent)
        self._watch_accessed_variables = bool(watch_accessed_variables)
        self._records: list[_Record] = []
        self._tracked: set[int] = set()
        self._keep: list = []  # watched tensors, kept alive so their ids stay theirs
        self._variables: dict[int, object] = {}  # id(variable) -> variable
        # id(variable) -> each value it held while read under this tape (an assign between two
        # reads, or before ``gradient``, gives the variable a new value tensor)
        self._var_values: dict[int, list] = {}
        self._recording = False
        self._used = False

    def __enter__(self):
        self._push()
        return self

    def __exit__(self, *exc):
        self._pop()
        return False

    def _push(self):
        _stack().append(self)
        self._recording = True
        _record._active += 1

    def _pop(self):
        stack = _stack()
        if self in stack:
            stack.remove(self)
            if self._recording:
                _record._active -= 1
        self._recording = False

    @contextlib.contextmanager
    def stop_recording(self):
        """Ops in this block are not recorded on this tape."""
        if not self._recording:
            raise ValueError("Tape.stop_recording() called on a tape that is not recording")
        self._recording = False
        _record._active -= 1
        try:
            yield
        finally:
            self._recording = True
            _record._active += 1

    def reset(self):
        self._records.clear()
        self._tracked.clear()
        self._keep.clear()
        self._variables.clear()
        self._var_values.clear()

    def watch(self, tensor):
        """Track a tensor, a variable, or a nested structure of them."""
        for t in _flatten(tensor):
            if isinstance(t, VariableLike):
                self._watch_variable(t)
            elif isinstance(t, Tensor):
                if t.dtype.is_floating or t.dtype.is_complex:
                    self._tracked.add(id(t))
                    self._keep.append(t)
            else:
                raise ValueError(f"Passed {t!r} to GradientTape.watch(): not a tensor or variable")

    def _watch_variable(self, var):
        self._variables[id(var)] = var
        self._watch_value(var)

    def _watch_value(self, var):
        value = var._th_value()
        values = self._var_values.setdefault(id(var), [])
        if values and values[-1] is value:
            return
        values.append(value)
        if value.dtype.is_floating or value.dtype.is_complex:
            self._tracked.add(id(value))
            self._keep.append(value)

    def watched_variables(self):
        return tuple(self._variables.values())

    def _variable_accessed(self, var):
        if not self._recording:
            return
        if id(var) in self._variables:  # watched: follow its value across assigns
            values = self._var_values[id(var)]
            if values[-1] is not var._th_value():
                self._watch_value(var)
        elif self._watch_accessed_variables and var.trainable:
            self._watch_variable(var)

    def gradient(
        self,
        target,
        sources,
        output_gradients=None,
        unconnected_gradients=UnconnectedGradients.NONE,
        on_gradient=None,
    ):
        """Gradients of ``target`` (summed over its elements and items) w.r.t. ``sources``.

        ``on_gradient(index, gradient)`` (a tensorhouse extension) is called once per flattened
        source, in the order the backward pass makes their gradients final, as soon as it
        does (``gradient`` None: no gradient). Inside ``tf.function`` the gradient is symbolic
        and a side effect the callback traces (``tf.py_function``) runs at that point of the
        backward pass: e.g. to start a gradient's all-reduce while the rest is computed."""
        self._check_unused()
        if on_gradient is not None and not callable(on_gradient):
            raise TypeError(f"on_gradient must be callable. Received: on_gradient={on_gradient}")
        try:
            return self._gradient(
                target, sources, output_gradients, unconnected_gradients, on_gradient
            )
        finally:
            self._used = True

    def _check_unused(self):
        if self._used and not self._persistent:
            raise RuntimeError(
                "A non-persistent GradientTape can only be used to compute one set of "
                "gradients (or jacobians)"
            )

    def jacobian(
        self,
        target,
        sources,
        unconnected_gradients=UnconnectedGradients.NONE,
        parallel_iterations=None,
        experimental_use_pfor=True,
    ):
        """TF's ``GradientTape.jacobian``: per source, shape ``target.shape + source.shape``
        (one backward pass per element of ``target``)."""
        A = GRADIENTS["array"]

        self._check_unused()
        try:
            t = target._th_read() if isinstance(target, VariableLike) else target
            n = t.shape.num_elements()
            flat_sources = _flatten(sources)
            rows = [[] for _ in flat_sources]
            for i in range(n):
                seed = A.reshape(A.one_hot(i, n, dtype=t.dtype), t.shape.as_list())
                gs = self._gradient(t, flat_sources, seed, unconnected_gradients)
                for r, g in zip(rows, gs):
                    r.append(g)
            out = []
            for s, r in zip(flat_sources, rows):
                if all(g is None for g in r):
                    out.append(None)
                    continue
                shape = t.shape.as_list() + s.shape.as_list()
                zero = next(g for g in r if g is not None)
                r = [A.zeros_like(zero) if g is None else g for g in r]
                out.append(A.reshape(A.stack(r), shape))
            return pack_sequence_as(sources, out)
        finally:
            self._used = True

    def batch_jacobian(
        self,
        target,
        source,
        unconnected_gradients=UnconnectedGradients.NONE,
        parallel_iterations=None,
        experimental_use_pfor=True,
    ):
        """TF's ``GradientTape.batch_jacobian``: ``d target[i] / d source[i]`` for each example
        ``i`` of the batch; shape ``target.shape + source.shape[1:]``. As TF's, it is the
        gradient of each target column summed over the batch: where examples interact (batch
        normalization), the other examples' terms are in it too."""
        A = GRADIENTS["array"]

        j = self.jacobian(target, source, unconnected_gradients)
        if j is None:
            return None
        t_shape, s_shape = target.shape.as_list(), source.shape.as_list()
        if t_shape[0] != s_shape[0]:
            raise ValueError(
                f"Need first dimension of target shape ({t_shape}) and source shape "
                f"({s_shape}) to match."
            )
        b = t_shape[0]
        ty, sx = _prod(t_shape[1:]), _prod(s_shape[1:])
        j = A.reshape(j, [b, ty, b, sx])
        total = j[0]
        for i in range(1, b):
            total = GRADIENTS["add"](total, j[i])
        return A.reshape(A.transpose(total, [1, 0, 2]), t_shape + s_shape[1:])

    def _gradient(self, target, sources, output_gradients, unconnected_gradients, on_gradient=None):

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
            if isinstance(s, VariableLike):
                # a variable the tape never watched has no gradient (None, or zeros)
                if id(s) in self._variables:  # every value it was read as, summed
                    source_keys.append(tuple(id(v) for v in self._var_values[id(s)]))
                elif any(s is t for t in targets):
                    source_keys.append(id(s._th_value()))
                else:
                    source_keys.append(None)
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
                if isinstance(t, VariableLike):  # a variable as the target: d v / d v is
                    t = t._th_value()  # ones, watched or not (as TF)
                elif not isinstance(t, Tensor) or id(t) not in self._tracked:
                    continue
                g = GRADIENTS["ones_like"](t) if g is None else convert_to_tensor(g, t.dtype)
                _accumulate(grads, id(t), g)
            records = self._records
            final_at = _final_at(records, source_keys) if on_gradient is not None else {}
            result: list = [None] * len(flat_sources)

            def finish(j):  # the sources whose gradients are final once record j is done
                for i in final_at.get(j, ()):
                    result[i] = g = _source_gradient(flat_sources[i], source_keys[i], grads,
                                                     unconnected)  # fmt: skip
                    on_gradient(i, g)

            finish(-1)  # never consumed by a recorded op: final from the start
            for j in range(len(records) - 1, -1, -1):
                self._backprop(records[j], grads)
                finish(j)
            if on_gradient is None:
                result = [
                    _source_gradient(s, key, grads, unconnected)
                    for s, key in zip(flat_sources, source_keys)
                ]
        finally:
            if was_recording:
                self._push_recording()
        return pack_sequence_as(sources, result)

    def _backprop(self, rec, grads):
        """Add record ``rec``'s input gradients (from its output gradients) into ``grads``."""
        gs = [grads.get(id(o)) for o in rec.outputs]
        if all(g is None for g in gs):
            return
        rule = CONTROL_FLOW_RULES.get(rec.op_type) or NAMED_RULES.get(
            rec.attrs.get("gradient_rule")
        )
        if rule is not None:
            prev = getattr(_tls, "tracked", None)
            _tls.tracked = self._tracked  # (``tracked_inputs``)
            try:
                in_grads = rule(rec.inputs, rec.outputs, rec.attrs, gs)
            finally:
                _tls.tracked = prev
        else:
            in_grads = GRADIENTS["backward"](rec, gs)
        for x, g in zip(rec.inputs, in_grads):
            if g is not None and id(x) in self._tracked:
                _accumulate(grads, id(x), g)

    def _pop_recording(self):
        self._recording = False
        _record._active -= 1

    def _push_recording(self):
        self._recording = True
        _record._active += 1


def _source_gradient(s, key, grads, unconnected):
    """The gradient of source ``s`` (tape key ``key``) from the accumulated ``grads``."""
    if isinstance(key, tuple):  # a variable: the sum over its values
        g = None
        for k in key:
            part = grads.get(k)
            if part is not None:
                g = part if g is None else GRADIENTS["add"](g, part)
    else:
        g = grads.get(key)
    if g is None and unconnected is UnconnectedGradients.ZERO:
        value = s._th_value() if isinstance(s, VariableLike) else s
        g = GRADIENTS["zeros_like"](value)
    if g is not None and not (s.dtype.is_floating or s.dtype.is_complex):
        g = None
    return g


def _final_at(records, source_keys) -> dict:
    """Record index -> the source positions whose gradients are final once the backward walk
    (last record first) has done it: the earliest record reading any of the source's values
    (-1: no record reads it, final from the start)."""
    first_use: dict = {}
    for j, rec in enumerate(records):
        for x in rec.inputs:
            first_use.setdefault(id(x), j)
    final_at: dict = {}
    for i, key in enumerate(source_keys):
        keys = key if isinstance(key, tuple) else (key,)
        j = min((first_use.get(k, -1) for k in keys if k is not None), default=-1)
        final_at.setdefault(j, []).append(i)
    return final_at


def _accumulate(grads, key, g):
    prev = grads.get(key)
    grads[key] = g if prev is None else GRADIENTS["add"](prev, g)


def _prod(dims):
    n = 1
    for d in dims:
        n *= d
    return n


def stop_gradient(input, name=None):  # noqa: A002 - TF's name
    """TF's ``tf.stop_gradient``: the identity, with no gradient flowing back through it (an
    ``Identity`` marked ``stop_gradient``, so traced functions keep the mark)."""
    x = input._th_read() if isinstance(input, VariableLike) else convert_to_tensor(input)
    return _op("Identity", [x], {"stop_gradient": True})
