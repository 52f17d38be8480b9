"""Python floats beyond float32's range: TF refuses them where it infers float32 (ValueError),
and rounds them to inf where the dtype is given or the value is already a NumPy float64."""

from __future__ import annotations

import numpy as np
import pytest

_MSG = "out of range for a double-precision float"


@pytest.mark.parametrize(
    "value", [1e39, -1e39, 1e300, [1e39], [1.0, 1e300], [[1, 2.5e39]], 3.4028236e38]
)
def test_inferred_float32_refuses_overflow(tf, value):
    with pytest.raises(ValueError, match=_MSG):
        tf.constant(value)
    with pytest.raises(ValueError, match=_MSG):
        tf.convert_to_tensor(value)


def test_values_that_round_into_range_and_infinities_pass(tf):
    assert tf.constant(3.4028235e38).numpy() == np.float32(3.4028235e38)
    assert np.isinf(tf.constant([float("inf"), 1.0]).numpy()[0])
    assert tf.constant(-float("inf")).numpy() == -np.inf


def test_a_given_dtype_or_a_numpy_value_rounds_to_inf(tf):
    assert np.isposinf(tf.constant(1e39, tf.float32).numpy())
    np.testing.assert_array_equal(tf.constant([1e39, 1], tf.float32).numpy(), [np.inf, 1.0])
    assert tf.constant(1e39, tf.float64).numpy() == 1e39
    assert tf.constant(np.array([1e39])).dtype == tf.float64
    assert np.isposinf((tf.constant(1.0) * 1e39).numpy())
    with pytest.raises(ValueError, match=_MSG):
        tf.Variable(1e39)
