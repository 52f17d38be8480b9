"""Every CPU kernel that tensorhouse_kernels registers, checked against a NumPy reference.

The parameters come from the runtime's registry, not from a hand-written list: a registered
(op, dtype) with no entry in ``TABLE`` fails, so the table has to grow with the kernels.
Each entry is a NumPy reference, an input generator and the cases (input shapes and attrs)
to run: scalars, zero-size dims and broadcasting are in the cases of every op they apply to.
"""

from __future__ import annotations

import importlib.util
import itertools
import math
import zlib
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pytest

import tensorhouse_kernels as tk
from tensorhouse_hw_runtime import get_device
from tensorhouse_hw_runtime.registry import list_kernels

CPU = get_device("/device:CPU:0")
SOURCE_PREFIX = "tensorhouse_kernels"
ALL_DTYPES = ("float32", "float64", "int32", "int64", "uint8", "bool")
# Cast also converts to and from 16-bit float storage (bfloat16 with ml_dtypes, as the kernels)
CAST16_DTYPES = ("float16",) + (("bfloat16",) if importlib.util.find_spec("ml_dtypes") else ())
if "bfloat16" in CAST16_DTYPES:
    import ml_dtypes  # noqa: F401 - the kernels add bfloat16 when ml_dtypes is first loaded


def registered_kernels():
    return sorted(
        {
            (k.op_type, k.dtype)
            for k in list_kernels(device_type="CPU")
            if k.source.startswith(SOURCE_PREFIX) and k.dtype != "object"
        }  # tf.string's kernels (object arrays of bytes): test_string_kernels.py
    )


REGISTERED = registered_kernels()


# ---- comparison -------------------------------------------------------------------------------


def tolerance(dtype):
    dtype = np.dtype(dtype)
    if dtype == np.complex64:
        return dict(rtol=1e-5, atol=1e-5)
    if dtype == np.complex128:
        return dict(rtol=1e-12, atol=1e-12)
    if dtype == np.float32:
        return dict(rtol=1e-5, atol=1e-5)
    if dtype == np.float64:
        return dict(rtol=1e-12, atol=1e-12)
    return dict(rtol=0, atol=0)


# 16-bit floats compute in float32 and round each result: the reference is the float32 one,
# rounded; a float32 result one ulp off NumPy's may round to the neighbouring 16-bit value.
HALF_TOLERANCE = {"float16": dict(rtol=2e-3, atol=2e-3), "bfloat16": dict(rtol=1.6e-2, atol=1.6e-2)}


def assert_matches(out, expected, what="", tol=None):
    expected = np.asarray(expected)
    assert isinstance(out, np.ndarray), what
    assert out.dtype == expected.dtype, f"{what}: dtype {out.dtype} != {expected.dtype}"
    assert out.shape == expected.shape, f"{what}: shape {out.shape} != {expected.shape}"
    assert out.flags.c_contiguous, what
    if tol is not None:
        out, expected = out.astype(np.float32), expected.astype(np.float32)
        np.testing.assert_allclose(out, expected, equal_nan=True, err_msg=what, **tol)
    elif expected.dtype.name == "bfloat16":  # compare the exact values, NaN payloads aside
        out, expected = out.astype(np.float32), expected.astype(np.float32)
        np.testing.assert_allclose(out, expected, rtol=0, atol=0, equal_nan=True, err_msg=what)
    elif expected.dtype.kind in "fc":
        np.testing.assert_allclose(
            out, expected, equal_nan=True, err_msg=what, **tolerance(out.dtype)
        )
    else:
        np.testing.assert_array_equal(out, expected, err_msg=what)


# ---- input generators -------------------------------------------------------------------------


