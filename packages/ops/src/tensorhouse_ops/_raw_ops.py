# ruff: noqa: A002, A006 - the lambdas take TF's argument names (input, filter, sorted)
"""``tf.raw_ops``: TF's ops by op name, keyword arguments only, with TF's input and attr names.

Each op is a line of data: TF's argument list (``"x y adj_x=False"``: inputs, then attrs with
their defaults) and the call that runs it. Elementwise ops whose kernels take exactly TF's inputs
run their op type directly; the rest go through the ops layer's functions, so every raw op
checks, traces and differentiates as the public function does. ``dir(tf.raw_ops)`` lists the ops
defined here; any other name is an AttributeError.
"""

from __future__ import annotations

import ast
import collections
import inspect
import re

from . import _array as A
from . import _check_ops, _misc_ops, linalg, nn, signal
from . import _complex as C
from . import _math as M
from . import _random as R
from . import _segment as S
from . import dtypes as _dt
from ._tape import stop_gradient
from ._tensor import Tensor, VariableLike, _op, convert_to_tensor

__all__ = ["OPS"]

# Elementwise ops whose kernel inputs are TF's, in TF's order, and that have no attrs.
_UNARY_X = ("Abs Acos Acosh Asin Asinh Atan Atanh Ceil Cos Cosh Digamma Erf Exp Expm1 Floor "
            "Invert IsFinite IsNan Lgamma Log Log1p LogicalNot Neg Reciprocal Rint Round Rsqrt "
            "Sigmoid Sign Sin Sinh Sqrt Square Tan Tanh")  # fmt: skip
_UNARY_FEATURES = "Elu Relu Relu6 Selu Softplus"
_BINARY_XY = ("AddV2 BitwiseAnd BitwiseOr BitwiseXor FloorDiv FloorMod Greater GreaterEqual "
              "LeftShift Less LessEqual LogicalAnd LogicalOr Maximum Minimum Mul Pow RealDiv "
              "RightShift SquaredDifference Sub TruncateMod")  # fmt: skip
_BINARY_OTHER = {"Atan2": "y x", "Zeta": "x q", "Polygamma": "a x", "SigmoidGrad": "y dy",
                 "TanhGrad": "y dy", "ReluGrad": "gradients features",
                 "Relu6Grad": "gradients features", "SoftplusGrad": "gradients features",
                 "EluGrad": "gradients outputs", "SeluGrad": "gradients outputs"}  # fmt: skip


