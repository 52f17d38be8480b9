"""AutoGraph: Python control flow in ``tf.function`` turned into ``cond`` / ``while_loop``.

A function is converted once (cached per function object) by rewriting its source with
``ast``, in four passes over the function body:

1. ``break`` / ``continue`` become flag variables; the statements after them are guarded by
   ``if not flag`` and a ``break`` adds ``not flag`` to the loop's test (so the flag is a
   loop variable). A loop with an ``else`` is not converted (TF's ``for/else statement not
   yet supported``): the function runs as written, with a warning.
2. ``return`` inside a compound statement becomes ``ag__do_return`` / ``ag__retval``; the
   statements after an ``if`` whose body returns move into its ``else`` (as TF does).
3. A liveness analysis finds which names each statement must pass on.
4. ``if`` / ``while`` / ``for`` become functions of the names they modify, handed to
   ``if_stmt`` / ``while_stmt`` / ``for_stmt``, with the attributes and items they assign
   (``self.x``, ``l[0]``) threaded through the same way as ``Ref`` s; ``and`` / ``or`` /
   ``not`` / ``a if c else b`` and calls go through ``and_`` / ``or_`` / ``not_`` /
   ``if_exp`` / ``converted_call``.

At run time (which is trace time) those helpers run Python control flow when the condition
is a Python value or an eager tensor, and build graph ops when it is a symbolic tensor.

``to_code`` prints the same passes in TF's layout (``_TFLayout``): the state of each statement
read and written by ``get_state`` / ``set_state`` closures, the body under ``with
ag__.FunctionScope(...) as fscope``, as ``tf.autograph.to_code`` prints it.
"""

from __future__ import annotations

import ast
import builtins
import copy
import functools
import inspect
import itertools
import linecache
import re
import sys
import textwrap
import threading
import traceback
import types
import weakref

from tensorhouse_kernels.runtime import errors

from . import _array, _graph, _math
from . import dtypes as _dt
from ._graph import GraphTensor
from ._tensor import Tensor, convert_to_tensor
from ._variables import VARIABLE_LIKE
from .nest import flatten, pack_sequence_as

__all__ = ["ConversionError", "convert", "do_not_convert", "to_code"]


class _Logger:
    """``logging.getLogger("tensorhouse")``, with ``logging`` imported on first use (3 ms)."""

    def __getattr__(self, name):
        import logging

        return getattr(logging.getLogger("tensorhouse"), name)


_logger = _Logger()
# ``_function`` (above: it converts functions with this module) sets "cond", "while_loop",
# "trace_branch" and "Function" at import: a hook rather than an import.
HOOKS: dict = {}
_PREFIX = "ag__"
_DO_RETURN = "ag__do_return"
_RETVAL = "ag__retval"
_DNC = "_th_autograph_do_not_convert"


class ConversionError(Exception):
    """AutoGraph could not convert a function (TF's ``autograph.ConversionError``)."""


# ==== runtime helpers ========================================================================


class Undefined:
    """The value of a name not yet assigned where a converted statement starts."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"Undefined({self.name!r})"


def ld(scope, names):
    """The current values of ``names`` in a ``locals()`` dict (``Undefined`` where unbound)."""
    return tuple(scope[n] if n in scope else Undefined(n) for n in names)


def undef(value):
    """Is ``value`` a name left unassigned by a converted statement (then deleted again)?"""
    return type(value) is Undefined


def _symbolic(x):
    if isinstance(x, VARIABLE_LIKE):
        x = x._th_read()
    return type(x) is GraphTensor and _graph.current_graph() is not None


def _read(x):
    return x._th_read() if isinstance(x, VARIABLE_LIKE) else x


def _logical(op, a, b):
    return getattr(_math, op)(convert_to_tensor(_read(a)), convert_to_tensor(_read(b)))


def and_(a, b_fn):
    """``a and b``: ``logical_and`` when ``a`` is a tensor, else Python's lazy ``and``."""
    if isinstance(_read(a), Tensor):
        return _logical("logical_and", a, b_fn())
    return a and b_fn()


def or_(a, b_fn):
    """``a or b``: ``logical_or`` when ``a`` is a tensor, else Python's lazy ``or``."""
    if isinstance(_read(a), Tensor):
        return _logical("logical_or", a, b_fn())
    return a or b_fn()


def not_(a):
    """``not a``: ``logical_not`` on a tensor, else Python's ``not``."""
    if isinstance(_read(a), Tensor):
        return _math.logical_not(convert_to_tensor(_read(a)))
    return not a


class Ref:
    """An attribute or item a converted statement assigns (``b.v``, ``l[0]``, ``d["k"]``): a
    hidden state of the statement, threaded through ``cond`` / ``while_loop`` as TF does."""

    __slots__ = ("loc", "attr", "text")

    def __init__(self, loc, attr, text):
        self.loc, self.attr, self.text = loc, attr, text  # loc() -> (container, key)

    def get(self):
        try:
            obj, key = self.loc()
            return getattr(obj, key) if self.attr else obj[key]
        except (AttributeError, KeyError, IndexError, NameError):
            return Undefined(self.text)

    def set(self, value):
        obj, key = self.loc()
        if type(value) is not Undefined:
            setattr(obj, key, value) if self.attr else obj.__setitem__(key, value)
            return
        try:
            delattr(obj, key) if self.attr else obj.__delitem__(key)
        except (AttributeError, KeyError, IndexError):
            pass


class NameRef:
    """A ``global`` / ``nonlocal`` name a converted statement assigns, as a ``Ref``."""

    __slots__ = ("getter", "setter", "text")

    def __init__(self, getter, setter, text):
        self.getter, self.setter, self.text = getter, setter, text

    def get(self):
        try:
            return self.getter()
        except NameError:
            return Undefined(self.text)

    def set(self, value):
        if type(value) is not Undefined:
            self.setter(value)


def _with_refs(fn, refs):
    """``fn`` over its own values and then the refs' values: sets the refs first and returns
    their values after."""

    def run(*v):
        n = len(v) - len(refs)
        for r, x in zip(refs, v[n:]):
            r.set(x)
        return tuple(fn(*v[:n])) + tuple(r.get() for r in refs)

    return run


def _with_refs_test(fn, refs):
    def run(*v):
        n = len(v) - len(refs)
        for r, x in zip(refs, v[n:]):
            r.set(x)
        return fn(*v[:n])

    return run


def _set_refs(refs, values):
    """Store the statement's results into its refs; the rest of ``values`` returned."""
    values = tuple(values)
    n = len(values) - len(refs)
    for r, x in zip(refs, values[n:]):
        r.set(x)
    return values[:n]


def if_exp(pred, true_fn, false_fn, text):
    """``a if pred else b``: a ``cond`` when ``pred`` is symbolic."""
    if not _symbolic(pred):
        return true_fn() if pred else false_fn()
    out = if_stmt(pred, lambda: (true_fn(),), lambda: (false_fn(),), (), (text,))
    return out[0]


def _flat_tensors(value, name, where):
    """One variable's value at the end of a branch as flat tensors (TF's errors otherwise)."""
    if type(value) is Undefined:
        raise ValueError(where[0])
    if value is None:
        raise ValueError(f"'{name}' is None at the end of {where[1]}.")
    try:
        return [convert_to_tensor(_read(v)) for v in flatten(value)]
    except (TypeError, ValueError) as e:
        raise TypeError(f"'{name}' at the end of {where[1]} must be a tensor: {e}") from None


