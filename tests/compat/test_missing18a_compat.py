"""TF's top-level odds and ends, ``tf.debugging`` and ``tf.raw_ops`` (issue 18's missing names),
against real TF 2.21 and tensorhouse."""

import inspect

import numpy as np
import pytest

X = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)


def _raises(cls, fn, *texts):
    with pytest.raises(cls) as info:
        fn()
    for t in texts:
        assert t in str(info.value)


def test_assert_equal_eager_text(tf):
    x, y = tf.constant([1, 2]), tf.constant([1, 3])
    assert tf.debugging.assert_equal(x, x) is None
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        tf.debugging.assert_equal(x, y, message="hi")
    assert str(info.value) == (
        "hi\nCondition x == y did not hold.\nIndices of first 1 different values:\n[[1]]\n"
        "Corresponding x values:\n[2]\nCorresponding y values:\n[3]\nFirst 2 elements of x:\n"
        "[1 2]\nFirst 2 elements of y:\n[1 3]"
    )
    _raises(
        tf.errors.InvalidArgumentError,
        lambda: tf.debugging.assert_less(x, y),
        "Condition x < y did not hold.",
        "Indices of first 1 different values:\n[[0]]",
    )
    tf.debugging.assert_less_equal(x, y)
    tf.debugging.assert_greater(y + 1, x)
    _raises(
        tf.errors.InvalidArgumentError,
        lambda: tf.debugging.assert_greater_equal(x, y),
        "Condition x >= y did not hold.",
    )
    _raises(
        tf.errors.InvalidArgumentError,
        lambda: tf.assert_equal(tf.zeros([2]), tf.zeros([3])),
        "Incompatible shapes: [2] vs. [3]",
    )


def test_sign_asserts_and_assert_near(tf):
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        tf.debugging.assert_positive(tf.constant([-1.0, 2, 3, 4]))
    assert str(info.value) == (
        "\nCondition x > 0 did not hold element-wise:\nx (shape=(4,) dtype=float32) = \n"
        "['-1.0', '2.0', '3.0', '...']"
    )
    tf.debugging.assert_non_negative(tf.constant([0, 1]))
    tf.debugging.assert_negative(tf.constant([-1.0]))
    _raises(
        tf.errors.InvalidArgumentError,
        lambda: tf.debugging.assert_non_positive(1.0),
        "Condition x <= 0 did not hold",
    )
    tf.debugging.assert_near(tf.constant([1.0, 2.0]), tf.constant([1.0, 2.000001]))
    _raises(
        tf.errors.InvalidArgumentError,
        lambda: tf.debugging.assert_near(tf.constant([1.0, 2.0]), tf.constant([1.0, 2.1])),
        "Expected 'tf.Tensor(False, shape=(), dtype=bool)' to be true.",
        "x and y not equal to tolerance rtol = tf.Tensor(1.1920929e-06",
    )


def test_assert_runs_when_the_function_runs(tf):
    @tf.function
    def f(a, b):
        tf.debugging.assert_equal(a, b, message="m")
        return a + 1

    x = tf.constant([1, 2])
    np.testing.assert_array_equal(f(x, x), [2, 3])
    _raises(
        tf.errors.InvalidArgumentError,
        lambda: f(x, tf.constant([1, 3])),
        "assertion failed: [m] [Condition x == y did not hold element-wise:] [x (a:0) = ] "
        "[1 2] [y (b:0) = ] [1 3]",
    )

    @tf.function
    def g(a):
        tf.Assert(tf.reduce_all(a > 1), [a], summarize=5)
        return a

    _raises(
        tf.errors.InvalidArgumentError,
        lambda: g(tf.reshape(tf.range(12), [3, 4])),
        "assertion failed: [[0 1 2 3][4...]...]",
    )
    np.testing.assert_array_equal(g(tf.constant([2, 3])), [2, 3])


def test_eager_assert_text(tf):
    _raises(
        tf.errors.InvalidArgumentError,
        lambda: tf.debugging.Assert(False, [tf.constant([1, 2]), "s"]),
        "Expected 'False' to be true. Summarized data: 1, 2\nb's'",
    )
    assert tf.debugging.Assert(True, [1]) is None


