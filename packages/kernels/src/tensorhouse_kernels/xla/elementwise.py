"""XLA elementwise functions: unary, binary, predicates, math, Cast, fused programs."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import (
    _is_16bit_float,
)

# JAX's modules, bound by bind() when the first XLA kernel runs (importing this
# module loads no JAX; Any: the type checker sees modules at the call sites)
jnp: Any = None
lax: Any = None


def bind(jax_module, numpy_module, lax_module) -> None:
    """Bind JAX's modules here (``xla._load`` calls it once JAX is imported)."""
    global jnp, lax
    jnp = numpy_module
    lax = lax_module


# ---- elementwise -------------------------------------------------------------------------------

SELU_SCALE = 1.0507009873554804934193349852946
SELU_ALPHA = 1.6732632423543772848170429916717


def _c(value, like):
    """A constant of ``like``'s dtype (a weakly typed Python scalar could promote)."""
    return jnp.asarray(value, dtype=like.dtype)


def _isnan(x):
    return x != x


def _sign(x):
    if x.dtype.kind == "u":
        return (x > 0).astype(x.dtype)
    s = (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)
    return jnp.where(_isnan(x), x, s) if x.dtype.kind == "f" else s


def _relu(x):
    return jnp.where((x > 0) | _isnan(x), x, _c(0, x))


def _relu6(x):
    y = jnp.where(x < 0, _c(0, x), jnp.where(x > 6, _c(6, x), x))
    return jnp.where(_isnan(x), x, y)


def _softplus(x):
    pos = x + jnp.log1p(jnp.exp(-x))
    neg = jnp.log1p(jnp.exp(x))
    return jnp.where(x > 0, pos, neg)


def _round(x):
    return jnp.round(x) if x.dtype.kind == "f" else x  # half to even; ints unchanged


_UNARY = {
    "Neg": lambda x: -x,
    "Abs": lambda x: jnp.where(x < 0, -x, x),
    "Sign": _sign,
    "Square": lambda x: x * x,
    "Sqrt": lambda x: jnp.sqrt(x),
    "Rsqrt": lambda x: _c(1, x) / jnp.sqrt(x),
    "Exp": lambda x: jnp.exp(x),
    "Expm1": lambda x: jnp.expm1(x),
    "Log": lambda x: jnp.log(x),
    "Log1p": lambda x: jnp.log1p(x),
    "Reciprocal": lambda x: _c(1, x) / x,
    "Sin": lambda x: jnp.sin(x),
    "Cos": lambda x: jnp.cos(x),
    "Tan": lambda x: jnp.tan(x),
    "Tanh": lambda x: jnp.tanh(x),
    "Sigmoid": lambda x: _c(1, x) / (_c(1, x) + jnp.exp(-x)),
    "Relu": _relu,
    "Floor": lambda x: jnp.floor(x),
    "Ceil": lambda x: jnp.ceil(x),
    "Erf": lambda x: lax.erf(x),
    "Round": _round,
    "Elu": lambda x: jnp.where(x < 0, jnp.expm1(x), x),
    "Selu": lambda x: jnp.where(
        x < 0, _c(SELU_SCALE * SELU_ALPHA, x) * jnp.expm1(x), _c(SELU_SCALE, x) * x
    ),
    "Softplus": _softplus,
    "Relu6": _relu6,
}


def _floor_div(a, b):
    if _is_16bit_float(np.dtype(a.dtype)):  # the quotient rounded to the 16-bit type, floored
        q = a.astype(jnp.float32) / b.astype(jnp.float32)
        bits = (5, 10) if a.dtype == np.float16 else (8, 7)  # (exponent, mantissa) bits
        # (reduce_precision, not a cast pair: XLA may fold f32 -> f16 -> f32 away)
        return jnp.floor(lax.reduce_precision(q, *bits)).astype(a.dtype)
    if a.dtype.kind == "f":
        return jnp.floor(a / b)
    a, b = jnp.broadcast_arrays(a, b)  # lax.div and lax.rem do not broadcast
    if a.dtype.kind == "u":
        return lax.div(a, b)
    q = lax.div(a, b)  # truncates; XLA defines INT_MIN / -1 as INT_MIN (the wrap)
    r = lax.rem(a, b)
    return jnp.where((r != 0) & ((r < 0) != (b < 0)), q - _c(1, q), q)


