"""Printed forms the TF guides show (issue 18, session 31): the eager ``Reshape`` errors carry
TF's words, the ``tensor`` guide's "this doesn't work at all" cell among them."""

import re

import numpy as np
import pytest


@pytest.mark.parametrize(
    "shape, target, message",
    [
        (
            [2, 3, 5],
            [7, -1],
            "Input to reshape is a tensor with 30 values, but the requested "
            "shape requires a multiple of 7",
        ),
        (
            [2, 3, 5],
            [5, 7],
            "Input to reshape is a tensor with 30 values, but the requested shape has 35",
        ),
        (
            [2, 3, 5],
            [-1, 0],
            "Input to reshape is a tensor with 30 values, but the requested shape has 0",
        ),
        ([2, 3], [-1, -1], "Only one input size may be -1, not both 0 and 1"),
        ([2, 3, 5], [-1, 2, -1, -1], "Only one input size may be -1, not both 0 and 2"),
        ([2, 3, 5], [-2, -15], "Size 0 must be non-negative, not -2"),
        ([2, 3, 5], [3, -3], "Size 1 must be non-negative, not -3"),
    ],
)
def test_eager_reshape_error_text(tf, shape, target, message):
    x = tf.zeros(shape)
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        tf.reshape(x, target)
    # TF prefixes its eager errors with a {{function_node ...}} wrapper; the words after it
    text = re.sub(r"\{\{function_node [^}]*\}\}\s?", "", str(info.value))
    assert text == f"{message} [Op:Reshape]"


def test_reshape_with_one_unknown_size_still_infers_it(tf):
    x = tf.reshape(tf.range(30), [2, 3, 5])
    y = tf.reshape(x, [3, -1])
    assert y.shape == (3, 10)
    np.testing.assert_array_equal(y.numpy(), np.arange(30).reshape(3, 10))
    assert tf.reshape(tf.zeros([0, 3]), [2, -1]).shape == (2, 0)
