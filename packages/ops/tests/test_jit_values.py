"""jit_compile with shapes that depend on integer inputs' values (a TensorArray's size, a loop's
trip count): XLA's compile-time constants, one trace and compile per set of values."""

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_kernels.runtime import errors, list_kernels

pytestmark = pytest.mark.skipif(not list_kernels(device_type="XLA_CPU"), reason="no JAX / XLA")


def test_one_trace_per_value_of_the_integer_inputs():
    traces = []

    @tf.function(jit_compile=True)
    def f(x, n):
        traces.append(1)
        ta = tf.TensorArray(tf.float32, size=n)
        for i in tf.range(n):
            ta = ta.write(i, x * tf.cast(i, tf.float32))
        return ta.stack()

    x = tf.constant([1.0, 2.0])
    for n in (3, 3, 2, 3):
        want = np.arange(n, dtype=np.float32)[:, None] * np.array([1.0, 2.0], np.float32)
        np.testing.assert_array_equal(f(x, tf.constant(n)).numpy(), want)
    assert len(traces) == 3  # the first trace, then one per value (3 and 2)
    assert f.experimental_get_tracing_count() == 1


def test_data_shaped_loop_gradient_without_integer_inputs_stays_tf_error():
    @tf.function(jit_compile=True)
    def grad(x, n):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.while_loop(lambda v: tf.reduce_sum(v) < n, lambda v: v * 2.0, [x])[0]
        return tape.gradient(y, x)

    with pytest.raises(errors.InvalidArgumentError, match="requires a fixed tensor list size"):
        grad(tf.constant([1.0, 2.0]), tf.constant(10.0))
