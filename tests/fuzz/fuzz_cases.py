# ruff: noqa: E731 - the table's thunks are lambdas, one per case
"""The fuzzer's case table: ``build_case(seed, index)`` is the same call every time (issue 21).

Each entry draws its arguments from a NumPy generator seeded with ``(seed, index)``: every dtype,
shapes from 0-size to 2^62 dims, NaN/inf/extremes, bad axes, indices, strides and paddings. A case
carries a short description, a thunk that makes the call through ``import tensorhouse as tf``, and
a check of the result: a NumPy reference where NumPy defines one, or ``expect_error`` where TF
raises (an out-of-range axis, mixed dtypes, a huge shape).
"""

from __future__ import annotations

import functools
import io
import json
import math
import os
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ml_dtypes
import numpy as np

if os.environ.get("TENSORHOUSE_FUZZ_TF") == "1":  # calibrate the references against real TF
    import tensorflow as tf
else:
    import tensorhouse as tf

BF16 = np.dtype(ml_dtypes.bfloat16)
FLOATS = ["float16", "bfloat16", "float32", "float64"]
SINTS = ["int8", "int16", "int32", "int64"]
UINTS = ["uint8", "uint16", "uint32", "uint64"]
INTS = SINTS + UINTS
DTYPES = FLOATS + INTS + ["bool", "string"]
HUGE = [2**36, 2**40, 2**62, 2**63 - 1]  # past the workers' 6 GiB address-space limit
RTOL = {"float16": 2e-3, "bfloat16": 1.6e-2, "float32": 2e-5, "float64": 1e-12}


class Skip(Exception):
    """The entry's API is not in tensorhouse (counted apart, not a failure)."""


@dataclass
class Case:
    """One generated call: what it is, how to run it, how to judge its result."""

    entry: str
    desc: str
    thunk: Callable[[], Any]
    check: Callable[[Any], str | None] | None = None
    expect_error: str | None = None  # why TF raises here (the call must not return)
    error_classes: tuple = ()  # when set, the only error classes accepted
    cleanup: list = field(default_factory=list)


# ---- drawing arguments ------------------------------------------------------------------------


def np_dtype(name: str) -> np.dtype:
    """NumPy's dtype for a TF dtype name (bfloat16 from ml_dtypes)."""
    return BF16 if name == "bfloat16" else np.dtype(object if name == "string" else name)


def draw_dtype(rng, pool=DTYPES) -> str:
    return str(pool[rng.integers(len(pool))])


def draw_shape(rng, max_rank=4, max_size=256) -> tuple:
    """A small shape: rank 0..max_rank, dims mostly 1..5, sometimes 0."""
    rank = int(rng.integers(0, max_rank + 1))
    dims = [int(rng.choice([0, 1, 1, 2, 2, 3, 3, 4, 5, 7])) for _ in range(rank)]
    while int(np.prod(dims, dtype=np.int64)) > max_size:
        dims[int(np.argmax(dims))] //= 2
    return tuple(dims)


def draw_values(rng, dtype: str, shape, mode: str | None = None) -> np.ndarray:
    """Values of ``dtype``: normal, small ints, or extremes (NaN, inf, max, tiny, -0)."""
    size = int(np.prod(shape, dtype=np.int64))
    mode = mode or str(rng.choice(["normal", "small", "extreme", "wide"], p=[0.4, 0.3, 0.2, 0.1]))
    if dtype == "string":
        words = np.array([b"", b"a", b"hello", b"\x00b", "\u20ac".encode(), b"3.5"], dtype=object)
        return words[rng.integers(0, len(words), size)].reshape(shape)
    if dtype == "bool":
        return (rng.random(size) < 0.5).reshape(shape)
    if dtype in INTS:
        info = np.iinfo(dtype)
        if mode == "small":
            lo, hi = max(info.min, -5), 6
            vals = rng.integers(lo, hi, size)
        elif mode == "extreme":
            specials = np.array([info.min, info.max, 0, 1, info.max - 1, info.min + 1], dtype)
            vals = specials[rng.integers(0, len(specials), size)]
        else:
            vals = rng.integers(info.min, int(info.max) + 1, size, dtype=dtype, endpoint=False)
        return np.asarray(vals).astype(dtype).reshape(shape)
    fdt = np_dtype(dtype)
    info = ml_dtypes.finfo(fdt) if dtype == "bfloat16" else np.finfo(fdt)
    if mode == "small":
        vals = rng.integers(-4, 5, size).astype(np.float64) / rng.choice([1, 2, 4])
    elif mode == "extreme":
        specials = np.array(
            [
                np.nan,
                np.inf,
                -np.inf,
                0.0,
                -0.0,
                float(info.max),
                -float(info.max),
                float(info.tiny),
                float(info.smallest_subnormal),
                1.0,
                -1.0,
                0.5,
            ],
        )
        vals = specials[rng.integers(0, len(specials), size)]
    elif mode == "wide":
        vals = rng.standard_normal(size) * 10.0 ** rng.integers(-30, 30, size)
    else:
        vals = rng.standard_normal(size) * 3
    with np.errstate(over="ignore"):
        return vals.astype(fdt).reshape(shape)


def describe(a) -> str:
    """A short text of an argument for the case's description."""
    if isinstance(a, np.ndarray):
        flat = a.reshape(-1)[:4]
        more = "..." if a.size > 4 else ""
        return f"{a.dtype.name}{list(a.shape)}[{', '.join(map(str, flat))}{more}]"
    return repr(a)


def as_input(rng, arr: np.ndarray, dtype: str):
    """The array as a tf.constant (mostly), a NumPy array or a Python list."""
    r = rng.random()
    if r < 0.85 or dtype in ("bfloat16", "string"):
        return tf.constant(arr, dtype=getattr(tf, dtype))
    if r < 0.95:
        return arr
    return arr.tolist()


def to_numpy(out) -> np.ndarray:
    """A result as a NumPy array (a Tensor's ``numpy()``)."""
    if hasattr(out, "indices") and hasattr(out, "dense_shape"):
        out = tf.convert_to_tensor(out)  # IndexedSlices (a gather's gradient)
    if hasattr(out, "numpy"):
        return out.numpy()
    return np.asarray(out)


def out_dtype(out) -> str:
    return out.dtype.name if hasattr(out.dtype, "name") else str(out.dtype)


def subnormal(a: np.ndarray) -> np.ndarray:
    """Where ``a`` holds a subnormal float (TF's CPU kernels may flush those to zero)."""
    if a.dtype.kind != "f" and a.dtype != BF16:
        return np.zeros(a.shape, bool)
    f = np.abs(a.astype(np.float64))
    tiny = float(ml_dtypes.finfo(BF16).tiny if a.dtype == BF16 else np.finfo(a.dtype).tiny)
    return (f > 0) & (f < tiny)


def compare(got, want, dtype: str, rtol=None, exact=False, skip=None, atol=0.0) -> str | None:
    """None where ``got`` equals the NumPy reference ``want`` (NaN at the same places).

    ``skip``: a mask of places not judged (results of subnormal inputs)."""
    got = np.asarray(got)
    want = np.asarray(want)
    if got.shape != want.shape:
        return f"shape {got.shape} != numpy {want.shape}"
    if got.size == 0:
        return None
    if skip is not None and np.any(skip):
        keep = ~np.broadcast_to(skip, got.shape)
        got, want = got[keep], want[keep]
    if dtype in ("bool", "string") or dtype in INTS or exact:
        if dtype in FLOATS:
            g, w = got.astype(np.float64), want.astype(np.float64)
            ok = (g == w) | (np.isnan(g) & np.isnan(w))
        else:
            ok = got == want
        if not np.all(ok):
            k = int(np.argmin(ok.reshape(-1)))
            return f"at {k}: {got.reshape(-1)[k]!r} != numpy {want.reshape(-1)[k]!r}"
        return None
    g = got.astype(np.float64)
    w = want.astype(np.float64)
    fin = ml_dtypes.finfo(BF16) if dtype == "bfloat16" else np.finfo(np_dtype(dtype))
    rtol = RTOL[dtype] if rtol is None else rtol
    nan_ok = np.isnan(g) == np.isnan(w)
    both = ~np.isnan(g) & ~np.isnan(w)
    with np.errstate(invalid="ignore", over="ignore"):
        close = (g == w) | (np.abs(g - w) <= 4 * float(fin.tiny) + atol + rtol * np.abs(w))
        # a result at the edge of overflow may round to inf in one and max in the other
        edge = (np.isinf(g) | np.isinf(w)) & (
            np.minimum(np.abs(g), np.abs(w)) > 0.25 * float(fin.max)
        )
        edge &= np.sign(g) == np.sign(w)
    ok = nan_ok & (~both | close | edge)
    if not np.all(ok):
        k = int(np.argmin(ok.reshape(-1)))
        return f"at {k}: {g.reshape(-1)[k]!r} != numpy {w.reshape(-1)[k]!r} ({dtype})"
    return None


def elementwise_check(
    ref, dtype: str, result_dtype: str | None = None, rtol=None, exact=False, inputs=(), atol=0.0
):
    """A check: result dtype as TF's and values as NumPy's ``ref()`` (computed lazily); places
    where an input is subnormal are not judged."""

    def check(out):
        want_dt = result_dtype or dtype
        if out_dtype(out) != want_dt:
            return f"dtype {out_dtype(out)} != {want_dt}"
        want = ref()
        if want is None:
            return None
        got = np.asarray(to_numpy(out))
        skip = None
        if inputs and got.ndim == np.ndim(want):
            try:
                skip = np.broadcast_to(
                    np.logical_or.reduce(
                        [np.broadcast_to(subnormal(a), got.shape) for a in inputs]
                    ),
                    got.shape,
                )
            except ValueError:
                skip = None
        return compare(got, want, want_dt, rtol=rtol, exact=exact, skip=skip, atol=atol)

    return check


def in_high(a: np.ndarray, dtype: str) -> np.ndarray:
    """The array in the precision a NumPy reference computes in."""
    if dtype in FLOATS:
        return a.astype(np.float64)
    return a


def back(x: np.ndarray, dtype: str) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.asarray(x).astype(np_dtype(dtype))


ENTRIES: dict[str, tuple[str, Callable]] = {}


def entry(name: str, family: str, weight: float = 1.0):
    """Register a case maker ``make(rng) -> Case`` under ``name``."""

    def deco(fn):
        ENTRIES[name] = (family, fn, weight)
        return fn

    return deco


def api(path: str):
    """``tf.<path>``, or Skip when tensorhouse lacks it."""
    obj = tf
    for part in path.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise Skip(f"tf.{path}") from None
    return obj


# ---- elementwise unary ----------------------------------------------------------------------


def _erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def _lgamma(x):
    def one(v):
        try:
            return math.lgamma(v)
        except (ValueError, OverflowError):
            return np.inf

    return np.vectorize(one, otypes=[np.float64])(x)


def _sigmoid(x):
    with np.errstate(over="ignore"):
        return np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))


# name -> (numpy reference on float64 / ints, dtypes it applies to, result dtype or None, exact)
UNARY = {
    "math.abs": (np.abs, FLOATS + SINTS, None, True),
    "math.negative": (np.negative, FLOATS + SINTS, None, True),
    "math.exp": (np.exp, FLOATS, None, False),
    "math.expm1": (np.expm1, FLOATS, None, False),
    "math.log": (np.log, FLOATS, None, False),
    "math.log1p": (np.log1p, FLOATS, None, False),
    "math.sqrt": (np.sqrt, FLOATS, None, False),
    "math.rsqrt": (lambda x: 1 / np.sqrt(x), FLOATS, None, False),
    "math.square": (np.square, FLOATS + SINTS, None, False),
    "math.reciprocal": (lambda x: 1 / x, FLOATS, None, False),
    "math.sin": (np.sin, FLOATS, None, False),
    "math.cos": (np.cos, FLOATS, None, False),
    "math.tan": (np.tan, FLOATS, None, False),
    "math.asin": (np.arcsin, FLOATS, None, False),
    "math.acos": (np.arccos, FLOATS, None, False),
    "math.atan": (np.arctan, FLOATS, None, False),
    "math.sinh": (np.sinh, FLOATS, None, False),
    "math.cosh": (np.cosh, FLOATS, None, False),
    "math.tanh": (np.tanh, FLOATS, None, False),
    "math.asinh": (np.arcsinh, FLOATS, None, False),
    "math.acosh": (np.arccosh, FLOATS, None, False),
    "math.atanh": (np.arctanh, FLOATS, None, False),
    "math.floor": (np.floor, FLOATS, None, True),
    "math.ceil": (np.ceil, FLOATS, None, True),
    "math.round": (np.round, FLOATS, None, True),
    "math.rint": (np.rint, FLOATS, None, True),
    "math.sign": (np.sign, FLOATS + SINTS, None, True),
    "math.sigmoid": (_sigmoid, FLOATS, None, False),
    "math.softplus": (lambda x: np.logaddexp(0, x), FLOATS, None, False),
    "math.log_sigmoid": (lambda x: -np.logaddexp(0, -x), FLOATS, None, False),
    "math.erf": (_erf, FLOATS, None, False),
    "math.lgamma": (_lgamma, ["float32", "float64"], None, False),
    "math.logical_not": (np.logical_not, ["bool"], None, True),
    "math.is_nan": (np.isnan, FLOATS, "bool", True),
    "math.is_inf": (np.isinf, FLOATS, "bool", True),
    "math.is_finite": (np.isfinite, FLOATS, "bool", True),
    "bitwise.invert": (np.invert, INTS, None, True),
    "nn.relu": (
        lambda x: np.where(np.isnan(x) | (x > 0), x, np.zeros_like(x)),
        FLOATS + SINTS,
        None,
        True,
    ),
    "nn.relu6": (lambda x: np.clip(x, 0, 6), FLOATS + SINTS, None, False),
    "nn.elu": (lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))), FLOATS, None, False),
    "nn.softsign": (lambda x: x / (1 + np.abs(x)), FLOATS, None, False),
    "nn.silu": (lambda x: x * _sigmoid(x), FLOATS, None, False),
    "math.reciprocal_no_nan": (
        lambda x: np.where(x == 0, 0 * x, 1 / np.where(x == 0, 1, x)),
        FLOATS,
        None,
        False,
    ),
    "identity": (lambda x: x, DTYPES, None, True),
    "zeros_like": (np.zeros_like, FLOATS + INTS + ["bool"], None, True),
    "ones_like": (np.ones_like, FLOATS + INTS + ["bool"], None, True),
}

# transcendental refs of half types are computed in float32 as TF's kernels do
LOOSE = {
    "math.tan",
    "math.lgamma",
    "math.erf",
    "math.acosh",
    "math.atanh",
    "math.asinh",
    "math.sinh",
    "math.cosh",
    "math.expm1",
    "math.log1p",
    "nn.silu",
    "nn.elu",
}


def _unary_ref(name, ref, x, dtype):
    def run():
        with np.errstate(all="ignore"):
            out = ref(in_high(x, dtype))
        rdt = UNARY[name][2] or dtype
        if dtype in FLOATS and rdt == dtype:
            # the reference rounds to the dtype as the kernel's output does
            return back(out, dtype)
        return np.asarray(out)

    return run


