"""Regressions of bugs the fuzzer found that only tensorhouse has (TF's own behaviour for the same
calls is in tests/compat/test_fuzz_regressions_compat.py)."""

import subprocess
import sys

import numpy as np
import pytest

import tensorhouse as tf

CRASHER = """
import numpy as np
import tensorhouse as tf
x = tf.constant(np.array([b"a"] * 16, dtype=object).reshape(2, 2, 4))
try:
    tf.tile(x, [2, 2**62, 0])
except tf.errors.InvalidArgumentError:
    print("InvalidArgumentError")
"""


def test_string_tile_to_an_empty_huge_shape_raises_not_crashes():
    run = subprocess.run(
        [sys.executable, "-c", CRASHER], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, f"exit {run.returncode}: {run.stderr[-500:]}"
    assert run.stdout.strip() == "InvalidArgumentError"


@pytest.mark.parametrize("shape", [[2**63 - 1, 0], [2**62, 4], [4, 2**62]])
def test_constant_with_a_shape_past_any_buffer_is_invalid_argument(shape):
    with pytest.raises(tf.errors.InvalidArgumentError, match="overflow"):
        tf.constant(0.5, tf.bfloat16, shape=shape)


def test_constant_with_an_empty_huge_shape_is_empty():
    t = tf.constant(1, tf.int8, shape=[0, 2**40])
    assert t.shape == (0, 2**40)
    assert t.numpy().size == 0


def test_constant_shape_still_fills():
    np.testing.assert_array_equal(
        tf.constant(2.5, tf.float32, shape=[2, 3]).numpy(), np.full((2, 3), 2.5)
    )


def test_load_model_of_an_archive_claiming_a_future_zip_version(tmp_path):
    # seed 12 case 7935: a flipped byte made zipfile raise NotImplementedError("zip file
    # version 23.5") out of load_model; a damaged file must be a ValueError, or still load
    model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2)])
    path = tmp_path / "m.keras"
    model.save(path)
    data = bytearray(path.read_bytes())
    for magic, at in ((b"PK\x03\x04", 4), (b"PK\x01\x02", 6)):  # local and central headers
        start = 0
        while (start := data.find(magic, start)) >= 0:
            data[start + at : start + at + 2] = (235).to_bytes(2, "little")  # "23.5"
            start += 4
    path.write_bytes(bytes(data))
    try:
        loaded = tf.keras.models.load_model(path)
    except ValueError as e:
        assert "m.keras" in str(e)
    else:
        x = np.ones((1, 3), np.float32)
        np.testing.assert_allclose(loaded(x).numpy(), model(x).numpy())
