"""Elementwise op definitions: unary, binary, predicates, Cast, SelectV2, FusedElementwise."""

from __future__ import annotations

import numpy as np

from ..runtime import errors
from ._base import (
    _OPS,
    ALL,
    BOOL,
    FLOAT,
    FLOATS,
    INT,
    NUMERIC,
    NUMERIC_U8,
    SMALL_INT,
    DTypeError,
    OpDef,
    _compatible,
    _fmt,
    _merge,
    _register,
    _require_dtype,
    _same_dtypes,
    broadcast_shape,
)

# ---- definitions ----------------------------------------------------------------------------


def _unary(name, dtypes=NUMERIC):
    def infer(shapes, dts, attrs):
        return [(shapes[0], dts[0])]

    return _register(OpDef(name, 1, infer, dtypes))


def _binary(name, dtypes=NUMERIC, out_bool=False):
    def infer(shapes, dts, attrs):
        dt = _same_dtypes(name, dts)
        if dtypes == (BOOL,):
            _require_dtype(name, dts, 0, dtypes)
        return [(broadcast_shape(name, shapes[0], shapes[1]), BOOL if out_bool else dt)]

    return _register(OpDef(name, 2, infer, dtypes))


def _predicate(name, dtypes):
    def infer(shapes, dts, attrs):
        if dtypes == (BOOL,):
            _require_dtype(name, dts, 0, dtypes)
        return [(shapes[0], BOOL)]

    return _register(OpDef(name, 1, infer, dtypes))


for _n in ("Neg", "Abs", "Sign"):
    _unary(_n)
for _n in ("Square", "Relu", "Relu6"):
    _unary(_n, NUMERIC_U8)
_unary("Round", FLOATS + INT + (np.dtype("uint8"),))
for _n in (
    "Sqrt", "Rsqrt", "Exp", "Expm1", "Log", "Log1p", "Reciprocal",
    "Sin", "Cos", "Tan", "Tanh", "Sigmoid", "Floor", "Ceil",
    "Erf", "Elu", "Selu", "Softplus",
):  # fmt: skip
    _unary(_n, FLOATS)
for _n in ("AddV2", "Sub", "Mul", "Maximum", "Minimum", "FloorDiv", "FloorMod", "ReluGrad",
           "Relu6Grad"):  # fmt: skip
    _binary(_n, NUMERIC_U8)
_binary("SquaredDifference", FLOATS + INT)
_binary("Pow")
for _n in ("RealDiv", "SigmoidGrad", "TanhGrad", "EluGrad", "SeluGrad", "SoftplusGrad"):
    _binary(_n, FLOATS)
for _n in ("Less", "LessEqual", "Greater", "GreaterEqual"):
    _binary(_n, NUMERIC_U8, out_bool=True)
for _n in ("Equal", "NotEqual"):
    _binary(_n, NUMERIC_U8 + (BOOL,), out_bool=True)
# C's remainder (fmod for floats); TF's CPU kernels: float32, float64, int32, int64
_binary("TruncateMod", FLOAT + INT)
# TF's error (an InternalError) for an integer TruncateMod by zero
TRUNCATE_MOD_ZERO = (
    "Unexpected error in binary operator (only integer div and mod should have errors) "
    "[Op:TruncateMod]"
)
_predicate("IsNan", FLOATS)
_predicate("IsFinite", FLOATS)
_predicate("LogicalNot", (BOOL,))
for _n in ("LogicalAnd", "LogicalOr"):
    _binary(_n, (BOOL,), out_bool=True)
# inverse trigonometric / hyperbolic functions, lgamma, digamma, atan2 (TF's CPU kernels: Rint
# on float32 / float64 only, Lgamma / Digamma without bfloat16; the others on every float)
for _n in ("Atan", "Acos", "Asin", "Sinh", "Cosh", "Acosh", "Asinh", "Atanh", "Rint", "Lgamma",
           "Digamma"):  # fmt: skip
    _unary(_n, FLOATS)
_binary("Atan2", FLOATS)
for _n in ("Zeta", "Polygamma"):  # zeta(x, q), polygamma(n, x): float32 / float64 in TF
    _binary(_n, FLOAT)
# erf^-1, the normal quantile, the modified Bessel functions I0 / I1 (and scaled by e^-|x|),
# nextafter: TF's CPU kernels (BesselI* on float16 too, computed in float32)
for _n in ("Erfinv", "Ndtri"):
    _unary(_n, FLOAT)
for _n in ("BesselI0", "BesselI0e", "BesselI1", "BesselI1e"):
    _unary(_n, FLOAT + (np.dtype("float16"),))
_binary("NextAfter", FLOAT)
# bitwise ops on every integer type; shift counts are clamped to [0, bits - 1], as TF's
BITWISE = INT + SMALL_INT + tuple(np.dtype(d) for d in ("uint8", "uint16", "uint32", "uint64"))
_unary("Invert", BITWISE)
for _n in ("BitwiseAnd", "BitwiseOr", "BitwiseXor", "LeftShift", "RightShift"):
    _binary(_n, BITWISE)


