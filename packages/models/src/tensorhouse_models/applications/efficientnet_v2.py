"""``keras.applications.efficientnet_v2``: EfficientNetV2 B0-B3, S, M and L (Tan and Le, 2021),
fused and depthwise MBConv stages; the model rescales (and for B0-B3 normalises) its own
input."""

import copy
import math

from tensorhouse_components import initializers, keras_ops, layers

from . import imagenet_utils as _utils
from .efficientnet import _CLASSES_ERROR, CONV_KERNEL_INITIALIZER, DENSE_KERNEL_INITIALIZER

__all__ = [
    "EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3",
    "EfficientNetV2L", "EfficientNetV2M", "EfficientNetV2S", "decode_predictions",
    "preprocess_input",
]  # fmt: skip

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/efficientnet_v2/"
WEIGHTS_HASHES = {  # (with the top, without)
    "b0": ("21ecbf6da12460d5c40bb2f29ceb2188", "893217f2bb855e2983157299931e43ff"),
    "b1": ("069f0534ff22adf035c89e2d9547a9dc", "0e80663031ca32d657f9caa404b6ec37"),
    "b2": ("424e49f28180edbde1e94797771950a7", "1dfe2e7a5d45b6632553a8961ea609eb"),
    "b3": ("1f1fc43bd98a6e4fd8fdfd551e02c7a0", "f6abf7b5849ac99a89b50dd3fd532856"),
    "-s": ("e1d88a8495beba45748fedd0cecbe016", "af0682fb74e8c54910f2d4393339c070"),
    "-m": ("a3bf6aa3276309f4fc6a34aa114c95cd", "1b8dc055df72dde80d614482840fe342"),
    "-l": ("27e6d408b53c7ebc868fefa357689935", "b0b66b5c863aef5b46e8608fe1711615"),
}
_KEYS = ("num_repeat", "input_filters", "output_filters", "expand_ratio", "se_ratio", "strides",
         "conv_type")  # fmt: skip
_B = (  # conv_type 1: fused (a full convolution expands); 0: 1x1 expand, depthwise 3x3
    (1, 32, 16, 1, 0, 1, 1), (2, 16, 32, 4, 0, 2, 1), (2, 32, 48, 4, 0, 2, 1),
    (3, 48, 96, 4, 0.25, 2, 0), (5, 96, 112, 6, 0.25, 1, 0), (8, 112, 192, 6, 0.25, 2, 0),
)  # fmt: skip
_TABLES = {
    "efficientnetv2-s": (
        (2, 24, 24, 1, 0.0, 1, 1), (4, 24, 48, 4, 0.0, 2, 1), (4, 48, 64, 4, 0, 2, 1),
        (6, 64, 128, 4, 0.25, 2, 0), (9, 128, 160, 6, 0.25, 1, 0),
        (15, 160, 256, 6, 0.25, 2, 0),
    ),
    "efficientnetv2-m": (
        (3, 24, 24, 1, 0, 1, 1), (5, 24, 48, 4, 0, 2, 1), (5, 48, 80, 4, 0, 2, 1),
        (7, 80, 160, 4, 0.25, 2, 0), (14, 160, 176, 6, 0.25, 1, 0),
        (18, 176, 304, 6, 0.25, 2, 0), (5, 304, 512, 6, 0.25, 1, 0),
    ),
    "efficientnetv2-l": (
        (4, 32, 32, 1, 0, 1, 1), (7, 32, 64, 4, 0, 2, 1), (7, 64, 96, 4, 0, 2, 1),
        (10, 96, 192, 4, 0.25, 2, 0), (19, 192, 224, 6, 0.25, 1, 0),
        (25, 224, 384, 6, 0.25, 2, 0), (7, 384, 640, 6, 0.25, 1, 0),
    ),
    **{f"efficientnetv2-b{i}": _B for i in range(4)},
}  # fmt: skip
DEFAULT_BLOCKS_ARGS = {
    name: [{"kernel_size": 3, **dict(zip(_KEYS, row))} for row in rows]
    for name, rows in _TABLES.items()
}


