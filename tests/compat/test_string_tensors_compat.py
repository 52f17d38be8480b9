"""tf.string tensors through the structural ops (reshape, gather, concat, stack, transpose,
where, fill, pad, tile, slicing), ``==`` / ``tf.equal``, the conversions of str / bytes / NumPy
arrays, ``Dataset.from_tensor_slices`` of strings and strings inside ``tf.function``."""

import numpy as np
import pytest

WORDS = ["a", "bb", "ccc", "é"]
B = [w.encode() for w in WORDS]


@pytest.fixture
def s(tf):
    return tf.constant(WORDS)


def _list(t):
    return t.numpy().tolist()


def test_constant_of_str_bytes_and_numpy_strings(tf):
    assert tf.constant("é").numpy() == b"\xc3\xa9"
    assert _list(tf.constant(["a", "é".encode(), b"\xff"])) == [b"a", b"\xc3\xa9", b"\xff"]
    for array in (np.array(["a", "é"]), np.array(["a", "é"], dtype=object)):
        t = tf.constant(array)
        assert t.dtype == tf.string and _list(t) == [b"a", b"\xc3\xa9"]
        assert _list(tf.convert_to_tensor(array)) == [b"a", b"\xc3\xa9"]


def test_reshape_transpose_stack_unstack(tf, s):
    grid = tf.reshape(s, [2, 2])
    assert grid.dtype == tf.string and _list(grid) == [[b"a", b"bb"], [b"ccc", B[3]]]
    assert _list(tf.transpose(grid)) == [[b"a", b"ccc"], [b"bb", B[3]]]
    assert _list(tf.stack([s, s], axis=1))[3] == [B[3], B[3]]
    assert _list(tf.unstack(grid, axis=1)[1]) == [b"bb", B[3]]
    assert _list(tf.squeeze(tf.expand_dims(s, -1))) == B


def test_gather_concat_slice_tile_reverse(tf, s):
    assert _list(tf.gather(s, [3, 0, 3])) == [B[3], b"a", B[3]]
    assert _list(tf.gather_nd(tf.reshape(s, [2, 2]), [[1, 1], [0, 1]])) == [B[3], b"bb"]
    assert _list(tf.concat([s[:1], s[2:]], 0)) == [b"a", b"ccc", B[3]]
    assert s[-1].numpy() == B[3] and _list(s[::-2]) == [B[3], b"bb"]
    assert _list(tf.tile(s[:2], [3])) == [b"a", b"bb"] * 3
    assert _list(tf.reverse(s, [0])) == B[::-1]
    assert _list(tf.split(s, 2)[1]) == [b"ccc", B[3]]


def test_gather_out_of_range(tf, s):
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"indices\[0\] = 9 is not in"):
        tf.gather(s, [9])


def test_where_fill_zeros_broadcast(tf, s):
    got = tf.where([True, False, True, False], s, tf.constant("-"))
    assert _list(got) == [b"a", b"-", b"ccc", b"-"]
    assert _list(tf.fill([2, 1], "é")) == [[b"\xc3\xa9"], [b"\xc3\xa9"]]
    assert _list(tf.zeros([3], tf.string)) == [b""] * 3
    assert _list(tf.zeros_like(s)) == [b""] * 4
    assert _list(tf.broadcast_to(tf.constant("x"), [2])) == [b"x", b"x"]
    with pytest.raises(TypeError):
        tf.ones([2], tf.string)


def test_pad_with_empty_strings_or_a_value_and_mirror(tf, s):
    assert _list(tf.pad(s, [[1, 2]])) == [b""] + B + [b"", b""]
    assert _list(tf.pad(s, [[1, 0]], constant_values="q")) == [b"q"] + B
    assert _list(tf.pad(s, [[2, 1]], mode="SYMMETRIC")) == [b"bb", b"a"] + B + [B[3]]


