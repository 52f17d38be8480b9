"""``Dataset``: an input pipeline of Python iterators over host (NumPy) elements.

Elements travel through the pipeline as NumPy arrays (strings as object arrays of ``bytes``)
nested in tuples, namedtuples and dicts (TF's rule: lists are values, not structure) and become
ops tensors only where the user sees them: when the dataset is iterated and when a function
given to a transformation is called. Every dataset knows its ``element_spec`` (TF's, with
unknown dimensions where TF has them) and its ``cardinality`` (TF's propagation rules).

A function given to ``map``, ``filter`` or ``take_while`` is traced once with
``tensorhouse_ops.function`` on the input element spec (unknown dims stay unknown, so one
trace serves images of every size; Python side effects run once, as in TF) and its graph runs
per element; the kernels release the GIL, so a parallel map overlaps their work. A function
that cannot trace runs eagerly per element, and its ``element_spec`` comes from the first
element. ``flat_map``'s, ``interleave``'s, ``scan``'s and the others' functions trace once too
(``_DatasetFn``, ``_StateFn``); a function made inside one of them that closes over its tensors
(``lambda x: other.map(lambda i: i + x)``) takes them as per-element ``Param``s and traces once.

Order is deterministic unless asked otherwise: ``shuffle`` draws from a generator seeded
through ``ops.random``'s seed rules, a parallel ``map`` and a parallel ``interleave`` keep the
sequential order unless ``deterministic=False`` (or ``Options.deterministic = False``), and
``prefetch`` runs the upstream pipeline in one background thread without reordering. Closing
an iterator (``break``, or dropping it) stops and joins every thread it started.
"""

from __future__ import annotations

import collections
import itertools
import math
import os
import queue
import secrets
import threading
import types

import numpy as np

from tensorhouse_ops import (
    Tensor,
    TensorShape,
    TensorSpec,
    cast,
    constant,
    convert_to_tensor,
    errors,
    executing_eagerly,
    function,
    gather,
    less_equal,
    py_function,
    random,
    reduce_sum,
)

from . import _params, _threads
from . import _structure as st
from ._optional import (
    Optional,
    component_specs,
    components,
    dense_specs,
    example_node,
    from_components,
    next_node,
)
from ._options import Options

__all__ = ["AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "Dataset", "DatasetSpec"]

AUTOTUNE = -1
INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2
_INF, _UNK = INFINITE_CARDINALITY, UNKNOWN_CARDINALITY
_AUTOTUNE_THREADS = min(8, os.cpu_count() or 1)
_AUTOTUNE_PREFETCH = 2


class DatasetSpec:
    """The spec of a dataset-valued element (``window``'s elements)."""

    def __init__(self, element_spec, dataset_shape=()):
        self.element_spec = element_spec
        self.shape = TensorShape(dataset_shape)

    def __eq__(self, other):
        return (
            isinstance(other, DatasetSpec)
            and self.element_spec == other.element_spec
            and self.shape.as_list() == other.shape.as_list()
        )

    def __hash__(self):
        return hash(repr(self))

    def __repr__(self):
        return f"DatasetSpec({self.element_spec!r}, TensorShape({self.shape.as_list()}))"


def _call(fn, element):
    """TF's calling convention: a plain tuple element is unpacked into arguments."""
    return fn(*element) if type(element) is tuple else fn(element)


def _call_on_host(fn, element):
    out = _call(fn, st.map_structure(st.to_tensor, element))
    if isinstance(out, list):
        out = tuple(out)
    return st.map_structure(st.to_host, out)


def _closure_params(fn):
    """``{closure cell index: Param}`` for the symbolic tensors of an enclosing dataset
    function's trace that ``fn``'s closure holds (``lambda i: i + x`` inside ``flat_map``)."""
    if _params.current() is None or not isinstance(fn, types.FunctionType):
        return {}
    found = {}
    for i, cell in enumerate(fn.__closure__ or ()):
        try:
            value = cell.cell_contents
        except ValueError:  # a name not yet bound
            continue
        if isinstance(value, Tensor) and type(param := _params.host(value)) is _params.Param:
            found[i] = param
    return found


def _rebind(fn, values):
    """``fn`` with its closure cells ``values``' keys holding those values instead."""
    cells = tuple(types.CellType(values[i]) if i in values else c
                  for i, c in enumerate(fn.__closure__))  # fmt: skip
    out = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__, cells)
    out.__kwdefaults__ = fn.__kwdefaults__
    return out


class _ElementFn:
    """A ``map`` function or a predicate: traced once on the input element spec (unknown dims
    stay unknown, so images of any size share one trace) and its graph run per element, as TF
    does; a function that cannot trace runs eagerly per element instead. Inside another dataset
    function's trace, the outer tensors its closure holds become extra arguments (``Param``s
    bound per outer element), so it still traces once."""

    def __init__(self, fn, dataset):
        self.fn = fn
        self._dataset = dataset
        self._lock = threading.Lock()
        self._traced = None  # (concrete function, output spec), or an exception once tried
        self._closure = {}  # closure cell index -> Param (see _closure_params)
        try:  # traced when the transformation is made, as TF does
            self.trace()
        except Exception:
            _params.fail_outer()  # inside another dataset function: that one runs eagerly

    def trace(self):
        """``(concrete function, output spec)``; raises what tracing raised."""
        with self._lock:
            if self._traced is None:
                try:
                    layout = self._dataset.element_spec  # flat arguments, repacked as TF lays
                    # them out (ordered dicts keep their order), then the closure's tensors
                    self._closure = _closure_params(self.fn)
                    cells, n = list(self._closure), len(st.flatten(layout))

                    def body(*flat):
                        fn = _rebind(self.fn, dict(zip(cells, flat[n:]))) if cells else self.fn
                        return _call(fn, st.pack(layout, flat[:n]))

                    extra = [p.spec for p in self._closure.values()]
                    concrete = function(body).get_concrete_function(*st.flatten(layout), *extra)
                    out = concrete.structured_outputs
                    if _empty(out):
                        raise _NoComponents(
                            None, None, _no_components("output_types", "MapDataset")
                        )
                    spec = st.map_structure(st.spec_of_output, _tuple(out))
                    self._traced = (concrete, spec)
                except Exception as e:  # not traceable: eager per element
                    self._traced = e
        if isinstance(self._traced, Exception):
            raise self._traced
        return self._traced

    def runner(self, ctx):
        """``element -> host output`` for iterating in ``ctx``: the traced graph, or the eager
        call."""
        try:
            concrete, spec = self.trace()
        except Exception:
            return lambda element: _call_on_host(self.fn, element)
        extra = [st.to_tensor(_params.bind(p, ctx)) for p in self._closure.values()]
        host = _host_runner(concrete, spec, self._dataset.element_spec, extra)
        if host is not None:
            return host

        def run(element):
            flat = [st.to_tensor(x) for x in st.flatten(element)]
            out = st.flatten(_tuple(concrete(*flat, *extra)))
            return st.pack(spec, [st.to_host(x) for x in out])  # the traced layout and order

        if isinstance(spec, TensorSpec) and not isinstance(
            self._dataset.element_spec, tuple | dict
        ):  # one in, one out
            return lambda element: st.to_host(concrete(st.to_tensor(element), *extra))
        return run


def _host_runner(concrete, spec, in_spec, extra):
    """``element -> host output`` calling the compiled graph on the element's host arrays
    (``ConcreteFunction.host_fn``): no tensors made per element; None where an input or output
    is not a dense tensor, or the function takes closure tensors."""
    dense = lambda s: all(type(x) is TensorSpec for x in st.flatten(s))  # noqa: E731
    if extra or not (dense(in_spec) and dense(spec)):
        return None
    run = concrete.host_fn()
    if run is None:
        return None

    def to_host(a):  # strings as object arrays of bytes (``st.to_host``)
        return st.to_host(a) if a.dtype.kind in "OSU" else a

    if isinstance(spec, TensorSpec) and isinstance(in_spec, TensorSpec):  # one in, one out
        return lambda element: to_host(run(element)[0])
    return lambda element: st.pack(spec, [to_host(x) for x in run(*st.flatten(element))])


def _tuple(out):
    return tuple(out) if isinstance(out, list) else out


class _DatasetFn:
    """A function returning a dataset (``flat_map``'s, ``interleave``'s, ``group_by_window``'s
    reducer), traced once on its argument specs when the transformation is made, as TF does:
    the dataset it returns is built once, from ``Param``s where it used the arguments, and per
    call the traced graph computes their values. A function that cannot trace (it needs a
    value, or a function inside it cannot) is called eagerly per element instead."""

    def __init__(self, fn, specs, invoke, what, check=None):
        # invoke(fn, args) calls fn on args laid out as specs; check(out) raises TF's error
        self.fn, self._specs, self._invoke, self._what = fn, specs, invoke, what
        self.dataset = None
        self._concrete = None
        capture = _params.Capture()
        returned = []
        flat_specs = st.flatten(specs)
        # dataset arguments (window's elements) become datasets bound per call
        self._windows = {
            i: _params.Param(s) for i, s in enumerate(flat_specs) if isinstance(s, DatasetSpec)
        }
        closure = _closure_params(fn)  # an enclosing trace's tensors: extra arguments
        self._closure, cells = list(closure.values()), list(closure)
        n = len(flat_specs) - len(self._windows)

        def body(*tensors):
            it = iter(tensors[:n])
            flat = [
                _window_dataset(self._windows[i]) if i in self._windows else next(it)
                for i in range(len(flat_specs))
            ]
            call = _rebind(fn, dict(zip(cells, tensors[n:]))) if cells else fn
            with _params.capturing(capture):
                returned.append(invoke(call, st.pack(specs, flat)))
            return list(capture.tensors)

        try:
            tensor_specs = [s for i, s in enumerate(flat_specs) if i not in self._windows]
            tensor_specs += [p.spec for p in self._closure]
            concrete = function(body).get_concrete_function(*tensor_specs)
        except Exception:
            _params.fail_outer()
            return
        out = returned[0]
        (check or _check_dataset)(out, what)
        if capture.failed:
            _params.fail_outer()
            return
        self.dataset = out
        self._params = list(capture.params)
        self._concrete = concrete if self._params else None

    @property
    def element_spec(self):
        """The spec of the returned datasets' elements; None when the function runs eagerly."""
        return None if self.dataset is None else self.dataset.element_spec

    def open(self, args, ctx):
        """``(dataset, context)`` for the host arguments ``args``: iterate with
        ``dataset._make_iter(context)``."""
        if self.dataset is None:
            eager = self._invoke(self.fn, st.map_structure(_tensor_leaf, args))
            return _as_dataset(eager, self._what), ctx
        flat = st.flatten(args)
        bindings = {p: flat[i] for i, p in self._windows.items()}
        if self._concrete is not None:
            tensors = [st.to_tensor(a) for i, a in enumerate(flat) if i not in self._windows]
            tensors += [st.to_tensor(_params.bind(p, ctx)) for p in self._closure]
            values = _tuple(self._concrete(*tensors))
            bindings.update((p, st.to_host(v)) for p, v in zip(self._params, values))
        return self.dataset, (_params.Bound(ctx, bindings) if bindings else ctx)