# ---- FusedElementwise: a tensorhouse op (not a TF op) ------------------------------------------
# The graph optimizer of the ops layer collapses chains of elementwise ops into one node that
# runs them in a single pass. attrs: ``program``, a tuple of instructions, each writing the
# register numbered by its position (SSA):
#   ("input", i)            input i
#   ("const", value)        a scalar constant (converted to the inputs' dtype)
#   ("unary", op, r)        op in FUSED_UNARY, of register r < this one
#   ("binary", op, r, s)    op in FUSED_BINARY, of registers r, s < this one
# and ``outputs``, the tuple of registers returned (one output each). Inputs share one shape
# or are scalars (shape []), which broadcast; every output has the shape of the non-scalar
# inputs; float32 or float64, one dtype throughout. The ops compute what the TF ops of the same
# names compute.
FUSED_UNARY = (
    "Neg", "Abs", "Sign", "Square", "Sqrt", "Rsqrt", "Exp", "Expm1", "Log", "Log1p",
    "Reciprocal", "Sin", "Cos", "Tan", "Tanh", "Sigmoid", "Relu", "Floor", "Ceil", "Erf",
    "Round", "Elu", "Selu", "Softplus", "Relu6",
)  # fmt: skip
FUSED_BINARY = (
    "AddV2", "Sub", "Mul", "RealDiv", "Maximum", "Minimum", "SquaredDifference", "Pow",
    "ReluGrad", "SigmoidGrad", "TanhGrad", "FloorDiv", "FloorMod", "EluGrad", "SeluGrad",
    "SoftplusGrad", "Relu6Grad",
)  # fmt: skip
_FUSED_ARITY = {"input": 1, "const": 1, "unary": 2, "binary": 3}


def check_fused_program(attrs, num_inputs):
    """Validate ``FusedElementwise``'s attrs; returns ``(program, outputs)`` as tuples."""
    op = "FusedElementwise"

    def bad(msg):
        raise errors.InvalidArgumentError(f"{msg} [Op:{op}]")

    program, outputs = attrs.get("program"), attrs.get("outputs")
    if not isinstance(program, list | tuple) or not program:
        bad(f"attr 'program' must be a non-empty list of instructions, got {program!r}")
    if not isinstance(outputs, list | tuple) or not outputs:
        bad(f"attr 'outputs' must be a non-empty list of registers, got {outputs!r}")
    for k, ins in enumerate(program):
        kind = ins[0] if isinstance(ins, list | tuple) and ins else None
        if kind not in _FUSED_ARITY or len(ins) != _FUSED_ARITY[kind] + 1:
            bad(
                f"instruction {k} is {ins!r}; expected ('input', i), ('const', value), "
                "('unary', op, r) or ('binary', op, r, s)"
            )
        if kind == "input":
            i = ins[1]
            if not isinstance(i, int | np.integer) or not 0 <= i < num_inputs:
                bad(f"instruction {k} loads input {i!r}, but the op has {num_inputs} inputs")
        elif kind == "const":
            if not isinstance(ins[1], int | float | np.integer | np.floating) or isinstance(
                ins[1], bool
            ):
                bad(f"instruction {k}: the constant must be a real number, got {ins[1]!r}")
        else:
            names = FUSED_UNARY if kind == "unary" else FUSED_BINARY
            if ins[1] not in names:
                bad(f"instruction {k}: {ins[1]!r} is not a fusable {kind} op; valid: "
                    + ", ".join(names))  # fmt: skip
            for r in ins[2:]:
                if not isinstance(r, int | np.integer) or not 0 <= r < k:
                    bad(f"instruction {k} reads register {r!r}; registers 0..{k - 1} exist")
    for r in outputs:
        if not isinstance(r, int | np.integer) or not 0 <= r < len(program):
            bad(f"output register {r!r} is not one of the {len(program)} registers")
    return tuple(program), tuple(outputs)


def _fused_elementwise_infer(shapes, dts, attrs):
    op = "FusedElementwise"
    if not shapes:
        raise errors.InvalidArgumentError(f"{op} needs at least one input [Op:{op}]")
    _, outputs = check_fused_program(attrs, len(shapes))
    dt = _same_dtypes(op, dts)
    _require_dtype(op, dts, 0, FLOAT)
    out = None
    for i, s in enumerate(shapes):
        s = tuple(s)
        if not s:
            continue
        if out is None:
            out = s
        elif not _compatible(s, out):
            raise errors.InvalidArgumentError(
                f"input #{i} has shape {_fmt(s)}, but the other inputs have shape {_fmt(out)}: "
                f"the inputs must share one shape or be scalars (shape []) [Op:{op}]"
            )
        else:
            out = _merge(out, s)
    return [(out or (), dt)] * len(outputs)


_register(OpDef("FusedElementwise", None, _fused_elementwise_infer, FLOAT,
                doc="tensorhouse's own op (not TF's): N same-shape or scalar inputs; attrs: "
                "program, outputs (see check_fused_program)"))  # fmt: skip


CAST_TYPES = ALL


def _cast_infer(shapes, dts, attrs):
    dst = np.dtype(attrs["DstT"])
    allowed = _OPS["Cast"].dtypes  # CAST_TYPES, with complex and bfloat16 once added
    if dst not in allowed or dts[0] not in allowed:
        names = ["string" if d.kind == "O" else d.name for d in (dts[0], dst)]
        raise errors.UnimplementedError(f"Cast {names[0]} to {names[1]} is not supported [Op:Cast]")
    return [(shapes[0], dst)]


_register(OpDef("Cast", 1, _cast_infer, CAST_TYPES, doc="attrs: DstT"))


# ---- elementwise with fixed-dtype inputs ----------------------------------------------------


def _select_infer(shapes, dts, attrs):
    op = "SelectV2"
    _require_dtype(op, dts, 0, (BOOL,))
    if dts[2] != dts[1]:
        raise DTypeError(
            f"cannot compute {op} as input #2(zero-based) was expected to be a {dts[1].name} "
            f"tensor but is a {dts[2].name} tensor [Op:{op}]"
        )
    c, t, e = (tuple(s) for s in shapes)
    return [(broadcast_shape(op, broadcast_shape(op, c, t), e), dts[1])]


_register(OpDef("SelectV2", 3, _select_infer, ALL, key=lambda dts, attrs: dts[1]))
