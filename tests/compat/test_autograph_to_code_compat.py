"""``tf.autograph.to_code`` prints the conversion as TF 2.21 does: the function renamed
``tf__<name>`` under ``with ag__.FunctionScope(...) as fscope``, every return through
``do_return`` / ``retval_``, each ``if`` / ``while`` / ``for`` as ``get_state`` / ``set_state`` /
body closures handed to ``ag__.if_stmt`` / ``while_stmt`` / ``for_stmt``, names read through
``ag__.ld`` and calls through ``ag__.converted_call``."""

import ast
import re

import pytest

_OPTIONS = (
    "ag__.ConversionOptions(recursive=True, user_requested=True, optional_features=(), "
    "internal_convert_user_code=True)"
)


def _to_code(tf, fn):
    """``to_code``'s text, the names of each ``nonlocal`` line sorted: TF writes them in the
    order of a set, which changes with Python's string hashing."""
    code = tf.autograph.to_code(fn)
    return re.sub(r"nonlocal (.*)", lambda m: "nonlocal " + ", ".join(sorted(m[1].split(", "))),
                  code)  # fmt: skip


def _code(name, args, body, value):
    """TF's text for a function ``name(args)`` whose converted statements are ``body`` (at
    the depth of the ``with`` block) and which returns ``value``."""
    return (
        f"def tf__{name}({args}):\n"
        f"    with ag__.FunctionScope('{name}', 'fscope', {_OPTIONS}) as fscope:\n"
        "        do_return = False\n"
        "        retval_ = ag__.UndefinedReturnValue()\n"
        f"{body}"
        "        try:\n"
        "            do_return = True\n"
        f"            retval_ = {value}\n"
        "        except:\n"
        "            do_return = False\n"
        "            raise\n"
        "        return fscope.ret(retval_, do_return)\n"
    )


def _shrink(tf, x):
    while tf.reduce_sum(x) > 1:
        tf.print(x)
        x = tf.tanh(x)
    return x


_SHRINK = """
        def get_state():
            return (x,)

        def set_state(vars_):
            nonlocal x
            x, = vars_

        def loop_body():
            nonlocal x
            ag__.converted_call(ag__.ld(tf).print, (ag__.ld(x),), None, fscope)
            x = ag__.converted_call(ag__.ld(tf).tanh, (ag__.ld(x),), None, fscope)

        def loop_test():
            return ag__.converted_call(ag__.ld(tf).reduce_sum, (ag__.ld(x),), None, fscope) > 1
        ag__.while_stmt(loop_test, loop_body, get_state, set_state, ('x',), {})
"""


def _y(tf, x):
    if x > 0:
        y = x
    else:
        y = -x
    z = tf.abs(y, name="q")
    return z


_Y = """
        def get_state():
            return (y,)

        def set_state(vars_):
            nonlocal y
            y, = vars_

        def if_body():
            nonlocal y
            y = ag__.ld(x)

        def else_body():
            nonlocal y
            y = -ag__.ld(x)
        y = ag__.Undefined('y')
        ag__.if_stmt(ag__.ld(x) > 0, if_body, else_body, get_state, set_state, ('y',), 1)
        z = ag__.converted_call(ag__.ld(tf).abs, (ag__.ld(y),), dict(name='q'), fscope)
"""


def _total(tf, x, n):
    if x > 0:
        tf.print(x)
    total = 0
    for i in tf.range(n):
        total += i
    while n > 0:
        n = n - 1
    return total


_TOTAL = """
        def get_state():
            return ()

        def set_state(block_vars):
            pass

        def if_body():
            ag__.converted_call(ag__.ld(tf).print, (ag__.ld(x),), None, fscope)

        def else_body():
            pass
        ag__.if_stmt(ag__.ld(x) > 0, if_body, else_body, get_state, set_state, (), 0)
        total = 0

        def get_state_1():
            return (total,)

        def set_state_1(vars_):
            nonlocal total
            total, = vars_

        def loop_body(itr):
            nonlocal total
            i = itr
            total = ag__.ld(total)
            total += i
        i = ag__.Undefined('i')
        ag__.for_stmt(ag__.converted_call(ag__.ld(tf).range, (ag__.ld(n),), None, fscope), None, loop_body, get_state_1, set_state_1, ('total',), {'iterate_names': 'i'})

        def get_state_2():
            return (n,)

        def set_state_2(vars_):
            nonlocal n
            n, = vars_

        def loop_body_1():
            nonlocal n
            n = ag__.ld(n) - 1

        def loop_test():
            return ag__.ld(n) > 0
        ag__.while_stmt(loop_test, loop_body_1, get_state_2, set_state_2, ('n',), {})
"""  # noqa: E501


class _Box:
    pass


def _attr(tf, x):
    bx = _Box()
    bx.v = x
    for _ in tf.range(3):
        bx.v += x
    return bx.v if x > 0 else not x


_ATTR = """        bx = ag__.converted_call(ag__.ld(_Box), (), None, fscope)
        ag__.ld(bx).v = ag__.ld(x)

        def get_state():
            return (ag__.ldu(lambda: bx.v, 'bx.v'),)

        def set_state(vars_):
            bx.v, = vars_

        def loop_body(itr):
            _ = itr
            ag__.ld(bx).v += ag__.ld(x)
        _ = ag__.Undefined('_')
        ag__.for_stmt(ag__.converted_call(ag__.ld(tf).range, (3,), None, fscope), None, loop_body, get_state, set_state, ('bx.v',), {'iterate_names': '_'})
"""  # noqa: E501


