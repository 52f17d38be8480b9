"""``execute``: run one op on a device through the runtime's kernel registry."""

from __future__ import annotations

from .opdefs import _OPS, get_op_def
from .runtime import copy_to_device, errors
from .runtime import registry as _registry

__all__ = ["execute", "returns_outputs"]

_dispatch_table = _registry._best  # the registry's hot-path dict, read-only here
_returning: set = set()  # kernels marked by returns_outputs


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
