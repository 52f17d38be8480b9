"""tf.function: tracing, retracing rules, graphs, optimization, control flow, gradients."""

import logging
import sys

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_ops import errors


def _types(graph):
    return [op.type for op in graph.get_operations()]


def _run_types(graph):
    """The op types an optimized graph runs, FusedElementwise programs spelled out (their
    constants as Const)."""
    out = []
    for op in graph.get_operations():
        if op.type != "FusedElementwise":
            out.append(op.type)
            continue
        for ins in op.attrs["program"]:
            if ins[0] in ("unary", "binary"):
                out.append(ins[1])
            elif ins[0] == "const":
                out.append("Const")
    return out


def test_traced_equals_eager_and_reuses_the_trace():
    def f(x, y):
        return tf.nn.relu(tf.matmul(x, y) + 1.0) * 2.0 - tf.reduce_sum(y)

    g = tf.function(f)
    rng = np.random.default_rng(0)
    x = tf.constant(rng.standard_normal((3, 4)).astype(np.float32))
    y = tf.constant(rng.standard_normal((4, 5)).astype(np.float32))
    np.testing.assert_allclose(g(x, y).numpy(), f(x, y).numpy(), rtol=1e-6)
    assert g.experimental_get_tracing_count() == 1
    g(tf.constant(np.ones((3, 4), np.float32)), y)  # same signature: no new trace
    assert g.experimental_get_tracing_count() == 1


def test_retracing_rules():
    @tf.function
    def f(x, n):
        return x * n

    f(tf.constant([1.0, 2.0]), 2)
    f(tf.constant([3.0, 4.0]), 2)
    assert f.experimental_get_tracing_count() == 1
    f(tf.constant([1.0, 2.0, 3.0]), 2)  # new shape
    assert f.experimental_get_tracing_count() == 2
    f(tf.constant([1.0, 2.0], tf.float64), 2)  # new dtype
    assert f.experimental_get_tracing_count() == 3
    out = f(tf.constant([1.0, 2.0]), 3)  # new Python value
    assert f.experimental_get_tracing_count() == 4
    assert out.numpy().tolist() == [3.0, 6.0]
    f(x=tf.constant([1.0, 2.0]), n=3)  # keywords bind to the same signature
    assert f.experimental_get_tracing_count() == 4


def test_reduce_retracing_relaxes_shapes():
    @tf.function(reduce_retracing=True)
    def f(x):
        return tf.reduce_sum(x, axis=0)

    assert f(tf.ones((2, 3))).numpy().tolist() == [2.0] * 3
    assert f(tf.ones((4, 3))).numpy().tolist() == [4.0] * 3  # traced with shape (None, 3)
    assert f(tf.ones((7, 3))).numpy().tolist() == [7.0] * 3  # reuses the relaxed trace
    assert f.experimental_get_tracing_count() == 2
    f(tf.ones((2, 3, 1)))  # another rank: a new trace
    assert f.experimental_get_tracing_count() == 3


def test_retracing_warning_is_logged(caplog):
    @tf.function
    def f(x):
        return x + 1

    with caplog.at_level(logging.WARNING, logger="tensorhouse"):
        for n in range(1, 7):
            f(tf.zeros((n,)))
    assert f.experimental_get_tracing_count() == 6
    assert any("triggered tf.function retracing" in r.getMessage() for r in caplog.records)


def test_input_signature_with_unknown_dims():
    @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
    def f(x):
        return tf.reduce_sum(x * x, axis=1)

    assert f(tf.ones((3, 2))).numpy().tolist() == [2.0, 2.0, 2.0]
    assert f(tf.ones((5, 2))).shape == (5,)
    assert f.experimental_get_tracing_count() == 1
    cf = f.get_concrete_function()
    assert cf.inputs[0].shape.as_list() == [None, 2]
    assert cf.outputs[0].shape.as_list() == [None]
    with pytest.raises(TypeError):
        f(tf.ones((3, 3)))
    with pytest.raises(TypeError):
        f(tf.ones((3, 2), tf.float64))
    with pytest.raises(TypeError):
        f(tf.ones((3, 2)), tf.ones((3, 2)))


