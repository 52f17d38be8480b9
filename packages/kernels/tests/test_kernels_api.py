"""execute()'s contract, op definitions, soft placement, and hand-computed edge cases."""

from __future__ import annotations

import numpy as np
import pytest

import tensorhouse_kernels as tk
from tensorhouse_hw_runtime import Device, errors, list_kernels
from tensorhouse_hw_runtime.backends.cpu import backend as cpu_backend
from tensorhouse_kernels import _cpu

nan, inf = np.nan, np.inf
I32_MIN, I32_MAX = -(2**31), 2**31 - 1


# ---- execute's contract -----------------------------------------------------------------------


def test_execute_returns_new_contiguous_outputs(cpu):
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    outputs, used = tk.execute("Identity", [a], {}, cpu)
    assert used is cpu
    (out,) = outputs
    assert out.flags.c_contiguous and out.flags.writeable
    assert not np.shares_memory(out, a)
    np.testing.assert_array_equal(out, a)


def test_reshape_is_a_view(cpu):
    a = np.arange(6, dtype=np.int64)
    (out,), _ = tk.execute("Reshape", [a], {"shape": (3, -1)}, cpu)
    assert out.shape == (3, 2)
    assert np.shares_memory(out, a)
    np.testing.assert_array_equal(out, [[0, 1], [2, 3], [4, 5]])


def test_inputs_are_not_modified(cpu):
    a = np.array([[1.0, -2.0], [3.0, -4.0]])
    b = np.array([0.5, 2.0])
    a0, b0 = a.copy(), b.copy()
    for op in ("AddV2", "Mul", "Maximum", "Less"):
        tk.execute(op, [a, b], {}, cpu)
    tk.execute("Sum", [a], {"axis": [0]}, cpu)
    tk.execute("MatMul", [a, a], {"transpose_a": True}, cpu)
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(b, b0)


def test_soft_placement_runs_on_cpu(cpu, soft_placement):
    fake_gpu = Device("GPU", 0, cpu_backend)  # a GPU-typed device with host memory
    soft_placement(True)
    a = np.array([1.0, 2.0], np.float32)
    outputs, used = tk.execute("AddV2", [a, a], {}, fake_gpu)
    assert used is cpu
    np.testing.assert_array_equal(outputs[0], [2.0, 4.0])
    soft_placement(False)
    with pytest.raises(errors.NotFoundError, match="'AddV2' on device type GPU"):
        tk.execute("AddV2", [a, a], {}, fake_gpu)


def test_every_registered_op_has_an_op_def():
    ops = {k.op_type for k in list_kernels(device_type="CPU")}
    assert ops <= set(tk.list_op_defs())
    for op in ops:
        opdef = tk.get_op_def(op)
        assert opdef.name == op
        # Every kernel dtype is one the op definition accepts.
        for k in list_kernels(op_type=op, device_type="CPU"):
            assert np.dtype(k.dtype) in opdef.dtypes, (op, k.dtype)


def test_cpu_info():
    info = tk.cpu_info()
    assert info["openmp"] is True
    assert info["threads"] == _cpu.num_threads() >= 1
    assert info["blas"] == "OpenBLAS (scipy-openblas32)"
    assert info["blas_config"].startswith("OpenBLAS")


# ---- shape rules, usable without running anything ---------------------------------------------


@pytest.mark.parametrize(
    "a, b, out",
    [
        ((3, 1, 4), (5, 1), (3, 5, 4)),
        ((), (2, 3), (2, 3)),
        ((0, 1), (1, 4), (0, 4)),
        ((None, 3), (4, 1, 3), (4, None, 3)),
        ((None, 1), (1, 7), (None, 7)),
        ((2, None), (2, 5), (2, 5)),
    ],
)
def test_broadcast_shape(a, b, out):
    assert tk.broadcast_shape("AddV2", a, b) == out
    assert tk.broadcast_shape("AddV2", b, a) == out