class _StateFn:
    """``scan``'s / ``reduce``'s function of ``(state, element)``, traced once on their specs when
    the transformation is made, as TF does; while a new state's shape does not fit the state's
    spec, the spec is relaxed and the function traced again (TF's rule). ``concrete`` is None
    for a function that cannot trace (it then runs eagerly per element)."""

    def __init__(self, fn, state0, element_spec, what):
        self.concrete = None
        self.state_spec = st.map_structure(st.spec_of, state0)
        self._n = len(st.flatten(state0))
        closure = _closure_params(fn)  # an enclosing trace's tensors: extra arguments
        self.closure, cells = list(closure.values()), list(closure)
        k = self._n + len(st.flatten(element_spec))
        returned: list = []  # what the function returned in the latest trace
        for _ in range(8):
            returned.clear()

            def body(*flat):
                state = st.pack(self.state_spec, flat[: self._n])
                call = _rebind(fn, dict(zip(cells, flat[k:]))) if cells else fn
                out = call(state, st.pack(element_spec, flat[self._n : k]))
                returned.append(out)
                if what == "scan":
                    if not (isinstance(out, tuple | list) and len(out) == 2):
                        return []
                    new, value = out
                else:
                    new, value = out, ()
                leaves = st.flatten(_tuple(new)) + st.flatten(_tuple(value))
                return [x if st.is_composite(x) else convert_to_tensor(x) for x in leaves]

            try:
                concrete = function(body).get_concrete_function(
                    *st.flatten(self.state_spec), *st.flatten(element_spec),
                    *[p.spec for p in self.closure],
                )  # fmt: skip
            except Exception:
                _params.fail_outer()  # inside another dataset function: that one runs eagerly
                return
            new_spec = self._check(returned[0], what)
            relaxed = st.zip_map(lambda ab: st.relax(*ab), [self.state_spec, new_spec])
            if [st.dims(a) for a in st.flatten(relaxed)] == [
                st.dims(a) for a in st.flatten(self.state_spec)
            ]:
                self.concrete = concrete
                if what == "scan":
                    self.out_spec = st.map_structure(st.spec_of_output, _tuple(returned[0][1]))
                return
            self.state_spec = relaxed

    def _check(self, out, what):
        """TF's errors for a wrong return structure; the new state's spec."""
        spec_of = lambda x: st.map_structure(st.spec_of_output, _tuple(x))  # noqa: E731
        if what == "scan":
            if not (isinstance(out, tuple | list) and len(out) == 2):
                raise TypeError(
                    "Invalid `scan_func`. `scan_func` should return a pair consisting of new "
                    f"state and the output value but its return type is {spec_of(out)}."
                )
            out = out[0]
        new = spec_of(out)
        old_flat, new_flat = st.flatten(self.state_spec), st.flatten(new)
        if len(old_flat) != len(new_flat) or not st.same_structure(self.state_spec, new):
            if what == "reduce":
                raise errors.InvalidArgumentError(
                    None, None,
                    "The number of components of the initial state and the reduce function "
                    f"output does not match. (initial_state={len(old_flat)}, "
                    f"output={len(new_flat)}).",
                )  # fmt: skip
            raise TypeError(
                "Invalid `scan_func`. The element classes for the new state must match the "
                f"initial state. Expected {self.state_spec}; got {new}."
            )
        old_types = [st.dtype_name(a.dtype) for a in old_flat]
        new_types = [st.dtype_name(a.dtype) for a in new_flat]
        if old_types != new_types:
            fmt = _dtypes_text
            if what == "reduce":
                raise TypeError(
                    "The element types for the new state must match the initial state. "
                    f"Expected {fmt(old_types)} but got {fmt(new_types)}."
                )
            raise TypeError(
                "Invalid `scan_func`. The element types for the new state must match the "
                f"initial state. Expected {fmt(old_types)}, got {fmt(new_types)}."
            )
        return new

    def step(self, state, element, extra=()):
        """``(new state tensors, flat output tensors)`` for flat state tensors and a host
        element (``extra``: the values of ``closure``)."""
        flat = [st.to_tensor(x) for x in st.flatten(element)]
        outs = _tuple(self.concrete(*state, *flat, *extra))
        return list(outs[: self._n]), list(outs[self._n :])


def _dtypes_text(names):
    """TF's text for the dtypes of a state: one ``<dtype: 'x'>``, or a tuple of them."""
    texts = [f"<dtype: '{n}'>" for n in names]
    return texts[0] if len(texts) == 1 else "(" + ", ".join(texts) + ")"


def _window_dataset(param):
    """The dataset argument ``param`` stands for, bound when iterated."""
    spec = param.spec

    def it(ctx):
        return _params.bind(param, ctx)._make_iter(ctx)

    return Dataset(it, _UNK, lambda: spec.element_spec, "Window")


def _tensor_leaf(x):
    return x if isinstance(x, Dataset) else st.to_tensor(x)


def _check_dataset(out, what):
    if not isinstance(out, Dataset):
        kind = tuple if isinstance(out, list) else type(out)  # TF's lists become tuples
        raise TypeError(f"The `{what}` argument must return a `Dataset` object. Got {kind}.")


def _check_predicate(element_fn):
    """TF's check at construction: a predicate that traces must give a bool scalar."""
    try:
        spec = element_fn.trace()[1]
    except Exception:
        return
    if not (
        isinstance(spec, TensorSpec) and st.dtype_name(spec.dtype) == "bool"
        and st.dims(spec) == []
    ):  # fmt: skip
        raise ValueError(
            "Invalid `predicate`. `predicate` must return a `tf.bool` scalar tensor, but its "
            f"return type is {spec}."
        )


class _Specs:
    """An element spec for ``_ElementFn`` where there is no dataset (a key's)."""

    def __init__(self, element_spec):
        self.element_spec = element_spec


def _empty(structure):
    """No tensors: None or an empty tuple / dict."""
    return all(leaf is None for leaf in st.flatten(structure))


def _no_components(attr, op):
    return f"Length for attr '{attr}' of 0 must be at least minimum 1 [Op:{op}]"


class _NoComponents(errors.InvalidArgumentError):
    """A dataset function that returned no tensors (TF's error when the dataset is made)."""


def _check_int64_scalar(element_fn):
    """TF's check at construction: a key function that traces must give an int64 scalar."""
    try:
        spec = element_fn.trace()[1]
    except Exception:
        return
    if not isinstance(spec, TensorSpec) or st.dtype_name(spec.dtype) != "int64":
        dtype = st.dtype_name(getattr(spec, "dtype", None))
        raise ValueError(
            f"Tensor conversion requested dtype int64 for Tensor with dtype {dtype}: {spec}"
        )
    if st.dims(spec) != []:
        raise ValueError(f"`key_func` must return a single tf.int64 scalar tensor; got {spec}")


def _check_window_reducer(out, what):
    if not isinstance(out, Dataset):
        spec = st.map_structure(st.spec_of_output, _tuple(out))
        raise TypeError(
            "Invalid `reduce_func`. `reduce_func` must return a single `tf.data.Dataset` object "
            f"but its return type is {spec}."
        )


def _positive(name, value):
    value = int(value)
    if value <= 0:
        what = name.replace("_", " ").capitalize()
        raise errors.InvalidArgumentError(
            None, None, f"{what} must be greater than zero. Received: {name}={value}"
        )
    return value


def _rows_of(element):
    """The rows of one batched element; every component needs the same leading size."""
    sizes = []
    for a in st.flatten(element):
        if len(a.shape) == 0:
            raise errors.InvalidArgumentError(
                None, None, "Input element must have a non-scalar value in each component."
            )
        sizes.append(a.shape[0])
    for k, n in enumerate(sizes[1:], 1):
        if n != sizes[0]:
            raise errors.InvalidArgumentError(
                None, None,
                "Input element must have the same batch size in each component. Component 0 had "
                f"size {sizes[0]} but component {k} had size, {n}.",
            )  # fmt: skip
    for i in range(sizes[0] if sizes else 0):
        yield st.map_structure(lambda a, i=i: st.row(a, i), element)


def _workers(num_parallel_calls, ctx):
    if num_parallel_calls is None:
        return 1
    n = _AUTOTUNE_THREADS if num_parallel_calls == AUTOTUNE else int(num_parallel_calls)
    cap = ctx.threading.private_threadpool_size
    if cap:
        n = min(n, int(cap))
    return max(1, n)


def _check_parallel_calls(num_parallel_calls):
    if num_parallel_calls is None:
        return None
    n = int(num_parallel_calls)
    if n == 0 or n < AUTOTUNE:
        raise ValueError(
            "num_parallel_calls must be a positive integer or AUTOTUNE (-1). "
            f"Received: num_parallel_calls={n}"
        )
    return n


def _deterministic(deterministic, ctx):
    if deterministic is not None:
        return bool(deterministic)
    return ctx.deterministic is not False


def _stack(elements, spec=None):
    if spec is not None and any(st.is_composite(s) for s in st.flatten(spec)):
        return st.zip_map(_stack_with_spec, [spec, *elements])
    return _stack_dense(elements)


def _stack_with_spec(spec_and_leaves):
    spec, leaves = spec_and_leaves[0], spec_and_leaves[1:]
    if st.is_composite_spec(spec):
        return st.batch_composite(leaves, spec)
    return _stack_dense([tuple([leaf]) for leaf in leaves])[0]


def _stack_dense(elements):
    def stack(leaves):
        first = leaves[0]
        for i, leaf in enumerate(leaves):
            if leaf.shape != first.shape:
                raise errors.InvalidArgumentError(
                    None,
                    None,
                    "Cannot batch tensors with different shapes in component. First element "
                    f"had shape {list(first.shape)} and element {i} had shape {list(leaf.shape)}.",
                )
        return np.stack(leaves)

    return st.zip_map(stack, elements)


