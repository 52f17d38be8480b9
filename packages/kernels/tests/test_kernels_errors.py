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
    msg = str(info.value)
    assert msg.startswith("Matrix size-incompatible: In[0]: [2,3], In[1]: [4,5]")
    assert "[Op:MatMul]" in msg
    # The same shapes are fine once the transpose flags line the inner dims up.
    with pytest.raises(errors.InvalidArgumentError, match="transpose_a=True"):
        tk.execute("MatMul", [ones((2, 3)), ones((3, 5))], {"transpose_a": True}, cpu)


def test_matmul_rank(cpu):
    with pytest.raises(errors.InvalidArgumentError, match=r"rank 2.*\[2,3,4\]"):
        tk.execute("MatMul", [ones((2, 3, 4)), ones((4, 5))], {}, cpu)


def test_matmul_mismatched_dtypes(cpu):
    with pytest.raises(errors.InvalidArgumentError, match="float32.*float64"):
        tk.execute("MatMul", [ones((2, 2)), ones((2, 2), np.float64)], {}, cpu)


def test_matmul_int32_has_no_kernel(cpu):
    with pytest.raises(errors.NotFoundError) as info:
        tk.execute("MatMul", [ones((2, 2), np.int32), ones((2, 2), np.int32)], {}, cpu)
    msg = str(info.value)
    assert "'MatMul'" in msg and "dtype int32" in msg
    assert msg.endswith("Registered kernels for 'MatMul': CPU:float32, CPU:float64")
    assert info.value.error_code == 5


def test_float_only_op_on_ints_has_no_kernel(cpu):
    with pytest.raises(errors.NotFoundError, match=r"'Sqrt'.*int64.*CPU:float32, CPU:float64"):
        tk.execute("Sqrt", [ones((3,), np.int64)], {}, cpu)


def test_unsupported_dtype_has_no_kernel(cpu):
    with pytest.raises(errors.NotFoundError, match="'AddV2'.*float16"):
        tk.execute("AddV2", [ones((2,), np.float16), ones((2,), np.float16)], {}, cpu)
    with pytest.raises(errors.NotFoundError, match="'Fill'.*int16"):
        tk.execute("Fill", [], {"shape": (2,), "dtype": "int16", "value": 1}, cpu)


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
    with pytest.raises(errors.InvalidArgumentError, match="only one dimension may be -1"):
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


@pytest.mark.parametrize("dst", ["float16", "int16", "complex64"])
def test_cast_to_unsupported_dtype(dst, cpu):
    with pytest.raises(errors.UnimplementedError, match=f"Cast float32 to {dst} is not supported"):
        tk.execute("Cast", [ones((3,))], {"DstT": dst}, cpu)


@pytest.mark.parametrize(
    "op, inputs", [("AddV2", [ones((2,))]), ("Neg", []), ("Neg", [ones(2), ones(2)])]
)
def test_wrong_number_of_inputs(op, inputs, cpu):
    with pytest.raises(errors.InvalidArgumentError, match=f"{op} expects"):
        tk.execute(op, inputs, {}, cpu)


def test_errors_raised_before_any_kernel_runs(cpu, monkeypatch):
    # Shape and dtype rules run first: a kernel is never called with bad input.
    calls = []

    def spy(inputs, outputs, attrs):
        calls.append([x.shape for x in inputs])

    monkeypatch.setitem(registry._best, ("AddV2", "CPU", np.dtype("float32")), spy)
    with pytest.raises(errors.InvalidArgumentError):
        tk.execute("AddV2", [ones((2,)), ones((3,))], {}, cpu)
    assert calls == []
    tk.execute("AddV2", [ones((2,)), ones((2,))], {}, cpu)  # the spy is the kernel in use
    assert calls == [[(2,), (2,)]]


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
