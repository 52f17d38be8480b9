"""``keras.applications.efficientnet``: EfficientNetB0 to B7 (Tan and Le, 2019), compound-scaled
MBConv networks; the model rescales and normalises its own input."""

import copy
import math

from tensorhouse_components import keras_ops, layers

from . import imagenet_utils as _utils

__all__ = [
    "EfficientNetB0", "EfficientNetB1", "EfficientNetB2", "EfficientNetB3", "EfficientNetB4",
    "EfficientNetB5", "EfficientNetB6", "EfficientNetB7", "decode_predictions",
    "preprocess_input",
]  # fmt: skip

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/keras-applications/"
WEIGHTS_HASHES = {  # (with the top, without)
    "b0": ("902e53a9f72be733fc0bcb005b3ebbac", "50bc09e76180e00e4465e1a485ddc09d"),
    "b1": ("1d254153d4ab51201f1646940f018540", "74c4e6b3e1f6a1eea24c589628592432"),
    "b2": ("b15cce36ff4dcbd00b6dd88e7857a6ad", "111f8e2ac8aa800a7a99e3239f7bfb39"),
    "b3": ("ffd1fdc53d0ce67064dc6a9c7960ede0", "af6d107764bb5b1abb91932881670226"),
    "b4": ("18c95ad55216b8f92d7e70b3a046e2fc", "ebc24e6d6c33eaebbd558eafbeedf1ba"),
    "b5": ("ace28f2a6363774853a83a0b21b9421a", "38879255a25d3c92d5e44e04ae6cec6f"),
    "b6": ("165f6e37dce68623721b423839de8be5", "9ecce42647a20130c1f39a5d4cb75743"),
    "b7": ("8c03f828fec3ef71311cd463b6759d99", "cbcfe4450ddf6f3ad90b1b398090fe4a"),
}
_CLASSES_ERROR = (
    'If using `weights="imagenet"` with `include_top` as true, `classes` should be 1000'
)  # fmt: skip
_KEYS = ("kernel_size", "repeats", "filters_in", "filters_out", "expand_ratio", "strides")
DEFAULT_BLOCKS_ARGS = [
    dict(zip(_KEYS, row), id_skip=True, se_ratio=0.25)
    for row in (
        (3, 1, 32, 16, 1, 1),
        (3, 2, 16, 24, 6, 2),
        (5, 2, 24, 40, 6, 2),
        (3, 3, 40, 80, 6, 2),
        (5, 3, 80, 112, 6, 1),
        (5, 4, 112, 192, 6, 2),
        (3, 1, 192, 320, 6, 1),
    )  # fmt: skip
]
CONV_KERNEL_INITIALIZER = {
    "class_name": "VarianceScaling",
    "config": {"scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal"},
}
DENSE_KERNEL_INITIALIZER = {
    "class_name": "VarianceScaling",
    "config": {"scale": 1.0 / 3.0, "mode": "fan_out", "distribution": "uniform"},
}
IMAGENET_STDDEV_RGB = [0.229, 0.224, 0.225]