def values(rng, dtype, shape, lo=-3.0, hi=3.0):
    """Random values of ``dtype``: floats in [lo, hi), ints in a small symmetric range."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if dtype == np.uint8:
        return rng.integers(0, 256, size=shape).astype(dtype)
    if dtype.kind == "i":
        return rng.integers(-20, 21, size=shape).astype(dtype)
    if dtype.kind == "c":  # both parts random
        re, im = rng.uniform(lo, hi, size=shape), rng.uniform(lo, hi, size=shape)
        return (re + 1j * im).astype(dtype)
    return rng.uniform(lo, hi, size=shape).astype(dtype)


def uniform(lo, hi):
    return lambda rng, dtype, shape: values(rng, dtype, shape, lo, hi)


def away_from_zero(rng, dtype, shape):
    mag = rng.uniform(0.2, 3.0, size=shape)
    sign = np.where(rng.random(shape) < 0.5, -1.0, 1.0)
    return (mag * sign).astype(dtype)


def small_ints(rng, dtype, shape):
    """Values from {-2..2}: comparisons see ties, ReluGrad sees features equal to 0."""
    return rng.integers(-2, 3, size=shape).astype(dtype)


def prod_friendly(rng, dtype, shape):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return rng.uniform(0.5, 1.5, size=shape).astype(dtype)
    return rng.choice(np.array([-1, 1, 1, 1, 2]), size=shape).astype(dtype)


# ---- case lists -------------------------------------------------------------------------------

UNARY_SHAPES = [(), (0,), (1,), (7,), (3, 4), (2, 0, 3), (2, 3, 5)]
BINARY_SHAPES = [
    ((), ()),
    ((5,), (5,)),
    ((3, 4), (3, 4)),
    ((3, 1, 4), (5, 1)),
    ((5, 1), (3, 1, 4)),
    ((), (2, 3)),
    ((2, 3), ()),
    ((4, 1), (1, 6)),
    ((2, 1, 3), (2, 4, 1)),
    ((1,), (3, 2)),
    ((0, 3), (1, 3)),
    ((4, 1), (1, 0)),
    ((2, 0), ()),
]
REDUCE_AXES = [
    None, [], [0], [1], [2], [-1], [0, 1], [0, 2], [1, 2], [2, 0], [-1, -3], [0, 1, 2], 1, -2,
]  # fmt: skip


def unary_cases(dtype):
    return [((s,), {}) for s in UNARY_SHAPES]


def binary_cases(dtype):
    return [(pair, {}) for pair in BINARY_SHAPES]


def reduce_cases(dtype):
    cases = []
    for keep in (False, True):
        for axis in REDUCE_AXES:
            cases.append((((3, 4, 5),), {"axis": axis, "keep_dims": keep}))
        # size-1 dims, which the kernel's loop planner drops
        for axis in ([0, 2], [1], [3], [1, 3], None):
            cases.append((((1, 4, 1, 3),), {"axis": axis, "keep_dims": keep}))
        # empty reductions and empty outputs
        for axis in ([1], [0], [0, 2], None, [2]):
            cases.append((((3, 0, 2),), {"axis": axis, "keep_dims": keep}))
        # scalars
        cases.append((((),), {"axis": None, "keep_dims": keep}))
        cases.append((((),), {"axis": [], "keep_dims": keep}))
        # a long kept inner dim and a long reduced inner dim
        cases.append((((3, 257),), {"axis": [0], "keep_dims": keep}))
        cases.append((((3, 257),), {"axis": [1], "keep_dims": keep}))
    return cases


def matmul_cases(dtype):
    cases = []
    for (m, k, n), ta, tb in itertools.product(
        [(1, 1, 1), (2, 3, 4), (5, 7, 3), (33, 17, 65), (0, 3, 4), (3, 0, 4), (3, 4, 0)],
        (False, True),
        (False, True),
    ):
        a = (k, m) if ta else (m, k)
        b = (n, k) if tb else (k, n)
        cases.append(((a, b), {"transpose_a": ta, "transpose_b": tb}))
    return cases


def transpose_cases(dtype):
    cases = [(((2, 3, 4),), {"perm": list(p)}) for p in itertools.permutations(range(3))]
    cases += [
        (((),), {"perm": []}),
        (((5,),), {"perm": [0]}),
        (((0, 3),), {"perm": [1, 0]}),
        (((1, 5),), {"perm": [1, 0]}),
        (((2, 1, 3, 2),), {"perm": [3, 1, 0, 2]}),
    ]
    return cases


def broadcast_to_cases(dtype):
    return [
        (((3, 1),), {"shape": (2, 3, 4)}),
        (((),), {"shape": (5,)}),
        (((),), {"shape": ()}),
        (((1,),), {"shape": (0,)}),
        (((2, 1, 3),), {"shape": (2, 4, 3)}),
        (((4,),), {"shape": (4,)}),
        (((1, 1),), {"shape": (3, 2)}),
        (((4,),), {"shape": (3, 2, 4)}),
    ]


def bitcast_cases(dtype):
    """To the same-size unsigned int, to uint8 (a dim added), to a wider type (a dim taken)."""
    size = np.dtype(dtype).itemsize
    same = {1: "uint8", 2: "uint16", 4: "uint32", 8: "uint64", 16: "complex128"}[size]
    cases = [(((2, 3),), {"type": same}), (((),), {"type": same})]
    if size > 1:
        cases.append((((2, 3),), {"type": "uint8"}))
    if size < 8:
        cases.append((((3, 8 // size),), {"type": "uint64"}))
    elif size == 8:
        cases.append((((3, 2),), {"type": "complex128"}))
    return cases


def bitcast_ref(inputs, attrs):
    x, dt = inputs[0], np.dtype(attrs["type"])
    shape = x.shape[:-1] if dt.itemsize > x.dtype.itemsize else x.shape
    ratio = x.dtype.itemsize // dt.itemsize
    return x.reshape(-1).view(dt).reshape(shape + ((ratio,) if ratio > 1 else ()))


def eig_cases(dtype):
    return [(((4, 4),), {"compute_v": True}), (((2, 3, 3),), {"compute_v": False}),
            (((0, 2, 2),), {"compute_v": True})]  # fmt: skip


def eig_ref(inputs, attrs):  # NumPy's geev, as Qr / Svd take NumPy's LAPACK calls
    x = inputs[0]
    out = np.complex64 if x.dtype == np.float32 else np.complex128
    if not attrs["compute_v"]:
        return np.linalg.eigvals(x).astype(out), np.zeros((0,), out)
    e, v = np.linalg.eig(x) if x.size else (np.zeros(x.shape[:-1]), x)
    return e.astype(out), v.astype(out)


def reshape_cases(dtype):
    return [
        (((2, 3, 4),), {"shape": (4, 6)}),
        (((2, 3, 4),), {"shape": (-1,)}),
        (((2, 3, 4),), {"shape": [2, -1, 2]}),
        (((),), {"shape": (1, 1)}),
        (((1, 1),), {"shape": ()}),
        (((0, 3),), {"shape": (3, 0)}),
    ]


def cast_cases(dtype):  # inputs come from cast_inputs
    dsts = ALL_DTYPES + CAST16_DTYPES
    if np.dtype(dtype).kind in "fc":
        dsts += ("complex64", "complex128")
    return [(((0,),), {"DstT": dst}) for dst in dsts]


def fill_cases(dtype):
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        vals = [1, 0]
    elif dtype == np.uint8:
        vals = [7, 200]
    elif dtype.kind == "i":
        vals = [7, -3]
    else:
        vals = [3.25, -1.5]
    return [
        ((), {"shape": shape, "dtype": dtype.name, "value": v})
        for shape in [(), (0,), (4,), (2, 3), (2, 0, 5)]
        for v in vals
    ]


def random_cases(dtype):
    return [
        ((), {"shape": shape, "dtype": np.dtype(dtype).name, "seed": s, "seed2": s2})
        for shape in [(), (1,), (7,), (2, 3), (3, 0), (5, 5)]
        for s, s2 in [(0, 0), (1, 2), (2**40 + 5, 3), (87654321, 2**33 + 1)]
    ]


# ---- references -------------------------------------------------------------------------------


def np_unary(fn):
    def ref(inputs, attrs):
        (x,) = inputs
        return np.asarray(fn(x)).astype(x.dtype)

    return ref


def np_binary(fn):
    def ref(inputs, attrs):
        a, b = inputs
        return np.asarray(fn(a, b)).astype(a.dtype)

    return ref


def np_compare(fn):
    return lambda inputs, attrs: np.asarray(fn(*inputs))


def reduce_axes(attrs, ndim):
    axis = attrs.get("axis")
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int):
        axis = [axis]
    return tuple(sorted({a % ndim for a in axis}))


def np_reduce(kind):
    """TF's reductions, empty ones included: Sum 0, Prod 1, Max -inf, Min +inf, Mean NaN."""

    def ref(inputs, attrs):
        (x,) = inputs
        dt = x.dtype
        axes = reduce_axes(attrs, x.ndim)
        keep = bool(attrs.get("keep_dims", False))
        is_float = dt.kind in "fc"
        acc = np.complex128 if dt.kind == "c" else np.float64 if is_float else np.int64
        count = math.prod(x.shape[a] for a in axes)
        if kind == "Sum":
            out = np.sum(x, axis=axes, keepdims=keep, dtype=acc)
        elif kind == "Prod":
            out = np.prod(x, axis=axes, keepdims=keep, dtype=acc)
        elif kind == "Max":
            lowest = -np.inf if is_float else np.iinfo(dt).min
            out = np.max(x, axis=axes, keepdims=keep, initial=lowest)
        elif kind == "Min":
            highest = np.inf if is_float else np.iinfo(dt).max
            out = np.min(x, axis=axes, keepdims=keep, initial=highest)
        else:  # Mean; ints truncate toward zero, as TF
            s = np.sum(x, axis=axes, keepdims=keep, dtype=acc)
            if is_float:
                out = s / count if count else np.full_like(s, np.nan)
            else:
                out = np.sign(s) * (np.abs(s) // count) if count else np.zeros_like(s)
        return np.asarray(out).astype(dt)

    return ref


def matmul_ref(inputs, attrs):
    a, b = (x.astype(np.complex128 if x.dtype.kind == "c" else np.float64) for x in inputs)
    a = a.T if attrs["transpose_a"] else a
    b = b.T if attrs["transpose_b"] else b
    return (a @ b).astype(inputs[0].dtype)


def saturate(v, dst):
    """TF's float -> int cast: NaN -> 0, out-of-range saturates, else truncation."""
    info = np.iinfo(dst)
    if math.isnan(v):
        return 0
    if v <= info.min:
        return info.min
    if v >= info.max:
        return info.max
    return int(v)


def cast_ref(inputs, attrs):
    (x,) = inputs
    dst = np.dtype(attrs["DstT"])
    if x.dtype.kind == "c" and dst.kind != "c":  # TF's: the real part
        x = x.real
    if x.dtype.itemsize == 2 and x.dtype.kind in "fV" and dst.itemsize != 2:
        x = x.astype(np.float32)  # 16-bit storage widens exactly
    if x.dtype.kind == "f" and dst.kind in "iu":
        return np.array([saturate(float(v), dst) for v in x.ravel()], dtype=dst).reshape(x.shape)
    with np.errstate(over="ignore"):  # float64 -> float32 overflows to inf, as in C++
        return x.astype(dst)


CAST_VALUES = {
    "float32": [0.0, -0.0, 0.5, -0.5, 1.7, -1.7, 127.9, 128.5, 200.9, 255.0, 255.5, 256.5, -1.0,
                -129.3, 2147483520.0, -2147483648.0, 3e9, -3e9, 1e19, -1e19, 1e30,
                np.inf, -np.inf, np.nan],
    "float64": [0.0, -0.0, 0.5, -0.5, 1.7, -1.7, 127.9, 128.5, 255.0, 255.99, 256.0, -1.0,
                -129.3, 2147483647.0, 2147483647.5, 2147483648.0, -2147483648.0, -2147483649.0,
                2.0**62, 2.0**63, -(2.0**63), 1e19, -1e19, 1e300, -1e300, 1e-300,
                np.inf, -np.inf, np.nan],
    "int32": [0, 1, -1, 127, 128, 255, 256, -128, -129, 65537, 2**24 + 1, 2**31 - 1, -(2**31)],
    "int64": [0, 1, -1, 127, 128, 255, 256, -129, 2**31 - 1, 2**31, -(2**31) - 1, 2**40 + 3,
              2**53 + 1, 2**63 - 1, -(2**63)],
    "uint8": [0, 1, 2, 127, 128, 200, 255],
    "int8": [0, 1, -1, 127, -128, 5, -77],
    "int16": [0, 1, -1, 127, 128, 255, 256, -129, 32767, -32768],
    "bool": [True, False, True],
    "complex64": [0, 1.5 - 2j, -1.7 + 0.5j, 300.5 + 1j, -129.3 - 7j, 3e9 + 1j, complex(np.nan, 1),
                  complex(np.inf, -2)],
    "complex128": [0, 1.5 - 2j, -1.7 + 0.5j, 300.5 + 1j, 2147483648.0 + 3j, 1e300 - 1e300j,
                   complex(np.nan, 1), complex(-np.inf, 2)],
    "float16": [0.0, -0.0, 0.5, -1.5, 2.5, 255.5, -129.3, 300.7, 65504.0, -65504.0, 6e-8, 1e-5,
                np.inf, -np.inf, np.nan],
    "bfloat16": [0.0, -0.0, 1.5, -2.5, 255.5, -129.3, 2.0**31, 3e38, -3e38, 1e-39,
                 np.inf, -np.inf, np.nan],
}  # fmt: skip


def cast_inputs(rng, dtype, shapes):
    if dtype in ("float16", "bfloat16"):
        special = np.array(CAST_VALUES[dtype]).astype(dtype)
        return [np.concatenate([special, rng.uniform(-300, 300, 40).astype(dtype)])]
    special = np.array(CAST_VALUES[dtype], dtype=dtype)
    return [np.concatenate([special, values(rng, dtype, (20,))])]


def fill_ref(inputs, attrs):
    return np.full(attrs["shape"], attrs["value"]).astype(attrs["dtype"])


# Philox4x32-10 (Salmon et al., SC'11), written from the paper: an independent reference.
_MASK = 0xFFFFFFFF


def philox4x32_10(seed, seed2, block):
    c = [block & _MASK, (block >> 32) & _MASK, seed2 & _MASK, (seed2 >> 32) & _MASK]
    k0, k1 = seed & _MASK, (seed >> 32) & _MASK
    for _ in range(10):
        p0, p1 = 0xD2511F53 * c[0], 0xCD9E8D57 * c[2]
        c = [(p1 >> 32) ^ c[1] ^ k0, p1 & _MASK, (p0 >> 32) ^ c[3] ^ k1, p0 & _MASK]
        k0, k1 = (k0 + 0x9E3779B9) & _MASK, (k1 + 0xBB67AE85) & _MASK
    return c


def philox_uniform(seed, seed2, n, dtype):
    """Element i comes from block i // per_block: 4 float32s or 2 float64s per block."""
    dtype = np.dtype(dtype)
    per_block = 4 if dtype == np.float32 else 2
    out = []
    for blk in range((n + per_block - 1) // per_block):
        w = philox4x32_10(seed, seed2, blk)
        if dtype == np.float32:
            bits = np.array([(x >> 9) | 0x3F800000 for x in w], dtype=np.uint32)
            out.extend(bits.view(np.float32) - np.float32(1))
        else:
            mant = [
                ((w[0] << 20) ^ w[1]) & ((1 << 52) - 1),
                ((w[2] << 20) ^ w[3]) & ((1 << 52) - 1),
            ]
            bits = np.array([0x3FF0000000000000 | m for m in mant], dtype=np.uint64)
            out.extend(bits.view(np.float64) - 1.0)
    return np.array(out, dtype=dtype), per_block


def random_uniform_ref(inputs, attrs):
    n = math.prod(attrs["shape"])
    u, _ = philox_uniform(attrs["seed"], attrs["seed2"], n, attrs["dtype"])
    return u[:n].reshape(attrs["shape"])


def random_normal_ref(inputs, attrs):
    """Box-Muller on consecutive pairs within each block."""
    dtype = np.dtype(attrs["dtype"])
    n = math.prod(attrs["shape"])
    u, _ = philox_uniform(attrs["seed"], attrs["seed2"], n, dtype)
    u1 = np.maximum(u[0::2], np.finfo(dtype).tiny)
    u2 = u[1::2]
    r = np.sqrt(dtype.type(-2) * np.log(u1))
    theta = dtype.type(2 * np.pi) * u2
    z = np.empty_like(u)
    z[0::2], z[1::2] = r * np.sin(theta), r * np.cos(theta)
    return z[:n].reshape(attrs["shape"])


def random_int_cases(dtype):
    bounds = [(0, 10), (-5, 3), (-(2**31), 2**31 - 1), (7, 8)]
    if dtype == "int64":
        bounds += [(-(2**62), 2**62), (2**40, 2**40 + 3)]
    return [
        ((), dict(c[1], dtype=dtype, minval=lo, maxval=hi))
        for c in random_cases("float32")[::3]
        for lo, hi in bounds
    ]


def random_int_ref(inputs, attrs):
    dtype = np.dtype(attrs["dtype"])
    n = math.prod(attrs["shape"])
    per_block = 4 if dtype == np.int32 else 2
    span = attrs["maxval"] - attrs["minval"]
    out = []
    for blk in range((n + per_block - 1) // per_block):
        w = philox4x32_10(attrs["seed"], attrs["seed2"], blk)
        words = w if per_block == 4 else [(w[0] << 32) | w[1], (w[2] << 32) | w[3]]
        out.extend(attrs["minval"] + x % span for x in words)
    return np.array(out[:n], dtype=dtype).reshape(attrs["shape"])


def truncated_normal_ref(inputs, attrs):
    """Element i tries blocks i, i + n, ...: two Box-Muller normals each, the first inside 2."""
    dtype = np.dtype(attrs["dtype"])
    n = math.prod(attrs["shape"])
    out = np.empty(n, dtype)
    for i in range(n):
        attempt = 0
        while True:
            w = philox4x32_10(attrs["seed"], attrs["seed2"], i + attempt * n)
            if dtype == np.float32:
                bits = np.array([(x >> 9) | 0x3F800000 for x in w[:2]], dtype=np.uint32)
                u = bits.view(np.float32) - np.float32(1)
            else:
                low = (1 << 52) - 1
                mant = [((w[0] << 20) ^ w[1]) & low, ((w[2] << 20) ^ w[3]) & low]
                u = np.array([0x3FF0000000000000 | m for m in mant], np.uint64).view(np.float64) - 1
            r = np.sqrt(dtype.type(-2) * np.log(max(u[0], np.finfo(dtype).tiny)))
            theta = dtype.type(2 * np.pi) * u[1]
            z = [r * np.sin(theta), r * np.cos(theta)]
            inside = [v for v in z if abs(v) < 2]
            if inside:
                out[i] = inside[0]
                break
            attempt += 1
    return out.reshape(attrs["shape"])


def seed_input(s0, s1):
    """A stateless op's seed input: the two words as int64 (two's complement)."""
    return np.array([s0 & 2**64 - 1, s1 & 2**64 - 1], np.uint64).view(np.int64)


def stateless_cases(dtype):
    return [
        ((seed_input(a["seed"], a["seed2"]),), {"shape": a["shape"], "dtype": dtype})
        for _, a in random_cases(dtype)
    ]


def seed_as_input(rng, dtype, shapes):
    """The stateless cases' inputs: their seed arrays, which stand where shapes would."""
    return [shapes[0]]


def with_seed_attrs(ref):
    """``ref`` (of the stateful op) on the seed input's two words as seed and seed2."""

    def run(inputs, attrs):
        s0, s1 = (int(v) for v in inputs[0])
        return ref([], dict(attrs, seed=s0, seed2=s1))

    return run


def stateless_int_ref(inputs, attrs):
    """RandomUniformInt's reference on the seed and bounds inputs."""
    seed, lo, hi = inputs
    return random_int_ref([], dict(attrs, seed=int(seed[0]), seed2=int(seed[1]),
                                   minval=int(lo), maxval=int(hi)))  # fmt: skip


def stateless(ref):
    return Ref(with_seed_attrs(ref), stateless_cases, make_inputs=seed_as_input)


class Ref(NamedTuple):
    reference: Callable  # (inputs, attrs) -> expected array
    cases: Callable = unary_cases  # dtype -> [(input shapes, attrs), ...]
    gen: Callable | tuple = values  # (rng, dtype, shape) -> array, or one per input
    make_inputs: Callable | None = None  # (rng, dtype, shapes) -> inputs, overrides gen


def unary(fn, gen=values):
    return Ref(np_unary(fn), unary_cases, gen)


def binary(fn, gen=values):
    return Ref(np_binary(fn), binary_cases, gen)


def compare(fn):
    return Ref(np_compare(fn), binary_cases, small_ints)


def reduction(kind, gen=values):
    return Ref(np_reduce(kind), reduce_cases, gen)


def contiguous(a):
    """A C-contiguous copy that keeps 0-d arrays 0-d (unlike np.ascontiguousarray)."""
    return np.array(a, order="C", copy=True)


def copy_of(fn):
    return lambda inputs, attrs: np.array(fn(inputs[0], attrs), order="C", copy=True)


# ---- elementwise additions ------------------------------------------------------------------

SELU_SCALE, SELU_ALPHA = 1.0507009873554804934193349852946, 1.6732632423543772848170429916717


def with_specials(rng, dtype, shape):
    """Floats with NaN, +-inf and exact halves mixed in (IsNan, IsFinite, Round)."""
    x = values(rng, dtype, shape, -4.0, 4.0)
    if x.size and np.dtype(dtype).kind == "f":
        flat = x.reshape(-1)
        picks = rng.integers(0, 6, size=flat.size)
        flat[picks == 0] = np.nan
        flat[picks == 1] = np.inf
        flat[picks == 2] = -np.inf
        halves = rng.integers(-9, 10, size=flat.size) + 0.5
        flat[picks == 3] = halves[picks == 3]
    return x


def halves(rng, dtype, shape):
    x = values(rng, dtype, shape, -5.0, 5.0)
    if np.dtype(dtype).kind == "f" and x.size:
        flat = x.reshape(-1)
        pick = rng.random(flat.size) < 0.5
        flat[pick] = (rng.integers(-9, 10, size=flat.size) + 0.5)[pick]
    return x


def relu6_features(rng, dtype, shape):
    """Around [0, 6], ties at both ends included."""
    if np.dtype(dtype).kind == "f":
        x = rng.uniform(-2.0, 8.0, size=shape)
        pick = rng.random(shape) < 0.3
        x = np.where(pick, rng.choice([0.0, 6.0], size=shape), x)
        return np.asarray(x).astype(dtype)
    return rng.integers(-2, 9, size=shape).astype(dtype)


def pow_bases(rng, dtype, shape):
    if np.dtype(dtype).kind in "fc":
        return values(rng, dtype, shape, 0.2, 3.0)
    return rng.integers(-6, 7, size=shape).astype(dtype)


def pow_exponents(rng, dtype, shape):
    """Floats in [-2, 2); integers in 0..5 (a negative integer exponent is an error)."""
    if np.dtype(dtype).kind in "fc":
        return values(rng, dtype, shape, -2.0, 2.0)
    return rng.integers(0, 6, size=shape).astype(dtype)


def nonzero_divisors(rng, dtype, shape):
    if np.dtype(dtype).kind == "f":
        return away_from_zero(rng, dtype, shape)
    mag = rng.integers(1, 8, size=shape)
    return (mag * rng.choice([-1, 1], size=shape)).astype(dtype)


def erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def floor_div_ref(inputs, attrs):
    a, b = inputs
    if a.dtype.kind == "f":
        return np.floor(a / b).astype(a.dtype)
    return np.floor_divide(a, b)


def predicate(fn):
    return Ref(lambda inputs, attrs: np.asarray(fn(inputs[0])), unary_cases, with_specials)


def logical(fn):
    return Ref(np_compare(fn), binary_cases)


# ---- SelectV2 -----------------------------------------------------------------------------------

SELECT_SHAPES = [
    ((), (), ()),
    ((5,), (5,), (5,)),
    ((3, 4), (3, 4), ()),
    ((3, 1), (1, 4), (3, 4)),
    ((4,), (3, 1), (2, 1, 1)),
    ((), (2, 3), (3,)),
    ((2, 1, 3), (2, 4, 1), (1,)),
    ((0, 3), (1, 3), ()),
    ((1, 0), (4, 1), (1, 1)),
]


def select_inputs(rng, dtype, shapes):
    cond, t, e = shapes
    return [np.asarray(rng.random(cond) < 0.5)] + [
        np.asarray(values(rng, dtype, s)) for s in (t, e)
    ]


SELECT_REF = Ref(
    lambda inputs, attrs: np.where(*inputs).astype(inputs[1].dtype),
    lambda dtype: [(shapes, {}) for shapes in SELECT_SHAPES],
    make_inputs=select_inputs,
)


# ---- All / Any, ArgMax / ArgMin, Cumsum / Cumprod, TopKV2 -------------------------------------


def np_logical_reduce(fn):
    def ref(inputs, attrs):
        (x,) = inputs
        axes = reduce_axes(attrs, x.ndim)
        return np.asarray(fn(x, axis=axes, keepdims=bool(attrs.get("keep_dims", False))))

    return Ref(ref, reduce_cases)


def arg_cases(dtype):
    cases = []
    for shape, axes in [
        ((7,), (0, -1)),
        ((3, 4), (0, 1, -1)),
        ((2, 3, 5), (0, 1, 2, -2)),
        ((1, 6, 1), (1, 0)),
        ((3, 0), (0,)),
        ((4, 1), (1,)),
    ]:
        for axis in axes:
            for out_type in ("int64", "int32"):
                cases.append(((shape,), {"axis": axis, "output_type": out_type}))
    cases.append((((5,),), {}))  # default axis 0, int64
    return cases


def np_arg(fn):
    def ref(inputs, attrs):
        (x,) = inputs
        out_type = attrs.get("output_type", "int64")
        return np.asarray(fn(x, axis=attrs.get("axis", 0))).astype(out_type)

    return Ref(ref, arg_cases, small_ints)


def cumulative_cases(dtype):
    cases = []
    for shape, axes in [
        ((7,), (0, -1)),
        ((3, 4), (0, 1)),
        ((2, 3, 5), (0, 1, 2, -2)),
        ((0, 3), (0, 1)),
        ((2, 0), (1,)),
        ((1, 1), (0,)),
    ]:
        for axis in axes:
            for exclusive in (False, True):
                for reverse in (False, True):
                    attrs = {"axis": axis, "exclusive": exclusive, "reverse": reverse}
                    cases.append(((shape,), attrs))
    cases.append((((4,),), {}))
    return cases


def np_cumulative(prod):
    def ref(inputs, attrs):
        (x,) = inputs
        axis = attrs.get("axis", 0) % x.ndim
        y = np.flip(x, axis) if attrs.get("reverse") else x
        acc = np.cumprod if prod else np.cumsum
        out = acc(y, axis=axis, dtype=x.dtype)
        if attrs.get("exclusive"):
            ident = np.ones_like if prod else np.zeros_like
            first = ident(np.take(out, [0], axis=axis)) if out.shape[axis] else out
            out = np.concatenate([first, np.take(out, range(out.shape[axis] - 1), axis=axis)], axis)
        return np.flip(out, axis) if attrs.get("reverse") else out

    return Ref(ref, cumulative_cases, prod_friendly if prod else values)


def top_k_cases(dtype):
    cases = []
    for shape, ks in [
        ((7,), (0, 1, 3, 7)),
        ((3, 6), (2, 6)),
        ((2, 3, 9), (4,)),
        ((2, 0), (0,)),
        ((0, 5), (2,)),
        ((4, 1), (1,)),
    ]:
        for k in ks:
            cases.append(((shape,), {"k": k, "sorted": True}))
    cases.append((((5, 40),), {"k": 10, "sorted": False}))
    return cases


def top_k_ref(inputs, attrs):
    (x,) = inputs
    k = attrs["k"]
    order = np.argsort(-x.astype(np.float64), axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, order, axis=-1), order.astype(np.int32)


# ---- BatchMatMulV2, Softmax, the cross-entropy losses -----------------------------------------


def batch_matmul_cases(dtype):
    cases = []
    for (bx, by), (m, k, n) in itertools.product(
        [
            ((2,), (2,)),
            ((), (3,)),
            ((3,), ()),
            ((2, 1), (5,)),
            ((1, 2), (4, 1)),
            ((0,), (1,)),
            ((2, 3), (2, 3)),
        ],
        [(2, 3, 4), (1, 1, 1), (5, 0, 3), (0, 3, 2)],
    ):
        for adj_x, adj_y in itertools.product((False, True), repeat=2):
            a = bx + ((k, m) if adj_x else (m, k))
            b = by + ((n, k) if adj_y else (k, n))
            cases.append(((a, b), {"adj_x": adj_x, "adj_y": adj_y}))
    return cases


def batch_matmul_ref(inputs, attrs):
    a, b = (x.astype(np.complex128 if x.dtype.kind == "c" else np.float64) for x in inputs)
    a = np.conj(np.swapaxes(a, -1, -2)) if attrs["adj_x"] else a  # adjoint: conj transpose
    b = np.conj(np.swapaxes(b, -1, -2)) if attrs["adj_y"] else b
    return np.matmul(a, b).astype(inputs[0].dtype)


SOFTMAX_SHAPES = [(1,), (5,), (3, 4), (2, 3, 17), (0, 4), (3, 0), (2, 1)]


def np_softmax(log):
    def ref(inputs, attrs):
        x = inputs[0].astype(np.float64)
        if x.size == 0:
            return inputs[0].copy()
        shifted = x - x.max(axis=-1, keepdims=True)
        lse = np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
        out = shifted - lse if log else np.exp(shifted - lse)
        return out.astype(inputs[0].dtype)

    return Ref(ref, lambda dtype: [((s,), {}) for s in SOFTMAX_SHAPES], uniform(-10.0, 10.0))


XENT_SHAPES = [(4, 5), (1, 1), (3, 17), (0, 3), (2, 0)]


def xent_inputs(rng, dtype, shapes):
    (shape, _) = shapes
    logits = values(rng, dtype, shape, -5.0, 5.0)
    labels = rng.random(shape)
    labels = labels / np.maximum(labels.sum(axis=-1, keepdims=True), 1e-9)
    return [logits, labels.astype(dtype)]


def xent_ref(inputs, attrs):
    x, lab = (v.astype(np.float64) for v in inputs)
    dt = inputs[0].dtype
    if x.shape[1] == 0:
        return np.zeros(x.shape[0], dt), x.astype(dt)
    shifted = x - x.max(axis=-1, keepdims=True)
    lse = np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    loss = (lab * (lse - shifted)).sum(axis=-1)
    return loss.astype(dt), (np.exp(shifted - lse) - lab).astype(dt)


def sparse_xent_inputs(rng, dtype, shapes):
    (shape, _), label_dtype = shapes
    logits = values(rng, dtype, shape, -5.0, 5.0)
    return [logits, rng.integers(0, shape[1], size=shape[0]).astype(label_dtype)]


def sparse_xent_ref(inputs, attrs):
    x, lab = inputs
    dense = np.zeros(x.shape, np.float64)
    dense[np.arange(x.shape[0]), lab] = 1.0
    return xent_ref([x, dense], attrs)


# ---- array ops ------------------------------------------------------------------------------


def concat_cases(dtype):
    return [
        (((2, 3), (2, 4)), {"axis": 1}),
        (((2, 3), (1, 3), (0, 3)), {"axis": 0}),
        (((2, 3),), {"axis": 0}),
        (((2, 0), (2, 3), (2, 1)), {"axis": -1}),
        (((2, 3, 4), (2, 1, 4), (2, 2, 4)), {"axis": 1}),
        (((2, 3, 4), (2, 3, 1)), {"axis": 2}),
        (((1,), (1,), (3,)), {"axis": 0}),
        (((0, 2), (0, 3)), {"axis": 1}),
    ]


def pack_cases(dtype):
    return [
        (((2, 3), (2, 3)), {"N": 2, "axis": 0}),
        (((2, 3), (2, 3), (2, 3)), {"N": 3, "axis": 1}),
        (((2, 3),) * 2, {"N": 2, "axis": -1}),
        (((), (), ()), {"N": 3, "axis": 0}),
        (((4,),), {"N": 1, "axis": 1}),
        (((2, 0),) * 2, {"N": 2, "axis": 1}),
        (((64, 256),) * 3, {"N": 3, "axis": 1}),  # above the small-copy threshold: C++ copies
    ]


def unpack_cases(dtype):
    return [
        (((3, 2),), {"num": 3, "axis": 0}),
        (((2, 3, 4),), {"num": 3, "axis": 1}),
        (((2, 4),), {"num": 4, "axis": -1}),
        (((5,),), {"num": 5}),
        (((0, 2),), {"num": 2, "axis": 1}),
        (((2, 300, 64),), {"num": 2, "axis": 0}),  # above the small-copy threshold
    ]


def unpack_ref(inputs, attrs):
    (x,) = inputs
    axis = attrs.get("axis", 0) % x.ndim
    return [np.take(x, i, axis=axis) for i in range(attrs["num"])]


def split_cases(dtype):
    return [
        (((6, 4),), {"num_split": 3, "axis": 0}),
        (((2, 6),), {"num_split": 2, "axis": 1}),
        (((2, 6),), {"num_split": 6, "axis": -1}),
        (((2, 0, 3),), {"num_split": 1, "axis": 1}),
        (((4,),), {"num_split": 4}),
        (((0, 3),), {"num_split": 3, "axis": 1}),
        (((2, 3, 4),), {"num_split": 2, "axis": 2}),
    ]


def split_v_cases(dtype):
    return [
        (((6, 4),), {"size_splits": [1, 2, 3], "axis": 0}),
        (((2, 6),), {"size_splits": [4, -1], "axis": 1}),
        (((2, 6),), {"size_splits": [0, 6, 0], "axis": -1}),
        (((5,),), {"size_splits": [-1]}),
        (((2, 3, 4),), {"size_splits": [1, -1, 1], "axis": 2}),
        (((0, 3),), {"size_splits": [1, 2], "axis": 1}),
    ]


def split_ref(inputs, attrs):
    (x,) = inputs
    axis = attrs.get("axis", 0) % x.ndim
    if "num_split" in attrs:
        parts = np.split(x, attrs["num_split"], axis=axis)
    else:
        sizes = list(attrs["size_splits"])
        if -1 in sizes:
            sizes[sizes.index(-1)] = x.shape[axis] - (sum(sizes) + 1)
        parts = np.split(x, np.cumsum(sizes)[:-1], axis=axis)
    return [contiguous(p) for p in parts]


def slice_cases(dtype):
    return [
        (((5,),), {"begin": [1], "size": [3]}),
        (((5,),), {"begin": [2], "size": [-1]}),
        (((4, 6),), {"begin": [1, 2], "size": [2, -1]}),
        (((4, 6),), {"begin": [4, 0], "size": [0, 6]}),
        (((2, 3, 4),), {"begin": [0, 1, 1], "size": [-1, 2, 2]}),
        (((),), {"begin": [], "size": []}),
        (((0, 3),), {"begin": [0, 1], "size": [0, 2]}),
    ]


def slice_ref(inputs, attrs):
    (x,) = inputs
    idx = tuple(
        slice(b, d if s == -1 else b + s) for b, s, d in zip(attrs["begin"], attrs["size"], x.shape)
    )
    return contiguous(x[idx])


def spec_from_index(index):
    """A Python index as StridedSlice's begin / end / strides and masks (as TF's slicing)."""
    begin, end, strides = [], [], []
    masks = dict.fromkeys(
        ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask"), 0
    )
    for i, k in enumerate(index if isinstance(index, tuple) else (index,)):
        bit = 1 << i
        if k is Ellipsis or k is None:
            begin.append(0), end.append(0), strides.append(1)
            masks["ellipsis_mask" if k is Ellipsis else "new_axis_mask"] |= bit
        elif isinstance(k, slice):
            begin.append(0 if k.start is None else k.start)
            end.append(0 if k.stop is None else k.stop)
            strides.append(1 if k.step is None else k.step)
            masks["begin_mask"] |= bit if k.start is None else 0
            masks["end_mask"] |= bit if k.stop is None else 0
        else:
            begin.append(k), end.append(k + 1), strides.append(1)
            masks["shrink_axis_mask"] |= bit
    return {"begin": begin, "end": end, "strides": strides, **masks}


S = np.s_
STRIDED_SLICE_CASES = [
    ((7,), S[1:5]),
    ((7,), S[::2]),
    ((7,), S[::-1]),
    ((7,), S[5:1:-2]),
    ((7,), S[-3:]),
    ((7,), S[-1::-1]),
    ((7,), S[:-10]),
    ((7,), S[2:100]),
    ((7,), S[10:2:-1]),
    ((7,), S[3]),
    ((7,), S[-1]),
    ((7,), S[4:4]),
    ((7,), S[5:2]),
    ((4, 5), S[1:3, ::-2]),
    ((4, 5), S[..., 1]),
    ((4, 5), S[1, ...]),
    ((4, 5), S[None, 2:, None, -2]),
    ((4, 5), S[:, None]),
    ((4, 5), S[2, 3]),
    ((2, 3, 4), S[..., None, ::3]),
    ((2, 3, 4), S[1, ..., 1:3]),
    ((2, 3, 4), S[:, -1, ::-1]),
    ((2, 3, 4), S[...]),
    ((2, 3, 4), S[None]),
    ((2, 0, 4), S[:, ::2, 1:]),
    ((), S[...]),
    ((), S[None]),
]


# Raw attrs and the NumPy index they mean: values ignored under their masks, an implied
# trailing ellipsis, no strides given.
RAW_STRIDED_SLICES = [
    (
        {"begin": [9, -9], "end": [-9, 9], "strides": [-1, 2], "begin_mask": 1, "end_mask": 3},
        S[::-1, 0::2],
    ),
    ({"begin": [1], "end": [3], "strides": [1]}, S[1:3]),
    ({"begin": [-2], "end": [0], "shrink_axis_mask": 1}, S[-2]),
]


def strided_slice_cases(dtype):
    cases = [((shape,), spec_from_index(idx)) for shape, idx in STRIDED_SLICE_CASES]
    cases += [(((5, 6),), dict(raw)) for raw, _ in RAW_STRIDED_SLICES]
    return cases


def strided_slice_ref(inputs, attrs):
    x = inputs[0]
    if "shape" in attrs:  # StridedSliceGrad: dy into zeros of the input's shape
        out = np.zeros(attrs["shape"], x.dtype)
        out[as_view_index(attrs)] = x
        return out
    return contiguous(x[as_view_index(attrs)])


def as_view_index(attrs):
    index = index_of(attrs)
    index = index if isinstance(index, tuple) else (index,)
    return index if any(k is Ellipsis for k in index) else index + (Ellipsis,)


def index_of(attrs):
    """The NumPy index of a strided_slice_cases case."""
    for raw, index in RAW_STRIDED_SLICES:
        if raw == {k: v for k, v in attrs.items() if k != "shape"}:
            return index
    out = []
    for i, (b, e, st) in enumerate(zip(attrs["begin"], attrs["end"], attrs["strides"])):
        bit = 1 << i
        if attrs["ellipsis_mask"] & bit:
            out.append(Ellipsis)
        elif attrs["new_axis_mask"] & bit:
            out.append(None)
        elif attrs["shrink_axis_mask"] & bit:
            out.append(b)
        else:
            out.append(
                slice(
                    None if attrs["begin_mask"] & bit else b,
                    None if attrs["end_mask"] & bit else e,
                    st,
                )
            )
    return tuple(out)


def strided_slice_grad_cases(dtype):
    cases = []
    for (shape,), attrs in strided_slice_cases(dtype):
        final = np.empty(shape)[as_view_index(attrs)].shape
        cases.append(((final,), {**attrs, "shape": shape}))
    return cases


def pad_cases(dtype):
    c = 1 if np.dtype(dtype) == np.bool_ else 7
    return [
        (((3,),), {"paddings": [[1, 2]]}),
        (((2, 3),), {"paddings": [[0, 0], [2, 1]], "constant_values": c}),
        (((2, 3),), {"paddings": [[1, 1], [0, 0]]}),
        (((2, 0, 2),), {"paddings": [[1, 0], [1, 1], [0, 2]], "constant_values": c}),
        (((),), {"paddings": []}),
        (((2, 2),), {"paddings": [[0, 0], [0, 0]]}),
    ]


def pad_ref(inputs, attrs):
    (x,) = inputs
    if x.ndim == 0:
        return x.copy()
    return np.pad(
        x, [tuple(p) for p in attrs["paddings"]], constant_values=attrs.get("constant_values", 0)
    )


def mirror_pad_cases(dtype):
    return [
        (((3,),), {"paddings": [[2, 2]], "mode": mode}) for mode in ("REFLECT", "SYMMETRIC")
    ] + [
        (((3, 4),), {"paddings": [[1, 2], [3, 0]], "mode": "REFLECT"}),
        (((3, 4),), {"paddings": [[3, 3], [4, 1]], "mode": "SYMMETRIC"}),
        (((2, 3, 2),), {"paddings": [[1, 1], [2, 2], [0, 1]], "mode": "reflect"}),
        (((2, 0, 2),), {"paddings": [[1, 2], [0, 0], [2, 0]], "mode": "SYMMETRIC"}),
        (((),), {"paddings": [], "mode": "REFLECT"}),
        (((1, 5),), {"paddings": [[0, 0], [4, 4]], "mode": "REFLECT"}),
    ]


def mirror_pad_ref(inputs, attrs):
    (x,) = inputs
    if x.ndim == 0:
        return x.copy()
    return np.pad(x, [tuple(p) for p in attrs["paddings"]], mode=attrs["mode"].lower())


def tile_cases(dtype):
    return [
        (((3,),), {"multiples": [2]}),
        (((2, 3),), {"multiples": [2, 3]}),
        (((2, 3),), {"multiples": [1, 1]}),
        (((2, 1, 3),), {"multiples": [1, 4, 0]}),
        (((0, 2),), {"multiples": [3, 2]}),
        (((),), {"multiples": []}),
        (((1, 1),), {"multiples": [3, 5]}),
    ]


def reverse_cases(dtype):
    return [
        (((5,),), {"axis": [0]}),
        (((3, 4),), {"axis": [1]}),
        (((3, 4),), {"axis": [-1, 0]}),
        (((2, 3, 4),), {"axis": [0, 2]}),
        (((2, 3, 4),), {"axis": []}),
        (((4, 5, 3),), {"axis": [1]}),  # an image's flip: channel blocks copied whole
        (((2, 4, 5, 3),), {"axis": [1, 2]}),
        (((3, 2, 20),), {"axis": [1]}),  # rows too long for one block
        (((2, 0),), {"axis": [0]}),
        (((),), {"axis": []}),
    ]


def index_values(rng, index_dtype, shape, limit):
    """Indices in [0, limit) (zeros when limit is 0: then the shape must be empty)."""
    return rng.integers(0, max(limit, 1), size=shape).astype(index_dtype)


GATHER_CASES = [
    ((5,), (3,), 0),
    ((5, 3), (4,), 0),
    ((5, 3), (2, 2), 1),
    ((2, 4, 3), (), 1),
    ((2, 4, 3), (6,), -1),
    ((4, 3), (0,), 0),
    ((0, 3), (2, 0), 0),
    ((3, 0), (5,), 0),
]


def gather_cases(dtype):
    # the indices' spec carries the limit their values must stay under
    return [
        ((ps, (ish, idt, ps[axis])), {"axis": axis})
        for (ps, ish, axis), idt in itertools.product(GATHER_CASES, ("int32", "int64"))
    ]


def gather_inputs(rng, dtype, shapes):
    ps, (ish, idt, limit) = shapes
    return [np.asarray(values(rng, dtype, ps)), np.asarray(index_values(rng, idt, ish, limit))]


def gather_ref(inputs, attrs):
    params, idx = inputs
    return np.take(params, idx.astype(np.int64), axis=attrs["axis"])


GATHER_ND_CASES = [
    ((5, 3), (4, 1)),
    ((5, 3), (4, 2)),
    ((2, 3, 4), (2, 2, 2)),
    ((4, 3), (2, 0)),
    ((4, 3), (0, 2)),
    ((3,), (3, 1)),
]


def gather_nd_cases(dtype):
    return [
        ((ps, (ish, idt)), {})
        for (ps, ish), idt in itertools.product(GATHER_ND_CASES, ("int32", "int64"))
    ]


def nd_index_values(rng, idt, ish, dims):
    k = ish[-1]
    cols = [rng.integers(0, dims[d], size=ish[:-1]) for d in range(k)]
    return np.stack(cols, axis=-1).astype(idt) if k else np.zeros(ish, idt)


def gather_nd_inputs(rng, dtype, shapes):
    ps, (ish, idt) = shapes
    return [np.asarray(values(rng, dtype, ps)), nd_index_values(rng, idt, ish, ps)]


def gather_nd_ref(inputs, attrs):
    params, idx = inputs
    k = idx.shape[-1]
    if k == 0:
        return contiguous(np.broadcast_to(params, idx.shape[:-1] + params.shape))
    return params[tuple(idx[..., d].astype(np.int64) for d in range(k))]


SCATTER_ND_CASES = [
    ((6,), (4, 1)),
    ((4, 3), (5, 1)),
    ((4, 3), (5, 2)),
    ((2, 3, 4), (3, 2)),
    ((4, 3), (0, 1)),
    ((3, 0), (2, 1)),
]


def scatter_nd_cases(dtype):
    return [
        (((ish, idt), out), {"shape": out})
        for (out, ish), idt in itertools.product(SCATTER_ND_CASES, ("int32", "int64"))
    ]


def scatter_nd_inputs(rng, dtype, shapes):
    (ish, idt), out = shapes
    k = ish[-1]
    idx = nd_index_values(rng, idt, ish, out)
    updates = values(rng, dtype, ish[:-1] + tuple(out[k:]))
    return [idx, np.asarray(updates)]


def scatter_nd_ref(inputs, attrs):
    idx, updates = inputs
    out = np.zeros(attrs["shape"], updates.dtype)
    k = idx.shape[-1]
    n = math.prod(idx.shape[:-1])
    np.add.at(
        out,
        tuple(idx.reshape(n, k)[:, d].astype(np.int64) for d in range(k)),
        updates.reshape((n,) + out.shape[k:]),
    )
    return out


def tensor_scatter_update_cases(dtype):
    return [
        ((out, (ish, idt), ish[:-1] + out[ish[-1] :]), {})
        for (out, ish), idt in itertools.product(SCATTER_ND_CASES, ("int32", "int64"))
    ]


def tensor_scatter_update_inputs(rng, dtype, shapes):
    out, (ish, idt), ush = shapes
    idx = nd_index_values(rng, idt, ish, out)  # duplicates likely: the last update wins
    return [np.asarray(values(rng, dtype, out)), idx, np.asarray(values(rng, dtype, ush))]


def tensor_scatter_update_ref(inputs, attrs):
    x, idx, updates = inputs
    out = x.copy()
    k = idx.shape[-1]
    n = math.prod(idx.shape[:-1])
    rows = idx.reshape(n, k)
    upd = updates.reshape((n,) + x.shape[k:])
    for i in range(n):  # in order, so that a later duplicate overwrites an earlier one
        out[tuple(int(v) for v in rows[i])] = upd[i]
    return out


SEGMENT_CASES = [
    ((6,), (6,), 4),
    ((5, 3), (5,), 3),
    ((2, 3, 2), (2, 3), 5),
    ((4, 2), (4,), 0),
    ((0, 3), (0,), 2),
    ((3,), (3,), 1),
]


def segment_cases(dtype):
    return [
        ((ds, (ish, idt, n)), {"num_segments": n})
        for (ds, ish, n), idt in itertools.product(SEGMENT_CASES, ("int32", "int64"))
    ]


def segment_inputs(rng, dtype, shapes):
    ds, (ish, idt, n) = shapes
    ids = rng.integers(-1, max(n, 1), size=ish).astype(idt)  # -1: dropped, as TF
    if n == 0:
        ids[...] = -1
    return [np.asarray(values(rng, dtype, ds)), ids]


def segment_ref(inputs, attrs):
    data, ids = inputs
    n = attrs["num_segments"]
    out = np.zeros((n,) + data.shape[ids.ndim :], data.dtype)
    keep = ids.reshape(-1) >= 0
    rows = data.reshape((-1,) + data.shape[ids.ndim :])
    np.add.at(out, ids.reshape(-1)[keep].astype(np.int64), rows[keep])
    return out


def one_hot_cases(dtype):
    cases = []
    for shape, depth, axis in [
        ((5,), 4, -1),
        ((5,), 4, 0),
        ((2, 3), 5, 1),
        ((2, 3), 3, -1),
        ((2, 3), 0, 0),
        ((), 3, -1),
        ((0, 2), 3, 1),
    ]:
        for out in ("float32", "int32", "bool"):
            attrs = {"depth": depth, "axis": axis, "dtype": out}
            if out != "bool":
                attrs.update(on_value=5, off_value=-1)
            cases.append(((shape,), attrs))
    cases.append((((4,),), {"depth": 3}))  # defaults: float32, on 1, off 0, axis -1
    return cases


def one_hot_inputs(rng, dtype, shapes):
    (shape,) = shapes
    lo = 0 if np.dtype(dtype) == np.uint8 else -2
    return [rng.integers(lo, 7, size=shape).astype(dtype)]  # out-of-range rows are all off


def one_hot_ref(inputs, attrs):
    (idx,) = inputs
    depth, axis = attrs["depth"], attrs.get("axis", -1)
    hot = idx.astype(np.int64)[..., None] == np.arange(depth)
    hot = np.moveaxis(hot, -1, idx.ndim if axis == -1 else axis)
    on, off = attrs.get("on_value", 1), attrs.get("off_value", 0)
    return np.where(hot, on, off).astype(attrs.get("dtype", "float32"))


def range_cases(dtype):
    dt = np.dtype(dtype)
    if dt.kind == "f":
        bounds = [
            (0, 5, 1),
            (1.5, 4.0, 0.5),
            (10.0, 0.0, -3.0),
            (0.0, 0.0, 1.0),
            (0.1, 1.0, 0.1),
            (-2.5, 7.3, 0.7),
        ]
    elif dt.kind == "u":  # no negative bounds or steps
        bounds = [(0, 5, 1), (3, 10, 2), (0, 0, 1), (250, 255, 2), (0, 255, 17)]
    else:
        bounds = [(0, 5, 1), (3, 10, 2), (10, 0, -3), (0, 0, 1), (-7, 8, 5), (5, 5, -1)]
    return [((), {"start": a, "limit": b, "delta": d, "dtype": dt.name}) for a, b, d in bounds]


def range_ref(inputs, attrs):
    """TF's Range: size from the bounds in the dtype, values by accumulating delta."""
    t = np.dtype(attrs["dtype"]).type
    start, limit, delta = attrs["start"], attrs["limit"], attrs["delta"]
    if np.dtype(attrs["dtype"]).kind == "f":
        size = int(np.ceil(np.abs((t(limit) - t(start)) / t(delta))))
    else:
        size = (abs(limit - start) + abs(delta) - 1) // abs(delta)
    if np.dtype(attrs["dtype"]).itemsize == 2 and np.dtype(attrs["dtype"]).kind != "i":
        # 16-bit floats: i * delta + start, each step rounded to the dtype (as TF)
        return np.arange(size).astype(attrs["dtype"]) * t(delta) + t(start)
    out, v = [], t(start)
    with np.errstate(over="ignore"):  # the step after the last element may wrap (uint8)
        for _ in range(size):
            out.append(v)
            v = t(v + t(delta))
    return np.array(out, dtype=attrs["dtype"])


def where_inputs(rng, dtype, shapes):
    (shape,) = shapes
    x = values(rng, dtype, shape)
    if np.dtype(dtype) != np.bool_:
        x = np.where(rng.random(shape) < 0.5, x, 0).astype(dtype)
        if np.dtype(dtype).kind == "f" and x.size:
            x.reshape(-1)[0] = np.nan  # NaN is non-zero, so true
    return [np.asarray(x)]


TABLE: dict[str, Ref] = {
    # unary, every dtype the op has kernels for
    "Neg": unary(np.negative),
    "Abs": unary(np.abs),
    "Sign": unary(np.sign, small_ints),
    "Square": unary(np.square),
    "Relu": unary(lambda x: np.maximum(x, 0), small_ints),
    # unary, float only
    "Sqrt": unary(np.sqrt, uniform(0.0, 5.0)),
    "Rsqrt": unary(lambda x: 1 / np.sqrt(x), uniform(0.1, 5.0)),
    "Exp": unary(np.exp, uniform(-10.0, 10.0)),
    "Expm1": unary(np.expm1, uniform(-5.0, 5.0)),
    "Log": unary(np.log, uniform(0.05, 5.0)),
    "Log1p": unary(np.log1p, uniform(-0.9, 5.0)),
    "Reciprocal": unary(np.reciprocal, away_from_zero),
    "Sin": unary(np.sin, uniform(-6.0, 6.0)),
    "Cos": unary(np.cos, uniform(-6.0, 6.0)),
    "Tan": unary(np.tan, uniform(-1.3, 1.3)),
    "Tanh": unary(np.tanh, uniform(-5.0, 5.0)),
    "Sigmoid": unary(lambda x: 1 / (1 + np.exp(-x)), uniform(-20.0, 20.0)),
    "Floor": unary(np.floor, uniform(-5.0, 5.0)),
    "Ceil": unary(np.ceil, uniform(-5.0, 5.0)),
    # binary arithmetic
    "AddV2": binary(np.add),
    "Sub": binary(np.subtract),
    "Mul": binary(np.multiply),
    "Maximum": binary(np.maximum, small_ints),
    "Minimum": binary(np.minimum, small_ints),
    "SquaredDifference": binary(lambda a, b: np.square(a - b)),
    "RealDiv": binary(np.divide, (values, away_from_zero)),
    "Pow": binary(np.power, (pow_bases, pow_exponents)),
    # gradient helpers: (gradients, features) and (y, dy), as TF's
    "ReluGrad": binary(lambda g, f: np.where(f > 0, g, 0), (values, small_ints)),
    "SigmoidGrad": binary(lambda y, dy: dy * y * (1 - y)),
    "TanhGrad": binary(lambda y, dy: dy * (1 - y * y)),
    # comparisons, bool outputs
    "Equal": compare(np.equal),
    "NotEqual": compare(np.not_equal),
    "Less": compare(np.less),
    "LessEqual": compare(np.less_equal),
    "Greater": compare(np.greater),
    "GreaterEqual": compare(np.greater_equal),
    # reductions
    "Sum": reduction("Sum"),
    "Prod": reduction("Prod", prod_friendly),
    "Max": reduction("Max"),
    "Min": reduction("Min"),
    "Mean": reduction("Mean"),
    # linear algebra
    "MatMul": Ref(matmul_ref, matmul_cases),
    # array ops
    "Transpose": Ref(copy_of(lambda x, a: np.transpose(x, a["perm"])), transpose_cases),
    "BroadcastTo": Ref(copy_of(lambda x, a: np.broadcast_to(x, a["shape"])), broadcast_to_cases),
    "Identity": Ref(copy_of(lambda x, a: x), unary_cases),
    "Reshape": Ref(lambda inputs, a: inputs[0].reshape(a["shape"]), reshape_cases),
    "Cast": Ref(cast_ref, cast_cases, make_inputs=cast_inputs),
    "Bitcast": Ref(bitcast_ref, bitcast_cases),
    "Eig": Ref(eig_ref, eig_cases),
    # elementwise additions
    "Erf": unary(erf, uniform(-3.0, 3.0)),
    "Round": unary(np.round, halves),
    "Elu": unary(lambda x: np.where(x < 0, np.expm1(x), x), uniform(-5.0, 5.0)),
    "Selu": unary(
        lambda x: np.where(x < 0, SELU_SCALE * SELU_ALPHA * np.expm1(x), SELU_SCALE * x),
        uniform(-5.0, 5.0),
    ),
    "Softplus": unary(lambda x: np.logaddexp(0, x), uniform(-30.0, 30.0)),
    "Relu6": unary(lambda x: np.minimum(np.maximum(x, 0), 6), relu6_features),
    "IsNan": predicate(np.isnan),
    "IsFinite": predicate(np.isfinite),
    "LogicalNot": Ref(lambda inputs, attrs: np.logical_not(inputs[0]), unary_cases),
    "FloorDiv": Ref(floor_div_ref, binary_cases, (values, nonzero_divisors)),
    "FloorMod": binary(np.mod, (values, nonzero_divisors)),
    "TruncateMod": binary(np.fmod, (values, nonzero_divisors)),
    "EluGrad": binary(lambda g, y: np.where(y < 0, g * (y + 1), g)),
    "SeluGrad": binary(
        lambda g, y: np.where(y < 0, g * (y + SELU_SCALE * SELU_ALPHA), g * SELU_SCALE)
    ),
    "SoftplusGrad": binary(lambda g, f: g / (1 + np.exp(-f))),
    "Relu6Grad": binary(lambda g, f: np.where((f > 0) & (f < 6), g, 0), (values, relu6_features)),
    "LogicalAnd": logical(np.logical_and),
    "LogicalOr": logical(np.logical_or),
    "SelectV2": SELECT_REF,
    # reductions and ops along one axis
    "All": np_logical_reduce(np.all),
    "Any": np_logical_reduce(np.any),
    "ArgMax": np_arg(np.argmax),
    "ArgMin": np_arg(np.argmin),
    "Cumsum": np_cumulative(prod=False),
    "Cumprod": np_cumulative(prod=True),
    "TopKV2": Ref(top_k_ref, top_k_cases, small_ints),
    # batched matmul, softmax, fused losses
    "BatchMatMulV2": Ref(batch_matmul_ref, batch_matmul_cases),
    "Softmax": np_softmax(log=False),
    "LogSoftmax": np_softmax(log=True),
    "SoftmaxCrossEntropyWithLogits": Ref(
        xent_ref, lambda dtype: [((s, s), {}) for s in XENT_SHAPES], make_inputs=xent_inputs
    ),
    "SparseSoftmaxCrossEntropyWithLogits": Ref(
        sparse_xent_ref,
        lambda dtype: [
            (((s, s[:1]), ldt), {}) for s in XENT_SHAPES if s[1] for ldt in ("int32", "int64")
        ],
        make_inputs=sparse_xent_inputs,
    ),
    # array ops
    "ConcatV2": Ref(lambda inputs, a: np.concatenate(inputs, axis=a["axis"]), concat_cases),
    "Pack": Ref(lambda inputs, a: np.stack(inputs, axis=a["axis"]), pack_cases),
    "Unpack": Ref(unpack_ref, unpack_cases),
    "Split": Ref(split_ref, split_cases),
    "SplitV": Ref(split_ref, split_v_cases),
    "Slice": Ref(slice_ref, slice_cases),
    "StridedSlice": Ref(strided_slice_ref, strided_slice_cases),
    "StridedSliceGrad": Ref(strided_slice_ref, strided_slice_grad_cases),
    "Pad": Ref(pad_ref, pad_cases),
    "Tile": Ref(lambda inputs, a: np.tile(inputs[0], a["multiples"]), tile_cases),
    "ReverseV2": Ref(copy_of(lambda x, a: np.flip(x, axis=tuple(a["axis"]))), reverse_cases),
    "GatherV2": Ref(gather_ref, gather_cases, make_inputs=gather_inputs),
    "GatherNd": Ref(gather_nd_ref, gather_nd_cases, make_inputs=gather_nd_inputs),
    "ScatterNd": Ref(scatter_nd_ref, scatter_nd_cases, make_inputs=scatter_nd_inputs),
    "TensorScatterUpdate": Ref(
        tensor_scatter_update_ref,
        tensor_scatter_update_cases,
        make_inputs=tensor_scatter_update_inputs,
    ),
    "MirrorPad": Ref(mirror_pad_ref, mirror_pad_cases),
    "UnsortedSegmentSum": Ref(segment_ref, segment_cases, make_inputs=segment_inputs),
    "OneHot": Ref(one_hot_ref, one_hot_cases, make_inputs=one_hot_inputs),
    "Where": Ref(
        lambda inputs, a: np.argwhere(inputs[0]).astype(np.int64),
        unary_cases,
        make_inputs=where_inputs,
    ),
    # ops without inputs
    "Fill": Ref(fill_ref, fill_cases),
    "Range": Ref(range_ref, range_cases),
    "RandomUniform": Ref(random_uniform_ref, random_cases),
    "RandomStandardNormal": Ref(random_normal_ref, random_cases),
}


def make_inputs(ref: Ref, rng, dtype, shapes):
    if ref.make_inputs is not None:
        return ref.make_inputs(rng, dtype, shapes)
    gens = ref.gen if isinstance(ref.gen, tuple) else (ref.gen,) * len(shapes)
    # np.asarray: 0-d arithmetic and comparisons give NumPy scalars, not buffers
    return [np.asarray(g(rng, dtype, s)) for g, s in zip(gens, shapes)]


def test_multi_output_ops_are_checked():
    # Guards the runner's multi-output path: these references return one array per output.
    for op in ("Split", "SplitV", "Unpack", "TopKV2", "SoftmaxCrossEntropyWithLogits"):
        assert op in TABLE


def test_registry_has_cpu_kernels():
    # Guards against an empty parametrization hiding everything below.
    assert len(REGISTERED) >= 100
    assert ("MatMul", "float32") in REGISTERED
    assert ("Cast", "bool") in REGISTERED


def test_table_covers_every_registered_op():
    registered_ops = {op for op, _ in REGISTERED}
    missing = sorted(registered_ops - set(TABLE))
    assert not missing, f"registered CPU kernels without a NumPy reference in TABLE: {missing}"
    stale = sorted(set(TABLE) - registered_ops)
    assert not stale, f"TABLE entries for ops that have no registered CPU kernel: {stale}"


@pytest.mark.parametrize("op, dtype", REGISTERED, ids=[f"{o}-{d}" for o, d in REGISTERED])
def test_kernel_matches_numpy(op, dtype):
    if op not in TABLE:
        pytest.fail(f"{op} ({dtype}) has a CPU kernel but no NumPy reference in TABLE")
    ref = TABLE[op]
    rng = np.random.default_rng(zlib.crc32(f"{op}:{dtype}".encode()))
    cases = ref.cases(dtype)
    assert cases
    for shapes, attrs in cases:
        inputs = make_inputs(ref, rng, dtype, shapes)
        for x in inputs:
            assert x.flags.c_contiguous
            # ops with their own input maker mix dtypes (a bool condition, int indices)
            assert ref.make_inputs is not None or x.dtype == np.dtype(dtype)
        outputs, used = tk.execute(op, inputs, dict(attrs), CPU)
        assert used is CPU
        half = dtype in HALF_TOLERANCE and op not in ("Cast", "Range", "Bitcast")  # own refs
        if half and op in MIXED_16BIT:  # float32 statistics: the reference rounds y itself
            expected = ref.reference(inputs, attrs)
        elif half:
            expected = half_reference(ref, inputs, attrs, np.dtype(dtype))
        else:
            expected = ref.reference(inputs, attrs)
        what = f"{op} {dtype} shapes={shapes} attrs={attrs}"
        expected = list(expected) if isinstance(expected, tuple | list) else [expected]
        assert isinstance(outputs, list) and len(outputs) == len(expected), what
        for i, (out, exp) in enumerate(zip(outputs, expected)):
            tol = HALF_TOLERANCE[dtype] if half and out.dtype == np.dtype(dtype) else None
            assert_matches(out, exp, f"{what} output {i}", tol)


def half_reference(ref, inputs, attrs, dtype):
    """The float32 reference with its ``dtype`` outputs rounded to ``dtype`` (float16 and
    bfloat16 kernels compute in float32)."""
    wide = [x.astype(np.float32) if x.dtype == dtype else x for x in inputs]
    attrs = {k: "float32" if _is_dtype(v, dtype) else v for k, v in attrs.items()}
    expected = ref.reference(wide, attrs)
    many = isinstance(expected, tuple | list)
    out = [np.asarray(e) for e in (expected if many else [expected])]
    out = [e.astype(dtype) if e.dtype == np.float32 else e for e in out]
    return out if many else out[0]


def _is_dtype(value, dtype):
    try:
        return isinstance(value, str | np.dtype | type) and np.dtype(value) == dtype
    except TypeError:
        return False


# ---- FusedElementwise (tensorhouse's own op): a few programs; test_kernels_fused.py has more ---

FUSED_NUMPY = {"Mul": np.multiply, "AddV2": np.add, "Sub": np.subtract, "Exp": np.exp,
               "Tanh": np.tanh, "Square": np.square}  # fmt: skip
FUSED_PROGRAMS = [
    ((("input", 0), ("input", 1), ("binary", "Mul", 0, 1), ("unary", "Exp", 2),
      ("binary", "AddV2", 3, 1)), (4, 2)),
    ((("input", 0), ("const", 0.5), ("binary", "Mul", 0, 1), ("input", 1),
      ("binary", "Sub", 2, 3), ("unary", "Tanh", 4), ("unary", "Square", 3)), (5, 6, 0)),
]  # fmt: skip
FUSED_SHAPES = [((3, 4), (3, 4)), ((7,), ()), ((), (600,)), ((), ()), ((2, 0), (2, 0))]


def fused_cases(dtype):
    return [(shapes, {"program": p, "outputs": o}) for p, o in FUSED_PROGRAMS
            for shapes in FUSED_SHAPES]  # fmt: skip


def fused_ref(inputs, attrs):
    dt = inputs[0].dtype
    regs = []
    for ins in attrs["program"]:
        if ins[0] == "input":
            regs.append(inputs[ins[1]])
        elif ins[0] == "const":
            regs.append(np.asarray(ins[1], dt))
        else:
            regs.append(np.asarray(FUSED_NUMPY[ins[1]](*(regs[r] for r in ins[2:]))).astype(dt))
    shape = np.broadcast_shapes(*(x.shape for x in inputs))
    return [np.broadcast_to(regs[r], shape).astype(dt) for r in attrs["outputs"]]


TABLE["FusedElementwise"] = Ref(fused_ref, fused_cases)


# ---- neural-network ops (NHWC): straightforward NumPy references ----------------------------


def nn_geometry(n, k, stride, dilation, padding, explicit=(0, 0)):
    """(out, pad_before, pad_after) along one spatial dim, by TF's rules."""
    eff = (k - 1) * dilation + 1
    if padding == "SAME":
        out = -(-n // stride)
        total = max((out - 1) * stride + eff - n, 0)
        return out, total // 2, total - total // 2
    before, after = explicit if padding == "EXPLICIT" else (0, 0)
    out = max((n + before + after - eff) // stride + 1, 0)
    return out, before, after


def window_setup(x_shape, k_hw, attrs, dilated=True):
    """Padding per spatial dim and the output size, from the attrs as the op takes them."""
    s = attrs["strides"][1:3]
    d = attrs.get("dilations", [1, 1, 1, 1])[1:3] if dilated else (1, 1)
    ex = attrs.get("explicit_paddings", [0] * 8)
    geo = [
        nn_geometry(
            x_shape[1 + i], k_hw[i], s[i], d[i], attrs["padding"], ex[2 + 2 * i : 4 + 2 * i]
        )
        for i in range(2)
    ]
    return geo, s, d


def taps(xp, geo, s, d, k_hw):
    """Yields (ky, kx, the [n, oh, ow, c] view of padded input under that tap)."""
    (oh, _, _), (ow, _, _) = geo
    for ky in range(k_hw[0]):
        for kx in range(k_hw[1]):
            y0, x0 = ky * d[0], kx * d[1]
            yield (
                ky,
                kx,
                xp[:, y0 : y0 + (oh - 1) * s[0] + 1 : s[0], x0 : x0 + (ow - 1) * s[1] + 1 : s[1]],
            )


def padded(x, geo, value=0.0):
    (_, t, b), (_, lft, r) = geo
    # enough room for every tap even when the output is empty
    return np.pad(x, ((0, 0), (t, b), (lft, r), (0, 0)), constant_values=value)


def conv_forward_ref(x, f, attrs, depthwise=False):
    x64, f64 = x.astype(np.float64), f.astype(np.float64)
    geo, s, d = window_setup(x.shape, f.shape[:2], attrs)
    depth = f.shape[2] * f.shape[3] if depthwise else f.shape[3]
    out = np.zeros((x.shape[0], geo[0][0], geo[1][0], depth))
    if out.size:
        for ky, kx, patch in taps(padded(x64, geo), geo, s, d, f.shape[:2]):
            if depthwise:
                out += (patch[..., :, None] * f64[ky, kx]).reshape(out.shape)
            else:
                out += patch @ f64[ky, kx]
    return out.astype(x.dtype)


def conv_input_ref(f, dy, attrs, depthwise=False):
    x_shape = tuple(attrs["input_sizes"])
    geo, s, d = window_setup(x_shape, f.shape[:2], attrs)
    f64, dy64 = f.astype(np.float64), dy.astype(np.float64)
    (_, t, b), (_, lft, r) = geo
    dxp = np.zeros((x_shape[0], x_shape[1] + t + b, x_shape[2] + lft + r, x_shape[3]))
    if dy.size:
        for ky, kx, view in taps(dxp, geo, s, d, f.shape[:2]):
            if depthwise:
                g = dy64.reshape(dy.shape[:3] + f.shape[2:])
                view += (g * f64[ky, kx]).sum(-1)
            else:
                view += dy64 @ f64[ky, kx].T
    return dxp[:, t : t + x_shape[1], lft : lft + x_shape[2]].astype(f.dtype).copy()


def conv_filter_ref(x, dy, attrs, depthwise=False):
    f_shape = tuple(attrs["filter_sizes"])
    geo, s, d = window_setup(x.shape, f_shape[:2], attrs)
    df = np.zeros(f_shape)
    dy64 = dy.astype(np.float64)
    if dy.size:
        for ky, kx, patch in taps(padded(x.astype(np.float64), geo), geo, s, d, f_shape[:2]):
            if depthwise:
                g = dy64.reshape(dy.shape[:3] + f_shape[2:])
                df[ky, kx] = np.einsum("nhwc,nhwcm->cm", patch, g)
            else:
                df[ky, kx] = np.einsum("nhwc,nhwo->co", patch, dy64)
    return df.astype(x.dtype)


def conv_attrs(s, p, d=(1, 1), explicit=None):
    a = {"strides": [1, *s, 1], "padding": p, "dilations": [1, *d, 1]}
    if explicit is not None:
        a["explicit_paddings"] = [0, 0, *explicit, 0, 0]
    return a


CONV_GEOMETRIES = [  # (x shape, (kh, kw), attrs)
    ((2, 5, 6, 3), (3, 3), conv_attrs((1, 1), "SAME")),
    ((2, 5, 6, 3), (3, 2), conv_attrs((1, 1), "VALID")),
    ((1, 7, 7, 2), (3, 3), conv_attrs((2, 2), "SAME")),
    ((1, 8, 7, 2), (2, 3), conv_attrs((2, 3), "VALID")),
    ((2, 7, 8, 2), (3, 2), conv_attrs((1, 2), "SAME", (2, 1))),
    ((1, 6, 6, 3), (3, 3), conv_attrs((1, 1), "EXPLICIT", explicit=(1, 2, 0, 3))),
    ((3, 4, 4, 5), (1, 1), conv_attrs((1, 1), "VALID")),  # pointwise: GEMM on the input itself
    ((1, 2, 2, 2), (3, 3), conv_attrs((1, 1), "VALID")),  # empty output
    ((0, 4, 4, 2), (2, 2), conv_attrs((1, 1), "SAME")),  # empty batch
    ((2, 4, 4, 0), (2, 2), conv_attrs((1, 1), "SAME")),  # no input channels
]


def conv_shapes(x_shape, k_hw, attrs, out_c, depthwise):
    """(x, filter, dy) shapes of one case; depthwise filters use out_c as the multiplier."""
    f = (*k_hw, x_shape[3], out_c)
    geo, _, _ = window_setup(x_shape, k_hw, attrs)
    depth = x_shape[3] * out_c if depthwise else out_c
    return x_shape, f, (x_shape[0], geo[0][0], geo[1][0], depth)


def conv_cases(which, depthwise):
    def cases(dtype):
        out = []
        for x, k, attrs in CONV_GEOMETRIES:
            for oc in (4, 1, 0) if not depthwise else (1, 2):
                xs, fs, dys = conv_shapes(x, k, attrs, oc, depthwise)
                if which == 0:
                    out.append(((xs, fs), attrs))
                elif which == 1:
                    out.append(((fs, dys), dict(attrs, input_sizes=xs)))
                else:
                    out.append(((xs, dys), dict(attrs, filter_sizes=fs)))
        return out

    return cases


def conv_ref(which, depthwise):
    def ref(inputs, attrs):
        if which == 0:
            return conv_forward_ref(*inputs, attrs, depthwise)
        if which == 1:
            return conv_input_ref(*inputs, attrs, depthwise)
        return conv_filter_ref(*inputs, attrs, depthwise)

    return Ref(ref, conv_cases(which, depthwise), uniform(-1.0, 1.0))


def pool_windows(x, attrs, fill):
    """[n, oh, ow, kh * kw, c] windows of the padded input, plus the geometry."""
    k = attrs["ksize"][1:3]
    geo, s, _ = window_setup(x.shape, k, attrs, dilated=False)
    wins = [v for _, _, v in taps(padded(x, geo, fill), geo, s, (1, 1), k)]
    shape = (x.shape[0], geo[0][0], geo[1][0], 0, x.shape[3])
    return (np.stack(wins, axis=3) if wins and np.prod(shape[:3]) else np.zeros(shape)), geo, s, k


def max_pool_ref(inputs, attrs):
    x = inputs[0]
    w, _, _, _ = pool_windows(x.astype(np.float64), attrs, -np.inf)
    if not w.size:
        return np.zeros(w.shape[:3] + w.shape[4:], x.dtype)
    return w.max(axis=3).astype(x.dtype)


def avg_pool_ref(inputs, attrs):
    x = inputs[0]
    w, _, _, _ = pool_windows(x.astype(np.float64), attrs, 0.0)
    c, _, _, _ = pool_windows(np.ones_like(x, dtype=np.float64), attrs, 0.0)
    return (w.sum(axis=3) / c.sum(axis=3)).astype(x.dtype)


def pool_scatter(x_shape, attrs, values, positions):
    """Adds values[n, oy, ox, c] at window position positions[n, oy, ox, c] (or spreads them
    over the window when positions is None) into a padded input-shaped array, then crops."""
    k = attrs["ksize"][1:3]
    geo, s, _ = window_setup(x_shape, k, attrs, dilated=False)
    (_, t, b), (_, lft, r) = geo
    out = np.zeros((x_shape[0], x_shape[1] + t + b, x_shape[2] + lft + r, x_shape[3]))
    for i, (_, _, view) in enumerate(taps(out, geo, s, (1, 1), k)):
        view += values if positions is None else np.where(positions == i, values, 0)
    return out[:, t : t + x_shape[1], lft : lft + x_shape[2]]


def max_pool_grad_ref(inputs, attrs):
    x, _, dy = inputs
    w, _, _, _ = pool_windows(x.astype(np.float64), attrs, -np.inf)
    arg = w.argmax(axis=3) if w.shape[3] else np.zeros(dy.shape, int)
    return pool_scatter(x.shape, attrs, dy.astype(np.float64), arg).astype(x.dtype)


def max_pool_grad_grad_ref(inputs, attrs):
    x, _, g = inputs
    w, _, _, _ = pool_windows(x.astype(np.float64), attrs, -np.inf)
    gw, _, _, _ = pool_windows(g.astype(np.float64), attrs, 0.0)
    if not w.size:
        return np.zeros(w.shape[:3] + w.shape[4:], x.dtype)
    arg = w.argmax(axis=3)
    return np.take_along_axis(gw, arg[:, :, :, None], axis=3)[:, :, :, 0].astype(x.dtype)


def avg_pool_grad_ref(inputs, attrs):
    dy = inputs[0]
    x_shape = tuple(attrs["orig_input_shape"])
    c, _, _, _ = pool_windows(np.ones(x_shape), attrs, 0.0)
    counts = c.sum(axis=3) if c.size else np.ones(dy.shape)
    return pool_scatter(x_shape, attrs, dy / counts, None).astype(dy.dtype)


def pool_attrs(k, s, p):
    return {"ksize": [1, *k, 1], "strides": [1, *s, 1], "padding": p}


POOL_GEOMETRIES = [
    ((2, 5, 6, 3), pool_attrs((2, 2), (2, 2), "VALID")),
    ((2, 5, 6, 3), pool_attrs((2, 2), (2, 2), "SAME")),
    ((1, 7, 7, 2), pool_attrs((3, 3), (1, 1), "SAME")),
    ((1, 7, 6, 2), pool_attrs((3, 2), (2, 1), "VALID")),
    ((1, 4, 4, 1), pool_attrs((1, 1), (1, 1), "VALID")),
    ((0, 4, 4, 2), pool_attrs((2, 2), (2, 2), "SAME")),
    ((1, 1, 1, 3), pool_attrs((2, 2), (2, 2), "SAME")),
]


def pool_out_shape(x_shape, attrs):
    geo, _, _ = window_setup(x_shape, attrs["ksize"][1:3], attrs, dilated=False)
    return (x_shape[0], geo[0][0], geo[1][0], x_shape[3])


def pool_cases(kind):
    def cases(dtype):
        out = []
        for x, attrs in POOL_GEOMETRIES:
            y = pool_out_shape(x, attrs)
            if kind == "forward":
                out.append(((x,), attrs))
            elif kind == "max_grad":
                out.append(((x, y, y), attrs))
            elif kind == "max_grad_grad":
                out.append(((x, y, x), attrs))
            else:
                out.append(((y,), dict(attrs, orig_input_shape=x)))
        return out

    return cases


def distinct_values(rng, dtype, shape):
    """No ties within a window, so the position of each maximum is unambiguous."""
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) / max(n, 1)).astype(dtype)


def bias_add_cases(dtype):
    return [(((2, 3, 4), (4,)), {}), (((5, 1), (1,)), {}), (((0, 3), (3,)), {}),
            (((2, 0), (0,)), {}), (((700, 50), (50,)), {})]  # fmt: skip


def bias_add_grad_cases(dtype):
    return [(((2, 3, 4),), {}), (((5, 1),), {}), (((0, 3),), {}), (((1100, 7),), {})]


def np_sum_rows(inputs, attrs):
    x = inputs[0]
    dt = np.float64 if x.dtype.kind == "f" else x.dtype
    return x.reshape(-1, x.shape[-1]).sum(axis=0, dtype=dt).astype(x.dtype)


def batch_norm_cases(dtype):
    shapes = [(2, 3, 4, 5), (1, 1, 1, 3), (4, 6, 5, 2), (3, 1, 1, 4)]
    out = []
    for s in shapes:
        c = (s[3],)
        for training, factor in ((True, 1.0), (True, 0.25), (False, 1.0)):
            stats = (0,) if training and factor == 1.0 else c
            attrs = {"epsilon": 1e-3, "is_training": training, "exponential_avg_factor": factor}
            out.append(((s, c, c, stats, stats), attrs))
    return out


MIXED_16BIT = ("FusedBatchNormV3", "FusedBatchNormGradV3")  # 16-bit x, float32 statistics


def _bn_stats_dtype(dtype):
    """TF's FusedBatchNorm takes float32 scale and statistics with a 16-bit x."""
    return np.float32 if np.dtype(dtype).itemsize == 2 else dtype


def batch_norm_inputs(rng, dtype, shapes):
    x, scale, offset, mean, var = shapes
    u = _bn_stats_dtype(dtype)
    return [
        values(rng, dtype, x),
        values(rng, u, scale),
        values(rng, u, offset),
        values(rng, u, mean),
        rng.uniform(0.5, 2.0, var).astype(u),
    ]


def batch_norm_ref(inputs, attrs):
    x, scale, offset, mean, var = (a.astype(np.float64) for a in inputs)
    eps, f = attrs["epsilon"], attrs["exponential_avg_factor"]
    if attrs["is_training"]:
        m = x.mean(axis=(0, 1, 2))
        v = x.var(axis=(0, 1, 2))
        n = x.size // x.shape[3]
        uv = v * n / max(n - 1, 1)
        bm = m if f == 1.0 else (1 - f) * mean + f * m
        bv = uv if f == 1.0 else (1 - f) * var + f * uv
    else:
        m, v, bm, bv = mean, var, mean, var
    y = (x - m) / np.sqrt(v + eps) * scale + offset
    dt, u = inputs[0].dtype, inputs[1].dtype
    return [y.astype(dt)] + [a.astype(u) for a in (bm, bv, m, v, np.zeros(0))]


def batch_norm_grad_cases(dtype):
    out = []
    for s in [(2, 3, 4, 5), (1, 1, 1, 3), (4, 6, 5, 2)]:
        c = (s[3],)
        for training in (True, False):
            out.append(((s, s, c, c, c, (0,)), {"epsilon": 1e-3, "is_training": training}))
    return out


def batch_norm_grad_inputs(rng, dtype, shapes):
    dy, x, scale, m, v, r3 = shapes
    u = _bn_stats_dtype(dtype)
    return [values(rng, dtype, dy), values(rng, dtype, x), values(rng, u, scale),
            values(rng, u, m), rng.uniform(0.5, 2.0, v).astype(u),
            np.zeros(r3, u)]  # fmt: skip


def batch_norm_grad_ref(inputs, attrs):
    dy, x, scale, m, v, _ = (a.astype(np.float64) for a in inputs)
    rstd = 1 / np.sqrt(v + attrs["epsilon"])
    xh = (x - m) * rstd
    db = dy.sum(axis=(0, 1, 2))
    dg = (dy * xh).sum(axis=(0, 1, 2))
    if attrs["is_training"]:
        n = x.size // x.shape[3]
        dx = scale * rstd * (dy - db / n - xh * dg / n)
    else:
        dx = dy * scale * rstd
    dt, u = inputs[0].dtype, inputs[2].dtype
    return [dx.astype(dt)] + [a.astype(u) for a in (dg, db, np.zeros(0), np.zeros(0))]


LN_SHAPES = [(3, 5), (2, 3, 4), (7,), (4, 1), (0, 3), (300, 130)]


def layer_norm_ref(inputs, attrs):
    x, g, b = (a.astype(np.float64) for a in inputs)
    m = x.mean(axis=-1)
    rstd = 1 / np.sqrt(x.var(axis=-1) + attrs["epsilon"])
    y = (x - m[..., None]) * rstd[..., None] * g + b
    return [a.astype(inputs[0].dtype) for a in (y, m, rstd)]


def layer_norm_grad_inputs(rng, dtype, shapes):
    x = values(rng, dtype, shapes[1])
    x64 = x.astype(np.float64)
    m = np.asarray(x64.mean(axis=-1), dtype)
    rstd = np.asarray(1 / np.sqrt(x64.var(axis=-1) + 1e-3), dtype)
    return [values(rng, dtype, shapes[0]), x, values(rng, dtype, shapes[2]), m, rstd]


def layer_norm_grad_ref(inputs, attrs):
    dy, x, g, m, rstd = (a.astype(np.float64) for a in inputs)
    xh = (x - m[..., None]) * rstd[..., None]
    gg = dy * g
    d = x.shape[-1]
    dx = rstd[..., None] * (
        gg - gg.sum(-1, keepdims=True) / d - xh * (gg * xh).sum(-1, keepdims=True) / d
    )
    lead = tuple(range(x.ndim - 1))
    dt = inputs[0].dtype
    return [a.astype(dt) for a in (dx, (dy * xh).sum(axis=lead), dy.sum(axis=lead))]


TABLE.update(
    {
        "Conv2D": conv_ref(0, False),
        "Conv2DBackpropInput": conv_ref(1, False),
        "Conv2DBackpropFilter": conv_ref(2, False),
        "DepthwiseConv2dNative": conv_ref(0, True),
        "DepthwiseConv2dNativeBackpropInput": conv_ref(1, True),
        "DepthwiseConv2dNativeBackpropFilter": conv_ref(2, True),
        "MaxPool": Ref(max_pool_ref, pool_cases("forward"), distinct_values),
        "AvgPool": Ref(avg_pool_ref, pool_cases("forward")),
        "MaxPoolGrad": Ref(max_pool_grad_ref, pool_cases("max_grad"), distinct_values),
        "MaxPoolGradGrad": Ref(
            max_pool_grad_grad_ref, pool_cases("max_grad_grad"), distinct_values
        ),
        "AvgPoolGrad": Ref(avg_pool_grad_ref, pool_cases("avg_grad")),
        "BiasAdd": Ref(
            lambda inputs, a: (inputs[0] + inputs[1]).astype(inputs[0].dtype), bias_add_cases
        ),
        "BiasAddGrad": Ref(np_sum_rows, bias_add_grad_cases),
        "FusedBatchNormV3": Ref(batch_norm_ref, batch_norm_cases, make_inputs=batch_norm_inputs),
        "FusedBatchNormGradV3": Ref(
            batch_norm_grad_ref, batch_norm_grad_cases, make_inputs=batch_norm_grad_inputs
        ),
        "LayerNorm": Ref(
            layer_norm_ref,
            lambda dtype: [((s, s[-1:], s[-1:]), {"epsilon": 1e-3}) for s in LN_SHAPES],
        ),
        "RandomUniformInt": Ref(random_int_ref, random_int_cases),
        "TruncatedNormal": Ref(truncated_normal_ref, random_cases),
        "StatelessRandomUniformV2": stateless(random_uniform_ref),
        "StatelessRandomNormalV2": stateless(random_normal_ref),
        "StatelessTruncatedNormalV2": stateless(truncated_normal_ref),
        "StatelessRandomUniformIntV2": Ref(
            stateless_int_ref,
            lambda dtype: [
                ((seed_input(a.pop("seed"), a.pop("seed2")), a.pop("minval"), a.pop("maxval")), a)
                for _, a in random_int_cases(dtype)
            ],
            make_inputs=lambda rng, dtype, shapes: [
                shapes[0],
                *(np.array(b, dtype) for b in shapes[1:]),
            ],
        ),
        "LayerNormGrad": Ref(
            layer_norm_grad_ref,
            lambda dtype: [((s, s, s[-1:], s[:-1], s[:-1]), {}) for s in LN_SHAPES],
            make_inputs=layer_norm_grad_inputs,
        ),
    }
)


# ---- dense linear algebra (LAPACK): batched [..., n, n] matrices ------------------------------

SQUARE_SHAPES = [(1, 1), (2, 2), (3, 3), (5, 5), (33, 33), (2, 3, 3), (2, 2, 4, 4), (0, 0),
                 (3, 0, 0), (0, 3, 3)]  # fmt: skip
SOLVE_SHAPES = [((1, 1), (1, 1)), ((3, 3), (3, 2)), ((4, 4), (4, 1)), ((2, 3, 3), (2, 3, 5)),
                ((5, 5), (5, 0)), ((0, 0), (0, 3)), ((0, 2, 2), (0, 2, 1)), ((33, 33), (33, 7)),
                ((2, 1, 6, 6), (2, 1, 6, 3))]  # fmt: skip


def well_conditioned(rng, dtype, shape):
    """Diagonal +-1 plus off-diagonal noise whose rows sum below 1/2 (condition number below 3),
    rows permuted so LU pivots: far from singular, determinants of either sign."""
    n = shape[-1]
    a = rng.uniform(-0.5, 0.5, size=shape) / max(n, 1)
    if n:
        signs = rng.choice([-1.0, 1.0], size=shape[:-1])
        a = a + np.eye(n) * signs[..., None, :]
        a = a[..., rng.permutation(n), :]
    return a.astype(dtype)


def square_inputs(rng, dtype, shapes):
    return [np.ascontiguousarray(well_conditioned(rng, dtype, shapes[0]))]


def solve_inputs(rng, dtype, shapes):
    return [np.ascontiguousarray(well_conditioned(rng, dtype, shapes[0])),
            values(rng, dtype, shapes[1])]  # fmt: skip


def spd_inputs(rng, dtype, shapes):
    """Symmetric positive definite in the lower triangle, garbage above it (never read)."""
    shape = shapes[0]
    n = shape[-1]
    low = np.tril(rng.uniform(-0.5, 0.5, size=shape) / max(n, 1), -1)
    low = low + np.eye(n) * rng.uniform(1.0, 2.0, size=shape[:-1])[..., None, :]
    spd = low @ np.swapaxes(low, -1, -2)
    garbage = np.triu(rng.uniform(-9.0, 9.0, size=shape), 1)
    return [np.ascontiguousarray((np.tril(spd) + garbage).astype(dtype))]


def matrix_inverse_ref(inputs, attrs):
    x = inputs[0].astype(np.float64)
    if attrs.get("adjoint"):
        x = np.swapaxes(x, -1, -2)
    out = np.linalg.inv(x) if x.size else np.zeros(x.shape)
    return out.astype(inputs[0].dtype)


def matrix_solve_ref(inputs, attrs):
    a, b = (x.astype(np.float64) for x in inputs)
    if attrs.get("adjoint"):
        a = np.swapaxes(a, -1, -2)
    out = np.linalg.solve(a, b) if a.size and b.size else np.zeros(b.shape)
    return out.astype(inputs[0].dtype)


def slogdet_ref(inputs, attrs):
    x = inputs[0].astype(np.float64)
    if x.shape[-1] == 0:
        sign, log_abs = np.ones(x.shape[:-2]), np.zeros(x.shape[:-2])
    else:
        sign, log_abs = np.linalg.slogdet(x)
    dt = inputs[0].dtype
    return [np.asarray(sign).astype(dt), np.asarray(log_abs).astype(dt)]


def det_ref(inputs, attrs):
    sign, log_abs = (x.astype(np.float64) for x in slogdet_ref(inputs, attrs))
    return np.asarray(sign * np.exp(log_abs)).astype(inputs[0].dtype)


def cholesky_ref(inputs, attrs):
    x = inputs[0].astype(np.float64)
    sym = np.tril(x) + np.swapaxes(np.tril(x, -1), -1, -2)
    out = np.linalg.cholesky(sym) if x.size else np.zeros(x.shape)
    return out.astype(inputs[0].dtype)


def square_cases(dtype):
    return [((shape,), {}) for shape in SQUARE_SHAPES]


def adjoint_square_cases(dtype):
    return [((shape,), {"adjoint": adj}) for shape in SQUARE_SHAPES for adj in (False, True)]


TABLE.update(
    {
        "MatrixInverse": Ref(matrix_inverse_ref, adjoint_square_cases, make_inputs=square_inputs),
        "MatrixSolve": Ref(
            matrix_solve_ref,
            lambda dtype: [(s, {"adjoint": adj}) for s in SOLVE_SHAPES for adj in (False, True)],
            make_inputs=solve_inputs,
        ),
        "MatrixDeterminant": Ref(det_ref, square_cases, make_inputs=square_inputs),
        "LogMatrixDeterminant": Ref(slogdet_ref, square_cases, make_inputs=square_inputs),
        "Cholesky": Ref(cholesky_ref, square_cases, make_inputs=spd_inputs),
    }
)


# ---- decompositions (decomp.cpp) --------------------------------------------------------------

MATRIX_SHAPES = [(1, 1), (3, 3), (4, 2), (2, 5), (2, 3, 4), (2, 1, 5, 3), (0, 3), (3, 0), (0, 2, 2)]


def qr_ref(inputs, attrs):
    x = inputs[0].astype(np.float64)
    full = attrs["full_matrices"]
    m, n = x.shape[-2:]
    k = m if full else min(m, n)
    if x.size == 0:
        q = np.broadcast_to(np.eye(m, k), x.shape[:-2] + (m, k))
        return [q.astype(inputs[0].dtype), np.zeros(x.shape[:-2] + (k, n), inputs[0].dtype)]
    q, r = np.linalg.qr(x, mode="complete" if full else "reduced")
    return [q.astype(inputs[0].dtype), r.astype(inputs[0].dtype)]


def svd_ref(inputs, attrs):
    """NumPy's gesdd, the same LAPACK routine: the same singular vectors, signs included."""
    x = inputs[0].astype(np.float64)
    dt = inputs[0].dtype
    m, n = x.shape[-2:]
    k = min(m, n)
    if not attrs["compute_uv"]:
        s = np.linalg.svd(x, compute_uv=False) if x.size else np.zeros(x.shape[:-2] + (k,))
        return [s.astype(dt), np.zeros((0,), dt), np.zeros((0,), dt)]
    full = attrs["full_matrices"]
    uc, vc = (m, n) if full else (k, k)
    if x.size == 0:
        return [np.zeros(x.shape[:-2] + (k,), dt),
                np.broadcast_to(np.eye(m, uc), x.shape[:-2] + (m, uc)).astype(dt),
                np.broadcast_to(np.eye(n, vc), x.shape[:-2] + (n, vc)).astype(dt)]  # fmt: skip
    u, s, vh = np.linalg.svd(x, full_matrices=full)
    return [s.astype(dt), u.astype(dt), np.swapaxes(vh, -1, -2).astype(dt)]


def qr_cases(dtype):
    return [((s,), {"full_matrices": f}) for s in MATRIX_SHAPES for f in (False, True)]


def svd_cases(dtype):
    """Singular values only: the vectors' signs are LAPACK's choice (test_kernels_decomp.py
    checks them by reconstruction)."""
    return [((s,), {"compute_uv": False, "full_matrices": f}) for s in MATRIX_SHAPES
            for f in (False, True)]  # fmt: skip


def eig_ref(inputs, attrs):
    x = inputs[0].astype(np.float64)
    dt = inputs[0].dtype
    sym = np.tril(x) + np.swapaxes(np.tril(x, -1), -1, -2)
    if x.shape[-1] == 0:
        e, v = np.zeros(x.shape[:-1]), np.zeros(x.shape)
    else:
        e, v = np.linalg.eigh(sym)
    if not attrs["compute_v"]:
        return [e.astype(dt), np.zeros((0,), dt)]
    return [e.astype(dt), v.astype(dt)]


def lu_ref(inputs, attrs):
    """Partial pivoting (the largest |value| of the column, the first on ties), packed."""
    x = inputs[0].astype(np.float64)
    lu = x.copy().reshape((int(np.prod(x.shape[:-2])),) + x.shape[-2:])
    n = x.shape[-1]
    perm = np.tile(np.arange(n), (lu.shape[0], 1))
    for b in range(lu.shape[0]):
        a = lu[b]
        for j in range(n):
            p = j + int(np.argmax(np.abs(a[j:, j])))
            a[[j, p]] = a[[p, j]]
            perm[b, [j, p]] = perm[b, [p, j]]
            a[j + 1 :, j] /= a[j, j]
            a[j + 1 :, j + 1 :] -= np.outer(a[j + 1 :, j], a[j, j + 1 :])
    idx = np.dtype(attrs["output_idx_type"])
    return [lu.reshape(x.shape).astype(inputs[0].dtype), perm.reshape(x.shape[:-1]).astype(idx)]


TABLE.update(
    {
        "Qr": Ref(qr_ref, qr_cases),
        "Svd": Ref(svd_ref, svd_cases),
        "SelfAdjointEigV2": Ref(
            eig_ref,
            lambda dtype: [((s,), {"compute_v": False}) for s in SQUARE_SHAPES],
            make_inputs=spd_inputs,
        ),
        "Lu": Ref(
            lu_ref,
            lambda dtype: [
                ((s,), {"output_idx_type": t}) for s in SQUARE_SHAPES for t in ("int32", "int64")
            ],  # fmt: skip
            make_inputs=square_inputs,
        ),
    }
)


# ---- segments, unique, bincount, sorted search (segment.cpp) ---------------------------------


def unsorted_reduce_ref(ufunc, kind):
    def ref(inputs, attrs):
        data, ids = inputs
        n = attrs["num_segments"]
        if kind == "max":
            init = np.finfo(data.dtype).min if data.dtype.kind == "f" else np.iinfo(data.dtype).min
        elif kind == "min":
            init = np.finfo(data.dtype).max if data.dtype.kind == "f" else np.iinfo(data.dtype).max
        else:
            init = 1
        out = np.full((n,) + data.shape[ids.ndim :], init, data.dtype)
        keep = ids.reshape(-1) >= 0
        rows = data.reshape((-1,) + data.shape[ids.ndim :])
        with np.errstate(over="ignore"):
            ufunc.at(out, ids.reshape(-1)[keep].astype(np.int64), rows[keep])
        return out

    return ref


def sorted_segment_inputs(rng, dtype, shapes):
    ds, (ish, idt, n) = shapes
    ids = np.sort(rng.integers(0, max(n, 1), size=ds[:1])).astype(idt)
    return [np.asarray(values(rng, dtype, ds)), ids]


def sorted_reduce_ref(kind):
    def ref(inputs, attrs):
        data, ids = inputs
        rows = int(ids[-1]) + 1 if ids.size else 0
        out = np.full((rows,) + data.shape[1:], 1 if kind == "prod" else 0, data.dtype)
        for s in range(rows):
            sel = data[ids == s]
            if not len(sel):
                continue
            with np.errstate(over="ignore"):
                if kind == "mean" and data.dtype.kind in "iu":  # the sum wraps in the dtype
                    total = np.sum(sel, axis=0, dtype=data.dtype).astype(np.int64)
                    out[s] = np.fix(total / len(sel)).astype(data.dtype)
                else:
                    fn = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min,
                          "prod": np.prod}[kind]  # fmt: skip
                    out[s] = fn(sel, axis=0).astype(data.dtype)
        return out

    return ref


def sorted_segment_cases(dtype):
    cases = [((ds, (ish, idt, n)), {}) for (ds, ish, n) in SEGMENT_CASES if len(ish) == 1
             for idt in ("int32", "int64")]  # fmt: skip
    return cases


def unique_inputs(rng, dtype, shapes):
    (shape,) = shapes
    x = values(rng, dtype, shape)
    if np.dtype(dtype).kind == "f":
        x = np.round(x)  # repeats
    return [np.asarray(x)]


def unique_ref(counts):
    def ref(inputs, attrs):
        x = inputs[0]
        idx_t = np.dtype(attrs["out_idx"])
        _, first, inverse, count = np.unique(x, return_index=True, return_inverse=True,
                                             return_counts=True)  # fmt: skip
        order = np.argsort(first)
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        out = [x[np.sort(first)], rank[inverse.reshape(-1)].astype(idx_t)]
        return out + [count[order].astype(idx_t)] if counts else out

    return ref


def unique_cases(dtype):
    return [(((n,),), {"out_idx": t}) for n in (0, 1, 9, 40) for t in ("int32", "int64")]


def bincount_cases(dtype):
    cases = []
    for shape, size, w, binary in [
        ((7,), 5, None, False), ((7,), 3, "float32", False), ((2, 6), 4, None, True),
        ((2, 6), 6, "int64", False), ((0,), 2, None, False), ((5,), 0, "float64", False),
        ((20000, 8), 6, "float32", False), ((20000, 8), 5, None, True),  # rows split on threads
    ]:  # fmt: skip
        cases.append(((shape, size, w), {"binary_output": binary}))
    return cases


def bincount_inputs(rng, dtype, shapes):
    shape, size, w = shapes
    arr = rng.integers(0, 6, size=shape).astype(dtype)
    weights = np.zeros((0,), np.int32) if w is None else values(rng, w, shape)
    return [arr, np.asarray(size, dtype), np.asarray(weights)]


def bincount_ref(inputs, attrs):
    arr, size, weights = inputs
    size = int(size)
    rows = arr.reshape((-1, arr.shape[-1])) if arr.ndim == 2 else arr.reshape(1, -1)
    w = weights.reshape(rows.shape) if weights.size else np.ones(rows.shape, weights.dtype)
    out = np.zeros((rows.shape[0], size), weights.dtype)
    for r in range(rows.shape[0]):
        for c in range(rows.shape[1]):
            if rows[r, c] < size:
                out[r, rows[r, c]] = 1 if attrs["binary_output"] else out[r, rows[r, c]] + w[r, c]
    return out if arr.ndim == 2 else out[0]


def bound_cases(dtype):
    return [(((b, n), (b, m)), {"out_type": t}) for b, n, m in ((1, 5, 3), (3, 8, 6), (2, 0, 2),
                                                                 (2, 4, 0))
            for t in ("int32", "int64")]  # fmt: skip


def bound_inputs(rng, dtype, shapes):
    s, v = shapes
    seq = np.sort(values(rng, dtype, s), axis=-1)
    if seq.size:
        seq.reshape(-1)[1::3] = seq.reshape(-1)[::3][: len(seq.reshape(-1)[1::3])]  # ties
        seq = np.sort(seq, axis=-1)
    vals = np.concatenate([values(rng, dtype, v)], axis=-1)
    if seq.size and vals.size:
        vals.reshape(-1)[0] = seq.reshape(-1)[0]
    return [np.ascontiguousarray(seq), np.ascontiguousarray(vals)]


def bound_ref(side):
    def ref(inputs, attrs):
        seq, vals = inputs
        out = [np.searchsorted(seq[i], vals[i], side=side) for i in range(seq.shape[0])]
        return np.array(out, np.dtype(attrs["out_type"])).reshape(vals.shape)

    return ref


TABLE.update(
    {
        "UnsortedSegmentMax": Ref(unsorted_reduce_ref(np.maximum, "max"), segment_cases,
                                  make_inputs=segment_inputs),
        "UnsortedSegmentMin": Ref(unsorted_reduce_ref(np.minimum, "min"), segment_cases,
                                  make_inputs=segment_inputs),
        "UnsortedSegmentProd": Ref(unsorted_reduce_ref(np.multiply, "prod"), segment_cases,
                                   make_inputs=segment_inputs),
        **{
            "Segment" + k.capitalize(): Ref(sorted_reduce_ref(k), sorted_segment_cases,
                                            make_inputs=sorted_segment_inputs)
            for k in ("sum", "mean", "max", "min", "prod")
        },
        "Unique": Ref(unique_ref(False), unique_cases, make_inputs=unique_inputs),
        "UniqueWithCounts": Ref(unique_ref(True), unique_cases, make_inputs=unique_inputs),
        "DenseBincount": Ref(bincount_ref, bincount_cases, make_inputs=bincount_inputs),
        "LowerBound": Ref(bound_ref("left"), bound_cases, make_inputs=bound_inputs),
        "UpperBound": Ref(bound_ref("right"), bound_cases, make_inputs=bound_inputs),
    }
)  # fmt: skip


# ---- inverse trigonometric / hyperbolic functions, lgamma, digamma, atan2, bitwise ops --------


def _digamma_scalar(x):
    """psi(x): reflection below 0.5, recurrence up to 30, then Stirling's series (to x^-10)."""
    if math.isnan(x) or (x <= 0 and x == math.floor(x)):
        return math.nan
    if x == math.inf:
        return math.inf
    if x < 0.5:
        return _digamma_scalar(1 - x) - math.pi / math.tan(math.pi * (x - round(x)))
    shift = 0.0
    while x < 30:
        shift -= 1 / x
        x += 1
    z = 1 / (x * x)
    series = z / 12 - z**2 / 120 + z**3 / 252 - z**4 / 240 + z**5 / 132
    return shift + math.log(x) - 0.5 / x - series


def _lgamma_scalar(x):
    if math.isnan(x):
        return math.nan
    try:
        return math.lgamma(x)
    except ValueError:  # a pole
        return math.inf


_ZETA_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730)  # B_2 .. B_12


def _zeta_scalar(x, q, n=20):
    """Hurwitz zeta for x > 1, q > 0: n terms, the tail's integral, half its first term and
    the Bernoulli corrections (Euler-Maclaurin)."""
    s = sum((q + k) ** -x for k in range(n))
    a = q + n
    s += a ** (1 - x) / (x - 1) + 0.5 * a**-x
    rise = x  # x (x + 1) ... (x + 2j - 2)
    for j, b in enumerate(_ZETA_BERNOULLI, 1):
        s += b / math.factorial(2 * j) * rise * a ** (-x - 2 * j + 1)
        rise *= (x + 2 * j - 1) * (x + 2 * j)
    return s


def _polygamma_scalar(n, x):
    if n == 0:
        return _digamma_scalar(x)
    return (-1) ** (int(n) + 1) * math.factorial(int(n)) * _zeta_scalar(n + 1, x)


def polygamma_orders(rng, dtype, shape):
    return rng.integers(0, 5, size=shape).astype(dtype)


def np_math2(fn):
    return np.vectorize(lambda a, b: fn(float(a), float(b)), otypes=[np.float64])


def np_math(fn):
    return np.vectorize(lambda v: fn(float(v)), otypes=[np.float64])


def every_int(rng, dtype, shape):
    """Integers over the whole range of ``dtype`` (every bit pattern can occur)."""
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)


