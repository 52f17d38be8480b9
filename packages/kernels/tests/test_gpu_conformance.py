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
  batch norm (other summation orders over long reductions), the normal random numbers
  (Box-Muller through the GPU's log / sin / cos), FusedElementwise (its programs use exp and
  tanh) and float Range (the GPU computes start + i * delta as TF's GPU kernel, the CPU
  accumulates value += delta as TF's CPU kernel; integer Range is exact);
- TopKV2, Where and LayerNorm / LayerNormGrad by the rules above (TopKV2 and Where exactly);
- within 2e-4 (float32) / 1e-10 (float64) for the LAPACK ops (MatrixInverse, MatrixSolve,
  MatrixDeterminant, LogMatrixDeterminant, Cholesky): the GPU factors op(A) itself, LAPACK
  the transpose it sees in row-major memory, so the pivots come in another order.

The kernels added last (LayerNorm, LayerNormGrad, TopKV2, Where, Range, FusedElementwise) have
never run on a GPU: the long-input tests at the end exercise their second paths (TopKV2's
global-memory sort, Where's many chunks, FusedElementwise's per-op path). Nor have the linalg.cu
kernels (MatrixInverse, MatrixSolve, the determinants, Cholesky): the tests after those check
batches, the global-memory path for matrices too large for shared memory, the size limit, and
singular / not positive definite input. That input is where the GPU departs from the CPU on
purpose: Cholesky gives NaN in the lower triangle of such a matrix (TF's GPU kernel) where the
CPU raises, so it is tested on the GPU alone; MatrixInverse / MatrixSolve raise the CPU's error.

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
    "Pack", "Unpack",
    "StatelessRandomUniformV2", "TopKV2", "Where", "MirrorPad", "TensorScatterUpdate",
    "StatelessRandomUniformIntV2",
}  # fmt: skip
LOOSE = {
    "Rsqrt", "Exp", "Expm1", "Log", "Log1p", "Sin", "Cos", "Tan", "Tanh", "Sigmoid", "Erf",
    "Elu", "Selu", "Softplus", "Pow", "SoftplusGrad", "Softmax", "LogSoftmax",
    "SoftmaxCrossEntropyWithLogits", "SparseSoftmaxCrossEntropyWithLogits",
    "MatMul", "BatchMatMulV2", "Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter",
    "DepthwiseConv2dNative", "DepthwiseConv2dNativeBackpropInput",
    "DepthwiseConv2dNativeBackpropFilter", "FusedBatchNormV3", "FusedBatchNormGradV3",
    "RandomStandardNormal", "TruncatedNormal", "StatelessRandomNormalV2",
    "StatelessTruncatedNormalV2", "BiasAddGrad", "FusedElementwise", "Range",
    "MatrixInverse", "MatrixSolve", "MatrixDeterminant", "LogMatrixDeterminant", "Cholesky",
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


def _on_gpu(op, inputs, attrs):
    outputs, used = tk.execute(op, [from_host(x, GPU) for x in inputs], dict(attrs), GPU)
    assert used is GPU
    return [to_host(o, GPU) for o in outputs]


def _on_cpu(op, inputs, attrs):
    outputs, _ = tk.execute(op, inputs, dict(attrs), get_device("/device:CPU:0"))
    return [np.asarray(o) for o in outputs]


@pytest.mark.parametrize("shape, k", [((3, 5000), 7), ((2, 2049), 2049), ((1, 100000), 50)])
def test_top_k_long_rows_use_the_global_sort(shape, k):
    rng = np.random.default_rng(0)
    x = rng.integers(-50, 50, size=shape).astype(np.float32)
    x[0, ::97] = np.nan
    assert gpu.top_k_plan(shape[0], shape[1], 4)[0] == "global"
    for got, exp in zip(_on_gpu("TopKV2", [x], {"k": k}), _on_cpu("TopKV2", [x], {"k": k})):
        np.testing.assert_array_equal(got, exp)


def test_where_many_chunks_keep_row_major_order():
    rng = np.random.default_rng(1)
    x = rng.random((300, 70, 50)) < 0.3  # 1.05M elements: 257 chunks
    assert gpu.where_layout(x.size)[0] > 100
    np.testing.assert_array_equal(_on_gpu("Where", [x], {})[0], np.argwhere(x))
    np.testing.assert_array_equal(_on_gpu("Where", [np.zeros((4, 3))], {})[0],
                                  np.zeros((0, 2), np.int64))  # fmt: skip


def test_long_float_range_is_start_plus_i_delta():
    attrs = {"start": 0.1, "limit": 1000.0, "delta": 0.01, "dtype": "float32"}
    (got,) = _on_gpu("Range", [], attrs)
    i = np.arange(got.size, dtype=np.float32)
    np.testing.assert_allclose(got, np.float32(0.1) + i * np.float32(0.01), rtol=1e-6)
    (cpu,) = _on_cpu("Range", [], attrs)  # the CPU's running sum drifts; close, not equal
    np.testing.assert_allclose(got, cpu, rtol=2e-3)  # 7e-4 here on the CPU


def test_fused_program_with_many_live_registers_runs_per_op():
    x = np.linspace(-1, 1, 1000)
    program = [("input", 0)] + [("binary", "Mul", 0, 0)] * 40
    attrs = {"program": tuple(program), "outputs": tuple(range(41))}
    assert gpu.fused_slots(program, attrs["outputs"])[1] > gpu._FUSED_SLOTS
    for got, exp in zip(_on_gpu("FusedElementwise", [x], attrs),
                        _on_cpu("FusedElementwise", [x], attrs)):  # fmt: skip
        np.testing.assert_array_equal(got, exp)


def test_layer_norm_many_rows_and_wide_rows():
    rng = np.random.default_rng(2)
    for shape in ((1100, 3), (2, 4000)):
        x, g, b = rng.standard_normal(shape), rng.standard_normal(shape[-1:]), rng.random(
            shape[-1:])  # fmt: skip
        for got, exp in zip(_on_gpu("LayerNorm", [x, g, b], {"epsilon": 1e-3}),
                            _on_cpu("LayerNorm", [x, g, b], {"epsilon": 1e-3})):  # fmt: skip
            np.testing.assert_allclose(got, exp, rtol=1e-12, atol=1e-12)
        dy = rng.standard_normal(shape)
        _, mean, rstd = _on_cpu("LayerNorm", [x, g, b], {"epsilon": 1e-3})
        args = [dy, x, g, mean, rstd]
        for got, exp in zip(_on_gpu("LayerNormGrad", args, {}),
                            _on_cpu("LayerNormGrad", args, {})):  # fmt: skip
            np.testing.assert_allclose(got, exp, rtol=1e-10, atol=1e-10)


# ---- linalg.cu: MatrixInverse, MatrixSolve, the determinants, Cholesky -------------------------

_LA_OPS = ("MatrixInverse", "MatrixSolve", "MatrixDeterminant", "LogMatrixDeterminant", "Cholesky")


def _la_inputs(op, rng, shape, dtype):
    ref = _reference_suite()
    if op == "Cholesky":
        return ref.spd_inputs(rng, dtype, [shape])
    a = ref.well_conditioned(rng, dtype, shape)
    if op == "MatrixSolve":
        return [a, rng.standard_normal(shape[:-1] + (3,)).astype(dtype)]
    return [a]


def _la_compare(op, inputs, attrs, tol):
    for got, exp in zip(_on_gpu(op, inputs, attrs), _on_cpu(op, inputs, attrs)):
        assert got.shape == exp.shape and got.dtype == exp.dtype
        np.testing.assert_allclose(got, exp, rtol=tol, atol=tol, err_msg=f"{op} {attrs}")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op", _LA_OPS)
def test_linalg_batches_match_the_cpu(op, dtype):
    rng = np.random.default_rng(zlib.crc32(f"la:{op}:{dtype}".encode()))
    for shape in ((3, 2, 6, 6), (40, 9, 9), (2, 33, 33), (1, 1, 1)):
        assert gpu.linalg_plan(op, shape, np.dtype(dtype).itemsize)[0] == "shared"
        inputs = _la_inputs(op, rng, shape, dtype)
        for adjoint in (False, True) if op in ("MatrixInverse", "MatrixSolve") else (False,):
            _la_compare(op, inputs, {"adjoint": adjoint}, LOOSE_TOL[dtype])


@pytest.mark.parametrize("dtype, n", [("float64", 65), ("float32", 91), ("float64", 200),
                                      ("float32", 300)])  # fmt: skip
@pytest.mark.parametrize("op", _LA_OPS)
def test_linalg_large_matrices_use_the_global_path(op, dtype, n, monkeypatch):
    itemsize = np.dtype(dtype).itemsize
    # a scratch for two matrices: three matrices take the grid-stride loop over the batch
    monkeypatch.setattr(gpu.linalg, "_LA_SCRATCH_BYTES", 2 * n * n * itemsize)
    kind, grid, _ = gpu.linalg_plan(op, (3, n, n), itemsize, scratch=op != "Cholesky")
    assert kind == "global" and grid == (3 if op == "Cholesky" else 2)
    rng = np.random.default_rng(n)
    inputs = _la_inputs(op, rng, (3, n, n), dtype)
    tol = {"float32": 2e-3, "float64": 1e-9}[dtype]  # longer sums than the batch cases
    for adjoint in (False, True) if op in ("MatrixInverse", "MatrixSolve") else (False,):
        _la_compare(op, inputs, {"adjoint": adjoint}, tol)


def test_linalg_beyond_the_size_limit_raises_naming_op_shape_and_device():
    n = gpu._LA_MAX_N + 1
    x = np.eye(n, dtype=np.float32)[None]
    for op in _LA_OPS:
        inputs = [x, np.ones((1, n, 1), np.float32)] if op == "MatrixSolve" else [x]
        with pytest.raises(errors.UnimplementedError,
                           match=rf"^{op} on .*GPU:0: .*got shape \(1, {n}, {n}\)"):  # fmt: skip
            tk.execute(op, [from_host(v, GPU) for v in inputs], {}, GPU)


SINGULAR = np.array([[1.0, 0.0, -1.0], [-1.0, 1.0, 0.0], [0.0, -1.0, 1.0]])  # rows sum to 0


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_linalg_singular_input_as_the_cpu(dtype):
    a = np.stack([np.eye(3), SINGULAR, 2 * np.eye(3)]).astype(dtype)
    with pytest.raises(errors.InvalidArgumentError,
                       match=r"^Input is not invertible\. \[Op:MatrixInverse\]$"):  # fmt: skip
        _on_gpu("MatrixInverse", [a], {})
    with pytest.raises(
        errors.InvalidArgumentError, match=r"^Input matrix is not invertible\. \[Op:MatrixSolve\]$"
    ):
        _on_gpu("MatrixSolve", [a, np.ones((3, 3, 2), dtype)], {"adjoint": True})
    (out,) = _on_gpu("MatrixSolve", [SINGULAR.astype(dtype), np.ones((3, 0), dtype)], {})
    assert out.shape == (3, 0)  # no right-hand sides: nothing to check, as the CPU
    (det,) = _on_gpu("MatrixDeterminant", [a], {})
    np.testing.assert_array_equal(det, np.array([1.0, 0.0, 8.0], dtype))
    sign, log_abs = _on_gpu("LogMatrixDeterminant", [a], {})
    assert sign.tolist() == [1.0, 0.0, 1.0] and log_abs[1] == -np.inf
    (det,) = _on_gpu("MatrixDeterminant", [np.zeros((4, 0, 0), dtype)], {})
    np.testing.assert_array_equal(det, np.ones(4, dtype))  # 0 x 0: det 1, as the CPU


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cholesky_not_positive_definite_gives_nan_as_tf_gpu(dtype):
    good = np.array([[4.0, 99.0], [2.0, 5.0]])  # 99 sits above the diagonal: never read
    bad = np.array([[1.0, 0.0], [2.0, 1.0]])  # [[1, 2], [2, 1]]: eigenvalue -1
    x = np.stack([good, bad, good]).astype(dtype)
    (got,) = _on_gpu("Cholesky", [x], {})
    expected = np.linalg.cholesky(np.array([[4.0, 2.0], [2.0, 5.0]])).astype(dtype)
    np.testing.assert_allclose(got[0], expected, rtol=1e-6)
    np.testing.assert_allclose(got[2], expected, rtol=1e-6)
    assert np.isnan(got[1][np.tril_indices(2)]).all() and got[1][0, 1] == 0
    with pytest.raises(errors.InvalidArgumentError, match="Cholesky decomposition was not"):
        _on_cpu("Cholesky", [x], {})  # the CPU raises: the documented difference
