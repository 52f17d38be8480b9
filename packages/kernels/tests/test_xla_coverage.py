"""Every op of the CPU kernel library has an XLA kernel, or is excluded on purpose.

The op list comes from the runtime's registry, so an op added to the CPU library without an
XLA kernel (``tensorhouse_kernels.xla.TABLE``) or an entry in ``xla.EXCLUDED`` fails here.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("jax")

from tensorhouse_hw_runtime.registry import list_kernels
from tensorhouse_kernels import xla


def cpu_kernels():
    """{op: {dtype names}} of the kernel library's own CPU kernels (strings stay on the host,
    as TF's: they have CPU kernels only)."""
    out: dict = {}
    for k in list_kernels(device_type="CPU"):
        if k.source.startswith("tensorhouse_kernels") and k.dtype != "object":
            out.setdefault(k.op_type, set()).add(k.dtype)
    return out


def test_every_cpu_op_has_an_xla_kernel_or_a_stated_exclusion():
    cpu = cpu_kernels()
    assert len(cpu) >= 80  # guards against an empty registry hiding everything
    missing = sorted(set(cpu) - set(xla.TABLE) - set(xla.EXCLUDED))
    assert not missing, (
        f"CPU ops without an XLA kernel: {missing}. Add a jax function to "
        "tensorhouse_kernels.xla.TABLE, or list the op in xla.EXCLUDED with the reason."
    )


def test_exclusions_are_explained_and_not_half_registered():
    assert not set(xla.EXCLUDED) & set(xla.TABLE)
    for op, reason in xla.EXCLUDED.items():
        assert isinstance(reason, str) and len(reason) > 10, op
        for device_type in xla.DEVICE_TYPES:
            assert not list_kernels(op_type=op, device_type=device_type), (op, device_type)


@pytest.mark.parametrize("device_type", xla.DEVICE_TYPES)
def test_xla_kernels_have_the_cpu_dtypes(device_type):
    cpu = cpu_kernels()
    for op, dtypes in sorted(cpu.items()):
        if op not in xla.TABLE:
            continue
        got = {k.dtype for k in list_kernels(op_type=op, device_type=device_type)}
        assert got == dtypes, f"{op} on {device_type}: {sorted(got)} vs CPU {sorted(dtypes)}"
        for k in list_kernels(op_type=op, device_type=device_type):
            assert k.source == xla.SOURCE


def test_no_xla_kernel_without_a_cpu_kernel():
    cpu = cpu_kernels()
    for device_type in xla.DEVICE_TYPES:
        ops = {k.op_type for k in list_kernels(device_type=device_type) if k.source == xla.SOURCE}
        assert ops <= set(cpu), sorted(ops - set(cpu))


def test_importing_the_kernels_does_not_import_jax():
    # The XLA kernels register without JAX; it loads on their first call (or at the runtime's
    # first use, whose XLA backend imports it), so `import tensorhouse_kernels` stays fast.
    code = "import sys, tensorhouse_kernels; print('jax' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "False", out.stdout + out.stderr


def test_xla_kernels_register_on_the_first_question_about_xla():
    # Registering ~2,900 XLA kernels is deferred: the first op on the CPU never pays for it.
    import tensorhouse_kernels

    assert tensorhouse_kernels._XLA_DEVICE_TYPES == xla.DEVICE_TYPES
    code = (
        "import sys, tensorhouse_kernels as k; from tensorhouse_hw_runtime import registry as r; "
        "cpu = len(r.list_kernels(device_type='CPU')); before = 'tensorhouse_kernels.xla' in "
        "sys.modules; tpu = len(r.list_kernels(device_type='TPU')); "
        "print(before, cpu, 'tensorhouse_kernels.xla' in sys.modules, tpu)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    loaded_before, cpu, loaded_after, tpu = out.stdout.split()
    assert (loaded_before, loaded_after) == ("False", "True"), out.stdout + out.stderr
    assert int(cpu) > 1000 and int(tpu) > 900
