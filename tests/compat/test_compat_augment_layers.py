"""Keras 3.15's geometric, mixing and composite augmentation layers (RandomShear,
RandomPerspective, RandomElasticTransform, RandomErasing, RandomGaussianBlur, CutMix, MixUp,
AugMix, RandAugment, Pipeline, MaxNumBoundingBoxes) against NumPy references: where the draw is
pinned (zero-width ranges, probabilities 0 and 1, a given transformation), and by invariants a
draw cannot break (a mixed label names the image mixed in); config keys and dtypes as Keras."""

import numpy as np
import pytest

RNG = np.random.default_rng(34)
IMG = RNG.uniform(0, 255, size=(2, 5, 6, 3)).astype(np.float32)
BASE = ["data_format", "dtype", "name", "trainable"]


def close(a, b, tol=1e-4):
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b), rtol=tol, atol=tol)


def np_affine(img, m, interpolation="bilinear"):
    """``img`` (h, w, c) read at ``(m0 x + m1 y + m2, m3 x + m4 y + m5)``, zeros outside."""
    h, w, _ = img.shape
    out = np.zeros_like(img, dtype=np.float64)
    for y in range(h):
        for x in range(w):
            sx, sy = m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]
            if interpolation == "nearest":
                taps = [(int(np.floor(sy + 0.5)), int(np.floor(sx + 0.5)), 1.0)]
            else:
                x0, y0 = int(np.floor(sx)), int(np.floor(sy))
                fx, fy = sx - x0, sy - y0
                taps = [(y0 + i, x0 + j, (fy if i else 1 - fy) * (fx if j else 1 - fx))
                        for i in (0, 1) for j in (0, 1)]  # fmt: skip
            for r, c, wt in taps:
                if 0 <= r < h and 0 <= c < w:
                    out[y, x] += wt * img[r, c]
    return out


def test_config_keys(tf):
    L = tf.keras.layers
    cases = [
        (L.RandomShear(), ["x_factor", "y_factor", "fill_mode", "interpolation", "seed",
                           "fill_value"]),
        (L.RandomPerspective(), ["factor", "scale", "interpolation", "fill_value", "seed"]),
        (L.RandomElasticTransform(), ["factor", "scale", "interpolation", "fill_mode",
                                      "fill_value", "value_range", "seed"]),
        (L.RandomErasing(), ["factor", "scale", "fill_value", "value_range", "seed"]),
        (L.RandomGaussianBlur(), ["factor", "kernel_size", "sigma", "value_range", "seed"]),
        (L.CutMix(), ["factor", "seed"]),
        (L.MixUp(), ["alpha", "seed"]),
        (L.AugMix(), ["value_range", "num_chains", "chain_depth", "factor", "alpha", "all_ops",
                      "interpolation", "seed"]),
        (L.RandAugment(), ["value_range", "num_ops", "factor", "interpolation", "seed"]),
        (L.MaxNumBoundingBoxes(max_number=3), ["max_number"]),
    ]  # fmt: skip
    for layer, extra in cases:
        assert sorted(layer.get_config()) == sorted(BASE + extra), type(layer).__name__
    values = {
        "shear": (L.RandomShear(0.3).get_config()["x_factor"], (-0.3, 0.3)),
        "perspective": (L.RandomPerspective(0.4).get_config()["factor"], (0, 0.4)),
        "elastic": (L.RandomElasticTransform(scale=0.5).get_config()["scale"], (0, 0.5)),
        "blur": (L.RandomGaussianBlur(kernel_size=5).get_config()["kernel_size"], (5, 5)),
        "augmix": (L.AugMix().get_config()["factor"], (0, 0.3)),
        "randaug": (L.RandAugment().get_config()["factor"], (0, 0.5)),
    }
    for name, (got, want) in values.items():
        assert tuple(got) == want, name
    pipe = L.Pipeline([L.Rescaling(0.5)], name="p").get_config()
    assert sorted(pipe) == ["layers", "name"] and pipe["layers"][0]["class_name"] == "Rescaling"


