"""Keras 3's math functions (segments, top-k, logsumexp, erf, ...) on the ops layer."""

# ruff: noqa: A002  (Keras's argument name: sorted)

from __future__ import annotations

import numpy as np

import tensorhouse_ops as tops

from ._dtypes import to_float, to_tensor

_t = to_tensor


def _num_segments(segment_ids, num_segments):
    if num_segments is not None:
        return int(num_segments)
    try:
        ids = np.asarray(segment_ids)
    except NotImplementedError:
        raise ValueError(
            "Argument `num_segments` must be set when `segment_ids` is a symbolic tensor "
            "(inside a traced function)."
        ) from None
    return int(ids.max()) + 1 if ids.size else 0


def segment_sum(data, segment_ids, num_segments=None, sorted=False):
    """The sum of ``data``'s rows per segment id (ids outside ``[0, num_segments)`` dropped)."""
    data, ids = _t(data), _t(segment_ids)
    n = _num_segments(segment_ids, num_segments)
    hot = tops.one_hot(tops.cast(ids, "int32"), n, dtype=data.dtype)  # (N, S)
    if data.dtype.is_bool:
        raise TypeError("`segment_sum` does not take boolean data.")
    flat = tops.reshape(data, [data.shape[0], -1])
    src = flat if data.dtype.is_floating else tops.cast(flat, "float64")
    out = tops.matmul(tops.cast(hot, src.dtype), src, transpose_a=True)
    return tops.reshape(tops.cast(out, data.dtype), [n, *data.shape[1:]])


def segment_max(data, segment_ids, num_segments=None, sorted=False):
    """The maximum of ``data``'s rows per segment id (an empty segment gives the dtype's
    lowest value, as TensorFlow's)."""
    data, ids = _t(data), _t(segment_ids)
    n = _num_segments(segment_ids, num_segments)
    info = np.finfo if data.dtype.is_floating else np.iinfo
    low = info(data.dtype.name).min
    member = tops.equal(
        tops.reshape(tops.cast(ids, "int32"), [-1, 1]), tops.reshape(tops.range(n), [1, n])
    )  # (N, S)
    shape = [member.shape[0], n] + [1] * (len(data.shape) - 1)
    member = tops.reshape(member, shape)
    expanded = tops.expand_dims(data, 1)  # (N, 1, ...)
    fill = _t(np.array(low, dtype=data.dtype.name))
    full = tops.broadcast_to(expanded, [data.shape[0], n, *data.shape[1:]])
    picked = tops.where(tops.broadcast_to(member, full.shape), full, fill + tops.zeros_like(full))
    return tops.reduce_max(picked, axis=0)


def segment_min(data, segment_ids, num_segments=None, sorted=False):
    """The minimum of ``data``'s rows per segment id (an empty segment gives the dtype's
    largest value, as TensorFlow's)."""
    data = _t(data)
    if data.dtype.is_bool or data.dtype.name == "uint8":
        raise TypeError(f"`segment_min` does not take {data.dtype.name} data.")
    return tops.negative(segment_max(tops.negative(data), segment_ids, num_segments, sorted))


def top_k(x, k, sorted=True):
    """The ``k`` largest values along the last axis and their int32 indices."""
    values, indices = tops.math.top_k(_t(x), k=k, sorted=sorted)
    return values, tops.cast(indices, "int32")


def in_top_k(targets, predictions, k):
    """Whether each target's prediction is among the ``k`` largest of its row (ties count in)."""
    predictions = to_float(predictions)
    targets = tops.cast(_t(targets), "int32")
    rows = predictions.shape[-1]
    hot = tops.one_hot(targets, rows, dtype="bool")
    low = tops.zeros_like(predictions) - np.inf
    target_value = tops.reduce_max(tops.where(hot, predictions, low), axis=-1, keepdims=True)
    larger = tops.reduce_sum(tops.cast(predictions > target_value, "int32"), axis=-1)
    finite = tops.math.is_finite(target_value[..., 0])
    return tops.logical_and(larger < k, finite)


def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x)))`` over ``axis``, stable."""
    x = to_float(x)
    return tops.math.reduce_logsumexp(x, axis=axis, keepdims=keepdims)


def erf(x):
    """The error function."""
    return tops.math.erf(to_float(x))


def rsqrt(x):
    """``1 / sqrt(x)``."""
    return tops.math.rsqrt(to_float(x))


def logdet(x):
    """``log(det(x))`` of Hermitian positive-definite matrices."""
    return tops.linalg.logdet(to_float(x))


def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of ``sequence_length`` along the last axis, ``sequence_stride`` apart."""
    x = _t(x)
    n = x.shape[-1]
    count = (n - sequence_length) // sequence_stride + 1
    idx = np.arange(count)[:, None] * sequence_stride + np.arange(sequence_length)[None, :]
    return tops.gather(x, _t(idx.astype(np.int32)), axis=len(x.shape) - 1)