def if_stmt(pred, true_fn, false_fn, init, names, refs=()):
    """An ``if`` statement: returns the values of ``names`` after it (``init`` on entry);
    ``refs`` are the attributes / items it assigns."""
    if not _symbolic(pred):
        return true_fn(*init) if pred else false_fn(*init)
    if refs:
        init = tuple(init) + tuple(r.get() for r in refs)
        names = tuple(names) + tuple(r.text for r in refs)
        out = _if_symbolic(pred, _with_refs(true_fn, refs), _with_refs(false_fn, refs), init,
                           names)  # fmt: skip
        return _set_refs(refs, out)
    return _if_symbolic(pred, true_fn, false_fn, init, names)


def _if_symbolic(pred, true_fn, false_fn, init, names):
    pred = _condition(pred, "if statement")
    seen = {}

    def branch(fn, label):
        def run():
            out = fn(*init)
            flat, structs = [], []
            for name, value in zip(names, out):
                if name == _RETVAL:
                    where = (f"the {label} branch must also have a return statement.",
                             f"the {label} branch (the return value)")  # fmt: skip
                else:
                    where = (f"'{name}' must also be initialized in the {label} branch",
                             f"the {label} branch")  # fmt: skip
                ts = _flat_tensors(value, name, where)
                if label == "else" and name in seen:
                    for a, b in zip(seen[name], ts):
                        if a.dtype != b.dtype:
                            raise TypeError(
                                f"'{name}' has dtype {a.dtype.name} in the main branch, but "
                                f"dtype {b.dtype.name} in the else branch"
                            )
                seen[name] = ts
                flat.extend(ts)
                structs.append(value)
            seen["__structs__" + label] = structs
            return tuple(flat)

        return run

    outs = HOOKS["cond"](pred, branch(true_fn, "main"), branch(false_fn, "else"))
    structs = seen["__structs__main"]
    result, it = [], iter(outs)
    for s in structs:
        n = len(flatten(s))
        vals = [next(it) for _ in range(n)]
        result.append(_unpack(s, vals))
    return tuple(result)


def _unpack(struct, vals):
    if not isinstance(struct, list | tuple | dict):
        return vals[0]
    return pack_sequence_as(struct, vals)


_PY_TO_TENSOR = (
    "The condition of while loop started as non-Tensor, then changed to Tensor. This may "
    "happen either because variables changed type, or when a break or return statement inside "
    "the loop depends on a Tensor condition. In both cases, changing to a TF loop should "
    "remove the error."
)


_RETURN_IN_LOOP = (
    "a return statement cannot be placed inside this TensorFlow loop; this may happen if a "
    "return statement depends on a static Python condition such as a hyperparameter"
)


def retval(value):
    """The converted function's return value (None when it fell off its end)."""
    return None if type(value) is Undefined else value


def _fill_undefined(values, names, trial):
    """Loop variables first set inside the loop start as zeros (as TF does): one throwaway
    trace of the body, ``trial``, gives their dtypes and shapes."""
    missing = [i for i, v in enumerate(values) if type(v) is Undefined and names[i] != _RETVAL]
    if not missing:
        return values

    def run(*v):
        out = trial(*v)
        for i in missing:
            if type(out[i]) is Undefined or out[i] is None:
                raise ValueError(f"'{names[i]}' must be defined before the loop.")
        return [out[i] for i in missing]

    _, result = HOOKS["trace_branch"](run, tuple(values), "loop_trial")
    values = list(values)
    for i, r in zip(missing, result):
        flat = []
        for t in flatten(r):
            t = convert_to_tensor(_read(t))
            if None in t.shape:
                raise ValueError(f"'{names[i]}' must be defined before the loop.")
            flat.append(_array.zeros(t.shape, t.dtype))
        values[i] = _unpack(r, flat)
    return values


def _loop_init(values, names):
    """Loop variables as tensors of the current graph (TF's error for undefined ones)."""
    g = _graph.current_graph()
    out = []
    for name, v in zip(names, values):
        if type(v) is Undefined:
            if name == _RETVAL:
                raise NotImplementedError(_RETURN_IN_LOOP)
            raise ValueError(f"'{name}' must be defined before the loop.")
        if v is None:
            raise ValueError(f"'{name}' may not be None before the loop.")
        flat = [g._input(convert_to_tensor(_read(x))) for x in flatten(v)]
        out.append(_unpack(v, flat))
    return tuple(out)


def _loop_check(names, before, after):
    out = []
    for name, b, a in zip(names, before, after):
        if type(a) is Undefined or a is None:
            raise ValueError(f"'{name}' must be defined at the end of the loop body.")
        fb, fa = flatten(b), flatten(a)
        if len(fb) != len(fa):
            raise ValueError(f"'{name}' changes its structure in the loop: {b!r} vs {a!r}")
        ts = []
        for x, y in zip(fb, fa):
            y = _read(y)
            y = convert_to_tensor(y, x.dtype) if not isinstance(y, Tensor) else y
            if y.dtype != x.dtype:
                raise TypeError(
                    f"'{name}' has dtype {x.dtype.name} before the loop, but dtype "
                    f"{y.dtype.name} after one iteration"
                )
            if tuple(y.shape) != tuple(x.shape):
                raise ValueError(
                    f"'{name}' has shape {x.shape} before the loop, but shape {y.shape} after "
                    "one iteration. Use tf.autograph.experimental.set_loop_options to set "
                    "shape invariants."
                )
            ts.append(y)
        out.append(_unpack(b, ts))
    return tuple(out)


def _condition(x, where):
    """A symbolic condition: a scalar bool tensor, else TF's ValueError."""
    x = convert_to_tensor(_read(x))
    if x.dtype != _dt.bool or x.shape.rank not in (0, None):
        cast = "" if x.dtype == _dt.bool else "to use as boolean Tensor, use `tf.cast`; "
        raise ValueError(f"condition of {where} expected to be `tf.bool` scalar, got {x}; "
                         f"{cast}to check for None, use `is not None`")  # fmt: skip
    return x


def while_stmt(test, body, init, names, refs=()):
    """A ``while`` statement over the loop variables ``names`` (and ``refs``, the attributes
    and items it assigns)."""
    vals = tuple(init)
    t = test(*vals)
    if not _symbolic(t):
        while t:
            vals = body(*vals)
            t = test(*vals)
            if _symbolic(t):
                raise NotImplementedError(_PY_TO_TENSOR)
        return vals
    if refs:
        vals += tuple(r.get() for r in refs)
        names = tuple(names) + tuple(r.text for r in refs)
        test, body = _with_refs_test(test, refs), _with_refs(body, refs)
        return _set_refs(refs, _while_symbolic(test, body, vals, names))
    return _while_symbolic(test, body, vals, names)


def _while_symbolic(test, body, vals, names):
    start = _loop_init(_fill_undefined(vals, names, body), names)

    def body_fn(*v):
        return _loop_check(names, v, body(*v))

    return tuple(HOOKS["while_loop"](lambda *v: _condition(test(*v), "while loop"), body_fn, start))


class _SymbolicRange:
    """``range`` / ``tf.range`` with a symbolic bound, as the iterable of a ``for`` loop."""

    def __init__(self, start, limit, delta, dtype):
        self.args = (start, limit, delta)
        self.dtype = dtype