def test_check_numerics(tf):
    x = tf.constant([1.0, np.nan])
    _raises(
        tf.errors.InvalidArgumentError,
        lambda: tf.debugging.check_numerics(x, "bad"),
        "bad : Tensor had NaN values",
    )
    _raises(
        tf.errors.InvalidArgumentError,
        lambda: tf.debugging.assert_all_finite(tf.constant([np.inf]), "b"),
        "b : Tensor had Inf values",
    )
    f = tf.function(lambda a: tf.debugging.check_numerics(a, "msg") * 2)
    np.testing.assert_array_equal(f(tf.constant([1.0, 2.0])), [2.0, 4.0])
    _raises(tf.errors.InvalidArgumentError, lambda: f(x), "msg : Tensor had NaN values")
    v = tf.constant([3.0])
    with tf.GradientTape() as tape:
        tape.watch(v)
        y = tf.debugging.check_numerics(v * v, "m")
    np.testing.assert_allclose(tape.gradient(y, v), [6.0])


def test_static_checks(tf):
    x = tf.constant([1, 2])
    _raises(
        ValueError,
        lambda: tf.debugging.assert_rank(x, 2),
        "must have rank 2.  Received rank 1, shape (2,)",
    )
    tf.assert_rank(x, 1)
    _raises(ValueError, lambda: tf.debugging.assert_rank_at_least(x, 2), "rank at least 2")
    _raises(ValueError, lambda: tf.debugging.assert_rank_in(x, [0, 2]), "rank in (0, 2)")
    _raises(
        TypeError,
        lambda: tf.debugging.assert_type(x, tf.float32),
        "tensor must be of type tf.float32; got tf.int32",
    )
    _raises(
        TypeError,
        lambda: tf.debugging.assert_integer(tf.constant(1.0)),
        'Expected "x" to be integer type.',
    )
    _raises(
        ValueError, lambda: tf.debugging.assert_scalar(x), "Expected scalar shape, saw shape: (2,)."
    )
    _raises(
        ValueError,
        lambda: tf.debugging.assert_shapes([(x, ("N",)), (tf.zeros([3, 2]), ("N", 2))]),
        "Specified by tensor shape=(2,) dtype=int32 dimension 0.  Tensor shape=(3, 2) "
        "dtype=float32 dimension 0 must have size 2.  Received size 3, shape (3, 2)",
    )
    tf.debugging.assert_shapes([(x, ("N",)), (tf.zeros([2, 5]), ("N", "M"))])
    assert tf.debugging.assert_same_float_dtype([tf.zeros(1)]) == tf.float32
    _raises(
        ValueError,
        lambda: tf.debugging.assert_same_float_dtype([tf.zeros(1), tf.zeros(1, tf.float64)]),
        "must be of the same type",
    )
    _raises(TypeError, lambda: tf.debugging.assert_proper_iterable("ab"), '"proper" iterable')
    assert tf.debugging.is_numeric_tensor(x) and not tf.debugging.is_numeric_tensor(x > 1)


def test_grouping_and_static_values(tf):
    x = tf.constant(X)
    assert tf.no_op() is None and tf.group(x) is None
    a, b = tf.identity_n([x, x + 1])
    np.testing.assert_array_equal(b, X + 1)
    t = tf.tuple([x, None])
    assert t[1] is None
    np.testing.assert_array_equal(t[0], X)
    np.testing.assert_array_equal(tf.get_static_value(x), X)
    assert tf.get_static_value(3) == 3
    np.testing.assert_array_equal(tf.scalar_mul(2.0, x), 2 * X)
    _raises(
        ValueError,
        lambda: tf.scalar_mul(x, x),
        "The input scalar must be a 0-D value. Received shape (2, 2).",
    )
    seen = []

    @tf.function
    def f(a):
        seen.append(
            (
                tf.inside_function(),
                tf.is_symbolic_tensor(a),
                tf.get_static_value(tf.shape(a)).tolist(),
                tf.get_static_value(a),
            )
        )
        return tf.ensure_shape(a, [None, 2])

    assert f(x).shape == (2, 2)
    assert seen == [(True, True, [2, 2], None)]
    assert not tf.inside_function() and not tf.is_symbolic_tensor(x)
    _raises(
        tf.errors.InvalidArgumentError,
        lambda: tf.ensure_shape(x, [3, 2]),
        "is not compatible with expected shape [3,2]",
    )
    assert tf.timestamp().dtype == tf.float64
    assert tf.get_logger().name == "tensorflow"
    assert tf.VariableAggregation.SUM.value == 1 and tf.VariableSynchronization.ON_READ.value == 3
    assert tf.AggregationMethod.DEFAULT == tf.AggregationMethod.ADD_N == 0


