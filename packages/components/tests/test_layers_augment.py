"""The geometric, mixing and composite augmentation layers (RandomShear, RandomPerspective,
RandomElasticTransform, RandomErasing, RandomGaussianBlur, CutMix, MixUp, AugMix, RandAugment,
Pipeline, MaxNumBoundingBoxes): their draws' distributions, given transformations against NumPy
references, seeds, eager == traced, unknown batch sizes, Dataset maps, dicts and configs."""

import numpy as np
import pytest
import scipy.ndimage
import scipy.stats

import tensorhouse_ops as tf
from tensorhouse_components import layers
from tensorhouse_components.data import Dataset

RNG = np.random.default_rng(14)
IMG = RNG.uniform(0, 255, size=(4, 7, 8, 3)).astype(np.float32)
MANY = np.zeros((4000, 2, 3, 1), np.float32)  # a large batch for the draws' statistics


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b), rtol=tol, atol=tol)


def round_trip(layer):
    return layers.deserialize(layers.serialize(layer))


ALL = [
    (layers.RandomShear, {"x_factor": 0.3, "y_factor": (0.1, 0.2)}),
    (layers.RandomPerspective, {"scale": 0.5}),
    (layers.RandomElasticTransform, {"scale": 0.8}),
    (layers.RandomErasing, {"fill_value": 3.0}),
    (layers.RandomGaussianBlur, {"kernel_size": 5}),
    (layers.CutMix, {}),
    (layers.MixUp, {"alpha": 0.4}),
    (layers.AugMix, {"num_chains": 2, "chain_depth": 2}),
    (layers.RandAugment, {"num_ops": 1}),
]


@pytest.mark.parametrize("cls, kwargs", ALL)
def test_seeded_eager_equals_traced_and_config_round_trips(cls, kwargs):
    first = cls(seed=5, **kwargs)
    second = round_trip(first)
    assert second.get_config() == first.get_config()
    eager = first(IMG, training=True)
    traced = tf.function(lambda t: second(t, training=True))(tf.constant(IMG))
    if cls is not layers.AugMix:  # AugMix's chains are picked in Python, once per trace
        close(eager, traced, 1e-3)
    assert eager.dtype == tf.float32 and tuple(eager.shape) == IMG.shape
    spec = tf.TensorSpec([None, 7, 8, 3], tf.float32)
    unknown = tf.function(lambda t: first(t, training=True), input_signature=[spec])
    assert tuple(unknown(tf.constant(IMG)).shape) == IMG.shape
    assert tuple(first(IMG[0], training=True).shape) == IMG.shape[1:]


@pytest.mark.parametrize("cls, kwargs", ALL)
def test_compute_dtype_and_unbatched_dataset_map(cls, kwargs):
    for policy, dtype in (("mixed_float16", tf.float16), ("float64", tf.float64)):
        assert cls(dtype=policy, **kwargs)(IMG, training=True).dtype == dtype
    (first,) = list(Dataset.from_tensor_slices(IMG).take(1).map(cls(seed=2, **kwargs)))
    assert tuple(first.shape) == IMG.shape[1:]


@pytest.mark.parametrize("cls, kwargs", ALL[:5])
def test_channels_first_is_the_same_transform(cls, kwargs):
    last = cls(seed=9, **kwargs)
    first = cls(seed=9, data_format="channels_first", **kwargs)
    out = first(IMG.transpose(0, 3, 1, 2), training=True)
    close(np.asarray(out).transpose(0, 2, 3, 1), last(IMG, training=True), 1e-3)


def test_dataset_map_with_labels():
    labels = np.eye(4, dtype=np.float32)
    ds = Dataset.from_tensor_slices({"images": IMG, "labels": labels}).batch(4)
    for layer in (layers.MixUp(seed=1), layers.CutMix(seed=2), layers.RandomShear(0.2, seed=3)):
        (out,) = list(ds.map(layer))
        assert tuple(out["images"].shape) == IMG.shape
        close(np.asarray(out["labels"]).sum(1), np.ones(4), 1e-5)