# name -> (TF's arguments, the call, output names for a multi-output op)
_TABLE = {
    "Add": ("x y", lambda x, y: M.add(x, y)),
    "AddN": ("inputs", lambda inputs: M.add_n(inputs)),
    "All": (
        "input axis keep_dims=False",
        lambda input, axis, keep_dims: M.reduce_all(input, axis, keep_dims),
    ),
    "Any": (
        "input axis keep_dims=False",
        lambda input, axis, keep_dims: M.reduce_any(input, axis, keep_dims),
    ),
    "ArgMax": (
        "input dimension output_type=tf.int64",
        lambda input, dimension, output_type: M.argmax(input, dimension, output_type),
    ),
    "ArgMin": (
        "input dimension output_type=tf.int64",
        lambda input, dimension, output_type: M.argmin(input, dimension, output_type),
    ),
    "AvgPool": (
        "value ksize strides padding data_format='NHWC'",
        lambda value, ksize, strides, padding, data_format: nn.avg_pool2d(
            value, ksize, strides, padding, _str(data_format)
        ),
    ),
    "BatchMatMulV2": (
        "x y adj_x=False adj_y=False grad_x=False grad_y=False",
        lambda x, y, adj_x, adj_y, **_: M.matmul(x, y, adjoint_a=adj_x, adjoint_b=adj_y),
    ),
    "BiasAdd": (
        "value bias data_format='NHWC'",
        lambda value, bias, data_format: nn.bias_add(value, bias, _str(data_format)),
    ),
    "BroadcastTo": ("input shape", lambda input, shape: A.broadcast_to(input, shape)),
    "Cast": ("x DstT Truncate=False", lambda x, DstT, Truncate: M.cast(x, DstT)),
    "Cholesky": ("input", lambda input: linalg.cholesky(input)),
    "ClipByValue": (
        "t clip_value_min clip_value_max",
        lambda t, clip_value_min, clip_value_max: M.clip_by_value(
            t, clip_value_min, clip_value_max
        ),
    ),
    "ConcatV2": ("values axis", lambda values, axis: A.concat(values, axis)),
    "Conv2D": (
        "input filter strides padding use_cudnn_on_gpu=True explicit_paddings=[] "
        "data_format='NHWC' dilations=[1,1,1,1]",
        lambda input, filter, strides, padding, explicit_paddings, data_format, dilations, **_: (
            nn.conv2d(
                input,
                filter,
                strides,
                _pads(padding, explicit_paddings),
                _str(data_format),
                dilations,
            )
        ),
    ),
    "Cumprod": (
        "x axis exclusive=False reverse=False",
        lambda x, axis, exclusive, reverse: M.cumprod(x, axis, exclusive, reverse),
    ),
    "Cumsum": (
        "x axis exclusive=False reverse=False",
        lambda x, axis, exclusive, reverse: M.cumsum(x, axis, exclusive, reverse),
    ),
    "DivNoNan": ("x y", lambda x, y: M.divide_no_nan(x, y)),
    "Einsum": ("inputs equation", lambda inputs, equation: M.einsum(_str(equation), *inputs)),
    "Equal": ("x y incompatible_shape_error=True", lambda x, y, **_: M.equal(x, y)),
    "ExpandDims": ("input axis", lambda input, axis: A.expand_dims(input, axis)),
    "Fill": ("dims value", lambda dims, value: A.fill(dims, value)),
    "GatherNd": (
        "params indices bad_indices_policy=''",
        lambda params, indices, **_: A.gather_nd(params, indices),
    ),
    "GatherV2": (
        "params indices axis batch_dims=0",
        lambda params, indices, axis, batch_dims: A.gather(
            params, indices, axis=axis, batch_dims=batch_dims
        ),
    ),
    "Identity": ("input", lambda input: A.identity(input)),
    "IsInf": ("x", lambda x: M.is_inf(x)),
    "L2Loss": ("t", lambda t: nn.l2_loss(t)),
    "LeakyRelu": ("features alpha=0.2", lambda features, alpha: nn.leaky_relu(features, alpha)),
    "LogSoftmax": ("logits", lambda logits: nn.log_softmax(logits)),
    "MatMul": (
        "a b transpose_a=False transpose_b=False grad_a=False grad_b=False",
        lambda a, b, transpose_a, transpose_b, **_: M.matmul(a, b, transpose_a, transpose_b),
    ),
    "MatrixDeterminant": ("input", lambda input: linalg.det(input)),
    "MatrixInverse": ("input adjoint=False", lambda input, adjoint: linalg.inv(input, adjoint)),
    "MatrixSolve": (
        "matrix rhs adjoint=False",
        lambda matrix, rhs, adjoint: linalg.solve(matrix, rhs, adjoint),
    ),
    "Max": (
        "input axis keep_dims=False",
        lambda input, axis, keep_dims: M.reduce_max(input, axis, keep_dims),
    ),
    "MaxPool": (
        "input ksize strides padding explicit_paddings=[] data_format='NHWC'",
        lambda input, ksize, strides, padding, data_format, **_: nn.max_pool2d(
            input, ksize, strides, padding, _str(data_format)
        ),
    ),
    "Mean": (
        "input axis keep_dims=False",
        lambda input, axis, keep_dims: M.reduce_mean(input, axis, keep_dims),
    ),
    "Min": (
        "input axis keep_dims=False",
        lambda input, axis, keep_dims: M.reduce_min(input, axis, keep_dims),
    ),
    "MirrorPad": (
        "input paddings mode",
        lambda input, paddings, mode: A.pad(input, paddings, _str(mode)),
    ),
    "NotEqual": ("x y incompatible_shape_error=True", lambda x, y, **_: M.not_equal(x, y)),
    "OneHot": (
        "indices depth on_value off_value axis=-1",
        lambda indices, depth, on_value, off_value, axis: A.one_hot(
            indices, depth, on_value, off_value, axis
        ),
    ),
    "OnesLike": ("x", lambda x: A.ones_like(x)),
    "Pack": ("values axis=0", lambda values, axis: A.stack(values, axis)),
    "Pad": ("input paddings", lambda input, paddings: A.pad(input, paddings)),
    "PadV2": (
        "input paddings constant_values",
        lambda input, paddings, constant_values: A.pad(
            input, paddings, "CONSTANT", constant_values
        ),
    ),
    "Prod": (
        "input axis keep_dims=False",
        lambda input, axis, keep_dims: M.reduce_prod(input, axis, keep_dims),
    ),
    "Qr": (
        "input full_matrices=False",
        lambda input, full_matrices: linalg.qr(input, full_matrices),
        "q r",
    ),
    "RandomStandardNormal": (
        "shape dtype seed=0 seed2=0",
        lambda shape, dtype, seed, seed2: R.normal(shape, dtype=dtype, seed=_seed(seed, seed2)),
    ),
    "RandomUniform": (
        "shape dtype seed=0 seed2=0",
        lambda shape, dtype, seed, seed2: R.uniform(shape, dtype=dtype, seed=_seed(seed, seed2)),
    ),
    "Range": ("start limit delta", lambda start, limit, delta: A.range(start, limit, delta)),
    "Rank": ("input", lambda input: A.rank(input)),
    "Reshape": ("tensor shape", lambda tensor, shape: A.reshape(tensor, shape)),
    "ReverseV2": ("tensor axis", lambda tensor, axis: A.reverse(tensor, axis)),
    "ScatterNd": (
        "indices updates shape bad_indices_policy=''",
        lambda indices, updates, shape, **_: A.scatter_nd(indices, updates, shape),
    ),
    "SegmentMax": ("data segment_ids", lambda data, segment_ids: S.segment_max(data, segment_ids)),
    "SegmentMean": (
        "data segment_ids",
        lambda data, segment_ids: S.segment_mean(data, segment_ids),
    ),
    "SegmentMin": ("data segment_ids", lambda data, segment_ids: S.segment_min(data, segment_ids)),
    "SegmentProd": (
        "data segment_ids",
        lambda data, segment_ids: S.segment_prod(data, segment_ids),
    ),
    "SegmentSum": ("data segment_ids", lambda data, segment_ids: S.segment_sum(data, segment_ids)),
    "SelectV2": ("condition t e", lambda condition, t, e: A.where(condition, t, e)),
    "SelfAdjointEigV2": (
        "input compute_v=True",
        lambda input, compute_v: linalg.eigh(input),
        "e v",
    ),
    "Shape": ("input out_type=tf.int32", lambda input, out_type: A.shape(input, out_type)),
    "Size": ("input out_type=tf.int32", lambda input, out_type: A.size(input, out_type)),
    "Slice": ("input begin size", lambda input, begin, size: A.slice(input, begin, size)),
    "Softmax": ("logits", lambda logits: nn.softmax(logits)),
    "Softsign": ("features", lambda features: nn.softsign(features)),
    "Split": (
        "axis value num_split",
        lambda axis, value, num_split: A.split(value, num_split, axis),
    ),
    "SplitV": (
        "value size_splits axis num_split",
        lambda value, size_splits, axis, num_split: A.split(value, size_splits, axis),
    ),
    "Squeeze": ("input axis=[]", lambda input, axis: A.squeeze(input, axis or None)),
    "StopGradient": ("input", lambda input: stop_gradient(input)),
    "StridedSlice": (
        "input begin end strides begin_mask=0 end_mask=0 ellipsis_mask=0 "
        "new_axis_mask=0 shrink_axis_mask=0",
        lambda input, begin, end, strides, **masks: A.strided_slice(
            input, begin, end, strides, **masks
        ),
    ),
    "Sum": (
        "input axis keep_dims=False",
        lambda input, axis, keep_dims: M.reduce_sum(input, axis, keep_dims),
    ),
    "Svd": ("input compute_uv=True full_matrices=False", lambda **kw: _svd(**kw), "s u v"),
    "TensorScatterAdd": (
        "tensor indices updates bad_indices_policy=''",
        lambda tensor, indices, updates, **_: A.tensor_scatter_nd_add(tensor, indices, updates),
    ),
    "TensorScatterUpdate": (
        "tensor indices updates bad_indices_policy=''",
        lambda tensor, indices, updates, **_: A.tensor_scatter_nd_update(tensor, indices, updates),
    ),
    "Tile": ("input multiples", lambda input, multiples: A.tile(input, multiples)),
    "TopKV2": (
        "input k sorted=True index_type=tf.int32",
        lambda input, k, sorted, index_type: M.top_k(input, k, sorted),
        "values indices",
    ),
    "Transpose": ("x perm", lambda x, perm: A.transpose(x, perm)),
    "Unique": ("x out_idx=tf.int32", lambda x, out_idx: S.unique(x, out_idx), "y idx"),
    "Unpack": ("value num axis=0", lambda value, num, axis: A.unstack(value, num, axis)),
    "UnsortedSegmentMax": (
        "data segment_ids num_segments",
        lambda data, segment_ids, num_segments: S.unsorted_segment_max(
            data, segment_ids, num_segments
        ),
    ),
    "UnsortedSegmentMin": (
        "data segment_ids num_segments",
        lambda data, segment_ids, num_segments: S.unsorted_segment_min(
            data, segment_ids, num_segments
        ),
    ),
    "UnsortedSegmentProd": (
        "data segment_ids num_segments",
        lambda data, segment_ids, num_segments: S.unsorted_segment_prod(
            data, segment_ids, num_segments
        ),
    ),
    "UnsortedSegmentSum": (
        "data segment_ids num_segments",
        lambda data, segment_ids, num_segments: S.unsorted_segment_sum(
            data, segment_ids, num_segments
        ),
    ),
    "Where": ("condition", lambda condition: A.where(condition)),
    "Xdivy": ("x y", lambda x, y: M.xdivy(x, y)),
    "Xlogy": ("x y", lambda x, y: M.xlogy(x, y)),
    "ZerosLike": ("x", lambda x: A.zeros_like(x)),
    "Complex": ("real imag Tout=tf.complex64", lambda real, imag, Tout: C.complex(real, imag)),
    "Conj": ("input", lambda input: C.conj(input)),
    "LowerBound": (
        "sorted_inputs values out_type=tf.int32",
        lambda sorted_inputs, values, out_type: S.searchsorted(
            sorted_inputs, values, "left", out_type
        ),
    ),
    "UpperBound": (
        "sorted_inputs values out_type=tf.int32",
        lambda sorted_inputs, values, out_type: S.searchsorted(
            sorted_inputs, values, "right", out_type
        ),
    ),
    "UniqueWithCounts": (
        "x out_idx=tf.int32",
        lambda x, out_idx: S.unique_with_counts(x, out_idx),
        "y idx count",
    ),
    "TensorScatterSub": (
        "tensor indices updates bad_indices_policy=''",
        lambda tensor, indices, updates, **_: _misc_ops.tensor_scatter_nd_sub(
            tensor, indices, updates
        ),
    ),
    "TensorScatterMax": (
        "tensor indices updates bad_indices_policy=''",
        lambda tensor, indices, updates, **_: _misc_ops.tensor_scatter_nd_max(
            tensor, indices, updates
        ),
    ),
    "TensorScatterMin": (
        "tensor indices updates bad_indices_policy=''",
        lambda tensor, indices, updates, **_: _misc_ops.tensor_scatter_nd_min(
            tensor, indices, updates
        ),
    ),
    "TruncatedNormal": (
        "shape dtype seed=0 seed2=0",
        lambda shape, dtype, seed, seed2: R.truncated_normal(
            shape, dtype=dtype, seed=_seed(seed, seed2)
        ),
    ),
    "RandomUniformInt": (
        "shape minval maxval seed=0 seed2=0",
        lambda shape, minval, maxval, seed, seed2: R.uniform(
            shape, minval, maxval, convert_to_tensor(minval).dtype, _seed(seed, seed2)
        ),
    ),
    "Conv2DBackpropInput": (
        "input_sizes filter out_backprop strides padding use_cudnn_on_gpu=True "
        "explicit_paddings=[] data_format='NHWC' dilations=[1,1,1,1]",
        lambda **kw: _conv_backprop_input(**kw),
    ),
    "LogMatrixDeterminant": (
        "input",
        lambda input: linalg.slogdet(input),
        "sign log_abs_determinant",
    ),
    "Lu": (
        "input output_idx_type=tf.int32",
        lambda input, output_idx_type: linalg.lu(input, output_idx_type),
        "lu p",
    ),
    "BroadcastArgs": ("s0 s1", lambda s0, s1: _misc_ops.broadcast_dynamic_shape(s0, s1)),
    "SoftmaxCrossEntropyWithLogits": (
        "features labels",
        lambda features, labels: _xent(features, labels, False),
        "loss backprop",
    ),
    "SparseSoftmaxCrossEntropyWithLogits": (
        "features labels",
        lambda features, labels: _xent(features, labels, True),
        "loss backprop",
    ),
    "DenseBincount": ("input size weights binary_output=False", lambda **kw: _bincount(**kw)),
    "ReverseSequence": (
        "input seq_lengths seq_dim batch_dim=0",
        lambda input, seq_lengths, seq_dim, batch_dim: _misc_ops.reverse_sequence(
            input, seq_lengths, seq_dim, batch_dim
        ),
    ),
    "DynamicPartition": (
        "data partitions num_partitions",
        lambda data, partitions, num_partitions: _misc_ops.dynamic_partition(
            data, partitions, num_partitions
        ),
    ),
    "DynamicStitch": (
        "indices data",
        lambda indices, data: _misc_ops.dynamic_stitch(indices, data),
    ),
    "CheckNumerics": (
        "tensor message",
        lambda tensor, message: _check_ops.check_numerics(tensor, message),
    ),
    "EnsureShape": ("input shape", lambda input, shape: _misc_ops.ensure_shape(input, shape)),
    "Timestamp": ("", lambda: _misc_ops.timestamp()),
    "NoOp": ("", lambda: None),
    "IdentityN": ("input", lambda input: _misc_ops.identity_n(input)),
}


