"""``keras.applications.mobilenet_v3``: MobileNetV3Small and MobileNetV3Large (Howard et al.,
2019): inverted residual blocks with squeeze-and-excite and hard-swish; the model rescales its
own input (``include_preprocessing``)."""

import warnings

from tensorhouse_components import keras_ops, layers

from . import imagenet_utils as _utils

__all__ = ["MobileNetV3Large", "MobileNetV3Small", "decode_predictions", "preprocess_input"]

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v3/"
WEIGHTS_HASHES = {  # (with the top, without)
    "large_224_0.75_float": (
        "765b44a33ad4005b3ac83185abf1d0eb", "40af19a13ebea4e2ee0c676887f69a2e",
    ),
    "large_224_1.0_float": (
        "59e551e166be033d707958cf9e29a6a7", "07fb09a5933dd0c8eaafa16978110389",
    ),
    "large_minimalistic_224_1.0_float": (
        "675e7b876c45c57e9e63e6d90a36599c", "ec5221f64a2f6d1ef965a614bdae7973",
    ),
    "small_224_0.75_float": (
        "cb65d4e5be93758266aa0a7f2c6708b7", "ebdb5cc8e0b497cd13a7c275d475c819",
    ),
    "small_224_1.0_float": (
        "8768d4c2e7dee89b9d02b2d03d65d862", "d3e8ec802a04aa4fc771ee12a9a9b836",
    ),
    "small_minimalistic_224_1.0_float": (
        "99cd97fb2fcdad2bf028eb838de69e37", "cde8136e733e811080d9fcd8a252f7e4",
    ),
}  # fmt: skip
# (expansion, filters, kernel ("k": 5, 3 when minimalistic), stride, squeeze-excite, activation
# ("hs": hard-swish, relu when minimalistic)) of each block
_SMALL = (
    (1, 16, 3, 2, True, "relu"), (72 / 16, 24, 3, 2, False, "relu"),
    (88 / 24, 24, 3, 1, False, "relu"), (4, 40, "k", 2, True, "hs"), (6, 40, "k", 1, True, "hs"),
    (6, 40, "k", 1, True, "hs"), (3, 48, "k", 1, True, "hs"), (3, 48, "k", 1, True, "hs"),
    (6, 96, "k", 2, True, "hs"), (6, 96, "k", 1, True, "hs"), (6, 96, "k", 1, True, "hs"),
)  # fmt: skip
_LARGE = (
    (1, 16, 3, 1, False, "relu"), (4, 24, 3, 2, False, "relu"), (3, 24, 3, 1, False, "relu"),
    (3, 40, "k", 2, True, "relu"), (3, 40, "k", 1, True, "relu"), (3, 40, "k", 1, True, "relu"),
    (6, 80, 3, 2, False, "hs"), (2.5, 80, 3, 1, False, "hs"), (2.3, 80, 3, 1, False, "hs"),
    (2.3, 80, 3, 1, False, "hs"), (6, 112, 3, 1, True, "hs"), (6, 112, 3, 1, True, "hs"),
    (6, 160, "k", 2, True, "hs"), (6, 160, "k", 1, True, "hs"), (6, 160, "k", 1, True, "hs"),
)  # fmt: skip


def MobileNetV3(
    blocks, last_point_ch, input_shape=None, alpha=1.0, model_type="large", minimalistic=False,
    include_top=True, weights="imagenet", input_tensor=None, classes=1000, pooling=None,
    dropout_rate=0.2, classifier_activation="softmax", include_preprocessing=True, name=None,
):  # fmt: skip
    """The MobileNetV3 body around ``blocks`` (``_SMALL`` or ``_LARGE``)."""
    _utils._check_weights(weights, include_top, classes)
    first = keras_ops.backend.image_data_format() == "channels_first"
    if input_shape is None and keras_ops.backend.is_keras_tensor(input_tensor):
        rows, cols = input_tensor.shape[2:4] if first else input_tensor.shape[1:3]
        input_shape = (3, cols, rows) if first else (cols, rows, 3)  # (sic: Keras's order)
    if input_shape is None:
        input_shape = (3, None, None) if first else (None, None, 3)
    rows, cols = input_shape[1:3] if first else input_shape[:2]
    if rows and cols and (rows < 32 or cols < 32):
        raise ValueError(f"Input size must be at least 32x32; Received `input_shape={input_shape}`")
    if weights == "imagenet":
        if alpha not in ([1.0] if minimalistic else [0.75, 1.0]):
            raise ValueError(
                "If imagenet weights are being loaded, alpha can be one of `0.75`, `1.0` for "
                "non minimalistic or `1.0` for minimalistic only."
            )
        if rows != cols or rows != 224:
            warnings.warn(
                "`input_shape` is undefined or non-square, or `rows` is not 224. Weights for "
                "input shape (224, 224) will be loaded as the default.",
                stacklevel=2,
            )
    x = img_input = _utils._image_input(input_tensor, input_shape)
    kernel, activation, se = (3, _relu, False) if minimalistic else (5, _hard_swish, True)
    if include_preprocessing:
        x = layers.Rescaling(scale=1.0 / 127.5, offset=-1.0)(x)
    x = layers.Conv2D(16, 3, strides=(2, 2), padding="same", use_bias=False, name="conv")(x)
    x = activation(_bn(x, "conv_bn"))
    for block_id, (expansion, filters, k, stride, squeeze, act) in enumerate(blocks):
        x = _inverted_res_block(
            x, expansion, _depth(filters * alpha), kernel if k == "k" else k, stride,
            0.25 if squeeze and se else None, activation if act == "hs" else _relu, block_id,
        )  # fmt: skip
    last_conv_ch = _depth(x.shape[_utils._channel_axis()] * 6)
    if alpha > 1.0:
        last_point_ch = _depth(last_point_ch * alpha)
    x = layers.Conv2D(last_conv_ch, 1, padding="same", use_bias=False, name="conv_1")(x)
    x = activation(_bn(x, "conv_1_bn"))
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Conv2D(last_point_ch, 1, padding="same", use_bias=True, name="conv_2")(x)
        x = activation(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate)(x)
        x = layers.Flatten()(layers.Conv2D(classes, 1, padding="same", name="logits")(x))
        _utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)
    model = _utils._model(img_input, input_tensor, x, name)
    model_name = f"{model_type}{'_minimalistic' if minimalistic else ''}_224_{alpha}_float"
    top = "" if include_top else "_no_top_v2"
    file_hash = WEIGHTS_HASHES.get(model_name, (None, None))[0 if include_top else 1]
    file_name = f"weights_mobilenet_v3_{model_name}{top}.h5"
    return _utils._load(model, weights, BASE_WEIGHT_PATH, file_name, file_hash)