def EfficientNet(
    width_coefficient, depth_coefficient, default_size, dropout_rate=0.2, drop_connect_rate=0.2,
    depth_divisor=8, activation="swish", blocks_args="default", name="efficientnet",
    include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
    classes=1000, classifier_activation="softmax", weights_name=None,
):  # fmt: skip
    """An EfficientNet scaled by ``width_coefficient`` (channels) and ``depth_coefficient``
    (block repeats)."""
    blocks_args = DEFAULT_BLOCKS_ARGS if blocks_args == "default" else blocks_args
    _utils._check_weights(weights, include_top, classes, "`", ".", _CLASSES_ERROR)
    input_shape = _utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=32,
        data_format=keras_ops.backend.image_data_format(), require_flatten=include_top,
        weights=weights,
    )  # fmt: skip
    img_input = _utils._image_input(input_tensor, input_shape)
    bn_axis = 3 if _utils._channel_axis() == -1 else 1

    def round_filters(filters, divisor=depth_divisor):
        filters *= width_coefficient
        new_filters = max(divisor, int(filters + divisor / 2) // divisor * divisor)
        return int(new_filters + divisor if new_filters < 0.9 * filters else new_filters)

    def round_repeats(repeats):
        return int(math.ceil(depth_coefficient * repeats))

    x = layers.Normalization(axis=bn_axis)(layers.Rescaling(1.0 / 255.0)(img_input))
    if weights == "imagenet":  # the weights' variance stands for the standard deviation (sic)
        x = layers.Rescaling([1.0 / math.sqrt(stddev) for stddev in IMAGENET_STDDEV_RGB])(x)
    x = layers.ZeroPadding2D(padding=_utils.correct_pad(x, 3), name="stem_conv_pad")(x)
    x = layers.Conv2D(
        round_filters(32), 3, strides=2, padding="valid", use_bias=False,
        kernel_initializer=CONV_KERNEL_INITIALIZER, name="stem_conv",
    )(x)  # fmt: skip
    x = layers.BatchNormalization(axis=bn_axis, name="stem_bn")(x)
    x = layers.Activation(activation, name="stem_activation")(x)
    blocks_args = copy.deepcopy(blocks_args)
    b = 0
    blocks = float(sum(round_repeats(args["repeats"]) for args in blocks_args))
    for i, args in enumerate(blocks_args):
        if args["repeats"] <= 0:
            raise ValueError(
                "The number of repeats in `EfficientNet` must be > 0. "
                f"Received: repeats={args['repeats']}"
            )
        args["filters_in"] = round_filters(args["filters_in"])
        args["filters_out"] = round_filters(args["filters_out"])
        for j in range(round_repeats(args.pop("repeats"))):
            if j > 0:
                args["strides"], args["filters_in"] = 1, args["filters_out"]
            rate = drop_connect_rate * b / blocks
            x = block(x, activation, rate, name=f"block{i + 1}{chr(j + 97)}_", **args)
            b += 1
    x = layers.Conv2D(
        round_filters(1280), 1, padding="same", use_bias=False,
        kernel_initializer=CONV_KERNEL_INITIALIZER, name="top_conv",
    )(x)  # fmt: skip
    x = layers.BatchNormalization(axis=bn_axis, name="top_bn")(x)
    x = layers.Activation(activation, name="top_activation")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate, name="top_dropout")(x)
        _utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(
            classes, activation=classifier_activation,
            kernel_initializer=DENSE_KERNEL_INITIALIZER, name="predictions",
        )(x)  # fmt: skip
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)
    model = _utils._model(img_input, input_tensor, x, name)
    file_hash = WEIGHTS_HASHES.get(weights_name, (None, None))[0 if include_top else 1]
    file_name = name + (".h5" if include_top else "_notop.h5")
    return _utils._load(model, weights, BASE_WEIGHTS_PATH, file_name, file_hash)


def block(
    inputs, activation="swish", drop_rate=0.0, name="", filters_in=32, filters_out=16,
    kernel_size=3, strides=1, expand_ratio=1, se_ratio=0.0, id_skip=True,
):  # fmt: skip
    """An MBConv block: 1x1 expansion, depthwise convolution, squeeze-and-excite, 1x1
    projection, and (same shape) a residual add after drop-connect."""
    bn_axis = 3 if _utils._channel_axis() == -1 else 1
    filters = filters_in * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = layers.Conv2D(
            filters, 1, padding="same", use_bias=False,
            kernel_initializer=CONV_KERNEL_INITIALIZER, name=f"{name}expand_conv",
        )(x)  # fmt: skip
        x = layers.BatchNormalization(axis=bn_axis, name=f"{name}expand_bn")(x)
        x = layers.Activation(activation, name=f"{name}expand_activation")(x)
    if strides == 2:
        pad = _utils.correct_pad(x, kernel_size)
        x = layers.ZeroPadding2D(padding=pad, name=f"{name}dwconv_pad")(x)
    x = layers.DepthwiseConv2D(
        kernel_size, strides=strides, padding="valid" if strides == 2 else "same",
        use_bias=False, depthwise_initializer=CONV_KERNEL_INITIALIZER, name=f"{name}dwconv",
    )(x)  # fmt: skip
    x = layers.BatchNormalization(axis=bn_axis, name=f"{name}bn")(x)
    x = layers.Activation(activation, name=f"{name}activation")(x)
    if 0 < se_ratio <= 1:
        se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
        se_shape = (filters, 1, 1) if bn_axis == 1 else (1, 1, filters)
        se = layers.Reshape(se_shape, name=f"{name}se_reshape")(se)
        se = layers.Conv2D(
            max(1, int(filters_in * se_ratio)), 1, padding="same", activation=activation,
            kernel_initializer=CONV_KERNEL_INITIALIZER, name=f"{name}se_reduce",
        )(se)  # fmt: skip
        se = layers.Conv2D(
            filters, 1, padding="same", activation="sigmoid",
            kernel_initializer=CONV_KERNEL_INITIALIZER, name=f"{name}se_expand",
        )(se)  # fmt: skip
        x = layers.multiply([x, se], name=f"{name}se_excite")
    x = layers.Conv2D(
        filters_out, 1, padding="same", use_bias=False,
        kernel_initializer=CONV_KERNEL_INITIALIZER, name=f"{name}project_conv",
    )(x)  # fmt: skip
    x = layers.BatchNormalization(axis=bn_axis, name=f"{name}project_bn")(x)
    if id_skip and strides == 1 and filters_in == filters_out:
        if drop_rate > 0:
            x = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
        x = layers.add([x, inputs], name=f"{name}add")
    return x


