"""Attention layers: ``Attention``, ``AdditiveAttention``, ``MultiHeadAttention``,
``GroupQueryAttention``.

All four score queries against keys, then go through ``attend``: a softmax in which masked
positions get a large negative score first (Keras's rule), optional dropout on the weights, and
the weighted sum of the values.
"""

from __future__ import annotations

import math as _pymath
import string

import numpy as np

from tensorhouse_ops import (
    Tensor,
    Variable,
    concat,
    constant,
    convert_to_tensor,
    exp,
    expand_dims,
    greater_equal,
    logical_and,
    matmul,
    not_equal,
    random,
    reduce_max,
    reduce_sum,
    repeat,
    reshape,
    split,
    tanh,
    transpose,
    where,
    zeros_like,
)
from tensorhouse_ops import nn as _nn

from .. import _naming, constraints, initializers, regularizers
from .._masks import get_keras_mask, set_keras_mask
from ._args import check_rate, dynamic_shape, einsum, initializer, regularizer_config, unsupported
from ._core_extra import EinsumDense
from ._layer import Layer

__all__ = [
    "AdditiveAttention", "Attention", "GroupQueryAttention", "MultiHeadAttention", "attend",
]  # fmt: skip


def _large_negative(dtype):
    return -3e4 if dtype.name == "float16" else -1e9


def _as_bool(mask):
    """A mask (bool, int or float; tensor or array) as a bool tensor (Keras: True = keep)."""
    if mask is None:
        return None
    mask = convert_to_tensor(mask)
    return mask if mask.dtype.name == "bool" else not_equal(mask, 0)


def _and(a, b):
    return b if a is None else (a if b is None else logical_and(a, b))


def _dropout(x, rate, generator=None):
    shape = dynamic_shape(x)
    if generator is None:
        u = random.uniform(shape, dtype=x.dtype)
    else:
        u = generator.uniform(shape, dtype=x.dtype)
    keep = greater_equal(u, rate)  # a select: a dropped inf or nan becomes 0
    return where(keep, x / (1.0 - rate), zeros_like(x))


def attend(
    scores, value, mask=None, combine=None, axes=(-1,), dropout=0.0, generator=None,
    zero_masked=False, dropped_weights=False,
):  # fmt: skip
    """Masked softmax of ``scores`` over ``axes``, dropout, then the weighted sum of ``value``.

    ``mask`` (bool, broadcastable to ``scores``; True = attend) replaces masked scores with a
    large negative number before the softmax; ``zero_masked`` also zeroes the masked weights
    afterwards (Keras's ``Softmax`` layer, so a fully masked row gives zeros, not a uniform
    row). ``combine`` is the einsum equation ``"scores,value->out"`` (None: ``matmul``).
    ``dropout`` > 0 applies dropout to the weights, drawn from ``generator``. Returns
    ``(output, weights)``, the weights before dropout unless ``dropped_weights``.
    """
    if mask is not None:
        scores = where(mask, scores, _large_negative(scores.dtype))
    if tuple(axes) in ((-1,), (len(scores.shape.as_list()) - 1,)):  # the fused kernel
        weights = _nn.softmax(scores, axis=-1)
    else:
        shifted = scores - reduce_max(scores, axis=list(axes), keepdims=True)
        e = exp(shifted)
        weights = e / reduce_sum(e, axis=list(axes), keepdims=True)
    if mask is not None and zero_masked:
        weights = where(mask, weights, 0.0)
    dropped = _dropout(weights, dropout, generator) if dropout > 0 else weights
    out = matmul(dropped, value) if combine is None else einsum(combine, dropped, value)
    return out, (dropped if dropped_weights else weights)


def _causal_mask(q_len, v_len):
    """``(1, q_len, v_len)``: True where the key position is at or before the query position."""
    return constant(np.tril(np.ones((q_len, v_len), dtype=bool))[None])


class _SeededDropout:
    """The attention dropout's random stream: a Generator from ``seed`` (a fresh mask each
    call, traced or eager; equal seeds give equal streams), or unseeded draws."""

    def _init_seed(self, seed, dropout):
        self.seed = seed
        use = seed is not None and dropout > 0  # made here: a traced call cannot create it
        self._seed_generator = random.Generator.from_seed(seed) if use else None

    def _generator(self):
        return self._seed_generator


