"""CPU reductions and ops along one axis: Sum ... Any, ArgMax / ArgMin, cumulative, TopKV2."""

from __future__ import annotations

import numpy as np

from .. import _cpu
from ..opdefs._base import RuleCache
from ..runtime import register_fast_path
from ._base import ALL_NAMES, _bool_as_uint8, _in_float32, _register


def _reduce_kernel(code):
    reduce = _cpu.reduce

    def kernel(inputs, outputs, attrs):
        x = inputs[0]
        axes = attrs.get("axis")
        if axes is None:
            axes = range(x.ndim)
        elif isinstance(axes, int | np.integer):  # a lone axis, as the op def accepts
            axes = (axes,)
        axes = [int(a) % x.ndim for a in axes]
        reduce(code, x, axes, outputs[0])

    return kernel


def _reduce_fast(name, code):
    """The eager shortcut of the reduction ``name``: ``f(device, x, axis, keep_dims)`` with
    ``axis`` None or a tuple of ints; the shape rule and the kernel's axes remembered."""
    reduce = _cpu.reduce
    plans = RuleCache(name)  # (shape, dtype, axis, keep_dims) -> (output shape, kernel axes)

    def shortcut(device, x, axis, keep_dims):
        dt = x.dtype
        key = (x.shape, dt, axis, keep_dims)
        plan = plans.get(key)
        if plan is None:
            specs = plans.infer([x.shape], [dt], {"axis": axis, "keep_dims": keep_dims})
            if specs is None:
                return None
            rank = x.ndim
            axes = list(range(rank)) if axis is None else [int(a) % rank for a in axis]
            plan = plans.put(key, (specs[0][0], axes))
        out = device.allocate(plan[0], dt)
        reduce(code, x, plan[1], out)
        return out

    return shortcut


def _arg_kernel(is_max):
    def kernel(inputs, outputs, attrs):
        _cpu.arg_reduce(is_max, inputs[0], int(attrs.get("axis", 0)), outputs[0])

    return kernel


def _cumulative_kernel(prod):
    def kernel(inputs, outputs, attrs):
        _cpu.cumulative(
            prod,
            inputs[0],
            int(attrs.get("axis", 0)),
            bool(attrs.get("exclusive", False)),
            bool(attrs.get("reverse", False)),
            outputs[0],
        )

    return kernel


def _top_k(inputs, outputs, attrs):
    _cpu.top_k(inputs[0], int(attrs["k"]), outputs[0], outputs[1])


def register():
    """Register the reductions and the ops along one axis."""
    for name, code in _cpu.REDUCE_OPS.items():  # the op defs say which take bools
        kernel = _reduce_kernel(code)
        _register(name, kernel, ALL_NAMES, half=_in_float32)
        register_fast_path(name, kernel, _reduce_fast(name, code))
    for name, is_max in (("ArgMax", True), ("ArgMin", False)):
        _register(name, _arg_kernel(is_max), half=_in_float32)
        _register(name, _bool_as_uint8(_arg_kernel(is_max)), ("bool",))
    _register("Cumsum", _cumulative_kernel(False), half=_in_float32)
    _register("Cumprod", _cumulative_kernel(True), half=_in_float32)
    _register("TopKV2", _top_k, half=_in_float32)
