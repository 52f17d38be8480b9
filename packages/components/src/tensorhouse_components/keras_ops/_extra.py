"""The last of Keras 3's ``keras.ops``: ``rearrange`` (einops), ``vectorize``, ``stft`` /
``istft``, the adaptive pools, ``fold`` / ``unfold``, CTC (``ctc_loss``, ``ctc_decode``) and
``keras.ops.image``'s ``elastic_transform`` / ``scale_and_translate``."""

from __future__ import annotations

import functools
import math
import re

import numpy as np

import tensorhouse_ops as tops

from . import config
from ._dtypes import result_type, standardize_dtype, to_float, to_tensor
from ._math import _complex

__all__ = [
    "adaptive_average_pool", "adaptive_max_pool", "ctc_decode", "ctc_loss", "fold", "istft",
    "rearrange", "stft", "unfold", "vectorize",
]  # fmt: skip

_t = to_tensor


# ---------------------------------------------------------------- rearrange, vectorize
_AXES = re.compile(r"\(([^()]*)\)|([^\s()]+)")


def _groups(side):
    """``"b (h w) c"`` -> ``[["b"], ["h", "w"], ["c"]]``."""
    return [g.split() if n == "" else [n] for g, n in _AXES.findall(side)]


def rearrange(tensor, pattern, **axes_lengths):
    """einops's ``rearrange``: ``"b (h h1) w c -> b h (w h1) c"`` splits, permutes and merges
    axes; ``axes_lengths`` gives the sizes a split cannot infer."""
    x = _t(tensor)
    lhs, arrow, rhs = pattern.partition("->")
    lhs, rhs = _groups(lhs), _groups(rhs)
    names = [n for g in lhs for n in g]
    if (
        not arrow
        or sorted(names) != sorted(n for g in rhs for n in g)
        or len(set(names)) < len(names)
    ):
        raise ValueError(
            f"rearrange: the pattern {pattern!r} must name each axis once on both sides of '->'"
        )
    if len(lhs) != len(x.shape):
        raise ValueError(
            f"rearrange: the pattern {pattern!r} has {len(lhs)} input axes; the tensor has shape "
            f"{tuple(x.shape)}"
        )
    sizes, dims = dict(axes_lengths), tops.shape(x)
    for i, group in enumerate(lhs):
        dim = dims[i] if x.shape[i] is None else x.shape[i]
        unknown = [n for n in group if n not in sizes]
        known = math.prod(sizes[n] for n in group if n in sizes)
        if len(unknown) > 1:
            raise ValueError(f"rearrange: cannot infer the sizes of {unknown} in {pattern!r}")
        if unknown:
            sizes[unknown[0]] = dim // known
        elif isinstance(dim, int) and dim != known:
            raise ValueError(f"rearrange: axis {i} has size {dim}, not {known}, in {pattern!r}")
    x = tops.reshape(x, [sizes[n] for n in names])
    x = tops.transpose(x, [names.index(n) for g in rhs for n in g])
    return tops.reshape(x, [math.prod(sizes[n] for n in g) for g in rhs])


def _core_dims(signature):
    """``"(n,m),(m)->(n)"`` -> the inputs' core dimension names: ``[("n", "m"), ("m",)]``."""
    inputs = signature.partition("->")[0]
    return [
        tuple(d.strip() for d in g.split(",") if d.strip())
        for g in re.findall(r"\(([^()]*)\)", inputs)
    ]