def _make_unary(name):
    ref, good, rdt, exact = UNARY[name]

    def make(rng, variant=""):
        fn = api(name)
        dtype = draw_dtype(rng, good if rng.random() < 0.85 else DTYPES)
        mode = None
        if name in LOOSE:  # Eigen's approximations are not NumPy's at the extremes
            mode = str(rng.choice(["normal", "small"]))
        x = draw_values(rng, dtype, draw_shape(rng), mode)
        arg = tf.constant(x, dtype=getattr(tf, dtype))
        desc = f"tf.{name}({describe(x)})"
        if dtype not in good:
            return Case(name, desc, lambda: fn(arg))
        rtol = RTOL[dtype] * (50 if name in LOOSE else 4) if dtype in FLOATS else None
        if dtype in ("float16", "bfloat16") and not exact:
            rtol = 2 * RTOL[dtype]
        check = elementwise_check(_unary_ref(name, ref, x, dtype), dtype, rdt, rtol, exact, (x,))
        if variant == "fn":
            f = tf.function(fn)
            return Case("fn:" + name, "tf.function " + desc, lambda: f(arg), check)
        return Case(name, desc, lambda: fn(arg), check)

    return make


for _n in UNARY:
    entry(_n, "unary")(_make_unary(_n))
for _n in ["math.exp", "math.abs", "math.tanh", "math.floor", "nn.relu", "math.sign"]:
    entry("fn:" + _n, "function", 0.3)(functools.partial(_make_unary(_n), variant="fn"))


# ---- elementwise binary ---------------------------------------------------------------------


def _pow(a, b):
    """C99's pow (NumPy's gives NaN for a -inf base)."""
    a, b = np.broadcast_arrays(a, b)
    out = np.power(a, b)
    neg = np.isneginf(a) & ~np.isnan(b)
    if np.any(neg):
        odd = (np.mod(b, 2) == 1) | (np.mod(b, 2) == -1)
        big = np.where(odd, -np.inf, np.inf)
        small = np.where(odd, -0.0, 0.0)
        out = np.where(neg, np.where(b > 0, big, np.where(b < 0, small, 1.0)), out)
    return out


def _floordiv(a, b):
    """TF's floordiv: floor(a / b) for floats (NumPy's // differs at inf), // for ints."""
    return np.floor(a / b) if a.dtype.kind == "f" else np.floor_divide(a, b)


def _trunc_div(a, b):
    q = a // b
    fix = (a % b != 0) & ((a < 0) != (b < 0))
    return q + fix


BINARY = {
    "math.add": (np.add, FLOATS + INTS, None, True),
    "math.subtract": (np.subtract, FLOATS + INTS, None, True),
    "math.multiply": (np.multiply, FLOATS + INTS, None, True),
    "math.maximum": (np.maximum, FLOATS + INTS, None, True),
    "math.minimum": (np.minimum, FLOATS + INTS, None, True),
    "math.divide": (np.true_divide, FLOATS, None, True),
    "math.pow": (_pow, FLOATS, None, False),
    "math.floordiv": (_floordiv, FLOATS + INTS, None, True),
    "math.floormod": (np.mod, FLOATS + INTS, None, False),
    "truncatediv": (_trunc_div, INTS, None, True),
    "truncatemod": (np.fmod, FLOATS + INTS, None, True),
    "math.squared_difference": (lambda a, b: (a - b) ** 2, FLOATS, None, False),
    "math.atan2": (np.arctan2, ["float32", "float64"], None, False),
    "math.xdivy": (
        lambda a, b: np.where(a == 0, np.zeros_like(a), a / np.where(a == 0, 1, b)),
        FLOATS,
        None,
        False,
    ),
    "math.divide_no_nan": (
        lambda a, b: np.where(b == 0, np.zeros_like(a), a / np.where(b == 0, 1, b)),
        ["float32", "float64"],
        None,
        False,
    ),
    "math.equal": (np.equal, FLOATS + INTS + ["bool"], "bool", True),
    "math.not_equal": (np.not_equal, FLOATS + INTS + ["bool"], "bool", True),
    "math.less": (np.less, FLOATS + INTS, "bool", True),
    "math.less_equal": (np.less_equal, FLOATS + INTS, "bool", True),
    "math.greater": (np.greater, FLOATS + INTS, "bool", True),
    "math.greater_equal": (np.greater_equal, FLOATS + INTS, "bool", True),
    "math.logical_and": (np.logical_and, ["bool"], None, True),
    "math.logical_or": (np.logical_or, ["bool"], None, True),
    "math.logical_xor": (np.logical_xor, ["bool"], None, True),
    "bitwise.bitwise_and": (np.bitwise_and, INTS, None, True),
    "bitwise.bitwise_or": (np.bitwise_or, INTS, None, True),
    "bitwise.bitwise_xor": (np.bitwise_xor, INTS, None, True),
}
INT_UNSAFE = {"math.floordiv", "math.floormod", "truncatediv", "truncatemod"}


def _broadcast_partner(rng, shape) -> tuple:
    """A shape that broadcasts against ``shape`` (sometimes one that does not)."""
    r = rng.random()
    if r < 0.4:
        return shape
    if r < 0.55:
        return ()
    if r < 0.9:
        dims = [1 if rng.random() < 0.4 else d for d in shape]
        return tuple(dims[int(rng.integers(0, len(dims) + 1)) :])
    return tuple(d + 1 for d in shape) or (2,)


def _binary_ref(name, ref, x, y, dtype):
    def run():
        a, b = in_high(x, dtype), in_high(y, dtype)
        if dtype in INTS and name in INT_UNSAFE:
            if np.any(b == 0):
                return None  # TF raises or defines its own value: NumPy's is a warning
            if dtype in SINTS and np.any((a == np.iinfo(dtype).min) & (b == -1)):
                return None
        with np.errstate(all="ignore"):
            if name == "math.floordiv" and dtype in FLOATS:  # the quotient rounds first
                q = back(a / b, dtype)
                if np.any(subnormal(q)):
                    return None  # a quotient TF's CPU may flush to zero
                out = np.floor(q.astype(np.float64))
            else:
                out = ref(a, b)
        rdt = BINARY[name][2] or dtype
        return back(out, dtype) if dtype in FLOATS and rdt == dtype else np.asarray(out)

    return run


def _make_binary(name):
    ref, good, rdt, exact = BINARY[name]

    def make(rng, variant=""):
        fn = api(name)
        ename = name
        if variant == "fn":  # the same call traced by tf.function
            fn, ename = tf.function(fn), "fn:" + name
        dtype = draw_dtype(rng, good if rng.random() < 0.85 else DTYPES)
        sx = draw_shape(rng, 3)
        sy = _broadcast_partner(rng, sx)
        mode = str(rng.choice(["normal", "small", "extreme", "wide"]))
        x = draw_values(rng, dtype, sx, mode)
        y = draw_values(rng, dtype, sy, mode if rng.random() < 0.5 else None)
        a = tf.constant(x, dtype=getattr(tf, dtype))
        desc = f"{variant}tf.{name}({describe(x)}, {describe(y)})"
        r = rng.random()
        if r < 0.08:  # two tensors of different dtypes: TF never promotes
            other = draw_dtype(rng, [d for d in DTYPES if d != dtype])
            y2 = draw_values(rng, other, sy)
            b = tf.constant(y2, dtype=getattr(tf, other))
            return Case(
                ename,
                f"tf.{name}({describe(x)}, {describe(y2)})",
                lambda: fn(a, b),
                expect_error=f"{dtype} beside {other}",
            )
        if r < 0.16 and dtype in INTS:  # a Python float the int dtype cannot hold
            v = float(rng.choice([0.5, 1e300, -2.5, float("nan"), float("inf")]))
            return Case(
                ename,
                f"tf.{name}({describe(x)}, {v!r})",
                lambda: fn(a, v),
                expect_error=f"{v!r} is not an {dtype}",
            )
        b = tf.constant(y, dtype=getattr(tf, dtype))
        try:
            np.broadcast_shapes(sx, sy)
        except ValueError:
            return Case(ename, desc, lambda: fn(a, b), expect_error="shapes do not broadcast")
        if dtype not in good:
            return Case(ename, desc, lambda: fn(a, b))
        rtol = (
            RTOL[dtype] * (8 if name in ("math.pow", "math.atan2") else 4)
            if dtype in FLOATS
            else None
        )
        is_exact = exact
        if name == "math.floormod" and dtype in FLOATS:
            check = _floormod_check(x, y, dtype)
        else:
            check = elementwise_check(
                _binary_ref(name, ref, x, y, dtype), dtype, rdt, rtol, is_exact, (x, y)
            )
        return Case(ename, desc, lambda: fn(a, b), check)

    return make


def _floormod_check(x, y, dtype):
    """floormod of floats: |r| < |y| with y's sign, and x - r a multiple of y (loosely)."""

    def check(out):
        if out_dtype(out) != dtype:
            return f"dtype {out_dtype(out)} != {dtype}"
        r = to_numpy(out).astype(np.float64)
        a, b = np.broadcast_arrays(x.astype(np.float64), y.astype(np.float64))
        if r.shape != a.shape:
            return f"shape {r.shape} != numpy {a.shape}"
        fine = np.isfinite(a) & np.isfinite(b) & (b != 0) & np.isfinite(r)
        bad = fine & ((np.abs(r) > np.abs(b)) | ((r != 0) & (np.sign(r) != np.sign(b))))
        if np.any(bad):
            k = int(np.argmax(bad.reshape(-1)))
            return f"floormod({a.reshape(-1)[k]}, {b.reshape(-1)[k]}) = {r.reshape(-1)[k]}"
        return None

    return check


for _n in BINARY:
    entry(_n, "binary")(_make_binary(_n))


# ---- reductions -----------------------------------------------------------------------------


def _draw_axis(rng, rank):
    """None, an int (sometimes out of range), or a list (sometimes with a repeat)."""
    r = rng.random()
    if r < 0.2:
        return None
    if r < 0.75 or rank == 0:
        return int(rng.integers(-rank - 2, rank + 2)) if rank else int(rng.integers(-2, 2))
    k = int(rng.integers(1, rank + 1))
    ax = [int(a) for a in rng.choice(np.arange(-rank, rank), size=k, replace=False)]
    if rng.random() < 0.1:
        ax.append(ax[0])
    return ax


def _axis_problem(axis, rank) -> str | None:
    if axis is None:
        return None
    axes = [axis] if isinstance(axis, int) else axis
    lo = -max(rank, 1)
    if any(not lo <= a < max(rank, 1) for a in axes):
        return f"axis {axis} out of range for rank {rank}"
    return None


def _norm_axes(axis, rank):
    if axis is None:
        return tuple(range(rank))
    axes = [axis] if isinstance(axis, int) else axis
    return tuple(sorted({a % rank for a in axes})) if rank else ()


REDUCE = {
    "reduce_sum": (np.sum, FLOATS + INTS),
    "reduce_prod": (np.prod, FLOATS + INTS),
    "reduce_max": (np.max, FLOATS + INTS),
    "reduce_min": (np.min, FLOATS + INTS),
    "reduce_mean": (np.mean, FLOATS),
    "reduce_any": (np.any, ["bool"]),
    "reduce_all": (np.all, ["bool"]),
    "math.reduce_logsumexp": (None, ["float32", "float64"]),
    "math.reduce_std": (np.std, ["float32", "float64"]),
    "math.reduce_variance": (np.var, ["float32", "float64"]),
    "math.reduce_euclidean_norm": (None, ["float32", "float64"]),
    "math.count_nonzero": (np.count_nonzero, FLOATS + INTS + ["bool"]),
}


def _reduce_ref(name, fn, x, axes, keepdims, dtype):
    def run():
        a = in_high(x, dtype)
        if fn is None:
            return None
        if x.size == 0 or any(x.shape[i] == 0 for i in axes):
            if name in ("reduce_max", "reduce_min"):
                if dtype in FLOATS:
                    fill = -np.inf if name == "reduce_max" else np.inf
                else:
                    info = np.iinfo(dtype)
                    fill = info.min if name == "reduce_max" else info.max
                shape = [1 if (i in axes) else d for i, d in enumerate(x.shape)]
                if not keepdims:
                    shape = [d for i, d in enumerate(shape) if i not in axes]
                return np.full(shape, fill, dtype=np_dtype(dtype))
            if name in ("reduce_mean", "math.reduce_std", "math.reduce_variance"):
                return None
        with np.errstate(all="ignore"):
            if name == "math.count_nonzero":
                out = np.sum(a != 0, axis=axes, keepdims=keepdims).astype(np.int64)
                return out
            out = fn(a, axis=axes, keepdims=keepdims)
        if dtype in INTS:
            return np.asarray(out).astype(dtype)
        return back(out, dtype) if dtype in FLOATS else np.asarray(out)

    return run


def _make_reduce(name):
    fn_np, good = REDUCE[name]

    def make(rng):
        fn = api(name)
        dtype = draw_dtype(rng, good if rng.random() < 0.9 else DTYPES)
        x = draw_values(rng, dtype, draw_shape(rng))
        axis = _draw_axis(rng, x.ndim)
        keepdims = bool(rng.random() < 0.3)
        arg = tf.constant(x, dtype=getattr(tf, dtype))
        desc = f"tf.{name}({describe(x)}, axis={axis}, keepdims={keepdims})"
        call = lambda: fn(arg, axis=axis, keepdims=keepdims)
        problem = _axis_problem(axis, x.ndim)
        if problem:
            return Case(name, desc, call, expect_error=problem)
        if isinstance(axis, list) and len(set(a % max(x.ndim, 1) for a in axis)) < len(axis):
            return Case(name, desc, call, expect_error=f"axis {axis} repeats an axis")
        if problem:
            return Case(name, desc, call, expect_error=problem)
        if dtype not in good:
            return Case(name, desc, call)
        axes = _norm_axes(axis, x.ndim)
        rdt = "int64" if name == "math.count_nonzero" else dtype
        # summation order differs from NumPy's pairwise sums: a tolerance on the sum of |x|
        rtol = None
        if dtype in FLOATS:
            rtol = RTOL[dtype] * max(4, x.size)
        check = elementwise_check(
            _reduce_ref(name, fn_np, x, axes, keepdims, dtype),
            dtype,
            rdt,
            rtol,
            exact=name in ("reduce_max", "reduce_min"),
        )
        if dtype in FLOATS and name in (
            "reduce_sum",
            "reduce_mean",
            "reduce_prod",
            "math.reduce_std",
            "math.reduce_variance",
        ):
            check = _loose(check, x)
        return Case(name, desc, call, check)

    return make


def _loose(check, x):
    """Sums of floats with huge or cancelling terms: judge only shape and dtype and NaN-free."""
    if x.size and np.all(np.isfinite(x.astype(np.float64))) and np.max(np.abs(x)) < 1e3:
        return check

    def shape_only(out):
        msg = check(out)
        return msg if msg and (msg.startswith("shape") or msg.startswith("dtype")) else None

    return shape_only


for _n in REDUCE:
    entry(_n, "reduce")(_make_reduce(_n))


@entry("math.argmax", "reduce")
def _argmax(rng, name="math.argmax"):
    fn = api(name)
    dtype = draw_dtype(rng, FLOATS + INTS if rng.random() < 0.9 else DTYPES)
    x = draw_values(rng, dtype, draw_shape(rng, 3))
    axis = int(rng.integers(-x.ndim - 1, x.ndim + 1)) if x.ndim else int(rng.integers(-1, 1))
    arg = tf.constant(x, dtype=getattr(tf, dtype))
    desc = f"tf.{name}({describe(x)}, axis={axis})"
    call = lambda: fn(arg, axis=axis)
    problem = _axis_problem(axis, x.ndim) if x.ndim else f"argmax of a scalar, axis {axis}"
    if problem:
        return Case(name, desc, call, expect_error=problem)
    if x.shape[axis] == 0:
        return Case(name, desc, call, expect_error="reduction over an empty axis")
    if dtype not in FLOATS + INTS or (dtype in FLOATS and np.any(np.isnan(x.astype(np.float64)))):
        return Case(name, desc, call)
    npf = np.argmax if name == "math.argmax" else np.argmin
    return Case(
        name, desc, call, elementwise_check(lambda: npf(x, axis=axis), dtype, "int64", exact=True)
    )


