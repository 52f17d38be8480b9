"""TF's gamma, Poisson and binomial samplers, composed from ``_random``'s uniform and normal draws.

``tf.random.gamma`` / ``poisson`` follow the stateful seed rules (``_random``); the
``stateless_*`` forms give the same numbers for the same seed, eagerly and traced. The samplers
are exact, the numbers are this library's (not TF's Philox streams):

- gamma: Marsaglia and Tsang's squeeze-and-reject method; ``alpha < 1`` draws ``alpha + 1``
  and multiplies by ``u ** (1 / alpha)``;
- Poisson: inversion of the CDF below rate 10, Hörmann's transformed rejection (PTRS) above;
- binomial: ``p`` folded to ``<= 1/2``; inversion below mean 10, Hörmann's BTRS above;
- parameterized truncated normal: the interval reflected to lie mostly below the mean; the
  inverse CDF unless it lies wholly beyond 5 stddevs, then TF's kernel's tail samplers.

A rejection sampler proposes ``_ROUNDS`` candidates per element at once and keeps the first
accepted one; while some element has none, a further pass (a ``cond``, so it runs only when
needed) proposes again from new seeds, up to ``_PASSES`` passes (every sampler here accepts a
candidate with probability above 0.85, so an element left without one after 32 candidates has
probability below 1e-26). Everything is computed in float64 and cast at the end.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensorhouse_kernels.runtime import errors

from . import _array as A
from . import _check_ops, _function, _random
from . import _math as M
from . import dtypes as _dt
from ._composed import argsort
from ._custom_gradient import custom_gradient
from ._math_special import ndtri
from ._record import stop_gradient_scope
from ._tensor import constant, convert_to_tensor

__all__ = ["gamma", "poisson", "stateless_gamma", "stateless_poisson", "stateless_binomial",
           "stateless_parameterized_truncated_normal", "stateless_shuffle"]  # fmt: skip

_ROUNDS, _PASSES = 4, 8
_F64 = _dt.float64
_GOLDEN = 0x9E3779B97F4A7C15


class _Draws:
    """The uniform and normal draws of one sampler call; draw k has seeds of its own."""

    def __init__(self, seed, stateless):
        self.seed, self.stateless, self.k = seed, stateless, 0

    def _next_seed(self):
        self.k += 1
        if self.stateless:  # [seed[0], (seed[1] + k * golden) mod 2**63], in wrapping int64
            step = (self.k * _GOLDEN) % 2**64
            step = constant([0, step - 2**64 if step >= 2**63 else step], dtype=_dt.int64)
            return M.bitwise_and(self.seed + step, constant([-1, 2**63 - 1], dtype=_dt.int64))
        return None if self.seed is None else (self.seed * 1000003 + self.k) % (2**31 - 1)

    def uniform(self, shape):
        s = self._next_seed()
        if self.stateless:
            return _random.stateless_uniform(shape, s, dtype=_F64)
        return _random.uniform(shape, dtype=_F64, seed=s)

    def normal(self, shape):
        s = self._next_seed()
        if self.stateless:
            return _random.stateless_normal(shape, s, dtype=_F64)
        return _random.normal(shape, dtype=_F64, seed=s)


def _rejection(propose, shape):
    """The first accepted candidate per element; ``propose(rshape)`` gives candidates and their
    acceptance over ``[_ROUNDS] + shape``."""

    def one_pass():
        cand, ok = propose([_ROUNDS, *shape])
        first = M.logical_and(ok, M.equal(M.cumsum(M.cast(ok, _dt.int32), 0), 1))
        return M.reduce_sum(A.where(first, cand, 0.0), 0), M.reduce_any(ok, 0)

    def another(value, ok):
        new, new_ok = one_pass()
        return A.where(ok, value, new), M.logical_or(ok, new_ok)

    value, ok = one_pass()
    for _ in range(_PASSES - 1):
        value, ok = _function.cond(
            M.reduce_all(ok), lambda v=value, o=ok: (v, o), lambda v=value, o=ok: another(v, o)
        )
    return value


def _rejection_where(large, propose, shape):
    """``_rejection`` where ``large`` holds (zeros elsewhere), skipped when it holds nowhere."""
    return _function.cond(
        M.reduce_any(large), lambda: _rejection(propose, shape), lambda: A.zeros(shape, _F64)
    )


def _gamma_std(alpha, shape, draws):
    """Standard gamma draws of ``alpha`` (float64, of ``shape``); 0 where ``alpha`` is 0, NaN
    where it is negative or NaN (as TF's kernel)."""
    valid = M.greater(alpha, 0.0)
    boost = M.less(alpha, 1.0)
    a = A.where(valid, A.where(boost, alpha + 1.0, alpha), 1.0)
    d = a - 1.0 / 3.0
    c = M.rsqrt(9.0 * d)

    def propose(rshape):
        x, u = draws.normal(rshape), draws.uniform(rshape)
        v = 1.0 + c * x
        pos = M.greater(v, 0.0)
        v3 = M.pow(A.where(pos, v, 1.0), 3.0)
        bound = 0.5 * x * x + d - d * v3 + d * M.log(v3)
        return d * v3, M.logical_and(pos, M.less(M.log(u), bound))

    boost_u = draws.uniform(shape)  # before the passes: their count varies
    g = _rejection(propose, shape)
    boosted = g * M.exp(M.log(boost_u) / A.where(valid, alpha, 1.0))
    g = A.where(valid, A.where(boost, boosted, g), np.nan)
    return A.where(M.equal(alpha, 0.0), 0.0, g)


def _gamma_alpha_grad(a, x):
    """TF's ``RandomGammaGrad``: ``dx / da = -(dP(a, x) / da) / p(x; a)`` for the regularized
    incomplete gamma function ``P``. From ``P``'s series, with ``t_n = exp((n + 1) log x +
    lgamma(a) - lgamma(a + n + 1))``, it is ``-sum_n t_n (log x - digamma(a + n + 1))``; the
    loop adds terms until they no longer change the sum (past the largest term, n > x - a)."""
    log_x = M.log(M.maximum(x, 1e-300))
    n0 = A.zeros_like(x)

    def more(n, lt, psi, total):
        step = M.exp(lt) * (M.abs(log_x - psi) + 1.0)
        busy = M.logical_or(M.less(n, x - a), M.greater(step, 1e-17 * M.abs(total)))
        return M.logical_and(M.reduce_any(busy), M.less(M.reduce_max(n), 20000.0))

    def body(n, lt, psi, total):
        total = total + M.exp(lt) * (log_x - psi)
        an = a + n + 1.0
        return n + 1.0, lt + log_x - M.log(an), psi + 1.0 / an, total

    lt0 = log_x + M.lgamma(a) - M.lgamma(a + 1.0)
    _, _, _, total = _function.while_loop(more, body, (n0, lt0, M.digamma(a + 1.0), n0))
    return A.where(M.greater(x, 0.0), -total, 0.0)


@custom_gradient
def _with_alpha_grad(alpha, sample):
    """``sample`` (drawn from Gamma(alpha)) with TF's implicit gradient w.r.t. ``alpha``."""

    def grad(dy):
        return dy * _gamma_alpha_grad(alpha, sample), None

    return A.identity(sample), grad


def _gamma_draw(alpha, shape, draws):
    with stop_gradient_scope():
        sample = _gamma_std(alpha, shape, draws)
    return _with_alpha_grad(alpha, sample)


def _inversion(u, p0, ratio, stop=None):
    """The least k with ``u <= P(0) + ... + P(k)``, ``P(k + 1) = P(k) * ratio(k)`` (a loop whose
    body draws nothing, so it traces)."""

    def active(k, p, f):
        more = M.logical_and(M.greater(u, f), M.greater(p, 1e-30))
        return more if stop is None else M.logical_and(more, M.less(k, stop))

    def body(k, p, f):
        on = active(k, p, f)
        p1 = p * ratio(k)
        return A.where(on, k + 1.0, k), A.where(on, p1, p), A.where(on, f + p1, f)

    k0 = A.zeros_like(u)
    k, _, _ = _function.while_loop(
        lambda k, p, f: M.reduce_any(active(k, p, f)), body, (k0, p0, p0)
    )
    return k


def _poisson(lam, shape, draws):
    """Poisson counts (float64) of rate ``lam``: 0 where ``lam <= 0`` (as TF), NaN where it is
    NaN (TF's kernel loops forever there)."""
    lam = A.where(M.greater(lam, 0.0), lam, A.where(M.less_equal(lam, 0.0), 0.0, lam))
    small = M.less(lam, 10.0)
    lam_s = A.where(small, lam, 0.0)
    k_small = _inversion(draws.uniform(shape), M.exp(-lam_s), lambda k: lam_s / (k + 1.0))
    r = A.where(small, 10.0, lam)  # PTRS (Hörmann 1993)
    b = 0.931 + 2.53 * M.sqrt(r)
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2.0)

    def propose(rshape):
        u, v = draws.uniform(rshape) - 0.5, draws.uniform(rshape)
        us = 0.5 - M.abs(u)
        k = M.floor((2.0 * a / us + b) * u + r + 0.43)
        quick = M.logical_and(M.greater_equal(us, 0.07), M.less_equal(v, vr))
        bad = M.logical_or(M.less(k, 0.0), M.logical_and(M.less(us, 0.013), M.greater(v, us)))
        s = M.log(v * inv_alpha / (a / (us * us) + b))
        t = -r + k * M.log(r) - M.lgamma(k + 1.0)
        return k, M.logical_or(quick, M.logical_and(M.logical_not(bad), M.less_equal(s, t)))

    k = A.where(small, k_small, _rejection_where(M.logical_not(small), propose, shape))
    return A.where(M.is_nan(lam), np.nan, k)