def test_concrete_function_graph_and_call():
    @tf.function
    def f(x):
        return tf.exp(x) + tf.sin(x)

    cf = f.get_concrete_function(tf.TensorSpec([3], tf.float32))
    types = _types(cf.graph)
    assert types[0] == "Placeholder" and "Exp" in types and "Sin" in types and "AddV2" in types
    x = tf.constant([0.0, 1.0, 2.0])
    np.testing.assert_allclose(cf(x).numpy(), np.exp(x.numpy()) + np.sin(x.numpy()), rtol=1e-6)
    with pytest.raises(TypeError):
        cf(tf.constant([1.0, 2.0]))
    assert f.get_concrete_function(x) is cf  # a tensor of that spec finds the same trace


def test_symbolic_tensor_protocol_in_a_trace():
    seen = {}

    @tf.function
    def f(x):
        seen["repr"] = repr(x)
        with pytest.raises(TypeError, match="bool"):
            bool(x > 0)
        with pytest.raises(NotImplementedError):
            x.numpy()
        return x

    f(tf.constant([1.0, 2.0]))
    assert "shape=(2,)" in seen["repr"] and "float32" in seen["repr"]


def test_variables_captured_by_reference_and_assigned():
    v = tf.Variable([1.0, 2.0])

    @tf.function
    def step(x):
        v.assign_add(x)
        return v * 2.0

    assert step(tf.constant([1.0, 1.0])).numpy().tolist() == [4.0, 6.0]
    assert v.numpy().tolist() == [2.0, 3.0]
    v.assign([10.0, 10.0])  # the graph reads the variable, not a copy of its old value
    assert step(tf.constant([0.0, 1.0])).numpy().tolist() == [20.0, 22.0]
    assert step.experimental_get_tracing_count() == 1
    cf = step.get_concrete_function(tf.constant([1.0, 1.0]))
    assert "AssignAddVariableOp" in _types(cf.graph)


def test_variables_created_only_on_first_trace():
    class M:
        def __init__(self):
            self.v = None

        @tf.function
        def __call__(self, x):
            if self.v is None:
                self.v = tf.Variable(tf.ones_like(x) * 3.0)
            return self.v * x

    m = M()
    assert m(tf.constant([1.0, 2.0])).numpy().tolist() == [3.0, 6.0]
    assert m(tf.constant([2.0, 2.0])).numpy().tolist() == [6.0, 6.0]

    @tf.function
    def bad(x):
        return tf.Variable(1.0) + x

    # As TF: a first trace that creates variables is traced again, so this fails at once.
    with pytest.raises(ValueError, match="first call"):
        bad(tf.constant(1.0))


def test_optimizer_folds_prunes_cse_and_fuses():
    @tf.function
    def f(x, y):
        c = tf.constant(2.0) * tf.constant(3.0)  # folded
        unused = tf.exp(x)  # noqa: F841 - pruned
        a = tf.sin(x) + tf.sin(x)  # one Sin after CSE
        d = tf.square(x - y)  # fused into SquaredDifference
        r = tf.math.reciprocal(tf.sqrt(y))  # fused into Rsqrt
        return a * c + d + r

    x, y = tf.constant([0.5, 1.0]), tf.constant([2.0, 4.0])
    cf = f.get_concrete_function(x, y)
    assert _types(cf.optimized_graph) == ["Placeholder", "Placeholder", "FusedElementwise"]
    opt = _run_types(cf.optimized_graph)
    assert "Exp" not in opt and opt.count("Sin") == 1
    assert "SquaredDifference" in opt and "Square" not in opt and "Sub" not in opt
    assert "Rsqrt" in opt and "Reciprocal" not in opt and "Sqrt" not in opt
    assert "Mul" in opt and opt.count("Const") == 1
    assert _types(cf.graph).count("Sin") == 2  # the traced graph is kept as traced
    xn, yn = x.numpy(), y.numpy()
    expect = 2 * np.sin(xn) * 6 + (xn - yn) ** 2 + 1 / np.sqrt(yn)
    np.testing.assert_allclose(f(x, y).numpy(), expect, rtol=1e-6)