entry("math.argmin", "reduce")(lambda rng: _argmax(rng, "math.argmin"))


@entry("math.cumsum", "reduce")
def _cumsum(rng, name="math.cumsum"):
    fn = api(name)
    dtype = draw_dtype(
        rng, ["float32", "float64", "int32", "int64"] if rng.random() < 0.9 else DTYPES
    )
    x = draw_values(rng, dtype, draw_shape(rng, 3), "small")
    axis = int(rng.integers(-x.ndim - 1, x.ndim + 1)) if x.ndim else 0
    exclusive, reverse = bool(rng.random() < 0.3), bool(rng.random() < 0.3)
    arg = tf.constant(x, dtype=getattr(tf, dtype))
    desc = f"tf.{name}({describe(x)}, axis={axis}, exclusive={exclusive}, reverse={reverse})"
    call = lambda: fn(arg, axis=axis, exclusive=exclusive, reverse=reverse)
    if x.ndim == 0:
        return Case(name, desc, call)
    if _axis_problem(axis, x.ndim):
        return Case(name, desc, call, expect_error=_axis_problem(axis, x.ndim))

    def ref():
        a = in_high(x, dtype)
        if a.size == 0:
            return x
        a = np.flip(a, axis) if reverse else a
        op = np.cumsum if name == "math.cumsum" else np.cumprod
        out = op(a, axis=axis)
        if exclusive:
            out = out - a if name == "math.cumsum" else out  # cumprod exclusive: below
            if name == "math.cumprod":
                ones = np.ones_like(np.take(a, [0], axis=axis))
                out = np.concatenate([ones, np.delete(op(a, axis=axis), -1, axis=axis)], axis=axis)
        out = np.flip(out, axis) if reverse else out
        return back(out, dtype)

    return Case(name, desc, call, elementwise_check(ref, dtype, exact=dtype in INTS))


entry("math.cumprod", "reduce")(lambda rng: _cumsum(rng, "math.cumprod"))


# ---- array ops ------------------------------------------------------------------------------


def _tensor(rng, dtype=None, shape=None, pool=None):
    dtype = dtype or draw_dtype(rng, pool or DTYPES)
    shape = draw_shape(rng) if shape is None else shape
    x = draw_values(rng, dtype, shape)
    return x, tf.constant(x, dtype=getattr(tf, dtype)), dtype


def _draw_dims(rng, n, allow_bad=True):
    """A shape argument: small dims, sometimes negative or huge."""
    dims = [int(rng.integers(0, 4)) for _ in range(n)]
    if allow_bad and dims and rng.random() < 0.25:
        k = int(rng.integers(len(dims)))
        dims[k] = int(rng.choice([-1, -2, *HUGE]))
    return dims


def _shape_problem(dims, itemsize=4) -> str | None:
    if any(d < 0 for d in dims):
        return f"negative dimension in {dims}"
    if 0 in dims:
        return None
    total = 1
    for d in dims:
        total *= d
    if total * itemsize > 2**33:
        return f"shape {dims} is too large"
    return None


def _numpy_check(ref, dtype, exact=True, rtol=None, atol=0.0):
    """Values as NumPy's ``ref()``; if NumPy raises, TF must raise too."""

    def check(out):
        try:
            want = ref()
        except (ValueError, IndexError, TypeError) as e:
            return f"returned {describe(to_numpy(out))} where numpy raises {type(e).__name__}: {e}"
        if want is None:
            return None
        got = to_numpy(out)
        if dtype != "string" and out_dtype(out) != np.asarray(want).dtype.name:
            wdt = np.asarray(want).dtype
            if not (dtype == "bfloat16" and wdt == BF16):
                return f"dtype {out_dtype(out)} != numpy {wdt}"
        return compare(got, want, dtype, exact=exact, rtol=rtol, atol=atol)

    return check


HUGE_OK = (
    tf.errors.ResourceExhaustedError,
    tf.errors.InvalidArgumentError,
    tf.errors.NotFoundError,
    ValueError,
)  # NotFound: a dtype without the kernel


def _shape_case(name, desc, call, dims, check=None, itemsize=4):
    problem = _shape_problem(dims, itemsize)
    if problem:
        return Case(name, desc, call, expect_error=problem, error_classes=HUGE_OK)
    return Case(name, desc, call, check)


@entry("zeros", "array")
def _zeros(rng):
    dims = _draw_dims(rng, int(rng.integers(0, 4)))
    dtype = draw_dtype(rng, FLOATS + INTS + ["bool"])
    fn = api(str(rng.choice(["zeros", "ones"])))
    call = lambda: fn(dims, dtype=getattr(tf, dtype))
    val = 0 if fn is tf.zeros else 1
    check = _numpy_check(lambda: np.full(dims, val, np_dtype(dtype)), dtype)
    return _shape_case("zeros", f"tf.{fn.__name__}({dims}, {dtype})", call, dims, check)


@entry("fill", "array")
def _fill(rng):
    dims = _draw_dims(rng, int(rng.integers(0, 4)))
    dtype = draw_dtype(rng, FLOATS + INTS)
    v = draw_values(rng, dtype, ())
    call = lambda: tf.fill(dims, tf.constant(v, getattr(tf, dtype)))
    check = _numpy_check(lambda: np.full(dims, v, np_dtype(dtype)), dtype)
    return _shape_case("fill", f"tf.fill({dims}, {v!r})", call, dims, check)


@entry("constant_shape", "array")
def _constant_shape(rng):
    dims = _draw_dims(rng, int(rng.integers(0, 3)))
    dtype = draw_dtype(rng, FLOATS + INTS)
    v = float(draw_values(rng, "float32", (), "small"))
    call = lambda: tf.constant(v, dtype=getattr(tf, dtype), shape=dims)
    desc = f"tf.constant({v}, {dtype}, shape={dims})"
    if any(d < 0 for d in dims):
        return Case("constant_shape", desc, call, expect_error="a negative dimension")
    if _shape_problem(dims) or any(d > 2**31 for d in dims):
        return Case("constant_shape", desc, call)  # TF 2.21 takes the dims as int32
    check = _numpy_check(lambda: np.full(dims, v).astype(np_dtype(dtype)), dtype)
    return Case("constant_shape", desc, call, check)


@entry("constant_convert", "array")
def _constant_convert(rng):
    """A value of one kind converted to a dtype it may not hold: TF raises, never changes it."""
    dtype = draw_dtype(rng, DTYPES)
    choices = [
        ("complex", np.array([1 + 2j, 3.0 + 0j])),
        ("big", 1e300),
        ("bigint", 2**70),
        ("neg", -1),
        ("frac", 2.5),
        ("mixed", ["a", 1]),
        ("str", "x"),
        ("nan", float("nan")),
        ("bool", True),
        ("list", [1, 2.5]),
        ("u16", np.array([1, 65535], np.uint16)),
        ("nested", [[1, 2], [3]]),
    ]
    kind, value = choices[int(rng.integers(len(choices)))]
    desc = f"tf.constant({value!r}, dtype=tf.{dtype})"
    call = lambda: tf.constant(value, dtype=getattr(tf, dtype))
    bad = None
    if kind == "complex" and dtype != "string":
        bad = "complex to a real dtype"
    elif kind == "nested":
        bad = "a ragged list"
    elif kind == "big" and dtype in INTS + ["float16", "bfloat16", "float32"]:
        bad = "1e300 out of range" if dtype in INTS else None
    elif kind == "bigint" and dtype in INTS:
        bad = "2**70 out of range"
    elif kind == "neg" and dtype in UINTS:
        bad = "-1 to an unsigned dtype"
    elif kind == "frac" and dtype in INTS + ["bool"]:
        bad = "2.5 to an integer dtype"
    elif kind in ("mixed", "str") and dtype != "string":
        bad = "strings to a number dtype"
    elif kind == "list" and dtype in INTS + ["bool"]:
        bad = "2.5 to an integer dtype"
    elif kind != "str" and kind != "mixed" and dtype == "string":
        bad = "numbers to string"
    if bad:
        return Case("constant_convert", desc, call, expect_error=bad)

    def check(out):
        if out_dtype(out) != dtype:
            return f"dtype {out_dtype(out)} != {dtype}"
        to_numpy(out)
        return None

    return Case("constant_convert", desc, call, check)


@entry("reshape", "array")
def _reshape(rng):
    x, t, dtype = _tensor(rng)
    n = x.size
    r = rng.random()
    if r < 0.5 and n:
        dims = [n] if rng.random() < 0.5 else [-1, 1]
    elif r < 0.7:
        dims = [-1]
    else:
        dims = _draw_dims(rng, int(rng.integers(0, 4)))
        if rng.random() < 0.2:
            dims = dims + [-1, -1]
    call = lambda: tf.reshape(t, dims)
    desc = f"tf.reshape({describe(x)}, {dims})"
    if any(d > 2**31 for d in dims) and 0 not in dims:
        return Case("reshape", desc, call, expect_error="huge dims", error_classes=HUGE_OK)
    return Case("reshape", desc, call, _numpy_check(lambda: _np_reshape(x, dims), dtype))


def _np_reshape(x, dims):
    if dims.count(-1) > 1 or any(d < -1 for d in dims):
        raise ValueError("bad shape")
    if -1 in dims and x.size == 0:
        # TF infers 0 for the -1 dim when the others are nonzero; NumPy raises
        known = int(np.prod([d for d in dims if d != -1]))
        if known == 0:
            raise ValueError("-1 with a 0 dim")
        return x.reshape([0 if d == -1 else d for d in dims])
    return x.reshape(dims)


@entry("transpose", "array")
def _transpose(rng):
    x, t, dtype = _tensor(rng)
    perm = None
    if rng.random() < 0.8:
        perm = [int(p) for p in rng.permutation(x.ndim)]
        if rng.random() < 0.2 and perm:
            perm[0] = int(rng.choice([x.ndim, -1, perm[-1]]))
    call = lambda: tf.transpose(t, perm)
    return Case(
        "transpose",
        f"tf.transpose({describe(x)}, {perm})",
        call,
        _numpy_check(lambda: _np_transpose(x, perm), dtype),
    )


def _np_transpose(x, perm):
    if perm is not None:  # TF takes negative entries as counted from the end
        if any(not -x.ndim <= p < x.ndim for p in perm):
            raise ValueError("perm out of range")
        perm = [p % x.ndim for p in perm]
        if sorted(perm) != list(range(x.ndim)):
            raise ValueError("not a permutation")
    return np.transpose(x, perm)


@entry("slice", "array")
def _slice(rng):
    x, t, dtype = _tensor(rng)
    begin = [int(rng.integers(-1, d + 2)) for d in x.shape]
    size = [int(rng.integers(-2, d + 2)) for d in x.shape]
    call = lambda: tf.slice(t, begin, size)

    def ref():
        out = []
        for b, s, d in zip(begin, size, x.shape):
            e = d if s == -1 else b + s
            if b < 0 or s < -1 or e > d or b > d:
                raise ValueError("slice out of range")
            out.append(slice(b, e))
        return x[tuple(out)]

    return Case(
        "slice", f"tf.slice({describe(x)}, {begin}, {size})", call, _numpy_check(ref, dtype)
    )


@entry("getitem", "array")
def _getitem(rng):
    x, t, dtype = _tensor(rng, shape=draw_shape(rng, 3))
    idx = []
    for d in x.shape[: int(rng.integers(0, x.ndim + 1))]:
        if rng.random() < 0.3:
            idx.append(int(rng.integers(-d - 1, d + 1)))
        else:
            parts = [
                int(rng.integers(-d - 2, d + 3)) if rng.random() < 0.6 else None for _ in range(2)
            ]
            step = int(rng.choice([1, 1, 2, -1, -2, 3])) if rng.random() < 0.5 else None
            idx.append(slice(parts[0], parts[1], step))
    if rng.random() < 0.1:
        idx.append(int(rng.integers(0, 3)))  # one index too many (or past the end)
    key = tuple(idx)

    def ref():
        if len(key) > x.ndim:
            raise IndexError("too many indices")
        return x[key]

    return Case("getitem", f"{describe(x)}[{key}]", lambda: t[key], _numpy_check(ref, dtype))


@entry("gather", "array")
def _gather(rng):
    x, t, dtype = _tensor(rng, shape=draw_shape(rng, 3))
    axis = int(rng.integers(-x.ndim, x.ndim)) if x.ndim else 0
    d = x.shape[axis] if x.ndim else 0
    ind = rng.integers(
        -1 if rng.random() < 0.2 else 0,
        d + (1 if rng.random() < 0.2 else 0) or 1,
        size=draw_shape(rng, 2, 8),
    )
    idt = str(rng.choice(["int32", "int64"]))
    call = lambda: tf.gather(t, tf.constant(ind, getattr(tf, idt)), axis=axis)
    desc = f"tf.gather({describe(x)}, {describe(ind)}, axis={axis})"

    def ref():
        if x.ndim == 0:
            raise ValueError("gather from a scalar")
        if ind.size and (ind.min() < 0 or ind.max() >= d):
            raise IndexError("index out of range")
        return np.take(x, ind, axis=axis)

    return Case("gather", desc, call, _numpy_check(ref, dtype))


@entry("gather_nd", "array")
def _gather_nd(rng):
    x, t, dtype = _tensor(rng, shape=draw_shape(rng, 3), pool=FLOATS + INTS)
    k = int(rng.integers(1, x.ndim + 2)) if x.ndim else 1
    n = int(rng.integers(0, 4))
    hi = max(x.shape) + 1 if x.ndim else 2
    ind = rng.integers(0, hi, size=(n, k))
    call = lambda: tf.gather_nd(t, ind)

    def ref():
        if k > x.ndim:
            raise ValueError("index depth > rank")
        for row in ind:
            if any(row[j] >= x.shape[j] for j in range(k)):
                raise IndexError("out of range")
        return (
            np.stack([x[tuple(row)] for row in ind]) if n else np.zeros((0, *x.shape[k:]), x.dtype)
        )

    return Case(
        "gather_nd", f"tf.gather_nd({describe(x)}, {ind.tolist()})", call, _numpy_check(ref, dtype)
    )


@entry("pad", "array")
def _pad(rng):
    x, t, dtype = _tensor(rng, shape=draw_shape(rng, 3), pool=FLOATS + INTS + ["bool"])
    pads = [[int(rng.integers(0, 3)), int(rng.integers(0, 3))] for _ in range(x.ndim)]
    if pads and rng.random() < 0.2:
        pads[int(rng.integers(len(pads)))][int(rng.integers(2))] = int(rng.choice([-1, *HUGE]))
    if rng.random() < 0.05:
        pads.append([0, 0])
    mode = str(rng.choice(["CONSTANT", "CONSTANT", "REFLECT", "SYMMETRIC", "bogus"]))
    call = lambda: tf.pad(t, pads, mode=mode)
    desc = f"tf.pad({describe(x)}, {pads}, {mode!r})"
    flat = [p for pr in pads for p in pr]
    if any(p > 2**30 for p in flat):
        if (
            x.size == 0
            and x.ndim
            and any(d == 0 and max(pr) <= 2**30 for d, pr in zip(x.shape, pads))
        ):
            return Case("pad", desc, call)  # still an empty result
        return Case("pad", desc, call, expect_error="huge padding", error_classes=HUGE_OK)

    def ref():
        if not pads and x.ndim == 0 and mode != "bogus":
            return x
        if len(pads) != x.ndim or any(p < 0 for p in flat) or mode == "bogus":
            raise ValueError("bad paddings")
        if mode == "CONSTANT":
            return np.pad(x, pads)
        lim = 0 if mode == "SYMMETRIC" else 1
        if any(p > d - lim for pr, d in zip(pads, x.shape) for p in pr):
            raise ValueError("paddings too large for REFLECT/SYMMETRIC")
        return np.pad(x, pads, mode="reflect" if mode == "REFLECT" else "symmetric")

    return Case("pad", desc, call, _numpy_check(ref, dtype))