def _binomial(n, p, shape, draws):
    """Binomial counts (float64) of ``n`` trials with success probability ``p`` (clipped to
    [0, 1], as TF's kernel); NaN where ``n < 0`` or either is NaN."""
    p = M.minimum(M.maximum(p, 0.0), 1.0)
    flip = M.greater(p, 0.5)
    q = A.where(flip, 1.0 - p, p)
    small = M.less(n * q, 10.0)
    n_s, q_s = A.where(small, n, 0.0), A.where(small, q, 0.0)
    r_s = q_s / (1.0 - q_s)
    p0 = M.exp(n_s * M.log1p(-q_s))
    k_small = _inversion(draws.uniform(shape), p0, lambda k: (n_s - k) / (k + 1.0) * r_s, n_s)
    n_l, q_l = A.where(small, 20.0, n), A.where(small, 0.5, q)  # BTRS (Hörmann 1993)
    stddev = M.sqrt(n_l * q_l * (1.0 - q_l))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * q_l
    c = n_l * q_l + 0.5
    vr = 0.92 - 4.2 / b
    log_r = M.log(q_l / (1.0 - q_l))
    alpha = (2.83 + 5.1 / b) * stddev
    m = M.floor((n_l + 1.0) * q_l)
    mode = M.lgamma(m + 1.0) + M.lgamma(n_l - m + 1.0)

    def propose(rshape):
        u, v = draws.uniform(rshape) - 0.5, draws.uniform(rshape)
        us = 0.5 - M.abs(u)
        k = M.floor((2.0 * a / us + b) * u + c)
        quick = M.logical_and(M.greater_equal(us, 0.07), M.less_equal(v, vr))
        inside = M.logical_and(M.greater_equal(k, 0.0), M.less_equal(k, n_l))
        kc = M.minimum(M.maximum(k, 0.0), n_l)
        h = mode - M.lgamma(kc + 1.0) - M.lgamma(n_l - kc + 1.0) + (kc - m) * log_r
        lhs = M.log(v * alpha / (a / (us * us) + b))
        return k, M.logical_or(quick, M.logical_and(inside, M.less_equal(lhs, h)))

    k = A.where(small, k_small, _rejection_where(M.logical_not(small), propose, shape))
    k = A.where(flip, n - k, k)
    return A.where(M.logical_and(M.greater_equal(n, 0.0), M.equal(p, p)), k, np.nan)