def shift_counts(rng, dtype, shape):
    """Shift counts from below 0 to past the bit width (TF clamps them to [0, bits - 1])."""
    lo = -3 if np.dtype(dtype).kind == "i" else 0
    return rng.integers(lo, np.dtype(dtype).itemsize * 8 + 4, size=shape).astype(dtype)


def shift_ref(right):
    def ref(inputs, attrs):
        a, b = inputs
        bits = a.dtype.itemsize * 8
        count = np.clip(b.astype(np.int64), 0, bits - 1)
        if right:
            return (a >> count.astype(a.dtype)).astype(a.dtype)
        unsigned = np.dtype(f"uint{bits}")
        return (a.astype(unsigned) << count.astype(unsigned)).astype(a.dtype)

    return ref


def _invert(f, y, lo=-8.0, hi=8.0):
    """The x in [lo, hi] with f(x) = y for an increasing f, by bisection to the last bit."""
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        lo, hi = (mid, hi) if f(mid) < y else (lo, mid)
    return 0.5 * (lo + hi)


def _bessel_i1_scalar(x):  # the power series (x/2) sum (x^2/4)^k / (k! (k + 1)!), in fsum
    z, term, terms = x * x / 4, x / 2, []
    for k in range(1, 200):
        terms.append(term)
        term *= z / (k * (k + 1))
    return math.fsum(terms)


