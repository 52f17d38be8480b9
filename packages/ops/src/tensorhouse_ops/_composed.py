"""TF functions composed from the kernels' ops: sorting, rolling and repeating, grids and
masks, segment means, normalization, matrix bands and diagonals, embedding lookups and
saturating casts.

TF implements most of these in Python on top of other ops too (``tf.sort`` on ``TopKV2``,
``tf.sequence_mask`` on ``Range`` and ``Less``); here every one of them is a handful of kernel
calls, so gradients come from the rules of the ops they use. Arguments that decide a shape
(``repeats``, ``shift``, ``num_lower``, segment ids of ``segment_sum``) must be concrete: Python
values or eager tensors.
"""

from __future__ import annotations

import numpy as np

from . import _array as A
from . import _math as M
from . import dtypes as _dt
from ._sort_host import sorted_unknown_length
from ._tensor import Tensor, constant, convert_to_tensor
from ._tensor import errors as _errors

__all__ = [
    "argsort", "band_part", "count_nonzero", "diag", "diag_part", "embedding_lookup",
    "l2_normalize", "meshgrid", "polyval", "repeat", "roll", "saturate_cast", "segment_mean",
    "segment_sum", "sequence_mask", "shape_n", "sort", "trace", "unsorted_segment_mean",
]  # fmt: skip


def _t(x):
    return x if type(x) is Tensor else convert_to_tensor(x)


def _int(v, what: str) -> int:
    vals = A._dims(v)
    if len(vals) != 1:
        raise ValueError(f"{what} must be a scalar, got {v!r}")
    return vals[0]


# ---- sorting ----------------------------------------------------------------------------------


def _sort_last_axis(values, axis, direction, op):
    """``values`` with ``axis`` swapped last, and the permutation that swaps it back (or None)."""
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError(
            "Argument `direction` should be one of ASCENDING, DESCENDING. "
            f"Received: direction={direction}"
        )
    x = _t(values)
    if x.ndim == 0:
        raise _errors.InvalidArgumentError(
            f"{op} needs a tensor of rank >= 1, got a scalar of dtype {x.dtype.name}"
        )
    if x.dtype == _dt.bool or not (x.dtype.is_floating or x.dtype.is_integer):
        raise _errors.InvalidArgumentError(
            f"{op} sorts real numbers; got dtype {x.dtype.name} (shape {x.shape})"
        )
    axis = _int(axis, f"{op}'s axis")
    if not -x.ndim <= axis < x.ndim:
        raise _errors.InvalidArgumentError(
            f"{op}: axis {axis} is out of range for a tensor of shape {x.shape}"
        )
    perm = A._swap_last(x, axis)
    return (x, None) if perm is None else (A.transpose(x, perm), perm)


def _sorted(x, descending):
    """(values, indices) of ``x`` sorted along its last axis. Ties keep their order.

    ``TopKV2`` with ``k`` the whole axis sorts descending and puts the lower index first among
    equal values. Ascending sorts the reversed axis descending and reverses the result back, so
    equal values keep their order there too; no negation, so the smallest int and unsigned ints
    sort right (TF negates them).
    """
    n = x.shape[-1]
    if n is None:  # TopKV2's k is an attr: the order comes from a host node
        return sorted_unknown_length(x, descending)
    if descending:
        values, indices = M.top_k(x, k=n)
        return values, indices
    values, indices = M.top_k(A.reverse(x, [-1]), k=n)
    return A.reverse(values, [-1]), M.subtract(n - 1, A.reverse(indices, [-1]))


def sort(values, axis=-1, direction="ASCENDING", name=None):
    """TF's ``tf.sort``: ``values`` sorted along ``axis``.

    Real dtypes (float32/64, int32/64, uint8). Where TF leaves NaN's place unspecified, NaN
    sorts as the largest value here (last ascending, first descending).
    """
    x, perm = _sort_last_axis(values, axis, direction, "sort")
    out, _ = _sorted(x, direction == "DESCENDING")
    return out if perm is None else A.transpose(out, perm)