def _tail_normal(a, b, shape, draws):
    """Standard normals truncated to ``[a, b]``, ``5 <= a < b`` (float64), by TF's kernel's
    choice: a uniform proposal accepted with probability ``exp((a^2 - z^2) / 2)`` on an interval
    narrower than its cutoff, Robert's exponential proposal (rate ``alpha``) beyond."""
    root = M.sqrt(a * a + 4.0)
    alpha = (a + root) / 2.0
    cutoff = 2.0 * np.sqrt(np.e) / (a + root) * M.exp((a * a - a * root) / 4.0)
    narrow = M.less(b - a, cutoff)

    def propose(rshape):
        u1, u2 = draws.uniform(rshape), draws.uniform(rshape)
        z_uniform = a + (b - a) * u1
        ok_uniform = M.less_equal(u2, M.exp((a * a - z_uniform * z_uniform) / 2.0))
        z_exp = a - M.log1p(-u1) / alpha
        near = M.less_equal(u2, M.exp(-0.5 * M.square(z_exp - alpha)))
        ok_exp = M.logical_and(M.less_equal(z_exp, b), near)
        return A.where(narrow, z_uniform, z_exp), A.where(narrow, ok_uniform, ok_exp)

    return _rejection(propose, shape)


def _truncated(a, b, shape, draws):
    """Standard normals truncated to ``[a, b]`` (float64): reflected so that ``a <= 0``; the
    inverse CDF unless ``b < -5``, where the reflection of ``_tail_normal`` takes over."""
    flip = M.greater(a, 0.0)
    a, b = A.where(flip, -b, a), A.where(flip, -a, b)
    tail = M.less(b, -5.0)
    lo, hi = A.where(tail, -1.0, a), A.where(tail, 1.0, b)
    p_lo, p_hi = (0.5 * (1.0 + M.erf(x / np.sqrt(2.0))) for x in (lo, hi))
    p = M.maximum(p_lo + draws.uniform(shape) * (p_hi - p_lo), 1e-300)
    z = M.minimum(M.maximum(ndtri(p), lo), hi)
    ta, tb = A.where(tail, -b, 5.0), A.where(tail, -a, 6.0)
    z_tail = _function.cond(
        M.reduce_any(tail), lambda: _tail_normal(ta, tb, shape, draws), lambda: ta
    )
    z = A.where(tail, -M.minimum(M.maximum(z_tail, ta), tb), z)
    return A.where(flip, -z, z)


