"""float32 ``tf.nn.softmax`` gives TF 2.21's bits, recorded by ``make_softmax_bits_data.py`` on a
CPU with AVX-512 (TF runs oneDNN's JIT softmax there; its exp and its order of summation are
what make the last digit: ``[1, 2, 3]`` gives 0.6652409, not the correctly rounded 0.66524094).
Elsewhere (or with the kernels capped to AVX2) the rows are summed in narrower vectors, so only a
few units in the last place hold."""

from __future__ import annotations

import os

import numpy as np
import pytest

DATA = np.load(os.path.join(os.path.dirname(__file__), "data", "softmax_tf_bits.npz"))
CASES = len(DATA.files) // 2


def _avx512() -> bool:
    if os.environ.get("TENSORHOUSE_CPU_ISA", "best") != "best":  # kernels capped below it
        return False
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split() for line in f if line.startswith("flags")), [])
    except OSError:
        return False
    return {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= set(flags)


def _check(got, want):
    if _avx512():
        np.testing.assert_array_equal(got, want)
    else:
        ulps = np.abs(got.view(np.int32).astype(np.int64) - want.view(np.int32))
        assert ulps.max() <= 4, ulps.max()


@pytest.mark.parametrize("i", range(CASES))
def test_float32_softmax_gives_tfs_bits_eager_traced_and_on_axis_0(tf, i):
    x, want = DATA[f"x{i}"], DATA[f"y{i}"]
    _check(tf.nn.softmax(x).numpy(), want)
    _check(tf.function(tf.nn.softmax)(tf.constant(x)).numpy(), want)
    _check(tf.transpose(tf.nn.softmax(tf.transpose(x), axis=0)).numpy(), want)
    _check(tf.keras.layers.Softmax()(x).numpy(), want)


def test_softmax_of_one_two_three_prints_tfs_last_digit(tf):
    assert repr(tf.nn.softmax([1.0, 2.0, 3.0]).numpy()) == (
        "array([0.09003057, 0.24472848, 0.6652409 ], dtype=float32)"
    )
