"""``keras.applications.convnext``: ConvNeXt Tiny to XLarge (Liu et al., 2022), a ResNet
modernised with 7x7 depthwise convolutions, layer norm, GELU, LayerScale and stochastic depth;
the ImageNet normalisation is the model's first layer (``channels_last`` only, as in Keras)."""

import numpy as np

from tensorhouse_components import initializers, keras_ops, layers

from .._sequential import Sequential
from . import imagenet_utils as _utils

__all__ = [
    "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtSmall", "ConvNeXtTiny", "ConvNeXtXLarge",
    "decode_predictions", "preprocess_input",
]  # fmt: skip

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/convnext/"
WEIGHTS_HASHES = {  # (with the top, without)
    "convnext_tiny": (
        "8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff",
        "d547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1",
    ),
    "convnext_small": (
        "ce1277d8f1ee5a0ef0e171469089c18f5233860ceaf9b168049cb9263fd7483c",
        "6fc8009faa2f00c1c1dfce59feea9b0745eb260a7dd11bee65c8e20843da6eab",
    ),
    "convnext_base": (
        "52cbb006d3dadd03f6e095a8ca1aca47aecdd75acb4bc74bce1f5c695d0086e6",
        "40a20c5548a5e9202f69735ecc06c990e6b7c9d2de39f0361e27baeb24cb7c45",
    ),
    "convnext_large": (
        "070c5ed9ed289581e477741d3b34beffa920db8cf590899d6d2c67fba2a198a6",
        "96f02b6f0753d4f543261bc9d09bed650f24dd6bc02ddde3066135b63d23a1cd",
    ),
    "convnext_xlarge": (
        "c1f5ccab661354fc3a79a10fa99af82f0fbf10ec65cb894a3ae0815f17a889ee",
        "de3f8a54174130e0cecdc71583354753d557fcf1f4487331558e2a16ba0cfe05",
    ),
}
_DEPTHS = {"tiny": [3, 3, 9, 3]}  # the others: [3, 3, 27, 3]
MODEL_CONFIGS = {
    size: {"depths": _DEPTHS.get(size, [3, 3, 27, 3]), "projection_dims": dims,
           "default_size": 224}
    for size, dims in (
        ("tiny", [96, 192, 384, 768]), ("small", [96, 192, 384, 768]),
        ("base", [128, 256, 512, 1024]), ("large", [192, 384, 768, 1536]),
        ("xlarge", [256, 512, 1024, 2048]),
    )
}  # fmt: skip


class StochasticDepth(layers.Layer):
    """Drops the residual branch of a whole sample with probability ``drop_path_rate`` in
    training (the kept ones scaled by ``1 / (1 - rate)``); the identity in inference."""

    def __init__(self, drop_path_rate, **kwargs):
        super().__init__(**kwargs)
        self.drop_path_rate = drop_path_rate

    def call(self, x, training=None):
        if not training:
            return x
        keep_prob = 1 - self.drop_path_rate
        shape = (keras_ops.shape(x)[0],) + (1,) * (len(x.shape) - 1)
        mask = keras_ops.floor(keep_prob + keras_ops.random.uniform(shape, 0, 1))
        return x / keep_prob * mask

    def get_config(self):
        return {**super().get_config(), "drop_path_rate": self.drop_path_rate}


class LayerScale(layers.Layer):
    """Multiplies each channel by a learned ``gamma``, initialised to ``init_values``."""

    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim

    def build(self, _):
        self.gamma = self.add_weight(
            shape=(self.projection_dim,), initializer=initializers.Constant(self.init_values),
            trainable=True,
        )  # fmt: skip

    def call(self, x):
        return x * self.gamma

    def get_config(self):
        config = super().get_config()
        return {**config, "init_values": self.init_values, "projection_dim": self.projection_dim}


def ConvNeXtBlock(projection_dim, drop_path_rate=0.0, layer_scale_init_value=1e-6, name=None):
    """Depthwise 7x7 convolution, layer norm, an inverted bottleneck MLP with GELU, LayerScale
    and stochastic depth, added to the input."""

    def apply(inputs):
        x = layers.Conv2D(
            projection_dim, 7, padding="same", groups=projection_dim,
            name=f"{name}_depthwise_conv",
        )(inputs)  # fmt: skip
        x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_layernorm")(x)
        x = layers.Dense(4 * projection_dim, name=f"{name}_pointwise_conv_1")(x)
        x = layers.Activation("gelu", name=f"{name}_gelu")(x)
        x = layers.Dense(projection_dim, name=f"{name}_pointwise_conv_2")(x)
        if layer_scale_init_value is not None:
            x = LayerScale(layer_scale_init_value, projection_dim, name=f"{name}_layer_scale")(x)
        if drop_path_rate:
            layer = StochasticDepth(drop_path_rate, name=f"{name}_stochastic_depth")
        else:
            layer = layers.Activation("linear", name=f"{name}_identity")
        return inputs + layer(x)

    return apply


