"""Short flat lists of Python floats or ints (the conversion's fast path) take TF's dtypes and
values at every boundary: int32 up to 2**31 - 1, int64 past it, an error past int64; float32
rounded from the Python float, inf and nan kept; the same through convert_to_tensor."""

import numpy as np
import pytest

I32, I64 = 2**31, 2**63


@pytest.mark.parametrize(
    "value, name",
    [
        ([I32 - 1, -I32], "int32"),
        ([I32, 0], "int64"),
        ([-I32 - 1], "int64"),
        ((I64 - 1, -I64), "int64"),
        ([0.1, -0.0, 3.3e38], "float32"),
        ([1.0] * 65, "float32"),  # longer than the fast path: the general one
        ((2.5,), "float32"),
        ([True, False], "bool"),
        ([1, 2.5], "float32"),
    ],
)
def test_short_lists_take_tf_dtypes_and_values(tf, value, name):
    for convert in (tf.constant, tf.convert_to_tensor):
        t = convert(value)
        assert t.dtype == getattr(tf, name)
        want = np.array(value, dtype=name)
        np.testing.assert_array_equal(t.numpy(), want)
        assert np.signbit(t.numpy()).tolist() == np.signbit(want).tolist()


def test_inf_nan_and_float32_max_are_kept(tf):
    got = tf.constant([float("inf"), -float("inf"), 3.4028235e38, 1.0]).numpy()
    assert got.dtype == np.float32
    assert got.tolist() == [np.inf, -np.inf, float(np.finfo(np.float32).max), 1.0]
    got = tf.convert_to_tensor([1.0, float("nan")]).numpy()
    assert got[0] == 1.0 and np.isnan(got[1])


@pytest.mark.parametrize("value", [[I64], [-I64 - 1], [1, I64 + 5]])
def test_ints_beyond_int64_are_value_errors(tf, value):
    for convert in (tf.constant, tf.convert_to_tensor):
        with pytest.raises(ValueError, match="out-of-range integer"):
            convert(value)