def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    """TF's ``tf.argsort``: the int32 indices that sort ``values`` along ``axis``.

    Always stable: equal values keep their order, whatever ``stable`` says (TF's is too).
    """
    x, perm = _sort_last_axis(values, axis, direction, "argsort")
    _, out = _sorted(x, direction == "DESCENDING")
    return out if perm is None else A.transpose(out, perm)


# ---- rolling, repeating, grids and masks ------------------------------------------------------


def roll(input, shift, axis, name=None):  # noqa: A002 - TF's name
    """TF's ``tf.roll``: elements shifted along each axis, wrapping around; shifts on the same
    axis add up."""
    x = _t(input)
    shifts, axes = A._dims(shift), A._dims(axis)
    if x.ndim == 0:
        raise _errors.InvalidArgumentError(
            f"roll: input must be 1-D or higher, got shape {x.shape}"
        )
    if len(shifts) != len(axes):
        raise _errors.InvalidArgumentError(
            f"roll: shift and axis must have the same size, got shift={shifts} and axis={axes}"
        )
    dims = x.shape.as_list()
    total: dict[int, int] = {}
    for s, a in zip(shifts, axes, strict=True):
        if not -x.ndim <= a < x.ndim:
            raise _errors.InvalidArgumentError(
                f"roll: axis {a} is out of range for a tensor of shape {x.shape}"
            )
        total[a % x.ndim] = total.get(a % x.ndim, 0) + s
    out = x
    for a, s in sorted(total.items()):
        n = dims[a]
        if n == 0 or s % n == 0:
            continue
        s %= n
        begin, size = [0] * x.ndim, [-1] * x.ndim
        begin[a], size[a] = n - s, s
        tail = A.slice(out, begin, size)
        begin[a], size[a] = 0, n - s
        head = A.slice(out, begin, size)
        out = A.concat([tail, head], a)
    return A.identity(out) if out is x else out


def repeat(input, repeats, axis=None, name=None):  # noqa: A002 - TF's name
    """TF's ``tf.repeat``: each slice along ``axis`` repeated ``repeats[i]`` times (one
    ``GatherV2``); with ``axis=None`` the flattened input. A negative count in a list counts
    as 0; a single negative count is TF's InvalidArgumentError."""
    x = _t(input)
    if axis is None:
        x, axis = A.reshape(x, [-1]), 0
    axis = _int(axis, "repeat's axis")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"axis={axis} out of bounds: expected {-x.ndim}<=axis<{x.ndim}")
    axis %= x.ndim
    reps = np.asarray(repeats)
    if reps.ndim > 1:
        raise ValueError(f"repeat: `repeats` must have rank at most 1, got shape {reps.shape}")
    n = x.shape[axis]
    reps = reps.astype(np.int64).reshape(-1)
    if reps.size == 1:
        if reps[0] < 0:  # TF: Tile's error for one negative count; in a list it counts as 0
            raise _errors.InvalidArgumentError(
                f"Expected multiples >= 0, but got {int(reps[0])} (repeat of shape {x.shape}, "
                f"{x.dtype.name}, axis {axis}) [Op:Tile]"
            )
        reps = np.full(n, reps[0], np.int64)
    elif reps.size != n:
        raise ValueError(
            f"repeat: `repeats` has {reps.size} entries but axis {axis} of the input (shape "
            f"{x.shape}) has {n}"
        )
    index = np.repeat(np.arange(n, dtype=np.int32), np.maximum(reps, 0))
    return A.gather(x, constant(index, _dt.int32), axis=axis)