def for_iter(f, args, kwargs):
    """The iterable of a ``for``: ``range`` / ``tf.range`` with symbolic bounds stay lazy."""
    if f is builtins.range or f is _array.range:
        flat = list(args) + list(kwargs.values())
        if any(_symbolic(a) for a in flat):
            params = inspect.signature(_array.range).bind(*args, **kwargs)
            params.apply_defaults()
            a = params.arguments
            start, limit = (0, a["start"]) if a["limit"] is None else (a["start"], a["limit"])
            dtype = a["dtype"]
            vals = [start, limit, a["delta"]]
            if dtype is None:
                tensors = [_read(v) for v in vals if isinstance(_read(v), Tensor)]
                floats = any(isinstance(v, float) for v in vals)
                dtype = _dt.float32 if floats else tensors[0].dtype
            return _SymbolicRange(*vals, _dt.as_dtype(dtype))
    return converted_call(f, args, kwargs)


_PY_FOR_TENSOR = (
    "break and return statements which depend on a TF condition are not supported in Python "
    "for loops. Did you intend to make it a TF loop?"
)


def _is_dataset(x):
    """A ``tf.data.Dataset`` (known by its API: ops does not import the data layer)."""
    return all(hasattr(x, a) for a in ("element_spec", "take_while", "reduce", "cardinality"))


def for_stmt(iterable, body, init, names, extra_test=None, targets=(), refs=()):
    """A ``for`` statement: a ``while_loop`` over a symbolic tensor's first axis or a
    symbolic range, a Python loop over anything else (``refs``: the attributes and items it
    assigns)."""
    vals = tuple(init)
    if isinstance(iterable, VARIABLE_LIKE):
        iterable = iterable._th_read()
    if not (type(iterable) in (_SymbolicRange, _IteratorLoop) or _symbolic(iterable)):
        loop = getattr(iterable, "_th_for_loop", None)  # a tf.data iterator
        loop = loop() if loop is not None else None
        if loop is not None:  # made outside the traced function: a loop until its end
            return for_stmt(_IteratorLoop(*loop), body, vals, names, extra_test, targets, refs)
        if extra_test is not None and _is_dataset(iterable):
            return _dataset_for(iterable, body, vals, names, extra_test, refs)
        for item in iterable:
            if extra_test is not None:
                t = extra_test(*vals)
                if _symbolic(t):
                    raise NotImplementedError(_PY_FOR_TENSOR)
                if not t:
                    break
            vals = body(item, *vals)
        return vals
    if refs:
        vals += tuple(r.get() for r in refs)
        names = tuple(names) + tuple(r.text for r in refs)
        body = _with_refs(body, refs)  # the item leads the values
        if extra_test is not None:
            extra_test = _with_refs_test(extra_test, refs)
        out = _for_symbolic(iterable, body, vals, names, extra_test, targets)
        return _set_refs(refs, out)
    return _for_symbolic(iterable, body, vals, names, extra_test, targets)


def _dataset_for(dataset, body, vals, names, extra_test, refs):
    """A ``for`` over a dataset with a ``break`` / ``return``: once the exit condition is a
    symbolic tensor, each later element's body runs under a ``cond`` on it."""
    if any(n == _RETVAL and undef(v) for n, v in zip(names, vals)):
        raise NotImplementedError(_RETURN_IN_LOOP)  # a dataset loop is a TF loop
    for item in dataset:
        go = extra_test(*vals)
        if not _symbolic(go):
            if not go:
                break
            vals = body(item, *vals)
            continue
        vals = if_stmt(go, functools.partial(body, item), lambda *v: v, vals, names, refs)
    return vals


class _IteratorLoop:
    """A ``for`` over a tf.data iterator captured by a traced function (TF's loop over
    ``get_next_as_optional``): ``step()`` adds a node giving ``(has_value, element)`` when it
    runs; ``example`` is an element of the right dtypes and static shapes, for tracing only."""

    def __init__(self, step, example):
        self.step, self.example = step, example


def _for_symbolic(iterable, body, vals, names, extra_test, targets):
    bound = None
    if type(iterable) is _SymbolicRange:
        start, limit, delta = (convert_to_tensor(_read(v), iterable.dtype) for v in iterable.args)

        def more(i):
            up = _math.logical_and(delta > 0, i < limit)
            return _math.logical_or(up, _math.logical_and(delta < 0, i > limit))

        item_of, advance, first = (lambda i: i), (lambda i: (i + delta,)), (start,)
    elif type(iterable) is _IteratorLoop:  # the state: whether the last step had an element
        more, item_of, first = (lambda has: has), (lambda _: iterable.example), (True,)
    else:
        if iterable.shape.rank == 0:
            raise TypeError("Cannot iterate over a scalar tensor.")
        n = bound = iterable.shape[0]  # a static trip count bounds the loop (TF's
        if n is None:  # maximum_iterations): XLA then knows its gradient's size
            n = _array.shape(iterable)[0]

        def more(i):
            return i < n

        def item_of(i):
            return _array.gather(iterable, i)

        advance, first = (lambda i: (i + 1,)), (convert_to_tensor(0),)
    k = len(first)
    vals = [
        _zero_item(item_of(*first)) if n in targets and undef(v) else v
        for n, v in zip(names, vals)
    ]  # fmt: skip
    trial = lambda *v: body(item_of(*first), *v)  # noqa: E731
    start_vals = _loop_init(_fill_undefined(vals, names, trial), names)
    g = _graph.current_graph()
    state0 = tuple(g._input(convert_to_tensor(s)) for s in first)

    def cond_fn(*s):
        go = more(*s[:k])
        if extra_test is not None:
            go = _math.logical_and(go, _condition(extra_test(*s[k:]), "while loop"))
        return go

    def body_fn(*s):
        if type(iterable) is not _IteratorLoop:
            return advance(*s[:k]) + _loop_check(names, s[k:], body(item_of(*s[:k]), *s[k:]))
        has, item = iterable.step()  # the body runs only if there was an element
        out = _if_symbolic(has, functools.partial(body, item), lambda *v: v, s[k:], names)
        return (has,) + _loop_check(names, s[k:], out)

    out = HOOKS["while_loop"](cond_fn, body_fn, state0 + start_vals, maximum_iterations=bound)
    return tuple(out[k:])


def _zero_item(item):
    """A zero of the loop's item type, for a loop target first assigned by the loop."""
    return pack_sequence_as(item, [_array.zeros_like(t) for t in flatten(item)])


# ==== calls ==================================================================================

_LIBRARY_ROOTS = ("tensorhouse", "numpy", "keras", "tensorflow", "_pytest", "pytest", "jax")


def _is_library(f):
    mod = getattr(f, "__module__", None) or ""
    root = mod.split(".")[0]
    if root.startswith(_LIBRARY_ROOTS) or root in sys.stdlib_module_names or root == "builtins":
        return True
    filename = f.__code__.co_filename
    return "site-packages" in filename or "dist-packages" in filename


def converted_call(f, args, kwargs=None):
    """Call ``f`` from converted code: user Python functions are converted first."""
    kwargs = kwargs or {}
    target = _convertible(f)
    if target is not None:
        return target(*args, **kwargs)
    return f(*args, **kwargs)


def _convertible(f):
    """The converted form of ``f`` when it is user code AutoGraph converts, else None."""
    if isinstance(f, HOOKS["Function"]):
        if not getattr(f, "_autograph", True):
            return None
        return convert(f.python_function)
    if isinstance(f, types.MethodType) and isinstance(f.__func__, types.FunctionType):
        conv = _convert_function(f.__func__)
        return None if conv is None else types.MethodType(conv, f.__self__)
    if isinstance(f, types.FunctionType):
        return _convert_function(f)
    return None


