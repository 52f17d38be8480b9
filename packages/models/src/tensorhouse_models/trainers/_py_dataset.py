"""``keras.utils.PyDataset``: batches by index from Python code (``__getitem__`` and
``__len__``), loaded by a pool of worker threads when ``workers > 1``."""

from __future__ import annotations

import collections
import concurrent.futures

__all__ = ["PyDataset"]


class PyDataset:
    """Subclass it: ``__getitem__(index)`` returns batch ``index`` as ``x``, ``(x, y)`` or
    ``(x, y, sample_weight)``; ``__len__`` is the number of batches in an epoch."""

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        if use_multiprocessing:
            raise ValueError(
                "PyDataset(use_multiprocessing=True) is not supported: batches are loaded by "
                "worker threads (workers=N)."
            )
        self._workers = max(int(workers), 1)
        self._max_queue_size = max(int(max_queue_size), 1)

    @property
    def workers(self):
        return self._workers

    @property
    def use_multiprocessing(self):
        return False

    @property
    def max_queue_size(self):
        return self._max_queue_size

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self):
        n = self.num_batches
        if n is None:
            raise TypeError(f"{type(self).__name__} has no length (num_batches is None)")
        return n

    @property
    def num_batches(self):
        if type(self).__len__ is PyDataset.__len__:
            raise NotImplementedError(f"{type(self).__name__} must implement __len__")
        return len(self)

    def on_epoch_begin(self):
        """Called before each epoch."""

    def on_epoch_end(self):
        """Called after each epoch."""

    def _iterate(self, order):
        """The batches at ``order``'s indices, in that order; up to ``max_queue_size`` loaded
        ahead by the worker threads."""
        if self._workers == 1:
            for i in order:
                yield self[i]
            return
        with concurrent.futures.ThreadPoolExecutor(self._workers) as pool:
            pending = collections.deque()
            it = iter(order)
            for i in it:
                pending.append(pool.submit(self.__getitem__, i))
                if len(pending) >= self._max_queue_size:
                    break
            while pending:
                batch = pending.popleft().result()
                nxt = next(it, None)
                if nxt is not None:
                    pending.append(pool.submit(self.__getitem__, nxt))
                yield batch
