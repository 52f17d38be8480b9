"""TF functions on new kernels checked against TF: tf.math's erfinv, ndtri, the modified Bessel
functions I0 / I1 (and scaled), nextafter (values, dtypes, errors, gradients); tf.bitcast."""

from __future__ import annotations

import numpy as np
import pytest

X = [0.0, 0.5, -2.0, 3.0, 25.0]


def test_values_match_tf(tf):
    p = tf.constant([1e-30, 1e-6, 0.1, 0.5, 0.9, 1 - 1e-12, 0.0, 1.0], tf.float64)
    np.testing.assert_allclose(
        tf.math.ndtri(p).numpy()[:6],
        [-11.46402469, -4.75342431, -1.28155157, 0.0, 1.28155157, 7.03448691],
        rtol=1e-7,
    )
    assert tf.math.ndtri(p).numpy()[6:].tolist() == [-np.inf, np.inf]
    assert not np.signbit(tf.math.ndtri(tf.constant(0.5)).numpy())
    y = tf.constant([-1.0, -0.999, 0.25, 0.9999999, 1.0, 1.5])
    np.testing.assert_allclose(
        tf.math.erfinv(y).numpy(),
        [-np.inf, -2.32675633, 0.22531206, 3.74392116, np.inf, np.nan],
        rtol=1e-5,
    )
    x = tf.constant(X, tf.float64)
    np.testing.assert_allclose(
        tf.math.bessel_i0(x).numpy(),
        [1.0, 1.06348337, 2.2795853, 4.88079259, 5.774560606e09],
        rtol=1e-8,
    )
    np.testing.assert_allclose(
        tf.math.special.bessel_i1e(x).numpy(),
        [0.0, 0.1564208, -0.21526929, 0.19682671, 0.07857611],
        rtol=1e-6,
    )
    assert tf.math.special.bessel_i0 is tf.math.bessel_i0


def test_nextafter_steps_one_ulp_of_the_dtype(tf):
    assert tf.math.nextafter(1.0, 2.0).numpy() == np.float32(1) + np.finfo(np.float32).eps
    got = tf.math.nextafter(
        tf.constant([1.0, 0.0], tf.float64), tf.constant([0.0, -1.0], tf.float64)
    )
    assert got.numpy().tolist() == [1 - np.finfo(float).epsneg, -5e-324]


