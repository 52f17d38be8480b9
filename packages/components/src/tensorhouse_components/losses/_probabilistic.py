"""Probabilistic losses: the cross-entropies (binary, categorical, sparse, focal), the
Kullback-Leibler divergence and Poisson."""

from __future__ import annotations

import warnings

from tensorhouse_ops import (
    cast,
    clip_by_value,
    convert_to_tensor,
    greater_equal,
    less,
    log,
    logical_and,
    nn,
    not_equal,
    one_hot,
    pow,
    reduce_mean,
    reduce_sum,
    sigmoid,
    where,
)

from .._tensor_utils import (
    EPSILON,
    expand,
    float_pair,
    float_tensor,
    ones_as,
    squeeze,
    squeeze_or_expand_to_same_rank,
    to_tensor,
)
from ._loss import LossFunctionWrapper, PlainConfig

__all__ = [
    "BinaryCrossentropy", "BinaryFocalCrossentropy", "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy", "CategoricalGeneralizedCrossEntropy", "KLDivergence",
    "Poisson", "SparseCategoricalCrossentropy", "binary_crossentropy",
    "binary_focal_crossentropy", "categorical_crossentropy", "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy", "kl_divergence", "poisson",
    "sparse_categorical_crossentropy",
]  # fmt: skip


def _clip_probs(p):
    return clip_by_value(p, EPSILON, 1.0 - EPSILON)


def _check_same_shape(target, output):
    if len(target.shape) != len(output.shape):
        raise ValueError(
            "Arguments `target` and `output` must have the same rank (ndim). Received: "
            f"target.shape={target.shape}, output.shape={output.shape}"
        )
    for a, b in zip(target.shape, output.shape, strict=True):
        if a is not None and b is not None and a != b:
            raise ValueError(
                "Arguments `target` and `output` must have the same shape. Received: "
                f"target.shape={target.shape}, output.shape={output.shape}"
            )


def _check_int_axis(axis):
    if isinstance(axis, bool):
        raise ValueError(
            f"`axis` must be of type `int`. Received: axis={axis} of type {type(axis)}"
        )


def _warn_one_class(fn_name, y_pred):
    if len(y_pred.shape) and y_pred.shape[-1] == 1:
        warnings.warn(
            f"In loss {fn_name}, expected y_pred.shape to be (batch_size, num_classes) with "
            f"num_classes > 1. Received: y_pred.shape={y_pred.shape}. Consider using "
            "'binary_crossentropy' if you only have 2 classes.",
            SyntaxWarning,
            stacklevel=3,
        )


def _smooth(y_true, label_smoothing, num_classes=None):
    """Labels moved towards the uniform distribution over ``num_classes`` (by default the
    size of the last axis, counted on the tensor when it is unknown while tracing)."""
    if num_classes is None:
        n = y_true.shape[-1]
        num_classes = float(n) if n is not None else reduce_sum(ones_as(y_true), -1, True)
    return y_true * (1.0 - label_smoothing) + label_smoothing / num_classes