def _as_dataset(x, what):
    if not isinstance(x, Dataset):
        raise TypeError(f"`{what}` must return a `tf.data.Dataset` object. Got {type(x)}.")
    return x


# ---- the dataset ----------------------------------------------------------------------------


class Dataset:
    """TF's ``tf.data.Dataset``: build with the ``from_*`` constructors, chain transformations,
    iterate to get ops tensors (tuples, namedtuples and dicts keep their structure)."""

    def __init__(self, make_iter, cardinality, spec, kind="", inputs=(), source=None):
        # make_iter(ctx) returns an iterator of host elements; ctx is the pipeline's Options.
        self._make_iter = make_iter
        self._cardinality = int(cardinality)
        self._spec = spec  # a structure of specs, or a zero-argument callable giving one
        self._kind = kind
        self._inputs = tuple(inputs)
        self._options = None
        # (data, length, rows): a dataset of rows of ``data`` (from_tensor_slices); ``rows(ctx)``
        # gives the row indices in order (None: 0, 1, ...; a shuffle: a permutation)
        self._source = source
        # (ctx, batch_size, drop_remainder) -> the batches, cut without per-element values
        self._batches = None
        self._eager = executing_eagerly()  # made outside any trace

    def _derive(self, make_iter, cardinality, spec, kind, inputs=None, source=None):
        return Dataset(make_iter, cardinality, spec, kind, (self,) if inputs is None else inputs,
                       source)  # fmt: skip

    def _host_iter(self, ctx=None):
        return self._make_iter(self.options() if ctx is None else ctx)

    # ---- structure, size, options -------------------------------------------------------
    @property
    def element_spec(self):
        """The structure of ``TensorSpec``s (or ``DatasetSpec``s) of one element."""
        if callable(self._spec):
            self._spec = self._spec()
        return self._spec

    def cardinality(self):
        """The number of elements as an int64 scalar tensor; -1 infinite, -2 unknown."""
        return constant(self._cardinality, dtype="int64")

    def __len__(self):
        if self._cardinality == _INF:
            raise TypeError("The dataset is infinite.")
        if self._cardinality == _UNK:
            raise TypeError("The dataset length is unknown.")
        return self._cardinality

    def __bool__(self):
        return True

    def __repr__(self):
        return f"<_{self._kind}Dataset element_spec={self.element_spec!r}>"

    def options(self):
        """The pipeline's ``Options``: those of its inputs, then its own, merged."""
        merged = Options()
        for d in self._inputs:
            merged = merged.merge(d.options())
        if self._options is not None:
            merged = merged.merge(self._options)
        return merged

    def with_options(self, options, name=None):
        """This dataset with ``options`` set for the whole pipeline."""
        if not isinstance(options, Options):
            raise TypeError(f"`options` must be a `tf.data.Options`; received {type(options)}")
        out = self._derive(self._make_iter, self._cardinality, lambda: self.element_spec,
                           "Options")  # fmt: skip
        out._options = options
        return out

    # ---- iteration ------------------------------------------------------------------------
    def __iter__(self):
        return OwnedIterator(self)

    def _th_for_loop(self):
        """AutoGraph's ``for`` over this dataset inside a ``tf.function``, as TF's loop: each run
        of the function iterates it anew. ``(step, example)``: ``step()`` a node giving
        ``(has_value, element)`` from this run's iterator, ``example`` an element of zeros with
        the spec's static shapes (ragged and sparse elements through their component tensors).
        None where the loop runs in Python while tracing: eagerly, or for a dataset made in the
        trace."""
        if not self._eager or executing_eagerly():
            return None
        key = py_function(lambda: _RUNS.start(self), [], Tout=TensorSpec([], "int64"),
                          name="MakeIterator")  # fmt: skip

        def step():
            return next_node(lambda k: _RUNS.take(int(k)), self.element_spec, [key])

        return step, example_node(self.element_spec)

    def as_numpy_iterator(self):
        """The elements as NumPy values: arrays, NumPy scalars, ``bytes`` for strings (safe to
        share between threads, as ``iter``'s)."""
        return _LockedIterator(_numpy(self._host_iter()))

    # ---- constructors -------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors, name=None):
        """One element per row of the leading axis: ``(x, y)`` gives ``(x[i], y[i])``."""
        if _empty(tensors):
            raise ValueError("Invalid `element`. `element` should not be empty.")
        data = _params.host_structure(tensors)
        leaves = st.flatten(data)
        lengths = []
        for leaf in leaves:
            if leaf.shape == () or getattr(leaf.shape, "rank", None) == 0:
                raise ValueError(
                    "Unbatching a tensor is only supported for rank >= 1; from_tensor_slices "
                    f"received a scalar component ({leaf!r})"
                )
            lengths.append(None if getattr(leaf.shape, "rank", 1) is None else leaf.shape[0])
        known = {n for n in lengths if n is not None}
        if len(known) > 1:
            raise ValueError(
                "from_tensor_slices: all components must have the same size in their first "
                f"dimension. Received sizes {lengths}"
            )
        spec = st.map_structure(lambda a: _params.spec_of(a, drop_leading=True), data)
        if _params.has_params(data):  # built in a traced dataset function: rows per binding

            def it(ctx):
                bound = _params.bind_structure(data, ctx)
                sizes = {len(a) if isinstance(a, np.ndarray) else a.shape[0]
                         for a in st.flatten(bound)}  # fmt: skip
                if len(sizes) != 1:
                    raise errors.InvalidArgumentError(
                        None, None, f"All components must have the same size in the 0th "
                        f"dimension; received sizes {sorted(sizes)}",
                    )  # fmt: skip
                for i in range(sizes.pop()):
                    yield st.map_structure(lambda a, i=i: st.row(a, i), bound)

            card = known.pop() if len(known) == 1 and None not in lengths else _UNK
            return Dataset(it, card, spec, "TensorSlice")
        n = lengths[0]

        def it(ctx):
            for i in range(n):
                yield st.map_structure(lambda a, i=i: st.row(a, i), data)

        return Dataset(it, n, spec, "TensorSlice", source=(data, n, None))

    @staticmethod
    def from_tensors(tensors, name=None):
        """A dataset of one element: ``tensors`` itself."""
        if _empty(tensors):
            raise errors.InvalidArgumentError(
                None, None, _no_components("Toutput_types", "TensorDataset")
            )
        data = _params.host_structure(tensors)
        spec = st.map_structure(_params.spec_of, data)
        return Dataset(lambda ctx: iter([_params.bind_structure(data, ctx)]), 1, spec, "Tensor")

    @staticmethod
    def range(*args, dtype="int64", name=None):
        """``range(stop)``, ``range(start, stop)``, ``range(start, stop, step)`` (int64)."""
        bounds = [_params.count(a) for a in args]
        np_dtype = np.dtype(st.dtype_name(dtype))
        spec = TensorSpec([], np_dtype.name)
        if _params.has_params(tuple(bounds)):  # bounds computed per element: bound when run

            def it(ctx):
                for v in range(*[int(_params.bind(a, ctx)) for a in bounds]):
                    yield np.asarray(v, dtype=np_dtype)

            return Dataset(it, _UNK, spec, "Range")
        r = range(*bounds)

        def it(ctx):
            for v in r:
                yield np.asarray(v, dtype=np_dtype)

        return Dataset(it, len(r), spec, "Range")

    @staticmethod
    def from_generator(generator, output_types=None, output_shapes=None, args=None,
                       output_signature=None, name=None):  # fmt: skip
        """Elements from ``generator(*args)``, called anew on each pass, checked against
        ``output_signature`` (or the legacy ``output_types`` / ``output_shapes``)."""
        if not callable(generator):
            raise TypeError("`generator` must be a Python callable.")
        if output_signature is not None:
            if output_types is not None or output_shapes is not None:
                raise TypeError(
                    "The `output_types` and `output_shapes` arguments can not be used together "
                    "with the `output_signature` argument."
                )
            for s in st.flatten(output_signature):
                if not isinstance(s, TensorSpec):
                    raise TypeError(
                        "`output_signature` must contain objects that are subclass of "
                        f"`tf.TypeSpec` but found {type(s)} which is not."
                    )
            spec = output_signature
        else:
            if output_types is None:
                raise TypeError(
                    "To specify the output signature you need to provide either the "
                    "`output_signature` argument or the `output_types` argument."
                )
            if output_shapes is None:
                spec = st.map_structure(lambda t: TensorSpec(None, t), output_types)
            else:
                spec = st.zip_map(
                    lambda pair: TensorSpec(st.as_shape(pair[1]), pair[0]),
                    [output_types, _shapes_like(output_types, output_shapes)],
                )
        call_args = tuple(st.to_numpy(st.to_host(a)) for a in (args or ()))

        def check(value, s):
            try:
                a = st.to_host(value, s.dtype)
            except (TypeError, ValueError) as e:
                raise errors.InvalidArgumentError(
                    None, None,
                    f"TypeError: `generator` yielded an element that could not be converted to "
                    f"the expected type. The expected type was {st.dtype_name(s.dtype)}, but the "
                    f"yielded element was {value!r}.",
                ) from e  # fmt: skip
            if st.host_dtype(a) != st.dtype_name(s.dtype):
                raise errors.InvalidArgumentError(
                    None, None,
                    f"TypeError: `generator` yielded an element of type {st.host_dtype(a)} "
                    f"where an element of type {st.dtype_name(s.dtype)} was expected.",
                )  # fmt: skip
            if not st.fits(a, s):
                raise errors.InvalidArgumentError(
                    None, None,
                    f"TypeError: `generator` yielded an element of shape {a.shape} where an "
                    f"element of shape {tuple(st.dims(s))} was expected.",
                )  # fmt: skip
            return a

        def it(ctx):
            for value in generator(*call_args):
                if isinstance(value, list) and isinstance(spec, tuple):
                    value = tuple(value)
                if not st.same_structure(value, spec) and isinstance(spec, tuple | dict):
                    raise errors.InvalidArgumentError(
                        None, None,
                        "TypeError: `generator` yielded an element that did not match the "
                        f"expected structure. Expected: {spec}; got: {value!r}",
                    )  # fmt: skip
                if isinstance(spec, tuple | dict):
                    yield st.zip_map(lambda vs: check(*vs), [value, spec])
                else:
                    yield check(value, spec)

        return Dataset(it, _UNK, spec, "FlatMap")

    @staticmethod
    def zip(*datasets, name=None):
        """Elements of several datasets side by side, as a tuple (or the given dict/tuple)."""
        if len(datasets) == 1 and isinstance(datasets[0], tuple | dict):
            datasets = datasets[0]
        structure = datasets
        flat = st.flatten(structure)
        for d in flat:
            if not isinstance(d, Dataset):
                raise TypeError(
                    "Invalid input to `zip`. Inputs are expected to be (nested) structures of "
                    f"`tf.data.Dataset` objects. Python `list` is not supported. Received {d!r}"
                )

        def it(ctx):
            for parts in zip(*[d._make_iter(ctx) for d in flat]):
                yield st.pack(structure, parts)

        cards = [d._cardinality for d in flat]
        finite = [c for c in cards if c >= 0]
        if finite:
            card = min(finite)
        elif _UNK in cards:
            card = _UNK
        else:
            card = _INF
        spec = lambda: st.map_structure(lambda d: d.element_spec, structure)  # noqa: E731
        return Dataset(it, card, spec, "Zip", flat)

    @staticmethod
    def sample_from_datasets(datasets, weights=None, seed=None, stop_on_empty_dataset=False,
                             rerandomize_each_iteration=None):  # fmt: skip
        """Draw each element from a dataset picked at random with ``weights`` (uniform)."""
        datasets = list(datasets)
        if not datasets:
            raise ValueError("Invalid `datasets`. `datasets` should not be empty.")
        n = len(datasets)
        w = np.full(n, 1.0 / n) if weights is None else np.asarray(st.to_host(weights), "float64")
        if w.shape != (n,):
            raise ValueError(
                "Invalid `weights`. The shape of `weights` should be compatible with `[ndatasets]`"
                f", but got `weights.shape={w.shape}` for {n} datasets."
            )
        spec = _common_spec(datasets)
        s1, s2 = random.get_seed(seed)
        if s1 is None:
            s1, s2 = secrets.randbits(63), secrets.randbits(63)
        passes = _Counter()

        def it(ctx):
            rng = np.random.default_rng([s1 & (2**63 - 1), s2 & (2**63 - 1), passes.next()])
            iters = [d._make_iter(ctx) for d in datasets]
            live = np.array(w, dtype="float64")
            while live.sum() > 0:
                i = int(rng.choice(n, p=live / live.sum()))
                try:
                    yield next(iters[i])
                except StopIteration:
                    if stop_on_empty_dataset:
                        return
                    live[i] = 0.0

        cards = [d._cardinality for d in datasets]
        card = _INF if _INF in cards else _UNK
        return Dataset(it, card, spec, "DirectedInterleave", datasets)

    @staticmethod
    def choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset=True):
        """Element ``k`` from ``datasets[choice_k]``, ``choice_dataset`` giving int64 ``k``s."""
        datasets = list(datasets)
        if not datasets:
            raise ValueError("Invalid `datasets`. `datasets` should not be empty.")
        cs = choice_dataset.element_spec if isinstance(choice_dataset, Dataset) else None
        if not (
            isinstance(cs, TensorSpec) and st.dtype_name(cs.dtype) == "int64" and cs.shape == []
        ):
            raise TypeError(
                "Invalid `choice_dataset`. Elements of `choice_dataset` must be scalar `tf.int64` "
                f"tensors but are {cs}."
            )
        spec = _common_spec(datasets)

        def it(ctx):
            iters = [d._make_iter(ctx) for d in datasets]
            done = [False] * len(iters)
            for k in choice_dataset._make_iter(ctx):
                k = int(k)
                if not 0 <= k < len(iters):
                    raise errors.InvalidArgumentError(
                        None, None,
                        f"Selector index out of range: {k} not in [0, {len(iters)})",
                    )  # fmt: skip
                if done[k]:
                    continue
                try:
                    yield next(iters[k])
                except StopIteration:
                    if stop_on_empty_dataset:
                        return
                    done[k] = True
                    if all(done):
                        return

        return Dataset(it, _UNK, spec, "DirectedInterleave", [*datasets, choice_dataset])

    @staticmethod
    def list_files(file_pattern, shuffle=None, seed=None, name=None):
        """The file names matching ``file_pattern`` (a glob or a list of them) as strings,
        shuffled unless ``shuffle=False``."""
        from ._readers import matching_files

        files = matching_files(file_pattern)
        ds = Dataset.from_tensor_slices(np.asarray(files, dtype=object).reshape(-1))
        if shuffle is None or shuffle:
            ds = ds.shuffle(max(1, len(files)), seed=seed)
        return ds

    # ---- element-wise transformations -----------------------------------------------------
    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        """``map_func(*element)`` for tuple elements, ``map_func(element)`` otherwise.

        With ``num_parallel_calls`` (a count or ``AUTOTUNE``) calls run on a thread pool; results
        keep the input order unless ``deterministic=False``.
        """
        num_parallel_calls = _check_parallel_calls(num_parallel_calls)
        source = self
        element_fn = _ElementFn(map_func, self)
        if isinstance(element_fn._traced, _NoComponents):
            message = _no_components("output_types", "MapDataset")
            raise errors.InvalidArgumentError(None, None, message) from None

        def it(ctx):
            workers = _workers(num_parallel_calls, ctx)
            apply = element_fn.runner(ctx)
            if getattr(ctx, "_skip_errors", False):  # under ignore_errors
                from ._more_transforms import skip_errors

                apply = skip_errors(apply)
            upstream = source._make_iter(ctx)
            if num_parallel_calls is None:
                for element in upstream:
                    yield apply(element)
            else:
                det = _deterministic(deterministic, ctx)
                tune = num_parallel_calls == AUTOTUNE
                yield from _threads.parallel_map(apply, iter(upstream), workers, det, tune)

        kind = "Map" if num_parallel_calls is None else "ParallelMap"
        return self._derive(it, self._cardinality, self._fn_spec(map_func, element_fn), kind)

    def _fn_spec(self, fn, element_fn=None):
        """The output spec of ``fn`` on this dataset's elements: traced once on the input spec,
        or (a function that cannot trace) called on the first element, keeping its ranks."""

        def spec():
            try:
                return element_fn.trace()[1] if element_fn else self._traced_spec(fn)
            except Exception:
                for element in self._host_iter():
                    return st.map_structure(_loose_spec, _call_on_host(fn, element))
                raise

        return spec

    def filter(self, predicate, name=None):
        """The elements for which ``predicate(*element)`` is true (a boolean scalar)."""
        source = self
        element_fn = _ElementFn(predicate, self)
        _check_predicate(element_fn)

        def it(ctx):
            keep = element_fn.runner(ctx)
            for element in source._make_iter(ctx):
                if _truth(keep(element), "filter"):
                    yield element

        return self._derive(it, _UNK, lambda: self.element_spec, "Filter")

    def take_while(self, predicate, name=None):
        """The elements up to the first for which ``predicate`` is false."""
        source = self
        element_fn = _ElementFn(predicate, self)
        _check_predicate(element_fn)

        def it(ctx):
            keep = element_fn.runner(ctx)
            for element in source._make_iter(ctx):
                if not _truth(keep(element), "take"):
                    return
                yield element

        return self._derive(it, _UNK, lambda: self.element_spec, "TakeWhile")

    def _traced_spec(self, fn):
        """The output spec of ``fn`` traced once on this dataset's element spec."""
        traced = function(lambda element: _call(fn, element))
        out = traced.get_concrete_function(self.element_spec).structured_outputs
        if isinstance(out, list):
            out = tuple(out)
        return st.map_structure(st.spec_of_output, out)

    def enumerate(self, start=0, name=None):
        """``(index, element)`` pairs, the index an int64 scalar."""
        source = self

        def it(ctx):
            for i, element in enumerate(source._make_iter(ctx), start=int(start)):
                yield (np.asarray(i, dtype=np.int64), element)

        spec = lambda: (TensorSpec([], "int64"), self.element_spec)  # noqa: E731
        return self._derive(it, self._cardinality, spec, "Zip")

    def scan(self, initial_state, scan_func, name=None):
        """``scan_func(state, element) -> (new_state, output)`` over the elements."""
        state0 = st.map_structure(st.to_host, initial_state)
        source = self
        traced = _StateFn(scan_func, state0, self.element_spec, "scan")

        def it(ctx):
            if traced.concrete is not None:
                state = [st.to_tensor(x) for x in st.flatten(state0)]
                extra = [st.to_tensor(_params.bind(p, ctx)) for p in traced.closure]
                for element in source._make_iter(ctx):
                    state, out = traced.step(state, element, extra)
                    yield st.pack(traced.out_spec, [st.to_host(x) for x in out])
                return
            state = state0
            for element in source._make_iter(ctx):
                out = scan_func(st.map_structure(st.to_tensor, state),
                                st.map_structure(st.to_tensor, element))  # fmt: skip
                if not (isinstance(out, tuple | list) and len(out) == 2):
                    raise TypeError(
                        "The scan function must return a pair comprising the new state and the "
                        f"output value. Received: {out!r}"
                    )
                state = st.map_structure(st.to_host, out[0])
                yield st.map_structure(st.to_host, out[1])

        def spec():
            if traced.concrete is not None:
                return traced.out_spec
            state_spec = st.map_structure(st.spec_of, state0)
            try:
                traced_fn = function(lambda s, e: scan_func(s, e)[1])
                out = traced_fn.get_concrete_function(state_spec, self.element_spec)
                return st.map_structure(st.spec_of_output, out.structured_outputs)
            except Exception:
                for element in it(self.options()):
                    return st.map_structure(_loose_spec, element)
                raise

        return self._derive(it, self._cardinality, spec, "Scan")

    def unique(self, name=None):
        """The elements with repeats dropped (int32, int64 or string scalars), first kept."""
        spec = self.element_spec
        if not isinstance(spec, TensorSpec):
            raise TypeError("`tf.data.Dataset.unique` only supports datasets of one component.")
        if st.dtype_name(spec.dtype) not in ("int32", "int64", "string"):
            raise TypeError(
                f"`tf.data.Dataset.unique` does not support type {spec.dtype!r} -- only "
                "`tf.int32`, `tf.int64`, and `tf.string` are supported."
            )
        source = self

        def it(ctx):
            seen = set()
            for element in source._make_iter(ctx):
                key = element.tobytes() if element.dtype != object else element[()]
                if key not in seen:
                    seen.add(key)
                    yield element

        return self._derive(it, _UNK, spec, "Unique")

    # ---- batching -------------------------------------------------------------------------
    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None,
              deterministic=None, name=None):  # fmt: skip
        """Stack consecutive elements along a new leading axis; the last batch may be smaller
        unless ``drop_remainder``."""
        batch_size = _positive("batch_size", batch_size)
        drop_remainder = bool(drop_remainder)
        source = self

        if self._source is not None and self._source[2] is None:
            data, n, _ = self._source

            def it(ctx):
                stop = n - n % batch_size if drop_remainder else n
                for start in range(0, stop, batch_size):
                    yield st.map_structure(lambda a, s=start: st.rows(a, s, s + batch_size), data)

        elif self._batches is not None:
            batches = self._batches

            def it(ctx):
                yield from batches(ctx, batch_size, drop_remainder)

        elif self._source is not None and _gatherable(self._source[0]):
            data, _, order = self._source

            def it(ctx):  # one gather per component and batch, no per-row copies
                rows = iter(order(ctx))
                while True:
                    index = np.fromiter(itertools.islice(rows, batch_size), np.int64)
                    if not len(index) or drop_remainder and len(index) < batch_size:
                        return
                    yield st.map_structure(lambda a, i=index: np.take(a, i, axis=0), data)

        else:

            def it(ctx):
                buf = []
                in_spec = source.element_spec
                for element in source._make_iter(ctx):
                    buf.append(element)
                    if len(buf) == batch_size:
                        yield _stack(buf, in_spec)
                        buf = []
                if buf and not drop_remainder:
                    yield _stack(buf, in_spec)

        card = self._cardinality
        if card >= 0:
            card = card // batch_size if drop_remainder else math.ceil(card / batch_size)
        static = batch_size if drop_remainder else None

        def spec():
            return st.map_structure(lambda s: st.batched(s, static), self.element_spec)

        return self._derive(it, card, spec, "Batch")

    def ragged_batch(self, batch_size, drop_remainder=False, row_splits_dtype="int64", name=None):
        """``batch``, with the components of unknown dims batched into RaggedTensors."""
        source = self

        def as_ragged(s):
            if st.is_composite_spec(s) or s.shape.rank in (None, 0) or s.shape.is_fully_defined():
                return s
            return st.RaggedTensorSpec(s.shape, s.dtype, 0, row_splits_dtype)

        def spec():
            return st.map_structure(as_ragged, source.element_spec)

        retyped = self._derive(source._make_iter, self._cardinality, spec, "RaggedRetype")
        return retyped.batch(batch_size, drop_remainder)

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None,
                     drop_remainder=False, name=None):  # fmt: skip
        """``batch`` for elements of different shapes: each component is padded to
        ``padded_shapes`` (None dims: the longest in the batch) with ``padding_values``."""
        batch_size = _positive("batch_size", batch_size)
        in_spec = self.element_spec
        if padded_shapes is None:
            for i, s in enumerate(st.flatten(in_spec)):
                if st.dims(s) is None:
                    raise ValueError(
                        "You must provide `padded_shapes` argument because component "
                        f"{i} has unknown rank."
                    )
            shapes = st.map_structure(st.dims, in_spec)
        else:
            shapes = _shapes_like(in_spec, padded_shapes)
            shapes = st.map_structure(lambda x: st.as_shape(x).as_list(), shapes)

        def check(pair):
            s, padded = pair
            d = st.dims(s)
            if d is None:
                return
            if len(d) != len(padded) or any(
                a is not None and b is not None and a > b for a, b in zip(d, padded)
            ):
                raise ValueError(
                    f"The padded shape {tuple(padded)} is not compatible with the shape "
                    f"{s.shape} of the corresponding input component."
                )

        st.zip_map(check, [in_spec, shapes])
        if padding_values is None:
            pads = st.map_structure(lambda s: _zero(s.dtype), in_spec)
        elif not isinstance(padding_values, tuple | dict) and isinstance(in_spec, tuple | dict):
            pads = st.map_structure(lambda s: st.to_host(padding_values, s.dtype), in_spec)
        else:
            pads = st.zip_map(lambda p: st.to_host(p[1], p[0].dtype), [in_spec, padding_values])
        shape_list = st.flatten(shapes)
        pad_list = st.flatten(pads)
        drop_remainder = bool(drop_remainder)
        source = self

        def pad_batch(elements):
            flat = [st.flatten(e) for e in elements]
            out = []
            for j, (target, pad) in enumerate(zip(shape_list, pad_list)):
                leaves = [f[j] for f in flat]
                size = [
                    t if t is not None else max(leaf.shape[k] for leaf in leaves)
                    for k, t in enumerate(target)
                ]
                result = np.full([len(leaves), *size], pad[()], dtype=leaves[0].dtype)
                for i, leaf in enumerate(leaves):
                    if any(a > b for a, b in zip(leaf.shape, size)):
                        raise errors.DataLossError(
                            None, None,
                            f"Attempted to pad to a smaller size than the input element. "
                            f"Element shape {list(leaf.shape)}, padded shape {size}.",
                        )  # fmt: skip
                    result[(i, *[slice(0, n) for n in leaf.shape])] = leaf
                out.append(result)
            return st.pack(elements[0], out)

        def it(ctx):
            buf = []
            for element in source._make_iter(ctx):
                buf.append(element)
                if len(buf) == batch_size:
                    yield pad_batch(buf)
                    buf = []
            if buf and not drop_remainder:
                yield pad_batch(buf)

        card = self._cardinality
        if card >= 0:
            card = card // batch_size if drop_remainder else math.ceil(card / batch_size)
        n = batch_size if drop_remainder else None
        spec = st.zip_map(lambda p: TensorSpec([n, *p[1]], p[0].dtype), [in_spec, shapes])
        return self._derive(it, card, spec, "PaddedBatch")

    def unbatch(self, name=None):
        """The inverse of ``batch``: one element per row of every component."""
        source = self
        leading = set()
        for s in st.flatten(self.element_spec):
            d = st.dims(s)
            if d == []:
                raise ValueError("Cannot unbatch an input with scalar components.")
            if d is not None and d[0] is not None:
                leading.add(d[0])
        if len(leading) > 1:
            a, b = sorted(leading)[:2]
            raise ValueError(
                "`unbatch()` is only supported for datasets of elements whose components have a "
                f"matching leading dimension. Encountered both {a} and {b}."
            )

        def it(ctx):
            for element in source._make_iter(ctx):
                yield from _rows_of(element)

        card = _INF if self._cardinality == _INF else _UNK
        spec = lambda: st.map_structure(st.unbatched, self.element_spec)  # noqa: E731
        return self._derive(it, card, spec, "Unbatch")

    def rebatch(self, batch_size, drop_remainder=False, name=None):
        """Re-cut the batches into batches of ``batch_size`` (or the cycled list of sizes)."""
        for s in st.flatten(self.element_spec):
            if st.dims(s) == []:
                raise ValueError(
                    "Invalid `batch_sizes`. Expected dataset with rank of >= 1 but found a dataset "
                    "with scalar elements. Fix the issue by adding the `batch` transformation to "
                    "the dataset."
                )
        sizes = [int(b) for b in np.asarray(st.to_host(batch_size)).reshape(-1)]
        scalar = np.ndim(st.to_host(batch_size)) == 0
        rows = self.unbatch()

        def it(ctx):
            buf = []
            k = 0
            for element in rows._make_iter(ctx):
                buf.append(element)
                if len(buf) == sizes[k % len(sizes)]:
                    yield _stack(buf)
                    buf, k = [], k + 1
            if buf and not drop_remainder:
                yield _stack(buf)

        n = sizes[0] if scalar and drop_remainder else None
        spec = lambda: st.map_structure(lambda s: st.batched(s, n), rows.element_spec)  # noqa: E731
        card = _INF if self._cardinality == _INF else _UNK
        return self._derive(it, card, spec, "Rebatch")

    def window(self, size, shift=None, stride=1, drop_remainder=False, name=None):
        """Windows of ``size`` elements every ``shift`` elements, ``stride`` apart; each window
        is a (structure of) dataset(s)."""
        size = _positive("size", size)
        shift = size if shift is None else _positive("shift", shift)
        stride = _positive("stride", stride)
        span = (size - 1) * stride + 1
        source = self

        def window_of(elements):
            def component(index_path):
                values = [index_path(e) for e in elements]
                spec_leaf = index_path(in_spec_struct())
                return _list_dataset(values, spec_leaf)

            return _map_paths(component, elements[0])

        def in_spec_struct():
            return self.element_spec

        def it(ctx):
            buf: collections.deque = collections.deque()
            upstream = source._make_iter(ctx)
            start = 0  # the index of buf[0]
            done = False
            pos = 0
            while True:
                while not done and len(buf) < span + (pos - start):
                    try:
                        buf.append(next(upstream))
                    except StopIteration:
                        done = True
                available = len(buf) - (pos - start)
                if available <= 0:
                    return
                if available < span and drop_remainder:
                    return
                picked = [buf[pos - start + k] for k in range(0, min(span, available), stride)]
                yield window_of(picked)
                pos += shift
                while buf and start < pos:
                    buf.popleft()
                    start += 1

        card = self._cardinality
        if card >= 0:
            card = max(0, (card - span) // shift + 1) if drop_remainder else -(-card // shift)
        spec = lambda: st.map_structure(lambda s: DatasetSpec(s), self.element_spec)  # noqa: E731
        return self._derive(it, card, spec, "Window")

    # ---- order and size -------------------------------------------------------------------
    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=None, name=None):
        """TF's buffered shuffle: keep ``buffer_size`` elements, emit a random one, refill.

        ``buffer_size`` at least the dataset size gives a uniform permutation. The order is
        fixed by ``seed`` or by the global seed (``utils.set_random_seed``); unless
        ``reshuffle_each_iteration=False`` each pass over the dataset takes a new order.
        """
        buffer_size = int(buffer_size)
        if buffer_size == AUTOTUNE:
            raise ValueError("shuffle(buffer_size=AUTOTUNE) is not supported; give a size")
        if buffer_size <= 0:
            raise errors.InvalidArgumentError(
                None, None, f"buffer_size must be greater than zero. Received: {buffer_size}"
            )
        reshuffle = reshuffle_each_iteration is None or bool(reshuffle_each_iteration)
        s1, s2 = random.get_seed(seed)
        if s1 is None:
            s1, s2 = secrets.randbits(63), secrets.randbits(63)
        key = [s1 & (2**63 - 1), s2 & (2**63 - 1)]
        passes = _Counter()
        source = self

        def rng():
            epoch = passes.next()
            return np.random.default_rng([*key, epoch if reshuffle else 0])

        def it(ctx):
            yield from _buffered_shuffle(iter(source._make_iter(ctx)), buffer_size, rng())

        shuffled = None
        if self._source is not None:  # shuffle row indices: a later batch gathers them
            data, n, rows = self._source
            if rows is None:
                shuffled = (data, n, lambda ctx: _buffered_shuffle(iter(range(n)), buffer_size,
                                                                   rng()))  # fmt: skip

                def it(ctx):  # the same order, row by row
                    for i in _buffered_shuffle(iter(range(n)), buffer_size, rng()):
                        yield st.map_structure(lambda a, i=i: st.row(a, i), data)

        out = self._derive(it, self._cardinality, lambda: self.element_spec, "Shuffle",
                           source=shuffled)  # fmt: skip
        out._passes = passes  # rewound by a checkpoint restore (OwnedIterator)
        return out

    def repeat(self, count=None, name=None):
        """The dataset ``count`` times (forever when None or -1); each pass iterates anew."""
        count = -1 if count is None else _params.count(count)
        source = self
        if type(count) is _params.Param:
            return self._derive(lambda ctx: source.repeat(_params.bind(count, ctx))._make_iter(ctx),
                                _UNK, lambda: self.element_spec, "Repeat")  # fmt: skip

        def it(ctx):
            done = 0
            while count < 0 or done < count:
                empty = True
                for element in source._make_iter(ctx):
                    empty = False
                    yield element
                done += 1
                if empty:
                    return

        card = self._cardinality
        if count == 0 or card == 0:
            card = 0
        elif count < 0:
            card = _INF
        elif card >= 0:
            card = card * count
        return self._derive(it, card, lambda: self.element_spec, "Repeat")

    def take(self, count, name=None):
        """The first ``count`` elements (all when -1)."""
        count = _params.count(count)
        source = self
        if type(count) is _params.Param:
            return self._derive(lambda ctx: source.take(_params.bind(count, ctx))._make_iter(ctx),
                                _UNK, lambda: self.element_spec, "Take")  # fmt: skip

        def it(ctx):
            if count == 0:
                return
            for i, element in enumerate(source._make_iter(ctx)):
                yield element
                if i + 1 == count:
                    return

        card = self._cardinality
        if count >= 0:
            card = count if card == _INF else (min(card, count) if card >= 0 else _UNK)
        return self._derive(it, card, lambda: self.element_spec, "Take")

    def skip(self, count, name=None):
        """All but the first ``count`` elements (none when -1)."""
        count = _params.count(count)
        source = self
        if type(count) is _params.Param:
            return self._derive(lambda ctx: source.skip(_params.bind(count, ctx))._make_iter(ctx),
                                _UNK, lambda: self.element_spec, "Skip")  # fmt: skip

        def it(ctx):
            if count < 0:
                return
            for i, element in enumerate(source._make_iter(ctx)):
                if i >= count:
                    yield element

        card = self._cardinality
        if count < 0:
            card = 0
        elif card >= 0:
            card = max(card - count, 0)
        return self._derive(it, card, lambda: self.element_spec, "Skip")

    def shard(self, num_shards, index, name=None):
        """Every ``num_shards``-th element, starting at ``index``."""
        num_shards, index = int(num_shards), int(index)
        if num_shards <= 0:
            raise errors.InvalidArgumentError(
                None, None, f"Number of shards must be greater than zero (currently num_shards "
                f"= {num_shards})."
            )  # fmt: skip
        if not 0 <= index < num_shards:
            raise errors.InvalidArgumentError(
                None, None, f"Index must be between 0 and {num_shards - 1} (currently index = "
                f"{index})."
            )  # fmt: skip
        source = self

        def it(ctx):
            for i, element in enumerate(source._make_iter(ctx)):
                if i % num_shards == index:
                    yield element

        card = self._cardinality
        if card >= 0:
            card = card // num_shards + (1 if index < card % num_shards else 0)
        return self._derive(it, card, lambda: self.element_spec, "Shard")

    def concatenate(self, dataset, name=None):
        """This dataset's elements, then ``dataset``'s."""
        spec = _common_spec([self, dataset], what="concatenate")
        source = self

        def it(ctx):
            yield from source._make_iter(ctx)
            yield from dataset._make_iter(ctx)

        a, b = self._cardinality, dataset._cardinality
        card = _INF if _INF in (a, b) else _UNK if _UNK in (a, b) else a + b
        return self._derive(it, card, spec, "Concatenate", inputs=(self, dataset))

    # ---- datasets of datasets -------------------------------------------------------------
    def flat_map(self, map_func, name=None):
        """The elements of ``map_func(*element)`` (a dataset), one dataset after another."""
        source = self
        dataset_fn = self._dataset_fn(map_func)

        def it(ctx):
            for element in source._make_iter(ctx):
                inner, inner_ctx = dataset_fn.open(element, ctx)
                yield from inner._make_iter(inner_ctx)

        return self._derive(it, _UNK, self._inner_spec(dataset_fn), "FlatMap")

    def _dataset_fn(self, map_func):
        return _DatasetFn(map_func, self.element_spec, _call, "map_func")

    def _inner_spec(self, dataset_fn):
        """The inner datasets' element spec: the traced one, or (a function that runs eagerly)
        that of the first element's dataset."""

        def spec():
            if dataset_fn.element_spec is not None:
                return dataset_fn.element_spec
            for element in self._host_iter():
                return dataset_fn.open(element, self.options())[0].element_spec
            raise ValueError("Cannot find the element_spec of an empty dataset's inner datasets")

        return spec

    def interleave(self, map_func, cycle_length=None, block_length=None,
                   num_parallel_calls=None, deterministic=None, name=None):  # fmt: skip
        """Open ``cycle_length`` datasets ``map_func(*element)`` at once and take
        ``block_length`` elements from each in turn; with ``num_parallel_calls`` each open
        dataset is read ahead on its own thread (same order unless ``deterministic=False``)."""
        num_parallel_calls = _check_parallel_calls(num_parallel_calls)
        cycle = _AUTOTUNE_THREADS if cycle_length in (None, AUTOTUNE) else int(cycle_length)
        block = 1 if block_length is None else int(block_length)
        if cycle <= 0:
            raise errors.InvalidArgumentError(
                None, None, f"cycle_length must be greater than zero. Received: {cycle}"
            )
        if block <= 0:
            raise errors.InvalidArgumentError(
                None, None, f"block_length must be greater than zero. Received: {block}"
            )
        source = self
        dataset_fn = self._dataset_fn(map_func)

        def open_slot(element, ctx, parallel):
            inner, inner_ctx = dataset_fn.open(element, ctx)
            if not parallel:
                return _Slot(iter(inner._make_iter(inner_ctx)), None)
            return _Slot(None, _threads.Producer(lambda: inner._make_iter(inner_ctx), block * 2))

        def it(ctx):
            parallel = num_parallel_calls is not None
            det = _deterministic(deterministic, ctx)
            upstream = iter(source._make_iter(ctx))
            slots: list = [None] * cycle
            try:
                yield from _interleave(upstream, slots, block, ctx, parallel, det, open_slot)
            finally:
                for slot in slots:
                    if slot is not None:
                        slot.close()

        kind = "Interleave" if num_parallel_calls is None else "ParallelInterleave"
        return self._derive(it, _UNK, self._inner_spec(dataset_fn), kind)

    def group_by_window(self, key_func, reduce_func, window_size=None, window_size_func=None,
                        name=None):  # fmt: skip
        """Group elements by ``key_func`` (an int64 scalar) into windows of ``window_size`` (or
        ``window_size_func(key)``); each window becomes ``reduce_func(key, window_dataset)``."""
        if (window_size is None) == (window_size_func is None):
            raise ValueError(
                "Either the `window_size` argument or the `window_size_func` argument must be "
                "specified."
            )
        key_spec = TensorSpec([], "int64")
        key_fn = _ElementFn(key_func, self)
        _check_int64_scalar(key_fn)
        reduce_fn = _DatasetFn(
            reduce_func, (key_spec, DatasetSpec(self.element_spec)), lambda fn, args: fn(*args),
            "reduce_func", _check_window_reducer,
        )  # fmt: skip
        if window_size_func is None:
            size_fn = None
        else:
            size_fn = _ElementFn(window_size_func, _Specs(key_spec))
            _check_int64_scalar(size_fn)
        source = self

        def it(ctx):
            key_of = key_fn.runner(ctx)
            size_of = (lambda k: int(window_size)) if size_fn is None else size_fn.runner(ctx)
            windows: dict = {}

            def reduce(key, elements):
                window = _list_dataset(elements, self.element_spec)
                inner, inner_ctx = reduce_fn.open((np.asarray(key, np.int64), window), ctx)
                return inner._make_iter(inner_ctx)

            for element in source._make_iter(ctx):
                key = int(st.to_host(key_of(element)))
                windows.setdefault(key, []).append(element)
                if len(windows[key]) >= int(st.to_host(size_of(np.asarray(key, np.int64)))):
                    yield from reduce(key, windows.pop(key))
            for key in sorted(windows):  # the rest in key order, as TF's
                yield from reduce(key, windows.pop(key))

        def spec():
            if reduce_fn.element_spec is not None:
                return reduce_fn.element_spec
            for element in self._host_iter():
                key = np.asarray(int(st.to_host(key_fn.runner(self.options())(element))), np.int64)
                window = _list_dataset([element], self.element_spec)
                return reduce_fn.open((key, window), self.options())[0].element_spec
            raise ValueError("Cannot find the element_spec of an empty dataset's windows")

        return self._derive(it, _UNK, spec, "GroupByWindow")

    def bucket_by_sequence_length(self, element_length_func, bucket_boundaries,
                                  bucket_batch_sizes, padded_shapes=None, padding_values=None,
                                  pad_to_bucket_boundary=False, no_padding=False,
                                  drop_remainder=False, name=None):  # fmt: skip
        """Batch elements of similar length together: bucket ``i`` holds the lengths in
        ``[bucket_boundaries[i-1], bucket_boundaries[i])`` and batches ``bucket_batch_sizes[i]``."""
        boundaries = [int(b) for b in bucket_boundaries]
        sizes = [int(b) for b in bucket_batch_sizes]
        if len(sizes) != len(boundaries) + 1:
            raise ValueError(
                "`len(bucket_batch_sizes)` must equal `len(bucket_boundaries) + 1` but "
                f"`len(bucket_batch_sizes)={len(sizes)}` and "
                f"`len(bucket_boundaries)={len(boundaries)}`."
            )
        if boundaries != sorted(boundaries):
            raise ValueError(f"Boundaries must be sorted. Received: {boundaries}")

        wrong = []  # a length that is not int32: TF's error when the dataset is made

        def bucket(*element):  # traced once, as TF: how many boundaries the length reaches
            length = element_length_func(*element)
            if not isinstance(length, Tensor):
                length = convert_to_tensor(length, "int32")
            if length.dtype.name != "int32":  # TF compares it with int32 boundaries
                wrong.append(
                    f"Input 'y' of 'LessEqual' Op has type {length.dtype.name} that does not "
                    "match type int32 of argument 'x'."
                )
                raise TypeError(wrong[-1])
            return reduce_sum(cast(less_equal(constant(boundaries, "int32"), length), "int64"))

        def reduce(key, window):
            k = int(key)
            if no_padding:
                return window.batch(sizes[k], drop_remainder=drop_remainder)
            shapes = padded_shapes
            if pad_to_bucket_boundary:
                if k == len(boundaries):
                    raise errors.InvalidArgumentError(
                        None, None,
                        "When pad_to_bucket_boundary=True, elements must have length < "
                        f"max(bucket_boundaries)={boundaries[-1]}.",
                    )  # fmt: skip
                bound = boundaries[k] - 1
                shapes = st.map_structure(
                    lambda s: [bound if d is None else d for d in st.dims(s)], window.element_spec
                )
            return window.padded_batch(sizes[k], shapes, padding_values, drop_remainder)

        size_of = lambda k: gather(constant(sizes, "int64"), k)  # noqa: E731
        out = self.group_by_window(bucket, reduce, window_size_func=size_of)
        if wrong:
            raise TypeError(wrong[0])
        in_spec = self.element_spec

        def spec():
            return st.map_structure(lambda s: st.batched(s, None), in_spec)

        out._spec = spec
        out._kind = "BucketBySequenceLength"
        return out

    # ---- whole-dataset operations ---------------------------------------------------------
    def reduce(self, initial_state, reduce_func, name=None):
        """``reduce_func(state, element)`` folded over the elements; the final state."""
        state0 = st.map_structure(st.to_host, initial_state)
        traced = _StateFn(reduce_func, state0, self.element_spec, "reduce")
        if traced.concrete is not None:
            state = [st.to_tensor(x) for x in st.flatten(state0)]
            for element in self._host_iter():
                state = traced.step(state, element)[0]
            return st.pack(state0, state)
        state = st.map_structure(st.to_tensor, state0)
        for element in self._host_iter():
            state = reduce_func(state, _tensor_element(element))
            state = st.map_structure(st.to_tensor, st.map_structure(st.to_host, state))
        return state

    def get_single_element(self, name=None):
        """The dataset's only element (an error when it has none or more than one)."""
        iterator = iter(self._host_iter())
        try:
            first = next(iterator)
        except StopIteration:
            raise errors.InvalidArgumentError(None, None, "Dataset was empty.") from None
        for _ in iterator:
            raise errors.InvalidArgumentError(None, None, "Dataset had more than one element.")
        return _tensor_element(first)

    def apply(self, transformation_func):
        """``transformation_func(self)``, which must return a dataset."""
        return _as_dataset(transformation_func(self), "transformation_func")

    # ---- caching and prefetching --------------------------------------------------------
    def cache(self, filename="", name=None):
        """Keep the elements of the first complete pass in memory and replay them after."""
        if filename:
            raise NotImplementedError("Dataset.cache(filename) to a file is not supported yet")
        source = self
        cached: list = []
        complete = [False]

        def it(ctx):
            if complete[0]:
                yield from cached
                return
            seen = []
            for element in source._make_iter(ctx):
                seen.append(element)
                yield element
            cached[:] = seen
            complete[0] = True

        return self._derive(it, self._cardinality, lambda: self.element_spec, "Cache")

    def save(self, path, compression=None, shard_func=None, checkpoint_args=None):
        """Write the dataset's elements under the directory ``path`` (``Dataset.load`` reads
        them back); ``compression`` is None, ``"GZIP"`` or ``"ZLIB"``."""
        from ._save import save

        save(self, path, compression, shard_func, checkpoint_args)

    @staticmethod
    def load(path, element_spec=None, compression=None, reader_func=None):
        """The dataset ``save`` wrote under ``path``, with its element spec and cardinality."""
        from ._save import load

        return load(path, element_spec, compression, reader_func)

    def prefetch(self, buffer_size, name=None):
        """Produce up to ``buffer_size`` elements ahead, on a background thread."""
        buffer_size = int(buffer_size)
        if buffer_size == AUTOTUNE:
            buffer_size = _AUTOTUNE_PREFETCH
        if buffer_size < 0:
            raise errors.InvalidArgumentError(
                None, None, f"buffer_size must be >= 0 or AUTOTUNE. Received: {buffer_size}"
            )
        source = self
        if buffer_size == 0:
            return self._derive(self._make_iter, self._cardinality, lambda: self.element_spec,
                                "Prefetch")  # fmt: skip

        def it(ctx):
            yield from _threads.prefetch(lambda: source._make_iter(ctx), buffer_size)

        return self._derive(it, self._cardinality, lambda: self.element_spec, "Prefetch")

    # ---- more sources and transformations (_more_sources.py, _more_transforms.py) ---------
    @staticmethod
    def random(seed=None, rerandomize_each_iteration=None, name=None):
        """Int64 scalars in ``[0, 2**32)`` forever: TF's Philox numbers for a given seed; a new
        stream each pass with ``rerandomize_each_iteration=True`` or without any seed."""
        from ._more_sources import random_dataset

        return random_dataset(seed, rerandomize_each_iteration, name)

    @staticmethod
    def counter(start=0, step=1, dtype="int64", name=None):
        """``start, start + step, ...`` forever."""
        from ._more_sources import counter

        return counter(start, step, dtype, name)

    def ignore_errors(self, log_warning=False, name=None):
        """The elements whose computation did not fail (``map`` failures are skipped)."""
        from ._more_transforms import ignore_errors

        return ignore_errors(self, log_warning)

    def rejection_resample(self, class_func, target_dist, initial_dist=None, seed=None,
                           name=None):  # fmt: skip
        """``(class, element)`` pairs resampled so the classes follow ``target_dist``."""
        from ._more_transforms import rejection_resample

        return rejection_resample(self, class_func, target_dist, initial_dist, seed)

    def sparse_batch(self, batch_size, row_shape, name=None):
        """``batch_size`` elements as one ``SparseTensor`` of dense shape ``[n, *row_shape]``."""
        from ._more_transforms import sparse_batch

        return sparse_batch(self, batch_size, row_shape)

    def snapshot(self, path, compression="AUTO", reader_func=None, shard_func=None, name=None):
        """Written under ``path`` on the first complete pass, read back on later ones."""
        from ._more_transforms import snapshot

        return snapshot(self, path, compression, reader_func, shard_func)

    def fingerprint(self):
        """A stable uint64 scalar hash of the pipeline's structure (and its tensor sources)."""
        from ._more_transforms import fingerprint

        return constant(np.uint64(fingerprint(self)))