@entry("concat", "array")
def _concat(rng):
    dtype = draw_dtype(rng, FLOATS + INTS + ["bool", "string"])
    shape = draw_shape(rng, 3)
    n = int(rng.integers(1, 4))
    axis = int(rng.integers(-len(shape) - 1, len(shape) + 1)) if shape else 0
    xs = []
    for _ in range(n):
        s = list(shape)
        if s and rng.random() < 0.5 and -len(s) <= axis < len(s):
            s[axis] = int(rng.integers(0, 4))
        if s and rng.random() < 0.05:
            s[0] += 1
        xs.append(draw_values(rng, dtype, tuple(s)))
    ts = [tf.constant(a, getattr(tf, dtype)) for a in xs]
    fn = str(rng.choice(["concat", "stack"]))
    desc = f"tf.{fn}([{', '.join(describe(a) for a in xs)}], axis={axis})"

    def ref():
        if fn == "concat" and n == 1:
            return xs[0]  # TF returns a lone tensor unchecked
        if fn == "concat":
            if not shape:
                raise ValueError("concat of scalars")
            return np.concatenate(xs, axis=axis)
        return np.stack(xs, axis=axis)

    return Case(fn, desc, lambda: getattr(tf, fn)(ts, axis=axis), _numpy_check(ref, dtype))


@entry("unstack", "array")
def _unstack(rng):
    x, t, dtype = _tensor(rng, shape=draw_shape(rng, 3))
    axis = int(rng.integers(-x.ndim - 1, x.ndim + 1))
    call = lambda: tf.stack(tf.unstack(t, axis=axis), axis=axis % max(x.ndim, 1))
    desc = f"tf.unstack({describe(x)}, axis={axis})"
    if x.ndim == 0 or _axis_problem(axis, x.ndim):
        return Case("unstack", desc, call, expect_error=f"axis {axis} for rank {x.ndim}")
    if x.shape[axis] == 0:
        return Case("unstack", desc, call)
    return Case("unstack", desc, call, _numpy_check(lambda: x, dtype))


@entry("tile", "array")
def _tile(rng):
    x, t, dtype = _tensor(rng, shape=draw_shape(rng, 3, 32))
    mult = [int(rng.integers(0, 3)) for _ in range(x.ndim)]
    if mult and rng.random() < 0.2:
        mult[int(rng.integers(len(mult)))] = int(rng.choice([-1, *HUGE]))
    if rng.random() < 0.05:
        mult.append(1)
    call = lambda: tf.tile(t, mult)
    desc = f"tf.tile({describe(x)}, {mult})"
    if any(m < 0 for m in mult) or len(mult) != x.ndim:
        return Case("tile", desc, call, expect_error="bad multiples")
    dims = [d * m for d, m in zip(x.shape, mult)]
    if 0 in dims and any(m > 2**31 for m in mult):
        return Case("tile", desc, call)  # an empty result: no NumPy reference (np.tile allocates)
    return _shape_case("tile", desc, call, dims, _numpy_check(lambda: np.tile(x, mult), dtype))


@entry("squeeze", "array")
def _squeeze(rng):
    x, t, dtype = _tensor(rng)
    axis = None if rng.random() < 0.3 else int(rng.integers(-x.ndim - 1, x.ndim + 1))
    call = lambda: tf.squeeze(t, axis)

    def ref():
        if axis is not None and not -x.ndim <= axis < x.ndim:
            raise ValueError("axis out of range")
        return np.squeeze(x, axis)

    return Case("squeeze", f"tf.squeeze({describe(x)}, {axis})", call, _numpy_check(ref, dtype))


@entry("expand_dims", "array")
def _expand_dims(rng):
    x, t, dtype = _tensor(rng)
    axis = int(rng.integers(-x.ndim - 3, x.ndim + 3))
    call = lambda: tf.expand_dims(t, axis)
    return Case(
        "expand_dims",
        f"tf.expand_dims({describe(x)}, {axis})",
        call,
        _numpy_check(lambda: _np_expand(x, axis), dtype),
    )


def _np_expand(x, axis):
    if not -x.ndim - 1 <= axis <= x.ndim:
        raise ValueError("axis out of range")
    return np.expand_dims(x, axis)


@entry("broadcast_to", "array")
def _broadcast_to(rng):
    x, t, dtype = _tensor(rng, shape=draw_shape(rng, 3, 16))
    dims = [int(rng.integers(1, 3)) for _ in range(int(rng.integers(0, 2)))] + [
        d if rng.random() < 0.7 else int(rng.integers(0, 4)) for d in x.shape
    ]
    if rng.random() < 0.15:
        dims = dims + [int(rng.choice([-1, *HUGE]))]
    call = lambda: tf.broadcast_to(t, dims)
    desc = f"tf.broadcast_to({describe(x)}, {dims})"
    if any(d < 0 for d in dims):
        return Case("broadcast_to", desc, call, expect_error="negative dim")
    try:
        np.broadcast_shapes(x.shape, tuple(min(d, 2**20) for d in dims))
    except ValueError:
        return Case("broadcast_to", desc, call, expect_error="shapes do not broadcast")
    return _shape_case(
        "broadcast_to", desc, call, dims, _numpy_check(lambda: np.broadcast_to(x, dims), dtype)
    )


@entry("one_hot", "array")
def _one_hot(rng):
    depth = (
        int(rng.choice([0, 1, 3, 5, -1, *HUGE])) if rng.random() < 0.3 else int(rng.integers(1, 6))
    )
    ind = rng.integers(-1, 7, size=draw_shape(rng, 2, 8))
    idt = str(rng.choice(["int32", "int64", "uint8"]))
    axis = int(rng.choice([-1, 0, ind.ndim, ind.ndim + 1, -2])) if rng.random() < 0.3 else -1
    call = lambda: tf.one_hot(tf.constant(ind.astype(idt)), depth, axis=axis)
    desc = f"tf.one_hot({describe(ind.astype(idt))}, {depth}, axis={axis})"
    if depth < 0 or not -1 <= axis <= ind.ndim:
        return Case("one_hot", desc, call, expect_error="bad depth/axis")
    if depth > 2**20:
        return Case("one_hot", desc, call)  # TF takes depth as an int32
    iv = ind.astype(idt).astype(np.int64)

    def ref():
        out = (iv[..., None] == np.arange(depth)).astype(np.float32)
        return np.moveaxis(out, -1, axis) if axis != -1 else out

    return Case("one_hot", desc, call, _numpy_check(ref, "float32"))


@entry("reverse", "array")
def _reverse(rng):
    x, t, dtype = _tensor(rng)
    axes = [int(a) for a in rng.integers(-x.ndim - 1, x.ndim + 1, size=int(rng.integers(0, 3)))]
    call = lambda: tf.reverse(t, axes)

    def ref():
        if x.size == 0 or x.ndim == 0:
            return None  # TF returns such a tensor unchecked
        if any(not -x.ndim <= a < x.ndim for a in axes) or len({a % x.ndim for a in axes}) < len(
            axes
        ):
            raise ValueError("bad axes")
        return np.flip(x, axes) if axes else x

    return Case("reverse", f"tf.reverse({describe(x)}, {axes})", call, _numpy_check(ref, dtype))


@entry("roll", "array")
def _roll(rng):
    x, t, dtype = _tensor(rng, shape=draw_shape(rng, 3))
    shift = int(rng.integers(-7, 8))
    axis = int(rng.integers(-x.ndim - 1, x.ndim + 1))
    call = lambda: tf.roll(t, shift, axis)

    def ref():
        if not -x.ndim <= axis < x.ndim:
            raise ValueError("axis out of range")
        return np.roll(x, shift, axis)

    return Case("roll", f"tf.roll({describe(x)}, {shift}, {axis})", call, _numpy_check(ref, dtype))


@entry("where", "array")
def _where(rng):
    shape = draw_shape(rng, 3)
    dtype = draw_dtype(rng, FLOATS + INTS)
    c = draw_values(rng, "bool", _broadcast_partner(rng, shape))
    x = draw_values(rng, dtype, shape)
    y = draw_values(rng, dtype, _broadcast_partner(rng, shape))
    call = lambda: tf.where(
        c, tf.constant(x, getattr(tf, dtype)), tf.constant(y, getattr(tf, dtype))
    )
    desc = f"tf.where({describe(c)}, {describe(x)}, {describe(y)})"
    return Case("where", desc, call, _numpy_check(lambda: np.where(c, x, y), dtype))


@entry("eye", "array")
def _eye(rng):
    n = int(rng.choice([0, 1, 3, -1, *HUGE])) if rng.random() < 0.3 else int(rng.integers(0, 5))
    m = None if rng.random() < 0.5 else int(rng.integers(-1, 5))
    dtype = draw_dtype(rng, FLOATS + INTS + ["bool"])
    call = lambda: tf.eye(n, m, dtype=getattr(tf, dtype))
    desc = f"tf.eye({n}, {m}, dtype={dtype})"
    if n < 0 or (m is not None and m < 0):
        return Case("eye", desc, call, expect_error="negative size")
    return _shape_case(
        "eye",
        desc,
        call,
        [n, n if m is None else m],
        _numpy_check(lambda: np.eye(n, m, dtype=np_dtype(dtype)), dtype),
    )


@entry("range", "array")
def _range(rng):
    start, limit = int(rng.integers(-5, 6)), int(rng.integers(-5, 12))
    delta = int(rng.choice([1, 2, -1, 0, 3]))
    dtype = draw_dtype(rng, ["int32", "int64", "float32", "float64"])
    if rng.random() < 0.1:
        start, limit, delta = 0, int(rng.choice(HUGE)), 1
    call = lambda: tf.range(start, limit, delta, dtype=getattr(tf, dtype))
    desc = f"tf.range({start}, {limit}, {delta}, dtype={dtype})"
    if delta == 0:
        return Case("range", desc, call, expect_error="delta 0")
    if (limit - start) * delta < 0:
        return Case("range", desc, call, expect_error="limit on the wrong side of start")
    if limit > 2**30:
        return Case("range", desc, call, expect_error="huge range", error_classes=HUGE_OK)
    return Case(
        "range",
        desc,
        call,
        _numpy_check(lambda: np.arange(start, limit, delta).astype(dtype), dtype),
    )


@entry("repeat", "array")
def _repeat(rng):
    x, t, dtype = _tensor(rng, shape=draw_shape(rng, 2, 16))
    reps = int(rng.choice([-1, 0, 1, 2, 3]))
    axis = None if rng.random() < 0.5 or x.ndim == 0 else int(rng.integers(-x.ndim, x.ndim))
    call = lambda: tf.repeat(t, reps, axis=axis)
    desc = f"tf.repeat({describe(x)}, {reps}, axis={axis})"
    if reps < 0:
        return Case("repeat", desc, call, expect_error="negative repeats")
    return Case("repeat", desc, call, _numpy_check(lambda: np.repeat(x, reps, axis=axis), dtype))


@entry("split", "array")
def _split(rng):
    x, t, dtype = _tensor(rng, shape=draw_shape(rng, 3))
    axis = int(rng.integers(-x.ndim - 1, x.ndim + 1))
    num = int(rng.choice([1, 2, 3, 0, -1]))
    call = lambda: tf.stack(tf.split(t, num, axis=axis), 0)

    def ref():
        if x.ndim == 0 or not -x.ndim <= axis < x.ndim or num <= 0 or x.shape[axis] % num:
            raise ValueError("bad split")
        return np.stack(np.split(x, num, axis=axis), 0)

    return Case(
        "split", f"tf.split({describe(x)}, {num}, axis={axis})", call, _numpy_check(ref, dtype)
    )


@entry("boolean_mask", "array")
def _boolean_mask(rng):
    x, t, dtype = _tensor(rng, shape=draw_shape(rng, 3))
    k = int(rng.integers(0, x.ndim + 1))
    mshape = x.shape[:k] if rng.random() < 0.9 else tuple(d + 1 for d in x.shape[:k])
    m = draw_values(rng, "bool", mshape)
    call = lambda: tf.boolean_mask(t, m)

    def ref():
        if m.ndim == 0 or m.shape != x.shape[: m.ndim]:
            raise ValueError("mask shape")
        return x[m]

    return Case(
        "boolean_mask",
        f"tf.boolean_mask({describe(x)}, {describe(m)})",
        call,
        _numpy_check(ref, dtype),
    )


@entry("sort", "array")
def _sort(rng):
    x, t, dtype = _tensor(rng, shape=draw_shape(rng, 3), pool=FLOATS + INTS)
    direction = str(rng.choice(["ASCENDING", "DESCENDING"]))
    axis = int(rng.integers(-x.ndim - 1, x.ndim + 1)) if x.ndim else -1
    call = lambda: tf.sort(t, axis=axis, direction=direction)

    def ref():
        if x.ndim == 0 or not -x.ndim <= axis < x.ndim:
            raise ValueError("axis")
        if dtype in FLOATS and np.any(np.isnan(x.astype(np.float64))):
            return None
        s = np.sort(x, axis=axis)
        return np.flip(s, axis) if direction == "DESCENDING" else s

    return Case(
        "sort", f"tf.sort({describe(x)}, axis={axis}, {direction})", call, _numpy_check(ref, dtype)
    )


@entry("top_k", "array")
def _top_k(rng):
    x, t, dtype = _tensor(rng, shape=draw_shape(rng, 3), pool=FLOATS + INTS)
    n = x.shape[-1] if x.ndim else 0
    k = int(rng.integers(-1, n + 2))
    call = lambda: tf.math.top_k(t, k).values

    def ref():
        if x.ndim == 0 or k < 0 or k > n:
            raise ValueError("k")
        if dtype in FLOATS and np.any(np.isnan(x.astype(np.float64))):
            return None
        return np.flip(np.sort(x, axis=-1), -1)[..., :k]

    return Case("top_k", f"tf.math.top_k({describe(x)}, {k})", call, _numpy_check(ref, dtype))


@entry("shape_size", "array")
def _shape_size(rng):
    x, t, dtype = _tensor(rng)
    fn = str(rng.choice(["shape", "size", "rank"]))
    out_type = str(rng.choice(["int32", "int64", "float32"]))
    if fn == "rank":
        call = lambda: tf.rank(t)
        want = np.int32(x.ndim)
    else:
        call = lambda: getattr(tf, fn)(t, out_type=getattr(tf, out_type))
        want = np.array(x.shape if fn == "shape" else x.size, dtype=out_type)
    desc = f"tf.{fn}({describe(x)}, out_type={out_type})"
    if fn == "shape" and out_type == "float32":
        return Case(fn, desc, call, expect_error="out_type float32")
    return Case(fn, desc, call, _numpy_check(lambda: want, str(want.dtype)))