# ---- arguments ---------------------------------------------------------------------------------


def _static_shape(fn, shape):
    try:
        return [int(d) for d in A._dims(shape)]
    except (TypeError, ValueError, NotImplementedError):
        raise ValueError(f"random.{fn} needs a shape of known ints, got {shape!r}") from None


def _stateless_seed(seed):
    """The seed (an int32 / int64 tensor of shape [2], TF's errors otherwise) as int64."""
    s = _random.seed_input(seed)
    if s.shape.rank is not None and (s.shape.rank != 1 or s.shape[0] not in (2, None)):
        traced = _random._tracing_graph() is not None
        error = ValueError if traced else errors.InvalidArgumentError
        raise error(f"seed must have shape [2], not {s.shape.as_list()}")
    return M.cast(s, _dt.int64)


def _param(fn, value, dtype, name, dtype_hint=None):
    t = convert_to_tensor(value, dtype=dtype, dtype_hint=dtype_hint, name=name)
    if None in t.shape.as_list():
        raise ValueError(f"random.{fn} needs {name} of a known shape, got {t.shape}")
    return t


def _float_dtype(fn, dtype, allowed=(_dt.float16, _dt.float32, _dt.float64), error=TypeError):
    dtype = _dt.as_dtype(dtype)
    if dtype not in allowed:
        names = ", ".join(d.name for d in allowed)
        raise error(f"random.{fn}: dtype {dtype.name} is not one of {names}")
    return dtype


def _suffix_shape(fn, shape, param, what):
    """TF's stateless samplers: ``param``'s shape must be the trailing dimensions of ``shape``."""
    ps = param.shape.as_list()
    if len(ps) > len(shape) or (ps and shape[len(shape) - len(ps) :] != ps):
        raise errors.InvalidArgumentError(
            f"random.{fn}: shape passed in must end with the shape of {what}: {shape} vs {ps}"
        )


def _broadcast2(fn, a, b):
    try:
        shape = np.broadcast_shapes(tuple(a.shape.as_list()), tuple(b.shape.as_list()))
    except ValueError:
        raise errors.InvalidArgumentError(
            f"random.{fn}: alpha of shape {a.shape} and beta of shape {b.shape} do not broadcast"
        ) from None
    return A.broadcast_to(a, shape), list(shape)


