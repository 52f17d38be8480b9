"""``run_layer_test``'s mask step over every layer family that takes masks: the output masks
Keras 3 gives (its rules, written out in NumPy here, checked against real Keras 3.15 in
``tests/compat/test_masks_compat.py``), eagerly and traced, ``compute_mask``, and ``call``
using the attached mask as it uses one passed as ``mask=``."""

import numpy as np
import pytest

from tensorhouse_components import layers
from tensorhouse_components.testing import run_layer_test

M = np.array([[True, True, False, False], [True, False, True, True]])
M2 = np.array([[True, False, True, False], [True, True, True, False]])
IDS = np.array([[1, 2, 0, 0], [3, 0, 4, 4]])
X = np.random.default_rng(0).uniform(-1, 1, (2, 4, 3)).astype(np.float32)
SEQ = (2, 4, 3)
PAIR = [SEQ, SEQ]

# (class, init kwargs, input shape or data, output shape, input mask, Keras's output mask,
#  Keras's supports_masking, extra run_layer_test kwargs)
PASSING = [
    (layers.Dense, {"units": 2}, SEQ, (2, 4, 2), M, M, True, {}),
    (layers.Activation, {"activation": "relu"}, SEQ, SEQ, M, M, True, {}),
    (layers.Dropout, {"rate": 0.5, "seed": 1}, SEQ, SEQ, M, M, True, {"random_in_training": True}),
    (layers.GaussianNoise, {"stddev": 0.1, "seed": 1}, SEQ, SEQ, M, M, True,
     {"random_in_training": True}),
    (layers.ReLU, {}, SEQ, SEQ, M, M, True, {}),
    (layers.Softmax, {}, SEQ, SEQ, None, None, True, {}),
    (layers.LayerNormalization, {}, SEQ, SEQ, M, M, True, {}),
    (layers.BatchNormalization, {}, SEQ, SEQ, M, M, True, {}),
    (layers.Identity, {}, SEQ, SEQ, M, M, True, {}),
    (layers.SimpleRNN, {"units": 2, "return_sequences": True}, SEQ, (2, 4, 2), M, M, True, {}),
    (layers.LSTM, {"units": 2, "return_sequences": True}, SEQ, (2, 4, 2), M, M, True, {}),
    (layers.LSTM, {"units": 2}, SEQ, (2, 2), M, None, True, {}),
    (layers.LSTM, {"units": 2, "return_sequences": True, "return_state": True}, SEQ,
     [(2, 4, 2), (2, 2), (2, 2)], M, [M, None, None], True, {}),
    (layers.GRU, {"units": 2, "return_state": True}, SEQ, [(2, 2), (2, 2)], M, [None, None],
     True, {}),
    (layers.Bidirectional, {"layer": layers.LSTM(2, return_sequences=True)}, SEQ, (2, 4, 4), M,
     M, True, {"check_mixed_precision": False}),
    (layers.Bidirectional, {"layer": layers.GRU(2, return_sequences=True), "merge_mode": None},
     SEQ, [(2, 4, 2), (2, 4, 2)], M, [M, M], True, {"check_mixed_precision": False}),
    (layers.ConvLSTM1D, {"filters": 2, "kernel_size": 2, "return_sequences": True},
     (2, 4, 5, 3), (2, 4, 4, 2), M, M, True, {}),
    (layers.ConvLSTM1D, {"filters": 2, "kernel_size": 2}, (2, 4, 5, 3), (2, 4, 2), M, None,
     True, {}),
    (layers.TimeDistributed, {"layer": layers.Dense(2)}, SEQ, (2, 4, 2), M, M, True,
     {"check_mixed_precision": False}),
    (layers.GlobalAveragePooling1D, {}, SEQ, (2, 3), M, None, True, {}),
    (layers.Add, {}, PAIR, SEQ, [M, M2], M | M2, True, {}),
    (layers.Add, {}, PAIR, SEQ, [M, None], None, True, {}),
    (layers.Maximum, {}, PAIR, SEQ, [M, M2], M | M2, True, {}),
    (layers.Concatenate, {}, PAIR, (2, 4, 6), [M, M2], M | M2, True, {}),
    (layers.Concatenate, {}, PAIR, (2, 4, 6), [M, None], np.ones_like(M), True, {}),
    (layers.Concatenate, {"axis": 1}, PAIR, (2, 8, 3), [M, M2], np.concatenate([M, M2], 1),
     True, {}),
    (layers.Dot, {"axes": -1}, PAIR, (2, 4, 4), [M, M2], None, True, {}),
    (layers.Attention, {}, PAIR, SEQ, [M, M2], M, True, {}),
    (layers.Attention, {}, PAIR, SEQ, [None, M2], None, True, {}),
    (layers.AdditiveAttention, {}, PAIR, SEQ, [M, M2], M, True, {}),
]  # fmt: skip