def convert(f):
    """``f`` converted (or ``f`` itself where it cannot or must not be)."""
    if isinstance(f, functools.partial):
        inner = convert(f.func)
        if inner is f.func:
            return f
        return functools.partial(inner, *f.args, **f.keywords)
    if isinstance(f, types.MethodType):
        conv = _convert_function(f.__func__)
        return f if conv is None else types.MethodType(conv, f.__self__)
    if isinstance(f, types.FunctionType):
        conv = _convert_function(f)
        return f if conv is None else conv
    return f


_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_code_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # code -> converted code


def _convert_function(f):
    if getattr(f, _DNC, False) or _is_library(f):
        return None
    try:
        return _cache[f]
    except KeyError:
        pass
    code = _code_cache.get(f.__code__, False)
    if code is False:
        try:
            code = _compile(f)
        except (OSError, TypeError, SyntaxError, _Unsupported):
            code = None  # no source, or a form AutoGraph leaves alone: run it as written
        except Exception as e:  # as TF: warn, and run the function as written
            _logger.warning(
                "AutoGraph could not transform %s and will run it as-is. Cause: %s: %s",
                f,
                type(e).__name__,
                e,
            )
            code = None
        _code_cache[f.__code__] = code
        if code is not None:
            _register(code, f.__name__)
    conv = None
    if code is not None:
        cells = dict(zip(f.__code__.co_freevars, f.__closure__ or ()))
        module = sys.modules[__name__]
        closure = tuple(
            types.CellType(module) if n == "ag__" else cells[n] for n in code.co_freevars
        )
        conv = types.FunctionType(code, f.__globals__, f.__name__, f.__defaults__, closure)
        conv.__kwdefaults__ = f.__kwdefaults__
        conv.__qualname__ = f.__qualname__
        conv.__module__ = f.__module__
        conv.__doc__ = f.__doc__
    _cache[f] = conv
    return conv


# converted code (nested helpers too) -> the user function it belongs to: ``in_user_code``
_frame_names: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_INTERNAL = re.compile(r"[/\\]tensorhouse(_[a-z_]+)?[/\\]|^<frozen ")
# the error classes TF rebuilds from a message (any other keeps its own text)
_MESSAGE_ERRORS = (AssertionError, AttributeError, NameError, NotImplementedError, RuntimeError,
                   StopIteration, TypeError, UnboundLocalError, ValueError)  # fmt: skip
_MESSAGE_INITS = {Exception.__init__, *(c.__init__ for c in _MESSAGE_ERRORS)}


def _register(code, name):
    _frame_names[code] = name
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            inner = c.co_name
            _register(c, name if inner.startswith("ag__") or inner == "<lambda>" else inner)


def in_user_code(e):
    """``e``, raised while a converted function traced, as TF raises it: the same class, its
    message under ``in user code:`` and the user's frames (``*`` converted code, ``**`` code
    called from it as written); ``e`` itself when its class is not built from a message."""
    cls = type(e)
    if getattr(e, "ag_error_metadata", False) or not (
        cls.__init__ in _MESSAGE_INITS or issubclass(cls, errors.OpError)
    ):
        return e
    frames = []  # [filename, line, function, marker]
    for frame, line in traceback.walk_tb(e.__traceback__):
        code = frame.f_code
        name = _frame_names.get(code)
        if name is not None:
            if frames and frames[-1][3] and frames[-1][::2] == [code.co_filename, name]:
                frames[-1][1] = line  # the same function, deeper in its control flow
            else:
                frames.append([code.co_filename, line, name, "  *"])
        elif not _INTERNAL.search(code.co_filename):
            marker = "  **" if frames and frames[-1][3] == "  *" else ""
            frames.append([code.co_filename, line, code.co_name, marker])
    if not any(f[3] == "  *" for f in frames):
        return e
    lines = ["in user code:", ""]
    for filename, line, name, marker in frames:
        source = linecache.getline(filename, line).strip() or "<source unavailable>"
        lines += [f'    File "{filename}", line {line}, in {name}{marker}', f"        {source}"]
    lines += ["", *("    " + t for t in f"{cls.__name__}: {e}".split("\n")), ""]
    new = cls("\n".join(lines))
    for k, v in vars(e).items():
        if k != "message":
            setattr(new, k, v)
    new.ag_error_metadata = True
    return new.with_traceback(e.__traceback__)


class _Unsupported(Exception):
    pass


class UnsupportedLanguageElementError(NotImplementedError):
    """A Python construct AutoGraph does not convert (TF's error of the same name): the
    function runs as written, with a warning."""


def _parse(f):
    """The function's FunctionDef (decorators dropped) and its source's first line."""
    if not isinstance(f, types.FunctionType):
        raise ConversionError(
            f"converting {f!r}: ValueError: Cannot apply autograph to a function that doesn't "
            "expose a __code__ object. If this is a @tf.function, try passing f.python_function "
            "instead."
        )
    if f.__name__ == "<lambda>":
        raise _Unsupported("lambda")
    lines, first = inspect.getsourcelines(f.__code__)
    tree = ast.parse(textwrap.dedent("".join(lines)))
    node = tree.body[0]
    if not isinstance(node, ast.FunctionDef) or node.name != f.__name__:
        raise _Unsupported("source does not start with the function")
    for n in _walk_scope(node.body):
        if isinstance(n, ast.Yield | ast.YieldFrom | ast.Await):
            raise _Unsupported("generator")
    for n in ast.walk(node):
        if isinstance(n, _LOOPS) and n.orelse:
            kind = "for" if isinstance(n, ast.For) else "while"
            raise UnsupportedLanguageElementError(f"{kind}/else statement not yet supported")
    node.decorator_list = []
    ast.increment_lineno(tree, first - 1)
    return node


def _compile(f):
    node = _transform(_parse(f))
    # defaults and annotations come from ``f`` itself: the factory cannot evaluate them
    node.returns = None
    node.args.defaults = []
    node.args.kw_defaults = [None] * len(node.args.kwonlyargs)
    args = node.args
    for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
        if a is not None:
            a.annotation = None
    freevars = [n for n in f.__code__.co_freevars if n != "__class__"]
    inits = [_assign(n, ast.Constant(None)) for n in ["ag__", *freevars]]
    if "__class__" in f.__code__.co_freevars:
        holder = _node(ast.ClassDef, name="ag__K", bases=[], keywords=[], body=[node],
                       decorator_list=[])  # fmt: skip
        ret = ast.Return(ast.Attribute(_name("ag__K"), node.name, ast.Load()))
        body = [*inits, holder, ret]
    else:
        body = [*inits, node, ast.Return(_name(node.name))]
    factory = _node(ast.FunctionDef, name="ag__factory", args=_args([]), body=body,
                    decorator_list=[], returns=None)  # fmt: skip
    module = ast.Module(body=[factory], type_ignores=[])
    ast.fix_missing_locations(module)
    filename = inspect.getsourcefile(f) or "<autograph>"
    ns: dict = {}
    exec(compile(module, filename, "exec"), ns)  # our own generated code
    return ns["ag__factory"]().__code__


def to_code(f):
    """The converted source of ``f`` as a string, in TF's layout (see ``_TFLayout``)."""
    if isinstance(f, functools.partial):
        f = f.func
    if isinstance(f, types.MethodType):
        f = f.__func__
    try:
        node = _transform(_parse(f), tf_layout=True)
    except (OSError, TypeError, SyntaxError, _Unsupported) as e:
        raise ConversionError(f"converting {f!r}: {type(e).__name__}: {e}") from None
    return ast.unparse(ast.fix_missing_locations(node)) + "\n"


