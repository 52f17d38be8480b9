"""Shared fixtures for the hw-runtime tests.

These tests import only ``tensorhouse_hw_runtime`` (and NumPy): the package must be testable
without the kernels layer installed. Every fixture that changes process-wide runtime state
(soft placement, placement logging, the global kernel registry) restores it afterwards.
"""

from __future__ import annotations

import pytest

import tensorhouse_hw_runtime as rt
from tensorhouse_hw_runtime import config
from tensorhouse_hw_runtime import devices as _devices
from tensorhouse_hw_runtime.backends.cpu import backend as cpu_backend

CPU0_NAME = "/job:localhost/replica:0/task:0/device:CPU:0"


@pytest.fixture
def cpu0():
    """The one CPU device the runtime discovers."""
    dev = rt.get_device("/device:CPU:0")
    assert dev.name == CPU0_NAME
    return dev


@pytest.fixture
def fake_gpu():
    """A GPU-typed device backed by host memory, unknown to the runtime's device list.

    It lets placement and dispatch tests exercise the non-CPU paths on any machine.
    """
    return rt.Device("GPU", 0, cpu_backend)


@pytest.fixture
def soft_placement():
    """Yields a setter for soft placement and restores the previous value afterwards."""
    before = config.get_soft_device_placement()
    yield config.set_soft_device_placement
    config.set_soft_device_placement(before)


@pytest.fixture
def log_placement():
    """Yields a setter for placement logging and restores the previous value afterwards."""
    before = _devices._runtime.log_placement
    yield rt.debugging.set_log_device_placement
    _devices._runtime.log_placement = before


@pytest.fixture(autouse=True)
def _no_device_scope_leaks():
    """No test may leave a ``device(...)`` scope open on the main thread."""
    assert rt.current_device() is None
    yield
    assert rt.current_device() is None


@pytest.fixture
def fresh_registry():
    return rt.KernelRegistry()


@pytest.fixture
def global_op():
    """A unique op type registered on the global registry for the test; removed afterwards."""
    name = "ThHwRuntimeTestOnlyOp"
    yield name
    for info in rt.registry.list_kernels(op_type=name):
        rt.registry.unregister(info.op_type, info.device_type, info.dtype, info.priority)
    assert rt.registry.list_kernels(op_type=name) == []


@pytest.fixture
def fresh_runtime():
    """A runtime that is not initialized yet (rediscovers devices); reset again afterwards."""
    _devices._runtime.reset()
    yield _devices._runtime
    _devices._runtime.reset()


def pytest_collection_modifyitems(config, items):
    """Tests marked ``gpu`` run only where the runtime finds a GPU (pycuda and a driver)."""
    from tensorhouse_hw_runtime import config as rt_config

    if rt_config.list_physical_devices("GPU"):
        return
    skip = pytest.mark.skip(reason="no GPU: pycuda is missing or finds no CUDA device")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