def meshgrid(*args, **kwargs):
    """TF's ``tf.meshgrid``: N coordinate tensors from N vectors (flattened first).

    ``indexing="xy"`` (the default) swaps the first two output dims, ``"ij"`` does not.
    """
    indexing = kwargs.pop("indexing", "xy")
    kwargs.pop("name", None)
    if kwargs:
        raise TypeError(f"'{next(iter(kwargs))}' is an invalid keyword argument for meshgrid")
    if indexing not in ("xy", "ij"):
        raise ValueError(
            f"Argument `indexing` parameter must be either 'xy' or 'ij', got '{indexing}'"
        )
    xs = [A.reshape(_t(a), [-1]) for a in args]
    ndim = len(xs)
    where = list(range(ndim))
    if indexing == "xy" and ndim > 1:
        where[0], where[1] = 1, 0
    full = [0] * ndim
    for x, pos in zip(xs, where, strict=True):
        full[pos] = x.shape[0]
    out = []
    for x, pos in zip(xs, where, strict=True):
        shape = [1] * ndim
        shape[pos] = -1
        out.append(A.broadcast_to(A.reshape(x, shape), full))
    return out


def sequence_mask(lengths, maxlen=None, dtype=_dt.bool, name=None):
    """TF's ``tf.sequence_mask``: ``mask[..., j] = j < lengths[...]`` over ``maxlen`` columns
    (the largest length when None). Lengths are cast to ``maxlen``'s dtype, as TF does."""
    lengths = _t(lengths)
    if maxlen is None:
        if lengths.shape.num_elements() == 0:
            limit = 0
        else:
            limit = max(0, M.reduce_max(lengths).numpy().item())
        row = A.range(0, limit, dtype=lengths.dtype)
    else:
        m = np.asarray(maxlen)
        if m.ndim:
            raise ValueError(
                "Argument `maxlen` must be scalar for sequence_mask, received `maxlen` = "
                f"{m.tolist()} with shape '{m.shape}' instead"
            )
        if not np.isfinite(m.item()):
            raise TypeError(f"sequence_mask: maxlen must be a finite number, got {m.item()}")
        if m.item() < 0:
            raise _errors.InvalidArgumentError(
                f"sequence_mask: maxlen must be >= 0, got {m.item()}"
            )
        kind = maxlen.dtype if isinstance(maxlen, Tensor) else _dt.int32
        row = A.range(0, m.item(), dtype=kind)
    column = A.expand_dims(M.cast(lengths, row.dtype), -1)
    mask = M.less(row, column)
    dtype = _dt.as_dtype(dtype)
    return mask if dtype == _dt.bool else M.cast(mask, dtype)


def shape_n(input, out_type=_dt.int32, name=None):  # noqa: A002 - TF's name
    """TF's ``tf.shape_n``: the shape of each tensor in a list."""
    return [A.shape(t, out_type) for t in input]


# ---- math -------------------------------------------------------------------------------------


def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    """TF's ``tf.math.l2_normalize``: ``x / sqrt(max(sum(x**2, axis), epsilon))``."""
    x = _t(x)
    if dim is not None:
        axis = dim
    if not x.dtype.is_floating:
        raise TypeError(f"l2_normalize needs a float tensor, got {x.dtype.name} (shape {x.shape})")
    squares = M.reduce_sum(M.square(x), axis=axis, keepdims=True)
    return M.multiply(x, M.rsqrt(M.maximum(squares, constant(epsilon, x.dtype))))


def count_nonzero(input, axis=None, keepdims=None, dtype=_dt.int64, name=None):  # noqa: A002
    """TF's ``tf.math.count_nonzero``: how many entries are not zero (not False), as int64
    (then ``dtype``). NaN is not zero."""
    x = _t(input)
    nonzero = x if x.dtype == _dt.bool else M.not_equal(x, constant(0, x.dtype))
    count = M.reduce_sum(M.cast(nonzero, _dt.int64), axis=axis, keepdims=bool(keepdims))
    dtype = _dt.as_dtype(dtype)
    return count if dtype == _dt.int64 else M.cast(count, dtype)


def _segment_counts(data, segment_ids, num_segments):
    """How many rows each segment gets, shaped to divide the segment sums."""
    ids = _t(segment_ids)
    counts = M.unsorted_segment_sum(A.ones(ids.shape.as_list(), data.dtype), ids, num_segments)
    counts = M.maximum(counts, constant(1, data.dtype))
    return A.reshape(counts, [-1] + [1] * (data.ndim - ids.ndim))


