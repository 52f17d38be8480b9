"""TF behaviour that running the TF guides cell by cell (tools/guides_diff.py) found missing or
different here: the repr of a multi-line value, einsum with an index repeated in one operand,
``tf.config.experimental_run_functions_eagerly``, ``tf.io.decode_raw``, ``fit``'s progress
lines for one epoch, a ``tf.Module``'s repr, the errors of a ragged constant and of a variable
update of the wrong shape, and what ``Variable.assign`` returns. Written once, run against
TF 2.21 and tensorhouse (tests/compat/conftest.py)."""

from __future__ import annotations

import numpy as np
import pytest

# ---- repr: a value of several lines starts on a line of its own ---------------------------


def test_repr_of_a_matrix_tensor_starts_its_value_on_a_new_line(tf):
    t = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    assert repr(t) == (
        "<tf.Tensor: shape=(2, 2), dtype=float32, numpy=\n"
        "array([[1., 2.],\n"
        "       [3., 4.]], dtype=float32)>"
    )


def test_repr_of_a_vector_and_a_scalar_stays_on_one_line(tf):
    assert repr(tf.constant([1, 2])) == (
        "<tf.Tensor: shape=(2,), dtype=int32, numpy=array([1, 2], dtype=int32)>"
    )
    assert repr(tf.constant(21.0)) == "<tf.Tensor: shape=(), dtype=float32, numpy=21.0>"


def test_repr_of_a_matrix_variable_starts_its_value_on_a_new_line(tf):
    v = tf.Variable([[1, 2], [3, 4]], name="m")
    assert repr(v) == (
        "<tf.Variable 'm:0' shape=(2, 2) dtype=int32, numpy=\n"
        "array([[1, 2],\n"
        "       [3, 4]], dtype=int32)>"
    )


# ---- einsum: an index repeated in one operand takes the diagonal ------------------------


@pytest.mark.parametrize(
    ("equation", "shapes"),
    [
        ("bxby->bxy", [(2, 3, 2, 4)]),
        ("ii->i", [(3, 3)]),
        ("ii", [(3, 3)]),
        ("ii->", [(4, 4)]),
        ("iij,jk->ik", [(2, 2, 3), (3, 4)]),
        ("bii,bi->b", [(2, 3, 3), (2, 3)]),
    ],
)
def test_einsum_with_a_repeated_index_matches_numpy(tf, equation, shapes):
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    got = tf.einsum(equation, *[tf.constant(a) for a in arrays]).numpy()
    np.testing.assert_allclose(got, np.einsum(equation, *arrays), rtol=1e-5, atol=1e-6)


def test_einsum_diagonal_of_a_batched_jacobian_by_hand(tf):
    x = np.arange(2 * 3 * 2 * 4, dtype=np.float32).reshape(2, 3, 2, 4)
    got = tf.einsum("bxby->bxy", tf.constant(x)).numpy()
    assert got.tolist() == [[list(x[b, i, b]) for i in range(3)] for b in range(2)]


