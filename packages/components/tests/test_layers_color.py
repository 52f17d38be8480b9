"""The colour augmentation layers: their random draws' distributions (NumPy references), traced
== eager, ``Dataset.map``, seeds, config round trips and bad input. Exact values against Keras:
tests/compat/test_compat_color_layers.py."""

import numpy as np
import pytest

import tensorhouse_ops as tf
from tensorhouse_components import layers
from tensorhouse_components.data import Dataset
from tensorhouse_components.testing import run_layer_test

RNG = np.random.default_rng(14)
IMG = RNG.uniform(0, 255, size=(3, 5, 6, 3)).astype(np.float32)
MANY = np.broadcast_to(IMG[:1], (2000, 5, 6, 3)).copy()


def close(a, b, tol=1e-4):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def gray(x):
    return x[..., :1] * 0.2989 + x[..., 1:2] * 0.5870 + x[..., 2:3] * 0.1140


def per_image(out, fn):
    return np.array([fn(o) for o in np.asarray(out)])


def test_grayscale_probability():
    out = layers.RandomGrayscale(0.3, seed=1)(MANY)
    turned = per_image(out, lambda o: np.allclose(o, np.broadcast_to(gray(IMG[0]), o.shape), 1e-4))
    assert abs(turned.mean() - 0.3) < 0.04


def test_invert_probability_is_the_mean_of_its_draw():
    # p ~ U[0, 0.5], inverted when u < p: P = E[p] = 0.25
    out = layers.RandomInvert(0.5, seed=2)(MANY)
    inverted = per_image(out, lambda o: np.allclose(o, 255.0 - IMG[0]))
    assert abs(inverted.mean() - 0.25) < 0.04


def test_posterization_bits_uniform_over_the_half_open_range():
    x = np.full((3000, 1, 1, 1), 255.0, np.float32)
    out = np.asarray(layers.RandomPosterization((1, 4), seed=3)(x)).ravel()
    # b bits kept of 255: 256 - 2 ** (8 - b), b in {1, 2, 3} (4 excluded, as Keras's randint)
    values, counts = np.unique(out, return_counts=True)
    close(values, [128.0, 192.0, 224.0])
    assert np.all(np.abs(counts / 3000 - 1 / 3) < 0.04)


def test_hue_turns_either_way():
    # a turn of +-1/6 of a circle: pure red goes to yellow (+) or magenta (-), half each
    red = np.zeros((2000, 1, 1, 3), np.float32)
    red[..., 0] = 255.0
    out = np.asarray(layers.RandomHue((1 / 3, 1 / 3), seed=4)(red)).reshape(-1, 3)
    yellow = np.all(np.abs(out - [255, 255, 0]) < 0.1, axis=1)
    magenta = np.all(np.abs(out - [255, 0, 255]) < 0.1, axis=1)
    assert np.all(yellow | magenta)
    assert abs(yellow.mean() - 0.5) < 0.04


def test_degeneration_factor_uniform():
    out = np.asarray(layers.RandomColorDegeneration((0.2, 0.6), seed=5)(MANY))
    g = gray(IMG[0])
    f = ((out - IMG[0]) / (g - IMG[0]))[:, 0, 0, 0]
    assert f.min() >= 0.2 - 1e-3 and f.max() <= 0.6 + 1e-3
    assert abs(f.mean() - 0.4) < 0.01 and abs(f.std() - 0.4 / 12**0.5) < 0.01


def test_solarization_threshold_and_addition():
    x = np.full((4000, 1, 1, 1), 100.0, np.float32)
    # threshold t ~ U[0, 255 * 0.8): 100 inverted (to 155) when t <= 100
    out = np.asarray(layers.Solarization(threshold_factor=0.8, seed=6)(x)).ravel()
    assert set(np.round(out)) <= {100.0, 155.0}
    assert abs((out > 120).mean() - 100 / 204) < 0.03
    # addition a ~ U[0, 255 * 0.2) with no inversion threshold above 255: never
    out = np.asarray(layers.Solarization(addition_factor=0.2, seed=6)(x)).ravel()
    assert abs((255.0 - out).mean() - 100 - 25.5) < 1.0


