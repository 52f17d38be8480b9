"""The ``tf.image`` cases of ``test_image_compat.py``: each is ``name -> fn(tf, inputs)``.
``make_image_data.py`` runs them in real TF and stores the results in ``data/image_ops.npz``;
the test runs them in the library under test and compares."""

from __future__ import annotations

import numpy as np


def inputs():
    rng = np.random.default_rng(11)
    return {
        "f": rng.random((2, 7, 9, 3), dtype=np.float32),
        "u8": rng.integers(0, 256, (6, 5, 3), dtype=np.uint8),
        "one": rng.random((5, 6, 1), dtype=np.float32),
        "i16": rng.integers(-30000, 30000, (4, 4, 3), dtype=np.int16),
    }


def _resize_cases():
    cases = {}
    methods = ["bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian",
               "mitchellcubic"]  # fmt: skip
    for method in methods:
        for antialias in (False, True):
            for size in ((4, 5), (11, 14), (7, 4)):
                name = f"resize_{method}_{int(antialias)}_{size[0]}x{size[1]}"
                cases[name] = (lambda tf, x, m=method, a=antialias, s=size:
                               tf.image.resize(x["f"], s, method=m, antialias=a))  # fmt: skip
    cases["resize_u8_bilinear"] = lambda tf, x: tf.image.resize(x["u8"], (9, 4))
    cases["resize_u8_nearest"] = lambda tf, x: tf.image.resize(x["u8"], (9, 4), "nearest")
    cases["resize_same_size_u8"] = lambda tf, x: tf.image.resize(x["u8"], (6, 5))
    cases["resize_aspect"] = lambda tf, x: tf.image.resize(x["f"], (20, 10),
                                                           preserve_aspect_ratio=True)  # fmt: skip
    cases["resize_with_pad"] = lambda tf, x: tf.image.resize_with_pad(x["f"], 10, 6)
    cases["resize_with_pad_wide"] = lambda tf, x: tf.image.resize_with_pad(x["u8"], 4, 12)
    return cases


CASES = {
    **_resize_cases(),
    "crop_to_bbox": lambda tf, x: tf.image.crop_to_bounding_box(x["f"], 1, 2, 4, 5),
    "pad_to_bbox": lambda tf, x: tf.image.pad_to_bounding_box(x["u8"], 1, 2, 9, 8),
    "crop_or_pad_small": lambda tf, x: tf.image.resize_with_crop_or_pad(x["f"], 4, 12),
    "crop_or_pad_big": lambda tf, x: tf.image.resize_with_crop_or_pad(x["u8"], 9, 2),
    "central_crop": lambda tf, x: tf.image.central_crop(x["f"], 0.5),
    "central_crop_3d": lambda tf, x: tf.image.central_crop(x["u8"], 0.7),
    "flip_lr": lambda tf, x: tf.image.flip_left_right(x["f"]),
    "flip_ud": lambda tf, x: tf.image.flip_up_down(x["u8"]),
    "rot90_1": lambda tf, x: tf.image.rot90(x["u8"]),
    "rot90_2": lambda tf, x: tf.image.rot90(x["f"], 2),
    "rot90_3": lambda tf, x: tf.image.rot90(x["f"], k=3),
    "transpose": lambda tf, x: tf.image.transpose(x["f"]),
    "brightness_f": lambda tf, x: tf.image.adjust_brightness(x["f"], 0.3),
    "brightness_u8": lambda tf, x: tf.image.adjust_brightness(x["u8"], 0.2),
    "contrast_f": lambda tf, x: tf.image.adjust_contrast(x["f"], 1.7),
    "contrast_u8": lambda tf, x: tf.image.adjust_contrast(x["u8"], 0.4),
    "gamma_f": lambda tf, x: tf.image.adjust_gamma(x["f"], 0.5, 1.2),
    "gamma_u8": lambda tf, x: tf.image.adjust_gamma(x["u8"], 2.0),
    "saturation_f": lambda tf, x: tf.image.adjust_saturation(x["f"], 0.4),
    "saturation_u8": lambda tf, x: tf.image.adjust_saturation(x["u8"], 1.8),
    "hue_f": lambda tf, x: tf.image.adjust_hue(x["f"], 0.2),
    "hue_neg_u8": lambda tf, x: tf.image.adjust_hue(x["u8"], -0.35),
    "rgb_to_hsv": lambda tf, x: tf.image.rgb_to_hsv(x["f"]),
    "hsv_to_rgb": lambda tf, x: tf.image.hsv_to_rgb(x["f"]),
    "rgb_to_yuv": lambda tf, x: tf.image.rgb_to_yuv(x["f"]),
    "yuv_to_rgb": lambda tf, x: tf.image.yuv_to_rgb(x["f"]),
    "grayscale_f": lambda tf, x: tf.image.rgb_to_grayscale(x["f"]),
    "grayscale_u8": lambda tf, x: tf.image.rgb_to_grayscale(x["u8"]),
    "gray_to_rgb": lambda tf, x: tf.image.grayscale_to_rgb(x["one"]),
    "standardize_f": lambda tf, x: tf.image.per_image_standardization(x["f"]),
    "standardize_u8": lambda tf, x: tf.image.per_image_standardization(x["u8"]),
    "convert_u8_f32": lambda tf, x: tf.image.convert_image_dtype(x["u8"], tf.float32),
    "convert_f32_u8": lambda tf, x: tf.image.convert_image_dtype(
        x["f"] * 1.3 - 0.1, tf.uint8, saturate=True
    ),  # fmt: skip
    "convert_u8_i16": lambda tf, x: tf.image.convert_image_dtype(x["u8"], tf.int16),
    "convert_i16_u8": lambda tf, x: tf.image.convert_image_dtype(
        x["i16"], tf.uint8, saturate=True
    ),  # fmt: skip
    "convert_f32_f64": lambda tf, x: tf.image.convert_image_dtype(x["f"], tf.float64),
    "image_gradients": lambda tf, x: tf.image.image_gradients(x["f"]),
    "total_variation": lambda tf, x: tf.image.total_variation(x["f"]),
    "total_variation_3d": lambda tf, x: tf.image.total_variation(x["one"]),
    "png_round_trip": lambda tf, x: tf.image.decode_png(tf.image.encode_png(x["u8"])),
    "png_gray_to_rgb": lambda tf, x: tf.image.decode_png(
        tf.image.encode_png(tf.image.convert_image_dtype(x["one"], tf.uint8)), channels=3
    ),
    "png_rgb_to_rgba": lambda tf, x: tf.io.decode_png(tf.io.encode_png(x["u8"]), channels=4),
    "decode_image_png": lambda tf, x: tf.io.decode_image(tf.image.encode_png(x["u8"])),
}
