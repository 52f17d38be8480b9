"""tf.function's trace matching (issue 18): a trace with unknown dims serves later calls and
``get_concrete_function`` requests it covers (the most specific one), and ``reduce_retracing``
relaxes each new signature against every earlier trace, as TF 2's dispatch table does."""

import numpy as np
import pytest


def _shape(t):
    return None if t.shape.rank is None else tuple(t.shape.as_list())


def test_a_concrete_function_with_unknown_dims_serves_later_calls(tf):
    traces = []

    @tf.function
    def f(x):
        traces.append(_shape(x))
        return x * 2.0

    cf = f.get_concrete_function(tf.TensorSpec([None, 2]))
    np.testing.assert_array_equal(f(tf.ones([3, 2])).numpy(), np.full([3, 2], 2.0))
    np.testing.assert_array_equal(f(tf.fill([5, 2], 1.5)).numpy(), np.full([5, 2], 3.0))
    assert f.get_concrete_function(tf.ones([4, 2])) is cf
    assert f.get_concrete_function(tf.TensorSpec([4, 2])) is cf
    assert traces == [(None, 2)]
    f(tf.ones([3, 3]))  # not covered: a new trace
    f(tf.ones([3]))
    assert traces == [(None, 2), (3, 3), (3,)]
    assert f.experimental_get_tracing_count() == 3


def test_dispatch_takes_the_most_specific_covering_trace(tf):
    count = [0]

    @tf.function
    def f(x):
        count[0] += 1
        return tf.constant(count[0])

    f(tf.ones([3, 2]))  # trace 1, exact
    f.get_concrete_function(tf.TensorSpec([None, None]))  # trace 2
    f.get_concrete_function(tf.TensorSpec(None))  # trace 3: unknown rank
    assert f.get_concrete_function(tf.TensorSpec([None, 2])) is f.get_concrete_function(
        tf.TensorSpec([None, None])
    )  # covered by trace 2: no new trace
    got = [int(f(tf.ones(s))) for s in ([3, 2], [4, 2], [1, 7], [5], [])]
    assert got == [1, 2, 2, 3, 3]
    assert count == [3]


@pytest.mark.parametrize(
    "shapes, traced",
    [
        ([[1], [2], [3]], [(1,), (None,)]),
        ([[2, 3], [2, 4], [3, 3], [3]], [(2, 3), (2, None), (None, None), None]),
        ([[1], [1, 2], [2], [1, 2, 3]], [(1,), None]),
        ([[2, 2], [2, 2], [3, 3], [4, 4], [1]], [(2, 2), (None, None), None]),
        ([[], [1], [2]], [(), None]),
    ],
)
def test_reduce_retracing_relaxes_against_every_trace(tf, shapes, traced):
    seen = []

    @tf.function(reduce_retracing=True)
    def f(x):
        seen.append(_shape(x))
        return x + 1.0

    for s in shapes:
        np.testing.assert_array_equal(f(tf.zeros(s)).numpy(), np.ones(s))
    assert seen == traced


def test_reduce_retracing_with_python_values_and_dtypes(tf):
    seen = []

    @tf.function(reduce_retracing=True)
    def f(x, y, k):
        seen.append((_shape(x), _shape(y), x.dtype.name, k))
        return x

    f(tf.ones([2]), tf.ones([1, 1]), 1)
    f(tf.ones([3]), tf.ones([1, 1]), 1)
    f(tf.ones([3], tf.int32), tf.ones([1, 2]), 1)
    f(tf.ones([4]), tf.ones([2, 2]), 1)
    f(tf.ones([4], tf.int32), tf.ones([2, 2]), 1)
    f(tf.ones([4]), tf.ones([2, 2]), 2)  # another Python value: nothing to relax against
    f(tf.ones([5]), tf.ones([2, 2]), 2)
    f.get_concrete_function(tf.TensorSpec([5, 5]), tf.TensorSpec([1, 1]), 1)
    assert seen == [
        ((2,), (1, 1), "float32", 1),
        ((None,), (1, 1), "float32", 1),
        ((3,), (1, 2), "int32", 1),
        ((None,), (None, None), "float32", 1),
        ((None,), (None, 2), "int32", 1),
        ((4,), (2, 2), "float32", 2),
        ((None,), (2, 2), "float32", 2),
        (None, (None, None), "float32", 1),
    ]
