"""String tensors through the structural ops, ``==`` / ``tf.equal`` and the conversions: the
values TF 2.21 gives, the same eagerly and inside ``tf.function`` (static and unknown dims)."""

from __future__ import annotations

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_ops import errors

WORDS = ["a", "bb", "ccc", "é"]
B = [w.encode() for w in WORDS]


def _bytes(values):
    return np.asarray(values, dtype=object).tolist()


# ---- conversions ------------------------------------------------------------------------------


def test_str_is_utf8_bytes_and_mixed_str_bytes_lists_convert():
    assert tf.constant("é").numpy() == b"\xc3\xa9"
    t = tf.constant(["a", "é".encode(), b"\xff"])
    assert t.dtype == tf.string and t.numpy().tolist() == [b"a", b"\xc3\xa9", b"\xff"]
    t = tf.constant([["x", b"\xc3\xa9"], [b"y", "z"]])
    assert t.shape == (2, 2) and t.numpy().tolist() == [[b"x", b"\xc3\xa9"], [b"y", b"z"]]
    with pytest.raises(ValueError, match="mixed types"):
        tf.constant(["a", b"\xff", 1])


@pytest.mark.parametrize(
    "array",
    [np.array(["a", "é"]), np.array(["a", "é"], dtype=object), np.array([b"a", b"\xc3\xa9"])],
    ids=["unicode", "object", "bytes"],
)
def test_numpy_string_arrays_become_bytes(array):
    for t in (tf.constant(array), tf.convert_to_tensor(array), tf.constant(array, tf.string)):
        assert t.dtype == tf.string
        assert t.numpy().dtype == object and t.numpy().tolist() == [b"a", b"\xc3\xa9"]
    assert tf.constant(np.str_("é")).numpy() == b"\xc3\xa9"


def test_a_number_is_no_string():
    with pytest.raises(TypeError, match="Cannot convert 1 to EagerTensor of dtype string"):
        tf.constant(np.array([1]), tf.string)
    with pytest.raises(TypeError, match="Cannot convert 1 to EagerTensor of dtype string"):
        tf.equal(tf.constant(WORDS), 1)


# ---- == and tf.equal --------------------------------------------------------------------------


def test_eq_and_ne_are_elementwise():
    s = tf.constant(WORDS)
    eq = s == "a"
    assert isinstance(eq, tf.Tensor) and eq.dtype == tf.bool
    assert eq.numpy().tolist() == [True, False, False, False]
    assert (s != "é").numpy().tolist() == [True, True, True, False]
    assert (s == b"bb").numpy().tolist() == [False, True, False, False]
    assert (s == ["a", "x", "ccc", "y"]).numpy().tolist() == [True, False, True, False]
    assert tf.not_equal(s, s).numpy().tolist() == [False] * 4
    got = tf.equal(tf.reshape(s, [4, 1]), tf.constant(["a", "é"]))
    assert got.numpy().tolist() == [[True, False], [False, False], [False, False], [False, True]]
    assert (s == None) is False  # noqa: E711 - TF's answer to `== None`


# ---- structural ops, eager and traced ------------------------------------------------------------


def _pipeline(x):
    """Most structural ops on a [4] string tensor; returns a tuple of tensors."""
    grid = tf.reshape(x, [2, 2])
    return (
        grid,
        tf.transpose(grid),
        tf.stack([x, tf.reverse(x, [0])], axis=1),
        tf.unstack(grid)[1],
        tf.concat([x, x[:1]], 0),
        tf.gather(x, [3, 0]),
        tf.gather_nd(grid, [[1, 0]]),
        x[1:3],
        x[-1],
        tf.squeeze(tf.expand_dims(x, 0)),
        tf.identity(x),
        tf.tile(x[:2], [2]),
        tf.where(tf.equal(x, "bb"), tf.fill(tf.shape(x), "B"), x),
        tf.broadcast_to(x[0], [3]),
        tf.pad(x, [[1, 1]]),
        tf.pad(x, [[2, 0]], mode="REFLECT"),
        tf.zeros_like(x),
        tf.split(x, [1, 3])[1],
        x == "ccc",
        tf.unique(tf.concat([x, x], 0))[0],
    )


WANT = [
    [[b"a", b"bb"], [b"ccc", B[3]]],
    [[b"a", b"ccc"], [b"bb", B[3]]],
    [[b"a", B[3]], [b"bb", b"ccc"], [b"ccc", b"bb"], [B[3], b"a"]],
    [b"ccc", B[3]],
    B + [b"a"],
    [B[3], b"a"],
    [b"ccc"],
    [b"bb", b"ccc"],
    B[3],
    B,
    B,
    [b"a", b"bb", b"a", b"bb"],
    [b"a", b"B", b"ccc", B[3]],
    [b"a"] * 3,
    [b""] + B + [b""],
    [b"ccc", b"bb"] + B,
    [b""] * 4,
    B[1:],
    [False, False, True, False],
    B,
]


def _check(outs):
    assert len(outs) == len(WANT)
    for i, (got, want) in enumerate(zip(outs, WANT)):
        assert np.asarray(got).tolist() == want, (i, got)


def test_structural_ops_eager():
    _check(_pipeline(tf.constant(WORDS)))


@pytest.mark.parametrize("dims", [[4], [None]], ids=["static", "unknown"])
def test_structural_ops_traced(dims):
    fn = tf.function(_pipeline, input_signature=[tf.TensorSpec(dims, tf.string)])
    _check(fn(tf.constant(WORDS)))
    _check(fn(tf.constant(WORDS)))  # the compiled graph, run again


def test_zeros_of_strings_and_ones_error():
    assert tf.zeros([2, 1], tf.string).numpy().tolist() == [[b""], [b""]]
    assert tf.fill([2], "é").numpy().tolist() == [b"\xc3\xa9"] * 2
    with pytest.raises(TypeError, match="Cannot convert 1 to EagerTensor of dtype string"):
        tf.ones([2], tf.string)


def test_out_of_range_gather_is_tf_error():
    with pytest.raises(errors.InvalidArgumentError, match=r"indices\[0\] = 7 is not in \[0, 4\)"):
        tf.gather(tf.constant(WORDS), [7])


def test_tensor_scatter_update_and_scatter_nd_of_strings():
    s = tf.constant(WORDS)
    got = tf.tensor_scatter_nd_update(s, [[1]], ["Z"])
    assert got.numpy().tolist() == [b"a", b"Z", b"ccc", B[3]]
    got = tf.scatter_nd([[0], [0], [2]], tf.constant(["a", "b", "c"]), [3])
    assert got.numpy().tolist() == [b"ab", b"", b"c"]


def test_variable_of_strings_reads_and_assigns():
    v = tf.Variable(["a", "b"])
    v.assign(tf.reverse(v, [0]))
    assert v.numpy().tolist() == [b"b", b"a"]
