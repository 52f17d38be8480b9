"""``tf.gather`` / ``tf.gather_nd`` with ``batch_dims``, composed from the plain gathers.

The leading ``batch_dims`` dimensions of ``params`` and ``indices`` are merged into one of size
``n``; each batch's indices are then shifted into its own block (``gather``) or prefixed by the
batch number (``gather_nd``), so one gather without batch dims does the work, and the gradient
is that of the ops composed. ``_math`` imports this module; ``_array`` calls it through its
``HOOKS``.
"""

from __future__ import annotations

from . import _array, _tensor
from ._tensor import errors as _errors


def _ranks(op, params, indices, batch_dims):
    rp, ri = params.shape.rank, indices.shape.rank
    if rp is None or ri is None:
        raise _errors.UnimplementedError(f"{op} with batch_dims needs inputs of known rank")
    b = batch_dims + ri if batch_dims < 0 else batch_dims
    if op == "GatherNd" and b >= ri:
        raise ValueError(f"Argument `batch_dims` = {b} must be less than rank(`indices`) = {ri}")
    if not 0 <= b <= ri:
        raise _errors.InvalidArgumentError(
            f"Expected batch_dims in the range [{-ri}, {ri}], but got {batch_dims} [Op:{op}]"
        )
    for d, (pd, id_) in enumerate(zip(params.shape[:b], indices.shape[:b])):
        if pd is not None and id_ is not None and pd != id_:
            raise _errors.InvalidArgumentError(
                f"params.shape[{d}]: {pd} should be equal to indices.shape[{d}]: {id_} [Op:{op}]"
            )
    return rp, ri, b


def _dims(x, lo, hi=None):  # x's dims lo:hi, a list where static, else a tensor
    part = x.shape[lo:hi]
    return part.as_list() if part.is_fully_defined() else _array.shape(x)[lo:hi]


def _cat(*parts):
    if all(isinstance(p, list) for p in parts):
        return [d for p in parts for d in p]
    return _array.concat(list(parts), 0)


def _merge_batch(x, b):  # [batch..., rest...] -> [n, rest...]
    return _array.reshape(x, _cat([-1], _dims(x, b)))


def gather(params, indices, axis, batch_dims):
    rp, ri, b = _ranks("GatherV2", params, indices, batch_dims)
    a = b if axis is None else int(axis)
    a = a + rp if a < 0 else a
    if not b <= a < rp:
        raise ValueError(f"batch_dims ({b}) must be less than or equal to axis ({a}) for GatherV2")
    if b == 0:
        return _array.gather(params, indices, axis=a)
    p = _merge_batch(params, b)  # [n, p_b .. p_(a-1), size, rest]
    k = a - b  # dims between the batch and the axis
    p = _array.transpose(p, [*range(1, k + 1), 0, *range(k + 1, rp - b + 1)])
    p = _array.reshape(p, _cat(_dims(p, 0, k), [-1], _dims(p, k + 2)))  # batch x axis merged
    size = _array.shape(params, out_type=indices.dtype)[a]
    idx = _merge_batch(indices, b)
    n = _array.shape(idx)[:1]
    start = _array.reshape(_array.range(n[0], dtype=indices.dtype), [-1] + [1] * (ri - b))
    ok = (idx >= 0) & (idx < size)
    if not _tensor._tracing and not ok.numpy().all():  # eager: TF's message
        bad = _array.where(~_array.reshape(ok, _array.shape(indices)))[0]
        at = ",".join(str(int(i)) for i in bad)
        raise _errors.InvalidArgumentError(
            f"indices[{at}] = {int(_array.gather_nd(indices, bad))} is not in"
            f" [0, {int(size)}) [Op:GatherV2]"
        )
    # a bad index stays out of range for the merged gather, which then raises
    idx = _array.where(ok, idx + start * size, -1)
    out = _array.gather(p, idx, axis=k)  # [p_b .. p_(a-1), n, i..., rest]
    out = _array.transpose(out, [k, *range(k), *range(k + 1, rp - b + ri - b)])
    return _array.reshape(out, _cat(_dims(indices, 0, b), _dims(out, 1)))


def gather_nd(params, indices, batch_dims):
    _, ri, b = _ranks("GatherNd", params, indices, batch_dims)
    if b == 0:
        return _array.gather_nd(params, indices)
    idx = _merge_batch(indices, b)  # [n, i..., k]
    n = _array.range(_array.shape(idx)[0], dtype=indices.dtype)
    n = _array.reshape(n, [-1] + [1] * (ri - b)) + _array.zeros_like(idx[..., :1])
    out = _array.gather_nd(_merge_batch(params, b), _array.concat([n, idx], -1))
    return _array.reshape(out, _cat(_dims(indices, 0, -1), _dims(out, ri - b)))


_array.HOOKS.update(batch_gather=gather, batch_gather_nd=gather_nd)  # what ``_array`` calls
