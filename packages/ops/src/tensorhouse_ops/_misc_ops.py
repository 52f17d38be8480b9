"""TF's smaller top-level names: grouping (``no_op``, ``group``, ``tuple``, ``identity_n``),
static inspection (``get_static_value``, ``inside_function``, ``is_symbolic_tensor``), array ops
composed from others (``reverse_sequence``, ``dynamic_partition``, ``dynamic_stitch``,
``histogram_fixed_width``, the scatters' max / min), broadcast shapes, ``tf.random``'s seed
splitting, the v2 initializers and the variable / gradient enums."""

from __future__ import annotations

import enum
import time

import numpy as np

from tensorhouse_kernels import broadcast_shape
from tensorhouse_kernels.runtime import errors

from . import _array, _math, _pyfunc, _random, _segment
from . import dtypes as _dt
from ._custom_gradient import custom_gradient
from ._graph import GraphTensor, shape_text
from ._tensor import Tensor, TensorShape, VariableLike, convert_to_tensor

__all__ = [
    "AggregationMethod", "Algorithm", "VariableAggregation", "VariableSynchronization",
    "broadcast_dynamic_shape", "broadcast_static_shape", "constant_initializer",
    "dynamic_partition", "dynamic_stitch", "ensure_shape", "fold_in", "get_logger",
    "get_static_value", "grad_pass_through", "group", "histogram_fixed_width",
    "histogram_fixed_width_bins", "identity_n", "inside_function", "is_symbolic_tensor",
    "make_ndarray", "make_tensor_proto", "no_op", "ones_initializer", "random_normal_initializer",
    "random_uniform_initializer", "reverse_sequence", "scalar_mul", "split",
    "stateless_categorical", "tensor_scatter_nd_max", "tensor_scatter_nd_min",
    "tensor_scatter_nd_sub", "timestamp", "tuple", "unravel_index", "zeros_initializer",
]  # fmt: skip


def _t(x, dtype=None):
    return x._th_read() if isinstance(x, VariableLike) else convert_to_tensor(x, dtype)


def no_op(name=None):
    """TF's ``tf.no_op``: does nothing (None; graph ops here run in traced order)."""


def group(*inputs, name=None):
    """TF's ``tf.group``: None; the grouped ops run anyway (traced order keeps side effects)."""


def tuple(tensors, control_inputs=None, name=None):  # noqa: A001 - TF's name
    """TF's ``tf.tuple``: the tensors, each through ``identity`` (None stays None)."""
    return [None if t is None else _array.identity(_t(t)) for t in tensors]


def identity_n(input, name=None):  # noqa: A002 - TF's name
    """TF's ``tf.identity_n``: a list of identities of the inputs."""
    return [_array.identity(_t(t)) for t in input]


def inside_function():
    """TF's ``tf.inside_function``: True while a ``tf.function`` is being traced."""
    return not _pyfunc.executing_eagerly()


def is_symbolic_tensor(tensor):
    """TF's ``tf.is_symbolic_tensor``: True for a traced graph's tensor."""
    return isinstance(tensor, GraphTensor)


def get_static_value(tensor, partial=False):
    """TF's ``tf.get_static_value``: the NumPy value when known without running a graph (an
    eager tensor, a traced constant, a traced shape of known dims), else None."""
    if isinstance(tensor, VariableLike):
        return None if inside_function() else tensor._th_read().numpy()
    if not isinstance(tensor, Tensor):
        return tensor
    if not isinstance(tensor, GraphTensor):
        return tensor.numpy()
    if tensor.op.type == "Const":
        return tensor.op.attrs["value"].numpy()
    ref = tensor._dimref
    if ref is not None and all(isinstance(e, int) for e in ref):
        return np.array(ref, dtype=tensor.dtype._np)
    return None


def ensure_shape(x, shape, name=None):
    """TF's ``tf.ensure_shape``: ``x``, checked against ``shape`` (None: any size) and given it as
    its static shape; a mismatch raises InvalidArgumentError (ValueError when known at trace)."""
    x, want = _t(x), TensorShape(shape)
    if not x.shape.is_compatible_with(want):
        text = f"Shape of tensor {x.name if inside_function() else 'x'} {_fmt(x.shape)} is not "
        text += f"compatible with expected shape {_fmt(want)}."
        if inside_function():
            raise ValueError(text)
        raise errors.InvalidArgumentError(f"{text} [Op:EnsureShape]")
    out = _array.identity(x)
    if inside_function() and want.rank is not None and not x.shape.is_fully_defined():

        def test(arrays):
            if not _fits(arrays[0].shape, want.dims):
                raise errors.InvalidArgumentError(
                    f"Shape of tensor {x.name} {list(arrays[0].shape)} is not compatible with "
                    f"expected shape {_fmt(want)}."
                )
            return []

        _pyfunc.host_call("PyFunc", test, [x], [], "EnsureShape", arrays=True)
        out.set_shape(want)
    return out


