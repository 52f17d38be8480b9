"""TF's names exist where TF puts them (tf.*, tf.math.*, tf.nn.*, tf.random.*, tf.errors.*)."""

import pytest

TOP = (
    "Tensor TensorShape TensorSpec Variable Module GradientTape UnconnectedGradients DType "
    "constant convert_to_tensor is_tensor cast identity zeros ones fill zeros_like ones_like eye "
    "range linspace reshape transpose expand_dims squeeze concat stack unstack split tile pad "
    "gather gather_nd boolean_mask where one_hot broadcast_to slice strided_slice reverse "
    "scatter_nd tensor_scatter_nd_update shape rank size add add_n subtract multiply divide "
    "truediv truncatediv truncatemod realdiv matmul tensordot einsum maximum minimum abs "
    "exp sqrt square sin cos tanh sigmoid negative sign round pow equal not_equal less "
    "greater greater_equal less_equal logical_and logical_or logical_not reduce_sum reduce_mean "
    "reduce_max reduce_min reduce_prod reduce_all reduce_any argmax argmin cumsum clip_by_value "
    "clip_by_norm clip_by_global_norm norm function cond while_loop print stop_gradient "
    "custom_gradient name_scope device float16 float32 float64 bfloat16 int8 int16 int32 int64 "
    "uint8 bool string double half newaxis"
).split()

MATH = (
    "abs add add_n argmax argmin ceil cos cumprod cumsum divide equal erf exp expm1 floor "
    "floordiv floormod greater greater_equal is_finite is_nan less less_equal log log1p "
    "logical_and logical_not logical_or maximum minimum mod multiply negative not_equal pow "
    "reciprocal reduce_all reduce_any reduce_max reduce_mean reduce_min reduce_prod reduce_sum "
    "round rsqrt sigmoid sign sin softplus sqrt square squared_difference subtract tan tanh "
    "top_k truediv unsorted_segment_sum reduce_std reduce_variance "
    "reduce_logsumexp log_sigmoid"
).split()

NN = (
    "avg_pool2d batch_normalization bias_add conv1d conv2d conv2d_transpose depthwise_conv2d "
    "dropout elu gelu l2_loss log_softmax max_pool2d moments relu relu6 selu sigmoid silu "
    "softmax softmax_cross_entropy_with_logits softplus sparse_softmax_cross_entropy_with_logits "
    "sigmoid_cross_entropy_with_logits tanh top_k"
).split()

RANDOM = [
    *"set_seed uniform normal truncated_normal stateless_uniform stateless_normal".split(),
    "stateless_truncated_normal",
    "shuffle",
    "categorical",
    "Generator",
]

ERRORS = (
    "OpError InvalidArgumentError NotFoundError ResourceExhaustedError UnimplementedError "
    "InternalError FailedPreconditionError OutOfRangeError"
).split()


@pytest.mark.parametrize("name", TOP)
def test_top_level_name(tf, name):
    assert hasattr(tf, name), f"tf.{name}"


@pytest.mark.parametrize("name", MATH)
def test_math_name(tf, name):
    assert hasattr(tf.math, name), f"tf.math.{name}"


@pytest.mark.parametrize("name", NN)
def test_nn_name(tf, name):
    assert hasattr(tf.nn, name), f"tf.nn.{name}"


@pytest.mark.parametrize("name", RANDOM)
def test_random_name(tf, name):
    assert hasattr(tf.random, name), f"tf.random.{name}"


@pytest.mark.parametrize("name", ERRORS)
def test_errors_are_op_errors(tf, name):
    cls = getattr(tf.errors, name)
    assert issubclass(cls, tf.errors.OpError) and issubclass(tf.errors.OpError, Exception)