def _nested(tf, x):
    def inner(y):
        return y * 2

    return inner(x) and x or not x


_NESTED = """
        @ag__.autograph_artifact
        def inner(y):
            with ag__.FunctionScope('inner', 'fscope_1', ag__.STD) as fscope_1:
                do_return_1 = False
                retval__1 = ag__.UndefinedReturnValue()
                try:
                    do_return_1 = True
                    retval__1 = ag__.ld(y) * 2
                except:
                    do_return_1 = False
                    raise
                return fscope_1.ret(retval__1, do_return_1)
"""


def _count_down(x, n=3):
    while x > n:
        x -= 1
        if x == 5:
            break
    return x


_COUNT_DOWN = """        break_ = False

        def get_state_1():
            return (x, break_)

        def set_state_1(vars_):
            nonlocal break_, x
            x, break_ = vars_

        def loop_body():
            nonlocal break_, x
            continue_ = False
            x = ag__.ld(x)
            x -= 1

            def get_state():
                return (break_,)

            def set_state(vars_):
                nonlocal break_
                break_, = vars_

            def if_body():
                nonlocal break_
                break_ = True
                continue_ = True

            def else_body():
                nonlocal break_
                pass
            ag__.if_stmt(ag__.ld(x) == 5, if_body, else_body, get_state, set_state, ('break_',), 1)

        def loop_test():
            return ag__.and_(lambda: ag__.not_(break_), lambda: ag__.ld(x) > ag__.ld(n))
        continue_ = ag__.Undefined('continue_')
        ag__.while_stmt(loop_test, loop_body, get_state_1, set_state_1, ('x', 'break_'), {})
"""


@pytest.mark.parametrize(
    "fn, args, body, value",
    [
        (_shrink, "tf, x", _SHRINK, "ag__.ld(x)"),
        (_count_down, "x, n=None", _COUNT_DOWN, "ag__.ld(x)"),  # defaults print as None
        (_y, "tf, x", _Y, "ag__.ld(z)"),
        (_total, "tf, x, n", _TOTAL, "ag__.ld(total)"),
        (_attr, "tf, x", _ATTR,
         "ag__.if_exp(ag__.ld(x) > 0, lambda: ag__.ld(bx).v, lambda: ag__.not_(ag__.ld(x)), "
         "'x > 0')"),
        (_nested, "tf, x", _NESTED,
         "ag__.or_(lambda: ag__.and_(lambda: ag__.converted_call(ag__.ld(inner), (ag__.ld(x),), "
         "None, fscope), lambda: ag__.ld(x)), lambda: ag__.not_(ag__.ld(x)))"),
    ],
    ids=["while", "while_break", "if_assign", "for_range", "attribute", "nested"],
)  # fmt: skip
def test_to_code_prints_tf_layout(tf, fn, args, body, value):
    code = _to_code(tf, fn)
    assert code == _code(fn.__name__, args, body, value)
    assert _to_code(tf, tf.function(fn).python_function) == code
    ast.parse(code)


def _show(tf, x):
    tf.print(x)


def test_to_code_without_return_has_no_return_value(tf):
    assert _to_code(tf, _show) == (
        "def tf___show(tf, x):\n"
        f"    with ag__.FunctionScope('_show', 'fscope', {_OPTIONS}) as fscope:\n"
        "        ag__.converted_call(ag__.ld(tf).print, (ag__.ld(x),), None, fscope)\n"
    )


def test_to_code_of_a_tf_function_wants_its_python_function(tf):
    with pytest.raises(Exception, match=r"try passing f\.python_function") as e:
        tf.autograph.to_code(tf.function(_shrink))
    assert type(e.value).__name__ == "ConversionError"
    assert "ValueError: Cannot apply autograph to a function that doesn't expose" in str(e.value)


def _sign(tf, x):
    if tf.reduce_sum(x) <= 1:
        return x * x
    else:
        return x - 1


def test_to_code_returns_in_both_branches(tf):
    state = (
        "\n"
        "        def get_state():\n"
        "            return (do_return, retval_)\n"
        "\n"
        "        def set_state(vars_):\n"
        "            nonlocal do_return, retval_\n"
        "            do_return, retval_ = vars_\n"
    )
    branch = (
        "\n"
        "        def {}():\n"
        "            nonlocal do_return, retval_\n"
        "            try:\n"
        "                do_return = True\n"
        "                retval_ = {}\n"
        "            except:\n"
        "                do_return = False\n"
        "                raise\n"
    )
    call = (
        "        ag__.if_stmt(ag__.converted_call(ag__.ld(tf).reduce_sum, (ag__.ld(x),), None, "
        "fscope) <= 1, if_body, else_body, get_state, set_state, ('do_return', 'retval_'), 2)\n"
    )
    want = (
        f"def tf___sign(tf, x):\n"
        f"    with ag__.FunctionScope('_sign', 'fscope', {_OPTIONS}) as fscope:\n"
        "        do_return = False\n"
        "        retval_ = ag__.UndefinedReturnValue()\n"
        + state
        + branch.format("if_body", "ag__.ld(x) * ag__.ld(x)")
        + branch.format("else_body", "ag__.ld(x) - 1")
        + call
        + "        return fscope.ret(retval_, do_return)\n"
    )
    assert _to_code(tf, _sign) == want
