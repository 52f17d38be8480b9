"""Bad input gets TF's errors from execute, with messages that name the op, shapes and dtypes."""

from __future__ import annotations

import numpy as np
import pytest

import tensorhouse_kernels as tk
from tensorhouse_hw_runtime import errors, registry
from tensorhouse_kernels import _cpu

f32 = np.float32


def ones(shape, dtype=f32):
    return np.ones(shape, dtype=dtype)


@pytest.mark.parametrize("op", ["AddV2", "Mul", "Maximum", "Less", "SquaredDifference"])
def test_incompatible_shapes(op, cpu):
    with pytest.raises(errors.InvalidArgumentError) as info:
        tk.execute(op, [ones((2, 3)), ones((4,))], {}, cpu)
    assert str(info.value) == f"Incompatible shapes: [2,3] vs. [4] [Op:{op}]"
    assert info.value.error_code == 3


def test_incompatible_broadcast_in_a_middle_dim(cpu):
    with pytest.raises(errors.InvalidArgumentError, match=r"\[3,2,4\] vs\. \[5,1\]"):
        tk.execute("Sub", [ones((3, 2, 4)), ones((5, 1))], {}, cpu)


@pytest.mark.parametrize("a, b", [("float32", "int32"), ("float64", "float32"), ("int32", "int64")])
def test_mismatched_dtypes(a, b, cpu):
    with pytest.raises(errors.InvalidArgumentError) as info:
        tk.execute("AddV2", [ones((2,), a), ones((2,), b)], {}, cpu)
    msg = str(info.value)
    assert msg == (
        f"cannot compute AddV2 as input #1(zero-based) was expected to be a {a} tensor "
        f"but is a {b} tensor [Op:AddV2]"
    )


def test_matmul_size_incompatible(cpu):
    with pytest.raises(errors.InvalidArgumentError) as info:
        tk.execute("MatMul", [ones((2, 3)), ones((4, 5))], {}, cpu)
    assert str(info.value) == "Matrix size-incompatible: In[0]: [2,3], In[1]: [4,5] [Op:MatMul]"
    # TF's text names the shapes as given, whatever the transpose flags.
    with pytest.raises(errors.InvalidArgumentError) as info:
        tk.execute("MatMul", [ones((2, 3)), ones((3, 5))], {"transpose_a": True}, cpu)
    assert str(info.value) == "Matrix size-incompatible: In[0]: [2,3], In[1]: [3,5] [Op:MatMul]"


def test_matmul_rank(cpu):
    with pytest.raises(errors.InvalidArgumentError, match=r"rank 2.*\[2,3,4\]"):
        tk.execute("MatMul", [ones((2, 3, 4)), ones((4, 5))], {}, cpu)


def test_matmul_mismatched_dtypes(cpu):
    with pytest.raises(errors.InvalidArgumentError, match="float32.*float64"):
        tk.execute("MatMul", [ones((2, 2)), ones((2, 2), np.float64)], {}, cpu)


def test_matmul_int8_has_no_kernel(cpu):
    # TF's CPU MatMul takes int16, int32 and int64, not int8
    with pytest.raises(errors.NotFoundError) as info:
        tk.execute("MatMul", [ones((2, 2), np.int8), ones((2, 2), np.int8)], {}, cpu)
    msg = str(info.value)
    assert "'MatMul'" in msg and "dtype int8" in msg
    assert "Registered kernels for 'MatMul': CPU:" in msg  # then XLA's
    assert "CPU:float32, CPU:float64, CPU:int16, CPU:int32" in msg and "CPU:int8" not in msg
    assert info.value.error_code == 5


