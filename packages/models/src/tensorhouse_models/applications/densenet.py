"""``keras.applications.densenet``: DenseNet121, DenseNet169 and DenseNet201 (Huang et al.,
2016), densely connected convolutional blocks (``channels_last`` only, as in Keras)."""

from tensorhouse_components import keras_ops, layers

from . import imagenet_utils as _utils

__all__ = [
    "DenseNet121", "DenseNet169", "DenseNet201", "decode_predictions", "preprocess_input",
]  # fmt: skip

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/densenet/"
_HASHES = {  # blocks: (name, hash with the top, hash without)
    (6, 12, 24, 16): (
        "densenet121", "9d60b8095a5708f2dcce2bca79d332c7", "30ee3e1110167f948a6b9946edeeb738",
    ),
    (6, 12, 32, 32): (
        "densenet169", "d699b8f76981ab1b30698df4c175e90b", "b8c4d4c20dd625c148057b9ff1c1176b",
    ),
    (6, 12, 48, 32): (
        "densenet201", "1ceb130c1ea1b78c3bf6114dbdfd8807", "c13680b51ded0fb44dff2d8f86ac8bb1",
    ),
}  # fmt: skip


_CLASSES_ERROR = (
    'If using `weights` as `"imagenet"` with `include_top` as true, `classes` should be 1000'
)


def _bn(x, name):
    return layers.BatchNormalization(axis=3, epsilon=1.001e-5, name=name)(x)


def dense_block(x, blocks, name):
    """``blocks`` conv blocks, each adding 32 channels."""
    for i in range(blocks):
        x = conv_block(x, 32, name=f"{name}_block{i + 1}")
    return x


def transition_block(x, reduction, name):
    """Batch norm, ReLU, a 1x1 convolution to ``reduction`` of the channels, 2x2 average pool."""
    x = layers.Activation("relu", name=f"{name}_relu")(_bn(x, f"{name}_bn"))
    x = layers.Conv2D(int(x.shape[3] * reduction), 1, use_bias=False, name=f"{name}_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def conv_block(x, growth_rate, name):
    """A bottleneck (1x1 then 3x3 convolution) whose ``growth_rate`` channels are concatenated
    to its input."""
    x1 = layers.Activation("relu", name=f"{name}_0_relu")(_bn(x, f"{name}_0_bn"))
    x1 = layers.Conv2D(4 * growth_rate, 1, use_bias=False, name=f"{name}_1_conv")(x1)
    x1 = layers.Activation("relu", name=f"{name}_1_relu")(_bn(x1, f"{name}_1_bn"))
    x1 = layers.Conv2D(growth_rate, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(x1)
    return layers.Concatenate(axis=3, name=f"{name}_concat")([x, x1])


def DenseNet(
    blocks, include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
    pooling=None, classes=1000, classifier_activation="softmax", name="densenet",
):  # fmt: skip
    """A DenseNet of four dense blocks of ``blocks[i]`` conv blocks."""
    if keras_ops.backend.image_data_format() == "channels_first":
        raise ValueError(
            "DenseNet does not support the `channels_first` image data format. Switch to "
            "`channels_last` by editing your local config file at ~/.keras/keras.json"
        )
    _utils._check_weights(weights, include_top, classes, "`", ".", _CLASSES_ERROR)
    input_shape = _utils.obtain_input_shape(
        input_shape, default_size=224, min_size=32, data_format="channels_last",
        require_flatten=include_top, weights=weights,
    )  # fmt: skip
    img_input = _utils._image_input(input_tensor, input_shape)
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)))(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = layers.Activation("relu", name="conv1_relu")(_bn(x, "conv1_bn"))
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    for i, n in enumerate(blocks):
        x = dense_block(x, n, name=f"conv{i + 2}")
        if i < 3:
            x = transition_block(x, 0.5, name=f"pool{i + 2}")
    x = layers.Activation("relu", name="relu")(_bn(x, "bn"))
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        _utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)
    model = _utils._model(img_input, input_tensor, x, name)
    if weights == "imagenet" and tuple(blocks) not in _HASHES:
        raise ValueError("weights_path undefined")
    family, *hashes = _HASHES.get(tuple(blocks), ("", None, None))
    top = "" if include_top else "_notop"
    file_name = f"{family}_weights_tf_dim_ordering_tf_kernels{top}.h5"
    return _utils._load(
        model, weights, BASE_WEIGHTS_PATH, file_name, hashes[0 if include_top else 1]
    )


def DenseNet121(
    include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
    classes=1000, classifier_activation="softmax", name="densenet121",
):  # fmt: skip
    """Instantiates the DenseNet121 architecture (``weights``: ``None``, ``"imagenet"`` or a
    file)."""
    return DenseNet([6, 12, 24, 16], **locals())


def DenseNet169(
    include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
    classes=1000, classifier_activation="softmax", name="densenet169",
):  # fmt: skip
    """Instantiates the DenseNet169 architecture."""
    return DenseNet([6, 12, 32, 32], **locals())


def DenseNet201(
    include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
    classes=1000, classifier_activation="softmax", name="densenet201",
):  # fmt: skip
    """Instantiates the DenseNet201 architecture."""
    return DenseNet([6, 12, 48, 32], **locals())


def preprocess_input(x, data_format=None):
    """Torch-style: pixels to [0, 1], then standardised per channel with ImageNet's figures."""
    return _utils.preprocess_input(x, data_format=data_format, mode="torch")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes per image, as ``imagenet_utils.decode_predictions``."""
    return _utils.decode_predictions(preds, top=top)
