"""op_fast_path(): an op's own shortcut under dispatch's guard (kernel choice, placement log)."""

from __future__ import annotations

import numpy as np
import pytest

import tensorhouse_hw_runtime as rt

CPU0_NAME = "/job:localhost/replica:0/task:0/device:CPU:0"


def cpu_kernel(inputs, outputs, attrs):
    return "cpu"


def other_kernel(inputs, outputs, attrs):
    return "other"


def _scale(device, x, factor):  # one argument after the input
    if factor == 0:
        return None  # declines: the caller takes the full path
    out = device.allocate(x.shape, x.dtype)
    np.multiply(x, factor, out=out)
    return out


def _join(device, xs, axis, flip):  # a list of inputs, two arguments
    joined = np.concatenate(xs, axis)
    return joined[::-1] if flip else joined


def _axpy(device, x, y, a, b):  # three arguments
    return a * x + b * y


def _fails(device, x, why):
    raise MemoryError(why)


def test_op_fast_path_runs_the_shortcut(global_op, cpu0):
    rt.registry.register(global_op, "CPU", "float32", cpu_kernel)
    rt.register_fast_path(global_op, cpu_kernel, _scale)
    f = rt.op_fast_path(global_op)
    x = np.array([1, 2, 3], np.float32)
    np.testing.assert_array_equal(f(cpu0, x, 2.0), [2, 4, 6])
    assert f(cpu0, x, 0) is None  # the shortcut declined
    assert f(cpu0, x.astype(np.float64), 2.0) is None  # no kernel for float64
    assert rt.op_fast_path(global_op + "Unregistered") is None
    rt.register_fast_path(global_op + "OwnOnly", cpu_kernel, _scale)
    assert rt.fast_path(global_op + "OwnOnly") is None  # not an elementwise fast path


def test_op_fast_path_arities_and_input_lists(global_op, cpu0):
    rt.registry.register(global_op, "CPU", "float32", cpu_kernel)
    a, b = np.array([1, 2], np.float32), np.array([3], np.float32)
    rt.register_fast_path(global_op, cpu_kernel, _join)
    assert rt.op_fast_path(global_op)(cpu0, [a, b], 0, True).tolist() == [3, 2, 1]
    rt.register_fast_path(global_op, cpu_kernel, _axpy)
    assert rt.op_fast_path(global_op)(cpu0, a, a, 2, 3).tolist() == [5, 10]
    with pytest.raises(ValueError, match="1 to 3 arguments after its input, got 0"):
        rt.register_fast_path(global_op, cpu_kernel, lambda device, x: x)


def test_op_fast_path_steps_aside_for_other_kernels(global_op, cpu0, fake_gpu):
    rt.registry.register(global_op, "CPU", "float32", cpu_kernel)
    rt.register_fast_path(global_op, cpu_kernel, _scale)
    f = rt.op_fast_path(global_op)
    x = np.ones(2, np.float32)
    assert f(fake_gpu, x, 2.0) is None  # the registry has no such kernel on this device
    rt.registry.register(global_op, "CPU", "float32", other_kernel, priority=5)
    assert f(cpu0, x, 2.0) is None  # an override of higher priority wins


def test_op_fast_path_logs_placement_once(global_op, cpu0, log_placement, capsys):
    rt.registry.register(global_op, "CPU", "float32", cpu_kernel)
    rt.register_fast_path(global_op, cpu_kernel, _scale)
    f = rt.op_fast_path(global_op)
    x = np.ones(2, np.float32)
    log_placement(False)
    f(cpu0, x, 2.0)
    assert capsys.readouterr().err == ""
    log_placement(True)
    f(cpu0, x, 2.0)
    assert f(cpu0, x, 0) is None  # declined: the full path logs it, not the shortcut
    assert capsys.readouterr().err.splitlines() == [
        f"Executing op {global_op} in device {CPU0_NAME}"
    ]


def test_op_fast_path_logs_an_op_whose_kernel_fails(global_op, cpu0, log_placement, capsys):
    rt.registry.register(global_op, "CPU", "float32", cpu_kernel)
    rt.register_fast_path(global_op, cpu_kernel, _fails)
    log_placement(True)
    with pytest.raises(MemoryError, match="too big"):
        rt.op_fast_path(global_op)(cpu0, np.ones(2, np.float32), "too big")
    assert capsys.readouterr().err.splitlines() == [
        f"Executing op {global_op} in device {CPU0_NAME}"
    ]