def test_shape_rules_with_unknown_dims():
    f32 = np.dtype("float32")
    matmul = tk.get_op_def("MatMul")
    assert matmul.infer([(None, 3), (3, None)], [f32, f32], {}) == [((None, None), f32)]
    both_t = {"transpose_a": True, "transpose_b": True}
    assert matmul.infer([(3, None), (5, 3)], [f32, f32], both_t) == [((None, 5), f32)]
    with pytest.raises(errors.InvalidArgumentError, match=r"\[3,\?\], In\[1\]: \[5,4\]"):
        matmul.infer([(3, None), (5, 4)], [f32, f32], both_t)
    total = tk.get_op_def("Sum")
    assert total.infer([(None, 4, 5)], [f32], {"axis": [1], "keep_dims": True}) == [
        ((None, 1, 5), f32)
    ]
    less = tk.get_op_def("Less")
    assert less.infer([(2, 3), (3,)], [f32, f32], {}) == [((2, 3), np.dtype(bool))]


def test_normalize_axes():
    assert tk.normalize_axes("Sum", None, 3) == (0, 1, 2)
    assert tk.normalize_axes("Sum", -1, 3) == (2,)
    assert tk.normalize_axes("Sum", [2, -3, 0], 3) == (0, 2)
    with pytest.raises(errors.InvalidArgumentError, match="dimension 3 for input with 3"):
        tk.normalize_axes("Sum", [3], 3)


# ---- hand-computed values -----------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "ta, tb, expected",
    [
        (False, False, [[19, 22], [43, 50]]),
        (True, False, [[26, 30], [38, 44]]),
        (False, True, [[17, 23], [39, 53]]),
        (True, True, [[23, 31], [34, 46]]),
    ],
)
def test_matmul_by_hand(ta, tb, expected, dtype, run):
    a = np.array([[1, 2], [3, 4]], dtype)
    b = np.array([[5, 6], [7, 8]], dtype)
    out = run("MatMul", [a, b], {"transpose_a": ta, "transpose_b": tb})
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(out, expected)


def test_matmul_empty_inner_dim_is_zeros(run):
    out = run("MatMul", [np.ones((3, 0)), np.ones((0, 2))])
    np.testing.assert_array_equal(out, np.zeros((3, 2)))


@pytest.mark.parametrize(
    "src, dst, values, expected",
    [
        ("float32", "int32", [nan, inf, -inf, 3e9, -3e9, 2.7, -2.7, -0.0],
         [0, I32_MAX, I32_MIN, I32_MAX, I32_MIN, 2, -2, 0]),
        ("float64", "int64", [nan, 1e19, -1e19, 2.0**63, -(2.0**63), 123.99],
         [0, 2**63 - 1, -(2**63), 2**63 - 1, -(2**63), 123]),
        ("float64", "uint8", [-5.0, -0.5, 254.9, 255.0, 300.0, nan], [0, 0, 254, 255, 255, 0]),
        ("float32", "bool", [0.0, -0.0, 0.1, -3.0, nan, inf], [0, 0, 1, 1, 1, 1]),
        ("int64", "int32", [2**32 + 5, -1, 2**31], [5, -1, I32_MIN]),  # wraps, as TF
        ("int32", "uint8", [256, 257, -1], [0, 1, 255]),
        ("bool", "float32", [True, False], [1.0, 0.0]),
        ("uint8", "int32", [255, 0], [255, 0]),
        ("int32", "bool", [0, 5, -1], [0, 1, 1]),
    ],
)  # fmt: skip
def test_cast_by_hand(src, dst, values, expected, run):
    out = run("Cast", [np.array(values, dtype=src)], {"DstT": dst})
    assert out.dtype == np.dtype(dst)
    np.testing.assert_array_equal(out, np.array(expected, dtype=dst))


