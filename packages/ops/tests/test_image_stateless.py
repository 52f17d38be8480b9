"""tf.image's stateless_random_* ops: each a function of its seed tensor, eager, traced (with an
unknown batch size) and against the deterministic op it wraps."""

import numpy as np
import pytest

import tensorhouse_ops as tf

IMG = np.random.default_rng(3).uniform(size=(6, 4, 5, 3)).astype(np.float32)


def test_batch_flips_with_an_unknown_batch_size_match_eager():
    spec = [tf.TensorSpec([None, 4, 5, 3]), tf.TensorSpec([2], tf.int64)]
    f = tf.function(tf.image.stateless_random_flip_up_down, input_signature=spec)
    for seed in ([1, 2], [3, 4]):
        want = tf.image.stateless_random_flip_up_down(IMG, seed).numpy()
        np.testing.assert_array_equal(f(IMG, tf.constant(seed, tf.int64)).numpy(), want)
        for x, y in zip(IMG, want):  # each image kept or mirrored up-down
            assert np.array_equal(x, y) or np.array_equal(x[::-1], y)


@pytest.mark.parametrize(
    "name, adjust, args",
    [
        ("brightness", "adjust_brightness", (0.3,)),
        ("contrast", "adjust_contrast", (0.2, 1.8)),
        ("saturation", "adjust_saturation", (0.2, 1.8)),
        ("hue", "adjust_hue", (0.4,)),
    ],
)
def test_colour_ops_apply_the_seeds_draw(name, adjust, args):
    seed = [7, 8]
    lo, hi = (-args[0], args[0]) if len(args) == 1 else args
    factor = tf.random.stateless_uniform([], seed, lo, hi).numpy()
    assert lo <= factor < hi
    got = getattr(tf.image, f"stateless_random_{name}")(IMG[0], *args, seed=seed).numpy()
    want = getattr(tf.image, adjust)(IMG[0], factor).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_crop_offset_is_the_seeds_draw_modulo_the_room():
    img = np.arange(6 * 7 * 2, dtype=np.float32).reshape(6, 7, 2)
    r = tf.random.stateless_uniform([3], [4, 5], 0, 2**31 - 1, dtype=tf.int32).numpy()
    i, j, k = r % [6 - 3 + 1, 7 - 2 + 1, 1]
    got = tf.image.stateless_random_crop(img, [3, 2, 2], seed=[4, 5]).numpy()
    np.testing.assert_array_equal(got, img[i : i + 3, j : j + 2, k : k + 2])
    with pytest.raises(ValueError, match="value.shape >= size"):
        tf.image.stateless_random_crop(img, [7, 2, 2], seed=[4, 5])