def ConvNeXt(
    depths, projection_dims, drop_path_rate=0.0, layer_scale_init_value=1e-6, default_size=224,
    name="convnext", include_preprocessing=True, include_top=True, weights=None,
    input_tensor=None, input_shape=None, pooling=None, classes=1000,
    classifier_activation="softmax", weights_name=None,
):  # fmt: skip
    """A ConvNeXt of four stages of ``depths[i]`` blocks of ``projection_dims[i]`` channels,
    the stochastic depth rate rising linearly to ``drop_path_rate`` over the blocks."""
    if keras_ops.backend.image_data_format() == "channels_first":
        raise ValueError(
            "ConvNeXt does not support the `channels_first` image data format. Switch to "
            "`channels_last` by editing your local config file at ~/.keras/keras.json"
        )
    _utils._check_weights(weights, include_top, classes, "`", ".", _utils._INCEPTION_CLASSES_ERROR)
    input_shape = _utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=32, data_format="channels_last",
        require_flatten=include_top, weights=weights,
    )  # fmt: skip
    img_input = _utils._image_input(input_tensor, input_shape)
    x = img_input if input_tensor is None else input_tensor
    if include_preprocessing and input_shape[2] == 3:
        x = layers.Normalization(
            mean=[0.485 * 255, 0.456 * 255, 0.406 * 255],
            variance=[(0.229 * 255) ** 2, (0.224 * 255) ** 2, (0.225 * 255) ** 2],
            name=f"{name}_prestem_normalization",
        )(x)
    stem = Sequential(
        [
            layers.Conv2D(projection_dims[0], 4, strides=4, name=f"{name}_stem_conv"),
            layers.LayerNormalization(epsilon=1e-6, name=f"{name}_stem_layernorm"),
        ],
        name=f"{name}_stem",
    )
    downsampling = [stem] + [
        Sequential(
            [
                layers.LayerNormalization(epsilon=1e-6, name=f"{name}_downsampling_layernorm_{i}"),
                layers.Conv2D(
                    projection_dims[i + 1], 2, strides=2, name=f"{name}_downsampling_conv_{i}"
                ),
            ],
            name=f"{name}_downsampling_block_{i}",
        )
        for i in range(3)
    ]
    rates = iter(float(r) for r in np.linspace(0.0, drop_path_rate, sum(depths)))
    for i in range(4):
        x = downsampling[i](x)
        for j in range(depths[i]):
            x = ConvNeXtBlock(
                projection_dims[i], next(rates), layer_scale_init_value,
                name=f"{name}_stage_{i}_block_{j}",
            )(x)  # fmt: skip
    if include_top:
        _utils.validate_activation(classifier_activation, weights)
        x = layers.GlobalAveragePooling2D(name=f"{name}_head_gap")(x)
        x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_head_layernorm")(x)
        x = layers.Dense(classes, activation=classifier_activation, name=f"{name}_head_dense")(x)
    else:
        x = layers.LayerNormalization(epsilon=1e-6)(_utils._pool(x, pooling))
    model = _utils._model(img_input, input_tensor, x, name)
    top, file_hash = (0 if include_top else 1), None
    if weights == "imagenet":
        _check_variant(weights_name, depths, projection_dims, name)
        file_hash = WEIGHTS_HASHES[weights_name][top]
    file_name = name + (".h5", "_notop.h5")[top]
    return _utils._load(model, weights, BASE_WEIGHTS_PATH, file_name, file_hash)


def _check_variant(weights_name, depths, projection_dims, name):
    """ImageNet weights need the variant's exact configuration and a name containing it."""
    size = weights_name.split("convnext_")[-1]
    expected = MODEL_CONFIGS[size]
    if depths != expected["depths"] or projection_dims != expected["projection_dims"]:
        raise ValueError(
            f"Architecture configuration does not match {weights_name} variant. When using "
            "pre-trained weights, the model architecture must match the pre-trained "
            f"configuration exactly. Expected depths: {expected['depths']}, got: {depths}. "
            f"Expected projection_dims: {expected['projection_dims']}, got: {projection_dims}."
        )
    if weights_name not in name:
        raise ValueError(
            f'Model name "{name}" does not match weights variant "{weights_name}". When using '
            "imagenet weights, model name must contain the weights variant (e.g., "
            f'"convnext_{size}").'
        )


def _variant(size, include_top, include_preprocessing, weights, input_tensor, input_shape,
             pooling, classes, classifier_activation, name):  # fmt: skip
    config = MODEL_CONFIGS[size]
    return ConvNeXt(
        config["depths"], config["projection_dims"], 0.0, 1e-6, config["default_size"], name,
        include_preprocessing, include_top, weights, input_tensor, input_shape, pooling,
        classes, classifier_activation, weights_name=f"convnext_{size}",
    )  # fmt: skip


def ConvNeXtTiny(
    include_top=True, include_preprocessing=True, weights="imagenet", input_tensor=None,
    input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
    name="convnext_tiny",
):  # fmt: skip
    """Instantiates the ConvNeXtTiny architecture (``weights``: ``None``, ``"imagenet"`` or a
    file)."""
    return _variant("tiny", **locals())


def ConvNeXtSmall(
    include_top=True, include_preprocessing=True, weights="imagenet", input_tensor=None,
    input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
    name="convnext_small",
):  # fmt: skip
    """Instantiates the ConvNeXtSmall architecture."""
    return _variant("small", **locals())


def ConvNeXtBase(
    include_top=True, include_preprocessing=True, weights="imagenet", input_tensor=None,
    input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
    name="convnext_base",
):  # fmt: skip
    """Instantiates the ConvNeXtBase architecture."""
    return _variant("base", **locals())


def ConvNeXtLarge(
    include_top=True, include_preprocessing=True, weights="imagenet", input_tensor=None,
    input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
    name="convnext_large",
):  # fmt: skip
    """Instantiates the ConvNeXtLarge architecture."""
    return _variant("large", **locals())


def ConvNeXtXLarge(
    include_top=True, include_preprocessing=True, weights="imagenet", input_tensor=None,
    input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
    name="convnext_xlarge",
):  # fmt: skip
    """Instantiates the ConvNeXtXLarge architecture."""
    return _variant("xlarge", **locals())


def preprocess_input(x, data_format=None):
    """Returns ``x`` unchanged: the normalisation is the model's first layer (kept for the
    API's shape, as in Keras)."""
    return x


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes per image, as ``imagenet_utils.decode_predictions``."""
    return _utils.decode_predictions(preds, top=top)
