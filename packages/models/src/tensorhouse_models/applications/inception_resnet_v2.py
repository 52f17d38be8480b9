"""``keras.applications.inception_resnet_v2``: Inception-ResNet V2 (Szegedy et al., 2016),
inception modules with scaled residual connections (299 pixels by default, 75 at least)."""

from tensorhouse_components import keras_ops, layers

from . import imagenet_utils as _utils

__all__ = ["InceptionResNetV2", "decode_predictions", "preprocess_input"]

BASE_WEIGHT_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/inception_resnet_v2/"
)
_HASHES = ("e693bd0210a403b3192acc6073ad2e96", "d19885ff4a710c122648d3b5c3b684e4")


def InceptionResNetV2(
    include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
    classes=1000, classifier_activation="softmax", name="inception_resnet_v2",
):  # fmt: skip
    """Instantiates the Inception-ResNet v2 architecture (``weights``: ``None``,
    ``"imagenet"`` or a file)."""
    _utils._check_weights(weights, include_top, classes, "`", ".", _utils._INCEPTION_CLASSES_ERROR)
    input_shape = _utils.obtain_input_shape(
        input_shape, default_size=299, min_size=75,
        data_format=keras_ops.backend.image_data_format(), require_flatten=include_top,
        weights=weights,
    )  # fmt: skip
    img_input = _utils._image_input(input_tensor, input_shape)
    x = conv2d_bn(img_input, 32, 3, strides=2, padding="valid")  # stem
    x = conv2d_bn(x, 32, 3, padding="valid")
    x = conv2d_bn(x, 64, 3)
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = conv2d_bn(x, 80, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, padding="valid")
    x = layers.MaxPooling2D(3, strides=2)(x)
    branches = [conv2d_bn(x, 96, 1), _chain(x, ((48, 1), (64, 5))),
                _chain(x, ((64, 1), (96, 3), (96, 3)))]  # fmt: skip
    pool = layers.AveragePooling2D(3, strides=1, padding="same")(x)
    x = _concat([*branches, conv2d_bn(pool, 64, 1)], "mixed_5b")
    for block_idx in range(1, 11):  # 35x35
        x = inception_resnet_block(x, scale=0.17, block_type="block35", block_idx=block_idx)
    branches = [
        conv2d_bn(x, 384, 3, strides=2, padding="valid"),
        conv2d_bn(_chain(x, ((256, 1), (256, 3))), 384, 3, strides=2, padding="valid"),
        layers.MaxPooling2D(3, strides=2, padding="valid")(x),
    ]
    x = _concat(branches, "mixed_6a")
    for block_idx in range(1, 21):  # 17x17
        x = inception_resnet_block(x, scale=0.1, block_type="block17", block_idx=block_idx)
    branches = [
        conv2d_bn(conv2d_bn(x, 256, 1), 384, 3, strides=2, padding="valid"),
        conv2d_bn(conv2d_bn(x, 256, 1), 288, 3, strides=2, padding="valid"),
        conv2d_bn(_chain(x, ((256, 1), (288, 3))), 320, 3, strides=2, padding="valid"),
        layers.MaxPooling2D(3, strides=2, padding="valid")(x),
    ]
    x = _concat(branches, "mixed_7a")
    for block_idx in range(1, 10):  # 8x8
        x = inception_resnet_block(x, scale=0.2, block_type="block8", block_idx=block_idx)
    x = inception_resnet_block(x, scale=1.0, activation=None, block_type="block8", block_idx=10)
    x = conv2d_bn(x, 1536, 1, name="conv_7b")
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        _utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = _utils._pool(x, pooling)
    model = _utils._model(img_input, input_tensor, x, name)
    top = "" if include_top else "_notop"
    file_name = f"inception_resnet_v2_weights_tf_dim_ordering_tf_kernels{top}.h5"
    return _utils._load(
        model, weights, BASE_WEIGHT_URL, file_name, _HASHES[0 if include_top else 1]
    )


class CustomScaleLayer(layers.Layer):
    """``inputs[0] + inputs[1] * scale``: the residual branch scaled down before the add."""

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}

    def call(self, inputs):
        return inputs[0] + inputs[1] * self.scale


def conv2d_bn(
    x, filters, kernel_size, strides=1, padding="same", activation="relu", use_bias=False,
    name=None,
):  # fmt: skip
    """A convolution, then (without a bias) batch norm without scale, then ``activation``
    (``name``: the convolution's, with ``_bn`` and ``_ac`` for the others)."""
    x = layers.Conv2D(
        filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias, name=name
    )(x)
    if not use_bias:
        x = layers.BatchNormalization(
            axis=_utils._channel_axis(), scale=False, name=None if name is None else f"{name}_bn"
        )(x)
    if activation is not None:
        x = layers.Activation(activation, name=None if name is None else f"{name}_ac")(x)
    return x


_BRANCHES = {  # per block type: each branch's (filters, kernel size) chain
    "block35": (((32, 1),), ((32, 1), (32, 3)), ((32, 1), (48, 3), (64, 3))),
    "block17": (((192, 1),), ((128, 1), (160, [1, 7]), (192, [7, 1]))),
    "block8": (((192, 1),), ((192, 1), (224, [1, 3]), (256, [3, 1]))),
}


def inception_resnet_block(x, scale, block_type, block_idx, activation="relu"):
    """The block's branches concatenated, projected back to ``x``'s channels by a 1x1
    convolution with a bias, scaled by ``scale`` and added to ``x``."""
    if block_type not in _BRANCHES:
        raise ValueError(
            'Unknown Inception-ResNet block type. Expects "block35", "block17" or "block8", '
            f"but got: {block_type}"
        )
    branches = [_chain(x, chain) for chain in _BRANCHES[block_type]]
    block_name = f"{block_type}_{block_idx}"
    mixed = _concat(branches, f"{block_name}_mixed")
    channels = x.shape[_utils._channel_axis()]
    up = conv2d_bn(mixed, channels, 1, activation=None, use_bias=True, name=f"{block_name}_conv")
    x = CustomScaleLayer(scale)([x, up])
    if activation is not None:
        x = layers.Activation(activation, name=f"{block_name}_ac")(x)
    return x


def _chain(x, specs):
    for filters, kernel_size in specs:
        x = conv2d_bn(x, filters, kernel_size)
    return x


def _concat(branches, name):
    return layers.Concatenate(axis=_utils._channel_axis(), name=name)(branches)


def preprocess_input(x, data_format=None):
    """TF-style: pixels scaled to [-1, 1]."""
    return _utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes per image, as ``imagenet_utils.decode_predictions``."""
    return _utils.decode_predictions(preds, top=top)
