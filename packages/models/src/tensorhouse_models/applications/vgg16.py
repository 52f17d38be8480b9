"""``keras.applications.vgg16``: VGG16 (Simonyan and Zisserman, 2014)."""

from tensorhouse_components import keras_ops, layers

from . import imagenet_utils as _utils

__all__ = ["VGG16", "decode_predictions", "preprocess_input"]

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/"
WEIGHTS_PATH = _BASE + "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels.h5"
WEIGHTS_PATH_NO_TOP = _BASE + "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
_HASHES = {  # (with the top, without)
    "vgg16": ("64373286793e3c8b2b4e3219cbf3544b", "6d6bbae143d832006294945121d1f1fc"),
    "vgg19": ("cbe5617147190e668d6c5d5026f83318", "253f8cb515780f3b799900260a226db6"),
}


def _vgg(convs, include_top, weights, input_tensor, input_shape, pooling, classes,
         classifier_activation, name):  # fmt: skip
    """Five blocks of ``convs[i]`` 3x3 convolutions and a max pool; two 4096-unit layers on top."""
    _utils._check_weights(weights, include_top, classes)
    input_shape = _utils.obtain_input_shape(
        input_shape, default_size=224, min_size=32,
        data_format=keras_ops.backend.image_data_format(), require_flatten=include_top,
        weights=weights,
    )  # fmt: skip
    x = img_input = _utils._image_input(input_tensor, input_shape)
    for block, (filters, n) in enumerate(zip((64, 128, 256, 512, 512), convs), 1):
        for i in range(1, n + 1):
            x = layers.Conv2D(
                filters, (3, 3), activation="relu", padding="same", name=f"block{block}_conv{i}"
            )(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        _utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = _utils._pool(x, pooling)
    model = _utils._model(img_input, input_tensor, x, name)
    family = f"vgg{sum(convs) + 3}"
    file_name = f"{family}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    file_hash = _HASHES[family][0 if include_top else 1]
    return _utils._load(model, weights, f"{_BASE}{family}/", file_name, file_hash)


def VGG16(
    include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
    classes=1000, classifier_activation="softmax", name="vgg16",
):  # fmt: skip
    """Instantiates the VGG16 model (``weights``: ``None``, ``"imagenet"`` or a file)."""
    return _vgg((2, 2, 3, 3, 3), **locals())


def preprocess_input(x, data_format=None):
    """Caffe-style: RGB to BGR, minus the ImageNet mean."""
    return _utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes per image, as ``imagenet_utils.decode_predictions``."""
    return _utils.decode_predictions(preds, top=top)
