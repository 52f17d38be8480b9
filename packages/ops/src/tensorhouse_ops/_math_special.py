"""TF's special functions on their C++ kernels: ``tf.math.erfinv``, ``ndtri``, the modified
Bessel functions ``bessel_i0`` / ``i0e`` / ``i1`` / ``i1e`` (also under ``tf.math.special``) and
``nextafter``, with TF's gradient rules beside them."""

from __future__ import annotations

import math
import types

from . import _array as A
from . import _math as M
from ._grads.base import rule, unbroadcast
from ._math import _binary, _unary
from ._tensor import _coerce_pair, _op, errors

__all__ = [
    "bessel_i0", "bessel_i0e", "bessel_i1", "bessel_i1e", "erfinv", "ndtri", "nextafter",
    "special",
]  # fmt: skip

erfinv = _unary("Erfinv", "erfinv")  # float32 / float64, as TF's kernels
ndtri = _unary("Ndtri", "ndtri")  # the standard normal quantile
bessel_i0 = _unary("BesselI0", "bessel_i0")  # float16 / float32 / float64
bessel_i0e = _unary("BesselI0e", "bessel_i0e")  # exp(-|x|) I0(x)
bessel_i1 = _unary("BesselI1", "bessel_i1")
bessel_i1e = _unary("BesselI1e", "bessel_i1e")  # exp(-|x|) I1(x)
_nextafter = _binary("NextAfter")


def nextafter(x1, x2, name=None):
    """TF's ``tf.math.nextafter``: the next float32 / float64 after ``x1`` toward ``x2``."""
    x1, x2 = _coerce_pair(x1, x2)
    if x1.dtype.name not in ("float32", "float64"):
        raise errors.InvalidArgumentError(
            f"Value for attr 'T' of {x1.dtype.name} is not in the list of allowed values: "
            "double, float [Op:NextAfter]"
        )
    return _nextafter(x1, x2)


special = types.ModuleType("tensorhouse_ops.math.special", "``tf.math.special``")
special.bessel_i0, special.bessel_i0e = bessel_i0, bessel_i0e
special.bessel_i1, special.bessel_i1e = bessel_i1, bessel_i1e
special.__all__ = ["bessel_i0", "bessel_i0e", "bessel_i1", "bessel_i1e"]


def _c(value, like):
    return M.cast(value, like.dtype)


@rule("Erfinv")
def _erfinv_grad(x, y, attrs, dy):  # sqrt(pi) / 2 exp(erfinv(x)^2)
    return [M.multiply(dy, M.multiply(_c(math.sqrt(math.pi) / 2, y[0]), M.exp(M.square(y[0]))))]


@rule("Ndtri")
def _ndtri_grad(x, y, attrs, dy):  # sqrt(2 pi) exp(ndtri(x)^2 / 2)
    g = M.multiply(_c(math.sqrt(2 * math.pi), y[0]), M.exp(M.multiply(M.square(y[0]), 0.5)))
    return [M.multiply(dy, g)]


@rule("BesselI0")
def _i0_grad(x, y, attrs, dy):  # I0' = I1
    return [M.multiply(dy, _op("BesselI1", [x[0]]))]


@rule("BesselI0e")
def _i0e_grad(x, y, attrs, dy):  # I1e - sign(x) I0e
    return [M.multiply(dy, M.subtract(_op("BesselI1e", [x[0]]), M.multiply(M.sign(x[0]), y[0])))]


@rule("BesselI1")
def _i1_grad(x, y, attrs, dy):  # I0 - I1 / x; at x = 0 TF's rule gives 1 (the limit is 1/2)
    v = x[0]
    zero = M.equal(v, _c(0, v))
    safe = A.where(zero, A.ones_like(v), v)
    d = M.subtract(_op("BesselI0", [v]), M.divide(y[0], safe))
    return [M.multiply(dy, A.where(zero, A.ones_like(v), d))]


@rule("BesselI1e")
def _i1e_grad(x, y, attrs, dy):  # I0e - I1e (sign(x) + 1 / x); 1/2 at x = 0
    v = x[0]
    zero = M.equal(v, _c(0, v))
    safe = A.where(zero, A.ones_like(v), v)
    d = M.subtract(_op("BesselI0e", [v]), M.multiply(y[0], M.add(M.sign(v), M.reciprocal(safe))))
    return [M.multiply(dy, A.where(zero, M.multiply(A.ones_like(v), _c(0.5, v)), d))]


@rule("NextAfter")
def _nextafter_grad(x, y, attrs, dy):  # TF's: 1 for x1, 0 for x2
    return [unbroadcast(dy, x[0]), A.zeros_like(x[1])]