# ---- Attention, AdditiveAttention ---------------------------------------------------------
class Attention(_SeededDropout, Layer):
    """Dot-product (Luong) attention over ``[query, value]`` or ``[query, value, key]``.

    ``score_mode="dot"`` scores ``query @ key^T`` (times a learned ``scale`` with
    ``use_scale``); ``"concat"`` scores ``sum(tanh(query + key))`` times a learned weight.
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(
                "Invalid value for argument score_mode. Expected one of {'dot', 'concat'}. "
                f"Received: score_mode={score_mode}"
            )
        self.use_scale = use_scale
        self.score_mode = score_mode
        self.dropout = dropout
        self._init_seed(seed, self.dropout)
        self.scale = None
        self.concat_score_weight = None
        self.supports_masking = True

    def _validate(self, inputs, mask=None):
        name = type(self).__name__
        if not isinstance(inputs, list):
            raise ValueError(
                f"{name} layer must be called on a list of inputs, namely [query, value] or "
                f"[query, value, key]. Received: inputs={inputs}."
            )
        if not 2 <= len(inputs) <= 3:
            raise ValueError(
                f"{name} layer accepts inputs list of length 2 or 3, namely [query, value] or "
                f"[query, value, key]. Received length: {len(inputs)}."
            )
        if mask is not None:
            if not isinstance(mask, list):
                raise ValueError(
                    f"{name} layer mask must be a list, namely [query_mask, value_mask]. "
                    f"Received: mask={mask}."
                )
            if not 2 <= len(mask) <= 3:
                raise ValueError(
                    f"{name} layer accepts mask list of length 2 or 3. "
                    f"Received: inputs={inputs}, mask={mask}."
                )

    def build(self, input_shape):
        self._validate(input_shape)
        if self.use_scale:
            self.scale = self.add_weight(shape=(), initializer="ones", name="scale")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(
                shape=(), initializer="ones", name="concat_score_weight"
            )
        self.built = True

    def _scores(self, query, key):
        if self.score_mode == "dot":
            scores = matmul(query, key, transpose_b=True)
            return scores * self.scale if self.scale is not None else scores
        pairs = expand_dims(query, -2) + expand_dims(key, -3)
        if self.scale is not None:
            pairs = self.scale * pairs
        return self.concat_score_weight * reduce_sum(tanh(pairs), axis=-1)

    def call(
        self, inputs, mask=None, training=False, return_attention_scores=False,
        use_causal_mask=False,
    ):  # fmt: skip
        self._validate(inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        q_mask = _as_bool(mask[0]) if mask else None
        v_mask = _as_bool(mask[1]) if mask else None
        scores = self._scores(query, key)
        score_mask = None if v_mask is None else expand_dims(v_mask, -2)
        if use_causal_mask:
            dims = scores.shape.as_list()
            score_mask = _and(score_mask, _causal_mask(dims[-2], dims[-1]))
        rate = self.dropout if training and self.dropout > 0 else 0.0
        out, weights = attend(
            scores,
            value,
            score_mask,
            dropout=rate,
            generator=self._generator(),
            dropped_weights=True,
        )
        if q_mask is not None:
            out = where(expand_dims(q_mask, -1), out, 0.0)
        return (out, weights) if return_attention_scores else out

    def compute_mask(self, inputs, mask=None):
        self._validate(inputs, mask)
        if mask is None or mask[0] is None:
            return None
        return _as_bool(mask[0])

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape[0])[:-1], input_shape[1][-1])

    def get_config(self):
        return {
            **super().get_config(),
            "use_scale": self.use_scale,
            "score_mode": self.score_mode,
            "dropout": self.dropout,
            "seed": self.seed,
        }


class AdditiveAttention(Attention):
    """Additive (Bahdanau) attention: scores ``sum(scale * tanh(query + key))``, ``scale`` a
    learned vector of the feature size when ``use_scale``."""

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._validate(input_shape)
        if self.use_scale:
            dim = input_shape[0][-1]
            self.scale = self.add_weight(shape=(dim,), initializer="glorot_uniform", name="scale")
        self.built = True

    def _scores(self, query, key):
        terms = tanh(expand_dims(query, -2) + expand_dims(key, -3))
        if self.scale is not None:
            terms = self.scale * terms
        return reduce_sum(terms, axis=-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config


# ---- MultiHeadAttention, GroupQueryAttention ----------------------------------------------
def _positive(value, name, allow_none=False):
    if allow_none and value is None:
        return value
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        extra = " or `None`" if allow_none else ""
        raise ValueError(
            f"Received an invalid value for argument `{name}`, expected a positive "
            f"integer{extra}. Received: {name}={value}"
        )
    return value


def _projection(free_dims, bound_dims, output_dims):
    """An EinsumDense equation keeping ``free_dims`` axes, contracting ``bound_dims`` and
    adding ``output_dims``; also its bias axes and the output rank."""
    letters = string.ascii_lowercase
    free = letters[:free_dims]
    bound = letters[free_dims : free_dims + bound_dims]
    out = letters[free_dims + bound_dims : free_dims + bound_dims + output_dims]
    return f"{free}{bound},{bound}{out}->{free}{out}", out, free_dims + output_dims


def _partial_shape(rank, known):
    """``rank`` entries: None for the axes taken from the input, then ``known``."""
    return [None] * (rank - len(known)) + list(known)


def _attention_equations(rank, axes):
    """For projected tensors of ``rank`` (``(B, *T, N, H)``) attending over ``axes``: the
    scores equation (query, key), the combine equation (scores, value) and the scores rank."""
    letters = string.ascii_lowercase
    query = letters[:rank]
    key = "".join(letters[rank + axes.index(i)] if i in axes else c for i, c in enumerate(query))
    batch = "".join(c for i, c in enumerate(query) if i not in axes and i != rank - 1)
    product = batch + "".join(query[i] for i in axes) + "".join(key[i] for i in axes)
    return f"{query},{key}->{product}", f"{product},{key}->{query}", len(product)


def _shape(x):
    if x is None:
        return None
    if isinstance(x, Tensor | Variable):
        return tuple(x.shape.as_list())
    return tuple(x.shape) if hasattr(x, "shape") else tuple(np.shape(x))


def _clone(init):
    return type(init).from_config(init.get_config())


class _HeadsAttention(_SeededDropout, Layer):
    """What MultiHeadAttention and GroupQueryAttention share: the call on ``(query, value,
    key)``, the masks, the scaled dot-product attention over the projected heads."""

    def _common_init(self, kwargs_init):
        self.kernel_initializer = initializer(kwargs_init["kernel_initializer"])
        self.bias_initializer = initializer(kwargs_init["bias_initializer"])
        self.kernel_regularizer = regularizers.get(kwargs_init["kernel_regularizer"])
        self.bias_regularizer = regularizers.get(kwargs_init["bias_regularizer"])
        self.activity_regularizer = regularizers.get(kwargs_init["activity_regularizer"])
        self.kernel_constraint = constraints.get(kwargs_init["kernel_constraint"])
        self.bias_constraint = constraints.get(kwargs_init["bias_constraint"])
        self.supports_masking = True
        self._shapes = None

    def _dense(self, equation, output_shape, bias_axes, name):
        return EinsumDense(
            equation, output_shape=output_shape, bias_axes=bias_axes if self.use_bias else None,
            kernel_initializer=_clone(self.kernel_initializer),
            bias_initializer=_clone(self.bias_initializer),
            kernel_regularizer=self.kernel_regularizer, bias_regularizer=self.bias_regularizer,
            activity_regularizer=self.activity_regularizer,
            kernel_constraint=self.kernel_constraint, bias_constraint=self.bias_constraint,
            dtype=self.dtype_policy, name=name,
        )  # fmt: skip

    def _common_config(self):
        return {
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizer_config(self.kernel_regularizer),
            "bias_regularizer": regularizer_config(self.bias_regularizer),
            "activity_regularizer": regularizer_config(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "seed": self.seed,
        }

    def __call__(self, query, value, key=None, **kwargs):
        if not self.built:
            self.build(_shape(query), _shape(value), _shape(key))
        return super().__call__(query, value, key, **kwargs)

    def build(self, query_shape, value_shape, key_shape=None):
        """Create the projections for inputs of these shapes."""
        self._shapes = {"query_shape": tuple(query_shape), "value_shape": tuple(value_shape)}
        if key_shape is not None:
            self._shapes["key_shape"] = tuple(key_shape)
        key_shape = value_shape if key_shape is None else key_shape
        if tuple(value_shape)[1:-1] != tuple(key_shape)[1:-1]:
            raise ValueError(
                "All dimensions of `value` and `key`, except the last one, must be equal. "
                f"Received: value_shape={value_shape} and key_shape={key_shape}"
            )
        self._build_heads(tuple(query_shape), tuple(value_shape), tuple(key_shape))
        self.built = True

    def get_build_config(self):
        return None if self._shapes is None else {"shapes_dict": dict(self._shapes)}

    def build_from_config(self, config):
        if config and not self.built:
            self.build(**config["shapes_dict"])

    def _attention_mask(self, q_len, v_len, query_mask, value_mask, key_mask, mask, causal):
        auto = None
        if query_mask is not None:
            auto = expand_dims(_as_bool(query_mask), -1)
        for m in (value_mask, key_mask):
            if m is not None:
                auto = _and(auto, expand_dims(_as_bool(m), -2))
        if causal:
            auto = _and(auto, _causal_mask(q_len, v_len))
        return _and(_as_bool(mask), auto)

    def call(
        self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
        attention_mask=None, return_attention_scores=False, training=None,
        use_causal_mask=False,
    ):  # fmt: skip
        # As Keras: the masks the tensors carry are handled here (the query's Keras mask, not
        # a given ``query_mask``, masks the queries) and removed from them.
        query_mask = get_keras_mask(query)
        for x in (query, value, key):
            set_keras_mask(x, None)
        same = value is query and (key is None or key is value)
        value = self._convert_input(value)
        key = value if key is None else self._convert_input(key)
        mask = self._attention_mask(
            query.shape.as_list()[1], value.shape.as_list()[1], query_mask, value_mask,
            key_mask, attention_mask, use_causal_mask,
        )  # fmt: skip
        scale = 1.0 / _pymath.sqrt(float(self._scale_dim))
        fused = self._self_attention_heads(query) if same else None
        if fused is not None:  # head-major (B, N, T, H): the scores are one batched matmul
            q, k, v = fused
            scores = matmul(q * scale, k, transpose_b=True)
        else:
            q = self._query_dense(query) * scale
            k = self._key_dense(key)
            v = self._value_dense(value)
            k, v = self._share_heads(k), self._share_heads(v)
            scores = einsum(self._dot_equation, q, k)
        if mask is not None:
            while len(mask.shape.as_list()) < len(scores.shape.as_list()):
                mask = expand_dims(mask, -2 * len(self._axes) - 1)
        rate = self.dropout if training and self.dropout > 0 else 0.0
        # Keras's explicit softmax (zeroing masked weights) runs when the scores are returned or
        # dropped out, or the inputs are not 3-D; otherwise its fused kernel (no zeroing).
        explicit = return_attention_scores or self.dropout > 0 or len(q.shape.as_list()) != 4
        out, weights = attend(
            scores, v, mask, None if fused else self._combine_equation, self._norm_axes, rate,
            self._generator(), zero_masked=explicit,
        )  # fmt: skip
        if fused is not None:
            out = transpose(out, [0, 2, 1, 3])  # back to (B, T, N, H)
        out = self._output_dense(out)
        return (out, weights) if return_attention_scores else out

    def _share_heads(self, x):
        return x

    def _self_attention_heads(self, x):
        """Self-attention's query, key and value heads, head-major, or None (then each
        projection runs on its own)."""
        return None

    def compute_mask(self, inputs, previous_mask=None):
        return previous_mask


class MultiHeadAttention(_HeadsAttention):
    """Multi-head attention (Vaswani et al.): ``query``, ``key`` and ``value`` projected to
    ``num_heads`` heads by EinsumDense layers, scaled dot-product attention over
    ``attention_axes``, and an output projection back to the query's last size (or
    ``output_shape``)."""

    def __init__(
        self,
        num_heads,
        key_dim,
        value_dim=None,
        dropout=0.0,
        use_bias=True,
        output_shape=None,
        attention_axes=None,
        sliding_window=None,
        flash_attention=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        use_gate=False,
        seed=None,
        **kwargs,
    ):
        init = dict(locals())
        unsupported(self, sliding_window=sliding_window, flash_attention=flash_attention,
                    use_gate=use_gate)  # fmt: skip
        _positive(num_heads, "num_heads")
        _positive(key_dim, "key_dim")
        _positive(value_dim, "value_dim", allow_none=True)
        super().__init__(**kwargs)
        self.num_heads = num_heads
        self.key_dim = key_dim
        self.value_dim = value_dim if value_dim else key_dim
        self.dropout = check_rate(dropout, "dropout")
        self.use_bias = use_bias
        if output_shape:
            output_shape = (output_shape,) if isinstance(output_shape, int) else output_shape
            if not isinstance(output_shape, list | tuple):
                raise ValueError(
                    f"Invalid `output_shape`: {output_shape}. When specified, the "
                    "`output_shape` should be of type tuple, list, or int."
                )
            output_shape = tuple(output_shape)
        self._output_shape = output_shape or None
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes and not isinstance(attention_axes, list | tuple):
            raise ValueError(
                "`attention_axes` must be an int, list, or tuple."
                f"Received: attention_axes={attention_axes}"
            )
        self.attention_axes = None if attention_axes is None else tuple(attention_axes)
        self._init_seed(seed, self.dropout)
        self._scale_dim = key_dim
        self._common_init(init)
        self._query_dense = self._key_dense = self._value_dense = self._output_dense = None

    def _build_heads(self, query_shape, value_shape, key_shape):
        q_rank = len(query_shape)
        eq, bias, rank = _projection(q_rank - 1, 1, 2)
        heads_k = [self.num_heads, self.key_dim]
        self._query_dense = self._dense(eq, _partial_shape(rank - 1, heads_k), bias, "query")
        self._query_dense.build(query_shape)
        eq, bias, rank = _projection(len(key_shape) - 1, 1, 2)
        self._key_dense = self._dense(eq, _partial_shape(rank - 1, heads_k), bias, "key")
        self._key_dense.build(key_shape)
        eq, bias, rank = _projection(len(value_shape) - 1, 1, 2)
        heads_v = [self.num_heads, self.value_dim]
        self._value_dense = self._dense(eq, _partial_shape(rank - 1, heads_v), bias, "value")
        self._value_dense.build(value_shape)
        if self.attention_axes is None:
            self.attention_axes = tuple(range(1, rank - 2))
        else:
            self.attention_axes = tuple(a if a >= 0 else rank - 1 + a for a in self.attention_axes)
        self._axes = self.attention_axes
        self._dot_equation, self._combine_equation, scores_rank = _attention_equations(
            rank, self._axes
        )
        self._norm_axes = tuple(range(scores_rank - len(self._axes), scores_rank))
        out = self._output_shape or (query_shape[-1],)
        eq, bias, rank = _projection(q_rank - 1, 2, len(out))
        self._output_dense = self._dense(
            eq, _partial_shape(rank - 1, out), bias, "attention_output"
        )
        self._output_dense.build((*tuple(query_shape)[:-1], self.num_heads, self.value_dim))

    def _self_attention_heads(self, x):
        """The query, key and value projections of ``x`` (B, T, D) as one GEMM against the
        three kernels side by side, then one transpose to (3, B, N, T, H): three head-major
        tensors. Only where it computes what the three EinsumDense layers would: 3-D inputs
        over the default axes, ``key_dim == value_dim``, no activity regularizer, one dtype."""
        dense = (self._query_dense, self._key_dense, self._value_dense)
        dims = x.shape.as_list()
        if (
            len(dims) != 3 or self._axes != (1,) or self.key_dim != self.value_dim
            or self.activity_regularizer is not None
            or any(d.compute_dtype != d.variable_dtype for d in dense)
            or x.dtype.name != self._query_dense.variable_dtype
        ):  # fmt: skip
            return None
        n, h, width = self.num_heads, self.key_dim, dims[-1]
        kernel = concat([reshape(d.kernel, [width, n * h]) for d in dense], axis=1)
        y = matmul(reshape(x, [-1, width]), kernel)
        if self.use_bias:
            y = y + concat([reshape(d.bias, [n * h]) for d in dense], axis=0)
        batch, steps = dynamic_shape(x)[:2]
        y = transpose(reshape(y, [batch, steps, 3, n, h]), [2, 0, 3, 1, 4])
        return tuple(reshape(t, [batch, n, steps, h]) for t in split(y, 3, axis=0))

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        out = self._output_shape or (tuple(query_shape)[-1],)
        return (*tuple(query_shape)[:-1], *out)

    def get_config(self):
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "key_dim": self.key_dim,
            "value_dim": self.value_dim,
            "dropout": self.dropout,
            "use_bias": self.use_bias,
            "use_gate": False,
            "output_shape": self._output_shape,
            "attention_axes": self.attention_axes,
            "sliding_window": None,
            **self._common_config(),
        }

    # Keras's public names for the sublayers (a weights file keeps them under these paths)
    query_dense = property(lambda self: self._query_dense)
    key_dense = property(lambda self: self._key_dense)
    value_dense = property(lambda self: self._value_dense)
    output_dense = property(lambda self: self._output_dense)


class GroupQueryAttention(_HeadsAttention):
    """Grouped-query attention: ``num_query_heads`` query heads share ``num_key_value_heads``
    key/value heads (each repeated ``num_query_heads // num_key_value_heads`` times)."""

    def __init__(
        self,
        head_dim,
        num_query_heads,
        num_key_value_heads,
        dropout=0.0,
        use_bias=True,
        sliding_window=None,
        flash_attention=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        use_gate=False,
        seed=None,
        **kwargs,
    ):
        init = dict(locals())
        unsupported(self, sliding_window=sliding_window, flash_attention=flash_attention,
                    use_gate=use_gate)  # fmt: skip
        if kwargs.get("name") is None:  # Keras's class is GroupedQueryAttention
            kwargs["name"] = _naming.unique_name("GroupedQueryAttention")
        super().__init__(**kwargs)
        if num_query_heads % num_key_value_heads != 0:
            raise ValueError("`num_query_heads` must be divisible by `num_key_value_heads`.")
        self.head_dim = head_dim
        self.num_query_heads = num_query_heads
        self.num_key_value_heads = num_key_value_heads
        self.num_repeats = num_query_heads // num_key_value_heads
        self.dropout = check_rate(dropout, "dropout")
        self.use_bias = use_bias
        self._init_seed(seed, self.dropout)
        self._scale_dim = head_dim
        self._common_init(init)
        self._query_dense = self._key_dense = self._value_dense = self._output_dense = None

    def _build_heads(self, query_shape, value_shape, key_shape):
        for shape, name in ((query_shape, "query"), (value_shape, "value"), (key_shape, "key")):
            if len(shape) != 3:
                raise ValueError(
                    f"GroupQueryAttention expects 3-D `{name}` (batch, length, features). "
                    f"Received: {name}_shape={shape}"
                )
        dim = query_shape[-1]
        q_heads, kv_heads = [None, self.num_query_heads, self.head_dim], [
            None, self.num_key_value_heads, self.head_dim,
        ]  # fmt: skip
        self._query_dense = self._dense("bqm,muh->bquh", q_heads, "uh", "query")
        self._query_dense.build(query_shape)
        self._key_dense = self._dense("bkm,mvh->bkvh", kv_heads, "vh", "key")
        self._key_dense.build(key_shape)
        self._value_dense = self._dense("bkm,mvh->bkvh", kv_heads, "vh", "value")
        self._value_dense.build(value_shape)
        self._axes = (1,)
        self._dot_equation, self._combine_equation = "bquh,bkuh->buqk", "buqk,bkuh->bquh"
        self._norm_axes = (-1,)
        self._output_dense = self._dense("bquh,uhm->bqm", [None, dim], "m", "attention_output")
        self._output_dense.build((None, None, self.num_query_heads, self.head_dim))

    def _share_heads(self, x):
        return repeat(x, self.num_repeats, axis=2)

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        return tuple(query_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "head_dim": self.head_dim,
            "num_query_heads": self.num_query_heads,
            "num_key_value_heads": self.num_key_value_heads,
            "use_bias": self.use_bias,
            "use_gate": False,
            "sliding_window": None,
            "dropout": self.dropout,
            **self._common_config(),
        }
