"""Background work for the pipeline: producer threads (``prefetch``, parallel ``interleave``) and
the thread-pool ``map``. Every helper is a generator or is owned by one: closing the generator
(a ``break``, or the iterator being garbage collected) stops and joins its threads, and an
exception raised on a worker reaches the consumer as it was raised."""

from __future__ import annotations

import collections
import concurrent.futures
import queue
import threading
import time

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


class Tuner:
    """AUTOTUNE's parallelism for ``parallel_map``: the calls in flight, chosen by the elements
    per second each setting gives over windows of ``window`` elements; each setting is tried
    first, the neighbours of the best again now and then (Python-heavy map functions share the
    GIL, and more threads at once can be slower than one)."""

    def __init__(self, most, window=32, revisit=16):
        self.most, self.window, self.revisit = most, window, revisit
        self.limit = most
        self._choices = sorted({most, *(k for k in (1, 2, 4, 8) if k < most)}, reverse=True)
        self._rates: dict = {}
        self._count, self._windows = 0, 0
        self._start = time.perf_counter()

    def step(self, count=1):
        """Count ``count`` elements delivered; the calls in flight to allow from now on."""
        self._count += count
        if self._count < self.window:
            return self.limit
        now = time.perf_counter()
        rate = self._count / max(now - self._start, 1e-9)
        old = self._rates.get(self.limit)
        self._rates[self.limit] = rate if old is None else 0.5 * (old + rate)
        self._count, self._start = 0, now
        self._windows += 1
        untried = [k for k in self._choices if k not in self._rates]
        best = max(self._rates, key=self._rates.__getitem__)
        if untried:
            self.limit = untried[0]
        elif self._windows % self.revisit == 0:
            i = self._choices.index(best)
            near = self._choices[max(i - 1, 0) : i + 2]
            self.limit = near[(self._windows // self.revisit) % len(near)]
        else:
            self.limit = best
        return self.limit


# A worker task maps a run of consecutive elements, as many as take about _TASK_S (at most
# _TASK_MOST): the handoff between threads (a future, two wake-ups, the GIL changing hands)
# costs tens of microseconds, paid once per run instead of once per element.
_TASK_S = 0.001
_TASK_MOST = 64


def _map_run(fn, elements):
    """``fn`` over ``elements`` on a worker: (the outputs, the exception that stopped the run or
    None, the seconds it took)."""
    start, outs = time.perf_counter(), []
    try:
        for element in elements:
            outs.append(fn(element))
    except BaseException as e:  # raised on the consumer after the outputs before it
        return outs, e, time.perf_counter() - start
    return outs, None, time.perf_counter() - start


def parallel_map(fn, iterator, workers, deterministic=True, autotune=False):
    """``map(fn, iterator)`` on ``workers`` threads, at most ``2 * workers`` runs of elements
    ahead (one element per run at first, then as many as take about ``_TASK_S``); in the input
    order when ``deterministic``, else in the order the runs finish. With ``autotune`` a
    ``Tuner`` sets how many runs go at once (one: in this thread when it is a pipeline
    thread). An error, the map's or the input's, is raised after the elements before it."""
    pending: collections.deque = collections.deque()
    tuner = Tuner(workers) if autotune and workers > 1 else None
    # a tuned single call runs inline only on the pipeline's own threads (prefetch's producer),
    # never on the consumer's
    inline = threading.current_thread().name.startswith("tensorhouse-")
    pool = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="tensorhouse-map")
    per_run, failed = 1, None  # the input's error, raised once the runs before it are out
    try:
        exhausted = False
        while True:
            ahead = 2 * workers if tuner is None or tuner.limit == workers else tuner.limit
            if tuner is not None and ahead == 1 and inline and not pending and not exhausted:
                try:  # one call at a time, on this pipeline thread: no handoff
                    element = next(iterator)
                except StopIteration:
                    return
                yield fn(element)
                tuner.step()
                continue
            while not exhausted and len(pending) < ahead:
                run = []
                try:
                    while len(run) < per_run:
                        run.append(next(iterator))
                except StopIteration:
                    exhausted = True
                except Exception as e:
                    exhausted, failed = True, e
                if run:
                    pending.append(pool.submit(_map_run, fn, run))
            if not pending:
                if failed is not None:
                    raise failed
                return
            if deterministic:
                first = pending.popleft()
            else:
                done, _ = concurrent.futures.wait(
                    pending, return_when=concurrent.futures.FIRST_COMPLETED
                )
                first = next(f for f in pending if f in done)
                pending.remove(first)
            outs, error, seconds = first.result()
            if outs:
                per_run = max(1, min(_TASK_MOST, int(_TASK_S * len(outs) / max(seconds, 1e-9))))
            yield from outs
            if tuner is not None:  # a run's elements come at once: counted together
                tuner.step(len(outs))
            if error is not None:
                raise error
    finally:
        for f in pending:
            f.cancel()
        pool.shutdown(wait=True)
