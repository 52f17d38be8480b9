"""Background work for the pipeline: producer threads (``prefetch``, parallel ``interleave``) and
the thread-pool ``map``. Every helper is a generator or is owned by one: closing the generator
(a ``break``, or the iterator being garbage collected) stops and joins its threads, and an
exception raised on a worker reaches the consumer as it was raised."""

from __future__ import annotations

import collections
import concurrent.futures
import queue
import threading

_END = object()
_POLL_S = 0.02


class _Failure:
    def __init__(self, error):
        self.error = error


class Producer:
    """Runs ``make_iter()`` on its own thread, at most ``size`` elements ahead."""

    def __init__(self, make_iter, size, name="tensorhouse-data"):
        self._queue: queue.Queue = queue.Queue(maxsize=max(1, size))
        self._stop = threading.Event()
        self.done = False
        self._thread = threading.Thread(
            target=_produce, args=(make_iter, self._queue, self._stop), name=name, daemon=True
        )
        self._thread.start()

    def get(self, block=True):
        """The next element; ``_END`` at the end; raises ``queue.Empty`` when not ``block``ing
        and nothing is ready, and the worker's exception when it failed."""
        item = self._queue.get(block=block)
        if item is _END:
            self.done = True
        elif isinstance(item, _Failure):
            self.done = True
            raise item.error
        return item

    def close(self):
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join()


def _produce(make_iter, q, stop):
    def put(item):
        while not stop.is_set():
            try:
                q.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    try:
        iterator = make_iter()
        try:
            for element in iterator:
                if not put(element):
                    return
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()
        put(_END)
    except BaseException as e:  # handed to the consumer, raised there
        put(_Failure(e))


def prefetch(make_iter, size):
    """The elements of ``make_iter()``, produced ``size`` ahead on a background thread."""
    producer = Producer(make_iter, size, name="tensorhouse-prefetch")
    try:
        while True:
            item = producer.get()
            if item is _END:
                return
            yield item
    finally:
        producer.close()


def parallel_map(fn, iterator, workers, deterministic=True):
    """``map(fn, iterator)`` on ``workers`` threads, at most ``2 * workers`` calls ahead; in the
    input order when ``deterministic``, else in the order the calls finish."""
    pending: collections.deque = collections.deque()
    pool = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="tensorhouse-map")
    try:
        exhausted = False
        while True:
            while not exhausted and len(pending) < 2 * workers:
                try:
                    element = next(iterator)
                except StopIteration:
                    exhausted = True
                    break
                pending.append(pool.submit(fn, element))
            if not pending:
                return
            if deterministic:
                yield pending.popleft().result()
                continue
            done, _ = concurrent.futures.wait(
                pending, return_when=concurrent.futures.FIRST_COMPLETED
            )
            first = next(f for f in pending if f in done)
            pending.remove(first)
            yield first.result()
    finally:
        for f in pending:
            f.cancel()
        pool.shutdown(wait=True)