def test_sharpness_and_saturation_draws_in_range():
    sharp = np.asarray(layers.RandomSharpness((0.0, 1.0), seed=7)(IMG))
    assert sharp.shape == IMG.shape and np.all((sharp >= 0) & (sharp <= 255))
    sat = np.asarray(layers.RandomSaturation((0.0, 0.5), seed=8)(IMG))
    mx = IMG.max(-1, keepdims=True)
    spread = mx - IMG
    f = (mx - sat)[spread > 1] / spread[spread > 1]  # c -> max - f (max - c), f = u / (1 - u)
    assert np.all((f > -1e-2) & (f < 1 + 1e-2))


ALL = [
    (layers.AutoContrast, {}),
    (layers.Equalization, {}),
    (layers.ContrastLimitedAdaptiveHistogramEqualization, {"tile_grid_size": (2, 3)}),
    (layers.Solarization, {"threshold_factor": 0.5, "seed": 1}),
    (layers.RandomColorDegeneration, {"factor": 0.5, "seed": 1}),
    (layers.RandomColorJitter, {"brightness_factor": 0.2, "contrast_factor": 0.2,
                                "saturation_factor": 0.5, "hue_factor": 0.2, "seed": 1}),
    (layers.RandomGrayscale, {"seed": 1}),
    (layers.RandomHue, {"factor": 0.5, "seed": 1}),
    (layers.RandomInvert, {"factor": 0.5, "seed": 1}),
    (layers.RandomPosterization, {"factor": (2, 6), "seed": 1}),
    (layers.RandomSaturation, {"factor": 0.5, "seed": 1}),
    (layers.RandomSharpness, {"factor": 0.5, "seed": 1}),
]  # fmt: skip


@pytest.mark.parametrize("cls, kwargs", ALL, ids=lambda v: getattr(v, "__name__", ""))
def test_seeded_traced_and_in_dataset_map(cls, kwargs):
    # equal seeds repeat the same draws, eager or traced
    eager, seeded = cls(**kwargs)(IMG), cls(**kwargs)
    close(tf.function(lambda t: seeded(t))(tf.constant(IMG)), eager, 1e-3)
    # unbatched elements through Dataset.map, and a traced batch of unknown size
    layer = cls(**kwargs)
    out = list(Dataset.from_tensor_slices(IMG).map(lambda t: layer(t)))
    assert [tuple(o.shape) for o in out] == [IMG.shape[1:]] * 3
    spec = tf.TensorSpec([None, 5, 6, 3], tf.float32)
    fn = tf.function(lambda t: layer(t), input_signature=[spec])
    assert tuple(fn(tf.constant(IMG)).shape) == IMG.shape
    again = layers.deserialize(layers.serialize(layer))
    assert again.get_config() == layer.get_config()


def test_bad_input():
    with pytest.raises(ValueError, match="rank 3"):
        layers.RandomHue(0.5)(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="value_range"):
        layers.AutoContrast(value_range=5)
    with pytest.raises(ValueError, match="factor"):
        layers.RandomSharpness(2.0)
    with pytest.raises(ValueError, match="factor"):
        layers.RandomPosterization(9)
    clahe = layers.ContrastLimitedAdaptiveHistogramEqualization()
    spec = tf.TensorSpec([None, None, None, 3], tf.float32)
    with pytest.raises(ValueError, match="static height"):
        tf.function(lambda t: clahe(t), input_signature=[spec])(tf.constant(IMG))


@pytest.mark.parametrize("cls, kwargs", ALL, ids=lambda v: getattr(v, "__name__", ""))
def test_run_layer_test(cls, kwargs):
    random = "seed" in kwargs
    extra = {"random_in_training": True, "call_kwargs": {"training": False}} if random else {}
    pixels = RNG.integers(0, 256, size=(2, 6, 8, 3)).astype(np.float32)  # exact in float16
    if cls is layers.Equalization:  # its float16 arithmetic (Keras's) moves values across bins
        extra["check_mixed_precision"] = False
    run_layer_test(cls, kwargs, input_data=pixels, expected_output_shape=(2, 6, 8, 3),
                   atol=1e-3, rtol=1e-4, **extra)  # fmt: skip
