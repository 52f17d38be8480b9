"""``tf.signal``'s Fourier transforms over the innermost 1, 2 or 3 dims, ``fftshift`` /
``ifftshift``, and the transforms' gradient rules (TF's: the adjoint of each linear map)."""

from __future__ import annotations

import numpy as np

from . import _array as A
from . import _complex as C
from . import _math as M
from ._composed import roll
from ._grad_rules import rule
from ._tensor import Tensor, _op, convert_to_tensor, errors

__all__ = [
    "fft", "ifft", "fft2d", "ifft2d", "fft3d", "ifft3d", "rfft", "irfft", "rfft2d", "irfft2d",
    "rfft3d", "irfft3d", "fftshift", "ifftshift", "fftnd", "ifftnd", "rfftnd", "irfftnd",
]  # fmt: skip

# TF's names of the dtypes in its attr errors
_TF_NAMES = {"float32": "float", "float64": "double", "float16": "half"}


def _t(x):
    return x if type(x) is Tensor else convert_to_tensor(x)


def _complex_op(op_type):
    def fn(input, name=None):  # noqa: A002 - TF's name
        x = _t(input)
        if not x.dtype.is_complex:
            raise errors.InvalidArgumentError(
                None,
                None,
                f"Value for attr 'Tcomplex' of {_TF_NAMES.get(x.dtype.name, x.dtype.name)} is "
                f"not in the list of allowed values: complex64, complex128 [Op:{op_type}]",
            )
        return _op(op_type, [x])

    fn.__name__ = op_type.lower()
    fn.__doc__ = f"TF's ``tf.signal.{op_type.lower()}`` over the innermost dims (``{op_type}``)."
    return fn


fft, ifft = _complex_op("FFT"), _complex_op("IFFT")
fft2d, ifft2d = _complex_op("FFT2D"), _complex_op("IFFT2D")
fft3d, ifft3d = _complex_op("FFT3D"), _complex_op("IFFT3D")


def _lengths(x, fft_length, rank, reverse):
    """``fft_length`` as ``rank`` ints; when None, TF's default from ``x``'s inner dims."""
    if fft_length is None:
        inner = x.shape.as_list()[-rank:]
        if None in inner:
            raise ValueError(f"fft_length must be given when the inner dims are unknown: {inner}")
        if reverse:
            inner = inner[:-1] + [max(0, 2 * (inner[-1] - 1))]
        return [int(v) for v in inner]
    if isinstance(fft_length, Tensor):
        fft_length = fft_length.numpy()
    return [int(v) for v in np.asarray(fft_length).reshape(-1)]


def _real_op(op_type, rank, reverse):
    name = op_type.lower()

    def fn(input_tensor, fft_length=None, name=None):
        x = _t(input_tensor)
        if reverse != x.dtype.is_complex:
            want = "tf.complex64 or tf.complex128" if reverse else "tf.float32 or tf.float64"
            raise ValueError(f"{op_type} requires {want} inputs, got: {x}")
        if x.shape.rank is not None and x.shape.rank < rank:
            raise ValueError(f"Shape {tuple(x.shape.as_list())} must have rank at least {rank}")
        lengths = _lengths(x, fft_length, rank, reverse)
        return _op(op_type, [x], {"fft_length": tuple(lengths)})

    fn.__name__ = name
    fn.__doc__ = f"TF's ``tf.signal.{name}``; ``fft_length`` crops or zero-pads the input."
    return fn


rfft, irfft = _real_op("RFFT", 1, False), _real_op("IRFFT", 1, True)
rfft2d, irfft2d = _real_op("RFFT2D", 2, False), _real_op("IRFFT2D", 2, True)
rfft3d, irfft3d = _real_op("RFFT3D", 3, False), _real_op("IRFFT3D", 3, True)