def test_composed_array_ops(tf):
    x = tf.reshape(tf.range(8), [2, 4])
    out = tf.reverse_sequence(x, [2, 3], seq_axis=1, batch_axis=0)
    np.testing.assert_array_equal(out, [[1, 0, 2, 3], [6, 5, 4, 7]])
    out = tf.reverse_sequence(tf.transpose(x), [2, 3], seq_axis=0, batch_axis=1)
    np.testing.assert_array_equal(out, [[1, 6], [0, 5], [2, 4], [3, 7]])
    parts = tf.dynamic_partition(tf.constant([10, 20, 30, 40]), tf.constant([0, 1, 0, 1]), 2)
    assert [p.numpy().tolist() for p in parts] == [[10, 30], [20, 40]]
    st = tf.dynamic_stitch(
        [tf.constant([0, 2]), tf.constant([[1], [3]])],
        [tf.constant([[1.0, 1], [2, 2]]), tf.constant([[[3.0, 3]], [[4, 4]]])],
    )
    np.testing.assert_array_equal(st, [[1, 1], [3, 3], [2, 2], [4, 4]])
    v = tf.constant([-1.0, 0.0, 1.5, 2.0, 5.0, 15])
    np.testing.assert_array_equal(tf.histogram_fixed_width(v, [0.0, 5.0], nbins=5), [2, 1, 1, 0, 2])
    np.testing.assert_array_equal(
        tf.histogram_fixed_width_bins(v, [0.0, 5.0], nbins=5), [0, 0, 1, 2, 4, 4]
    )
    out = tf.tensor_scatter_nd_sub(tf.constant(X), [[0]], [[1.0, 1.0]])
    np.testing.assert_array_equal(out, [[0, 1], [3, 4]])
    np.testing.assert_allclose(tf.reduce_logsumexp(X, axis=1), np.log(np.exp(X).sum(1)), rtol=1e-6)


def test_grad_pass_through_and_initializers(tf):
    v = tf.Variable(X)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.grad_pass_through(tf.round)(v * 0.3))
    np.testing.assert_allclose(tape.gradient(y, v), np.full((2, 2), 0.3), rtol=1e-6)
    np.testing.assert_array_equal(tf.constant_initializer([1, 2, 3, 4])([2, 2]), X)
    np.testing.assert_array_equal(tf.constant_initializer(7)([2], tf.int32), [7, 7])
    np.testing.assert_array_equal(tf.ones_initializer()([2]), [1, 1])
    np.testing.assert_array_equal(tf.zeros_initializer()([2], tf.int64), [0, 0])
    u = tf.random_uniform_initializer(-1.0, 1.0, seed=3)([1000]).numpy()
    assert -1 <= u.min() and u.max() < 1 and abs(u.mean()) < 0.1
    n = tf.random_normal_initializer(0.0, 2.0, seed=3)
    np.testing.assert_array_equal(n([50]), n([50]))
    assert abs(float(tf.math.reduce_std(n([4000]))) - 2.0) < 0.15


