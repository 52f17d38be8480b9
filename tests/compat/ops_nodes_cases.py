"""The functional models with ``keras.ops`` / operator nodes that ``make_ops_nodes_data.py``
saves (with real Keras and with tensorhouse) and ``test_ops_nodes_compat.py`` loads."""

from __future__ import annotations

import numpy as np

RNG = np.random.default_rng(11)
XA = RNG.standard_normal((5, 4)).astype("float32")
XB = RNG.uniform(0.5, 2.0, (5, 4)).astype("float32")
KERNEL = RNG.standard_normal((4, 3)).astype("float32")
BIAS = RNG.standard_normal(3).astype("float32")
CONST = np.arange(1, 5, dtype="float32")


def build(keras):
    """Two inputs, a Dense, and every kind of op node a saved model must rebuild."""
    ops = keras.ops
    a = keras.Input((4,), name="a")
    b = keras.Input((4,), name="b")
    h = keras.layers.Dense(3, name="dense")(a)
    s = a * 2.0 + b - 1.5  # multiply, add, subtract
    t = 3.0 / b + (-a) ** 2  # true_divide (reflected), negative, power
    u = abs(a) @ ops.ones((4, 2))  # absolute, matmul with a tensor constant
    v = a[:, 1:3] + b[..., None, 0] - a[:, ::2]  # get_item: slices, Ellipsis, None, an int
    v = v * ops.expand_dims(b[:, -1], -1)
    w = ops.concatenate([ops.sum(s, axis=-1, keepdims=True), ops.mean(t, axis=1, keepdims=True),
                         ops.max(a, axis=-1, keepdims=True)], axis=-1)  # fmt: skip
    r = ops.transpose(ops.reshape(ops.expand_dims(w, -1), (-1, 1, 3)), (0, 2, 1))
    q = ops.squeeze(ops.matmul(r, ops.expand_dims(h[:, :1], 1)), axis=-1)
    e = ops.exp(ops.sqrt(b)) + ops.log(b) * CONST
    g = ops.relu(ops.sigmoid(a) - 0.4) + ops.softmax(b, axis=-1)
    c = ops.cast(ops.where(a > 0, a, b), "float16")
    st = ops.stack([ops.cast(c, "float32"), e], axis=1)
    outputs = [ops.concatenate([q, h, u, v], axis=-1), g, ops.mean(st, axis=1)]
    model = keras.Model([a, b], outputs, name="ops_nodes")
    model.get_layer("dense").set_weights([KERNEL, BIAS])
    return model
