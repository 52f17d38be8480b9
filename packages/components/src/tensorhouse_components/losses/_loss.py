"""The ``Loss`` base class, ``LossFunctionWrapper``, Keras 3's reductions and rank rule."""

from __future__ import annotations

from tensorhouse_ops import as_dtype, cast, convert_to_tensor, math, reduce_sum, where

from .. import _naming
from .._masks import get_keras_mask
from .._tensor_utils import EPSILON, ones_as, squeeze_or_expand_to_same_rank, to_tensor

__all__ = [
    "EPSILON", "REDUCTIONS", "Loss", "LossFunctionWrapper", "PlainConfig", "reduce_values",
    "reduce_weighted_values", "squeeze_or_expand_to_same_rank", "standardize_reduction",
]  # fmt: skip

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def dtype_name(dtype) -> str:
    """``None`` gives Keras's floatx, ``"float32"``; a DType, a name or a policy its name."""
    if dtype is None:
        return "float32"
    return as_dtype(getattr(dtype, "compute_dtype", dtype)).name


def standardize_reduction(reduction):
    """``reduction`` itself if Keras accepts it, else a ValueError naming it."""
    if reduction not in REDUCTIONS:
        raise ValueError(
            "Invalid value for argument `reduction`. Expected one of "
            f"{set(REDUCTIONS)}. Received: reduction={reduction}"
        )
    return reduction


def _num_elements(x, dtype):
    """The number of elements of ``x`` as a ``dtype`` scalar, also for unknown dimensions
    (counted on the tensor itself: the ops layer's ``size`` needs known dimensions)."""
    n = x.shape.num_elements()
    if n is not None:
        return convert_to_tensor(float(n), dtype=dtype)
    return reduce_sum(ones_as(x, dtype))


def _reduce(values, weights, reduction):
    if reduction in (None, "none") or tuple(values.shape) in ((), (0,)):
        return values
    total = reduce_sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and weights is not None:
        divisor = cast(reduce_sum(weights), total.dtype)
    else:
        divisor = _num_elements(values, total.dtype)
    return math.divide_no_nan(total, divisor)


def _mask_to_weights(sample_weight, mask, dtype, reduction):
    """Merges a boolean mask into the sample weights (Keras rescales for the mean reductions
    so that the result is the mean over the unmasked values)."""
    if mask is None:
        return sample_weight
    if reduction in ("mean", "sum_over_batch_size"):
        valid = reduce_sum(cast(mask, dtype))
        scale = math.divide_no_nan(_num_elements(mask, dtype), valid)
        float_mask = where(cast(mask, "bool"), scale, convert_to_tensor(0.0, dtype=dtype))
    else:
        float_mask = cast(mask, dtype)
    if sample_weight is None:
        return float_mask
    float_mask, sample_weight = squeeze_or_expand_to_same_rank(float_mask, sample_weight)
    return sample_weight * float_mask


def reduce_weighted_values(
    values, sample_weight=None, mask=None, reduction="sum_over_batch_size", dtype=None
):
    """Weights (and a mask) times the per-sample values, then Keras's reduction."""
    reduction = standardize_reduction(reduction)
    values = to_tensor(values, dtype)
    if sample_weight is not None:
        sample_weight = to_tensor(sample_weight, values.dtype)
    if mask is not None:
        mask = to_tensor(mask)
    sample_weight = _mask_to_weights(sample_weight, mask, values.dtype, reduction)
    if sample_weight is not None:
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        values = values * sample_weight
    return _reduce(values, sample_weight, reduction)


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Keras 3's reductions of per-sample losses, optionally weighted per sample.

    ``"sum_over_batch_size"`` and ``"mean"`` divide the sum by the number of values,
    ``"mean_with_sample_weight"`` by the sum of the weights; ``"sum"`` and ``"none"`` say it.
    """
    return reduce_weighted_values(values, sample_weight, None, reduction)


class Loss:
    """Base class: ``call(y_true, y_pred)`` gives per-sample losses; ``__call__`` reduces."""

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or _naming.unique_name(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self._dtype = dtype_name(dtype)

    @property
    def dtype(self):
        """The dtype the loss computes in (``"float32"`` unless given)."""
        return self._dtype

    def __call__(self, y_true, y_pred, sample_weight=None):
        in_mask = get_keras_mask(y_pred)
        y_pred = to_tensor(y_pred, self.dtype)
        y_true = to_tensor(y_true, self.dtype)
        values = self.call(y_true, y_pred)
        out_mask = self._output_mask(y_true, y_pred)
        if out_mask is None:  # a loss function may mask its output (``circle``), as in Keras
            out_mask = get_keras_mask(values)
        if in_mask is not None and out_mask is not None:
            mask = math.logical_and(cast(in_mask, "bool"), out_mask)
        else:
            mask = out_mask if in_mask is None else in_mask
        return reduce_weighted_values(values, sample_weight, mask, self.reduction, self.dtype)

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred)")

    def _output_mask(self, y_true, y_pred):
        """The mask ``call`` puts on its output in Keras (``ignore_class``); None here."""
        return None

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class PlainConfig:
    """Mixin: Keras's config of most built-in losses holds only ``name`` and ``reduction``."""

    def get_config(self):
        return Loss.get_config(self)


def serialize_function(fn):
    """Keras's dict form of a plain loss function."""
    return {
        "module": "builtins",
        "class_name": "function",
        "config": fn.__name__,
        "registered_name": "function",
    }


class LossFunctionWrapper(Loss):
    """A ``Loss`` around a per-sample function ``fn(y_true, y_pred, **kwargs)``."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        config = super().get_config()
        config["fn"] = serialize_function(self.fn)
        return {**config, **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        fn = config.get("fn")
        if isinstance(fn, dict | str):
            from . import deserialize  # the package's table of loss functions

            config["fn"] = deserialize(fn)
        return cls(**config)

    def __repr__(self):
        return f"<LossFunctionWrapper({self.fn}, kwargs={self._fn_kwargs})>"
