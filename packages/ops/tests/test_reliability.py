"""Issue 21 regressions: no silent wrong answer, no lost update, TF's error class for bad input."""

import threading

import ml_dtypes
import numpy as np
import pytest

import tensorhouse_ops as tf

X2 = np.arange(6, dtype=np.float32).reshape(2, 3)


def _both(fn):
    """``fn()`` run eagerly and traced by tf.function."""
    return [fn, tf.function(fn)]


# ---- dtypes -----------------------------------------------------------------------------------


def test_bfloat16_is_a_real_dtype():
    assert tf.bfloat16.as_numpy_dtype is ml_dtypes.bfloat16
    assert tf.bfloat16.size == 2 and tf.bfloat16.is_floating
    t = tf.constant([1.0, 2.0], tf.bfloat16)
    assert t.dtype == tf.bfloat16
    assert t.numpy().dtype == np.dtype(ml_dtypes.bfloat16)
    assert tf.as_dtype(ml_dtypes.bfloat16) is tf.bfloat16
    back = tf.cast(tf.cast(tf.constant([1.1, -3.0e38]), tf.bfloat16), tf.float32)
    np.testing.assert_array_equal(back.numpy(), np.array([1.1015625, -3.0040553e38], np.float32))


def test_bfloat16_beside_float64_is_invalid_argument():
    with pytest.raises(tf.errors.InvalidArgumentError, match="bfloat16.*float64"):
        tf.constant([1.0], tf.bfloat16) * tf.constant([1.0], tf.float64)


def test_an_op_without_a_16_bit_kernel_names_op_and_dtype():
    # never computed in another dtype: NotFoundError naming the op and the dtype (TF has no
    # 16-bit TruncateMod either); ops TF has 16-bit kernels for compute in them
    for dtype in (tf.bfloat16, tf.float16):
        x = tf.constant([5.0], dtype)
        with pytest.raises(tf.errors.NotFoundError, match=f"TruncateMod.*{dtype.name}"):
            tf.truncatemod(x, x)
    y = tf.exp(tf.constant([1.0], tf.bfloat16))
    assert y.dtype == tf.bfloat16 and float(y.numpy()[0]) == 2.71875  # e rounded to bfloat16


def test_unsigned_dtypes():
    for name, bits in (("uint16", 16), ("uint32", 32), ("uint64", 64)):
        d = getattr(tf, name)
        assert d.is_unsigned and d.is_integer and not d.is_floating
        assert d.max == 2**bits - 1 and d.min == 0 and d.size == bits // 8
        t = tf.constant(np.array([0, 2**bits - 1], dtype=name))
        assert t.dtype is d
        assert t.numpy().tolist() == [0, 2**bits - 1]
    assert tf.constant([1, 2], tf.uint16).numpy().dtype == np.uint16


def test_a_dtype_the_package_cannot_represent_raises():
    for arr in (np.array(["2020"], "M8[D]"), np.array([1], np.float128)):
        with pytest.raises(TypeError):
            tf.constant(arr)
    with pytest.raises(TypeError):
        tf.as_dtype("float128")


# ---- axes -------------------------------------------------------------------------------------


@pytest.mark.parametrize("axis", [2, -3, 7])
def test_out_of_range_axes_raise_eager_and_traced(axis):
    x = tf.constant(X2)
    cases = [
        (tf.errors.InvalidArgumentError, lambda: tf.nn.softmax(x, axis=axis)),
        (tf.errors.InvalidArgumentError, lambda: tf.nn.log_softmax(x, axis=axis)),
        (
            tf.errors.InvalidArgumentError,
            lambda: tf.nn.softmax_cross_entropy_with_logits(x, x, axis=axis),
        ),
        (ValueError, lambda: tf.unstack(x, axis=axis)),
        (tf.errors.InvalidArgumentError, lambda: tf.squeeze(tf.zeros([1, 1]), axis=axis)),
        (tf.errors.InvalidArgumentError, lambda: tf.squeeze(tf.zeros([1, 1]), axis=[0, axis])),
        (tf.errors.InvalidArgumentError, lambda: tf.tensordot(x, x, axes=[[axis], [0]])),
        (tf.errors.InvalidArgumentError, lambda: tf.tensordot(x, x, axes=[[1], [axis]])),
    ]
    for cls, fn in cases:
        for run in _both(fn):
            with pytest.raises(cls, match=str(axis)):
                run()


