"""One dispatch path and one kernel contract: execute, the elementwise shortcut, the log."""

from __future__ import annotations

import numpy as np
import pytest

import tensorhouse_kernels as tk
from tensorhouse_hw_runtime import Device, debugging, errors, registry
from tensorhouse_hw_runtime.backends.cpu import backend as cpu_backend
from tensorhouse_kernels.execute import returns_outputs

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


def test_kernels_that_create_outputs_get_the_device(cpu):
    seen = []

    def creates(inputs, device, attrs):
        seen.append(device)
        return [inputs[0] + 1]

    registry.register("AddV2", "CPU", "float32", returns_outputs(creates), priority=98)
    try:
        (out,), used = tk.execute("AddV2", [np.ones(2, F32), np.ones(2, F32)], {}, cpu)
    finally:
        registry.unregister("AddV2", "CPU", "float32", priority=98)
    assert seen == [cpu] and used is cpu and out.tolist() == [2.0, 2.0]


def test_dtype_outside_tfs_list_is_invalid_argument(cpu):
    with pytest.raises(errors.InvalidArgumentError, match="not in the list of allowed values"):
        tk.execute("Softmax", [np.array([[1, 2]], np.int32)], {}, cpu)
    a = np.ones((2, 2), np.int8)  # in TF's list for MatMul, without a kernel here
    with pytest.raises(errors.NotFoundError, match="No kernel registered for op 'MatMul'"):
        tk.execute("MatMul", [a, a], {}, cpu)