def do_not_convert(func=None):
    """TF's ``tf.autograph.experimental.do_not_convert``: run ``func`` as written."""
    if func is None:
        return do_not_convert

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    setattr(wrapper, _DNC, True)
    return wrapper


# ==== AST helpers ============================================================================

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp,
           ast.SetComp, ast.DictComp, ast.GeneratorExp)  # fmt: skip
_LOOPS = (ast.While, ast.For)


def _walk_scope(nodes, stop=_SCOPES):
    """Every node under ``nodes`` without entering nested scopes (or the ``stop`` types)."""
    todo = list(nodes)
    while todo:
        n = todo.pop()
        yield n
        if isinstance(n, stop):
            continue
        todo.extend(ast.iter_child_nodes(n))


def _node(cls, **fields):
    if "type_params" in cls._fields:  # Python 3.12+
        fields["type_params"] = []
    return cls(**fields)


def _name(n, ctx=None):
    return ast.Name(n, ctx or ast.Load())


def _assign(n, value):
    return ast.Assign(targets=[_name(n, ast.Store())], value=value)


def _ag(attr):
    return ast.Attribute(_name("ag__"), attr, ast.Load())


def _call(attr, *args):
    return ast.Call(_ag(attr), list(args), [])


def _args(names):
    return ast.arguments(posonlyargs=[], args=[ast.arg(n) for n in names], vararg=None,
                         kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])  # fmt: skip


def _lambda(expr):
    return ast.Lambda(_args([]), expr)


def _tuple(names, ctx=None):
    return ast.Tuple([_name(n, ctx) for n in names], ctx or ast.Load())


def _not(name):
    return ast.UnaryOp(ast.Not(), _name(name))


def _guard(flag, body):
    return ast.If(test=_not(flag), body=body, orelse=[])


def _stored(nodes):
    """Names assigned (or deleted) under ``nodes``, nested scopes' own names excluded."""
    out = set()
    for n in _walk_scope(nodes):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store | ast.Del):
            out.add(n.id)
        elif isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            out.add(n.name)
        elif isinstance(n, ast.alias):
            out.add((n.asname or n.name).split(".")[0])
    return out


def _ref_key(node, stored):
    """``b.v`` / ``l[0]`` / ``d[k]`` as text when ``node`` (an assigned attribute or item) is
    one a statement threads through: a chain of attributes and constant or outer-name indices
    on a name the statement does not reassign. None otherwise."""
    n = node
    while isinstance(n, ast.Attribute | ast.Subscript):
        if isinstance(n, ast.Subscript):
            index = n.slice.elts if isinstance(n.slice, ast.Tuple) else [n.slice]
            for e in index:
                if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub):
                    e = e.operand
                if isinstance(e, ast.Name):
                    if e.id in stored:
                        return None
                elif not isinstance(e, ast.Constant):
                    return None
        n = n.value
    if not isinstance(n, ast.Name) or n.id in stored or n.id.startswith(_PREFIX):
        return None
    return n.id, ast.unparse(node)


def _ref_nodes(nodes, live, targets=()):
    """``(text, node)`` for the attributes / items ``nodes`` assign (roots in ``live``; a
    loop's ``targets`` count as assigned), ordered by their text."""
    stored = _stored(nodes) | set(targets)
    found = {}
    for n in _walk_scope(nodes):
        if isinstance(n, ast.Attribute | ast.Subscript) and isinstance(n.ctx, ast.Store):
            key = _ref_key(n, stored)
            if key is not None and key[0] in live:
                found[key[1]] = n
    # a ref inside another one that the statement assigns is not a state of its own
    inner = lambda t: any(t != o and t.startswith(o) and t[len(o)] in ".[" for o in found)  # noqa: E731
    return [(text, n) for text, n in sorted(found.items()) if not inner(text)]


def _refs(nodes, live, targets=()):
    """``ag__.Ref`` expressions for the attributes / items ``nodes`` assign."""
    refs = []
    for text, n in _ref_nodes(nodes, live, targets):
        key = ast.Constant(n.attr) if isinstance(n, ast.Attribute) else copy.deepcopy(n.slice)
        loc = _lambda(ast.Tuple([_load(copy.deepcopy(n.value)), _load(key)], ast.Load()))
        refs.append(_call("Ref", loc, ast.Constant(isinstance(n, ast.Attribute)),
                          ast.Constant(text)))  # fmt: skip
    return refs


def _load(node):
    """``node`` with every context turned to Load (a copied assignment target)."""
    for n in ast.walk(node):
        if hasattr(n, "ctx"):
            n.ctx = ast.Load()
    return node


def _loaded(nodes):
    """Names read under ``nodes``, nested scopes included (a conservative use set)."""
    return {
        n.id
        for root in nodes
        for n in ast.walk(root)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }


# ---- pass 1: break / continue ----------------------------------------------------------------

_counter = itertools.count(1)


def _has(stmt, kinds):
    """Does ``stmt`` hold a ``kinds`` statement of this loop (or function, for Return)?"""
    stop = _SCOPES if kinds is ast.Return else _SCOPES + _LOOPS
    if isinstance(stmt, kinds):
        return True
    if isinstance(stmt, stop):
        return False
    return any(isinstance(n, kinds) for n in _walk_scope(list(ast.iter_child_nodes(stmt)), stop))


def _lower_jump(stmts, kind, flag):
    """Replace ``kind`` (Break / Continue) of the current loop with ``flag = True``."""
    out = []
    for i, s in enumerate(stmts):
        if isinstance(s, kind):
            out.append(_assign(flag, ast.Constant(True)))
            return out
        if not _has(s, kind):
            out.append(s)
            continue
        for field in ("body", "orelse", "finalbody"):
            if isinstance(s, ast.If | ast.With | ast.Try) and hasattr(s, field):
                setattr(s, field, _lower_jump(getattr(s, field), kind, flag))
        if isinstance(s, ast.Try):
            for h in s.handlers:
                h.body = _lower_jump(h.body, kind, flag)
        out.append(s)
        rest = stmts[i + 1 :]
        if rest:
            out.append(_guard(flag, _lower_jump(rest, kind, flag)))
        return out
    return out


def _break_continues(stmts, flag):
    """The loop's ``break`` s as ``flag = True`` and a ``continue``."""
    out = []
    for s in stmts:
        if isinstance(s, ast.Break):
            out += [_assign(flag, ast.Constant(True)), ast.Continue()]
            continue
        if isinstance(s, ast.If | ast.With | ast.Try):
            for field in ("body", "orelse", "finalbody"):
                if hasattr(s, field):
                    setattr(s, field, _break_continues(getattr(s, field), flag))
            for h in getattr(s, "handlers", []):
                h.body = _break_continues(h.body, flag)
        out.append(s)
    return out


