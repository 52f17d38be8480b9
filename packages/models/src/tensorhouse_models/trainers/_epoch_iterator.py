"""Turning ``fit`` / ``evaluate`` / ``predict`` inputs into batches, epoch by epoch.

The data adapters, one per kind of input:
- arrays (NumPy arrays, ops tensors, Python lists of numbers, pandas objects; nested in tuples,
  lists and dicts for several inputs or outputs) are sliced on the host, shuffled per epoch when
  asked, and converted to tensors one batch at a time; float arrays become float32 (floatx);
  unshuffled batches of arrays given again, bitwise unchanged, reuse the tensors made before;
- a ``Dataset`` is iterated as it is (it yields batches);
- a Python generator, or any iterator, yields batches until it stops (one pass only);
- a ``PyDataset`` (``keras.utils.PyDataset``) is indexed batch by batch, in a shuffled order
  per epoch when ``shuffle=True``.
``EpochIterator`` groups the batches by ``steps_per_execution``, so each traced call gets a
tuple of batches.
"""

from __future__ import annotations

import functools
import itertools
import logging
import math
import secrets
import warnings
import weakref

import numpy as np

from tensorhouse_components import keras_ops, ops, tree
from tensorhouse_components.data import Dataset

from ._py_dataset import PyDataset

# arrays: a block of up to this many batches (and this many bytes) is gathered (shuffled: one
# np.take, never a copy of the whole array) and converted at once; converting in a burst rather
# than between training steps, which evict the interpreter's working set, halves its cost
_BLOCK_BATCHES, _BLOCK_BYTES = 16, 16 << 20
# arrays passed again (the same objects, bitwise unchanged) in the same slices (no shuffle, or
# shuffle="batch") reuse the batch tensors made from them, in later epochs and later fit /
# evaluate / predict calls, up to this many bytes of tensors and copies in all; a copy of each
# NumPy array tells an unchanged array from one changed in place (tensors cannot change)
_REUSE_BYTES = 64 << 20
_UINT = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}

__all__ = [
    "EpochIterator", "pack_x_y_sample_weight", "split_for_validation",
    "unpack_x_y_sample_weight",
]  # fmt: skip

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
        f"found: {data!r}"
    )


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    if y is None:
        return (x,)
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def _is_array(x):
    return isinstance(x, np.ndarray | ops.Tensor | ops.Variable) or hasattr(x, "to_numpy")


def _is_number_list(x):
    return isinstance(x, list) and all(isinstance(v, int | float | bool | list) for v in x)


def _map(fn, x):
    """``fn`` on each piece of data in ``x`` (an array, a tensor, a list of numbers), through
    the nesting of lists, tuples and dicts around them."""

    def visit(v):
        if _is_number_list(v) or not tree.is_nested(v):
            out = fn(v)
            return tree.MAP_TO_NONE if out is None else out
        return None  # a node: go into it

    if type(x) is np.ndarray:  # the common case: no walk
        return fn(x)
    return tree.traverse(visit, x)


def _leaves(x):
    out = []
    _map(out.append, x)
    return out


def _to_host(x):
    if x is None:
        return None
    if isinstance(x, ops.Tensor | ops.Variable):
        arr = np.asarray(x)
    elif isinstance(x, Dataset):
        raise TypeError("A Dataset cannot be nested inside other inputs")
    elif hasattr(x, "to_numpy"):  # a pandas DataFrame or Series
        arr = np.asarray(x.to_numpy())
    else:
        arr = np.asarray(x)
        if arr.dtype == object:
            raise TypeError(
                f"Unrecognized data type: x={type(x).__name__}. Expected NumPy arrays, tensors, "
                "Python lists of numbers, pandas objects, a Dataset, a generator or a PyDataset."
            )
    if arr.dtype.kind == "f" and arr.dtype != np.float32:
        arr = arr.astype(np.float32)
    if arr.ndim == 0:
        raise ValueError(f"Expected arrays with a batch dimension; received a scalar {arr!r}")
    return arr


