"""The ``keras.applications`` models that ``test_applications_compat.py`` builds, shared with
``make_applications_data.py`` (which records real Keras's answers)."""

from __future__ import annotations

import numpy as np

SMALL = (32, 32, 3)
# members: (family name, keyword arguments), the architecture only, no weights file (not
# EfficientNetB5-B7: their truncated-normal initialisation alone takes 10-20 s each)
MEMBERS = {
    "ResNet50": {}, "ResNet101": {}, "ResNet152": {}, "ResNet50V2": {}, "ResNet101V2": {},
    "ResNet152V2": {}, "MobileNet": {},
    "MobileNet_0.25_128": {"alpha": 0.25, "input_shape": (128, 128, 3)},
    "MobileNet_dm2": {"depth_multiplier": 2, "include_top": False},
    "MobileNetV2": {}, "MobileNetV2_0.35": {"alpha": 0.35, "input_shape": (96, 96, 3)},
    "MobileNetV2_1.4": {"alpha": 1.4}, "VGG16": {"input_shape": SMALL},
    "VGG19": {"include_top": False}, "MobileNetV3Small": {},
    "MobileNetV3Small_min": {"minimalistic": True, "alpha": 0.75, "include_top": False},
    "MobileNetV3Large": {}, "MobileNetV3Large_0.75": {"alpha": 0.75, "input_shape": (160, 160, 3)},
    "EfficientNetB0": {}, **{f"EfficientNetB{i}": {"include_top": False} for i in range(1, 5)},
    "DenseNet121": {}, "DenseNet169": {"include_top": False}, "DenseNet201": {"include_top": False},
    "Xception": {}, "InceptionV3": {}, "ConvNeXtTiny": {},
    "ConvNeXtSmall": {"include_top": False, "pooling": "max"}, "EfficientNetV2B0": {},
    **{f"EfficientNetV2B{i}": {"include_top": False} for i in range(1, 4)},
    "EfficientNetV2S": {"include_top": False, "pooling": "avg"}, "InceptionResNetV2": {},
}  # fmt: skip
# each family's smallest member, run on a small image with deterministic weights
RUNS = {
    "ResNet50": {"input_shape": SMALL, "classes": 10, "classifier_activation": None},
    "ResNet50V2": {"input_shape": SMALL, "include_top": False, "pooling": "avg"},
    "MobileNet": {"input_shape": SMALL, "alpha": 0.25, "classes": 7},
    "MobileNetV2": {"input_shape": SMALL, "alpha": 0.35, "include_top": False, "pooling": "max"},
    "VGG16": {"input_shape": SMALL, "include_top": False},
    "MobileNetV3Small": {"input_shape": SMALL, "classes": 6, "dropout_rate": 0.0},
    "EfficientNetB0": {"input_shape": SMALL, "classes": 10},
    "DenseNet121": {"input_shape": SMALL, "include_top": False, "pooling": "avg"},
    "Xception": {"input_shape": (71, 71, 3), "classes": 4, "classifier_activation": None},
    "InceptionV3": {"input_shape": (75, 75, 3), "include_top": False, "pooling": "avg"},
    "ConvNeXtTiny": {"input_shape": SMALL, "classes": 3},
    "EfficientNetV2B0": {"input_shape": SMALL, "classes": 10},
    "InceptionResNetV2": {"input_shape": (75, 75, 3), "include_top": False, "pooling": "max"},
}


def build(keras, key, kwargs):
    """``keras.applications.<family>(weights=None, **kwargs)``, in a cleared session (so the
    auto-named layers get the same names whatever was built before)."""
    keras.backend.clear_session()
    return getattr(keras.applications, key.split("_")[0])(weights=None, **kwargs)


def fill(shapes):
    """Deterministic weights for a model's weight shapes: 1-D ones (biases, batch norm) in
    [0.5, 1.5], kernels scaled by their fan-in."""
    out = []
    for i, shape in enumerate(shapes):
        rng = np.random.default_rng(i)
        if not shape:  # Normalization's count
            out.append(np.array(0, np.int64))
        elif len(shape) == 1:
            out.append(rng.uniform(0.5, 1.5, shape).astype(np.float32))
        else:
            scale = np.sqrt(2.0 / np.prod(shape[:-1]))
            out.append((rng.standard_normal(shape) * scale).astype(np.float32))
    return out


def image(kwargs):
    """Two images in [0, 255] of the run's ``input_shape``."""
    return np.random.default_rng(7).uniform(0, 255, (2, *kwargs["input_shape"])).astype(np.float32)


def describe(model):
    """What a weight file's loader relies on: layer names in order, and each weight's path and
    shape."""
    layers = "\n".join(layer.name for layer in model.layers)
    weights = "\n".join(f"{w.path} {tuple(w.shape)}" for w in model.weights)
    return model.name, model.count_params(), layers, weights