# ---- helpers ------------------------------------------------------------------------------


class OwnedIterator:
    """An iterator over a dataset's elements as tensors; dropping it stops its threads. Safe to
    share between threads: each ``next`` takes the next element, none is lost or repeated.

    ``tf.train.Checkpoint(it=iterator)`` saves its position (``ITERATOR_STATE``: how many
    elements were taken, and the pass each shuffle of the pipeline started at); restoring
    rebuilds the pipeline and skips that many elements, so a deterministic pipeline (seeded
    shuffles included) goes on with the element TF gives. Unlike TF, which saves its buffers,
    an unseeded shuffle draws a new order in a new process, and the datasets a ``flat_map`` /
    ``interleave`` function makes are not rewound."""

    def __init__(self, dataset):
        self._dataset = dataset
        self._passes = _pass_counters(dataset)
        self._start = [counter.peek() for counter in self._passes]
        self._taken = 0
        self._elements = _tensors(dataset._host_iter())
        self._lock = threading.Lock()
        # made inside a trace: its elements are taken while tracing (the function's own iterator)
        self._traced_owner = not executing_eagerly()
        self._traced_nexts = 0

    @property
    def element_spec(self):
        """The dataset's ``element_spec``."""
        return self._dataset.element_spec

    def __iter__(self):
        return self

    def __next__(self):
        if not self._traced_owner and not executing_eagerly():
            return self._next_node()
        element = self._pull()
        if element is None:
            raise StopIteration
        return element

    def _pull(self):
        """The next element (None at the end), counted for checkpoints."""
        with self._lock:
            element = next(self._elements, None)
            self._taken += element is not None
            return element

    _checkpoint_attribute = "ITERATOR"  # TF's name for the saved attribute

    def _serialize_to_tensors(self):
        """TF's checkpoint hook: ``{"_STATE": int64 [taken, first pass of each shuffle...]}``."""
        with self._lock:
            return {"_STATE": constant([self._taken, *self._start], dtype="int64")}

    def _restore_from_tensors(self, restored):
        """Back to a saved state: the pipeline rebuilt, the taken elements skipped."""
        state = restored.get("_STATE")
        values = None if state is None else np.asarray(state)
        if values is None or values.dtype != np.int64 or values.shape != (1 + len(self._passes),):
            raise errors.InvalidArgumentError(
                None, None, "Iterator checkpoint state does not fit this iterator: expected int64 "
                f"[{1 + len(self._passes)}] (elements taken, then each shuffle's pass), got "
                f"{None if values is None else (values.dtype.name, list(values.shape))}"
            )  # fmt: skip
        taken, *start = (int(v) for v in values)
        with self._lock:
            self._elements.close()
            for counter, first in zip(self._passes, start, strict=True):
                counter.reset(first)
            host = self._dataset._host_iter()
            for _ in itertools.islice(host, taken):
                pass
            self._elements, self._taken, self._start = _tensors(host), taken, start

    def get_next_as_optional(self):
        """The next element as a ``tf.experimental.Optional``, empty at the end."""
        if self._traced_owner or executing_eagerly():
            element = self._pull()
            if element is None:
                return Optional.empty(self.element_spec)
            return Optional(constant(True), element, self.element_spec)
        dense_specs(self.element_spec, "get_next_as_optional inside a tf.function")
        return Optional(*self._step(), self.element_spec)

    def _step(self):
        """A node that takes the next element when it runs: ``(has_value, element)``, zeros
        past the end."""
        return next_node(self._pull, self.element_spec)

    def _th_for_loop(self):
        """AutoGraph's ``for`` over this iterator inside a ``tf.function`` (TF's loop over
        ``get_next_as_optional``): ``(step, example)``, ``step`` as ``_step``, ``example`` an
        element of zeros with the spec's static shapes; None where the loop runs in Python
        (eagerly, or on an iterator made in the trace)."""
        if self._traced_owner or executing_eagerly():
            return None
        return self._step, example_node(self.element_spec)

    def _next_node(self):
        """Inside a ``tf.function``, for an iterator made outside it: a node that takes the next
        element each time the function runs (``OutOfRangeError`` at the end), as TF's
        ``IteratorGetNext`` on a captured iterator."""
        self._traced_nexts += 1
        if self._traced_nexts > _MAX_TRACED_NEXTS:  # a Python loop over it never ends in a trace
            raise errors.InvalidArgumentError(
                None,
                None,
                f"next() was called {_MAX_TRACED_NEXTS} times on one captured "
                "iterator while tracing a tf.function: a Python loop over an iterator does not "
                "end inside a traced function; loop over the dataset or use tf.range",
            )

        def take():
            element = self._pull()
            if element is None:
                raise errors.OutOfRangeError(None, None, "End of sequence [Op:IteratorGetNext]")
            return components(self.element_spec, element)

        flat = component_specs(self.element_spec)
        outs = py_function(take, [], Tout=flat, name="IteratorGetNext")
        return from_components(self.element_spec, outs)

    def get_next(self):
        """The next element; ``OutOfRangeError`` at the end."""
        try:
            return self.__next__()
        except StopIteration:
            raise errors.OutOfRangeError(None, None, "End of sequence") from None

    def close(self):
        """Stop the iteration now, ending its threads."""
        with self._lock:
            self._elements.close()


