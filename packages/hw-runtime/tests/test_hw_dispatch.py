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


def test_registry_find_is_the_hot_lookup(global_op):
    rt.registry.register(global_op, "CPU", "float32", cpu_kernel)
    assert rt.registry.find((global_op, "CPU", F32)) is cpu_kernel
    assert rt.registry.find((global_op, "GPU", F32)) is None


# ---- the elementwise fast path -------------------------------------------------------------


def _c_add(code, a, b, out):  # stands in for a C entry point: code selects the operation
    np.add(a, b, out=out) if code == 0 else np.less(a, b, out=out)


def _c_neg(code, a, out):
    np.negative(a, out=out)


def test_fast_path_runs_the_entry_with_an_allocated_output(global_op, cpu0):
    rt.registry.register(global_op, "CPU", "float32", cpu_kernel)
    rt.register_fast_path(global_op, cpu_kernel, _c_add, 0, 2)
    f = rt.fast_path(global_op)
    a, b = np.array([1, 2], np.float32), np.array([10, 20], np.float32)
    out = f(cpu0, a, b)
    np.testing.assert_array_equal(out, [11, 22])
    assert out.dtype == F32
    assert f(cpu0, a, b[:1]) is None  # shapes differ: the full path decides
    assert f(cpu0, a, b.astype(np.float64)) is None  # dtypes differ
    assert f(cpu0, a.astype(np.float64), b.astype(np.float64)) is None  # no such kernel


def test_fast_path_bool_output_and_unary(global_op, cpu0):
    rt.registry.register(global_op, "CPU", "float32", cpu_kernel)
    rt.register_fast_path(global_op, cpu_kernel, _c_add, 1, 2, bool_output=True)
    a, b = np.array([1, 5], np.float32), np.array([3, 3], np.float32)
    out = rt.fast_path(global_op)(cpu0, a, b)
    assert out.dtype == np.dtype(bool) and out.tolist() == [True, False]
    rt.register_fast_path(global_op, cpu_kernel, _c_neg, 0, 1)  # re-registering replaces
    np.testing.assert_array_equal(rt.fast_path(global_op)(cpu0, a), [-1, -5])
    assert rt.fast_path(global_op + "Unregistered") is None


def test_fast_path_steps_aside_for_other_kernels(global_op, cpu0, fake_gpu):
    rt.registry.register(global_op, "CPU", "float32", cpu_kernel)
    rt.register_fast_path(global_op, cpu_kernel, _c_add, 0, 2)
    f = rt.fast_path(global_op)
    a = np.ones(2, np.float32)
    assert f(fake_gpu, a, a) is None  # not the registered CPU kernel on this device
    rt.registry.register(global_op, "CPU", "float32", gpu_kernel, priority=5)
    assert f(cpu0, a, a) is None  # an override of higher priority wins
    with pytest.raises(ValueError, match="1 or 2 inputs"):
        rt.register_fast_path(global_op, cpu_kernel, _c_add, 0, 3)


def test_fast_path_logs_placement(global_op, cpu0, log_placement, capsys):
    rt.registry.register(global_op, "CPU", "float32", cpu_kernel)
    rt.register_fast_path(global_op, cpu_kernel, _c_add, 0, 2)
    a = np.ones(2, np.float32)
    log_placement(False)
    rt.fast_path(global_op)(cpu0, a, a)
    assert capsys.readouterr().err == ""
    log_placement(True)
    rt.fast_path(global_op)(cpu0, a, a)
    assert capsys.readouterr().err == f"Executing op {global_op} in device {CPU0_NAME}\n"


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


def test_deferred_device_kernels_load_before_soft_placement(global_op, fake_gpu, soft_placement):
    soft_placement(True)  # with the kernels not yet loaded, the op would move to the CPU
    rt.registry.register(global_op, "CPU", "float32", cpu_kernel)
    rt.registry.defer(["GPU"], lambda: rt.registry.register(global_op, "GPU", F32, gpu_kernel))
    assert rt.dispatch(global_op, fake_gpu, F32) == (gpu_kernel, fake_gpu)
