"""``keras.applications.mobilenet``: MobileNet (Howard et al., 2017), depthwise separable
convolutions with a width multiplier ``alpha``."""

import warnings

from tensorhouse_components import keras_ops, layers

from . import imagenet_utils as _utils

__all__ = ["MobileNet", "decode_predictions", "preprocess_input"]

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/"
_BLOCKS = (  # (pointwise filters, stride) of blocks 1 to 13
    (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1),
    (512, 1), (512, 1), (1024, 2), (1024, 1),
)  # fmt: skip


def MobileNet(
    input_shape=None, alpha=1.0, depth_multiplier=1, dropout=1e-3, include_top=True,
    weights="imagenet", input_tensor=None, pooling=None, classes=1000,
    classifier_activation="softmax", name=None,
):  # fmt: skip
    """Instantiates the MobileNet architecture (``weights``: ``None``, ``"imagenet"`` or a
    file; ImageNet weights exist for ``alpha`` in 0.25, 0.5, 0.75, 1 at 128 to 224 pixels)."""
    _utils._check_weights(weights, include_top, classes, tail=". Received weights={weights}")
    first = keras_ops.backend.image_data_format() == "channels_first"
    default_size = 224
    if input_shape is not None:
        rows, cols = input_shape[1:3] if first else input_shape[:2]
        if rows == cols and rows in [128, 160, 192, 224]:
            default_size = rows
    input_shape = _utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=32,
        data_format=keras_ops.backend.image_data_format(), require_flatten=include_top,
        weights=weights,
    )  # fmt: skip
    rows, cols = input_shape[1:3] if first else input_shape[:2]
    if weights == "imagenet":
        if depth_multiplier != 1:
            raise ValueError(
                "If imagenet weights are being loaded, depth multiplier must be 1.  "
                f"Received depth_multiplier={depth_multiplier}"
            )
        if alpha not in [0.25, 0.50, 0.75, 1.0]:
            raise ValueError(
                "If imagenet weights are being loaded, alpha can be one of`0.25`, `0.50`, "
                f"`0.75` or `1.0` only.  Received alpha={alpha}"
            )
        if rows != cols or rows not in [128, 160, 192, 224]:
            rows = 224
            warnings.warn(
                "`input_shape` is undefined or non-square, or `rows` is not in "
                "[128, 160, 192, 224]. Weights for input shape (224, 224) will be loaded as "
                "the default.",
                stacklevel=2,
            )
    img_input = _utils._image_input(input_tensor, input_shape)
    axis = _utils._channel_axis()
    x = layers.Conv2D(
        int(32 * alpha), (3, 3), padding="same", use_bias=False, strides=(2, 2), name="conv1"
    )(img_input)
    x = layers.ReLU(6.0, name="conv1_relu")(
        layers.BatchNormalization(axis=axis, name="conv1_bn")(x)
    )
    for block_id, (filters, stride) in enumerate(_BLOCKS, 1):
        x = _depthwise_conv_block(x, filters, alpha, depth_multiplier, stride, block_id)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        _utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    else:
        x = _utils._pool(x, pooling)
    model = _utils._model(img_input, input_tensor, x, name or f"mobilenet_{alpha:0.2f}_{rows}")
    alpha_text = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0"}.get(alpha, "2_5")
    file_name = f"mobilenet_{alpha_text}_{rows}_tf{'' if include_top else '_no_top'}.h5"
    return _utils._load(model, weights, BASE_WEIGHT_PATH, file_name)


def _depthwise_conv_block(inputs, filters, alpha, depth_multiplier, stride, block_id):
    """A 3x3 depthwise convolution, then a 1x1 one, each with batch norm and ReLU6."""
    axis = _utils._channel_axis()
    x = inputs
    if stride != 1:
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
    x = layers.DepthwiseConv2D(
        (3, 3), padding="same" if stride == 1 else "valid", depth_multiplier=depth_multiplier,
        strides=(stride, stride), use_bias=False, name=f"conv_dw_{block_id}",
    )(x)  # fmt: skip
    x = layers.BatchNormalization(axis=axis, name=f"conv_dw_{block_id}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = layers.Conv2D(
        int(filters * alpha), (1, 1), padding="same", use_bias=False, strides=(1, 1),
        name=f"conv_pw_{block_id}",
    )(x)  # fmt: skip
    x = layers.BatchNormalization(axis=axis, name=f"conv_pw_{block_id}_bn")(x)
    return layers.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


def preprocess_input(x, data_format=None):
    """TF-style: pixels scaled to [-1, 1]."""
    return _utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes per image, as ``imagenet_utils.decode_predictions``."""
    return _utils.decode_predictions(preds, top=top)
