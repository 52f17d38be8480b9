"""Gradients inside tf.function whose sizes are known only at run time (an input_signature of
unknown dims or rank): TF 2.21's numbers, one trace serving every size."""

import numpy as np


def _dense(tf, g):
    return tf.convert_to_tensor(g).numpy()  # TF's gather gradient is IndexedSlices


def test_gather_gradient_with_a_run_time_number_of_indices(tf):
    @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32),
                                  tf.TensorSpec([None], tf.int32)])  # fmt: skip
    def f(p, i):
        with tf.GradientTape() as tape:
            tape.watch(p)
            y = tf.reduce_sum(tf.gather(p, i) * 3.0)
        return tape.gradient(y, p)

    got = _dense(tf, f(tf.ones([3, 2]), tf.constant([2, 0, 2])))
    np.testing.assert_array_equal(got, [[3, 3], [0, 0], [6, 6]])
    got = _dense(tf, f(tf.ones([4, 2]), tf.constant([1, 3, 3, 3, 0])))
    np.testing.assert_array_equal(got, [[3, 3], [3, 3], [0, 0], [9, 9]])


def test_concat_gradient_with_run_time_sizes(tf):
    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32)] * 2)
    def f(a, b):
        with tf.GradientTape() as tape:
            tape.watch([a, b])
            y = tf.concat([a, b], axis=1)
            s = tf.reduce_sum(y * tf.cast(tf.range(tf.shape(y)[1]), tf.float32))
        return tape.gradient(s, [a, b])

    da, db = f(tf.ones([2, 1]), tf.ones([2, 3]))
    assert da.numpy().tolist() == [[0.0], [0.0]]
    assert db.numpy().tolist() == [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]
    da, db = f(tf.ones([1, 2]), tf.ones([1, 1]))
    assert da.numpy().tolist() == [[0.0, 1.0]] and db.numpy().tolist() == [[2.0]]


def test_broadcast_gradient_follows_each_run_s_shapes(tf):
    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32)] * 2)
    def f(a, b):
        with tf.GradientTape() as tape:
            tape.watch([a, b])
            y = a * b
        return tape.gradient(y, [a, b])

    da, db = f(tf.ones([2, 3]), tf.constant([[2.0], [5.0]]))
    assert da.numpy().tolist() == [[2.0] * 3, [5.0] * 3] and db.numpy().tolist() == [[3.0], [3.0]]
    da, db = f(tf.constant([[1.0, 2.0, 3.0]]), tf.ones([2, 3]))
    assert da.numpy().tolist() == [[2.0, 2.0, 2.0]]
    assert db.numpy().tolist() == [[1.0, 2.0, 3.0]] * 2
    assert f.experimental_get_tracing_count() == 1


def test_gradient_with_unknown_rank(tf):
    @tf.function(input_signature=[tf.TensorSpec(None, tf.float32)])
    def f(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(tf.reshape(x * x, [-1]) * 4.0)
        return tape.gradient(y, x)

    x = np.array([[1.0, -2.0], [0.5, 3.0]], np.float32)
    np.testing.assert_allclose(f(tf.constant(x)).numpy(), 8 * x)
    np.testing.assert_allclose(f(tf.constant([1.5, 2.0])).numpy(), [12.0, 16.0])


def test_matrix_inverse_gradient_with_unknown_dims(tf):
    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.float64)])
    def f(a):
        with tf.GradientTape() as tape:
            tape.watch(a)
            y = tf.reduce_sum(tf.linalg.inv(a))
        return tape.gradient(y, a)

    a = np.array([[2.0, 0.5], [-0.3, 1.5]])
    inv = np.linalg.inv(a)
    want = -inv.T @ np.ones((2, 2)) @ inv.T
    np.testing.assert_allclose(f(tf.constant(a)).numpy(), want, rtol=1e-12)