def _lower_loops(stmts):
    """Pass 1 over a block (inner loops first)."""
    out = []
    for s in stmts:
        for field in ("body", "orelse", "finalbody"):
            if hasattr(s, field) and not isinstance(s, _SCOPES):
                setattr(s, field, _lower_loops(getattr(s, field)))
        if isinstance(s, ast.Try):
            for h in s.handlers:
                h.body = _lower_loops(h.body)
        if not isinstance(s, _LOOPS):
            out.append(s)
            continue
        k = next(_counter)
        s._ag_extra = []
        broke = any(_has(b, ast.Break) for b in s.body)
        if broke and _names.tf:  # TF's form: a break sets ``break_`` and continues
            flag = _names.flag("break", k)
            s.body = _break_continues(s.body, flag)
            s._ag_extra.append(flag)
            out.append(_assign(flag, ast.Constant(False)))
        if any(_has(b, ast.Continue) for b in s.body):
            flag = _names.flag("continue", k)
            s.body = [_assign(flag, ast.Constant(False)), *_lower_jump(s.body, ast.Continue, flag)]
        if broke and not _names.tf:
            flag = _names.flag("break", k)
            s.body = _lower_jump(s.body, ast.Break, flag)
            s._ag_extra.append(flag)
            out.append(_assign(flag, ast.Constant(False)))
        out.append(s)
    return out


# ---- pass 2: return ----------------------------------------------------------------------------


def _returns(stmts):
    """Does this block return on every path?"""
    for s in stmts:
        if isinstance(s, ast.Return):
            return True
        if isinstance(s, ast.If) and _returns(s.body) and _returns(s.orelse):
            return True
    return False


def _lower_returns(stmts):
    out = []
    for i, s in enumerate(stmts):
        rest = stmts[i + 1 :]
        if isinstance(s, ast.Return):
            value = s.value if s.value is not None else ast.Constant(None)
            done = [_assign(_names.do_return, ast.Constant(True)), _assign(_names.retval, value)]
            if _names.tf:  # TF's form: the flag is reset when the value raises
                undo = [_assign(_names.do_return, ast.Constant(False)), ast.Raise()]
                done = [ast.Try(done, [ast.ExceptHandler(None, None, undo)], [], [])]
            return out + done
        if not _has(s, ast.Return):
            out.append(s)
            continue
        if isinstance(s, ast.If):
            body_ret, else_ret = _returns(s.body), _returns(s.orelse)
            out.append(s)
            if body_ret != else_ret:  # what follows runs only on the branch that goes on
                s.body = _lower_returns(s.body if body_ret else s.body + rest)
                s.orelse = _lower_returns(s.orelse if else_ret else s.orelse + rest)
                return out
            s.body, s.orelse = _lower_returns(s.body), _lower_returns(s.orelse)
            if body_ret:
                return out
        else:
            for field in ("body", "orelse", "finalbody"):
                if hasattr(s, field):
                    setattr(s, field, _lower_returns(getattr(s, field)))
            if isinstance(s, ast.Try):
                for h in s.handlers:
                    h.body = _lower_returns(h.body)
            if isinstance(s, _LOOPS):
                s._ag_extra.append(_names.do_return)
            out.append(s)
        if rest:
            out.append(_guard(_names.do_return, _lower_returns(rest)))
        return out
    return out


# ---- pass 3: liveness --------------------------------------------------------------------------


def _live_block(stmts, live):
    for s in reversed(stmts):
        live = _live_stmt(s, live)
    return live


def _live_stmt(s, live):
    live = set(live)
    if isinstance(s, ast.If):
        s._ag_live_out = live
        return _loaded([s.test]) | _live_block(s.body, live) | _live_block(s.orelse, live)
    if isinstance(s, _LOOPS):
        s._ag_live_out = live
        if isinstance(s, ast.While):
            entry, targets = _loaded([s.test]), set()
        else:
            entry, targets = set(), _stored([s.target])
        entry |= set(getattr(s, "_ag_extra", ()))  # break / return flags: read by the test
        head = live | entry
        while True:
            new = live | entry | (_live_block(s.body, head) - targets)
            if new <= head:
                break
            head |= new
        s._ag_live_head = head
        return head | (_loaded([s.iter]) if isinstance(s, ast.For) else set())
    if isinstance(s, ast.Return):
        return _loaded([s.value]) if s.value is not None else set()
    if isinstance(s, ast.With | ast.Try):
        inner = set(live)
        for field in ("finalbody", "orelse"):
            inner |= _live_block(getattr(s, field, []), live)
        for h in getattr(s, "handlers", []):
            inner |= _live_block(h.body, live)
        inner |= _live_block(s.body, inner)
        return inner | _loaded(getattr(s, "items", []))
    if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return (live - {s.name}) | _loaded([s])
    defs = _stored([s])
    uses = _loaded([s])
    if isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name):
        uses.add(s.target.id)
    return (live - defs) | uses


# ---- pass 4: control flow into functions -------------------------------------------------------


def _live_after(node, attr="_ag_live_out"):
    """A statement's live names (all names, for a statement the analysis did not reach)."""
    live = getattr(node, attr, None)
    return _ALL if live is None else live


class _All:
    def __contains__(self, name):
        return True

    def __or__(self, other):
        return self

    __ror__ = __or__


_ALL = _All()