def _scaled(fn):
    return lambda x: fn(x) * np.exp(-np.abs(x))


TABLE.update(
    {
        "Atan": unary(np.arctan, uniform(-10.0, 10.0)),
        "Acos": unary(np.arccos, uniform(-1.0, 1.0)),
        "Asin": unary(np.arcsin, uniform(-1.0, 1.0)),
        "Sinh": unary(np.sinh, uniform(-10.0, 10.0)),
        "Cosh": unary(np.cosh, uniform(-10.0, 10.0)),
        "Acosh": unary(np.arccosh, uniform(1.0, 20.0)),
        "Asinh": unary(np.arcsinh, uniform(-20.0, 20.0)),
        "Atanh": unary(np.arctanh, uniform(-0.99, 0.99)),
        "Rint": unary(np.rint, halves),
        "Lgamma": unary(np_math(_lgamma_scalar), uniform(-4.5, 8.0)),
        "Digamma": unary(np_math(_digamma_scalar), uniform(-4.5, 8.0)),
        "Atan2": binary(np.arctan2),
        "Zeta": binary(np_math2(_zeta_scalar), (uniform(1.5, 6.0), uniform(0.2, 5.0))),
        "Polygamma": binary(np_math2(_polygamma_scalar), (polygamma_orders, uniform(0.2, 5.0))),
        "Erfinv": unary(np_math(lambda y: _invert(math.erf, y)), uniform(-0.99, 0.99)),
        "Ndtri": unary(
            np_math(lambda p: _invert(lambda x: math.erfc(-x / math.sqrt(2)) / 2, p)),
            uniform(0.005, 0.995),
        ),
        "BesselI0": unary(np.i0, uniform(-10.0, 10.0)),
        "BesselI0e": unary(_scaled(np.i0), uniform(-30.0, 30.0)),
        "BesselI1": unary(np_math(_bessel_i1_scalar), uniform(-10.0, 10.0)),
        "BesselI1e": unary(_scaled(np_math(_bessel_i1_scalar)), uniform(-30.0, 30.0)),
        "NextAfter": binary(np.nextafter),
        "Invert": unary(np.invert, every_int),
        "BitwiseAnd": binary(np.bitwise_and, every_int),
        "BitwiseOr": binary(np.bitwise_or, every_int),
        "BitwiseXor": binary(np.bitwise_xor, every_int),
        "LeftShift": Ref(shift_ref(False), binary_cases, (every_int, shift_counts)),
        "RightShift": Ref(shift_ref(True), binary_cases, (every_int, shift_counts)),
    }
)


