"""``keras.applications.resnet_v2``: ResNet50V2, ResNet101V2 and ResNet152V2 (He et al., 2016,
pre-activation blocks)."""

from . import imagenet_utils as _utils
from .resnet import ResNet, stack_residual_blocks_v2

__all__ = [
    "ResNet50V2",
    "ResNet101V2",
    "ResNet152V2",
    "decode_predictions",
    "preprocess_input",
]


def _v2(blocks, weights_name, **kwargs):
    def stack_fn(x):
        x = stack_residual_blocks_v2(x, 64, blocks[0], name="conv2")
        x = stack_residual_blocks_v2(x, 128, blocks[1], name="conv3")
        x = stack_residual_blocks_v2(x, 256, blocks[2], name="conv4")
        return stack_residual_blocks_v2(x, 512, blocks[3], stride1=1, name="conv5")

    return ResNet(stack_fn, True, True, weights_name=weights_name, **kwargs)


def ResNet50V2(
    include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
    classes=1000, classifier_activation="softmax", name="resnet50v2",
):  # fmt: skip
    """Instantiates the ResNet50V2 architecture (``weights``: ``None``, ``"imagenet"`` or a
    file)."""
    return _v2((3, 4, 6, 3), "resnet50v2", **locals())


def ResNet101V2(
    include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
    classes=1000, classifier_activation="softmax", name="resnet101v2",
):  # fmt: skip
    """Instantiates the ResNet101V2 architecture."""
    return _v2((3, 4, 23, 3), "resnet101v2", **locals())


def ResNet152V2(
    include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
    classes=1000, classifier_activation="softmax", name="resnet152v2",
):  # fmt: skip
    """Instantiates the ResNet152V2 architecture."""
    return _v2((3, 8, 36, 3), "resnet152v2", **locals())


def preprocess_input(x, data_format=None):
    """TF-style: pixels scaled to [-1, 1]."""
    return _utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes per image, as ``imagenet_utils.decode_predictions``."""
    return _utils.decode_predictions(preds, top=top)
