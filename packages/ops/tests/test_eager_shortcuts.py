"""The kernels' own shortcuts under tf.reshape / transpose / concat / matmul / reduce_*: one
placement log line per op, the full path's errors word for word, every dtype's numbers."""

import numpy as np
import pytest

import tensorhouse_ops as tf

CPU0 = "/job:localhost/replica:0/task:0/device:CPU:0"
X = (np.arange(12, dtype=np.float32).reshape(3, 4) - 5) / 3


@pytest.fixture
def log_placement():
    before = tf.debugging.get_log_device_placement()
    yield tf.debugging.set_log_device_placement
    tf.debugging.set_log_device_placement(before)


def test_every_eager_op_is_logged_once(log_placement, capsys):
    a = tf.constant(X)
    log_placement(True)
    tf.reshape(a, (12,))
    tf.transpose(a)
    tf.concat([a, a], 1)
    tf.matmul(a, a, transpose_b=True)
    tf.reduce_sum(a)
    tf.reduce_mean(a, 0)
    log_placement(False)
    ops = ["Reshape", "Transpose", "ConcatV2", "MatMul", "Sum", "Mean"]
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("Executing")]
    assert lines == [f"Executing op {op} in device {CPU0}" for op in ops]


def _message(fn):
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        fn()
    return str(info.value)


@pytest.mark.parametrize(
    "bad",
    [
        lambda a: tf.reshape(a, (5, 2)),
        lambda a: tf.transpose(a, (1, 1)),
        lambda a: tf.concat([a, tf.reshape(a, (4, 3))], 0),
        lambda a: tf.concat([a, tf.cast(a, tf.float64)], 0),
        lambda a: tf.matmul(a, a),
        lambda a: tf.reduce_sum(a, 2),
    ],
)
def test_errors_are_the_full_paths(bad):
    a = tf.constant(X)
    eager = _message(lambda: bad(a))
    with tf.device("/CPU:0"):  # a device scope: the general path, no shortcut
        scoped = _message(lambda: bad(a))
    assert eager == scoped
    assert "[Op:" in eager


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64", "float16", "bool"])
def test_every_dtype_beside_numpy(dtype):
    x = (X * 3).astype(dtype)
    a = tf.constant(x)
    np.testing.assert_array_equal(tf.reshape(a, [2, -1]).numpy(), x.reshape(2, -1))
    np.testing.assert_array_equal(tf.transpose(a).numpy(), x.T)
    np.testing.assert_array_equal(tf.concat([a, a[:1]], 0).numpy(), np.concatenate([x, x[:1]]))
    if dtype != "bool":
        np.testing.assert_allclose(
            tf.matmul(a, a, transpose_a=True).numpy().astype(np.float64),
            (x.T.astype(np.float64) @ x.astype(np.float64)),
            rtol=1e-2 if dtype == "float16" else 1e-6,
        )
        want = x.sum(1, dtype=np.float64).astype(x.dtype)
        np.testing.assert_allclose(tf.reduce_sum(a, 1).numpy(), want, rtol=1e-2)


def test_shapes_change_between_calls():
    for rows in (1, 3, 2, 3):  # remembered shape rules per input shape, never another's
        x = np.arange(rows * 4, dtype=np.float32).reshape(rows, 4)
        a = tf.constant(x)
        assert tf.reshape(a, (-1,)).shape == (rows * 4,)
        assert tf.transpose(a).shape == (4, rows)
        assert tf.concat([a, a], 0).shape == (2 * rows, 4)
        np.testing.assert_array_equal(tf.reduce_sum(a, 1, keepdims=True).numpy(), x.sum(1)[:, None])
        np.testing.assert_array_equal(tf.matmul(a, a, transpose_b=True).numpy(), x @ x.T)