def _fmt(shape):
    if shape.rank is None:
        return "<unknown>"
    return shape_text(shape.dims)


def _fits(dims, want):
    return len(dims) == len(want) and all(w is None or w == d for d, w in zip(dims, want))


def scalar_mul(scalar, x, name=None):
    """TF's ``tf.scalar_mul``: ``scalar * x`` for a rank-0 ``scalar``; ValueError otherwise."""
    x = _t(x)
    s = _t(scalar, x.dtype if not isinstance(scalar, Tensor) else None)
    if s.shape.rank != 0:
        raise ValueError(f"The input scalar must be a 0-D value. Received shape {s.shape}.")
    return _math.multiply(s, x)


def timestamp(name=None):
    """TF's ``tf.timestamp``: seconds since the epoch as a float64 scalar, read each time the
    op runs (inside a ``tf.function``: each call)."""

    def now(arrays):
        return [np.array(time.time(), np.float64)]

    return _pyfunc.host_call("PyFunc", now, [], [((), _dt.float64)], "Timestamp", arrays=True)[0]


def get_logger():
    """TF's ``tf.get_logger``: the ``logging`` logger named "tensorflow"."""
    import logging  # on first use: 3 ms of import time

    return logging.getLogger("tensorflow")


def tensor_scatter_nd_sub(tensor, indices, updates, name=None):
    """TF's ``tf.tensor_scatter_nd_sub``: ``tensor`` minus the updates scattered to ``indices``."""
    x = _t(tensor)
    updates = _t(updates, x.dtype if not isinstance(updates, Tensor) else None)
    return _math.subtract(x, _array.scatter_nd(_t(indices), updates, x.shape.as_list()))


def _scatter_extreme(kind):
    segment, pick = ((_segment.unsorted_segment_max, _math.maximum) if kind == "max"
                     else (_segment.unsorted_segment_min, _math.minimum))  # fmt: skip

    def scatter(tensor, indices, updates, name=None):
        x, idx = _t(tensor), _math.cast(_t(indices), _dt.int64)
        updates = _t(updates, x.dtype if not isinstance(updates, Tensor) else None)
        dims = _array.shape(x, _dt.int64)
        k = idx.shape[-1]
        lead, inner = dims[:k], dims[k:]
        strides = _math.cumprod(lead, exclusive=True, reverse=True)
        flat = _math.reduce_sum(idx * strides, axis=-1)  # each index as one segment id
        rows = _array.reshape(updates, _array.concat([[-1], inner], 0))
        num = _math.reduce_prod(lead)
        seg = segment(rows, _array.reshape(flat, [-1]), num)  # untouched rows: the identity
        base = _array.reshape(x, _array.concat([[-1], inner], 0))
        return _array.reshape(pick(base, seg), dims)

    scatter.__name__ = scatter.__qualname__ = f"tensor_scatter_nd_{kind}"
    scatter.__doc__ = f"TF's ``tf.tensor_scatter_nd_{kind}``: ``tensor`` and the updates at "
    scatter.__doc__ += f"``indices`` combined by elementwise {kind}."
    return scatter


tensor_scatter_nd_max = _scatter_extreme("max")
tensor_scatter_nd_min = _scatter_extreme("min")


def broadcast_static_shape(shape_x, shape_y):
    """TF's ``tf.broadcast_static_shape``: the broadcast ``TensorShape`` (None: unknown)."""
    x, y = TensorShape(shape_x), TensorShape(shape_y)
    if x.rank is None or y.rank is None:
        return TensorShape(None)
    try:
        return TensorShape(broadcast_shape("BroadcastArgs", tuple(x.dims), tuple(y.dims)))
    except errors.InvalidArgumentError:
        raise ValueError(
            "Incompatible shapes for broadcasting. Two shapes are compatible if for each "
            "dimension pair they are either equal or one of them is 1. Received: "
            f"{x} and {y}."
        ) from None