_MAX_TRACED_NEXTS = 10_000


class _Runs:
    """The iterators of traced ``for`` loops over datasets, one per run of a loop, by key. A
    loop left by ``break`` leaves its iterator here: only the newest ``keep`` stay open."""

    def __init__(self, keep=64):
        self._open = collections.OrderedDict()
        self._keys = itertools.count()
        self._lock = threading.Lock()
        self._keep = keep

    def start(self, dataset):
        elements = _tensors(dataset._host_iter())
        with self._lock:
            key = next(self._keys)
            self._open[key] = elements
            while len(self._open) > self._keep:
                self._open.popitem(last=False)[1].close()
        return key

    def take(self, key):
        """The run's next element; None at its end (the run is closed then)."""
        with self._lock:
            elements = self._open.get(key)
        element = None if elements is None else next(elements, None)
        if element is None:
            with self._lock:
                self._open.pop(key, None)
        return element


_RUNS = _Runs()


class _LockedIterator:
    """A generator behind a lock, so several threads may call ``next`` on it."""

    def __init__(self, elements):
        self._elements = elements
        self._lock = threading.Lock()

    def __iter__(self):
        return self

    def __next__(self):
        with self._lock:
            return next(self._elements)

    def close(self):
        """Stop the iteration now, ending its threads."""
        with self._lock:
            self._elements.close()