def test_einsum_diagonal_gradient_and_trace(tf):
    v = tf.Variable(np.arange(9, dtype=np.float32).reshape(3, 3))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.einsum("ii->i", v) * tf.constant([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(tape.gradient(y, v).numpy(), np.diag([1.0, 2.0, 3.0]))
    f = tf.function(lambda a: tf.einsum("ii->i", a))
    np.testing.assert_array_equal(f(tf.eye(3) * 2.0).numpy(), [2.0, 2.0, 2.0])


def test_einsum_repeated_index_of_two_sizes_is_invalid(tf, errors):
    with pytest.raises(errors.InvalidArgumentError) as info:
        tf.einsum("ii->i", tf.ones([2, 3]))
    msg = "Expected dimension 2 at axis 1 of the input shaped [2,3] but got dimension 3"
    assert msg in str(info.value)


# ---- tf.config.experimental_run_functions_eagerly ----------------------------------------


def test_experimental_run_functions_eagerly_is_run_functions_eagerly(tf):
    calls = []

    @tf.function
    def f(x):
        calls.append(1)  # a Python side effect: runs on every call only when run eagerly
        return x + 1

    try:
        tf.config.experimental_run_functions_eagerly(True)
        assert tf.config.functions_run_eagerly() is True
        f(tf.constant(1))
        f(tf.constant(2))
        assert len(calls) == 2
    finally:
        tf.config.experimental_run_functions_eagerly(False)
    assert tf.config.functions_run_eagerly() is False
    f(tf.constant(3))
    f(tf.constant(4))
    assert len(calls) == 3  # one trace, then the graph


# ---- tf.io.decode_raw -------------------------------------------------------------------


def test_decode_raw_bytes_of_a_scalar_and_of_a_vector(tf):
    got = tf.io.decode_raw(tf.constant("Duck"), tf.uint8)
    assert got.dtype == tf.uint8 and got.numpy().tolist() == [68, 117, 99, 107]
    got = tf.io.decode_raw(tf.constant(["ab", "cd"]), tf.uint8)
    assert got.shape == (2, 2) and got.numpy().tolist() == [[97, 98], [99, 100]]


def test_decode_raw_wider_types_and_byte_order(tf):
    le = tf.io.decode_raw(tf.constant(["abcd"]), tf.int16).numpy().tolist()
    be = tf.io.decode_raw(tf.constant(["abcd"]), tf.int16, little_endian=False).numpy().tolist()
    assert le == [[ord("a") + 256 * ord("b"), ord("c") + 256 * ord("d")]]
    assert be == [[256 * ord("a") + ord("b"), 256 * ord("c") + ord("d")]]
    one = tf.io.decode_raw(tf.constant(np.float32(1.5).tobytes()), tf.float32)
    assert one.numpy().tolist() == [1.5]


def test_decode_raw_fixed_length_pads_and_cuts(tf):
    got = tf.io.decode_raw(tf.constant(["ab", "cdefg"]), tf.uint8, fixed_length=4)
    assert got.numpy().tolist() == [[97, 98, 0, 0], [99, 100, 101, 102]]


def test_decode_raw_errors(tf, errors):
    with pytest.raises(errors.InvalidArgumentError, match="element 1 has size 2 != 3"):
        tf.io.decode_raw(tf.constant(["ab", "cde"]), tf.uint8)
    with pytest.raises(errors.InvalidArgumentError, match="length 3 that is not a multiple of 2"):
        tf.io.decode_raw(tf.constant(["abc"]), tf.int16)
    with pytest.raises(errors.InvalidArgumentError, match="'out_type' of string"):
        tf.io.decode_raw(tf.constant(["abc"]), tf.string)


def test_decode_raw_in_a_function(tf):
    f = tf.function(lambda s: tf.io.decode_raw(s, tf.uint8))
    assert f(tf.constant(["xy", "zw"])).numpy().tolist() == [[120, 121], [122, 119]]


# ---- fit: no "Epoch 1/1" line ------------------------------------------------------------


@pytest.mark.parametrize(("epochs", "lines"), [(1, []), (2, ["Epoch 1/2", "Epoch 2/2"])])
def test_fit_prints_epoch_lines_only_for_several_epochs(tf, capsys, epochs, lines):
    model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((4, 2), np.float32)
    model.fit(x, np.ones((4, 1), np.float32), epochs=epochs, batch_size=4, verbose=1)
    out = capsys.readouterr().out
    assert [ln for ln in out.splitlines() if ln.startswith("Epoch")] == lines
    assert "1/1" in out  # the bar itself is still printed


# ---- tf.Module prints as a plain Python object -----------------------------------------


def test_module_repr_is_the_plain_object_repr(tf):
    class Dense(tf.Module):
        def __init__(self):
            super().__init__(name="dense")
            self.w = tf.Variable(1.0)

    m = Dense()
    prefix = f"<{Dense.__module__}.{Dense.__qualname__} object at 0x"
    assert repr(m).startswith(prefix) and repr(m).endswith(">")
    assert repr(m) == object.__repr__(m)


# ---- errors: a ragged Python list, a variable update of the wrong shape ------------------


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ([[0, 1, 2, 3], [4, 5], [6, 7, 8], [9]], "non-rectangular Python sequence"),
        ([[[1], [2]], [[3], [4, 5]]], "non-rectangular Python sequence"),
        ([1, [2]], "Python sequence with mixed types"),
    ],
)
def test_constant_of_a_ragged_list_is_tf_value_error(tf, value, words):
    with pytest.raises(ValueError) as info:
        tf.constant(value)
    assert str(info.value) == f"Can't convert {words} to Tensor."