# ---- whole-sequence LSTM / GRU (rnn.cpp): NumPy loops in float64 --------------------------------
# (batch, time, features, units); the gradient ops get the forward's saved tensors, made here


RNN_SIZES = [(2, 3, 4, 5), (1, 1, 1, 1), (3, 6, 2, 4), (2, 0, 3, 2), (0, 2, 3, 2)]


def _np_sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def _rnn_steps(t, attrs):
    return range(t - 1, -1, -1) if attrs.get("go_backwards") else range(t)


def lstm_seq_ref(inputs, attrs):
    x, h, c, w, u, b = (a.astype(np.float64) for a in inputs)
    n, ys, gates, cs = h.shape[1], np.zeros(x.shape[:2] + h.shape[1:]), [], []
    for k, t in enumerate(_rnn_steps(x.shape[1], attrs)):
        z = x[:, t] @ w + h @ u + b
        g = np.concatenate([_np_sigmoid(z[:, : 2 * n]), np.tanh(z[:, 2 * n : 3 * n]),
                            _np_sigmoid(z[:, 3 * n :])], axis=1)  # fmt: skip
        c = g[:, n : 2 * n] * c + g[:, :n] * g[:, 2 * n : 3 * n]
        h = g[:, 3 * n :] * np.tanh(c)
        ys[:, k], gates, cs = h, gates + [g], cs + [c]
    t, bsz = x.shape[1], x.shape[0]
    gates = np.stack(gates) if t else np.zeros((0, bsz, 4 * n))
    cs = np.stack(cs) if t else np.zeros((0, bsz, n))
    return [a.astype(inputs[0].dtype) for a in (ys, h, c, gates, cs)]


