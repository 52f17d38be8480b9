"""``Variable.assign`` of a host array of the variable's shape and dtype writes into the
variable's own buffer when nothing else holds it (no second buffer while weights load), and
keeps TF's copy-on-write semantics whenever something does."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import tensorhouse_ops as tf


def _address(variable) -> int:
    return np.asarray(variable).__array_interface__["data"][0]


def _values(shape, seed, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("make", [np.asarray, tf.constant])  # a NumPy buffer; a kernel output
def test_same_shape_and_dtype_array_is_written_in_place(make):
    v = tf.Variable(make(_values((3, 4), 0)) * 1.0)
    where = _address(v)
    new = _values((3, 4), 1)
    out = v.assign(new)
    assert _address(v) == where  # the same buffer
    np.testing.assert_array_equal(v.numpy(), new)
    np.testing.assert_array_equal(out.numpy(), new)  # the UnreadVariable reads the variable
    new[0, 0] = 99.0  # the caller's array stays the caller's
    assert v.numpy()[0, 0] != 99.0


def test_dtypes_and_scalars_in_place():
    for dtype in (np.float64, np.int32, np.int64, np.bool_, np.complex64, np.float16):
        v = tf.Variable(np.zeros((2, 3), dtype))
        where = _address(v)
        new = (np.arange(6).reshape(2, 3) % 2).astype(dtype)
        v.assign(new)
        assert _address(v) == where, dtype
        np.testing.assert_array_equal(v.numpy(), new)
    s = tf.Variable(1.5)
    s.assign(np.array(2.5, np.float32))
    assert float(s.numpy()) == 2.5


def test_a_value_read_before_keeps_its_numbers():
    """TF's copy on write: a tensor read from the variable (``value()``, ``read_value()``,
    ``numpy()``, ``convert_to_tensor``) is not changed by a later assign."""
    old = _values((4,), 2)
    for read in (
        lambda v: v.value(),
        lambda v: v.read_value(),
        lambda v: v.numpy(),
        lambda v: tf.convert_to_tensor(v),
        lambda v: tf.reshape(v, (2, 2)),
    ):
        v = tf.Variable(old)
        held = read(v)
        v.assign(np.ones(4, np.float32))
        np.testing.assert_array_equal(np.asarray(held).reshape(-1), old)
        np.testing.assert_array_equal(v.numpy(), np.ones(4, np.float32))


def test_a_variable_sharing_a_tensor_leaves_the_tensor_alone():
    t = tf.constant(_values((5,), 3))
    v = tf.Variable(t)
    w = tf.Variable(tf.zeros((5,)))
    w.assign(t)  # w's value is t itself
    v.assign(np.zeros(5, np.float32))
    w.assign(np.full(5, 2.0, np.float32))
    np.testing.assert_array_equal(t.numpy(), _values((5,), 3))
    np.testing.assert_array_equal(v.numpy(), np.zeros(5))
    np.testing.assert_array_equal(w.numpy(), np.full(5, 2.0))


def test_a_tape_keeps_the_value_it_recorded():
    v = tf.Variable(np.array([1.0, 2.0, 3.0], np.float32))
    x = tf.constant([1.0, 1.0, 1.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(v * x)
    v.assign(np.array([10.0, 20.0, 30.0], np.float32))
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [1.0, 2.0, 3.0])  # v as read
    assert float(y.numpy()) == 6.0


def test_other_values_take_the_usual_path():
    v = tf.Variable(np.zeros((2, 2), np.float32))
    v.assign(np.ones((2, 2), np.float64))  # another dtype: converted, as before
    assert v.dtype == tf.float32
    np.testing.assert_array_equal(v.numpy(), np.ones((2, 2)))
    v.assign(np.arange(8, dtype=np.float32).reshape(4, 2)[::2])  # not contiguous
    np.testing.assert_array_equal(v.numpy(), [[0, 1], [4, 5]])
    v.assign([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(v.numpy(), [[1, 2], [3, 4]])
    v.assign(v.numpy() * 2)  # a view of the buffer itself: a fresh value
    np.testing.assert_array_equal(v.numpy(), [[2, 4], [6, 8]])
    v.assign_add(np.ones((2, 2), np.float32))
    np.testing.assert_array_equal(v.numpy(), [[3, 5], [7, 9]])


def test_wrong_shape_is_still_a_value_error():
    v = tf.Variable(np.zeros((2, 3), np.float32), name="w")
    with pytest.raises(ValueError, match=r"Cannot assign value to variable ' w:0': Shape mismatch"):
        v.assign(np.zeros((3, 2), np.float32))
    np.testing.assert_array_equal(v.numpy(), np.zeros((2, 3)))


def test_traced_assign_of_an_array_is_unchanged():
    v = tf.Variable(np.zeros(3, np.float32))
    new = np.array([1.0, 2.0, 3.0], np.float32)

    @tf.function
    def f():
        v.assign(new)
        return v.read_value() * 2.0

    np.testing.assert_array_equal(f().numpy(), new * 2.0)
    v.assign(np.zeros(3, np.float32))
    np.testing.assert_array_equal(f().numpy(), new * 2.0)
    np.testing.assert_array_equal(v.numpy(), new)


def test_concurrent_readers_see_whole_values():
    """A value is written while the GIL is held: a reader on another thread sees the old
    numbers or the new ones, never a mix."""
    n = 1 << 20
    v = tf.Variable(np.zeros(n, np.float32))
    ones, errors = np.ones(n, np.float32), []
    stop = threading.Event()

    def read():
        while not stop.is_set():
            x = v.numpy()
            if x[0] != x[-1]:
                errors.append((x[0], x[-1]))

    reader = threading.Thread(target=read)
    reader.start()
    for i in range(40):
        v.assign(ones * (i % 2))
    stop.set()
    reader.join()
    assert errors == []