def split_for_validation(x, y, sample_weight, fraction):
    """Keras's ``validation_split``: the last ``fraction`` of the samples, before shuffling."""
    if not 0 < fraction < 1:
        raise ValueError(f"validation_split must be in (0, 1). Received: {fraction}")
    if isinstance(x, Dataset) or _is_generator(x) or isinstance(x, PyDataset):
        raise ValueError(
            "`validation_split` is only supported for Tensors or NumPy arrays, found following "
            f"types in the input: {[type(x)]}"
        )
    data = tuple(None if a is None else _map(_to_host, a) for a in (x, y, sample_weight))
    n = len(_leaves(data[0])[0])
    cut = int(n * (1.0 - fraction))
    if cut == 0 or cut == n:
        raise ValueError(
            f"validation_split={fraction} with {n} samples leaves no training or validation data"
        )
    train = tuple(None if a is None else _map(lambda t: t[:cut], a) for a in data)
    val = tuple(_map(lambda t: t[cut:], a) for a in data if a is not None)
    return train, val


def _is_generator(x):
    return hasattr(x, "__next__") and not isinstance(x, Dataset)


def _check_dict_keys(x, input_names):
    if not isinstance(x, dict) or not input_names:
        return
    unknown = sorted(set(x) - set(input_names))
    missing = sorted(set(input_names) - set(x))
    if unknown or missing:
        raise ValueError(
            f"The input dict has keys {sorted(x)}, but the model's inputs are named "
            f"{sorted(input_names)}"
            + (f"; unknown: {unknown}" if unknown else "")
            + (f"; missing: {missing}" if missing else "")
        )


_CLASS_AND_SAMPLE_WEIGHT = "You cannot `class_weight` and `sample_weight` at the same time."


def _class_weights(y, class_weight):
    """Per-sample weights from ``class_weight`` (a dict class -> weight) and the labels."""
    if isinstance(y, dict | list | tuple):
        raise ValueError("`class_weight` is only supported for models with a single output.")
    labels = np.asarray(y)
    if labels.ndim == 2 and labels.shape[1] > 1:
        labels = labels.argmax(axis=1)
    elif labels.ndim == 2:
        labels = labels[:, 0]
    classes, index = np.unique(np.rint(labels).astype(np.int64), return_inverse=True)
    # as Keras: a class the dict does not name weighs 1
    weights = np.array([class_weight.get(int(c), 1.0) for c in classes], np.float32)
    return weights[index.reshape(-1)]


def _reusable(sources):
    """Whether batch tensors of ``sources`` may be kept: tensors (immutable) and NumPy arrays
    of numbers that a copy can be compared with bit by bit."""
    return all(
        isinstance(a, ops.Tensor)
        or type(a) is np.ndarray
        and a.dtype.kind in "biuf"
        and a.dtype.itemsize in _UINT
        for a in sources
    )


def _same_bits(a, copy):
    if a.shape != copy.shape or a.dtype != copy.dtype:
        return False
    uint = _UINT[a.dtype.itemsize]
    return np.array_equal(a.view(uint), copy.view(uint))  # -0.0 and NaN payloads included


class _Kept:
    __slots__ = ("refs", "copies", "batches", "nbytes")


_kept: dict = {}  # (the sources' ids, batch size) -> _Kept, oldest first


