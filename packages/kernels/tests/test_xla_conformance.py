"""Conformance: every (op, dtype) with a CPU kernel gives the CPU's result on XLA_CPU.

Generated from the runtime's registry. Inputs and cases come from the NumPy reference suite's
``TABLE`` (test_kernels_reference.py, loaded by path), so a new op's cases serve both suites.
Each case runs through ``tensorhouse_kernels.execute`` on the CPU and on ``XLA_CPU`` (inputs
moved with ``from_host``) and the outputs must agree:

- exactly (dtype, shape and every element, NaN where NaN) for integer and bool outputs, data
  movement, selections, comparisons, rounding and the uniform (float and int) random numbers;
- within rtol = atol = 1e-6 (float32) / 1e-12 (float64) for arithmetic (sums, products,
  matmuls, scatters: XLA may add in another order);
- within rtol = atol = 1e-5 (float32) / 1e-12 (float64) for matrix products (sums of k
  products, OpenBLAS and XLA block them differently) and transcendental functions (exp, log,
  sin, erf, pow, softmax, the Box-Muller normals, ...: XLA's approximations are not glibc's,
  and the CPU's float32 softmax uses its own exp).

Every registered (op, dtype) runs. Compiling dominates (one XLA compilation per case, tens of
milliseconds), so by default the op's main dtype (float32 where it has one) runs up to
``MAIN_CASES`` of its cases and each other dtype up to ``OTHER_CASES``, evenly spaced through
the case list (scalars, empty and broadcast shapes are spread through every list), at an
offset that differs per dtype. ``TENSORHOUSE_XLA_CONFORMANCE=full`` runs every case.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("jax")

import tensorhouse_kernels as tk
from tensorhouse_hw_runtime import from_host, get_device, list_devices, to_host
from tensorhouse_hw_runtime.registry import list_kernels
from tensorhouse_kernels import xla


def _reference_suite():
    name = "_tensorhouse_kernels_reference_suite"
    if name not in sys.modules:
        path = Path(__file__).with_name("test_kernels_reference.py")
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


REF = _reference_suite()
CPU = get_device("/device:CPU:0")


XLA = next(iter(list_devices("XLA_CPU")), None)  # get_device would fall back to the CPU
pytestmark = pytest.mark.skipif(XLA is None, reason="no XLA_CPU device (TENSORHOUSE_XLA=0?)")

REGISTERED = sorted(
    {
        (k.op_type, k.dtype)
        for k in list_kernels(device_type="CPU")
        if k.source.startswith("tensorhouse_kernels") and k.dtype != "object"
    }  # tf.string has CPU kernels only (as TF's: strings stay on the host)
)

# Element for element equal on every dtype.
EXACT = {
    "Neg", "Abs", "Sign", "Relu", "Relu6", "Floor", "Ceil", "Round", "Sqrt",
    "Maximum", "Minimum", "ReluGrad", "Relu6Grad", "FloorDiv", "FloorMod", "TruncateMod",
    "Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual",
    "IsNan", "IsFinite", "LogicalNot", "LogicalAnd", "LogicalOr", "SelectV2",
    "Max", "Min", "All", "Any", "ArgMax", "ArgMin", "TopKV2",
    "Transpose", "Reshape", "BroadcastTo", "Identity", "Cast", "ConcatV2", "Split", "SplitV",
    "Pack", "Unpack",
    "Slice", "StridedSlice", "StridedSliceGrad", "Pad", "Tile", "ReverseV2", "GatherV2",
    "GatherNd", "OneHot", "Where", "Fill", "Range", "RandomUniform", "RandomUniformInt",
    "StatelessRandomUniformV2", "MirrorPad", "TensorScatterUpdate", "StatelessRandomUniformIntV2",
}  # fmt: skip
# XLA's approximations of transcendental functions (and the CPU's own float32 exp).
TRANSCENDENTAL = {
    "Rsqrt", "Exp", "Expm1", "Log", "Log1p", "Sin", "Cos", "Tan", "Tanh", "Sigmoid", "Erf",
    "Elu", "Selu", "Softplus", "Pow", "SoftplusGrad", "Softmax", "LogSoftmax",
    "SoftmaxCrossEntropyWithLogits", "SparseSoftmaxCrossEntropyWithLogits",
    "RandomStandardNormal", "FusedElementwise", "TruncatedNormal", "StatelessRandomNormalV2",
    "StatelessTruncatedNormalV2",
}  # fmt: skip
# Matrix products, and LAPACK's factorizations against XLA's; convolutions (sums of
# kh * kw * c products); FusedBatchNormV3's y = x * k + b, which XLA contracts into one FMA where
# the CPU rounds the product first (k is large when the variance is small).
MATRIX = {"MatMul", "BatchMatMulV2", "MatrixInverse", "MatrixSolve", "MatrixDeterminant",
          "LogMatrixDeterminant", "Cholesky", "Conv2D", "Conv2DBackpropInput",
          "Conv2DBackpropFilter", "DepthwiseConv2dNative", "DepthwiseConv2dNativeBackpropInput",
          "DepthwiseConv2dNativeBackpropFilter", "FusedBatchNormV3"}  # fmt: skip
# Exact as well: max pooling and its second gradient only select, BiasAdd adds once.
EXACT |= {"MaxPool", "MaxPoolGradGrad", "BiasAdd"}
# Rounding and the integer bit operations are exact; the inverse trigonometric and hyperbolic
# functions, lgamma, digamma, atan2, zeta and polygamma are XLA's approximations (float32 in
# float32) against libm and the C++ series (in double).
EXACT |= {"Rint", "Invert", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "LeftShift", "RightShift"}
TRANSCENDENTAL |= {"Atan", "Acos", "Asin", "Sinh", "Cosh", "Acosh", "Asinh", "Atanh", "Lgamma",
                   "Digamma", "Atan2", "Zeta", "Polygamma"}  # fmt: skip
TRANSCENDENTAL |= {"Erfinv", "Ndtri", "BesselI0", "BesselI0e", "BesselI1", "BesselI1e"}
EXACT |= {"NextAfter", "Bitcast"}
TRANSCENDENTAL |= {"FusedApplyFtrl"}  # its accumulator's pow
# Complex: taking parts and conjugating are exact; the magnitude and argument are libm's; the
# Fourier transforms are sums of n products (pocketfft's order against the C++ one).
EXACT |= {"Complex", "Real", "Imag", "Conj"}
TRANSCENDENTAL |= {"ComplexAbs", "Angle"}
MATRIX |= {"FFT", "IFFT", "FFT2D", "IFFT2D", "FFT3D", "IFFT3D", "RFFT", "IRFFT", "RFFT2D",
           "IRFFT2D", "RFFT3D", "IRFFT3D"}  # fmt: skip
# The fused recurrent layers: GEMMs over the steps, tanh and sigmoid (XLA's own) in between.
MATRIX |= {"LSTMSequence", "LSTMSequenceGrad", "GRUSequence", "GRUSequenceGrad"}
# 16-bit floats: both compute in float32 and round each result, so a float32 difference may
# round to the neighbouring 16-bit value (one unit in the last place).
ARITHMETIC_TOL = {"float32": 1e-6, "float64": 1e-12, "float16": 2e-3, "bfloat16": 1.6e-2}
LOOSE_TOL = {"float32": 1e-5, "float64": 1e-12, "float16": 2e-3, "bfloat16": 1.6e-2}

FULL = os.environ.get("TENSORHOUSE_XLA_CONFORMANCE", "").lower() == "full"
MAIN_CASES, OTHER_CASES = 8, 2


def tolerance(op, dtype):
    """None for exact equality, else the rtol (= atol) for ``op``'s output of ``dtype``."""
    dtype = np.dtype(dtype)
    if dtype.kind == "c":  # complex: each part as its real dtype
        dtype = np.dtype(np.float32 if dtype == np.complex64 else np.float64)
    if (dtype.kind != "f" and dtype.name != "bfloat16") or op in EXACT:
        return None
    table = LOOSE_TOL if op in TRANSCENDENTAL | MATRIX else ARITHMETIC_TOL
    return table[dtype.name]