def test_raw_ops(tf):
    r = tf.raw_ops
    x = tf.constant(X)
    np.testing.assert_allclose(r.MatMul(a=x, b=x, transpose_b=True), X @ X.T)
    np.testing.assert_allclose(r.AddV2(x=x, y=x), 2 * X)
    np.testing.assert_allclose(r.Sum(input=x, axis=[1], keep_dims=True), X.sum(1, keepdims=True))
    np.testing.assert_allclose(r.Atan2(y=x, x=-x), np.arctan2(X, -X), rtol=1e-6)
    np.testing.assert_allclose(r.Relu(features=x - 2), np.maximum(X - 2, 0))
    np.testing.assert_array_equal(r.Reshape(tensor=x, shape=[4]), X.reshape(4))
    np.testing.assert_array_equal(r.ConcatV2(values=[x, x], axis=0), np.concatenate([X, X]))
    np.testing.assert_array_equal(r.ArgMax(input=x, dimension=1), [1, 1])
    assert r.ArgMax(input=x, dimension=1).dtype == tf.int64
    u = r.Unique(x=tf.constant([1, 2, 1]))
    assert u.y.numpy().tolist() == [1, 2] and u.idx.numpy().tolist() == [0, 1, 0]
    top = r.TopKV2(input=tf.constant([3.0, 1.0, 2.0]), k=2)
    assert top.values.numpy().tolist() == [3, 2] and top.indices.numpy().tolist() == [0, 2]
    assert [t.numpy().tolist() for t in r.Unpack(value=x, num=2)] == X.tolist()
    np.testing.assert_array_equal(r.Cast(x=x, DstT=tf.int32), X.astype(np.int32))
    _raises(
        TypeError,
        lambda: r.AddV2(x, x),
        "add_v2 only takes keyword args (possible keys: ['x', 'y', 'name'])",
    )
    _raises(TypeError, lambda: r.MatMul(a=x))
    _raises(TypeError, lambda: r.TopKV2(x, k=1), "top_kv2 only takes keyword args")
    params = inspect.signature(r.MatMul).parameters
    assert list(params) == ["a", "b", "transpose_a", "transpose_b", "grad_a", "grad_b", "name"]
    assert params["transpose_a"].default is False and params["b"].default is inspect.Parameter.empty

    @tf.function
    def f(a):
        return r.Mul(x=r.Square(x=a), y=a), r.Shape(input=a)

    y, s = f(x)
    np.testing.assert_allclose(y, X**3)
    np.testing.assert_array_equal(s, [2, 2])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = r.Sum(input=r.Tanh(x=x), axis=[0, 1])
    np.testing.assert_allclose(tape.gradient(y, x), 1 - np.tanh(X) ** 2, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "values, kw, wire",
    [
        ([1.0, 2.0], {}, b'\x08\x01\x12\x04\x12\x02\x08\x02"\x08\x00\x00\x80?\x00\x00\x00@'),
        (3, {}, b"\x08\x03\x12\x00:\x01\x03"),
        ("ab", {}, b"\x08\x07\x12\x00B\x02ab"),
        ([1, 2], {"shape": [4]}, b"\x08\x03\x12\x04\x12\x02\x08\x04:\x02\x01\x02"),
        (np.float16(1.5), {}, b"\x08\x13\x12\x00j\x02\x80|"),
        ([[True]], {}, b"\x08\n\x12\x08\x12\x02\x08\x01\x12\x02\x08\x01Z\x01\x01"),
    ],
)
def test_make_tensor_proto_wire_format(tf, values, kw, wire):
    proto = tf.make_tensor_proto(values, **kw)
    assert proto.SerializeToString() == wire
    want = np.asarray(values)
    if "shape" in kw:
        want = np.array([1, 2, 2, 2])
    if isinstance(values, str):
        want = np.array(values.encode(), dtype=object)
    np.testing.assert_array_equal(tf.make_ndarray(proto), want)


def test_make_tensor_proto_errors(tf):
    _raises(
        ValueError,
        lambda: tf.make_tensor_proto([1, 2, 3], shape=[2]),
        "Too many elements provided. Takes at most 2, but got 3.",
    )
    _raises(
        TypeError,
        lambda: tf.make_tensor_proto([1, 2], shape=[4], verify_shape=True),
        "Expected Tensor's shape: (4,), but got (2,).",
    )
    p = tf.make_tensor_proto(1.0, dtype=tf.float64, shape=[2, 2])
    np.testing.assert_array_equal(tf.make_ndarray(p), np.ones((2, 2)))
    assert tf.make_ndarray(p).dtype == np.float64


def test_dtypes_cast_and_complex(tf):
    np.testing.assert_array_equal(tf.dtypes.cast(tf.constant([1.7, -1.7]), tf.int32), [1, -1])
    z = tf.dtypes.complex(tf.constant([1.0]), tf.constant([2.0]))
    assert z.dtype == tf.complex64 and z.numpy().tolist() == [1 + 2j]


