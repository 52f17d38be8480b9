"""Python called from graphs: ``py_function``, ``numpy_function``, and the eager/graph helpers
``executing_eagerly``, ``init_scope`` and ``control_dependencies``.

A Python callback inside a traced function is one graph node of a host-call type
(``_graph.HOST_CALLS``: ``EagerPyFunc``, ``PyFunc``, ``PyFuncStateless``, the summary writes)
whose ``host_call`` attr is a ``HostCall``: the compiled graph calls it on the node's input
buffers, and eager replay (a tape recording) calls it on eager tensors, so the tape records
the Python function's own ops. Nothing runs at trace time.
"""

from __future__ import annotations

import contextlib

import numpy as np

from tensorhouse_kernels.runtime import copy_to_device, errors

from . import _array, _graph, _record, _tape, _tensor
from . import dtypes as _dt
from ._graph import Operation
from ._tensor import Tensor, TensorShape, VariableLike, convert_to_tensor

__all__ = [
    "HostCall", "control_dependencies", "executing_eagerly", "host_call", "init_scope",
    "numpy_function", "py_function",
]  # fmt: skip


def executing_eagerly():
    """TF's ``tf.executing_eagerly``: False while a ``tf.function`` is being traced."""
    return not (_tensor._tracing and _graph.current_graph() is not None)


@contextlib.contextmanager
def init_scope():
    """TF's ``tf.init_scope``: ops run eagerly (out of the trace) and no tape records them."""
    if executing_eagerly():
        with _tape.stop_gradient_scope():
            yield
        return
    with _graph.eager_scope(), _tape.stop_gradient_scope():
        yield


@contextlib.contextmanager
def control_dependencies(control_inputs):
    """TF's ``tf.control_dependencies``: graph ops run in the order they were traced, so side
    effects traced earlier already come first; eagerly a no-op."""
    if control_inputs is not None and not executing_eagerly():
        for c in control_inputs:
            if not (isinstance(c, VariableLike) or isinstance(c, Tensor | Operation)):
                raise TypeError(f"Control input must be Operation or Tensor: {c}")
    yield


class HostCall:
    """A Python callback a graph node runs: ``fn(list of eager tensors) -> list of tensors``
    (``arrays``: ``fn(list of NumPy arrays) -> list of NumPy arrays``, no tensor wrapping),
    checked against the node's output dtypes and static shapes (``shapes[i]`` None: any
    shape; ``guessed[i]``: a rank the trace had to guess, which ``set_shape`` may change)."""

    __slots__ = ("fn", "name", "dtypes", "shapes", "guessed", "arrays", "_np")

    def __init__(self, fn, name, dtypes=(), shapes=None, guessed=None, arrays=False):
        self.fn = fn
        self.name = name
        self.dtypes = list(dtypes)
        self.shapes = list(shapes) if shapes is not None else [None] * len(self.dtypes)
        self.guessed = list(guessed) if guessed is not None else [False] * len(self.dtypes)
        self.arrays = arrays
        self._np = [dt._np for dt in self.dtypes]  # what an array output's dtype must be

    def __call__(self, tensors):
        """Run on eager tensors (replay and eager calls); returns the output tensors."""
        if self.arrays:
            device = _tensor.current_device() or _tensor.default_device()
            outs = self.run_arrays([np.asarray(t) for t in tensors])
            return [Tensor(_tensor.from_host(o, device), device) for o in outs]
        outs = self.fn(list(tensors))
        self._check_count(outs)
        for o, dt, shape, guess in zip(outs, self.dtypes, self.shapes, self.guessed):
            if o.dtype != dt:
                self._dtype_error(o.dtype.name, dt)
            if shape is not None and not o.shape.is_compatible_with(shape):
                self._shape_error(o.shape, shape, guess)
        return outs

    def run_arrays(self, arrays):
        """``fn`` on NumPy arrays (``arrays`` mode): its checked, C-contiguous output arrays."""
        outs = list(self.fn(arrays))
        if len(outs) != len(self._np):
            self._check_count(outs)
        for i, o in enumerate(outs):  # the per-element path of a dataset's map: kept lean
            if o.dtype != self._np[i]:
                got = _dt.as_dtype(o.dtype).name if o.dtype in _dt._FROM_NP else str(o.dtype)
                self._dtype_error(got, self.dtypes[i])
            shape = self.shapes[i]
            if shape is not None and o.shape != shape and not _fits(o.shape, shape):
                self._shape_error(TensorShape(o.shape), shape, self.guessed[i])
            if not o.flags.c_contiguous:
                outs[i] = np.ascontiguousarray(o) if o.ndim else o.copy()
        return outs

    def _check_count(self, outs):
        if len(outs) != len(self.dtypes):
            raise errors.InvalidArgumentError(
                f"{self.name} returns {len(outs)} values, but expects to see "
                f"{len(self.dtypes)} values."
            )

    def _dtype_error(self, got, dt):
        raise errors.InvalidArgumentError(
            f"{self.name}: the Python function returned a {got} value where {dt.name} was "
            "expected (Tout)"
        )

    def _shape_error(self, got, shape, guess):
        hint = (
            "; TF leaves the rank unknown, a traced graph here needs one: give Tout as "
            "a tf.TensorSpec or call set_shape on the output"
            if guess
            else ""
        )
        raise errors.InvalidArgumentError(
            f"{self.name}: the Python function returned a value of shape {got} where "
            f"the traced graph expects shape {TensorShape(shape)}{hint}"
        )

    def set_shape(self, index, shape):
        """``set_shape`` on output ``index``: the merged static shape, or a ValueError."""
        shape = tuple(shape)
        old = self.shapes[index]
        if self.guessed[index] and len(old) != len(shape):
            old = (None,) * len(shape)
        merged = _graph.merge_shapes(old, shape)
        self.shapes[index], self.guessed[index] = merged, False
        return merged

    def buffers_fn(self, device):
        """``run(*buffers) -> tuple(buffers)`` for the compiled graph on ``device``."""
        if self.arrays and device.device_type == "CPU":  # the buffers are the arrays
            return lambda *bufs: tuple(self.run_arrays(list(bufs)))
        if self.arrays:  # no tensor
            run_arrays, to_host, from_host = self.run_arrays, _tensor.to_host, _tensor.from_host
            return lambda *bufs: tuple(
                from_host(o, device) for o in run_arrays([to_host(b, device) for b in bufs])
            )

        def run(*bufs):
            outs = self([Tensor(b, device) for b in bufs])
            return tuple(o._value if o._device is device else _to(o, device) for o in outs)

        return run


