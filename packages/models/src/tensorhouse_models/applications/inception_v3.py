"""``keras.applications.inception_v3``: Inception V3 (Szegedy et al., 2015), factorised
inception modules (299 pixels by default, 75 at least)."""

from tensorhouse_components import keras_ops, layers

from . import imagenet_utils as _utils

__all__ = ["InceptionV3", "decode_predictions", "preprocess_input"]

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
WEIGHTS_PATH = _BASE + "inception_v3_weights_tf_dim_ordering_tf_kernels.h5"
WEIGHTS_PATH_NO_TOP = _BASE + "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
_HASHES = ("9a0d58056eeedaa3f26cb7ebd46da564", "bcbd6486424b2319ff4ef7d526e38f63")


def InceptionV3(
    include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
    classes=1000, classifier_activation="softmax", name="inception_v3",
):  # fmt: skip
    """Instantiates the Inception v3 architecture (``weights``: ``None``, ``"imagenet"`` or a
    file)."""
    _utils._check_weights(
        weights,
        include_top,
        classes,
        "`",
        "; Received: weights={weights}",
        _utils._INCEPTION_CLASSES_ERROR,
    )
    input_shape = _utils.obtain_input_shape(
        input_shape, default_size=299, min_size=75,
        data_format=keras_ops.backend.image_data_format(), require_flatten=include_top,
        weights=weights,
    )  # fmt: skip
    img_input = _utils._image_input(input_tensor, input_shape)
    x = conv2d_bn(img_input, 32, 3, 3, strides=(2, 2), padding="valid")
    x = conv2d_bn(x, 32, 3, 3, padding="valid")
    x = conv2d_bn(x, 64, 3, 3)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = conv2d_bn(x, 80, 1, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, 3, padding="valid")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    for i, pool_filters in enumerate((32, 64, 64)):  # 35x35: mixed0-2
        b1 = conv2d_bn(x, 64, 1, 1)
        b5 = conv2d_bn(conv2d_bn(x, 48, 1, 1), 64, 5, 5)
        b3 = _chain(x, ((64, 1, 1), (96, 3, 3), (96, 3, 3)))
        x = _concat([b1, b5, b3, _avg_branch(x, pool_filters)], f"mixed{i}")
    b3 = conv2d_bn(x, 384, 3, 3, strides=(2, 2), padding="valid")  # to 17x17: mixed3
    b3dbl = conv2d_bn(_chain(x, ((64, 1, 1), (96, 3, 3))), 96, 3, 3, "valid", (2, 2))
    x = _concat([b3, b3dbl, layers.MaxPooling2D((3, 3), strides=(2, 2))(x)], "mixed3")
    for i, c in enumerate((128, 160, 160, 192)):  # 17x17: mixed4-7
        b1 = conv2d_bn(x, 192, 1, 1)
        b7 = _chain(x, ((c, 1, 1), (c, 1, 7), (192, 7, 1)))
        b7dbl = _chain(x, ((c, 1, 1), (c, 7, 1), (c, 1, 7), (c, 7, 1), (192, 1, 7)))
        x = _concat([b1, b7, b7dbl, _avg_branch(x, 192)], f"mixed{4 + i}")
    b3 = conv2d_bn(conv2d_bn(x, 192, 1, 1), 320, 3, 3, "valid", (2, 2))  # to 8x8: mixed8
    b7x3 = _chain(x, ((192, 1, 1), (192, 1, 7), (192, 7, 1)))
    b7x3 = conv2d_bn(b7x3, 192, 3, 3, strides=(2, 2), padding="valid")
    x = _concat([b3, b7x3, layers.MaxPooling2D((3, 3), strides=(2, 2))(x)], "mixed8")
    for i in range(2):  # 8x8: mixed9-10
        b1 = conv2d_bn(x, 320, 1, 1)
        b3 = conv2d_bn(x, 384, 1, 1)
        b3 = _concat([conv2d_bn(b3, 384, 1, 3), conv2d_bn(b3, 384, 3, 1)], f"mixed9_{i}")
        b3dbl = _chain(x, ((448, 1, 1), (384, 3, 3)))
        b3dbl = _concat([conv2d_bn(b3dbl, 384, 1, 3), conv2d_bn(b3dbl, 384, 3, 1)])
        x = _concat([b1, b3, b3dbl, _avg_branch(x, 192)], f"mixed{9 + i}")
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        _utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = _utils._pool(x, pooling)
    model = _utils._model(img_input, input_tensor, x, name)
    file_name = (WEIGHTS_PATH if include_top else WEIGHTS_PATH_NO_TOP)[len(_BASE) :]
    return _utils._load(model, weights, _BASE, file_name, _HASHES[0 if include_top else 1])


def conv2d_bn(x, filters, num_row, num_col, padding="same", strides=(1, 1), name=None):
    """A bias-free convolution, batch norm without scale, ReLU (``name``: the ReLU's, with
    ``_conv`` and ``_bn`` for the others)."""
    x = layers.Conv2D(
        filters, (num_row, num_col), strides=strides, padding=padding, use_bias=False,
        name=None if name is None else f"{name}_conv",
    )(x)  # fmt: skip
    x = layers.BatchNormalization(
        axis=_utils._channel_axis(), scale=False, name=None if name is None else f"{name}_bn"
    )(x)
    return layers.Activation("relu", name=name)(x)


def _chain(x, specs):
    for filters, rows, cols in specs:
        x = conv2d_bn(x, filters, rows, cols)
    return x


def _avg_branch(x, filters):
    x = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)
    return conv2d_bn(x, filters, 1, 1)


def _concat(branches, name=None):
    return layers.concatenate(branches, axis=_utils._channel_axis(), name=name)


def preprocess_input(x, data_format=None):
    """TF-style: pixels scaled to [-1, 1]."""
    return _utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes per image, as ``imagenet_utils.decode_predictions``."""
    return _utils.decode_predictions(preds, top=top)