def _str(v):
    return v.decode() if isinstance(v, bytes) else v


def _pads(padding, explicit):
    padding = _str(padding)
    if padding != "EXPLICIT":
        return padding
    return [list(explicit[i : i + 2]) for i in range(0, len(explicit), 2)]


def _seed(seed, seed2):
    return None if not (seed or seed2) else (seed2 or seed)


def _svd(input, compute_uv, full_matrices):
    if compute_uv:
        return linalg.svd(input, full_matrices, True)
    empty = A.zeros([0], convert_to_tensor(input).dtype)
    return linalg.svd(input, full_matrices, False), empty, empty


def _elementwise(op_type, names):
    def call(**kw):
        return _op(op_type, _operands([kw[k] for k in names]))

    return " ".join(names), call


def _operands(values):
    """The inputs as tensors; a Python number beside a tensor takes the tensor's dtype."""
    dtype = next((v.dtype for v in values if isinstance(v, Tensor | VariableLike)), None)
    return [v._th_read() if isinstance(v, VariableLike) else v if isinstance(v, Tensor)
            else convert_to_tensor(v, dtype) for v in values]  # fmt: skip


def _default(text):
    if text.startswith("tf."):
        return _dt.as_dtype(text[3:])
    return ast.literal_eval(text)


def _make(name, args, call, outputs=None):
    params = []
    for a in args.split():
        key, _, default = a.partition("=")
        d = _default(default) if default else inspect.Parameter.empty
        params.append(inspect.Parameter(key, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=d))
    params.append(inspect.Parameter("name", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None))
    sig = inspect.Signature(params)
    keys = [p.name for p in params]
    result = collections.namedtuple(name, outputs.split()) if outputs else None
    snake = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()

    def op(*args, **kwargs):
        if args:
            raise TypeError(
                f"{snake} only takes keyword args (possible keys: {keys}). Please pass these args "
                "as kwargs instead."
            )
        bound = sig.bind(**kwargs)
        bound.apply_defaults()
        values = dict(bound.arguments)
        del values["name"]
        out = call(**values)
        return result(*out) if result is not None else out

    op.__name__ = op.__qualname__ = name
    op.__signature__ = sig
    op.__doc__ = f"TF's ``tf.raw_ops.{name}``: keyword arguments only ({', '.join(keys)})."
    return op


