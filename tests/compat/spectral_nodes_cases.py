"""The functional model with ``keras.ops`` nodes whose Keras operation classes have no
same-named function (``FFT``, ``FFT2``, ``RFFT``, ``IRFFT``, ``SVD``, ``Qr``, ``Kron``,
``IsIn``) that ``make_spectral_nodes_data.py`` saves with real Keras and with tensorhouse and
``test_spectral_nodes_compat.py`` loads."""

from __future__ import annotations

import numpy as np

RNG = np.random.default_rng(31)
XA = RNG.standard_normal((2, 3, 4)).astype("float32")
XB = np.round(RNG.standard_normal((2, 4)) * 2).astype("float32")
KERNEL = RNG.standard_normal((4, 2)).astype("float32")
BIAS = RNG.standard_normal(2).astype("float32")


def build(keras):
    """Two inputs, a Dense, and FFT / SVD / QR / Kron / IsIn nodes; SVD and QR come back as
    products (their factors' signs are the library's choice)."""
    ops = keras.ops
    a = keras.Input((3, 4), name="a")
    b = keras.Input((4,), name="b")
    h = keras.layers.Dense(2, name="dense")(a)  # (2, 3, 2)
    re, im = ops.fft((a, a * 0.5))
    re2, im2 = ops.fft2((a, h[..., :1] * a))
    rre, rim = ops.rfft(a, fft_length=6)  # (2, 3, 4)
    back = ops.irfft((rre, rim), fft_length=6)  # (2, 3, 6)
    u, s, vh = ops.svd(a, full_matrices=False)  # (2, 3, 3), (2, 3), (2, 3, 4)
    s_only = ops.svd(a, compute_uv=False)
    q, r = ops.qr(a)  # (2, 3, 3), (2, 3, 4)
    k = ops.kron(a[0], ops.expand_dims(b[1], 0))  # (3, 16)
    found = ops.isin(b, b[0], invert=True)  # (2, 4)
    outputs = [
        ops.concatenate([re, im, re2 - im2, rre + rim, back, h], axis=-1),
        ops.matmul(u * s[:, None, :], vh) + ops.matmul(q, r),
        ops.concatenate([s, s_only], axis=-1),
        k,
        ops.cast(found, "float32") + b,
    ]
    model = keras.Model([a, b], outputs, name="spectral_nodes")
    model.get_layer("dense").set_weights([KERNEL, BIAS])
    return model
