"""Complex tensors: ``tf.complex``, ``tf.math.real`` / ``imag`` / ``conj`` / ``angle``, and the
gradient rules of the complex ops.

Gradients follow TF's convention: for a real loss ``L`` of a complex ``z = x + iy`` the gradient
is ``dL/dx + i dL/dy``, so a holomorphic op ``w = f(z)`` passes ``dw * conj(f'(z))`` back. The
rules of the real ops with real Taylor coefficients (``exp``, ``sqrt``, products, ``matmul``,
...) give that when they are run on the conjugated inputs and outputs, which is how they are
extended here to complex dtypes.
"""

from __future__ import annotations

from builtins import complex as builtins_complex

import numpy as np

from . import _array as A
from . import _math as M
from . import dtypes as _dt
from ._custom_gradient import custom_gradient
from ._grad_rules import RULES, rule, unbroadcast
from ._tensor import Tensor, _op, convert_to_tensor, errors

__all__ = ["complex", "real", "imag", "conj", "angle", "cumprod", "squared_difference"]


def _t(x):
    return x if type(x) is Tensor else convert_to_tensor(x)


def complex(real, imag, name=None):  # noqa: A001 - TF's name
    """TF's ``tf.complex``: ``real + i * imag`` (broadcast); float32 -> complex64, float64 ->
    complex128."""
    re, im = _t(real), _t(imag)
    if re.dtype is not im.dtype or re.dtype not in (_dt.float32, _dt.float64):
        raise TypeError(
            f"The `real` and `imag` components have incorrect types: {re.dtype.name} "
            f"{im.dtype.name}. They must be consistent, and one of [tf.float32, tf.float64]"
        )
    return _op("Complex", [re, im])


def real(input, name=None):  # noqa: A002 - TF's name
    """TF's ``tf.math.real``: the real part of a complex tensor; a real tensor as it is."""
    x = _t(input)
    return _op("Real", [x]) if x.dtype.is_complex else x


def imag(input, name=None):  # noqa: A002 - TF's name
    """TF's ``tf.math.imag``: the imaginary part of a complex tensor; zeros for a real one."""
    x = _t(input)
    return _op("Imag", [x]) if x.dtype.is_complex else A.zeros_like(x)


def conj(x, name=None):
    """TF's ``tf.math.conj``: the complex conjugate; a real numeric tensor as it is."""
    x = _t(x)
    if x.dtype.is_complex:
        return _op("Conj", [x])
    if x.dtype.is_numeric:
        return x
    raise TypeError(f"Expected numeric or variant tensor, got dtype {x.dtype!r}")


def angle(input, name=None):  # noqa: A002 - TF's name
    """TF's ``tf.math.angle``: the argument of a complex tensor; pi or 0 for a real one."""
    x = _t(input)
    if x.dtype.is_complex:
        return _op("Angle", [x])
    return A.where(M.less(x, 0), M.multiply(A.ones_like(x), np.pi), A.zeros_like(x))


def _is_complex(v):
    dtype = getattr(v, "dtype", None)
    if isinstance(dtype, np.dtype):
        return dtype.kind == "c"
    return getattr(dtype, "is_complex", False) or isinstance(v, builtins_complex)


def squared_difference(x, y, name=None):
    """TF's ``tf.math.squared_difference``: ``(x - y) * conj(x - y)``, complex dtypes too."""
    if not (_is_complex(x) or _is_complex(y)):
        return M.squared_difference(x, y)
    x, y = _t(x), _t(y)
    return _complex_sqdiff(x, M.cast(y, x.dtype) if not isinstance(y, Tensor) else y)


@custom_gradient
def _complex_sqdiff(x, y):
    d = M.subtract(x, y)

    def grad(dy):  # TF's rule: 2 dy (x - y), not conjugated
        g = M.multiply(M.multiply(dy, M.cast(2, dy.dtype)), d)
        return unbroadcast(g, x), unbroadcast(M.negative(g), y)

    return M.multiply(d, conj(d)), grad


def cumprod(x, axis=0, exclusive=False, reverse=False, name=None):
    """TF's ``tf.math.cumprod`` along ``axis``, optionally exclusive and / or reversed; complex
    dtypes composed from products of shifted copies (a known length along ``axis``)."""
    if not _is_complex(x):
        return M.cumprod(x, axis=axis, exclusive=exclusive, reverse=reverse)
    x = _t(x)
    axis = A._dims(axis)[0]
    axis = axis + x.shape.rank if axis < 0 else axis
    return _complex_cumprod(x, axis, bool(exclusive), bool(reverse))


def _complex_cumprod(x, axis, exclusive, reverse):
    @custom_gradient
    def run(x):
        y = _scan_product(x, axis, exclusive, reverse)

        def grad(dy):  # TF's rule for Cumprod, not conjugated (needs x != 0)
            out = M.cumsum(M.multiply(y, dy), axis, exclusive=exclusive, reverse=not reverse)
            return M.divide(out, x)

        return y, grad

    return run(x)


