"""More of ``tf.nn``, composed from the 2-D kernels and the tape: 3-D convolutions and pools,
the transposed convolutions (each the input gradient of its forward convolution, taken on a
tape, so their own gradients are the forward convolution's), ``convolution`` / ``pool`` by
rank, separable and atrous convolutions, ``space_to_batch``, ``collapse_repeated`` and
``batch_norm_with_global_normalization``. Channels last (NWC, NHWC, NDHWC) only."""

from __future__ import annotations

import numpy as np

from . import _array as A
from . import _complex as C
from . import _math as M
from . import _nn
from . import _sparse as _sp
from ._composed import embedding_lookup
from ._tape import GradientTape
from ._tensor import _op, constant, convert_to_tensor, errors

__all__ = [
    "atrous_conv2d", "atrous_conv2d_transpose", "avg_pool3d",
    "batch_norm_with_global_normalization", "collapse_repeated", "conv1d_transpose", "conv3d",
    "conv3d_transpose", "conv_transpose", "convolution", "depthwise_conv2d_backprop_filter",
    "depthwise_conv2d_backprop_input", "dilation2d", "embedding_lookup_sparse", "erosion2d",
    "max_pool3d", "max_pool_with_argmax", "pool", "safe_embedding_lookup_sparse",
    "separable_conv2d", "space_to_batch",
]  # fmt: skip


def _channels_last(data_format, allowed):
    if data_format not in (None, *allowed):
        raise ValueError(f"Only channels-last data formats {allowed} are supported, got "
                         f"data_format={data_format!r}")  # fmt: skip


def _window(v, n, name, full=True):
    """``v`` (an int or a list of 1, n or n + 2 ints, the batch and channel entries 1) as ``n``
    spatial ints."""
    if v is None:
        return [1] * n
    v = [int(v)] * n if isinstance(v, int | np.integer) else [int(x) for x in v]
    if len(v) == 1:
        v = v * n
    if full and len(v) == n + 2:
        if v[0] != 1 or v[-1] != 1:
            raise errors.InvalidArgumentError(
                None, None, f"{name}: the batch and depth entries must be 1, got {v}"
            )
        v = v[1:-1]
    if len(v) != n:
        raise ValueError(f"{name} must be an int or a list of 1, {n} or {n + 2} ints, got {v}")
    return v


# ---- 3-D convolution and pooling ---------------------------------------------------------------


