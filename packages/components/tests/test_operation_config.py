"""``Operation`` nodes (operators and ``keras.ops`` on KerasTensors): the Keras 3 class each
one saves as, its config and call arguments, and rebuilding it from that dict."""

from __future__ import annotations

import numpy as np
import pytest

from tensorhouse_components import keras_ops as ops
from tensorhouse_components import layers
from tensorhouse_components.layers._input import apply_operation
from tensorhouse_components.ops import function, nest

X = np.arange(12, dtype="float32").reshape(3, 4) / 4.0 - 1.0


def node(t):
    return t.node.layer


def saved(t):
    """``(module, class_name, config without name, args, kwargs)`` of the op that made ``t``."""
    op = node(t)
    out = layers.serialize_operation(op)
    config = dict(out["config"])
    assert config.pop("name") == op.name
    assert out["registered_name"] == out["class_name"]
    args, kwargs = t.node.arguments
    return out["module"], out["class_name"], config, args, kwargs


def test_operators_save_as_keras_numpy_classes():
    x = layers.Input((4,))
    y = layers.Input((4,))
    cases = {
        "Add": x + 1.0, "Subtract": 2 - x, "Multiply": x * y, "TrueDivide": x / 3.0,
        "FloorDivide": x // 2, "Mod": x % 2, "Power": x**2, "Matmul": x @ np.ones((4, 2)),
        "Negative": -x, "Absolute": abs(x), "Less": x < y, "LessEqual": x <= 1,
        "Greater": x > 0, "GreaterEqual": x >= y, "LogicalNot": ~(x > 0),
        "LogicalAnd": (x > 0) & (y > 0), "LogicalOr": (x > 0) | (y > 0),
        "LogicalXor": (x > 0) ^ (y > 0),
    }  # fmt: skip
    for class_name, t in cases.items():
        module, cls, config, args, kwargs = saved(t)
        assert (module, cls, config, kwargs) == ("keras.src.ops.numpy", class_name, {}, {})
        assert len(args) == (1 if class_name in ("Negative", "Absolute", "LogicalNot") else 2)
        assert [a for a in args if isinstance(a, layers.KerasTensor)] == t.node.input_tensors
    _, _, _, args, _ = saved(2 - x)
    assert args[0] == 2 and args[1] is x  # the reflected operand keeps its place


def test_op_names_are_keras_snake_case():
    x = layers.Input((4,))
    assert node(x / 2.0).name.startswith("true_divide")
    assert node(x[:, 0]).name.startswith("get_item")
    assert node(ops.expand_dims(x, 1)).name.startswith("expand_dims")


def test_get_item_keys_kept_as_given():
    x = layers.Input((4, 5))
    key = (Ellipsis, None, slice(1, 3), 0)
    _, cls, config, args, _ = saved(x[Ellipsis, None, 1:3, 0])
    assert cls == "GetItem" and config == {}
    assert args[0] is x and args[1] == key


def test_keras_ops_split_config_from_call_arguments():
    x = layers.Input((2, 3))
    y = layers.Input((2, 3))
    expect = {
        ops.sum(x, axis=-1, keepdims=True): ("Sum", {"axis": -1, "keepdims": True}, 1),
        ops.mean(x, 1): ("Mean", {"axis": 1, "keepdims": False}, 1),
        ops.max(x): ("Max", {"axis": None, "keepdims": False, "initial": None}, 1),
        ops.reshape(x, (-1, 6)): ("Reshape", {"newshape": (-1, 6)}, 1),
        ops.transpose(x, (0, 2, 1)): ("Transpose", {"axes": (0, 2, 1)}, 1),
        ops.expand_dims(x, -1): ("ExpandDims", {"axis": -1}, 1),
        ops.squeeze(ops.expand_dims(x, 1), axis=1): ("Squeeze", {"axis": 1}, 1),
        ops.matmul(x, ops.transpose(y, (0, 2, 1))): ("Matmul", {}, 2),
        ops.where(x > 0, x, y): ("Where", {}, 3),
        ops.exp(x): ("Exp", {}, 1),
        ops.log(x): ("Log", {}, 1),
        ops.sqrt(x): ("Sqrt", {}, 1),
    }
    for t, (class_name, config, n_args) in expect.items():
        module, cls, got, args, kwargs = saved(t)
        assert (module, cls, got, len(args), kwargs) == (
            "keras.src.ops.numpy", class_name, config, n_args, {}
        )  # fmt: skip
    _, cls, config, args, _ = saved(ops.concatenate([x, y], axis=-1))
    assert (cls, config) == ("Concatenate", {"axis": -1}) and args[0][0] is x and args[0][1] is y
    _, cls, config, args, _ = saved(ops.stack([x, y], axis=1))
    assert (cls, config, len(args[0])) == ("Stack", {"axis": 1}, 2)


def test_other_modules():
    x = layers.Input((3,))
    assert saved(ops.relu(x))[:3] == ("keras.src.ops.nn", "Relu", {})
    assert saved(ops.sigmoid(x))[:3] == ("keras.src.ops.nn", "Sigmoid", {})
    assert saved(ops.softmax(x))[:3] == ("keras.src.ops.nn", "Softmax", {"axis": -1})
    assert saved(ops.nn.softmax(x, axis=0))[:3] == ("keras.src.ops.nn", "Softmax", {"axis": 0})
    assert saved(ops.cast(x, "float16"))[:3] == ("keras.src.ops.core", "Cast", {"dtype": "float16"})
    assert saved(ops.logsumexp(x))[:3] == (
        "keras.src.ops.math", "Logsumexp", {"axis": None, "keepdims": False}
    )  # fmt: skip
    pad = saved(ops.pad(x, [[0, 0], [1, 1]]))
    assert pad[1:] == ("Pad", {"pad_width": [[0, 0], [1, 1]], "mode": "constant"}, (x,),
                       {"constant_values": None})  # fmt: skip