def unsorted_segment_mean(data, segment_ids, num_segments, name=None):
    """TF's ``tf.math.unsorted_segment_mean``: the mean of each segment's rows, 0 for an empty
    segment; integer data gives float64 means, as TF."""
    data = _t(data)
    if not data.dtype.is_floating:
        data = M.cast(data, _dt.float64)
    total = M.unsorted_segment_sum(data, segment_ids, num_segments)
    return M.divide(total, _segment_counts(data, segment_ids, num_segments))


def _sorted_segments(data, segment_ids, op):
    """The number of segments of sorted ``segment_ids``, after TF's checks."""
    ids = np.asarray(_t(segment_ids))
    rows = data.shape[0] if data.ndim else None
    if ids.ndim != 1 or ids.shape[0] != rows:
        raise _errors.InvalidArgumentError(
            f"{op}: segment_ids should be the same size as dimension 0 of input; got "
            f"segment_ids of shape {ids.shape} and data of shape {data.shape}"
        )
    if ids.size == 0:
        return 0
    if np.any(np.diff(ids) < 0):
        raise _errors.InvalidArgumentError(f"{op}: segment ids are not increasing: {ids.tolist()}")
    if ids[0] < 0:
        raise _errors.InvalidArgumentError(
            f"{op}: segment id {int(ids[0])} out of range [0, {int(ids[-1]) + 1})"
        )
    return int(ids[-1]) + 1


def segment_sum(data, segment_ids, name=None):
    """TF's ``tf.math.segment_sum``: sums over runs of sorted segment ids (0 for a missing id)."""
    data = _t(data)
    n = _sorted_segments(data, segment_ids, "SegmentSum")
    return M.unsorted_segment_sum(data, segment_ids, n)


def segment_mean(data, segment_ids, name=None):
    """TF's ``tf.math.segment_mean``; integer means are truncated toward zero, as TF's."""
    data = _t(data)
    n = _sorted_segments(data, segment_ids, "SegmentMean")
    total = M.unsorted_segment_sum(data, segment_ids, n)
    counts = _segment_counts(data, segment_ids, n)
    if data.dtype.is_integer:
        return M.truncatediv(total, counts)
    return M.divide(total, counts)


def polyval(coeffs, x, name=None):
    """TF's ``tf.math.polyval``: ``coeffs[0] * x**(n-1) + ... + coeffs[n-1]`` by Horner's rule.

    Python coefficients take ``x``'s dtype (TF makes them float32 whatever ``x`` is).
    """
    if not isinstance(coeffs, list | tuple):
        raise ValueError(f"Argument coeffs must be list type. Received type {type(coeffs)}.")
    x = _t(x)
    if not coeffs:
        return A.zeros_like(x)
    cs = [c if isinstance(c, Tensor) else convert_to_tensor(c, x.dtype) for c in coeffs]
    p = cs[0]
    for c in cs[1:]:
        p = M.add(c, M.multiply(p, x))
    return p