def broadcast_dynamic_shape(shape_x, shape_y):
    """TF's ``tf.broadcast_dynamic_shape``: the broadcast of two 1-D shape tensors (checked
    when the values are known: eagerly, or each time the traced function runs)."""
    x = _t(shape_x)
    y = _t(shape_y, x.dtype if not isinstance(shape_y, Tensor) else None)
    n = max(x.shape[0], y.shape[0])
    x = _array.concat([_array.ones([n - x.shape[0]], x.dtype), x], 0)
    y = _array.concat([_array.ones([n - y.shape[0]], y.dtype), y], 0)

    def test(arrays):
        a, b = arrays[:2]
        if ((a != b) & (a != 1) & (b != 1)).any():
            a_text, b_text = shape_text(arrays[2].tolist()), shape_text(arrays[3].tolist())
            raise errors.InvalidArgumentError(
                f"Incompatible shapes: {a_text} vs. {b_text} [Op:BroadcastArgs]"
            )
        return []

    _pyfunc.host_call("PyFunc", test, [x, y, _t(shape_x), _t(shape_y)], [], "BroadcastArgs",
                      arrays=True)  # fmt: skip
    return _array.where(_math.equal(x, 1), y, x)


_TF_TYPE = {"float32": "float", "float64": "double", "float16": "half"}  # TF's C type names


def unravel_index(indices, dims, name=None):
    """TF's ``tf.unravel_index``: flat indices as coordinates in ``dims`` (shape
    ``[len(dims)] + indices.shape``; C's truncating division, as TF's kernel)."""
    idx = _t(indices)
    if idx.dtype not in (_dt.int32, _dt.int64):
        raise errors.InvalidArgumentError(
            f"Value for attr 'Tidx' of {_TF_TYPE.get(idx.dtype.name, idx.dtype.name)} is not in "
            "the list of allowed values: "
            "int32, int64 [Op:UnravelIndex]"
        )
    d = _math.cast(_t(dims), idx.dtype)
    column = [-1] + [1] * idx.shape.rank
    strides = _array.reshape(_math.cumprod(d, exclusive=True, reverse=True), column)
    total = _math.reduce_prod(d)

    def test(arrays):
        if (arrays[0] >= arrays[1]).any():
            raise errors.InvalidArgumentError(
                "index is out of bound as with dims [Op:UnravelIndex]"
            )
        return []

    _pyfunc.host_call("PyFunc", test, [idx, total], [], "UnravelIndex", arrays=True)
    coords = _math.truncatediv(_array.expand_dims(idx, 0), strides)
    return _math.truncatemod(coords, _array.reshape(d, column))


def reverse_sequence(input, seq_lengths, seq_axis=None, batch_axis=None, name=None):  # noqa: A002
    """TF's ``tf.reverse_sequence``: for each batch entry ``b``, the first ``seq_lengths[b]``
    entries along ``seq_axis`` reversed (a gather, so the gradient is a scatter)."""
    x = _t(input)
    lengths = _math.cast(_t(seq_lengths), _dt.int32)
    seq_axis, batch_axis = int(seq_axis or 0), int(batch_axis or 0)
    rank = x.shape.rank
    seq_axis, batch_axis = seq_axis % rank, batch_axis % rank
    if seq_axis == batch_axis:
        raise errors.InvalidArgumentError(
            f"seq_dim must not equal batch_dim: {seq_axis} [Op:ReverseSequence]"
        )
    rest = [a for a in range(rank) if a not in (batch_axis, seq_axis)]
    perm = [batch_axis, seq_axis, *rest]
    xt = _array.transpose(x, perm)
    steps = _array.range(_array.shape(xt)[1])
    lens = _array.expand_dims(lengths, 1)
    idx = _array.where(_math.less(steps, lens), lens - 1 - steps, steps + 0 * lens)
    out = _array.gather(xt, idx, axis=1, batch_dims=1)
    return _array.transpose(out, list(np.argsort(perm)))


def dynamic_partition(data, partitions, num_partitions, name=None):
    """TF's ``tf.dynamic_partition``: ``num_partitions`` tensors, the ``i``-th holding the
    entries of ``data`` whose partition is ``i``, in order."""
    data, parts = _t(data), _t(partitions)
    if parts.dtype != _dt.int32:
        raise TypeError(f"Value passed to parameter 'partitions' has DataType {parts.dtype.name}"
                        " not in list of allowed values: int32")  # fmt: skip
    return [_array.boolean_mask(data, _math.equal(parts, i)) for i in range(int(num_partitions))]


