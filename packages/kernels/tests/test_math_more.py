"""The MathUnary / MathBinary kernels (inverse trigonometric and hyperbolic functions, lgamma,
digamma, zeta, polygamma, atan2, the bitwise ops), Rint, and FloorDiv on 16-bit floats: the
dtypes TF registers, identities the special functions satisfy, the XLA kernels' agreement."""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest

import tensorhouse_kernels as tk
from tensorhouse_hw_runtime import from_host, get_device, list_devices, to_host
from tensorhouse_hw_runtime.registry import list_kernels
from tensorhouse_kernels import _cpu

CPU = get_device("/device:CPU:0")
XLA = next(iter(list_devices("XLA_CPU")), None)
# bfloat16 kernels exist where ml_dtypes is installed (the kernels package does not need it)
HAS_BFLOAT16 = importlib.util.find_spec("ml_dtypes") is not None

if HAS_BFLOAT16:
    import ml_dtypes  # noqa: F401 - the kernels add bfloat16 when ml_dtypes is first loaded
FLOATS = {"float16", "float32", "float64"} | ({"bfloat16"} if HAS_BFLOAT16 else set())
INTS = {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"}
# TF 2.21's CPU kernels of these ops (tensorflow.python.framework.kernels), for the dtypes
# tensorhouse has
COMPLEX = {"complex64", "complex128"}
TF_CPU = {
    **{op: FLOATS | COMPLEX
       for op in ("Atan", "Acos", "Asin", "Sinh", "Cosh", "Acosh", "Asinh", "Atanh")},
    "Atan2": FLOATS,
    "Rint": {"float32", "float64"},
    "Lgamma": {"float16", "float32", "float64"},
    "Digamma": {"float16", "float32", "float64"},
    "Zeta": {"float32", "float64"},
    "Polygamma": {"float32", "float64"},
    **{op: INTS for op in ("Invert", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "LeftShift",
                           "RightShift")},
}  # fmt: skip


def run(op, *inputs, device=CPU):
    if device is CPU:
        return tk.execute(op, [np.asarray(x) for x in inputs], {}, CPU)[0][0]
    outs, used = tk.execute(op, [from_host(np.asarray(x), device) for x in inputs], {}, device)
    assert used is device
    return to_host(outs[0], device)


@pytest.mark.parametrize("op", sorted(TF_CPU))
def test_cpu_kernels_have_tfs_dtypes(op):
    got = {k.dtype for k in list_kernels(op_type=op, device_type="CPU")}
    assert got == TF_CPU[op]


def test_op_codes_are_distinct_and_dense():
    assert sorted(_cpu.MATH_UNARY_OPS.values()) == list(range(len(_cpu.MATH_UNARY_OPS)))
    assert sorted(_cpu.MATH_BINARY_OPS.values()) == list(range(len(_cpu.MATH_BINARY_OPS)))
    with pytest.raises(ValueError, match="unknown op code"):
        _cpu.math_unary(99, np.zeros(2), np.zeros(2))
    with pytest.raises(TypeError, match="unsupported dtype"):  # a float op on integers
        _cpu.math_unary(_cpu.MATH_UNARY_OPS["Atan"], np.zeros(2, np.int32), np.zeros(2, np.int32))
    with pytest.raises(TypeError, match="unsupported dtype"):  # a bit op on floats
        _cpu.math_binary(_cpu.MATH_BINARY_OPS["BitwiseOr"], np.zeros(2), np.zeros(2), np.zeros(2))
    with pytest.raises(ValueError, match="broadcast"):
        _cpu.math_binary(0, np.zeros(2), np.zeros(3), np.zeros(3))


def test_digamma_satisfies_its_recurrence_and_reflection():
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.uniform(-30, 30, 2000), rng.uniform(1e-6, 1e-3, 50)])
    x = x[np.abs(x - np.round(x)) > 1e-3]
    psi, psi1 = run("Digamma", x), run("Digamma", x + 1)
    np.testing.assert_allclose(psi1 - psi, 1 / x, rtol=1e-12, atol=1e-12 * np.abs(psi).max())
    reflected = run("Digamma", 1 - x) - psi
    np.testing.assert_allclose(reflected, math.pi / np.tan(math.pi * x), rtol=1e-9, atol=1e-9)
    assert np.isnan(run("Digamma", np.array([0.0, -3.0, -np.inf, np.nan]))).all()