def test_a_dtype_outside_the_ops_type_list_is_invalid_argument(cpu):
    # TF checks the op's type constraint first: InvalidArgumentError, not a missing kernel
    with pytest.raises(
        errors.InvalidArgumentError,
        match=r"attr 'T' of int64 is not in the list of allowed values: float32, float64, "
        r"float16.*\[Op:Sqrt\]",
    ):
        tk.execute("Sqrt", [ones((3,), np.int64)], {}, cpu)
    with pytest.raises(errors.InvalidArgumentError, match=r"bool.*\[Op:Sum\]"):
        tk.execute("Sum", [np.ones(2, bool)], {"axis": None}, cpu)
    with pytest.raises(errors.UnimplementedError, match="Cast string to float32"):
        tk.execute("Cast", [np.array([b"a"], object)], {"DstT": np.float32}, cpu)


def test_unsupported_dtype_has_no_kernel(cpu):
    # TF has no CPU kernel for these either
    with pytest.raises(errors.NotFoundError, match="'TruncateMod'.*float16"):
        tk.execute("TruncateMod", [ones((2,), np.float16), ones((2,), np.float16)], {}, cpu)
    with pytest.raises(errors.NotFoundError, match="'BatchMatMulV2'.*int8"):
        tk.execute("BatchMatMulV2", [ones((2, 2), np.int8), ones((2, 2), np.int8)], {}, cpu)


def test_unknown_op(cpu):
    with pytest.raises(errors.NotFoundError, match="Op type not registered 'NoSuchOp'"):
        tk.execute("NoSuchOp", [ones((2,))], {}, cpu)


@pytest.mark.parametrize("axis", [3, -4, [0, 5]])
def test_reduction_axis_out_of_range(axis, cpu):
    with pytest.raises(errors.InvalidArgumentError, match="Invalid reduction dimension"):
        tk.execute("Sum", [ones((2, 3, 4))], {"axis": axis}, cpu)


def test_transpose_bad_perm(cpu):
    with pytest.raises(errors.InvalidArgumentError, match=r"perm \[0, 0\].*\[2,3\]"):
        tk.execute("Transpose", [ones((2, 3))], {"perm": [0, 0]}, cpu)
    with pytest.raises(errors.InvalidArgumentError, match="perm"):
        tk.execute("Transpose", [ones((2, 3))], {"perm": [1, 0, 2]}, cpu)


def test_reshape_bad_sizes(cpu):
    with pytest.raises(errors.InvalidArgumentError, match="6 values.*has 4"):
        tk.execute("Reshape", [ones((2, 3))], {"shape": (2, 2)}, cpu)
    with pytest.raises(errors.InvalidArgumentError, match="6 values"):
        tk.execute("Reshape", [ones((2, 3))], {"shape": (4, -1)}, cpu)
    with pytest.raises(errors.InvalidArgumentError, match="Only one input size may be -1, not"):
        tk.execute("Reshape", [ones((2, 3))], {"shape": (-1, -1)}, cpu)


def test_broadcast_to_incompatible(cpu):
    with pytest.raises(errors.InvalidArgumentError, match="Incompatible shapes"):
        tk.execute("BroadcastTo", [ones((3,))], {"shape": (4,)}, cpu)
    # (2,3) broadcasts with (3,) but not *to* (3,)
    with pytest.raises(errors.InvalidArgumentError, match=r"shape \[2,3\] to .* \[3\]"):
        tk.execute("BroadcastTo", [ones((2, 3))], {"shape": (3,)}, cpu)


def test_fill_negative_dim(cpu):
    with pytest.raises(errors.InvalidArgumentError, match=r"\[2, -1\]"):
        tk.execute("Fill", [], {"shape": (2, -1), "dtype": "float32", "value": 0}, cpu)


@pytest.mark.parametrize("dst", ["uint16", "uint32", "float128"])
def test_cast_to_unsupported_dtype(dst, cpu):
    with pytest.raises(errors.UnimplementedError, match=f"Cast float32 to {dst} is not supported"):
        tk.execute("Cast", [ones((3,))], {"DstT": dst}, cpu)


@pytest.mark.parametrize(
    "op, inputs", [("AddV2", [ones((2,))]), ("Neg", []), ("Neg", [ones(2), ones(2)])]
)
def test_wrong_number_of_inputs(op, inputs, cpu):
    with pytest.raises(errors.InvalidArgumentError, match=f"{op} expects"):
        tk.execute(op, inputs, {}, cpu)


