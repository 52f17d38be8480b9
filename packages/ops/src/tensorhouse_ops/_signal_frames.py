"""``tf.signal``'s framing, windows, STFT, DCT, MDCT and mel ops, each composed from existing ops
(gather, pad, reshape, rfft, ...), so their gradients are those ops' rules. Lengths and steps
must be known when the function runs (Python ints or eager scalars); a signal's length may be
unknown when traced."""

from __future__ import annotations

import numpy as np

from . import _array as A
from . import _complex as C
from . import _math as M
from . import dtypes as _dt
from ._signal import irfft, rfft
from ._tensor import Tensor, constant, convert_to_tensor

__all__ = [
    "frame", "overlap_and_add", "hann_window", "hamming_window", "vorbis_window", "kaiser_window",
    "kaiser_bessel_derived_window", "stft",
    "inverse_stft", "inverse_stft_window_fn", "dct", "idct", "mdct", "inverse_mdct",
    "linear_to_mel_weight_matrix", "mfccs_from_log_mel_spectrograms",
]  # fmt: skip


def _int(v, what):
    """``v`` as a Python int; a symbolic tensor is a ValueError (lengths must be static)."""
    if isinstance(v, Tensor):
        try:
            v = v.numpy()
        except Exception:
            raise ValueError(f"{what} must be a static integer here, got {v}") from None
    arr = np.asarray(v)
    if arr.ndim or arr.dtype.kind not in "iu":
        raise ValueError(f"{what} must be an integer scalar. Got {v!r}")
    return int(arr)