_FFT = {"FFT": signal.fft, "IFFT": signal.ifft, "FFT2D": signal.fft2d, "IFFT2D": signal.ifft2d,
        "FFT3D": signal.fft3d, "IFFT3D": signal.ifft3d}  # fmt: skip
_RFFT = {"RFFT": signal.rfft, "RFFT2D": signal.rfft2d, "RFFT3D": signal.rfft3d,
         "IRFFT": signal.irfft, "IRFFT2D": signal.irfft2d, "IRFFT3D": signal.irfft3d}  # fmt: skip
_PARTS = {"Real": C.real, "Imag": C.imag, "Angle": C.angle, "ComplexAbs": M.abs}


def _xent(features, labels, sparse):
    """``(loss, backprop)`` of TF's fused softmax cross-entropy ops."""
    p = nn.softmax(features)
    if sparse:
        loss = nn.sparse_softmax_cross_entropy_with_logits(labels, features)
        return loss, p - A.one_hot(labels, A.shape(features)[-1], dtype=p.dtype)
    return nn.softmax_cross_entropy_with_logits(labels, features), p - labels


def _conv_backprop_input(input_sizes, filter, out_backprop, strides, padding, explicit_paddings,
                         data_format, dilations, **_):  # fmt: skip
    pads = _pads(padding, explicit_paddings)
    return nn.conv2d_transpose(out_backprop, filter, input_sizes, strides, pads,
                               _str(data_format), dilations)  # fmt: skip


