"""Buffers: host/device copies between every pair of device types present, and XLA dispatch."""

import itertools

import numpy as np
import pytest

import tensorhouse_hw_runtime as rt
from tensorhouse_hw_runtime import config


@pytest.fixture
def devices(fresh_runtime):
    """CPU:0 and CPU:1 (one physical CPU split in two), plus XLA and GPU devices present."""
    (cpu,) = config.list_physical_devices("CPU")
    config.set_logical_device_configuration(cpu, [rt.LogicalDeviceConfiguration()] * 2)
    return rt.list_devices()


def test_every_pair_of_devices_copies_exactly(devices):
    kinds = {d.device_type for d in devices}
    assert {"CPU"} <= kinds
    host = np.arange(12, dtype=np.float32).reshape(3, 4) / 7
    for src, dst in itertools.product(devices, devices):
        on_src = rt.from_host(host, src)
        moved = rt.copy_to_device(on_src, src, dst)
        back = rt.to_host(moved, dst)
        np.testing.assert_array_equal(back, host, err_msg=f"{src.name} -> {dst.name}")
        assert back.dtype == np.float32 and back.shape == (3, 4)


def test_cpu_buffers_are_shared_without_copies(devices):
    cpu0, cpu1 = rt.get_device("/CPU:0"), rt.get_device("/CPU:1")
    host = np.ones((4, 4))
    assert rt.from_host(host, cpu0) is host
    assert rt.copy_to_device(host, cpu0, cpu1) is host
    assert rt.to_host(host, cpu1) is host
    strided = host[:, ::2]
    copied = rt.from_host(strided, cpu0)
    assert copied.flags.c_contiguous and copied is not strided
    assert rt.from_host(np.float32(2.5), cpu0).shape == ()  # 0-d stays 0-d


def test_xla_cpu_buffers_are_jax_arrays_on_that_device(devices):
    jax = pytest.importorskip("jax")
    xla = rt.get_device("/device:XLA_CPU:0")
    assert xla.device_type == "XLA_CPU"
    buf = rt.from_host(np.array([1.0, 2.0], dtype=np.float64), xla)
    assert isinstance(buf, jax.Array) and buf.dtype == np.float64  # 64-bit mode is on
    assert list(buf.devices())[0] == xla.native
    assert config.experimental.get_memory_info("/device:XLA_CPU:0")["current"] >= 16


def test_kernels_dispatch_on_xla_devices(devices, global_op):
    jnp = pytest.importorskip("jax.numpy")
    xla = rt.get_device("/device:XLA_CPU:0")

    def xla_add(inputs, outputs, attrs):  # the one contract: immutable arrays set the slots
        outputs[0] = jnp.add(inputs[0], inputs[1])

    rt.register_kernel(global_op, "XLA_CPU", ["float32"])(xla_add)
    kernel, where = rt.dispatch(global_op, xla, np.dtype("float32"))
    assert where is xla and not xla.writable and rt.get_device("/CPU:0").writable
    a = rt.from_host(np.array([1.0, 2.0], np.float32), xla)
    outputs = [None]
    assert kernel([a, a], outputs, {}) is None
    np.testing.assert_array_equal(rt.to_host(outputs[0], xla), [2.0, 4.0])


def test_device_scope_nests_and_restores(devices):
    cpu0, cpu1 = rt.get_device("/CPU:0"), rt.get_device("/CPU:1")
    assert rt.current_device() is None and rt.default_device() is cpu0
    with rt.device("/CPU:0"):
        assert rt.current_device() is cpu0
        with rt.device("/device:CPU:1"):
            assert rt.current_device() is cpu1
        assert rt.current_device() is cpu0
    assert rt.current_device() is None


@pytest.mark.gpu
def test_gpu_buffers_round_trip_and_count_memory(fresh_runtime):
    gpu = rt.get_device("/GPU:0")
    assert gpu.device_type == "GPU" and rt.default_device() is gpu  # a GPU is the default, as TF
    host = np.random.default_rng(0).random((256, 256), dtype=np.float32)
    before = config.experimental.get_memory_info("GPU:0")["current"]
    buf = rt.from_host(host, gpu)
    assert config.experimental.get_memory_info("GPU:0")["current"] == before + host.nbytes
    np.testing.assert_array_equal(rt.to_host(buf, gpu), host)
    copied = rt.copy_to_device(buf, gpu, rt.get_device("/CPU:0"))
    np.testing.assert_array_equal(copied, host)
    details = config.experimental.get_device_details(config.list_physical_devices("GPU")[0])
    assert len(details["compute_capability"]) == 2 and details["memory_total"] > 0


@pytest.mark.gpu
def test_gpu_logical_memory_limit(fresh_runtime):
    (gpu,) = config.list_physical_devices("GPU")[:1]
    config.set_logical_device_configuration(gpu, [rt.LogicalDeviceConfiguration(memory_limit=1)])
    dev = rt.get_device("/GPU:0")
    dev.allocate((1024, 256), np.float32)  # exactly 1 MiB
    with pytest.raises(rt.errors.ResourceExhaustedError, match="1 MiB limit"):
        dev.allocate((1,), np.float32)
