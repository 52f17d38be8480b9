"""tf.Module, variable slice assignment and scatter updates, and the composed ops."""

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_ops import errors


class Dense(tf.Module):
    def __init__(self, n_in, n_out, name=None):
        super().__init__(name=name)
        self.w = tf.Variable(tf.ones((n_in, n_out)), name="w")
        self.b = tf.Variable(tf.zeros((n_out,)), name="b", trainable=False)

    def __call__(self, x):
        return tf.matmul(x, self.w) + self.b


class MLP(tf.Module):
    def __init__(self):
        super().__init__()
        self.layers = [Dense(2, 3), Dense(3, 1, name="head")]
        self.extra = {"scale": tf.Variable(2.0, name="scale")}
        self.pair = (tf.Variable(1.0, name="p0"), 5)


def test_module_tracks_variables_and_submodules():
    m = MLP()
    assert m.name == "mlp" and m.layers[1].name == "head" and m.layers[0].name == "dense"
    names = [v.name for v in m.variables]
    # TF's order: own attributes by name (containers flattened), then each submodule
    assert names == ["scale:0", "p0:0", "b:0", "w:0", "b:0", "w:0"]
    assert len(m.trainable_variables) == 4
    assert all(v.trainable for v in m.trainable_variables)
    assert m.submodules == tuple(m.layers)
    with m.name_scope as scope:
        assert scope == "mlp/"
    with pytest.raises(ValueError, match="valid module name"):
        tf.Module(name="bad name")


def test_module_with_a_traced_call_trains():
    layer = Dense(2, 1)
    call = tf.function(layer.__call__)
    x = tf.constant([[1.0, 2.0]])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(call(x))
    grads = tape.gradient(y, layer.trainable_variables)
    assert grads[0].numpy().tolist() == [[1.0], [2.0]]


def test_variable_slice_assignment():
    v = tf.Variable(np.arange(12, dtype=np.float32).reshape(3, 4))
    ref = np.arange(12, dtype=np.float32).reshape(3, 4)
    assert v[0, 1].numpy() == 1.0
    v[0, 1].assign(100.0)
    ref[0, 1] = 100.0
    v[1:3].assign(tf.zeros((2, 4)))
    ref[1:3] = 0
    v[:, ::2].assign(-1.0)
    ref[:, ::2] = -1
    v[..., -1].assign(tf.constant([7.0, 8.0, 9.0]))
    ref[..., -1] = [7, 8, 9]
    np.testing.assert_array_equal(v.numpy(), ref)
    with pytest.raises(TypeError):
        v[0].assign(tf.constant([1, 2, 3, 4]))
    with pytest.raises(TypeError, match="item assignment"):
        tf.constant([1.0])[0] = 2.0


def test_scatter_updates():
    v = tf.Variable([[1, 2], [3, 4], [5, 6]])
    v.scatter_nd_update([[0, 1], [2, 0]], [20, 50])
    assert v.numpy().tolist() == [[1, 20], [3, 4], [50, 6]]
    v.scatter_nd_update([[1]], [[0, 0]])
    assert v.numpy().tolist() == [[1, 20], [0, 0], [50, 6]]
    v.scatter_nd_add([[0, 0]], [10])
    assert v.numpy().tolist() == [[11, 20], [0, 0], [50, 6]]
    t = tf.tensor_scatter_nd_update(tf.constant([1.0, 2.0, 3.0, 4.0]), [[1], [3]], [9.0, 8.0])
    assert t.numpy().tolist() == [1.0, 9.0, 3.0, 8.0]
    t = tf.tensor_scatter_nd_add(tf.constant([1.0, 2.0]), [[1], [1]], [1.0, 1.0])
    assert t.numpy().tolist() == [1.0, 4.0]


def test_boolean_mask():
    x = tf.constant([[1, 2], [3, 4], [5, 6]])
    assert tf.boolean_mask(x, tf.constant([True, False, True])).numpy().tolist() == [[1, 2], [5, 6]]
    assert tf.boolean_mask(x, [False, True], axis=1).numpy().tolist() == [[2], [4], [6]]
    m = tf.constant([[True, False], [False, True], [True, True]])
    assert tf.boolean_mask(x, m).numpy().tolist() == [1, 4, 5, 6]
    with pytest.raises(ValueError):
        tf.boolean_mask(x, [True, False])


def test_clipping():
    x = tf.constant([-2.0, 0.5, 3.0])
    assert tf.clip_by_value(x, -1.0, 1.0).numpy().tolist() == [-1.0, 0.5, 1.0]
    np.testing.assert_allclose(tf.clip_by_norm(tf.constant([3.0, 4.0]), 1.0).numpy(), [0.6, 0.8])
    np.testing.assert_allclose(tf.clip_by_norm(tf.constant([3.0, 4.0]), 10.0).numpy(), [3, 4])
    (a, b, none), norm = tf.clip_by_global_norm(
        [tf.constant([3.0]), tf.constant([[4.0]]), None], 2.5
    )
    assert none is None and float(norm) == 5.0
    np.testing.assert_allclose([float(a[0]), float(b[0, 0])], [1.5, 2.0])
    with pytest.raises(TypeError):
        tf.clip_by_global_norm(tf.constant([1.0]), 1.0)


