"""Conformance: every (op, dtype) registered for GPU gives the CPU's result on the GPU.

Generated from the runtime's registry; inputs and cases come from the NumPy reference suite's
``TABLE`` (test_kernels_reference.py, loaded by path), as the XLA conformance suite. Each case
runs through ``tensorhouse_kernels.execute`` on the CPU and on ``GPU:0`` (inputs moved with
``from_host``) and the outputs must agree:

- exactly for integer and bool outputs, data movement, selections, comparisons, rounding,
  Max / Min, the uniform random numbers (same Philox bits) and Cast;
- within rtol = atol = 1e-5 (float32) / 1e-12 (float64) for arithmetic (sums in another order,
  atomics in ScatterNd / UnsortedSegmentSum);
- within 2e-4 (float32) / 1e-10 (float64) for transcendental functions (CUDA's libm is not
  glibc's, and the CPU's float32 softmax uses its own exp), matrix products, convolutions and
  batch norm (other summation orders over long reductions), and the normal random numbers
  (Box-Muller through the GPU's log / sin / cos).

Cases whose CPU run raises (bad indices, labels, divisors) are skipped: the GPU follows TF's
GPU kernels there (see ``gpu.py``). Marked ``gpu``: skipped where no GPU is present.
"""

from __future__ import annotations

import importlib.util
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

import tensorhouse_kernels as tk
from tensorhouse_hw_runtime import errors, from_host, get_device, list_devices, to_host
from tensorhouse_hw_runtime.registry import list_kernels
from tensorhouse_kernels import gpu

GPU = next(iter(list_devices("GPU")), None)
pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(GPU is None, reason="no GPU: pycuda is missing or finds no CUDA device"),
]


def _reference_suite():
    name = "_tensorhouse_kernels_reference_suite"
    if name not in sys.modules:
        path = Path(__file__).with_name("test_kernels_reference.py")
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


REGISTERED = sorted(
    {(k.op_type, k.dtype) for k in list_kernels(device_type="GPU") if k.source == gpu.SOURCE}
)

EXACT = {
    "Neg", "Abs", "Sign", "Relu", "Relu6", "Floor", "Ceil", "Round", "Sqrt",
    "Maximum", "Minimum", "ReluGrad", "Relu6Grad", "FloorDiv", "FloorMod",
    "Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual",
    "IsNan", "IsFinite", "LogicalNot", "LogicalAnd", "LogicalOr", "SelectV2",
    "Max", "Min", "All", "Any", "ArgMax", "ArgMin", "MaxPool", "MaxPoolGradGrad",
    "Transpose", "Reshape", "BroadcastTo", "Identity", "Cast", "ConcatV2", "Split", "SplitV",
    "Slice", "StridedSlice", "StridedSliceGrad", "Pad", "Tile", "ReverseV2", "GatherV2",
    "GatherNd", "OneHot", "Fill", "RandomUniform", "RandomUniformInt",
    "StatelessRandomUniformV2",
}  # fmt: skip
LOOSE = {
    "Rsqrt", "Exp", "Expm1", "Log", "Log1p", "Sin", "Cos", "Tan", "Tanh", "Sigmoid", "Erf",
    "Elu", "Selu", "Softplus", "Pow", "SoftplusGrad", "Softmax", "LogSoftmax",
    "SoftmaxCrossEntropyWithLogits", "SparseSoftmaxCrossEntropyWithLogits",
    "MatMul", "BatchMatMulV2", "Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter",
    "DepthwiseConv2dNative", "DepthwiseConv2dNativeBackpropInput",
    "DepthwiseConv2dNativeBackpropFilter", "FusedBatchNormV3", "FusedBatchNormGradV3",
    "RandomStandardNormal", "TruncatedNormal", "StatelessRandomNormalV2",
    "StatelessTruncatedNormalV2", "BiasAddGrad",
}  # fmt: skip
TOL = {"float32": 1e-5, "float64": 1e-12}
LOOSE_TOL = {"float32": 2e-4, "float64": 1e-10}
CASES_PER_DTYPE = 8


def tolerance(op, dtype):
    dtype = np.dtype(dtype)
    if dtype.kind != "f" or op in EXACT:
        return None
    return (LOOSE_TOL if op in LOOSE else TOL).get(dtype.name, 1e-2)


def test_registry_has_gpu_kernels():
    assert len(REGISTERED) >= 100


@pytest.mark.parametrize("op, dtype", REGISTERED, ids=[f"{o}-{d}" for o, d in REGISTERED])
def test_gpu_matches_cpu(op, dtype):
    ref_suite = _reference_suite()
    if op not in ref_suite.TABLE:
        pytest.fail(f"{op} has no cases in test_kernels_reference.TABLE")
    ref = ref_suite.TABLE[op]
    cpu = get_device("/device:CPU:0")
    rng = np.random.default_rng(zlib.crc32(f"gpu:{op}:{dtype}".encode()))
    cases = ref.cases(dtype)
    step = max(1, len(cases) // CASES_PER_DTYPE)
    ran = 0
    for shapes, attrs in cases[::step]:
        inputs = ref_suite.make_inputs(ref, rng, dtype, shapes)
        what = f"{op} {dtype} shapes={shapes} attrs={attrs}"
        try:
            expected, _ = tk.execute(op, inputs, dict(attrs), cpu)
        except errors.InvalidArgumentError:
            continue  # data-dependent errors: the GPU follows TF's GPU kernels instead
        on_gpu = [from_host(x, GPU) for x in inputs]
        outputs, used = tk.execute(op, on_gpu, dict(attrs), GPU)
        assert used is GPU, f"{what}: ran on {used.name}"
        assert len(outputs) == len(expected), what
        for i, (out, exp) in enumerate(zip(outputs, expected)):
            exp, got = np.asarray(exp), to_host(out, GPU)
            assert got.dtype == exp.dtype and got.shape == exp.shape, f"{what} output {i}"
            if exp.dtype.name in ("float16", "bfloat16"):
                exp, got = exp.astype(np.float32), got.astype(np.float32)
            tol = tolerance(op, exp.dtype)
            if tol is None:
                np.testing.assert_array_equal(got, exp, err_msg=f"{what} output {i}")
            else:
                np.testing.assert_allclose(got, exp, rtol=tol, atol=tol, equal_nan=True,
                                           err_msg=f"{what} output {i}")  # fmt: skip
        ran += 1
    assert ran, f"{op} {dtype}: every case raised on the CPU"


def test_tf32_matmul_is_close_and_off_by_default():
    from tensorhouse_hw_runtime import config

    assert not config.experimental.tensor_float_32_execution_enabled()
    rng = np.random.default_rng(0)
    a = rng.standard_normal((300, 200)).astype(np.float32)
    b = rng.standard_normal((200, 100)).astype(np.float32)
    exact = a.astype(np.float64) @ b
    (c,), _ = tk.execute("MatMul", [from_host(a, GPU), from_host(b, GPU)], {}, GPU)
    np.testing.assert_allclose(to_host(c, GPU), exact, rtol=1e-4, atol=1e-4)
    config.experimental.enable_tensor_float_32_execution(True)
    try:
        (c,), _ = tk.execute("MatMul", [from_host(a, GPU), from_host(b, GPU)], {}, GPU)
    finally:
        config.experimental.enable_tensor_float_32_execution(False)
    np.testing.assert_allclose(to_host(c, GPU), exact, rtol=0, atol=0.1)  # 10-bit mantissas