def test_errors_raised_before_any_kernel_runs(cpu):
    # Shape and dtype rules run first: a kernel is never called with bad input.
    calls = []

    def spy(inputs, outputs, attrs):
        calls.append([x.shape for x in inputs])

    registry.register("AddV2", "CPU", "float32", spy, priority=99)  # overrides the C++ kernel
    try:
        with pytest.raises(errors.InvalidArgumentError):
            tk.execute("AddV2", [ones((2,)), ones((3,))], {}, cpu)
        assert calls == []
        tk.execute("AddV2", [ones((2,)), ones((2,))], {}, cpu)  # the spy is the kernel in use
        assert calls == [[(2,), (2,)]]
    finally:
        registry.unregister("AddV2", "CPU", "float32", priority=99)
    assert registry.lookup("AddV2", "CPU", np.dtype("float32")) is not spy


# ---- the C++ module's own checks (the safety net under the Python rules) -------------------


def test_cpp_rejects_non_contiguous_and_read_only_buffers():
    x = np.arange(12, dtype=f32).reshape(3, 4)
    out = np.empty((3, 2), f32)
    with pytest.raises(ValueError, match="C-contiguous"):
        _cpu.unary(_cpu.UNARY_OPS["Neg"], x[:, ::2], out)
    ro = np.empty((3, 4), f32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        _cpu.unary(_cpu.UNARY_OPS["Neg"], x, ro)


def test_cpp_rejects_bad_shapes_and_dtypes():
    a, b = np.ones((2, 3), f32), np.ones((4,), f32)
    with pytest.raises(ValueError, match=r"\[2,3\] and \[4\] do not broadcast to \[2,3\]"):
        _cpu.binary(_cpu.BINARY_OPS["AddV2"], a, b, np.empty((2, 3), f32))
    with pytest.raises(ValueError, match="dtype mismatch float32 vs float64"):
        _cpu.binary(_cpu.BINARY_OPS["AddV2"], a, a.astype(np.float64), np.empty((2, 3), f32))
    with pytest.raises(ValueError, match="output dtype"):
        _cpu.binary(_cpu.BINARY_OPS["Less"], a, a, np.empty((2, 3), f32))
    with pytest.raises(ValueError, match="inner dimensions"):
        _cpu.matmul(a, a, np.empty((2, 2), f32), False, False)
    with pytest.raises(ValueError, match="unknown op code"):
        _cpu.unary(999, a, np.empty_like(a))
    with pytest.raises(ValueError, match="output size"):
        _cpu.reduce(_cpu.REDUCE_OPS["Sum"], a, [0], np.empty((2,), f32))
    with pytest.raises(ValueError, match="at least one thread"):
        _cpu.set_num_threads(0)


# ---- the kernels added for the ops layer: bad shapes, dtypes and values ----------------------

i32, i64 = np.int32, np.int64


def raises(op, inputs, attrs, cpu, match, error=errors.InvalidArgumentError):
    with pytest.raises(error, match=match) as info:
        tk.execute(op, inputs, attrs, cpu)
    assert str(info.value).endswith(f"[Op:{op}]"), str(info.value)
    return str(info.value)


@pytest.mark.parametrize("op", ["FloorDiv", "FloorMod"])
@pytest.mark.parametrize("dtype", [i32, i64])
def test_integer_division_by_zero_is_an_error(op, dtype, cpu):
    a = np.array([[7, -7, 3]], dtype)
    b = np.array([[2], [0]], dtype)  # the zero is only reached through broadcasting
    msg = raises(op, [a, b], {}, cpu, "Integer division by zero")
    assert msg == f"Integer division by zero [Op:{op}]"
    # floats divide by zero as IEEE does
    (out,), _ = tk.execute(op, [a.astype(f32), b.astype(f32)], {}, cpu)
    assert out.shape == (2, 3)


@pytest.mark.parametrize("dtype", [i32, i64])
def test_integer_pow(dtype, cpu):
    a = np.array([2, -3, 0, 7, 1, -1], dtype)
    b = np.array([10, 3, 0, 0, 30, 5], dtype)
    (out,), _ = tk.execute("Pow", [a, b], {}, cpu)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, [1024, -27, 1, 1, 1, -1])
    (big,), _ = tk.execute("Pow", [np.array([3], dtype), np.array([40], dtype)], {}, cpu)
    bits = np.iinfo(dtype).bits
    want = pow(3, 40, 2**bits)  # wraps, as the other integer ops
    assert int(big[0]) == (want - 2**bits if want >= 2 ** (bits - 1) else want)
    msg = raises("Pow", [a, np.array([[1], [-1]], dtype)], {}, cpu, "negative integer powers")
    assert msg == "Integers to negative integer powers are not allowed [Op:Pow]"


