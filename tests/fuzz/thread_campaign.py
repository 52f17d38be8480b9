"""The thread campaign (issue 21): N threads hammer shared state through the public API; every
scenario checks exact final values (no lost update) or that each element came out once.

Scenarios: ``assign_add`` / ``assign_sub`` on shared Variables (eager and inside
``tf.function``), ``scatter_nd_add``, an optimizer's ``apply_gradients`` on shared variables,
``next()`` on one shared Dataset iterator, ``insert`` into one MutableHashTable.

``python tests/fuzz/thread_campaign.py --threads 8 --iters 10000 --rounds 5`` (or
``nox -s fuzz -- --threads 8``); ``--only PREFIX`` picks scenarios. With
``TENSORHOUSE_FUZZ_TF=1`` (run by ``/tmp/tfv/bin/python``) the same scenarios run on real TF.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time

import numpy as np

ON_TF = os.environ.get("TENSORHOUSE_FUZZ_TF") == "1"
if ON_TF:  # the same scenarios on real TensorFlow
    import tensorflow as tf
else:
    import tensorhouse as tf

SCENARIOS: dict = {}


def scenario(name):
    def register(fn):
        SCENARIOS[name] = fn
        return fn

    return register


def hammer(fn, threads, iters):
    """Run ``fn(thread, i)`` for i < iters on ``threads`` threads released together; re-raise
    the first exception a thread hit."""
    start = threading.Barrier(threads)
    failures: list = []

    def work(t):
        start.wait()
        try:
            for i in range(iters):
                fn(t, i)
        except BaseException as e:  # reported by the caller
            failures.append(e)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if failures:
        raise failures[0]


def expect_equal(what, got, want):
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape or not np.array_equal(got, want):
        raise AssertionError(f"{what}: got {got.tolist()}, want {want.tolist()}")


# ---- Variable updates ----------------------------------------------------------------------------


def _variable_scenarios():
    for dtype in ("float32", "float64", "int32", "int64"):

        def add(threads, iters, dtype=dtype):
            v = tf.Variable(tf.zeros([5], getattr(tf, dtype)))
            one = tf.ones([5], getattr(tf, dtype))
            hammer(lambda t, i: v.assign_add(one), threads, iters)
            expect_equal("assign_add", v.numpy(), np.full(5, threads * iters, dtype))

        scenario(f"variable.assign_add.{dtype}")(add)

    @scenario("variable.assign_add_sub.scalar")
    def add_sub(threads, iters):
        v = tf.Variable(0, dtype=tf.int64)  # even threads add 3, odd ones subtract 2

        def step(t, i):
            v.assign_add(tf.constant(3, tf.int64)) if t % 2 == 0 else v.assign_sub(
                tf.constant(2, tf.int64)
            )

        hammer(step, threads, iters)
        evens = (threads + 1) // 2
        expect_equal("assign_add/sub", v.numpy(), 3 * evens * iters - 2 * (threads - evens) * iters)

    @scenario("variable.assign_add.function")
    def in_function(threads, iters):
        v = tf.Variable(tf.zeros([3], tf.float64))
        w = tf.Variable(0.0)

        @tf.function
        def step():
            v.assign_add(tf.ones([3], tf.float64))
            w.assign_sub(1.0)
            v.assign_add(tf.fill([3], tf.constant(2.0, tf.float64)))

        step()  # traced once, before the threads
        hammer(lambda t, i: step(), threads, iters)
        n = threads * iters + 1
        expect_equal("assign_add in function", v.numpy(), np.full(3, 3.0 * n))
        expect_equal("assign_sub in function", w.numpy(), np.float32(-n))

    @scenario("variable.assign_add.read_values")
    def read_values(threads, iters):
        v = tf.Variable(0, dtype=tf.int64)
        seen = [[] for _ in range(threads)]
        hammer(lambda t, i: seen[t].append(int(v.assign_add(tf.constant(1, tf.int64)))),
               threads, iters)  # fmt: skip
        n = threads * iters
        expect_equal("assign_add", v.numpy(), n)
        # TF reads the value after the update, not atomically with it: each thread's reads grow
        for s in seen:
            if s != sorted(s) or s[0] < 1 or s[-1] > n:
                raise AssertionError(f"assign_add returned values out of order: {s[:20]}")

    @scenario("variable.scatter_nd_add")
    def scatter(threads, iters):
        v = tf.Variable(tf.zeros([8], tf.int32))
        idx = [tf.constant([[t % 8], [(3 * t + 1) % 8]]) for t in range(threads)]
        upd = tf.constant([1, 2], tf.int32)
        hammer(lambda t, i: v.scatter_nd_add(idx[t], upd), threads, iters)
        want = np.zeros(8, np.int64)
        for t in range(threads):
            want[t % 8] += iters
            want[(3 * t + 1) % 8] += 2 * iters
        expect_equal("scatter_nd_add", v.numpy(), want.astype(np.int32))

    @scenario("variable.scatter_nd_add.function")
    def scatter_fn(threads, iters):
        v = tf.Variable(tf.zeros([4, 2], tf.float32))

        @tf.function
        def step(i):
            v.scatter_nd_add(tf.reshape(i, [1, 1]), tf.ones([1, 2]))

        rows = [tf.constant(t % 4) for t in range(threads)]
        hammer(lambda t, i: step(rows[t]), threads, iters)
        want = np.zeros((4, 2), np.float32)
        for t in range(threads):
            want[t % 4] += iters
        expect_equal("scatter_nd_add in function", v.numpy(), want)


_variable_scenarios()


# ---- optimizers ----------------------------------------------------------------------------------


def _check_iterations(what, opt, n):
    """The optimizer's step count. Real TF (Keras 3) loses some of these increments between
    threads (the variables' own updates it keeps); tensorhouse counts every step."""
    if not ON_TF:
        expect_equal(what, int(opt.iterations.numpy()), n)


def _shared(shape):
    return [tf.Variable(tf.zeros(shape)), tf.Variable(tf.zeros([3]))]


@scenario("optimizer.sgd.apply_gradients")
def sgd(threads, iters):
    vars_ = _shared([64])
    opt = tf.keras.optimizers.SGD(learning_rate=1.0)
    grads = [tf.fill([64], -1.0), tf.fill([3], -2.0)]
    opt.apply_gradients(zip(grads, vars_))  # builds the optimizer before the threads
    hammer(lambda t, i: opt.apply_gradients(zip(grads, vars_)), threads, iters)
    n = threads * iters + 1
    expect_equal("SGD variable", vars_[0].numpy(), np.full(64, n, np.float32))
    expect_equal("SGD variable", vars_[1].numpy(), np.full(3, 2 * n, np.float32))
    _check_iterations("SGD iterations", opt, n)


@scenario("optimizer.sgd.apply_gradients.function")
def sgd_fn(threads, iters):
    vars_ = _shared([16])
    opt = tf.keras.optimizers.SGD(learning_rate=0.5)
    opt.build(vars_)

    @tf.function
    def step():
        opt.apply_gradients(zip([tf.fill([16], -2.0), tf.fill([3], -4.0)], vars_))

    step()
    hammer(lambda t, i: step(), threads, iters)
    n = threads * iters + 1
    expect_equal("SGD variable in function", vars_[0].numpy(), np.full(16, n, np.float32))
    expect_equal("SGD variable in function", vars_[1].numpy(), np.full(3, 2 * n, np.float32))
    _check_iterations("SGD iterations in function", opt, n)


@scenario("optimizer.adam.iterations")
def adam(threads, iters):
    vars_ = _shared([8])
    opt = tf.keras.optimizers.Adam(learning_rate=1e-3)
    grads = [tf.ones([8]), tf.ones([3])]
    opt.apply_gradients(zip(grads, vars_))
    hammer(lambda t, i: opt.apply_gradients(zip(grads, vars_)), threads, iters)
    _check_iterations("Adam iterations", opt, threads * iters + 1)
    if not np.all(np.isfinite(vars_[0].numpy())):
        raise AssertionError(f"Adam variable not finite: {vars_[0].numpy().tolist()}")


# ---- one Dataset iterator shared by threads ------------------------------------------------------


def _drain(it, threads):
    """Every thread calls next(it) until the end; the elements each thread got, in order."""
    got = [[] for _ in range(threads)]

    def work(t, _):
        while True:
            try:
                got[t].append(next(it))
            except StopIteration:
                return
            except tf.errors.OutOfRangeError:
                return

    hammer(work, threads, 1)
    return got


def _each_once(what, values, want):
    values = sorted(values)
    if values != sorted(want):
        dup = len(values) - len(set(values))
        raise AssertionError(
            f"{what}: {len(values)} elements for {len(want)} ({dup} repeated, "
            f"{len(set(want) - set(values))} lost)"
        )


@scenario("dataset.next.range")
def ds_range(threads, iters):
    n = threads * iters
    got = _drain(iter(tf.data.Dataset.range(n)), threads)
    _each_once("Dataset.range", [int(x) for g in got for x in g], range(n))
    for g in got:  # one thread's elements come in the dataset's order
        vals = [int(x) for x in g]
        if vals != sorted(vals):
            raise AssertionError("Dataset.range: a thread saw elements out of order")


@scenario("dataset.next.map_batch_prefetch")
def ds_pipeline(threads, iters):
    n = threads * iters
    ds = tf.data.Dataset.range(n).map(lambda x: (x, 2 * x), num_parallel_calls=4)
    ds = ds.batch(7).prefetch(2)
    got = _drain(iter(ds), threads)
    rows = []
    for g in got:
        for a, b in g:
            a, b = a.numpy(), b.numpy()
            expect_equal("map pairs stay together", b, 2 * a)
            rows += a.tolist()
    _each_once("map/batch/prefetch", rows, range(n))


@scenario("dataset.next.shuffle_generator")
def ds_shuffle(threads, iters):
    n = threads * iters
    ds = tf.data.Dataset.from_generator(
        lambda: iter(range(n)), output_signature=tf.TensorSpec([], tf.int64)
    ).shuffle(64, seed=1)
    got = _drain(iter(ds), threads)
    _each_once("generator/shuffle", [int(x) for g in got for x in g], range(n))


# ---- lookup tables -------------------------------------------------------------------------------


@scenario("lookup.mutable_hash_table.insert")
def table_insert(threads, iters):
    table = tf.lookup.experimental.MutableHashTable(tf.int64, tf.int64, default_value=-1)

    def step(t, i):
        k = t * iters + i
        table.insert(tf.constant([k], tf.int64), tf.constant([3 * k], tf.int64))

    hammer(step, threads, iters)
    n = threads * iters
    expect_equal("table size", int(table.size().numpy()), n)
    keys = tf.constant(np.arange(n + 2), tf.int64)
    want = np.concatenate([3 * np.arange(n), [-1, -1]])
    expect_equal("table values", table.lookup(keys).numpy(), want)


@scenario("lookup.mutable_hash_table.insert_same_keys")
def table_same(threads, iters):
    table = tf.lookup.experimental.MutableHashTable(tf.int64, tf.float32, default_value=-1.0)
    keys = tf.constant(np.arange(16), tf.int64)
    values = [tf.fill([16], float(t)) for t in range(threads)]
    hammer(lambda t, i: table.insert(keys, values[t]), threads, iters)
    expect_equal("table size", int(table.size().numpy()), 16)
    got = table.lookup(keys).numpy()
    if not set(got.tolist()) <= set(range(threads)):
        raise AssertionError(f"table values not any thread's: {got.tolist()}")


# ---- the campaign --------------------------------------------------------------------------------


def run(threads=8, iters=1000, rounds=1, only=None, out=print):
    """Run every scenario ``rounds`` times; returns ``{name: [failure messages]}``."""
    failures: dict = {}
    for name, fn in SCENARIOS.items():
        if only and not name.startswith(only):
            continue
        t0 = time.perf_counter()
        for _ in range(rounds):
            try:
                fn(threads, iters)
            except Exception as e:  # every failure is counted and shown
                failures.setdefault(name, []).append(f"{type(e).__name__}: {e}"[:400])
        bad = len(failures.get(name, []))
        out(f"  {name:45s} {rounds - bad}/{rounds} ok  {time.perf_counter() - t0:6.2f} s")
    return failures


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--threads", type=int, default=8, help="threads per scenario (default 8)")
    p.add_argument("--iters", type=int, default=2000, help="calls per thread (default 2,000)")
    p.add_argument("--rounds", type=int, default=3, help="runs of each scenario (default 3)")
    p.add_argument("--only", default=None, help="only the scenarios whose name starts with this")
    args = p.parse_args(argv)
    print(f"thread campaign on {tf.__name__}: {args.threads} threads x {args.iters} calls, "
          f"{args.rounds} rounds")  # fmt: skip
    failures = run(args.threads, args.iters, args.rounds, args.only)
    for name, msgs in failures.items():
        print(f"FAILED {name}: {msgs[0]}")
    print(f"  {len(failures)} scenarios failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
