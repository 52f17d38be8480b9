"""Keras 3's ``keras.ops`` on the ops layer's special functions and bit-level ops: ``eig``,
``erfinv``, ``i0``, ``kaiser``, ``nextafter``, ``view`` (the bytes as another dtype), ``jvp``
(forward-mode on ``ForwardAccumulator``), each computing as Keras's TensorFlow backend does."""

from __future__ import annotations

import tensorhouse_ops as tops

from . import config
from ._dtypes import result_type, standardize_dtype, to_tensor

__all__ = ["eig", "erfinv", "i0", "jvp", "kaiser", "nextafter", "view"]

_t = to_tensor


def eig(x):
    """The complex eigenvalues and eigenvectors of general square matrices ``[..., n, n]``."""
    x = _t(x)
    if x.shape.rank < 2:
        raise ValueError(f"Expected input to have rank >= 2. Received scalar input {x}.")
    if x.shape[-1] != x.shape[-2]:
        raise ValueError(
            f"Expected a square matrix. Received non-square input with shape {x.shape}"
        )
    return tops.linalg.eig(x)


def erfinv(x):
    """The inverse error function (16-bit floats computed in float32)."""
    x = _t(x)
    if x.dtype.name in ("float16", "bfloat16"):
        return tops.cast(tops.math.erfinv(tops.cast(x, "float32")), x.dtype)
    return tops.math.erfinv(x)


def i0(x):
    """The modified Bessel function of the first kind, order 0: float64 for int64 / float64
    input, 16-bit floats kept, floatx otherwise."""
    x = _t(x)
    dtype = x.dtype.name
    if dtype in ("int64", "float64"):
        dtype = "float64"
    elif dtype not in ("bfloat16", "float16"):
        dtype = config.floatx()
    return tops.math.bessel_i0(tops.cast(x, dtype))


def kaiser(x, beta):
    """The Kaiser window of length ``x``."""
    return tops.signal.kaiser_window(_t(x, "int32"), beta=beta)


def nextafter(x1, x2):
    """The next float after ``x1`` toward ``x2``, taken in float64 and cast to the result
    dtype (Keras's promotion with a Python float)."""
    x1, x2 = _t(x1), _t(x2)
    dtype = result_type(x1.dtype.name, x2.dtype.name, float)
    step = tops.math.nextafter(tops.cast(x1, "float64"), tops.cast(x2, "float64"))
    return tops.cast(step, dtype)


def view(x, dtype=None):
    """``x``'s bytes as ``dtype``: a narrower dtype multiplies the last dim by the width ratio,
    a wider one divides it."""
    x = _t(x)
    old = tops.as_dtype(standardize_dtype(x.dtype))
    new = tops.as_dtype(standardize_dtype(dtype if dtype else x.dtype))
    shape = x.shape.as_list()
    last = shape[-1] if shape else -1
    if (last == -1 and old.size != new.size) or (last * old.size % new.size != 0):
        raise ValueError(
            f"Cannot view array of shape {x.shape} and dtype {old} as dtype {new} because the "
            "total number of bytes is not divisible by the new itemsize."
        )
    if old.size == new.size:
        return tops.bitcast(x, new)
    if old.size > new.size:
        shape[-1] *= old.size // new.size
        return tops.reshape(tops.bitcast(tops.reshape(x, [-1]), new), shape)
    ratio = new.size // old.size  # divides ``last``: the check above
    return tops.bitcast(tops.reshape(x, shape[:-1] + [last // ratio, ratio]), new)


def jvp(fun, primals, tangents, has_aux=False):
    """``(fun(*primals), J @ tangents)`` (and ``fun``'s aux output with ``has_aux``), by
    forward-mode differentiation; tangents are cast to their primals' dtypes."""
    primal_flat = tops.nest.flatten(primals)
    tangent_flat = [tops.cast(t, p.dtype) for t, p in zip(tops.nest.flatten(tangents), primal_flat)]
    with tops.autodiff.ForwardAccumulator(primal_flat, tangent_flat) as acc:
        if has_aux:
            out, aux = fun(*primals)
        else:
            out = fun(*primals)
        tangents_out = [acc.jvp(o) for o in tops.nest.flatten(out)]
    tangents_out = tops.nest.pack_sequence_as(out, tangents_out)
    return (out, tangents_out, aux) if has_aux else (out, tangents_out)