def _f64(x, shape):
    return A.broadcast_to(M.cast(x, _F64), shape)


def _finish(x, dtype, tiny=False):
    out = M.cast(x, dtype)
    return M.maximum(out, float(np.finfo(dtype._np).tiny)) if tiny else out


# ---- the public samplers -----------------------------------------------------------------------


def gamma(shape, alpha, beta=None, dtype: Any = _dt.float32, seed=None, name=None):
    """TF's ``tf.random.gamma``: shape ``shape + broadcast(alpha, beta)``, each slice drawn from
    Gamma(alpha, rate beta); zeros become the dtype's smallest normal number, as in TF."""
    dt = getattr(alpha, "dtype", None)  # a float alpha to an int dtype: TF's TypeError
    float_alpha = (
        dt.is_floating if hasattr(dt, "is_floating") else np.asarray(alpha).dtype.kind == "f"
    )
    dtype = _float_dtype("gamma", dtype, error=TypeError if float_alpha else ValueError)
    alpha = _param("gamma", alpha, dtype, "alpha")
    beta = _param("gamma", 1.0 if beta is None else beta, dtype, "beta")
    alpha_b, pshape = _broadcast2("gamma", alpha, beta)
    out_shape = _static_shape("gamma", shape) + pshape
    g = _gamma_draw(_f64(alpha_b, out_shape), out_shape, _Draws(seed, False))
    return _finish(M.cast(g, dtype) / beta, dtype, tiny=True)


def stateless_gamma(shape, seed, alpha, beta=None, dtype: Any = _dt.float32, name=None):
    """TF's ``tf.random.stateless_gamma``: ``alpha`` (broadcast with ``beta``) must be the
    trailing dimensions of ``shape``; the same seed gives the same numbers."""
    dtype = _float_dtype("stateless_gamma", dtype)
    seed = _stateless_seed(seed)
    out_shape = _static_shape("stateless_gamma", shape)
    alpha = _param("stateless_gamma", alpha, dtype, "alpha")
    beta = _param("stateless_gamma", 1.0 if beta is None else beta, dtype, "beta")
    alpha_b, _ = _broadcast2("stateless_gamma", alpha, beta)
    _suffix_shape("stateless_gamma", out_shape, alpha_b, "alpha")
    g = _gamma_draw(_f64(alpha_b, out_shape), out_shape, _Draws(seed, True))
    return _finish(M.cast(g, dtype) / beta, dtype, tiny=True)


_POISSON_DTYPES = (_dt.float16, _dt.float32, _dt.float64, _dt.int32, _dt.int64)
_BAD_ATTR = errors.InvalidArgumentError  # TF's attr check on the op


def poisson(shape, lam, dtype: Any = _dt.float32, seed=None, name=None):
    """TF's ``tf.random.poisson``: shape ``shape + lam.shape``, Poisson counts of rate ``lam``."""
    dtype = _float_dtype("poisson", dtype, _POISSON_DTYPES, _BAD_ATTR)
    lam = _param("poisson", lam, None, "lam")
    _float_dtype("poisson (lam)", lam.dtype, _POISSON_DTYPES, _BAD_ATTR)
    out_shape = _static_shape("poisson", shape) + lam.shape.as_list()
    return _finish(_poisson(_f64(lam, out_shape), out_shape, _Draws(seed, False)), dtype)


def stateless_poisson(shape, seed, lam, dtype: Any = _dt.int32, name=None):
    """TF's ``tf.random.stateless_poisson``: ``lam``'s shape must be the trailing dimensions of
    ``shape``; the same seed gives the same numbers."""
    dtype = _float_dtype("stateless_poisson", dtype, _POISSON_DTYPES, _BAD_ATTR)
    seed = _stateless_seed(seed)
    out_shape = _static_shape("stateless_poisson", shape)
    lam = _param("stateless_poisson", lam, None, "lam")
    _float_dtype("stateless_poisson (lam)", lam.dtype, _POISSON_DTYPES, _BAD_ATTR)
    _suffix_shape("stateless_poisson", out_shape, lam, "lam")
    return _finish(_poisson(_f64(lam, out_shape), out_shape, _Draws(seed, True)), dtype)


