"""dispatch(): kernel choice, soft placement to the CPU, placement logging; host buffers."""

from __future__ import annotations

import numpy as np
import pytest

import tensorhouse_hw_runtime as rt
from tensorhouse_hw_runtime import errors

CPU0_NAME = "/job:localhost/replica:0/task:0/device:CPU:0"
F32 = np.dtype("float32")


def cpu_kernel(inputs, outputs, attrs):
    return "cpu"


def gpu_kernel(inputs, outputs, attrs):
    return "gpu"


def test_dispatch_on_cpu(global_op, cpu0):
    rt.registry.register(global_op, "CPU", "float32", cpu_kernel)
    kernel, dev = rt.dispatch(global_op, cpu0, F32)
    assert kernel is cpu_kernel
    assert dev is cpu0


def test_dispatch_missing_dtype_is_not_found(global_op, cpu0):
    rt.registry.register(global_op, "CPU", "float32", cpu_kernel)
    with pytest.raises(errors.NotFoundError) as info:
        rt.dispatch(global_op, cpu0, np.dtype("int32"))
    assert f"'{global_op}'" in str(info.value)
    assert str(info.value).endswith("CPU:float32")


def test_dispatch_prefers_the_device_kernel(global_op, fake_gpu):
    rt.registry.register(global_op, "CPU", "float32", cpu_kernel)
    rt.registry.register(global_op, "GPU", "float32", gpu_kernel)
    kernel, dev = rt.dispatch(global_op, fake_gpu, F32)
    assert (kernel, dev) == (gpu_kernel, fake_gpu)


def test_soft_placement_moves_op_to_cpu(global_op, fake_gpu, cpu0, soft_placement):
    soft_placement(True)
    rt.registry.register(global_op, "CPU", "float32", cpu_kernel)
    kernel, dev = rt.dispatch(global_op, fake_gpu, F32)
    assert kernel is cpu_kernel
    assert dev is cpu0


def test_no_soft_placement_is_not_found(global_op, fake_gpu, soft_placement):
    soft_placement(False)
    rt.registry.register(global_op, "CPU", "float32", cpu_kernel)
    with pytest.raises(errors.NotFoundError) as info:
        rt.dispatch(global_op, fake_gpu, F32)
    assert "device type GPU" in str(info.value)
    assert str(info.value).endswith(f"Registered kernels for '{global_op}': CPU:float32")


def test_soft_placement_without_any_kernel_is_not_found(global_op, fake_gpu, soft_placement):
    soft_placement(True)
    rt.registry.register(global_op, "CPU", "float64", cpu_kernel)
    with pytest.raises(errors.NotFoundError, match="dtype float32"):
        rt.dispatch(global_op, fake_gpu, F32)


def test_placement_logging(global_op, fake_gpu, cpu0, soft_placement, log_placement, capsys):
    soft_placement(True)
    rt.registry.register(global_op, "CPU", "float32", cpu_kernel)
    log_placement(False)
    rt.dispatch(global_op, cpu0, F32)
    rt.dispatch(global_op, fake_gpu, F32)
    assert capsys.readouterr().err == ""
    log_placement(True)
    rt.dispatch(global_op, cpu0, F32)
    rt.dispatch(global_op, fake_gpu, F32)
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"Executing op {global_op} in device {CPU0_NAME}",
        f"Executing op {global_op} in device {CPU0_NAME} (soft placement: GPU has no kernel)",
    ]


# ---- host buffers --------------------------------------------------------------------------


def test_from_host_shares_contiguous_memory(cpu0):
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    buf = rt.from_host(a, cpu0)
    assert np.shares_memory(buf, a)
    assert rt.to_host(buf, cpu0) is buf


def test_from_host_makes_views_contiguous(cpu0):
    a = np.arange(24, dtype=np.int64).reshape(4, 6)[:, ::2].T
    assert not a.flags.c_contiguous
    buf = rt.from_host(a, cpu0)
    assert buf.flags.c_contiguous
    assert not np.shares_memory(buf, a)
    np.testing.assert_array_equal(buf, [[0, 6, 12, 18], [2, 8, 14, 20], [4, 10, 16, 22]])


def test_from_host_keeps_scalars_0d(cpu0):
    for scalar in (np.array(2.5), np.float32(2.5), 2.5):
        buf = rt.from_host(scalar, cpu0)
        assert isinstance(buf, np.ndarray)
        assert buf.shape == ()
        assert buf == 2.5


def test_from_host_of_a_list(cpu0):
    buf = rt.from_host([[1, 2], [3, 4]], cpu0)
    assert buf.shape == (2, 2) and buf.flags.c_contiguous
    np.testing.assert_array_equal(buf, [[1, 2], [3, 4]])


def test_copy_to_device(cpu0, fake_gpu):
    a = np.array([1.5, -2.0, 3.25])
    assert rt.copy_to_device(a, cpu0, cpu0) is a  # same device: no copy
    moved = rt.copy_to_device(a, cpu0, fake_gpu)
    np.testing.assert_array_equal(moved, a)
    assert moved.dtype == a.dtype
