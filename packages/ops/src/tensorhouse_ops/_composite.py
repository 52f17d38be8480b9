"""The composite-tensor protocol: values made of component tensors, described by a TypeSpec.

``tf.nest.flatten(x, expand_composites=True)`` and ``tf.function`` see a composite as its
component tensors (``spec._to_components(value)``) and rebuild it with
``spec._from_components(components)``. ``TensorSpec`` (a dense tensor's type) sits here too, below
``tf.function`` and the composites that list it among their components.
"""

from __future__ import annotations

from . import dtypes as _dt
from ._tensor import Tensor, TensorShape, VariableLike

__all__ = ["CompositeTensor", "TensorSpec", "TypeSpec"]


class TypeSpec:
    """TF's ``tf.TypeSpec``: the type of a value; composites' specs list their components."""

    value_type = None

    def _serialize(self) -> tuple:
        raise NotImplementedError

    def _to_components(self, value) -> list:
        raise NotImplementedError

    def _from_components(self, components):
        raise NotImplementedError

    @property
    def _component_specs(self) -> list:
        raise NotImplementedError

    def is_compatible_with(self, spec_or_value) -> bool:
        """Same type and compatible shapes (None dims match any)."""
        other = spec_or_value
        if not isinstance(other, TypeSpec):
            other = getattr(other, "_type_spec", None)
        if type(other) is not type(self):
            return False
        return self._compatible(other)

    def _compatible(self, other) -> bool:
        return self._serialize() == other._serialize()

    def most_specific_compatible_type(self, other):
        """The most specific spec that both ``self`` and ``other`` satisfy."""
        if type(other) is not type(self) or not self._relaxable(other):
            raise ValueError(f"No TypeSpec is compatible with both {self} and {other}")
        return self._relax(other)

    def __eq__(self, other):
        return type(other) is type(self) and self._serialize() == other._serialize()

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash((type(self).__name__, self._serialize()))


class CompositeTensor:
    """Base of values made of several tensors (RaggedTensor, SparseTensor)."""

    __slots__ = ()

    @property
    def _type_spec(self) -> TypeSpec:
        raise NotImplementedError


def relax_shape(a, b):
    """The most specific shape covering TensorShapes ``a`` and ``b`` (None where they differ)."""
    if a.rank is None or b.rank is None or a.rank != b.rank:
        return TensorShape(None)
    return TensorShape([x if x == y else None for x, y in zip(a.dims, b.dims)])


def composite_binary(fn, x, y):
    """An elementwise binary op with a composite operand: that composite's rule."""
    c = x if isinstance(x, CompositeTensor) else y
    return type(c)._th_binary(fn, x, y)


class TensorSpec:
    """TF's ``tf.TensorSpec``: a shape (dims may be None) and a dtype."""

    __slots__ = ("_shape", "_dtype", "_name")

    def __init__(self, shape, dtype=_dt.float32, name=None):
        self._shape = TensorShape(shape)
        self._dtype = _dt.as_dtype(dtype)
        self._name = name

    shape = property(lambda self: self._shape)
    dtype = property(lambda self: self._dtype)
    name = property(lambda self: self._name)

    @classmethod
    def from_tensor(cls, tensor, name=None):
        return cls(tensor.shape, tensor.dtype, name)

    def is_compatible_with(self, other):
        if isinstance(other, TensorSpec | Tensor) or isinstance(other, VariableLike):
            return other.dtype == self._dtype and self._shape.is_compatible_with(other.shape)
        return False

    def __eq__(self, other):
        return (
            isinstance(other, TensorSpec)
            and self._shape == other._shape
            and self._dtype == other._dtype
        )

    def __hash__(self):
        return hash((self._shape, self._dtype.name))

    def __repr__(self):
        return f"TensorSpec(shape={self._shape}, dtype=tf.{self._dtype.name}, name={self._name!r})"