def round_filters(filters, width_coefficient, min_depth, depth_divisor):
    """``filters`` scaled by the width and rounded to a multiple of ``depth_divisor``."""
    filters *= width_coefficient
    minimum = min_depth or depth_divisor
    return int(max(minimum, int(filters + depth_divisor / 2) // depth_divisor * depth_divisor))


def round_repeats(repeats, depth_coefficient):
    """A stage's block count scaled by the depth, rounded up."""
    return int(math.ceil(depth_coefficient * repeats))


def MBConvBlock(
    input_filters, output_filters, expand_ratio=1, kernel_size=3, strides=1, se_ratio=0.0,
    bn_momentum=0.9, activation="swish", survival_probability=0.8, name=None,
):  # fmt: skip
    """A 1x1 expansion, a depthwise convolution, squeeze-and-excite, a 1x1 projection."""
    return _block(False, **locals())


def FusedMBConvBlock(
    input_filters, output_filters, expand_ratio=1, kernel_size=3, strides=1, se_ratio=0.0,
    bn_momentum=0.9, activation="swish", survival_probability=0.8, name=None,
):  # fmt: skip
    """One full convolution in place of the expansion and the depthwise one (a 1x1
    projection after it unless ``expand_ratio`` is 1)."""
    return _block(True, **locals())


def _block(
    fused, input_filters, output_filters, expand_ratio, kernel_size, strides, se_ratio,
    bn_momentum, activation, survival_probability, name,
):  # fmt: skip
    bn_axis = 3 if _utils._channel_axis() == -1 else 1
    if name is None:
        name = keras_ops.backend.get_uid("block0")

    def bn(x, suffix):
        return layers.BatchNormalization(
            axis=bn_axis, momentum=bn_momentum, name=f"{name}{suffix}"
        )(x)

    def conv(x, filters, size, stride, suffix, **kwargs):
        return layers.Conv2D(
            filters, size, strides=stride, kernel_initializer=CONV_KERNEL_INITIALIZER,
            padding="same", name=f"{name}{suffix}", **kwargs,
        )(x)  # fmt: skip

    def apply(inputs):
        filters = input_filters * expand_ratio
        x = inputs
        if expand_ratio != 1:
            size, stride = (kernel_size, strides) if fused else (1, 1)
            x = conv(x, filters, size, stride, "expand_conv", use_bias=False)
            x = layers.Activation(activation, name=f"{name}expand_activation")(bn(x, "expand_bn"))
        if not fused:
            x = layers.DepthwiseConv2D(
                kernel_size, strides=strides, depthwise_initializer=CONV_KERNEL_INITIALIZER,
                padding="same", use_bias=False, name=f"{name}dwconv2",
            )(x)  # fmt: skip
            x = layers.Activation(activation, name=f"{name}activation")(bn(x, "bn"))
        if 0 < se_ratio <= 1:
            se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
            shape = (filters, 1, 1) if bn_axis == 1 else (1, 1, filters)
            se = layers.Reshape(shape, name=f"{name}se_reshape")(se)
            reduced = max(1, int(input_filters * se_ratio))
            se = conv(se, reduced, 1, 1, "se_reduce", activation=activation)
            se = conv(se, filters, 1, 1, "se_expand", activation="sigmoid")
            x = layers.multiply([x, se], name=f"{name}se_excite")
        size, stride = (kernel_size, strides) if fused and expand_ratio == 1 else (1, 1)
        x = bn(conv(x, output_filters, size, stride, "project_conv", use_bias=False), "project_bn")
        if fused and expand_ratio == 1:
            x = layers.Activation(activation, name=f"{name}project_activation")(x)
        if strides == 1 and input_filters == output_filters:
            if survival_probability:
                x = layers.Dropout(
                    survival_probability, noise_shape=(None, 1, 1, 1), name=f"{name}drop"
                )(x)
            x = layers.add([x, inputs], name=f"{name}add")
        return x

    return apply


def EfficientNetV2(
    width_coefficient, depth_coefficient, default_size, dropout_rate=0.2,
    drop_connect_rate=0.2, depth_divisor=8, min_depth=8, bn_momentum=0.9, activation="swish",
    blocks_args="default", name="efficientnetv2", include_top=True, weights="imagenet",
    input_tensor=None, input_shape=None, pooling=None, classes=1000,
    classifier_activation="softmax", include_preprocessing=True, weights_name=None,
):  # fmt: skip
    """An EfficientNetV2 of ``blocks_args`` stages (by default the table of ``name``), scaled
    by ``width_coefficient`` (channels) and ``depth_coefficient`` (block repeats)."""
    if blocks_args == "default":
        blocks_args = DEFAULT_BLOCKS_ARGS[name]
    _utils._check_weights(
        weights, include_top, classes, "`", ".Received: weights={weights}", _CLASSES_ERROR
    )
    input_shape = _utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=32,
        data_format=keras_ops.backend.image_data_format(), require_flatten=include_top,
        weights=weights,
    )  # fmt: skip
    img_input = _utils._image_input(input_tensor, input_shape)
    bn_axis = 3 if _utils._channel_axis() == -1 else 1
    x = img_input
    if include_preprocessing:
        if name.split("-")[-1].startswith("b") and input_shape[bn_axis - 1] == 3:
            x = layers.Rescaling(scale=1.0 / 255)(x)
            x = layers.Normalization(
                mean=[0.485, 0.456, 0.406], variance=[0.229**2, 0.224**2, 0.225**2],
                axis=bn_axis,
            )(x)  # fmt: skip
        else:
            x = layers.Rescaling(scale=1.0 / 128.0, offset=-1)(x)

    def rounded(filters):
        return round_filters(filters, width_coefficient, min_depth, depth_divisor)

    x = layers.Conv2D(
        rounded(blocks_args[0]["input_filters"]), 3, strides=2, padding="same", use_bias=False,
        kernel_initializer=CONV_KERNEL_INITIALIZER, name="stem_conv",
    )(x)  # fmt: skip
    x = layers.BatchNormalization(axis=bn_axis, momentum=bn_momentum, name="stem_bn")(x)
    x = layers.Activation(activation, name="stem_activation")(x)
    blocks_args = copy.deepcopy(blocks_args)
    b = 0
    blocks = float(sum(args["num_repeat"] for args in blocks_args))
    for i, args in enumerate(blocks_args):
        if args["num_repeat"] <= 0:
            raise ValueError(
                "The number of repeats in `EfficientNetV2` must be > 0. "
                f"Received: num_repeat={args['num_repeat']}"
            )
        args["input_filters"] = rounded(args["input_filters"])
        args["output_filters"] = rounded(args["output_filters"])
        block = (MBConvBlock, FusedMBConvBlock)[args.pop("conv_type")]
        for j in range(round_repeats(args.pop("num_repeat"), depth_coefficient)):
            if j > 0:
                args["strides"], args["input_filters"] = 1, args["output_filters"]
            x = block(
                activation=activation, bn_momentum=bn_momentum,
                survival_probability=drop_connect_rate * b / blocks,
                name=f"block{i + 1}{chr(j + 97)}_", **args,
            )(x)  # fmt: skip
            b += 1
    x = layers.Conv2D(
        rounded(1280), 1, padding="same", use_bias=False,
        kernel_initializer=CONV_KERNEL_INITIALIZER, name="top_conv",
    )(x)  # fmt: skip
    x = layers.BatchNormalization(axis=bn_axis, momentum=bn_momentum, name="top_bn")(x)
    x = layers.Activation(activation, name="top_activation")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate, name="top_dropout")(x)
        _utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(
            classes, activation=classifier_activation,
            kernel_initializer=DENSE_KERNEL_INITIALIZER,
            bias_initializer=initializers.Constant(0.0), name="predictions",
        )(x)  # fmt: skip
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)
    model = _utils._model(img_input, input_tensor, x, name)
    file_hash = WEIGHTS_HASHES.get(weights_name, (None, None))[0 if include_top else 1]
    file_name = name + (".h5" if include_top else "_notop.h5")
    return _utils._load(model, weights, BASE_WEIGHTS_PATH, file_name, file_hash)