def saturate_cast(value, dtype, name=None):
    """TF's ``tf.dtypes.saturate_cast``: ``value`` clamped to ``dtype``'s range, then cast.

    The bounds are the largest values of the input dtype that do not pass the target's range
    (float32 to int32 clamps at 2147483520, as TF).
    """
    x = _t(value)
    dtype = _dt.as_dtype(dtype)
    for d in (x.dtype, dtype):
        if not d.is_numeric:
            raise TypeError(
                f"Cannot find minimum value of {d!r} (saturate_cast of {x.dtype.name} shape "
                f"{x.shape} to {dtype.name})"
            )
    orig = x.dtype
    if x.dtype in (_dt.float16, _dt.bfloat16):  # storage-only dtypes: clamp in float32 (exact)
        x = M.cast(x, _dt.float32)
    src = np.dtype(x.dtype._np)
    lo, hi = max(orig.min, dtype.min), min(orig.max, dtype.max)
    # a float input is always clamped, as TF does: its infinities become the finite bounds
    if orig.is_floating or lo > orig.min or hi < orig.max:
        exact = int if dtype.is_integer else float
        lo_s, hi_s = np.asarray(lo).astype(src), np.asarray(hi).astype(src)
        # rounding to the input dtype may pass the bound (float32(2**31 - 1) is 2**31): step in
        while exact(lo_s) < dtype.min:
            lo_s = np.nextafter(lo_s, np.asarray(np.inf, src))
        while exact(hi_s) > dtype.max:
            hi_s = np.nextafter(hi_s, np.asarray(-np.inf, src))
        x = M.minimum(M.maximum(x, constant(lo_s, x.dtype)), constant(hi_s, x.dtype))
    return M.cast(x, dtype)


# ---- matrix bands and diagonals ---------------------------------------------------------------


def _matrices(x, op):
    if x.ndim < 2:
        raise _errors.InvalidArgumentError(
            f"{op}: input must be at least 2-dim, received shape {x.shape} ({x.dtype.name})"
        )
    return x.shape.as_list()[-2:]


def band_part(input, num_lower, num_upper, name=None):  # noqa: A002 - TF's name
    """TF's ``tf.linalg.band_part``: each matrix with the entries outside the band zeroed
    (``num_lower`` diagonals below, ``num_upper`` above; negative keeps that whole triangle)."""
    x = _t(input)
    m, n = _matrices(x, "MatrixBandPart")
    lower, upper = _int(num_lower, "num_lower"), _int(num_upper, "num_upper")
    if lower > m:
        raise _errors.InvalidArgumentError(
            f"MatrixBandPart: num_lower must be negative or less or equal to number of rows ({m})"
            f" got: {lower}"
        )
    if upper > n:
        raise _errors.InvalidArgumentError(
            f"MatrixBandPart: num_upper must be negative or less or equal to number of columns "
            f"({n}) got: {upper}"
        )
    i, j = np.arange(m)[:, None], np.arange(n)[None, :]
    keep = ((lower < 0) | (i - j <= lower)) & ((upper < 0) | (j - i <= upper))
    if keep.all():
        return A.identity(x)
    return A.where(constant(keep), x, A.zeros_like(x))


def _single_k(k, op):
    ks = A._dims(k)
    if len(ks) == 2 and ks[0] == ks[1]:
        ks = ks[:1]
    if len(ks) != 1:
        raise _errors.UnimplementedError(
            f"{op} with a band of diagonals k={ks} is not supported; pass one diagonal"
        )
    return ks[0]


def diag(
    diagonal,
    name="diag",
    k=0,
    num_rows=-1,
    num_cols=-1,
    padding_value=0,
    align="RIGHT_LEFT",
):
    """TF's ``tf.linalg.diag`` for one diagonal ``k``: matrices with ``diagonal`` on diagonal
    ``k`` and ``padding_value`` elsewhere (one ``GatherV2`` from the diagonal and the pad).

    The matrix size follows TF's rules: square when neither ``num_rows`` nor ``num_cols`` is
    given, else the smallest that holds the diagonal.
    """
    d = _t(diagonal)
    if d.ndim < 1:
        raise _errors.InvalidArgumentError(
            f"MatrixDiagV3: diagonal must be at least 1-dim, received shape {d.shape}"
        )
    k = _single_k(k, "MatrixDiagV3")
    length = d.shape[-1]
    min_rows, min_cols = length + max(-k, 0), length + max(k, 0)
    rows, cols = _int(num_rows, "num_rows"), _int(num_cols, "num_cols")
    if rows == -1 and cols == -1:
        rows = cols = max(min_rows, min_cols)
    elif rows == -1:
        rows = min_rows
    elif cols == -1:
        cols = min_cols
    if rows < min_rows or cols < min_cols or (rows != min_rows and cols != min_cols):
        raise _errors.InvalidArgumentError(
            f"MatrixDiagV3: a {rows}x{cols} matrix does not fit diagonal k={k} of length "
            f"{length} (diagonal shape {d.shape}): it needs {min_rows} rows and {min_cols} "
            "columns, and exactly that many of one of them"
        )
    batch = d.shape.as_list()[:-1]
    pad = A.fill(batch + [1], constant(padding_value, d.dtype))
    source = A.concat([d, pad], d.ndim - 1)
    try:
        index = np.full((rows, cols), length, np.int32)
    except (MemoryError, ValueError) as e:
        raise _errors.ResourceExhaustedError(
            f"OOM when allocating a {rows}x{cols} matrix for MatrixDiagV3 (diagonal shape "
            f"{d.shape}, {d.dtype.name}): {e}"
        ) from None
    i = np.arange(length)
    index[i + max(-k, 0), i + max(k, 0)] = i
    return A.gather(source, constant(index), axis=d.ndim - 1)