def _elementwise_bce(target, output, from_logits):
    """Element-wise binary cross-entropy; probabilities are clipped to [eps, 1 - eps]."""
    _check_same_shape(target, output)
    if from_logits:
        return nn.sigmoid_cross_entropy_with_logits(labels=target, logits=output)
    output = _clip_probs(output)
    return -(target * log(output) + (1.0 - target) * log(1.0 - output))


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Mean over ``axis`` of the element-wise binary cross-entropy."""
    y_true, y_pred = float_pair(y_true, y_pred)
    if label_smoothing:
        y_true = _smooth(y_true, label_smoothing, 2.0)
    return reduce_mean(_elementwise_bce(y_true, y_pred, from_logits), axis=axis)


def binary_focal_crossentropy(
    y_true,
    y_pred,
    apply_class_balancing=False,
    alpha=0.25,
    gamma=2.0,
    from_logits=False,
    label_smoothing=0.0,
    axis=-1,
):
    """Binary cross-entropy scaled by ``(1 - p_t) ** gamma`` (and ``alpha`` balancing)."""
    y_true, y_pred = float_pair(y_true, y_pred)
    if label_smoothing:
        y_true = _smooth(y_true, label_smoothing, 2.0)
    if from_logits:
        y_pred = sigmoid(y_pred)
    bce = _elementwise_bce(y_true, y_pred, from_logits=False)
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    focal = pow(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return reduce_mean(focal, axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """``-sum(y_true * log(p), axis)``; probabilities are renormalized and clipped."""
    _check_int_axis(axis)
    y_true, y_pred = float_pair(y_true, y_pred)
    _warn_one_class("categorical_crossentropy", y_pred)
    if label_smoothing:
        y_true = _smooth(y_true, label_smoothing)
    if len(y_true.shape) < 1:
        raise ValueError(
            "Arguments `target` and `output` must be at least rank 1. Received: "
            f"target.shape={y_true.shape}, output.shape={y_pred.shape}"
        )
    _check_same_shape(y_true, y_pred)
    if from_logits:
        if None in tuple(y_pred.shape):  # the ops layer's fused op needs known dimensions
            return -reduce_sum(y_true * nn.log_softmax(y_pred, axis=axis), axis=axis)
        return nn.softmax_cross_entropy_with_logits(labels=y_true, logits=y_pred, axis=axis)
    probs = _clip_probs(y_pred / reduce_sum(y_pred, axis=axis, keepdims=True))
    return -reduce_sum(y_true * log(probs), axis=axis)


def categorical_focal_crossentropy(
    y_true,
    y_pred,
    alpha=0.25,
    gamma=2.0,
    from_logits=False,
    label_smoothing=0.0,
    axis=-1,
):
    """Categorical cross-entropy scaled by ``alpha * (1 - p) ** gamma`` per class."""
    _check_int_axis(axis)
    y_true, y_pred = float_pair(y_true, y_pred)
    _warn_one_class("categorical_focal_crossentropy", y_pred)
    if label_smoothing:
        y_true = _smooth(y_true, label_smoothing)
    if from_logits:
        y_pred = nn.softmax(y_pred, axis=axis)
    probs = _clip_probs(y_pred / reduce_sum(y_pred, axis=axis, keepdims=True))
    weight = alpha * pow(1.0 - probs, gamma)
    return reduce_sum(weight * (-y_true * log(probs)), axis=axis)


def _sparse_labels(y_true, y_pred, axis):
    """Labels of the rank of ``y_pred`` minus one (a trailing axis of 1 is squeezed)."""
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[axis] == 1:
        y_true = squeeze(y_true, axis)
    return y_true


def ignore_class_mask(y_true, y_pred, ignore_class, axis=-1):
    """True where the (squeezed) integer label is not ``ignore_class``."""
    labels = _sparse_labels(y_true, y_pred, axis)
    return not_equal(labels, cast(ignore_class, labels.dtype))


def _sparse_softmax_xent(labels, logits):
    """``-log_softmax(logits)[label]``. With every dimension known this is TF's fused op (an
    InvalidArgumentError names an out-of-range label); with unknown dimensions (a traced batch of
    any size) it is a one-hot product, and an out-of-range label gives NaN, as TF gives on GPU."""
    if None not in tuple(logits.shape):
        return nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    depth = logits.shape[-1]
    per = -reduce_sum(one_hot(labels, depth, dtype=logits.dtype) * nn.log_softmax(logits), -1)
    in_range = logical_and(greater_equal(labels, 0), less(labels, depth))
    return where(in_range, per, convert_to_tensor(float("nan"), dtype=per.dtype))


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Categorical cross-entropy with integer class labels; ``ignore_class`` labels give 0."""
    y_pred = float_tensor(y_pred)
    y_true = _sparse_labels(to_tensor(y_true), y_pred, axis)
    rank = len(y_pred.shape)
    if axis != -1 and axis != rank - 1:
        raise ValueError(f"Only axis=-1 is currently supported. Received: axis={axis}")
    if rank < 1:
        raise ValueError(
            f"Argument `output` must be at least rank 1. Received: output.shape={y_pred.shape}"
        )
    if len(y_true.shape) != rank - 1:
        raise ValueError(
            "Argument `output` must have rank (ndim) `target.ndim - 1`. Received: "
            f"target.shape={y_true.shape}, output.shape={y_pred.shape}"
        )
    for a, b in zip(y_true.shape, y_pred.shape[:-1], strict=True):
        if a is not None and b is not None and a != b:
            raise ValueError(
                "Arguments `target` and `output` must have the same shape up until the last "
                f"dimension: target.shape={y_true.shape}, output.shape={y_pred.shape}"
            )
    if ignore_class is not None:
        valid = not_equal(y_true, cast(ignore_class, y_true.dtype))
        y_true = where(valid, y_true, convert_to_tensor(0, dtype=y_true.dtype))
        y_pred = where(expand(valid), y_pred, convert_to_tensor(0.0, dtype=y_pred.dtype))
    labels = cast(y_true, "int64")
    logits = y_pred if from_logits else log(_clip_probs(y_pred))
    result = _sparse_softmax_xent(labels, logits)
    if ignore_class is not None:
        result = where(valid, result, convert_to_tensor(0.0, dtype=result.dtype))
    return result


def kl_divergence(y_true, y_pred):
    """``sum(y_true * log(y_true / y_pred), axis=-1)`` with both clipped to [eps, 1]."""
    y_true, y_pred = float_pair(y_true, y_pred)
    y_true = clip_by_value(y_true, EPSILON, 1.0)
    y_pred = clip_by_value(y_pred, EPSILON, 1.0)
    return reduce_sum(y_true * log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred):
    """``mean(y_pred - y_true * log(y_pred + epsilon), axis=-1)``."""
    y_true, y_pred = float_pair(y_true, y_pred)
    return reduce_mean(y_pred - y_true * log(y_pred + EPSILON), axis=-1)