def frame(signal, frame_length, frame_step, pad_end=False, pad_value=0, axis=-1, name=None):
    """TF's ``tf.signal.frame``: windows of ``frame_length`` every ``frame_step`` along ``axis``
    (``[..., num_frames, frame_length, ...]``); ``pad_end`` pads the last windows."""
    x = convert_to_tensor(signal)
    length, step = _int(frame_length, "frame_length"), _int(frame_step, "frame_step")
    rank = x.shape.rank
    if not rank:
        raise ValueError(f"Shape {x.shape} must have rank at least 1")
    axis = _int(axis, "axis")
    if not -rank <= axis < rank:
        raise IndexError(f"frame: axis {axis} is out of range for a rank-{rank} signal")
    axis %= rank
    n = x.shape[axis]
    if n is None:  # traced with an unknown length: the frame count is read at run time
        return _frame_unknown_length(x, length, step, pad_end, pad_value, axis)
    if pad_end:
        frames = -(-n // step)
        extra = max(0, length + step * (frames - 1) - n)
        pads = [[0, 0]] * rank
        pads[axis] = [0, extra]
        x = A.pad(x, pads, constant_values=pad_value) if extra else x
    else:
        frames = max(0, 1 + (n - length) // step)
    idx = np.arange(frames)[:, None] * step + np.arange(length)[None, :]
    return A.gather(x, constant(idx.astype(np.int32)), axis=axis)


def _frame_unknown_length(x, length, step, pad_end, pad_value, axis):
    n, dims = A.shape(x)[axis], x.shape.as_list()
    if pad_end:
        frames = M.floordiv(n + (step - 1), step)
        extra = M.maximum(length + step * (frames - 1) - n, 0)
        pads = A.stack([A.stack([0, extra]) if i == axis else A.zeros([2], _dt.int32)
                        for i in range(x.shape.rank)])  # fmt: skip
        x = A.pad(x, pads, constant_values=pad_value)
    else:
        frames = M.maximum(1 + M.floordiv(n - length, step), 0)
    idx = A.range(frames)[:, None] * step + constant(np.arange(length, dtype=np.int32))[None, :]
    out = A.gather(x, idx, axis=axis)
    out.set_shape(dims[:axis] + [None, length] + dims[axis + 1 :])
    return out


def overlap_and_add(signal, frame_step, name=None):
    """TF's ``tf.signal.overlap_and_add``: ``[..., frames, frame_length]`` frames ``frame_step``
    apart summed into ``[..., frame_length + frame_step * (frames - 1)]``."""
    x = convert_to_tensor(signal)
    if x.shape.rank is not None and x.shape.rank < 2:
        raise ValueError(f"Shape {x.shape} must have rank at least 2")
    step = _int(frame_step, "frame_step")
    outer, (frames, length) = x.shape.as_list()[:-2], x.shape.as_list()[-2:]
    out_len = length + step * (frames - 1)
    # each frame cut into ``sub`` pieces of ``step``; row ``s`` of pieces is shifted by ``s``
    # (pad then re-cut one shorter), and the rows summed
    sub = -(-length // step)
    x = A.reshape(x, [-1, frames, length])
    x = A.pad(x, [[0, 0], [0, 0], [0, sub * step - length]])
    x = A.transpose(A.reshape(x, [-1, frames, sub, step]), [0, 2, 1, 3])
    x = A.reshape(A.pad(x, [[0, 0], [0, 0], [0, sub], [0, 0]]), [-1, sub * (frames + sub), step])
    x = A.reshape(x[:, : sub * (frames + sub - 1)], [-1, sub, frames + sub - 1, step])
    x = A.reshape(M.reduce_sum(x, 1), [-1, (frames + sub - 1) * step])[:, :out_len]
    if outer.count(None) > 1:
        return A.reshape(x, A.concat([A.shape(convert_to_tensor(signal))[:-2], [out_len]], 0))
    return A.reshape(x, [-1 if d is None else d for d in outer] + [out_len])


def _window_dtype(window_length, dtype):
    dtype = _dt.as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError(f"dtype must be a floating point type. Found {dtype}")
    return _int(window_length, "window_length"), dtype


def _raised_cosine(window_length, periodic, dtype, a, b):
    n, dtype = _window_dtype(window_length, dtype)
    if n == 1:
        return A.ones([1], dtype)
    denom = n - 1 + (int(bool(periodic)) if n % 2 == 0 else 0)
    count = M.cast(A.range(n), dtype)
    arg = M.divide(M.multiply(constant(2 * np.pi, dtype), count), constant(denom, dtype))
    return M.subtract(constant(a, dtype), M.multiply(constant(b, dtype), M.cos(arg)))


def hann_window(window_length, periodic=True, dtype=_dt.float32, name=None):
    """TF's ``tf.signal.hann_window``: ``0.5 - 0.5 cos(2 pi n / N)`` (periodic only when the
    length is even: N = length, else length - 1)."""
    return _raised_cosine(window_length, periodic, dtype, 0.5, 0.5)


def hamming_window(window_length, periodic=True, dtype=_dt.float32, name=None):
    """TF's ``tf.signal.hamming_window``: ``0.54 - 0.46 cos(2 pi n / N)``."""
    return _raised_cosine(window_length, periodic, dtype, 0.54, 0.46)


def vorbis_window(window_length, dtype=_dt.float32, name=None):
    """TF's ``tf.signal.vorbis_window``: ``sin(pi / 2 * sin(pi (n + 0.5) / N) ** 2)``."""
    n, dtype = _window_dtype(window_length, dtype)
    inner = M.sin(M.multiply(constant(np.pi / n, dtype), M.cast(A.range(n), dtype) + 0.5))
    return M.sin(M.multiply(constant(np.pi / 2.0, dtype), M.square(inner)))


def kaiser_window(window_length, beta=12.0, dtype=_dt.float32, name=None):
    """TF's ``tf.signal.kaiser_window``: ``I0(beta sqrt(1 - (2n / (N - 1) - 1)^2)) / I0(beta)``
    (computed in float64 from the static ``beta``, then cast)."""
    n, dtype = _window_dtype(window_length, dtype)
    beta = float(beta.numpy() if isinstance(beta, Tensor) else beta)
    if n == 1:
        return A.ones([1], dtype)
    arg = np.linspace(-1.0, 1.0, n)
    window = np.i0(beta * np.sqrt(np.maximum(0.0, 1.0 - arg**2))) / np.i0(beta)
    return constant(window.astype(dtype.as_numpy_dtype))


def kaiser_bessel_derived_window(window_length, beta=12.0, dtype=_dt.float32, name=None):
    """TF's ``tf.signal.kaiser_bessel_derived_window``: the square roots of the normalized
    running sums of a Kaiser window of half the length plus one, mirrored."""
    n, dtype = _window_dtype(window_length, dtype)
    sums = M.cumsum(kaiser_window(n // 2 + 1, beta, dtype))
    half = M.sqrt(M.divide(sums[:-1], sums[-1]))
    return A.concat([half, A.reverse(half, [0])], 0)


def _pow2(n):
    return int(2 ** np.ceil(np.log(n) / np.log(2.0)))


def stft(signals, frame_length, frame_step, fft_length=None, window_fn=hann_window,
         pad_end=False, name=None):  # fmt: skip
    """TF's ``tf.signal.stft``: windowed frames' ``rfft`` (``fft_length`` defaults to the
    smallest power of two >= ``frame_length``)."""
    x = convert_to_tensor(signals)
    length = _int(frame_length, "frame_length")
    n_fft = _pow2(length) if fft_length is None else _int(fft_length, "fft_length")
    framed = frame(x, length, frame_step, pad_end=pad_end)
    if window_fn is not None:
        framed = M.multiply(framed, window_fn(length, dtype=framed.dtype))
    return rfft(framed, [n_fft])


def inverse_stft_window_fn(frame_step, forward_window_fn=hann_window, name=None):
    """TF's ``tf.signal.inverse_stft_window_fn``: a window function that, used in
    ``inverse_stft``, undoes the forward window's overlapping squares."""
    step = _int(frame_step, "frame_step")

    def window_fn(frame_length, dtype):
        length = _int(frame_length, "frame_length")
        window = forward_window_fn(length, dtype=dtype)
        overlaps = -(-length // step)
        denom = A.pad(M.square(window), [[0, overlaps * step - length]])
        denom = M.reduce_sum(A.reshape(denom, [overlaps, step]), 0, keepdims=True)
        denom = A.reshape(A.tile(denom, [overlaps, 1]), [overlaps * step])[:length]
        zero = M.equal(denom, 0.0)
        return A.where(zero, A.zeros_like(window), M.divide(window, A.where(zero, 1.0, denom)))

    return window_fn


def inverse_stft(stfts, frame_length, frame_step, fft_length=None, window_fn=hann_window,
                 name=None):  # fmt: skip
    """TF's ``tf.signal.inverse_stft``: ``irfft`` of each frame, cut or padded to
    ``frame_length``, windowed, then overlapped and added."""
    x = convert_to_tensor(stfts)
    if x.shape.rank is not None and x.shape.rank < 2:
        raise ValueError(f"Shape {x.shape} must have rank at least 2")
    length = _int(frame_length, "frame_length")
    n_fft = _pow2(length) if fft_length is None else _int(fft_length, "fft_length")
    frames = irfft(x, [n_fft])
    if n_fft > length:
        frames = frames[..., :length]
    elif n_fft < length:
        frames = A.pad(frames, [[0, 0]] * (frames.shape.rank - 1) + [[0, length - n_fft]])
    if window_fn is not None:
        frames = M.multiply(frames, window_fn(length, dtype=frames.dtype))
    return overlap_and_add(frames, frame_step)


# ---- DCT (types I-IV over the last axis, through a 2N-point rfft) -----------------------------


def _check_dct(x, dct_type, n, axis, norm):
    if axis != -1:
        raise NotImplementedError(f"axis must be -1. Got: {axis}")
    if n is not None and n < 1:
        raise ValueError("n should be a positive integer or None")
    if dct_type not in (1, 2, 3, 4):
        raise ValueError("Types I, II, III and IV (I)DCT are supported.")
    if dct_type == 1:
        if norm == "ortho":
            raise ValueError("Normalization is not supported for the Type-I DCT.")
        if x.shape.rank and x.shape[-1] is not None and x.shape[-1] < 2:
            raise ValueError("Type-I DCT requires the dimension to be greater than one.")
    if norm not in (None, "ortho"):
        raise ValueError(f"Unknown normalization. Expected None or 'ortho', got: {norm}")


def _first_other(n, first, other, dtype):
    """``[first, other, other, ...]`` of length ``n``, as ``dtype``."""
    return constant(np.array([first] + [other] * (n - 1)), dtype)


def _twiddle(n, sign, dtype):
    """``2 exp(sign * i pi k / 2n)`` for k < n, complex of ``dtype``."""
    k = M.cast(A.range(n), dtype)
    angle = M.multiply(k, constant(sign * np.pi * 0.5 / n, dtype))
    return M.multiply(M.exp(C.complex(A.zeros_like(angle), angle)), 2.0)


def _dct(x, dct_type, n, norm):
    size = x.shape[-1]
    if n is not None and n != size:
        pads = [[0, 0]] * (x.shape.rank - 1) + [[0, n - size]]
        x, size = (x[..., :n] if n < size else A.pad(x, pads)), n
    if dct_type == 1:
        return C.real(rfft(A.concat([x, A.reverse(x[..., 1:-1], [-1])], -1)))
    if dct_type == 2:
        out = C.real(M.multiply(rfft(x, [2 * size])[..., :size], _twiddle(size, -1, x.dtype)))
        if norm == "ortho":
            n1 = 0.5 / np.sqrt(size)
            out = M.multiply(out, _first_other(size, n1, n1 * np.sqrt(2.0), x.dtype))
        return out
    if dct_type == 3:
        if norm == "ortho":
            x = M.multiply(x, _first_other(size, np.sqrt(size), np.sqrt(size * 0.5), x.dtype))
        else:
            x = M.multiply(x, constant(float(size), x.dtype))
        spec = M.multiply(_twiddle(size, 1, x.dtype), C.complex(x, A.zeros_like(x)))
        return irfft(spec, [2 * size])[..., :size]
    out = _dct(x, 2, 2 * size, None)[..., 1::2]
    return M.multiply(out, constant(np.sqrt(0.5 / size), x.dtype)) if norm == "ortho" else out


def dct(input, type=2, n=None, axis=-1, norm=None, name=None):  # noqa: A002 - TF's names
    """TF's ``tf.signal.dct`` (SciPy's ``fftpack.dct``): types I-IV over the last axis, ``n``
    crops or zero-pads, ``norm`` None or "ortho"."""
    x = convert_to_tensor(input)
    _check_dct(x, type, n, axis, norm)
    return _dct(x, type, n, norm)


def idct(input, type=2, n=None, axis=-1, norm=None, name=None):  # noqa: A002 - TF's names
    """TF's ``tf.signal.idct``: the DCT of the inverse type (II <-> III); unnormalized, the
    round trip scales by ``2 N``."""
    x = convert_to_tensor(input)
    _check_dct(x, type, n, axis, norm)
    return _dct(x, {1: 1, 2: 3, 3: 2, 4: 4}[type], n, norm)


def mdct(signals, frame_length, window_fn=vorbis_window, pad_end=False, norm=None, name=None):
    """TF's ``tf.signal.mdct``: half-overlapping windowed frames folded to ``frame_length / 2``
    and DCT-IV transformed (``frame_length`` a multiple of 4)."""
    x = convert_to_tensor(signals)
    length = _int(frame_length, "frame_length")
    if length % 4:
        raise ValueError("The frame length must be a multiple of 4.")
    framed = frame(x, length, length // 2, pad_end=pad_end)
    if window_fn is not None:
        framed = M.multiply(framed, window_fn(length, dtype=framed.dtype))
    else:
        framed = M.multiply(framed, constant(1.0 / np.sqrt(2), framed.dtype))
    a, b, c, d = A.split(framed, 4, axis=-1)
    first = M.subtract(M.negative(A.reverse(c, [-1])), d)
    folded = A.concat([first, M.subtract(a, A.reverse(b, [-1]))], -1)
    return dct(folded, type=4, norm=norm)


def inverse_mdct(mdcts, window_fn=vorbis_window, norm=None, name=None):
    """TF's ``tf.signal.inverse_mdct``: DCT-IV, unfolded to full frames, windowed, then
    overlapped and added (perfect reconstruction with ``mdct``'s default window)."""
    x = convert_to_tensor(mdcts)
    if x.shape.rank is not None and x.shape.rank < 2:
        raise ValueError(f"Shape {x.shape} must have rank at least 2")
    half = x.shape[-1]
    if norm is None:
        y = M.multiply(dct(x, type=4), constant(0.5 / half, x.dtype))
    else:
        y = dct(x, type=4, norm=norm)
    a, b = A.split(y, 2, axis=-1)
    rb, ra = A.reverse(b, [-1]), A.reverse(a, [-1])
    frames = A.concat([b, M.negative(rb), M.negative(ra), M.negative(a)], -1)
    if window_fn is not None:
        frames = M.multiply(frames, window_fn(2 * half, dtype=x.dtype))
    else:
        frames = M.multiply(frames, constant(1.0 / np.sqrt(2), x.dtype))
    return overlap_and_add(frames, half)


# ---- mel scale ----------------------------------------------------------------------------------


def _hertz_to_mel(f):
    return M.multiply(M.log(M.add(M.divide(f, 700.0), 1.0)), 1127.0)


def linear_to_mel_weight_matrix(num_mel_bins=20, num_spectrogram_bins=129, sample_rate=8000,
                                lower_edge_hertz=125.0, upper_edge_hertz=3800.0,
                                dtype=_dt.float32, name=None):  # fmt: skip
    """TF's ``tf.signal.linear_to_mel_weight_matrix``: ``[num_spectrogram_bins, num_mel_bins]``
    triangular filters on the HTK mel scale; the DC bin's row is zero."""
    if isinstance(sample_rate, Tensor):
        sample_rate = sample_rate.numpy()
    dtype = _dt.as_dtype(dtype)
    if num_mel_bins <= 0:
        raise ValueError(f"num_mel_bins must be positive. Got: {num_mel_bins}")
    if lower_edge_hertz < 0.0:
        raise ValueError(f"lower_edge_hertz must be non-negative. Got: {lower_edge_hertz}")
    if lower_edge_hertz >= upper_edge_hertz:
        raise ValueError(
            f"lower_edge_hertz {lower_edge_hertz:.1f} >= upper_edge_hertz {upper_edge_hertz:.1f}"
        )
    if sample_rate <= 0.0:
        raise ValueError(f"sample_rate must be positive. Got: {sample_rate}")
    if upper_edge_hertz > sample_rate / 2:
        raise ValueError(
            "upper_edge_hertz must not be larger than the Nyquist frequency (sample_rate / 2). "
            f"Got {upper_edge_hertz} for sample_rate: {sample_rate}"
        )
    if not dtype.is_floating:
        raise ValueError(f"dtype must be a floating point type. Got: {dtype}")
    nyquist = M.divide(M.cast(constant(sample_rate), dtype), 2.0)
    freqs = A.linspace(constant(0.0, dtype), nyquist, num_spectrogram_bins)[1:]
    spec_mel = A.expand_dims(_hertz_to_mel(freqs), 1)
    lo, hi = (
        _hertz_to_mel(constant(lower_edge_hertz, dtype)),
        _hertz_to_mel(constant(upper_edge_hertz, dtype)),
    )
    edges = frame(A.linspace(lo, hi, num_mel_bins + 2), 3, 1)
    lower, center, upper = (A.reshape(e, [1, num_mel_bins]) for e in A.split(edges, 3, axis=1))
    rising = M.divide(M.subtract(spec_mel, lower), M.subtract(center, lower))
    falling = M.divide(M.subtract(upper, spec_mel), M.subtract(upper, center))
    weights = M.maximum(constant(0.0, dtype), M.minimum(rising, falling))
    return A.pad(weights, [[1, 0], [0, 0]])


def mfccs_from_log_mel_spectrograms(log_mel_spectrograms, name=None):
    """TF's ``tf.signal.mfccs_from_log_mel_spectrograms``: the orthonormal-scaled DCT-II of
    log-mel spectrograms over the last axis (HTK's MFCCs)."""
    x = convert_to_tensor(log_mel_spectrograms)
    bins = x.shape[-1] if x.shape.rank else None
    if bins == 0:
        raise ValueError(f"num_mel_bins must be positive. Got: {x}")
    return M.multiply(dct(x, type=2), constant(1.0 / np.sqrt(bins * 2.0), x.dtype))