def test_zeta_sums_and_polygamma_derivatives():
    # zeta(s, q) = q^-s + zeta(s, q + 1); polygamma(n, x) against a central difference of n - 1
    s = np.array([1.5, 2.0, 3.3, 7.0, 20.0])
    q = np.array([0.01, 0.7, 3.0, 11.5, 200.0])
    np.testing.assert_allclose(run("Zeta", s, q), q**-s + run("Zeta", s, q + 1), rtol=1e-13)
    x = np.array([0.6, 1.3, 4.0, 9.5])
    for n in (1.0, 2.0, 3.0):
        h = 1e-5
        lo, hi = (
            run("Polygamma", np.full(4, n - 1), x - h),
            run("Polygamma", np.full(4, n - 1), x + h),
        )
        np.testing.assert_allclose(run("Polygamma", np.full(4, n), x), (hi - lo) / (2 * h),
                                   rtol=1e-7)  # fmt: skip


def test_lgamma_of_16_bit_floats_rounds_the_float32_result():
    x = np.linspace(-3.7, 9.1, 50).astype(np.float16)
    want = run("Lgamma", x.astype(np.float32)).astype(np.float16)
    np.testing.assert_array_equal(run("Lgamma", x), want)


@pytest.mark.skipif(XLA is None, reason="no XLA_CPU device")
@pytest.mark.parametrize("dtype", sorted(INTS))
def test_xla_bit_ops_are_the_cpus(dtype):
    rng = np.random.default_rng(3)
    info, bits = np.iinfo(dtype), np.dtype(dtype).itemsize * 8
    a = rng.integers(info.min, info.max, (4, 5), dtype=dtype, endpoint=True)
    s = rng.integers(-4 if info.min else 0, bits + 4, (5,)).astype(dtype)
    for op in ("BitwiseAnd", "BitwiseOr", "BitwiseXor", "LeftShift", "RightShift"):
        np.testing.assert_array_equal(run(op, a, s, device=XLA), run(op, a, s), err_msg=op)
    np.testing.assert_array_equal(run("Invert", a, device=XLA), run("Invert", a))


@pytest.mark.skipif(XLA is None, reason="no XLA_CPU device")
def test_xla_special_values_are_the_cpus():
    x = np.array([0.0, -0.0, -1.0, -2.5, 0.5, 3.0, np.inf, -np.inf, np.nan, 1e-8])
    for op in ("Lgamma", "Digamma", "Atan", "Asinh", "Rint"):
        np.testing.assert_allclose(run(op, x, device=XLA), run(op, x), rtol=1e-12,
                                   equal_nan=True, err_msg=op)  # fmt: skip
    y = np.array([[0.0], [-0.0], [1.0], [np.nan]])
    xs = np.array([-0.0, 0.0, -1.0, np.inf])
    np.testing.assert_array_equal(run("Atan2", y, xs, device=XLA), run("Atan2", y, xs))
    for dtype in (np.float16, "bfloat16"):
        import ml_dtypes

        dt = ml_dtypes.bfloat16 if dtype == "bfloat16" else dtype
        a = np.linspace(-9, 9, 200).astype(dt)
        b = np.linspace(0.09, 0.31, 200).astype(dt)
        np.testing.assert_array_equal(run("FloorDiv", a, b, device=XLA).astype(np.float32),
                                      run("FloorDiv", a, b).astype(np.float32))  # fmt: skip