def _same_pads(size, k, s, d):
    span = (k - 1) * d + 1
    out = -(-size // s)
    total = max((out - 1) * s + span - size, 0)
    return out, [total // 2, total - total // 2]


def conv3d(input, filters, strides, padding, data_format="NDHWC", dilations=None, name=None):  # noqa: A002
    """TF's ``tf.nn.conv3d``: NDHWC input, ``[kd, kh, kw, in, out]`` filters; each depth tap a
    2-D convolution of the depth slices it meets (batch and output depth merged)."""
    _channels_last(data_format, ("NDHWC",))
    x = convert_to_tensor(input)
    f = convert_to_tensor(filters, x.dtype)
    if x.shape.rank != 5 or f.shape.rank != 5:
        raise ValueError(f"conv3d needs a rank-5 input and filter, got {x.shape} and {f.shape}")
    strides, dil = _window(strides, 3, "strides"), _window(dilations, 3, "dilations")
    if x.shape[4] is not None and x.shape[4] != f.shape[3]:
        raise errors.InvalidArgumentError(
            None, "Conv3D", f"input depth must be evenly divisible by filter depth: "
            f"{x.shape[4]} vs {f.shape[3]} [Op:Conv3D]"
        )  # fmt: skip
    k_d, s_d, d_d = f.shape[0], strides[0], dil[0]
    depth = x.shape[1]
    if padding == "SAME":
        out_d, pads = _same_pads(depth, k_d, s_d, d_d)
        x = A.pad(x, [[0, 0], pads, [0, 0], [0, 0], [0, 0]])
    elif padding == "VALID":
        out_d = max(0, (depth - ((k_d - 1) * d_d + 1)) // s_d + 1)
    else:
        _nn._padding_attr("Conv3D", padding)
    total = None
    for kd in range(k_d):
        taps = x[:, kd * d_d : kd * d_d + (out_d - 1) * s_d + 1 : s_d]
        flat = A.reshape(taps, [-1, *x.shape.as_list()[2:]])
        y = _nn.conv2d(flat, f[kd], [1, *strides[1:], 1], padding, dilations=[1, *dil[1:], 1])
        total = y if total is None else total + y
    return A.reshape(total, [-1, out_d, *total.shape.as_list()[1:]])


def _pool3d(kind, input, ksize, strides, padding, data_format):  # noqa: A002
    """The window over H and W (batch and depth merged), then over the depth (H and W merged);
    an average of averages is the average, both counts being those of in-bounds elements."""
    _channels_last(data_format, ("NDHWC",))
    x = convert_to_tensor(input)
    if x.shape.rank != 5:
        raise ValueError(f"{kind}_pool3d needs a rank-5 input, got {x.shape}")
    k, s = _window(ksize, 3, "ksize"), _window(strides, 3, "strides")
    pool2d = _nn.max_pool2d if kind == "max" else _nn.avg_pool2d
    d = x.shape[1]
    y = pool2d(A.reshape(x, [-1, *x.shape.as_list()[2:]]), [1, *k[1:], 1], [1, *s[1:], 1], padding)
    h, w, c = y.shape.as_list()[1:]
    y = pool2d(A.reshape(y, [-1, d, h * w, c]), [1, k[0], 1, 1], [1, s[0], 1, 1], padding)
    return A.reshape(y, [-1, y.shape[1], h, w, c])


def max_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None):  # noqa: A002
    """TF's ``tf.nn.max_pool3d`` (NDHWC)."""
    return _pool3d("max", input, ksize, strides, padding, data_format)


def avg_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None):  # noqa: A002
    """TF's ``tf.nn.avg_pool3d`` (NDHWC; SAME padding's out-of-bounds elements not counted)."""
    return _pool3d("avg", input, ksize, strides, padding, data_format)


# ---- transposed convolutions: the forward convolution's input gradient ------------------------


def _input_gradient(forward, output_shape, dy, dtype):
    """``d forward(z) / dz`` applied to ``dy``, ``z`` of ``output_shape``: the transpose of the
    linear map ``forward``."""
    z = A.zeros(A._dims(output_shape), dtype)
    with GradientTape() as tape:
        tape.watch(z)
        y = forward(z)
    dy = convert_to_tensor(dy, dtype)
    if y.shape.is_fully_defined() and dy.shape.is_fully_defined() and y.shape != dy.shape:
        raise errors.InvalidArgumentError(
            None, None, f"Conv{len(y.shape) - 2}DBackpropInput: the input shape {dy.shape} does "
            f"not match the shape {y.shape} the forward convolution of output_shape "
            f"{A._dims(output_shape)} gives"
        )  # fmt: skip
    return tape.gradient(y, z, output_gradients=dy)


def conv3d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NDHWC",  # noqa: A002
                     dilations=None, name=None):  # fmt: skip
    """TF's ``tf.nn.conv3d_transpose``: ``filters`` ``[kd, kh, kw, out, in]``."""
    _channels_last(data_format, ("NDHWC",))
    x = convert_to_tensor(input)
    f = convert_to_tensor(filters, x.dtype)
    return _input_gradient(lambda z: conv3d(z, f, strides, padding, dilations=dilations),
                           output_shape, x, x.dtype)  # fmt: skip


def conv1d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NWC",  # noqa: A002
                     dilations=None, name=None):  # fmt: skip
    """TF's ``tf.nn.conv1d_transpose``: ``filters`` ``[kw, out, in]``."""
    _channels_last(data_format, ("NWC",))
    x = convert_to_tensor(input)
    f = convert_to_tensor(filters, x.dtype)
    s = _window(strides, 1, "strides")[0]
    d = _window(dilations, 1, "dilations")[0]
    return _input_gradient(lambda z: _nn.conv1d(z, f, s, padding, dilations=d), output_shape, x,
                           x.dtype)  # fmt: skip


def conv_transpose(input, filters, output_shape, strides, padding="SAME", data_format=None,  # noqa: A002
                   dilations=None, name=None):  # fmt: skip
    """TF's ``tf.nn.conv_transpose``: the 1-, 2- or 3-D transposed convolution by the rank of
    ``output_shape``."""
    rank = len(A._dims(output_shape))
    fns = {3: (conv1d_transpose, "NWC"), 4: (_nn.conv2d_transpose, "NHWC"),
           5: (conv3d_transpose, "NDHWC")}  # fmt: skip
    if rank in fns:
        fn, default_format = fns[rank]
        args = (output_shape, strides, padding, data_format or default_format, dilations)
        return fn(input, filters, *args)
    raise ValueError(f"output_shape must be of length 3, 4 or 5 but was {rank}.")