def _bincount(input, size, weights, binary_output):
    w = convert_to_tensor(weights)
    weighted = w.shape.num_elements() != 0  # TF: an empty ``weights`` means none
    return S.bincount(input, w if weighted else None, size, size,
                      w.dtype, binary_output=binary_output)  # fmt: skip


def _build():
    table = dict(_TABLE)
    table.update({n: ("input", lambda input, f=f: f(input)) for n, f in _FFT.items()})
    kind = {"RFFT": "Tcomplex=tf.complex64", "IRFFT": "Treal=tf.float32"}
    table.update({n: (f"input fft_length {kind[n[:-2] if n[-1] == 'D' else n]}",
                      lambda input, fft_length, f=f, **_: f(input, fft_length))
                  for n, f in _RFFT.items()})  # fmt: skip
    out = {"ComplexAbs": "x"}
    table.update({n: (f"{out.get(n, 'input')} Tout=tf.float32", lambda Tout, f=f, **kw:
                      f(*kw.values())) for n, f in _PARTS.items()})  # fmt: skip
    for names, args in ((_UNARY_X, "x"), (_UNARY_FEATURES, "features")):
        table.update({n: _elementwise(n, (args,)) for n in names.split()})
    table.update({n: _elementwise(n, ("x", "y")) for n in _BINARY_XY.split()})
    table.update({n: _elementwise(n, tuple(a.split())) for n, a in _BINARY_OTHER.items()})
    return {name: _make(name, *spec) for name, spec in sorted(table.items())}


OPS = _build()