def test_floor_div_int_min_by_minus_one_wraps(cpu):
    for dtype in (i32, i64):
        lo = np.iinfo(dtype).min
        a, b = np.array([lo, lo, 7], dtype), np.array([-1, 1, -1], dtype)
        (q,), _ = tk.execute("FloorDiv", [a, b], {}, cpu)
        (r,), _ = tk.execute("FloorMod", [a, b], {}, cpu)
        np.testing.assert_array_equal(q, np.array([lo, lo, -7], dtype))
        np.testing.assert_array_equal(r, [0, 0, 0])


def test_logical_ops_need_bools(cpu):
    raises(
        "LogicalAnd", [ones(2), ones(2)], {}, cpu, "expected to be a bool tensor but is a float32"
    )
    raises("LogicalNot", [ones(2, i32)], {}, cpu, "expected to be a bool tensor but is a int32")
    raises("All", [ones(2)], {}, cpu, "bool tensor but is a float32")
    raises(
        "LogicalOr",
        [ones(2, bool), ones(3, bool)],
        {},
        cpu,
        r"Incompatible shapes: \[2\] vs\. \[3\]",
    )


def test_select_v2_errors(cpu):
    c = np.array([True, False])
    raises("SelectV2", [ones(2), ones(2), ones(2)], {}, cpu, "bool tensor but is a float32")
    raises("SelectV2", [c, ones(2), ones(2, i32)], {}, cpu, "float32 tensor but is a int32")
    raises(
        "SelectV2", [c, ones((3, 1)), ones(4)], {}, cpu, r"Incompatible shapes: \[3,2\] vs\. \[4\]"
    )


def test_axis_op_errors(cpu):
    raises(
        "ArgMax", [ones((2, 3))], {"axis": 2}, cpu, r"dimension in the range \[-2, 2\), but got 2"
    )
    raises(
        "ArgMin", [ones((0, 3))], {"axis": 0}, cpu, r"Reduction axis 0 is empty in shape \[0,3\]"
    )
    raises(
        "ArgMax", [ones(3)], {"output_type": "float32"}, cpu, "output_type must be int32 or int64"
    )
    raises("Cumsum", [ones(())], {"axis": 0}, cpu, r"axis in the range \[0, 0\)")
    raises("TopKV2", [ones((2, 3))], {"k": 4}, cpu, "at least k columns. Had 3, needed 4")
    raises("TopKV2", [ones((2, 3))], {"k": -1}, cpu, "Need k >= 0, got -1")
    raises("TopKV2", [ones(())], {"k": 0}, cpu, r"input must be >= 1-D, got shape \[\]")


def test_batch_matmul_errors(cpu):
    raises("BatchMatMulV2", [ones(3), ones((3, 2))], {}, cpu, "In\\[0\\] ndims must be >= 2: 1")
    raises(
        "BatchMatMulV2",
        [ones((2, 3, 4)), ones((2, 5, 6))],
        {},
        cpu,
        r"Matrix size-incompatible: In\[0\]: \[2,3,4\], In\[1\]: \[2,5,6\]",
    )
    raises(
        "BatchMatMulV2",
        [ones((2, 3, 4)), ones((3, 4, 5))],
        {},
        cpu,
        r"compatible batch dimensions: \[2,3,4\] vs\. \[3,4,5\]",
    )
    raises("BatchMatMulV2", [ones((2, 2)), ones((2, 2), np.float64)], {}, cpu, "float64")
    with pytest.raises(errors.NotFoundError, match="BatchMatMulV2"):
        tk.execute("BatchMatMulV2", [ones((2, 2), np.uint8), ones((2, 2), np.uint8)], {}, cpu)


