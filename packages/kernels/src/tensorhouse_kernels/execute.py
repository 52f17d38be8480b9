"""``execute``: run one op on a device through the runtime's kernel registry."""

from __future__ import annotations

import numpy as np

from .opdefs import _OPS, get_op_def
from .runtime import copy_to_device, errors
from .runtime import registry as _registry

__all__ = ["eager_elementwise", "execute", "returns_outputs"]

_dispatch_table = _registry._best  # the registry's hot-path dict, read-only here
_returning: set = set()  # kernels marked by returns_outputs
# op type -> (registered kernel, C entry, op code, bool output): the C++ elementwise kernels
# that eager_elementwise may call directly (filled by tensorhouse_kernels.cpu).
_fast_cpu: dict = {}
_BOOL = np.dtype(bool)


def eager_elementwise(op_type: str):
    """A shortcut for one unary or binary elementwise op on same-shape, same-dtype inputs.

    Returns ``f(device, *buffers) -> output buffer``, or ``None`` when ``op_type`` has no
    shortcut. ``f`` returns ``None`` whenever the shortcut does not apply (shapes or dtypes
    differ, the device is not a CPU, or the registry would pick another kernel for this
    dtype): the caller then takes ``execute``, which also produces the errors. When it applies,
    its result is exactly ``execute``'s, without the op-definition and dispatch steps.
    """
    entry = _fast_cpu.get(op_type)
    if entry is None:
        return None
    kernel, c_entry, code, out_bool = entry
    table = _dispatch_table
    if get_op_def(op_type).num_inputs == 1:

        def unary(device, a):
            dt = a.dtype
            if table.get((op_type, device.device_type, dt)) is not kernel:
                return None
            out = device.allocate(a.shape, dt)
            c_entry(code, a, out)
            return out

        return unary

    def binary(device, a, b):
        dt = a.dtype
        shape = a.shape
        if dt is not b.dtype or shape != b.shape:
            return None
        if table.get((op_type, device.device_type, dt)) is not kernel:
            return None
        out = device.allocate(shape, _BOOL if out_bool else dt)
        c_entry(code, a, b, out)
        return out

    return binary


def _category(dt: np.dtype) -> str:
    if dt.kind in "iu":
        return "integer"
    if dt.kind == "f" or dt.name == "bfloat16":
        return "float"
    return dt.kind  # "b" bool, "O" string, ...


# Ops whose TF type list has integers although their kernels here are float only.
_TF_ALSO_INTEGER = frozenset({"MatMul", "BatchMatMulV2", "Conv2D"})


def _tf_allows(op_type, opdef, dt) -> bool:
    """Whether TF's type list for ``op_type`` (approximated by the kinds of the dtypes the op
    definition takes) has ``dt``. Outside it TF raises InvalidArgumentError; inside it, a
    dtype without a kernel here is a NotFoundError, as TF's for a missing kernel."""
    cat = _category(dt)
    if cat == "integer" and op_type in _TF_ALSO_INTEGER:
        return True
    return any(_category(d) == cat for d in opdef.dtypes)


def returns_outputs(kernel):
    """Mark ``kernel`` as one that creates and returns its outputs (XLA's immutable arrays).

    ``execute`` then allocates nothing and calls ``kernel(inputs, device, attrs)``: the device
    the op runs on takes the place of the output buffers. Returns ``kernel``.
    """
    kernel.returns_outputs = True
    _returning.add(kernel)
    return kernel


def execute(op_type: str, inputs, attrs: dict, device):
    """Run ``op_type`` on ``device``; returns ``(outputs, device_used)``.

    ``inputs`` are native buffers already on ``device`` (NumPy arrays on the CPU). The op's
    rule validates shapes and dtypes first, so bad input gets TF's error before any kernel
    runs; then the outputs are allocated on the device and the kernel fills them. Soft
    placement may run the op on the CPU instead, copying the inputs there. Kernels marked by
    ``returns_outputs`` (the XLA kernels) create their outputs instead, and return them.
    """
    opdef = _OPS.get(op_type) or get_op_def(op_type)
    if opdef.num_inputs is not None and len(inputs) != opdef.num_inputs:
        raise errors.InvalidArgumentError(
            f"{op_type} expects {opdef.num_inputs} inputs, got {len(inputs)} [Op:{op_type}]"
        )
    dtypes = [x.dtype for x in inputs]
    specs = opdef.infer([x.shape for x in inputs], dtypes, attrs)
    key = opdef.key(dtypes, attrs) if dtypes or opdef.num_inputs == 0 else None
    kernel = _dispatch_table.get((op_type, device.device_type, key))
    used = device
    if kernel is None:
        if isinstance(key, np.dtype) and opdef.dtypes and not _tf_allows(op_type, opdef, key):
            allowed = ", ".join(d.name for d in opdef.dtypes)
            raise errors.InvalidArgumentError(
                f"Value for attr 'T' of {key.name} is not in the list of allowed values: "
                f"{allowed} [Op:{op_type}]"
            )
        from .runtime import dispatch_with_fallback

        kernel, used = dispatch_with_fallback(op_type, device, key)
        if used is not device:
            inputs = [copy_to_device(x, device, used) for x in inputs]
    if kernel in _returning:
        return kernel(inputs, used, attrs), used
    if not opdef.allocates:
        return kernel(inputs, None, attrs), used
    allocate = used.allocate
    outputs = [allocate(shape, dt) for shape, dt in specs]
    kernel(inputs, outputs, attrs)
    return outputs, used
