"""Devices, tf.config listings, the device(...) scope, placement and soft placement."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading

import pytest

import tensorhouse_hw_runtime as rt
from tensorhouse_hw_runtime import DeviceSpec, config, errors
from tensorhouse_hw_runtime.backends.cpu import backend as cpu_backend

CPU0_NAME = "/job:localhost/replica:0/task:0/device:CPU:0"
ABSENT = "/device:GPU:99"  # no machine this runs on has 100 GPUs


# ---- listings ---------------------------------------------------------------------------------


def test_physical_cpu_listing():
    assert config.list_physical_devices("CPU") == [
        rt.PhysicalDevice("/physical_device:CPU:0", "CPU")
    ]
    assert config.list_physical_devices("cpu") == config.list_physical_devices("CPU")
    # The CPU is listed first among all devices.
    assert config.list_physical_devices()[0] == rt.PhysicalDevice("/physical_device:CPU:0", "CPU")


def test_logical_cpu_listing():
    assert config.list_logical_devices("CPU") == [rt.LogicalDevice("/device:CPU:0", "CPU")]
    assert config.list_logical_devices("cpu") == config.list_logical_devices("CPU")
    assert config.list_logical_devices()[0] == rt.LogicalDevice("/device:CPU:0", "CPU")


def test_every_listed_name_has_tf_form():
    phys = config.list_physical_devices()
    logical = config.list_logical_devices()
    assert len(phys) == len(logical) == len(rt.list_devices())
    for p, log, d in zip(phys, logical, rt.list_devices()):
        assert re.fullmatch(r"/physical_device:[A-Z_]+:\d+", p.name), p.name
        assert re.fullmatch(r"/device:[A-Z_]+:\d+", log.name), log.name
        assert p.name == f"/physical_device:{d.device_type}:{d.index}"
        assert log.name == f"/device:{d.device_type}:{d.index}"
        assert p.device_type == log.device_type == d.device_type
        assert d.name == f"/job:localhost/replica:0/task:0/device:{d.device_type}:{d.index}"


def test_unknown_device_type_lists_nothing():
    assert config.list_physical_devices("NO_SUCH_TYPE") == []
    assert config.list_logical_devices("NO_SUCH_TYPE") == []
    assert rt.list_devices("NO_SUCH_TYPE") == []


def test_listing_returns_a_copy():
    listed = rt.list_devices()
    listed.clear()
    assert len(rt.list_devices()) >= 1


def test_cpu_device_object(cpu0):
    assert cpu0.name == CPU0_NAME
    assert (cpu0.device_type, cpu0.index) == ("CPU", 0)
    assert cpu0.spec == DeviceSpec("localhost", 0, 0, "CPU", 0)
    assert cpu0.backend is cpu_backend
    assert repr(cpu0) == f"<Device {CPU0_NAME}>"


def test_cpu_backend_discovery_and_allocation(cpu0):
    (info,) = cpu_backend.probe()
    assert (info.device_type, info.index) == ("CPU", 0)
    assert info.details["logical_cores"] == (os.cpu_count() or 1)
    buf = cpu_backend.allocate(cpu0, (2, 3), "int64")
    assert buf.shape == (2, 3)
    assert buf.dtype.name == "int64"
    assert buf.flags.c_contiguous and buf.flags.writeable


# ---- resolving names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["CPU:0", "/cpu:0", "/CPU:0", "/device:CPU:0", "/device:cpu:0", CPU0_NAME, "/cpu:*"],
)
def test_get_device_spellings_resolve_to_the_same_object(name, cpu0):
    assert rt.get_device(name) is cpu0
    assert rt.get_device(DeviceSpec.from_string(name)) is cpu0


def test_get_device_without_type_is_the_default():
    assert rt.get_device("") is rt.default_device()
    assert rt.get_device("/job:localhost") is rt.default_device()


def test_default_device_is_first_gpu_else_cpu0(cpu0):
    gpus = rt.list_devices("GPU")
    assert rt.default_device() is (gpus[0] if gpus else cpu0)


def test_absent_device_soft_placement_falls_back_to_cpu(cpu0, soft_placement):
    soft_placement(True)
    assert config.get_soft_device_placement() is True
    assert rt.get_device(ABSENT) is cpu0


def test_absent_device_without_soft_placement_is_invalid_argument(cpu0, soft_placement):
    soft_placement(False)
    assert config.get_soft_device_placement() is False
    with pytest.raises(errors.InvalidArgumentError) as info:
        rt.get_device(ABSENT)
    msg = str(info.value)
    assert "'/device:GPU:99'" in msg
    assert CPU0_NAME in msg  # lists the devices that do exist
    assert info.value.error_code == 3


def test_get_device_malformed_name_is_value_error():
    with pytest.raises(ValueError, match="'/GPU:zero'"):
        rt.get_device("/GPU:zero")


# ---- the device(...) scope ----------------------------------------------------------------------


def test_scope_sets_and_restores(cpu0):
    assert rt.current_device() is None
    with rt.device("/cpu:0"):
        assert rt.current_device() is cpu0
    assert rt.current_device() is None


def test_scope_accepts_device_and_spec_objects(cpu0):
    with rt.device(cpu0):
        assert rt.current_device() is cpu0
    with rt.device(DeviceSpec(device_type="cpu", device_index=0)):
        assert rt.current_device() is cpu0


def test_scopes_nest_and_merge(cpu0):
    with rt.device("/job:localhost"):
        # A scope without a device type chooses no device.
        assert rt.current_device() is None
        with rt.device("CPU:0"):
            assert rt.current_device() is cpu0
        assert rt.current_device() is None
    with rt.device("/device:CPU:0"):
        # An inner scope naming only a job keeps the outer device type.
        with rt.device("/job:localhost/replica:0"):
            assert rt.current_device() is cpu0
        with rt.device("/cpu:*"):
            assert rt.current_device() is cpu0
        assert rt.current_device() is cpu0


def test_device_none_clears_enclosing_scopes(cpu0):
    with rt.device("CPU:0"):
        with rt.device(None):
            assert rt.current_device() is None
            with rt.device("/cpu:0"):
                assert rt.current_device() is cpu0
            assert rt.current_device() is None
        assert rt.current_device() is cpu0


def test_scope_restored_after_exception(cpu0):
    with pytest.raises(RuntimeError, match="inside"):
        with rt.device("CPU:0"):
            with rt.device(None):
                raise RuntimeError("inside")
    assert rt.current_device() is None


def test_scope_soft_placement_falls_back_to_cpu(cpu0, soft_placement):
    soft_placement(True)
    with rt.device(ABSENT):
        assert rt.current_device() is cpu0


def test_scope_without_soft_placement_raises_and_leaves_no_scope(soft_placement):
    soft_placement(False)
    with pytest.raises(errors.InvalidArgumentError, match="GPU:99"):
        with rt.device(ABSENT):
            pytest.fail("the scope must not be entered")
    assert rt.current_device() is None


def test_scope_malformed_name_is_value_error():
    with pytest.raises(ValueError, match="'/GPU:x'"):
        with rt.device("/GPU:x"):
            pass


def test_scope_is_thread_local(cpu0):
    seen = {}
    thread_in_scope = threading.Event()
    main_checked = threading.Event()

    def worker():
        seen["start"] = rt.current_device()  # the main thread's scope is not inherited
        with rt.device("/cpu:0"):
            seen["inside"] = rt.current_device()
            thread_in_scope.set()
            main_checked.wait(10)
        seen["after"] = rt.current_device()

    with rt.device("CPU:0"):
        t = threading.Thread(target=worker)
        t.start()
        assert thread_in_scope.wait(10)
        # The worker's scope is open now; the main thread still sees its own.
        with rt.device(None):
            seen["main_cleared"] = rt.current_device()
        seen["main"] = rt.current_device()
        main_checked.set()
        t.join(10)
    assert not t.is_alive()
    assert seen == {
        "start": None,
        "inside": cpu0,
        "main_cleared": None,
        "main": cpu0,
        "after": None,
    }


def test_scope_opened_in_thread_does_not_leak_to_main():
    opened = threading.Event()
    release = threading.Event()

    def worker():
        with rt.device("/cpu:0"):
            opened.set()
            release.wait(10)

    t = threading.Thread(target=worker)
    t.start()
    try:
        assert opened.wait(10)
        assert rt.current_device() is None
    finally:
        release.set()
        t.join(10)


# ---- config.threading -----------------------------------------------------------------------


def test_threading_config_and_listeners():
    threading_cfg = type(config.threading)()  # a private instance: the global one is untouched
    cores = len(os.sched_getaffinity(0))  # the cores this process may use, as TF counts them
    assert threading_cfg.get_intra_op_parallelism_threads() == 0
    assert threading_cfg.effective_intra_op_threads() == cores
    calls = []
    threading_cfg.add_listener(calls.append)
    assert calls == [cores]  # called once at subscription
    threading_cfg._set_intra(3)
    assert threading_cfg.get_intra_op_parallelism_threads() == 3
    assert threading_cfg.effective_intra_op_threads() == 3
    threading_cfg._set_intra(0)
    assert calls == [cores, 3, cores]
    with pytest.raises(ValueError, match="-1"):
        threading_cfg._set_intra(-1)
    assert threading_cfg.get_intra_op_parallelism_threads() == 0
    assert len(calls) == 3


def test_default_thread_count_follows_the_affinity_mask(monkeypatch):
    # a process pinned to one core (taskset, an MPI rank) runs one kernel thread, not cpu_count
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert type(config.threading)().effective_intra_op_threads() == 1
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 2, 5})
    assert type(config.threading)().effective_intra_op_threads() == 3


def test_thread_counts_are_fixed_once_initialized_as_in_tf(fresh_runtime):
    before = config.threading.get_intra_op_parallelism_threads()
    try:
        config.threading.set_intra_op_parallelism_threads(1)  # not initialized yet: allowed
        assert config.threading.get_intra_op_parallelism_threads() == 1
        assert config.threading.effective_intra_op_threads() == 1
        config.threading.set_inter_op_parallelism_threads(2)
        assert config.threading.get_inter_op_parallelism_threads() == 2
        rt.list_devices()  # initializes
        with pytest.raises(RuntimeError, match="Intra op parallelism cannot be modified"):
            config.threading.set_intra_op_parallelism_threads(2)
        with pytest.raises(RuntimeError, match="Inter op parallelism cannot be modified"):
            config.threading.set_inter_op_parallelism_threads(2)
    finally:
        config.threading._set_intra(before)
        config.threading._inter = 0


def test_placement_never_loads_jax_but_listings_and_xla_devices_do():
    """The first op's placement probes only CPU and CUDA: JAX (the XLA backend) loads when an XLA
    device or the list of every device is asked for, and those devices then join the list."""
    pytest.importorskip("jax")
    code = (
        "import sys\n"
        "from tensorhouse_hw_runtime import config, devices\n"
        "print(devices.default_device().name, 'jax' in sys.modules)\n"
        "print(len(config.list_physical_devices('CPU')), 'jax' in sys.modules)\n"
        "print([d.name for d in devices.list_devices()], 'jax' in sys.modules)\n"
    )
    env = dict(os.environ, TENSORHOUSE_XLA="auto")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True).stdout.split("\n")  # fmt: skip
    assert out[0] == "/job:localhost/replica:0/task:0/device:CPU:0 False"
    assert out[1] == "1 False"
    assert out[2].endswith("True") and "device:XLA_CPU:0" in out[2]
    assert out[2].index("device:CPU:0") < out[2].index("device:XLA_CPU:0")
