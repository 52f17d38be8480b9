"""Keras 3.15's math ops (those of keras/src/ops/math.py) are public as ``keras.ops.<name>``
only: Keras exports no ``keras.ops.math`` namespace (its ``keras.ops`` holds ``image``,
``linalg``, ``nn`` and ``numpy``), so ``from keras.ops import math`` fails there as here."""

import numpy as np
import pytest

MATH = ["cdist", "erf", "erfc", "erfinv", "extract_sequences", "fft", "fft2", "ifft2",
        "in_top_k", "irfft", "istft", "logdet", "logsumexp", "rfft", "rsqrt", "segment_max",
        "segment_min", "segment_prod", "segment_sum", "stft", "top_k", "view_as_complex",
        "view_as_real"]  # fmt: skip


def test_math_ops_are_top_level_and_there_is_no_math_namespace(tf):
    missing = [n for n in MATH if not callable(getattr(tf.keras.ops, n, None))]
    assert missing == []
    assert not hasattr(tf.keras.ops, "math")
    for sub in ("image", "linalg", "nn", "numpy"):
        assert hasattr(tf.keras.ops, sub)


@pytest.mark.parametrize("name, ref", [
    ("erfc", lambda x: 1 - np.vectorize(__import__("math").erf)(x)),
    ("rsqrt", lambda x: 1 / np.sqrt(np.abs(x) + 1)),
])  # fmt: skip
def test_math_ops_numbers(tf, name, ref):
    x = np.linspace(-2, 2, 7).astype(np.float32)
    arg = np.abs(x) + 1 if name == "rsqrt" else x
    np.testing.assert_allclose(np.asarray(getattr(tf.keras.ops, name)(arg)), ref(x), rtol=1e-5)
