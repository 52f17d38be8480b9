"""The layers' einsum planner (``layers/_einsum.py``): NumPy's numbers eager, traced and with
unknown dims, central-difference gradients, and the transposes it saves; ``keras.ops.einsum``
and the other variadic op nodes through a ``.keras`` file."""

from __future__ import annotations

import json

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_components import keras_ops as kops
from tensorhouse_components import layers
from tensorhouse_components.layers._einsum import einsum

RNG = np.random.default_rng(5)
CASES = [
    ("abc,cde->abde", (2, 3, 4), (4, 5, 6)),  # EinsumDense's query projection
    ("abcd,aecd->acbe", (2, 3, 4, 5), (2, 6, 4, 5)),  # attention scores
    ("acbe,aecd->abcd", (2, 4, 3, 6), (2, 6, 4, 5)),  # attention's weighted sum
    ("abcd,cde->abe", (2, 3, 4, 5), (4, 5, 6)),  # the output projection
    ("ij,jk->ki", (3, 4), (4, 5)),
    ("bij,bkj->bik", (2, 3, 4), (2, 5, 4)),
    ("abc,abd->cd", (2, 3, 4), (2, 3, 5)),
    ("ab,c->abc", (2, 3), (4,)),
    ("abc,bd->adc", (2, 3, 4), (3, 5)),
    ("xyz,zyw->wx", (2, 3, 4), (4, 3, 5)),
    ("abcd,acd->ab", (2, 3, 4, 5), (2, 4, 5)),
]


@pytest.mark.parametrize("eq,sa,sb", CASES)
def test_numbers_eager_traced_unknown_dims(eq, sa, sb):
    a = RNG.standard_normal(sa).astype("float32")
    b = RNG.standard_normal(sb).astype("float32")
    want = np.einsum(eq, a, b)
    np.testing.assert_allclose(einsum(eq, tf.constant(a), tf.constant(b)).numpy(), want, 1e-5, 1e-5)
    traced = tf.function(lambda x, y: einsum(eq, x, y))
    np.testing.assert_allclose(traced(tf.constant(a), tf.constant(b)).numpy(), want, 1e-5, 1e-5)
    sig = [tf.TensorSpec([None] * len(sa)), tf.TensorSpec([None, *sb[1:]])]
    unknown = tf.function(lambda x, y: einsum(eq, x, y), input_signature=sig)
    np.testing.assert_allclose(unknown(tf.constant(a), tf.constant(b)).numpy(), want, 1e-5, 1e-5)


@pytest.mark.parametrize("eq,sa,sb", [CASES[1], CASES[2], CASES[4], CASES[9]])
def test_gradients_against_central_differences(eq, sa, sb):
    a = RNG.standard_normal(sa)
    b = RNG.standard_normal(sb)
    w = RNG.standard_normal(np.einsum(eq, a, b).shape)
    ta, tb = tf.constant(a), tf.constant(b)
    with tf.GradientTape() as tape:
        tape.watch([ta, tb])
        loss = tf.reduce_sum(einsum(eq, ta, tb) * w)
    ga, gb = (g.numpy() for g in tape.gradient(loss, [ta, tb]))
    eps = 1e-6
    for x, g, first in ((a, ga, True), (b, gb, False)):
        for idx in [tuple(RNG.integers(0, d) for d in x.shape) for _ in range(3)]:
            up, down = x.copy(), x.copy()
            up[idx] += eps
            down[idx] -= eps
            f_up = np.sum(np.einsum(eq, *((up, b) if first else (a, up))) * w)
            f_down = np.sum(np.einsum(eq, *((down, b) if first else (a, down))) * w)
            assert abs(g[idx] - (f_up - f_down) / (2 * eps)) < 1e-5


def _op_types(fn, *args):
    return [o.type for o in tf.function(fn).get_concrete_function(*args).graph.get_operations()]


def test_transposes_only_where_no_layout_fits():
    x, w = tf.zeros([2, 3, 8]), tf.zeros([8, 4, 2])
    types = _op_types(lambda a, b: einsum("abc,cde->abde", a, b), x, w)
    assert "Transpose" not in types and types.count("MatMul") == 1  # one 2-D GEMM
    q, k = tf.zeros([2, 3, 4, 5]), tf.zeros([2, 6, 4, 5])
    types = _op_types(lambda a, b: einsum("abcd,aecd->acbe", a, b), q, k)
    assert types.count("Transpose") == 2  # q and k to head-major; k read transposed
    s, v = tf.zeros([2, 4, 3, 6]), tf.zeros([2, 6, 4, 5])
    types = _op_types(lambda a, b: einsum("acbe,aecd->abcd", a, b), s, v)
    assert types.count("Transpose") == 2  # v in, the product out; the scores as they are