def lstm_seq_grad_inputs(rng, dtype, shapes):
    fwd = [values(rng, dtype, s, -1.0, 1.0) for s in shapes[3:8]] + [values(rng, dtype, shapes[11])]
    y, h, c, gates, cs = lstm_seq_ref(fwd, LSTM_ATTRS[0] if shapes[0][1] % 2 else {})
    grads = [values(rng, dtype, s, -1.0, 1.0) for s in shapes[:3]]
    return grads + fwd[:5] + [y, gates, cs, fwd[5]]


def lstm_seq_grad_ref(inputs, attrs):
    dy, dh, dc, x, h0, c0, w, u, y, gates, cs, _ = (a.astype(np.float64) for a in inputs)
    n, t = h0.shape[1], x.shape[1]
    steps = list(_rnn_steps(t, attrs))
    dx, dw, du = np.zeros_like(x), np.zeros_like(w), np.zeros_like(u)
    db = np.zeros(4 * n)
    for k in range(t - 1, -1, -1):
        i, f, g, o = (gates[k][:, j * n : (j + 1) * n] for j in range(4))
        cp, hp = (c0, h0) if k == 0 else (cs[k - 1], y[:, k - 1])
        tc = np.tanh(cs[k])
        dhk = dy[:, k] + dh
        dck = dc + dhk * o * (1 - tc * tc)
        dz = np.concatenate([dck * g * i * (1 - i), dck * cp * f * (1 - f), dck * i * (1 - g * g),
                             dhk * tc * o * (1 - o)], axis=1)  # fmt: skip
        dx[:, steps[k]] = dz @ w.T
        dw, du, db = dw + x[:, steps[k]].T @ dz, du + hp.T @ dz, db + dz.sum(0)
        dh, dc = dz @ u.T, dck * f
    return [a.astype(inputs[0].dtype) for a in (dx, dh, dc, dw, du, db)]


