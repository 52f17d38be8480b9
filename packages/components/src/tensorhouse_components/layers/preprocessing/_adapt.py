"""The host side of ``adapt``: data (arrays, tensors, a ``Dataset``, an iterable of batches) as
NumPy batches. ``adapt`` is not a traced step: it reads the data on the host with NumPy and
assigns the statistics it finds to the layer's state."""

from __future__ import annotations

import numpy as np

from tensorhouse_ops import Tensor, Variable, convert_to_tensor

from ...data import Dataset

__all__ = ["StringInputs", "batches", "string_tensor", "text"]


def _array(x):
    if isinstance(x, tuple) and x:  # (x, y) or (x, y, sample_weight): adapt reads x
        x = x[0]
    return np.asarray(x)


def batches(data, batch_size=None, steps=None, batch_scalars=False):
    """Yield ``data`` as NumPy arrays, one per batch, at most ``steps`` of them.

    An array is one batch unless ``batch_size`` splits it; a ``Dataset`` of scalars is batched
    by 128 when ``batch_scalars`` (Keras's ``Normalization`` does so).
    """
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or steps < 1):
        raise ValueError(f"`steps` must be a positive integer or None. Received: steps={steps}")
    if isinstance(data, Dataset):
        spec = data.element_spec
        spec = spec[0] if isinstance(spec, tuple) else spec
        if batch_scalars and len(spec.shape) == 0:
            data = data.batch(128)
        elif batch_size is not None and len(spec.shape) == 0:
            data = data.batch(batch_size)
        source = iter(data)
    elif isinstance(data, np.ndarray | Tensor | Variable | list | int | float):
        array = _array(data)
        if batch_size is None or array.ndim == 0:
            source = iter([array])
        else:
            source = (array[i : i + batch_size] for i in range(0, len(array), batch_size))
    elif hasattr(data, "__iter__"):
        source = iter(data)
    else:
        raise TypeError(
            f"Unsupported data type: {type(data)}. `adapt` supports NumPy arrays, tensors, "
            "a `Dataset` and iterables of batches."
        )
    count = 0
    for batch in source:
        if steps is not None and count >= steps:
            return
        count += 1
        yield _array(batch)


def text(value) -> str:
    """A token (``bytes`` or ``str``) as text."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def string_tensor(x, encoding="utf-8"):
    """Strings (``str`` or ``bytes``, an array or nested lists) as a string tensor of
    ``bytes``; None when ``x`` holds no strings."""
    a = np.asarray(x)
    if a.dtype.kind not in "SUO":
        return None
    flat = a.astype(object).reshape(-1)
    if flat.size and not all(isinstance(v, str | bytes) for v in flat[:1]):
        return None
    out = np.array([v.encode(encoding) if isinstance(v, str) else v for v in flat.tolist()],
                   dtype=object).reshape(a.shape)  # fmt: skip
    return convert_to_tensor(out, "string")


class StringInputs:
    """A layer mixin: NumPy / list string inputs become ``bytes`` string tensors."""

    _several_inputs = False  # a list of inputs (HashedCrossing), not one nested list

    def __call__(self, inputs, *args, **kwargs):
        if isinstance(inputs, np.ndarray | str | bytes) or (
            isinstance(inputs, list) and not self._several_inputs
        ):
            t = string_tensor(inputs, getattr(self, "encoding", None) or "utf-8")
            inputs = inputs if t is None else t
        return super().__call__(inputs, *args, **kwargs)

    def _convert_input(self, x):
        if isinstance(x, np.ndarray | list | tuple | str | bytes):
            t = string_tensor(x, getattr(self, "encoding", None) or "utf-8")
            if t is not None:
                return t
        return super()._convert_input(x)