def _fits(dims, shape):
    """Whether concrete ``dims`` fit a static ``shape`` (None: any size)."""
    if len(dims) != len(shape):
        return False
    for d, s in zip(dims, shape):
        if s is not None and s != d:
            return False
    return True


def _to(t, device):
    return copy_to_device(t._value, t._device, device)


def host_call(op_type, fn, inputs, out_specs, name, guessed=None, arrays=False):
    """Run ``fn`` now (eagerly) or add it to the graph being traced as one ``op_type`` node.

    ``out_specs`` is a list of ``(shape, DType)``; ``arrays``: ``fn`` takes and returns NumPy
    arrays (the cheap path for host work); returns the list of output tensors."""
    dtypes = [dt for _, dt in out_specs]
    if executing_eagerly():
        return HostCall(fn, name, dtypes, arrays=arrays)(inputs)
    shapes = [None if s is None else tuple(s) for s, _ in out_specs]  # None: unknown rank
    call = HostCall(fn, name, dtypes, shapes, guessed, arrays)
    g = _graph.current_graph()
    specs = [(s, dt._np) for s, dt in zip(shapes, dtypes)]
    op = g._new_op(op_type, [g._input(t) for t in inputs], {"host_call": call}, specs)
    return list(op.outputs)


# ---- py_function / numpy_function -----------------------------------------------------------

# Python exceptions raised by the function, as TF's error classes (others: UnknownError).
_ERRORS = (
    (errors.OpError, None),
    ((ValueError, TypeError), errors.InvalidArgumentError),
    ((StopIteration, IndexError), errors.OutOfRangeError),
    (MemoryError, errors.ResourceExhaustedError),
    (NotImplementedError, errors.UnimplementedError),
)


def _call_user(func, args, name):
    try:
        return func(*args)
    except Exception as e:
        for kinds, cls in _ERRORS:
            if isinstance(e, kinds):
                if cls is None:
                    raise
                raise cls(f"{type(e).__name__}: {e} [Op:{name}]") from e
        raise errors.UnknownError(f"{type(e).__name__}: {e} [Op:{name}]") from e


def _parse_tout(Tout):
    """(single output?, [(shape or None, DType)]) from a dtype, TensorSpec or list of them."""
    if Tout is None:
        raise TypeError("Missing required argument: 'Tout'")
    single = not isinstance(Tout, list | tuple)
    specs = []
    for t in [Tout] if single else Tout:
        if hasattr(t, "shape") and hasattr(t, "dtype") and not isinstance(t, _dt.DType):
            specs.append((tuple(t.shape) if t.shape.rank is not None else None,
                          _dt.as_dtype(t.dtype)))  # fmt: skip
        else:
            specs.append((None, _dt.as_dtype(t)))
    return single, specs


def _inputs(inp):
    out = []
    for x in [] if inp is None else list(inp) if isinstance(inp, list | tuple) else [inp]:
        out.append(x._th_read() if isinstance(x, VariableLike) else convert_to_tensor(x))
    return out


def _traced(op_type, run, inputs, specs, name, arrays=False):
    """The host-call node of a traced py_function / numpy_function. Static shapes: a
    TensorSpec's, else unknown dims of the first input's rank (TF gives an unknown rank, which
    traced graphs here cannot hold; ``set_shape`` on the output may change the guess)."""
    rank = inputs[0].ndim if inputs else 0
    static = [((None,) * rank if s is None else s, dt) for s, dt in specs]
    return host_call(op_type, run, inputs, static, name, [s is None for s, _ in specs], arrays)