class KLDivergence(PlainConfig, LossFunctionWrapper):
    """The Kullback-Leibler divergence of ``y_pred`` from ``y_true``."""

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, name=name, reduction=reduction, dtype=dtype)


class Poisson(PlainConfig, LossFunctionWrapper):
    """The Poisson loss ``y_pred - y_true * log(y_pred)``."""

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(poisson, name=name, reduction=reduction, dtype=dtype)


def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """``(1 - p ** q) / q`` with ``p`` the predicted probability of the integer label."""
    y_pred = float_tensor(y_pred)
    labels = cast(to_tensor(y_true), "int32")
    p = reduce_sum(y_pred * one_hot(labels, y_pred.shape[-1], dtype=y_pred.dtype), axis=-1)
    return (1.0 - pow(p, q)) / q


class _CrossentropyBase(LossFunctionWrapper):
    """Keeps the keyword arguments Keras lists in the config, in Keras's order."""

    _config_keys = ("from_logits", "label_smoothing", "axis")

    def __init__(self, fn, reduction, name, dtype, **kwargs):
        super().__init__(fn, reduction=reduction, name=name, dtype=dtype, **kwargs)
        for key, value in kwargs.items():
            setattr(self, key, value)

    def get_config(self):
        config = {"name": self.name, "reduction": self.reduction}
        config.update({key: getattr(self, key) for key in self._config_keys})
        return config


class BinaryCrossentropy(_CrossentropyBase):
    """Cross-entropy of binary (0 or 1) labels, from probabilities or logits."""

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_crossentropy",
        dtype=None,
    ):
        super().__init__(
            binary_crossentropy, reduction, name, dtype,
            from_logits=from_logits, label_smoothing=label_smoothing, axis=axis,
        )  # fmt: skip


class BinaryFocalCrossentropy(_CrossentropyBase):
    """Binary cross-entropy that down-weights well-classified examples."""

    _config_keys = (
        "from_logits", "label_smoothing", "axis", "apply_class_balancing", "alpha", "gamma",
    )  # fmt: skip

    def __init__(
        self,
        apply_class_balancing=False,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_focal_crossentropy",
        dtype=None,
    ):
        super().__init__(
            binary_focal_crossentropy, reduction, name, dtype,
            apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
            from_logits=from_logits, label_smoothing=label_smoothing, axis=axis,
        )  # fmt: skip


class CategoricalCrossentropy(_CrossentropyBase):
    """Cross-entropy of one-hot (or soft) labels, from probabilities or logits."""

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_crossentropy",
        dtype=None,
    ):
        super().__init__(
            categorical_crossentropy, reduction, name, dtype,
            from_logits=from_logits, label_smoothing=label_smoothing, axis=axis,
        )  # fmt: skip


class CategoricalFocalCrossentropy(_CrossentropyBase):
    """Categorical cross-entropy that down-weights well-classified examples."""

    _config_keys = ("from_logits", "label_smoothing", "axis", "alpha", "gamma")

    def __init__(
        self,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_focal_crossentropy",
        dtype=None,
    ):
        super().__init__(
            categorical_focal_crossentropy, reduction, name, dtype,
            alpha=alpha, gamma=gamma, from_logits=from_logits,
            label_smoothing=label_smoothing, axis=axis,
        )  # fmt: skip


class SparseCategoricalCrossentropy(_CrossentropyBase):
    """Cross-entropy of integer class labels; ``ignore_class`` labels are masked out."""

    _config_keys = ("from_logits", "ignore_class")

    def __init__(
        self,
        from_logits=False,
        ignore_class=None,
        reduction="sum_over_batch_size",
        axis=-1,
        name="sparse_categorical_crossentropy",
        dtype=None,
    ):
        super().__init__(
            sparse_categorical_crossentropy, reduction, name, dtype,
            from_logits=from_logits, ignore_class=ignore_class, axis=axis,
        )  # fmt: skip

    def _output_mask(self, y_true, y_pred):
        if self.ignore_class is None:
            return None
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return ignore_class_mask(y_true, y_pred, self.ignore_class, self.axis)


class CategoricalGeneralizedCrossEntropy(LossFunctionWrapper):
    """The generalized cross-entropy of integer labels: robust to noisy labels for small ``q``."""

    def __init__(
        self, q=0.5, reduction="sum_over_batch_size", name="categorical_generalized_cross_entropy",
        dtype=None,
    ):  # fmt: skip
        if not 0 < q < 1:
            raise ValueError(f"q must be in the interval (0, 1). Received: q={q}")
        super().__init__(
            categorical_generalized_cross_entropy, name=name, reduction=reduction, dtype=dtype, q=q
        )
        self.q = q

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction, "q": self.q}