@entry("cast", "array")
def _cast(rng):
    src = draw_dtype(rng, FLOATS + INTS + ["bool"])
    dst = draw_dtype(rng, FLOATS + INTS + ["bool", "string"])
    x = draw_values(rng, src, draw_shape(rng))
    fn = tf.cast if rng.random() < 0.7 else tf.saturate_cast
    call = lambda: fn(tf.constant(x, getattr(tf, src)), getattr(tf, dst))
    desc = f"tf.{fn.__name__}({describe(x)}, {dst})"
    if dst == "string":
        return Case("cast", desc, call, expect_error="cast to string")

    def ref():
        a = x
        if dst in INTS and src in FLOATS:
            f = a.astype(np.float64)
            info = np.iinfo(dst)
            if fn is tf.saturate_cast:  # the clamp's bound is rounded to the source dtype
                if not np.all(np.isfinite(f)) or np.any((f <= info.min) | (f >= info.max)):
                    return None
                return np.clip(np.trunc(f), info.min, info.max).astype(dst)
            if not np.all(np.isfinite(f) & (f > info.min - 1) & (f < info.max + 1)):
                return None  # C++ leaves this undefined
            return np.trunc(f).astype(dst)
        if fn is tf.saturate_cast and dst in INTS and src in INTS:
            info = np.iinfo(dst)
            return np.asarray(np.clip(a.astype(object), info.min, info.max)).astype(dst)
        if fn is tf.saturate_cast and dst in FLOATS:
            # TF clamps to the ranges' intersection (a float's infinities too)
            info = _finfo(dst)
            src_max = float(np.iinfo(src).max if src in INTS else _finfo(src).max)
            src_min = float(np.iinfo(src).min if src in INTS else _finfo(src).min)
            f = a.astype(np.float64)
            if src in FLOATS or src_max > float(info.max):
                f = np.clip(f, max(src_min, float(info.min)), min(src_max, float(info.max)))
            with np.errstate(over="ignore"):
                return f.astype(np_dtype(dst))
        with np.errstate(all="ignore"):
            if dst == "bool":
                return a.astype(np.float64) != 0 if src in FLOATS else a != 0
            return a.astype(np_dtype(dst))

    return Case("cast", desc, call, _numpy_check(ref, dst))


@entry("clip_by_value", "array")
def _clip(rng):
    x, t, dtype = _tensor(rng, pool=["float32", "float64", "int32", "int64"])
    lo, hi = sorted(draw_values(rng, dtype, (2,), "small").tolist())
    call = lambda: tf.clip_by_value(t, lo, hi)
    return Case(
        "clip_by_value",
        f"tf.clip_by_value({describe(x)}, {lo}, {hi})",
        call,
        _numpy_check(lambda: _np_clip(x, lo, hi), dtype),
    )


def _finfo(name):
    return ml_dtypes.finfo(BF16) if name == "bfloat16" else np.finfo(name)


def _np_clip(x, lo, hi):
    with np.errstate(invalid="ignore"):
        out = np.minimum(np.maximum(x, np.asarray(lo, x.dtype)), np.asarray(hi, x.dtype))
    return out


@entry("tensordot", "array")
def _tensordot(rng):
    x, a, dtype = _tensor(rng, shape=draw_shape(rng, 3), pool=["float32", "float64"])
    y, b, _ = _tensor(rng, dtype=dtype, shape=draw_shape(rng, 3))
    axes = (
        int(rng.integers(-1, 3))
        if rng.random() < 0.6
        else [[int(rng.integers(-3, 3))], [int(rng.integers(-3, 3))]]
    )
    call = lambda: tf.tensordot(a, b, axes)

    def ref():
        if isinstance(axes, int):
            if axes < 0 or axes > min(x.ndim, y.ndim):
                raise ValueError("axes")
            if x.shape[x.ndim - axes :] != y.shape[:axes]:
                raise ValueError("shapes")
        else:
            (i,), (j,) = axes
            if not (-x.ndim <= i < x.ndim and -y.ndim <= j < y.ndim) or x.shape[i] != y.shape[j]:
                raise ValueError("axes")
        return back(np.tensordot(x.astype(np.float64), y.astype(np.float64), axes), dtype)

    check = _numpy_check(ref, dtype, exact=False)
    desc = f"tf.tensordot({describe(x)}, {describe(y)}, {axes})"
    return Case("tensordot", desc, call, _loose(check, np.concatenate([x.ravel(), y.ravel()])))


# ---- linalg ---------------------------------------------------------------------------------


@entry("matmul", "linalg", 2.0)
def _matmul(rng):
    dtype = draw_dtype(
        rng,
        ["float32", "float64", "int32", "int64", "float16", "bfloat16"]
        if rng.random() < 0.9
        else DTYPES,
    )
    batch = draw_shape(rng, 2, 4) if rng.random() < 0.3 else ()
    m, k, n = (int(rng.integers(0, 5)) for _ in range(3))
    k2 = k if rng.random() < 0.9 else k + 1
    ta, tb = bool(rng.random() < 0.25), bool(rng.random() < 0.25)
    mode = "small" if rng.random() < 0.7 else None
    x = draw_values(rng, dtype, (*batch, *((k, m) if ta else (m, k))), mode)
    y = draw_values(rng, dtype, (*batch, *((n, k2) if tb else (k2, n))), mode)
    a, b = tf.constant(x, getattr(tf, dtype)), tf.constant(y, getattr(tf, dtype))
    call = lambda: tf.linalg.matmul(a, b, transpose_a=ta, transpose_b=tb)
    desc = f"tf.linalg.matmul({describe(x)}, {describe(y)}, transpose_a={ta}, transpose_b={tb})"
    if k2 != k:
        return Case("matmul", desc, call, expect_error="inner dims differ")
    if dtype in ("bool", "string"):
        return Case("matmul", desc, call)

    def ref():
        p = np.swapaxes(x, -1, -2) if ta else x
        q = np.swapaxes(y, -1, -2) if tb else y
        with np.errstate(all="ignore"):
            return back(np.matmul(in_high(p, dtype), in_high(q, dtype)), dtype)

    if dtype in INTS:
        return Case("matmul", desc, call, _numpy_check(ref, dtype))
    both = np.concatenate([x.astype(np.float64).ravel(), y.astype(np.float64).ravel()])
    return Case("matmul", desc, call, _loose(_numpy_check(ref, dtype, exact=False), both))


LINALG = [
    "inv",
    "det",
    "cholesky",
    "qr",
    "svd",
    "matrix_transpose",
    "trace",
    "diag_part",
    "band_part",
    "norm",
    "solve",
    "logdet",
    "eigh",
    "lu",
    "pinv",
    "slogdet",
]


def _make_linalg(name):
    def make(rng):
        fn = api("linalg." + name)
        dtype = draw_dtype(rng, ["float32", "float64"] if rng.random() < 0.9 else DTYPES)
        batch = draw_shape(rng, 1, 3) if rng.random() < 0.3 else ()
        n = int(rng.integers(0, 5))
        m = n if rng.random() < 0.8 else int(rng.integers(0, 5))
        x = draw_values(rng, dtype, (*batch, n, m) if rng.random() < 0.95 else (n,))
        t = tf.constant(x, getattr(tf, dtype))
        desc = f"tf.linalg.{name}({describe(x)})"
        if name == "band_part":
            lo, hi = int(rng.integers(-2, 3)), int(rng.integers(-2, 3))
            if dtype == "string":
                return Case(name, desc + f", {lo}, {hi}", lambda: fn(t, lo, hi))
            return Case(
                name,
                desc + f", {lo}, {hi}",
                lambda: fn(t, lo, hi),
                _numpy_check(lambda: _band(x, lo, hi), dtype) if x.ndim >= 2 else None,
            )
        if name == "solve":
            return Case(name, desc, lambda: fn(t, t))
        if name == "matrix_transpose" and x.ndim >= 2:
            return Case(
                name, desc, lambda: fn(t), _numpy_check(lambda: np.swapaxes(x, -1, -2), dtype)
            )
        if name == "trace" and x.ndim >= 2 and dtype in FLOATS:
            ref = lambda: back(np.trace(in_high(x, dtype), axis1=-2, axis2=-1), dtype)
            return Case(name, desc, lambda: fn(t), _loose(_numpy_check(ref, dtype, exact=False), x))
        return Case("linalg." + name, desc, lambda: fn(t))

    return make


def _band(x, lo, hi):
    n, m = x.shape[-2:]
    i, j = np.ogrid[:n, :m]
    keep = ((lo < 0) | (i - j <= lo)) & ((hi < 0) | (j - i <= hi))
    return np.where(keep, x, np.zeros((), x.dtype))


for _n in LINALG:
    entry("linalg." + _n, "linalg", 0.5)(_make_linalg(_n))


# ---- nn -------------------------------------------------------------------------------------


def _xatol(z):
    """Cross-entropy's cancellation (lse - picked): an absolute error of the logits' size."""
    return 8 * RTOL[z.dtype.name] * (float(np.max(np.abs(z))) + 1 if z.size else 1.0)


def _valid_size(size, window, stride) -> int:
    """TF's VALID output size: (size - window + stride) / stride, truncated as C does."""
    return int((size - window + stride) / stride)


def _np_conv2d(x, w, strides, padding, dil=(1, 1)):
    """A naive NHWC conv2d (cross-correlation) in float64."""
    n, h, wd, c = x.shape
    kh, kw, ci, co = w.shape
    ekh, ekw = (kh - 1) * dil[0] + 1, (kw - 1) * dil[1] + 1
    sh, sw = strides
    if padding == "SAME":
        oh, ow = -(-h // sh), -(-wd // sw)
        ph = max((oh - 1) * sh + ekh - h, 0)
        pw = max((ow - 1) * sw + ekw - wd, 0)
        x = np.pad(x, [(0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)])
    else:
        oh, ow = _valid_size(h, ekh, sh), _valid_size(wd, ekw, sw)
    out = np.zeros((n, oh, ow, co))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * sh : i * sh + ekh : dil[0], j * sw : j * sw + ekw : dil[1], :]
            out[:, i, j, :] = np.tensordot(patch, w, axes=([1, 2, 3], [0, 1, 2]))
    return out


def _np_pool(x, k, strides, padding, kind):
    n, h, wd, c = x.shape
    (kh, kw), (sh, sw) = k, strides
    if padding == "SAME":
        oh, ow = -(-h // sh), -(-wd // sw)
        ph, pw = max((oh - 1) * sh + kh - h, 0), max((ow - 1) * sw + kw - wd, 0)
        fill = -np.inf if kind == "max" else np.nan
        x = np.pad(
            x,
            [(0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)],
            constant_values=fill,
        )
    else:
        oh, ow = _valid_size(h, kh, sh), _valid_size(wd, kw, sw)
    out = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * sh : i * sh + kh, j * sw : j * sw + kw, :]
            out[:, i, j, :] = patch.max((1, 2)) if kind == "max" else np.nanmean(patch, (1, 2))
    return out


@entry("nn.conv2d", "nn", 3.0)
def _conv2d(rng):
    dtype = draw_dtype(rng, ["float32", "float64"] if rng.random() < 0.9 else FLOATS + INTS)
    n, h, w, c = (
        int(rng.integers(1, 3)),
        int(rng.integers(0, 7)),
        int(rng.integers(0, 7)),
        int(rng.integers(1, 3)),
    )
    kh, kw, co = int(rng.integers(0, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 3))
    ci = c if rng.random() < 0.9 else c + 1
    s = [int(rng.choice([1, 1, 2, 3, 0, -1])) for _ in range(2)]
    padding = str(rng.choice(["SAME", "VALID", "VALID", "same", "FULL"]))
    dil = [1, 1] if rng.random() < 0.8 else [int(rng.choice([1, 2, 0])) for _ in range(2)]
    x = draw_values(rng, dtype, (n, h, w, c), "small")
    f = draw_values(rng, dtype, (kh, kw, ci, co), "small")
    call = lambda: tf.nn.conv2d(
        x if dtype == "float32" else tf.constant(x, getattr(tf, dtype)),
        tf.constant(f, getattr(tf, dtype)),
        s,
        padding,
        dilations=dil,
    )
    desc = f"tf.nn.conv2d({describe(x)}, {describe(f)}, {s}, {padding!r}, dilations={dil})"
    if min(s) < 1 or min(dil) < 1 or padding not in ("SAME", "VALID") or ci != c:
        return Case("nn.conv2d", desc, call, expect_error="bad strides/dilations/padding/channels")
    if max(s) > 1 and max(dil) > 1:
        return Case("nn.conv2d", desc, call)  # TF's CPU kernel refuses both
    if h == 0 or w == 0:
        return Case("nn.conv2d", desc, call)  # TF returns an empty input's result unchecked
    if kh == 0 or kw == 0:
        return Case("nn.conv2d", desc, call, expect_error="a zero-size filter")
    ekh, ekw = (kh - 1) * dil[0] + 1, (kw - 1) * dil[1] + 1
    if padding == "VALID" and (_valid_size(h, ekh, s[0]) < 0 or _valid_size(w, ekw, s[1]) < 0):
        return Case("nn.conv2d", desc, call, expect_error="VALID window exceeds the input")
    if dtype not in ("float32", "float64"):
        return Case("nn.conv2d", desc, call)
    ref = lambda: back(
        _np_conv2d(x.astype(np.float64), f.astype(np.float64), s, padding, dil), dtype
    )
    return Case("nn.conv2d", desc, call, _numpy_check(ref, dtype, exact=False))


@entry("nn.pool2d", "nn", 2.0)
def _pool2d(rng):
    kind = str(rng.choice(["max", "avg"]))
    dtype = draw_dtype(rng, ["float32", "float64"] if rng.random() < 0.9 else FLOATS + INTS)
    n, h, w, c = 1, int(rng.integers(0, 7)), int(rng.integers(0, 7)), int(rng.integers(1, 3))
    k = [int(rng.choice([1, 2, 3, 0, 8])) for _ in range(2)]
    s = [int(rng.choice([1, 1, 2, 3, 0])) for _ in range(2)]
    padding = str(rng.choice(["SAME", "VALID", "VALID", "bogus"]))
    x = draw_values(rng, dtype, (n, h, w, c), "small")
    fn = tf.nn.max_pool2d if kind == "max" else tf.nn.avg_pool2d
    call = lambda: fn(tf.constant(x, getattr(tf, dtype)), k, s, padding)
    desc = f"tf.nn.{kind}_pool2d({describe(x)}, {k}, {s}, {padding!r})"
    if min(k) < 1 or min(s) < 1 or padding not in ("SAME", "VALID"):
        return Case("nn.pool2d", desc, call, expect_error="bad ksize/strides/padding")
    if padding == "VALID" and (_valid_size(h, k[0], s[0]) < 0 or _valid_size(w, k[1], s[1]) < 0):
        return Case("nn.pool2d", desc, call, expect_error="VALID window exceeds the input")
    if dtype not in ("float32", "float64"):
        return Case("nn.pool2d", desc, call)
    ref = lambda: back(_np_pool(x.astype(np.float64), k, s, padding, kind), dtype)
    return Case("nn.pool2d", desc, call, _numpy_check(ref, dtype, exact=False))


@entry("nn.softmax", "nn", 2.0)
def _softmax(rng):
    name = str(rng.choice(["softmax", "log_softmax"]))
    x, t, dtype = _tensor(rng, pool=FLOATS if rng.random() < 0.9 else DTYPES)
    axis = int(rng.integers(-x.ndim - 2, x.ndim + 2)) if rng.random() < 0.7 else -1
    call = lambda: getattr(tf.nn, name)(t, axis=axis)
    desc = f"tf.nn.{name}({describe(x)}, axis={axis})"
    if x.ndim == 0 or not -x.ndim <= axis < x.ndim:
        return Case("nn.softmax", desc, call, expect_error=f"axis {axis} for rank {x.ndim}")
    if dtype not in FLOATS:
        return Case("nn.softmax", desc, call)

    def ref():
        a = x.astype(np.float64)
        if not np.all(np.isfinite(a)):
            return None
        if a.size == 0:
            return x
        z = a - a.max(axis, keepdims=True)
        lse = np.log(np.exp(z).sum(axis, keepdims=True))
        return back(np.exp(z - lse) if name == "softmax" else z - lse, dtype)

    scale = float(np.max(np.abs(x.astype(np.float64)))) + 1 if x.size else 1.0
    atol = 8 * RTOL[dtype] * scale  # log_softmax cancels: an absolute error of the input's size
    return Case(
        "nn.softmax",
        desc,
        call,
        elementwise_check(ref, dtype, rtol=RTOL[dtype] * 8, inputs=(x,), atol=atol),
    )


