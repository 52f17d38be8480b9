"""Discovery and tf.config: TF's names, TF's phases (configure, then initialize), TF's errors."""

import sys
import types

import numpy as np
import pytest

import tensorhouse_hw_runtime as rt
from tensorhouse_hw_runtime import config
from tensorhouse_hw_runtime.backends.cpu import cpu_details

CPUINFO = """processor\t: 0
model name\t: Test CPU 9000
physical id\t: 0
core id\t\t: 0
flags\t\t: fpu sse4_2 avx avx2 fma avx512f avx512bw
processor\t: 1
model name\t: Test CPU 9000
physical id\t: 0
core id\t\t: 0
flags\t\t: fpu sse4_2 avx avx2 fma avx512f avx512bw
"""
MEMINFO = "MemTotal:       16384 kB\nMemFree:         100 kB\nMemAvailable:    8192 kB\n"


def test_cpu_details_parse_cores_isa_and_memory(tmp_path):
    (tmp_path / "cpuinfo").write_text(CPUINFO)
    (tmp_path / "meminfo").write_text(MEMINFO)
    d = cpu_details(str(tmp_path / "cpuinfo"), str(tmp_path / "meminfo"))
    assert d["device_name"] == "Test CPU 9000"
    assert d["physical_cores"] == 1  # two hyperthreads of one core
    assert d["isa"] == ["SSE4.2", "AVX", "AVX2", "FMA", "AVX512F", "AVX512BW"]
    assert (d["memory_total"], d["memory_available"]) == (16384 * 1024, 8192 * 1024)


def test_cpu_details_without_proc_files(tmp_path):
    d = cpu_details(str(tmp_path / "missing"), str(tmp_path / "missing"))
    assert d["isa"] == [] and d["memory_total"] is None and d["logical_cores"] >= 1


def test_physical_devices_do_not_initialize(fresh_runtime):
    cpus = config.list_physical_devices("CPU")
    assert cpus == [rt.PhysicalDevice("/physical_device:CPU:0", "CPU")]
    assert not fresh_runtime.initialized
    assert config.list_logical_devices("CPU") == [rt.LogicalDevice("/device:CPU:0", "CPU")]
    assert fresh_runtime.initialized


def test_get_device_details_of_the_cpu():
    details = config.experimental.get_device_details(config.list_physical_devices("CPU")[0])
    assert details["logical_cores"] >= 1 and isinstance(details["isa"], list)


def test_missing_pycuda_means_no_gpu_and_info_says_why(fresh_runtime, monkeypatch):
    monkeypatch.setitem(sys.modules, "pycuda", None)  # import fails as if not installed
    assert config.list_physical_devices("GPU") == []
    assert "pycuda is not installed" in rt.info()["backends"]["cuda"]


def test_no_cuda_driver_means_no_gpu_and_info_says_why(fresh_runtime, monkeypatch):
    def failing_init():
        raise RuntimeError("cuInit failed: no CUDA-capable device is detected")

    driver = types.SimpleNamespace(init=failing_init, Device=None)
    pkg = types.ModuleType("pycuda")
    monkeypatch.setitem(sys.modules, "pycuda", pkg)
    monkeypatch.setitem(sys.modules, "pycuda.driver", driver)
    monkeypatch.setitem(sys.modules, "pycuda.gpuarray", types.ModuleType("pycuda.gpuarray"))
    assert config.list_physical_devices("GPU") == []
    status = rt.info()["backends"]["cuda"]
    assert "no CUDA driver could be initialized" in status and "cuInit failed" in status
    assert rt.default_device().device_type == "CPU"


def test_xla_turned_off_by_environment(fresh_runtime, monkeypatch):
    monkeypatch.setenv("TENSORHOUSE_XLA", "0")
    assert config.list_physical_devices("XLA_CPU") == []
    assert rt.info()["backends"]["xla"] == "not available: turned off by TENSORHOUSE_XLA=0"


def test_logical_cpus_split_one_physical_cpu(fresh_runtime):
    (cpu,) = config.list_physical_devices("CPU")
    config.set_logical_device_configuration(cpu, [rt.LogicalDeviceConfiguration()] * 3)
    assert config.get_logical_device_configuration(cpu) == [rt.LogicalDeviceConfiguration()] * 3
    names = [d.name for d in config.list_logical_devices("CPU")]
    assert names == ["/device:CPU:0", "/device:CPU:1", "/device:CPU:2"]
    cpu2 = rt.get_device("/CPU:2")
    assert cpu2.name == "/job:localhost/replica:0/task:0/device:CPU:2"
    with rt.device("/CPU:1"):
        assert rt.current_device() is rt.get_device("/CPU:1")
    with pytest.raises(RuntimeError, match="Virtual devices cannot be modified after being"):
        config.set_logical_device_configuration(cpu, [rt.LogicalDeviceConfiguration()])


