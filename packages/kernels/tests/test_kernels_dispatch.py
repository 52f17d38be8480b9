"""One dispatch path and one kernel contract: execute, the elementwise shortcut, the log."""

from __future__ import annotations

import numpy as np
import pytest

import tensorhouse_kernels as tk
from tensorhouse_hw_runtime import Device, debugging, errors, registry
from tensorhouse_hw_runtime.backends.cpu import backend as cpu_backend

CPU0 = "/job:localhost/replica:0/task:0/device:CPU:0"
F32 = np.dtype("float32")


@pytest.fixture
def log_placement():
    before = debugging.get_log_device_placement()
    yield debugging.set_log_device_placement
    debugging.set_log_device_placement(before)


def test_every_executed_op_is_logged_once(cpu, log_placement, capsys):
    a = np.arange(4, dtype=np.float32).reshape(2, 2)
    add = tk.eager_elementwise("AddV2")
    log_placement(False)
    tk.execute("MatMul", [a, a], {}, cpu)
    add(cpu, a, a)
    assert capsys.readouterr().err == ""
    log_placement(True)
    (m,), _ = tk.execute("MatMul", [a, a], {}, cpu)
    s = add(cpu, a, a)
    (r,), _ = tk.execute("Reshape", [a], {"shape": (4,)}, cpu)
    assert capsys.readouterr().err.splitlines() == [
        f"Executing op MatMul in device {CPU0}",
        f"Executing op AddV2 in device {CPU0}",
        f"Executing op Reshape in device {CPU0}",
    ]
    np.testing.assert_array_equal(m, [[2, 3], [6, 11]])
    np.testing.assert_array_equal(s, [[0, 2], [4, 6]])
    np.testing.assert_array_equal(r, [0, 1, 2, 3])


def test_soft_placement_is_logged_with_its_reason(cpu, soft_placement, log_placement, capsys):
    soft_placement(True)
    log_placement(True)
    gpu = Device("GPU", 0, cpu_backend)  # host memory, no GPU kernels registered for the op
    (out,), used = tk.execute("Neg", [np.array([1.0, -2.0], np.float32)], {}, gpu)
    assert used is cpu and out.tolist() == [-1.0, 2.0]
    assert capsys.readouterr().err == (
        f"Executing op Neg in device {CPU0} (soft placement: GPU has no kernel)\n"
    )


def test_the_shortcut_matches_execute(cpu):
    a = np.array([1.5, -2.0, 3.0], np.float32)
    b = np.array([2.0, 2.0, -1.0], np.float32)
    for op in ("AddV2", "Mul", "Less", "Maximum"):
        (want,), _ = tk.execute(op, [a, b], {}, cpu)
        got = tk.eager_elementwise(op)(cpu, a, b)
        assert got.dtype == want.dtype and got.tolist() == want.tolist(), op
    assert tk.eager_elementwise("Neg")(cpu, a).tolist() == [-1.5, 2.0, -3.0]
    assert tk.eager_elementwise("AddV2")(cpu, a, b[:2]) is None  # broadcasting: execute's job
    assert tk.eager_elementwise("MatMul") is None


def test_one_kernel_contract_allocated_outputs_or_empty_slots(cpu):
    seen = []

    def fills(inputs, outputs, attrs):  # AddV2 allocates: buffers of the rule's shape
        seen.append((type(outputs), outputs.device, [(o.shape, o.dtype) for o in outputs]))
        np.add(inputs[0], inputs[1], out=outputs[0])

    def sets(inputs, outputs, attrs):  # Where's shape depends on the data: an empty slot
        seen.append((type(outputs), outputs.device, list(outputs)))
        outputs[0] = np.argwhere(inputs[0]).astype(np.int64)

    x = np.array([1.0, 0.0, 2.0], F32)
    registry.register("AddV2", "CPU", "float32", fills, priority=98)
    registry.register("Where", "CPU", "float32", sets, priority=98)
    try:
        (out,), used = tk.execute("AddV2", [x, x], {}, cpu)
        (where,), _ = tk.execute("Where", [x], {}, cpu)
    finally:
        registry.unregister("AddV2", "CPU", "float32", priority=98)
        registry.unregister("Where", "CPU", "float32", priority=98)
    assert used is cpu and out.tolist() == [2.0, 0.0, 4.0] and where.tolist() == [[0], [2]]
    assert seen == [(tk.Outputs, cpu, [((3,), F32)]), (tk.Outputs, cpu, [None])]


def test_a_kernel_that_leaves_a_slot_empty_is_an_internal_error(cpu):
    registry.register("Where", "CPU", "float32", lambda i, o, a: None, priority=98)
    try:
        with pytest.raises(errors.InternalError, match="Where's kernel left an output unset"):
            tk.execute("Where", [np.ones(2, F32)], {}, cpu)
    finally:
        registry.unregister("Where", "CPU", "float32", priority=98)


def test_string_calls_get_empty_slots_that_the_kernel_sets(cpu):
    words = np.array([b"a", b"b", b"a"], object)
    (eq,), _ = tk.execute("Equal", [words, np.array([b"a"], object)], {}, cpu)
    assert eq.dtype == np.bool_ and eq.tolist() == [True, False, True]
    (y, idx), _ = tk.execute("Unique", [words], {}, cpu)
    assert y.tolist() == [b"a", b"b"] and idx.tolist() == [0, 1, 0]
    outputs = tk.Outputs([None])
    outputs.device = cpu
    kernel = registry.lookup("Reshape", "CPU", np.dtype(object))
    assert kernel([words], outputs, {"shape": (3, 1)}) is None  # returns nothing
    assert outputs[0].shape == (3, 1) and outputs[0][2, 0] == b"a"


def test_dtype_outside_tfs_list_is_invalid_argument(cpu):
    with pytest.raises(errors.InvalidArgumentError, match="not in the list of allowed values"):
        tk.execute("Softmax", [np.array([[1, 2]], np.int32)], {}, cpu)
    a = np.ones((2, 2), np.int8)  # in TF's list for MatMul, without a kernel here
    with pytest.raises(errors.NotFoundError, match="No kernel registered for op 'MatMul'"):
        tk.execute("MatMul", [a, a], {}, cpu)


def test_dtype_checks_raise_dtype_error_and_shape_checks_do_not(cpu):
    a, b = np.ones(2, F32), np.ones(2, np.int32)
    with pytest.raises(tk.DTypeError) as e:  # _same_dtypes
        tk.execute("AddV2", [a, b], {}, cpu)
    assert isinstance(e.value, errors.InvalidArgumentError)
    assert type(e.value).__name__ == "InvalidArgumentError"  # printed as TF's
    assert str(e.value) == (
        "cannot compute AddV2 as input #1(zero-based) was expected to be a float32 tensor but "
        "is a int32 tensor [Op:AddV2]"
    )
    with pytest.raises(tk.DTypeError, match="input #0.* a bool tensor but is a float32"):
        tk.get_op_def("SelectV2").infer([(2,)] * 3, [F32] * 3, {})  # _require_dtype
    with pytest.raises(errors.InvalidArgumentError) as e:
        tk.execute("AddV2", [a, np.ones(3, F32)], {}, cpu)  # a shape error
    assert not isinstance(e.value, tk.DTypeError)
