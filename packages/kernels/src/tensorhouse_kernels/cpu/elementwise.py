"""CPU elementwise kernels: unary, binary, math, predicates, Cast, SelectV2, fused."""

from __future__ import annotations

import numpy as np

from .. import _cpu
from ..opdefs import CAST_TYPES, TRUNCATE_MOD_ZERO, check_fused_program
from ..runtime import errors, register_fast_path, register_kernel
from ._base import (
    _NUMERIC_CPP,
    _SOURCE,
    ALL_NAMES,
    FLOAT_NAMES,
    _as_bits,
    _bool_as_uint8,
    _in_float32,
    _real_of,
    _register,
    _split_planes,
    _storage16,
    _widen,
)


def _truncate_mod(kernel):
    """TF's CPU TruncateMod fails an integer divisor of zero with an InternalError."""

    def run(inputs, outputs, attrs):
        b = inputs[1]
        if b.dtype.kind in "iu" and outputs[0].size and not b.all():
            raise errors.InternalError(TRUNCATE_MOD_ZERO)
        kernel(inputs, outputs, attrs)

    return run


def _unary_kernel(code):
    unary = _cpu.unary

    def kernel(inputs, outputs, attrs):
        unary(code, inputs[0], outputs[0])

    return kernel


def _floor_div_half(kernel):
    """FloorDiv on float16 / bfloat16 as TF's: the float32 quotient is rounded to the 16-bit
    type first, then floored (flooring the float32 quotient differs just below an integer)."""
    div, floor = _cpu.BINARY_OPS["RealDiv"], _cpu.UNARY_OPS["Floor"]

    def run(inputs, outputs, attrs):
        out = outputs[0]
        code = _storage16(out.dtype)
        q = np.empty(out.shape, np.float32)
        _cpu.binary(div, _widen(inputs[0]), _widen(inputs[1]), q)
        _cpu.cast16(q, out, 0, code)
        _cpu.cast16(out, q, code, 0)
        _cpu.unary(floor, q, q)
        _cpu.cast16(q, out, 0, code)

    return run


def _math_unary_kernel(code):
    math_unary = _cpu.math_unary

    def kernel(inputs, outputs, attrs):
        math_unary(code, inputs[0], outputs[0])

    return kernel


def _math_binary_kernel(code):
    math_binary = _cpu.math_binary

    def kernel(inputs, outputs, attrs):
        math_binary(code, inputs[0], inputs[1], outputs[0])

    return kernel


def _binary_kernel(code):
    binary = _cpu.binary

    def kernel(inputs, outputs, attrs):
        binary(code, inputs[0], inputs[1], outputs[0])

    return kernel


def _cast(inputs, outputs, attrs):
    x, out = inputs[0], outputs[0]
    if x.dtype.kind == "c" or out.dtype.kind == "c":
        return _cast_complex(x, out, attrs)
    a, b = _storage16(x.dtype), _storage16(out.dtype)
    if a or b:
        _cpu.cast16(x, out, a, b)
    else:
        _cpu.cast(x, out)


def _predicate_kernel(code):
    predicate = _cpu.predicate

    def kernel(inputs, outputs, attrs):
        predicate(code, inputs[0], outputs[0])

    return kernel


def _logical_kernel(code):
    logical = _cpu.logical

    def kernel(inputs, outputs, attrs):
        logical(code, inputs[0], inputs[1], outputs[0])

    return kernel


def _select(inputs, outputs, attrs):
    _cpu.select(inputs[0], inputs[1], inputs[2], outputs[0])


# FusedElementwise: the program encoded once per attrs (rows of kind, op or input, registers;
# one constant per row), cached by the identity of the attrs' program and outputs.
_FUSED_KIND = {"input": 0, "const": 1, "unary": 2, "binary": 3}
_fused_programs: dict = {}


