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

__all__ = [
    "GradientTape", "UnconnectedGradients", "custom_gradient", "record", "stop_gradient",
    "stop_gradient_scope",
]  # fmt: skip

# (Variable, _GraphVariableSlice): what ops read through ``_th_read``. _variables.py, which
# imports this module, fills it in (a registered hook rather than an import cycle).
_VARIABLE_LIKE: tuple = ()
_active = 0  # number of recording tapes in all threads; the hot path checks only this
# Gradient rules of the traced ``If`` / ``While`` nodes, by op type: ``rule(inputs, outputs,
# attrs, output_grads)``; ``_control_flow_grad`` fills it in (graph ops, not kernel ops). A node
# whose attrs name a ``gradient_rule`` uses ``NAMED_RULES[name]`` (same signature) instead of
# its op type's rule (a name, so that saved graphs keep it).
CONTROL_FLOW_RULES: dict = {}
NAMED_RULES: dict = {}
_tls = threading.local()


def tracked_inputs(inputs):
    """For a control-flow rule being run by a tape: which of ``inputs`` that tape tracks (it
    drops the gradients of the others); all of them outside a rule."""
    tracked = getattr(_tls, "tracked", None)
    return [True] * len(inputs) if tracked is None else [id(x) in tracked for x in inputs]


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
                if o.dtype.is_floating or o.dtype.is_complex:
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
            if isinstance(t, _VARIABLE_LIKE):
                self._watch_variable(t)
            elif isinstance(t, Tensor):
                if t.dtype.is_floating or t.dtype.is_complex:
                    self._tracked.add(id(t))
                    self._keep.append(t)
            else:
                raise ValueError(f"Passed {t!r} to GradientTape.watch(): not a tensor or variable")

    def _watch_variable(self, var):
        self._variables[id(var)] = var
        value = var._th_value()
        if value.dtype.is_floating or value.dtype.is_complex:
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
        self._check_unused()
        try:
            return self._gradient(target, sources, output_gradients, unconnected_gradients)
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
        from . import _array as A

        self._check_unused()
        try:
            t = target._th_read() if isinstance(target, _VARIABLE_LIKE) else target
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
        ``i`` of the batch; shape ``target.shape + source.shape[1:]``."""
        from . import _array as A

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
        diag = A.stack([j[i, :, i, :] for i in range(b)])
        return A.reshape(diag, t_shape + s_shape[1:])

    def _gradient(self, target, sources, output_gradients, unconnected_gradients):
        from . import _grad_rules
        from ._tensor import Tensor, convert_to_tensor

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
            if isinstance(s, _VARIABLE_LIKE):
                # a variable the tape never watched has no gradient (None, or zeros)
                watched = id(s) in self._variables or any(s is t for t in targets)
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
                if isinstance(t, _VARIABLE_LIKE):  # a variable as the target: d v / d v is
                    t = t._th_value()  # ones, watched or not (as TF)
                elif not isinstance(t, Tensor) or id(t) not in self._tracked:
                    continue
                g = _grad_rules.ones_like(t) if g is None else convert_to_tensor(g, t.dtype)
                _accumulate(grads, id(t), g)
            for rec in reversed(self._records):
                gs = [grads.get(id(o)) for o in rec.outputs]
                if all(g is None for g in gs):
                    continue
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
                    in_grads = _grad_rules.backward(rec, gs)
                for x, g in zip(rec.inputs, in_grads):
                    if g is not None and id(x) in self._tracked:
                        _accumulate(grads, id(x), g)
            result = []
            for s, key in zip(flat_sources, source_keys):
                g = grads.get(key)
                if g is None and unconnected is UnconnectedGradients.ZERO:
                    value = s._th_value() if isinstance(s, _VARIABLE_LIKE) else s
                    g = _grad_rules.zeros_like(value)
                if g is not None and not (s.dtype.is_floating or s.dtype.is_complex):
                    g = None
                result.append(g)
        finally:
            if was_recording:
                self._push_recording()
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


def _prod(dims):
    n = 1
    for d in dims:
        n *= d
    return n


def stop_gradient(input, name=None):  # noqa: A002 - TF's name
    """TF's ``tf.stop_gradient``: the identity, with no gradient flowing back through it (an
    ``Identity`` marked ``stop_gradient``, so traced functions keep the mark)."""
    from ._tensor import _op, convert_to_tensor

    x = input._th_read() if isinstance(input, _VARIABLE_LIKE) else convert_to_tensor(input)
    return _op("Identity", [x], {"stop_gradient": True})


def custom_gradient(f=None):
    """TF's ``tf.custom_gradient`` decorator: ``f(*x)`` returns ``(y, grad_fn)`` and the tapes
    use ``grad_fn(dy)`` (one gradient per tensor argument) instead of ``f``'s own ops.

    Inside a traced ``tf.function``, ``f``'s ops are traced as usual and its outputs pass
    through ``Identity`` nodes that remember the call; when a recording tape runs the function
    (op by op, so that it sees every op), those nodes call ``f`` again eagerly on the call's
    actual tensors, so that ``grad_fn`` closes over real values and the tape records it.
    """
    if f is None:
        return custom_gradient

    import functools

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        from . import _tensor
        from ._graph import current_graph

        if _tensor._tracing and current_graph() is not None:
            return _traced_custom_gradient(wrapper, f, args, kwargs)
        inputs = _tensor_args(args)
        with stop_gradient_scope():
            result, grad_fn = f(*args, **kwargs)
            flat = _flatten(result)
            outputs = [_tensor._op("Identity", [y]) for y in flat]
        if _active:
            record("CustomGradient", inputs, outputs, {"grad_fn": grad_fn})
        return pack_sequence_as(result, outputs)

    return wrapper


def _tensor_args(args):
    """The tensors among ``args`` (variables read), in flat order: a custom gradient's inputs."""
    from ._tensor import Tensor

    return [
        a._th_read() if isinstance(a, _VARIABLE_LIKE) else a
        for a in _flatten(list(args))
        if isinstance(a, Tensor) or isinstance(a, _VARIABLE_LIKE)
    ]


class CustomGradientCall:
    """A ``custom_gradient`` call traced into a graph: ``replay`` redoes it eagerly."""

    def __init__(self, wrapper, args, kwargs):
        self.wrapper = wrapper
        self.args = args  # as the trace saw them: symbolic tensors, variables, Python values
        self.kwargs = kwargs

    def call_eagerly(self, symbolic_to_eager):
        """The call's outputs (flat), run eagerly with each symbolic tensor replaced."""
        from ._graph import GraphTensor

        def swap(x):
            return symbolic_to_eager(x) if isinstance(x, GraphTensor) else x

        args = pack_sequence_as(self.args, [swap(x) for x in _flatten(list(self.args))])
        return _flatten(self.wrapper(*args, **self.kwargs))


def _traced_custom_gradient(wrapper, f, args, kwargs):
    from ._tensor import _op

    inputs = _tensor_args(args)
    with stop_gradient_scope():  # the forward ops go into the graph as traced
        result, grad_fn = f(*args, **kwargs)
        call = CustomGradientCall(wrapper, args, kwargs)
        outputs = [
            _op("Identity", [y], {"custom_gradient": call, "index": i})
            for i, y in enumerate(_flatten(result))
        ]
    if _active:  # a tape inside the traced function: grad_fn's ops join the graph
        record("CustomGradient", inputs, outputs, {"grad_fn": grad_fn})
    return pack_sequence_as(result, outputs)
