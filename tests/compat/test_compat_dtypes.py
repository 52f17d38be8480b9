"""TF's dtype rules: default dtypes, no implicit promotion, Python scalars adopt the tensor's
dtype, cast, integer division and modulo, and the output dtypes of reductions."""

import numpy as np
import pytest


@pytest.mark.parametrize(
    "value, name",
    [(1, "int32"), (1.0, "float32"), ([1, 2], "int32"), ([1, 2.0], "float32"), (True, "bool")],
)
def test_python_values_take_tf_default_dtypes(tf, value, name):
    assert tf.constant(value).dtype == getattr(tf, name)


@pytest.mark.parametrize("np_dtype, name", [(np.float64, "float64"), (np.int64, "int64")])
def test_numpy_arrays_keep_their_dtype(tf, np_dtype, name):
    assert tf.constant(np.array([1, 2], dtype=np_dtype)).dtype == getattr(tf, name)


def test_constant_with_dtype_converts_python_values(tf):
    x = tf.constant(1, dtype=tf.float32)
    assert x.dtype == tf.float32 and x.numpy() == 1.0


def test_constant_float_to_int_dtype_is_type_error(tf):
    with pytest.raises(TypeError):
        tf.constant(1.5, dtype=tf.int32)


@pytest.mark.parametrize("op", ["add", "subtract", "multiply", "maximum"])
def test_no_implicit_promotion_between_tensors(tf, op):
    with pytest.raises(tf.errors.InvalidArgumentError):
        getattr(tf, op)(tf.constant(1), tf.constant(1.0))


def test_operator_mixing_int32_and_float32_is_invalid_argument(tf):
    with pytest.raises(tf.errors.InvalidArgumentError, match="AddV2"):
        tf.constant(1) + tf.constant(1.0)


def test_float32_and_float64_do_not_mix(tf):
    a = tf.constant([1.0], dtype=tf.float64)
    with pytest.raises(tf.errors.InvalidArgumentError):
        a * tf.constant([1.0])


def test_matmul_dtype_mismatch_is_invalid_argument(tf):
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.matmul(tf.ones((2, 2)), tf.ones((2, 2), dtype=tf.float64))


def test_python_scalars_adopt_the_tensor_dtype(tf):
    assert (tf.constant([1.0], dtype=tf.float64) + 1).dtype == tf.float64
    assert (tf.constant([1, 2], dtype=tf.int64) * 2).dtype == tf.int64
    y = tf.constant(1.5) + 1
    assert y.dtype == tf.float32 and y.numpy() == 2.5


def test_python_scalars_adopt_float16(tf):
    y = 2.0 * tf.constant([1.5], dtype=tf.float16)
    assert y.dtype == tf.float16 and y.numpy()[0] == 3.0


def test_python_float_into_int_tensor_is_invalid_argument(tf):
    # TF 2.21 converts 1.5 to a float32 tensor, then AddV2 refuses the pair
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.constant(1) + 1.5


def test_convert_to_tensor_refuses_a_dtype_change_of_a_tensor(tf):
    with pytest.raises(ValueError):
        tf.convert_to_tensor(tf.constant(1), dtype=tf.float32)


def test_cast_float_to_int_truncates_toward_zero(tf):
    y = tf.cast(tf.constant([-1.7, -0.5, 0.5, 1.7]), tf.int32)
    assert y.dtype == tf.int32
    np.testing.assert_array_equal(y.numpy(), [-1, 0, 0, 1])


def test_cast_to_bool_and_back(tf):
    b = tf.cast(tf.constant([0.0, 2.0, -1.0]), tf.bool)
    np.testing.assert_array_equal(b.numpy(), [False, True, True])
    f = tf.cast(b, tf.float32)
    assert f.dtype == tf.float32
    np.testing.assert_array_equal(f.numpy(), [0.0, 1.0, 1.0])


def test_cast_int_to_float64(tf):
    y = tf.cast(tf.constant([1, -2]), tf.float64)
    assert y.dtype == tf.float64
    np.testing.assert_array_equal(y.numpy(), [1.0, -2.0])


def test_floordiv_operator_rounds_toward_minus_infinity(tf):
    y = tf.constant([-7, 7, -7]) // tf.constant([2, -2, -2])
    assert y.dtype == tf.int32
    np.testing.assert_array_equal(y.numpy(), [-4, -4, 3])
    np.testing.assert_array_equal(tf.math.floordiv(-7, 2).numpy(), -4)


def test_truncatediv_rounds_toward_zero(tf):
    np.testing.assert_array_equal(
        tf.truncatediv(tf.constant([-7, 7, -7]), tf.constant([2, -2, -2])).numpy(), [-3, -3, 3]
    )
    np.testing.assert_array_equal(tf.truncatediv(-7, 2).numpy(), -3)


