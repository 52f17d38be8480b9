"""``keras.applications.imagenet_utils``: ImageNet preprocessing and class decoding, and the
argument checks, input and weight loading that every application shares."""

import json
import os
import warnings

import numpy as np

from tensorhouse_components import activations, keras_ops, layers
from tensorhouse_components.utils import get_source_inputs

from .._file_utils import get_file
from .._functional import Functional

__all__ = ["decode_predictions", "preprocess_input"]

CLASS_INDEX = None  # the ImageNet class index, read on the first decode_predictions
CLASS_INDEX_PATH = (
    "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
)
_CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"
_CAFFE_MEAN = (103.939, 116.779, 123.68)  # BGR
_TORCH_MEAN, _TORCH_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def preprocess_input(x, data_format=None, mode="caffe"):
    """Scales a batch of RGB images in [0, 255] as a model expects: ``"caffe"`` (BGR, minus the
    ImageNet mean), ``"tf"`` (to [-1, 1]) or ``"torch"`` (to [0, 1], then per-channel
    standardised). A NumPy array is changed in place when its dtype allows, as in Keras."""
    if mode not in {"caffe", "tf", "torch"}:
        raise ValueError(
            f"Expected mode to be one of `caffe`, `tf` or `torch`. Received: mode={mode}"
        )
    if data_format is None:
        data_format = keras_ops.backend.image_data_format()
    elif data_format not in {"channels_first", "channels_last"}:
        raise ValueError(
            "Expected data_format to be one of `channels_first` or `channels_last`. "
            f"Received: data_format={data_format}"
        )
    if isinstance(x, np.ndarray) and not issubclass(x.dtype.type, np.floating):
        x = x.astype(keras_ops.backend.floatx(), copy=False)
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    ndim = len(x.shape)
    axis = (0 if ndim == 3 else 1) if data_format == "channels_first" else ndim - 1
    shape = [1] * ndim
    shape[axis] = 3
    if mode == "torch":
        x /= 255.0
        mean, std = _TORCH_MEAN, _TORCH_STD
    else:  # caffe: 'RGB' -> 'BGR'
        if isinstance(x, np.ndarray):
            x = np.flip(x, axis)
        else:
            x = keras_ops.flip(x, axis=axis)
        mean, std = _CAFFE_MEAN, None
    if isinstance(x, np.ndarray):
        x -= np.reshape(np.asarray(mean, x.dtype), shape)
        if std is not None:
            x /= np.reshape(np.asarray(std, x.dtype), shape)
        return x
    x += keras_ops.reshape(keras_ops.convert_to_tensor(-np.array(mean), dtype=x.dtype), shape)
    if std is not None:
        x /= keras_ops.reshape(keras_ops.convert_to_tensor(np.array(std), dtype=x.dtype), shape)
    return x


def decode_predictions(preds, top=5):
    """Per image, the ``top`` classes as ``(class_name, class_description, score)``, best
    first; the class index JSON is fetched once with ``get_file`` (into ``models``)."""
    global CLASS_INDEX
    if len(preds.shape) != 2 or preds.shape[1] != 1000:
        raise ValueError(
            "`decode_predictions` expects a batch of predictions (i.e. a 2D array of shape "
            f"(samples, 1000)). Received array with shape: {preds.shape}"
        )
    if CLASS_INDEX is None:
        path = get_file(
            "imagenet_class_index.json", CLASS_INDEX_PATH, cache_subdir="models",
            file_hash=_CLASS_INDEX_HASH,
        )  # fmt: skip
        with open(path) as f:
            CLASS_INDEX = json.load(f)
    results = []
    for pred in keras_ops.convert_to_numpy(preds):
        best = pred.argsort()[-top:][::-1]
        result = [(*CLASS_INDEX[str(i)], pred[i]) for i in best]
        results.append(sorted(result, key=lambda r: r[2], reverse=True))
    return results