@pytest.mark.parametrize(
    "dtype, value, expected",
    [
        ("int32", 2.9, 2),
        ("int32", -2.9, -2),
        ("uint8", 300, 255),
        ("uint8", -4, 0),
        ("int32", nan, 0),
        ("bool", 2, True),
        ("bool", 0, False),
        ("float32", 0.1, np.float32(0.1)),
        ("int64", -(2**40), -(2**40)),
    ],
)
def test_fill_by_hand(dtype, value, expected, run):
    out = run("Fill", [], {"shape": (2, 2), "dtype": dtype, "value": value})
    assert out.dtype == np.dtype(dtype) and out.shape == (2, 2)
    np.testing.assert_array_equal(out, np.full((2, 2), expected, dtype=dtype))


def test_reductions_by_hand(run):
    x = np.array([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]])
    np.testing.assert_array_equal(run("Sum", [x], {"axis": [0]}), [5.0, 3.0, -3.0])
    np.testing.assert_array_equal(run("Prod", [x], {"axis": [1]}), [-6.0, -120.0])
    np.testing.assert_array_equal(run("Max", [x], {"axis": None}), 5.0)
    np.testing.assert_array_equal(
        run("Min", [x], {"axis": [1], "keep_dims": True}), [[-2.0], [-6.0]]
    )
    np.testing.assert_allclose(run("Mean", [x], {"axis": [0, 1]}), 5.0 / 6.0, rtol=1e-15)
    # integer Mean truncates toward zero
    xi = np.array([[-7, 0], [2, 3]], np.int32)
    np.testing.assert_array_equal(run("Mean", [xi], {"axis": [1]}), [-3, 2])
    # empty reductions: the reduction's identity; Mean of nothing is NaN
    e = np.zeros((2, 0), np.float32)
    np.testing.assert_array_equal(run("Sum", [e], {"axis": [1]}), [0.0, 0.0])
    np.testing.assert_array_equal(run("Prod", [e], {"axis": [1]}), [1.0, 1.0])
    np.testing.assert_array_equal(run("Max", [e], {"axis": [1]}), [-inf, -inf])
    np.testing.assert_array_equal(run("Min", [e], {"axis": [1]}), [inf, inf])
    assert np.isnan(run("Mean", [e], {"axis": [1]})).all()
    ei = np.zeros((0, 3), np.int32)
    np.testing.assert_array_equal(run("Max", [ei], {"axis": [0]}), [I32_MIN] * 3)
    np.testing.assert_array_equal(run("Min", [ei], {"axis": [0]}), [I32_MAX] * 3)


@pytest.mark.parametrize("axis", [None, [0], [1]])
@pytest.mark.parametrize("op, ref", [("Max", np.max), ("Min", np.min)])
def test_max_min_reductions_propagate_nan(op, ref, axis, run):
    x = np.array([[1.0, nan, 3.0], [nan, 0.5, 2.0], [4.0, 5.0, 6.0]])
    expected = ref(x, axis=None if axis is None else tuple(axis))
    np.testing.assert_array_equal(run(op, [x], {"axis": axis}), expected)


@pytest.mark.parametrize("op, ref", [("Maximum", np.maximum), ("Minimum", np.minimum)])
def test_elementwise_maximum_minimum_propagate_nan_in_either_position(op, ref, run):
    a = np.array([nan, 1.0, nan, 2.0], np.float32)
    b = np.array([1.0, nan, nan, -2.0], np.float32)
    np.testing.assert_array_equal(run(op, [a, b]), ref(a, b))
    np.testing.assert_array_equal(run(op, [b, a]), ref(b, a))


def test_comparisons_with_nan(run):
    a = np.array([nan, 1.0, nan])
    b = np.array([1.0, nan, nan])
    for op, ref in [("Equal", np.equal), ("NotEqual", np.not_equal), ("Less", np.less),
                    ("LessEqual", np.less_equal), ("Greater", np.greater),
                    ("GreaterEqual", np.greater_equal)]:  # fmt: skip
        np.testing.assert_array_equal(run(op, [a, b]), ref(a, b), err_msg=op)


