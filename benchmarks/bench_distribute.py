"""``MultiWorkerMirroredStrategy``: ``fit`` throughput on 1 and 2 workers, and the gradient
buckets' all-reduce bandwidth against ``mpi4py``'s own ``Allreduce``.

Run it as ``python benchmarks/bench_distribute.py``: it starts the MPI jobs itself
(``mpiexec -n 1`` and ``-n 2`` on 127.0.0.1), each worker pinned to one core of its own
(``sched_setaffinity``, as ``taskset -c RANK``) with one kernel thread.

- fit: a CNN on 32x32x3 images (Conv2D 32 -> Conv2D 32 -> MaxPool -> Conv2D 64 -> MaxPool ->
  Dense 128 -> Dense 10, SGD, global batch 64: one worker's step takes 80-90 ms on a 2-core
  AVX-512 machine, above the issue's floor of 50 ms; without the second Conv2D it was 45 ms);
  samples/s in the steady state (the first epoch, which traces, is left out) and the scaling
  efficiency ``samples/s(2) / (2 * samples/s(1))``; 2 workers with
  the all-reduce overlapped with the backward pass (the default) and without it
  (``strategy._overlap = False``: every bucket after the backward pass), and the exposed
  communication per step (the wall time of the copy-in and all-reduce phases after the
  backward pass).
- all-reduce: the CNN's gradients (and 1, 4, 16 MiB of float32) reduced five ways, one call
  each per round after a barrier, in ``BENCH_DIST_AR_ROUNDS`` alternating rounds (each round
  in a new random order; medians and bests of the calls): "buckets" is the fused-bucket
  all-reduce itself (``BucketPlan.all_reduce`` on values already in the reused bucket buffers,
  as a step leaves them when it sums its local replicas' gradients straight into the buckets:
  one non-blocking MPI call per bucket, each started as its bucket is full, the results views);
  "+ pack" is ``bucket_all_reduce`` on separate arrays (each copied into its bucket first: a
  one-replica worker's step, which copies its gradients out of their tensors that way);
  "communicator" is one call of our communicator on one buffer of the total size; "Allreduce"
  one raw ``mpi4py`` ``Allreduce(IN_PLACE, ...)`` of that same buffer; "overlapped" is what
  the overlapped ``fit`` step adds to a backward pass: a stand-in kernel writes each array
  (last first), which is put into its bucket at once (``Filling.put``: a copy of a hot array,
  the bucket started when full) and the buckets are waited for at the end, less the time of
  the stand-in kernels alone (timed in the same rounds, medians subtracted; the first bucket
  1 MiB, as ``fit``'s).
  Bandwidth is bytes / second of the median call (and of the best call).
Targets (issue 23): >= 1.8x from 1 to 2 workers; bucket all-reduce within 10% of ``Allreduce``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

STEPS = int(os.environ.get("BENCH_DIST_STEPS", "8"))  # steps per timed epoch
EPOCHS = int(os.environ.get("BENCH_DIST_EPOCHS", "3"))  # timed epochs (after a warm-up one)
ROUNDS = int(os.environ.get("BENCH_DIST_ROUNDS", "3"))  # alternating 1- and 2-worker runs
AR_ROUNDS = int(os.environ.get("BENCH_DIST_AR_ROUNDS", "200"))  # alternating all-reduce calls
PARTS = os.environ.get("BENCH_DIST_PARTS", "fit,allreduce").split(",")  # which to run
GLOBAL_BATCH = 64


def _pin():
    rank = int(os.environ.get("PMI_RANK", "0"))
    cores = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cores[rank % len(cores)]})
    return rank


def _cnn():
    from tensorhouse_models import Input, Sequential, layers, optimizers

    model = Sequential([
        Input((32, 32, 3)),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(10),
    ])  # fmt: skip
    model.compile(optimizers.SGD(0.01), "sparse_categorical_crossentropy")
    return model


def worker_fit():
    """One worker of the fit benchmark; rank 0 prints samples/s and every rank's phases."""
    _pin()
    from tensorhouse_models import callbacks, distribute, ops
    from tensorhouse_models.distribute._training import StepProfile

    if os.environ.get("BENCH_DIST_THREADS"):  # kernel threads per worker; unset: the strategy's
        ops.config.threading.set_intra_op_parallelism_threads(int(os.environ["BENCH_DIST_THREADS"]))
    strategy = distribute.MultiWorkerMirroredStrategy()
    strategy._overlap = os.environ.get("BENCH_DIST_OVERLAP", "1") == "1"
    with strategy.scope():
        model = _cnn()
    rng = np.random.default_rng(0)
    n = GLOBAL_BATCH * STEPS
    x = rng.normal(size=(n, 32, 32, 3)).astype("float32")
    y = rng.integers(0, 10, size=(n,)).astype("int32")
    times = []

    def epoch_end(epoch, logs):
        times.append(time.perf_counter())
        if epoch == 0:  # the steady state's phases, the tracing epoch left out
            strategy._profile = StepProfile()

    stamp = callbacks.LambdaCallback(on_epoch_end=epoch_end)
    start = time.perf_counter()
    model.fit(x, y, batch_size=GLOBAL_BATCH, epochs=EPOCHS + 1, shuffle=False, verbose=0,
              callbacks=[stamp])  # fmt: skip
    steady = times[-1] - times[0]
    prof = strategy._profile
    mine = {k: (1e3 * prof.wall[k] / prof.steps, 1e3 * prof.cpu[k] / prof.steps)
            for k in prof.PHASES}  # fmt: skip
    phases = strategy._comm.allgather_object(mine)
    if strategy.cluster_resolver.task_id == 0:
        print(json.dumps({
            "workers": strategy.num_replicas_in_sync,
            "overlap": strategy._overlap,
            "threads": ops.config.threading.get_intra_op_parallelism_threads(),
            "samples_per_s": EPOCHS * n / steady,
            "step_ms": steady / (EPOCHS * STEPS) * 1e3,
            "first_epoch_s": times[0] - start,
            "phases": phases,
        }))  # fmt: skip


