"""AutoGraph: Python ``if`` / ``while`` / ``for`` / ``break`` / ``continue`` / ``return`` and
boolean expressions on tensors inside ``tf.function`` run as graph control flow, with TF's
numbers and TF's errors; ``tf.autograph`` shows and switches off the conversion."""

import ast

import numpy as np
import pytest


def _ops(f, *args):
    return {op.type for op in f.get_concrete_function(*args).graph.get_operations()}


def _piecewise(tf, x):
    if x > 1.0:
        y = x * 2.0
    elif x < -1.0:
        y = -x
    else:
        y = tf.square(x)
    return y


@pytest.mark.parametrize("v", [3.0, -2.5, 0.5])
def test_if_elif_else_on_tensors(tf, v):
    f = tf.function(_piecewise)
    want = v * 2 if v > 1 else (-v if v < -1 else v * v)
    assert f(tf, tf.constant(v)).numpy() == pytest.approx(want)
    assert _ops(f, tf, tf.constant(v)) & {"If", "StatelessIf"}


def test_python_condition_stays_python(tf):
    @tf.function
    def f(x, training):
        if training:
            x = x + 1.0
        return x

    assert f(tf.constant(1.0), True).numpy() == 2.0
    assert f(tf.constant(1.0), False).numpy() == 1.0
    assert not _ops(f, tf.constant(1.0), True) & {"If", "StatelessIf"}


def test_while_on_a_tensor(tf):
    @tf.function
    def gcd(a, b):
        while b != 0:
            a, b = b, a % b
        return a

    assert gcd(tf.constant(48), tf.constant(36)).numpy() == 12
    assert gcd(tf.constant(17), tf.constant(5)).numpy() == 1
    assert gcd.experimental_get_tracing_count() == 1
    assert _ops(gcd, tf.constant(1), tf.constant(1)) & {"While", "StatelessWhile"}


def test_for_over_tf_range_and_range_of_a_tensor(tf):
    @tf.function
    def f(n):
        s = tf.constant(0)
        for i in tf.range(n):
            s += i
        t = 0
        for i in range(n):
            t += 2 * i
        return s, t, i

    s, t, last = f(tf.constant(5))
    assert (s.numpy(), t.numpy(), last.numpy()) == (10, 20, 4)
    s, t, last = f(tf.constant(8))
    assert (s.numpy(), t.numpy(), last.numpy()) == (28, 56, 7)
    assert f.experimental_get_tracing_count() == 1


def test_for_over_a_tensor_iterates_rows(tf):
    @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
    def f(m):
        acc = tf.zeros([2])
        for row in m:
            acc = acc * 2.0 + row
        return acc

    x = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)
    np.testing.assert_allclose(f(tf.constant(x)).numpy(), x[0] * 4 + x[1] * 2 + x[2])


def test_break_and_continue(tf):
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

    assert f(tf.constant([0, 1, 2, 3, 4, 9, 2])).numpy() == 6
    assert f(tf.constant([2, 2, 7])).numpy() == 4
    assert f(tf.constant([9, 2])).numpy() == 0


def test_return_in_branches(tf):
    @tf.function
    def f(x):
        if x > 10:
            return x - 10
        elif x > 0:
            return x * 3
        else:
            x = -x
            return x + 1

    @tf.function
    def g(x):
        if x > 0:
            return x * 2
        x = x - 1
        return x

    assert [f(tf.constant(v)).numpy() for v in (15, 4, -7)] == [5, 12, 8]
    assert [g(tf.constant(v)).numpy() for v in (3, -3)] == [6, -4]


def test_conditional_expression_and_logical_operators(tf):
    @tf.function
    def f(x):
        a = x > 0 and x < 5
        b = x < 0 or x > 100
        c = not (x > 0)
        d = 1.0 if x > 2 else -1.0
        return a, b, c, d

    for v in (-3, 1, 3, 200):
        a, b, c, d = f(tf.constant(v))
        assert (bool(a), bool(b), bool(c)) == (0 < v < 5, v < 0 or v > 100, not v > 0)
        assert float(d) == (1.0 if v > 2 else -1.0)


