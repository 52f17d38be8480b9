"""The built-in layers tensorhouse and Keras 3 both have, one small model each, for the
``.keras`` interop tests (``test_keras_file_layers_compat.py``): each case is a layer's
arguments (a dict, or a function of the ``layers`` module for wrappers), its inputs' shapes
(batch first) and dtype, and whether it is called as ``layer(a, b)`` rather than on a list."""

from __future__ import annotations

import numpy as np

I1, I2, I3 = (2, 6, 3), (2, 5, 5, 2), (2, 4, 4, 4, 2)
V = (2, 4)
F, INT = "float32", "int32"

# name -> (class, kwargs, input shapes, dtype, positional call)
CASES = {
    "dense": ("Dense", {"units": 3, "activation": "tanh"}, [V], F, False),
    "einsum_dense": (
        "EinsumDense",
        {"equation": "ab,bc->ac", "output_shape": 3, "bias_axes": "c"},
        [V],
        F,
        False,
    ),  # fmt: skip
    "activation": ("Activation", {"activation": "sigmoid"}, [V], F, False),
    "activity_regularization": ("ActivityRegularization", {"l1": 0.1}, [V], F, False),
    "alpha_dropout": ("AlphaDropout", {"rate": 0.2}, [V], F, False),
    "dropout": ("Dropout", {"rate": 0.3}, [V], F, False),
    "gaussian_dropout": ("GaussianDropout", {"rate": 0.2}, [V], F, False),
    "gaussian_noise": ("GaussianNoise", {"stddev": 0.2}, [V], F, False),
    "spatial_dropout1d": ("SpatialDropout1D", {"rate": 0.2}, [I1], F, False),
    "spatial_dropout2d": ("SpatialDropout2D", {"rate": 0.2}, [I2], F, False),
    "spatial_dropout3d": ("SpatialDropout3D", {"rate": 0.2}, [I3], F, False),
    "elu": ("ELU", {"alpha": 0.5}, [V], F, False),
    "leaky_relu": ("LeakyReLU", {"negative_slope": 0.2}, [V], F, False),
    "prelu": ("PReLU", {}, [V], F, False),
    "relu": ("ReLU", {"max_value": 0.5, "threshold": 0.1}, [V], F, False),
    "softmax": ("Softmax", {"axis": -1}, [V], F, False),
    "identity": ("Identity", {}, [V], F, False),
    "batch_normalization": ("BatchNormalization", {}, [I1], F, False),
    "layer_normalization": ("LayerNormalization", {}, [I1], F, False),
    "group_normalization": ("GroupNormalization", {"groups": 2}, [V], F, False),
    "unit_normalization": ("UnitNormalization", {}, [V], F, False),
    "conv1d": ("Conv1D", {"filters": 3, "kernel_size": 2}, [I1], F, False),
    "conv1d_transpose": (
        "Conv1DTranspose",
        {"filters": 3, "kernel_size": 2, "strides": 2},
        [I1],
        F,
        False,
    ),  # fmt: skip
    "conv2d": ("Conv2D", {"filters": 3, "kernel_size": 2, "padding": "same"}, [I2], F, False),
    "conv2d_transpose": (
        "Conv2DTranspose",
        {"filters": 3, "kernel_size": 2, "strides": 2},
        [I2],
        F,
        False,
    ),  # fmt: skip
    "conv3d": ("Conv3D", {"filters": 2, "kernel_size": 2}, [I3], F, False),
    "conv3d_transpose": ("Conv3DTranspose", {"filters": 2, "kernel_size": 2}, [I3], F, False),
    "depthwise_conv1d": (
        "DepthwiseConv1D",
        {"kernel_size": 2, "depth_multiplier": 2},
        [I1],
        F,
        False,
    ),  # fmt: skip
    "depthwise_conv2d": ("DepthwiseConv2D", {"kernel_size": 2}, [I2], F, False),
    "separable_conv1d": ("SeparableConv1D", {"filters": 3, "kernel_size": 2}, [I1], F, False),
    "separable_conv2d": ("SeparableConv2D", {"filters": 3, "kernel_size": 2}, [I2], F, False),
    "average_pooling1d": ("AveragePooling1D", {"pool_size": 2}, [I1], F, False),
    "average_pooling2d": ("AveragePooling2D", {"pool_size": 2}, [I2], F, False),
    "average_pooling3d": ("AveragePooling3D", {"pool_size": 2}, [I3], F, False),
    "max_pooling1d": ("MaxPooling1D", {}, [I1], F, False),
    "max_pooling2d": ("MaxPooling2D", {"padding": "same"}, [I2], F, False),
    "max_pooling3d": ("MaxPooling3D", {}, [I3], F, False),
    "global_average_pooling1d": ("GlobalAveragePooling1D", {}, [I1], F, False),
    "global_average_pooling2d": ("GlobalAveragePooling2D", {}, [I2], F, False),
    "global_average_pooling3d": ("GlobalAveragePooling3D", {}, [I3], F, False),
    "global_max_pooling1d": ("GlobalMaxPooling1D", {}, [I1], F, False),
    "global_max_pooling2d": ("GlobalMaxPooling2D", {"keepdims": True}, [I2], F, False),
    "global_max_pooling3d": ("GlobalMaxPooling3D", {}, [I3], F, False),
    "cropping1d": ("Cropping1D", {"cropping": 1}, [I1], F, False),
    "cropping2d": ("Cropping2D", {"cropping": 1}, [I2], F, False),
    "cropping3d": ("Cropping3D", {"cropping": 1}, [I3], F, False),
    "zero_padding1d": ("ZeroPadding1D", {"padding": 1}, [I1], F, False),
    "zero_padding2d": ("ZeroPadding2D", {"padding": 1}, [I2], F, False),
    "zero_padding3d": ("ZeroPadding3D", {"padding": 1}, [I3], F, False),
    "up_sampling1d": ("UpSampling1D", {"size": 2}, [I1], F, False),
    "up_sampling2d": ("UpSampling2D", {"size": 2}, [I2], F, False),
    "up_sampling3d": ("UpSampling3D", {"size": 2}, [I3], F, False),
    "flatten": ("Flatten", {}, [I2], F, False),
    "reshape": ("Reshape", {"target_shape": (3, 6)}, [I1], F, False),
    "permute": ("Permute", {"dims": (2, 1)}, [I1], F, False),
    "repeat_vector": ("RepeatVector", {"n": 3}, [V], F, False),
    "masking": ("Masking", {"mask_value": 0.5}, [I1], F, False),
    "embedding": ("Embedding", {"input_dim": 10, "output_dim": 3}, [(2, 5)], INT, False),
    "simple_rnn": ("SimpleRNN", {"units": 3}, [I1], F, False),
    "lstm": ("LSTM", {"units": 3, "return_sequences": True}, [I1], F, False),
    "gru": ("GRU", {"units": 3}, [I1], F, False),
    "bidirectional": ("Bidirectional", lambda L: {"layer": L.LSTM(2)}, [I1], F, False),
    "time_distributed": ("TimeDistributed", lambda L: {"layer": L.Dense(2)}, [I1], F, False),
    "rnn_lstm_cell": ("RNN", lambda L: {"cell": L.LSTMCell(3)}, [I1], F, False),
    "rnn_gru_cell": ("RNN", lambda L: {"cell": L.GRUCell(2)}, [I1], F, False),
    "rnn_stacked_cells": (
        "RNN",
        lambda L: {"cell": L.StackedRNNCells([L.SimpleRNNCell(2), L.SimpleRNNCell(3)])},
        [I1],
        F,
        False,
    ),  # fmt: skip
    "attention": ("Attention", {}, [(2, 3, 4), (2, 5, 4)], F, False),
    "additive_attention": ("AdditiveAttention", {}, [(2, 3, 4), (2, 5, 4)], F, False),
    "multi_head_attention": (
        "MultiHeadAttention",
        {"num_heads": 2, "key_dim": 3},
        [(2, 3, 4), (2, 5, 4)],
        F,
        True,
    ),  # fmt: skip
    "group_query_attention": (
        "GroupQueryAttention",
        {"head_dim": 3, "num_query_heads": 2, "num_key_value_heads": 1},
        [(2, 3, 4), (2, 5, 4)],
        F,
        True,
    ),  # fmt: skip
    "add": ("Add", {}, [V, V], F, False),
    "subtract": ("Subtract", {}, [V, V], F, False),
    "multiply": ("Multiply", {}, [V, V], F, False),
    "average": ("Average", {}, [V, V], F, False),
    "maximum": ("Maximum", {}, [V, V], F, False),
    "minimum": ("Minimum", {}, [V, V], F, False),
    "concatenate": ("Concatenate", {"axis": -1}, [V, V], F, False),
    "dot": ("Dot", {"axes": 1, "normalize": True}, [V, V], F, False),
    "rescaling": ("Rescaling", {"scale": 0.5, "offset": 0.1}, [V], F, False),
    "resizing": ("Resizing", {"height": 3, "width": 4}, [I2], F, False),
    "center_crop": ("CenterCrop", {"height": 3, "width": 3}, [I2], F, False),
    "random_flip": ("RandomFlip", {}, [I2], F, False),
    "random_rotation": ("RandomRotation", {"factor": 0.1}, [I2], F, False),
    "random_zoom": ("RandomZoom", {"height_factor": 0.1}, [I2], F, False),
    "random_translation": (
        "RandomTranslation",
        {"height_factor": 0.1, "width_factor": 0.1},
        [I2],
        F,
        False,
    ),  # fmt: skip
    "random_contrast": ("RandomContrast", {"factor": 0.2}, [I2], F, False),
    "random_brightness": ("RandomBrightness", {"factor": 0.2}, [I2], F, False),
    "random_crop": ("RandomCrop", {"height": 3, "width": 3}, [I2], F, False),
    "normalization": ("Normalization", {"mean": 0.5, "variance": 2.0}, [V], F, False),
    "discretization": ("Discretization", {"bin_boundaries": [0.3, 0.6]}, [V], F, False),
    "category_encoding": (
        "CategoryEncoding",
        {"num_tokens": 5, "output_mode": "multi_hot"},
        [V],
        INT,
        False,
    ),  # fmt: skip
    "integer_lookup": ("IntegerLookup", {"vocabulary": [1, 2, 3]}, [V], INT, False),
}


