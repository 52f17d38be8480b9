"""jit_compile leftovers, Reshape of empty tensors, tf.constant in a trace (issue 18): a loop's
trip count and a TensorArray's size given as integer tensors are XLA compile-time constants
(the function compiles once per value); a -1 beside a 0 in Reshape's shape is inferred with the
zero sizes left out, as TF's kernel does; tf.constant rejects a symbolic tensor."""

import numpy as np
import pytest


def test_gradient_through_a_range_loop_with_a_tensor_trip_count_under_jit(tf):
    x = tf.Variable(2.0)

    @tf.function(jit_compile=True)
    def power_grad(n):
        with tf.GradientTape() as tape:
            y = tf.constant(1.0)
            for _ in tf.range(n):
                y = y * x
        return tape.gradient(y, x), y + tf.cast(n, tf.float32)

    @tf.function(jit_compile=True)
    def weighted_grad(n):
        with tf.GradientTape() as tape:
            y = tf.constant(0.0)
            for i in tf.range(n):
                y = y + x * x * tf.cast(i, tf.float32)
        return tape.gradient(y, x)

    g, y = power_grad(tf.constant(5))
    assert float(g) == 80.0  # d/dx x^5 = 5 x^4 at x = 2
    assert float(y) == 37.0  # 2^5 + 5
    g, y = power_grad(tf.constant(3))  # another trip count: another compile
    assert float(g) == 12.0 and float(y) == 11.0
    assert float(weighted_grad(tf.constant(5))) == 40.0  # 2 x (0 + 1 + 2 + 3 + 4)


def test_tensor_array_of_a_tensor_size_under_jit(tf):
    @tf.function(jit_compile=True)
    def doubled(n):
        ta = tf.TensorArray(tf.float32, size=n)
        for i in tf.range(n):
            ta = ta.write(i, tf.cast(i, tf.float32) * 2.0)
        return ta.stack()

    @tf.function(jit_compile=True)
    def rows_doubled(x):
        n = tf.shape(x)[0]  # a constant of the trace's static shape
        ta = tf.TensorArray(tf.float32, size=n)
        for i in tf.range(n):
            ta = ta.write(i, x[i] * 2.0)
        return ta.stack()

    np.testing.assert_array_equal(doubled(tf.constant(4)).numpy(), [0.0, 2.0, 4.0, 6.0])
    np.testing.assert_array_equal(doubled(tf.constant(2)).numpy(), [0.0, 2.0])
    got = rows_doubled(tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])).numpy()
    np.testing.assert_array_equal(got, [[2.0, 4.0], [6.0, 8.0], [10.0, 12.0]])


def test_write_past_a_fixed_size_in_a_graph(tf):
    @tf.function
    def f():
        return tf.TensorArray(tf.float32, size=2).write(3, 1.0).stack()

    with pytest.raises(tf.errors.InvalidArgumentError, match="modify element 3 in a list with 2"):
        f()


@pytest.mark.th_xfail("a run-time index past the size fails in the scatter that writes it")
def test_write_past_a_fixed_size_at_a_run_time_index(tf):
    @tf.function
    def f(n):
        ta = tf.TensorArray(tf.float32, size=2)
        for i in tf.range(n):
            ta = ta.write(i, 1.0)
        return ta.stack()

    with pytest.raises(tf.errors.InvalidArgumentError, match="modify element 2 in a list with 2"):
        f(tf.constant(3))


RESHAPES = [  # (input shape, requested shape, output shape): TF's kernel
    ([0, 3], [0, -1], (0, 3)),
    ([0, 3], [-1, 0], (3, 0)),
    ([0, 3], [-1], (0,)),
    ([0, 3], [-1, 3], (0, 3)),
    ([0, 3], [2, -1], (2, 0)),
    ([0, 3], [0, -1, 5], (0, 0, 5)),
    ([0, 4], [0, -1, 3], (0, 1, 3)),
    ([0], [0, -1], (0, 1)),
    ([0, 3], [5, 0], (5, 0)),
    ([0, 3], [-1, 5], (0, 5)),
    ([2, 0, 3], [2, -1], (2, 0)),
]


@pytest.mark.parametrize("mode", ["eager", "function", "jit"])
def test_reshape_of_empty_tensors_infers_the_minus_one(tf, mode):
    def run(x, target):
        if mode == "eager":
            return tf.reshape(x, target)
        return tf.function(lambda x: tf.reshape(x, target), jit_compile=mode == "jit")(x)

    for shape, target, want in RESHAPES:
        out = run(tf.zeros(shape), target)
        assert tuple(out.shape) == want, (shape, target)


def test_reshape_errors_beside_zero_sizes(tf):
    cases = [
        ([2, 3], [0, -1], "tensor with 6 values, but the requested shape has 0"),
        ([6], [-1, 4], "tensor with 6 values, but the requested shape requires a multiple of 4"),
        ([0, 3], [0, -1, -1], "Only one input size may be -1, not both 1 and 2"),
        ([0, 3], [0, -2], "Size 1 must be non-negative, not -2"),
    ]
    for shape, target, message in cases:
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            tf.reshape(tf.zeros(shape), target)


def test_reshape_static_shape_of_an_unknown_batch(tf):
    f = tf.function(lambda x: tf.reshape(x, [0, -1]))
    cf = f.get_concrete_function(tf.TensorSpec([None, 3], tf.float32))
    assert cf.structured_outputs.shape.as_list() == [0, None]
    assert tuple(f(tf.zeros([0, 3])).shape) == (0, 3)


def test_constant_of_a_symbolic_tensor_is_a_type_error(tf):
    @tf.function
    def plain(t):
        return tf.constant(t)

    @tf.function
    def typed(t):
        return tf.constant(t, dtype=tf.float32)

    with pytest.raises(TypeError, match="Expected any non-tensor type, but got a tensor instead"):
        plain(tf.constant([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"Expected float32, but got Tensor\(\"t:0\""):
        typed(tf.constant([1.0]))
    v = tf.Variable([1.0, 2.0])
    with pytest.raises(NotImplementedError, match="only available when eager execution"):
        tf.function(lambda: tf.constant(v))()
    e = tf.constant([3.0])  # an eager tensor captured by the trace is a value
    np.testing.assert_array_equal(tf.function(lambda: tf.constant(e) * 2.0)().numpy(), [6.0])
    np.testing.assert_array_equal(tf.constant(tf.constant([1, 2])).numpy(), [1, 2])