def _scan_product(x, axis, exclusive, reverse):
    """Products of the elements up to each position along ``axis`` (log2(n) steps, each one
    product with a copy shifted by 1, 2, 4, ... positions, ones shifted in)."""
    n = x.shape[axis]
    if n is None:
        raise errors.UnimplementedError(
            f"tf.math.cumprod of a complex tensor needs a known length along axis {axis}, "
            f"got shape {x.shape}"
        )
    if n == 0:
        return x
    if reverse:
        x = A.reverse(x, [axis])

    def head(t, k):  # the first k entries along ``axis``
        size = [-1] * t.shape.rank
        size[axis] = k
        return A.slice(t, [0] * t.shape.rank, size)

    def shifted(t, k):  # ``t`` moved k positions along ``axis``, ones in front
        return A.concat([A.ones_like(head(t, k)), head(t, n - k)], axis)

    if exclusive:
        x = shifted(x, 1)
    k = 1
    while k < n:
        x = M.multiply(x, shifted(x, k))
        k *= 2
    return A.reverse(x, [axis]) if reverse else x


def complex_abs(x):
    """``|x|`` of a complex tensor, a real tensor (TF's ``ComplexAbs``)."""
    return _op("ComplexAbs", [x])


# ---- gradients ---------------------------------------------------------------------------------


def _on_conjugates(op_type):
    """Extend ``op_type``'s real rule to complex dtypes: the rule run on the conjugated inputs
    and outputs gives ``dy * conj(f'(x))``, TF's gradient of a holomorphic op."""
    base = RULES[op_type]

    def complex_rule(x, y, attrs, dy):
        if not x[0].dtype.is_complex:
            return base(x, y, attrs, dy)
        cx = [conj(t) for t in x]
        cy = [conj(t) for t in y]
        return base(cx, cy, attrs, dy)

    RULES[op_type] = complex_rule


for _op_type in ("Square", "Sqrt", "Rsqrt", "Exp", "Log", "Reciprocal", "Sin", "Cos", "Tanh",
                 "Mul", "RealDiv", "MatMul", "Prod", "Tan", "Sinh", "Cosh", "Asin", "Acos",
                 "Atan", "Asinh", "Acosh", "Atanh", "Sigmoid", "Expm1", "Log1p"):  # fmt: skip
    _on_conjugates(_op_type)

_real_pow = RULES["Pow"]


@rule("Pow")
def _pow(x, y, attrs, dy):
    a, b = x
    if not a.dtype.is_complex:
        return _real_pow(x, y, attrs, dy)
    da = M.multiply(dy, conj(M.multiply(b, M.pow(a, M.subtract(b, 1)))))
    nonzero = M.not_equal(a, 0)
    safe = A.where(nonzero, a, A.ones_like(a))
    log_a = A.where(nonzero, M.log(safe), A.zeros_like(a))
    db = M.multiply(dy, conj(M.multiply(y[0], log_a)))
    return [unbroadcast(da, a), unbroadcast(db, b)]


_real_cast = RULES["Cast"]


@rule("Cast")
def _cast(x, y, attrs, dy):
    src, dst = x[0].dtype, dy.dtype
    if not (src.is_complex or dst.is_complex):
        return _real_cast(x, y, attrs, dy)
    if not (src.is_floating or src.is_complex):
        return [None]
    if src.is_complex and not dst.is_complex:  # the real part was kept
        return [M.cast(complex(dy, A.zeros_like(dy)), src)]
    return [M.cast(real(dy) if not src.is_complex else dy, src)]


@rule("Complex")
def _complex(x, y, attrs, dy):
    return [unbroadcast(real(dy), x[0]), unbroadcast(imag(dy), x[1])]


@rule("Real")
def _real(x, y, attrs, dy):
    return [complex(dy, A.zeros_like(dy))]


@rule("Imag")
def _imag(x, y, attrs, dy):
    return [complex(A.zeros_like(dy), dy)]


@rule("Conj")
def _conj(x, y, attrs, dy):
    return [conj(dy)]


@rule("ComplexAbs")
def _complex_abs(x, y, attrs, dy):  # dy * z / |z|, 0 where z = 0
    r = y[0]
    safe = A.where(M.equal(r, 0), A.ones_like(r), r)
    return [M.multiply(complex(M.divide(dy, safe), A.zeros_like(dy)), x[0])]


@rule("Angle")
def _angle(x, y, attrs, dy):  # -dy / (im + i re)
    z = x[0]
    return [M.negative(M.divide(complex(dy, A.zeros_like(dy)), complex(imag(z), real(z))))]