def build(keras, case):
    """``case``'s model in ``keras`` (real Keras or ``tensorhouse_models``), its weights set
    to fixed values in (0.1, 0.9)."""
    cls, kwargs, shapes, dtype, positional = CASES[case]
    kwargs = kwargs(keras.layers) if callable(kwargs) else kwargs
    inputs = [keras.Input(s[1:], dtype=dtype) for s in shapes]
    layer = getattr(keras.layers, cls)(**kwargs, name=case)
    if positional:
        out = layer(*inputs)
    else:
        out = layer(inputs if len(inputs) > 1 else inputs[0])
    model = keras.Model(inputs if len(inputs) > 1 else inputs[0], out)
    rng = np.random.default_rng(len(case))
    model.set_weights([rng.uniform(0.1, 0.9, np.shape(w)).astype(np.asarray(w).dtype)
                       for w in model.get_weights()])  # fmt: skip
    return model


def inputs(case):
    _, _, shapes, dtype, _ = CASES[case]
    rng = np.random.default_rng(7)
    if dtype == INT:
        return [rng.integers(0, 5, s).astype(dtype) for s in shapes]
    return [rng.uniform(-1, 1, s).astype(dtype) for s in shapes]


def predict(model, xs):
    return np.asarray(model(xs if len(xs) > 1 else xs[0], training=False))
