"""``keras.applications.vgg19``: VGG19 (Simonyan and Zisserman, 2014)."""

from .vgg16 import _BASE, _vgg, decode_predictions, preprocess_input

WEIGHTS_PATH = _BASE + "vgg19/vgg19_weights_tf_dim_ordering_tf_kernels.h5"
WEIGHTS_PATH_NO_TOP = _BASE + "vgg19/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
__all__ = ["VGG19", "decode_predictions", "preprocess_input"]


def VGG19(
    include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
    classes=1000, classifier_activation="softmax", name="vgg19",
):  # fmt: skip
    """Instantiates the VGG19 model (``weights``: ``None``, ``"imagenet"`` or a file)."""
    return _vgg((2, 2, 4, 4, 4), **locals())
