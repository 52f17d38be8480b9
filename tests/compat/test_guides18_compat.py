"""What the TF guides print or use, issue 18's last cells: MatMul's size error text,
``copy.deepcopy`` of a variable, ``tf.autograph.experimental.set_loop_options``."""

from __future__ import annotations

import copy

import numpy as np
import pytest


@pytest.mark.parametrize("transpose_a", [False, True])
def test_matmul_size_error_is_tfs_text(tf, transpose_a):
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        tf.matmul(tf.ones((1, 4)), tf.ones((3, 3)), transpose_a=transpose_a)
    msg = str(info.value)
    assert "Matrix size-incompatible: In[0]: [1,4], In[1]: [3,3] [Op:MatMul]" in msg
    assert "dtype" not in msg and "transpose" not in msg


def test_deepcopy_of_a_variable_is_a_new_variable_with_a_copy_of_the_value(tf):
    v = tf.Variable([[1, 2]], trainable=False, name="w")
    a, b = copy.deepcopy([v, v])
    assert a is b and a is not v
    assert (a.name, a.trainable, a.dtype, a.shape) == ("w:0", False, tf.int32, (1, 2))
    a.assign([[5, 6]])
    np.testing.assert_array_equal(v.numpy(), [[1, 2]])
    np.testing.assert_array_equal(a.numpy(), [[5, 6]])
    w = tf.Variable([1.0, 2.0])
    w2 = copy.deepcopy(w)
    w.assign_add([1.0, 1.0])
    np.testing.assert_array_equal(w2.numpy(), [1.0, 2.0])
    assert w2.name == "Variable:0" and w2.trainable


def test_deepcopy_of_a_variable_inside_tf_function_is_not_implemented(tf):
    v = tf.Variable(1.0)
    f = tf.function(lambda: copy.deepcopy(v))
    with pytest.raises(NotImplementedError, match="only available when eager execution"):
        f()


def test_set_loop_options_is_taken_in_a_converted_loop(tf):
    @tf.function
    def f(x):
        for _ in tf.range(3):
            tf.autograph.experimental.set_loop_options(parallel_iterations=4, swap_memory=True)
            x += 2
        return x

    assert int(f(tf.constant(1))) == 7
    assert tf.autograph.experimental.set_loop_options() is None


@pytest.mark.parametrize("by_keyword", [True, False])
def test_calling_a_concrete_function_with_another_python_value_fails_as_tf_chains_it(
    tf, by_keyword
):
    @tf.function
    def pow(a, b=2):  # noqa: A001 (the guide's name, in the text checked)
        return a**b

    square = pow.get_concrete_function(a=tf.TensorSpec(None, tf.float32))
    x = tf.constant(10.0)
    with pytest.raises(TypeError) as info:
        square(x, b=3) if by_keyword else square(x, 3)
    e = info.value
    sig = (
        "(a: TensorSpec(shape=<unknown>, dtype=tf.float32, name=None), b: Literal[2]) -> "
        "TensorSpec(shape=<unknown>, dtype=tf.float32, name=None)"
    )
    received = "(x,) and kwargs: {'b': 3}" if by_keyword else "(x, 3) and kwargs: {}"
    received = received.replace("x", repr(x))
    bound = (
        "Binding inputs to tf.function failed due to `Can not cast 3 to Literal[2]`. "
        f"Received args: {received} for signature: {sig}."
    )
    flat = (
        "pow(a) got unexpected keyword arguments: b."
        if by_keyword
        else "pow(a) takes 1 positional arguments, got 2."
    )
    assert str(e) == f"{bound}\nFallback to flat signature also failed due to: {flat}"
    assert type(e.__context__) is TypeError and str(e.__context__) == flat
    assert str(e.__context__.__context__) == bound
    cause = e.__context__.__context__.__cause__
    assert type(cause) is ValueError and str(cause) == "Can not cast 3 to Literal[2]"
