"""``Dataset``: an input pipeline of Python iterators over host (NumPy) elements.

Elements travel through the pipeline as NumPy arrays (nested in tuples and dicts, TF's rule:
lists are values, not structure) and become ops tensors only where the user sees them: when
the dataset is iterated and when a ``map`` function is called. Slicing, shuffling and batching
are host work, so they cost no kernel launches.

Order is deterministic: ``shuffle`` draws from a generator seeded through ``ops.random``'s seed
rules (the global seed from ``utils.set_random_seed``, or an explicit ``seed``), a parallel
``map`` keeps the input order, and ``prefetch`` runs the upstream pipeline in one background
thread without reordering. Random ops called inside a ``map`` function that runs on threads
(``num_parallel_calls`` or a later ``prefetch``) take op seeds in thread order: give them
explicit seeds when runs must repeat.
"""

from __future__ import annotations

import collections
import concurrent.futures
import math
import os
import queue
import secrets
import threading

import numpy as np

from tensorhouse_ops import Tensor, Variable, constant, convert_to_tensor, random

__all__ = ["AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "Dataset"]

AUTOTUNE = -1
INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2
_AUTOTUNE_THREADS = min(8, os.cpu_count() or 1)
_AUTOTUNE_PREFETCH = 2


# ---- nested structures (tuples and dicts are structure; everything else is a value) ----------


def _map(fn, x):
    if isinstance(x, tuple):
        return tuple(_map(fn, v) for v in x)
    if isinstance(x, dict):
        return {k: _map(fn, v) for k, v in x.items()}
    return fn(x)


def _leaves(x):
    if isinstance(x, tuple):
        return [leaf for v in x for leaf in _leaves(v)]
    if isinstance(x, dict):
        return [leaf for k in x for leaf in _leaves(x[k])]
    return [x]


def _zip_map(fn, structures):
    first = structures[0]
    if isinstance(first, tuple):
        return tuple(_zip_map(fn, [s[i] for s in structures]) for i in range(len(first)))
    if isinstance(first, dict):
        return {k: _zip_map(fn, [s[k] for s in structures]) for k in first}
    return fn(structures)


def _to_host(x) -> np.ndarray:
    """A value as a NumPy array, with TF's default dtypes for Python values."""
    if isinstance(x, Tensor | Variable):
        return np.asarray(x.numpy())
    if isinstance(x, np.ndarray | np.generic):
        return np.asarray(x)
    return np.asarray(convert_to_tensor(x).numpy())


def _to_tensor(x):
    return constant(x)


# ---- the dataset ----------------------------------------------------------------------------


class Dataset:
    """TF's ``tf.data.Dataset``: build with the ``from_*`` constructors, chain transformations,
    iterate to get ops tensors (tuples stay tuples, dicts stay dicts)."""

    def __init__(self, host_iter, cardinality: int, source=None):
        # host_iter: a zero-argument callable returning an iterator of host elements.
        self._host_iter = host_iter
        self._cardinality = int(cardinality)
        self._source = source  # the (structure, length) of a from_tensor_slices dataset

    # ---- constructors -------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors, name=None):
        """One element per row of the leading axis: ``(x, y)`` gives ``(x[i], y[i])``."""
        data = _map(_to_host, tensors)
        leaves = _leaves(data)
        if not leaves:
            raise ValueError("from_tensor_slices needs at least one tensor")
        lengths = []
        for leaf in leaves:
            if leaf.ndim == 0:
                raise ValueError(
                    f"from_tensor_slices: every component needs a leading axis to slice; "
                    f"got a scalar ({leaf!r})"
                )
            lengths.append(leaf.shape[0])
        if len(set(lengths)) != 1:
            raise ValueError(
                "from_tensor_slices: all components must have the same size in their first "
                f"dimension. Received sizes {lengths}"
            )
        n = lengths[0]

        def it():
            for i in range(n):
                yield _map(lambda a, i=i: a[i], data)

        return Dataset(it, n, source=(data, n))

    @staticmethod
    def from_tensors(tensors, name=None):
        """A dataset of one element: ``tensors`` itself."""
        data = _map(_to_host, tensors)
        return Dataset(lambda: iter([data]), 1)

    @staticmethod
    def range(*args, dtype="int64", name=None):
        """``range(stop)``, ``range(start, stop)``, ``range(start, stop, step)`` (int64)."""
        r = range(*[int(a) for a in args])
        np_dtype = np.dtype(getattr(dtype, "name", dtype))

        def it():
            for v in r:
                yield np.asarray(v, dtype=np_dtype)

        return Dataset(it, len(r))

    @staticmethod
    def zip(*datasets, name=None):
        """Elements of several datasets side by side, as a tuple (or the given dict/tuple)."""
        if len(datasets) == 1 and isinstance(datasets[0], tuple | dict):
            datasets = datasets[0]
        structure = datasets
        flat = list(structure.values()) if isinstance(structure, dict) else list(structure)
        for d in flat:
            if not isinstance(d, Dataset):
                raise TypeError(f"Dataset.zip takes datasets; received {type(d).__name__}")

        def it():
            for parts in zip(*[d._host_iter() for d in flat]):
                if isinstance(structure, dict):
                    yield dict(zip(structure.keys(), parts))
                else:
                    yield tuple(parts)

        cards = [d._cardinality for d in flat]
        finite = [c for c in cards if c >= 0]
        if finite:
            card = min(finite)
        elif UNKNOWN_CARDINALITY in cards:
            card = UNKNOWN_CARDINALITY
        else:
            card = INFINITE_CARDINALITY
        return Dataset(it, card)

    # ---- iteration ----------------------------------------------------------------------
    def __iter__(self):
        for element in self._host_iter():
            yield _map(_to_tensor, element)

    def as_numpy_iterator(self):
        """The elements as NumPy arrays (copies), in the same nested structure."""
        for element in self._host_iter():
            yield _map(np.array, element)

    def cardinality(self):
        """The number of elements as an int64 scalar tensor; -1 infinite, -2 unknown."""
        return constant(self._cardinality, dtype="int64")

    def __len__(self):
        if self._cardinality == INFINITE_CARDINALITY:
            raise TypeError("The dataset is infinite.")
        if self._cardinality == UNKNOWN_CARDINALITY:
            raise TypeError("The dataset length is unknown.")
        return self._cardinality

    def __bool__(self):
        return True

    def __repr__(self):
        return f"<Dataset cardinality={self._cardinality}>"

    # ---- transformations ------------------------------------------------------------------
    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        """``map_func(*element)`` for tuple elements, ``map_func(element)`` otherwise.

        The function gets ops tensors and may return tensors, arrays or Python values, nested
        in tuples and dicts. With ``num_parallel_calls`` (a count or ``AUTOTUNE``) calls run on
        a thread pool; results keep the input order.
        """
        if num_parallel_calls is not None:
            num_parallel_calls = int(num_parallel_calls)
            if num_parallel_calls == 0 or num_parallel_calls < AUTOTUNE:
                raise ValueError(
                    "num_parallel_calls must be a positive int, AUTOTUNE or None. "
                    f"Received: num_parallel_calls={num_parallel_calls}"
                )
        source = self

        def apply(element):
            args = _map(_to_tensor, element)
            out = map_func(*args) if isinstance(args, tuple) else map_func(args)
            return _map(_to_host, out)

        if num_parallel_calls is None or num_parallel_calls == 1:

            def it():
                for element in source._host_iter():
                    yield apply(element)

        else:
            workers = _AUTOTUNE_THREADS if num_parallel_calls == AUTOTUNE else num_parallel_calls

            def it():
                yield from _ordered_parallel_map(apply, source._host_iter(), workers)

        return Dataset(it, self._cardinality)

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None,
              deterministic=None, name=None):  # fmt: skip
        """Stack consecutive elements along a new leading axis; the last batch may be smaller
        unless ``drop_remainder``."""
        batch_size = int(batch_size)
        if batch_size <= 0:
            raise ValueError(f"batch_size must be a positive integer. Received: {batch_size}")
        drop_remainder = bool(drop_remainder)
        source = self

        def stack(elements):
            return _zip_map(np.stack, elements)

        if self._source is not None:
            data, n = self._source

            def it():
                stop = n - n % batch_size if drop_remainder else n
                for start in range(0, stop, batch_size):
                    yield _map(lambda a, s=start: a[s : s + batch_size], data)

        else:

            def it():
                buf = []
                for element in source._host_iter():
                    buf.append(element)
                    if len(buf) == batch_size:
                        yield stack(buf)
                        buf = []
                if buf and not drop_remainder:
                    yield stack(buf)

        card = self._cardinality
        if card >= 0:
            card = card // batch_size if drop_remainder else math.ceil(card / batch_size)
        return Dataset(it, card)

    def unbatch(self, name=None):
        """The inverse of ``batch``: one element per row of every component."""
        source = self

        def it():
            for element in source._host_iter():
                n = _leaves(element)[0].shape[0]
                for i in range(n):
                    yield _map(lambda a, i=i: a[i], element)

        card = (
            INFINITE_CARDINALITY
            if self._cardinality == INFINITE_CARDINALITY
            else (UNKNOWN_CARDINALITY)
        )
        return Dataset(it, card)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True, name=None):
        """TF's buffered shuffle: keep ``buffer_size`` elements, emit a random one, refill.

        ``buffer_size`` at least the dataset size gives a uniform permutation. The order is
        fixed by ``seed`` or by the global seed (``utils.set_random_seed``); with
        ``reshuffle_each_iteration`` each pass over the dataset takes a new order.
        """
        buffer_size = int(buffer_size)
        if buffer_size == AUTOTUNE:
            raise ValueError("shuffle(buffer_size=AUTOTUNE) is not supported; give a size")
        if buffer_size <= 0:
            raise ValueError(f"buffer_size must be positive. Received: {buffer_size}")
        s1, s2 = random.get_seed(seed)
        if s1 is None:
            s1, s2 = secrets.randbits(63), secrets.randbits(63)
        key = [s1 & (2**63 - 1), s2 & (2**63 - 1)]
        passes = [0]
        lock = threading.Lock()
        source = self

        def it():
            with lock:
                epoch = passes[0]
                passes[0] += 1
            rng = np.random.default_rng([*key, epoch if reshuffle_each_iteration else 0])
            yield from _buffered_shuffle(source._host_iter(), buffer_size, rng)

        return Dataset(it, self._cardinality)

    def repeat(self, count=None, name=None):
        """The dataset ``count`` times (forever when None or -1); each pass iterates anew."""
        count = -1 if count is None else int(count)
        source = self

        def it():
            done = 0
            while count < 0 or done < count:
                empty = True
                for element in source._host_iter():
                    empty = False
                    yield element
                done += 1
                if empty:
                    return

        card = self._cardinality
        if count == 0 or card == 0:
            card = 0
        elif count < 0:
            card = INFINITE_CARDINALITY if card != UNKNOWN_CARDINALITY else UNKNOWN_CARDINALITY
        elif card >= 0:
            card = card * count
        return Dataset(it, card)

    def take(self, count, name=None):
        """The first ``count`` elements (all when -1)."""
        count = int(count)
        source = self

        def it():
            if count == 0:
                return
            for i, element in enumerate(source._host_iter()):
                yield element
                if i + 1 == count:
                    return

        card = self._cardinality
        if count >= 0:
            card = (
                count
                if card == INFINITE_CARDINALITY
                else (min(card, count) if card >= 0 else UNKNOWN_CARDINALITY)
            )
        return Dataset(it, card)

    def skip(self, count, name=None):
        """All but the first ``count`` elements (none when -1)."""
        count = int(count)
        source = self

        def it():
            if count < 0:
                return
            for i, element in enumerate(source._host_iter()):
                if i >= count:
                    yield element

        card = self._cardinality
        if count < 0:
            card = 0
        elif card >= 0:
            card = max(card - count, 0)
        return Dataset(it, card)

    def filter(self, predicate, name=None):
        """The elements for which ``predicate(*element)`` is true (a boolean scalar)."""
        source = self

        def it():
            for element in source._host_iter():
                args = _map(_to_tensor, element)
                keep = predicate(*args) if isinstance(args, tuple) else predicate(args)
                if bool(_to_host(keep)):
                    yield element

        card = (
            INFINITE_CARDINALITY
            if self._cardinality == INFINITE_CARDINALITY
            else (UNKNOWN_CARDINALITY)
        )
        return Dataset(it, card)

    def enumerate(self, start=0, name=None):
        """``(index, element)`` pairs, the index an int64 scalar."""
        source = self

        def it():
            for i, element in enumerate(source._host_iter(), start=int(start)):
                yield (np.asarray(i, dtype=np.int64), element)

        return Dataset(it, self._cardinality)

    def cache(self, filename="", name=None):
        """Keep the elements of the first complete pass in memory and replay them after."""
        if filename:
            raise NotImplementedError("Dataset.cache(filename) to a file is not supported yet")
        source = self
        cached: list = []
        complete = [False]

        def it():
            if complete[0]:
                yield from cached
                return
            seen = []
            for element in source._host_iter():
                seen.append(element)
                yield element
            cached[:] = seen
            complete[0] = True

        return Dataset(it, self._cardinality)

    def prefetch(self, buffer_size, name=None):
        """Produce up to ``buffer_size`` elements ahead, on a background thread."""
        buffer_size = int(buffer_size)
        if buffer_size == AUTOTUNE:
            buffer_size = _AUTOTUNE_PREFETCH
        if buffer_size < 0:
            raise ValueError(f"buffer_size must be >= 0 or AUTOTUNE. Received: {buffer_size}")
        if buffer_size == 0:
            return self
        source = self

        def it():
            yield from _prefetch(source._host_iter, buffer_size)

        return Dataset(it, self._cardinality)


