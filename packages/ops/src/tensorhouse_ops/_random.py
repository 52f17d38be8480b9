"""Random ops with TF's seed rules (``tf.random.set_seed`` plus per-op seeds).

With a global seed and no op seed, each op takes the next value of a counter that
``set_seed`` resets, so a program that sets the global seed repeats its numbers.
"""

from __future__ import annotations

import secrets

from . import _math as M
from . import dtypes as _dt
from ._tensor import _op

__all__ = [
    "set_seed", "get_seed", "uniform", "normal", "truncated_normal", "stateless_uniform",
    "stateless_normal", "stateless_truncated_normal",
]  # fmt: skip

_DEFAULT_GRAPH_SEED = 87654321
_global_seed = None
_op_counter = 0


def set_seed(seed):
    """Set the global random seed (TF's ``tf.random.set_seed``)."""
    global _global_seed, _op_counter
    _global_seed = None if seed is None else int(seed)
    _op_counter = 0


def get_seed(op_seed):
    """TF's rule: the (global, op) seed pair an op uses."""
    global _op_counter
    if _global_seed is not None:
        if op_seed is None:
            _op_counter += 1
            op_seed = _op_counter
        return _global_seed, int(op_seed)
    if op_seed is not None:
        return _DEFAULT_GRAPH_SEED, int(op_seed)
    return None, None


def _seeds(seed):
    s1, s2 = get_seed(seed)
    if s1 is None:
        return secrets.randbits(63), secrets.randbits(63)
    return s1 & (2**64 - 1), s2 & (2**64 - 1)


def _shape(shape):
    from ._array import _dims

    return tuple(_dims(shape))


def uniform(shape, minval=0, maxval=None, dtype=_dt.float32, seed=None, name=None):
    """TF's ``tf.random.uniform``: floats in [minval, maxval); integers (``RandomUniformInt``)
    need an explicit maxval, as in TF."""
    dtype = _dt.as_dtype(dtype)
    if dtype.is_integer:
        if maxval is None:
            raise ValueError(f"Must specify maxval for integer dtype {dtype.name}")
        s1, s2 = _seeds(seed)
        attrs = {"shape": _shape(shape), "dtype": dtype._np, "seed": s1, "seed2": s2,
                 "minval": int(minval), "maxval": int(maxval)}  # fmt: skip
        return _op("RandomUniformInt", [], attrs)
    if not dtype.is_floating:
        raise TypeError(f"random.uniform with dtype {dtype.name}: needs a float or int dtype")
    s1, s2 = _seeds(seed)
    u = _op(
        "RandomUniform", [], {"shape": _shape(shape), "dtype": dtype._np, "seed": s1, "seed2": s2}
    )
    maxval = 1 if maxval is None else maxval
    if isinstance(minval, int | float) and isinstance(maxval, int | float):
        if (minval, maxval) == (0, 1):
            return u
    return M.add(
        M.multiply(
            u,
            M.subtract(maxval, minval) if not isinstance(maxval, int | float) else maxval - minval,
        ),
        minval,
    )


def normal(shape, mean=0.0, stddev=1.0, dtype=_dt.float32, seed=None, name=None):
    dtype = _dt.as_dtype(dtype)
    if not dtype.is_floating:
        raise TypeError(f"random.normal with dtype {dtype.name}: needs a float dtype")
    s1, s2 = _seeds(seed)
    z = _op(
        "RandomStandardNormal",
        [],
        {"shape": _shape(shape), "dtype": dtype._np, "seed": s1, "seed2": s2},
    )
    if (
        isinstance(stddev, int | float)
        and isinstance(mean, int | float)
        and (mean, stddev)
        == (
            0.0,
            1.0,
        )
    ):
        return z
    return M.add(M.multiply(z, stddev), mean)


def _scaled(z, mean, stddev):
    plain = isinstance(stddev, int | float) and isinstance(mean, int | float)
    if plain and mean == 0 and stddev == 1:
        return z
    return M.add(M.multiply(z, stddev), mean)


def _float_dtype(fn, dtype):
    dtype = _dt.as_dtype(dtype)
    if not dtype.is_floating:
        raise TypeError(f"random.{fn} with dtype {dtype.name}: needs a float dtype")
    return dtype


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=_dt.float32, seed=None, name=None):
    """TF's ``tf.random.truncated_normal``: normals beyond two stddevs are drawn again."""
    dtype = _float_dtype("truncated_normal", dtype)
    s1, s2 = _seeds(seed)
    attrs = {"shape": _shape(shape), "dtype": dtype._np, "seed": s1, "seed2": s2}
    return _scaled(_op("TruncatedNormal", [], attrs), mean, stddev)


def _stateless(op_type, shape, seed, dtype):
    import numpy as np

    seed = np.asarray(seed.numpy() if hasattr(seed, "numpy") else seed, dtype=np.int64)
    if seed.shape != (2,):
        raise ValueError(f"seed must be a shape [2] tensor of ints, got shape {list(seed.shape)}")
    attrs = {"shape": _shape(shape), "dtype": dtype._np, "seed": [int(s) for s in seed]}
    return _op(op_type, [], attrs)


def stateless_uniform(shape, seed, minval=0, maxval=None, dtype=_dt.float32, name=None):
    """TF's ``tf.random.stateless_uniform`` (floats): the same seed gives the same numbers."""
    dtype = _float_dtype("stateless_uniform", dtype)
    u = _stateless("StatelessRandomUniformV2", shape, seed, dtype)
    maxval = 1 if maxval is None else maxval
    if isinstance(minval, int | float) and isinstance(maxval, int | float):
        if (minval, maxval) == (0, 1):
            return u
        return M.add(M.multiply(u, maxval - minval), minval)
    return M.add(M.multiply(u, M.subtract(maxval, minval)), minval)


def stateless_normal(shape, seed, mean=0.0, stddev=1.0, dtype=_dt.float32, name=None):
    dtype = _float_dtype("stateless_normal", dtype)
    return _scaled(_stateless("StatelessRandomNormalV2", shape, seed, dtype), mean, stddev)


def stateless_truncated_normal(shape, seed, mean=0.0, stddev=1.0, dtype=_dt.float32, name=None):
    dtype = _float_dtype("stateless_truncated_normal", dtype)
    return _scaled(_stateless("StatelessTruncatedNormalV2", shape, seed, dtype), mean, stddev)