def _scaled(width, depth, size, dropout, weights_name, **kwargs):
    return EfficientNet(width, depth, size, dropout, weights_name=weights_name, **kwargs)


def EfficientNetB0(
    include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
    classes=1000, classifier_activation="softmax", name="efficientnetb0",
):  # fmt: skip
    """Instantiates EfficientNetB0 (224 pixels; ``weights``: ``None``, ``"imagenet"`` or a
    file); it takes pixels in [0, 255]."""
    return _scaled(1.0, 1.0, 224, 0.2, "b0", **locals())


def EfficientNetB1(
    include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
    classes=1000, classifier_activation="softmax", name="efficientnetb1",
):  # fmt: skip
    """Instantiates EfficientNetB1 (240 pixels)."""
    return _scaled(1.0, 1.1, 240, 0.2, "b1", **locals())


def EfficientNetB2(
    include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
    classes=1000, classifier_activation="softmax", name="efficientnetb2",
):  # fmt: skip
    """Instantiates EfficientNetB2 (260 pixels)."""
    return _scaled(1.1, 1.2, 260, 0.3, "b2", **locals())


def EfficientNetB3(
    include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
    classes=1000, classifier_activation="softmax", name="efficientnetb3",
):  # fmt: skip
    """Instantiates EfficientNetB3 (300 pixels)."""
    return _scaled(1.2, 1.4, 300, 0.3, "b3", **locals())


def EfficientNetB4(
    include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
    classes=1000, classifier_activation="softmax", name="efficientnetb4",
):  # fmt: skip
    """Instantiates EfficientNetB4 (380 pixels)."""
    return _scaled(1.4, 1.8, 380, 0.4, "b4", **locals())


def EfficientNetB5(
    include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
    classes=1000, classifier_activation="softmax", name="efficientnetb5",
):  # fmt: skip
    """Instantiates EfficientNetB5 (456 pixels)."""
    return _scaled(1.6, 2.2, 456, 0.4, "b5", **locals())


def EfficientNetB6(
    include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
    classes=1000, classifier_activation="softmax", name="efficientnetb6",
):  # fmt: skip
    """Instantiates EfficientNetB6 (528 pixels)."""
    return _scaled(1.8, 2.6, 528, 0.5, "b6", **locals())


def EfficientNetB7(
    include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
    classes=1000, classifier_activation="softmax", name="efficientnetb7",
):  # fmt: skip
    """Instantiates EfficientNetB7 (600 pixels)."""
    return _scaled(2.0, 3.1, 600, 0.5, "b7", **locals())


def preprocess_input(x, data_format=None):
    """The identity, kept for compatibility: EfficientNet models preprocess their input."""
    return x


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes per image, as ``imagenet_utils.decode_predictions``."""
    return _utils.decode_predictions(preds, top=top)
