"""tf.function's cache keys of Python values (issue 18), as TF's trace types: a value is a
``Literal`` compared by ``==`` (so ``1``, ``1.0``, ``True`` and ``1+0j`` share a trace, and NaN
matches NaN), an object that takes a weak reference a ``Weakref`` (equal objects share a trace;
the function does not keep the object alive), lists / tuples / dicts structures of those, and an
unhashable value a TypeError."""

import collections
import enum
import gc
import weakref

import pytest


def _traces(tf, values):
    """The tracing count after each call of one new tf.function with each value."""
    count = [0]

    @tf.function
    def f(x):
        count[0] += 1
        return tf.constant(count[0])

    return [(f(v), count[0])[1] for v in values]


class _IntKind(enum.IntEnum):  # an int subclass: takes no weak reference, a Literal
    ONE = 1


class _Kind(enum.Enum):  # weakly referenced; members are singletons
    ONE = 1


class _Point:
    def __init__(self, v):
        self.v = v

    def __eq__(self, other):
        return isinstance(other, _Point) and self.v == other.v

    def __hash__(self):
        return hash(self.v)


@pytest.mark.parametrize(
    "values, counts",
    [
        ([1, 1.0, True, 1 + 0j, 2, False, 0, 0.0], [1, 1, 1, 1, 2, 3, 3, 3]),
        ([float("nan"), float("nan"), 1.0], [1, 1, 2]),
        ([[1, 2], [1.0, 2.0], (1, 2), [True, 2], (1.0, 2)], [1, 1, 2, 2, 2]),
        ([{"a": 1}, {"a": 1.0}, collections.OrderedDict(a=True), {"b": 1}], [1, 1, 1, 2]),
        ([None, None, 0, "a", "a", "b", b"a"], [1, 1, 2, 3, 3, 4, 5]),
        ([_IntKind.ONE, 1, _Kind.ONE, _Kind.ONE, "ONE"], [1, 1, 2, 2, 3]),
        ([_Point(1), _Point(1), _Point(2), frozenset([1]), frozenset([1.0])], [1, 1, 2, 3, 3]),
        ([range(3), range(0, 3), range(1, 3)], [1, 1, 2]),
    ],
)
def test_python_values_key_traces_by_equality(tf, values, counts):
    assert _traces(tf, values) == counts


def test_a_shared_trace_keeps_the_first_value(tf):
    @tf.function
    def g(x):
        return x

    out = [g(v) for v in (1, 1.0, True)]
    assert [(t.dtype, int(t)) for t in out] == [(tf.int32, 1)] * 3
    text = g.pretty_printed_concrete_signatures()
    assert text.count("Input Parameters") == 1 and "Literal[1]" in text


def test_objects_are_held_weakly(tf):
    class Obj:
        pass

    @tf.function
    def f(x, y):
        return y * 2.0

    a = Obj()
    ref = weakref.ref(a)
    assert float(f(a, 1.0)) == 2.0
    cf = f.get_concrete_function(a, 1.0)
    assert f.experimental_get_tracing_count() == 1
    del a
    gc.collect()
    assert ref() is None  # the trace did not keep it alive
    assert cf.structured_input_signature[0][1] == 1.0
    f(Obj(), 1.0)  # a new object: a new trace
    assert f.experimental_get_tracing_count() == 2


class _EqualsOnly:  # __eq__ without __hash__: unhashable
    def __eq__(self, other):
        return self is other


@pytest.mark.parametrize(
    "value", [{1, 2}, bytearray(b"a"), _EqualsOnly()], ids=["set", "bytearray", "eq_only"]
)
def test_unhashable_values_raise_typeerror(tf, value):
    @tf.function
    def f(x):
        return tf.constant(1)

    with pytest.raises(TypeError, match="Could not generate a generic TraceType for"):
        f(value)


def test_the_tracing_protocol_keys_and_traces_with_its_placeholder(tf):
    class ShapeKind(tf.types.experimental.TraceType):  # one trace per class of the argument
        def __init__(self, value):
            self.cls, self.value = type(value), value

        def is_subtype_of(self, other):
            return self == other

        def most_specific_common_supertype(self, others):
            return self if all(self == o for o in others) else None

        def placeholder_value(self, placeholder_context=None):
            return self.value

        def __eq__(self, other):
            return type(other) is ShapeKind and self.cls is other.cls

        def __hash__(self):
            return hash(self.cls)

    class Square:
        def __init__(self, side):
            self.side = tf.constant(side)

        def __tf_tracing_type__(self, context):
            return ShapeKind(self)

    class Circle(Square):
        pass

    @tf.function
    def area(shape):
        return shape.side * shape.side

    assert float(area(Square(2.0))) == 4.0
    assert float(area(Square(3.0))) == 4.0  # the same trace: the first square's side
    assert float(area(Circle(5.0))) == 25.0
    assert area.experimental_get_tracing_count() == 2