def gru_seq_ref(inputs, attrs):
    x, h, w, u, b = (a.astype(np.float64) for a in inputs)
    after = attrs.get("reset_after", True)
    n = h.shape[1]
    b_in, b_rec = (b[0], b[1]) if after else (b, np.zeros_like(b))
    ys, saved = np.zeros(x.shape[:2] + h.shape[1:]), np.zeros((x.shape[1], x.shape[0], 4 * n))
    for k, t in enumerate(_rnn_steps(x.shape[1], attrs)):
        xp = x[:, t] @ w + b_in
        rp = h @ u + b_rec if after else np.concatenate([h @ u[:, : 2 * n], 0 * h], axis=1)
        z, r = _np_sigmoid(xp[:, :n] + rp[:, :n]), _np_sigmoid(xp[:, n : 2 * n] + rp[:, n : 2 * n])
        rh = rp[:, 2 * n :] if after else np.zeros_like(h)
        hh = np.tanh(xp[:, 2 * n :] + (r * rh if after else (r * h) @ u[:, 2 * n :]))
        h = z * h + (1 - z) * hh
        ys[:, k], saved[k] = h, np.concatenate([z, r, hh, rh], axis=1)
    return [a.astype(inputs[0].dtype) for a in (ys, h, saved)]


def gru_seq_grad_inputs(rng, dtype, shapes):
    fwd = [values(rng, dtype, s, -1.0, 1.0) for s in shapes[2:6]] + [values(rng, dtype, shapes[8])]
    attrs = {"reset_after": len(shapes[8]) == 2, "go_backwards": shapes[2][1] % 2 == 1}
    y, _, saved = gru_seq_ref(fwd, attrs)
    grads = [values(rng, dtype, s, -1.0, 1.0) for s in shapes[:2]]
    return grads + fwd[:4] + [y, saved, fwd[4]]


