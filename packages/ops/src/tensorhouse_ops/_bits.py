"""Ops on a tensor's bytes: ``tf.bitcast`` (a kernel) and ``tf.fingerprint`` (FarmHash's
``Fingerprint64`` of each row, a host call as the string hashes are)."""

from __future__ import annotations

import numpy as np

from . import dtypes as _dt
from ._pyfunc import host_call
from ._strings_hash import fingerprint64
from ._tensor import _op, convert_to_tensor, errors

__all__ = ["bitcast", "fingerprint"]


def bitcast(input, type, name=None):  # noqa: A002 - TF's names
    """TF's ``tf.bitcast``: ``input``'s bytes as ``type``. A narrower ``type`` adds a last dim of
    the width ratio; a wider one takes away a last dim that must equal it. No gradient."""
    x = convert_to_tensor(input)
    return _op("Bitcast", [x], {"type": _dt.as_dtype(type)._np})


def _row_fingerprints(arrays: list) -> list:
    """[rows, 8] uint8: each row's Fingerprint64, little-endian. A string row of one string is
    that string's; of several, the fingerprint of their fingerprints' bytes."""
    a = arrays[0]
    rows = a.reshape(len(a), int(np.prod(a.shape[1:])))
    if a.dtype.kind in "OSU":
        flat = np.empty(rows.size, dtype=object)
        flat[:] = [s.encode() if isinstance(s, str) else bytes(s) for s in rows.reshape(-1)]
        prints = fingerprint64(flat).astype("<u8")
        if rows.shape[1] == 1:
            return [prints.view(np.uint8).reshape(-1, 8)]
        rows = prints.view(np.uint8).reshape(len(a), -1)
    flat = np.empty(len(rows), dtype=object)
    flat[:] = [np.ascontiguousarray(r).tobytes() for r in rows]
    return [fingerprint64(flat).astype("<u8").view(np.uint8).reshape(-1, 8)]


def fingerprint(data, method="farmhash64", name=None):
    """TF's ``tf.fingerprint``: ``[data.shape[0], 8]`` uint8, FarmHash ``Fingerprint64`` of
    each row's bytes (of its strings' fingerprints for string rows)."""
    x = convert_to_tensor(data)
    if method != "farmhash64":
        raise errors.InvalidArgumentError(
            f"Unsupported fingerprint method: {method} [Op:Fingerprint]"
        )
    if x.shape.rank == 0:
        raise errors.InvalidArgumentError(
            "`data` should have at least one dimension: [] [Op:Fingerprint]"
        )
    rows = x.shape[0] if x.shape.rank is not None else None
    spec = [((rows, 8), _dt.uint8)]
    call = host_call("PyFuncStateless", _row_fingerprints, [x], spec, "Fingerprint", arrays=True)
    return call[0]