def test_softmax_pattern_is_fused():
    @tf.function
    def f(x):
        e = tf.exp(x - tf.reduce_max(x, axis=-1, keepdims=True))
        return e / tf.reduce_sum(e, axis=-1, keepdims=True)

    x = tf.constant(np.random.default_rng(1).standard_normal((4, 5)).astype(np.float32))
    cf = f.get_concrete_function(x)
    assert [t for t in _types(cf.optimized_graph) if t not in ("Placeholder",)] == ["Softmax"]
    np.testing.assert_allclose(f(x).numpy(), tf.nn.softmax(x).numpy(), rtol=1e-6)


def test_cond_and_while_loop_in_graphs_and_eagerly():
    def f(x):
        y = tf.cond(tf.reduce_sum(x) > 0, lambda: x * 2.0, lambda: -x)
        i, s = tf.while_loop(
            lambda i, s: i < 5, lambda i, s: (i + 1, s + tf.cast(i, tf.float32)), [0, y]
        )
        return i, s

    g = tf.function(f)
    for v in ([1.0, 2.0], [-1.0, -2.0]):
        x = tf.constant(v)
        (ie, se), (ig, sg) = f(x), g(x)
        assert int(ie) == int(ig) == 5
        np.testing.assert_allclose(sg.numpy(), se.numpy())
    types = _types(g.get_concrete_function(tf.constant([1.0, 2.0])).graph)
    assert "StatelessIf" in types and "StatelessWhile" in types
    assert g.experimental_get_tracing_count() == 1
    assert int(f(tf.constant([1.0]))[0]) == 5  # eagerly: plain Python


def test_while_loop_maximum_iterations_and_python_control_flow():
    @tf.function
    def f(x, n):
        for _ in range(n):  # Python control flow on a Python value unrolls
            x = x + 1.0
        return tf.while_loop(lambda v: v < 100.0, lambda v: v * 2.0, [x], maximum_iterations=3)

    (out,) = f(tf.constant(1.0), 2)
    assert float(out) == 24.0


def test_cond_branch_errors():
    @tf.function
    def f(x):
        return tf.cond(x > 0, lambda: x, lambda: tf.cast(x, tf.int32))

    with pytest.raises(TypeError, match="dtypes"):
        f(tf.constant(1.0))


def test_run_functions_eagerly():
    calls = []

    @tf.function
    def f(x):
        calls.append(tf.executing_eagerly() if hasattr(tf, "executing_eagerly") else None)
        return float(tf.reduce_sum(x))  # only works eagerly

    tf.config.run_functions_eagerly(True)
    try:
        assert tf.config.functions_run_eagerly()
        assert f(tf.constant([1.0, 2.0])) == 3.0
        assert f(tf.constant([1.0, 2.0])) == 3.0
        assert len(calls) == 2 and f.experimental_get_tracing_count() == 0
    finally:
        tf.config.run_functions_eagerly(False)
    assert not tf.config.functions_run_eagerly()
    assert tf.config.list_physical_devices("CPU")  # the runtime's config is still there


def test_print_runs_when_the_graph_runs(capsys):
    @tf.function
    def f(x):
        tf.print("x:", x, output_stream=sys.stdout)
        return x + 1

    f(tf.constant([1, 2]))
    f(tf.constant([3, 4]))
    out = capsys.readouterr().out
    assert out == "x: [1 2]\nx: [3 4]\n"
    tf.print(tf.constant([1.5, 2.0]), "end", output_stream=sys.stdout)
    assert capsys.readouterr().out == "[1.5 2] end\n"


