"""Printed forms a TF user sees: scalar tensors and variables show their value (``numpy=21.0``),
``print(dtype)`` shows ``<dtype: 'float32'>``, and format specs reach the NumPy value."""

import pytest


def test_scalar_tensors_print_their_value(tf):
    assert repr(tf.constant(21.0)) == "<tf.Tensor: shape=(), dtype=float32, numpy=21.0>"
    # the Python value of the float32 nearest 0.1
    assert repr(tf.constant(0.1)) == (
        "<tf.Tensor: shape=(), dtype=float32, numpy=0.10000000149011612>"
    )
    assert repr(tf.constant(3)) == "<tf.Tensor: shape=(), dtype=int32, numpy=3>"
    assert repr(tf.constant(True)) == "<tf.Tensor: shape=(), dtype=bool, numpy=True>"
    assert repr(tf.constant(b"ab")) == "<tf.Tensor: shape=(), dtype=string, numpy=b'ab'>"
    assert repr(tf.constant(1.5, tf.float16)) == ("<tf.Tensor: shape=(), dtype=float16, numpy=1.5>")
    assert repr(tf.constant([1.0, 2.0])) == (
        "<tf.Tensor: shape=(2,), dtype=float32, numpy=array([1., 2.], dtype=float32)>"
    )
    assert str(tf.constant(21.0)) == "tf.Tensor(21.0, shape=(), dtype=float32)"


def test_scalar_variables_print_their_value(tf):
    v = tf.Variable(2.0, name="v")
    assert repr(v) == "<tf.Variable 'v:0' shape=() dtype=float32, numpy=2.0>"
    w = tf.Variable([1, 2], name="w")
    assert repr(w) == "<tf.Variable 'w:0' shape=(2,) dtype=int32, numpy=array([1, 2], dtype=int32)>"


def test_dtypes_print_as_tf_prints_them(tf):
    assert str(tf.float32) == "<dtype: 'float32'>"
    assert repr(tf.float32) == "tf.float32"
    assert f"{tf.int64}" == "<dtype: 'int64'>"


def test_format_specs_reach_the_value(tf):
    assert f"{tf.constant(2.5):.2f}" == "2.50"
    assert f"{tf.constant(7):03d}" == "007"
    assert f"{tf.constant([1.0, 2.0])}" == "[1. 2.]"
    with pytest.raises(TypeError):
        f"{tf.constant([1.0, 2.0]):.2f}"


def test_strings_keep_trailing_nul_bytes(tf):
    """NumPy's fixed-width string arrays drop trailing NULs; a tensor keeps every byte (a
    serialized protobuf often ends in one)."""
    import numpy as np

    # (TF's .numpy() of a scalar string is bytes, ours a 0-d object array: read both the same way)
    assert np.asarray(tf.constant(b"a\x00").numpy(), dtype=object).item() == b"a\x00"
    np.testing.assert_array_equal(
        tf.constant([[b"x\x00"], [b"\x00\x00"]]).numpy(),
        np.array([[b"x\x00"], [b"\x00\x00"]], dtype=object),
    )
    assert tf.constant(["h\x00", "é"]).numpy().tolist() == [b"h\x00", "é".encode()]


def test_scalar_numpy_is_a_numpy_scalar_or_bytes(tf):
    import numpy as np

    got = tf.constant(1.5).numpy()
    assert type(got) is np.float32 and repr(got) == "np.float32(1.5)"
    assert type(tf.constant(3).numpy()) is np.int32
    assert type(tf.constant(True).numpy()) is np.bool_
    assert type(tf.Variable(2.0).numpy()) is np.float32
    s = tf.constant(b"ab\x00").numpy()
    assert type(s) is bytes and s == b"ab\x00" and s.decode() == "ab\x00"
    assert type(tf.constant([b"a"]).numpy()) is np.ndarray  # rank >= 1: an array
    assert np.asarray(tf.constant(b"a\x00")).item() == b"a\x00"  # NumPy keeps the bytes too


def test_values_of_several_lines_start_on_their_own_line(tf):
    assert str(tf.constant([[1.0, 2.0], [3.0, 4.0]])) == (
        "tf.Tensor(\n[[1. 2.]\n [3. 4.]], shape=(2, 2), dtype=float32)"
    )
    assert str(tf.constant([1, 2])) == "tf.Tensor([1 2], shape=(2,), dtype=int32)"
