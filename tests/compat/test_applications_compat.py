"""``tf.keras.applications``: each architecture has Keras 3.15's layer names, order, weight paths
and shapes and parameter count (so Keras's ImageNet ``.h5`` files load), and each family's
smallest member, given the same weights, predicts Keras's numbers. Real Keras's answers are
recorded in ``data/applications_keras315.npz`` by ``make_applications_data.py``."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
from applications_cases import MEMBERS, RUNS, build, describe, fill, image

DATA = np.load(os.path.join(os.path.dirname(__file__), "data", "applications_keras315.npz"))


@pytest.mark.parametrize("key", MEMBERS)
def test_architecture_matches_keras(tf, key):
    name, count, layers, weights = describe(build(tf.keras, key, MEMBERS[key]))
    assert name == str(DATA[f"{key}:name"])
    assert count == int(DATA[f"{key}:count"])
    assert layers.split("\n") == str(DATA[f"{key}:layers"]).split("\n")
    assert weights.split("\n") == str(DATA[f"{key}:weights"]).split("\n")


@pytest.mark.parametrize("key", RUNS)
def test_smallest_member_predicts_keras_numbers(tf, key):
    model = build(tf.keras, key, RUNS[key])
    model.set_weights(fill([tuple(w.shape) for w in model.weights]))
    ref = DATA[f"{key}:run"]
    x = image(RUNS[key])
    y = model.predict(x, verbose=0)
    np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-5 * np.abs(ref).max())
    # the same weights set layer by layer, by name (an auto-named layer by position), into a
    # second model give the same numbers
    other = build(tf.keras, key, RUNS[key])
    by_name = {layer.name: layer.get_weights() for layer in model.layers if layer.weights}
    for mine, layer in zip(model.layers, other.layers, strict=True):
        if layer.weights:
            layer.set_weights(by_name.get(layer.name, mine.get_weights()))
    np.testing.assert_array_equal(other(x, training=False), model(x, training=False))


def test_preprocess_input_modes(tf):
    apps = tf.keras.applications
    x = np.arange(2 * 2 * 2 * 3, dtype=np.float32).reshape(2, 2, 2, 3) * 10
    caffe = x[..., ::-1] - np.array([103.939, 116.779, 123.68], np.float32)
    torch = (x / 255.0 - np.array([0.485, 0.456, 0.406], np.float32)) / np.array(
        [0.229, 0.224, 0.225], np.float32
    )
    np.testing.assert_allclose(apps.resnet50.preprocess_input(x.copy()), caffe, rtol=1e-6)
    np.testing.assert_allclose(apps.vgg19.preprocess_input(tf.constant(x)), caffe, rtol=1e-6)
    np.testing.assert_allclose(apps.mobilenet_v2.preprocess_input(x.copy()), x / 127.5 - 1)
    np.testing.assert_allclose(apps.resnet_v2.preprocess_input(tf.constant(x)), x / 127.5 - 1)
    utils = apps.imagenet_utils
    np.testing.assert_allclose(utils.preprocess_input(x.copy(), mode="torch"), torch, rtol=1e-5)
    first = np.moveaxis(x, -1, 1)
    got = utils.preprocess_input(tf.constant(first), data_format="channels_first", mode="torch")
    np.testing.assert_allclose(got, np.moveaxis(torch, -1, 1), rtol=1e-5)
    got = utils.preprocess_input(first[0].copy(), data_format="channels_first")
    np.testing.assert_allclose(got, np.moveaxis(caffe[0], -1, 0), rtol=1e-6)
    ints = np.full((1, 1, 3), 255, np.uint8)  # integers come back as float32
    assert apps.mobilenet.preprocess_input(ints).dtype == np.float32
    with pytest.raises(ValueError, match="Expected mode to be one of"):
        utils.preprocess_input(x, mode="keras")
    with pytest.raises(ValueError, match="Expected data_format to be one of"):
        utils.preprocess_input(x, data_format="NHWC")


def test_argument_errors(tf):
    apps = tf.keras.applications
    with pytest.raises(ValueError, match="`classes` should be 1000.  Received classes=10"):
        apps.ResNet50(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="`weights` argument should be either"):
        apps.VGG16(weights="/no/such/file.h5")
    with pytest.raises(ValueError, match="should be \\(224, 224, 3\\)"):
        apps.ResNet50V2(weights="imagenet", input_shape=(64, 64, 3))
    with pytest.raises(ValueError, match="Input size must be at least 32x32"):
        apps.MobileNetV2(weights=None, input_shape=(16, 16, 3), include_top=False)
    with pytest.raises(ValueError, match="you should specify a static `input_shape`"):
        apps.VGG19(weights=None, input_shape=(None, None, 3))
    with pytest.raises(ValueError, match="depth multiplier must be 1"):
        apps.MobileNet(weights="imagenet", depth_multiplier=2)
    with pytest.raises(ValueError, match="alpha must be one of"):
        apps.MobileNetV2(weights="imagenet", alpha=0.6)
    with pytest.raises(ValueError, match="Only `None` and `softmax` activations are allowed"):
        apps.ResNet50(weights="imagenet", classifier_activation="relu")
    with pytest.raises(ValueError, match="expects a batch of predictions"):
        apps.resnet.decode_predictions(np.zeros((2, 10)))


def test_input_tensor_and_pooling(tf):
    keras = tf.keras
    inp = keras.Input((48, 48, 3))
    x = keras.layers.Rescaling(1 / 255.0)(inp)
    model = keras.applications.MobileNet(
        weights=None, input_tensor=x, alpha=0.25, include_top=False, pooling="avg"
    )
    assert model.inputs[0] is inp and model.name == "mobilenet_0.25_None"
    assert tuple(model.output.shape) == (None, 256)
    assert model.layers[-1].name.startswith("global_average_pooling2d")
    resnet = keras.applications.ResNet50(weights=None, include_top=False, pooling="max")
    assert tuple(resnet.output.shape) == (None, 2048) and resnet.layers[-1].name == "max_pool"
    assert tuple(resnet.input.shape) == (None, None, None, 3)


def test_inception_convnext_efficientnet_v2_arguments(tf):
    apps = tf.keras.applications
    with pytest.raises(ValueError, match="Input size must be at least 75x75"):
        apps.InceptionV3(weights=None, input_shape=(64, 64, 3), include_top=False)
    with pytest.raises(ValueError, match="loaded; Received: weights=/no/such.h5"):
        apps.InceptionV3(weights="/no/such.h5")
    with pytest.raises(ValueError, match="`classes` should be 1000. Received classes=10"):
        apps.ConvNeXtTiny(classes=10)
    x = np.full((1, 4, 4, 3), 200.0, np.float32)
    assert apps.convnext.preprocess_input(x) is x  # the model normalises its input itself
    assert apps.efficientnet_v2.preprocess_input(x) is x
    np.testing.assert_allclose(apps.inception_v3.preprocess_input(x.copy()), x / 127.5 - 1)
    got = apps.inception_resnet_v2.preprocess_input(tf.constant(x))
    np.testing.assert_allclose(got, x / 127.5 - 1)
    with pytest.raises(ValueError, match="to be loaded.Received: weights=/no/such.h5"):
        apps.EfficientNetV2B0(weights="/no/such.h5")
    with pytest.raises(ValueError, match="`include_top` as true, `classes` should be 1000"):
        apps.EfficientNetV2S(classes=10)
    # B0-B3 normalise with ImageNet's figures, S, M and L only rescale to [-1, 1]
    b0 = apps.EfficientNetV2B0(weights=None, include_top=False, input_shape=(32, 32, 3))
    assert [type(layer).__name__ for layer in b0.layers[1:3]] == ["Rescaling", "Normalization"]
    s = apps.EfficientNetV2S(weights=None, include_top=False, input_shape=(32, 32, 3))
    assert s.layers[1].scale == 1.0 / 128.0 and s.layers[1].offset == -1
    assert s.layers[2].name == "stem_conv"
    raw = apps.ConvNeXtTiny(weights=None, include_preprocessing=False, input_shape=(32, 32, 3))
    assert raw.layers[1].name == "convnext_tiny_stem" and raw.count_params() == 28_589_128
    model = apps.ConvNeXtTiny(weights=None, input_shape=(32, 32, 3))
    assert model.layers[1].name == "convnext_tiny_prestem_normalization"
    assert model.count_params() == 28_589_128  # the normalisation's figures are not weights