def test_softmax_and_loss_errors(cpu):
    raises("Softmax", [ones(())], {}, cpu, r"logits must have >= 1 dimension, got \[\]")
    raises(
        "SoftmaxCrossEntropyWithLogits",
        [ones((2, 3)), ones((2, 4))],
        {},
        cpu,
        r"logits_size=\[2,3\] labels_size=\[2,4\]",
    )
    op = "SparseSoftmaxCrossEntropyWithLogits"
    raises(op, [ones((2, 3)), ones(2)], {}, cpu, "int32 or int64 tensor but is a float32")
    raises(op, [ones(3), ones(3, i32)], {}, cpu, r"logits must be 2-D, but got shape \[3\]")
    raises(op, [ones((2, 3)), ones((2, 1), i32)], {}, cpu, r"labels must be 1-D")
    raises(op, [ones((2, 3)), ones(3, i32)], {}, cpu, "same first dimension")
    raises(op, [ones((2, 0)), ones(2, i32)], {}, cpu, "at least one class")


@pytest.mark.parametrize("label_dtype", [i32, i64])
@pytest.mark.parametrize("bad", [3, -1, 2**31 - 1])
def test_sparse_label_out_of_range_names_it(bad, label_dtype, cpu):
    op = "SparseSoftmaxCrossEntropyWithLogits"
    labels = np.array([0, bad, 1], label_dtype)
    msg = raises(op, [ones((3, 3)), labels], {}, cpu, f"label value of {bad} ")
    assert msg == (
        f"Received a label value of {bad} which is outside the valid range of [0, 3).  "
        f"Label values: 0 {bad} 1 [Op:{op}]"
    )


@pytest.mark.parametrize("idx_dtype", [i32, i64])
def test_gather_index_out_of_range_names_it(idx_dtype, cpu):
    params = np.arange(15, dtype=f32).reshape(5, 3)
    idx = np.array([[0, 1], [7, 2]], idx_dtype)
    msg = raises("GatherV2", [params, idx], {"axis": 0}, cpu, "not in")
    assert msg == "indices[1,0] = 7 is not in [0, 5) [Op:GatherV2]"
    raises(
        "GatherV2",
        [params, np.array([-1], idx_dtype)],
        {"axis": 1},
        cpu,
        r"indices\[0\] = -1 is not in \[0, 3\)",
    )
    raises("GatherV2", [params, np.array([0], idx_dtype)], {"axis": 2}, cpu, r"\[-2, 2\)")
    raises("GatherV2", [params, ones(1)], {}, cpu, "int32 or int64 tensor but is a float32")
    with pytest.raises(errors.UnimplementedError, match="batch_dims=1"):
        tk.execute("GatherV2", [params, idx], {"batch_dims": 1}, cpu)


def test_gather_nd_and_scatter_nd_bad_indices(cpu):
    params = np.zeros((4, 3), f32)
    msg = raises("GatherNd", [params, np.array([[1, 2], [4, 0]], i64)], {}, cpu, "does not index")
    assert msg == "indices[1] = [4, 0] does not index into param shape [4,3] [Op:GatherNd]"
    raises("GatherNd", [params, np.array([[1, 2, 0]], i64)], {}, cpu, "saw: 3 vs. 2")
    msg = raises(
        "ScatterNd",
        [np.array([[1], [5]], i32), ones((2, 3))],
        {"shape": (4, 3)},
        cpu,
        "does not index",
    )
    assert msg == "indices[1] = [5] does not index into shape [4,3] [Op:ScatterNd]"
    raises(
        "ScatterNd",
        [np.array([[1], [2]], i32), ones((2, 2))],
        {"shape": (4, 3)},
        cpu,
        r"updates must have shape \[2,3\]",
    )


