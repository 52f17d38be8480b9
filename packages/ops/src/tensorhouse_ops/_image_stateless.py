"""TF's ``tf.image.stateless_random_*``: augmentations whose draw is a function of a shape-[2]
seed tensor (``stateless_uniform``), so the same seed gives the same image, eagerly, traced and
inside ``Dataset.map`` with seeds from ``tf.random.split`` or a ``Generator``."""

from __future__ import annotations

import numpy as np

from . import _array, _image, _math, _random
from . import dtypes as _dt
from ._function import cond
from ._tensor import Tensor, VariableLike, convert_to_tensor

__all__ = [
    "stateless_random_brightness", "stateless_random_contrast", "stateless_random_crop",
    "stateless_random_flip_left_right", "stateless_random_flip_up_down",
    "stateless_random_hue", "stateless_random_saturation",
]  # fmt: skip


def _flip(image, axis_from_end, seed):
    """TF's stateless flip: one image flipped where its draw is below 1/2 (a ``cond``); a batch
    flipped per image where its draw rounds to 1."""
    image = _image._image(image)
    rank = image.shape.rank
    axis = rank - axis_from_end
    if rank == 3:
        flip = _math.less(_random.stateless_uniform([], seed), 0.5)
        return cond(flip, lambda: _array.reverse(image, [axis]), lambda: _array.identity(image))
    u = _random.stateless_uniform(_array.shape(image)[:1], seed)
    flips = _array.reshape(_math.greater_equal(u, 0.5), [-1, 1, 1, 1])
    return _array.where(flips, _array.reverse(image, [axis]), image)


def stateless_random_flip_left_right(image, seed):
    """``image`` (or each image of a batch) mirrored left-right with probability 1/2."""
    return _flip(image, 2, seed)


def stateless_random_flip_up_down(image, seed):
    """``image`` (or each image of a batch) mirrored up-down with probability 1/2."""
    return _flip(image, 3, seed)


def _check_range(lower, upper):
    if upper <= lower:
        raise ValueError("upper must be > lower.")
    if lower < 0:
        raise ValueError("lower must be non-negative.")


def stateless_random_brightness(image, max_delta, seed):
    """``adjust_brightness`` by a delta drawn from ``[-max_delta, max_delta)``."""
    if max_delta < 0:
        raise ValueError("max_delta must be non-negative.")
    delta = _random.stateless_uniform([], seed, -max_delta, max_delta)
    return _image.adjust_brightness(image, delta)


def stateless_random_contrast(image, lower, upper, seed):
    """``adjust_contrast`` by a factor drawn from ``[lower, upper)``."""
    _check_range(lower, upper)
    return _image.adjust_contrast(image, _random.stateless_uniform([], seed, lower, upper))


def stateless_random_saturation(image, lower, upper, seed=None):
    """``adjust_saturation`` by a factor drawn from ``[lower, upper)``."""
    _check_range(lower, upper)
    return _image.adjust_saturation(image, _random.stateless_uniform([], seed, lower, upper))


def stateless_random_hue(image, max_delta, seed):
    """``adjust_hue`` by a delta drawn from ``[-max_delta, max_delta)``, ``max_delta <= 0.5``."""
    if max_delta > 0.5:
        raise ValueError("max_delta must be <= 0.5.")
    if max_delta < 0:
        raise ValueError("max_delta must be non-negative.")
    delta = _random.stateless_uniform([], seed, -max_delta, max_delta)
    return _image.adjust_hue(image, delta)


def stateless_random_crop(value, size, seed, name=None):
    """A window of shape ``size`` (ints) at an offset drawn from ``seed``: each offset is a
    draw in ``[0, int32 max)`` modulo the room left on its axis, as TF's."""
    value = value._th_read() if isinstance(value, VariableLike) else convert_to_tensor(value)
    shape = value.shape.as_list()
    size = [_image._int(s, "size") for s in (size.numpy() if isinstance(size, Tensor) else size)]
    if len(size) != len(shape) or any(d is None or s > d for s, d in zip(size, shape)):
        raise ValueError(f"Need value.shape >= size, got {shape} and {size}")
    limit = convert_to_tensor(np.asarray([d - s + 1 for d, s in zip(shape, size)], np.int32))
    r = _random.stateless_uniform([len(shape)], seed, 0, 2**31 - 1, dtype=_dt.int32)
    return _array.slice(value, _math.floormod(r, limit), size)