_counter = iter(range(1 << 62))


def py_function(func=None, inp=None, Tout=None, name=None):
    """TF's ``tf.py_function``: ``func`` runs eagerly on tensors, in a graph when it runs;
    gradients flow through the ops ``func`` runs."""
    if func is None:
        raise TypeError("Missing required argument: 'func'")
    single, specs = _parse_tout(Tout)
    inputs = _inputs(inp)
    fname = name or f"pyfunc_{next(_counter)}"

    def run(tensors):
        result = _call_user(func, tensors, "EagerPyFunc")
        if not specs:
            return []
        flat = [result] if single or not isinstance(result, list | tuple) else list(result)
        outs = []
        for r, (_, dt) in zip(flat, specs):
            if isinstance(r, VariableLike):
                r = r._th_read()
            try:
                outs.append(r if isinstance(r, Tensor) else convert_to_tensor(r, dt))
            except (TypeError, ValueError) as e:
                raise errors.InvalidArgumentError(f"{e} [Op:EagerPyFunc]") from e
        return outs + flat[len(outs) :]  # too many values: HostCall names the counts

    if executing_eagerly():
        outs = HostCall(run, fname, [dt for _, dt in specs])(inputs)
    else:
        outs = _traced("EagerPyFunc", run, inputs, specs, fname)
        if _record._active:  # a tape in the traced function: the gradient is another callback
            _record_gradient(func, inputs, outs)
    if not specs:
        return [] if not single else None
    return outs[0] if single else outs


def _record_gradient(func, inputs, outputs):
    """Record on the tapes a ``CustomGradient`` whose gradient node reruns ``func`` under a tape
    when the graph runs and returns the input gradients."""
    floats = [i for i, x in enumerate(inputs) if x.dtype.is_floating]
    if not floats or not outputs:
        return

    def grad_fn(*dys):
        n = len(inputs)

        def vjp(tensors):
            xs, gs = tensors[:n], tensors[n:]
            with _tape.GradientTape() as tape:
                for i in floats:
                    tape.watch(xs[i])
                ys = func(*xs)
            ys = [ys] if not isinstance(ys, list | tuple) else list(ys)
            grads = tape.gradient(ys[: len(gs)], [xs[i] for i in floats], output_gradients=gs,
                                  unconnected_gradients="zero")  # fmt: skip
            return list(grads)

        dys = [d if d is not None else _zeros(o) for d, o in zip(dys, outputs)]
        specs = [(tuple(inputs[i].shape), inputs[i].dtype) for i in floats]
        gouts = host_call("EagerPyFunc", vjp, inputs + dys, specs, "EagerPyFuncGrad")
        it = iter(gouts)
        return [next(it) if i in floats else None for i in range(len(inputs))]

    _tape.record("CustomGradient", inputs, outputs, {"grad_fn": grad_fn})


def _zeros(t):
    """Zeros of ``t``'s shape and dtype (an output gradient that did not flow)."""
    if _tensor._tracing and t.shape.rank is None:  # the whole shape, read at run time
        return _array.fill([("all", t)], 0, dtype=t.dtype)
    return _array.zeros_like(t)


def numpy_function(func=None, inp=None, Tout=None, stateful=True, name=None):
    """TF's ``tf.numpy_function``: ``func`` gets and returns NumPy arrays; no gradient."""
    if func is None:
        raise TypeError("Missing required argument: 'func'")
    single, specs = _parse_tout(Tout)
    inputs = _inputs(inp)
    fname = name or f"pyfunc_{next(_counter)}"

    def run(arrays):  # NumPy in, NumPy out: the graph node calls it on the host buffers
        result = _call_user(func, [np.array(a) for a in arrays], "PyFunc")
        if not specs:
            return []
        flat = [result] if not isinstance(result, list | tuple) else list(result)
        outs = []
        for r in flat:  # eagerly TF keeps each value's own dtype; a graph checks it
            try:
                if isinstance(r, str | bytes) or np.asarray(r).dtype.kind in "US":
                    r = np.asarray(r)
                    r = (np.char.encode(r, "utf-8") if r.dtype.kind == "U" else r).astype(object)
                a = np.asarray(r) if isinstance(r, Tensor) else _tensor._to_numpy(r, None)
            except (TypeError, ValueError) as e:
                raise errors.InvalidArgumentError(f"{e} [Op:PyFunc]") from e
            # the function may change its array later: the output keeps its own copy
            outs.append(a.copy() if isinstance(r, np.ndarray) and np.shares_memory(a, r) else a)
        return outs

    if executing_eagerly():
        outs = [convert_to_tensor(a) for a in run([np.asarray(t) for t in inputs])]
    else:
        op_type = "PyFunc" if stateful else "PyFuncStateless"
        outs = _traced(op_type, run, inputs, specs, fname, arrays=True)
    if not specs:
        return [] if not single else None
    if single and len(outs) == 1:
        return outs[0]
    return outs
