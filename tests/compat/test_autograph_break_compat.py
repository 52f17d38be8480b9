"""AutoGraph's ``break`` / ``continue`` / ``return`` under tensor conditions, and the state a
converted statement must thread through (attributes, items, names first set inside it): TF's
numbers or TF's error, traced and under ``jit_compile=True``."""

import ast

import numpy as np
import pytest

JIT = pytest.mark.parametrize("jit", [False, True])


def _run(tf, f, jit, *args):
    out = tf.function(f, jit_compile=jit)(*args)
    return tf.nest.map_structure(lambda t: t.numpy().tolist(), out)


def _break_last(tf, x):
    s = tf.zeros([])
    for _ in tf.range(5):
        s += x
        if tf.reduce_sum(s) > 2.5:
            break
    return s


@JIT
def test_break_as_the_last_statement_of_a_tensor_if(tf, jit):
    f = tf.function(_break_last, jit_compile=jit)
    assert f(tf, tf.constant(1.0)).numpy() == 3.0
    assert f(tf, tf.constant(0.25)).numpy() == 1.25  # never breaks: all 5 steps
    assert f(tf, tf.constant(2.0)).numpy() == 4.0


@JIT
def test_break_in_a_while_loop(tf, jit):
    def f(x):
        i = tf.constant(0)
        s = tf.constant(0.0)
        while i < 10:
            s += x
            i += 1
            if s > 2.5:
                break
        return s, i

    assert _run(tf, f, jit, tf.constant(1.0)) == (3.0, 3)
    assert _run(tf, f, jit, tf.constant(0.1)) == pytest.approx((1.0, 10))


@JIT
def test_continue_last_and_continue_before_statements(tf, jit):
    def last(x):
        s = tf.constant(0.0)
        for i in tf.range(6):
            if i % 2 == 0:
                s += x
                continue
        return s

    def before(x):
        s = tf.constant(0.0)
        n = tf.constant(0)
        for i in tf.range(6):
            n += 1
            if i % 3 == 0:
                continue
            s += x
        return s, n

    assert _run(tf, last, jit, tf.constant(1.5)) == 4.5
    assert _run(tf, before, jit, tf.constant(1.0)) == (4.0, 6)


@JIT
def test_break_in_an_else_branch_and_in_nested_ifs(tf, jit):
    def in_else(x):
        s = tf.constant(0.0)
        for _ in tf.range(6):
            if s < 2.5:
                s += x
            else:
                break
        return s

    def nested(x):
        s = tf.constant(0.0)
        for i in tf.range(10):
            s += x
            if i > 1:
                if s > 3.5:
                    break
        return s

    assert _run(tf, in_else, jit, tf.constant(1.0)) == 3.0
    assert _run(tf, nested, jit, tf.constant(1.0)) == 4.0
    assert _run(tf, nested, jit, tf.constant(10.0)) == 30.0  # i > 1 first at the third step


@JIT
def test_break_leaves_only_the_inner_loop(tf, jit):
    def fors(x):
        s = tf.constant(0.0)
        for i in tf.range(3):
            for j in tf.range(5):
                if j > i:
                    break
                s += x
        return s

    def whiles(x):
        s = tf.constant(0.0)
        i = tf.constant(0)
        while i < 3:
            i += 1
            j = tf.constant(0)
            while j < 10:
                j += 1
                s += x
                if j >= i:
                    break
        return s

    def outer_after_inner(x):
        s = tf.constant(0.0)
        for _ in tf.range(10):
            for _ in tf.range(2):
                s += x
            if s > 3.5:
                break
        return s

    assert _run(tf, fors, jit, tf.constant(1.0)) == 6.0  # 1 + 2 + 3 inner steps
    assert _run(tf, whiles, jit, tf.constant(1.0)) == 6.0
    assert _run(tf, outer_after_inner, jit, tf.constant(1.0)) == 4.0


@JIT
def test_break_and_continue_together_in_a_while(tf, jit):
    def f(x):
        s = tf.constant(0.0)
        i = tf.constant(0)
        while i < 10:
            i += 1
            if i % 2 == 0:
                continue
            s += x
            if s > 2.5:
                break
        return s, i

    assert _run(tf, f, jit, tf.constant(1.0)) == (3.0, 5)


@JIT
def test_break_over_the_rows_of_a_tensor(tf, jit):
    def f(m):
        acc = tf.zeros([2])
        for row in m:
            acc += row
            if tf.reduce_sum(acc) > 5.0:
                break
        return acc

    m = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)
    assert _run(tf, f, jit, tf.constant(m)) == [4.0, 6.0]
    assert _run(tf, f, jit, tf.constant(m * 0.1)) == pytest.approx(m.sum(0) * 0.1)


