"""XLA random functions: Philox4x32-10, the CPU kernels' stream, bit for bit."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

# JAX's modules, bound by bind() when the first XLA kernel runs (importing this
# module loads no JAX; Any: the type checker sees modules at the call sites)
jnp: Any = None
lax: Any = None


def bind(jax_module, numpy_module, lax_module) -> None:
    """Bind JAX's modules here (``xla._load`` calls it once JAX is imported)."""
    global jnp, lax
    jnp = numpy_module
    lax = lax_module


# ---- Philox4x32-10 random numbers, the CPU's stream --------------------------------------------
# src/cpp/random.cpp: block b's counter is (b low, b high, seed2 low, seed2 high) under the key
# seed. A float32 takes one word (4 a block), a float64 two (2 a block); RandomUniformInt one
# word per int32, two per int64; TruncatedNormal's element i tries blocks i, i + n, i + 2n, ...

_M0, _M1 = 0xD2511F53, 0xCD9E8D57
_W0, _W1 = 0x9E3779B9, 0xBB67AE85
_MASK64 = (1 << 64) - 1


def _u64(value):
    """A seed or bound as uint64: Python / NumPy ints wrap to 64 bits (two's complement), the
    eager kernels' dynamic attrs arrive traced and already uint64."""
    if isinstance(value, int | np.integer):
        return jnp.uint64(int(value) & _MASK64)
    return jnp.asarray(value, jnp.uint64)


def _mulhilo(a, m):
    p = a.astype(jnp.uint64) * jnp.uint64(m)
    return (p >> jnp.uint64(32)).astype(jnp.uint32), p.astype(jnp.uint32)


def _philox(seed, seed2, counters):
    """The four uint32 words of the blocks numbered by ``counters`` (uint64, any shape)."""
    seed, seed2 = _u64(seed), _u64(seed2)
    mask = jnp.uint64(0xFFFFFFFF)
    c0, c1 = counters.astype(jnp.uint32), (counters >> jnp.uint64(32)).astype(jnp.uint32)
    c2 = jnp.broadcast_to((seed2 & mask).astype(jnp.uint32), counters.shape)
    c3 = jnp.broadcast_to((seed2 >> jnp.uint64(32)).astype(jnp.uint32), counters.shape)
    k0, k1 = (seed & mask).astype(jnp.uint32), (seed >> jnp.uint64(32)).astype(jnp.uint32)
    for _ in range(10):
        h0, l0 = _mulhilo(c0, _M0)
        h1, l1 = _mulhilo(c2, _M1)
        c0, c1, c2, c3 = h1 ^ c1 ^ k0, l1, h0 ^ c3 ^ k1, l0
        k0, k1 = k0 + jnp.uint32(_W0), k1 + jnp.uint32(_W1)
    return c0, c1, c2, c3


def philox4x32_10(seed, seed2, blocks):
    """The four uint32 words of counter blocks ``0..blocks-1``, each ``(blocks,)``.

    ``seed`` is the key (low, high words), ``seed2`` the counter's upper 64 bits; block b's
    counter is (b low, b high, seed2 low, seed2 high), as ``src/cpp/random.cpp``.
    """
    return _philox(seed, seed2, jnp.arange(blocks, dtype=jnp.uint64))


def _unit_f32(w):
    """23 random mantissa bits of a word -> float32 in [0, 1)."""
    bits = (w >> jnp.uint32(9)) | jnp.uint32(0x3F800000)
    return lax.bitcast_convert_type(bits, jnp.float32) - jnp.float32(1)


def _unit_f64(a, b):
    """52 random mantissa bits of two words -> float64 in [0, 1)."""
    a, b = a.astype(jnp.uint64), b.astype(jnp.uint64)
    bits = ((a << jnp.uint64(20)) ^ b) & jnp.uint64((1 << 52) - 1)
    return lax.bitcast_convert_type(bits | jnp.uint64(0x3FF0000000000000), jnp.float64) - 1.0


