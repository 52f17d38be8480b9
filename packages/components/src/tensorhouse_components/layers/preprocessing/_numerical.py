"""Numerical preprocessing: ``Normalization``, ``Discretization``, ``Rescaling``.

State found by ``adapt`` lives in Variables (``Normalization``) or in the configuration
(``Discretization``'s ``bin_boundaries``); ``call`` is ops only, so it traces.
"""

from __future__ import annotations

import numpy as np

from tensorhouse_ops import cast, convert_to_tensor, math, reshape

from .._layer import Layer
from . import _adapt
from ._categorical import encode, sparse_encode

__all__ = ["Discretization", "Normalization", "Rescaling"]

_EPSILON = 1e-7  # Keras's backend.epsilon(): the floor of the standard deviation


_BLOCK_ROWS = 8192  # rows of float64 a block of ``_moments`` holds (cache-sized)


def _moments(batch, reduce_axis, keep_axis):
    """The mean and (population) variance over ``reduce_axis``, in float64, in one pass over
    cache-sized float64 blocks: sums and sums of squares of the values minus the first row
    (a shift that keeps the variance free of cancellation)."""
    batch = np.asarray(batch)
    if not np.issubdtype(batch.dtype, np.floating) and not np.issubdtype(batch.dtype, np.integer):
        batch = batch.astype("float64")
    kept_shape = [batch.shape[d] for d in keep_axis]
    rows = np.moveaxis(batch, list(keep_axis), list(range(-len(keep_axis), 0)) if keep_axis else [])
    rows = rows.reshape(-1, int(np.prod(kept_shape, dtype=np.int64)))
    n = rows.shape[0]
    if n == 0:
        nan = np.full(kept_shape, np.nan)
        return nan, nan
    shift = rows[0].astype("float64")
    total = np.zeros(rows.shape[1])
    squares = np.zeros(rows.shape[1])
    block = np.empty((min(n, _BLOCK_ROWS), rows.shape[1]))
    ones = np.ones(len(block))
    for start in range(0, n, _BLOCK_ROWS):
        part = rows[start : start + _BLOCK_ROWS]
        d = block[: len(part)]
        np.subtract(part, shift, out=d)
        total += ones[: len(part)] @ d  # column sums as a matrix-vector product
        squares += np.einsum("ij,ij->j", d, d)
    offset = total / n
    var = np.maximum(squares / n - offset * offset, 0.0)
    return (shift + offset).reshape(kept_shape), var.reshape(kept_shape)