def test_bad_arguments(tf):
    L = tf.keras.layers
    with pytest.raises(ValueError, match="odd"):
        L.RandomGaussianBlur(kernel_size=4)
    with pytest.raises(ValueError, match="scale"):
        L.RandomPerspective(scale=1.5)
    with pytest.raises(ValueError):
        L.RandomShear(x_factor=1.5)
    with pytest.raises(NotImplementedError, match="fill_mode"):
        L.RandomShear(fill_mode="mirror")
    with pytest.raises(NotImplementedError, match="interpolation"):
        L.RandomPerspective(interpolation="bicubic")
    with pytest.raises(ValueError, match="fill_value"):
        L.RandomErasing(fill_value=(1.0, 2.0))(IMG)


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("RandomShear", {"x_factor": 0.3}),
        ("RandomPerspective", {}),
        ("RandomElasticTransform", {}),
        ("RandomErasing", {}),
        ("RandomGaussianBlur", {}),
        ("CutMix", {}),
        ("AugMix", {}),
        ("RandAugment", {}),
    ],
)
def test_inference_is_identity_in_float32(tf, name, kwargs):
    layer = getattr(tf.keras.layers, name)(**kwargs)
    out = layer(IMG.astype(np.uint8), training=False)
    assert out.dtype == tf.float32
    close(out, IMG.astype(np.uint8))
    assert layer(IMG, training=True).dtype == tf.float32


def test_mix_up_inference_keeps_dtype(tf):
    layer = tf.keras.layers.MixUp()
    assert layer(IMG.astype(np.uint8), training=False).dtype == tf.uint8
    assert layer(IMG.astype(np.uint8), training=True).dtype == tf.float32


def test_gaussian_blur_pinned(tf):
    # factor (1, 1): every image; sigma (s, s): the sigmas are s + 1e-6, so no draw is left
    layer = tf.keras.layers.RandomGaussianBlur(factor=(1.0, 1.0), kernel_size=(3, 5),
                                               sigma=(0.6, 0.6), value_range=(0, 200))  # fmt: skip
    out = np.asarray(layer(IMG, training=True))

    def g(n):
        r = np.arange(n) - (n - 1) / 2
        k = np.exp(-0.5 * (r / (0.6 + 1e-6)) ** 2)
        return k / k.sum()

    kernel = np.outer(g(5), g(3)).reshape(3, 5)  # Keras's layout of a non-square kernel
    pad = np.pad(IMG, [(0, 0), (1, 1), (2, 2), (0, 0)])
    want = sum(kernel[i, j] * pad[:, i : i + 5, j : j + 6] for i in range(3) for j in range(5))
    close(out, np.clip(want, 0, 200), 1e-3)
    none = tf.keras.layers.RandomGaussianBlur(factor=0.0)
    close(none(IMG, training=True), IMG)  # probability 0: unchanged (and not clipped)


def test_shear_pinned_up_to_its_sign(tf):
    img = RNG.uniform(0, 255, size=(1, 7, 7, 2)).astype(np.float32)
    layer = tf.keras.layers.RandomShear(x_factor=(0.4, 0.4), interpolation="nearest",
                                        fill_mode="constant")  # fmt: skip
    refs = [np_affine(img[0], [1, s, 0, 0, 1, 0], "nearest") for s in (0.4, -0.4)]
    for _ in range(4):
        out = np.asarray(layer(img, training=True))[0]
        assert any(np.allclose(out, r, atol=1e-4) for r in refs)
    y_only = tf.keras.layers.RandomShear(y_factor=(0.3, 0.3), fill_mode="constant")
    refs = [np_affine(img[0], [1, 0, 0, s, 1, 0]) for s in (0.3, -0.3)]
    out = np.asarray(y_only(img, training=True))[0]
    assert any(np.allclose(out, r, atol=1e-3) for r in refs)


def test_shear_given_transformation(tf):
    layer = tf.keras.layers.RandomShear(fill_mode="constant")
    shear = np.array([[0.25, -0.1], [-0.35, 0.2]], np.float32)
    out = layer.transform_images(IMG, {"shear_factor": shear, "input_shape": IMG.shape})
    for i in range(2):
        want = np_affine(IMG[i], [1, shear[i, 0], 0, shear[i, 1], 1, 0])
        close(np.asarray(out)[i], want, 1e-3)


def test_perspective_given_transformation(tf):
    layer = tf.keras.layers.RandomPerspective(interpolation="nearest")
    h, w = IMG.shape[1:3]
    start = np.array([[[0, 0], [w - 1, 0], [0, h - 1], [w - 1, h - 1]]] * 2, np.float32)
    end = start + np.array([2.0, -1.0], np.float32)  # a translation by (2, -1)
    t = {"apply_perspective": np.array([True, False]), "start_points": start,
         "end_points": end, "input_shape": IMG.shape}  # fmt: skip
    out = np.asarray(layer.transform_images(IMG, t))
    close(out[0], np_affine(IMG[0], [1, 0, -2, 0, 1, 1], "nearest"), 1e-3)
    close(out[1], IMG[1])
    close(tf.keras.layers.RandomPerspective(factor=0.0)(IMG, training=True), IMG)
    still = tf.keras.layers.RandomPerspective(factor=(1.0, 1.0), scale=0.0)
    close(still(IMG, training=True), IMG, 1e-3)  # corners stay: the identity warp