@entry("nn.dropout", "nn")
def _dropout(rng):
    x, t, dtype = _tensor(rng, pool=FLOATS if rng.random() < 0.9 else DTYPES)
    rate = float(rng.choice([0.0, 0.3, 0.5, 0.99, 1.0, -0.1, 1.5]))
    seed = int(rng.integers(0, 100))
    call = lambda: tf.nn.dropout(t, rate, seed=seed)
    desc = f"tf.nn.dropout({describe(x)}, {rate}, seed={seed})"
    if not 0 <= rate < 1:
        return Case("nn.dropout", desc, call, expect_error=f"rate {rate} outside [0, 1)")
    if dtype not in FLOATS:
        return Case("nn.dropout", desc, call)

    def check(out):
        if out_dtype(out) != dtype:
            return f"dtype {out_dtype(out)} != {dtype}"
        got = to_numpy(out).astype(np.float64)
        a = x.astype(np.float64)
        if got.shape != a.shape:
            return f"shape {got.shape} != {a.shape}"
        with np.errstate(all="ignore"):
            scaled = back(a / (1 - rate), dtype).astype(np.float64)
        keep = (got == scaled) | (np.isnan(got) & np.isnan(a))
        kept_close = np.isclose(got, scaled, rtol=RTOL[dtype] * 4) | keep
        ok = kept_close | (got == 0)
        if not np.all(ok):
            k = int(np.argmin(ok.reshape(-1)))
            return (
                f"element {a.reshape(-1)[k]} became {got.reshape(-1)[k]} (neither 0 nor x/(1-rate))"
            )
        return None

    return Case("nn.dropout", desc, call, check)


@entry("nn.bias_add", "nn")
def _bias_add(rng):
    x, t, dtype = _tensor(rng, pool=["float32", "float64", "int32"], shape=draw_shape(rng, 3))
    c = x.shape[-1] if x.ndim else 1
    b = draw_values(rng, dtype, (c if rng.random() < 0.9 else c + 1,))
    call = lambda: tf.nn.bias_add(t, tf.constant(b, getattr(tf, dtype)))

    def ref():
        if x.ndim < 2 or b.shape[0] != x.shape[-1]:
            raise ValueError("bias shape")
        with np.errstate(all="ignore"):
            return x + b

    check = _numpy_check(ref, dtype)
    if x.ndim >= 2 and b.shape[0] == x.shape[-1]:
        check = elementwise_check(ref, dtype, exact=True, inputs=(x, b))
    return Case("nn.bias_add", f"tf.nn.bias_add({describe(x)}, {describe(b)})", call, check)


@entry("nn.xent", "nn", 2.0)
def _xent(rng):
    kind = str(rng.choice(["softmax", "sparse", "sigmoid"]))
    dtype = draw_dtype(rng, ["float32", "float64"] if rng.random() < 0.9 else FLOATS + INTS)
    shape = draw_shape(rng, 3)
    if not shape:
        shape = () if rng.random() < 0.5 else (2, 3)
    logits = draw_values(rng, dtype, shape, "small")
    desc = f"tf.nn.{kind}_cross_entropy_with_logits(logits={describe(logits)}"
    lg = tf.constant(logits, getattr(tf, dtype))
    if kind == "sparse":
        n = shape[-1] if shape else 0
        labels = rng.integers(
            -1 if rng.random() < 0.2 else 0,
            n + (1 if rng.random() < 0.2 else 0) or 1,
            size=shape[:-1],
        )
        call = lambda: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=lg)
        desc += f", labels={describe(labels)})"
        if not shape:
            return Case("nn.xent", desc, call, expect_error="scalar logits")
        if labels.size and (labels.min() < 0 or labels.max() >= n):
            return Case("nn.xent", desc, call, expect_error="label out of range")
        if dtype not in ("float32", "float64") or n == 0:
            return Case("nn.xent", desc, call)

        def ref():
            z = logits.astype(np.float64)
            lse = np.log(np.exp(z - z.max(-1, keepdims=True)).sum(-1)) + z.max(-1)
            picked = np.take_along_axis(z, labels[..., None], -1)[..., 0]
            return back(lse - picked, dtype)

        return Case(
            "nn.xent", desc, call, _numpy_check(ref, dtype, False, 8 * RTOL[dtype], _xatol(logits))
        )
    lshape = shape if rng.random() < 0.9 else tuple(d + 1 for d in shape) + (1,)
    labels = (
        rng.random(lshape).astype(np_dtype(dtype))
        if dtype in FLOATS
        else draw_values(rng, dtype, lshape)
    )
    desc += f", labels={describe(labels)})"
    fn = getattr(tf.nn, f"{kind}_cross_entropy_with_logits")
    call = lambda: fn(labels=tf.constant(labels, getattr(tf, dtype)), logits=lg)
    if lshape != shape:
        return Case("nn.xent", desc, call, expect_error="labels and logits shapes differ")
    if kind == "softmax" and not shape:
        return Case("nn.xent", desc, call, expect_error="scalar logits")
    if dtype not in ("float32", "float64"):
        return Case("nn.xent", desc, call)

    def ref():
        z, y = logits.astype(np.float64), labels.astype(np.float64)
        if z.size == 0 and kind != "sigmoid":
            return None  # no classes: TF's 0 (or an empty batch)
        if kind == "sigmoid":
            return back(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))), dtype)
        lse = np.log(np.exp(z - z.max(-1, keepdims=True)).sum(-1, keepdims=True)) + z.max(
            -1, keepdims=True
        )
        return back(-(y * (z - lse)).sum(-1), dtype)

    return Case(
        "nn.xent", desc, call, _numpy_check(ref, dtype, False, 8 * RTOL[dtype], _xatol(logits))
    )


@entry("nn.l2_normalize", "nn", 0.5)
def _l2n(rng):
    x, t, dtype = _tensor(rng, pool=["float32", "float64"])
    axis = int(rng.integers(-x.ndim - 1, x.ndim + 1)) if x.ndim else 0
    call = lambda: tf.math.l2_normalize(t, axis=axis)
    desc = f"tf.math.l2_normalize({describe(x)}, axis={axis})"
    if x.ndim and _axis_problem(axis, x.ndim):
        return Case("nn.l2_normalize", desc, call, expect_error="axis out of range")
    return Case("nn.l2_normalize", desc, call)


@entry("nn.moments", "nn", 0.5)
def _moments(rng):
    x, t, dtype = _tensor(rng, pool=["float32", "float64"])
    axes = [int(a) for a in rng.integers(-x.ndim - 1, x.ndim + 1, size=int(rng.integers(0, 3)))]
    call = lambda: tf.stack(tf.nn.moments(t, axes))
    desc = f"tf.nn.moments({describe(x)}, {axes})"
    if _axis_problem(axes, x.ndim) and x.ndim:
        return Case("nn.moments", desc, call, expect_error="axis out of range")
    return Case("nn.moments", desc, call)


# ---- random ---------------------------------------------------------------------------------


@entry("random", "random", 2.0)
def _random(rng):
    name = str(
        rng.choice(
            [
                "uniform",
                "normal",
                "truncated_normal",
                "stateless_uniform",
                "stateless_normal",
                "shuffle",
                "categorical",
            ]
        )
    )
    dims = _draw_dims(rng, int(rng.integers(0, 3)))
    dtype = draw_dtype(
        rng, ["float32", "float64", "float16", "int32", "int64"] if rng.random() < 0.9 else DTYPES
    )
    seed = int(rng.integers(0, 2**31))
    fn = api("random." + name)
    desc = f"tf.random.{name}({dims}, dtype={dtype}, seed={seed})"
    if name == "shuffle":
        x, t, dtype = _tensor(rng)
        call = lambda: fn(t, seed=seed)
        desc = f"tf.random.shuffle({describe(x)}, seed={seed})"

        def check(out):
            got = to_numpy(out)
            if got.shape != x.shape:
                return f"shape {got.shape} != {x.shape}"
            if x.ndim and x.size and dtype not in FLOATS:
                if (
                    sorted(map(bytes, got.reshape(len(got), -1)))
                    != sorted(map(bytes, x.reshape(len(x), -1)))
                    and dtype != "string"
                ):
                    return "shuffle changed the rows"
            return None

        return Case("random", desc, call, check if x.ndim else None)
    if name == "categorical":
        n = int(rng.integers(0, 4))
        logits = draw_values(rng, "float32", (int(rng.integers(1, 3)), n), "small")
        k = int(rng.choice([0, 1, 5, -1]))
        call = lambda: fn(logits, k, seed=seed)
        desc = f"tf.random.categorical({describe(logits)}, {k}, seed={seed})"
        if k < 0 or n == 0:
            return Case("random", desc, call, expect_error="bad num_samples or no classes")

        def check(out):
            got = to_numpy(out)
            if got.shape != (logits.shape[0], k) or (
                got.size and (got.min() < 0 or got.max() >= n)
            ):
                return f"samples {got.tolist()} outside [0, {n}) or shape {got.shape}"
            return None

        return Case("random", desc, call, check)
    if dtype not in FLOATS and (name != "uniform" or dtype not in INTS):
        seeds = {"seed": [seed, 7] if name.startswith("stateless") else seed}
        call = lambda: fn(dims, dtype=getattr(tf, dtype), **seeds)
        return Case("random", desc, call)  # an int dtype: refused before the shape is read
    if name.startswith("stateless"):
        call = lambda: fn(dims, seed=[seed, 7], dtype=getattr(tf, dtype))
    elif name == "uniform" and dtype in INTS:
        hi = int(rng.choice([10, 0, -3]))
        call = lambda: fn(dims, 0, hi, dtype=getattr(tf, dtype), seed=seed)
        desc = f"tf.random.uniform({dims}, 0, {hi}, dtype={dtype}, seed={seed})"
        if hi <= 0 and 0 not in dims and not _shape_problem(dims):
            return Case("random", desc, call, expect_error="minval >= maxval")
    else:
        call = lambda: fn(dims, dtype=getattr(tf, dtype), seed=seed)

    def check(out):
        got = to_numpy(out)
        if list(got.shape) != dims:
            return f"shape {list(got.shape)} != {dims}"
        if out_dtype(out) != dtype:
            return f"dtype {out_dtype(out)} != {dtype}"
        if (
            name == "uniform"
            and dtype in FLOATS
            and got.size
            and not (got.min() >= 0 and got.max() < 1)
        ):
            return f"uniform outside [0, 1): {got.min()} {got.max()}"
        if name == "truncated_normal" and got.size and np.abs(got.astype(np.float64)).max() > 2:
            return f"truncated_normal beyond 2 stddev: {np.abs(got).max()}"
        if dtype in FLOATS and not np.all(np.isfinite(got.astype(np.float64))):
            return "non-finite sample"
        again = to_numpy(call())
        if name.startswith("stateless") and not np.array_equal(got, again):
            return "a stateless op gave two different answers for one seed"
        return None

    return _shape_case("random", desc, call, dims, check)


# ---- GradientTape ---------------------------------------------------------------------------

DERIV = {
    "math.exp": np.exp,
    "math.sin": np.cos,
    "math.cos": lambda x: -np.sin(x),
    "math.tanh": lambda x: 1 - np.tanh(x) ** 2,
    "math.square": lambda x: 2 * x,
    "math.sigmoid": lambda x: _sigmoid(x) * (1 - _sigmoid(x)),
    "math.abs": np.sign,
    "math.negative": lambda x: -np.ones_like(x),
    "math.log": lambda x: 1 / x,
    "math.sqrt": lambda x: 0.5 / np.sqrt(x),
    "nn.relu": lambda x: (x > 0).astype(x.dtype),
    "math.softplus": _sigmoid,
    "math.atan": lambda x: 1 / (1 + x * x),
}


def _make_tape_unary(name):
    def make(rng):
        fn = api(name)
        dtype = draw_dtype(rng, ["float32", "float64"] if rng.random() < 0.9 else FLOATS + INTS)
        x = draw_values(rng, dtype, draw_shape(rng), "normal" if rng.random() < 0.8 else None)
        desc = f"tape: d/dx sum(tf.{name}(x)), x={describe(x)}"

        def call():
            v = tf.constant(x, getattr(tf, dtype))
            with tf.GradientTape() as tape:
                tape.watch(v)
                y = tf.reduce_sum(fn(v))
            return tape.gradient(y, v)

        if dtype not in ("float32", "float64"):
            return Case("tape:" + name, desc, call)

        def ref():
            with np.errstate(all="ignore"):
                return back(DERIV[name](x.astype(np.float64)), dtype)

        rtol = RTOL[dtype] * 16
        return Case(
            "tape:" + name,
            desc,
            call,
            elementwise_check(ref, dtype, rtol=rtol, inputs=(x,), atol=rtol),
        )

    return make


for _n in DERIV:
    entry("tape:" + _n, "tape", 0.5)(_make_tape_unary(_n))


@entry("tape:binary", "tape", 3.0)
def _tape_binary(rng):
    name = str(
        rng.choice(
            [
                "math.add",
                "math.multiply",
                "math.subtract",
                "math.divide",
                "math.maximum",
                "math.pow",
                "math.squared_difference",
                "linalg.matmul",
                "math.floordiv",
                "math.atan2",
            ]
        )
    )
    fn = api(name)
    dtype = draw_dtype(rng, ["float32", "float64"] if rng.random() < 0.9 else FLOATS + INTS)
    if name == "linalg.matmul":
        m, k, n = (int(rng.integers(1, 4)) for _ in range(3))
        sx, sy = (m, k), (k, n)
    else:
        sx = draw_shape(rng, 3)
        sy = _broadcast_partner(rng, sx)
    x = draw_values(rng, dtype, sx, "normal")
    y = draw_values(rng, dtype, sy, "normal")
    desc = f"tape: grads of sum(tf.{name}(x, y)), x={describe(x)}, y={describe(y)}"

    def call():
        a, b = tf.constant(x, getattr(tf, dtype)), tf.constant(y, getattr(tf, dtype))
        with tf.GradientTape() as tape:
            tape.watch([a, b])
            z = tf.reduce_sum(fn(a, b))
        ga, gb = tape.gradient(z, [a, b])
        return ga, gb

    try:
        np.broadcast_shapes(sx, sy)
    except ValueError:
        if name != "linalg.matmul":
            return Case("tape:binary", desc, call, expect_error="shapes do not broadcast")
    if dtype not in ("float32", "float64"):
        return Case("tape:binary", desc, call)

    def check(out):
        ga, gb = out
        for g, want, label in ((ga, x, "x"), (gb, y, "y")):
            if g is None:
                if name in ("math.floordiv",):
                    continue
                return f"gradient for {label} is None"
            arr = to_numpy(g)
            if arr.shape != want.shape:
                return f"gradient for {label} has shape {arr.shape}, input {want.shape}"
            if out_dtype(g) != dtype:
                return f"gradient dtype {out_dtype(g)} != {dtype}"
        if name != "linalg.matmul":
            a, b = np.broadcast_arrays(x.astype(np.float64), y.astype(np.float64))
        ref = (
            None
            if name == "linalg.matmul"
            else {
                "math.add": (np.ones_like(a), np.ones_like(b)),
                "math.subtract": (np.ones_like(a), -np.ones_like(b)),
                "math.multiply": (b, a),
                "math.squared_difference": (2 * (a - b), -2 * (a - b)),
            }.get(name)
        )
        if name == "linalg.matmul":
            ones = np.ones((x.shape[0], y.shape[1]))
            ref_ab = (ones @ y.T.astype(np.float64), x.T.astype(np.float64) @ ones)
            pairs = zip((ga, gb), ref_ab)
        elif ref is None:
            return None
        else:
            pairs = zip((ga, gb), (_unbroadcast(ref[0], x.shape), _unbroadcast(ref[1], y.shape)))
        for g, want in pairs:
            big = max(x.shape + y.shape, default=1)
            scale = float(np.abs(x).max() * np.abs(y).max() * big) if x.size and y.size else 1.0
            atol = RTOL[dtype] * 16 * scale  # sums that cancel
            msg = compare(to_numpy(g), back(want, dtype), dtype, rtol=RTOL[dtype] * 64, atol=atol)
            if msg:
                return "gradient " + msg
        return None

    return Case("tape:binary", desc, call, check)


