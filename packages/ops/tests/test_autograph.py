"""AutoGraph: Python control flow on tensors inside ``tf.function`` becomes graph control flow,
with the numbers of the same Python code run eagerly."""

import ast
import math

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_ops import _autograph


def _op_types(fn, *args):
    return {op.type for op in fn.get_concrete_function(*args).graph.get_operations()}


def _eager_and_traced(py, *args):
    """The Python function run eagerly, and through tf.function."""
    eager = py(*args)
    traced = tf.function(py)(*args)
    return eager, traced


def _sign(x):
    if x > 0:
        y = x * 2.0
    elif x < 0:
        y = -x
    else:
        y = x + 100.0
    return y


@pytest.mark.parametrize("v", [3.0, -2.5, 0.0])
def test_if_elif_else_on_a_tensor_is_a_cond(v):
    eager, traced = _eager_and_traced(_sign, tf.constant(v))
    want = v * 2 if v > 0 else (-v if v < 0 else v + 100)
    assert traced.numpy() == pytest.approx(want)
    assert eager.numpy() == traced.numpy()
    assert _op_types(tf.function(_sign), tf.constant(v)) & {"If", "StatelessIf"}


def test_python_condition_stays_python():
    traces = []

    @tf.function
    def f(x, training):
        traces.append(1)
        if training:
            x = x * 10.0
        return x

    assert f(tf.constant(2.0), True).numpy() == 20.0
    assert f(tf.constant(2.0), False).numpy() == 2.0
    assert len(traces) == 2
    ops = _op_types(f, tf.constant(1.0), True)
    assert not ops & {"If", "StatelessIf"}
    assert "Mul" in ops


def _collatz_steps(n):
    steps = tf.constant(0)
    while n > 1:
        if n % 2 == 0:
            n = n // 2
        else:
            n = 3 * n + 1
        steps += 1
    return steps


def _collatz_numpy(n):
    steps = 0
    while n > 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


@pytest.mark.parametrize("n", [1, 6, 27])
def test_while_on_a_tensor_is_a_while_loop(n):
    f = tf.function(_collatz_steps)
    assert f(tf.constant(n)).numpy() == _collatz_numpy(n)
    assert _collatz_steps(tf.constant(n)).numpy() == _collatz_numpy(n)  # eagerly
    assert _op_types(f, tf.constant(n)) & {"While", "StatelessWhile"}
    assert f.experimental_get_tracing_count() == 1


def test_for_over_tf_range_with_a_symbolic_bound():
    @tf.function
    def f(n):
        s = tf.constant(0)
        for i in tf.range(n):
            s += i * i
        return s

    for n in [0, 1, 5, 9]:
        assert f(tf.constant(n)).numpy() == sum(i * i for i in range(n))
    assert f.experimental_get_tracing_count() == 1
    assert _op_types(f, tf.constant(3)) & {"While", "StatelessWhile"}


def test_for_over_tf_range_with_start_and_negative_delta():
    @tf.function
    def f(a, b):
        out = tf.constant(0)
        for i in tf.range(a, b, -2):
            out = out * 10 + i
        return out

    assert f(tf.constant(7), tf.constant(0)).numpy() == 7531
    assert f(tf.constant(0), tf.constant(7)).numpy() == 0


def test_builtin_range_of_a_tensor_is_a_tensor_loop():
    @tf.function
    def f(n):
        s = 0
        for i in range(n):
            s += i
        return s

    assert f(tf.constant(5)).numpy() == 10
    assert f(tf.constant(7)).numpy() == 21
    assert f.experimental_get_tracing_count() == 1


def test_for_over_a_tensor_iterates_its_first_axis():
    x = np.arange(12, dtype=np.float32).reshape(4, 3)

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    def f(m):
        acc = tf.zeros([3])
        for row in m:
            acc = acc * 0.5 + row
        return acc

    want = np.zeros(3, np.float32)
    for row in x:
        want = want * 0.5 + row
    np.testing.assert_allclose(f(tf.constant(x)).numpy(), want)
    np.testing.assert_allclose(f(tf.constant(x[:2])).numpy(), x[0] * 0.5 + x[1])


def test_for_over_a_python_list_is_unrolled():
    @tf.function
    def f(x):
        for w in [1.0, 2.0, 3.0]:
            x = x * w
        return x

    assert f(tf.constant(2.0)).numpy() == 12.0
    assert not _op_types(f, tf.constant(2.0)) & {"While", "StatelessWhile"}


def test_the_loop_target_is_defined_after_a_tensor_loop():
    @tf.function
    def f(n):
        for i in tf.range(n):  # noqa: B007 - read after the loop
            pass
        return i

    assert f(tf.constant(4)).numpy() == 3