def _complex(x):
    """The complex tensor of Keras's ``(real, imag)`` pair."""
    if not isinstance(x, tuple | list) or len(x) != 2:
        raise ValueError(
            f"Input `x` should be a tuple of two tensors - real and imaginary. Received: x={x}"
        )
    real, imag = _t(x[0]), _t(x[1])
    if tuple(real.shape) != tuple(imag.shape):
        raise ValueError(
            "Input `x` should be a tuple of two tensors - real and imaginary. Both the real and "
            f"imaginary parts should have the same shape. Received: x[0].shape = "
            f"{tuple(real.shape)}, x[1].shape = {tuple(imag.shape)}"
        )
    if not (real.dtype.is_floating and imag.dtype.is_floating):
        raise ValueError(f"At least one tensor in input `x` is not of type float. Received: x={x}")
    return tops.complex(real, imag)


def _pair(z):
    return tops.math.real(z), tops.math.imag(z)


def fft(x):
    """The FFT over the last axis of ``x = (real, imag)``: ``(real, imag)``."""
    return _pair(tops.signal.fft(_complex(x)))


def fft2(x):
    """The 2-D FFT over the last two axes of ``x = (real, imag)``: ``(real, imag)``."""
    return _pair(tops.signal.fft2d(_complex(x)))


def ifft2(x):
    """The inverse 2-D FFT over the last two axes of ``x = (real, imag)``: ``(real, imag)``."""
    return _pair(tops.signal.ifft2d(_complex(x)))


def rfft(x, fft_length=None):
    """The FFT of real ``x`` over its last axis: ``(real, imag)`` of ``fft_length // 2 + 1``."""
    x = to_float(x)
    n = x.shape[-1] if fft_length is None else fft_length
    return _pair(tops.signal.rfft(x, fft_length=[n]))


def irfft(x, fft_length=None):
    """The real inverse of ``rfft`` over the last axis of ``x = (real, imag)``."""
    z = _complex(x)
    n = 2 * (z.shape[-1] - 1) if fft_length is None else fft_length
    return tops.signal.irfft(z, fft_length=[n])


def segment_prod(data, segment_ids, num_segments=None, sorted=False):
    """The product of ``data``'s rows per segment id (an empty segment gives 1)."""
    data, ids = _t(data), _t(segment_ids)
    if sorted and num_segments is not None:
        raise ValueError(
            "Argument `num_segments` cannot be set when sorted is True when using the "
            f"tensorflow backend.Received: num_segments={num_segments}, sorted={sorted}."
        )
    n = _num_segments(segment_ids, num_segments)
    return tops.math.unsorted_segment_prod(data, tops.cast(ids, "int32"), n)


def cdist(x, y):
    """The Euclidean distances between the rows of ``x`` (..., P, M) and ``y`` (..., R, M)."""
    x, y = _t(x), _t(y)
    if len(x.shape) < 2 or len(y.shape) < 2:
        raise ValueError("`cdist` inputs must have rank >= 2")
    if x.shape[-1] != y.shape[-1]:
        raise ValueError("Last dimension of inputs to `cdist` must match")
    diff = tops.expand_dims(x, -2) - tops.expand_dims(y, -3)
    return tops.sqrt(tops.reduce_sum(tops.square(diff), axis=-1))


def view_as_complex(x):
    """complex64 numbers from a real tensor whose last axis holds (real, imaginary)."""
    x = _t(x)
    if len(x.shape) < 1 or x.shape[-1] != 2:
        raise ValueError(
            "Last dimension of input must be size 2 (real and imaginary). "
            f"Received shape: {x.shape}"
        )
    return tops.complex(tops.cast(x[..., 0], "float32"), tops.cast(x[..., 1], "float32"))


def view_as_real(x):
    """The real and imaginary parts of ``x`` stacked on a new last axis."""
    x = _t(x)
    return tops.stack([tops.math.real(x), tops.math.imag(x)], axis=-1)


__all__ = sorted(
    n
    for n, v in globals().items()
    if callable(v) and not n.startswith("_") and getattr(v, "__module__", None) == __name__
)