def main_dtype(op):
    dtypes = sorted(dt for o, dt in REGISTERED if o == op)
    return "float32" if "float32" in dtypes else dtypes[0]


def pick(cases, op, dtype):
    """The cases to run: all (FULL), else an evenly spaced subset at a per-dtype offset."""
    k = MAIN_CASES if dtype == main_dtype(op) else OTHER_CASES
    if FULL or len(cases) <= k:
        return cases
    step = len(cases) / k
    offset = (zlib.crc32(dtype.encode()) % 997) / 997 * step if k == OTHER_CASES else 0.0
    return [cases[int(offset + i * step)] for i in range(k)]


def assert_same(op, cpu_out, xla_out, what, bfloat16_involved=False):
    assert xla_out.dtype == cpu_out.dtype, f"{what}: dtype {xla_out.dtype} != {cpu_out.dtype}"
    assert xla_out.shape == cpu_out.shape, f"{what}: shape {xla_out.shape} != {cpu_out.shape}"
    tol = tolerance(op, cpu_out.dtype)
    is_bfloat16 = bfloat16_involved or cpu_out.dtype.name == "bfloat16"
    if cpu_out.dtype.name in ("float16", "bfloat16"):  # 16-bit storage: compare as float32
        cpu_out, xla_out = cpu_out.astype(np.float32), xla_out.astype(np.float32)
    if is_bfloat16:
        # XLA's CPU backend flushes bfloat16 subnormals to zero (in and out of bfloat16) where
        # the CPU kernel keeps them, as TF's CPU does: below the smallest normal bfloat16,
        # 2**-126, the two may differ by at most that much. Everything else must still match.
        tiny = np.float32(2.0**-126)
        sub = np.abs(cpu_out) < tiny
        assert np.all(np.abs(xla_out[sub]) <= tiny), f"{what}: bfloat16 subnormals"
        cpu_out, xla_out = np.where(sub, 0, cpu_out), np.where(sub, 0, xla_out)
    if tol is None:
        np.testing.assert_array_equal(xla_out, cpu_out, err_msg=what)
    else:
        np.testing.assert_allclose(
            xla_out, cpu_out, rtol=tol, atol=tol, equal_nan=True, err_msg=what
        )


