"""``tf.IndexedSlices``: rows ``values`` at positions ``indices`` of a tensor of ``dense_shape``
(TF's sparse row updates), and the ``Variable.scatter_*`` updates that take them."""

from __future__ import annotations

from . import _array as A
from . import _math as M
from . import _segment as S
from ._tensor import Tensor, TensorShape, convert_to_tensor, errors

__all__ = ["IndexedSlices"]


class IndexedSlices:
    """Rows ``values[i]`` placed at ``indices[i]`` of a tensor of ``dense_shape`` (optional)."""

    def __init__(self, values, indices, dense_shape=None):
        self._values = convert_to_tensor(values)
        self._indices = convert_to_tensor(indices)
        self._dense_shape = None if dense_shape is None else convert_to_tensor(dense_shape)

    values = property(lambda self: self._values)
    indices = property(lambda self: self._indices)
    dense_shape = property(lambda self: self._dense_shape)
    dtype = property(lambda self: self._values.dtype)
    device = property(lambda self: self._values.device)

    @property
    def shape(self) -> TensorShape:
        """The dense tensor's shape (unknown without ``dense_shape``, as TF's)."""
        if self._dense_shape is None:
            return TensorShape(None)
        if type(self._dense_shape) is Tensor:
            return TensorShape([int(d) for d in self._dense_shape._host().reshape(-1)])
        return TensorShape([None] * int(self._dense_shape.shape[0]))

    def _th_dense(self) -> Tensor:
        """The dense tensor (``tf.convert_to_tensor(slices)``): rows at repeated indices add."""
        if self._dense_shape is None:
            raise ValueError(
                f"Tensor conversion requested for IndexedSlices without dense_shape: {self!s}"
            )
        shape = M.cast(self._dense_shape, self._indices.dtype)
        return A.scatter_nd(A.expand_dims(self._indices, -1), self._values, shape)

    def __neg__(self):
        return IndexedSlices(M.negative(self._values), self._indices, self._dense_shape)

    def __str__(self):
        shape = "" if self._dense_shape is None else f", dense_shape={self._dense_shape!s}"
        return f"IndexedSlices(indices={self._indices!s}, values={self._values!s}{shape})"


# ---- Variable.scatter_* -----------------------------------------------------------------------


def _rows(variable, sparse_delta, method):
    """``(values, indices, rows)`` of an update, checked as TF's ResourceScatter* kernels do."""
    if not isinstance(sparse_delta, IndexedSlices):
        raise TypeError(
            f"Argument `sparse_delta` must be a `tf.IndexedSlices`. Received arg: {sparse_delta}"
        )
    rows = variable.shape[0] if variable.shape.rank else None
    if rows is None:
        raise errors.InvalidArgumentError(
            None, None, f"{method}: the variable must have rank >= 1, its shape is {variable.shape}"
        )
    values = M.cast(sparse_delta.values, variable.dtype)
    indices = sparse_delta.indices
    if type(indices) is Tensor and indices.shape.num_elements():
        flat = indices._host().reshape(-1)
        bad = (flat < 0) | (flat >= rows)
        if bad.any():
            i = int(bad.argmax())
            raise errors.InvalidArgumentError(
                None, None, f"indices[{i}] = {int(flat[i])} is not in [0, {rows}) ({method})"
            )
    want = [*indices.shape.as_list(), *variable.shape.as_list()[1:]]
    if values.shape.is_fully_defined() and values.shape.as_list() != want:
        raise errors.InvalidArgumentError(
            None, None,
            f"{method}: updates must have shape indices.shape + variable.shape[1:] = {want}, "
            f"got {values.shape.as_list()}",
        )  # fmt: skip
    return values, indices, rows


def scatter(variable, sparse_delta, kind):
    """Apply ``sparse_delta`` to ``variable`` as ``Variable.scatter_<kind>`` does, atomically."""
    method = f"scatter_{kind}"
    values, indices, rows = _rows(variable, sparse_delta, method)
    with variable._lock:
        if kind == "add":
            return variable.assign_add(M.unsorted_segment_sum(values, indices, rows))
        if kind == "sub":
            return variable.assign_sub(M.unsorted_segment_sum(values, indices, rows))
        current = variable._th_value()
        if kind == "update":
            new = A.tensor_scatter_nd_update(current, A.expand_dims(indices, -1), values)
        elif kind == "max":  # empty segments hold the lowest value: max keeps the row
            new = M.maximum(current, S.unsorted_segment_max(values, indices, rows))
        elif kind == "min":
            new = M.minimum(current, S.unsorted_segment_min(values, indices, rows))
        elif kind == "mul":  # empty segments hold 1
            new = M.multiply(current, S.unsorted_segment_prod(values, indices, rows))
        else:  # div
            new = M.divide(current, S.unsorted_segment_prod(values, indices, rows))
        return variable.assign(new)
