"""``keras.applications.xception``: Xception (Chollet, 2017), depthwise separable convolutions
with residual connections (299 pixels by default, 71 at least)."""

from tensorhouse_components import keras_ops, layers

from . import imagenet_utils as _utils

__all__ = ["Xception", "decode_predictions", "preprocess_input"]

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/xception/"
WEIGHTS_PATH = _BASE + "xception_weights_tf_dim_ordering_tf_kernels.h5"
WEIGHTS_PATH_NO_TOP = _BASE + "xception_weights_tf_dim_ordering_tf_kernels_notop.h5"
_HASHES = ("0a58e3b7378bc2990ea3b43d5981f1f6", "b0042744bf5b25fce3cb969f33bebb97")


def Xception(
    include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
    classes=1000, classifier_activation="softmax", name="xception",
):  # fmt: skip
    """Instantiates the Xception architecture (``weights``: ``None``, ``"imagenet"`` or a
    file)."""
    _utils._check_weights(weights, include_top, classes, tail=".")
    input_shape = _utils.obtain_input_shape(
        input_shape, default_size=299, min_size=71,
        data_format=keras_ops.backend.image_data_format(), require_flatten=include_top,
        weights=weights,
    )  # fmt: skip
    img_input = _utils._image_input(input_tensor, input_shape)
    x = layers.Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(img_input)
    x = layers.Activation("relu", name="block1_conv1_act")(_bn(x, "block1_conv1_bn"))
    x = layers.Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = layers.Activation("relu", name="block1_conv2_act")(_bn(x, "block1_conv2_bn"))
    for block, filters in ((2, 128), (3, 256), (4, 728)):  # entry flow
        x = _down(x, block, (filters, filters), relu_first=block > 2)
    for block in range(5, 13):  # middle flow
        residual = x
        for i in (1, 2, 3):
            x = _sep(x, 728, f"block{block}_sepconv{i}")
        x = layers.add([x, residual])
    x = _down(x, 13, (728, 1024), relu_first=True)  # exit flow
    x = _sep(x, 1536, "block14_sepconv1", relu_after=True)
    x = _sep(x, 2048, "block14_sepconv2", relu_after=True)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        _utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = _utils._pool(x, pooling)
    model = _utils._model(img_input, input_tensor, x, name)
    file_name = (WEIGHTS_PATH if include_top else WEIGHTS_PATH_NO_TOP)[len(_BASE) :]
    return _utils._load(model, weights, _BASE, file_name, _HASHES[0 if include_top else 1])


def _bn(x, name=None):
    return layers.BatchNormalization(axis=_utils._channel_axis(), name=name)(x)


def _sep(x, filters, name, relu_after=False):
    """A separable 3x3 convolution and batch norm, with the ReLU before it (or after it)."""
    if not relu_after:
        x = layers.Activation("relu", name=f"{name}_act")(x)
    x = layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
    x = _bn(x, f"{name}_bn")
    return layers.Activation("relu", name=f"{name}_act")(x) if relu_after else x


def _down(x, block, filters, relu_first):
    """Two separable convolutions and a strided max pool, plus a strided 1x1 shortcut."""
    residual = layers.Conv2D(filters[1], (1, 1), strides=(2, 2), padding="same", use_bias=False)(x)
    residual = _bn(residual)
    if relu_first:
        x = _sep(x, filters[0], f"block{block}_sepconv1")
    else:  # block 2 follows a ReLU already
        x = layers.SeparableConv2D(
            filters[0], (3, 3), padding="same", use_bias=False, name=f"block{block}_sepconv1"
        )(x)
        x = _bn(x, f"block{block}_sepconv1_bn")
    x = _sep(x, filters[1], f"block{block}_sepconv2")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=f"block{block}_pool")(x)
    return layers.add([x, residual])


def preprocess_input(x, data_format=None):
    """TF-style: pixels scaled to [-1, 1]."""
    return _utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes per image, as ``imagenet_utils.decode_predictions``."""
    return _utils.decode_predictions(preds, top=top)