class _Counter:
    """A thread-safe pass counter (each pass of a shuffled dataset takes a new order)."""

    def __init__(self):
        self._n = 0
        self._lock = threading.Lock()

    def next(self):
        with self._lock:
            n = self._n
            self._n += 1
            return n

    def peek(self):
        with self._lock:
            return self._n

    def reset(self, n):
        with self._lock:
            self._n = n


def _pass_counters(dataset) -> list:
    """The pass counters of the shuffles in ``dataset``'s pipeline, in a fixed order."""
    found, seen, stack = [], set(), [dataset]
    while stack:
        ds = stack.pop()
        if id(ds) in seen or not isinstance(ds, Dataset):
            continue
        seen.add(id(ds))
        if getattr(ds, "_passes", None) is not None:
            found.append(ds._passes)
        stack.extend(reversed(ds._inputs))
    return found


def _loose_spec(a):
    """The spec of an output seen once: its rank and dtype, every dim unknown."""
    if st.is_composite(a):
        return st.loose_composite_spec(a)
    return TensorSpec([None] * a.ndim, st.host_dtype(a))


def _tensors(host_iter):
    for element in host_iter:
        yield _tensor_element(element)


def _numpy(host_iter):
    for element in host_iter:
        yield st.map_structure(_numpy_leaf, element)