class Normalization(Layer):
    """``(x - mean) / sqrt(variance)`` per index of ``axis`` (``invert``: the way back); the
    statistics are given or found by ``adapt``."""

    supports_masking = True

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, int) and not isinstance(axis, bool):
            axis = (axis,)
        else:
            axis = tuple(axis)
        self.axis = axis
        if (mean is None) != (variance is None):
            raise ValueError(
                "When setting values directly, both `mean` and `variance` must be set. "
                f"Received: mean={mean} and variance={variance}"
            )
        self.input_mean = mean
        self.input_variance = variance
        self.invert = bool(invert)
        self.adapt_mean = self.adapt_variance = self.count = None

    def build(self, input_shape):
        if input_shape is None:
            return
        ndim = len(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(
                "All `axis` values must be in the range [-ndim, ndim). Received inputs with "
                f"ndim={ndim}, while axis={self.axis}"
            )
        keep = tuple(sorted(a % ndim for a in self.axis))
        for d in keep:
            if input_shape[d] is None:
                raise ValueError(
                    "All `axis` values to be kept must have a known shape. Received "
                    f"axis={self.axis}, inputs.shape={tuple(input_shape)}, with unknown axis at "
                    f"index {d}"
                )
        self._build_input_shape = tuple(input_shape)
        self._keep_axis = keep
        self._reduce_axis = tuple(d for d in range(ndim) if d not in keep)
        self._broadcast_shape = [input_shape[d] if d in keep else 1 for d in range(ndim)]
        self._mean_and_var_shape = tuple(input_shape[d] for d in keep)
        if self.input_mean is None:
            shape = self._mean_and_var_shape
            self.adapt_mean = self.add_weight(shape, "zeros", trainable=False, name="mean")
            self.adapt_variance = self.add_weight(shape, "ones", trainable=False, name="variance")
            self.count = self.add_weight((), "zeros", "int64", trainable=False, name="count")
        else:
            shape = self._broadcast_shape
            self._given_mean = np.broadcast_to(np.asarray(self.input_mean, "float32"), shape)
            self._given_variance = np.broadcast_to(
                np.asarray(self.input_variance, "float32"), shape
            )
        self.built = True

    @property
    def mean(self):
        """The mean in the broadcast shape of the inputs (None before ``build``)."""
        if not self.built:
            return None
        if self.input_mean is not None:
            return convert_to_tensor(self._given_mean)
        return reshape(self.adapt_mean, self._broadcast_shape)

    @property
    def variance(self):
        """The variance in the broadcast shape of the inputs (None before ``build``)."""
        if not self.built:
            return None
        if self.input_mean is not None:
            return convert_to_tensor(self._given_variance)
        return reshape(self.adapt_variance, self._broadcast_shape)

    def adapt(self, data, batch_size=None, steps=None):
        """Set the mean and variance from ``data`` (on the host, with NumPy; not traced)."""
        if self.input_mean is not None:
            raise ValueError(
                "Cannot adapt a Normalization layer that was given `mean` and `variance`."
            )
        total_mean = total_var = None
        total_count = 0
        for batch in _adapt.batches(data, batch_size, steps, batch_scalars=True):
            if not self.built:
                self.build(batch.shape)
            for d in self._keep_axis:
                if batch.shape[d] != self._build_input_shape[d]:
                    raise ValueError(
                        f"The layer was built with input_shape={self._build_input_shape}, but "
                        f"adapt() is being called with data with an incompatible shape, "
                        f"data.shape={batch.shape}"
                    )
            mean, var = _moments(batch, self._reduce_axis, self._keep_axis)
            count = int(np.prod([batch.shape[d] for d in self._reduce_axis]))
            if total_mean is None:
                total_mean, total_var, total_count = mean, var, count
                continue
            # Pooled mean and (population) variance of the data so far and this batch.
            new_count = total_count + count
            new_mean = (total_mean * total_count + mean * count) / new_count
            total_var = (
                total_count * (total_var + (total_mean - new_mean) ** 2)
                + count * (var + (mean - new_mean) ** 2)
            ) / new_count
            total_mean, total_count = new_mean, new_count
        if total_mean is None:
            raise ValueError("adapt() received no data (an empty dataset or iterable).")
        self.adapt_mean.assign(np.asarray(total_mean, "float32").reshape(self.adapt_mean.shape))
        self.adapt_variance.assign(
            np.asarray(total_var, "float32").reshape(self.adapt_variance.shape)
        )

    def call(self, inputs):
        x = cast(inputs, self.compute_dtype)
        mean = cast(self.mean, x.dtype)
        std = math.maximum(math.sqrt(cast(self.variance, x.dtype)), _EPSILON)
        if self.invert:
            return mean + x * std
        return (x - mean) / std

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        def listed(v):
            return None if v is None else np.array(v).tolist()

        return {**super().get_config(), "axis": self.axis, "invert": self.invert,
                "mean": listed(self.input_mean),
                "variance": listed(self.input_variance)}  # fmt: skip


def _summarize(values, epsilon):
    """A weighted sample of the sorted ``values``: about ``1 / epsilon`` of them, each standing
    for the ``step`` values up to it (row 0: values, row 1: weights)."""
    values = np.sort(values.reshape(-1))
    step = max(values.size * epsilon, 1)
    picked = values[int(step - 1) :: int(step)]
    return np.stack([picked, np.full(picked.shape, step, dtype=picked.dtype)])


def _compress(summary, epsilon):
    """At most ``1 / epsilon`` points: the values at evenly spaced fractions of the cumulative
    weight (linear interpolation), with the weight between consecutive points."""
    if summary.shape[1] * epsilon < 1:
        return summary
    fractions = np.arange(0.0, 1.0, epsilon) + epsilon
    cumulative = np.cumsum(summary[1])
    position = cumulative / cumulative[-1]
    values = np.interp(fractions, position, summary[0])
    weights = np.diff(np.interp(fractions, position, cumulative), prepend=0.0)
    return np.stack([values, weights]).astype("float32")


def _merge(a, b, epsilon):
    merged = np.concatenate([a, b], axis=1)
    return _compress(merged[:, np.argsort(merged[0], kind="stable")], epsilon)


class Discretization(Layer):
    """Buckets numbers by ``bin_boundaries`` (given, or ``num_bins`` quantiles found by
    ``adapt``): bucket ``i`` holds ``boundaries[i-1] <= x < boundaries[i]``."""

    def __init__(
        self,
        bin_boundaries=None,
        num_bins=None,
        epsilon=0.01,
        output_mode="int",
        sparse=False,
        dtype=None,
        name=None,
    ):
        super().__init__(dtype=dtype, name=name)
        if sparse and output_mode == "int":
            raise ValueError(
                "`sparse=True` may only be used if `output_mode` is `'one_hot'`, "
                f"`'multi_hot'`, or `'count'`. Received: sparse={sparse} and "
                f"output_mode={output_mode}"
            )
        if output_mode not in ("int", "one_hot", "multi_hot", "count"):
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of "
                "('int', 'one_hot', 'multi_hot', 'count'). "
                f"Received: output_mode={output_mode}"
            )
        if num_bins is not None and num_bins < 0:
            raise ValueError(
                f"`num_bins` must be greater than or equal to 0. Received: `num_bins={num_bins}`"
            )
        if num_bins is not None and bin_boundaries is not None:
            if len(bin_boundaries) != num_bins - 1:
                raise ValueError(
                    "Both `num_bins` and `bin_boundaries` should not be set. Received: "
                    f"`num_bins={num_bins}` and `bin_boundaries={bin_boundaries}`"
                )
        self.bin_boundaries = None if bin_boundaries is None else list(bin_boundaries)
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = sparse
        self._summary = None

    def adapt(self, data, batch_size=None, steps=None):
        """Set ``bin_boundaries`` to approximate quantiles of ``data`` (on the host, with NumPy:
        a weighted summary per batch, merged and compressed to ``epsilon``; not traced)."""
        if self.num_bins is None:
            raise ValueError(
                "Cannot adapt a Discretization layer that has been initialized with "
                "`bin_boundaries`, use `num_bins` instead."
            )
        summary = np.zeros((2, 0), "float32")
        for batch in _adapt.batches(data, batch_size, steps):
            summary = _merge(
                _summarize(batch.astype("float32"), self.epsilon), summary, self.epsilon
            )
        self.bin_boundaries = _compress(summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def _depth(self):
        if self.bin_boundaries is not None:
            return len(self.bin_boundaries) + 1
        return self.num_bins

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError(
                "You need to either pass the `bin_boundaries` argument at construction time "
                "or call `adapt(dataset)` before you can start using the `Discretization` layer."
            )
        x = inputs if inputs.dtype.is_floating else cast(inputs, "float32")
        index = cast(x, "int32") * 0
        for b in self.bin_boundaries:  # the number of boundaries <= x
            index += cast(math.greater_equal(x, b), "int32")
        if self.output_mode == "int":
            return index
        if self.sparse:
            return sparse_encode(index, self._depth(), self.output_mode, self.compute_dtype)
        return encode(index, self._depth(), self.output_mode, self.compute_dtype)

    def compute_output_spec(self, inputs):
        """The output KerasTensor: int32 bucket indices, or encoded in the compute dtype."""
        from .._input import KerasTensor

        dtype = "int32" if self.output_mode == "int" else self.compute_dtype
        return KerasTensor(self.compute_output_shape(tuple(inputs.shape)), dtype)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        if self.output_mode == "int":
            return shape
        if self.output_mode == "one_hot":
            if len(shape) > 1 and shape[-1] == 1:
                return (*shape[:-1], self._depth())
            return (*shape, self._depth())
        return (*shape[:-1], self._depth()) if len(shape) > 1 else (self._depth(),)

    def get_config(self):
        return {"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins,
                "epsilon": self.epsilon, "output_mode": self.output_mode,
                "sparse": self.sparse, "name": self.name, "dtype": self.dtype}  # fmt: skip


class Rescaling(Layer):
    """``inputs * scale + offset`` (e.g. ``scale=1/255`` for pixel values)."""

    supports_masking = True

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale
        self.offset = offset

    def call(self, inputs):
        x = cast(inputs, self.compute_dtype)
        scale = convert_to_tensor(np.asarray(self.scale, x.dtype.as_numpy_dtype))
        offset = convert_to_tensor(np.asarray(self.offset, x.dtype.as_numpy_dtype))
        return x * scale + offset

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}