def dynamic_stitch(indices, data, name=None):
    """TF's ``tf.dynamic_stitch``: ``merged[indices[m][i]] = data[m][i]``; for a repeated index
    the last value wins, as in TF's CPU kernel."""
    idx = [_t(i) for i in indices]
    vals = [_t(d) for d in data]
    inner = vals[0].shape.as_list()[idx[0].shape.rank :]
    flat_idx = _array.concat([_array.reshape(i, [-1]) for i in idx], 0)
    flat_val = _array.concat([_array.reshape(v, [-1, *inner]) for v in vals], 0)
    n = _math.reduce_max(flat_idx) + 1 if flat_idx.shape.num_elements() != 0 else 0
    zeros = _array.zeros([n, *inner], flat_val.dtype)
    return _array.tensor_scatter_nd_update(zeros, _array.expand_dims(flat_idx, 1), flat_val)


def histogram_fixed_width_bins(values, value_range, nbins=100, dtype=_dt.int32, name=None):
    """TF's ``tf.histogram_fixed_width_bins``: the bin of each value (``nbins`` equal bins over
    ``value_range``; values outside go to the first or last bin)."""
    v = _t(values)
    lo, hi = _array.unstack(_math.cast(_t(value_range), v.dtype))
    scaled = _math.divide(v - lo, hi - lo)
    nbins_f = _math.cast(_t(nbins), scaled.dtype)
    bins = _math.clip_by_value(_math.floor(nbins_f * scaled), 0, nbins_f - 1)
    return _math.cast(bins, dtype)


def histogram_fixed_width(values, value_range, nbins=100, dtype=_dt.int32, name=None):
    """TF's ``tf.histogram_fixed_width``: the count of values in each of ``nbins`` bins."""
    bins = _array.reshape(histogram_fixed_width_bins(values, value_range, nbins), [-1])
    ones = _array.ones_like(bins, dtype=dtype)
    return _math.unsorted_segment_sum(ones, bins, nbins)


def grad_pass_through(f):
    """TF's ``tf.grad_pass_through``: ``f`` forward, the identity's gradient backward."""

    @custom_gradient
    def wrapped(*args):
        return f(*args), lambda *dys: dys if len(dys) > 1 else dys[0]

    return wrapped


def make_tensor_proto(values, dtype=None, shape=None, verify_shape=False, allow_broadcast=False):
    """TF's ``tf.make_tensor_proto``: a ``TensorProto`` (``tensor_content`` for more than one
    number, else the typed value field; a ``shape`` larger than the values is filled by
    ``make_ndarray`` with the last value, as TF's)."""
    from ._example import _DT, _VALUE_FIELDS, TensorProto  # protobuf: on first use

    t = _t(values, dtype)
    arr, name = np.asarray(t.numpy()), t.dtype.name
    if name not in _VALUE_FIELDS and name != "float16":
        raise TypeError(f"make_tensor_proto does not support {name} here")
    n = arr.size
    if shape is not None:
        shape, n = (*(int(d) for d in shape),), int(np.prod(shape, dtype=np.int64))
        if (allow_broadcast and arr.shape not in ((1,), ()) and arr.size != n) or (
            verify_shape and not allow_broadcast and arr.shape != shape
        ):
            raise TypeError(f"Expected Tensor's shape: {shape}, but got {arr.shape}.")
        if arr.size > n:
            raise ValueError(f"Too many elements provided. Takes at most {n}, but got {arr.size}.")
    proto = TensorProto(dtype=_DT[name][0])
    proto.tensor_shape.SetInParent()
    for d in arr.shape if shape is None else shape:
        proto.tensor_shape.dim.add(size=d)
    flat = arr.reshape(-1)
    if arr.size == n > 1 and name not in ("string", "bool"):
        proto.tensor_content = flat.astype(flat.dtype.newbyteorder("<")).tobytes()
    elif name == "float16":
        proto.half_val.extend(flat.view(np.uint16).tolist())
    else:
        getattr(proto, _VALUE_FIELDS[name]).extend(flat.tolist())
    return proto


def make_ndarray(tensor):
    """TF's ``tf.make_ndarray``: the NumPy array of a ``TensorProto``."""
    from ._example import _DT_BY_NUMBER, parse_array

    return parse_array(tensor.SerializeToString(), _DT_BY_NUMBER[tensor.dtype][0])


class Algorithm(enum.Enum):
    """TF's ``tf.random.Algorithm`` (the streams here are Philox ones, not TF's bit for bit)."""

    PHILOX = 1
    THREEFRY = 2
    AUTO_SELECT = 3


def _int_range(dtype):
    info = np.iinfo(dtype._np)
    return int(info.min), int(info.max)


