"""Bugs the fuzzer found (tests/fuzz, issue 21), each checked against TF 2.21 and tensorhouse.

Replay any of them with ``python tests/fuzz/campaign.py --replay SEED:INDEX`` (see the summary).
"""

import numpy as np
import pytest


@pytest.mark.parametrize("fn", ["conv2d", "depthwise_conv2d"])
@pytest.mark.parametrize("padding", ["same", "valid", "FULL"])
def test_conv_padding_is_exactly_same_or_valid(tf, fn, padding):
    x = tf.ones([1, 3, 3, 1])
    w = tf.ones([1, 1, 1, 1])
    with pytest.raises(tf.errors.InvalidArgumentError, match="padding"):
        getattr(tf.nn, fn)(x, w, [1, 1, 1, 1], padding)


@pytest.mark.parametrize("fn", ["max_pool2d", "avg_pool2d"])
def test_pool_padding_is_exactly_same_or_valid(tf, fn):
    with pytest.raises(tf.errors.InvalidArgumentError, match="padding"):
        getattr(tf.nn, fn)(tf.ones([1, 3, 3, 1]), 2, 1, "valid")


def test_conv2d_upper_case_padding_still_computes(tf):
    x = np.arange(9, dtype=np.float32).reshape(1, 3, 3, 1)
    out = tf.nn.conv2d(x, tf.ones([2, 2, 1, 1]), 1, "VALID")
    np.testing.assert_array_equal(out.numpy()[0, :, :, 0], [[8, 12], [20, 24]])


def test_fill_keeps_every_bit_of_an_int64(tf):
    v = -8913004546356714580
    out = tf.fill([2], tf.constant(v, tf.int64))
    assert out.dtype == tf.int64
    assert out.numpy().tolist() == [v, v]


def test_shape_out_type_must_be_int32_or_int64(tf):
    with pytest.raises(tf.errors.InvalidArgumentError, match="out_type"):
        tf.shape(tf.ones([2, 3]), out_type=tf.float32)


@pytest.mark.parametrize("fn", ["reduce_sum", "reduce_max", "reduce_mean"])
def test_reduction_with_a_repeated_axis_is_invalid_argument(tf, fn):
    with pytest.raises(tf.errors.InvalidArgumentError):
        getattr(tf, fn)(tf.ones([2, 3]), axis=[0, -2])


def test_unbatch_of_scalars_is_value_error(tf):
    with pytest.raises(ValueError, match="scalar"):
        tf.data.Dataset.from_tensor_slices([1.5]).unbatch()
    with pytest.raises(ValueError, match=r"^Cannot unbatch an input with scalar components\.$"):
        tf.data.Dataset.from_tensors({"a": tf.zeros([2, 1]), "b": 5}).unbatch()
    with pytest.raises(ValueError, match="leading dimension. Encountered both 1 and 2"):
        tf.data.Dataset.from_tensors(([1], [1, 2])).unbatch()


def test_unbatch_of_scalar_values_of_unknown_rank_fails_when_iterated(tf):
    sig = (tf.TensorSpec(None, tf.int32), tf.TensorSpec(None, tf.int32))
    for values, match in [(([1], 2), "non-scalar value"), (([1], [2, 3]), "same batch size")]:
        ds = tf.data.Dataset.from_generator(lambda v=values: iter([v]), output_signature=sig)
        with pytest.raises(tf.errors.InvalidArgumentError, match=match):
            list(ds.unbatch())


def test_pinv_of_an_integer_matrix_is_type_error(tf):
    with pytest.raises(TypeError, match="int8"):
        tf.linalg.pinv(tf.constant([[63]], tf.int8))


@pytest.mark.parametrize("op", ["transpose", "reverse", "tile"])
def test_string_scalar_keeps_its_rank(tf, op):
    t = tf.constant(b"x")
    out = {"transpose": lambda: tf.transpose(t, []), "reverse": lambda: tf.reverse(t, []),
           "tile": lambda: tf.tile(t, [])}[op]()  # fmt: skip
    assert out.shape == ()
    assert out.numpy() == b"x"


def test_floordiv_of_bfloat16_rounds_the_quotient_first(tf):
    a = tf.constant([-1.0], tf.bfloat16)
    b = tf.constant([-0.166992], tf.bfloat16)
    assert tf.math.floordiv(a, b).numpy().astype(np.float32).tolist() == [6.0]


@pytest.mark.parametrize(
    ("src", "dst", "values", "want"),
    [
        ("float32", "float32", [-np.inf, 1.5], [-3.4028235e38, 1.5]),
        ("float16", "float32", [np.inf, -2.0], [65504.0, -2.0]),
        ("float16", "bfloat16", [-np.inf], [-65536.0]),
        ("int32", "float16", [2147483647], [65504.0]),
        ("float32", "int32", [3e9, -3e9], [2147483520, -2147483648]),
    ],
)
@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")  # TF's own
def test_saturate_cast_clamps_to_both_ranges(tf, src, dst, values, want):
    out = tf.saturate_cast(tf.constant(values, getattr(tf, src)), getattr(tf, dst))
    assert out.dtype == getattr(tf, dst)
    want = np.array(want, getattr(tf, dst).as_numpy_dtype).astype(np.float64)
    np.testing.assert_array_equal(out.numpy().astype(np.float64), want)


def test_saturate_cast_keeps_nan(tf):
    out = tf.saturate_cast(tf.constant([np.nan], tf.float32), tf.float32)
    assert np.isnan(out.numpy()[0])


def test_saturate_cast_to_and_from_bfloat16(tf):
    # seed 11 case 1271: NumPy's finfo rejected ml_dtypes' bfloat16 (a raw ValueError)
    out = tf.saturate_cast(tf.constant([1e39, -1e39, 3.0], tf.float64), tf.bfloat16)
    assert out.dtype == tf.bfloat16
    big = float(np.float32(2**127 * (2 - 2**-7)))  # bfloat16's largest finite value
    assert np.asarray(out, np.float32).tolist() == [big, -big, 3.0]
    down = tf.saturate_cast(tf.constant([3.5, -2.0, 300.0], tf.bfloat16), tf.uint8)
    assert down.numpy().tolist() == [3, 0, 255]
    assert tf.bfloat16.max == big and tf.bfloat16.min == -big


def test_pinv_of_bfloat16_is_a_tf_error(tf):
    # seed 11 case 13539: NumPy's finfo raised before the Svd kernel lookup
    with pytest.raises((tf.errors.InvalidArgumentError, tf.errors.NotFoundError)):
        tf.linalg.pinv(tf.constant([[1.0, 2.0], [3.0, 4.0]], tf.bfloat16))


def test_generator_draws_in_two_functions_differ(tf):
    g = tf.random.Generator.from_seed(1)
    f1 = tf.function(lambda: g.normal([4]))
    f2 = tf.function(lambda: g.normal([4]))
    a, b, c, d = f1().numpy(), f2().numpy(), g.normal([4]).numpy(), f1().numpy()
    for x, y in [(a, b), (a, c), (b, c), (a, d)]:
        assert not np.array_equal(x, y)