def atrous_conv2d(value, filters, rate, padding, name=None):
    """TF's ``tf.nn.atrous_conv2d``: a stride-1 conv2d dilated by ``rate``."""
    return _nn.conv2d(value, filters, 1, padding, dilations=[1, int(rate), int(rate), 1])


def atrous_conv2d_transpose(value, filters, output_shape, rate, padding, name=None):
    """TF's ``tf.nn.atrous_conv2d_transpose``: the transpose of ``atrous_conv2d``."""
    if int(rate) < 1:
        raise ValueError(f"rate {rate} cannot be less than one")
    x = convert_to_tensor(value)
    f = convert_to_tensor(filters, x.dtype)
    return _input_gradient(lambda z: atrous_conv2d(z, f, rate, padding), output_shape, x, x.dtype)


def depthwise_conv2d_backprop_input(
    input_sizes, filter, out_backprop, strides, padding,  # noqa: A002 - TF's names
    data_format="NHWC", dilations=(1, 1, 1, 1), name=None,
):  # fmt: skip
    """TF's ``tf.nn.depthwise_conv2d_backprop_input``: the input gradient of
    ``depthwise_conv2d``."""
    dy = convert_to_tensor(out_backprop)
    f = convert_to_tensor(filter, dy.dtype)

    def forward(z):
        return _nn.depthwise_conv2d(z, f, strides, padding, data_format, list(dilations))

    return _input_gradient(forward, input_sizes, dy, dy.dtype)


def depthwise_conv2d_backprop_filter(
    input, filter_sizes, out_backprop, strides, padding,  # noqa: A002 - TF's names
    data_format="NHWC", dilations=(1, 1, 1, 1), name=None,
):  # fmt: skip
    """TF's ``tf.nn.depthwise_conv2d_backprop_filter``: the filter gradient of
    ``depthwise_conv2d``."""
    dy = convert_to_tensor(out_backprop)
    x = convert_to_tensor(input, dy.dtype)

    def forward(f):
        return _nn.depthwise_conv2d(x, f, strides, padding, data_format, list(dilations))

    return _input_gradient(forward, filter_sizes, dy, dy.dtype)


def separable_conv2d(input, depthwise_filter, pointwise_filter, strides, padding,  # noqa: A002
                     data_format=None, dilations=None, name=None):  # fmt: skip
    """TF's ``tf.nn.separable_conv2d``: ``depthwise_conv2d`` then a 1x1 ``conv2d``."""
    dil = None if dilations is None else [1, *_window(dilations, 2, "dilations"), 1]
    y = _nn.depthwise_conv2d(input, depthwise_filter, strides, padding, data_format, dil)
    return _nn.conv2d(y, pointwise_filter, [1, 1, 1, 1], "VALID", data_format or "NHWC")


# ---- by rank -----------------------------------------------------------------------------------


def convolution(input, filters, strides=None, padding="VALID", data_format=None,  # noqa: A002
                dilations=None, name=None):  # fmt: skip
    """TF's ``tf.nn.convolution``: ``conv1d``, ``conv2d`` or ``conv3d`` by the input's rank
    (``strides`` / ``dilations``: one int or one per spatial dim)."""
    x = convert_to_tensor(input)
    n = x.shape.rank - 2
    if n not in (1, 2, 3):
        raise ValueError(f"`input` must have rank 3, 4 or 5 (got shape {x.shape})")
    s, d = _window(strides, n, "strides", False), _window(dilations, n, "dilations", False)
    if n == 1:
        return _nn.conv1d(x, filters, s[0], padding, data_format or "NWC", d[0])
    if n == 2:
        return _nn.conv2d(x, filters, [1, *s, 1], padding, data_format or "NHWC", [1, *d, 1])
    return conv3d(x, filters, [1, *s, 1], padding, data_format or "NDHWC", [1, *d, 1])