def test_constructors_and_linalg():
    np.testing.assert_array_equal(tf.eye(2, 3).numpy(), np.eye(2, 3))
    assert tf.eye(2, dtype=tf.int32).dtype == tf.int32
    assert tf.eye(2, batch_shape=[4]).shape == (4, 2, 2)
    np.testing.assert_allclose(tf.linspace(0.0, 1.0, 5).numpy(), np.linspace(0, 1, 5))
    assert tf.linspace(1.0, 2.0, 3).numpy()[-1] == 2.0
    with pytest.raises(errors.InvalidArgumentError):
        tf.linspace(0.0, 1.0, 0)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 3, 4)).astype(np.float32)
    b = rng.standard_normal((4, 3, 5)).astype(np.float32)
    out = tf.tensordot(tf.constant(a), tf.constant(b), [[1, 2], [1, 0]])
    np.testing.assert_allclose(out.numpy(), np.tensordot(a, b, [[1, 2], [1, 0]]), rtol=1e-5)
    m = rng.standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(
        tf.tensordot(tf.constant(a), tf.constant(m), 1).numpy(), np.tensordot(a, m, 1), rtol=1e-5
    )
    with pytest.raises(errors.InvalidArgumentError):
        tf.tensordot(tf.constant(a), tf.constant(m), [[0], [0]])
    np.testing.assert_allclose(
        tf.linalg.matvec(tf.constant(m), tf.constant([1.0, 2.0, 3.0])).numpy(),
        m @ [1, 2, 3],
        rtol=1e-5,
    )
    x = tf.constant([[3.0, -4.0], [1.0, 0.0]])
    np.testing.assert_allclose(tf.norm(x).numpy(), np.linalg.norm(x.numpy()), rtol=1e-6)
    assert tf.linalg.norm(x, ord=1, axis=1).numpy().tolist() == [7.0, 1.0]
    assert tf.norm(x, ord=np.inf, axis=1, keepdims=True).numpy().tolist() == [[4.0], [1.0]]


def test_tensor_python_protocol_and_numpy_functions():
    t = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    assert len(t) == 2
    assert [r.numpy().tolist() for r in t] == [[1.0, 2.0], [3.0, 4.0]]
    assert np.sum(t) == 10.0 and np.mean(t) == 2.5
    np.testing.assert_array_equal(np.matmul(np.asarray(t), np.eye(2)), t.numpy())
    assert bool(tf.constant(True)) and not bool(tf.constant(0.0))
    with pytest.raises(TypeError):
        len(tf.constant(1.0))
    with pytest.raises(TypeError):
        iter(tf.constant(1.0))


@pytest.mark.parametrize(
    "eq, shapes",
    [
        ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
        ("bij,bjk->kib", [(2, 3, 4), (2, 4, 5)]),
        ("bij,jk->bk", [(2, 3, 4), (4, 5)]),
        ("ij,kj", [(3, 4), (2, 4)]),
        ("i,j->ij", [(3,), (4,)]),
        ("ij,ij->i", [(3, 4), (3, 4)]),
        ("ij->ji", [(3, 4)]),
        ("ij->", [(3, 4)]),
    ],
)
def test_einsum_matches_numpy(eq, shapes):
    rng = np.random.default_rng(0)
    ops = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    out = tf.einsum(eq, *[tf.constant(o) for o in ops])
    np.testing.assert_allclose(out.numpy(), np.einsum(eq, *ops), rtol=1e-5, atol=1e-6)


def test_einsum_errors():
    x = tf.ones((2, 2))
    with pytest.raises(errors.InvalidArgumentError, match="Expected dimension 2 at axis 1"):
        tf.einsum("ii->i", tf.ones((2, 3)))  # a repeated index needs equal sizes
    with pytest.raises(errors.UnimplementedError):
        tf.einsum("...i->i", x)
    with pytest.raises(errors.InvalidArgumentError):
        tf.einsum("ij,jk->ik", x, tf.ones((3, 2)))


def test_gradient_flows_through_a_variable_slice():
    v = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(v[0] * 3.0) + tf.reduce_sum(v[1, 1:] ** 2)
    np.testing.assert_allclose(tape.gradient(y, v).numpy(), [[3.0, 3.0], [0.0, 8.0]])
    v[0].assign([5.0, 6.0])  # still assignable
    np.testing.assert_allclose(v.numpy(), [[5.0, 6.0], [3.0, 4.0]])