def test_logical_configuration_errors(fresh_runtime):
    (cpu,) = config.list_physical_devices("CPU")
    with pytest.raises(ValueError, match="memory limit on CPU"):
        config.set_logical_device_configuration(cpu, [rt.LogicalDeviceConfiguration(1024)])
    with pytest.raises(ValueError, match="at least one"):
        config.set_logical_device_configuration(cpu, [])
    with pytest.raises(ValueError, match="Unrecognized device.*GPU:7"):
        config.set_logical_device_configuration(
            rt.PhysicalDevice("/physical_device:GPU:7", "GPU"), [rt.LogicalDeviceConfiguration()]
        )


def test_visible_devices_before_and_after_initialization(fresh_runtime):
    physical = config.list_physical_devices()
    assert config.get_visible_devices() == physical
    cpus = config.list_physical_devices("CPU")
    config.set_visible_devices(cpus)  # hide every non-CPU device (XLA_CPU when JAX is present)
    assert config.get_visible_devices() == cpus
    assert {d.device_type for d in config.list_logical_devices()} == {"CPU"}
    with pytest.raises(RuntimeError, match="Visible devices cannot be modified after being"):
        config.set_visible_devices(physical)


def test_visible_devices_of_one_type_keep_the_others(fresh_runtime):
    pytest.importorskip("jax")
    config.set_visible_devices([], "XLA_CPU")
    assert [d.device_type for d in config.get_visible_devices()] == ["CPU"]
    with pytest.raises(ValueError, match="not of device_type"):
        config.set_visible_devices(config.list_physical_devices("CPU"), "XLA_CPU")


def test_memory_growth_is_for_gpus_only(fresh_runtime):
    (cpu,) = config.list_physical_devices("CPU")
    with pytest.raises(ValueError, match="non-GPU devices: /physical_device:CPU:0"):
        config.experimental.set_memory_growth(cpu, True)
    with pytest.raises(ValueError, match="non-GPU"):
        config.experimental.get_memory_growth(cpu)


def test_memory_info_counts_live_and_peak_bytes(fresh_runtime):
    cpu0 = rt.get_device("/CPU:0")
    config.experimental.reset_memory_stats("CPU:0")
    base = config.experimental.get_memory_info("CPU:0")["current"]
    a = cpu0.allocate((1000,), np.float64)
    b = cpu0.allocate((10, 10), np.int32)
    assert config.experimental.get_memory_info("CPU:0") == {
        "current": base + 8000 + 400,
        "peak": base + 8400,
    }
    del a
    assert config.experimental.get_memory_info("CPU:0") == {
        "current": base + 400,
        "peak": base + 8400,
    }
    config.experimental.reset_memory_stats("CPU:0")
    assert config.experimental.get_memory_info("CPU:0")["peak"] == base + 400
    del b
    assert config.experimental.get_memory_info("CPU:0")["current"] == base
    with pytest.raises(ValueError, match="no device 'GPU:3'"):
        config.experimental.get_memory_info("GPU:3")


def test_soft_placement_and_log_flags_round_trip(soft_placement, log_placement):
    soft_placement(False)
    assert config.get_soft_device_placement() is False
    soft_placement(True)
    assert config.get_soft_device_placement() is True
    log_placement(True)
    assert rt.debugging.get_log_device_placement() is True


def test_info_report(fresh_runtime):
    report = rt.info()
    assert report["backends"]["cpu"] == "loaded"
    assert set(report["backends"]) == {"cpu", "cuda", "xla"}
    assert report["logical_devices"][0] == "/job:localhost/replica:0/task:0/device:CPU:0"
    assert report["physical_devices"][0]["details"]["logical_cores"] >= 1
    assert isinstance(report["kernels"], dict)


def test_visible_devices_type_check_is_exact(fresh_runtime):
    pytest.importorskip("jax")
    xla = config.list_physical_devices("XLA_CPU")
    with pytest.raises(ValueError, match="XLA_CPU:0.*not of device_type 'CPU'"):
        config.set_visible_devices(xla, "CPU")  # XLA_CPU is not a kind of CPU
    config.set_visible_devices(xla, "XLA_CPU")
    assert config.get_visible_devices() == config.list_physical_devices()


def test_info_leaves_xla_unprobed_until_an_xla_device_is_listed(fresh_runtime):
    pytest.importorskip("jax")
    report = rt.info()
    assert report["backends"]["xla"].startswith("not loaded yet")
    assert not any("XLA" in name or "TPU" in name for name in report["logical_devices"])
    assert config.list_physical_devices("XLA_CPU")  # JAX always has its CPU platform
    report = rt.info()
    assert report["backends"]["xla"] == "loaded"
    assert "/job:localhost/replica:0/task:0/device:XLA_CPU:0" in report["logical_devices"]


def test_info_probes_xla_when_that_is_cheap(fresh_runtime, monkeypatch):
    monkeypatch.setitem(sys.modules, "jax", None)  # import fails as if not installed
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a: None)
    assert rt.info()["backends"]["xla"].startswith("not available: jax is not installed")