def test_break_over_a_dataset(tf):
    @tf.function
    def f(x):
        s = tf.constant(0.0)
        for _ in tf.data.Dataset.range(10):
            s += x
            if s > 2.5:
                break
        return s

    assert f(tf.constant(1.0)).numpy() == 3.0
    assert f(tf.constant(0.125)).numpy() == 1.25


@JIT
def test_python_and_tensor_conditions_mixed(tf, jit):
    def make(training):
        def f(x):
            s = tf.constant(0.0)
            for _ in tf.range(5):
                s += x
                if training and s > 2.5:
                    break
            return s

        return f

    def python_break(x):
        s = tf.constant(0.0)
        for _ in tf.range(5):
            s += x
            if True:
                break
        return s

    assert _run(tf, make(True), jit, tf.constant(1.0)) == 3.0
    assert _run(tf, make(False), jit, tf.constant(1.0)) == 5.0
    assert _run(tf, python_break, jit, tf.constant(1.0)) == 1.0


def test_tensor_break_in_a_python_loop_is_tfs_error(tf):
    @tf.function
    def f(x):
        s = tf.constant(0.0)
        for _ in range(5):
            s += x
            if s > 2.5:
                break
        return s

    with pytest.raises(NotImplementedError, match="not supported in Python for loops"):
        f(tf.constant(1.0))


def test_return_inside_loops_is_tfs_error(tf):
    @tf.function
    def in_for(x):
        for i in tf.range(5):
            if tf.cast(i, tf.float32) > x:
                return i

    @tf.function
    def in_while(x):
        i = tf.constant(0.0)
        while i < 5.0:
            i += 1.0
            if i > x:
                return i
        return -i

    @tf.function
    def in_python_loop(x):
        for i in range(3):
            if x > i:
                return x * i
        return x

    for f in (in_for, in_while):
        with pytest.raises(NotImplementedError, match="return statement cannot be placed"):
            f(tf.constant(1.0))
    with pytest.raises(ValueError, match="the else branch must also have a return statement"):
        in_python_loop(tf.constant(1.0))


def _for_else(tf, x):
    s = tf.constant(0.0)
    for _ in tf.range(5):
        s += x
        if s > 2.5:
            break
    else:
        s = s + 100.0
    return s


def test_loop_else_is_not_converted(tf):
    with pytest.raises(TypeError, match="symbolic"):  # the function runs as written
        tf.function(_for_else)(tf, tf.constant(1.0))
    with pytest.raises(NotImplementedError, match="for/else statement not yet supported"):
        tf.autograph.to_code(_for_else)


class _Box:
    pass


@JIT
def test_attributes_and_items_assigned_in_tensor_loops(tf, jit):
    def attr(x):
        b = _Box()
        b.v = tf.constant(0.0)
        for _ in tf.range(4):
            b.v += x
        return b.v

    def item(x):
        lst, d = [tf.constant(0.0), x], {"a": tf.constant(1.0)}
        j = 1
        for _ in tf.range(3):
            lst[0] += x
            lst[j] *= 2.0
            d["a"] -= x
        return lst, d["a"]

    def nested(x):
        b = _Box()
        b.c = _Box()
        b.c.v = x
        for _ in tf.range(3):
            b.c.v *= 2.0
        return b.c.v

    def in_while_test(x):
        b = _Box()
        b.v = x
        while b.v < 10.0:
            b.v = b.v * 2.0
        return b.v

    def with_break(x):
        b = _Box()
        b.v = tf.constant(0.0)
        for _ in tf.range(10):
            b.v += x
            if b.v > 2.5:
                break
        return b.v

    def python_counter(x):
        b = _Box()
        b.n = 0
        for _ in tf.range(3):
            b.n += 1
        return b.n

    one = tf.constant(1.0)
    assert _run(tf, attr, jit, tf.constant(1.5)) == 6.0
    assert _run(tf, item, jit, one) == ([3.0, 8.0], -2.0)
    assert _run(tf, nested, jit, one) == 8.0
    assert _run(tf, in_while_test, jit, tf.constant(3.0)) == 12.0
    assert _run(tf, with_break, jit, one) == 3.0
    assert _run(tf, python_counter, jit, one) == 3


@JIT
def test_attributes_and_items_assigned_in_a_tensor_if(tf, jit):
    def attr(x):
        b = _Box()
        b.v = tf.constant(0.0)
        if x > 0:
            b.v = x * 2.0
        return b.v

    def new_key(x):
        d = {}
        if x > 0:
            d["k"] = x
        else:
            d["k"] = x - 1.0
        return d["k"]

    def first_set_in_a_loop(x):
        b = _Box()
        for i in tf.range(3):
            b.v = x * tf.cast(i, tf.float32)
        return b.v

    assert _run(tf, attr, jit, tf.constant(2.0)) == 4.0
    assert _run(tf, attr, jit, tf.constant(-2.0)) == 0.0
    assert _run(tf, new_key, jit, tf.constant(-2.0)) == -3.0
    assert _run(tf, first_set_in_a_loop, jit, tf.constant(2.0)) == 4.0


