"""The functional model with ``keras.ops.einsum`` (and the other variadic / renamed op nodes)
that ``make_einsum_nodes_data.py`` saves with real Keras and with tensorhouse and
``test_einsum_nodes_compat.py`` loads."""

from __future__ import annotations

import numpy as np

RNG = np.random.default_rng(23)
XA = RNG.standard_normal((2, 3, 4)).astype("float32")
XB = RNG.standard_normal((2, 4, 5)).astype("float32")
KERNEL = RNG.standard_normal((5, 2)).astype("float32")
BIAS = RNG.standard_normal(2).astype("float32")


def build(keras):
    """Two inputs, a Dense, and einsum nodes of one, two and three operands; ``diff``,
    ``meshgrid`` and ``convert_to_tensor`` nodes."""
    ops = keras.ops
    a = keras.Input((3, 4), name="a")
    b = keras.Input((4, 5), name="b")
    ab = ops.einsum("bij,bjk->bik", a, b)  # (2, 3, 5)
    h = keras.layers.Dense(2, name="dense")(ab)  # (2, 3, 2)
    three = ops.einsum("bij,bjk,bkl->bil", a, b, ops.transpose(ab, (0, 2, 1)))  # (2, 3, 3)
    one = ops.einsum("bij->bji", a)  # (2, 4, 3)
    d = ops.diff(ab, n=2, axis=-1)  # (2, 3, 3)
    gx, gy = ops.meshgrid(a[0, 0], a[0, 1], indexing="ij")  # (4, 4) each
    c = ops.convert_to_tensor(h, dtype="float32")
    outputs = [
        ops.concatenate([three, d, c], axis=-1),
        one,
        ops.expand_dims(gx * gy, 0) + ops.einsum("bij,bij->bj", a, a)[:, None, :],
    ]
    model = keras.Model([a, b], outputs, name="einsum_nodes")
    model.get_layer("dense").set_weights([KERNEL, BIAS])
    return model