def test_segmentation_masks_follow_the_images():
    masks = RNG.integers(0, 3, size=(4, 7, 8, 1)).astype(np.float32)
    shear = layers.RandomShear(x_factor=(0.2, 0.2), fill_mode="constant")
    t = {"shear_factor": np.array([[0.2, 0.0]] * 4, np.float32), "input_shape": IMG.shape}
    moved = np.asarray(shear.transform_segmentation_masks(masks, t))
    assert set(np.unique(moved)) <= {0.0, 1.0, 2.0}  # nearest: no blended classes
    data = {"images": IMG, "segmentation_masks": masks}
    close(layers.RandomGaussianBlur(seed=1)(data)["segmentation_masks"], masks)
    with pytest.raises(NotImplementedError, match="segmentation masks"):
        layers.AugMix()(data)
    with pytest.raises(NotImplementedError, match="bounding boxes"):
        layers.RandomShear(0.1)({"images": IMG, "bounding_boxes": {"boxes": np.zeros((4, 1, 4))}})


def test_gamma_and_beta_draws_have_their_distributions():
    layer = layers.MixUp(seed=3)
    for alpha in (0.3, 1.0, 2.5):
        g = np.exp(np.asarray(layer._log_gamma([20000], alpha)))
        assert scipy.stats.kstest(g, scipy.stats.gamma(alpha).cdf).pvalue > 1e-3
        b = np.asarray(layer._beta([20000], alpha))
        assert scipy.stats.kstest(b, scipy.stats.beta(alpha, alpha).cdf).pvalue > 1e-3
    tiny = np.asarray(layer._beta([1000], 1e-6))  # Beta(eps, eps): all mass at 0 and 1
    assert np.all(np.isfinite(tiny)) and np.mean((tiny < 1e-3) | (tiny > 1 - 1e-3)) > 0.99


def test_mix_up_weights_are_beta_and_the_order_a_permutation():
    layer = layers.MixUp(alpha=0.4, seed=2)
    t = layer.get_random_transformation(MANY)
    w = np.asarray(t["mix_weight"])
    assert scipy.stats.kstest(w, scipy.stats.beta(0.4, 0.4).cdf).pvalue > 1e-3
    assert sorted(np.asarray(t["permutation_order"])) == list(range(4000))


def test_cut_mix_box_area_matches_its_label_weight():
    layer = layers.CutMix(factor=(1.0, 1.0), seed=4)
    x = np.zeros((500, 40, 40, 1), np.float32)
    t = layer.get_random_transformation(x)
    masks = np.asarray(t["batch_masks"])[..., 0]
    area = 1.0 - np.asarray(t["mix_weight"]).reshape(-1)
    # pixel centres in a box of sides a, b: within one row and column of a * b
    assert np.all(np.abs(masks.mean((1, 2)) - area) <= 2 * np.sqrt(area) / 40 + 1 / 1600)
    # alpha = 1: the kept fraction lambda is uniform, so the area 1 - lambda is too
    assert scipy.stats.kstest(area, "uniform").pvalue > 1e-3
    assert layer.get_random_transformation(x[0]) is None  # one image: nothing to mix


def test_shear_and_perspective_draws():
    shear = layers.RandomShear(x_factor=(0.1, 0.3), y_factor=0.2, seed=1)
    s = np.asarray(shear.get_random_transformation(MANY)["shear_factor"])
    assert np.all((np.abs(s[:, 0]) >= 0.1 - 1e-6) & (np.abs(s[:, 0]) <= 0.3 + 1e-6))
    assert np.all(np.abs(s[:, 1]) <= 0.2 + 1e-6)
    assert abs(np.mean(s[:, 0] > 0) - 0.5) < 0.05  # the sign flips half the time
    flip = np.sign(s[:, 0])
    assert np.all(s[:, 1] * flip >= -0.2 - 1e-6)
    persp = layers.RandomPerspective(factor=1.0, scale=0.4, seed=2)
    t = persp.get_random_transformation(MANY)
    assert abs(np.mean(np.asarray(t["apply_perspective"])) - 0.5) < 0.05  # P(u < U) = 1/2
    start, end = np.asarray(t["start_points"]), np.asarray(t["end_points"])
    close(start[0], [[0, 0], [2, 0], [0, 1], [2, 1]])
    assert np.all(np.abs(end - start) <= 0.2 * start + 1e-6)


def np_elastic(img, noise, d, order):
    """Keras's elastic transform from its definition, with scipy's map_coordinates."""
    h, w, _ = img.shape
    alpha, sigma = max(h, w) * 0.1 * d, min(h, w) * 0.05 * d
    radius = 3 * int(sigma)
    r = np.arange(-radius, radius + 1)
    k = np.exp(-0.5 * (r / sigma) ** 2)
    k /= k.sum()
    field = noise * sigma
    for axis in (0, 1):
        field = scipy.ndimage.correlate1d(field, k, axis=axis, mode="constant")
    rows, cols = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    coords = [rows + alpha * field, cols + alpha * field]
    return np.stack(
        [
            scipy.ndimage.map_coordinates(img[..., c], coords, order=order, mode="reflect")
            for c in range(3)
        ],
        -1,
    )