class _Converter(ast.NodeTransformer):
    def __init__(self, declared):
        self.declared = declared  # names declared global / nonlocal: never passed around

    def _names(self, names):
        return sorted(n for n in names if n not in self.declared)

    def _def(self, name, params, body, result):
        decls = []
        if self.declared:
            g = [n for n, kind in self.declared.items() if kind == "global"]
            nl = [n for n, kind in self.declared.items() if kind == "nonlocal"]
            decls += [ast.Global(g)] if g else []
            decls += [ast.Nonlocal(nl)] if nl else []
        body = decls + (body or []) + [ast.Return(result)]
        return _node(ast.FunctionDef, name=name, args=_args(params), body=body,
                     decorator_list=[], returns=None)  # fmt: skip

    def _finish(self, outs, call, where):
        """The statements that run ``call`` (at the line of ``where``, the statement converted:
        the line an error in the condition shows) and unpack its results into ``outs``."""
        if hasattr(where, "lineno"):  # not a statement the conversion made
            ast.copy_location(call, where)
            call.end_lineno, call.end_col_offset = where.lineno, where.col_offset + 1
        if not outs:
            return [ast.copy_location(ast.Expr(call), where)]
        stmts = [ast.copy_location(ast.Assign(targets=[_tuple(outs, ast.Store())], value=call),
                                   where)]  # fmt: skip
        for n in outs:
            if n.startswith(_PREFIX):
                continue
            stmts.append(ast.If(test=_call("undef", _name(n)),
                                body=[ast.Delete([_name(n, ast.Del())])], orelse=[]))  # fmt: skip
        return stmts

    def _declared_refs(self, nodes, k):
        """Setter functions and ``NameRef`` s for the ``global`` / ``nonlocal`` names that
        ``nodes`` assign (threaded through the statement as TF does)."""
        defs, refs = [], []
        for n in sorted(_stored(nodes) & set(self.declared)):
            setter = f"ag__set_{k}_{n}"
            defs.append(self._def(setter, ["ag__v"], [_assign(n, _name("ag__v"))], None))
            refs.append(_call("NameRef", _lambda(_name(n)), _name(setter), ast.Constant(n)))
        return defs, refs

    def visit_FunctionDef(self, node):
        return node  # nested functions are converted when called

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_ClassDef = visit_FunctionDef

    def visit_Lambda(self, node):
        return node

    def visit_If(self, node):
        modified = self._names(_stored(node.body + node.orelse))
        outs = [n for n in modified if n in _live_after(node)]
        refs = _refs(node.body + node.orelse, _live_after(node))
        k = next(_counter)
        setters, names = self._declared_refs(node.body + node.orelse, k)
        refs += names
        self.generic_visit(node)
        t, f = f"ag__if_true_{k}", f"ag__if_false_{k}"
        call = _call("if_stmt", node.test, _name(t), _name(f),
                     _call("ld", ast.Call(_name("locals"), [], []), _strs(modified)),
                     _strs(outs))  # fmt: skip
        if refs:
            call.args.append(ast.Tuple(refs, ast.Load()))
        return [
            *setters,
            self._def(t, modified, node.body, _tuple(outs)),
            self._def(f, modified, node.orelse, _tuple(outs)),
            *self._finish(outs, call, node),
        ]

    def visit_While(self, node):
        modified = self._names(_stored(node.body))
        keep = _live_after(node, "_ag_live_head") | _live_after(node)
        loop = [n for n in modified if n in keep]
        refs = _refs(node.body, keep)
        k = next(_counter)
        setters, names = self._declared_refs(node.body, k)
        refs += names
        extra = node._ag_extra
        self.generic_visit(node)
        test = node.test
        for flag in reversed(extra):
            test = _call("and_", _call("not_", _name(flag)), _lambda(test))
        t, b = f"ag__test_{k}", f"ag__body_{k}"
        call = _call("while_stmt", _name(t), _name(b),
                     _call("ld", ast.Call(_name("locals"), [], []), _strs(loop)),
                     _strs(loop))  # fmt: skip
        if refs:
            call.args.append(ast.Tuple(refs, ast.Load()))
        return [
            *setters,
            self._def(t, loop, [], test),
            self._def(b, loop, node.body, _tuple(loop)),
            *self._finish(loop, call, node),
        ]

    def visit_For(self, node):
        targets = self._names(_stored([node.target]))
        modified = self._names(_stored(node.body) | set(targets))
        keep = _live_after(node, "_ag_live_head") | _live_after(node)
        loop = [n for n in modified if n in keep]
        refs = _refs(node.body, keep, _stored([node.target]))
        k = next(_counter)
        setters, names = self._declared_refs(node.body, k)
        refs += names
        extra = node._ag_extra
        self.generic_visit(node)
        b, e = f"ag__body_{k}", f"ag__extra_{k}"
        it = node.iter
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute):
            if it.func.attr == "converted_call" and isinstance(it.func.value, ast.Name):
                it.func = _ag("for_iter")
        body = [ast.Assign(targets=[node.target], value=_name("ag__item"))] + node.body
        stmts = [*setters, self._def(b, ["ag__item", *loop], body, _tuple(loop))]
        args = [it, _name(b), _call("ld", ast.Call(_name("locals"), [], []), _strs(loop)),
                _strs(loop)]  # fmt: skip
        keywords = [ast.keyword("targets", _strs(targets))]
        if refs:
            keywords.append(ast.keyword("refs", ast.Tuple(refs, ast.Load())))
        if extra:
            test = _call("not_", _name(extra[0]))
            for flag in extra[1:]:
                test = _call("and_", test, _lambda(_call("not_", _name(flag))))
            stmts.append(self._def(e, loop, [], test))
            keywords.append(ast.keyword("extra_test", _name(e)))
        return stmts + self._finish(loop, ast.Call(_ag("for_stmt"), args, keywords), node)

    def visit_BoolOp(self, node):
        self.generic_visit(node)
        fn = "and_" if isinstance(node.op, ast.And) else "or_"
        out = node.values[-1]
        for v in reversed(node.values[:-1]):
            out = _call(fn, v, _lambda(out))
        return out

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Not):
            return _call("not_", node.operand)
        return node

    def visit_IfExp(self, node):
        text = ast.unparse(node.test)
        self.generic_visit(node)
        return _call("if_exp", node.test, _lambda(node.body), _lambda(node.orelse),
                     ast.Constant(text))  # fmt: skip

    def visit_Call(self, node):
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id in _NOT_CALLS:
            return node
        f = node.func
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "ag__":
            return node
        args = ast.Tuple(node.args, ast.Load())
        kw = ast.Dict([k.arg and ast.Constant(k.arg) for k in node.keywords],
                      [k.value for k in node.keywords])  # fmt: skip
        return ast.Call(_ag("converted_call"), [node.func, args, kw], [])


class _TFLayout(_Converter):
    """``to_code``'s view of the conversion, in TF's layout: a statement's state is read and
    written by ``get_state`` / ``set_state`` closures, its bodies assign it ``nonlocal``, every
    name read goes through ``ag__.ld`` and names first set by a statement start as
    ``ag__.Undefined``. The passes and the state are those of the code that runs, which
    passes the same state as its bodies' arguments and results instead."""

    def __init__(self, declared, defined, scope):
        super().__init__(declared)
        self.defined = set(defined)  # names assigned before the statement being converted
        self.plain = False  # the value of ``x += v`` keeps its names as written (as TF)
        self.scope = scope  # the function's ``fscope`` name

    def visit_FunctionDef(self, node):
        return _tf_passes(node, nested=True)

    def _names(self, names):  # TF's order: the user's names, then the generated ones
        return sorted(super()._names(names), key=lambda n: (n in _names.made, n))

    def visit(self, node):
        out = super().visit(node)
        if isinstance(node, ast.stmt):
            self.defined |= _stored([node])
        return out

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load) and not self.plain and node.id not in _names.made:
            return _call("ld", node)
        return node

    def visit_AugAssign(self, node):
        if not isinstance(node.target, ast.Name):
            return self.generic_visit(node)
        self.plain = True
        node.value = self.visit(node.value)
        self.plain = False
        return [_assign(node.target.id, _call("ld", _name(node.target.id))), node]

    def visit_BoolOp(self, node):
        self.generic_visit(node)
        fn = "and_" if isinstance(node.op, ast.And) else "or_"
        out = node.values[-1]
        for v in reversed(node.values[:-1]):
            out = _call(fn, _lambda(v), _lambda(out))
        return out

    def visit_Call(self, node):
        f = node.func
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
            if f.value.id == "ag__" or f.value.id in _names.made and "fscope" in f.value.id:
                return node
        plain = isinstance(f, ast.Name) and f.id in _NOT_CALLS
        self.generic_visit(node)
        if plain:
            return node
        kw = ast.Call(_name("dict"), [], node.keywords) if node.keywords else ast.Constant(None)
        args = [node.func, ast.Tuple(node.args, ast.Load()), kw, _name(self.scope)]
        return ast.Call(_ag("converted_call"), args, [])

    def _fn(self, name, params, body, state=()):
        decls = [ast.Nonlocal(list(state))] if state else []
        for kind, cls in (("global", ast.Global), ("nonlocal", ast.Nonlocal)):
            names = [n for n, k in self.declared.items() if k == kind]
            decls += [cls(names)] if names else []
        body = decls + (body or [ast.Pass()])
        return _node(ast.FunctionDef, name=name, args=_args(params), body=body,
                     decorator_list=[], returns=None)  # fmt: skip

    def _state(self, names, refs):
        """``get_state`` / ``set_state`` for the statement's names and refs, and the names."""
        g, s = _names.fresh("get_state"), _names.fresh("set_state")
        values = [_name(n) for n in names] + [
            _call("ldu", _lambda(_load(copy.deepcopy(n))), ast.Constant(t)) for t, n in refs
        ]  # fmt: skip
        get = self._fn(g, [], [ast.Return(ast.Tuple(values, ast.Load()))])
        if values:
            targets = [_name(n, ast.Store()) for n in names] + [copy.deepcopy(n) for _, n in refs]
            put = ast.Assign([ast.Tuple(targets, ast.Store())], _name("vars_"))
            put = self._fn(s, ["vars_"], [put], names)
        else:
            put = self._fn(s, ["block_vars"], [])
        return [get, put], g, s, _strs([*names, *(t for t, _ in refs)])

    def _undefined(self, names, before):
        return [_assign(n, _call("Undefined", ast.Constant(n))) for n in names if n not in before]

    def visit_If(self, node):
        before = set(self.defined)
        modified = self._names(_stored(node.body + node.orelse))
        outs = [n for n in modified if n in _live_after(node)]
        refs = copy.deepcopy(_ref_nodes(node.body + node.orelse, _live_after(node)))
        self.generic_visit(node)
        defs, g, s, names = self._state(outs, refs)
        t, f = _names.fresh("if_body"), _names.fresh("else_body")
        call = _call("if_stmt", node.test, _name(t), _name(f), _name(g), _name(s), names,
                     ast.Constant(len(names.elts)))  # fmt: skip
        defs += [self._fn(t, [], node.body, outs), self._fn(f, [], node.orelse, outs)]
        return [*defs, *self._undefined(outs, before), ast.Expr(call)]

    def _loop(self, node, targets=()):
        """The state, its definitions and the names a loop first sets (``Undefined`` first)."""
        before = set(self.defined)
        modified = self._names(_stored(node.body) | set(targets))
        keep = _live_after(node, "_ag_live_head") | _live_after(node)
        loop = [n for n in modified if n in keep]
        refs = copy.deepcopy(_ref_nodes(node.body, keep, targets))
        self.generic_visit(node)
        defs, g, s, names = self._state(loop, refs)
        test = None
        for flag in reversed(node._ag_extra):
            flag = _call("not_", _name(flag))
            test = flag if test is None else _call("and_", _lambda(flag), _lambda(test))
        first = sorted(set(modified) - set(targets)) + list(targets)  # TF's order
        return loop, defs, [_name(g), _name(s), names], self._undefined(first, before), test

    def visit_While(self, node):
        loop, defs, state, undefined, extra = self._loop(node)
        test = node.test if extra is None else _call("and_", _lambda(extra), _lambda(node.test))
        b, t = _names.fresh("loop_body"), _names.fresh("loop_test")
        defs += [self._fn(b, [], node.body, loop), self._fn(t, [], [ast.Return(test)])]
        call = _call("while_stmt", _name(t), _name(b), *state, ast.Dict([], []))
        return [*defs, *undefined, ast.Expr(call)]

    def visit_For(self, node):
        loop, defs, state, undefined, extra = self._loop(node, self._names(_stored([node.target])))
        b = _names.fresh("loop_body")
        body = [ast.Assign([node.target], _name("itr")), *node.body]
        defs.append(self._fn(b, ["itr"], body, loop))
        e = ast.Constant(None)
        if extra is not None:
            e = _name(_names.fresh("extra_test"))
            defs.append(self._fn(e.id, [], [ast.Return(extra)], loop))
        target = ast.Constant(ast.unparse(node.target))
        options = ast.Dict([ast.Constant("iterate_names")], [target])
        call = _call("for_stmt", node.iter, e, _name(b), *state, options)
        return [*defs, *undefined, ast.Expr(call)]


