"""XLA complex-only functions and the Fourier transforms."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..opdefs import FFT_OPS, IRFFT_OPS, RFFT_OPS, fft_lengths, fft_rank
from .elementwise import _unary_fn

# JAX's modules, bound by bind() when the first XLA kernel runs (importing this
# module loads no JAX; Any: the type checker sees modules at the call sites)
jnp: Any = None
lax: Any = None


def bind(jax_module, numpy_module, lax_module) -> None:
    """Bind JAX's modules here (``xla._load`` calls it once JAX is imported)."""
    global jnp, lax
    jnp = numpy_module
    lax = lax_module


# ---- complex dtypes: the complex-only ops and the Fourier transforms ----------------------------


def _fft_fn(op):
    rank, inverse = fft_rank(op), op.startswith("I")
    axes = tuple(range(-rank, 0))

    def fn(inputs, attrs):
        (x,) = inputs
        if x.size == 0:
            return [jnp.zeros(x.shape, x.dtype)]
        f = jnp.fft.ifftn if inverse else jnp.fft.fftn
        return [f(x, axes=axes).astype(x.dtype)]

    return fn


def _rfft_fn(op):
    rank, inverse = fft_rank(op), op.startswith("I")
    axes = tuple(range(-rank, 0))

    def fn(inputs, attrs):
        (x,) = inputs
        lengths = fft_lengths(op, attrs, rank)
        real = np.dtype(np.float32) if x.dtype in (np.float32, np.complex64) else np.float64
        cplx = np.dtype(np.complex64) if real == np.float32 else np.dtype(np.complex128)
        if inverse:
            shape = x.shape[: x.ndim - rank] + tuple(lengths)
            if 0 in shape:
                return [jnp.zeros(shape, real)]
            return [jnp.fft.irfftn(x, s=lengths, axes=axes).astype(real)]
        inner = lengths[:-1] + [lengths[-1] // 2 + 1 if lengths[-1] else 0]
        shape = x.shape[: x.ndim - rank] + tuple(inner)
        if 0 in shape:
            return [jnp.zeros(shape, cplx)]
        return [jnp.fft.rfftn(x, s=lengths, axes=axes).astype(cplx)]

    return fn


def _make_complex(inputs, attrs):
    return [lax.complex(*jnp.broadcast_arrays(*inputs))]


TABLE: dict = {  # op type -> fn(inputs, attrs) -> [outputs]
    "Complex": _make_complex,
    "Real": _unary_fn(lambda x: jnp.real(x)),
    "Imag": _unary_fn(lambda x: jnp.imag(x)),
    "ComplexAbs": _unary_fn(lambda x: jnp.abs(x)),
    "Angle": _unary_fn(lambda x: jnp.angle(x)),
    "Conj": _unary_fn(lambda x: jnp.conj(x)),
    **{op: _fft_fn(op) for op in FFT_OPS},
    **{op: _rfft_fn(op) for op in RFFT_OPS + IRFFT_OPS},
}