def _uniform_blocks(dt, n, seed, seed2):
    """Uniform [0, 1) numbers, ``(blocks, per_block)``: 4 float32s or 2 float64s a block."""
    if dt == np.float32:
        w = philox4x32_10(seed, seed2, -(-n // 4))
        return jnp.stack([_unit_f32(x) for x in w], axis=1)
    w = philox4x32_10(seed, seed2, -(-n // 2))
    return jnp.stack([_unit_f64(w[0], w[1]), _unit_f64(w[2], w[3])], axis=1)


def _box_muller(u1, u2, dt):
    """Two standard normals from two uniforms, the CPU's formula (u1 clamped to the tiniest
    normal number so that the log stays finite)."""
    r = jnp.sqrt(jnp.asarray(-2, dt) * jnp.log(jnp.maximum(u1, jnp.asarray(np.finfo(dt).tiny, dt))))
    theta = jnp.asarray(2 * np.pi, dt) * u2
    return r * jnp.sin(theta), r * jnp.cos(theta)


def _truncated_normal(dt, n, seed, seed2, batch=None):
    """``(n,)`` normals within two stddevs: element i tries blocks i, i + n, i + 2n, ... (the
    first two uniforms of each, Box-Muller) until one of the two normals lands inside.

    Attempt 0 runs for every element; it fails with probability P(|z| >= 2)^2 ~ 0.2%. Then,
    while elements are missing, up to ``batch`` of them (default 1024 + n / 256) are gathered
    and retried in a ``lax.while_loop`` until each has its value, so the retries cost a small
    fraction of the first pass and any number of failures still ends with the CPU's numbers.
    """

    def attempt(index, k):
        w = _philox(seed, seed2, index + k * jnp.uint64(n))  # wraps mod 2^64, as the CPU
        if dt == np.float32:
            u1, u2 = _unit_f32(w[0]), _unit_f32(w[1])
        else:
            u1, u2 = _unit_f64(w[0], w[1]), _unit_f64(w[2], w[3])
        z0, z1 = _box_muller(u1, u2, dt)
        two = jnp.asarray(2, dt)
        inside0 = jnp.abs(z0) < two
        return jnp.where(inside0, z0, z1), inside0 | (jnp.abs(z1) < two)

    def missing(state):
        return ~jnp.all(state[-1])

    m = min(n, batch or 1024 + n // 256)

    def finish_some(state):
        value, done = state
        (index,) = jnp.nonzero(~done, size=m, fill_value=n)  # n: a filler, dropped below
        index64 = index.astype(jnp.uint64)

        def retry(s):
            k, z, ok = s
            k = k + jnp.uint64(1)
            z_new, inside = attempt(index64, k)
            return k, jnp.where(ok, z, z_new), ok | inside

        start = (jnp.uint64(0), jnp.zeros((m,), dt), index >= n)
        z = lax.while_loop(missing, retry, start)[1]
        return value.at[index].set(z, mode="drop"), done.at[index].set(True, mode="drop")

    first = attempt(jnp.arange(n, dtype=jnp.uint64), jnp.uint64(0))
    return lax.while_loop(missing, finish_some, first)[0]


def _random_values(kind, dt, shape, seed, seed2):
    """kind 0: uniform [0, 1); 1: standard normal (Box-Muller on each block's consecutive
    pairs); 2: truncated normal."""
    n = math.prod(shape)
    if n == 0:
        return jnp.zeros(shape, dt)
    if kind == 2:
        return jnp.reshape(_truncated_normal(dt, n, seed, seed2), shape)
    u = _uniform_blocks(dt, n, seed, seed2)
    if kind == 1:
        z = jnp.stack(_box_muller(u[:, 0::2], u[:, 1::2], dt), axis=-1)
        u = jnp.reshape(z, u.shape)
    return jnp.reshape(jnp.reshape(u, (-1,))[:n], shape)


def _random_fn(kind):
    """RandomUniform (0), RandomStandardNormal (1), TruncatedNormal (2): seed and seed2 attrs."""

    def fn(inputs, attrs):
        dt = np.dtype(attrs["dtype"])
        shape = tuple(int(d) for d in attrs["shape"])
        return [_random_values(kind, dt, shape, attrs["seed"], attrs["seed2"])]

    return fn


def _as_u64(x):
    """An int32 / int64 input as uint64, sign-extended (two's complement), as the CPU's."""
    return lax.bitcast_convert_type(jnp.asarray(x).astype(jnp.int64), jnp.uint64)


def _seed_pair(seed):
    """A stateless op's seed input (int32 / int64, shape [2]) as the uint64 (key, counter)."""
    s = _as_u64(seed)
    return s[0], s[1]


def _stateless_fn(kind):
    """The stateless V2 ops: the seed input is (Philox key, counter's upper half)."""

    def fn(inputs, attrs):
        dt = np.dtype(attrs["dtype"])
        shape = tuple(int(d) for d in attrs["shape"])
        return [_random_values(kind, dt, shape, *_seed_pair(inputs[0]))]

    return fn


def _random_int(inputs, attrs):
    """RandomUniformInt: ``minval + bits % (maxval - minval)`` in unsigned arithmetic that
    wraps, as the CPU; an int32 takes one word, an int64 two (high word first)."""
    lo, hi = _u64(attrs["minval"]), _u64(attrs["maxval"])
    return [_uniform_int(attrs, attrs["seed"], attrs["seed2"], lo, hi)]


def _stateless_int(inputs, attrs):
    """StatelessRandomUniformIntV2: RandomUniformInt's numbers for (key, counter) = seed and
    the bounds of inputs 1 and 2."""
    seed, lo, hi = inputs
    return [_uniform_int(attrs, *_seed_pair(seed), _as_u64(lo), _as_u64(hi))]


def _uniform_int(attrs, seed, seed2, lo, hi):
    dt = np.dtype(attrs["dtype"])
    shape = tuple(int(d) for d in attrs["shape"])
    n = math.prod(shape)
    if n == 0:
        return jnp.zeros(shape, dt)
    if dt == np.int32:
        w = philox4x32_10(seed, seed2, -(-n // 4))
        bits = jnp.stack(w, axis=1)
        lo, span = lo.astype(jnp.uint32), (hi - lo).astype(jnp.uint32)
    else:
        w = [x.astype(jnp.uint64) for x in philox4x32_10(seed, seed2, -(-n // 2))]
        bits = jnp.stack([(w[0] << jnp.uint64(32)) | w[1], (w[2] << jnp.uint64(32)) | w[3]], axis=1)
        span = hi - lo
    out = lo + jnp.reshape(bits, (-1,))[:n] % span
    return jnp.reshape(lax.bitcast_convert_type(out, dt), shape)


TABLE: dict = {  # op type -> fn(inputs, attrs) -> [outputs]
    "RandomUniform": _random_fn(0),
    "RandomStandardNormal": _random_fn(1),
    "TruncatedNormal": _random_fn(2),
    "RandomUniformInt": _random_int,
    "StatelessRandomUniformIntV2": _stateless_int,
    "StatelessRandomUniformV2": _stateless_fn(0),
    "StatelessRandomNormalV2": _stateless_fn(1),
    "StatelessTruncatedNormalV2": _stateless_fn(2),
}
