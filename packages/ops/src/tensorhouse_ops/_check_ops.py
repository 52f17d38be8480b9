"""``tf.debugging``'s checks: ``assert_*``, ``Assert``, ``check_numerics``, dtype and rank checks.

A check on values computes its condition with ops and hands it, with the tensors its message
shows, to one host-call node (``_pyfunc.host_call``, a side effect the graph never prunes): eagerly
it runs at once, inside a ``tf.function`` each time the function runs. Failures raise TF's
``InvalidArgumentError`` with TF's text (eager and graph texts differ, as in TF). Checks on static
shapes and dtypes raise at call (trace) time, as TF's do.
"""

from __future__ import annotations

import numpy as np

from tensorhouse_kernels.runtime import errors

from . import _array, _math, _pyfunc
from . import dtypes as _dt
from ._tensor import Tensor, VariableLike, convert_to_tensor

__all__ = [
    "Assert", "assert_all_finite", "assert_equal", "assert_greater", "assert_greater_equal",
    "assert_integer", "assert_less", "assert_less_equal", "assert_near", "assert_negative",
    "assert_non_negative", "assert_non_positive", "assert_none_equal", "assert_positive",
    "assert_proper_iterable", "assert_rank", "assert_rank_at_least", "assert_rank_in",
    "assert_same_float_dtype", "assert_scalar", "assert_shapes", "assert_type", "check_numerics",
    "is_numeric_tensor",
]  # fmt: skip


def _t(x, dtype=None):
    return x._th_read() if isinstance(x, VariableLike) else convert_to_tensor(x, dtype)


def _host_check(name, tensors, check):
    """Run ``check(arrays, eager)`` on the tensors' values now or when the graph runs."""
    eager = _pyfunc.executing_eagerly()

    def run(arrays):
        check(arrays, eager)
        return []

    _pyfunc.host_call("PyFunc", run, list(tensors), [], name, arrays=True)


def _fail(text):
    raise errors.InvalidArgumentError(text)


def _scalar_text(v):
    if isinstance(v, bytes):
        return v.decode(errors="replace")
    if isinstance(v, np.bool_ | bool):
        return str(int(v))
    text = str(v)
    return text[:-2] if isinstance(v, np.floating) and text.endswith(".0") else text


def _summary(arr, n):
    """TF's ``Tensor::SummarizeValue``: the first ``n`` values, a bracket per inner row."""
    arr = np.asarray(arr)
    flat, shape, out, pos = arr.reshape(-1), arr.shape, [], [0]

    def dim(d):
        for i in range(shape[d]):
            if pos[0] >= n:
                out.append("...")
                return
            if d == len(shape) - 1:
                out.append((" " if i else "") + _scalar_text(flat[pos[0]]))
                pos[0] += 1
            else:
                out.append("[")
                dim(d + 1)
                out.append("]")

    if arr.ndim == 0:
        return _scalar_text(arr[()])
    dim(0)
    return "".join(out)


def _graph_text(data, arrays, n):
    """The graph ``Assert`` op's message: each item in brackets."""
    it = iter(arrays)
    items = [_summary(next(it), n) if d is None else d for d in data]
    return "assertion failed: " + " ".join(f"[{i}]" for i in items)


def _eager_items(arr, n):
    flat = [str(v) for v in np.asarray(arr).reshape(-1)[:n]]
    return flat + ["..."] if np.asarray(arr).size > n else flat


def _name(t, eager):
    """How a message names a tensor: eagerly its shape and dtype, in a graph its name."""
    if eager:
        return f"shape={t.shape} dtype={t.dtype.name}"
    return getattr(t, "name", "Const:0")  # an eager constant used in a trace