def stateless_binomial(shape, seed, counts, probs, output_dtype: Any = _dt.int32, name=None):
    """TF's ``tf.random.stateless_binomial``: ``counts`` and ``probs`` (one dtype) broadcast to
    ``shape``; the same seed gives the same numbers."""
    fn = "stateless_binomial"
    dtype = _float_dtype(fn, output_dtype, _POISSON_DTYPES, _BAD_ATTR)
    seed = _stateless_seed(seed)
    out_shape = _static_shape(fn, shape)
    probs = _param(fn, probs, None, "probs", _dt.float32)
    counts = _param(fn, counts, None, "counts", probs.dtype)
    if counts.dtype != probs.dtype:
        raise errors.InvalidArgumentError(
            f"random.{fn}: counts ({counts.dtype.name}) and probs ({probs.dtype.name}) "
            "must have one dtype"
        )
    _float_dtype(fn + " (counts)", counts.dtype, _POISSON_DTYPES, _BAD_ATTR)
    for what, t in (("counts", counts), ("probs", probs)):
        ts = tuple(t.shape.as_list())
        try:
            fits = np.broadcast_shapes(ts, tuple(out_shape)) == tuple(out_shape)
        except ValueError:
            fits = False
        if not fits:
            raise errors.InvalidArgumentError(
                f"random.{fn}: {what} of shape {list(ts)} does not broadcast to shape {out_shape}"
            )
    n, p = _f64(counts, out_shape), _f64(probs, out_shape)
    return _finish(_binomial(n, p, out_shape, _Draws(seed, True)), dtype)


def stateless_parameterized_truncated_normal(
    shape, seed, means=0.0, stddevs=1.0, minvals=-2.0, maxvals=2.0, name=None
):
    """TF's ``tf.random.stateless_parameterized_truncated_normal``: normals of mean ``means``
    and stddev ``stddevs`` truncated to ``[minvals, maxvals]``; the four (one float dtype)
    broadcast to the trailing dimensions of ``shape``; the same seed gives the same numbers."""
    fn = "stateless_parameterized_truncated_normal"
    seed = _stateless_seed(seed)
    out_shape = _static_shape(fn, shape)
    names = ("means", "stddevs", "minvals", "maxvals")
    params = [
        _param(fn, v, None, n, _dt.float32)
        for n, v in zip(names, (means, stddevs, minvals, maxvals))
    ]
    dtype = params[0].dtype
    if any(p.dtype != dtype for p in params):
        raise errors.InvalidArgumentError(
            f"random.{fn}: means, stddevs, minvals and maxvals must have one dtype, got "
            + ", ".join(p.dtype.name for p in params)
        )
    _float_dtype(fn, dtype, error=_BAD_ATTR)
    try:
        pshape = list(np.broadcast_shapes(*(tuple(p.shape.as_list()) for p in params)))
    except ValueError:
        pshape = None
    if (
        pshape is None
        or len(pshape) > len(out_shape)
        or (pshape and out_shape[len(out_shape) - len(pshape) :] != pshape)
    ):
        raise errors.InvalidArgumentError(
            f"random.{fn}: Shape passed in must end with broadcasted shape: {out_shape} vs "
            + ", ".join(str(p.shape) for p in params)
        )
    mu, sd, lo, hi = (_f64(p, out_shape) for p in params)
    finite = M.logical_or(M.is_finite(lo), M.is_finite(hi))
    valid = M.logical_and(M.logical_and(M.greater(sd, 0.0), M.less(lo, hi)), finite)
    _check_ops.Assert(M.reduce_all(valid), [f"random.{fn}: Invalid parameters"])
    z = _truncated((lo - mu) / sd, (hi - mu) / sd, out_shape, _Draws(seed, True))
    return M.cast(M.minimum(M.maximum(mu + sd * z, lo), hi), dtype)


def stateless_shuffle(value, seed, alg="auto_select", name=None):
    """TF's ``tf.random.experimental.stateless_shuffle``: ``value`` with its first dimension
    permuted, a function of ``seed`` (the stable order of uniform keys drawn from it); a scalar
    comes back as it is."""
    x = convert_to_tensor(value)
    if x.shape.rank == 0:
        return A.identity(x)
    keys = _random.stateless_uniform(A.shape(x)[:1], seed)
    return A.gather(x, argsort(keys, stable=True))