_NOT_CALLS = {"super", "locals", "globals", "vars", "eval", "exec", "dir", "print", "isinstance",
              "len", "type", "hasattr", "getattr", "setattr"}  # fmt: skip


def _strs(names):
    return ast.Tuple([ast.Constant(n) for n in names], ast.Load())


_lock = threading.Lock()


class _Names:
    """The names one conversion generates: ours (``ag__`` prefixed: the code that runs) or
    TF's (``to_code``), numbered as TF numbers them (``get_state``, ``get_state_1``)."""

    def __init__(self, tf):
        self.tf = tf
        self.do_return, self.retval = ("do_return", "retval_") if tf else (_DO_RETURN, _RETVAL)
        self.made = {"ag__"}
        self.counts: dict = {}

    def fresh(self, base):
        n = self.counts.get(base, 0)
        self.counts[base] = n + 1
        name = base if n == 0 else f"{base}_{n}"
        self.made.add(name)
        return name

    def flag(self, kind, k):
        return self.fresh(kind + "_") if self.tf else f"ag__{kind}_{k}"


_names = _Names(False)


def _transform(node, tf_layout=False):
    """The four passes on one FunctionDef (changed in place and returned); ``tf_layout``:
    written as TF writes it (``to_code``)."""
    global _counter, _names
    with _lock:
        _counter = itertools.count(1)  # the generated names are the same on each conversion
        _names = _Names(tf_layout)
        return _tf_passes(node) if tf_layout else _passes(node)


def _declared(body):
    declared = {}
    for n in _walk_scope(body):
        if isinstance(n, ast.Global | ast.Nonlocal):
            for name in n.names:
                declared[name] = "global" if isinstance(n, ast.Global) else "nonlocal"
    return declared


_OPTIONS = ("ag__.ConversionOptions(recursive=True, user_requested=True, optional_features=(), "
            "internal_convert_user_code=True)")  # fmt: skip


def _tf_passes(node, nested=False):
    """TF's layout: the body under ``with ag__.FunctionScope(...) as fscope``, every return
    through ``do_return`` / ``retval_``, the function named ``tf__<name>``; a nested function
    is converted in place with its own ``fscope_1``, ``do_return_1`` and ``retval__1``."""
    outer = _names.do_return, _names.retval
    scope = _names.fresh("fscope")
    body = _lower_loops(node.body)
    flag = value = None
    if any(isinstance(n, ast.Return) for n in _walk_scope(body)):
        flag, value = _names.fresh("do_return"), _names.fresh("retval_")
        _names.do_return, _names.retval = flag, value
        ret = ast.Call(ast.Attribute(_name(scope), "ret", ast.Load()),
                       [_name(value), _name(flag)], [])  # fmt: skip
        body = [
            _assign(flag, ast.Constant(False)),
            _assign(value, _call("UndefinedReturnValue")),
            *_lower_returns(body),
            ast.Return(ret),
        ]
    _live_block(body, set())
    a = node.args
    params = {p.arg for p in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg] if p}
    a.defaults = [ast.Constant(None) for _ in a.defaults]  # TF prints no default values
    a.kw_defaults = [d and ast.Constant(None) for d in a.kw_defaults]
    conv = _TFLayout(_declared(body), (params | {flag, value}) - {None}, scope)
    body = [out for s in body for out in _as_list(conv.visit(s))]
    _names.do_return, _names.retval = outer
    options = ast.parse("ag__.STD" if nested else _OPTIONS, mode="eval").body
    fs = _call("FunctionScope", ast.Constant(node.name), ast.Constant(scope), options)
    node.body = [ast.With([ast.withitem(fs, _name(scope, ast.Store()))], body)]
    if nested:
        node.decorator_list.append(_ag("autograph_artifact"))
    else:
        node.name = "tf__" + node.name
    return node


def _passes(node):
    body = _lower_loops(node.body)
    nested = any(_has(s, ast.Return) for s in body if not isinstance(s, ast.Return))
    if nested:
        body = [
            _assign(_DO_RETURN, ast.Constant(False)),
            _assign(_RETVAL, _call("Undefined", ast.Constant(_RETVAL))),
            *_lower_returns(body),
            ast.Return(_call("retval", _name(_RETVAL))),
        ]
    _live_block(body, set())
    conv = _Converter(_declared(body))
    node.body = [out for s in body for out in _as_list(conv.visit(s))]
    return node


def _as_list(x):
    return x if isinstance(x, list) else [x]
