"""``tf.nn``: activations, softmax and the cross-entropy losses (fused kernels)."""

from __future__ import annotations

from . import _array as A
from . import _math as M
from ._tensor import Tensor, _execute, _op, convert_to_tensor

__all__ = [
    "elu", "l2_loss", "log_softmax", "relu", "relu6", "selu", "sigmoid", "softmax",
    "softmax_cross_entropy_with_logits", "softplus", "sparse_softmax_cross_entropy_with_logits",
    "tanh", "top_k",
]  # fmt: skip

sigmoid = M.sigmoid
tanh = M.tanh
softplus = M.softplus
top_k = M.top_k


def relu(features, name=None):
    return _op("Relu", [convert_to_tensor(features)])


def relu6(features, name=None):
    return _op("Relu6", [convert_to_tensor(features)])


def elu(features, name=None):
    return _op("Elu", [convert_to_tensor(features)])


def selu(features, name=None):
    return _op("Selu", [convert_to_tensor(features)])


def _swap_last(x, axis):
    """The permutation that swaps ``axis`` with the last axis (its own inverse), or None."""
    rank = x.ndim
    axis = int(axis) % rank if rank else 0
    if axis == rank - 1:
        return None
    perm = list(range(rank))
    perm[axis], perm[-1] = perm[-1], perm[axis]
    return perm


def _last_axis_op(op_type, logits, axis):
    x = convert_to_tensor(logits)
    perm = _swap_last(x, -1 if axis is None else axis)
    if perm is None:
        return _op(op_type, [x])
    return A.transpose(_op(op_type, [A.transpose(x, perm)]), perm)


def softmax(logits, axis=None, name=None):
    """TF's ``tf.nn.softmax`` (the fused ``Softmax`` kernel; other axes are swapped last)."""
    return _last_axis_op("Softmax", logits, axis)


def log_softmax(logits, axis=None, name=None):
    return _last_axis_op("LogSoftmax", logits, axis)


def softmax_cross_entropy_with_logits(labels, logits, axis=-1, name=None):
    """TF's ``tf.nn.softmax_cross_entropy_with_logits`` (v2): the loss per example.

    Labels are a distribution over the classes on ``axis`` and get gradients too, as in TF.
    """
    x = convert_to_tensor(logits)
    lab = (
        M.cast(labels, x.dtype)
        if isinstance(labels, Tensor)
        else convert_to_tensor(labels, x.dtype)
    )
    lab = A.broadcast_to(lab, x.shape.as_list()) if lab.shape != x.shape else lab
    if x.ndim and int(axis) % x.ndim != x.ndim - 1:  # move the class axis last, keep the rest
        axis = int(axis) % x.ndim
        perm = [i for i in range(x.ndim) if i != axis] + [axis]
        x, lab = A.transpose(x, perm), A.transpose(lab, perm)
    dims = x.shape.as_list()
    if not dims:
        raise ValueError("softmax_cross_entropy_with_logits needs logits of rank >= 1")
    flat = [A.reshape(t, [_prod(dims[:-1]), dims[-1]]) for t in (x, lab)]
    loss, _ = _execute("SoftmaxCrossEntropyWithLogits", flat, {})
    return A.reshape(loss, dims[:-1])


def sparse_softmax_cross_entropy_with_logits(labels, logits, name=None):
    """TF's ``tf.nn.sparse_softmax_cross_entropy_with_logits``: int class labels, one per row.

    A label outside [0, classes) is an InvalidArgumentError naming it.
    """
    x = convert_to_tensor(logits)
    lab = convert_to_tensor(labels)
    dims = x.shape.as_list()
    if lab.ndim != x.ndim - 1:
        raise ValueError(
            f"Rank mismatch: Rank of labels (received {lab.ndim}) should equal rank of logits "
            f"minus 1 (received {x.ndim})."
        )
    if lab.shape.as_list() != dims[:-1]:
        raise ValueError(
            f"Shape mismatch: The shape of labels (received {lab.shape}) should equal the shape "
            f"of logits except for the last dimension (received {x.shape})."
        )
    rows = _prod(dims[:-1])
    loss, _ = _execute(
        "SparseSoftmaxCrossEntropyWithLogits",
        [A.reshape(x, [rows, dims[-1]]), A.reshape(lab, [rows])],
        {},
    )
    return A.reshape(loss, dims[:-1])


def _prod(dims):
    out = 1
    for d in dims:
        out *= d
    return out


def l2_loss(t, name=None):
    return M.divide(M.reduce_sum(M.square(convert_to_tensor(t))), 2)
