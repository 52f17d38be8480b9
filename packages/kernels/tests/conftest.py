"""Shared fixtures for the kernels tests (needs tensorhouse_kernels and tensorhouse_hw_runtime).

Fixtures that change process-wide state (the C++ module's thread count, soft placement)
restore it afterwards, so test order never matters.
"""

from __future__ import annotations

import pytest

import tensorhouse_kernels as tk
from tensorhouse_hw_runtime import config, get_device
from tensorhouse_kernels import _cpu


@pytest.fixture(scope="session")
def cpu():
    return get_device("/device:CPU:0")


@pytest.fixture
def run(cpu):
    """``run(op, inputs, attrs=None)``: execute on the CPU and return the single output."""

    def _run(op, inputs, attrs=None):
        outputs, used = tk.execute(op, list(inputs), dict(attrs or {}), cpu)
        assert used is cpu
        assert len(outputs) == 1
        return outputs[0]

    return _run


@pytest.fixture
def kernel_threads():
    """Yields ``_cpu.set_num_threads``; the thread count in force before is restored. The
    contention guard is off meanwhile, so the threads run even on a busy machine."""
    before = _cpu.num_threads()
    _cpu._set_contention_guard(False)
    yield _cpu.set_num_threads
    _cpu._set_contention_guard(True)
    _cpu.set_num_threads(before)


@pytest.fixture
def soft_placement():
    before = config.get_soft_device_placement()
    yield config.set_soft_device_placement
    config.set_soft_device_placement(before)