def test_gradients_through_functions_match_eager():
    w = tf.Variable([[0.5, -1.0], [2.0, 0.25]])

    def loss(x):
        h = tf.tanh(tf.matmul(x, w))
        h = tf.cond(tf.reduce_sum(h) > 0, lambda: h * h, lambda: h)
        return tf.reduce_sum(h * x)

    fn = tf.function(loss)
    x = tf.constant([[1.0, 2.0], [-0.5, 0.3]])
    for f in (loss, fn):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        gx, gw = tape.gradient(y, [x, w])
        if f is loss:
            ref = (float(y), gx.numpy(), gw.numpy())
        else:
            np.testing.assert_allclose(float(y), ref[0], rtol=1e-6)
            np.testing.assert_allclose(gx.numpy(), ref[1], rtol=1e-5)
            np.testing.assert_allclose(gw.numpy(), ref[2], rtol=1e-5)
    # against finite differences
    eps, xn = 1e-2, x.numpy().astype(np.float64)
    for i in range(2):
        for j in range(2):
            d = np.zeros_like(xn)
            d[i, j] = eps
            fd = (
                float(fn(tf.constant(xn + d, tf.float32)))
                - float(fn(tf.constant(xn - d, tf.float32)))
            ) / (2 * eps)
            np.testing.assert_allclose(ref[1][i, j], fd, rtol=2e-2, atol=2e-3)


def test_gradients_through_a_traced_while_loop_and_nested_functions():
    @tf.function
    def square(v):
        return v * v

    @tf.function
    def power8(x):
        (out,) = tf.while_loop(lambda v: tf.reduce_sum(v) < 1e9, square, [x], maximum_iterations=3)
        return out

    x = tf.constant([1.5, -0.5])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(power8(x))
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), 8 * x.numpy() ** 7, rtol=1e-5)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.reduce_sum(square(x))
        g = inner.gradient(y, x)
    np.testing.assert_allclose(outer.gradient(g, x).numpy(), [2.0, 2.0])  # second order


def test_tape_inside_a_traced_train_step():
    w = tf.Variable([1.0, -2.0])

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.square(w * x - 1.0))
        (g,) = tape.gradient(loss, [w])
        w.assign_sub(0.1 * g)
        return loss

    x = tf.constant([2.0, 0.5])
    w_eager = np.array([1.0, -2.0], np.float32)
    for _ in range(3):
        loss = step(x)
        g = 2 * (w_eager * x.numpy() - 1.0) * x.numpy()
        expect = np.sum((w_eager * x.numpy() - 1.0) ** 2)
        w_eager = w_eager - 0.1 * g
        np.testing.assert_allclose(float(loss), expect, rtol=1e-6)
        np.testing.assert_allclose(w.numpy(), w_eager, rtol=1e-6)
    assert step.experimental_get_tracing_count() == 1


def test_nested_functions_and_methods():
    @tf.function
    def inner(x):
        return x * 3.0

    @tf.function
    def outer(x):
        return inner(x) + 1.0

    assert float(outer(tf.constant(2.0))) == 7.0
    assert inner.experimental_get_tracing_count() == 0  # inlined into outer's trace

    class Scale(tf.Module):
        def __init__(self, k):
            super().__init__()
            self.k = tf.Variable(k)

        @tf.function
        def __call__(self, x):
            return x * self.k

    a, b = Scale(2.0), Scale(5.0)
    assert float(a(tf.constant(1.0))) == 2.0 and float(b(tf.constant(1.0))) == 5.0


def test_structured_inputs_and_outputs():
    @tf.function
    def f(d, pair):
        return {"sum": d["a"] + d["b"], "first": pair[0], "n": 7}

    out = f({"a": tf.constant(1.0), "b": tf.constant(2.0)}, (tf.constant(3), tf.constant(4)))
    assert float(out["sum"]) == 3.0 and int(out["first"]) == 3 and out["n"] == 7


