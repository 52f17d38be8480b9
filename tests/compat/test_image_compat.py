"""``tf.image``: every case of ``image_cases.py`` against the results real TF 2.21 gave
(``data/image_ops.npz``, written by ``make_image_data.py``): dtypes, shapes and values, eager
and (for the tensorhouse run) inside ``tf.function``."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
from image_cases import CASES, inputs

EXPECTED = np.load(os.path.join(os.path.dirname(__file__), "data", "image_ops.npz"))


def _results(result):
    if isinstance(result, tuple | list):
        return {f":{i}": np.asarray(r) for i, r in enumerate(result)}
    return {"": np.asarray(result)}


def _check(name, result):
    for suffix, got in _results(result).items():
        want = EXPECTED[name + suffix]
        assert got.dtype == want.dtype, (name, got.dtype, want.dtype)
        assert got.shape == want.shape, (name, got.shape, want.shape)
        if want.dtype.kind == "f":
            np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-5, err_msg=name)
        else:
            np.testing.assert_array_equal(got, want, err_msg=name)


@pytest.mark.parametrize("name", sorted(CASES))
def test_image_op(tf, name):
    x = {k: tf.constant(v) for k, v in inputs().items()}
    _check(name, CASES[name](tf, x))


@pytest.mark.parametrize("name", ["resize_bilinear_0_11x14", "resize_bicubic_1_4x5",
                                  "resize_area_0_7x4", "contrast_u8", "hue_f", "grayscale_u8",
                                  "png_round_trip", "crop_or_pad_big"])  # fmt: skip
def test_image_op_traced(tf, name):
    x = {k: tf.constant(v) for k, v in inputs().items()}
    _check(name, tf.function(lambda: CASES[name](tf, x))())


def test_decode_resize_pipeline_in_dataset_map(tf):
    rng = np.random.default_rng(3)
    images = [rng.integers(0, 256, (5 + i, 7 - i, 3), dtype=np.uint8) for i in range(3)]
    pngs = [tf.io.encode_png(image) for image in images]
    ds = tf.data.Dataset.from_tensor_slices(tf.stack(pngs))

    def load(contents):
        image = tf.io.decode_png(contents, channels=3)
        image = tf.image.convert_image_dtype(image, tf.float32)
        return tf.image.resize(image, [4, 4])

    got = [np.asarray(x) for x in ds.map(load).batch(3)][0]
    assert got.shape == (3, 4, 4, 3)
    for image, out in zip(images, got):
        want = tf.image.resize(tf.image.convert_image_dtype(image, tf.float32), [4, 4])
        np.testing.assert_allclose(out, np.asarray(want), rtol=1e-5, atol=1e-6)