def _reused_batches(sources, leaves, bs, n):
    """The tensors of each batch of ``leaves`` (``sources`` on the host), in order: the ones
    made before from the same ``sources`` when each is alive and bitwise unchanged; None when
    they and the copies would pass the budget."""
    key = (tuple(map(id, sources)), bs)
    entry = _kept.pop(key, None)
    if entry is not None and all(
        ref() is a and (copy is None or _same_bits(a, copy))
        for ref, copy, a in zip(entry.refs, entry.copies, sources)
    ):
        _kept[key] = entry  # the newest again
        return entry.batches
    copied = [a for a in sources if not isinstance(a, ops.Tensor)]
    nbytes = sum(a.nbytes for a in leaves) + sum(a.nbytes for a in copied)
    if nbytes > _REUSE_BYTES:
        return None
    while _kept and sum(e.nbytes for e in list(_kept.values())) + nbytes > _REUSE_BYTES:
        _kept.pop(next(iter(_kept), None), None)  # the oldest

    def forget(ref):  # a source is gone: so is what was made from it
        if any(r is ref for r in getattr(_kept.get(key), "refs", ())):
            _kept.pop(key, None)

    entry = _Kept()
    entry.nbytes = nbytes
    entry.copies = [None if isinstance(a, ops.Tensor) else a.copy() for a in sources]
    entry.refs = [weakref.ref(a, forget) for a in sources]
    entry.batches = [[ops.constant(a[s : s + bs]) for a in leaves] for s in range(0, n, bs)]
    _kept[key] = entry
    return entry.batches