def test_eq_ne_and_equal_are_elementwise(tf, s):
    eq = s == "a"
    assert eq.dtype == tf.bool and _list(eq) == [True, False, False, False]
    assert _list(s != "é") == [True, True, True, False]
    assert _list(tf.equal(s, b"bb")) == [False, True, False, False]
    assert _list(tf.not_equal(s, s)) == [False] * 4
    got = tf.equal(tf.reshape(s, [4, 1]), ["a", "é"])
    assert _list(got) == [[True, False], [False, False], [False, False], [False, True]]
    with pytest.raises(TypeError):
        tf.equal(s, 1)


def test_unique_of_strings(tf):
    y, idx = tf.unique(tf.constant(["b", "a", "b", "c"]))
    assert _list(y) == [b"b", b"a", b"c"] and _list(idx) == [0, 1, 0, 2]


def test_dataset_from_tensor_slices_of_stacked_strings(tf):
    png1, png2 = b"\x89PNG\r\n\x1a\n\x00one", b"\x89PNG\r\n\x1a\n\x00two"
    ds = tf.data.Dataset.from_tensor_slices(tf.stack([png1, png2]))
    got = [x.numpy() for x in ds]
    assert got == [png1, png2]
    batched = [_list(b) for b in tf.data.Dataset.from_tensor_slices(["x", "y", "z"]).batch(2)]
    assert batched == [[b"x", b"y"], [b"z"]]


@pytest.mark.parametrize("dims", [[4], [None]], ids=["static", "unknown"])
def test_strings_in_tf_function(tf, s, dims):
    @tf.function(input_signature=[tf.TensorSpec(dims, tf.string)])
    def fn(x):
        grid = tf.transpose(tf.reshape(tf.concat([x, x], 0), [2, -1]))
        marked = tf.where(x == "bb", tf.fill(tf.shape(x), "B"), x)
        return grid[1], marked, tf.pad(x[1:], [[0, 1]]), tf.equal(x, "é")

    for _ in range(2):
        grid, marked, padded, eq = fn(s)
        assert _list(grid) == [b"bb", b"bb"]
        assert _list(marked) == [b"a", b"B", b"ccc", B[3]]
        assert _list(padded) == [b"bb", b"ccc", B[3], b""]
        assert _list(eq) == [False, False, False, True]


@pytest.mark.parametrize("traced", [False, True], ids=["eager", "traced"])
def test_string_plus_concatenates_with_broadcasting(tf, traced):
    def add(a, b):
        return a + b

    fn = tf.function(add) if traced else add
    assert fn(tf.constant("ab"), tf.constant("cd")).numpy() == b"abcd"
    assert _list(fn(tf.constant(["a", "b"]), tf.constant("x"))) == [b"ax", b"bx"]
    grid = fn(tf.constant([["a"], ["b"]]), tf.constant(["1", "2", "3"]))
    assert grid.shape == (2, 3)
    assert grid.numpy().tolist() == [[b"a1", b"a2", b"a3"], [b"b1", b"b2", b"b3"]]
    assert _list(tf.add("y", tf.constant(["a", "b"]))) == [b"ya", b"yb"]


def test_string_plus_unknown_shapes_in_tf_function(tf):
    @tf.function(
        input_signature=[tf.TensorSpec([None, 1], tf.string), tf.TensorSpec([None], tf.string)]
    )
    def fn(a, b):
        return a + b

    out = fn(tf.constant([["a"], ["b"]]), tf.constant(["1", "2"]))
    assert out.numpy().tolist() == [[b"a1", b"a2"], [b"b1", b"b2"]]


def test_string_plus_errors(tf):
    with pytest.raises(
        tf.errors.InvalidArgumentError, match="Incompatible shapes: \\[2\\] vs. \\[3\\]"
    ):
        tf.constant(["a", "b"]) + tf.constant(["1", "2", "3"])
    with pytest.raises(tf.errors.InvalidArgumentError, match="string tensor but is a int32"):
        tf.constant("a") + tf.constant(1)