def test_every_op_has_a_tolerance_class():
    ops = {op for op, _ in REGISTERED} & set(xla.TABLE)
    arithmetic = ops - EXACT - TRANSCENDENTAL - MATRIX
    # Stated here so a new op is classified on purpose, not by default.
    assert arithmetic == {
        "AddV2", "Sub", "Mul", "RealDiv", "SquaredDifference", "Square", "Reciprocal",
        "SigmoidGrad", "TanhGrad", "EluGrad", "SeluGrad", "Sum", "Prod", "Mean", "Cumsum",
        "Cumprod", "ScatterNd", "UnsortedSegmentSum",
        "AvgPool", "AvgPoolGrad", "MaxPoolGrad", "BiasAddGrad", "FusedBatchNormGradV3",
        "LayerNorm", "LayerNormGrad",
        "FusedApplySGD", "FusedApplyAdam", "FusedApplyRMSProp", "FusedApplyAdagrad",
        "FusedApplyAdamax", "FusedApplyNadam", "FusedApplyLion", "FusedApplyAdadelta",
    } & ops  # fmt: skip


def test_registry_has_ops_to_check():
    assert len(REGISTERED) >= 100


@pytest.mark.parametrize("op, dtype", REGISTERED, ids=[f"{o}-{d}" for o, d in REGISTERED])
def test_xla_matches_cpu(op, dtype):
    if op in xla.EXCLUDED:
        pytest.skip(f"{op} has no XLA kernel: {xla.EXCLUDED[op]}")
    if op not in xla.TABLE:
        pytest.fail(f"{op} has a CPU kernel but no XLA kernel and is not in xla.EXCLUDED")
    if op not in REF.TABLE:
        pytest.fail(f"{op} has no cases in test_kernels_reference.TABLE")
    ref = REF.TABLE[op]
    rng = np.random.default_rng(zlib.crc32(f"xla:{op}:{dtype}".encode()))
    cases = ref.cases(dtype)
    assert cases
    for shapes, attrs in pick(cases, op, dtype):
        inputs = REF.make_inputs(ref, rng, dtype, shapes)
        what = f"{op} {dtype} shapes={shapes} attrs={attrs}"
        expected, used = tk.execute(op, inputs, dict(attrs), CPU)
        assert used is CPU
        on_xla = [from_host(x, XLA) for x in inputs]
        outputs, used = tk.execute(op, on_xla, dict(attrs), XLA)
        assert used is XLA, f"{what}: ran on {used.name}"
        assert isinstance(outputs, list) and len(outputs) == len(expected), what
        for i, (out, exp) in enumerate(zip(outputs, expected)):
            bf16 = "bfloat16" in (dtype, str(attrs.get("DstT", "")))
            assert_same(op, np.asarray(exp), to_host(out, XLA), f"{what} output {i}", bf16)