def _encode_fused(program, outputs):
    unary = {n: i for i, n in enumerate(_cpu.FUSED_UNARY_OPS)}
    binary = {n: i for i, n in enumerate(_cpu.FUSED_BINARY_OPS)}
    code = np.zeros((len(program), 4), np.int64)
    consts = np.zeros(len(program), np.float64)
    for k, ins in enumerate(program):
        kind = ins[0]
        code[k, 0] = _FUSED_KIND[kind]
        if kind == "input":
            code[k, 1] = ins[1]
        elif kind == "const":
            consts[k] = float(ins[1])
        else:
            code[k, 1] = (unary if kind == "unary" else binary)[ins[1]]
            code[k, 2 : len(ins) + 1] = ins[2:]
    return code, consts, np.asarray(outputs, np.int64).reshape(-1)


def _fused(inputs, outputs, attrs):
    program, outs = attrs["program"], attrs["outputs"]
    hit = _fused_programs.get((id(program), id(outs)))
    if hit is None or hit[0] is not program or hit[1] is not outs:
        program_t, outs_t = check_fused_program(attrs, len(inputs))
        if len(_fused_programs) >= 4096:
            _fused_programs.clear()
        hit = (program, outs, *_encode_fused(program_t, outs_t))
        _fused_programs[(id(program), id(outs))] = hit
    _cpu.fused(hit[2], hit[3], hit[4], inputs, outputs)


def _cast_complex(x, out, attrs):
    """TF's casts: real -> complex sets the imaginary part to 0, complex -> real keeps the real
    part (then converts it as a real cast does), complex -> complex casts both parts."""
    if x.dtype.kind == "c":
        re, im = _split_planes(x)
        if out.dtype.kind != "c":
            return _cast([re], [out], attrs)
        re2 = np.empty(out.shape, _real_of(out.dtype))
        im2 = np.empty(out.shape, re2.dtype)
        _cpu.cast(re, re2)
        _cpu.cast(im, im2)
        return _cpu.make_complex(re2, im2, out)
    re = np.empty(out.shape, _real_of(out.dtype))
    _cast([x], [re], attrs)
    _cpu.make_complex(re, np.zeros((), re.dtype), out)


def register():
    """Register the elementwise kernels (and their shortcuts for the eager fast path)."""
    every_int = _NUMERIC_CPP + ("uint16", "uint32", "uint64")
    for name, code in _cpu.UNARY_OPS.items():
        kernel = _unary_kernel(code)
        _register(name, kernel, half=_in_float32)
        register_fast_path(name, kernel, _cpu.unary, code, 1)
    for name, code in _cpu.BINARY_OPS.items():
        kernel = _binary_kernel(code)
        if name == "TruncateMod":
            _register(name, _truncate_mod(kernel))
            continue
        _register(name, kernel, half=_floor_div_half if name == "FloorDiv" else _in_float32)
        compare = code >= _cpu.BINARY_OPS["Equal"]
        register_fast_path(name, kernel, _cpu.binary, code, 2, bool_output=compare)
        if name in ("Equal", "NotEqual"):
            _register(name, _bool_as_uint8(kernel), ("bool",))
    for name, code in _cpu.MATH_UNARY_OPS.items():
        kernel = _math_unary_kernel(code)
        if name in ("Lgamma", "Digamma"):  # TF has no bfloat16 kernel for them
            _register(name, kernel)
            register_kernel(name, "CPU", [np.dtype("float16")], source=_SOURCE)(_in_float32(kernel))
        else:
            _register(name, kernel, every_int, half=_in_float32)
        register_fast_path(name, kernel, _cpu.math_unary, code, 1)
    for name, code in _cpu.MATH_BINARY_OPS.items():
        kernel = _math_binary_kernel(code)
        _register(name, kernel, every_int, half=_in_float32)
        register_fast_path(name, kernel, _cpu.math_binary, code, 2)
    _register("Rint", _unary_kernel(_cpu.UNARY_OPS["Round"]), FLOAT_NAMES)  # TF: no 16-bit
    for name, code in _cpu.PREDICATE_OPS.items():
        _register(name, _predicate_kernel(code), ALL_NAMES, half=_in_float32)
    for name, code in _cpu.LOGICAL_OPS.items():
        _register(name, _logical_kernel(code), ALL_NAMES)
    _register("SelectV2", _select, ALL_NAMES, half=_as_bits)
    _register("FusedElementwise", _fused, FLOAT_NAMES)
    _register("Cast", _cast, CAST_TYPES)