def test_break_and_continue_in_a_tensor_loop():
    @tf.function
    def f(x):
        s = tf.constant(0)
        for v in x:
            if v > 5:
                break
            if v % 2 == 1:
                continue
            s += v
        return s

    def ref(xs):
        s = 0
        for v in xs:
            if v > 5:
                break
            if v % 2 == 1:
                continue
            s += v
        return s

    for xs in ([0, 1, 2, 3, 4], [2, 4, 6, 8, 10], [8, 2], [1, 3]):
        assert f(tf.constant(xs)).numpy() == ref(xs)


def test_break_in_a_while_loop_and_loop_else_left_unconverted(caplog):
    @tf.function
    def f(x, limit):
        i = tf.constant(0)
        while i < 10:
            x = x * 2
            if x > limit:
                break
            i += 1
        return x, i

    x, i = f(tf.constant(1), tf.constant(20))
    assert (x.numpy(), i.numpy()) == (32, 4)
    x, i = f(tf.constant(1), tf.constant(5000))
    assert (x.numpy(), i.numpy()) == (1024, 10)

    @tf.function
    def g(x):
        while x < 10:
            x = x * 2
        else:
            x = -x
        return x

    with pytest.raises(TypeError, match="symbolic"):  # as TF: while/else runs as written
        g(tf.constant(1))
    assert "while/else statement not yet supported" in caplog.text


def test_return_inside_branches():
    @tf.function
    def f(x):
        if x > 10:
            return x - 10
        elif x > 0:
            y = x * 3
            return y
        x = -x
        return x + 1

    assert [f(tf.constant(v)).numpy() for v in (15, 4, -7)] == [5, 12, 8]


def test_return_in_a_python_loop_of_a_converted_function():
    @tf.function
    def f(x, items):
        for k in items:
            if k == "stop":
                return x
            x = x + 1
        return x * 100

    assert f(tf.constant(1), ("a", "b", "stop", "c")).numpy() == 3
    assert f(tf.constant(1), ("a",)).numpy() == 200


def test_return_inside_a_tensor_loop_is_tf_error():
    @tf.function
    def f(n):
        for i in tf.range(n):
            if i > 1:
                return i
        return -1

    with pytest.raises(NotImplementedError, match="return statement cannot be placed"):
        f(tf.constant(3))


def test_conditional_expression_and_boolean_operators():
    def f(x):
        a = x > 0 and x < 5
        b = x < 0 or x > 100
        c = not (x > 0)
        d = 1.0 if x > 2 else -1.0
        return a, b, c, d

    for v in (-3, 1, 3, 200):
        eager, traced = _eager_and_traced(f, tf.constant(v))
        want = (0 < v < 5, v < 0 or v > 100, not v > 0, 1.0 if v > 2 else -1.0)
        assert tuple(bool(t.numpy()) if i < 3 else float(t.numpy())
                     for i, t in enumerate(traced)) == want  # fmt: skip
        assert [np.asarray(t).tolist() for t in eager] == [t.numpy().tolist() for t in traced]


def test_python_short_circuit_is_kept_for_python_values():
    @tf.function
    def f(x, mask=None):
        if mask is not None and mask.shape[0] > 0:
            x = x * mask
        return x if mask is None else x + 1.0

    np.testing.assert_allclose(f(tf.constant([1.0, 2.0])).numpy(), [1.0, 2.0])
    got = f(tf.constant([1.0, 2.0]), tf.constant([3.0, 0.0])).numpy()
    np.testing.assert_allclose(got, [4.0, 1.0])


def test_variable_defined_on_one_branch_is_tf_error():
    @tf.function
    def f(x):
        if x > 0:
            y = 1
        return y

    with pytest.raises(ValueError, match="'y' must also be initialized in the else branch"):
        f(tf.constant(1))

    @tf.function
    def g(x):
        if x > 0:
            pass
        else:
            y = 1
        return y

    with pytest.raises(ValueError, match="'y' must also be initialized in the main branch"):
        g(tf.constant(1))


def test_temporaries_of_one_branch_need_no_else():
    @tf.function
    def f(x):
        if x > 0:
            tmp = x * 2
            x = tmp + 1
        return x

    assert f(tf.constant(3)).numpy() == 7
    assert f(tf.constant(-3)).numpy() == -3


def test_branch_dtype_mismatch_and_none_are_tf_errors():
    @tf.function
    def f(x):
        if x > 0:
            y = 1
        else:
            y = 2.0
        return y

    with pytest.raises(TypeError, match="'y' has dtype int32 in the main branch, but dtype "
                                        "float32 in the else branch"):  # fmt: skip
        f(tf.constant(1))

    @tf.function
    def g(x):
        y = None
        if x > 0:
            y = x
        return y

    with pytest.raises(ValueError, match="'y' is None at the end of the else branch"):
        g(tf.constant(1))


