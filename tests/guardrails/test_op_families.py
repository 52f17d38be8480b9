"""One op, one family name everywhere: its definition (kernels' ``opdefs/<family>.py``), its CPU,
CUDA and XLA kernels (``cpu/``, ``gpu/``, ``xla/<family>.py``) and its gradient rule (ops'
``_grads/<family>.py``), wherever the op exists there."""

from __future__ import annotations

import pytest

from tensorhouse_kernels import gpu, xla
from tensorhouse_kernels.cpu import FAMILIES as CPU_FAMILIES
from tensorhouse_kernels.opdefs import FAMILY as OPDEF_FAMILY
from tensorhouse_kernels.runtime import list_kernels

# Known differences, each with its reason; the test fails when one is fixed (drop it here).
KNOWN: dict = {}

_CPU_NAMES = {m.__name__.rsplit(".", 1)[-1] for m in CPU_FAMILIES}


def _cpu_family_of(fn, depth=0):
    """The CPU family module that defines ``fn``, looking through the shared wrappers (16-bit,
    bool, bfloat16 twins) into the kernel they close over."""
    name = getattr(fn, "__module__", "").rsplit(".", 1)[-1]
    if name in _CPU_NAMES or depth > 4:
        return name
    for cell in getattr(fn, "__closure__", None) or ():
        if callable(cell.cell_contents):
            found = _cpu_family_of(cell.cell_contents, depth + 1)
            if found in _CPU_NAMES:
                return found
    return name


def cpu_families() -> dict:
    """``{op: family}`` of the CPU kernels; the ``complex`` family's kernels of another
    family's op (its complex dtypes) extend that op, as ``opdefs/complex.py`` extends its
    definition."""
    found: dict = {}
    for k in list_kernels(device_type="CPU"):
        if k.source.startswith("tensorhouse_kernels.cpu"):
            found.setdefault(k.op_type, set()).add(_cpu_family_of(k.kernel))
    return {op: (fams - {"complex"} or fams) for op, fams in found.items()}


def grad_families() -> dict:
    from tensorhouse_ops._grads import RULES

    prefix = "tensorhouse_ops._grads."
    return {op: fn.__module__[len(prefix):] for op, fn in RULES.items()
            if fn.__module__.startswith(prefix) and fn.__module__ != prefix + "base"}  # fmt: skip


@pytest.fixture(scope="module")
def tables():
    cpu = cpu_families()
    assert {op: fams for op, fams in cpu.items() if len(fams) > 1} == {}
    return {
        "cpu": {op: next(iter(fams)) for op, fams in cpu.items()},
        "gpu": gpu.FAMILY,
        "xla": xla.FAMILY,
        "grads": grad_families(),
    }


def test_every_op_has_one_family_name_in_every_table(tables):
    differ = {}
    for op, family in OPDEF_FAMILY.items():
        others = {f"{where}: {t[op]}" for where, t in tables.items() if op in t and t[op] != family}
        if others:
            differ[op] = ", ".join(sorted(others))
    assert differ == KNOWN


def test_every_kernel_is_of_a_defined_op(tables):  # (ops has rules of graph-only ops too)
    for where in ("cpu", "gpu", "xla"):
        assert set(tables[where]) <= set(OPDEF_FAMILY), where
    assert set(OPDEF_FAMILY.values()) >= set(tables["gpu"].values()) | set(tables["xla"].values())


def test_an_op_in_two_families_is_an_error():
    from types import SimpleNamespace

    from tensorhouse_kernels._families import merge_tables

    a = SimpleNamespace(__name__="x.array", TABLE={"Reshape": 1})
    b = SimpleNamespace(__name__="x.nn", TABLE={"Softmax": 2, "Reshape": 3})
    with pytest.raises(ValueError, match="'Reshape' is in two families: array and nn"):
        merge_tables([a, b])
    assert merge_tables([b]) == ({"Softmax": 2, "Reshape": 3}, {"Softmax": "nn", "Reshape": "nn"})