class EpochIterator:
    """The batches of one epoch at a time, grouped by ``steps_per_execution``: each group is a
    tuple of batches, each batch ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` of tensors
    (or whatever a Dataset, generator or PyDataset yields)."""

    def __init__(
        self,
        x,
        y=None,
        sample_weight=None,
        batch_size=None,
        steps_per_epoch=None,
        shuffle=False,
        seed=None,
        class_weight=None,
        steps_per_execution=1,
        input_names=None,
    ):
        self.steps_per_epoch = None if steps_per_epoch is None else int(steps_per_epoch)
        self.steps_per_execution = int(steps_per_execution)
        self._iterator = None
        self._peeked = None
        self._kind = "arrays"
        if isinstance(x, Dataset | PyDataset) or _is_generator(x):
            self._kind = (
                "dataset" if isinstance(x, Dataset)
                else "py_dataset" if isinstance(x, PyDataset) else "generator"
            )  # fmt: skip
            for name, value in (("y", y), ("sample_weight", sample_weight)):
                if value is not None:
                    raise ValueError(
                        f"`{name}` argument is not supported when using a "
                        f"{type(x).__name__} as input; yield (x, y, sample_weight) from it "
                        "instead."
                    )
            if class_weight is not None and self._kind != "dataset":
                raise ValueError("`class_weight` is supported for arrays and Datasets only")
            self._source = x
            self._class_weight = class_weight
            self._shuffle = shuffle is True
            self._seed_rng = np.random.default_rng(None if seed is None else list(seed))
            if self._kind == "dataset":
                card = int(x.cardinality())
            elif self._kind == "py_dataset":
                card = len(x)
            else:
                card = -2
            self._batches_per_pass = card if card >= 0 else None
            if card == -1 and self.steps_per_epoch is None:
                raise ValueError(
                    "The dataset is infinite (repeat() without a count): pass steps_per_epoch "
                    "(or steps) to say how many batches make an epoch."
                )
            self._cap_steps()
            return
        if x is None:
            raise ValueError("Expected input data `x`; received None")
        _check_dict_keys(x, input_names)
        if y is None and sample_weight is not None:
            raise ValueError("`sample_weight` needs `y`")
        given = [part for part in (x, y, sample_weight) if part is not None]
        parts = [_map(_to_host, part) for part in given]
        sources = [leaf for part in given for leaf in _leaves(part)]
        self._sources = sources if class_weight is None and _reusable(sources) else None
        if class_weight is not None:
            if y is None:
                raise ValueError("`class_weight` needs `y`")
            if len(parts) == 3:
                raise ValueError(_CLASS_AND_SAMPLE_WEIGHT)
            parts.append(_class_weights(parts[1], class_weight))
        self._data = tuple(parts)
        self._data_leaves = [leaf for part in parts for leaf in _leaves(part)]
        sizes = {}
        for name, part in zip(("x", "y", "sample_weight"), self._data):
            for leaf in _leaves(part):
                sizes.setdefault(name, []).append(int(leaf.shape[0]))
        if len({n for group in sizes.values() for n in group}) != 1:
            described = "".join(
                f"'{k}' sizes: {', '.join(map(str, v))}\n" for k, v in sizes.items()
            )
            raise ValueError(
                "Data cardinality is ambiguous. Make sure all arrays contain the same number of "
                f"samples.{described}"
            )
        self.num_samples = next(iter(sizes.values()))[0]
        if self.num_samples == 0:
            raise ValueError("Expected input data to be non-empty.")
        self.batch_size = int(batch_size or 32)
        if self.batch_size <= 0:
            raise ValueError(f"batch_size must be positive. Received: batch_size={batch_size}")
        self._batches_per_pass = math.ceil(self.num_samples / self.batch_size)
        if shuffle not in (True, False, "batch"):
            raise ValueError(f"shuffle must be True, False or 'batch'. Received: {shuffle!r}")
        self._shuffle = shuffle
        if seed is None and shuffle:
            seed = (secrets.randbits(63), secrets.randbits(63))
        self._seed = [int(s) & (2**63 - 1) for s in seed or ()]
        self._passes = 0
        self._cap_steps()

    def _cap_steps(self):
        """Keras's ``keras.config.max_steps_per_epoch``: a debugging cap on each epoch."""
        cap = keras_ops.config.max_steps_per_epoch()
        if cap and (self.num_batches is None or cap < self.num_batches):
            warnings.warn(f"Limiting steps_per_epoch to {cap}", stacklevel=3)
            self.steps_per_epoch = cap

    @property
    def num_batches(self):
        """Batches per epoch; None when unknown (a dataset of unknown cardinality)."""
        if self.steps_per_epoch is not None:
            return self.steps_per_epoch
        return self._batches_per_pass

    # ---- one pass over the data, per kind -----------------------------------------------
    def _array_pass(self):
        """One pass over array data: contiguous slices in order; with ``shuffle=True``, rows
        in a new random order; either way converted to tensors one block at a time."""
        n, bs = self.num_samples, self.batch_size
        rng = np.random.default_rng([*self._seed, self._passes]) if self._shuffle else None
        self._passes += 1
        leaves, constant, batch = self._data_leaves, ops.constant, self._packer
        starts = list(range(0, n, bs))
        if self._shuffle == "batch":
            rng.shuffle(starts)
        kept = self._kept_batches(leaves) if self._shuffle is not True else None
        if kept is not None:
            yield from kept if rng is None else [kept[s // bs] for s in starts]
            return
        order = rng.permutation(n) if self._shuffle is True else None
        batch_bytes = max(sum(a.nbytes for a in leaves) // n * bs, 1)
        per_block = max(1, min(_BLOCK_BATCHES, _BLOCK_BYTES // batch_bytes))
        for first in range(0, len(starts), per_block):
            block = starts[first : first + per_block]
            if order is None:
                ready = [batch([constant(a[s : s + bs]) for a in leaves]) for s in block]
            else:  # consecutive starts: one gather for the block's rows, then slices of it
                rows = order[block[0] : block[-1] + bs]
                taken = [np.take(a, rows, axis=0) for a in leaves]
                ready = [batch([constant(t[lo : lo + bs]) for t in taken])
                         for lo in range(0, len(rows), bs)]  # fmt: skip
            yield from ready

    def _kept_batches(self, leaves):
        """The batches in order, of tensors made once and kept while the source arrays are
        unchanged, packed anew (a step may change its batch's lists and dicts); None when
        they cannot be kept."""
        if self._sources is None:
            return None
        flat = _reused_batches(self._sources, leaves, self.batch_size, self.num_samples)
        return None if flat is None else [self._packer(tensors) for tensors in flat]

    @functools.cached_property
    def _packer(self):
        """``tensors -> batch``: a batch's tensors (in ``_leaves`` order) in the structure of
        the data, by closures built here once rather than by a tree walk per batch."""
        if all(isinstance(part, np.ndarray) for part in self._data):  # (x, y[, sw]) arrays
            return tuple
        index = itertools.count()
        fast = _closure_packer(_map(lambda _: next(index), self._data))
        if fast is not None:
            return fast

        def pack(tensors):  # namedtuples, deques, dict subclasses: keras.tree rebuilds them
            it = iter(tensors)
            return _map(lambda _: next(it), self._data)

        return pack

    def _dataset_pass(self):
        for batch in self._source:
            if self._class_weight is not None:
                x, y, sw = unpack_x_y_sample_weight(batch)
                if sw is not None:
                    raise ValueError(_CLASS_AND_SAMPLE_WEIGHT)
                batch = (
                    x,
                    y,
                    ops.convert_to_tensor(_class_weights(np.asarray(y), self._class_weight)),
                )
            yield batch

    def _py_dataset_pass(self):
        order = np.arange(len(self._source))
        if self._shuffle:
            self._seed_rng.shuffle(order)
        self._source.on_epoch_begin()
        for batch in self._source._iterate([int(i) for i in order]):
            yield _map(_batch_tensor, _as_tuple(batch))
        self._source.on_epoch_end()

    def _generator_pass(self):
        for batch in self._source:
            yield _map(_batch_tensor, _as_tuple(batch))

    def _pass(self):
        return getattr(self, f"_{self._kind.replace('arrays', 'array')}_pass")()

    def _batches(self):
        """The batches of the next epoch."""
        if self._peeked is not None:
            peeked, self._peeked = self._peeked, None
            yield peeked
            produced = 1
        else:
            produced = 0
        if self.steps_per_epoch is None:
            if self._iterator is None:
                self._iterator = self._pass()
            yield from self._iterator
            self._iterator = None
            return
        restarted = False
        while produced < self.steps_per_epoch:
            if self._iterator is None:
                self._iterator = self._pass()
            try:
                batch = next(self._iterator)
            except StopIteration:
                self._iterator = None
                if self._kind != "arrays" or restarted:
                    # A finite input ran out: the epoch ends here (Keras warns the same).
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

    def peek(self):
        """The first batch of the next epoch, kept for it (the model builds on it)."""
        if self._peeked is None:
            if self._iterator is None:
                self._iterator = self._pass()
            self._peeked = next(self._iterator, None)
        return self._peeked

    def enumerate_epoch(self):
        """``(first step, last step, batches)`` per execution: up to ``steps_per_execution``
        batches each. As in Keras, the last step is the first plus ``steps_per_execution - 1``
        even when the data ran out before it."""
        if self.steps_per_execution == 1:
            for step, batch in enumerate(self._batches()):
                yield step, step, (batch,)
            return
        step, group = 0, []
        for batch in self._batches():
            group.append(batch)
            if len(group) == self.steps_per_execution:
                yield step, step + len(group) - 1, tuple(group)
                step += len(group)
                group = []
        if group:
            yield step, step + self.steps_per_execution - 1, tuple(group)


def _closure_packer(template):
    """``tensors -> structure`` for ``template``, a structure of plain dicts, tuples and lists
    whose leaves are indices into ``tensors``; None for any other node type."""
    kind = type(template)
    if kind is int:
        return lambda ts: ts[template]
    if kind is dict:
        parts = [(k, _closure_packer(v)) for k, v in template.items()]
        if all(f is not None for _, f in parts):
            return lambda ts: {k: f(ts) for k, f in parts}
    elif kind is tuple or kind is list:
        fns = [_closure_packer(c) for c in template]
        if all(f is not None for f in fns):
            return lambda ts: kind([f(ts) for f in fns])
    return None


def _as_tuple(batch):
    return tuple(batch) if isinstance(batch, list | tuple) else (batch,)


def _batch_tensor(x):
    if x is None or isinstance(x, ops.Tensor):
        return x
    return ops.convert_to_tensor(_to_host(x))