def evaluate(t, x, value):
    """``t``'s value with ``value`` fed to the input ``x``: its graph run op by op."""
    if t is x:
        return value
    return node(t)([evaluate(a, x, value) for a in inputs(t)])


def inputs(t):
    args, kwargs = t.node.arguments
    return [a for a in nest.flatten((args, kwargs)) if isinstance(a, layers.KerasTensor)]


def rebuild(t):
    """The op that made ``t``, rebuilt from its saved dict and called on ``t``'s arguments."""
    op = layers.deserialize_operation(layers.serialize_operation(node(t)))
    args, kwargs = t.node.arguments
    return op, op.symbolic_call(*args, **kwargs)


@pytest.mark.parametrize(
    "make",
    [
        lambda x: x * 2.0 - 1.0,
        lambda x: 3.0 / (abs(x) + 1.0),
        lambda x: (-x) ** 2,
        lambda x: x[:, 1:3],
        lambda x: x[..., None, 0],
        lambda x: ops.sum(x, axis=-1, keepdims=True),
        lambda x: ops.max(x, axis=0),
        lambda x: ops.transpose(ops.reshape(x, (-1, 2, 2)), (0, 2, 1)),
        lambda x: ops.squeeze(ops.expand_dims(x, 1), 1),
        lambda x: ops.softmax(x, axis=0),
        lambda x: ops.cast(x > 0, "int32"),
        lambda x: ops.concatenate([x, x * 2], axis=0),
    ],
)
def test_rebuilt_op_computes_the_same_eager_and_traced(make):
    x = layers.Input((4,))
    t = make(x)
    op, again = rebuild(t)
    assert again.shape == t.shape and again.dtype == t.dtype
    assert op.name == node(t).name and op is not node(t)
    values = [evaluate(a, x, X) for a in inputs(t)]
    eager = np.asarray(op(values))
    traced = np.asarray(function(lambda *v: op(list(v)))(*values))
    ref = np.asarray(node(t)(values))
    np.testing.assert_allclose(eager, ref, rtol=1e-6)
    np.testing.assert_allclose(traced, ref, rtol=1e-6)


def test_numbers_against_numpy():
    x = layers.Input((4,))
    cases = [
        (x * 2.0 + ops.sum(x, axis=-1, keepdims=True), X * 2 + X.sum(-1, keepdims=True)),
        (x[:, 1:3] - x[..., None, 0], X[:, 1:3] - X[..., None, 0]),
        (ops.where(x > 0, x, -x) ** 2, np.where(X > 0, X, -X) ** 2),
        (ops.mean(ops.stack([x, abs(x)], axis=1), axis=1), (X + np.abs(X)) / 2),
    ]
    for t, expected in cases:
        op, _ = rebuild(t)
        values = [evaluate(a, x, X) for a in inputs(t)]
        np.testing.assert_allclose(np.asarray(op(values)), expected, rtol=1e-6)


def test_unknown_class_and_bad_config():
    with pytest.raises(ValueError, match=r"Could not deserialize 'keras.src.ops.numpy.Bogus'"):
        layers.deserialize_operation(
            {"module": "keras.src.ops.numpy", "class_name": "Bogus", "config": {"name": "b"}}
        )
    with pytest.raises(ValueError, match="keras.src.ops.nn.Sum"):  # the module is part of it
        layers.deserialize_operation(
            {"module": "keras.src.ops.nn", "class_name": "Sum", "config": {"name": "s"}}
        )
    with pytest.raises(TypeError, match=r"unexpected keyword arguments \['code'\]"):
        layers.deserialize_operation(
            {"module": "keras.src.ops.numpy", "class_name": "Sum",
             "config": {"name": "s", "axis": 1, "code": "print(1)"}}
        )  # fmt: skip
    assert layers.is_operation_config({"module": "keras.src.ops.core", "class_name": "Cast"})
    assert not layers.is_operation_config({"module": "keras.layers", "class_name": "Add"})


def test_unsaveable_operations_raise_not_implemented():
    x = layers.Input((3,))
    custom = apply_operation(lambda a: a * 2, x)
    with pytest.raises(NotImplementedError, match="cannot be serialized"):
        node(custom).get_config()
    clipped = ops.clip(x, x, 1.0)  # a tensor in the config: Keras cannot save it either
    with pytest.raises(NotImplementedError, match="cannot be serialized"):
        node(clipped).get_config()


def test_config_settled_as_keras_settles_it():
    x = layers.Input((4,), dtype="int32")
    assert saved(ops.one_hot(x, 5))[2] == {
        "num_classes": 5, "axis": -1, "dtype": "float32", "sparse": False
    }  # fmt: skip
    assert saved(ops.cast(x, np.float16))[2] == {"dtype": "float16"}
    assert saved(ops.reshape(x, [2, 2]))[2] == {"newshape": (2, 2)}
    y = layers.Input((8, 3))
    pool = saved(ops.max_pool(y, 2, padding="SAME"))[2]
    assert pool == {"pool_size": 2, "strides": None, "padding": "same",
                    "data_format": "channels_last"}  # fmt: skip