def _unbroadcast(g, shape):
    while g.ndim > len(shape):
        g = g.sum(0)
    for i, d in enumerate(shape):
        if d == 1 and g.shape[i] != 1:
            g = g.sum(i, keepdims=True)
    return g


@entry("tape:reduce", "tape")
def _tape_reduce(rng):
    name = str(
        rng.choice(
            [
                "reduce_sum",
                "reduce_mean",
                "reduce_max",
                "math.reduce_logsumexp",
                "nn.softmax",
                "math.cumsum",
                "reshape",
                "transpose",
                "gather",
                "nn.conv2d",
                "concat",
                "tile",
                "pad",
            ]
        )
    )
    dtype = "float32" if rng.random() < 0.8 else "float64"
    x = draw_values(rng, dtype, draw_shape(rng, 3) or (3,), "normal")
    desc = f"tape: d/dx sum({name}(x)), x={describe(x)}"

    def op(v):
        if name.startswith("reduce") or name.startswith("math.reduce"):
            return api(name)(v, axis=-1 if x.ndim else None)
        if name == "nn.softmax":
            return tf.nn.softmax(v) * tf.range(1.0, x.shape[-1] + 1, dtype=v.dtype)
        if name == "math.cumsum":
            return tf.math.cumsum(v, axis=-1)
        if name == "reshape":
            return tf.reshape(v, [-1]) * tf.range(1.0, x.size + 1, dtype=v.dtype)
        if name == "transpose":
            return tf.transpose(v) * 2.0
        if name == "gather":
            return tf.gather(v, [0, 0], axis=0) if x.shape[0] else v
        if name == "nn.conv2d":
            img = tf.reshape(v, [1, 1, -1, 1])
            return tf.nn.conv2d(img, tf.ones([1, 1, 1, 2], v.dtype), 1, "SAME")
        if name == "concat":
            return tf.concat([v, v * 3.0], axis=0)
        if name == "tile":
            return tf.tile(v, [2] * x.ndim)
        return tf.pad(v, [[1, 1]] * x.ndim)

    def call():
        v = tf.constant(x, getattr(tf, dtype))
        with tf.GradientTape() as tape:
            tape.watch(v)
            y = tf.reduce_sum(op(v))
        return tape.gradient(y, v)

    def check(out):
        g = to_numpy(out)
        if g.shape != x.shape:
            return f"gradient shape {g.shape} != input {x.shape}"
        if name in (
            "reduce_sum",
            "math.cumsum",
            "nn.conv2d",
            "concat",
            "tile",
            "pad",
            "transpose",
            "reshape",
        ):
            n = x.shape[-1] if x.ndim else 1
            want = {
                "reduce_sum": np.ones(x.shape),
                "math.cumsum": np.broadcast_to(np.arange(n, 0, -1), x.shape),
                "nn.conv2d": np.full(x.shape, 2.0),
                "concat": np.full(x.shape, 4.0),
                "tile": np.full(x.shape, 2.0**x.ndim),
                "pad": np.ones(x.shape),
                "transpose": np.full(x.shape, 2.0),
                "reshape": np.arange(1, x.size + 1).reshape(x.shape),
            }[name]
            return compare(g, back(want, dtype), dtype, rtol=RTOL[dtype] * 16)
        return None

    return Case("tape:reduce", desc, call, check)


# ---- Dataset pipelines ----------------------------------------------------------------------


@entry("data.pipeline", "data", 4.0)
def _pipeline(rng):
    n = int(rng.integers(0, 12))
    dtype = draw_dtype(rng, ["int32", "int64", "float32"])
    src = str(rng.choice(["slices", "range", "tensors"]))
    base = draw_values(rng, dtype, (n, 2) if rng.random() < 0.5 else (n,), "small")
    steps, ops = [], []
    for _ in range(int(rng.integers(1, 5))):
        op = str(
            rng.choice(
                [
                    "batch",
                    "unbatch",
                    "map",
                    "filter",
                    "take",
                    "skip",
                    "repeat",
                    "shuffle",
                    "prefetch",
                    "cache",
                    "enumerate",
                ]
            )
        )
        arg = {
            "batch": (int(rng.choice([1, 2, 3, 0, -1])), bool(rng.random() < 0.5)),
            "take": int(rng.integers(-1, 6)),
            "skip": int(rng.integers(-1, 6)),
            "repeat": int(rng.integers(0, 3)),
            "shuffle": (int(rng.choice([1, 4, 100, 0])), int(rng.integers(0, 99))),
            "prefetch": int(rng.choice([1, -1, 0])),
        }.get(op)
        steps.append((op, arg))
        ops.append(f".{op}({arg if arg is not None else ''})")
    desc = f"Dataset.{src}({describe(base)}){''.join(ops)} (first 50 elements)"

    def build():
        if src == "slices":
            ds = tf.data.Dataset.from_tensor_slices(base)
        elif src == "range":
            ds = tf.data.Dataset.range(n)
        else:
            ds = tf.data.Dataset.from_tensors(base)
        for op, arg in steps:
            if op == "batch":
                ds = ds.batch(arg[0], drop_remainder=arg[1])
            elif op == "map":
                ds = ds.map(lambda x: x * 2)
            elif op == "filter":
                ds = ds.filter(lambda x: tf.reduce_sum(tf.cast(x, tf.int64)) % 2 == 0)
            elif op == "shuffle":
                ds = ds.shuffle(arg[0], seed=arg[1])
            elif op == "enumerate":
                ds = ds.enumerate().map(lambda i, x: x)
            elif op in ("unbatch", "cache"):
                ds = getattr(ds, op)()
            else:
                ds = getattr(ds, op)(arg)
        return [to_numpy(e) for e in ds.take(50)]

    def sim():
        if src == "slices":
            els = list(base)
        elif src == "range":
            els = [np.int64(i) for i in range(n)]
        else:
            els = [base]
        for op, arg in steps:
            if op == "batch":
                b, drop = arg
                if b <= 0:
                    raise ValueError("batch_size")
                cut = len(els) - len(els) % b if drop else len(els)
                els = [np.stack(els[i : i + b]) for i in range(0, cut, b)]
            elif op == "unbatch":
                if els and np.ndim(els[0]) == 0:
                    raise ValueError("unbatch of scalars")
                els = [r for e in els for r in e]
            elif op == "map":
                els = [e * 2 for e in els]
            elif op == "filter":
                els = [e for e in els if int(np.sum(np.asarray(e).astype(np.int64))) % 2 == 0]
            elif op == "take":
                els = els if arg < 0 else els[:arg]
            elif op == "skip":
                els = [] if arg < 0 else els[arg:]
            elif op == "repeat":
                els = els * arg
            elif op == "shuffle":
                if arg[0] <= 0:
                    raise ValueError("buffer_size")
                return None  # order is TF's own
            elif op == "prefetch" and arg < -1:
                raise ValueError("buffer_size")
        return els[:50]

    def check(out):
        try:
            want = sim()
        except ValueError as e:
            return f"pipeline returned where TF raises ({e})"
        if want is None:
            return None
        if len(out) != len(want):
            return f"{len(out)} elements, expected {len(want)}"
        for k, (g, w) in enumerate(zip(out, want)):
            msg = compare(g, np.asarray(w).astype(g.dtype) if g.shape == np.shape(w) else w, dtype)
            if msg:
                return f"element {k}: {msg}"
        return None

    return Case("data.pipeline", desc, build, check)


# ---- Keras layers, losses, configs, loaders -------------------------------------------------


@entry("keras.layer", "keras", 4.0)
def _layer(rng):
    kind = str(
        rng.choice(
            [
                "Dense",
                "Conv2D",
                "MaxPooling2D",
                "Flatten",
                "Dropout",
                "BatchNormalization",
                "LayerNormalization",
                "Embedding",
                "Reshape",
                "Softmax",
                "Activation",
                "GlobalAveragePooling2D",
            ]
        )
    )
    L = tf.keras.layers
    shape = draw_shape(rng, 4)
    dtype = draw_dtype(rng, ["float32"] * 4 + FLOATS + INTS)
    x = draw_values(rng, dtype, shape, "small")
    args = {
        "Dense": lambda: {"units": int(rng.choice([1, 3, 0, -1]))},
        "Conv2D": lambda: {
            "filters": int(rng.choice([1, 2, 0])),
            "kernel_size": int(rng.choice([1, 2, 3, 0])),
            "strides": int(rng.choice([1, 2, 0])),
            "padding": str(rng.choice(["valid", "same", "x"])),
        },
        "MaxPooling2D": lambda: {
            "pool_size": int(rng.choice([1, 2, 0])),
            "padding": str(rng.choice(["valid", "same"])),
        },
        "Dropout": lambda: {"rate": float(rng.choice([0.0, 0.5, 1.0, -0.1, 1.5]))},
        "Embedding": lambda: {
            "input_dim": int(rng.choice([3, 0, 10])),
            "output_dim": int(rng.choice([2, 0])),
        },
        "Reshape": lambda: {
            "target_shape": tuple(
                int(rng.choice([-1, 1, 2, 3])) for _ in range(int(rng.integers(1, 3)))
            )
        },
        "Softmax": lambda: {"axis": int(rng.integers(-4, 4))},
        "Activation": lambda: {
            "activation": str(rng.choice(["relu", "tanh", "softmax", "nonexistent", "gelu"]))
        },
        "LayerNormalization": lambda: {"axis": int(rng.integers(-4, 4))},
    }.get(kind, lambda: {})()
    training = bool(rng.random() < 0.5)
    desc = f"tf.keras.layers.{kind}(**{args})({describe(x)}, training={training})"

    def call():
        layer = getattr(L, kind)(**args)
        inp = tf.constant(x, getattr(tf, dtype))
        if kind in ("Dropout", "BatchNormalization"):
            return layer(inp, training=training)
        return layer(inp)

    def check(out):
        got = to_numpy(out)
        if (
            kind == "Dense"
            and dtype == "float32"
            and shape
            and got.shape != (*shape[:-1], args["units"])
        ):
            return f"Dense output shape {got.shape}"
        if kind == "Flatten" and shape and got.shape != (shape[0], int(np.prod(shape[1:]))):
            return f"Flatten output shape {got.shape}"
        return None

    return Case("keras.layer", desc, call, check)


@entry("keras.loss", "keras", 2.0)
def _loss(rng):
    kind = str(
        rng.choice(
            [
                "MeanSquaredError",
                "MeanAbsoluteError",
                "BinaryCrossentropy",
                "CategoricalCrossentropy",
                "SparseCategoricalCrossentropy",
                "Huber",
                "KLDivergence",
            ]
        )
    )
    shape = draw_shape(rng, 3) or (2, 3)
    y_pred = draw_values(rng, "float32", shape, "small")
    if rng.random() < 0.5:
        y_pred = np.abs(y_pred) / (1 + np.abs(y_pred))
    if kind == "SparseCategoricalCrossentropy":
        n = shape[-1]
        y_true = rng.integers(
            -1 if rng.random() < 0.1 else 0,
            n + 1 if rng.random() < 0.1 else max(n, 1),
            size=shape[:-1],
        ).astype(np.float32)
    else:
        tshape = shape if rng.random() < 0.9 else tuple(d + 1 for d in shape)
        y_true = draw_values(rng, "float32", tshape, "small")
    from_logits = bool(rng.random() < 0.3)
    kw = {"from_logits": from_logits} if "Crossentropy" in kind else {}
    desc = f"tf.keras.losses.{kind}(**{kw})({describe(y_true)}, {describe(y_pred)})"
    call = lambda: getattr(tf.keras.losses, kind)(**kw)(y_true, y_pred)
    if kind in ("MeanSquaredError", "MeanAbsoluteError") and y_true.shape == y_pred.shape:
        f = np.square if kind == "MeanSquaredError" else np.abs
        want = (
            np.float32(np.mean(np.mean(f(y_true.astype(np.float64) - y_pred), -1)))
            if y_pred.size
            else None
        )
        if want is not None:
            return Case(
                "keras.loss", desc, call, _numpy_check(lambda: want, "float32", exact=False)
            )
    return Case("keras.loss", desc, call)


_SAVED: dict = {}


def _saved_model() -> dict:
    """A tiny model saved once per worker as .keras and .weights.h5 (bytes kept in memory)."""
    if not _SAVED:
        d = tempfile.mkdtemp(prefix="thfuzz")
        m = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2, name="d")])
        m.save(os.path.join(d, "m.keras"))
        m.save_weights(os.path.join(d, "m.weights.h5"))
        for ext in ("keras", "weights.h5"):
            with open(os.path.join(d, f"m.{ext}"), "rb") as fh:
                _SAVED[ext] = fh.read()
        _SAVED["config"] = m.get_config()
        _SAVED["dir"] = d
    return _SAVED


def _corrupt(rng, data: bytes) -> tuple[bytes, str]:
    how = str(rng.choice(["truncate", "flip", "zero", "empty", "garbage"]))
    b = bytearray(data)
    if how == "truncate":
        k = int(rng.integers(0, len(b)))
        return bytes(b[:k]), f"truncated to {k} bytes"
    if how == "flip":
        ks = rng.integers(0, len(b), size=int(rng.integers(1, 8)))
        for k in ks:
            b[k] ^= 0xFF
        return bytes(b), f"bytes {sorted(ks.tolist())} flipped"
    if how == "zero":
        k = int(rng.integers(0, len(b)))
        n = int(rng.integers(1, 256))
        b[k : k + n] = bytes(len(b[k : k + n]))
        return bytes(b), f"{n} bytes zeroed at {k}"
    if how == "empty":
        return b"", "empty"
    return rng.bytes(int(rng.integers(1, 200))), "random bytes"


LOAD_ERRORS = (ValueError, TypeError, OSError, zipfile.BadZipFile, EOFError)


@entry("keras.load_model", "loader", 1.0)
def _load_model(rng):
    saved = _saved_model()
    data, how = _corrupt(rng, saved["keras"])
    path = os.path.join(saved["dir"], "c.keras")

    def call():
        with open(path, "wb") as fh:
            fh.write(data)
        m = tf.keras.models.load_model(path)
        return m(np.ones((1, 3), np.float32))

    return Case(
        "keras.load_model",
        f"tf.keras.models.load_model(<m.keras {how}>)",
        call,
        error_classes=(tf.errors.OpError, *LOAD_ERRORS),
    )