def test_loop_variable_shape_change_is_tf_error():
    @tf.function
    def f(n):
        s = tf.zeros([1])
        i = tf.constant(0)
        while i < n:
            s = tf.zeros([2])
            i += 1
        return s

    with pytest.raises(ValueError, match="'s' has shape \\(1,\\) before the loop, but shape"):
        f(tf.constant(3))


def test_python_loop_turning_into_a_tensor_loop_is_tf_error():
    @tf.function
    def f(x):
        s = 0
        while s < 10:
            s += x
        return s

    with pytest.raises(NotImplementedError, match="started as non-Tensor"):
        f(tf.constant(3))


def test_branches_with_side_effects_only():
    v = tf.Variable(1.0)

    @tf.function
    def f(x):
        if x > 0:
            v.assign_add(x)
        else:
            v.assign_sub(1.0)
        return v.read_value()

    assert f(tf.constant(2.0)).numpy() == 3.0
    assert f(tf.constant(-2.0)).numpy() == 2.0


def test_autograph_false_and_do_not_convert():
    def py(x):
        if x > 0:
            return x
        return -x

    with pytest.raises(TypeError, match="bool"):
        tf.function(py, autograph=False)(tf.constant(1.0))

    plain = tf.autograph.experimental.do_not_convert(py)
    with pytest.raises(TypeError, match="bool"):
        tf.function(plain)(tf.constant(1.0))
    with pytest.raises(TypeError, match="bool"):
        tf.function(lambda x: plain(x) * 2)(tf.constant(1.0))
    assert tf.function(py)(tf.constant(-4.0)).numpy() == 4.0


def _helper(x):
    if tf.reduce_sum(x) > 0:
        return x * 2.0
    return x * 3.0


def test_user_functions_called_from_converted_code_are_converted():
    @tf.function
    def f(x):
        return _helper(x) + 1.0

    assert f(tf.constant([1.0])).numpy().tolist() == [3.0]
    assert f(tf.constant([-1.0])).numpy().tolist() == [-2.0]
    assert f.experimental_get_tracing_count() == 1


def test_methods_and_super_calls():
    class Base(tf.Module):
        def __init__(self, k):
            super().__init__()
            self.k = k

        @tf.function
        def __call__(self, x):
            s = tf.zeros_like(x)
            for i in tf.range(self.k):
                s += x * tf.cast(i, tf.float32)
            return s

    class Child(Base):
        @tf.function
        def __call__(self, x):
            y = super().__call__(x)
            if tf.reduce_sum(y) > 0:
                y = -y
            return y

    x = tf.constant([1.0, 2.0])
    np.testing.assert_allclose(Base(3)(x).numpy(), [3.0, 6.0])
    np.testing.assert_allclose(Child(4)(x).numpy(), [-6.0, -12.0])


def test_closures_stay_live():
    def make():
        limit = tf.constant(5.0)

        @tf.function
        def f(x):
            while x < limit:
                x = x * 2.0
            return x

        return f

    assert make()(tf.constant(1.0)).numpy() == 8.0


def test_functions_without_source_run_unconverted():
    ns = {}
    exec("def h(x, flag):\n    if flag:\n        return x + 1\n    return x - 1\n", ns)
    h = ns["h"]
    assert _autograph.convert(h) is h
    f = tf.function(h)
    assert f(tf.constant(1.0), True).numpy() == 2.0
    assert f(tf.constant(1.0), False).numpy() == 0.0
    with pytest.raises(tf.autograph.ConversionError):
        tf.autograph.to_code(h)
    with pytest.raises(tf.autograph.ConversionError):
        tf.autograph.to_code(len)


def test_to_code_is_valid_python_showing_the_conversion():
    code = tf.autograph.to_code(_collatz_steps)
    assert isinstance(code, str)
    tree = ast.parse(code)
    assert tree.body[0].name == "tf___collatz_steps"  # TF's name for the converted function
    assert "ag__.while_stmt(loop_test, loop_body, get_state_1, set_state_1, ('n', 'steps')" in code
    assert "ag__.if_stmt(ag__.ld(n) % 2 == 0, if_body, else_body" in code
    assert "steps = ag__.ld(steps)\n" in code  # ``steps += 1`` reads ``steps`` first, as TF
    assert tf.autograph.to_code(tf.function(_sign).python_function) == tf.autograph.to_code(_sign)