def _floor_mod(a, b):
    a, b = jnp.broadcast_arrays(a, b)
    r = lax.rem(a, b)  # fmod for floats; XLA defines INT_MIN % -1 as 0
    if a.dtype.kind == "u":
        return r
    return jnp.where((r != 0) & ((b < 0) != (r < 0)), r + b, r)


def _truncate_mod(a, b):
    a, b = jnp.broadcast_arrays(a, b)
    r = lax.rem(a, b)  # C's fmod / %; XLA defines INT_MIN % -1 as 0
    if a.dtype.kind != "f":
        return r
    tiny = jnp.finfo(a.dtype).tiny  # a subnormal divisor counts as zero, as in TF's CPU kernel
    return jnp.where(jnp.abs(b) < tiny, jnp.array(jnp.nan, a.dtype), r)


def _maximum(a, b):
    return jnp.where((a > b) | _isnan(a), a, b)


def _minimum(a, b):
    return jnp.where((a < b) | _isnan(a), a, b)


_BINARY = {
    "AddV2": lambda a, b: a + b,
    "Sub": lambda a, b: a - b,
    "Mul": lambda a, b: a * b,
    "RealDiv": lambda a, b: a / b,
    "Maximum": _maximum,
    "Minimum": _minimum,
    "SquaredDifference": lambda a, b: (a - b) * (a - b),
    "Pow": lambda a, b: jnp.power(a, b),
    "ReluGrad": lambda g, f: jnp.where(f > 0, g, _c(0, g)),
    "SigmoidGrad": lambda y, dy: dy * y * (_c(1, y) - y),
    "TanhGrad": lambda y, dy: dy * (_c(1, y) - y * y),
    "FloorDiv": _floor_div,
    "FloorMod": _floor_mod,
    "TruncateMod": _truncate_mod,
    "EluGrad": lambda g, y: jnp.where(y < 0, g * (y + _c(1, y)), g),
    "SeluGrad": lambda g, y: jnp.where(
        y < 0, g * (y + _c(SELU_SCALE * SELU_ALPHA, y)), g * _c(SELU_SCALE, y)
    ),
    "SoftplusGrad": lambda g, f: g / (_c(1, f) + jnp.exp(-f)),
    "Relu6Grad": lambda g, f: jnp.where((f > 0) & (f < 6), g, _c(0, g)),
    "Equal": lambda a, b: a == b,
    "NotEqual": lambda a, b: a != b,
    "Less": lambda a, b: a < b,
    "LessEqual": lambda a, b: a <= b,
    "Greater": lambda a, b: a > b,
    "GreaterEqual": lambda a, b: a >= b,
    "LogicalAnd": lambda a, b: a & b,
    "LogicalOr": lambda a, b: a | b,
}

_PREDICATE = {
    "IsNan": _isnan,
    "IsFinite": lambda x: jnp.isfinite(x),
    "LogicalNot": lambda x: ~x,
}


def _unary_fn(f):
    return lambda inputs, attrs: [f(inputs[0])]


def _binary_fn(f):
    return lambda inputs, attrs: [f(inputs[0], inputs[1])]


def _fused_elementwise(inputs, attrs):
    """FusedElementwise: the program interpreted with the unary and binary table above (under
    jax.jit, XLA fuses it again)."""
    regs = []
    for ins in attrs["program"]:
        kind = ins[0]
        if kind == "input":
            regs.append(inputs[ins[1]])
        elif kind == "const":
            regs.append(jnp.asarray(ins[1], dtype=inputs[0].dtype))
        elif kind == "unary":
            regs.append(_UNARY[ins[1]](regs[ins[2]]))
        else:
            regs.append(_BINARY[ins[1]](regs[ins[2]], regs[ins[3]]))
    shape = max((x.shape for x in inputs), key=len)
    return [jnp.broadcast_to(regs[r], shape) for r in attrs["outputs"]]