@pytest.mark.parametrize("order", [1, 0])
def test_elastic_transform_given_noise_matches_numpy(order):
    x = RNG.uniform(0, 255, size=(2, 30, 34, 3)).astype(np.float32)
    interpolation = "bilinear" if order else "nearest"
    layer = layers.RandomElasticTransform(interpolation=interpolation)
    noise = RNG.normal(size=(2, 30, 34)).astype(np.float32)
    t = {"apply_transform": np.array([True, False]), "distortion_factor": np.float32(0.9),
         "noise": noise}  # fmt: skip
    out = np.asarray(layer.transform_images(x, t))
    tol = 1e-2 if order else 1e-3
    want = np_elastic(x[0], noise[0], 0.9, order)
    if order == 0:  # a coordinate within float error of a half may round either way
        assert np.mean(np.abs(out[0] - want) < tol) > 0.99
    else:
        close(out[0], want, tol)
    close(out[1], x[1])


def test_erasing_and_blur_draws():
    erase = layers.RandomErasing(factor=(1.0, 1.0), scale=(0.04, 0.25), seed=3)
    x = np.zeros((300, 20, 20, 1), np.float32)
    t = erase.get_random_transformation(x)
    frac = np.asarray(t["batch_masks"]).mean((1, 2, 3))
    assert frac.min() > 0.0 and frac.max() <= 0.35  # sides within sqrt(0.04)..sqrt(0.25)
    assert np.all(np.asarray(t["apply_erasing"]))
    blur = layers.RandomGaussianBlur(factor=0.5, sigma=(0.2, 0.4), seed=5)
    t = blur.get_random_transformation(MANY)
    sig = np.asarray(t["blur_factor"])
    assert sig.shape == (2,) and np.all((sig >= 0.2) & (sig <= 0.4 + 1e-5))
    assert 0.2 < np.mean(np.asarray(t["should_apply_blur"])) < 0.3  # P(u < U(0, .5)) = 1/4


def test_rand_augment_and_aug_mix_compose_the_named_layers():
    rand = layers.RandAugment(factor=0.2, seed=1)
    assert rand._ops[0] == "random_shear" and rand._ops[-1] == "equalization"
    assert len(rand._ops) == 11 and rand.random_posterization.get_config()["factor"] == (1, 1)
    mix = layers.AugMix(all_ops=False, seed=2)
    assert len(mix._ops) == 7 and not hasattr(mix, "random_sharpness")
    assert mix.random_rotation.factor == (0, 0.3)
    out = np.asarray(mix(IMG, training=True))
    assert 0.0 <= out.min() and out.max() <= 255.0


def test_pipeline_passes_training_and_round_trips():
    pipe = layers.Pipeline([layers.RandomShear(0.3, seed=1), layers.Rescaling(2.0)])
    close(pipe(IMG, training=False), IMG * 2.0)
    assert not np.allclose(np.asarray(pipe(IMG, training=True)), IMG * 2.0)
    again = round_trip(pipe)
    assert [type(la).__name__ for la in again.layers] == ["RandomShear", "Rescaling"]
    assert pipe.compute_output_shape((None, 7, 8, 3)) == (None, 7, 8, 3)


def test_max_num_bounding_boxes_unbatched_and_traced():
    layer = layers.MaxNumBoundingBoxes(2, bounding_box_format="xyxy")
    data = {"images": IMG[0], "bounding_boxes": {"boxes": np.ones((1, 4), np.float32),
                                                 "labels": np.array([5], np.int32)}}  # fmt: skip
    out = layer(data)
    close(out["bounding_boxes"]["boxes"], [[1, 1, 1, 1], [-1, -1, -1, -1]])
    close(out["bounding_boxes"]["labels"], [5, -1])
    spec = tf.TensorSpec([None, None, 4], tf.float32)
    fn = tf.function(
        lambda b: layer(
            {
                "images": IMG,
                "bounding_boxes": {"boxes": b, "labels": tf.zeros(tf.shape(b)[:2], tf.int32)},
            }
        ),
        input_signature=[spec],
    )
    close(fn(tf.ones((4, 3, 4)))["bounding_boxes"]["boxes"], np.ones((4, 2, 4)))