def test_broadcast_shapes(tf):
    s = tf.broadcast_static_shape(tf.TensorShape([2, 1]), tf.TensorShape([None, 4]))
    assert s.as_list() == [2, 4]
    _raises(
        ValueError,
        lambda: tf.broadcast_static_shape(tf.TensorShape([2, 3]), tf.TensorShape([4])),
        "Incompatible shapes for broadcasting. Two shapes are compatible if for each dimension "
        "pair they are either equal or one of them is 1. Received: (2, 3) and (4,).",
    )
    np.testing.assert_array_equal(tf.broadcast_dynamic_shape([2, 1], [5, 1, 4]), [5, 2, 4])
    d = tf.broadcast_dynamic_shape(tf.constant([2, 1], tf.int64), [3])
    assert d.dtype == tf.int64 and d.numpy().tolist() == [2, 3]
    _raises(
        tf.errors.InvalidArgumentError,
        lambda: tf.broadcast_dynamic_shape([2, 3], [4]),
        "Incompatible shapes: [2,3] vs. [4]",
    )
    f = tf.function(lambda a, b: tf.broadcast_dynamic_shape(tf.shape(a), tf.shape(b)))
    np.testing.assert_array_equal(f(tf.zeros([2, 1]), tf.zeros([3, 1, 4])), [3, 2, 4])
    _raises(
        tf.errors.InvalidArgumentError,
        lambda: f(tf.zeros([2, 3]), tf.zeros([4])),
        "Incompatible shapes: [2,3] vs. [4]",
    )


def test_tensor_scatter_nd_max_min(tf):
    x = tf.constant(X)
    out = tf.tensor_scatter_nd_max(x, [[0], [0]], [[5.0, 0.0], [0.0, 7.0]])
    np.testing.assert_array_equal(out, [[5, 7], [3, 4]])
    out = tf.tensor_scatter_nd_min(tf.constant([1, 2, 3]), [[2], [0]], [0, 5])
    np.testing.assert_array_equal(out, [1, 2, 0])
    out = tf.tensor_scatter_nd_max(tf.zeros([2, 3]), [[1, 2]], [9.0])
    np.testing.assert_array_equal(out, [[0, 0, 0], [0, 0, 9]])


def test_random_split_fold_in_and_algorithm(tf):
    seeds = tf.random.split(tf.constant([1, 2]), 3)
    assert seeds.dtype == tf.int32 and seeds.shape == (3, 2)
    np.testing.assert_array_equal(seeds, tf.random.split(tf.constant([1, 2]), 3))
    assert len({tuple(r) for r in seeds.numpy().tolist()}) == 3
    assert tf.random.split([1, 2]).shape == (2, 2)
    f = tf.random.fold_in([1, 2], 7)
    assert f.dtype == tf.int32 and int(f[1]) == 7
    assert int(tf.random.fold_in([1, 2], 8)[0]) == int(f[0])
    assert [a.value for a in tf.random.Algorithm] == [1, 2, 3]
    assert tf.random.Algorithm.PHILOX.name == "PHILOX"