def worker_allreduce():
    """One worker of the all-reduce benchmark; rank 0 prints bandwidths as JSON."""
    _pin()
    from mpi4py import MPI

    from tensorhouse_models import ops
    from tensorhouse_models.distribute._buckets import bucket_all_reduce, plan_for
    from tensorhouse_models.distribute._strategy import DEFAULT_BUCKET_BYTES, FIRST_BUCKET_BYTES

    comm = ops.collective.world()
    raw = comm._comm  # mpi4py's communicator, for the reference Allreduce
    cases = {"cnn gradients": [np.zeros(w.shape, "float32") for w in _cnn_weights()]}
    for mib in (1, 4, 16):
        cases[f"{mib} MiB"] = [np.zeros(mib << 18, "float32")]
    out = {}
    for name, arrays in cases.items():
        arrays = [a + comm.rank for a in arrays]
        nbytes = sum(a.nbytes for a in arrays)
        plan = plan_for(comm, [(a.shape, a.dtype) for a in arrays], DEFAULT_BUCKET_BYTES)
        for view, a in zip(plan.views, arrays):
            view[...] = a
        # one buffer of the total size (the first bucket's when there is one bucket)
        flat = plan.buffers[0] if len(plan.buffers) == 1 else np.concatenate(plan.buffers)

        def buckets(plan=plan):
            plan.all_reduce(lambda i, view: None)  # the values are in the buckets already

        def packed(arrays=arrays):
            bucket_all_reduce(comm, arrays, DEFAULT_BUCKET_BYTES)

        def theirs(flat=flat):
            raw.Allreduce(MPI.IN_PLACE, flat)

        def communicator(flat=flat):  # our communicator alone, no bucket copies
            comm.allreduce(flat)

        order = list(reversed(arrays))  # the backward pass: last layer first
        outs = [np.empty_like(a) for a in order]
        hot = plan_for(comm, [(a.shape, a.dtype) for a in order], DEFAULT_BUCKET_BYTES,
                       FIRST_BUCKET_BYTES)  # fmt: skip

        def kernels(order=order, outs=outs):  # the stand-in backward pass alone
            for a, o in zip(order, outs):
                np.multiply(a, 1.0, out=o)

        def overlapped(order=order, outs=outs, hot=hot):
            filling = hot.begin()
            for i, (a, o) in enumerate(zip(order, outs)):
                np.multiply(a, 1.0, out=o)
                filling.put(i, o)
            filling.wait()

        contenders = (("buckets", buckets), ("+ pack", packed), ("communicator", communicator),
                      ("mpi4py Allreduce", theirs), ("kernels", kernels),
                      ("overlapped", overlapped))  # fmt: skip
        times = {label: [] for label, _ in contenders}
        shuffle = np.random.default_rng(0)  # the same shuffles on every rank
        for _ in range(AR_ROUNDS):  # rounds alternate the contenders, each round in a new
            for k in shuffle.permutation(len(contenders)):  # order: a slow stretch, or a cache
                label, fn = contenders[k]  # another contender left cold, hits them all
                raw.Barrier()
                t0 = time.perf_counter()
                fn()
                times[label].append(time.perf_counter() - t0)
        median = {k: float(np.median(v)) for k, v in times.items()}
        best = {k: min(v) for k, v in times.items()}
        for stat in (median, best):
            stat["overlapped"] = max(stat["overlapped"] - stat.pop("kernels"), 1e-9)
        out[name] = {"bytes": nbytes, "buckets": len(plan.buffers),
                     "median": {k: nbytes / v / 1e9 for k, v in median.items()},
                     "best": {k: nbytes / v / 1e9 for k, v in best.items()}}  # fmt: skip
    if comm.rank == 0:
        print(json.dumps(out))


def _cnn_weights():
    return _cnn().get_weights()


def _mpiexec():
    here = Path(sys.executable).parent / "mpiexec"
    return str(here) if here.exists() else shutil.which("mpiexec")


