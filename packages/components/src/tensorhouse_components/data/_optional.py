"""TF's ``tf.experimental.Optional``: a value that may be absent. It is a composite tensor, a
bool ``has_value`` plus the value's tensors (zeros when empty), so it crosses ``tf.function``
boundaries as TF's does; ``get_value`` of an empty one raises ``InvalidArgumentError`` when it
runs, eagerly or in a traced function."""

from __future__ import annotations

import numpy as np

from tensorhouse_ops import (
    CompositeTensor,
    TensorSpec,
    TypeSpec,
    constant,
    convert_to_tensor,
    errors,
    executing_eagerly,
    py_function,
)

from . import _structure as st

__all__ = [
    "Optional", "OptionalSpec", "component_specs", "dense_specs", "empty_like", "example_node",
    "next_node",
]  # fmt: skip

_NO_VALUE = "The given optional does not have a value. [Op:OptionalGetValue]"


def empty_like(spec):
    """Zeros (empty strings) of a spec's shape, unknown dims 0: the value of an empty one."""
    shape = [d or 0 for d in st.dims(spec) or []]
    if st.dtype_name(spec.dtype) == "string":
        return np.full(shape, b"", dtype=object)
    return np.zeros(shape, spec.dtype.as_numpy_dtype)


def dense_specs(element_spec, what):
    """The flat ``TensorSpec``s of ``element_spec``; ``UnimplementedError`` naming ``what`` for
    ragged or sparse ones."""
    flat = st.flatten(element_spec)
    if any(not isinstance(s, TensorSpec) for s in flat):
        raise errors.UnimplementedError(
            None, None, f"{what}: ragged or sparse elements are not supported"
        )
    return flat


def component_specs(element_spec):
    """The ``TensorSpec``s of an element's tensors, a ragged or sparse leaf's components
    (values, row splits; indices, values, dense shape) in its place: what a host node gives."""
    return [c for s in st.flatten(element_spec) for c in _parts(s)]


def _parts(spec):
    return spec._component_specs if st.is_composite_spec(spec) else [spec]


def components(element_spec, element):
    """``element``'s tensors laid out as ``component_specs``."""
    leaves = zip(st.flatten(element_spec), st.flatten(element))
    return [c for s, x in leaves for c in (s._to_components(x) if st.is_composite_spec(s) else [x])]


def from_components(element_spec, tensors):
    """The inverse of ``components``."""
    it, leaves = iter(tensors), []
    for s in st.flatten(element_spec):
        parts = [next(it) for _ in _parts(s)]
        leaves.append(s._from_components(parts) if st.is_composite_spec(s) else parts[0])
    return st.pack(element_spec, leaves)


def next_node(pull, element_spec, inputs=()):
    """A node giving ``(has_value, element)`` from ``pull(*inputs)`` each time it runs (zeros
    when ``pull`` gives None: past the end), as TF's ``get_next_as_optional``."""
    flat = component_specs(element_spec)

    def take(*args):
        element = pull(*args)
        if element is None:
            return [False] + [empty_like(s) for s in flat]
        return [True] + components(element_spec, element)

    specs = [TensorSpec([], "bool"), *flat]
    outs = py_function(take, list(inputs), Tout=specs, name="IteratorGetNext")
    return outs[0], from_components(element_spec, outs[1:])


def example_node(element_spec):
    """An element of zeros with the spec's static shapes (unknown dims stay unknown): what a
    traced loop body is first traced with."""
    flat = component_specs(element_spec)
    zeros = py_function(lambda: [empty_like(s) for s in flat], [], Tout=flat)
    return from_components(element_spec, zeros)


class OptionalSpec(TypeSpec):
    """TF's ``tf.OptionalSpec``: the type of an ``Optional``, its value's ``element_spec``."""

    value_type = property(lambda self: Optional)

    def __init__(self, element_spec):
        self._element_spec = element_spec

    element_spec = property(lambda self: self._element_spec)

    @classmethod
    def from_value(cls, value):
        return value._type_spec

    def _serialize(self):
        flat = tuple(st.flatten(self._element_spec))
        return flat, repr(st.map_structure(lambda _: None, self._element_spec))

    @property
    def _component_specs(self):
        return [TensorSpec([], "bool"), *st.flatten(self._element_spec)]

    def _to_components(self, value):
        return [value._has, *st.flatten(value._value)]

    def _from_components(self, components):
        value = st.pack(self._element_spec, list(components[1:]))
        return Optional(components[0], value, self._element_spec)

    def _compatible(self, other):
        a, b = st.flatten(self._element_spec), st.flatten(other._element_spec)
        return self._serialize()[1] == other._serialize()[1] and all(
            x.dtype == y.dtype and x.shape.is_compatible_with(y.shape) for x, y in zip(a, b)
        )

    def _relaxable(self, other):
        a, b = st.flatten(self._element_spec), st.flatten(other._element_spec)
        same = self._serialize()[1] == other._serialize()[1]
        return same and all(x.dtype == y.dtype for x, y in zip(a, b))

    def _relax(self, other):
        flat = [st.relax(a, b) for a, b in zip(st.flatten(self._element_spec),
                                               st.flatten(other._element_spec))]  # fmt: skip
        return OptionalSpec(st.pack(self._element_spec, flat))

    def __repr__(self):
        return f"OptionalSpec({self._element_spec!r},)"


class Optional(CompositeTensor):
    """TF's ``tf.experimental.Optional``: ``from_value``, ``empty``, ``has_value``,
    ``get_value`` and ``element_spec``."""

    __slots__ = ("_element_spec", "_has", "_value")

    def __init__(self, has_value, value, element_spec):
        self._has, self._value, self._element_spec = has_value, value, element_spec

    @staticmethod
    def from_value(value):
        """An optional holding ``value`` (a tensor or a nested structure of them)."""
        flat = st.flatten(value)
        if not flat or any(x is None for x in flat):
            raise errors.InvalidArgumentError(
                None,
                None,
                "Optional.from_value needs at least one tensor, got "
                f"{value!r} [Op:OptionalFromValue]",
            )
        tensors = st.pack(value, [convert_to_tensor(x) for x in flat])
        spec = st.map_structure(lambda t: TensorSpec(t.shape, t.dtype), tensors)
        return Optional(constant(True), tensors, spec)

    @staticmethod
    def empty(element_spec):
        """An optional with no value, of the type ``element_spec``."""
        flat = dense_specs(element_spec, "Optional.empty")
        zeros = [constant(empty_like(s), dtype=s.dtype) for s in flat]
        return Optional(constant(False), st.pack(element_spec, zeros), element_spec)

    @property
    def element_spec(self):
        """The ``TensorSpec`` structure of the value."""
        return self._element_spec

    @property
    def _type_spec(self):
        return OptionalSpec(self._element_spec)

    def has_value(self, name=None):
        """A scalar bool tensor: whether there is a value."""
        return self._has

    def get_value(self, name=None):
        """The value; ``InvalidArgumentError`` when there is none (when the graph runs, in a
        traced function)."""
        if executing_eagerly():
            if not bool(self._has):
                raise errors.InvalidArgumentError(None, None, _NO_VALUE)
            return self._value
        flat = st.flatten(self._value)

        def check(has, *values):
            if not bool(has):
                raise errors.InvalidArgumentError(None, None, _NO_VALUE)
            return list(values)

        specs = [TensorSpec(t.shape, t.dtype) for t in flat]
        outs = py_function(check, [self._has, *flat], Tout=specs, name="OptionalGetValue")
        return st.pack(self._element_spec, outs)