def diag_part(input, name="diag_part", k=0, padding_value=0, align="RIGHT_LEFT"):  # noqa: A002
    """TF's ``tf.linalg.diag_part`` for one diagonal ``k`` of each ``[..., M, N]`` matrix."""
    x = _t(input)
    m, n = _matrices(x, "MatrixDiagPartV3")
    k = _single_k(k, "MatrixDiagPartV3")
    if k != 0 and not -m < k < n:
        raise _errors.InvalidArgumentError(
            f"MatrixDiagPartV3: diagonal k={k} is out of bounds for matrices of shape {x.shape}:"
            f" it must be between {-m} and {n} (exclusive)"
        )
    length = max(0, min(m - max(-k, 0), n - max(k, 0)))
    i = np.arange(length)
    index = (i + max(-k, 0)) * n + i + max(k, 0)
    batch = x.shape.as_list()[:-2]
    flat = A.reshape(x, batch + [m * n])
    return A.gather(flat, constant(index.astype(np.int32)), axis=len(batch))


def trace(x, name=None):
    """TF's ``tf.linalg.trace``: the sum of the main diagonal of each ``[..., M, N]`` matrix."""
    return M.reduce_sum(diag_part(x), axis=-1)


# ---- embeddings -------------------------------------------------------------------------------


def embedding_lookup(params, ids, max_norm=None, name=None):
    """TF 2's ``tf.nn.embedding_lookup``: rows of ``params`` (``GatherV2``); a list of shards is
    TF 2's "div" layout (contiguous blocks, the first ones one row longer). ``max_norm`` clips
    each looked-up embedding to that L2 norm."""
    if isinstance(params, list | tuple):
        if not params:
            raise ValueError("embedding_lookup needs at least one params shard")
        shards = [_t(p) for p in params]
        if len(shards) > 1:
            for s in shards:
                if s.ndim == 0:
                    raise ValueError(
                        f"embedding_lookup: each params shard needs rank >= 1, got a scalar of "
                        f"dtype {s.dtype.name}"
                    )
            sizes = [s.shape[0] for s in shards]
            total, count = sum(sizes), len(sizes)
            each, extra = divmod(total, count)
            layout = [each + 1] * extra + [each] * (count - extra)
            if sizes != layout:
                raise ValueError(
                    f"embedding_lookup: shards of {sizes} rows are not the 'div' layout that TF 2 "
                    f"uses for {total} ids over {count} shards ({layout})"
                )
        table = A.concat(shards, 0)
    else:
        table = _t(params)
    ids = _t(ids)
    out = A.gather(table, ids)
    if max_norm is None:
        return out
    # each embedding's own axes (none for scalar embeddings: the norm is the absolute value)
    return M.clip_by_norm(out, max_norm, axes=list(range(ids.ndim, out.ndim)))


_dt._saturate_cast = saturate_cast  # ``tf.dtypes.saturate_cast`` (dtypes loads first)