def vectorize(pyfunc, *, excluded=None, signature=None):
    """NumPy's ``vectorize``: ``pyfunc`` mapped over the broadcast leading (loop) dimensions
    of its arguments, the trailing ``signature`` core dimensions passed whole; arguments at
    the ``excluded`` positions (and keyword arguments) pass through unchanged."""
    excluded = set(excluded or ())
    cores = None if signature is None else _core_dims(signature)

    @functools.wraps(pyfunc)
    def wrapped(*args, **kwargs):
        at = [i for i, a in enumerate(args) if i not in excluded and a is not None]
        xs = [_t(args[i]) for i in at]
        core = [()] * len(xs) if cores is None else cores
        if len(core) != len(xs):
            raise TypeError(
                f"vectorize: wrong number of positional arguments: expected {len(core)}, "
                f"got {len(xs)}"
            )
        sizes, loops = {}, []
        for x, names in zip(xs, core):
            lead = len(x.shape) - len(names)
            if lead < 0:
                raise ValueError(
                    f"vectorize: an input of shape {tuple(x.shape)} has fewer dimensions than "
                    f"its core dimensions {names} in signature {signature!r}"
                )
            for name, size in zip(names, x.shape[lead:]):
                if sizes.setdefault(name, size) != size:
                    raise ValueError(
                        f"vectorize: inconsistent size for core dimension {name!r}: "
                        f"{sizes[name]} vs {size}"
                    )
            loops.append(tuple(x.shape[:lead]))
            if None in loops[-1]:
                raise ValueError(f"vectorize: the loop dimensions of {x.shape} must be known")
        loop = tuple(np.broadcast_shapes(*loops))  # the shapes' arithmetic: static

        def call(*vals):
            full = list(args)
            for i, v in zip(at, vals):
                full[i] = v
            return pyfunc(*full, **kwargs)

        if not loop:
            return call(*xs)
        n = math.prod(loop)
        flat = tuple(
            tops.reshape(
                tops.broadcast_to(x, loop + tuple(x.shape[len(s) :])), (n, *x.shape[len(s) :])
            )
            for x, s in zip(xs, loops)
        )
        out = tops.vectorized_map(lambda v: call(*v), flat)
        return tops.nest.map_structure(lambda y: tops.reshape(y, loop + tuple(y.shape[1:])), out)

    return wrapped


# ---------------------------------------------------------------- stft, istft
def _window(window, sequence_length, fft_length, dtype):
    """Keras's window (``"hann"``, ``"hamming"``, periodic, or a ``[sequence_length]`` array),
    zero-padded on both sides to ``fft_length``; ``None`` for no window."""
    if window is None:
        return None
    if isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise ValueError(
                'If a string is passed to `window`, it must be one of `"hann"`, `"hamming"`. '
                f"Received: window={window}"
            )
        make = tops.signal.hann_window if window == "hann" else tops.signal.hamming_window
        win = make(sequence_length, periodic=True, dtype=dtype)
    else:
        win = tops.cast(_t(window), dtype)
        if tuple(win.shape) != (sequence_length,):
            raise ValueError(
                "The shape of `window` must be equal to [sequence_length]."
                f"Received: window shape={tuple(win.shape)}"
            )
    left = (fft_length - sequence_length) // 2
    return tops.pad(win, [[left, fft_length - sequence_length - left]])


def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """The short-time Fourier transform over the last axis of float32/float64 ``x``:
    ``(real, imag)`` of shape ``[..., frames, fft_length // 2 + 1]``; ``center`` pads
    ``fft_length // 2`` on each side by reflection."""
    x = _t(x)
    if standardize_dtype(x.dtype) not in ("float32", "float64"):
        raise TypeError(
            f"Invalid input type. Expected `float32` or `float64`. Received: input type={x.dtype}"
        )
    if fft_length < sequence_length:
        raise ValueError(
            "`fft_length` must equal or larger than `sequence_length`. Received: "
            f"sequence_length={sequence_length}, fft_length={fft_length}"
        )
    win = _window(window, sequence_length, fft_length, x.dtype)
    if center:
        half = fft_length // 2
        x = tops.pad(x, [[0, 0]] * (len(x.shape) - 1) + [[half, half]], mode="REFLECT")
    window_fn = None if win is None else (lambda length, dtype: win)
    z = tops.signal.stft(x, fft_length, sequence_stride, fft_length, window_fn=window_fn)
    return tops.math.real(z), tops.math.imag(z)


def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann",
          center=True):  # fmt: skip
    """The inverse of ``stft`` from its ``(real, imag)`` pair: overlap-add of the windowed
    inverse FFTs, ``center``'s padding cut off, then cut to ``length`` if given."""
    z = _complex(x)
    win = _window(window, sequence_length, fft_length, tops.math.real(z).dtype)
    window_fn = (
        None
        if win is None
        else tops.signal.inverse_stft_window_fn(sequence_stride, lambda length, dtype: win)
    )
    y = tops.signal.inverse_stft(z, fft_length, sequence_stride, fft_length, window_fn=window_fn)
    start = fft_length // 2 if center else 0
    if length is not None:
        return y[..., start : start + length]
    return y[..., start:-start] if center else y