def gru_seq_grad_ref(inputs, attrs):
    dy, dh, x, h0, w, u, y, saved, _ = (a.astype(np.float64) for a in inputs)
    after = attrs.get("reset_after", True)
    n, t = h0.shape[1], x.shape[1]
    steps = list(_rnn_steps(t, attrs))
    dx, dw, du = np.zeros_like(x), np.zeros_like(w), np.zeros_like(u)
    db_in, db_rec = np.zeros(3 * n), np.zeros(3 * n)
    for k in range(t - 1, -1, -1):
        z, r, hh, rh = (saved[k][:, j * n : (j + 1) * n] for j in range(4))
        hp = h0 if k == 0 else y[:, k - 1]
        dhk = dy[:, k] + dh
        dah = dhk * (1 - z) * (1 - hh * hh)
        daz = dhk * (hp - hh) * z * (1 - z)
        if after:
            dar = dah * rh * r * (1 - r)
            drec = np.concatenate([daz, dar, dah * r], axis=1)
            dh = dhk * z + drec @ u.T
            du, db_rec = du + hp.T @ drec, db_rec + drec.sum(0)
        else:
            q = dah @ u[:, 2 * n :].T
            dar = q * hp * r * (1 - r)
            dzr = np.concatenate([daz, dar], axis=1)
            dh = dhk * z + q * r + dzr @ u[:, : 2 * n].T
            du[:, : 2 * n] += hp.T @ dzr
            du[:, 2 * n :] += (r * hp).T @ dah
        dxp = np.concatenate([daz, dar, dah], axis=1)
        dx[:, steps[k]] = dxp @ w.T
        dw, db_in = dw + x[:, steps[k]].T @ dxp, db_in + dxp.sum(0)
    db = np.stack([db_in, db_rec]) if after else db_in
    return [a.astype(inputs[0].dtype) for a in (dx, dh, dw, du, db)]


LSTM_ATTRS = [{"go_backwards": True}, {}]


def lstm_seq_cases(dtype):
    return [(((b, t, i), (b, u), (b, u), (i, 4 * u), (u, 4 * u), (4 * u,)), a)
            for b, t, i, u in RNN_SIZES for a in LSTM_ATTRS]  # fmt: skip


def lstm_seq_grad_cases(dtype):
    return [(((b, t, u), (b, u), (b, u), (b, t, i), (b, u), (b, u), (i, 4 * u), (u, 4 * u),
              (b, t, u), (t, b, 4 * u), (t, b, u), (4 * u,)), LSTM_ATTRS[0] if t % 2 else {})
            for b, t, i, u in RNN_SIZES]  # fmt: skip


def gru_seq_cases(dtype):
    return [(((b, t, i), (b, u), (i, 3 * u), (u, 3 * u), (2, 3 * u) if after else (3 * u,)),
             {"reset_after": after, "go_backwards": back})
            for b, t, i, u in RNN_SIZES
            for after in (True, False) for back in (False, True)]  # fmt: skip


def gru_seq_grad_cases(dtype):
    return [(((b, t, u), (b, u), (b, t, i), (b, u), (i, 3 * u), (u, 3 * u), (b, t, u),
              (t, b, 4 * u), (2, 3 * u) if after else (3 * u,)),
             {"reset_after": after, "go_backwards": t % 2 == 1})
            for b, t, i, u in RNN_SIZES for after in (True, False)]  # fmt: skip


def _rnn_inputs(rng, dtype, shapes):
    return [values(rng, dtype, s, -1.0, 1.0) for s in shapes]


TABLE.update(
    {
        "LSTMSequence": Ref(lstm_seq_ref, lstm_seq_cases, make_inputs=_rnn_inputs),
        "LSTMSequenceGrad": Ref(
            lstm_seq_grad_ref, lstm_seq_grad_cases, make_inputs=lstm_seq_grad_inputs
        ),
        "GRUSequence": Ref(gru_seq_ref, gru_seq_cases, make_inputs=_rnn_inputs),
        "GRUSequenceGrad": Ref(
            gru_seq_grad_ref, gru_seq_grad_cases, make_inputs=gru_seq_grad_inputs
        ),
    }
)


# ---- complex dtypes: the complex-only ops and the Fourier transforms ----------------------------


def complex_values(rng, dtype, shape):
    return values(rng, dtype, shape)


def to_real_ref(fn):
    def ref(inputs, attrs):
        (x,) = inputs
        return np.asarray(fn(x)).astype(x.real.dtype)

    return ref


def make_complex_ref(inputs, attrs):
    re, im = inputs
    kind = np.complex64 if re.dtype == np.float32 else np.complex128
    return np.asarray(re + 1j * im).astype(kind)


FFT_SHAPES = [(1,), (2,), (3,), (5,), (7,), (8,), (12,), (97,), (128,), (3, 17), (2, 0, 4),
              (2, 6, 10), (3, 4, 5, 6)]  # fmt: skip


def fft_ref(op):
    rank, inverse = (int(op[-2]) if op.endswith("D") else 1), op.startswith("I")
    fn = np.fft.ifftn if inverse else np.fft.fftn

    def ref(inputs, attrs):
        (x,) = inputs
        if x.size == 0:
            return x.copy()
        return fn(x.astype(np.complex128), axes=tuple(range(-rank, 0))).astype(x.dtype)

    def cases(dtype):
        return [((s,), {}) for s in FFT_SHAPES if len(s) >= rank]

    return Ref(ref, cases)


def rfft_ref(op):
    rank, inverse = (int(op[-2]) if op.endswith("D") else 1), op.startswith("I")

    def ref(inputs, attrs):
        (x,) = inputs
        lengths = [int(v) for v in attrs["fft_length"]]
        axes = tuple(range(-rank, 0))
        if inverse:
            real = x.real.dtype
            shape = x.shape[: x.ndim - rank] + tuple(lengths)
            if 0 in shape:
                return np.zeros(shape, real)
            return np.fft.irfftn(x.astype(np.complex128), s=lengths, axes=axes).astype(real)
        cplx = np.complex64 if x.dtype == np.float32 else np.complex128
        inner = lengths[:-1] + [lengths[-1] // 2 + 1 if lengths[-1] else 0]
        shape = x.shape[: x.ndim - rank] + tuple(inner)
        if 0 in shape:
            return np.zeros(shape, cplx)
        return np.fft.rfftn(x.astype(np.float64), s=lengths, axes=axes).astype(cplx)

    def cases(dtype):
        out = []
        for s in FFT_SHAPES:
            if len(s) < rank:
                continue
            inner = list(s[len(s) - rank :])
            variants = [inner, [v + 3 for v in inner], [max(v - 1, 1) for v in inner]]
            for lengths in variants:
                if inverse:  # the input holds the half spectrum of the lengths
                    half = s[: len(s) - 1] + (lengths[-1] // 2 + 1,)
                    out.append(((half,), {"fft_length": lengths}))
                    out.append(((s,), {"fft_length": lengths}))  # cropped or padded
                else:
                    out.append(((s,), {"fft_length": lengths}))
        return out

    return Ref(ref, cases)


TABLE.update(
    {
        "Complex": Ref(make_complex_ref, binary_cases),
        "Real": Ref(to_real_ref(np.real), unary_cases, complex_values),
        "Imag": Ref(to_real_ref(np.imag), unary_cases, complex_values),
        "ComplexAbs": Ref(to_real_ref(np.abs), unary_cases, complex_values),
        "Angle": Ref(to_real_ref(np.angle), unary_cases, complex_values),
        "Conj": unary(np.conj),
        **{op: fft_ref(op) for op in ("FFT", "IFFT", "FFT2D", "IFFT2D", "FFT3D", "IFFT3D")},
        **{op: rfft_ref(op) for op in ("RFFT", "IRFFT", "RFFT2D", "IRFFT2D", "RFFT3D",
                                        "IRFFT3D")},
    }
)  # fmt: skip


# ---- image resizes (NHWC): the sampling as interpolation matrices, y = My @ x @ Mx^T ----------


def _scale(n_in, n_out, attrs):
    """TF's float32 input-per-output step, and its sampling flags."""
    f = np.float32
    align, half = attrs.get("align_corners", False), attrs.get("half_pixel_centers", False)
    scale = f(n_in - 1) / f(n_out - 1) if align and n_out > 1 else f(n_in) / f(n_out)
    return scale, align, half


def _taps(n_in, n_out, attrs):
    """Bilinear taps per output position: lower and upper input index, and the lerp."""
    f = np.float32
    scale, _, half = _scale(n_in, n_out, attrs)
    i = np.arange(n_out, dtype=f)
    src = (i + f(0.5)) * scale - f(0.5) if half else i * scale
    lo = np.maximum(np.floor(src).astype(np.int64), 0)
    return lo, np.minimum(np.ceil(src).astype(np.int64), n_in - 1), src - np.floor(src)


def _resize_matrix(n_in, n_out, attrs, nearest):
    """Rows of output positions, columns of input positions, TF's float32 sampling rules."""
    m = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    if nearest:
        f = np.float32
        scale, align, half = _scale(n_in, n_out, attrs)
        i = np.arange(n_out, dtype=f)
        src = (i + f(0.5)) * scale if half else i * scale
        k = np.floor(src + f(0.5)) if align else np.floor(src)  # C's round: half away from 0
        m[rows, np.clip(k.astype(np.int64), 0, n_in - 1)] = 1.0
        return m
    lo, hi, lerp = _taps(n_in, n_out, attrs)
    lerp = lerp.astype(np.float64)
    np.add.at(m, (rows, lo), 1.0 - lerp)
    np.add.at(m, (rows, hi), lerp)
    return m


def _bilinear_grad_ref(inputs, attrs):
    """TF's float arithmetic: each tap's weight times the gradient in float32, summed in the
    image's dtype (float64 images see float32 products, as TF's kernel gives them)."""
    g, image = inputs[0].astype(np.float32), inputs[1]
    batched = g.ndim == 4
    g = g if batched else g[None]
    ylo, yhi, yl = _taps(image.shape[-3], g.shape[1], attrs)
    xlo, xhi, xl = _taps(image.shape[-2], g.shape[2], attrs)
    one = np.float32(1)
    out = np.zeros((g.shape[0], *image.shape[-3:]), np.float64)
    for rows, wy in ((ylo, one - yl), (yhi, yl)):
        part = wy[None, :, None, None] * g
        for cols, wx in ((xlo, one - xl), (xhi, xl)):
            contrib = (wx[None, None, :, None] * part).astype(np.float64)
            np.add.at(out, (slice(None), rows[:, None], cols[None, :]), contrib)
    out = out if batched else out[0]
    return out.astype(image.dtype)


def _resize_ref(nearest, grad):
    if grad and not nearest:
        return _bilinear_grad_ref

    def ref(inputs, attrs):
        x = inputs[0]
        batched = x.ndim == 4
        if grad:  # grads (output-shaped), original image -> image-shaped
            image = inputs[1]
            ih, iw = image.shape[-3:-1]
            oh, ow = x.shape[-3:-1]
            out_dtype = image.dtype
        else:
            ih, iw = x.shape[-3:-1]
            oh, ow = attrs["size"]
            out_dtype = x.dtype if nearest else np.dtype(np.float32)
        my = _resize_matrix(ih, oh, attrs, nearest)
        mx = _resize_matrix(iw, ow, attrs, nearest)
        v = (x if batched else x[None]).astype(np.float64)
        if grad:
            y = np.einsum("oh,nopc,pw->nhwc", my, v, mx)
        else:
            y = np.einsum("oh,nhwc,pw->nopc", my, v, mx)
        y = y if batched else y[0]
        if out_dtype.kind in "iu":
            y = np.round(y)
        return y.astype(out_dtype)

    return ref


_RESIZE_ATTRS = (
    {"half_pixel_centers": True},
    {},
    {"align_corners": True},
)


def resize_cases(dtype):
    return [
        (((2, 5, 4, 3),), {"size": size, **a})
        for size in ((7, 3), (2, 2), (5, 4))
        for a in _RESIZE_ATTRS
    ] + [(((5, 4, 2),), {"size": (3, 6), "half_pixel_centers": True})]


def resize_grad_cases(dtype):
    return [
        (((2, oh, ow, 3), (2, 5, 4, 3)), a) for oh, ow in ((7, 3), (2, 2)) for a in _RESIZE_ATTRS
    ] + [(((3, 6, 2), (5, 4, 2)), {"half_pixel_centers": True})]


def _resize_grad_inputs(grads_float32):
    def make(rng, dtype, shapes):
        g, image = shapes
        return [values(rng, np.float32 if grads_float32 else dtype, g), values(rng, dtype, image)]

    return make


TABLE.update(
    {
        "ResizeBilinear": Ref(_resize_ref(False, False), resize_cases),
        "ResizeNearestNeighbor": Ref(_resize_ref(True, False), resize_cases),
        "ResizeBilinearGrad": Ref(
            _resize_ref(False, True), resize_grad_cases, make_inputs=_resize_grad_inputs(True)
        ),
        "ResizeNearestNeighborGrad": Ref(
            _resize_ref(True, True), resize_grad_cases, make_inputs=_resize_grad_inputs(False)
        ),
    }
)
# bilinear: float32 out of 16-bit images; nearest: exact copies (its gradient sums in float32)
MIXED_16BIT = (*MIXED_16BIT, "ResizeBilinear", "ResizeNearestNeighbor")


# ---- the fused optimizer updates (optim.cpp): several variables in one call ----------------------

_OPTIM_SHAPES = ((3, 4), (5,), ())
_OPTIM_CASES = {
    "FusedApplySGD": ([0.1, 0.9], [{}, {"momentum": True}, {"momentum": True, "nesterov": True}]),
    "FusedApplyAdam": ([0.01, 0.003, 0.1, 0.001, 1e-7], [{}, {"amsgrad": True}]),
    "FusedApplyRMSProp": ([0.01, 0.9, 0.1, 1e-7, 0.5],
                          [{}, {"momentum": True}, {"momentum": True, "centered": True}]),
    "FusedApplyAdagrad": ([0.01, 1e-7], [{}]),
    "FusedApplyAdamax": ([0.01, 0.1, 0.999, 0.19, 1e-7], [{}]),
    "FusedApplyNadam": ([0.01, 0.1, 0.001, 0.86, 0.2, 0.15, 0.1, 0.002, 1e-7], [{}]),
    "FusedApplyLion": ([0.01, 0.9, 0.1, 0.99, 0.01], [{}]),
    "FusedApplyFtrl": ([0.1, 0.02, 0.6, 0.3, 0.5], [{}]),
    "FusedApplyAdadelta": ([1.0, 0.95, 0.05, 1e-7], [{}]),
}  # fmt: skip


def _np_step():
    """test_optim_kernels.np_step (that file loaded by path, as this one is elsewhere)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).with_name("test_optim_kernels.py")
    spec = importlib.util.spec_from_file_location("_optim_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.np_step


def _optim_ref(op):
    def ref(inputs, attrs):
        np_step = _np_step()
        n, k = attrs["n"], len(tk.optim_slots(op, attrs))
        sc = [s[()] for s in inputs[(k + 2) * n :]]
        ws, gs = inputs[:n], inputs[(k + 1) * n : (k + 2) * n]
        new_w, new_slots = [], [[] for _ in range(k)]
        for v in range(n):
            slots = [inputs[(j + 1) * n + v] for j in range(k)]
            w, s = np_step(op, attrs, ws[v], slots, gs[v], sc, attrs["decay"][v])
            new_w.append(np.asarray(w))
            for j in range(k):
                new_slots[j].append(np.asarray(s[j]))
        return new_w + [s for group in new_slots for s in group]

    return ref


def _optim_cases(op):
    def cases(dtype):
        n = len(_OPTIM_SHAPES)
        out = []
        for flags in _OPTIM_CASES[op][1]:
            attrs = {"n": n, "decay": (True, False, True), **flags}
            k = len(tk.optim_slots(op, attrs))
            shapes = _OPTIM_SHAPES * (k + 2) + ((),) * (len(_OPTIM_CASES[op][0]) + 1)
            out.append((shapes, attrs))
        return out

    return cases


def _optim_inputs(op):
    def make(rng, dtype, shapes):
        scalars = _OPTIM_CASES[op][0] + [0.004]
        tensors = shapes[: len(shapes) - len(scalars)]
        n = len(_OPTIM_SHAPES)
        ins = [values(rng, dtype, s) for s in tensors[:n]]  # variables
        for j in range(len(tensors) // n - 2):  # slots: positive, the first one large
            lo = 20.0 if j == 0 else 0.0
            ins += [np.asarray(values(rng, dtype, s, lo, lo + 3.0), dtype) for s in _OPTIM_SHAPES]
        ins += [values(rng, dtype, s) for s in _OPTIM_SHAPES]  # gradients
        return [np.asarray(x, dtype) for x in ins] + [np.array(s, dtype) for s in scalars]

    return make


TABLE.update(
    {
        op: Ref(_optim_ref(op), _optim_cases(op), make_inputs=_optim_inputs(op))
        for op in _OPTIM_CASES
    }  # fmt: skip
)