def test_jit_compile_runs_under_jax_or_is_a_clear_error():
    from tensorhouse_kernels.runtime import list_kernels

    v = tf.Variable([1.0, 2.0])

    def f(x, w):
        v.assign_add(tf.ones_like(v))
        return tf.nn.softmax(tf.matmul(x, w)) * 2.0 + tf.reduce_sum(v)

    g = tf.function(f, jit_compile=True)
    x = tf.constant(np.arange(6, dtype=np.float32).reshape(2, 3) / 6)
    w = tf.constant(np.ones((3, 4), np.float32))
    if not list_kernels(device_type="XLA_CPU"):
        with pytest.raises(errors.UnimplementedError, match="XLA"):
            g(x, w)
        return
    expect = f(x, w).numpy()  # v: [2, 3]
    np.testing.assert_allclose(g(x, w).numpy(), expect + 2.0, rtol=1e-6)  # v: [3, 4]
    assert v.numpy().tolist() == [3.0, 4.0]

    @tf.function(jit_compile=True)
    def with_print(x):
        tf.print(x)
        return x

    with pytest.raises(errors.UnimplementedError, match="PrintV2"):
        with_print(x)


def test_jit_compile_keeps_scalars_scalar():
    """A scalar variable updated and a scalar returned under jit_compile stay shape ()."""
    from tensorhouse_kernels.runtime import list_kernels

    if not list_kernels(device_type="XLA_CPU"):
        pytest.skip("no XLA kernels (JAX not installed)")
    step = tf.Variable(0, dtype=tf.int64)
    x = tf.Variable(1.5)

    @tf.function(jit_compile=True)
    def f():
        step.assign_add(1)
        x.assign(x * 2.0)
        return tf.reduce_sum(x.value())

    out = f()
    assert out.shape == () and float(out) == 3.0
    assert step.shape == () and x.shape == () and int(step.numpy()) == 1
    f()
    assert step.numpy().shape == () and int(step.numpy()) == 2 and float(x.numpy()) == 6.0


def test_random_ops_draw_new_numbers_per_call():
    @tf.function
    def f():
        return tf.random.uniform([4], seed=3)

    a, b = f().numpy(), f().numpy()
    assert not np.array_equal(a, b)


def test_variable_slice_assignment_inside_a_traced_function():
    v = tf.Variable(np.zeros((3, 3), np.float32))

    @tf.function
    def f(x):
        v[0, 1].assign(x)
        v[1:, :2].assign(tf.ones((2, 2)))
        doubled = v[2] * 2.0  # a slice read composes with ops like a tensor
        return v.read_value(), doubled, v[0]

    value, doubled, row = f(tf.constant(5.0))
    want = np.array([[0, 5, 0], [1, 1, 0], [1, 1, 0]], np.float32)
    np.testing.assert_array_equal(value.numpy(), want)
    np.testing.assert_array_equal(doubled.numpy(), [2.0, 2.0, 0.0])
    np.testing.assert_array_equal(row.numpy(), [0.0, 5.0, 0.0])
    f(tf.constant(7.0))  # the same trace writes the new value into the variable
    assert f.experimental_get_tracing_count() == 1
    assert v.numpy()[0, 1] == 7.0
    ops = [op.type for op in f.get_concrete_function(tf.constant(1.0)).graph.get_operations()]
    assert "AssignVariableOp" in ops and "StridedSliceGrad" in ops