def test_elastic_pinned_cases(tf):
    L = tf.keras.layers
    flat = np.full((2, 8, 8, 1), 300.0, np.float32)
    out = L.RandomElasticTransform(factor=(1.0, 1.0), value_range=(0, 255))(flat, training=True)
    close(out, np.full_like(flat, 255.0))  # a flat image stays flat (reflect), then clipped
    close(L.RandomElasticTransform(factor=0.0)(flat, training=True), flat)  # no clipping
    close(L.RandomElasticTransform(scale=0.0)(IMG, training=True), IMG)


def test_erasing_pinned(tf):
    L = tf.keras.layers
    # scale (1, 1): the box is the whole image; factor (1, 1): every image
    whole = L.RandomErasing(factor=(1.0, 1.0), scale=(1.0, 1.0), fill_value=7.0)
    close(whole(IMG, training=True), np.full_like(IMG, 7.0))
    per_channel = L.RandomErasing(factor=(1.0, 1.0), scale=(1.0, 1.0),
                                  fill_value=(1.0, 300.0, 3.0))  # fmt: skip
    close(per_channel(IMG, training=True), np.broadcast_to([1.0, 255.0, 3.0], IMG.shape))
    close(L.RandomErasing(factor=0.0)(IMG, training=True), IMG)
    noise = np.asarray(L.RandomErasing(factor=(1.0, 1.0), scale=(1.0, 1.0))(IMG))
    assert noise.min() >= 0.0 and noise.max() <= 255.0 and np.mean(noise == 0.0) > 0.3


def test_cut_mix_and_mix_up_given_transformation(tf):
    L = tf.keras.layers
    labels = np.eye(2, dtype=np.float32)
    mask = np.zeros(IMG.shape, bool)
    mask[0, 1:3, 2:5] = True
    t = {"permutation_order": np.array([1, 0], np.int32), "batch_masks": mask,
         "mix_weight": np.array([0.8, 1.0], np.float32)}  # fmt: skip
    cut = L.CutMix()
    close(cut.transform_images(IMG, t), np.where(mask, IMG[::-1], IMG))
    close(cut.transform_labels(labels, t), [[0.8, 0.2], [0.0, 1.0]])
    mix = L.MixUp()
    t = {"permutation_order": np.array([1, 0]), "mix_weight": np.array([0.3, 0.9], np.float32)}
    w = np.array([0.3, 0.9])[:, None, None, None]
    close(mix.transform_images(IMG, t), w * IMG + (1 - w) * IMG[::-1])
    close(mix.transform_labels(labels, t), [[0.3, 0.7], [0.1, 0.9]])


def test_mix_up_call_mixes_the_named_image(tf):
    x = RNG.uniform(0, 255, size=(6, 4, 4, 3)).astype(np.float32)
    out = tf.keras.layers.MixUp(alpha=0.5)({"images": x, "labels": np.eye(6, dtype=np.float32)})
    images, labels = np.asarray(out["images"]), np.asarray(out["labels"])
    close(labels.sum(1), np.ones(6))
    for i in range(6):
        w = labels[i, i]
        others = [j for j in range(6) if j != i and labels[i, j] > 1e-6]
        j = others[0] if others else i
        close(images[i], w * x[i] + (1 - w) * x[j], 1e-2)


def test_cut_mix_call_pastes_a_box_of_the_named_image(tf):
    x = RNG.uniform(1, 255, size=(6, 8, 9, 2)).astype(np.float32)
    out = tf.keras.layers.CutMix(factor=(1.0, 1.0))({"images": x, "labels": np.eye(6)})
    images, labels = np.asarray(out["images"]), np.asarray(out["labels"])
    close(labels.sum(1), np.ones(6))
    assert np.all(labels >= -1e-6)
    for i in range(6):
        j = int(np.argmax(np.where(np.arange(6) == i, -1.0, labels[i])))
        pasted = np.all(images[i] == x[j], axis=-1) & ~np.all(images[i] == x[i], axis=-1)
        assert np.all((images[i] == x[i]) | (images[i] == x[j]))
        if pasted.any():  # the pasted pixels form one box
            rows, cols = np.nonzero(pasted)
            assert pasted.sum() == (np.ptp(rows) + 1) * (np.ptp(cols) + 1)