def _cast(inputs, attrs):
    (x,) = inputs
    dst = np.dtype(attrs["DstT"])
    if x.dtype.kind == "c" and dst.kind != "c":  # TF's: the real part
        x = jnp.real(x)
    if dst == np.bool_:
        return [x != 0]
    if jnp.issubdtype(x.dtype, jnp.floating) and dst.kind in "iu":  # saturating, NaN -> 0
        if x.dtype.itemsize < 4:  # float16 / bfloat16: exactly representable in float32
            x = x.astype(jnp.float32)
        info = np.iinfo(dst)
        lo, hi = x.dtype.type(info.min), x.dtype.type(info.max)
        inside = (x > lo) & (x < hi)
        y = jnp.where(inside, x, _c(0, x)).astype(dst)
        y = jnp.where(x <= lo, jnp.asarray(info.min, dst), y)
        y = jnp.where(x >= hi, jnp.asarray(info.max, dst), y)
        return [y]
    return [lax.convert_element_type(x, dst)]


def _digamma(x):
    pole = (x <= 0) & (x == jnp.floor(x))  # 0, the negative integers and -inf: NaN, as TF's
    return jnp.where(pole, jnp.array(jnp.nan, x.dtype), lax.digamma(x))


def _shift(right):
    def fn(a, b):
        b = jnp.clip(b, 0, a.dtype.itemsize * 8 - 1).astype(a.dtype)  # TF clamps the count
        return jnp.right_shift(a, b) if right else jnp.left_shift(a, b)

    return fn


def _scipy():
    import jax.scipy.special

    return jax.scipy.special


_MATH_UNARY = {
    "Atan": lambda x: jnp.arctan(x),
    "Acos": lambda x: jnp.arccos(x),
    "Asin": lambda x: jnp.arcsin(x),
    "Sinh": lambda x: jnp.sinh(x),
    "Cosh": lambda x: jnp.cosh(x),
    "Acosh": lambda x: jnp.arccosh(x),
    "Asinh": lambda x: jnp.arcsinh(x),
    "Atanh": lambda x: jnp.arctanh(x),
    "Rint": lambda x: jnp.round(x),  # half to even
    "Lgamma": lambda x: lax.lgamma(x),
    "Digamma": _digamma,
    "Erfinv": lambda x: lax.erf_inv(x),
    "Ndtri": lambda x: _scipy().ndtri(x),
    "BesselI0": lambda x: _scipy().i0(x),
    "BesselI0e": lambda x: lax.bessel_i0e(x),
    "BesselI1": lambda x: _scipy().i1(x),
    "BesselI1e": lambda x: lax.bessel_i1e(x),
    "Invert": lambda x: ~x,
}
_MATH_BINARY = {
    "Atan2": lambda y, x: jnp.arctan2(y, x),
    "Zeta": lambda x, q: lax.zeta(*jnp.broadcast_arrays(x, q)),
    "Polygamma": lambda n, x: lax.polygamma(*jnp.broadcast_arrays(n, x)),
    "NextAfter": lambda a, b: jnp.nextafter(a, b),
    "BitwiseAnd": lambda a, b: a & b,
    "BitwiseOr": lambda a, b: a | b,
    "BitwiseXor": lambda a, b: a ^ b,
    "LeftShift": _shift(False),
    "RightShift": _shift(True),
}


TABLE: dict = {  # op type -> fn(inputs, attrs) -> [outputs]
    **{op: _unary_fn(f) for op, f in {**_UNARY, **_PREDICATE, **_MATH_UNARY}.items()},
    **{op: _binary_fn(f) for op, f in {**_BINARY, **_MATH_BINARY}.items()},
    "FusedElementwise": _fused_elementwise,
    "SelectV2": lambda inputs, attrs: [jnp.where(*inputs)],
    "Cast": _cast,
}
