"""Keras 3's merging layers bring their inputs to a common dtype first (``float32`` with
``int64`` gives ``float32``), against real Keras 3.15 and tensorhouse."""

import numpy as np
import pytest


@pytest.mark.parametrize("name", ["Concatenate", "Add", "Multiply", "Maximum", "Average"])
def test_merge_promotes(tf, name):
    layer = getattr(tf.keras.layers, name)()
    a = tf.constant([[1.5, 2.0]], tf.float32)
    b = tf.constant([[3, 4]], tf.int64)
    out = layer([a, b])
    assert out.dtype == tf.float32
    expected = {
        "Concatenate": [[1.5, 2.0, 3.0, 4.0]], "Add": [[4.5, 6.0]], "Multiply": [[4.5, 8.0]],
        "Maximum": [[3.0, 4.0]], "Average": [[2.25, 3.0]],
    }[name]  # fmt: skip
    np.testing.assert_allclose(np.asarray(out), expected)


def test_symbolic_concatenate_dtype(tf):
    keras = tf.keras
    a, b = keras.Input((2,)), keras.Input((2,), dtype="int64")
    assert keras.layers.Concatenate()([a, b]).dtype in ("float32", tf.float32)