def split(seed, num=2, alg="auto_select"):
    """TF's ``tf.random.split``: ``num`` new seeds (shape ``[num, 2]``, the seed's dtype) drawn
    from ``seed`` by a stateless random op: the same seed gives the same new seeds."""
    seed = _t(seed)
    lo, hi = _int_range(seed.dtype)
    return _random.stateless_uniform([num, 2], seed, lo, hi, seed.dtype)


def fold_in(seed, data, alg="auto_select"):
    """TF's ``tf.random.fold_in``: a new seed ``[draw from seed, data]`` (``data``'s dtype)."""
    data = _t(data)
    lo, hi = _int_range(data.dtype)
    return _array.stack([_random.stateless_uniform([], seed, lo, hi, data.dtype), data])


def stateless_categorical(logits, num_samples, seed, dtype=_dt.int64, name=None):
    """TF's ``tf.random.stateless_categorical``: ``num_samples`` class draws per row of
    ``logits`` (the Gumbel-max trick on a stateless uniform draw: the same seed gives the same
    classes; the numbers are this library's streams, not TF's)."""
    logits = _t(logits)
    shape = _array.concat([_array.shape(logits)[:1], [int(num_samples)],
                           _array.shape(logits)[1:]], 0)  # fmt: skip
    tiny = float(np.finfo(logits.dtype._np).tiny)
    u = _random.stateless_uniform(shape, seed, tiny, 1.0, logits.dtype)
    gumbel = -_math.log(-_math.log(u))
    return _math.argmax(_array.expand_dims(logits, 1) + gumbel, -1, _dt.as_dtype(dtype))


# ---- enums and initializers --------------------------------------------------------------------


class VariableAggregation(enum.Enum):
    """TF's ``tf.VariableAggregation``: how a distributed variable's replica updates combine."""

    NONE = 0
    SUM = 1
    MEAN = 2
    ONLY_FIRST_REPLICA = 3


class VariableSynchronization(enum.Enum):
    """TF's ``tf.VariableSynchronization``: when a distributed variable is synchronized."""

    AUTO = 0
    NONE = 1
    ON_WRITE = 2
    ON_READ = 3


class AggregationMethod:
    """TF's ``tf.AggregationMethod``: the ways gradients sum (all add here)."""

    ADD_N = 0
    DEFAULT = ADD_N
    EXPERIMENTAL_TREE = 1
    EXPERIMENTAL_ACCUMULATE_N = 2


class _Initializer:
    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class zeros_initializer(_Initializer):
    """TF's ``tf.zeros_initializer``: ``init(shape, dtype=tf.float32)`` gives zeros."""

    def __call__(self, shape, dtype=_dt.float32, **kwargs):
        return _array.zeros(shape, _dt.as_dtype(dtype))


class ones_initializer(_Initializer):
    """TF's ``tf.ones_initializer``: ``init(shape, dtype=tf.float32)`` gives ones."""

    def __call__(self, shape, dtype=_dt.float32, **kwargs):
        return _array.ones(shape, _dt.as_dtype(dtype))


class constant_initializer(_Initializer):
    """TF's ``tf.constant_initializer``: ``value`` (a scalar fills; a list must have as many
    elements as the shape and is reshaped to it)."""

    def __init__(self, value=0, support_partition=False):
        if not (np.isscalar(value) or isinstance(value, list | np.ndarray | Tensor | type(()))):
            raise TypeError(f"Invalid type for initial value={value} of type: {type(value)}.")
        self.value, self.support_partition = value, support_partition

    def __call__(self, shape, dtype=None, **kwargs):
        dtype = _dt.float32 if dtype is None else _dt.as_dtype(dtype)
        value = convert_to_tensor(self.value, dtype)
        if value.shape.rank == 0:
            return _array.fill(shape, value)
        return _array.reshape(value, shape)

    def get_config(self):
        return {"value": self.value}


class random_normal_initializer(_Initializer):
    """TF's ``tf.random_normal_initializer``: normal draws (the same ones for a given seed)."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype=_dt.float32, **kwargs):
        if self.seed is None:
            return _random.normal(shape, self.mean, self.stddev, dtype)
        return _random.stateless_normal(shape, [self.seed, 0], self.mean, self.stddev, dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class random_uniform_initializer(_Initializer):
    """TF's ``tf.random_uniform_initializer``: uniform draws in [minval, maxval)."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def __call__(self, shape, dtype=_dt.float32, **kwargs):
        if self.seed is None:
            return _random.uniform(shape, self.minval, self.maxval, dtype)
        return _random.stateless_uniform(shape, [self.seed, 0], self.minval, self.maxval, dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}
