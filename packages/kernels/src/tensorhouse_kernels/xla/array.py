"""XLA data movement: Transpose, Reshape, ConcatV2, Pack, Split, slices, Pad, Tile, Fill,
Range."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..opdefs import (
    mirror_pad_mode,
    normalized_reverse_axes,
    range_size,
    reshape_shape,
    slice_bounds,
    split_sizes,
    strided_slice_spec,
)
from ._base import (
    _convert_scalar,
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


# ---- array ops ---------------------------------------------------------------------------------


def _index(index):
    return tuple(index) + (Ellipsis,)


def _transpose(inputs, attrs):
    return [jnp.transpose(inputs[0], [int(p) for p in attrs["perm"]])]


def _reshape(inputs, attrs):
    return [jnp.reshape(inputs[0], reshape_shape(inputs[0].shape, attrs["shape"]))]


def _bytes(x):
    """``x``'s bytes, ``x.shape + (itemsize,)`` uint8 (a complex number as its two parts)."""
    if x.dtype.kind == "c":
        x = jnp.stack([jnp.real(x), jnp.imag(x)], -1)
        return lax.bitcast_convert_type(x, np.uint8).reshape(x.shape[:-1] + (-1,))
    b = lax.bitcast_convert_type(x, np.uint8)
    return b[..., None] if x.dtype.itemsize == 1 else b


def _from_bytes(b, dt):
    """The values of dtype ``dt`` of ``b``'s last dim of ``dt.itemsize`` bytes."""
    if dt.kind == "c":
        part = np.dtype(np.float32 if dt == np.complex64 else np.float64)
        r = lax.bitcast_convert_type(b.reshape(b.shape[:-1] + (2, part.itemsize)), part)
        return lax.complex(r[..., 0], r[..., 1])
    return lax.bitcast_convert_type(b[..., 0] if dt.itemsize == 1 else b, dt)