@entry("keras.load_weights", "loader", 1.0)
def _load_weights(rng):
    saved = _saved_model()
    data, how = _corrupt(rng, saved["weights.h5"])
    path = os.path.join(saved["dir"], "c.weights.h5")

    def call():
        with open(path, "wb") as fh:
            fh.write(data)
        m = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2, name="d")])
        m.load_weights(path)
        return m(np.ones((1, 3), np.float32))

    # RuntimeError: h5py's class for a damaged HDF5 file, which Keras lets through too
    return Case(
        "keras.load_weights",
        f"model.load_weights(<m.weights.h5 {how}>)",
        call,
        error_classes=(tf.errors.OpError, RuntimeError, *LOAD_ERRORS),
    )


def _mangle(rng, obj, depth=0):
    """The config with one random change: a key dropped, a value of another type, a bad number."""
    if isinstance(obj, dict) and obj:
        keys = sorted(obj)
        k = keys[int(rng.integers(len(keys)))]
        out = dict(obj)
        r = rng.random()
        if r < 0.25 and depth > 0:
            del out[k]
            return out, f"dropped {k!r}"
        if r < 0.6 and isinstance(obj[k], (dict, list)) and obj[k]:
            out[k], what = _mangle(rng, obj[k], depth + 1)
            return out, f"{k}.{what}"
        bad = [None, -1, 0, "??", [], {}, 1e300, True, [1, 2]][int(rng.integers(9))]
        out[k] = bad
        return out, f"{k}={bad!r}"
    if isinstance(obj, list) and obj:
        k = int(rng.integers(len(obj)))
        out = list(obj)
        if rng.random() < 0.3:
            del out[k]
            return out, f"[{k}] dropped"
        out[k], what = _mangle(rng, obj[k], depth + 1)
        return out, f"[{k}].{what}"
    return None, "None"


@entry("keras.from_config", "loader", 2.0)
def _from_config(rng):
    cfg = _saved_model()["config"]
    bad, what = _mangle(rng, json.loads(json.dumps(cfg)))
    if rng.random() < 0.1:
        bad = {k: v for k, v in cfg.items() if k != "layers"}
        what = "no 'layers'"
    desc = f"tf.keras.Sequential.from_config(<config: {what}>)"

    def call():
        m = tf.keras.Sequential.from_config(bad)
        return m(np.ones((1, 3), np.float32))

    return Case("keras.from_config", desc, call)


@entry("keras.fit", "keras", 0.3)
def _fit(rng):
    epochs = int(rng.choice([0, 1, -1]))
    bs = int(rng.choice([1, 4, 0, -2]))
    n = int(rng.integers(0, 5))
    x = draw_values(rng, "float32", (n, 3), "small")
    y = draw_values(rng, "float32", (n, 1), "small")

    def call():
        m = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(1)])
        m.compile(optimizer="sgd", loss="mse")
        h = m.fit(x, y, epochs=epochs, batch_size=bs, verbose=0)
        return type(h).__name__

    desc = f"model.fit({describe(x)}, {describe(y)}, epochs={epochs}, batch_size={bs})"
    return Case("keras.fit", desc, call)


# ---- more variants: traced binaries, tapes over every float unary, convolutions, segments ----


def _make_tape_any(name):
    def make(rng):
        fn = api(name)
        dtype = draw_dtype(rng, ["float32", "float64", "float16"])
        x = draw_values(rng, dtype, draw_shape(rng))
        desc = f"tape: d/dx sum(tf.{name}(x)), x={describe(x)}"

        def call():
            v = tf.constant(x, getattr(tf, dtype))
            with tf.GradientTape() as tape:
                tape.watch(v)
                y = tf.reduce_sum(tf.cast(fn(v), v.dtype))
            return tape.gradient(y, v)

        def check(out):
            if out is None:
                return None  # not differentiable (TF's None)
            got = to_numpy(out)
            if got.shape != x.shape:
                return f"gradient shape {got.shape} != input {x.shape}"
            if out_dtype(out) != dtype:
                return f"gradient dtype {out_dtype(out)} != {dtype}"
            return None

        return Case("tape:" + name, desc, call, check)

    return make


for _n in BINARY:
    entry("fn:" + _n, "function", 0.3)(functools.partial(_make_binary(_n), variant="fn"))
for _n in UNARY:
    if set(UNARY[_n][1]) & {"float32"} and _n not in DERIV:
        entry("tape:" + _n, "tape", 0.3)(_make_tape_any(_n))


@entry("nn.conv2d_transpose", "nn")
def _conv2d_transpose(rng):
    h, w, cin, cout = (int(rng.integers(1, 5)) for _ in range(4))
    k = int(rng.integers(1, 4))
    s = int(rng.choice([1, 2]))
    padding = str(rng.choice(["SAME", "VALID"]))
    x = draw_values(rng, "float32", (1, h, w, cin), "small")
    f = draw_values(rng, "float32", (k, k, cout, cin), "small")
    oh = h * s if padding == "SAME" else (h - 1) * s + k
    ow = w * s if padding == "SAME" else (w - 1) * s + k
    out_shape = [1, oh, ow, cout]
    if rng.random() < 0.3:
        out_shape[int(rng.integers(0, 4))] = int(rng.choice([-1, 0, 2**40, 7]))
    call = lambda: tf.nn.conv2d_transpose(x, f, out_shape, s, padding)
    desc = f"tf.nn.conv2d_transpose({describe(x)}, {describe(f)}, {out_shape}, {s}, {padding!r})"
    if out_shape != [1, oh, ow, cout]:
        # TF takes any output size whose forward conv gives the input's size back
        def back_size(o):
            return -(-o // s) if padding == "SAME" else _valid_size(o, k, s)

        fits = out_shape[0] == 1 and out_shape[3] == cout and min(out_shape) >= 0
        fits = fits and max(out_shape) < 2**31
        if fits and back_size(out_shape[1]) == h and back_size(out_shape[2]) == w:
            return Case("nn.conv2d_transpose", desc, call)
        return Case("nn.conv2d_transpose", desc, call, expect_error=f"output_shape {out_shape}")

    def check(out):
        got = to_numpy(out)
        if list(got.shape) != out_shape:
            return f"shape {list(got.shape)} != {out_shape}"
        return None

    return Case("nn.conv2d_transpose", desc, call, check)


@entry("nn.conv1d", "nn")
def _conv1d(rng):
    n, w, c, k, co = 1, int(rng.integers(0, 7)), int(rng.integers(1, 3)), int(rng.integers(1, 4)), 2
    s = int(rng.choice([1, 2, 0]))
    padding = str(rng.choice(["SAME", "VALID"]))
    x = draw_values(rng, "float64", (n, w, c), "small")
    f = draw_values(rng, "float64", (k, c, co), "small")
    call = lambda: tf.nn.conv1d(x, f, s, padding)
    desc = f"tf.nn.conv1d({describe(x)}, {describe(f)}, {s}, {padding!r})"
    if s < 1:
        return Case("nn.conv1d", desc, call, expect_error="stride 0")
    if w == 0:
        return Case("nn.conv1d", desc, call)
    if padding == "VALID" and _valid_size(w, k, s) < 0:
        return Case("nn.conv1d", desc, call, expect_error="VALID window exceeds the input")

    def ref():
        out = _np_conv2d(x[:, None], f[None], (1, s), padding)
        return out[:, 0]

    return Case("nn.conv1d", desc, call, _numpy_check(ref, "float64", exact=False))


@entry("nn.depthwise_conv2d", "nn")
def _depthwise(rng):
    h, w, c, m = (int(rng.integers(1, 5)) for _ in range(4))
    k = int(rng.integers(0, 3))
    padding = str(rng.choice(["SAME", "VALID"]))
    x = draw_values(rng, "float64", (1, h, w, c), "small")
    f = draw_values(rng, "float64", (k, k, c, m), "small")
    call = lambda: tf.nn.depthwise_conv2d(x, f, [1, 1, 1, 1], padding)
    desc = f"tf.nn.depthwise_conv2d({describe(x)}, {describe(f)}, {padding!r})"
    if k == 0:
        return Case("nn.depthwise_conv2d", desc, call)  # TF 2.21 returns these unchecked
    if padding == "VALID" and (_valid_size(h, k, 1) < 0 or _valid_size(w, k, 1) < 0):
        return Case("nn.depthwise_conv2d", desc, call, expect_error="VALID window exceeds input")

    def ref():
        outs = [
            _np_conv2d(x[..., i : i + 1], f[:, :, i : i + 1, :], (1, 1), padding) for i in range(c)
        ]
        return np.concatenate(outs, axis=-1)

    return Case("nn.depthwise_conv2d", desc, call, _numpy_check(ref, "float64", exact=False))


@entry("math.segment_sum", "array")
def _segment_sum(rng):
    n = int(rng.integers(0, 6))
    x = draw_values(rng, "float64", (n, 2), "small")
    ids = np.sort(rng.integers(0, 4, size=n))
    r = rng.random()
    if r < 0.1 and n:
        ids[-1] = int(rng.choice([-1, 2**40, 2**31]))
    elif r < 0.2 and n > 1:
        ids = ids[::-1].copy()
    unsorted = bool(rng.random() < 0.4)
    num = int(rng.choice([4, 0, -1, 2**40])) if rng.random() < 0.3 else 4
    if unsorted:
        call = lambda: tf.math.unsorted_segment_sum(x, ids, num)
        desc = f"tf.math.unsorted_segment_sum({describe(x)}, {ids.tolist()}, {num})"
    else:
        call = lambda: tf.math.segment_sum(x, ids)
        desc = f"tf.math.segment_sum({describe(x)}, {ids.tolist()})"
    name = "math.segment_sum"
    if unsorted and num < 0:
        return Case(name, desc, call, expect_error="negative num_segments")
    if unsorted and num > 2**30:
        return Case(name, desc, call)  # TF 2.21 takes num_segments as an int32
    if n and (ids.min() < 0 or (unsorted and ids.max() >= num)):
        if unsorted and ids.min() < 0:
            return Case(name, desc, call)  # TF drops negative ids in unsorted_segment_sum
        return Case(name, desc, call, expect_error="segment id out of range")
    if not unsorted and n and (np.any(np.diff(ids) < 0) or ids.max() > 2**30):
        return Case(name, desc, call, expect_error="ids not sorted or huge")

    def ref():
        k = num if unsorted else (int(ids.max()) + 1 if n else 0)
        out = np.zeros((k, 2))
        np.add.at(out, ids, x)
        return out

    return Case(name, desc, call, _numpy_check(ref, "float64", exact=False))


@entry("variable", "array", 2.0)
def _variable(rng):
    dtype = draw_dtype(rng, ["float32", "float64", "int32", "int64"])
    x = draw_values(rng, dtype, draw_shape(rng, 2), "small")
    op = str(rng.choice(["assign", "assign_add", "assign_sub"]))
    vdt = dtype if rng.random() < 0.85 else draw_dtype(rng, ["float32", "int32", "float16"])
    shape = x.shape if rng.random() < 0.85 else tuple(d + 1 for d in x.shape) + (1,)
    y = draw_values(rng, vdt, shape, "small")

    def call():
        v = tf.Variable(x)
        getattr(v, op)(tf.constant(y, getattr(tf, vdt)))
        return v.read_value()

    desc = f"tf.Variable({describe(x)}).{op}({describe(y)})"
    if vdt != dtype or shape != x.shape:
        return Case("variable", desc, call, expect_error="another dtype or shape")

    def ref():
        if op == "assign":
            return y
        with np.errstate(all="ignore"):
            return (x + y if op == "assign_add" else x - y).astype(x.dtype)

    return Case("variable", desc, call, _numpy_check(ref, dtype))


@entry("einsum", "linalg", 0.5)
def _einsum(rng):
    eq, shapes = [
        ("ij,jk->ik", [(2, 3), (3, 4)]),
        ("ij->ji", [(2, 3)]),
        ("ii->i", [(3, 3)]),
        ("bij,bjk->bik", [(2, 2, 3), (2, 3, 1)]),
        ("i,i->", [(4,), (4,)]),
        ("ij,jk->ik", [(2, 3), (4, 4)]),
        ("ij->k", [(2, 3)]),
    ][int(rng.integers(7))]
    xs = [draw_values(rng, "float64", sh, "small") for sh in shapes]
    call = lambda: tf.einsum(eq, *xs)
    desc = f"tf.einsum({eq!r}, {', '.join(describe(a) for a in xs)})"
    return Case("einsum", desc, call, _numpy_check(lambda: np.einsum(eq, *xs), "float64", False))


@entry("linspace", "array", 0.5)
def _linspace(rng):
    start, stop = float(rng.integers(-5, 5)), float(rng.integers(-5, 5))
    num = int(rng.choice([0, 1, 2, 5, -1, 2**40]))
    call = lambda: tf.linspace(start, stop, num)
    desc = f"tf.linspace({start}, {stop}, {num})"
    if num < 0:
        return Case("linspace", desc, call, expect_error="negative num")
    if num > 2**30:
        return Case("linspace", desc, call)  # TF 2.21 takes num as an int32
    ref = lambda: np.linspace(start, stop, num).astype(np.float32)
    return Case("linspace", desc, call, _numpy_check(ref, "float32", exact=False))


# ---- self-test entries: the classes the parent must catch (never drawn by a campaign) --------


def _selftest(kind):
    def make(rng):
        import signal
        import time

        def call():
            if kind == "crash":
                os.kill(os.getpid(), signal.SIGSEGV)
            if kind == "hang":
                time.sleep(3600)
            if kind == "leak":
                _LEAKED.append(np.ones(2**23))  # 64 MiB per case, kept
                return 0
            if kind == "raw":  # an exception class from a library frame, not this file's
                return zipfile.ZipFile(io.BytesIO(b"not a zip"))
            return tf.constant([1.0, 2.0])

        check = (lambda out: "wrong on purpose") if kind == "mismatch" else None
        return Case("selftest." + kind, f"selftest {kind}", call, check)

    return make


_LEAKED: list = []
for _k in ("crash", "hang", "leak", "raw", "mismatch", "ok"):
    entry("selftest." + _k, "selftest", 0.0)(_selftest(_k))


# ---- the table ------------------------------------------------------------------------------

NAMES = sorted(n for n in ENTRIES if ENTRIES[n][0] != "selftest")
_WEIGHTS = np.array([ENTRIES[n][2] for n in NAMES], dtype=np.float64)
_CUM = np.cumsum(_WEIGHTS / _WEIGHTS.sum())


def pick_entry(seed: int, index: int) -> tuple[str, np.random.Generator]:
    """The entry and the argument generator of case ``(seed, index)``."""
    rng = np.random.default_rng([seed, index])
    k = int(np.searchsorted(_CUM, rng.random(), side="right"))
    return NAMES[min(k, len(NAMES) - 1)], rng


def build_case(seed: int, index: int, only: str | None = None) -> Case:
    """Case ``(seed, index)``: the same call every time (``only``: an entry name filter)."""
    name, rng = pick_entry(seed, index)
    if only is not None:
        name = entries_matching(only)[index % len(entries_matching(only))]
    family, make, _ = ENTRIES[name]
    return make(rng)


def entries_matching(only: str) -> list[str]:
    """The entries named ``only`` or starting with it (self-tests only when named)."""
    names = [n for n in sorted(ENTRIES) if n == only or n.startswith(only)]
    if not names:
        raise ValueError(f"no fuzz entry starts with {only!r}")
    return names


def table_summary() -> str:
    fams: dict[str, int] = {}
    for n in NAMES:
        fams[ENTRIES[n][0]] = fams.get(ENTRIES[n][0], 0) + 1
    return f"{len(NAMES)} entries: " + ", ".join(f"{k} {v}" for k, v in sorted(fams.items()))
