"""Turning ``fit``/``evaluate``/``predict`` inputs into batches, epoch by epoch.

Arrays (NumPy arrays, ops tensors, Python lists; nested in tuples, lists of arrays and dicts for
several inputs) are sliced on the host and converted to tensors one batch at a time; float
arrays become float32 (Keras's floatx). A ``Dataset`` is iterated as it is: it yields batches.
"""

from __future__ import annotations

import logging
import math
import secrets

import numpy as np

from tensorhouse_components import ops
from tensorhouse_components.data import Dataset

__all__ = ["EpochIterator", "pack_x_y_sample_weight", "unpack_x_y_sample_weight"]

_log = logging.getLogger("tensorhouse_models")


def unpack_x_y_sample_weight(data):
    """``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` -> a 3-tuple; anything else is x."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError(
        "Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, "
        f"found a tuple of {len(data)} items"
    )


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    if y is None:
        return (x,)
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def _is_leaf_list(x):
    return (
        isinstance(x, list)
        and x
        and all(isinstance(v, np.ndarray | ops.Tensor | ops.Variable) for v in x)
    )


def _map(fn, x):
    if isinstance(x, tuple):
        return tuple(_map(fn, v) for v in x)
    if _is_leaf_list(x):
        return [_map(fn, v) for v in x]
    if isinstance(x, dict):
        return {k: _map(fn, v) for k, v in x.items()}
    return fn(x)


def _leaves(x):
    out = []
    _map(out.append, x)
    return out


def _to_host(x):
    if x is None:
        return None
    if isinstance(x, ops.Tensor | ops.Variable):
        arr = np.asarray(x.numpy())
    elif isinstance(x, Dataset):
        raise TypeError("A Dataset cannot be nested inside other inputs")
    else:
        arr = np.asarray(x)
        if arr.dtype == object:
            raise TypeError(
                f"Unrecognized data type: x={type(x).__name__}. Expected NumPy arrays, tensors, "
                "Python lists of numbers or a Dataset."
            )
    if arr.dtype.kind == "f" and arr.dtype != np.float32:
        arr = arr.astype(np.float32)
    if arr.ndim == 0:
        raise ValueError(f"Expected arrays with a batch dimension; received a scalar {arr!r}")
    return arr


class EpochIterator:
    """Yields the batches of one epoch at a time, each a tuple ``(x,)``, ``(x, y)`` or
    ``(x, y, sample_weight)`` of tensors (or whatever a Dataset yields)."""

    def __init__(
        self,
        x,
        y=None,
        sample_weight=None,
        batch_size=None,
        steps_per_epoch=None,
        shuffle=False,
        seed=None,
    ):
        self.steps_per_epoch = None if steps_per_epoch is None else int(steps_per_epoch)
        self._iterator = None
        if isinstance(x, Dataset):
            if y is not None:
                raise ValueError("`y` argument is not supported when using a Dataset as input.")
            if sample_weight is not None:
                raise ValueError(
                    "`sample_weight` argument is not supported when using a Dataset as input; "
                    "yield (x, y, sample_weight) from the dataset instead."
                )
            self._dataset = x
            card = int(x.cardinality())
            self._batches_per_pass = card if card >= 0 else None
            if card == -1 and self.steps_per_epoch is None:
                raise ValueError(
                    "The dataset is infinite (repeat() without a count): pass steps_per_epoch "
                    "(or steps) to say how many batches make an epoch."
                )
            return
        self._dataset = None
        if x is None:
            raise ValueError("Expected input data `x`; received None")
        self._data = tuple(
            _map(_to_host, part) for part in (x, y, sample_weight) if part is not None
        )
        if y is None and sample_weight is not None:
            raise ValueError("`sample_weight` needs `y`")
        lengths = {int(leaf.shape[0]) for leaf in _leaves(self._data)}
        if len(lengths) != 1:
            raise ValueError(
                "Data cardinality is ambiguous: x, y and sample_weight must have the same "
                f"number of samples. Received sizes {sorted(lengths)}"
            )
        (self.num_samples,) = lengths
        if self.num_samples == 0:
            raise ValueError("Expected input data to be non-empty.")
        self.batch_size = int(batch_size or 32)
        if self.batch_size <= 0:
            raise ValueError(f"batch_size must be positive. Received: batch_size={batch_size}")
        self._batches_per_pass = math.ceil(self.num_samples / self.batch_size)
        if shuffle not in (True, False, "batch"):
            raise ValueError(f"shuffle must be True, False or 'batch'. Received: {shuffle!r}")
        self._shuffle = shuffle
        if seed is None:
            seed = (secrets.randbits(63), secrets.randbits(63))
        self._seed = [int(s) & (2**63 - 1) for s in seed]
        self._passes = 0

    @property
    def num_batches(self):
        """Batches per epoch; None when unknown (a dataset of unknown cardinality)."""
        if self.steps_per_epoch is not None:
            return self.steps_per_epoch
        return self._batches_per_pass

    # ---- arrays ---------------------------------------------------------------------------
    def _array_pass(self):
        n, bs = self.num_samples, self.batch_size
        rng = np.random.default_rng([*self._seed, self._passes])
        self._passes += 1
        starts = list(range(0, n, bs))
        if self._shuffle == "batch":
            rng.shuffle(starts)
            order = None
        elif self._shuffle:
            order = rng.permutation(n)
        else:
            order = None
        for start in starts:
            if order is None:
                sl = slice(start, start + bs)
                yield _map(lambda a, sl=sl: ops.convert_to_tensor(a[sl]), self._data)
            else:
                idx = order[start : start + bs]
                yield _map(lambda a, idx=idx: ops.convert_to_tensor(a[idx]), self._data)

    def _pass(self):
        if self._dataset is not None:
            return iter(self._dataset)
        return self._array_pass()

    def epoch(self):
        """The batches of the next epoch."""
        if self.steps_per_epoch is None:
            yield from self._pass()
            return
        produced = 0
        restarted = False
        while produced < self.steps_per_epoch:
            if self._iterator is None:
                self._iterator = self._pass()
            try:
                batch = next(self._iterator)
            except StopIteration:
                self._iterator = None
                if self._dataset is not None or restarted:
                    # A finite dataset ran out: the epoch ends here (Keras warns the same).
                    _log.warning(
                        "Your input ran out of data after %d of %d steps; interrupting the "
                        "epoch. Use dataset.repeat() for steps_per_epoch beyond one pass.",
                        produced, self.steps_per_epoch,
                    )  # fmt: skip
                    return
                restarted = True
                continue
            restarted = False
            produced += 1
            yield batch