def MobileNetV3Small(
    input_shape=None, alpha=1.0, minimalistic=False, include_top=True, weights="imagenet",
    input_tensor=None, classes=1000, pooling=None, dropout_rate=0.2,
    classifier_activation="softmax", include_preprocessing=True, name="MobileNetV3Small",
):  # fmt: skip
    """Instantiates the MobileNetV3Small architecture (``weights``: ``None``, ``"imagenet"``
    or a file); it takes pixels in [0, 255] (``include_preprocessing``)."""
    return MobileNetV3(_SMALL, 1024, model_type="small", **locals())


def MobileNetV3Large(
    input_shape=None, alpha=1.0, minimalistic=False, include_top=True, weights="imagenet",
    input_tensor=None, classes=1000, pooling=None, dropout_rate=0.2,
    classifier_activation="softmax", include_preprocessing=True, name="MobileNetV3Large",
):  # fmt: skip
    """Instantiates the MobileNetV3Large architecture (as ``MobileNetV3Small``)."""
    return MobileNetV3(_LARGE, 1280, model_type="large", **locals())


def _bn(x, name):
    return layers.BatchNormalization(
        axis=_utils._channel_axis(), epsilon=1e-3, momentum=0.999, name=name
    )(x)


def _relu(x):
    return layers.ReLU()(x)


def _hard_sigmoid(x):
    return layers.ReLU(6.0)(x + 3.0) * (1.0 / 6.0)


def _hard_swish(x):
    return layers.Activation("hard_swish")(x)


def _depth(v, divisor=8, min_value=None):
    """``v`` rounded to a multiple of ``divisor``, never more than 10% below ``v``."""
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def _se_block(inputs, filters, se_ratio, prefix):
    x = layers.GlobalAveragePooling2D(keepdims=True, name=f"{prefix}squeeze_excite_avg_pool")(
        inputs
    )
    x = layers.Conv2D(
        _depth(filters * se_ratio), 1, padding="same", name=f"{prefix}squeeze_excite_conv"
    )(x)
    x = layers.ReLU(name=f"{prefix}squeeze_excite_relu")(x)
    x = layers.Conv2D(filters, 1, padding="same", name=f"{prefix}squeeze_excite_conv_1")(x)
    return layers.Multiply(name=f"{prefix}squeeze_excite_mul")([inputs, _hard_sigmoid(x)])


def _inverted_res_block(x, expansion, filters, kernel_size, stride, se_ratio, activation, block_id):
    shortcut = x
    infilters = x.shape[_utils._channel_axis()]
    prefix = f"expanded_conv_{block_id}_" if block_id else "expanded_conv_"
    if block_id:
        x = layers.Conv2D(
            _depth(infilters * expansion), 1, padding="same", use_bias=False,
            name=f"{prefix}expand",
        )(x)  # fmt: skip
        x = activation(_bn(x, f"{prefix}expand_bn"))
    if stride == 2:
        pad = _utils.correct_pad(x, kernel_size)
        x = layers.ZeroPadding2D(padding=pad, name=f"{prefix}depthwise_pad")(x)
    x = layers.DepthwiseConv2D(
        kernel_size, strides=stride, padding="same" if stride == 1 else "valid", use_bias=False,
        name=f"{prefix}depthwise",
    )(x)  # fmt: skip
    x = activation(_bn(x, f"{prefix}depthwise_bn"))
    if se_ratio:
        x = _se_block(x, _depth(infilters * expansion), se_ratio, prefix)
    x = layers.Conv2D(filters, 1, padding="same", use_bias=False, name=f"{prefix}project")(x)
    x = _bn(x, f"{prefix}project_bn")
    if stride == 1 and infilters == filters:
        x = layers.Add(name=f"{prefix}add")([shortcut, x])
    return x


def preprocess_input(x, data_format=None):
    """The identity: MobileNetV3 models rescale their input themselves."""
    return x


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes per image, as ``imagenet_utils.decode_predictions``."""
    return _utils.decode_predictions(preds, top=top)