def test_other_operand_counts_go_to_the_ops_layer():
    a = RNG.standard_normal((2, 3)).astype("float32")
    np.testing.assert_allclose(einsum("ij->ji", tf.constant(a)).numpy(), a.T)
    np.testing.assert_allclose(einsum("ii->i", tf.constant(a[:, :2])).numpy(), np.diag(a[:, :2]))


def _saved_and_rebuilt(t):
    """The op that made ``t``: its saved dict, and the op rebuilt from it, called on the
    same arguments (the output KerasTensor)."""
    op = t.node.layer
    saved = layers.serialize_operation(op)
    again = layers.deserialize_operation(json.loads(json.dumps(saved)))
    args, kwargs = t.node.arguments
    return saved, again, again.symbolic_call(*args, **kwargs)


@pytest.mark.parametrize(
    "make,subscripts,n_args",
    [
        (lambda a, b: kops.einsum("bij,bjk->bik", a, b), "bij,bjk->bik", 2),
        (lambda a, b: kops.einsum("bij,bjk,kl->bil", a, b, kops.ones((5, 2))), None, 3),
        (lambda a, b: kops.einsum("bij->bji", a), "bij->bji", 1),
    ],
)
def test_einsum_nodes_save_as_keras_einsum(make, subscripts, n_args):
    a, b = layers.Input((3, 4)), layers.Input((4, 5))
    t = make(a, b)
    saved, again, rebuilt = _saved_and_rebuilt(t)
    assert (saved["module"], saved["class_name"]) == ("keras.src.ops.numpy", "Einsum")
    assert set(saved["config"]) == {"name", "subscripts"}
    assert subscripts in (None, saved["config"]["subscripts"])
    assert len(t.node.arguments[0]) == n_args and t.node.arguments[1] == {}
    assert rebuilt.shape == t.shape
    xa = RNG.standard_normal((2, 3, 4)).astype("float32")
    xb = RNG.standard_normal((2, 4, 5)).astype("float32")
    given = [v for v, k in ((xa, a), (xb, b)) if any(k is x for x in t.node.arguments[0])]
    operands = [
        (xa if x is a else xb) if isinstance(x, layers.KerasTensor) else np.ones((5, 2))
        for x in t.node.arguments[0]
    ]
    want = np.einsum(saved["config"]["subscripts"], *operands)
    got = again([tf.constant(v) for v in given])
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-5)


def test_meshgrid_diff_and_convert_nodes():
    x = layers.Input((4,))
    gx, _ = kops.meshgrid(x[0], x[1], indexing="ij")
    saved, _, rebuilt = _saved_and_rebuilt(gx)
    assert saved["class_name"] == "Meshgrid" and saved["config"]["indexing"] == "ij"
    assert len(gx.node.arguments[0]) == 2
    d = kops.diff(x, n=2)
    saved, again, _ = _saved_and_rebuilt(d)
    assert saved["class_name"] == "Diff" and saved["config"] == {"name": d.node.layer.name,
        "n": 2, "axis": -1}  # fmt: skip
    v = np.array([[1.0, 4.0, 9.0, 16.0]], "float32")
    np.testing.assert_allclose(np.asarray(again(tf.constant(v))), [[2.0, 2.0]])
    c = kops.convert_to_tensor(x, dtype="float32")
    saved, _, _ = _saved_and_rebuilt(c)
    assert (saved["module"], saved["class_name"]) == ("keras.src.ops.core", "ConvertToTensor")


def test_mismatched_sizes_raise_the_ops_layers_error():
    with pytest.raises(tf.errors.InvalidArgumentError, match="index 'b' has sizes 3 and 4"):
        einsum("ab,bc->ac", tf.zeros([2, 3]), tf.zeros([4, 5]))


def test_linspace_node_saves_its_config():
    x = layers.Input((4,))
    t = kops.linspace(x[:, 0], x[:, 1], num=3)
    saved, again, _ = _saved_and_rebuilt(t)
    assert saved["class_name"] == "Linspace"
    assert {k: v for k, v in saved["config"].items() if k != "name"} == {
        "num": 3, "endpoint": True, "retstep": False, "dtype": None, "axis": 0,
    }  # fmt: skip
    start, stop = np.array([0.0, 2.0], "float32"), np.array([1.0, 4.0], "float32")
    got = np.asarray(again([tf.constant(start), tf.constant(stop)]))
    np.testing.assert_allclose(got, np.linspace(start, stop, 3), rtol=1e-6)
