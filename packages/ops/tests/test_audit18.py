"""The ops layer alone: batch_dims gathers, errors while tracing, tf.print, type names."""

import sys

import numpy as np
import pytest

import tensorhouse_ops as tf


def test_gather_and_gather_nd_with_batch_dims_match_numpy():
    rng = np.random.default_rng(3)
    p = rng.normal(size=(2, 3, 4, 5)).astype(np.float32)
    i = rng.integers(0, 4, size=(2, 3, 6)).astype(np.int32)
    want = np.stack([np.stack([np.take(p[a, b], i[a, b], axis=0) for b in range(3)])
                     for a in range(2)])  # fmt: skip
    np.testing.assert_array_equal(tf.gather(p, i, axis=2, batch_dims=2).numpy(), want)
    traced = tf.function(lambda p, i: tf.gather(p, i, axis=2, batch_dims=-1))
    np.testing.assert_array_equal(traced(p, i).numpy(), want)
    nd = rng.integers(0, 3, size=(2, 7, 1)).astype(np.int32)
    want_nd = np.stack([p[a][nd[a, :, 0]] for a in range(2)])
    np.testing.assert_array_equal(tf.gather_nd(p, nd, batch_dims=1).numpy(), want_nd)


def test_an_error_while_tracing_names_the_user_line():
    def inner(x):
        return tf.reshape(x, [7])

    @tf.function
    def f(x):
        if tf.reduce_sum(x) > 0:
            x = inner(x)
        return x

    with pytest.raises(ValueError) as e:  # a shape error while tracing: TF's ValueError
        f(tf.ones([2]))
    text = str(e.value)
    assert "in user code:" in text and "in inner  *\n        return tf.reshape(x, [7])" in text
    assert text.endswith("for '{{node Reshape}}' with input shapes: [2].\n")
    assert e.value.ag_error_metadata


def test_print_text_and_type_names(capsys):
    tf.print(tf.constant([True, False]), [tf.constant("a"), 1], output_stream=sys.stdout)
    assert capsys.readouterr().out == '[1 0] ["a", 1]\n'
    v = tf.Variable(1.0)
    assert type(v).__name__ == "ResourceVariable" and isinstance(v, tf.Variable)
    assert type(tf.constant(1.0)).__name__ == "EagerTensor"