def test_more_raw_ops(tf):
    r, x = tf.raw_ops, tf.constant(X)
    z = r.Complex(real=x, imag=-x)
    assert z.dtype == tf.complex64
    np.testing.assert_allclose(r.ComplexAbs(x=z), np.abs(X - 1j * X), rtol=1e-6)
    np.testing.assert_allclose(r.Angle(input=z), np.angle(X - 1j * X), rtol=1e-6)
    np.testing.assert_allclose(r.FFT(input=z), np.fft.fft(X - 1j * X), rtol=1e-5)
    np.testing.assert_allclose(r.RFFT(input=x, fft_length=[2]), np.fft.rfft(X), rtol=1e-5)
    np.testing.assert_allclose(r.IRFFT(input=r.RFFT(input=x, fft_length=[2]), fft_length=[2]), X)
    lb = r.LowerBound(sorted_inputs=[[1, 3, 5]], values=[[3, 4]])
    ub = r.UpperBound(sorted_inputs=[[1, 3, 5]], values=[[3, 4]])
    assert lb.numpy().tolist() == [[1, 2]] and ub.numpy().tolist() == [[2, 2]]
    assert r.UniqueWithCounts(x=[1, 1, 2]).count.numpy().tolist() == [2, 1]
    xent = r.SoftmaxCrossEntropyWithLogits(features=x, labels=[[0.0, 1.0], [1.0, 0.0]])
    p = np.exp(X) / np.exp(X).sum(1, keepdims=True)
    np.testing.assert_allclose(xent.loss, -np.log([p[0, 1], p[1, 0]]), rtol=1e-6)
    np.testing.assert_allclose(xent.backprop, p - [[0, 1], [1, 0]], rtol=1e-6, atol=1e-7)
    sparse = r.SparseSoftmaxCrossEntropyWithLogits(features=x, labels=[1, 0])
    np.testing.assert_allclose(sparse.backprop, xent.backprop, rtol=1e-6, atol=1e-7)
    counts = r.DenseBincount(input=[1, 1, 3], size=4, weights=[])
    assert counts.dtype == tf.float32 and counts.numpy().tolist() == [0, 2, 0, 1]
    weighted = r.DenseBincount(input=[1, 1, 3], size=4, weights=[1.0, 2.0, 3.0])
    assert weighted.numpy().tolist() == [0, 3, 0, 3]
    det = r.LogMatrixDeterminant(input=x)
    assert float(det.sign) == -1.0 and float(det.log_abs_determinant) == pytest.approx(np.log(2))
    back = r.Conv2DBackpropInput(
        input_sizes=[1, 3, 3, 1],
        filter=tf.ones([2, 2, 1, 1]),
        out_backprop=tf.ones([1, 3, 3, 1]),
        strides=[1, 1, 1, 1],
        padding="SAME",
    )
    np.testing.assert_array_equal(back[0, :, :, 0], [[1, 2, 2], [2, 4, 4], [2, 4, 4]])
    out = r.ReverseSequence(input=[[1, 2, 3]], seq_lengths=[2], seq_dim=1)
    assert out.numpy().tolist() == [[2, 1, 3]]
    assert r.BroadcastArgs(s0=[2, 1], s1=[3]).numpy().tolist() == [2, 3]
    assert r.TensorScatterMax(tensor=[1, 2], indices=[[0]], updates=[5]).numpy().tolist() == [5, 2]
    assert r.RandomUniformInt(shape=[3], minval=0, maxval=5).dtype == tf.int32
    assert r.Timestamp().dtype == tf.float64
    parts = r.DynamicPartition(data=[1, 2, 3], partitions=[1, 0, 1], num_partitions=2)
    assert [p.numpy().tolist() for p in parts] == [[2], [1, 3]]


def test_unravel_index(tf):
    out = tf.unravel_index([5, 7], [3, 4])
    assert out.dtype == tf.int32 and out.numpy().tolist() == [[1, 1], [1, 3]]
    assert tf.unravel_index(5, [3, 4]).numpy().tolist() == [1, 1]
    assert tf.unravel_index([-1], [3, 4]).numpy().tolist() == [[0], [-1]]  # C's division, as TF
    assert tf.unravel_index(tf.constant([5], tf.int64), [3, 4]).dtype == tf.int64
    _raises(
        tf.errors.InvalidArgumentError,
        lambda: tf.unravel_index([12], [3, 4]),
        "index is out of bound as with dims",
    )
    _raises(
        tf.errors.InvalidArgumentError,
        lambda: tf.unravel_index([5.0], [3, 4]),
        "Value for attr 'Tidx' of float is not in the list of allowed values: int32, int64",
    )
    f = tf.function(lambda i: tf.unravel_index(i, [3, 4]))
    np.testing.assert_array_equal(f(tf.constant([11])), [[2], [3]])
    _raises(tf.errors.InvalidArgumentError, lambda: f(tf.constant([12])), "out of bound")


def test_stateless_categorical(tf):
    logits = tf.math.log([[0.1, 0.9], [0.5, 0.5]])
    c = tf.random.stateless_categorical(logits, 4000, [1, 2])
    assert c.dtype == tf.int64 and c.shape == (2, 4000)
    np.testing.assert_array_equal(c, tf.random.stateless_categorical(logits, 4000, [1, 2]))
    np.testing.assert_allclose(np.mean(c.numpy(), axis=1), [0.9, 0.5], atol=0.03)
    c32 = tf.random.stateless_categorical(logits, 3, [1, 2], dtype=tf.int32)
    assert c32.dtype == tf.int32