def test_gradients_match_tf(tf):
    x = tf.constant([0.0, 0.5, -2.0, 3.0], tf.float64)
    want = {
        "bessel_i0": [0.0, 0.25789431, -1.59063685, 3.95337022],
        "bessel_i0e": [0.0, -0.48861447, 0.09323903, -0.04617364],
        "bessel_i1": [1.0, 0.54769476, 1.48426688, 3.56300251],  # TF's 1 at 0 (the limit is 1/2)
        "bessel_i1e": [0.5, 0.17577286, -0.01439561, -0.01943526],
    }
    for name, expected in want.items():
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = getattr(tf.math, name)(x)
        np.testing.assert_allclose(tape.gradient(y, x).numpy(), expected, rtol=1e-6, err_msg=name)
    p = tf.constant([0.3, -0.6], tf.float64)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(p)
        e, n = tf.math.erfinv(p), tf.math.ndtri(tf.abs(p))
    np.testing.assert_allclose(tape.gradient(e, p).numpy(), [0.95452036, 1.26286243], rtol=1e-7)
    np.testing.assert_allclose(tape.gradient(n, p).numpy(), [2.87610366, -2.58837667], rtol=1e-7)
    a, b = tf.constant([1.0, 2.0]), tf.constant(3.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([a, b])
        y = tf.math.nextafter(a, b)
    assert tape.gradient(y, a).numpy().tolist() == [1.0, 1.0]
    assert tape.gradient(y, b).numpy() == 0.0


def test_traced_equals_eager(tf):
    x = tf.constant([0.3, -0.7, 0.95])

    def fns(v):
        return (tf.math.erfinv(v), tf.math.ndtri(tf.abs(v)), tf.math.bessel_i1(v),
                tf.math.nextafter(v, 0.0))  # fmt: skip

    for a, b in zip(tf.function(fns)(x), fns(x)):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_float16_bessel_and_dtype_errors(tf, errors):
    got = tf.math.bessel_i0e(tf.constant([1.0, 30.0], tf.float16))
    assert got.dtype == tf.float16
    np.testing.assert_allclose(got.numpy(), [0.4658, 0.07315], rtol=1e-3)
    with pytest.raises(errors.NotFoundError):
        tf.math.erfinv(tf.constant([0.5], tf.float16))
    with pytest.raises(errors.NotFoundError):
        tf.math.bessel_i1(tf.constant([0.5], tf.bfloat16))
    for bad in (
        lambda: tf.math.erfinv(tf.constant([1])),
        lambda: tf.math.bessel_i0(tf.constant([1])),
        lambda: tf.math.nextafter(tf.constant([1]), tf.constant([2])),
        lambda: tf.math.nextafter(tf.constant([1.0], tf.float16), tf.constant([2.0], tf.float16)),
        lambda: tf.math.nextafter(tf.constant([1.0]), tf.constant([2.0], tf.float64)),
        lambda: tf.math.nextafter(tf.constant([1.0, 2.0]), tf.constant([2.0, 1.0, 3.0])),
    ):
        with pytest.raises(errors.InvalidArgumentError):
            bad()


def test_bitcast_shapes_values_and_errors(tf, errors):
    got = tf.bitcast(tf.constant([1.0, -2.0]), tf.uint8)
    assert got.shape == (2, 4) and got.numpy().tolist() == [[0, 0, 128, 63], [0, 0, 0, 192]]
    assert tf.bitcast(tf.constant([[0, 0, 128, 63]], tf.uint8), tf.float32).numpy().tolist() == [1]
    assert tf.bitcast([1.0, 2.0], tf.int32).numpy().tolist() == [1065353216, 1073741824]
    assert tf.bitcast(tf.constant([1 + 2j], tf.complex64), tf.float32).numpy().tolist() == [[1, 2]]
    assert tf.bitcast(tf.constant([1.0], tf.float64), tf.complex64).numpy().tolist() == [1.875j]
    half = tf.bitcast(tf.constant([1.0], tf.float16), tf.bfloat16)
    assert half.dtype == tf.bfloat16 and float(half.numpy()[0]) == 0.0078125
    spec = tf.TensorSpec([None, 3], tf.float32)
    traced = tf.function(lambda x: tf.bitcast(x, tf.uint8)).get_concrete_function(spec)
    assert traced.structured_outputs.shape.as_list() == [None, 3, 4]
    x = tf.constant([1.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.cast(tf.bitcast(x, tf.int32), tf.float32)
    assert tape.gradient(y, x) is None
    with pytest.raises(errors.InvalidArgumentError, match="Cannot bitcast from 4 to 1"):
        tf.bitcast(tf.constant([[0, 0, 128]], tf.uint8), tf.float32)
    with pytest.raises(errors.InvalidArgumentError, match="Cannot bitcast from 4 to 1"):
        tf.bitcast(tf.constant(1, tf.uint8), tf.float32)
    with pytest.raises(errors.InvalidArgumentError, match="attr 'type' of bool"):
        tf.bitcast(tf.constant([1.0]), tf.bool)
    with pytest.raises(errors.InvalidArgumentError, match="attr 'T' of string"):
        tf.bitcast(tf.constant(["a"]), tf.uint8)


def test_fingerprint_is_farmhash64_of_each_row(tf, errors):
    fp = tf.fingerprint(tf.constant(["abc", ""]))
    assert fp.dtype == tf.uint8 and fp.numpy().tolist() == [
        [105, 243, 231, 116, 160, 179, 165, 36], [79, 64, 144, 47, 59, 106, 225, 154]]  # fmt: skip
    # several strings a row: the fingerprint of their fingerprints
    assert tf.fingerprint(tf.constant([["ab", "c"]])).numpy().tolist() == [
        [65, 83, 39, 149, 164, 245, 170, 22]]  # fmt: skip
    x = tf.constant([[0, 1, 2], [3, 4, 5]])  # a numeric row: its bytes
    assert tf.fingerprint(x).numpy().tolist() == [
        [226, 97, 231, 35, 137, 217, 164, 52], [135, 205, 247, 214, 112, 21, 177, 81]]  # fmt: skip
    assert tf.fingerprint(tf.zeros([0, 3])).shape == (0, 8)
    spec = tf.TensorSpec([None, 3], tf.float32)
    g = tf.function(tf.fingerprint)
    assert g.get_concrete_function(spec).structured_outputs.shape.as_list() == [None, 8]
    assert g(tf.constant([[1.0, 2.0, 3.0]])).numpy().tolist() == [
        [187, 85, 181, 161, 20, 60, 227, 118]]  # fmt: skip
    with pytest.raises(errors.InvalidArgumentError, match="at least one dimension"):
        tf.fingerprint(tf.constant(1.0))
    with pytest.raises(errors.InvalidArgumentError, match="Unsupported fingerprint method: md5"):
        tf.fingerprint(tf.constant([1.0]), method="md5")


def test_edit_distance(tf, errors):
    hyp = tf.SparseTensor([[0, 0, 0], [1, 0, 0], [1, 0, 1]], ["a", "b", "c"], [2, 1, 2])
    truth = tf.SparseTensor(
        [[0, 1, 0], [1, 0, 0], [1, 0, 1], [1, 0, 2]], ["a", "b", "x", "c"], [2, 2, 3]
    )
    got = tf.edit_distance(hyp, truth)
    assert got.dtype == tf.float32 and got.shape == (2, 2)
    np.testing.assert_allclose(got.numpy(), [[np.inf, 1.0], [1 / 3, 0.0]])
    raw = tf.edit_distance(hyp, truth, normalize=False)
    assert raw.numpy().tolist() == [[1.0, 1.0], [1.0, 0.0]]
    h = tf.SparseTensor([[0, 0], [0, 1], [1, 0]], [1, 2, 3], [3, 3])
    t = tf.SparseTensor([[0, 0], [0, 2]], [1, 3], [2, 4])
    assert tf.function(tf.edit_distance)(h, t).numpy().tolist() == [0.5, np.inf, 0.0]
    with pytest.raises(errors.InvalidArgumentError, match="rank at least 2"):
        tf.edit_distance(h, tf.SparseTensor([[0]], [1], [1]))
    with pytest.raises(errors.InvalidArgumentError, match="matching ranks"):
        tf.edit_distance(h, tf.SparseTensor([[0, 0, 0]], [1], [1, 1, 1]))
    with pytest.raises(errors.InvalidArgumentError, match="int32 tensor but is a float tensor"):
        tf.edit_distance(h, tf.SparseTensor([[0, 0]], [1.0], [1, 1]))
    with pytest.raises(TypeError, match="Hypothesis must be a SparseTensor"):
        tf.edit_distance(tf.constant([1]), t)


def test_eig_and_eigvals(tf, errors):
    a = np.random.default_rng(18).normal(size=(3, 4, 4))
    e, v = tf.linalg.eig(a)
    assert e.dtype == tf.complex128 and v.dtype == tf.complex128 and v.shape == (3, 4, 4)
    e, v = e.numpy(), v.numpy()
    np.testing.assert_allclose(a @ v, v * e[:, None, :], atol=1e-12)  # A v = v diag(e)
    np.testing.assert_allclose(np.linalg.norm(v, axis=-2), 1.0, rtol=1e-12)
    want = np.linalg.eigvals(a)
    np.testing.assert_allclose(np.sort_complex(e), np.sort_complex(want), rtol=1e-12)
    rot = tf.linalg.eigvals(tf.constant([[0.0, -1.0], [1.0, 0.0]]))
    assert rot.dtype == tf.complex64
    assert sorted(rot.numpy().tolist(), key=lambda z: z.imag) == [-1j, 1j]
    traced = tf.function(tf.linalg.eigvals)(tf.constant(a))
    np.testing.assert_allclose(np.sort_complex(traced.numpy()), np.sort_complex(want), rtol=1e-12)


def test_keras_eig(tf):
    ops = tf.keras.ops
    e, v = ops.eig(np.array([[2.0, 1.0], [0.0, 3.0]], np.float32))
    assert e.dtype == tf.complex64
    np.testing.assert_allclose(np.sort_complex(e.numpy()), [2.0, 3.0], rtol=1e-6)
    assert ops.linalg.eig(np.eye(2)).__len__() == 2
    with pytest.raises(ValueError, match="Expected a square matrix"):
        ops.eig(np.zeros((2, 3)))