def test_attribute_set_on_one_branch_only(tf):
    @tf.function
    def f(x):
        b = _Box()
        if x > 0:
            b.v = x
        return b.v

    with pytest.raises(ValueError, match="'b.v' must also be initialized in the else branch"):
        f(tf.constant(1.0))


@JIT
def test_names_first_set_inside_tensor_statements(tf, jit):
    def both(x):
        if x > 0:
            y = x
        else:
            y = -x
        return y

    def unused_after(x):
        if x > 0:
            y = x * 3.0  # noqa: F841
        return x

    def in_loop(x):
        for i in tf.range(3):
            z = x * tf.cast(i, tf.float32)
        return z

    assert _run(tf, both, jit, tf.constant(-2.0)) == 2.0
    assert _run(tf, unused_after, jit, tf.constant(2.0)) == 2.0
    assert _run(tf, in_loop, jit, tf.constant(2.0)) == 4.0


def test_to_code_threads_the_break_flag_and_attributes(tf):
    code = tf.autograph.to_code(_break_last)
    assert isinstance(ast.parse(code).body[0], ast.FunctionDef)
    assert "break_" in code and "ag__.for_stmt" in code

    def attr(x):
        b = _Box()
        b.v = x
        for _ in tf.range(3):
            b.v += x
        return b.v

    assert "'b.v'" in tf.autograph.to_code(attr)


_COUNTER = None  # a module global one test assigns inside a tensor loop


@JIT
def test_nonlocal_and_global_names_assigned_in_tensor_statements(tf, jit):
    def in_loop(x):
        total = tf.constant(0.0)

        def add():
            nonlocal total
            for _ in tf.range(3):
                total += x

        add()
        return total

    def in_if(x):
        total = tf.constant(0.0)

        def set_():
            nonlocal total
            if x > 0:
                total = x * 5.0

        set_()
        return total

    def global_in_loop(x):
        global _COUNTER
        _COUNTER = tf.constant(0.0)
        for _ in tf.range(4):
            _COUNTER += x
        return _COUNTER

    assert _run(tf, in_loop, jit, tf.constant(1.0)) == 3.0
    assert _run(tf, in_if, jit, tf.constant(1.0)) == 5.0
    assert _run(tf, in_if, jit, tf.constant(-1.0)) == 0.0
    assert _run(tf, global_in_loop, jit, tf.constant(0.5)) == 2.0


@JIT
def test_break_inside_with_and_try(tf, jit):
    def in_with(x):
        s = tf.constant(0.0)
        for _ in tf.range(5):
            with tf.name_scope("step"):
                s += x
                if s > 2.5:
                    break
        return s

    def in_try(x):
        s = tf.constant(0.0)
        for _ in tf.range(5):
            try:
                s += x
                if s > 2.5:
                    break
            finally:
                pass
        return s

    assert _run(tf, in_with, jit, tf.constant(1.0)) == 3.0
    assert _run(tf, in_try, jit, tf.constant(1.0)) == 3.0


def test_continue_and_return_over_a_dataset(tf):
    @tf.function
    def odd_count(x):
        s = tf.constant(0.0)
        for v in tf.data.Dataset.range(6):
            if v % 2 == 0:
                continue
            s += x
        return s

    @tf.function
    def first_over(x):
        for v in tf.data.Dataset.range(6):
            if tf.cast(v, tf.float32) > x:
                return v
        return tf.constant(-1, tf.int64)

    assert odd_count(tf.constant(1.5)).numpy() == 4.5
    with pytest.raises(NotImplementedError, match="return statement cannot be placed"):
        first_over(tf.constant(1.0))


def test_tensor_break_in_a_python_while_is_tfs_error(tf):
    @tf.function
    def f(x):
        s = tf.constant(0.0)
        while True:
            s += x
            if s > 2.5:
                break
        return s

    with pytest.raises(NotImplementedError, match="started as non-Tensor, then changed"):
        f(tf.constant(1.0))


@JIT
def test_gradient_through_a_loop_that_breaks(tf, jit):
    def f(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            s = tf.constant(1.0)
            for _ in tf.range(10):
                s = s * x
                if s > 5.0:
                    break
        return s, tape.gradient(s, x)

    s, g = _run(tf, f, jit, tf.constant(1.5))
    assert s == pytest.approx(1.5**4) and g == pytest.approx(4 * 1.5**3)  # breaks after 4
