"""``tf.edit_distance``: the Levenshtein distance between the sequences of two SparseTensors (a
host call, as TF's CPU-only op)."""

from __future__ import annotations

import numpy as np

from . import dtypes as _dt
from ._pyfunc import host_call
from ._sparse import SparseTensor
from ._tensor import errors

__all__ = ["edit_distance"]

_OP = " [Op:EditDistance] name: edit_distance"
_TF_NAMES = {"float32": "float", "float64": "double", "float16": "half"}  # TF's type strings


def _sequences(indices, values):
    """{index prefix: the values along the last dim, in its order}."""
    seqs: dict = {}
    for i in np.lexsort(indices.T[::-1]) if len(indices) else ():
        seqs.setdefault(tuple(indices[i, :-1].tolist()), []).append(values[i])
    return seqs


def _levenshtein(a, b):
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def _check_ranks(hyp_rank, truth_rank):
    for rank in (truth_rank, hyp_rank):
        if rank is not None and rank < 2:
            raise errors.InvalidArgumentError(
                f"Input SparseTensors must have rank at least 2, but truth_shape rank is: {rank}"
                + _OP
            )
    if None not in (hyp_rank, truth_rank) and hyp_rank != truth_rank:
        raise errors.InvalidArgumentError(
            "Expected truth and hypothesis to have matching ranks, but their shapes are: "
            f"[{truth_rank}] and [{hyp_rank}]" + _OP
        )


def _distances(arrays, normalize):
    hi, hv, hs, ti, tv, ts = arrays
    _check_ranks(len(hs), len(ts))
    hyp, truth = _sequences(hi, hv), _sequences(ti, tv)
    out = np.zeros(np.maximum(hs[:-1], ts[:-1]), np.float32)
    with np.errstate(divide="ignore"):
        for key in hyp.keys() | truth.keys():
            h, t = hyp.get(key, []), truth.get(key, [])
            d = np.float32(_levenshtein(h, t))
            out[key] = d / np.float32(len(t)) if normalize and (t or d) else d
    return [out]


def edit_distance(hypothesis, truth, normalize=True, name="edit_distance"):
    """TF's ``tf.edit_distance``: float32 distances over the first ``rank - 1`` dims (the
    larger of the two dense shapes), each divided by the truth's length with ``normalize``."""
    if not isinstance(hypothesis, SparseTensor):
        raise TypeError("Hypothesis must be a SparseTensor.")
    if not isinstance(truth, SparseTensor):
        raise TypeError("Truth must be a SparseTensor.")
    hyp_shape, truth_shape = hypothesis.shape, truth.shape
    _check_ranks(hyp_shape.rank, truth_shape.rank)
    if hypothesis.dtype != truth.dtype:
        want, got = (_TF_NAMES.get(d.name, d.name) for d in (hypothesis.dtype, truth.dtype))
        raise errors.InvalidArgumentError(
            f"cannot compute EditDistance as input #4(zero-based) was expected to be a {want} "
            f"tensor but is a {got} tensor" + _OP
        )
    dims = None
    if hyp_shape.rank is not None:
        pairs = zip(hyp_shape.as_list()[:-1], truth_shape.as_list()[:-1])
        dims = [None if None in p else max(p) for p in pairs]
    parts = [hypothesis.indices, hypothesis.values, hypothesis.dense_shape]
    parts += [truth.indices, truth.values, truth.dense_shape]
    spec = [(dims, _dt.float32)]

    def run(arrays):
        return _distances(arrays, normalize)

    return host_call("PyFuncStateless", run, parts, spec, "EditDistance", arrays=True)[0]