def _binary(sym, op):
    def check(x, y, message=None, summarize=None, name=None):
        x = _t(x)
        y = _t(y, x.dtype if not isinstance(y, Tensor | VariableLike) else None)
        cond = op(x, y)
        n = 3 if summarize is None else (1 << 62 if summarize < 0 else summarize)
        same_shape = x.shape == y.shape and x.shape.rank

        def test(arrays, eager):
            c, xv, yv = arrays
            if c.all():
                return
            if not eager:
                data = [message] if message is not None else []
                data += [
                    f"Condition x {sym} y did not hold element-wise:",
                    f"x ({_name(x, False)}) = ",
                    None,
                    f"y ({_name(y, False)}) = ",
                    None,
                ]
                _fail(_graph_text(data, [xv, yv], n))
            lines = [] if message is None else [str(message)]
            lines.append(f"Condition x {sym} y did not hold.")
            if n > 0:
                if same_shape:
                    bad = np.argwhere(~c)
                    k = min(n, len(bad))
                    lines += [f"Indices of first {k} different values:", str(bad[:k]),
                              "Corresponding x values:", str(xv[~c].reshape(-1)[:k]),
                              "Corresponding y values:", str(yv[~c].reshape(-1)[:k])]  # fmt: skip
                for label, v in (("x", xv), ("y", yv)):
                    flat = v.reshape(-1)
                    lines += [f"First {min(flat.size, n)} elements of {label}:", str(flat[:n])]
            _fail("\n".join(lines))

        _host_check(name or f"assert_{_NAMES[sym]}", [cond, x, y], test)

    check.__name__ = check.__qualname__ = f"assert_{_NAMES[sym]}"
    check.__doc__ = f"TF's ``tf.debugging.{check.__name__}``: ``all(x {sym} y)`` or an error."
    return check


_NAMES = {"==": "equal", "!=": "none_equal", "<": "less", "<=": "less_equal", ">": "greater",
          ">=": "greater_equal"}  # fmt: skip
assert_equal = _binary("==", _math.equal)
assert_none_equal = _binary("!=", _math.not_equal)
assert_less = _binary("<", _math.less)
assert_less_equal = _binary("<=", _math.less_equal)
assert_greater = _binary(">", _math.greater)
assert_greater_equal = _binary(">=", _math.greater_equal)


def _sign(sym, op, label):
    def check(x, message=None, summarize=None, name=None):
        x = _t(x)
        cond = op(x, _array.zeros_like(x))
        n = 3 if summarize is None else (1 << 62 if summarize < 0 else summarize)

        def test(arrays, eager):
            c, xv = arrays
            if c.all():
                return
            head = [message or "", f"Condition x {sym} 0 did not hold element-wise:"]
            if not eager:
                _fail(_graph_text([*head, f"x ({_name(x, False)}) = ", None], [xv], n))
            items = _eager_items(xv, n) if xv.ndim else str(xv)
            _fail("\n".join([*head, f"x ({_name(x, True)}) = ", str(items)]))

        _host_check(name or f"assert_{label}", [cond, x], test)

    check.__name__ = check.__qualname__ = f"assert_{label}"
    check.__doc__ = f"TF's ``tf.debugging.{check.__name__}``: ``all(x {sym} 0)`` or an error."
    return check


assert_positive = _sign(">", _math.greater, "positive")
assert_negative = _sign("<", _math.less, "negative")
assert_non_negative = _sign(">=", _math.greater_equal, "non_negative")
assert_non_positive = _sign("<=", _math.less_equal, "non_positive")


def Assert(condition, data, summarize=None, name=None):
    """TF's ``tf.Assert``: raise InvalidArgumentError showing ``data`` if ``condition`` is False."""
    n = 3 if summarize is None else (1 << 62 if summarize < 0 else summarize)
    shown = str(condition)
    items = [d if isinstance(d, str) else _t(d) for d in data]
    tensors = [convert_to_tensor(condition, _dt.bool)] + [
        i for i in items if not isinstance(i, str)
    ]

    def test(arrays, eager):
        if arrays[0].all():
            return
        if not eager:
            _fail(_graph_text([None if isinstance(i, Tensor) else i for i in items], arrays[1:], n))
        it = iter(arrays[1:])
        text = [repr(i.encode()) if isinstance(i, str) else ", ".join(_eager_items(next(it), n))
                for i in items]  # fmt: skip
        _fail(f"Expected '{shown}' to be true. Summarized data: " + "\n".join(text))

    _host_check(name or "Assert", tensors, test)


