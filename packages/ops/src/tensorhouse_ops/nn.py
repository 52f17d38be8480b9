"""``tf.nn``: activations and losses (composed from kernel ops in this release)."""

from __future__ import annotations

from . import _math as M
from ._tensor import _op, convert_to_tensor

__all__ = ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "l2_loss"]

sigmoid = M.sigmoid
tanh = M.tanh


def relu(features, name=None):
    return _op("Relu", [convert_to_tensor(features)])


def softmax(logits, axis=None, name=None):
    x = convert_to_tensor(logits)
    axis = -1 if axis is None else axis
    shifted = M.subtract(x, M.reduce_max(x, axis=axis, keepdims=True))
    e = M.exp(shifted)
    return M.divide(e, M.reduce_sum(e, axis=axis, keepdims=True))


def log_softmax(logits, axis=None, name=None):
    x = convert_to_tensor(logits)
    axis = -1 if axis is None else axis
    shifted = M.subtract(x, M.reduce_max(x, axis=axis, keepdims=True))
    return M.subtract(shifted, M.log(M.reduce_sum(M.exp(shifted), axis=axis, keepdims=True)))


def l2_loss(t, name=None):
    return M.divide(M.reduce_sum(M.square(convert_to_tensor(t))), 2)