def obtain_input_shape(
    input_shape, default_size, min_size, data_format, require_flatten, weights=None
):
    """A model's input shape: ``input_shape`` checked against the weights and the minimum size,
    or the default one."""
    first = data_format == "channels_first"
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[0] if first else input_shape[-1]
        if channels not in {1, 3}:
            warnings.warn(
                "This model usually expects 1 or 3 input channels. However, it was passed an "
                f"input_shape with {channels} input channels.",
                stacklevel=2,
            )
        size = (default_size, default_size)
        default_shape = (input_shape[0], *size) if first else (*size, input_shape[-1])
    else:
        default_shape = (
            (3, default_size, default_size) if first else (default_size, default_size, 3)
        )
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and input_shape != default_shape:
            raise ValueError(
                "When setting `include_top=True` and loading `imagenet` weights, `input_shape` "
                f"should be {default_shape}.  Received: input_shape={input_shape}"
            )
        return default_shape
    if input_shape:
        if len(input_shape) != 3:
            raise ValueError("`input_shape` must be a tuple of three integers.")
        if (input_shape[0] if first else input_shape[-1]) != 3 and weights == "imagenet":
            raise ValueError(
                f"The input must have 3 channels; Received `input_shape={input_shape}`"
            )
        rows, cols = input_shape[1:] if first else input_shape[:2]
        if (rows is not None and rows < min_size) or (cols is not None and cols < min_size):
            raise ValueError(
                f"Input size must be at least {min_size}x{min_size}; Received: "
                f"input_shape={input_shape}"
            )
    elif require_flatten:
        input_shape = default_shape
    else:
        input_shape = (3, None, None) if first else (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError(
            "If `include_top` is True, you should specify a static `input_shape`. "
            f"Received: input_shape={input_shape}"
        )
    return input_shape


def correct_pad(inputs, kernel_size):
    """The zero padding before a strided "valid" convolution that centres it as TF-slim did."""
    axis = 2 if keras_ops.backend.image_data_format() == "channels_first" else 1
    size = inputs.shape[axis : axis + 2]
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    adjust = (1, 1) if size[0] is None else (1 - size[0] % 2, 1 - size[1] % 2)
    correct = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((correct[0] - adjust[0], correct[0]), (correct[1] - adjust[1], correct[1]))


def validate_activation(classifier_activation, weights):
    """Pretrained weights allow only ``None`` or ``"softmax"`` on the classifier."""
    if weights is None:
        return
    classifier_activation = activations.get(classifier_activation)
    if classifier_activation not in {activations.get("softmax"), activations.get(None)}:
        raise ValueError(
            "Only `None` and `softmax` activations are allowed for the `classifier_activation` "
            "argument when using pretrained weights, with `include_top=True`; Received: "
            f"classifier_activation={classifier_activation}"
        )


# ---- shared by the families (Keras repeats these in each) ----


# how InceptionV3, InceptionResNetV2 and ConvNeXt word the classes error
_INCEPTION_CLASSES_ERROR = (
    'If using `weights="imagenet"` with `include_top=True`, `classes` should be 1000. '
    "Received classes={classes}"
)


def _check_weights(weights, include_top, classes, quote="'",
                   tail=".  Received: weights={weights}",
                   classes_error="If using `weights='imagenet'` with `include_top=True`, "
                   "`classes` should be 1000.  Received classes={classes}"):  # fmt: skip
    """Keras's two checks of ``weights`` and ``classes``; each family words its errors its own
    way (``quote`` around imagenet, the ``tail`` of the first, ``classes_error``: format
    strings of ``weights`` / ``classes``)."""
    if not (weights in {"imagenet", None} or os.path.exists(weights)):
        raise ValueError(
            "The `weights` argument should be either `None` (random initialization), "
            f"{quote}imagenet{quote} (pre-training on ImageNet), or the path to the weights file "
            "to be loaded" + tail.format(weights=weights)
        )
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(classes_error.format(classes=classes))


def _image_input(input_tensor, input_shape):
    if input_tensor is None:
        return layers.Input(shape=input_shape)
    if not keras_ops.backend.is_keras_tensor(input_tensor):
        return layers.Input(tensor=input_tensor, shape=input_shape)
    return input_tensor


def _channel_axis():
    return 1 if keras_ops.backend.image_data_format() == "channels_first" else -1


def _pool(x, pooling):
    """``include_top=False``: the optional global pooling, Keras's auto-named layers."""
    if pooling == "avg":
        return layers.GlobalAveragePooling2D()(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D()(x)
    return x


def _model(img_input, input_tensor, x, name):
    inputs = img_input if input_tensor is None else get_source_inputs(input_tensor)
    return Functional(inputs, x, name=name)


def _load(model, weights, base, file_name, file_hash=None):
    """``weights="imagenet"``: ``base + file_name`` fetched into the ``models`` cache; a path:
    that file."""
    if weights == "imagenet":
        weights = get_file(file_name, base + file_name, cache_subdir="models", file_hash=file_hash)
    if weights is not None:
        model.load_weights(weights)
    return model
