"""RandomUniform / RandomStandardNormal: Philox known answers, distribution, determinism."""

from __future__ import annotations

import numpy as np
import pytest

import tensorhouse_kernels as tk
from tensorhouse_kernels import _cpu

N = 100_000


def sample(cpu, op, dtype="float32", shape=(N,), seed=1234, seed2=5678):
    attrs = {"shape": shape, "dtype": dtype, "seed": seed, "seed2": seed2}
    (out,), used = tk.execute(op, [], attrs, cpu)
    assert used is cpu
    return out


# Random123's known-answer vectors for philox4x32-10 (counter words, key words -> output).
# philox_block(seed, seed2, block) uses counter = (block lo, block hi, seed2 lo, seed2 hi)
# and key = (seed lo, seed hi).
@pytest.mark.parametrize(
    "seed, seed2, block, expected",
    [
        (0, 0, 0, (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
        (2**64 - 1, 2**64 - 1, 2**64 - 1, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
        (
            0x299F31D0_A4093822,
            0x03707344_13198A2E,
            0x85A308D3_243F6A88,
            (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1),
        ),
    ],
)
def test_philox_known_answers(seed, seed2, block, expected):
    assert _cpu.philox_block(seed, seed2, block) == expected


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_uniform_range_and_moments(dtype, cpu):
    u = sample(cpu, "RandomUniform", dtype)
    assert u.dtype == np.dtype(dtype) and u.shape == (N,)
    assert u.min() >= 0.0
    assert u.max() < 1.0
    # the standard error of the mean is 0.29 / sqrt(1e5) ~ 0.0009
    assert abs(u.mean() - 0.5) < 0.005
    assert abs(u.var() - 1 / 12) < 0.002
    # each tenth of [0, 1) gets its share (10000 +- ~95 expected)
    counts = np.histogram(u, bins=10, range=(0, 1))[0]
    assert counts.min() > 9500 and counts.max() < 10500
    assert len(np.unique(u)) > 0.99 * N


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_normal_moments(dtype, cpu):
    z = sample(cpu, "RandomStandardNormal", dtype)
    assert z.dtype == np.dtype(dtype) and z.shape == (N,)
    assert np.isfinite(z).all()
    assert abs(z.mean()) < 0.015
    assert abs(z.std() - 1.0) < 0.015
    assert abs(np.mean(np.abs(z) < 1.0) - 0.6827) < 0.01
    assert abs(np.mean(np.abs(z) < 2.0) - 0.9545) < 0.005
    assert abs(np.mean(z**3)) < 0.05  # symmetric
    assert abs(np.mean(z**4) - 3.0) < 0.1  # Gaussian kurtosis


@pytest.mark.parametrize("op", ["RandomUniform", "RandomStandardNormal"])
def test_same_seeds_same_numbers(op, cpu):
    a = sample(cpu, op, seed=7, seed2=11)
    b = sample(cpu, op, seed=7, seed2=11)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("op", ["RandomUniform", "RandomStandardNormal"])
def test_different_seeds_differ(op, cpu):
    base = sample(cpu, op, seed=7, seed2=11)
    for other in (sample(cpu, op, seed=7, seed2=12), sample(cpu, op, seed=8, seed2=11)):
        assert np.mean(base == other) < 0.001
        # and they are not shifted copies of each other
        assert abs(np.corrcoef(base, other)[0, 1]) < 0.02


def test_prefix_property(cpu):
    # Element i depends only on (seed, seed2, i): a shorter draw is a prefix of a longer one,
    # and the shape does not matter.
    long = sample(cpu, "RandomUniform", shape=(1000,))
    short = sample(cpu, "RandomUniform", shape=(37,))
    square = sample(cpu, "RandomUniform", shape=(10, 100))
    np.testing.assert_array_equal(short, long[:37])
    np.testing.assert_array_equal(square.ravel(), long)


@pytest.mark.parametrize("op", ["RandomUniform", "RandomStandardNormal"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_thread_count_does_not_change_numbers(op, dtype, cpu, kernel_threads):
    kernel_threads(1)
    one = sample(cpu, op, dtype, seed=3, seed2=4)
    for n in (2, 7):
        kernel_threads(n)
        np.testing.assert_array_equal(sample(cpu, op, dtype, seed=3, seed2=4), one)


def test_uniform_float32_first_values_from_philox_words(cpu):
    # Hand-derived: element i of a float32 draw is the top 23 bits of word i of block 0.
    words = _cpu.philox_block(1, 2, 0)
    expected = [((w >> 9) / 2.0**23) for w in words]
    u = sample(cpu, "RandomUniform", shape=(4,), seed=1, seed2=2)
    np.testing.assert_array_equal(u, np.array(expected, dtype=np.float32))


# ---- RandomUniformInt, TruncatedNormal and the stateless ops ----------------------------------


def test_truncated_normal_stays_within_two_stddevs(cpu):
    x = sample(cpu, "TruncatedNormal", "float64")
    assert np.abs(x).max() < 2
    # the standard normal truncated to [-2, 2] has variance 0.7737
    assert abs(x.mean()) < 0.01 and abs(x.var() - 0.7737) < 0.01


def test_random_uniform_int_covers_the_range(cpu):
    attrs = {"shape": (N,), "dtype": "int32", "seed": 1, "seed2": 2, "minval": -3, "maxval": 4}
    (x,), _ = tk.execute("RandomUniformInt", [], attrs, cpu)
    assert x.dtype == np.int32 and x.min() == -3 and x.max() == 3
    counts = np.bincount(x + 3)
    assert counts.min() > N / 7 * 0.95


def test_random_uniform_int_needs_minval_below_maxval(cpu):
    attrs = {"shape": (3,), "dtype": "int64", "seed": 1, "seed2": 2, "minval": 5, "maxval": 5}
    with pytest.raises(
        tk.runtime.errors.InvalidArgumentError, match="Need minval < maxval: 5 >= 5"
    ):
        tk.execute("RandomUniformInt", [], attrs, cpu)


@pytest.mark.parametrize(
    "op", ["StatelessRandomUniformV2", "StatelessRandomNormalV2", "StatelessTruncatedNormalV2"]
)
def test_stateless_same_seed_same_numbers_at_any_thread_count(op, cpu, kernel_threads):
    attrs = {"shape": (N,), "dtype": "float32"}
    runs = []
    for n in (1, 2, 7):
        kernel_threads(n)
        (x,), _ = tk.execute(op, [np.array([7, 11], np.int64)], attrs, cpu)
        runs.append(x)
    for x in runs[1:]:
        np.testing.assert_array_equal(x, runs[0])
    (same,), _ = tk.execute(op, [np.array([7, 11], np.int32)], attrs, cpu)
    np.testing.assert_array_equal(same, runs[0])  # an int32 seed: the same numbers
    (other,), _ = tk.execute(op, [np.array([7, 12], np.int64)], attrs, cpu)
    assert not np.array_equal(other, runs[0])


def test_stateless_seed_sign_extends_as_64_bits(cpu):
    attrs = {"shape": (9,), "dtype": "float64"}
    (a,), _ = tk.execute("StatelessRandomUniformV2", [np.array([-1, -2], np.int32)], attrs, cpu)
    (b,), _ = tk.execute("StatelessRandomUniformV2", [np.array([-1, -2], np.int64)], attrs, cpu)
    words = _cpu.philox_block(2**64 - 1, 2**64 - 2, 0)  # block 0: two float64s
    want = [(((words[0] << 20) ^ words[1]) & (2**52 - 1)) / 2.0**52,
            (((words[2] << 20) ^ words[3]) & (2**52 - 1)) / 2.0**52]  # fmt: skip
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a[:2], want)


@pytest.mark.parametrize(
    "seed, match",
    [
        (np.array([1, 2, 3], np.int64), r"seed must have shape \[2\], not \[3\]"),
        (np.array([[1, 2]], np.int32), r"seed must have shape \[2\], not \[1,2\]"),
        (np.array([1.0, 2.0], np.float32), "int32 or int64 tensor but is a float32 tensor"),
    ],
)
def test_stateless_seed_must_be_two_ints(cpu, seed, match):
    attrs = {"shape": (3,), "dtype": "float32"}
    with pytest.raises(tk.runtime.errors.InvalidArgumentError, match=match):
        tk.execute("StatelessRandomNormalV2", [seed], attrs, cpu)


@pytest.mark.parametrize(
    "op, dtype", [("TruncatedNormal", "float32"), ("RandomUniformInt", "int64")]
)
def test_new_random_ops_do_not_depend_on_threads(op, dtype, cpu, kernel_threads):
    attrs = {"shape": (N,), "dtype": dtype, "seed": 3, "seed2": 4, "minval": -(2**40), "maxval": 9}
    runs = []
    for n in (1, 2, 7):
        kernel_threads(n)
        (x,), _ = tk.execute(op, [], attrs, cpu)
        runs.append(x)
    for x in runs[1:]:
        np.testing.assert_array_equal(x, runs[0])


def test_stateless_int_takes_its_bounds_as_scalar_inputs_of_its_dtype(cpu):
    op, attrs = "StatelessRandomUniformIntV2", {"shape": (N,), "dtype": "int64"}
    seed = np.array([3, 4], np.int64)
    bounds = [np.array(-(2**40), np.int64), np.array(5, np.int64)]
    (x,), _ = tk.execute(op, [seed, *bounds], attrs, cpu)
    want = {"shape": (N,), "dtype": "int64", "seed": 3, "seed2": 4, "minval": -(2**40),
            "maxval": 5}  # fmt: skip
    np.testing.assert_array_equal(x, tk.execute("RandomUniformInt", [], want, cpu)[0][0])
    errors = tk.runtime.errors
    with pytest.raises(errors.InvalidArgumentError, match="Need minval < maxval, got 5 >= 5"):
        tk.execute(op, [seed, bounds[1], bounds[1]], attrs, cpu)
    with pytest.raises(errors.InvalidArgumentError, match="int64 tensor but is a int32"):
        tk.execute(op, [seed, np.array(0, np.int32), bounds[1]], attrs, cpu)
    with pytest.raises(errors.InvalidArgumentError, match=r"maxval must be 0-D, got shape \[1\]"):
        tk.execute(op, [seed, bounds[0], np.array([5], np.int64)], attrs, cpu)