def test_custom_gradient_inside_a_traced_function():
    @tf.custom_gradient
    def scaled_exp(x):
        y = tf.exp(x)

        def grad(dy):  # closes over y, a symbolic tensor while f is traced
            return dy * y * 3.0

        return y, grad

    @tf.function
    def f(x):
        return scaled_exp(x) + 1.0

    x = tf.Variable([0.0, 1.0])
    with tf.GradientTape() as tape:
        out = f(x)
    np.testing.assert_allclose(out.numpy(), np.exp([0.0, 1.0]) + 1.0, rtol=1e-6)
    np.testing.assert_allclose(tape.gradient(out, x).numpy(), 3.0 * np.exp([0.0, 1.0]), 1e-6)
    x.assign([2.0, -1.0])  # the same trace, new values: grad_fn sees this call's y
    with tf.GradientTape() as tape:
        out = f(x)
    np.testing.assert_allclose(tape.gradient(out, x).numpy(), 3.0 * np.exp([2.0, -1.0]), 1e-6)
    assert f.experimental_get_tracing_count() == 1

    @tf.function
    def inner_tape(x):  # a tape inside the traced function uses grad_fn too
        with tf.GradientTape() as t:
            t.watch(x)
            y = scaled_exp(x)
        return t.gradient(y, x)

    np.testing.assert_allclose(
        inner_tape(tf.constant([0.5])).numpy(), [3.0 * np.exp(0.5)], rtol=1e-6
    )


def test_jit_compile_random_ops_draw_the_numbers_of_the_traced_function():
    """Under jit_compile the random ops run inside the jax.jit graph, with each run's seeds as
    arguments: the same numbers as the plain traced function, call after call."""
    from tensorhouse_kernels.runtime import list_kernels

    if not list_kernels(device_type="XLA_CPU"):
        pytest.skip("no XLA kernels (JAX not installed)")

    def f(x):
        return (
            x + tf.random.uniform([3], seed=1),
            tf.random.normal([2, 2], dtype=tf.float64),
            tf.random.truncated_normal([50]),
            tf.random.uniform([4], maxval=10, dtype=tf.int32, seed=5),
        )

    x = tf.constant([1.0, 2.0, 3.0])
    runs = {}
    for jit in (False, True):
        tf.random.set_seed(7)
        g = tf.function(f, jit_compile=jit)
        runs[jit] = [[t.numpy() for t in g(x)] for _ in range(3)]
    for plain, jitted in zip(runs[False], runs[True]):
        np.testing.assert_array_equal(jitted[0], plain[0])  # uniform: exact
        np.testing.assert_allclose(jitted[1], plain[1], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(jitted[2], plain[2], rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(jitted[3], plain[3])
        assert np.all(np.abs(jitted[2]) < 2.0) and jitted[3].dtype == np.int32
    assert not np.array_equal(runs[True][0][0], runs[True][1][0])  # a new draw per call


def test_nested_tensor_args_take_the_fast_path_and_keep_trace_matching():
    """Tuples / lists of tensors (and Nones), as ``fit`` passes its batches, reuse the trace
    without binding; a different structure, shape or dtype still gets its own trace."""
    calls = []

    @tf.function
    def f(batch):
        calls.append(1)
        x, y, w = batch
        out = tf.reduce_sum(x) * tf.reduce_sum(y)
        return out if w is None else out * tf.reduce_sum(w)

    a = tf.constant(np.arange(6, dtype=np.float32).reshape(2, 3))
    b = tf.constant(np.array([1.0, 2.0], np.float32))
    assert float(f((a, b, None))) == 45.0
    assert float(f((a * 2.0, b, None))) == 90.0
    assert len(calls) == 1 and len(f._fast) == 1
    # a list instead of a tuple, a weight instead of None, another shape: new traces
    assert float(f([a, b, None])) == 45.0
    assert float(f((a, b, b))) == 135.0
    assert float(f((a[:1], b, None))) == 9.0
    assert len(calls) == 4
    assert float(f((a, b, None))) == 45.0 and len(calls) == 4

    # a Python value inside the structure goes through the general path, keyed by value
    @tf.function
    def g(pair):
        return pair[0] * pair[1]

    assert float(g((a[0, 1], 3.0))) == 3.0
    assert float(g((a[0, 1], 4.0))) == 4.0
    assert g.experimental_get_tracing_count() == 2 and not g._fast
