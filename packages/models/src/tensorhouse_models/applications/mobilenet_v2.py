"""``keras.applications.mobilenet_v2``: MobileNetV2 (Sandler et al., 2018), inverted residual
blocks with linear bottlenecks."""

import warnings

from tensorhouse_components import keras_ops, layers

from . import imagenet_utils as _utils

__all__ = ["MobileNetV2", "decode_predictions", "preprocess_input"]

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"
_BLOCKS = (  # (filters, stride, expansion) of blocks 0 to 16
    (16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6), (64, 2, 6),
    (64, 1, 6), (64, 1, 6), (64, 1, 6), (96, 1, 6), (96, 1, 6), (96, 1, 6), (160, 2, 6),
    (160, 1, 6), (160, 1, 6), (320, 1, 6),
)  # fmt: skip
_SIZES = [96, 128, 160, 192, 224]


def MobileNetV2(
    input_shape=None, alpha=1.0, include_top=True, weights="imagenet", input_tensor=None,
    pooling=None, classes=1000, classifier_activation="softmax", name=None,
):  # fmt: skip
    """Instantiates the MobileNetV2 architecture (``weights``: ``None``, ``"imagenet"`` or a
    file; ImageNet weights exist for ``alpha`` in 0.35, 0.5, 0.75, 1, 1.3, 1.4 at 96 to 224
    pixels)."""
    _utils._check_weights(
        weights, include_top, classes, "`", ".  Received `weights={weights}`",
        'If using `weights="imagenet"` with `include_top` as true, `classes` should be 1000. '
        "Received `classes={classes}`",
    )  # fmt: skip
    first = keras_ops.backend.image_data_format() == "channels_first"
    default_size = 224
    if input_shape is not None:
        rows, cols = input_shape[1:3] if first else input_shape[:2]
    elif keras_ops.backend.is_keras_tensor(input_tensor):
        rows, cols = input_tensor.shape[2:4] if first else input_tensor.shape[1:3]
    else:
        rows = cols = None
    if rows == cols and rows in _SIZES:
        default_size = rows
    input_shape = _utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=32,
        data_format=keras_ops.backend.image_data_format(), require_flatten=include_top,
        weights=weights,
    )  # fmt: skip
    rows, cols = input_shape[1:3] if first else input_shape[:2]
    if weights == "imagenet":
        if alpha not in [0.35, 0.50, 0.75, 1.0, 1.3, 1.4]:
            raise ValueError(
                "If imagenet weights are being loaded, alpha must be one of `0.35`, `0.50`, "
                f"`0.75`, `1.0`, `1.3` or `1.4` only; Received `alpha={alpha}`"
            )
        if rows != cols or rows not in _SIZES:
            rows = 224
            warnings.warn(
                "`input_shape` is undefined or non-square, or `rows` is not in "
                "[96, 128, 160, 192, 224]. Weights for input shape (224, 224) will be loaded "
                "as the default.",
                stacklevel=2,
            )
    img_input = _utils._image_input(input_tensor, input_shape)
    x = layers.Conv2D(
        _make_divisible(32 * alpha, 8), kernel_size=3, strides=(2, 2), padding="same",
        use_bias=False, name="Conv1",
    )(img_input)  # fmt: skip
    x = layers.ReLU(6.0, name="Conv1_relu")(_bn(x, "bn_Conv1"))
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = _inverted_res_block(x, expansion, stride, alpha, filters, block_id)
    # the last convolution widens only, never narrows (alpha > 1 only), as in the paper
    last = _make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = layers.Conv2D(last, kernel_size=1, use_bias=False, name="Conv_1")(x)
    x = layers.ReLU(6.0, name="out_relu")(_bn(x, "Conv_1_bn"))
    if include_top:
        x = layers.GlobalAveragePooling2D()(x)
        _utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = _utils._pool(x, pooling)
    model = _utils._model(img_input, input_tensor, x, name or f"mobilenetv2_{alpha:0.2f}_{rows}")
    top = "" if include_top else "_no_top"
    file_name = f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}{top}.h5"
    return _utils._load(model, weights, BASE_WEIGHT_PATH, file_name)


def _bn(x, name):
    return layers.BatchNormalization(
        axis=_utils._channel_axis(), epsilon=1e-3, momentum=0.999, name=name
    )(x)


def _inverted_res_block(inputs, expansion, stride, alpha, filters, block_id):
    """1x1 expansion (not in block 0), 3x3 depthwise, linear 1x1 projection; a residual add
    when the shape is kept."""
    in_channels = inputs.shape[_utils._channel_axis()]
    pointwise_filters = _make_divisible(int(filters * alpha), 8)
    x = inputs
    prefix = f"block_{block_id}_" if block_id else "expanded_conv_"
    if block_id:
        x = layers.Conv2D(
            expansion * in_channels, kernel_size=1, padding="same", use_bias=False,
            activation=None, name=f"{prefix}expand",
        )(x)  # fmt: skip
        x = layers.ReLU(6.0, name=f"{prefix}expand_relu")(_bn(x, f"{prefix}expand_BN"))
    if stride == 2:
        x = layers.ZeroPadding2D(padding=_utils.correct_pad(x, 3), name=f"{prefix}pad")(x)
    x = layers.DepthwiseConv2D(
        kernel_size=3, strides=stride, activation=None, use_bias=False,
        padding="same" if stride == 1 else "valid", name=f"{prefix}depthwise",
    )(x)  # fmt: skip
    x = layers.ReLU(6.0, name=f"{prefix}depthwise_relu")(_bn(x, f"{prefix}depthwise_BN"))
    x = layers.Conv2D(
        pointwise_filters, kernel_size=1, padding="same", use_bias=False, activation=None,
        name=f"{prefix}project",
    )(x)  # fmt: skip
    x = _bn(x, f"{prefix}project_BN")
    if in_channels == pointwise_filters and stride == 1:
        return layers.Add(name=f"{prefix}add")([inputs, x])
    return x


def _make_divisible(v, divisor, min_value=None):
    """``v`` rounded to a multiple of ``divisor``, never more than 10% below ``v``."""
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def preprocess_input(x, data_format=None):
    """TF-style: pixels scaled to [-1, 1]."""
    return _utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes per image, as ``imagenet_utils.decode_predictions``."""
    return _utils.decode_predictions(preds, top=top)
