"""Registers the C++ CPU kernels (module ``_cpu``) in the runtime's kernel registry."""

from __future__ import annotations

import numpy as np

from . import _cpu
from .opdefs import ALL, get_op_def
from .runtime import config, register_kernel

__all__ = ["register_all", "info"]

_NUMERIC_CPP = ("float32", "float64", "int32", "int64", "uint8")


def _dtypes(op_type, supported=_NUMERIC_CPP):
    allowed = {np.dtype(d) for d in supported}
    return [d for d in get_op_def(op_type).dtypes if d in allowed]


def _register(op_type, fn, supported=_NUMERIC_CPP):
    register_kernel(op_type, "CPU", _dtypes(op_type, supported), source="tensorhouse_kernels.cpu")(
        fn
    )


def _unary_kernel(code):
    unary = _cpu.unary

    def kernel(inputs, outputs, attrs):
        unary(code, inputs[0], outputs[0])

    return kernel


def _binary_kernel(code):
    binary = _cpu.binary

    def kernel(inputs, outputs, attrs):
        binary(code, inputs[0], inputs[1], outputs[0])

    return kernel


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


def _matmul(inputs, outputs, attrs):
    _cpu.matmul(
        inputs[0],
        inputs[1],
        outputs[0],
        bool(attrs.get("transpose_a", False)),
        bool(attrs.get("transpose_b", False)),
    )


def _transpose(inputs, outputs, attrs):
    _cpu.copy(np.transpose(inputs[0], attrs["perm"]), outputs[0])


def _broadcast_to(inputs, outputs, attrs):
    _cpu.copy(np.broadcast_to(inputs[0], outputs[0].shape), outputs[0])


def _identity(inputs, outputs, attrs):
    _cpu.copy(inputs[0], outputs[0])


def _reshape(inputs, outputs, attrs):
    # A view: C-contiguous in, C-contiguous out, no copy. Tensors never write their buffers.
    return [inputs[0].reshape(attrs["shape"])]


def _cast(inputs, outputs, attrs):
    _cpu.cast(inputs[0], outputs[0])


def _fill(inputs, outputs, attrs):
    _cpu.fill(outputs[0], float(attrs["value"]))


def _random_kernel(kind):
    def kernel(inputs, outputs, attrs):
        _cpu.random_fill(kind, outputs[0], int(attrs["seed"]), int(attrs["seed2"]))

    return kernel


def register_all():
    all_types = [d.name for d in ALL]
    for name, code in _cpu.UNARY_OPS.items():
        _register(name, _unary_kernel(code))
    for name, code in _cpu.BINARY_OPS.items():
        _register(name, _binary_kernel(code))
    for name, code in _cpu.REDUCE_OPS.items():
        _register(name, _reduce_kernel(code))
    _register("MatMul", _matmul, ("float32", "float64"))
    _register("Transpose", _transpose, all_types)
    _register("BroadcastTo", _broadcast_to, all_types)
    _register("Identity", _identity, all_types)
    _register("Reshape", _reshape, all_types)
    _register("Cast", _cast, all_types)
    _register("Fill", _fill, all_types)
    _register("RandomUniform", _random_kernel(0), ("float32", "float64"))
    _register("RandomStandardNormal", _random_kernel(1), ("float32", "float64"))
    config.threading.add_listener(_set_threads)


def _set_threads(n: int):
    _cpu.set_num_threads(n)
    _cpu.blas_set_num_threads(n)


def info() -> dict:
    return {
        "openmp": bool(_cpu.openmp),
        "threads": _cpu.num_threads(),
        "blas": "OpenBLAS (scipy-openblas32)",
        "blas_core": _cpu.blas_corename(),
        "blas_config": _cpu.blas_config(),
        "blas_threads": _cpu.blas_get_num_threads(),
    }