# ---- helpers ------------------------------------------------------------------------------


def _buffered_shuffle(iterator, buffer_size, rng):
    buf = []
    for element in iterator:
        buf.append(element)
        if len(buf) == buffer_size:
            break
    while buf:
        i = int(rng.integers(len(buf)))
        out = buf[i]
        try:
            buf[i] = next(iterator)
        except StopIteration:
            buf[i] = buf[-1]
            buf.pop()
        yield out


def _ordered_parallel_map(fn, iterator, workers):
    """``map(fn, iterator)`` on a thread pool, at most ``2 * workers`` calls ahead, in order."""
    pending: collections.deque = collections.deque()
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        try:
            for element in iterator:
                pending.append(pool.submit(fn, element))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for f in pending:
                f.cancel()


_END = object()


class _Failure:
    def __init__(self, error):
        self.error = error


def _prefetch(make_iter, buffer_size):
    """Run ``make_iter()`` on a thread that stays ``buffer_size`` elements ahead."""
    q: queue.Queue = queue.Queue(maxsize=buffer_size)
    stop = threading.Event()

    def put(item):
        while not stop.is_set():
            try:
                q.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce():
        try:
            for element in make_iter():
                if not put(element):
                    return
            put(_END)
        except BaseException as e:  # handed to the consumer, raised there
            put(_Failure(e))

    worker = threading.Thread(target=produce, name="tensorhouse-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = q.get()
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()
        worker.join()