def pool(input, window_shape, pooling_type, strides=None, padding="VALID", data_format=None,  # noqa: A002
         dilations=None, name=None):  # fmt: skip
    """TF's ``tf.nn.pool``: "MAX" or "AVG" pooling over 1, 2 or 3 spatial dims."""
    x = convert_to_tensor(input)
    n = x.shape.rank - 2
    if pooling_type not in ("MAX", "AVG"):
        raise ValueError(f"Invalid pooling_type: {pooling_type}")
    if any(v != 1 for v in _window(dilations, n, "dilations", False)):
        raise errors.UnimplementedError("tf.nn.pool with dilations > 1 is not supported here")
    k, s = _window(window_shape, n, "window_shape", False), _window(strides, n, "strides", False)
    kind = pooling_type.lower()
    if n == 3:
        return _pool3d(kind, x, k, s, padding, data_format)
    if n == 2:
        fn = _nn.max_pool2d if kind == "max" else _nn.avg_pool2d
        return fn(x, [1, *k, 1], [1, *s, 1], padding, data_format or "NHWC")
    if n == 1:
        fn = _nn.max_pool2d if kind == "max" else _nn.avg_pool2d
        y = fn(A.expand_dims(x, 1), [1, 1, k[0], 1], [1, 1, s[0], 1], padding)
        return A.squeeze(y, [1])
    raise ValueError(f"`input` must have rank 3, 4 or 5 (got shape {x.shape})")


# ---- the rest ----------------------------------------------------------------------------------


