"""Layers (``keras.layers``): the ``Layer`` base class, ``Input`` and the core layers."""

from __future__ import annotations

from .. import _serialization
from ._activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax
from ._attention import AdditiveAttention, Attention, GroupQueryAttention, MultiHeadAttention
from ._audio import MelSpectrogram, STFTSpectrogram
from ._conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from ._convolutional import (
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    Conv3DTranspose,
    DepthwiseConv1D,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
)
from ._core import Activation, Dense, Dropout, Flatten
from ._core_extra import EinsumDense, Embedding, Identity, Lambda, Masking
from ._dense_features import DenseFeatures
from ._input import Input as Input
from ._input import InputLayer
from ._input import KerasTensor as KerasTensor
from ._input import Node as Node
from ._input import Operation as Operation
from ._input import deserialize_operation as deserialize_operation
from ._input import is_operation_config as is_operation_config
from ._input import serialize_operation as serialize_operation
from ._input_spec import InputSpec as InputSpec
from ._layer import Layer as Layer
from ._merging import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from ._normalization import (
    BatchNormalization,
    GroupNormalization,
    LayerNormalization,
    RMSNormalization,
    UnitNormalization,
)
from ._pooling import (
    AdaptiveAveragePooling1D,
    AdaptiveAveragePooling2D,
    AdaptiveAveragePooling3D,
    AdaptiveMaxPooling1D,
    AdaptiveMaxPooling2D,
    AdaptiveMaxPooling3D,
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from ._regularization import (
    ActivityRegularization,
    AlphaDropout,
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from ._reshaping import (
    Cropping1D,
    Cropping2D,
    Cropping3D,
    Permute,
    RepeatVector,
    Reshape,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)
from ._rnn import GRU, LSTM, RNN, Bidirectional, SimpleRNN, TimeDistributed
from ._rnn_cells import GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells
from ._wrappers import ReversibleEmbedding, SpectralNormalization, Wrapper
from .preprocessing import (
    AugMix,
    AutoContrast,
    CategoryEncoding,
    CenterCrop,
    ContrastLimitedAdaptiveHistogramEqualization,
    CutMix,
    Discretization,
    Equalization,
    HashedCrossing,
    Hashing,
    IntegerLookup,
    MaxNumBoundingBoxes,
    MixUp,
    Normalization,
    Pipeline,
    RandAugment,
    RandomBrightness,
    RandomColorDegeneration,
    RandomColorJitter,
    RandomContrast,
    RandomCrop,
    RandomElasticTransform,
    RandomErasing,
    RandomFlip,
    RandomGaussianBlur,
    RandomGrayscale,
    RandomHue,
    RandomInvert,
    RandomPerspective,
    RandomPosterization,
    RandomRotation,
    RandomSaturation,
    RandomSharpness,
    RandomShear,
    RandomTranslation,
    RandomZoom,
    Rescaling,
    Resizing,
    Solarization,
    StringLookup,
    TextVectorization,
)

register_serializable = _serialization.register_serializable

# Every layer class, by family (one module each); Keras's names for them in the registry.
_LAYERS = (
    # core
    Activation, Dense, Dropout, EinsumDense, Embedding, Flatten, Identity, InputLayer, Lambda,
    Masking,
    # feature columns (TF 2.15's layer; Keras 3 has none)
    DenseFeatures,
    # convolutional and pooling
    Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose, Conv3D, Conv3DTranspose,
    DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D, AveragePooling1D,
    AveragePooling2D, AveragePooling3D,
    GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D, GlobalMaxPooling1D,
    GlobalMaxPooling2D, GlobalMaxPooling3D, MaxPooling1D, MaxPooling2D, MaxPooling3D,
    # normalization
    BatchNormalization, GroupNormalization, LayerNormalization, RMSNormalization,
    UnitNormalization,
    # reshaping
    Cropping1D, Cropping2D, Cropping3D, Permute, RepeatVector, Reshape, UpSampling1D,
    UpSampling2D, UpSampling3D, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D,
    # merging
    Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract,
    # activations
    ELU, LeakyReLU, PReLU, ReLU, Softmax,
    # regularization
    ActivityRegularization, AlphaDropout, GaussianDropout, GaussianNoise, SpatialDropout1D,
    SpatialDropout2D, SpatialDropout3D,
    # attention
    AdditiveAttention, Attention, GroupQueryAttention, MultiHeadAttention,
    # recurrent
    GRU, GRUCell, LSTM, LSTMCell, RNN, SimpleRNN, SimpleRNNCell, StackedRNNCells,
    ConvLSTM1D, ConvLSTM2D, ConvLSTM3D,
    Bidirectional, TimeDistributed,
    # audio, adaptive pooling, wrappers
    MelSpectrogram, STFTSpectrogram, AdaptiveAveragePooling1D, AdaptiveAveragePooling2D,
    AdaptiveAveragePooling3D, AdaptiveMaxPooling1D, AdaptiveMaxPooling2D, AdaptiveMaxPooling3D,
    ReversibleEmbedding, SpectralNormalization, Wrapper,
    # preprocessing
    CategoryEncoding, CenterCrop, Discretization, IntegerLookup, Normalization, RandomBrightness,
    RandomContrast, RandomCrop, RandomFlip, Rescaling, Resizing,
    RandomRotation, RandomTranslation, RandomZoom, StringLookup, Hashing, HashedCrossing,
    TextVectorization,
    # geometric, mixing and composite augmentation
    AugMix, CutMix, MaxNumBoundingBoxes, MixUp, Pipeline, RandAugment, RandomElasticTransform,
    RandomErasing, RandomGaussianBlur, RandomPerspective, RandomShear,
)  # fmt: skip

_LAYERS += (  # colour augmentation
    AutoContrast, ContrastLimitedAdaptiveHistogramEqualization, Equalization,
    RandomColorDegeneration, RandomColorJitter, RandomGrayscale, RandomHue, RandomInvert,
    RandomPosterization, RandomSaturation, RandomSharpness, Solarization,
)  # fmt: skip

# Keras's other names for the same classes (Conv2D = Convolution2D, MaxPool2D, ...).
Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
Convolution1DTranspose, Convolution2DTranspose = Conv1DTranspose, Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D
GlobalMaxPool3D = GlobalMaxPooling3D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
GlobalAvgPool3D = GlobalAveragePooling3D
_ALIASES = (
    "AvgPool1D", "AvgPool2D", "AvgPool3D", "Convolution1D", "Convolution1DTranspose",
    "Convolution2D", "Convolution2DTranspose", "Convolution3D", "Convolution3DTranspose",
    "GlobalAvgPool1D", "GlobalAvgPool2D",
    "GlobalAvgPool3D", "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D", "MaxPool1D",
    "MaxPool2D", "MaxPool3D", "SeparableConvolution1D", "SeparableConvolution2D",
)  # fmt: skip
_MERGE_FUNCTIONS = (add, average, concatenate, dot, maximum, minimum, multiply, subtract)

_TABLE = {c.__name__: c for c in _LAYERS} | {name: globals()[name] for name in _ALIASES}

__all__ = sorted(
    {c.__name__ for c in _LAYERS} | set(_ALIASES) | {f.__name__ for f in _MERGE_FUNCTIONS}
    | {"Input", "InputSpec", "KerasTensor", "Layer", "Node", "deserialize", "get",
       "register_serializable", "serialize", "Operation", "deserialize_operation",
       "is_operation_config", "serialize_operation"}
)  # fmt: skip


def serialize(layer) -> dict:
    """Keras 3's dict: module, class_name, config, and build_config when built."""
    out = _serialization.serialize(layer, "keras.layers")
    build_config = layer.get_build_config()
    if build_config is not None:
        out["build_config"] = build_config
    return out


def deserialize(config, custom_objects=None):
    """A layer from ``serialize``'s dict; built again when the dict has a build_config."""
    layer = _serialization.deserialize(config, _TABLE, "layer", custom_objects)
    if config.get("build_config"):
        layer.build_from_config(config["build_config"])
    return layer


def get(identifier, custom_objects=None):
    return _serialization.resolve(identifier, _TABLE, "layer", custom_objects, instantiate=False)