def test_user_functions_called_inside_are_converted(tf):
    def helper(x):
        if x > 0:
            return x * 2
        return x * 3

    @tf.function
    def f(x):
        return helper(x) + 1

    assert f(tf.constant(3)).numpy() == 7
    assert f(tf.constant(-3)).numpy() == -8


def test_gradient_through_converted_control_flow(tf):
    @tf.function
    def power(x, n):
        y = tf.ones_like(x)
        for _ in tf.range(n):
            if x > 0:
                y = y * x
            else:
                y = y * 2.0
        return y

    x = tf.constant(1.5)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = power(x, tf.constant(3))
    assert y.numpy() == pytest.approx(3.375)
    assert tape.gradient(y, x).numpy() == pytest.approx(3 * 1.5**2, rel=1e-5)


def test_variable_set_on_one_branch_only(tf):
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


def test_branch_errors(tf):
    @tf.function
    def dtypes(x):
        if x > 0:
            y = 1
        else:
            y = 2.0
        return y

    with pytest.raises(TypeError, match="'y' has dtype int32 in the main branch, but dtype "
                                        "float32 in the else branch"):  # fmt: skip
        dtypes(tf.constant(1))

    @tf.function
    def none(x):
        y = None
        if x > 0:
            y = x
        return y

    with pytest.raises(ValueError, match="'y' is None at the end of the else branch"):
        none(tf.constant(1))

    @tf.function
    def one_return(x):
        if x > 0:
            return 1
        x = x + 1

    with pytest.raises(ValueError, match="the else branch must also have a return statement"):
        one_return(tf.constant(1))


def test_loop_errors(tf):
    @tf.function
    def grows(n):
        s = tf.zeros([1])
        i = tf.constant(0)
        while i < n:
            s = tf.zeros([2])
            i += 1
        return s

    with pytest.raises(ValueError, match="'s' has shape \\(1,\\) before the loop, but shape "
                                         "\\(2,\\) after one iteration"):  # fmt: skip
        grows(tf.constant(3))

    @tf.function
    def becomes_tensor(x):
        s = 0
        while s < 10:
            s += x
        return s

    with pytest.raises(NotImplementedError, match="started as non-Tensor, then changed"):
        becomes_tensor(tf.constant(3))

    @tf.function
    def returns_in_loop(n):
        for i in tf.range(n):
            if i > 1:
                return i
        return -1

    with pytest.raises(NotImplementedError, match="return statement cannot be placed inside"):
        returns_in_loop(tf.constant(3))


def _abs(x):
    if x > 0:
        return x
    return -x


def test_autograph_off(tf):
    with pytest.raises(TypeError):
        tf.function(_abs, autograph=False)(tf.constant(-2.0))
    plain = tf.autograph.experimental.do_not_convert(_abs)
    with pytest.raises(TypeError):
        tf.function(plain)(tf.constant(-2.0))
    assert tf.function(_abs)(tf.constant(-2.0)).numpy() == 2.0


def test_to_code_shows_the_conversion(tf):
    code = tf.autograph.to_code(_abs)
    assert isinstance(code, str)
    assert isinstance(ast.parse(code).body[0], ast.FunctionDef)
    assert "ag__.if_stmt" in code
    assert "ag__.if_stmt" in tf.autograph.to_code(tf.function(_abs).python_function)


def test_loop_variables_first_set_inside_the_loop(tf):
    @tf.function
    def last_double(x):
        while x > 0:
            z = x * 2
            x -= 1
        return z

    @tf.function
    def last_row(m):
        for row in m:
            last = row * 10.0
        return last

    assert last_double(tf.constant(3)).numpy() == 2
    np.testing.assert_allclose(last_row(tf.constant([[1.0, 2.0], [3.0, 4.0]])).numpy(), [30, 40])


def test_a_tensor_as_a_python_bool_unconverted_is_operator_not_allowed(tf):
    def f(x):
        return x * 2.0 if x > 0.0 else x

    g = tf.function(f, autograph=False)
    with pytest.raises(tf.errors.OperatorNotAllowedInGraphError, match="Python `bool`") as e:
        g(tf.constant(1.0))
    assert isinstance(e.value, TypeError)
    assert not isinstance(e.value, tf.errors.OpError)