def _bitcast(inputs, attrs):  # through the bytes (lax's own refuses complex types)
    x, dt = inputs[0], np.dtype(attrs["type"])
    b = _bytes(x)
    n_in = np.dtype(x.dtype).itemsize
    if n_in > dt.itemsize:
        b = b.reshape(x.shape + (n_in // dt.itemsize, dt.itemsize))
    elif n_in < dt.itemsize:
        b = b.reshape(x.shape[:-1] + (dt.itemsize,))
    return [_from_bytes(b, dt)]


def _broadcast_to(inputs, attrs):
    return [jnp.broadcast_to(inputs[0], tuple(int(d) for d in attrs["shape"]))]


def _identity(inputs, attrs):
    return [jnp.asarray(inputs[0])]


def _concat(inputs, attrs):
    axis = int(attrs.get("axis", 0)) % inputs[0].ndim
    return [jnp.concatenate(list(inputs), axis=axis)]


def _pack(inputs, attrs):
    axis = int(attrs.get("axis", 0)) % (inputs[0].ndim + 1)
    return [jnp.stack(list(inputs), axis=axis)]


def _unpack(inputs, attrs):
    (x,) = inputs
    axis = int(attrs.get("axis", 0)) % x.ndim
    return [lax.index_in_dim(x, i, axis, keepdims=False) for i in range(int(attrs["num"]))]


def _split_at(x, axis, sizes):
    out, offset = [], 0
    for s in sizes:
        out.append(lax.slice_in_dim(x, offset, offset + s, axis=axis))
        offset += s
    return out


def _split(inputs, attrs):
    (x,) = inputs
    axis = int(attrs.get("axis", 0)) % x.ndim
    num = int(attrs["num_split"])
    return _split_at(x, axis, [x.shape[axis] // num] * num)


def _split_v(inputs, attrs):
    (x,) = inputs
    axis = int(attrs.get("axis", 0)) % x.ndim
    return _split_at(x, axis, split_sizes("SplitV", x.shape[axis], attrs["size_splits"]))


def _slice(inputs, attrs):
    (x,) = inputs
    begin, size = slice_bounds("Slice", x.shape, attrs["begin"], attrs["size"])
    return [x[_index(slice(b, b + s) for b, s in zip(begin, size))]]


def _strided_slice(inputs, attrs):
    (x,) = inputs
    index, _ = strided_slice_spec("StridedSlice", x.shape, attrs)
    return [x[_index(index)]]


def _strided_slice_grad(inputs, attrs):
    (dy,) = inputs
    shape = tuple(int(d) for d in attrs["shape"])
    # the shape is an attr, so known: the index is a tuple, never None
    index, _ = strided_slice_spec("StridedSliceGrad", shape, attrs)
    index = tuple(i for i in index if i is not None)  # pyright: ignore[reportOptionalIterable]  # new axes: size-1 dims of dy
    view = np.broadcast_to(np.zeros((), np.int8), shape)[_index(index)].shape
    return [jnp.zeros(shape, dy.dtype).at[_index(index)].set(jnp.reshape(dy, view))]


def _pad(inputs, attrs):
    (x,) = inputs
    pads = [(int(a), int(b), 0) for a, b in attrs["paddings"]]
    value = jnp.asarray(_convert_scalar(attrs.get("constant_values", 0), x.dtype), x.dtype)
    return [lax.pad(x, value, pads)]


def _tile(inputs, attrs):
    return [jnp.tile(inputs[0], [int(m) for m in attrs["multiples"]])]


def _reverse(inputs, attrs):
    (x,) = inputs
    axes = normalized_reverse_axes("ReverseV2", attrs["axis"], x.ndim)
    return [lax.rev(x, tuple(axes)) if axes else x]


def _mirror_pad(inputs, attrs):
    (x,) = inputs
    mode = mirror_pad_mode("MirrorPad", attrs).lower()
    pads = [(int(a), int(b)) for a, b in attrs["paddings"]]
    if x.ndim == 0 or not any(a or b for a, b in pads):
        return [x]
    out_shape = tuple(a + d + b for d, (a, b) in zip(x.shape, pads))
    if 0 in x.shape:  # nothing to mirror; only an empty result is valid
        return [jnp.zeros(out_shape, x.dtype)]
    return [jnp.pad(x, pads, mode=mode)]


def _range(inputs, attrs):
    dt = np.dtype(attrs["dtype"])
    n = range_size(attrs["start"], attrs["limit"], attrs["delta"], dt)
    if dt.kind in "iu":  # modular arithmetic: start + i * delta is the C++ loop's wrap
        start = jnp.asarray(np.array(int(attrs["start"])).astype(dt))
        delta = jnp.asarray(np.array(int(attrs["delta"])).astype(dt))
        return [start + jnp.arange(n, dtype=dt) * delta]
    if n == 0:
        return [jnp.zeros((0,), dt)]
    start, delta = jnp.asarray(attrs["start"], dt), jnp.asarray(attrs["delta"], dt)
    if dt.itemsize == 2:  # 16-bit floats: i * delta + start, each step rounded (as TF)
        return [jnp.arange(n).astype(dt) * delta + start]

    def step(v, _):  # v += delta in the output dtype, one element at a time, as the C++ loop
        return v + delta, v

    return [lax.scan(step, start, None, length=n)[1]]


def _fill(inputs, attrs):
    dt = np.dtype(attrs["dtype"])
    shape = tuple(int(d) for d in attrs["shape"])
    return [jnp.full(shape, _convert_scalar(attrs["value"], dt), dt)]


TABLE: dict = {  # op type -> fn(inputs, attrs) -> [outputs]
    "Transpose": _transpose, "Reshape": _reshape, "BroadcastTo": _broadcast_to,
    "Identity": _identity, "ConcatV2": _concat, "Pack": _pack, "Unpack": _unpack,
    "Split": _split, "SplitV": _split_v, "Slice": _slice, "StridedSlice": _strided_slice,
    "StridedSliceGrad": _strided_slice_grad, "Pad": _pad, "Tile": _tile, "ReverseV2": _reverse,
    "MirrorPad": _mirror_pad, "Range": _range, "Fill": _fill, "Bitcast": _bitcast,
}  # fmt: skip