def test_reduce_accepts_an_integer_axis(run):
    x = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    np.testing.assert_array_equal(run("Sum", [x], {"axis": 1}), x.sum(axis=1))
    np.testing.assert_array_equal(
        run("Max", [x], {"axis": -1, "keep_dims": True}), x.max(-1, keepdims=True)
    )
    np.testing.assert_array_equal(run("Mean", [x], {"axis": np.int64(0)}), x.mean(axis=0))


# ---- the C++ strided copy ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "view",
    [
        lambda x: x[::-1],
        lambda x: x[:, ::-2],
        lambda x: x.T[::-1, 1:],
        lambda x: np.broadcast_to(x[:1], (5, 6)),
        lambda x: np.broadcast_to(x[:, 2:3], (4, 5, 3)),
        lambda x: x[2, 3, ...],  # a 0-d view
    ],
)
@pytest.mark.parametrize("dtype", ["float64", "int32", "uint8", "bool"])
def test_copy_of_strided_views(view, dtype):
    x = (np.arange(30).reshape(5, 6) % 7).astype(dtype)
    src = view(x)
    out = np.empty(src.shape, dtype)
    _cpu.copy(src, out)
    np.testing.assert_array_equal(out, src)


# ---- edge cases of the kernels added for the ops layer ---------------------------------------


def run1(cpu, op, inputs, attrs=None):
    outputs, _ = tk.execute(op, inputs, dict(attrs or {}), cpu)
    return outputs[0] if len(outputs) == 1 else outputs


def test_round_is_bankers_rounding(cpu):
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999, 2.5001, nan, inf], np.float32)
    out = run1(cpu, "Round", [x])
    np.testing.assert_array_equal(out, [0, 2, 2, -0.0, -2, -2, 2, 3, nan, inf])
    ints = np.array([-3, 0, 7], np.int64)
    np.testing.assert_array_equal(run1(cpu, "Round", [ints]), ints)


def test_activation_edge_values(cpu):
    x = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0, nan])
    sp = run1(cpu, "Softplus", [x])
    np.testing.assert_allclose(sp[:5], [0.0, np.log1p(np.exp(-30.0)), np.log(2.0), 30.0, 1000.0])
    assert np.isnan(sp[5])
    np.testing.assert_array_equal(run1(cpu, "Relu6", [x]), [0, 0, 0, 6, 6, nan])
    elu = run1(cpu, "Elu", [x])
    np.testing.assert_allclose(elu[:5], [-1.0, np.expm1(-30.0), 0.0, 30.0, 1000.0])
    np.testing.assert_array_equal(run1(cpu, "IsFinite", [x]), [1, 1, 1, 1, 1, 0])
    np.testing.assert_array_equal(run1(cpu, "IsNan", [x]), [0, 0, 0, 0, 0, 1])
    # ReluGrad's siblings at the kinks: features exactly 0 or 6 pass no gradient, as TF
    g = np.ones(4)
    np.testing.assert_array_equal(
        run1(cpu, "Relu6Grad", [g, np.array([0.0, 3, 6, 7])]), [0, 1, 0, 0]
    )