def test_aug_mix_and_rand_augment_pinned(tf):
    L = tf.keras.layers
    x = IMG * 1.1
    close(L.AugMix(chain_depth=0)(x, training=True), np.clip(x, 0, 255), 1e-2)
    close(L.RandAugment(num_ops=0)(x, training=True), x)
    for layer in (L.AugMix(value_range=(0, 255)), L.RandAugment(value_range=(0, 255))):
        out = np.asarray(layer(IMG, training=True))
        assert out.shape == IMG.shape and out.min() >= -1e-3 and out.max() <= 255.001


def test_pipeline(tf):
    L = tf.keras.layers
    pipe = L.Pipeline([L.Rescaling(0.5, offset=1.0), L.RandomGaussianBlur(factor=0.0),
                       L.CenterCrop(3, 4)])  # fmt: skip
    close(pipe(IMG), IMG[:, 1:4, 1:5] * 0.5 + 1.0)
    assert [type(la).__name__ for la in pipe.layers] == ["Rescaling", "RandomGaussianBlur",
                                                         "CenterCrop"]  # fmt: skip
    again = L.Pipeline.from_config(pipe.get_config())
    close(again(IMG), IMG[:, 1:4, 1:5] * 0.5 + 1.0)
    with pytest.raises(ValueError, match="layers"):
        L.Pipeline.from_config({"name": "p"})


def test_max_num_bounding_boxes(tf):
    L = tf.keras.layers
    boxes = np.arange(16, dtype=np.float32).reshape(2, 2, 4)
    data = {"images": IMG, "bounding_boxes": {"boxes": boxes, "labels": np.array([[1, 2], [3, 4]])}}
    out = L.MaxNumBoundingBoxes(3, bounding_box_format="xyxy")(dict(data))
    close(out["bounding_boxes"]["boxes"], np.concatenate([boxes, -np.ones((2, 1, 4))], axis=1))
    close(out["bounding_boxes"]["labels"], [[1, 2, -1], [3, 4, -1]])
    close(out["images"], IMG)
    cut = L.MaxNumBoundingBoxes(1, fill_value=0, bounding_box_format="xyxy")(dict(data))
    close(cut["bounding_boxes"]["boxes"], boxes[:, :1])
    close(cut["bounding_boxes"]["labels"], [[1], [3]])
    assert L.MaxNumBoundingBoxes(3, bounding_box_format="xyxy").get_config()[
        "bounding_box_format"] == "xyxy"  # fmt: skip
    with pytest.raises(ValueError, match="bounding box format"):
        L.MaxNumBoundingBoxes(3)(dict(data))


def test_draw_distributions(tf):
    # seeded, so each run (Keras's or ours) is the same; the bounds are 4 standard errors
    L = tf.keras.layers
    n = 1000
    x = RNG.uniform(10, 200, size=(n, 4, 5, 1)).astype(np.float32)

    def changed(layer, m=n):
        out = np.asarray(layer(x[:m], training=True))
        return np.mean(np.any(np.abs(out - x[:m]) > 1e-3, axis=(1, 2, 3)))

    # a per-image coin u < p, p uniform in factor: P = 1/2 for factor 1, 1/4 for factor 0.5
    assert abs(changed(L.RandomPerspective(factor=1.0, scale=0.8, seed=1)) - 0.5) < 0.064
    assert abs(changed(L.RandomGaussianBlur(factor=0.5, sigma=(0.8, 1.0), seed=2)) - 0.25) < 0.055
    assert abs(changed(L.RandomErasing(factor=0.5, fill_value=255.0, seed=3)) - 0.25) < 0.055
    elastic = L.RandomElasticTransform(factor=1.0, scale=(1.0, 1.0), seed=4)
    assert abs(changed(elastic, 300) - 0.5) < 0.116
    # MixUp's own-label weight is Beta(alpha, alpha); CutMix's, for factor (1, 1), is uniform
    labels = np.eye(n, dtype=np.float32)
    for layer, (mean, var) in (
        (L.MixUp(alpha=0.5, seed=5), (0.5, 1 / 8)),
        (L.CutMix((1.0, 1.0), seed=6), (0.5, 1 / 12)),
    ):
        own = np.diag(np.asarray(layer({"images": x, "labels": labels})["labels"]))
        own = own[own < 1.0 - 1e-6]  # images mixed with themselves say nothing
        assert abs(own.mean() - mean) < 4 * np.sqrt(var / len(own))
        assert abs(own.var() - var) < 0.02