def test_unsorted_segment_sum_errors(cpu):
    ids = np.array([0, 3, 1], i32)
    msg = raises(
        "UnsortedSegmentSum", [ones((3, 2)), ids], {"num_segments": 3}, cpu, "out of range"
    )
    assert msg == "segment_ids[1] = 3 is out of range [0, 3) [Op:UnsortedSegmentSum]"
    raises(
        "UnsortedSegmentSum",
        [ones((3, 2)), np.zeros(2, i32)],
        {"num_segments": 3},
        cpu,
        r"data.shape = \[3,2\] does not start with segment_ids.shape = \[2\]",
    )


def test_array_op_shape_errors(cpu):
    raises(
        "ConcatV2",
        [ones((2, 3)), ones((3, 3))],
        {"axis": 1},
        cpu,
        r"Dimension 0 in both shapes must be equal: shape\[0\] = \[2,3\] vs\. shape\[1\] = \[3,3\]",
    )
    raises("ConcatV2", [ones((2, 3)), ones(3)], {"axis": 0}, cpu, "Ranks of all input tensors")
    raises("ConcatV2", [ones(()), ones(())], {"axis": 0}, cpu, "Can't concatenate scalars")
    raises("ConcatV2", [ones(2), ones(2, i32)], {"axis": 0}, cpu, "int32 tensor")
    raises("ConcatV2", [], {"axis": 0}, cpu, "at least one input")
    msg = raises("Pack", [ones(2), ones(3)], {"N": 2, "axis": 0}, cpu, "Shapes of all inputs")
    assert msg == (
        "Shapes of all inputs must match: values[0].shape = [2] != values[1].shape = [3] [Op:Pack]"
    )
    raises("Pack", [ones((2, 3)), ones(2)], {"axis": 0}, cpu, r"values\[1\].shape = \[2\]")
    raises("Pack", [ones(2), ones(2)], {"axis": 2}, cpu, r"axis = 2 not in \[-2, 2\)")
    raises("Pack", [ones(2), ones(2)], {"axis": -3}, cpu, r"axis = -3 not in \[-2, 2\)")
    raises("Pack", [ones(2), ones(2, i32)], {"axis": 0}, cpu, "int32 tensor")
    raises("Pack", [], {"axis": 0}, cpu, "at least one input")
    msg = raises("Unpack", [ones((2, 3))], {"num": 3, "axis": -2}, cpu, "must equal 3")
    assert msg == "Input shape axis 0 must equal 3, got shape [2,3] [Op:Unpack]"
    raises("Unpack", [ones((2, 3))], {"num": 2, "axis": 2}, cpu, r"axis = 2 not in \[-2, 2\)")
    raises("Unpack", [ones(())], {"num": 2, "axis": 0}, cpu, r"axis = 0 not in \[0, 0\)")
    raises(
        "Split", [ones((5, 2))], {"num_split": 2}, cpu, r"split_dim 0 \(size = 5\) and num_split 2"
    )
    raises("SplitV", [ones(5)], {"size_splits": [2, 2]}, cpu, "Got: 4 for split_dim of size 5")
    raises("SplitV", [ones(5)], {"size_splits": [-1, -1]}, cpu, "at most one -1")
    raises(
        "Slice",
        [ones((3, 4))],
        {"begin": [1, 5], "size": [1, 1]},
        cpu,
        r"Expected begin\[1\] in \[0, 4\], but got 5",
    )
    raises(
        "Slice",
        [ones((3, 4))],
        {"begin": [1, 0], "size": [3, 1]},
        cpu,
        r"Expected size\[0\] in \[0, 2\], but got 3",
    )
    raises(
        "StridedSlice",
        [ones((3, 4))],
        {"begin": [5], "end": [6], "shrink_axis_mask": 1},
        cpu,
        "slice index 5 of dimension 0 out of bounds",
    )
    raises(
        "StridedSlice",
        [ones(3)],
        {"begin": [0], "end": [2], "strides": [0]},
        cpu,
        r"strides\[0\] must be non-zero",
    )
    raises(
        "StridedSlice",
        [ones(3)],
        {"begin": [0, 0], "end": [1, 1], "strides": [1, 1]},
        cpu,
        "Index out of range using input dim 1",
    )
    raises(
        "StridedSlice",
        [ones(3)],
        {"begin": [0, 0], "end": [1, 1], "ellipsis_mask": 3},
        cpu,
        "Multiple ellipses",
    )
    raises(
        "StridedSliceGrad",
        [ones(2)],
        {"shape": (4,), "begin": [0], "end": [3]},
        cpu,
        r"shape of dy was \[2\] instead of \[3\]",
    )
    raises("Pad", [ones((2, 3))], {"paddings": [[1, 1]]}, cpu, r"paddings must be a \[2, 2\] list")
    raises("Pad", [ones(2)], {"paddings": [[-1, 1]]}, cpu, "Paddings must be non-negative: -1 1")
    raises("Tile", [ones((2, 3))], {"multiples": [2]}, cpu, "vector of length 2 but got length 1")
    raises("Tile", [ones(2)], {"multiples": [-1]}, cpu, r"multiples\[0\] >= 0")
    raises(
        "ReverseV2", [ones((2, 3))], {"axis": [2]}, cpu, r"'axis'\[0\] = 2 is out of valid range"
    )
    raises("ReverseV2", [ones((2, 3))], {"axis": [1, -1]}, cpu, "axis 1 specified more than once")
    raises("OneHot", [ones(3, i32)], {"depth": -1}, cpu, "depth must be non-negative, got: -1")
    raises("OneHot", [ones(3, i32)], {"depth": 2, "axis": 3}, cpu, "But received: 3")