def assert_near(x, y, rtol=None, atol=None, message=None, summarize=None, name=None):
    """TF's ``tf.debugging.assert_near``: ``|x - y| <= atol + rtol * |y|`` elementwise."""
    x = _t(x)
    y = _t(y, x.dtype if not isinstance(y, Tensor | VariableLike) else None)
    eps = float(np.finfo(x.dtype.real_dtype._np).eps) if x.dtype.is_floating else 0.0
    rtol = _t(10 * eps if rtol is None else rtol, x.dtype.real_dtype)
    atol = _t(10 * eps if atol is None else atol, x.dtype.real_dtype)
    diff = _math.abs(_math.subtract(x, y))
    cond = _math.reduce_all(_math.less_equal(diff, atol + rtol * _math.abs(y)))
    text = f"x and y not equal to tolerance rtol = {rtol!s}, atol = {atol!s}"
    Assert(cond, [message or "", text, f"x ({_name(x, True)}) = ", x,
                  f"y ({_name(y, True)}) = ", y], summarize, name or "assert_near")  # fmt: skip


def check_numerics(tensor, message, name=None):
    """TF's ``tf.debugging.check_numerics``: ``tensor`` itself, or an error if it holds NaN or
    Inf (the gradient passes through)."""
    x = _t(tensor)
    if not x.dtype.is_floating:
        raise TypeError(
            f"Value passed to parameter 'tensor' has DataType {x.dtype.name} not in list of "
            "allowed values: bfloat16, float16, float32, float64"
        )

    def test(arrays, eager):
        nan, inf = bool(np.isnan(arrays[0]).any()), bool(np.isinf(arrays[0]).any())
        if nan or inf:
            what = "Inf and NaN" if nan and inf else "NaN" if nan else "Inf"
            _fail(f"{message} : Tensor had {what} values [Op:CheckNumerics]")

    _host_check(name or "CheckNumerics", [x], test)
    return _array.identity(x)


def assert_all_finite(x, message, name=None):
    """TF's ``tf.debugging.assert_all_finite``: ``x``, checked as ``check_numerics`` does."""
    return check_numerics(x, message, name)


def _rank_error(x, what, message):
    prefix = f"{message}.  " if message else ""
    raise ValueError(
        f"{prefix}Tensor {'' if _pyfunc.executing_eagerly() else _name(x, False)} must have "
        f"rank {what}.  Received rank {x.shape.rank}, shape {x.shape}"
    )


def _static_rank(x, ok, what, message, name):
    """A rank check: static now when the rank is known, else when the graph runs."""
    x = _t(x)
    if x.shape.rank is not None:
        if not ok(x.shape.rank):
            _rank_error(x, what, message)
        return

    def test(arrays, eager):
        if not ok(arrays[0].ndim):
            _fail(f"{message or ''} Tensor {_name(x, False)} must have rank {what}. Received rank "
                  f"{arrays[0].ndim}")  # fmt: skip

    _host_check(name, [x], test)


def assert_rank(x, rank, message=None, name=None):
    """TF's ``tf.debugging.assert_rank``: ValueError when the static rank differs."""
    _static_rank(x, lambda r: r == int(rank), str(int(rank)), message, name or "assert_rank")


def assert_rank_at_least(x, rank, message=None, name=None):
    """TF's ``tf.debugging.assert_rank_at_least``."""
    _static_rank(x, lambda r: r >= int(rank), f"at least {int(rank)}", message,
                 name or "assert_rank_at_least")  # fmt: skip


def assert_rank_in(x, ranks, message=None, name=None):
    """TF's ``tf.debugging.assert_rank_in``."""
    ranks = tuple(int(r) for r in ranks)
    _static_rank(x, lambda r: r in ranks, f"in {ranks}", message, name or "assert_rank_in")


