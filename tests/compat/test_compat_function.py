"""tf.function: tracing counts with Python and tensor arguments, input_signature, retracing on
new shapes and dtypes, and the variable-creation rule."""

import numpy as np
import pytest


def _counted(tf, **kwargs):
    traces = []

    @tf.function(**kwargs)
    def f(x):
        traces.append(1)
        return x * 2

    return f, traces


def test_same_signature_reuses_the_trace(tf):
    f, traces = _counted(tf)
    np.testing.assert_array_equal(f(tf.constant([1.0, 2.0])).numpy(), [2.0, 4.0])
    f(tf.constant([3.0, 4.0]))
    assert len(traces) == 1


def test_new_shape_or_dtype_retraces(tf):
    f, traces = _counted(tf)
    f(tf.constant([1.0, 2.0]))
    f(tf.constant([1.0, 2.0, 3.0]))
    assert len(traces) == 2
    f(tf.constant([1, 2]))
    assert len(traces) == 3
    f(tf.constant([1, 2]))
    assert len(traces) == 3


def test_python_values_retrace_per_value(tf):
    f, traces = _counted(tf)
    assert f(1) == 2 or f(1).numpy() == 2
    f(2)
    assert len(traces) == 2
    f(1)
    assert len(traces) == 2


def test_input_signature_with_none_dims_traces_once(tf):
    f, traces = _counted(tf, input_signature=[tf.TensorSpec([None], tf.float32)])
    f(tf.constant([1.0]))
    f(tf.constant([1.0, 2.0, 3.0]))
    assert len(traces) == 1


def test_input_signature_rejects_another_dtype(tf):
    f, _ = _counted(tf, input_signature=[tf.TensorSpec([None], tf.float32)])
    with pytest.raises(TypeError):
        f(tf.constant([1, 2]))


def test_input_signature_rejects_another_rank(tf):
    f, _ = _counted(tf, input_signature=[tf.TensorSpec([None], tf.float32)])
    with pytest.raises(TypeError):
        f(tf.constant([[1.0]]))


def test_input_signature_rejects_extra_arguments(tf):
    f, _ = _counted(tf, input_signature=[tf.TensorSpec([None], tf.float32)])
    with pytest.raises(TypeError):
        f(tf.constant([1.0]), tf.constant([1.0]))


def test_get_concrete_function(tf):
    f, traces = _counted(tf)
    cf = f.get_concrete_function(tf.TensorSpec([2], tf.float32))
    np.testing.assert_array_equal(cf(tf.constant([1.0, 2.0])).numpy(), [2.0, 4.0])
    f(tf.constant([5.0, 6.0]))
    assert len(traces) == 1


def test_tensorspec(tf):
    s = tf.TensorSpec([None, 3], tf.float32, name="x")
    assert s.shape.as_list() == [None, 3] and s.dtype == tf.float32 and s.name == "x"
    assert s.is_compatible_with(tf.zeros((5, 3)))
    assert not s.is_compatible_with(tf.zeros((5, 4)))


def test_creating_a_variable_on_every_call_is_value_error(tf):
    @tf.function
    def f(x):
        v = tf.Variable(1.0)
        return v + x

    with pytest.raises(ValueError):
        f(tf.constant(1.0))


def test_variable_created_on_first_call_only(tf):
    class Scale(tf.Module):
        def __init__(self):
            super().__init__()
            self.v = None

        @tf.function
        def __call__(self, x):
            if self.v is None:
                self.v = tf.Variable(2.0)
            return self.v * x

    m = Scale()
    assert m(tf.constant(3.0)).numpy() == 6.0
    assert m(tf.constant(4.0)).numpy() == 8.0


def test_variables_are_captured_by_reference(tf):
    v = tf.Variable(1.0)

    @tf.function
    def f():
        return v * 1.0

    assert f().numpy() == 1.0
    v.assign(5.0)
    assert f().numpy() == 5.0


def test_assign_inside_a_function(tf):
    v = tf.Variable(0.0)

    @tf.function
    def step():
        v.assign_add(1.0)

    step()
    step()
    assert v.numpy() == 2.0


def test_python_side_effects_run_only_when_tracing(tf):
    calls = []

    @tf.function
    def f(x):
        calls.append("traced")
        return x + 1

    for _ in range(3):
        f(tf.constant(1))
    assert calls == ["traced"]


def test_gradient_through_a_function(tf):
    @tf.function
    def f(x):
        return x * x * x

    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = f(x)
    assert tape.gradient(y, x).numpy() == 12.0


def test_cond_and_while_loop(tf):
    @tf.function
    def f(x):
        return tf.cond(x > 0, lambda: x * 2, lambda: -x)

    assert f(tf.constant(3)).numpy() == 6 and f(tf.constant(-3)).numpy() == 3
    i, s = tf.while_loop(lambda i, s: i < 4, lambda i, s: (i + 1, s + i), (0, 0))
    assert int(i) == 4 and int(s) == 6


def test_run_functions_eagerly(tf):
    calls = []

    @tf.function
    def f(x):
        calls.append(1)
        return x

    tf.config.run_functions_eagerly(True)
    try:
        f(tf.constant(1))
        f(tf.constant(1))
    finally:
        tf.config.run_functions_eagerly(False)
    assert len(calls) == 2


def test_tracing_count(tf):
    f, _ = _counted(tf)
    f(tf.constant(1.0))
    f(tf.constant(2.0))
    f(tf.constant([1.0]))
    assert f.experimental_get_tracing_count() == 2
