"""Every layer family through ``testing.run_layer_test``: shapes, symbolic shapes, config round
trips with the same weights, eager == traced and (where cheap) float64 gradients against
central differences."""

import pytest

from tensorhouse_components import layers
from tensorhouse_components.testing import run_layer_test

CASES = [
    # (class, init kwargs, input shape, expected output shape, extra run_layer_test kwargs)
    (
        layers.Dense,
        {"units": 4},
        (2, 3),
        (2, 4),
        {"expected_num_trainable_weights": 2, "check_gradients": True},
    ),
    (layers.Dense, {"units": 2, "activation": "tanh"}, (2, 5, 3), (2, 5, 2), {}),
    (
        layers.EinsumDense,
        {"equation": "ab,bc->ac", "output_shape": 4, "bias_axes": "c"},
        (2, 3),
        (2, 4),
        {"check_gradients": True},
    ),
    (
        layers.Conv1D,
        {"filters": 3, "kernel_size": 2},
        (2, 6, 4),
        (2, 5, 3),
        {"check_gradients": True},
    ),
    (
        layers.Conv2D,
        {"filters": 3, "kernel_size": 3, "padding": "same"},
        (2, 5, 5, 2),
        (2, 5, 5, 3),
        {"check_gradients": True},
    ),
    (
        layers.Conv2D,
        {"filters": 4, "kernel_size": 2, "strides": 2, "groups": 2},
        (1, 6, 6, 4),
        (1, 3, 3, 4),
        {},
    ),
    (
        layers.Conv2DTranspose,
        {"filters": 2, "kernel_size": 3, "strides": 2},
        (1, 4, 4, 3),
        (1, 9, 9, 2),
        {"check_symbolic": False},
    ),
    (
        layers.Conv2DTranspose,
        {"filters": 2, "kernel_size": 2, "strides": 2, "padding": "same", "output_padding": 1},
        (2, 3, 3, 2),
        (2, 5, 5, 2),
        {},
    ),
    (
        layers.Conv1DTranspose,
        {"filters": 2, "kernel_size": 3, "strides": 3, "padding": "same", "dilation_rate": 1},
        (2, 4, 3),
        (2, 12, 2),
        {},
    ),
    (layers.DepthwiseConv2D, {"kernel_size": 3}, (2, 5, 5, 2), (2, 3, 3, 2), {}),
    (layers.SeparableConv2D, {"filters": 3, "kernel_size": 3}, (2, 5, 5, 2), (2, 3, 3, 3), {}),
    (layers.MaxPooling2D, {}, (2, 4, 4, 3), (2, 2, 2, 3), {}),
    (layers.AveragePooling1D, {"pool_size": 2}, (2, 6, 3), (2, 3, 3), {}),
    (layers.GlobalAveragePooling2D, {}, (2, 4, 4, 3), (2, 3), {}),
    (
        layers.BatchNormalization,
        {},
        (4, 3),
        (4, 3),
        {
            "expected_num_trainable_weights": 2,
            "expected_num_non_trainable_weights": 2,
            "supports_training": False,
        },
    ),
    (layers.LayerNormalization, {}, (2, 5), (2, 5), {"check_gradients": True}),
    (layers.GroupNormalization, {"groups": 2}, (2, 3, 4), (2, 3, 4), {}),
    (layers.UnitNormalization, {}, (2, 5), (2, 5), {}),
    (layers.RMSNormalization, {"axis": [1, 2]}, (2, 3, 4), (2, 3, 4), {"check_gradients": True}),
    (layers.Dropout, {"rate": 0.5, "seed": 1}, (2, 6), (2, 6), {"random_in_training": True}),
    (
        layers.GaussianNoise,
        {"stddev": 0.1, "seed": 1},
        (2, 6),
        (2, 6),
        {"random_in_training": True},
    ),
    (layers.Flatten, {}, (2, 3, 4), (2, 12), {}),
    (layers.Reshape, {"target_shape": (2, 6)}, (2, 3, 4), (2, 2, 6), {}),
    (layers.Permute, {"dims": (2, 1)}, (2, 3, 4), (2, 4, 3), {}),
    (layers.RepeatVector, {"n": 3}, (2, 4), (2, 3, 4), {}),
    (layers.ZeroPadding2D, {"padding": 1}, (1, 3, 3, 2), (1, 5, 5, 2), {}),
    (layers.Cropping1D, {"cropping": (1, 1)}, (2, 5, 3), (2, 3, 3), {}),
    (layers.UpSampling2D, {"size": 2}, (1, 2, 3, 1), (1, 4, 6, 1), {}),
    (layers.ReLU, {"max_value": 0.5}, (2, 4), (2, 4), {}),
    (layers.LeakyReLU, {}, (2, 4), (2, 4), {}),
    (layers.PReLU, {}, (2, 4), (2, 4), {"expected_num_trainable_weights": 1}),
    (layers.ELU, {}, (2, 4), (2, 4), {}),
    (layers.Softmax, {}, (2, 4), (2, 4), {"check_gradients": True}),
    (layers.Activation, {"activation": "sigmoid"}, (2, 4), (2, 4), {}),
    (
        layers.Embedding,
        {"input_dim": 10, "output_dim": 3},
        (2, 5),
        (2, 5, 3),
        {"input_dtype": "int32", "input_range": (0, 10)},
    ),
    (layers.SimpleRNN, {"units": 3}, (2, 4, 2), (2, 3), {"check_gradients": True}),
    (layers.LSTM, {"units": 3, "return_sequences": True}, (2, 4, 2), (2, 4, 3), {}),
    (layers.GRU, {"units": 3}, (2, 4, 2), (2, 3), {}),
    (layers.Concatenate, {}, [(2, 3), (2, 2)], (2, 5), {}),
    (layers.Add, {}, [(2, 3), (2, 3)], (2, 3), {}),
    (layers.Dot, {"axes": 1}, [(2, 3), (2, 3)], (2, 1), {}),
    # layers whose shape arguments depend on the batch size (traced with the batch unknown)
    (
        layers.Dropout,
        {"rate": 0.5, "noise_shape": (None, 1, 3)},
        (2, 4, 3),
        (2, 4, 3),
        {"random_in_training": True},
    ),
    (
        layers.SpatialDropout1D,
        {"rate": 0.5, "seed": 2},
        (2, 4, 3),
        (2, 4, 3),
        {"random_in_training": True},
    ),
    (
        layers.SpatialDropout2D,
        {"rate": 0.5},
        (2, 3, 3, 2),
        (2, 3, 3, 2),
        {"random_in_training": True},
    ),
    (
        layers.GaussianDropout,
        {"rate": 0.3, "seed": 1},
        (2, 6),
        (2, 6),
        {"random_in_training": True},
    ),
    (layers.AlphaDropout, {"rate": 0.3, "seed": 1}, (2, 6), (2, 6), {"random_in_training": True}),
    (layers.ActivityRegularization, {"l1": 0.1, "l2": 0.2}, (2, 6), (2, 6), {}),
    (
        layers.Embedding,
        {"output_dim": 2, "input_dim": 5, "activity_regularizer": "l2"},
        (3, 4),
        (3, 4, 2),
        {"input_dtype": "int32", "input_range": (0, 5)},
    ),
    (
        layers.EinsumDense,
        {"equation": "abc,cd->abd", "output_shape": (None, 4), "bias_axes": "d"},
        (2, 3, 5),
        (2, 3, 4),
        {},
    ),
    (layers.Reshape, {"target_shape": (-1, 3)}, (2, 3, 4), (2, 4, 3), {}),
    (layers.Flatten, {}, (2, 2, 3, 2), (2, 12), {}),
    (layers.Attention, {}, [(2, 3, 4), (2, 5, 4)], (2, 3, 4), {}),
    (
        layers.Attention,
        {"dropout": 0.5, "seed": 3},
        [(2, 3, 4), (2, 5, 4)],
        (2, 3, 4),
        {"random_in_training": True},
    ),
    (layers.AdditiveAttention, {}, [(2, 3, 4), (2, 5, 4)], (2, 3, 4), {}),
    (
        layers.LSTM,
        {"units": 3, "dropout": 0.3, "recurrent_dropout": 0.3, "seed": 1},
        (2, 4, 2),
        (2, 3),
        {"random_in_training": True},
    ),
    (
        layers.GRU,
        {"units": 3, "return_sequences": True, "dropout": 0.2},
        (2, 4, 2),
        (2, 4, 3),
        {"random_in_training": True},
    ),
    (layers.GRU, {"units": 2, "return_state": True}, (2, 4, 2), [(2, 2), (2, 2)], {}),
    (layers.SimpleRNN, {"units": 2, "go_backwards": True}, (2, 3, 2), (2, 2), {}),
    (layers.Bidirectional, {"layer": layers.LSTM(3)}, (2, 4, 2), (2, 6), {}),
    (
        layers.Bidirectional,
        {"layer": layers.GRU(2, return_sequences=True)},
        (2, 4, 2),
        (2, 4, 4),
        {},
    ),
    (layers.TimeDistributed, {"layer": layers.Dense(3)}, (2, 4, 2), (2, 4, 3), {}),
    (layers.TimeDistributed, {"layer": layers.Conv1D(2, 2)}, (2, 3, 5, 2), (2, 3, 4, 2), {}),
    (layers.MaxPooling3D, {}, (1, 4, 4, 4, 2), (1, 2, 2, 2, 2), {}),
    (layers.UpSampling1D, {"size": 2}, (2, 3, 2), (2, 6, 2), {}),
    (layers.Cropping2D, {"cropping": 1}, (1, 4, 4, 2), (1, 2, 2, 2), {}),
    (
        layers.Conv1D,
        {"filters": 2, "kernel_size": 2, "padding": "causal"},
        (2, 5, 3),
        (2, 5, 2),
        {},
    ),
    (layers.SeparableConv1D, {"filters": 2, "kernel_size": 2}, (2, 5, 3), (2, 4, 2), {}),
    (layers.DepthwiseConv1D, {"kernel_size": 2}, (2, 5, 3), (2, 4, 3), {}),
    (layers.GlobalMaxPooling1D, {"keepdims": True}, (2, 5, 3), (2, 1, 3), {}),
    (layers.Masking, {}, (2, 3, 2), (2, 3, 2), {}),
    (layers.Normalization, {"mean": 0.5, "variance": 2.0}, (2, 3), (2, 3), {}),
    (layers.Rescaling, {"scale": 2.0, "offset": 1.0}, (2, 3), (2, 3), {}),
    (layers.Resizing, {"height": 4, "width": 6}, (2, 2, 3, 1), (2, 4, 6, 1), {}),
    (layers.CenterCrop, {"height": 2, "width": 2}, (2, 4, 4, 1), (2, 2, 2, 1), {}),
    (
        layers.CategoryEncoding,
        {"num_tokens": 4, "output_mode": "multi_hot"},
        (2, 3),
        (2, 4),
        {"input_dtype": "int32", "input_range": (0, 4)},
    ),
    (layers.Discretization, {"bin_boundaries": [0.0, 0.5]}, (2, 3), (2, 3), {}),
    (
        layers.RandomFlip,
        {"seed": 1},
        (2, 3, 3, 1),
        (2, 3, 3, 1),
        {"random_in_training": True, "call_kwargs": {"training": False}},
    ),
    (
        layers.RandomContrast,
        {"factor": 0.5, "seed": 1},
        (2, 3, 3, 1),
        (2, 3, 3, 1),
        {"random_in_training": True, "call_kwargs": {"training": False}},
    ),
    (
        layers.RandomBrightness,
        {"factor": 0.5, "seed": 1},
        (2, 3, 3, 1),
        (2, 3, 3, 1),
        {"random_in_training": True, "call_kwargs": {"training": False}},
    ),
    (
        layers.RandomTranslation,
        {"height_factor": 0.2, "width_factor": 0.2, "seed": 1},
        (2, 4, 4, 1),
        (2, 4, 4, 1),
        {"random_in_training": True, "call_kwargs": {"training": False}},
    ),
    (
        layers.RandomRotation,
        {"factor": 0.2, "seed": 1},
        (2, 4, 4, 1),
        (2, 4, 4, 1),
        {"random_in_training": True, "call_kwargs": {"training": False}},
    ),
    (
        layers.RandomZoom,
        {"height_factor": 0.2, "seed": 1},
        (2, 4, 4, 1),
        (2, 4, 4, 1),
        {"random_in_training": True, "call_kwargs": {"training": False}},
    ),
]