def _numpy_leaf(x):
    if isinstance(x, Dataset):
        return x
    return st.to_numpy(x)


def _tensor_element(element):
    return st.map_structure(lambda x: x if isinstance(x, Dataset) else st.to_tensor(x), element)


def _truth(value, what):
    a = st.to_host(value)
    if a.shape != () or a.dtype != np.bool_:
        raise ValueError(
            "Invalid `predicate`. `predicate` must return a `tf.bool` scalar tensor, but its "
            f"return type is {st.spec_of(a)}."
        )
    return bool(a)


def _zero(dtype):
    if st.dtype_name(dtype) == "string":
        return st.to_host(b"")
    return np.zeros((), dtype=st.dtype_name(dtype))


def _shapes_like(structure, shapes):
    """``shapes`` (TensorShapes, lists or tuples of dims) laid out as ``structure``: a tuple of
    ints/None at a leaf position is one shape, not a structure."""

    def build(s, x):
        if isinstance(s, tuple) and not st.is_namedtuple(s) or st.is_namedtuple(s):
            if not isinstance(x, tuple | list) or len(x) != len(s):
                raise ValueError(f"The shapes {shapes!r} do not match the structure {structure}")
            return st._rebuild(s, [build(a, b) for a, b in zip(s, x)])
        if isinstance(s, dict):
            return {k: build(s[k], x[k]) for k in s}
        return st.as_shape(x)

    return build(structure, shapes)


