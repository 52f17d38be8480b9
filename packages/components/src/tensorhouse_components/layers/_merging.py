"""Merging layers: ``Add``, ``Subtract``, ``Multiply``, ``Average``, ``Maximum``, ``Minimum``,
``Concatenate``, ``Dot``, and their function forms (``add([a, b])`` ...)."""

from __future__ import annotations

import string

from tensorhouse_ops import (
    cast,
    concat,
    expand_dims,
    logical_or,
    math,
    ones_like,
    reduce_any,
    zeros_like,
)

from ..keras_ops._dtypes import result_type
from ._args import einsum
from ._layer import Layer

__all__ = [
    "Add", "Average", "Concatenate", "Dot", "Maximum", "Minimum", "Multiply", "Subtract", "add",
    "average", "concatenate", "dot", "maximum", "minimum", "multiply", "subtract",
]  # fmt: skip


def _promoted(inputs):
    """The inputs in Keras's common dtype (``float32`` and ``int64`` merge as ``float32``)."""
    names = {x.dtype.name for x in inputs}
    if len(names) < 2:
        return list(inputs)
    common = result_type(*names)
    return [x if x.dtype.name == common else cast(x, common) for x in inputs]


def _is_shape_list(shapes):
    return isinstance(shapes, list | tuple) and all(isinstance(s, list | tuple) for s in shapes)


def _broadcast_dims(a, b):
    """Two shapes' broadcast (None is unknown); None when they cannot broadcast."""
    out = []
    for x, y in zip(a[::-1], b[::-1]):
        if x is None or y is None:
            out.append(None if x in (None, 1) or y in (None, 1) else max(x, y))
        elif x == y or y == 1:
            out.append(x)
        elif x == 1:
            out.append(y)
        else:
            return None
    longer = a if len(a) > len(b) else b
    return tuple(longer[: len(longer) - len(out)]) + tuple(out[::-1])


class _Merge(Layer):
    """Shared checks of the elementwise merge layers: a list of inputs of broadcastable shapes."""

    supports_masking = True
    _min_inputs = 1

    def __init__(self, **kwargs):  # Keras's signature: the base layer's arguments by name
        super().__init__(**kwargs)

    def _check_shapes(self, shapes):
        if not _is_shape_list(shapes):
            raise ValueError(
                "A merge layer should be called on a list of inputs. "
                f"Received: input_shape={shapes} (not a list of shapes)"
            )
        if len(shapes) < self._min_inputs:
            raise ValueError(
                f"A merge layer should be called on a list of at least {self._min_inputs} "
                f"inputs. Got {len(shapes)} inputs. Full input_shape received: {shapes}"
            )
        out = tuple(shapes[0])[1:]
        for s in shapes[1:]:
            out = _broadcast_dims(out, tuple(s)[1:])
            if out is None:
                raise ValueError(
                    "Inputs have incompatible shapes. Received shapes "
                    f"{', '.join(str(tuple(x)) for x in shapes)}"
                )
        batch = [s[0] for s in shapes if s and s[0] is not None]
        return (batch[0] if batch else None, *out)

    def build(self, input_shape):
        self._check_shapes(input_shape)
        self.built = True

    def call(self, inputs):
        self._check_shapes([tuple(x.shape.as_list()) for x in inputs])
        rank = max(len(x.shape) for x in inputs)
        same_rank = []
        for x in _promoted(inputs):
            for _ in range(rank - len(x.shape)):  # Keras's rule: new axes after the batch axis
                x = expand_dims(x, 1)
            same_rank.append(x)
        return self._merge(same_rank)

    def compute_output_shape(self, input_shape):
        return self._check_shapes(input_shape)

    def compute_mask(self, inputs, previous_mask=None):
        """The elementwise OR of the input masks; None unless every input has one."""
        if previous_mask is None:
            return None
        if not isinstance(previous_mask, list | tuple):
            raise ValueError(f"`mask` should be a list. Received: mask={previous_mask}")
        if len(previous_mask) != len(inputs):
            raise ValueError(
                "The lists `inputs` and `mask` should have the same length. Received: "
                f"{len(inputs)} inputs and {len(previous_mask)} masks"
            )
        if any(m is None for m in previous_mask):
            return None
        out = previous_mask[0]
        for m in previous_mask[1:]:
            out = logical_or(out, m)
        return out


class Add(_Merge):
    """The elementwise sum of a list of inputs."""

    def _merge(self, xs):
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


class Subtract(_Merge):
    """``inputs[0] - inputs[1]`` for exactly two inputs."""

    def _check_shapes(self, shapes):
        if _is_shape_list(shapes) and len(shapes) != 2:
            raise ValueError(
                f"A `Subtract` layer should be called on exactly 2 inputs. Received: "
                f"input_shape={list(shapes)}"
            )
        return super()._check_shapes(shapes)

    def _merge(self, xs):
        return xs[0] - xs[1]


class Multiply(_Merge):
    """The elementwise product of a list of inputs."""

    def _merge(self, xs):
        out = xs[0]
        for x in xs[1:]:
            out = out * x
        return out


class Average(_Merge):
    """The elementwise mean of a list of inputs."""

    def _merge(self, xs):
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out / float(len(xs))


class Maximum(_Merge):
    """The elementwise maximum of a list of inputs."""

    def _merge(self, xs):
        out = xs[0]
        for x in xs[1:]:
            out = math.maximum(out, x)
        return out


class Minimum(_Merge):
    """The elementwise minimum of a list of inputs."""

    def _merge(self, xs):
        out = xs[0]
        for x in xs[1:]:
            out = math.minimum(out, x)
        return out