@pytest.mark.parametrize(
    "cls, kwargs, input_shape, output_shape, extra",
    CASES,
    ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)],
)
def test_layer(cls, kwargs, input_shape, output_shape, extra):
    run_layer_test(cls, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   **extra)  # fmt: skip


def test_run_layer_test_fails_a_broken_layer():
    class WrongGradient(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, x):
            from tensorhouse_ops import stop_gradient

            return x * stop_gradient(self.w)  # the gradient of w is lost

        def get_config(self):
            return super().get_config()

    with pytest.raises(AssertionError, match="gradient"):
        run_layer_test(WrongGradient, {}, input_shape=(2, 3), expected_output_shape=(2, 3),
                       check_gradients=True, check_symbolic=False)  # fmt: skip
    with pytest.raises(AssertionError, match="output shape"):
        run_layer_test(layers.Dense, {"units": 4}, input_shape=(2, 3),
                       expected_output_shape=(2, 5))  # fmt: skip


def test_run_layer_test_checks_an_unknown_batch():
    class BatchMean(layers.Layer):
        """Divides by the static batch size, taking 2 where it is unknown: wrong at batch 3."""

        def call(self, x):
            from tensorhouse_ops import reduce_sum

            n = x.shape[0] if x.shape[0] is not None else 2
            return reduce_sum(x, axis=0, keepdims=True) / float(n) + x * 0.0

        def get_config(self):
            return super().get_config()

    with pytest.raises(AssertionError, match="batch None"):
        run_layer_test(BatchMean, {}, input_shape=(2, 3), expected_output_shape=(2, 3),
                       check_symbolic=False)  # fmt: skip
    run_layer_test(BatchMean, {}, input_shape=(2, 3), expected_output_shape=(2, 3),
                   check_symbolic=False, check_unknown_batch=False)  # fmt: skip


def test_run_layer_test_checks_mixed_precision():
    class Float16Weights(layers.Layer):
        """Makes its weight in the compute dtype: float16 under mixed_float16."""

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones",
                                     dtype=self.compute_dtype)  # fmt: skip

        def call(self, x):
            from tensorhouse_ops import cast

            return x * cast(self.w, x.dtype)

        def get_config(self):
            return super().get_config()

    with pytest.raises(AssertionError, match="mixed_float16 weights in"):
        run_layer_test(Float16Weights, {}, input_shape=(2, 3), expected_output_shape=(2, 3),
                       check_symbolic=False)  # fmt: skip
    run_layer_test(Float16Weights, {}, input_shape=(2, 3), expected_output_shape=(2, 3),
                   check_symbolic=False, check_mixed_precision=False)  # fmt: skip