def test_floor_div_and_mod_follow_python(cpu):
    a = np.array([7, -7, 7, -7, 0], np.int32)
    b = np.array([2, 2, -2, -2, 3], np.int32)
    np.testing.assert_array_equal(run1(cpu, "FloorDiv", [a, b]), [7 // 2, -7 // 2, 7 // -2, 3, 0])
    np.testing.assert_array_equal(run1(cpu, "FloorMod", [a, b]), [1, 1, -1, -1, 0])
    fa, fb = a.astype(np.float64) + 0.5, b.astype(np.float64)
    np.testing.assert_array_equal(run1(cpu, "FloorMod", [fa, fb]), [v % w for v, w in zip(fa, fb)])


def test_softmax_is_stable_for_large_logits(cpu):
    x = np.array([[1000.0, 1000.0, -1000.0], [-inf, 0.0, 0.0]], np.float32)
    np.testing.assert_allclose(run1(cpu, "Softmax", [x]), [[0.5, 0.5, 0], [0, 0.5, 0.5]])
    np.testing.assert_allclose(
        run1(cpu, "LogSoftmax", [x]),
        [[-np.log(2), -np.log(2), -2000 - np.log(2)], [-inf, -np.log(2), -np.log(2)]],
    )
    loss, backprop = run1(cpu, "SparseSoftmaxCrossEntropyWithLogits", [x[:1], np.array([2])])
    np.testing.assert_allclose(loss, [2000 + np.log(2)], rtol=1e-6)
    np.testing.assert_allclose(backprop, [[0.5, 0.5, -1.0]])


def test_arg_and_top_k_ties_and_nan(cpu):
    x = np.array([[1.0, 3.0, 3.0, nan, 2.0], [2.0, 2.0, 1.0, 1.0, 0.0]])
    np.testing.assert_array_equal(run1(cpu, "ArgMax", [x], {"axis": 1}), [3, 0])  # NaN wins
    np.testing.assert_array_equal(run1(cpu, "ArgMin", [x], {"axis": 1}), [3, 4])
    values, indices = run1(cpu, "TopKV2", [x[1:]], {"k": 3})
    np.testing.assert_array_equal(values, [[2.0, 2.0, 1.0]])
    np.testing.assert_array_equal(indices, [[0, 1, 2]])  # equal values: lower index first


def test_batch_matmul_takes_both_blas_paths(cpu):
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((4, 3, 5)), rng.standard_normal((5, 2))  # uniform batch strides
    np.testing.assert_allclose(run1(cpu, "BatchMatMulV2", [a, b]), a @ b, rtol=1e-12)
    a, b = rng.standard_normal((2, 1, 3, 5)), rng.standard_normal((3, 5, 2))  # 2-D broadcast
    np.testing.assert_allclose(run1(cpu, "BatchMatMulV2", [a, b]), a @ b, rtol=1e-12)
    assert isinstance(_cpu.blas_has_batch_strided(), bool)


def test_where_and_range(cpu):
    assert run1(cpu, "Where", [np.array(3.0)]).shape == (1, 0)
    assert run1(cpu, "Where", [np.array(0, np.int32)]).shape == (0, 0)
    out = run1(cpu, "Where", [np.array([[0, 1], [2, 0]], np.uint8)])
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, [[0, 1], [1, 0]])
    r = run1(cpu, "Range", [], {"start": 0.0, "limit": 1.0, "delta": 0.1, "dtype": "float32"})
    assert r.dtype == np.float32 and r.shape == (10,)
    big = run1(cpu, "Range", [], {"start": 2**40, "limit": 2**40 + 6, "delta": 3, "dtype": "int64"})
    np.testing.assert_array_equal(big, [2**40, 2**40 + 3])


def test_variadic_concat_skips_the_input_count_check(cpu):
    parts = [np.full((1, 2), i, np.int64) for i in range(5)]
    out = run1(cpu, "ConcatV2", parts, {"axis": 0})
    np.testing.assert_array_equal(out[:, 0], range(5))
    assert tk.get_op_def("ConcatV2").num_inputs is None


def test_data_errors_are_tf_errors_not_crashes(cpu):
    # the C++ module raises TF's InvalidArgumentError for bad values found in the data
    with pytest.raises(errors.InvalidArgumentError):
        _cpu.gather(np.ones(3), np.array([5]), 0, np.empty(1))
    with pytest.raises(errors.InvalidArgumentError, match="Integer division by zero"):
        run1(cpu, "FloorDiv", [np.array([1], np.int64), np.array([0], np.int64)])