def _launch(n, mode, overlap=True):
    env = dict(os.environ)  # the strategy gives each pinned worker one kernel thread itself
    env["BENCH_DIST_OVERLAP"] = "1" if overlap else "0"
    cmd = [_mpiexec(), "-n", str(n), "-host", "127.0.0.1", sys.executable, __file__, mode]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, env=env)
    if proc.returncode != 0:
        raise SystemExit(proc.stdout[-2000:] + proc.stderr[-4000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _cpu_ms(r) -> float:
    """The slowest rank's main-thread CPU milliseconds per step (every phase)."""
    return max(sum(c for _, c in phases.values()) for phases in r["phases"])


def _exposed_ms(r) -> float:
    """The slowest rank's wall milliseconds per step spent on communication after the
    backward pass (copy-in and waiting for the all-reduce)."""
    return max(p["copy_in"][0] + p["all_reduce"][0] for p in r["phases"])


def _phases(r):
    for rank, phases in enumerate(r["phases"]):
        text = ", ".join(f"{k} {w:.1f}/{c:.1f}" for k, (w, c) in phases.items())
        print(f"    rank {rank} ms per step (wall/main-thread CPU): {text}")


def main():
    if _mpiexec() is None:
        raise SystemExit("needs mpiexec: pip install 'tensorhouse[distributed]'")
    print(f"cores here: {len(os.sched_getaffinity(0))}, load average: {os.getloadavg()[0]:.1f}")
    if "fit" in PARTS:
        _fit_report()
    if "allreduce" in PARTS:
        _allreduce_report()


def _fit_report():
    print(f"fit, CNN 32x32x3, global batch 64, one core per worker, {ROUNDS} alternating rounds")
    speedups, speedups_off, cpu_ratios, exposed = [], [], [], {True: [], False: []}
    for round_ in range(ROUNDS):  # the runs alternate, so a busy stretch hits each of them
        one, off, two = _launch(1, "fit"), _launch(2, "fit", False), _launch(2, "fit")
        speedups.append(two["samples_per_s"] / one["samples_per_s"])
        speedups_off.append(off["samples_per_s"] / one["samples_per_s"])
        cpu_ratios.append(_cpu_ms(one) / _cpu_ms(two))
        exposed[True].append(_exposed_ms(two))
        exposed[False].append(_exposed_ms(off))
        print(f"  round {round_ + 1} (load {os.getloadavg()[0]:.1f}):")
        for r in (one, off, two):
            print(f"  {r['workers']} worker(s), overlap {r['overlap']}: "
                  f"{r['samples_per_s']:8.1f} samples/s, "
                  f"step {r['step_ms']:.1f} ms, first epoch {r['first_epoch_s']:.1f} s, "
                  f"{r['threads']} kernel thread(s) each, "
                  f"main-thread CPU {_cpu_ms(r):.1f} ms, "
                  f"exposed communication {_exposed_ms(r):.2f} ms")  # fmt: skip
            _phases(r)
        print(f"  speed-up {speedups[-1]:.2f}x (without overlap {speedups_off[-1]:.2f}x), "
              f"main-thread CPU per step 1 / 2 workers {cpu_ratios[-1]:.2f}x")  # fmt: skip
    speedup = float(np.median(speedups))
    print(f"  median speed-up {speedup:.2f}x (target >= 1.8x), best {max(speedups):.2f}x, "
          f"efficiency {speedup / 2:.0%}; without overlap median "
          f"{float(np.median(speedups_off)):.2f}x, best {max(speedups_off):.2f}x; "
          f"exposed communication per step median {float(np.median(exposed[True])):.2f} ms "
          f"with overlap, {float(np.median(exposed[False])):.2f} ms without; "
          f"main-thread CPU ratio {float(np.median(cpu_ratios)):.2f}x (the bound on cores "
          "of their own, before the all-reduce's wall time)")  # fmt: skip


def _allreduce_report():
    print(f"all-reduce on 2 workers, {AR_ROUNDS} alternating rounds: GB/s of the median call "
          f"(of the best); load {os.getloadavg()[0]:.1f}")  # fmt: skip
    for name, r in _launch(2, "allreduce").items():
        med, best = r["median"], r["best"]
        cols = "  ".join(f"{k} {med[k]:5.2f} ({best[k]:5.2f})" for k in med)
        raw, braw = med["mpi4py Allreduce"], best["mpi4py Allreduce"]
        print(f"  {name:<14} {r['bytes'] / 2**20:6.2f} MiB in {r['buckets']} bucket(s)  {cols}")
        print(f"  {'':<14} ratio to Allreduce, median (best): buckets "
              f"{med['buckets'] / raw:.2f} ({best['buckets'] / braw:.2f}) (target >= 0.90), "
              f"+ pack {med['+ pack'] / raw:.2f} ({best['+ pack'] / braw:.2f}), "
              f"communicator {med['communicator'] / raw:.2f} "
              f"({best['communicator'] / braw:.2f}), overlapped in a backward pass "
              f"{med['overlapped'] / raw:.2f} ({best['overlapped'] / braw:.2f})")  # fmt: skip
    print(f"  load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    {"fit": worker_fit, "allreduce": worker_allreduce}.get(
        sys.argv[1] if len(sys.argv) > 1 else "", main
    )()