def test_range_errors(cpu):
    base = {"dtype": "int32"}
    raises("Range", [], {**base, "start": 0, "limit": 5, "delta": 0}, cpu, "Requires delta != 0")
    raises(
        "Range",
        [],
        {**base, "start": 5, "limit": 0, "delta": 1},
        cpu,
        "Requires start <= limit when delta > 0: 5/0",
    )
    raises(
        "Range",
        [],
        {**base, "start": 0, "limit": 5, "delta": -1},
        cpu,
        "Requires start >= limit when delta < 0: 0/5",
    )
    u8 = {"dtype": "uint8"}
    raises("Range", [], {**u8, "start": 10, "limit": 0, "delta": -2}, cpu,
           "delta = -2 is out of range for dtype uint8")  # fmt: skip
    raises("Range", [], {**u8, "start": 0, "limit": 300, "delta": 1}, cpu,
           "limit = 300 is out of range for dtype uint8")  # fmt: skip


def test_cpp_safety_net_for_new_kernels():
    a = np.ones((2, 3), f32)
    with pytest.raises(ValueError, match="does not broadcast"):
        _cpu.select(np.ones(4, bool), a, a, np.empty((2, 3), f32))
    with pytest.raises(TypeError, match="condition must be bool"):
        _cpu.select(a, a, a, np.empty((2, 3), f32))
    with pytest.raises(ValueError, match="output size"):
        _cpu.arg_reduce(True, a, 0, np.empty(2, i64))
    with pytest.raises(ValueError, match="k out of range"):
        _cpu.top_k(a, 4, np.empty((2, 4), f32), np.empty((2, 4), i32))
    with pytest.raises(ValueError, match="inner dimensions"):
        _cpu.batch_matmul(a, a, np.empty((2, 3), f32))
    with pytest.raises(ValueError, match="output shape"):
        _cpu.gather(a, np.zeros(2, i32), 0, np.empty((3, 3), f32))
    aliased = np.lib.stride_tricks.as_strided(np.empty(3, f32), (2, 3), (0, 4), writeable=True)
    with pytest.raises(ValueError, match="zero-stride"):
        _cpu.assign(a, aliased)
    ro = a.copy()
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        _cpu.assign(a, ro)
