"""Datasets built inside a traced function (``flat_map``'s, ``interleave``'s, ``group_by_window``'s
reducer): the function is traced once, as TF does; a symbolic tensor a dataset constructor
receives there becomes a ``Param``, and the traced graph computes its value per element. The
returned dataset is built once and iterated with a context that binds each ``Param``."""

from __future__ import annotations

import threading

from tensorhouse_ops import Tensor, TensorSpec

from . import _structure as st

_state = threading.local()


class Param:
    """A per-element value of a traced dataset function, bound when the dataset is iterated."""

    __slots__ = ("spec",)

    def __init__(self, spec):
        self.spec = spec

    @property
    def shape(self):
        return self.spec.shape

    def __repr__(self):
        return f"Param({self.spec!r})"


class Unbound(RuntimeError):
    """A dataset built in a traced function was iterated outside its element's binding."""


class Capture:
    """The symbolic tensors the dataset constructors received during one trace."""

    def __init__(self):
        self.params: list = []
        self.tensors: list = []
        self.failed = False  # a nested function could not trace: the outer one runs eagerly

    def add(self, tensor):
        for p, t in zip(self.params, self.tensors):
            if t is tensor:
                return p
        p = Param(TensorSpec(tensor.shape, tensor.dtype))
        self.params.append(p)
        self.tensors.append(tensor)
        return p


def current():
    """The capture of the dataset function being traced on this thread, or None."""
    return getattr(_state, "capture", None)


class capturing:
    """``with capturing(capture):`` dataset constructors record symbolic tensors in it."""

    def __init__(self, capture):
        self._capture = capture

    def __enter__(self):
        self._outer = current()
        _state.capture = self._capture
        return self._capture

    def __exit__(self, *exc):
        _state.capture = self._outer


def fail_outer():
    """Mark the trace in progress (if any) as unable to run once per element."""
    capture = current()
    if capture is not None:
        capture.failed = True


def host(x, dtype=None):
    """``x`` as a host value; a symbolic tensor met while a dataset function traces becomes a
    ``Param`` (cast to ``dtype`` first)."""
    if current() is None or not isinstance(x, Tensor):
        return st.to_host(x, dtype)
    try:
        return st.to_host(x, dtype)
    except NotImplementedError:  # symbolic: no value while tracing
        if dtype is not None and st.dtype_name(dtype) != st.dtype_name(x.dtype):
            from tensorhouse_ops import cast

            x = cast(x, dtype)
        return current().add(x)


def host_structure(x):
    """``host`` on every leaf of an element structure."""
    return st.map_structure(host, x)


def count(x):
    """An int argument (``take``'s count, ``range``'s bounds): an ``int`` or a ``Param``."""
    value = host(x, "int64")
    return value if type(value) is Param else int(value)


def has_params(x) -> bool:
    return any(type(leaf) is Param for leaf in st.flatten(x))


def spec_of(a, drop_leading=False):
    """``st.spec_of``, for a ``Param`` too."""
    if type(a) is Param:
        dims = st.dims(a.spec)
        if drop_leading:
            dims = None if dims is None else dims[1:]
        return TensorSpec(dims, a.spec.dtype)
    return st.spec_of(a, drop_leading)


def bind(x, ctx):
    """The value of ``x`` in the iteration context ``ctx`` (``x`` itself unless a Param)."""
    if type(x) is not Param:
        return x
    try:
        return ctx.bindings[x]
    except (AttributeError, KeyError):
        raise Unbound(
            "A dataset built inside a dataset function was iterated outside of it"
        ) from None


def bind_structure(x, ctx):
    return st.map_structure(lambda a: bind(a, ctx), x)


class Bound:
    """An iteration context (the pipeline's ``Options``) with values for some ``Param``s."""

    def __init__(self, ctx, bindings):
        self._ctx = getattr(ctx, "_ctx", ctx)
        outer = getattr(ctx, "bindings", None)
        self.bindings = {**outer, **bindings} if outer else bindings

    def __getattr__(self, name):
        return getattr(self._ctx, name)