def assert_scalar(tensor, message=None, name=None):
    """TF's ``tf.debugging.assert_scalar``: the tensor, or ValueError when it has rank > 0."""
    x = _t(tensor)
    if x.shape.rank != 0:
        prefix = f"{message}  " if message else ""
        raise ValueError(f"{prefix}Expected scalar shape, saw shape: {x.shape}.")
    return x


def assert_type(tensor, tf_type, message=None, name=None):
    """TF's ``tf.debugging.assert_type``: TypeError when the dtype is not ``tf_type``."""
    want = _dt.as_dtype(tf_type)
    dtype = tensor.dtype if hasattr(tensor, "dtype") else _t(tensor).dtype
    if dtype != want:
        prefix = f"{message}, " if message else ""
        raise TypeError(f"{prefix}tensor must be of type tf.{want.name}; got tf.{dtype.name}")


def assert_integer(x, message=None, name=None):
    """TF's ``tf.debugging.assert_integer``: TypeError unless ``x`` has an integer dtype."""
    dtype = _t(x).dtype
    if not dtype.is_integer:
        prefix = f"{message}  " if message else ""
        raise TypeError(
            f'{prefix}Expected "x" to be integer type.  Found: tensor of dtype {dtype!r}'
        )


def assert_shapes(shapes, data=None, summarize=None, message=None, name=None):
    """TF's ``tf.debugging.assert_shapes``: static checks of ranks and of named or fixed sizes
    (a name must have one size across all the tensors); ValueError on the first mismatch."""
    sizes = {}  # symbol -> (size, the tensor that fixed it, its dim)
    items = shapes.items() if isinstance(shapes, dict) else shapes
    for x, spec in items:
        x = _t(x)
        spec = (spec,) if isinstance(spec, str | int) and spec not in ("", ".") else tuple(spec)
        dims = x.shape.as_list() if x.shape.rank is not None else None
        if dims is None:
            continue
        desc = f"shape={x.shape} dtype={x.dtype.name}"
        if len(spec) != len(dims) and not (spec and spec[0] == "..."):
            _rank_error(x, str(len(spec)), message)
        body = spec[1:] if spec and spec[0] == "..." else spec
        for i, s in zip(range(len(dims) - len(body), len(dims)), body):
            got = dims[i]
            if isinstance(s, int):
                want, where = s, f"Tensor {desc} dimension {i} must have size {s}.  "
            else:
                if s not in sizes:
                    sizes[s] = (got, desc, i)
                    continue
                want, by, j = sizes[s]
                where = (f"Specified by tensor {by} dimension {j}.  Tensor {desc} dimension {i} "
                         f"must have size {want}.  ")  # fmt: skip
            if got is not None and want is not None and got != want:
                raise ValueError(f"{where}Received size {got}, shape {x.shape}")


def assert_same_float_dtype(tensors=None, dtype=None):
    """TF's ``tf.debugging.assert_same_float_dtype``: the common float dtype (float32 if none);
    ValueError when the tensors' dtypes differ or are not floating."""
    first = None
    for t in tensors or ():
        if dtype is None:
            dtype, first = t.dtype, t
        elif t.dtype != dtype:
            what = f"as {first}" if first is not None else f"({dtype!r})"
            raise ValueError(f"{t}, type={t.dtype!r}, must be of the same type ({dtype!r}) {what}.")
    dtype = _dt.float32 if dtype is None else _dt.as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError(f"Expected floating point type, got {dtype!r}.")
    return dtype


def assert_proper_iterable(values):
    """TF's ``tf.debugging.assert_proper_iterable``: TypeError for a tensor, an array, a string
    or a non-iterable."""
    if isinstance(values, Tensor | np.ndarray | str | bytes) or not hasattr(values, "__iter__"):
        raise TypeError(
            f'Expected argument "values" to be a "proper" iterable.  Found: {type(values)}'
        )


def is_numeric_tensor(tensor):
    """TF's ``tf.debugging.is_numeric_tensor``: a tensor of a number dtype (not bool or string)."""
    return isinstance(tensor, Tensor) and tensor.dtype not in (_dt.bool, _dt.string)