def test_in_range_negative_axes_still_compute():
    x = tf.constant(X2)
    e = np.exp(X2 - X2.max(0))
    np.testing.assert_allclose(tf.nn.softmax(x, axis=-2).numpy(), e / e.sum(0), rtol=1e-6)
    np.testing.assert_allclose(
        tf.nn.log_softmax(x, axis=0).numpy(), np.log(e / e.sum(0)), rtol=1e-5, atol=1e-6
    )
    parts = tf.unstack(x, axis=-1)
    assert [p.numpy().tolist() for p in parts] == [[0, 3], [1, 4], [2, 5]]
    assert tf.squeeze(tf.zeros([1, 3, 1]), axis=[-1, 0]).shape == (3,)
    np.testing.assert_allclose(tf.tensordot(x, x, axes=[[-2], [0]]).numpy(), X2.T @ X2)


def test_scalars_where_an_axis_is_needed():
    with pytest.raises(tf.errors.InvalidArgumentError, match="logits must have >= 1 dimension"):
        tf.nn.softmax(tf.constant(1.0))
    with pytest.raises(tf.errors.InvalidArgumentError, match="rank >= 1"):
        tf.nn.softmax_cross_entropy_with_logits(tf.constant(1.0), tf.constant(1.0))
    with pytest.raises(tf.errors.InvalidArgumentError, match="0 dimensions"):
        tf.squeeze(tf.constant(1.0), axis=-1)
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of range"):
        tf.tensordot(tf.constant(1.0), tf.constant(2.0), axes=[[0], [0]])
    with pytest.raises(ValueError, match="'axes' must be in"):
        tf.tensordot(tf.constant(1.0), tf.constant(2.0), axes=1)


# ---- conversions ------------------------------------------------------------------------------


