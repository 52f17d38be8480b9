"""``execute``: run one op on a device; the one kernel contract of this layer.

Every kernel, on every device, is called one way, ``kernel(inputs, outputs, attrs)``, and
returns nothing (MLX's ``eval_cpu`` / ``eval_gpu``). ``execute`` runs the op's shape rule
once, then hands the kernel ``outputs``, an ``Outputs`` list (``outputs.device``: the device
it runs on) that holds, per output:

* a buffer allocated on that device from the rule's shape and dtype, which the kernel fills;
* or an empty slot (``None``) that the kernel sets (``outputs[i] = buffer``), where no buffer
  can be allocated for it: the op's output shape depends on the data (its definition says
  ``allocates=False``: Reshape's view, Where, Unique, ...), the device's buffers are immutable
  (``device.writable`` is False: JAX's arrays), or the op runs on strings (object arrays,
  which the native allocator does not make). Such calls get empty slots for every output.

``inputs`` are native buffers on the device (NumPy arrays on the CPU), ``attrs`` the op's
attrs. ``hw-runtime``'s ``dispatch`` picks the kernel and the device (soft placement, the
placement log); ``eager_elementwise`` is its elementwise shortcut, ``eager_shortcut`` the
shortcuts of Reshape, Transpose, ConcatV2, MatMul and the reductions.

A kernel that ``writes_in_place`` may be handed input ``j``'s own buffer as its output ``j``
(the fused optimizer updates: each element is read before it is written), so that a caller
holding the only reference to a variable's buffer updates it in place, as TF's
``ResourceApply*`` kernels do.
"""

from __future__ import annotations

import numpy as np

from .opdefs import _OPS, STRING, get_op_def
from .runtime import copy_to_device, dispatch, errors, fast_path, op_fast_path

__all__ = ["Outputs", "allocated", "eager_elementwise", "eager_shortcut", "execute",
           "writes_in_place"]  # fmt: skip


class Outputs(list):
    """The outputs of one kernel call: buffers to fill, or empty slots (``None``) to set;
    ``device`` is the device the kernel runs on."""

    __slots__ = ("device",)


def allocated(opdef, device, key) -> bool:
    """Whether a call of ``opdef``'s kernel on ``device`` (dispatch key ``key``) gets its
    outputs allocated (else empty slots): the rule above, in one place."""
    return opdef.allocates and device.writable and key is not STRING


def writes_in_place(kernel) -> bool:
    """Whether ``kernel`` may be given input ``j``'s buffer as its output ``j``."""
    return getattr(kernel, "writes_in_place", False)


def eager_elementwise(op_type: str):
    """A shortcut for one unary or binary elementwise op on same-shape, same-dtype inputs.

    Returns ``f(device, *buffers) -> output buffer``, or ``None`` when ``op_type`` has no
    shortcut; ``f`` returns ``None`` where it does not apply (the caller then takes
    ``execute``). Where it applies, its result and placement log are ``execute``'s.
    """
    return fast_path(op_type)


def eager_shortcut(op_type: str):
    """An op's own shortcut on the CPU: the kernel called directly, its shape rule remembered.

    Returns ``f(device, first, *args) -> output buffer``, or ``None`` when ``op_type`` has
    none; ``f`` returns ``None`` where it does not apply (the caller then takes ``execute``,
    which also raises the errors). Where it applies, its result and placement log are
    ``execute``'s. The calls: ``Reshape`` ``f(device, x, shape)``, ``Transpose``
    ``f(device, x, perm)`` (tuples of ints), ``ConcatV2`` and ``Pack``
    ``f(device, [x, ...], axis)``,
    ``MatMul`` ``f(device, a, b, transpose_a, transpose_b)`` (bools), ``Sum`` ... ``Any``
    ``f(device, x, axis, keep_dims)`` (``axis`` None or a tuple of ints, a bool).
    """
    return op_fast_path(op_type)


def execute(op_type: str, inputs, attrs: dict, device):
    """Run ``op_type`` on ``device``; returns ``(outputs, device_used)``.

    ``inputs`` are native buffers already on ``device``. The op's rule validates shapes and
    dtypes, ``dispatch`` picks the kernel (soft placement may pick the CPU, and the inputs are
    copied there), then the kernel runs under the contract above.
    """
    opdef = _OPS.get(op_type)
    if opdef is None:
        opdef = get_op_def(op_type)  # NotFoundError naming the op
    n = len(inputs)
    if n != opdef.num_inputs and opdef.num_inputs is not None:
        raise errors.InvalidArgumentError(
            f"{op_type} expects {opdef.num_inputs} inputs, got {n} [Op:{op_type}]"
        )
    if n == 1:  # the common arities without building comprehensions (the eager hot path)
        x = inputs[0]
        dtypes, shapes = [x.dtype], [x.shape]
    elif n == 2:
        x, y = inputs
        dtypes, shapes = [x.dtype, y.dtype], [x.shape, y.shape]
    else:
        dtypes, shapes = [x.dtype for x in inputs], [x.shape for x in inputs]
    specs = opdef.infer(shapes, dtypes, attrs)
    if not (n or opdef.num_inputs == 0):
        key = None  # no inputs to key on: the op's kernels are keyed by None
    elif opdef.keyed:
        key = opdef.key(dtypes, attrs)
    else:
        key = dtypes[0]
    try:
        kernel, used = dispatch(op_type, device, key)
    except errors.NotFoundError:
        if isinstance(key, np.dtype) and opdef.dtypes and not _tf_allows(op_type, opdef, key):
            allowed = ", ".join(d.name for d in opdef.dtypes)
            raise errors.InvalidArgumentError(
                f"Value for attr 'T' of {key.name} is not in the list of allowed values: "
                f"{allowed} [Op:{op_type}]"
            ) from None
        raise
    if used is not device:
        inputs = [copy_to_device(x, device, used) for x in inputs]
    outputs = Outputs()
    outputs.device = used
    if opdef.allocates and used.writable and key is not STRING:  # allocated(), inlined
        allocate = used.allocate
        if len(specs) == 1:  # the common case without a generator (the eager hot path)
            shape, dt = specs[0]
            outputs.append(allocate(shape, dt))
        else:
            outputs.extend(allocate(shape, dt) for shape, dt in specs)
        kernel(inputs, outputs, attrs)
        return outputs, used
    outputs.extend([None] * len(specs))
    kernel(inputs, outputs, attrs)
    if any(o is None for o in outputs):
        raise errors.InternalError(f"{op_type}'s kernel left an output unset [Op:{op_type}]")
    return outputs, used


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
