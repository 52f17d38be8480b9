"""``IndexedSlices`` and ``Variable.scatter_*`` against NumPy, eager and traced; TF's errors."""

import numpy as np
import pytest

import tensorhouse_ops as tf

RNG = np.random.default_rng(5)


def _numpy_scatter(base, idx, vals, kind):
    out = base.copy()
    if kind == "update":
        for i, v in zip(idx, vals):
            out[i] = v
        return out
    combine = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
               "max": np.maximum, "min": np.minimum}[kind]  # fmt: skip
    for i, v in zip(idx, vals):
        out[i] = combine(out[i], v)
    return out


@pytest.mark.parametrize("kind", ["add", "sub", "mul", "div", "max", "min", "update"])
@pytest.mark.parametrize("traced", [False, True])
def test_scatter_against_numpy(kind, traced):
    base = RNG.uniform(1, 2, (5, 3)).astype(np.float64)
    idx = np.array([4, 0, 4, 2], np.int32) if kind != "update" else np.array([4, 0, 2], np.int32)
    vals = RNG.uniform(1, 2, (len(idx), 3))
    v = tf.Variable(base)

    def step():
        return getattr(v, f"scatter_{kind}")(tf.IndexedSlices(vals, idx))

    (tf.function(step) if traced else step)()
    np.testing.assert_allclose(v.numpy(), _numpy_scatter(base, idx, vals, kind), rtol=1e-12)


def test_dense_form_adds_repeated_rows_and_needs_a_shape():
    s = tf.IndexedSlices(np.ones((3, 2), np.float32), [0, 2, 0], dense_shape=[4, 2])
    np.testing.assert_array_equal(tf.convert_to_tensor(s).numpy(), [[2, 2], [0, 0], [1, 1], [0, 0]])
    assert s.shape.as_list() == [4, 2] and (-s).values.numpy()[0, 0] == -1
    with pytest.raises(ValueError, match="without dense_shape"):
        tf.convert_to_tensor(tf.IndexedSlices(np.ones((1, 2)), [0]))


def test_bad_updates_change_nothing():
    v = tf.Variable(np.zeros((3, 2)))
    with pytest.raises(TypeError, match="sparse_delta"):
        v.scatter_update(np.ones((1, 2)))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"indices\[1\] = -1"):
        v.scatter_add(tf.IndexedSlices(np.ones((2, 2)), [0, -1]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="updates must have shape"):
        v.scatter_add(tf.IndexedSlices(np.ones((2, 3)), [0, 1]))
    np.testing.assert_array_equal(v.numpy(), np.zeros((3, 2)))