def _variant(weights_name, width, depth, size, kwargs):
    return EfficientNetV2(
        width_coefficient=width, depth_coefficient=depth, default_size=size,
        weights_name=weights_name, **kwargs,
    )  # fmt: skip


def EfficientNetV2B0(
    include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
    classes=1000, classifier_activation="softmax", include_preprocessing=True,
    name="efficientnetv2-b0",
):  # fmt: skip
    """Instantiates the EfficientNetV2B0 architecture (``weights``: ``None``, ``"imagenet"``
    or a file)."""
    return _variant("b0", 1.0, 1.0, 224, locals())


def EfficientNetV2B1(
    include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
    classes=1000, classifier_activation="softmax", include_preprocessing=True,
    name="efficientnetv2-b1",
):  # fmt: skip
    """Instantiates the EfficientNetV2B1 architecture."""
    return _variant("b1", 1.0, 1.1, 240, locals())


def EfficientNetV2B2(
    include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
    classes=1000, classifier_activation="softmax", include_preprocessing=True,
    name="efficientnetv2-b2",
):  # fmt: skip
    """Instantiates the EfficientNetV2B2 architecture."""
    return _variant("b2", 1.1, 1.2, 260, locals())


def EfficientNetV2B3(
    include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
    classes=1000, classifier_activation="softmax", include_preprocessing=True,
    name="efficientnetv2-b3",
):  # fmt: skip
    """Instantiates the EfficientNetV2B3 architecture."""
    return _variant("b3", 1.2, 1.4, 300, locals())


def EfficientNetV2S(
    include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
    classes=1000, classifier_activation="softmax", include_preprocessing=True,
    name="efficientnetv2-s",
):  # fmt: skip
    """Instantiates the EfficientNetV2S architecture."""
    return _variant("-s", 1.0, 1.0, 384, locals())


def EfficientNetV2M(
    include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
    classes=1000, classifier_activation="softmax", include_preprocessing=True,
    name="efficientnetv2-m",
):  # fmt: skip
    """Instantiates the EfficientNetV2M architecture."""
    return _variant("-m", 1.0, 1.0, 480, locals())


def EfficientNetV2L(
    include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
    classes=1000, classifier_activation="softmax", include_preprocessing=True,
    name="efficientnetv2-l",
):  # fmt: skip
    """Instantiates the EfficientNetV2L architecture."""
    return _variant("-l", 1.0, 1.0, 480, locals())


def preprocess_input(x, data_format=None):
    """Returns ``x`` unchanged: the rescaling is the model's first layers (kept for the API's
    shape, as in Keras)."""
    return x


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes per image, as ``imagenet_utils.decode_predictions``."""
    return _utils.decode_predictions(preds, top=top)