def test_complex_to_real_raises_unless_the_imaginary_part_is_zero():
    with pytest.raises(TypeError, match="complex128"):
        tf.convert_to_tensor(np.array([1 + 2j]), tf.float32)
    with pytest.raises(TypeError):
        tf.constant(1 + 2j, tf.float32)
    out = tf.constant(np.array([1.5 + 0j]), tf.float32)
    assert out.dtype == tf.float32 and out.numpy().tolist() == [1.5]


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8"])
def test_floats_beyond_the_int_range_raise(dtype):
    d = getattr(tf, dtype)
    for value in (1e300, float(2**63), -1e300, float(d.max) + 1):
        with pytest.raises(TypeError, match="Cannot convert"):
            tf.constant(value, d)
    half = min(d.max // 2, 2**40)
    assert int(tf.constant(float(half), d)) == half


def test_int64_times_a_float_that_does_not_fit_raises():
    x = tf.constant([1, 2], tf.int64)
    for bad in (1e300, 1.5):  # 1e300 fits no float32 either: TF's TypeError
        with pytest.raises((TypeError, tf.errors.InvalidArgumentError), match="int64"):
            x * bad
    assert (x * 3.0).numpy().tolist() == [3, 6]


def test_strings_and_numbers():
    with pytest.raises(ValueError, match="mixed types"):
        tf.constant(["a", 1], dtype=tf.bool)
    with pytest.raises(ValueError, match="mixed types"):
        tf.constant([["a"], [1.5]])
    with pytest.raises(TypeError, match="float32"):
        tf.constant(["1"], dtype=tf.float32)
    assert tf.constant([["a", b"b"]]).numpy().tolist() == [[b"a", b"b"]]


def test_ints_beyond_int64_raise_value_error():
    for value in ([2**63], [0, 2**70], [-(2**63) - 1], [[1.5, 2**64]]):
        with pytest.raises(ValueError, match="out-of-range integer"):
            tf.constant(value)
    assert tf.constant([2**63 - 1]).numpy().tolist() == [2**63 - 1]


def test_python_float_beyond_float32_raises_and_is_inf_with_a_dtype_without_warning():
    import warnings

    with pytest.raises(ValueError, match="out of range"):  # float32 inferred: TF refuses
        tf.constant(1e300)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isinf(tf.constant(1e300, tf.float32).numpy())


# ---- empty results and errors -----------------------------------------------------------------


def test_valid_window_larger_than_the_input_is_empty_as_tf():
    x = tf.ones([1, 2, 2, 1])
    assert tf.nn.conv2d(x, tf.ones([3, 3, 1, 1]), 1, "VALID").shape == (1, 0, 0, 1)
    assert tf.nn.max_pool2d(x, 3, 1, "VALID").shape == (1, 0, 0, 1)
    assert tf.nn.avg_pool2d(x, 3, 1, "VALID").shape == (1, 0, 0, 1)


@pytest.mark.parametrize("fshape", [[0, 3, 1, 1], [3, 0, 1, 1], [3, 3, 1, 0]])
def test_zero_size_filters_raise(fshape):
    with pytest.raises(tf.errors.InvalidArgumentError, match="zero elements"):
        tf.nn.conv2d(tf.ones([1, 4, 4, 1]), tf.zeros(fshape), 1, "SAME")
    with pytest.raises(tf.errors.InvalidArgumentError, match="zero elements"):
        tf.nn.depthwise_conv2d(tf.ones([1, 4, 4, 1]), tf.zeros(fshape), [1, 1, 1, 1], "SAME")


def test_repeat_negative_counts():
    with pytest.raises(tf.errors.InvalidArgumentError, match="-1"):
        tf.repeat(tf.constant([1, 2]), -1)
    with pytest.raises(tf.errors.InvalidArgumentError, match="-3"):
        tf.repeat(tf.constant([[1, 2]]), tf.constant(-3), axis=1)
    out = tf.repeat(tf.constant([1, 2, 3]), [-1, 2, 1], axis=0)
    assert out.numpy().tolist() == [2, 2, 3]


@pytest.mark.parametrize("traced", [False, True])
def test_dropout_zeroes_dropped_inf_and_nan(traced):
    x = tf.constant(np.array([np.inf, -np.inf, np.nan, 2.0] * 100, np.float32))
    drop = lambda: tf.nn.dropout(x, 0.25, seed=5)  # noqa: E731
    out = (tf.function(drop) if traced else drop)().numpy()
    dropped = out == 0
    assert 50 < dropped.sum() < 150
    kept = ~dropped
    np.testing.assert_array_equal(out[kept], x.numpy()[kept] / 0.75)


def test_dropout_with_a_noise_shape_zeroes_whole_columns():
    x = tf.fill([3, 400], float("inf"))
    out = tf.nn.dropout(x, 0.5, noise_shape=[1, 400], seed=1).numpy()
    assert not np.isnan(out).any()
    cols = out[0] == 0
    assert 100 < cols.sum() < 300
    assert (out[:, cols] == 0).all() and np.isinf(out[:, ~cols]).all()


def test_dropout_gradient_is_the_scaled_keep_mask():
    x = tf.constant(np.ones(200, np.float32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.dropout(x, 0.5, seed=2)
    g = tape.gradient(y, x).numpy()
    np.testing.assert_array_equal(g, np.where(y.numpy() == 0, 0.0, 2.0))


@pytest.mark.parametrize(
    "make, cls, match",
    [
        (lambda: tf.zeros([2**40, 2**40]), tf.errors.InvalidArgumentError, "2\\*\\*63"),
        (lambda: tf.fill([2**62, 4], 1.0), tf.errors.InvalidArgumentError, "Fill"),
        (lambda: tf.zeros([-1, 2]), tf.errors.InvalidArgumentError, ">= 0"),
        (lambda: tf.broadcast_to(1.0, [-1, 2]), tf.errors.InvalidArgumentError, "BroadcastTo"),
        (lambda: tf.eye(-1), tf.errors.InvalidArgumentError, "-1"),
        (
            lambda: tf.nn.conv2d_transpose(
                tf.zeros([1, 2, 2, 1]), tf.zeros([3, 3, 1, 1]), [1, -1, 4, 1], 1
            ),
            tf.errors.InvalidArgumentError,
            "-1",
        ),
        (lambda: tf.pad(tf.zeros([2]), [[2**40, 2**40]]), tf.errors.ResourceExhaustedError, "Pad"),
        (lambda: tf.pad(tf.zeros([2]), [[2**63, 0]]), ValueError, "out-of-range integer"),
        (
            lambda: tf.math.segment_sum(tf.zeros([2]), tf.constant([0, 2**62], tf.int64)),
            tf.errors.ResourceExhaustedError,
            "int64",
        ),
        (lambda: tf.math.segment_sum(tf.zeros([2]), [0, 2**70]), ValueError, "out-of-range"),
        (lambda: tf.constant(1.0, shape=[-1]), ValueError, "Dimension -1 must be >= 0"),
        (lambda: tf.constant(1.0, shape=[2**40, 2**4]), tf.errors.ResourceExhaustedError, "OOM"),
        (
            lambda: tf.dtypes.saturate_cast(tf.constant(["a"]), tf.int32),
            TypeError,
            "minimum value of tf.string",
        ),
    ],
)
def test_raw_python_errors_become_tf_errors(make, cls, match):
    with pytest.raises(cls, match=match):
        make()


def test_huge_allocation_inside_a_function_is_a_tf_error():
    with pytest.raises(tf.errors.ResourceExhaustedError, match="OOM"):
        tf.function(lambda: tf.random.uniform([2**40, 2**20]))()


def test_size_and_shape_out_type():
    x = tf.zeros([2, 3, 4])
    for run in _both(lambda: (tf.size(x, out_type=tf.int64), tf.shape(x, out_type=tf.int64))):
        size, shape = run()
        assert size.dtype == tf.int64 and int(size) == 24
        assert shape.dtype == tf.int64 and shape.numpy().tolist() == [2, 3, 4]


def test_a_seeded_sweep_of_bad_axes_raises_only_tf_classes():
    rng = np.random.default_rng(21)
    fns = [
        lambda x, a: tf.nn.softmax(x, axis=a),
        lambda x, a: tf.unstack(x, axis=a),
        lambda x, a: tf.squeeze(x, axis=a),
        lambda x, a: tf.tensordot(x, x, axes=[[a], [a]]),
        lambda x, a: tf.expand_dims(x, a),
        lambda x, a: tf.reduce_sum(x, a),
        lambda x, a: tf.concat([x, x], a),
        lambda x, a: tf.stack([x, x], a),
        lambda x, a: tf.gather(x, [0], axis=a),
        lambda x, a: tf.roll(x, 1, a),
        lambda x, a: tf.repeat(x, 2, axis=a),
        lambda x, a: tf.cumsum(x, a),
        lambda x, a: tf.argmax(x, a),
        lambda x, a: tf.sort(x, a),
    ]
    for _ in range(400):
        shape = list(rng.integers(0, 3, size=rng.integers(0, 4)))
        x = tf.constant(rng.standard_normal(shape).astype(np.float32))
        a = int(rng.choice([-5, -3, -2, -1, 0, 1, 2, 4, 2**31]))
        fn = fns[rng.integers(len(fns))]
        try:
            fn(x, a)
        except (tf.errors.OpError, ValueError, TypeError):
            pass  # TF's classes; anything else (IndexError, ZeroDivisionError, ...) fails


# ---- no lost update ---------------------------------------------------------------------------


def _hammer(fn, threads=8, n=10_000):
    errors = []

    def work():
        try:
            for _ in range(n):
                fn()
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors, errors


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_assign_add_from_8_threads_keeps_every_update(dtype):
    v = tf.Variable(0.0, dtype=dtype)
    _hammer(lambda: v.assign_add(1.0))
    assert float(v.numpy()) == 80_000.0


def test_vector_assign_add_and_sub_from_threads():
    v = tf.Variable(tf.zeros([4], tf.float64))
    one = tf.ones([4], tf.float64)
    _hammer(lambda: (v.assign_add(one), v.assign_add(one), v.assign_sub(one)), n=4_000)
    assert v.numpy().tolist() == [32_000.0] * 4


def test_assign_add_in_a_function_from_threads():
    v = tf.Variable(tf.zeros([3]))
    step = tf.function(lambda: v.assign_add(tf.ones([3])))
    _hammer(step)
    assert v.numpy().tolist() == [80_000.0] * 3


def test_scatter_updates_from_threads():
    v = tf.Variable(tf.zeros([3]))
    _hammer(lambda: v.scatter_nd_add([[1]], [1.0]), n=1_000)
    w = tf.Variable(tf.zeros([3]))
    step = tf.function(lambda: w.scatter_nd_sub([[2]], [1.0]))
    _hammer(step, n=1_000)
    assert v.numpy().tolist() == [0.0, 8_000.0, 0.0]
    assert w.numpy().tolist() == [0.0, 0.0, -8_000.0]


def test_jit_compiled_assign_add_from_threads():
    pytest.importorskip("jax")
    v = tf.Variable(0.0)
    step = tf.function(lambda: v.assign_add(1.0), jit_compile=True)
    _hammer(step, n=1_000)
    assert float(v.numpy()) == 8_000.0


def test_a_function_updating_two_variables_does_not_deadlock():
    a, b = tf.Variable(0.0), tf.Variable(0.0)
    ab = tf.function(lambda: (a.assign_add(1.0), b.assign_add(2.0)))
    ba = tf.function(lambda: (b.assign_add(1.0), a.assign_add(2.0)))
    _hammer(lambda: (ab(), ba()), threads=4, n=1_000)
    assert float(a.numpy()) == float(b.numpy()) == 12_000.0


def test_size_and_shape_beyond_int32_need_int64():
    x = tf.zeros([2**31 + 1], tf.bool)  # 2 GiB
    with pytest.raises(tf.errors.InvalidArgumentError, match="Shape output type is int32"):
        tf.shape(x)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Size output type is int32"):
        tf.size(x)
    assert int(tf.size(x, out_type=tf.int64)) == 2**31 + 1
    assert tf.shape(x, out_type=tf.int64).numpy().tolist() == [2**31 + 1]


@pytest.mark.parametrize(
    "make",
    [
        lambda: tf.reshape(tf.zeros([2]), [float("inf")]),
        lambda: tf.expand_dims(tf.zeros([2]), float("inf")),
        lambda: tf.argmax(tf.zeros([2]), float("nan")),
        lambda: tf.one_hot([0], float("inf")),
        lambda: tf.math.top_k(tf.zeros([3]), float("inf")),
        lambda: tf.concat([tf.zeros([1]), tf.zeros([1])], tf.constant(float("inf"))),
        lambda: tf.pad(tf.zeros([2]), tf.constant([[float("inf"), 0.0]])),
        lambda: tf.random.uniform(tf.constant([float("inf")])),
        lambda: tf.sequence_mask([1], float("inf")),
        lambda: tf.einsum(None, tf.zeros([2])),
    ],
)
def test_non_integral_int_arguments_are_type_error(make):
    with pytest.raises(TypeError):
        make()


def test_bad_composite_arguments_are_value_error():
    with pytest.raises(ValueError, match="rank >= 1"):
        tf.nn.embedding_lookup([tf.constant(3.0), tf.constant(2.0)], [0])
    with pytest.raises(ValueError, match="stride"):
        tf.nn.conv1d(tf.zeros([1, 4, 1]), tf.zeros([2, 1, 1]), [], "VALID")
    with pytest.raises(tf.errors.InvalidArgumentError, match="seed"):  # TF's: a float seed
        tf.random.stateless_normal([2], [float("inf"), 1.0])
    with pytest.raises(tf.errors.ResourceExhaustedError, match="MatrixDiagV3"):
        tf.linalg.diag([0.0, 3.0], num_rows=2**40, num_cols=2)
