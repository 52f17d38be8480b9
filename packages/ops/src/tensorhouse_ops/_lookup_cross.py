"""``tf.sparse.cross_hashed`` on dense inputs: each row's features crossed (every combination,
the last input varying fastest) and hashed as TF's ``SparseCrossHashed`` does.

A cross starts from ``hash_key`` and folds in each feature with FarmHash's
``FingerprintCat64``; a string feature is its ``Fingerprint64``, an integer its own bits. The
result is taken ``mod num_buckets`` (``mod 2**63 - 1`` when ``num_buckets`` is 0).
"""

from __future__ import annotations

import itertools

import numpy as np

from tensorhouse_kernels.runtime import errors

from . import _pyfunc
from . import dtypes as _dt
from ._lookup_index import flat_bytes
from ._sparse import SparseTensor
from ._strings_hash import fingerprint64
from ._tensor import Tensor, convert_to_tensor

__all__ = ["cross_hashed"]

_DEFAULT_HASH_KEY = 0xDECAFCAFFE
_MUL = np.uint64(0xC6A4A7935BD1E995)
_S47 = np.uint64(47)


def _shift_mix(v):
    return v ^ (v >> _S47)


def fingerprint_cat64(fp1: np.ndarray, fp2: np.ndarray) -> np.ndarray:
    """FarmHash's ``FingerprintCat64`` of two uint64 arrays (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        out = fp1 ^ _MUL
        out = out ^ (_shift_mix(fp2 * _MUL) * _MUL)
        out = out * _MUL
        out = _shift_mix(out) * _MUL
        return _shift_mix(out)


def _features(t: Tensor) -> np.ndarray:
    """A ``[rows, width]`` uint64 array of a dense input's features."""
    a = np.asarray(t)
    if a.ndim < 2:
        a = a.reshape(-1, 1)
    if a.dtype.kind in "OSU":
        flat = flat_bytes(a)
        return fingerprint64(flat).reshape(a.shape)
    return a.astype(np.int64).view(np.uint64)


def cross_hashed(inputs, num_buckets=0, hash_key=None, name=None):
    """TF's ``tf.sparse.cross_hashed`` for dense ``[batch, k]`` inputs (integers or strings; a
    ``[batch]`` input counts as ``[batch, 1]``): a SparseTensor of int64 hashed crosses."""
    if not isinstance(inputs, list | tuple) or not inputs:
        raise TypeError(f"Inputs must be a list of tensors. Received: {inputs}")
    tensors = [x if isinstance(x, Tensor) else convert_to_tensor(x) for x in inputs]
    for t in tensors:
        if not (t.dtype.is_integer or t.dtype == _dt.string):
            raise TypeError(f"Input must be int64 or string tensors, got {t.dtype}")
        if t.shape.rank is not None and t.shape.rank > 2:
            raise ValueError(f"Input values should be rank 2, got shape {t.shape}")
    key = np.uint64(_DEFAULT_HASH_KEY if hash_key is None else hash_key)
    modulus = np.uint64(num_buckets if num_buckets > 0 else (1 << 63) - 1)

    def run(values):
        cols = [_features(t) for t in values]
        rows = cols[0].shape[0]
        if any(c.shape[0] != rows for c in cols):
            raise errors.InvalidArgumentError(
                f"Expected batch size {rows} for every input, got {[c.shape[0] for c in cols]}"
            )
        crosses = []
        for combo in itertools.product(*(range(c.shape[1]) for c in cols)):
            h = np.full(rows, key, np.uint64)
            for c, j in zip(cols, combo):
                h = fingerprint_cat64(h, c[:, j])
            crosses.append((h % modulus).astype(np.int64))
        width = len(crosses)
        vals = np.stack(crosses, axis=1).reshape(-1) if width else np.zeros(0, np.int64)
        r, c = np.divmod(np.arange(rows * width, dtype=np.int64), max(width, 1))
        idx = np.stack([r, c], axis=1)
        shape = np.array([rows, width], np.int64)
        return [convert_to_tensor(idx), convert_to_tensor(vals), convert_to_tensor(shape)]

    specs = [((None, 2), _dt.int64), ((None,), _dt.int64), ((2,), _dt.int64)]
    idx, vals, shape = _pyfunc.host_call("PyFuncStateless", run, tensors, specs, "SparseCross")
    return SparseTensor(idx, vals, shape)
