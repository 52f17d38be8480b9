"""``tf.data.Iterator``, ``tf.data.IteratorSpec`` and ``tf.data.NumpyIterator``: the types of
what ``iter(dataset)`` and ``as_numpy_iterator`` give, for ``isinstance`` checks and specs."""

from __future__ import annotations

import abc

from tensorhouse_ops import TypeSpec

from . import _structure as st
from ._dataset import OwnedIterator, _LockedIterator

__all__ = ["Iterator", "IteratorSpec", "NumpyIterator"]


class Iterator(abc.ABC):
    """``tf.data.Iterator``: the abstract type of ``iter(dataset)`` (``next``, ``get_next``,
    ``get_next_as_optional``, ``element_spec``)."""

    @property
    @abc.abstractmethod
    def element_spec(self):
        """The structure of specs of one element."""

    @abc.abstractmethod
    def get_next(self):
        """The next element; ``OutOfRangeError`` at the end."""

    @abc.abstractmethod
    def get_next_as_optional(self):
        """The next element as an ``Optional``, empty at the end."""


Iterator.register(OwnedIterator)


class NumpyIterator(abc.ABC):
    """``tf.data.NumpyIterator``: the type of ``as_numpy_iterator()``."""

    @abc.abstractmethod
    def __next__(self):
        """The next element as NumPy values."""


NumpyIterator.register(_LockedIterator)


class IteratorSpec(TypeSpec):
    """``tf.data.IteratorSpec``: the type of an iterator, its elements' ``element_spec``."""

    value_type = property(lambda self: Iterator)

    def __init__(self, element_spec):
        self._element_spec = element_spec

    @classmethod
    def from_value(cls, value):
        return cls(value.element_spec)

    def _serialize(self):
        return (self._element_spec,)

    def _compatible(self, other):
        a, b = st.flatten(self._element_spec), st.flatten(other._element_spec)
        same = st.same_structure(self._element_spec, other._element_spec)
        return same and all(x.is_compatible_with(y) for x, y in zip(a, b))

    @property
    def _component_specs(self):
        return []

    def _to_components(self, value):
        return []

    def _from_components(self, components):
        raise NotImplementedError("An IteratorSpec has no component tensors to rebuild from")

    def __eq__(self, other):
        return type(other) is IteratorSpec and self._element_spec == other._element_spec

    def __hash__(self):
        return hash(repr(self))

    def __repr__(self):
        return f"IteratorSpec({self._element_spec!r},)"