# ---------------------------------------------------------------- adaptive pools
def _adaptive_pool(inputs, output_size, data_format, mode):
    """PyTorch's adaptive pooling, one spatial axis at a time: output ``j`` of ``out`` over an
    axis of ``n`` pools ``[floor(j n / out), ceil((j + 1) n / out))``."""
    x = _t(inputs)
    rank = len(x.shape) - 2
    if rank not in (1, 2, 3):
        raise ValueError(f"adaptive_{mode}_pool supports 1D, 2D, or 3D inputs only.")
    if mode == "average" and not x.dtype.is_floating:
        x = to_float(x)
    sizes = (output_size,) * rank if isinstance(output_size, int) else tuple(output_size)
    first = 2 if (data_format or config.image_data_format()) == "channels_first" else 1
    for axis, out in zip(range(first, first + rank), sizes):
        n = x.shape[axis]
        if n is None:
            raise ValueError("Input length must be statically known for adaptive pooling")
        spans = [(j * n // out, -(-(j + 1) * n // out)) for j in range(out)]
        width = max(e - s for s, e in spans)
        windows = tops.gather(
            x, [[min(s + k, e - 1) for k in range(width)] for s, e in spans], axis=axis
        )
        if mode == "max":
            x = tops.reduce_max(windows, axis=axis + 1)
            continue
        mask = np.array([[s + k < e for k in range(width)] for s, e in spans], np.float64)
        mask = mask.reshape(mask.shape + (1,) * (len(x.shape) - axis - 1))
        counts = mask.sum(axis=1)
        summed = tops.reduce_sum(windows * tops.constant(mask, x.dtype), axis=axis + 1)
        x = summed / tops.constant(counts, x.dtype)
    return x


def adaptive_average_pool(inputs, output_size, data_format=None):
    """The average over adaptive windows that split each spatial axis into ``output_size``."""
    return _adaptive_pool(inputs, output_size, data_format, "average")


def adaptive_max_pool(inputs, output_size, data_format=None):
    """The maximum over adaptive windows that split each spatial axis into ``output_size``."""
    return _adaptive_pool(inputs, output_size, data_format, "max")


# ---------------------------------------------------------------- fold, unfold
def _two(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def _offsets(size, kernel, dilation, padding, stride):
    """Along one axis: ``[kernel, patches]`` positions in the padded input, and ``patches``."""
    count = (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1
    return [[i * dilation + j * stride for j in range(count)] for i in range(kernel)], count


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """im2col on ``(N, C, H, W)``: the sliding blocks as ``(N, C * kH * kW, L)``."""
    x = _t(x)
    if len(x.shape) != 4:
        raise ValueError(
            f"unfold expects a 4-D (N, C, H, W) input. Received: shape={tuple(x.shape)}"
        )
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = map(_two, (kernel_size, dilation, padding, stride))
    _, c, h, w = x.shape
    rows, nh = _offsets(h, kh, dh, ph, sh)
    cols, nw = _offsets(w, kw, dw, pw, sw)
    x = tops.pad(x, [[0, 0], [0, 0], [ph, ph], [pw, pw]])
    x = tops.gather(tops.gather(x, rows, axis=2), cols, axis=4)  # N, C, kH, nH, kW, nW
    return tops.reshape(tops.transpose(x, [0, 1, 2, 4, 3, 5]), [-1, c * kh * kw, nh * nw])


def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im, ``unfold``'s adjoint: blocks ``(N, C * kH * kW, L)`` summed into
    ``(N, C, H, W)`` where they overlap."""
    x = _t(x)
    (oh, ow), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = map(
        _two, (output_size, kernel_size, dilation, padding, stride)
    )
    rows, nh = _offsets(oh, kh, dh, ph, sh)
    cols, nw = _offsets(ow, kw, dw, pw, sw)
    if len(x.shape) != 3 or x.shape[1] % (kh * kw) or x.shape[2] != nh * nw:
        raise ValueError(
            f"fold expects (N, C * {kh * kw}, {nh * nw}) blocks for output_size={(oh, ow)}, "
            f"kernel_size={(kh, kw)}. Received: shape={tuple(x.shape)}"
        )
    c = x.shape[1] // (kh * kw)
    y = tops.transpose(tops.reshape(x, [-1, c, kh, kw, nh, nw]), [2, 4, 3, 5, 0, 1])
    y = tops.math.unsorted_segment_sum(
        tops.reshape(y, [kh * nh, kw, nw, -1, c]), np.ravel(rows).astype(np.int32), oh + 2 * ph
    )  # H, kW, nW, N, C
    y = tops.transpose(y, [1, 2, 0, 3, 4])
    y = tops.math.unsorted_segment_sum(
        tops.reshape(y, [kw * nw, oh + 2 * ph, -1, c]), np.ravel(cols).astype(np.int32), ow + 2 * pw
    )  # W, H, N, C
    return tops.transpose(y, [2, 3, 1, 0])[:, :, ph : ph + oh, pw : pw + ow]


# ---------------------------------------------------------------- CTC
def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """CTC's negative log-likelihood per sample: ``target`` ``[batch, max_label]`` labels,
    ``output`` ``[batch, time, classes]`` logits, ``mask_index`` the blank class; computed in
    float32, returned in the promoted float dtype."""
    output = _t(output)
    dtype = result_type(standardize_dtype(output.dtype), "float32")
    loss = tops.nn.ctc_loss(
        labels=tops.cast(_t(target), "int32"),
        logits=tops.cast(output, "float32"),
        label_length=target_length,
        logit_length=output_length,
        blank_index=mask_index,
        logits_time_major=False,
    )
    return tops.cast(loss, dtype)


def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1,
               merge_repeated=True, mask_index=0):  # fmt: skip
    """CTC decoding of ``[batch, time, classes]`` scores, greedy or by TF's prefix beam search
    (``mask_index`` the blank): ``([top_paths, batch, time]`` int32 labels padded with -1,
    scores ``[batch, top_paths]``: greedy's negative sums of the best scores, the beam's
    log-probabilities)."""
    if strategy not in ("greedy", "beam_search"):
        raise ValueError(
            f"Invalid strategy {strategy}. Supported values are 'greedy' and 'beam_search'."
        )
    x = _t(inputs)
    dims, steps = tops.shape(x), x.shape[1]
    x = tops.transpose(tops.cast(x, result_type(standardize_dtype(x.dtype), "float32")), [1, 0, 2])
    lengths = tops.cast(_t(sequence_lengths), "int32")
    if strategy == "greedy":
        decoded, scores = tops.nn.ctc_greedy_decoder(
            x, lengths, merge_repeated=merge_repeated, blank_index=mask_index
        )
    else:  # as Keras's TF backend: the blank moved to the last class, the labels shifted back
        if mask_index is not None:
            x = tops.concat([x[..., :mask_index], x[..., mask_index + 1 :],
                             x[..., mask_index : mask_index + 1]], -1)  # fmt: skip
        decoded, scores = tops.nn.ctc_beam_search_decoder(x, lengths, beam_width, top_paths)
    shape = tops.cast(dims[:2], "int64")
    dense = tops.stack([tops.sparse.to_dense(tops.SparseTensor(d.indices, d.values, shape), -1)
                        for d in decoded])  # fmt: skip
    if steps is not None:  # known statically: kept, as in Keras's [paths, batch, time]
        dense = tops.reshape(dense, [len(decoded), -1, steps])
    dense = tops.cast(dense, "int32")
    if strategy == "beam_search" and mask_index is not None:
        blank = mask_index + dims[2] if mask_index < 0 else mask_index
        dense = tops.where(dense >= tops.cast(blank, "int32"), dense + 1, dense)
    return dense, scores


# ---------------------------------------------------------------- keras.ops.image
IMAGE = ["elastic_transform", "scale_and_translate"]  # keras.ops.image's, not keras.ops's


def elastic_transform(
    images,
    alpha=20.0,
    sigma=5.0,
    interpolation="bilinear",
    fill_mode="reflect",
    fill_value=0.0,
    seed=None,
    data_format=None,
):
    """Keras's elastic distortion: a Gaussian noise field (``sigma``), blurred by a Gaussian of
    ``sigma`` and scaled by ``alpha``, displaces each pixel's sampling point. As Keras's TF
    backend, the row and column displacements come from the one seed, so they are equal."""
    from . import random
    from ._image import gaussian_blur, map_coordinates

    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(
            "Invalid value for argument `interpolation`. Expected of one ('nearest', "
            f"'bilinear'). Received: interpolation={interpolation}"
        )
    if fill_mode not in ("constant", "nearest", "wrap", "reflect"):
        raise ValueError(
            "Invalid value for argument `fill_mode`. Expected of one ('constant', 'nearest', "
            f"'wrap', 'reflect'). Received: fill_mode={fill_mode}"
        )
    x = _t(images)
    if len(x.shape) not in (3, 4):
        raise ValueError(
            "Invalid images rank: expected rank 3 (single image) or rank 4 (batch of images). "
            f"Received input with shape: images.shape={tuple(x.shape)}"
        )
    single, last = len(x.shape) == 3, (data_format or config.image_data_format()) == "channels_last"
    x = x[None] if single else x
    x = x if last else tops.transpose(x, [0, 2, 3, 1])
    b, h, w, c = x.shape
    k = 6 * int(sigma) | 1
    noise = random.normal((b or 1, h, w), dtype=x.dtype.name, seed=seed) * sigma
    blurred = gaussian_blur(noise[..., None], (k, k), (sigma, sigma), "channels_last")
    shift = alpha * blurred  # b, h, w, 1: the rows' and the columns' displacement
    shape = tops.shape(x)

    def axis(n, where):  # 0 .. n - 1 along axis ``where`` of x's shape
        return tops.reshape(
            tops.cast(tops.range(n), x.dtype), [-1 if i == where else 1 for i in range(4)]
        )

    coords = [axis(shape[0], 0), axis(h, 1) + shift, axis(w, 2) + shift, axis(c, 3)]
    coords = tops.stack([tops.broadcast_to(t, shape) for t in coords])
    y = map_coordinates(
        x, coords, ("nearest", "bilinear").index(interpolation), fill_mode, fill_value
    )
    y = y if last else tops.transpose(y, [0, 3, 1, 2])
    return y[0] if single else y


def _triangle(x):
    return tops.maximum(0.0, 1 - tops.abs(x))


def _keys_cubic(x):
    near = ((1.5 * x - 2.5) * x) * x + 1.0
    far = ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0
    return tops.where(x >= 2.0, tops.zeros_like(x), tops.where(x >= 1.0, far, near))


def _lanczos(radius):
    def kernel(x):
        y = radius * tops.sin(np.pi * x) * tops.sin(np.pi * x / radius)
        safe = tops.where(x > 1e-3, x, tops.ones_like(x))
        out = tops.where(x > 1e-3, y / (np.pi**2 * safe**2), tops.ones_like(x))
        return tops.where(x > radius, tops.zeros_like(x), out)

    return kernel


_KERNELS = {"linear": _triangle, "bilinear": _triangle, "trilinear": _triangle,
            "cubic": _keys_cubic, "bicubic": _keys_cubic, "tricubic": _keys_cubic,
            "lanczos3": _lanczos(3.0), "lanczos5": _lanczos(5.0)}  # fmt: skip


def _resample_weights(size_in, size_out, scale, translation, kernel, antialias):
    """``[size_in, size_out]``: how much input ``i`` weighs in output ``j`` (JAX's rule)."""
    dtype = scale.dtype
    inv = 1.0 / scale
    spread = tops.maximum(inv, tops.ones_like(inv)) if antialias else tops.ones_like(inv)
    sample = (tops.cast(tops.range(size_out), dtype) + 0.5) * inv - translation * inv - 0.5
    weights = kernel(
        tops.abs(sample[None, :] - tops.cast(tops.range(size_in), dtype)[:, None]) / spread
    )
    total = tops.reduce_sum(weights, axis=0, keepdims=True)
    ok = tops.abs(total) > 1000.0 * float(np.finfo(np.float32).eps)
    weights = tops.where(
        ok, weights / tops.where(ok, total, tops.ones_like(total)), tops.zeros_like(weights)
    )
    inside = tops.logical_and(sample >= -0.5, sample <= size_in - 0.5)
    return tops.where(inside[None, :], weights, tops.zeros_like(weights))


def scale_and_translate(images, output_shape, scale, translation, spatial_dims, method,
                        antialias=True):  # fmt: skip
    """JAX's ``scale_and_translate``: each of ``spatial_dims`` resampled to ``output_shape``
    with ``output = input * scale + translation`` by the ``method`` kernel (``antialias``
    widens it when downsampling); integer images give float32, as on JAX (Keras's TF backend
    fails on them)."""
    if method not in _KERNELS:
        raise ValueError(
            f"Invalid value for argument `method`. Expected of one {set(_KERNELS)}. "
            f"Received: method={method}"
        )
    x = _t(images)
    scale, translation = _t(scale), _t(translation)
    dtype = result_type(standardize_dtype(scale.dtype), standardize_dtype(translation.dtype))
    scale, translation = tops.cast(scale, dtype), tops.cast(translation, dtype)
    out = x if x.dtype.is_floating else tops.cast(x, "float32")
    for i, d in enumerate(spatial_dims):
        d %= len(x.shape)
        w = _resample_weights(
            x.shape[d], output_shape[d], scale[i], translation[i], _KERNELS[method], antialias
        )
        out = tops.tensordot(out, tops.cast(w, out.dtype), axes=[[d], [0]])
        out = tops.transpose(out, [*range(d), len(x.shape) - 1, *range(d, len(x.shape) - 1)])
    return out