def test_floormod_takes_the_sign_of_the_divisor(tf):
    np.testing.assert_array_equal((tf.constant([-7, 7, -7]) % 2).numpy(), [1, 1, 1])
    np.testing.assert_array_equal(
        tf.math.floormod(tf.constant([-7, 7, -7]), tf.constant([-2, -2, 2])).numpy(), [-1, -1, 1]
    )
    np.testing.assert_array_equal(tf.math.mod(-7, 2).numpy(), 1)


def test_truncatemod_takes_the_sign_of_the_dividend(tf):
    np.testing.assert_array_equal(
        tf.truncatemod(tf.constant([-7, 7]), tf.constant([2, -2])).numpy(), [-1, 1]
    )


def test_float_floordiv_and_mod(tf):
    np.testing.assert_allclose((tf.constant([-7.5, 7.5]) // 2.0).numpy(), [-4.0, 3.0])
    np.testing.assert_allclose((tf.constant([-7.5, 7.5]) % 2.0).numpy(), [0.5, 1.5])


def test_true_division_of_int32_gives_float64(tf):
    y = tf.constant([7, -7]) / tf.constant([2, 2])
    assert y.dtype == tf.float64
    np.testing.assert_array_equal(y.numpy(), [3.5, -3.5])
    assert tf.divide(tf.constant(1), tf.constant(4)).dtype == tf.float64


def test_true_division_of_int16_gives_float32(tf):
    y = tf.constant([3], dtype=tf.int16) / tf.constant([2], dtype=tf.int16)
    assert y.dtype == tf.float32 and y.numpy()[0] == 1.5


def test_int32_arithmetic_wraps(tf):
    assert (tf.constant(2147483647) + 1).numpy() == -2147483648


def test_reductions_keep_the_input_dtype(tf):
    x = tf.constant([[1, 2], [3, 4]])
    assert tf.reduce_sum(x).dtype == tf.int32 and tf.reduce_sum(x).numpy() == 10
    assert tf.reduce_max(x).dtype == tf.int32
    assert tf.reduce_prod(x).numpy() == 24


def test_reduce_mean_of_integers_is_integer(tf):
    m = tf.reduce_mean(tf.constant([1, 2]))
    assert m.dtype == tf.int32 and m.numpy() == 1


def test_reduction_axes_and_keepdims(tf):
    x = tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    np.testing.assert_allclose(tf.reduce_sum(x, axis=0).numpy(), [5.0, 7.0, 9.0])
    np.testing.assert_allclose(tf.reduce_mean(x, axis=-1).numpy(), [2.0, 5.0])
    assert tf.reduce_sum(x, axis=1, keepdims=True).shape == (2, 1)
    assert tf.reduce_sum(x).shape == ()
    np.testing.assert_allclose(tf.reduce_min(x, axis=[0, 1]).numpy(), 1.0)


def test_argmax_is_int64_by_default(tf):
    x = tf.constant([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    a = tf.argmax(x, axis=1)
    assert a.dtype == tf.int64
    np.testing.assert_array_equal(a.numpy(), [1, 0])  # the first of equal maxima
    assert tf.argmin(x, axis=0).dtype == tf.int64
    assert tf.argmax(x, axis=1, output_type=tf.int32).dtype == tf.int32


def test_argmax_default_axis_is_zero(tf):
    np.testing.assert_array_equal(tf.argmax(tf.constant([[1, 9], [5, 2]])).numpy(), [1, 0])


def test_reduce_all_and_any(tf):
    b = tf.constant([[True, False], [True, True]])
    np.testing.assert_array_equal(tf.reduce_all(b, axis=1).numpy(), [False, True])
    assert bool(tf.reduce_any(b).numpy())


def test_comparisons_give_bool(tf):
    y = tf.constant([1, 2, 3]) > 1
    assert y.dtype == tf.bool
    np.testing.assert_array_equal(y.numpy(), [False, True, True])
    assert tf.equal(tf.constant([1.0]), 1.0).dtype == tf.bool


def test_dtype_objects(tf):
    assert tf.float32.is_floating and not tf.int32.is_floating
    assert tf.int32.is_integer and not tf.bool.is_integer
    assert tf.float32.name == "float32" and tf.float64 == tf.double and tf.float16 == tf.half
    assert tf.as_dtype(np.float32) == tf.float32 and tf.as_dtype("int64") == tf.int64
    assert tf.float32.as_numpy_dtype is np.float32
    assert tf.int32.max == 2**31 - 1 and tf.int8.min == -128
    assert tf.float64.size == 8


def test_sqrt_of_integer_is_rejected(tf):
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.sqrt(tf.constant(4))


def test_python_int_beyond_int32_becomes_int64(tf):
    assert tf.constant(2**31).dtype == tf.int64


def test_reduce_sum_of_bool_is_invalid_argument(tf):
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.reduce_sum(tf.constant([True, False]))


def test_true_division_of_mixed_dtypes_is_type_error(tf):
    with pytest.raises(TypeError, match="same dtype"):
        tf.constant(1.0) / tf.constant(2)


def test_integer_division_by_zero_is_invalid_argument(tf):
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.constant(1) // tf.constant(0)


def test_integer_to_a_negative_integer_power_is_invalid_argument(tf):
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.pow(tf.constant(2), tf.constant(-1))


def test_cast_of_a_string_to_float_is_unimplemented(tf):
    with pytest.raises(tf.errors.UnimplementedError):
        tf.cast(tf.constant("a"), tf.float32)


def test_round_is_half_to_even(tf):
    y = tf.round(tf.constant([0.5, 1.5, 2.5, -0.5, -1.7]))
    np.testing.assert_array_equal(y.numpy(), [0.0, 2.0, 2.0, -0.0, -2.0])


def test_integer_math_stays_integer(tf):
    assert tf.abs(tf.constant(-3)).dtype == tf.int32
    y = tf.clip_by_value(tf.constant([1, 5, 9]), 2, 8)
    assert y.dtype == tf.int32
    np.testing.assert_array_equal(y.numpy(), [2, 5, 8])
    np.testing.assert_array_equal(tf.cumsum([1, 2, 3], exclusive=True).numpy(), [0, 1, 3])
    np.testing.assert_array_equal(tf.cumsum([1, 2, 3], reverse=True).numpy(), [6, 5, 3])


def test_truncatediv_of_floats(tf):
    y = tf.truncatediv(tf.constant([-7.0, 7.0]), tf.constant([2.0, 2.0]))
    np.testing.assert_array_equal(y.numpy(), [-3.0, 3.0])


def test_reduce_std_variance_logsumexp(tf):
    x = np.array([[1.0, 2.0, 4.0], [0.0, 0.0, 3.0]], dtype=np.float32)
    t = tf.constant(x)
    np.testing.assert_allclose(tf.math.reduce_variance(t).numpy(), x.var(), rtol=1e-6)
    np.testing.assert_allclose(tf.math.reduce_std(t, axis=1).numpy(), x.std(axis=1), rtol=1e-6)
    lse = np.log(np.exp(x).sum(axis=0))
    np.testing.assert_allclose(tf.math.reduce_logsumexp(t, axis=0).numpy(), lse, rtol=1e-6)
    assert tf.math.reduce_logsumexp(t, axis=1, keepdims=True).shape == (2, 1)
    np.testing.assert_allclose(tf.math.reduce_logsumexp(tf.constant([1000.0, 1000.0])), 1000.6931)
    np.testing.assert_allclose(
        tf.math.log_sigmoid(tf.constant([-100.0, 0.0])).numpy(), [-100.0, np.log(0.5)], rtol=1e-6
    )


def test_uint8_arithmetic_wraps_and_reduces(tf):
    x = tf.constant([200, 200, 7], tf.uint8)
    y = tf.constant([100, 3, 2], tf.uint8)
    assert (x + y).numpy().tolist() == [44, 203, 9]  # wraps modulo 256
    assert (y - x).numpy().tolist() == [156, 59, 251]
    assert (x * y).numpy().tolist() == [32, 88, 14]
    assert (x // y).numpy().tolist() == [2, 66, 3] and (x % y).numpy().tolist() == [0, 2, 1]
    assert tf.maximum(x, y).numpy().tolist() == [200, 200, 7]
    assert (x > y).numpy().tolist() == [True, True, True]
    assert int(tf.reduce_sum(x)) == 151 and int(tf.reduce_prod(x)) == 192  # wrapped
    assert int(tf.reduce_max(x)) == 200 and int(tf.argmax(x)) == 0
    assert tf.math.cumsum(x).numpy().tolist() == [200, 144, 151]
    assert tf.nn.relu6(x).numpy().tolist() == [6, 6, 6]
    assert tf.nn.bias_add(tf.constant([[250, 3]], tf.uint8), y[:2]).numpy().tolist() == [[94, 6]]
    assert x.dtype == tf.uint8 and (x + y).dtype == tf.uint8


def test_uint8_division_by_zero_is_invalid_argument(tf, errors):
    with pytest.raises(errors.InvalidArgumentError):
        tf.math.floordiv(tf.constant([3], tf.uint8), tf.constant([0], tf.uint8)).numpy()


def test_integer_mean_sums_without_overflow(tf):
    """TF sums an integer mean narrower than 64 bits in a wider type, then truncates."""
    assert int(tf.reduce_mean(tf.constant([200, 200, 7], tf.uint8))) == 135
    assert int(tf.reduce_mean(tf.constant([2**30, 2**30, 7], tf.int32))) == 715827885
    assert int(tf.reduce_mean(tf.constant([-(2**31), -(2**31), 1], tf.int32))) == -1431655765
    assert int(tf.reduce_mean(tf.constant([-7, 2], tf.int32))) == -2  # toward zero
    wide = tf.reduce_mean(tf.constant([[255, 255], [255, 1]], tf.uint8), axis=0)
    assert wide.numpy().tolist() == [255, 128]