def space_to_batch(input, block_shape, paddings, name=None):  # noqa: A002
    """TF's ``tf.nn.space_to_batch`` (``space_to_batch_nd``): the spatial dims padded, cut
    into ``block_shape`` blocks, and the block offsets moved into the batch."""
    x = convert_to_tensor(input)
    blocks = [int(b) for b in np.asarray(block_shape).reshape(-1)]
    pads = np.asarray(paddings.numpy() if hasattr(paddings, "numpy") else paddings).reshape(-1, 2)
    m = len(blocks)
    shape = x.shape.as_list()
    rest = shape[1 + m :]
    x = A.pad(x, [[0, 0], *pads.tolist(), *[[0, 0]] * len(rest)])
    padded = x.shape.as_list()[1 : 1 + m]
    if any(p % b for p, b in zip(padded, blocks)):
        raise errors.InvalidArgumentError(
            None, "SpaceToBatchND", f"padded_shape {padded} must be divisible by block_shape "
            f"{blocks} [Op:SpaceToBatchND]"
        )  # fmt: skip
    split = [v for p, b in zip(padded, blocks) for v in (p // b, b)]
    x = A.reshape(x, [-1, *split, *rest])
    perm = [2 + 2 * i for i in range(m)] + [0] + [1 + 2 * i for i in range(m)]
    perm += list(range(1 + 2 * m, 1 + 2 * m + len(rest)))
    x = A.transpose(x, perm)
    return A.reshape(x, [-1, *[p // b for p, b in zip(padded, blocks)], *rest])


def collapse_repeated(labels, seq_length, name=None):
    """TF's ``tf.nn.collapse_repeated``: runs of a repeated label merged into one in each row of
    ``labels`` ``[batch, max_len]``, left-aligned and zero-padded; returns ``(labels, lengths)``
    (the width the largest new length)."""
    x = convert_to_tensor(labels)
    lengths = convert_to_tensor(seq_length)
    width = x.shape[1]
    pos = A.range(width)
    inside = M.less(A.expand_dims(pos, 0), A.expand_dims(M.cast(lengths, "int32"), 1))
    prev = A.concat([A.zeros_like(x[:, :1]) + x[:, :1] + 1, x[:, :-1]], 1)
    keep = M.logical_and(inside, M.not_equal(x, prev))
    new_len = M.reduce_sum(M.cast(keep, "int32"), 1)
    slot = M.cumsum(M.cast(keep, "int32"), 1) - 1  # each kept label's place in its row
    rows = A.broadcast_to(A.expand_dims(A.range(A.shape(x)[0]), 1), A.shape(x))
    at = A.stack([A.boolean_mask(rows, keep), A.boolean_mask(slot, keep)], 1)
    out = A.scatter_nd(at, A.boolean_mask(x, keep), A.shape(x))
    return out[:, : M.reduce_max(new_len)], M.cast(new_len, lengths.dtype)


def batch_norm_with_global_normalization(
    t=None,
    m=None,
    v=None,
    beta=None,
    gamma=None,
    variance_epsilon=None,
    scale_after_normalization=None,
    input=None,  # noqa: A002 - TF's name
    mean=None,
    variance=None,
    name=None,
):
    """TF's ``tf.nn.batch_norm_with_global_normalization``: ``batch_normalization`` with
    ``gamma`` applied only when ``scale_after_normalization``."""
    x = input if input is not None else t
    mu = mean if mean is not None else m
    var = variance if variance is not None else v
    scale = gamma if scale_after_normalization else None
    return _nn.batch_normalization(x, mu, var, beta, scale, variance_epsilon)


# ---- embeddings of sparse ids ------------------------------------------------------------------


def embedding_lookup_sparse(params, sp_ids, sp_weights, combiner=None, max_norm=None, name=None,
                            allow_fast_lookup=False):  # fmt: skip
    """TF's ``tf.nn.embedding_lookup_sparse``: per row of ``sp_ids`` (``[rows, k]``, rows in
    order), the "sum", "mean" (default) or "sqrtn" of its ids' embeddings, weighted by
    ``sp_weights``; as many rows as the last row with an id, plus one."""
    combiner = "mean" if combiner is None else combiner
    if combiner not in ("mean", "sqrtn", "sum"):
        raise ValueError(f"combiner must be one of 'mean', 'sqrtn' or 'sum', got {combiner}")
    rows = sp_ids.indices[:, 0]
    emb = embedding_lookup(params, sp_ids.values, max_norm=max_norm)
    if sp_weights is None:
        weights = A.ones_like(M.cast(sp_ids.values, emb.dtype))
    else:
        weights = M.cast(sp_weights.values, emb.dtype)
    lead = [-1] + [1] * (emb.shape.rank - 1)
    total = _op("SegmentSum", [emb * A.reshape(weights, lead), rows])
    if combiner == "sum":
        return total
    norm = weights if combiner == "mean" else M.square(weights)
    norm = _op("SegmentSum", [norm, rows])
    norm = norm if combiner == "mean" else M.sqrt(norm)
    return M.divide_no_nan(total, A.reshape(norm, lead))


def safe_embedding_lookup_sparse(embedding_weights, sparse_ids, sparse_weights=None,
                                 combiner="mean", default_id=None, max_norm=None, name=None,
                                 allow_fast_lookup=False):  # fmt: skip
    """TF's ``tf.nn.safe_embedding_lookup_sparse``: ``embedding_lookup_sparse`` after dropping
    negative ids and non-positive weights; an empty row gets ``default_id``'s embedding (zeros
    when None); ids of rank > 2 give ``[*dense_shape[:-1], dim]``."""
    ids, weights = sparse_ids, sparse_weights
    outer = ids.dense_shape[:-1]
    if ids.shape.rank != 2:  # rows flattened: [prod(outer), last]
        flat = [M.reduce_prod(outer), ids.dense_shape[-1]]
        ids = _sp.SparseTensor(_flat_rows(ids), ids.values, flat)
        if weights is not None:
            weights = _sp.SparseTensor(_flat_rows(weights), weights.values, flat)
    keep = M.greater_equal(ids.values, 0)
    if weights is not None:
        keep = M.logical_and(keep, M.greater(weights.values, 0))
        weights = _sp.retain(weights, keep)
    ids = _sp.retain(ids, keep)
    ids, empty = _sp.fill_empty_rows(ids, 0 if default_id is None else default_id)
    if weights is not None:
        weights, _ = _sp.fill_empty_rows(weights, 1)
    out = embedding_lookup_sparse(embedding_weights, ids, weights, combiner, max_norm)
    if default_id is None:
        mask = A.reshape(empty, [-1] + [1] * (out.shape.rank - 1))
        out = A.where(mask, A.zeros_like(out), out)
    return A.reshape(out, A.concat([M.cast(outer, "int32"), A.shape(out)[1:]], 0))


def _flat_rows(sp):
    """``sp``'s indices with all but the last dim merged into one row index."""
    idx, shape = sp.indices, sp.dense_shape
    strides = A.concat([C.cumprod(shape[1:-1], reverse=True), A.ones([1], shape.dtype)], 0)
    return A.stack([M.reduce_sum(idx[:, :-1] * strides, 1), idx[:, -1]], 1)


# ---- windowed max: morphology and pooling with argmax ------------------------------------------


def _windows(x, size, strides, rates, padding, fill):
    """The ``[kh * kw]`` strided views of NHWC ``x`` (padded with ``fill`` for SAME), one per
    window tap, with each tap's (row, column) offsets and the output's top-left input corner."""
    _, h, w, _ = x.shape.as_list()
    spans = [(k - 1) * r + 1 for k, r in zip(size, rates)]
    if padding == "SAME":
        (oh, ph), (ow, pw) = (
            _same_pads(n, k, s, r) for n, k, s, r in zip((h, w), size, strides, rates)
        )
    elif padding == "VALID":
        oh, ow = ((n - sp) // s + 1 for n, sp, s in zip((h, w), spans, strides))
        ph = pw = [0, 0]
    else:
        raise ValueError(f"padding must be 'SAME' or 'VALID', got {padding!r}")
    x = A.pad(x, [[0, 0], ph, pw, [0, 0]], constant_values=fill)
    taps = []
    for dy in range(size[0]):
        for dx in range(size[1]):
            y0, x0 = dy * rates[0], dx * rates[1]
            view = x[:, y0 : y0 + (oh - 1) * strides[0] + 1 : strides[0],
                     x0 : x0 + (ow - 1) * strides[1] + 1 : strides[1]]  # fmt: skip
            taps.append((view, dy, dx))
    return taps, (oh, ow), (ph[0], pw[0])


def _lowest(dtype):
    return (
        float(np.finfo(dtype.as_numpy_dtype).min)
        if dtype.is_floating
        else int(np.iinfo(dtype.as_numpy_dtype).min)
    )


def dilation2d(input, filters, strides, padding, data_format="NHWC", dilations=None, name=None):  # noqa: A002
    """TF's ``tf.nn.dilation2d``: grayscale morphological dilation, the max over each window of
    ``input + filters`` (``filters`` ``[kh, kw, channels]``)."""
    _channels_last(data_format, ("NHWC",))
    x = convert_to_tensor(input)
    f = convert_to_tensor(filters, x.dtype)
    if x.shape[3] is not None and x.shape[3] != f.shape[2]:
        raise errors.InvalidArgumentError(
            None, "Dilation2D", f"input and filter must have the same depth: {x.shape[3]} vs "
            f"{f.shape[2]} [Op:Dilation2D]"
        )  # fmt: skip
    s, r = _window(strides, 2, "strides"), _window(dilations, 2, "dilations")
    taps, _, _ = _windows(x, f.shape.as_list()[:2], s, r, padding, _lowest(x.dtype))
    return M.reduce_max(A.stack([v + f[dy, dx] for v, dy, dx in taps], 0), 0)


def erosion2d(value, filters, strides, padding, data_format, dilations, name=None):
    """TF's ``tf.nn.erosion2d``: the min over each window of ``value - filters`` (the filters
    mirrored, as TF's ``-dilation2d(-value, reversed filters)``)."""
    f = A.reverse(convert_to_tensor(filters), [0, 1])
    return M.negative(dilation2d(M.negative(convert_to_tensor(value)), f, strides, padding,
                                 data_format, dilations))  # fmt: skip


def max_pool_with_argmax(
    input, ksize, strides, padding, data_format="NHWC",  # noqa: A002 - TF's name
    output_dtype="int64", include_batch_in_index=False, name=None,
):  # fmt: skip
    """TF's ``tf.nn.max_pool_with_argmax``: the max pool and, for each output, the flat index
    ``(y * width + x) * channels + c`` (plus ``b * height * width * channels`` with
    ``include_batch_in_index``) of its first maximum."""
    _channels_last(data_format, ("NHWC",))
    x = convert_to_tensor(input)
    n, h, w, c = x.shape.as_list()
    size, s = _window(ksize, 2, "ksize"), _window(strides, 2, "strides")
    taps, (oh, ow), (top, left) = _windows(x, size, s, [1, 1], padding, _lowest(x.dtype))
    values = A.stack([v for v, _, _ in taps], 0)
    best = M.argmax(values, 0, output_type="int32")
    out = M.reduce_max(values, 0)
    rows = np.arange(oh)[:, None] * s[0] - top
    cols = np.arange(ow)[None, :] * s[1] - left
    flat = np.stack([((rows + dy) * w + cols + dx) * c for _, dy, dx in taps])  # [k, oh, ow]
    table = constant(flat[:, None, :, :, None] + np.arange(c), "int64")  # [k, 1, oh, ow, c]
    picked = M.equal(
        A.expand_dims(best, 0), constant(np.arange(len(taps)).reshape(-1, 1, 1, 1, 1), "int32")
    )
    where = M.reduce_sum(M.cast(picked, "int64") * table, 0)
    if include_batch_in_index:
        batch = A.reshape(A.range(A.shape(x)[0], dtype="int64"), [-1, 1, 1, 1])
        where = where + batch * (h * w * c)
    return out, M.cast(where, output_dtype)