def test_assign_of_another_shape_is_a_value_error_in_tf_words(tf):
    v = tf.Variable([2.0, 3.0])
    with pytest.raises(ValueError) as info:
        v.assign([1.0, 2.0, 3.0])
    assert str(info.value) == (
        "Cannot assign value to variable ' Variable:0': Shape mismatch.The variable shape "
        "(2,), and the assigned value shape (3,) are incompatible."
    )
    np.testing.assert_array_equal(v.numpy(), [2.0, 3.0])  # unchanged


@pytest.mark.parametrize(
    ("method", "op"), [("assign_add", "AssignAdd"), ("assign_sub", "AssignSub")]
)
def test_assign_add_of_another_shape_is_the_kernel_error(tf, errors, method, op):
    v = tf.Variable([[2.0, 3.0]])
    with pytest.raises(errors.InvalidArgumentError) as info:
        getattr(v, method)([[1.0, 2.0], [1.0, 1.0]])
    assert (
        "Cannot update variable with shape [1,2] using a Tensor with shape [2,2], shapes must "
        f"be equal. [Op:{op}VariableOp]"
    ) in str(info.value)


# ---- what an eager assign returns: the variable, printed as UnreadVariable -------------


def test_assign_returns_the_variable_printed_as_unread_variable(tf):
    v = tf.Variable([0.0, 0.0, 0.0])
    u = v.assign([1, 2, 3])
    assert isinstance(u, tf.Variable)
    assert u.name == "UnreadVariable" and v.name == "Variable:0"
    assert repr(u) == (
        "<tf.Variable 'UnreadVariable' shape=(3,) dtype=float32, "
        "numpy=array([1., 2., 3.], dtype=float32)>"
    )
    assert repr(v.assign_add([1, 1, 1])).startswith("<tf.Variable 'UnreadVariable' shape=(3,)")
    assert v.assign_sub([1, 1, 1], read_value=False) is None


def test_assign_result_reads_and_writes_the_variable(tf):
    v = tf.Variable([0.0, 0.0])
    u = v.assign([1.0, 2.0])
    u.assign_add([10.0, 10.0])  # writes through to v
    np.testing.assert_array_equal(v.numpy(), [11.0, 12.0])
    np.testing.assert_array_equal(u.numpy(), [11.0, 12.0])
    np.testing.assert_array_equal((u * 2).numpy(), [22.0, 24.0])
    assert u.shape == (2,) and u.dtype == tf.float32 and u.trainable


def test_gradient_through_an_assign_result_reaches_the_variable(tf):
    v = tf.Variable([0.0, 0.0, 0.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(v.assign([1.0, 2.0, 3.0]) ** 2)
    np.testing.assert_array_equal(tape.gradient(y, v).numpy(), [2.0, 4.0, 6.0])


def test_assign_inside_a_function_returns_the_new_value(tf):
    v = tf.Variable(1)
    f = tf.function(lambda: v.assign_add(1))
    assert int(f()) == 2 and int(f()) == 3 and int(v.numpy()) == 3