@pytest.mark.parametrize(
    "cls, kwargs, shape, out_shape, mask, expected, supports, extra",
    PASSING,
    ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(PASSING)],
)
def test_masks(cls, kwargs, shape, out_shape, mask, expected, supports, extra):
    symbolic = "layer" not in kwargs  # a wrapped layer instance is built once only
    run_layer_test(cls, kwargs, input_shape=shape, expected_output_shape=out_shape,
                   input_mask=mask, expected_mask=expected, supports_masking=supports,
                   check_symbolic=symbolic, check_unknown_batch=symbolic, **extra)  # fmt: skip


def test_embedding_and_masking_make_masks():
    run_layer_test(layers.Embedding, {"input_dim": 5, "output_dim": 3, "mask_zero": True},
                   input_data=IDS, input_dtype="int64", expected_output_shape=(2, 4, 3),
                   expected_mask=IDS != 0, supports_masking=True)  # fmt: skip
    run_layer_test(layers.Embedding, {"input_dim": 5, "output_dim": 3}, input_data=IDS,
                   expected_output_shape=(2, 4, 3), supports_masking=False)  # fmt: skip
    data = X * M[..., None]
    run_layer_test(layers.Masking, {"mask_value": 0.0}, input_data=data,
                   expected_output_shape=SEQ, expected_mask=M, supports_masking=True)  # fmt: skip
    # a previous mask is replaced by the one Masking computes from the values
    run_layer_test(layers.Masking, {"mask_value": 0.0}, input_data=data, input_mask=M2,
                   expected_output_shape=SEQ, expected_mask=M)  # fmt: skip


@pytest.mark.parametrize(
    "cls, kwargs, out_shape",
    [
        (layers.Conv1D, {"filters": 2, "kernel_size": 2}, (2, 3, 2)),
        (layers.Flatten, {}, (2, 12)),
        (layers.MaxPooling1D, {"pool_size": 2}, (2, 2, 3)),
        (layers.Reshape, {"target_shape": (12,)}, (2, 12)),
    ],  # fmt: skip
)
def test_layers_without_masking_drop_the_mask(cls, kwargs, out_shape):
    with pytest.warns(UserWarning, match="does not support masking"):
        run_layer_test(cls, kwargs, input_shape=SEQ, expected_output_shape=out_shape,
                       input_mask=M, expected_mask=None, supports_masking=False,
                       check_symbolic=False, check_mixed_precision=False)  # fmt: skip


def test_the_mask_step_fails_a_wrong_mask():
    class FirstStepOnly(layers.Layer):
        """Supports masking but gives a mask that keeps the first step only (not Keras's)."""

        supports_masking = True

        def call(self, x):
            return x * 2.0

        def compute_mask(self, inputs, previous_mask=None):
            from tensorhouse_ops import concat, zeros_like

            if previous_mask is None:
                return None
            return concat([previous_mask[:, :1], zeros_like(previous_mask[:, 1:])], 1)

    with pytest.raises(AssertionError, match="FirstStepOnly: mask"):
        run_layer_test(FirstStepOnly, {}, input_shape=SEQ, expected_output_shape=SEQ,
                       input_mask=M, expected_mask=M, check_symbolic=False)  # fmt: skip
    with pytest.raises(AssertionError, match="supports_masking"):
        run_layer_test(layers.Conv1D, {"filters": 1, "kernel_size": 1}, input_shape=SEQ,
                       supports_masking=True)  # fmt: skip