def _common_spec(datasets, what="sample_from_datasets"):
    for d in datasets:
        if not isinstance(d, Dataset):
            raise TypeError(f"`{what}` takes datasets; received {type(d).__name__}")
    first = datasets[0].element_spec
    specs = [first]
    for d in datasets[1:]:
        other = d.element_spec
        if not st.same_structure(first, other):
            raise TypeError(f"Incompatible dataset elements:\n  {first} vs.\n  {other}")
        for a, b in zip(st.flatten(first), st.flatten(other)):
            if st.dtype_name(a.dtype) != st.dtype_name(b.dtype):
                raise TypeError(f"Incompatible dataset elements:\n  {first} vs.\n  {other}")
        specs.append(other)
    return st.zip_map(lambda ss: _relax_all(ss), specs)


def _relax_all(specs):
    out = specs[0]
    for s in specs[1:]:
        out = st.relax(out, s)
    return out


def _list_dataset(values, spec):
    """A dataset of the given host values (a window)."""
    return Dataset(lambda ctx: iter(values), len(values), spec, "Tensor")


def _map_paths(fn, element):
    """``fn(path_getter)`` for each leaf position of ``element``, laid out as ``element``."""

    def walk(x, getter):
        if isinstance(x, tuple):
            return st._rebuild(
                x, [walk(v, lambda e, g=getter, i=i: g(e)[i]) for i, v in enumerate(x)]
            )
        if isinstance(x, dict):
            return {k: walk(v, lambda e, g=getter, k=k: g(e)[k]) for k, v in x.items()}
        return fn(getter)

    return walk(element, lambda e: e)


class _Slot:
    """One open dataset of an interleave: an iterator, or a producer thread reading one."""

    def __init__(self, iterator, producer):
        self.iterator = iterator
        self.producer = producer

    def next(self, block=True):
        """The next element, ``_END`` at the end, ``None`` when not ready (``block=False``)."""
        if self.producer is None:
            return next(self.iterator, _threads._END)
        try:
            return self.producer.get(block=block)
        except queue.Empty:
            return None

    def close(self):
        if self.producer is not None:
            self.producer.close()
        elif hasattr(self.iterator, "close"):
            self.iterator.close()


def _interleave(upstream, slots, block, ctx, parallel, deterministic, open_slot):
    """TF's interleave order: slot by slot, ``block`` elements each; an exhausted slot is
    refilled from the input when the cycle comes back to it."""
    cycle = len(slots)
    index, taken, end_of_input = 0, 0, False
    while True:
        if slots[index] is None:
            if end_of_input:
                if all(s is None for s in slots):
                    return
                index, taken = (index + 1) % cycle, 0
                continue
            try:
                element = next(upstream)
            except StopIteration:
                end_of_input = True
                continue
            slots[index] = open_slot(element, ctx, parallel)
            continue
        if parallel and not deterministic:
            picked = _first_ready(slots, index)
            if picked is not None and picked != index:
                index, taken = picked, 0
        item = slots[index].next()
        if item is _threads._END:
            slots[index].close()
            slots[index] = None
            index, taken = (index + 1) % cycle, 0
            continue
        yield item
        taken += 1
        if taken == block:
            index, taken = (index + 1) % cycle, 0


def _first_ready(slots, start):
    """The first slot from ``start`` on whose producer has an element waiting."""
    cycle = len(slots)
    for k in range(cycle):
        i = (start + k) % cycle
        slot = slots[i]
        if slot is not None and slot.producer is not None and not slot.producer._queue.empty():
            return i
    return None


_DRAWS = 256  # buffer positions drawn at once while the buffer is full


def _buffered_shuffle(iterator, buffer_size, rng):
    """TF's buffered shuffle: emit a random element of the buffer, refill its place. While the
    input lasts the positions are drawn ``_DRAWS`` at a time; the drain takes one draw for the
    shrinking buffer sizes (the order depends only on the seed and the number of elements)."""
    buf = list(itertools.islice(iterator, buffer_size))
    full = len(buf) == buffer_size
    while full:
        for i in rng.integers(0, buffer_size, _DRAWS).tolist():
            out = buf[i]
            try:
                buf[i] = next(iterator)
            except StopIteration:
                buf[i] = buf[-1]
                buf.pop()
                full = False
            yield out
            if not full:
                break
    if not buf:
        return
    for i in rng.integers(0, np.arange(len(buf), 0, -1)).tolist():
        out = buf[i]
        buf[i] = buf[-1]
        buf.pop()
        yield out


def _gatherable(data):
    """Whether every component is a NumPy array (rows taken with one ``np.take``)."""
    return all(isinstance(a, np.ndarray) for a in st.flatten(data))