def test_to_graph_gives_the_converted_function():
    g = tf.autograph.to_graph(_sign)
    f = tf.function(g, autograph=False)  # already converted
    assert f(tf.constant(-3.0)).numpy() == 3.0
    assert f(tf.constant(2.0)).numpy() == 4.0


def test_conversion_happens_once_and_calls_do_not_convert(monkeypatch):
    made = []
    real = _autograph._compile

    def counting(f):
        made.append(f)
        return real(f)

    monkeypatch.setattr(_autograph, "_compile", counting)

    def body(x):
        if x > 0:
            x = x - 1.0
        return x

    f = tf.function(body)
    f(tf.constant(1.0))
    f(tf.constant(1.0, tf.float64))  # a new dtype: a second trace, same conversion
    assert made == [body]
    monkeypatch.setattr(_autograph, "convert", None)  # any conversion now would fail
    for _ in range(3):
        assert f(tf.constant(5.0)).numpy() == 4.0
    assert f.experimental_get_tracing_count() == 2


def test_gradient_through_a_converted_loop():
    @tf.function
    def power(x, n):
        y = tf.ones_like(x)
        i = tf.constant(0)
        while i < n:
            y = y * x
            i += 1
        return y

    x = tf.constant(1.5)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = power(x, tf.constant(4))
    assert y.numpy() == pytest.approx(1.5**4)
    assert tape.gradient(y, x).numpy() == pytest.approx(4 * 1.5**3, rel=1e-5)


@pytest.mark.parametrize("v", [0.7, -0.4])
def test_gradient_through_a_converted_cond(v):
    @tf.function
    def f(x):
        if x > 0:
            y = tf.sin(x) * x
        else:
            y = x * x * x
        return y

    x = tf.constant(v)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    want = math.sin(v) + v * math.cos(v) if v > 0 else 3 * v * v
    assert tape.gradient(y, x).numpy() == pytest.approx(want, rel=1e-5)
    eps = 1e-3
    fd = (f(tf.constant(v + eps)).numpy() - f(tf.constant(v - eps)).numpy()) / (2 * eps)
    assert fd == pytest.approx(want, rel=1e-2)


def test_global_and_nonlocal_names_in_converted_blocks():
    count = [0]
    total = 0

    @tf.function
    def f(x):
        nonlocal total
        for k in range(3):
            if k > 0:
                total += k
        count[0] += 1
        return x

    f(tf.constant(1.0))
    assert total == 3 and count == [1]


SCALE = 3
ONE = tf.constant(1)


def test_defaults_annotations_and_comprehensions():
    @tf.function
    def f(x: tf.Tensor, n: int = SCALE, *, shift=ONE) -> tf.Tensor:
        parts = [i * 2 for i in range(n)]
        if x > 0:
            y = x * sum(parts) + shift
        else:
            y = x
        return y

    assert f(tf.constant(2)).numpy() == 2 * 6 + 1
    assert f(tf.constant(2), 2, shift=tf.constant(0)).numpy() == 4
    assert f(tf.constant(-2)).numpy() == -2


def test_with_and_try_blocks_in_converted_code():
    @tf.function
    def f(x):
        with tf.name_scope("block"):
            if x > 0:
                x = x + 1
        try:
            y = x * 2
        finally:
            pass
        return y

    assert f(tf.constant(3)).numpy() == 8
    assert f(tf.constant(-3)).numpy() == -6


def test_if_inside_a_match_block_is_converted():
    @tf.function
    def f(x, mode):
        match mode:
            case "double":
                if x > 0:
                    x = x * 2
            case _:
                x = x - 1
        return x

    assert f(tf.constant(3), "double").numpy() == 6
    assert f(tf.constant(-3), "double").numpy() == -3
    assert f(tf.constant(3), "other").numpy() == 2


def test_loop_variables_first_set_inside_a_tensor_loop():
    @tf.function
    def f(x):
        while x > 0:
            z = x * 2
            x -= 1
        return z

    @tf.function
    def g(m):
        for row in m:
            last = row * 10.0
        return last

    assert f(tf.constant(3)).numpy() == 2
    assert f(tf.constant(5)).numpy() == 2
    np.testing.assert_allclose(g(tf.constant([[1.0, 2.0], [3.0, 4.0]])).numpy(), [30.0, 40.0])

    @tf.function
    def never_set(x):
        while x > 0:
            x -= 1
            if x > 100:
                pass
        return x

    assert never_set(tf.constant(4)).numpy() == 0


def test_set_loop_options_refuses_a_maximum_it_would_ignore():
    from tensorhouse_ops import autograph

    assert autograph.experimental.set_loop_options(parallel_iterations=2) is None
    with pytest.raises(NotImplementedError, match="maximum_iterations"):
        autograph.experimental.set_loop_options(maximum_iterations=3)
