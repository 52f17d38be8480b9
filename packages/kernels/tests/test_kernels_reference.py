"""Every CPU kernel that tensorhouse_kernels registers, checked against a NumPy reference.

The parameters come from the runtime's registry, not from a hand-written list: a registered
(op, dtype) with no entry in ``TABLE`` fails, so the table has to grow with the kernels.
Each entry is a NumPy reference, an input generator and the cases (input shapes and attrs)
to run: scalars, zero-size dims and broadcasting are in the cases of every op they apply to.
"""

from __future__ import annotations

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


def registered_kernels():
    return sorted(
        {
            (k.op_type, k.dtype)
            for k in list_kernels(device_type="CPU")
            if k.source.startswith(SOURCE_PREFIX)
        }
    )


REGISTERED = registered_kernels()


# ---- comparison -------------------------------------------------------------------------------


def tolerance(dtype):
    dtype = np.dtype(dtype)
    if dtype == np.float32:
        return dict(rtol=1e-5, atol=1e-5)
    if dtype == np.float64:
        return dict(rtol=1e-12, atol=1e-12)
    return dict(rtol=0, atol=0)


def assert_matches(out, expected, what=""):
    expected = np.asarray(expected)
    assert isinstance(out, np.ndarray), what
    assert out.dtype == expected.dtype, f"{what}: dtype {out.dtype} != {expected.dtype}"
    assert out.shape == expected.shape, f"{what}: shape {out.shape} != {expected.shape}"
    assert out.flags.c_contiguous, what
    if expected.dtype.kind == "f":
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


def reshape_cases(dtype):
    return [
        (((2, 3, 4),), {"shape": (4, 6)}),
        (((2, 3, 4),), {"shape": (-1,)}),
        (((2, 3, 4),), {"shape": [2, -1, 2]}),
        (((),), {"shape": (1, 1)}),
        (((1, 1),), {"shape": ()}),
        (((0, 3),), {"shape": (3, 0)}),
    ]


def cast_cases(dtype):
    return [(((0,),), {"DstT": dst}) for dst in ALL_DTYPES]  # inputs come from cast_inputs


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
        is_float = dt.kind == "f"
        acc = np.float64 if is_float else np.int64
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
    a, b = (x.astype(np.float64) for x in inputs)
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
    "bool": [True, False, True],
}  # fmt: skip


def cast_inputs(rng, dtype, shapes):
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


# ---- the table ----------------------------------------------------------------------------------


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


def copy_of(fn):
    return lambda inputs, attrs: np.array(fn(inputs[0], attrs), order="C", copy=True)


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
    "Pow": binary(np.power, (uniform(0.2, 3.0), uniform(-2.0, 2.0))),
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
    # ops without inputs
    "Fill": Ref(fill_ref, fill_cases),
    "RandomUniform": Ref(random_uniform_ref, random_cases),
    "RandomStandardNormal": Ref(random_normal_ref, random_cases),
}


def make_inputs(ref: Ref, rng, dtype, shapes):
    if ref.make_inputs is not None:
        return ref.make_inputs(rng, dtype, shapes)
    gens = ref.gen if isinstance(ref.gen, tuple) else (ref.gen,) * len(shapes)
    # np.asarray: 0-d arithmetic and comparisons give NumPy scalars, not buffers
    return [np.asarray(g(rng, dtype, s)) for g, s in zip(gens, shapes)]


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
            assert x.dtype == np.dtype(dtype) and x.flags.c_contiguous
        outputs, used = tk.execute(op, inputs, dict(attrs), CPU)
        assert used is CPU
        assert isinstance(outputs, list) and len(outputs) == 1
        expected = ref.reference(inputs, attrs)
        assert_matches(outputs[0], expected, f"{op} {dtype} shapes={shapes} attrs={attrs}")