def _shift(x, axes, sign):
    x = _t(x)
    shape = x.shape.as_list()
    if axes is None:
        axes = list(range(len(shape)))
    elif isinstance(axes, int | np.integer):
        axes = [int(axes)]
    else:
        axes = [int(a) for a in axes]
    shifts = [sign * (shape[a] // 2) for a in axes]
    return roll(x, shifts, axes)


def fftshift(x, axes=None, name=None):
    """TF's ``tf.signal.fftshift``: the zero frequency moved to the centre of ``axes``."""
    return _shift(x, axes, 1)


def ifftshift(x, axes=None, name=None):
    """TF's ``tf.signal.ifftshift``: the inverse of ``fftshift``."""
    return _shift(x, axes, -1)


# ---- N-dimensional transforms over chosen axes ---------------------------------------------------


def _nd_args(x, fft_length, axes, real_inverse=False):
    """``(axes, lengths)``: ``axes`` (default all) normalized, ``fft_length`` (default the sizes
    of those axes; for ``irfftnd`` the last one ``2 * (m - 1)``) as ints, one per axis."""
    rank = x.shape.rank
    if axes is None:
        axes = list(range(rank))
    elif isinstance(axes, int | np.integer):
        axes = [int(axes)]
    else:
        axes = [int(a) for a in (axes.numpy() if isinstance(axes, Tensor) else axes)]
    for a in axes:
        if not -rank <= a < rank:
            raise errors.InvalidArgumentError(
                None, None, f"axes {axes} out of range for an input of rank {rank}"
            )
    axes = [a % rank for a in axes]
    if len(set(axes)) != len(axes):
        raise errors.InvalidArgumentError(None, None, f"axes must be unique, got {axes}")
    if fft_length is None:
        lengths = [x.shape[a] for a in axes]
        if None in lengths:
            raise ValueError(f"fft_length must be given when dims are unknown: {x.shape}")
        if real_inverse and lengths:
            lengths[-1] = max(0, 2 * (lengths[-1] - 1))
    else:
        if isinstance(fft_length, Tensor):
            fft_length = fft_length.numpy()
        lengths = [int(v) for v in np.asarray(fft_length).reshape(-1)]
        if len(lengths) != len(axes):
            raise errors.InvalidArgumentError(
                None, None, f"fft_length {lengths} and axes {axes} must have the same length"
            )
    return axes, lengths


def _along(x, axis, fn):
    """``fn`` applied to ``x`` with ``axis`` moved innermost, the axis moved back after."""
    rank = x.shape.rank
    if axis == rank - 1:
        return fn(x)
    perm = [d for d in range(rank) if d != axis] + [axis]
    back = list(np.argsort(perm))
    return A.transpose(fn(A.transpose(x, perm)), back)


def _scaled(x, norm, n, inverse):
    """TF's ``norm``: "backward" (None) leaves the forward transform unscaled, "forward"
    scales it by 1 / n and "ortho" by 1 / sqrt(n); the inverse transforms the other way."""
    if norm in (None, "backward"):
        return x
    if norm not in ("forward", "ortho"):
        raise ValueError(f'norm must be "backward", "forward" or "ortho", got {norm!r}')
    factor = float(n) if norm == "forward" else float(np.sqrt(n))
    if n == 0:
        return x
    scale = np.asarray(factor if inverse else 1.0 / factor, x.dtype.as_numpy_dtype)
    return M.multiply(x, convert_to_tensor(scale))


def _complex_nd(op_type, inverse):
    def fn(input_tensor, fft_length=None, axes=None, norm=None, name=None):
        x = _t(input_tensor)
        if not x.dtype.is_complex:
            x = M.cast(x, "complex64") if x.dtype.is_floating or x.dtype.is_integer else x
        axes, lengths = _nd_args(x, fft_length, axes)
        x = _scaled(x, norm, _size(lengths), inverse)
        for a, n in zip(axes, lengths):
            x = _along(x, a, lambda t, n=n: _op(op_type, [_fit(t, [n])]))
        return x

    return fn


fftnd = _complex_nd("FFT", False)
fftnd.__name__ = "fftnd"
fftnd.__doc__ = "TF's ``tf.signal.fftnd``: the FFT over ``axes`` (all), cropped / padded to " + (
    "``fft_length``."
)
ifftnd = _complex_nd("IFFT", True)
ifftnd.__name__ = "ifftnd"
ifftnd.__doc__ = "TF's ``tf.signal.ifftnd``: the inverse FFT over ``axes`` (all)."


def rfftnd(input_tensor, fft_length=None, axes=None, norm=None, name=None):
    """TF's ``tf.signal.rfftnd``: a real FFT over the last of ``axes``, then FFTs over the rest."""
    x = _t(input_tensor)
    if x.dtype.is_complex:
        raise ValueError(f"RFFTND requires tf.float32 or tf.float64 inputs, got: {x}")
    axes, lengths = _nd_args(x, fft_length, axes)
    if not axes:
        return M.cast(x, "complex128" if x.dtype.name == "float64" else "complex64")
    x = _scaled(x, norm, _size(lengths), False)
    x = _along(x, axes[-1], lambda t: _op("RFFT", [t], {"fft_length": (lengths[-1],)}))
    for a, n in zip(axes[:-1], lengths[:-1]):
        x = _along(x, a, lambda t, n=n: _op("FFT", [_fit(t, [n])]))
    return x


def irfftnd(input_tensor, fft_length=None, axes=None, norm=None, name=None):
    """TF's ``tf.signal.irfftnd``: inverse FFTs over ``axes`` but the last, then a real inverse
    FFT over the last (its length ``2 * (m - 1)`` unless ``fft_length`` says)."""
    x = _t(input_tensor)
    if not x.dtype.is_complex:
        raise ValueError(f"IRFFTND requires tf.complex64 or tf.complex128 inputs, got: {x}")
    axes, lengths = _nd_args(x, fft_length, axes, real_inverse=True)
    if not axes:
        return C.real(x)
    for a, n in zip(axes[:-1], lengths[:-1]):
        x = _along(x, a, lambda t, n=n: _op("IFFT", [_fit(t, [n])]))
    x = _along(x, axes[-1], lambda t: _op("IRFFT", [t], {"fft_length": (lengths[-1],)}))
    return _scaled(x, norm, _size(lengths), True)


# ---- gradients ---------------------------------------------------------------------------------

_RANK = {"": 1, "2D": 2, "3D": 3}


def _fit(t, inner):
    """``t`` with its innermost dims cropped or zero-padded to ``inner``."""
    shape = t.shape.as_list()
    r = len(inner)
    sizes = shape[: len(shape) - r] + [min(a, b) for a, b in zip(shape[-r:], inner)]
    if sizes != shape:
        t = A.slice(t, [0] * len(shape), sizes)
    pads = [[0, 0]] * (len(shape) - r) + [[0, max(0, b - a)] for a, b in zip(sizes[-r:], inner)]
    if any(p[1] for p in pads):
        t = A.pad(t, pads)
    return t


def _size(shape):
    return float(np.prod(shape, dtype=np.float64))


for _suffix, _r in _RANK.items():

    def _fft_grad(x, y, attrs, dy, _r=_r, _suffix=_suffix):  # adjoint of F: N * ifft
        n = _size(x[0].shape.as_list()[-_r:])
        return [M.multiply(_op("IFFT" + _suffix, [dy]), n)]

    def _ifft_grad(x, y, attrs, dy, _r=_r, _suffix=_suffix):  # adjoint of F^H / N: fft / N
        n = _size(x[0].shape.as_list()[-_r:])
        return [M.multiply(_op("FFT" + _suffix, [dy]), 1.0 / n if n else 0.0)]

    def _rfft_grad(x, y, attrs, dy, _r=_r, _suffix=_suffix):
        # the half spectrum zero-padded to the full one, then F^H (N * ifft); the real part
        lengths = [int(v) for v in attrs["fft_length"]]
        src = x[0].shape.as_list()[-_r:]
        if 0 in lengths:
            return [A.zeros_like(x[0])]
        full = _fit(dy, lengths)
        g = C.real(M.multiply(_op("IFFT" + _suffix, [full]), _size(lengths)))
        return [_fit(g, src)]

    def _irfft_grad(x, y, attrs, dy, _r=_r, _suffix=_suffix):
        # rfft of the gradient / N, the terms that stand for two (k and n - k) doubled
        lengths = [int(v) for v in attrs["fft_length"]]
        src = x[0].shape.as_list()[-_r:]
        if 0 in lengths:
            return [A.zeros_like(x[0])]
        n = lengths[-1]
        mask = np.full(n // 2 + 1, 2.0)
        mask[0] = 1.0
        if n % 2 == 0:
            mask[-1] = 1.0
        g = _op("RFFT" + _suffix, [dy], {"fft_length": tuple(lengths)})
        scale = M.cast(convert_to_tensor(mask / _size(lengths)), g.dtype)
        return [_fit(M.multiply(g, scale), src)]

    rule("FFT" + _suffix)(_fft_grad)
    rule("IFFT" + _suffix)(_ifft_grad)
    rule("RFFT" + _suffix)(_rfft_grad)
    rule("IRFFT" + _suffix)(_irfft_grad)