class Concatenate(Layer):
    """Concatenates a list of inputs along ``axis`` (other axes must match)."""

    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def _check_shapes(self, shapes):
        if not _is_shape_list(shapes) or len(shapes) < 1:
            raise ValueError(
                "A `Concatenate` layer should be called on a list of at least 1 input. "
                f"Received: input_shape={shapes}"
            )
        rank = len(shapes[0])
        if any(len(s) != rank for s in shapes) or not -rank <= self.axis < rank:
            self._shape_error(shapes)
        axis = self.axis % rank
        out = list(shapes[0])
        for s in shapes[1:]:
            for i, d in enumerate(s):
                if i == axis:
                    out[i] = None if out[i] is None or d is None else out[i] + d
                elif out[i] is None:
                    out[i] = d
                elif d is not None and d != out[i]:
                    self._shape_error(shapes)
        return tuple(out)

    def _shape_error(self, shapes):
        raise ValueError(
            "A `Concatenate` layer requires inputs with matching shapes except for the "
            f"concatenation axis. Received: input_shape={[tuple(s) for s in shapes]}"
        )

    def build(self, input_shape):
        self._check_shapes(input_shape)
        self.built = True

    def call(self, inputs):
        self._check_shapes([tuple(x.shape.as_list()) for x in inputs])
        return concat(_promoted(inputs), axis=self.axis)

    def compute_output_shape(self, input_shape):
        return self._check_shapes(input_shape)

    def compute_mask(self, inputs, previous_mask=None):
        """The masks (all-True where an input has none) concatenated, reduced over the last
        axis; None when no input has a mask."""
        if previous_mask is None or all(m is None for m in previous_mask):
            return None
        masks = []
        for x, m in zip(inputs, previous_mask):
            if m is None:
                masks.append(math.not_equal(ones_like(x), 0))
            elif len(m.shape) < len(x.shape):
                masks.append(logical_or(expand_dims(m, -1), math.not_equal(zeros_like(x), 0)))
            else:
                masks.append(m)
        return reduce_any(concat(masks, axis=self.axis), axis=-1)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def _l2_normalize(x, axis):
    squares = math.reduce_sum(math.square(x), axis=axis, keepdims=True)
    return x * math.rsqrt(math.maximum(squares, 1e-12))


class Dot(Layer):
    """The batched dot product of two inputs over ``axes`` (Keras's ``batch_dot``).

    ``normalize=True`` L2-normalizes both inputs along the dot axes first (cosine similarity).
    """

    supports_masking = True  # Keras's: it takes masked inputs and gives no mask

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, list | tuple):
            if len(axes) != 2:
                raise ValueError(
                    "Invalid format for argument `axes`: it should contain two elements. "
                    f"Received: axes={axes}"
                )
            if not all(isinstance(a, int) for a in axes):
                raise ValueError(
                    "Invalid format for argument `axes`: list elements should be integers. "
                    f"Received: axes={axes}"
                )
            axes = list(axes)
        elif isinstance(axes, bool) or not isinstance(axes, int):
            raise TypeError(
                f"Invalid type for argument `axes`: it should be a list or an int. "
                f"Received: axes={axes}"
            )
        self.axes = axes
        self.normalize = bool(normalize)

    def _axes_for(self, shapes):
        if not _is_shape_list(shapes) or len(shapes) != 2:
            raise ValueError(
                f"A `Dot` layer should be called on a list of 2 inputs. Received: "
                f"input_shape={shapes}"
            )
        a, b = (tuple(s) for s in shapes)
        axes = self.axes if isinstance(self.axes, list) else [self.axes, self.axes]
        ax = [axes[0] % len(a), axes[1] % len(b)]
        if a[ax[0]] is not None and b[ax[1]] is not None and a[ax[0]] != b[ax[1]]:
            raise ValueError(
                f"Incompatible input shapes: axis values {a[ax[0]]} (at axis {ax[0]}) != "
                f"{b[ax[1]]} (at axis {ax[1]}). Full input shapes: {a}, {b}"
            )
        return ax

    def build(self, input_shape):
        self._axes_for(input_shape)
        self.built = True

    def call(self, inputs):
        x, y = inputs
        ax, ay = self._axes_for([tuple(x.shape.as_list()), tuple(y.shape.as_list())])
        if self.normalize:
            x, y = _l2_normalize(x, ax), _l2_normalize(y, ay)
        letters = iter(string.ascii_letters[1:])
        sx = ["a"] + [next(letters) for _ in range(len(x.shape) - 1)]
        sy = ["a"] + [next(letters) for _ in range(len(y.shape) - 1)]
        sy[ay] = sx[ax]
        out = ["a"] + [c for i, c in enumerate(sx) if i not in (0, ax)]
        out += [c for i, c in enumerate(sy) if i not in (0, ay)]
        result = einsum(f"{''.join(sx)},{''.join(sy)}->{''.join(out)}", x, y)
        return expand_dims(result, 1) if len(out) == 1 else result

    def compute_output_shape(self, input_shape):
        a, b = (tuple(s) for s in input_shape)
        ax, ay = self._axes_for(input_shape)
        out = [a[0]] + [d for i, d in enumerate(a) if i not in (0, ax)]
        out += [d for i, d in enumerate(b) if i not in (0, ay)]
        return tuple(out) if len(out) > 1 else (a[0], 1)

    def compute_mask(self, inputs, previous_mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def add(inputs, **kwargs):
    """``Add(**kwargs)(inputs)``."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """``Subtract(**kwargs)(inputs)``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """``Multiply(**kwargs)(inputs)``."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """``Average(**kwargs)(inputs)``."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """``Maximum(**kwargs)(inputs)``."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """``Minimum(**kwargs)(inputs)``."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """``Concatenate(axis=axis, **kwargs)(inputs)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, **kwargs):
    """``Dot(axes=axes, **kwargs)(inputs)``."""
    return Dot(axes=axes, **kwargs)(inputs)
